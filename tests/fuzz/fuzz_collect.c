/*
 * libFuzzer target: what the collector does with an agent's messages once
 * they are framed, on a real store. The input is the byte stream of agent
 * connections: frames (4-byte length, vigil.v1.Frame) one after the other,
 * each Hello opening the session of the next agent (four take turns, so
 * that correlation across machines can fire).
 *
 * Each frame goes through frame_parse() (frame_decode() and
 * wire_validate()); the first that does not pass ends the stream, as it
 * closes a connection. Then the rules session.c applies: a Hello first, a
 * batch must start after the session's last seq, a heartbeat with a posture
 * or a network report is stored and one without only moves last_seen. Everything pending goes
 * to store_commit() in one group commit on the writer's store, and then to
 * what follows a commit: incident_observe() and incident_committed()
 * (correlation incidents on the main store).
 *
 * The invariant, whose breach stopped storage for every agent once (an
 * event seq above 2^63-1, now refused by wire.c): a frame that passes
 * validation never makes store_commit() fail. Then what was stored must
 * read back through the control socket as JSON lines vigilctl accepts, and
 * each machine's compliance must be consistent.
 *
 * session.c itself is not driven (it needs TLS connections): its checks
 * are repeated here, and a change there must be mirrored.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_collector.h"
#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/wire.h"
#include "../../collector/compliance.h"

#define AGENTS 4
#define ITEMS_MAX 64

static const char *const agent_ids[AGENTS] = { "pc-ketoan-01", "pc-vanthu-02", "pc-mot-cua-03",
	"pc-lanhdao-04" };

struct posture_check {
	const struct collector *c;
	int rows;
};

static int
posture_row(void *arg, const struct store_posture_row *r)
{
	struct posture_check *pc = arg;
	const struct collector_conf *cc = &pc->c->conf.collector;
	struct compliance_facts f;
	struct compliance_limits l;
	struct compliance_result res;

	memset(&f, 0, sizeof(f));
	f.last_seen_us = r->last_seen_us;
	f.has_posture = r->has_posture;
	f.av_product = r->av_product;
	f.av_running = r->av_running;
	f.av_signatures_us = r->av_signatures_us;
	f.security_updates_pending = r->security_updates_pending;
	f.security_pending_since_us = r->security_pending_since_us;
	l.offline_after_us = cc->compliance_offline_after * 1000;
	l.signature_max_age_us = cc->compliance_signature_max_age * 1000;
	l.security_grace_us = cc->compliance_security_grace * 1000;
	if (compliance_eval(&f, &l, FUZZ_T0 + 3600 * 1000000LL, &res) != 0)
		fuzz_die("compliance_eval", "refused a stored posture");
	if (res.compliant != (res.violations == 0) ||
	    strnlen(res.reasons, sizeof(res.reasons)) >= sizeof(res.reasons) ||
	    (!res.compliant && res.reasons[0] == '\0'))
		fuzz_die("compliance_eval", "an inconsistent result");
	pc->rows++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collector *c = fuzz_collector(0);
	struct store_batch items[ITEMS_MAX];
	Vigil__V1__Frame *frames[ITEMS_MAX];
	uint64_t high_seq = 0;
	size_t n = 0, nframes = 0, used, off = 0;
	int agent = -1, hello[AGENTS] = { 0 };
	int64_t now = FUZZ_T0;
	char line[64];
	int rc;

	fuzz_collector_reset();
	memset(items, 0, sizeof(items));
	while (off < size && n < ITEMS_MAX) {
		Vigil__V1__Frame *f;

		if (frame_parse(data + off, size - off, (size_t)c->conf.collector.max_frame, &f,
		    &used) != 0)
			break;
		off += used;
		frames[nframes++] = f;
		now += 1000000;
		switch (f->msg_case) {
		case VIGIL__V1__FRAME__MSG_HELLO:
			if (f->hello->proto_major != WIRE_PROTO_MAJOR)
				goto done;
			/* A new connection: the next agent's session. */
			agent = (agent + 1) % AGENTS;
			hello[agent] = 1;
			high_seq = 0;
			items[n].kind = STORE_HELLO;
			items[n].hello = f->hello;
			items[n].address = "192.0.2.7:40412";
			break;
		case VIGIL__V1__FRAME__MSG_BATCH:
			if (agent < 0 || f->batch->events[0]->seq <= high_seq)
				goto done;
			high_seq = f->batch->events[f->batch->n_events - 1]->seq;
			items[n].kind = STORE_EVENTS;
			items[n].batch = f->batch;
			break;
		case VIGIL__V1__FRAME__MSG_HEARTBEAT:
			if (agent < 0)
				goto done;
			/* As session_frame.c: a posture or a network report is stored. */
			if (f->heartbeat->posture != NULL || f->heartbeat->network != NULL) {
				items[n].kind = STORE_POSTURE;
				items[n].heartbeat = f->heartbeat;
			} else
				items[n].kind = STORE_SEEN;
			break;
		case VIGIL__V1__FRAME__MSG_GOODBYE:
			if (agent < 0)
				goto done;
			items[n].kind = STORE_GOODBYE;
			items[n].goodbye = f->goodbye;
			break;
		default:
			/* Welcome, Ack, Error, or unknown: the session closes. */
			goto done;
		}
		items[n].agent = agent_ids[agent];
		items[n].recv_us = now;
		n++;
	}
done:
	if (n > 0 && (rc = store_commit(c->wstore, items, n)) != 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s (%s)", vigil_strerror(rc),
		    store_errmsg(c->wstore));
		fuzz_die("store_commit refused validated frames", why);
	}
	for (size_t i = 0; i < n; i++) {
		/* An item refused alone is the same bug: wire.c let through what no store keeps. */
		if (items[i].refused)
			fuzz_die("store_commit refused a validated item", items[i].why);
		if (items[i].kind != STORE_EVENTS)
			continue;
		if (items[i].up_to != items[i].batch->events[items[i].batch->n_events - 1]->seq ||
		    items[i].inserted > items[i].batch->n_events)
			fuzz_die("store_commit", "a wrong up_to or count of inserted events");
		if (items[i].inserted > 0)
			incident_observe(c, items[i].agent, items[i].batch, items[i].recv_us);
	}
	incident_committed(c);

	/* What was stored reads back as vigilctl reads it. */
	if (n > 0) {
		static const char *const queries[] = {
			"status\n", "agents\n", "events\tlimit=100000\n", "incidents\tstatus=all\n",
			"compliance\n", "audit-verify\n",
		};
		struct posture_check pc = { c, 0 };

		/* The audit trail the store sealed for the incidents it opened verifies. */
		for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
			if (fuzz_ctl_check(ROLE_ADMIN, queries[i], strlen(queries[i]), "ok") != 0)
				fuzz_die(queries[i], "the control socket refused a query of stored data");
		for (int id = 1; id <= 3; id++) {
			snprintf(line, sizeof(line), "incident\tid=%d\n", id);
			(void)fuzz_ctl_request(ROLE_ADMIN, line, strlen(line));
		}
		for (int a = 0; a < AGENTS; a++)
			if (hello[a] && store_get_posture(c->store, agent_ids[a], posture_row, &pc) != 0)
				fuzz_die("store_get_posture", "an agent that said Hello is unknown");
	}
	for (size_t i = 0; i < nframes; i++)
		frame_free(frames[i]);
	return 0;
}
