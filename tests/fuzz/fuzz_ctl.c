/*
 * libFuzzer target: the control socket's requests (include/vigil/ctl.h), as
 * the bytes a vigilctl client sends, on a real collector whose store holds
 * two agents, their events, incidents (one of them a correlation), postures
 * and the shipped escalation file (fuzz_collector.h).
 *
 * The input goes through control_serve(), the function the socket's read
 * callback runs: line framing and the 4096-byte limit, the tab-separated
 * key=value parsing, the command table and the role check, then the
 * command with its argument checks, its store queries and, for
 * incident-action, its changes.
 *
 * What must hold: every answer is lines of JSON that vigilctl's reader
 * accepts; a caller without a role gets one refusal; a viewer cannot run
 * incident-action; after an action the audit trail still verifies. An
 * action that changed something makes the next input start from the seeded
 * state again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_collector.h"
#include "vigil/err.h"

#define EV(s, c, v, r, sum, k1, v1, k2, v2) \
	{ s, c, v, r, sum, k1, v1, k2, v2 }

struct seed_ev {
	uint64_t seq;
	int cat, sev;
	const char *rule, *summary, *k1, *v1, *k2, *v2;
};

static const struct seed_ev seed_evs[] = {
	EV(1, VIGIL__V1__CATEGORY__CATEGORY_AUTH, VIGIL__V1__SEVERITY__SEVERITY_LOW,
	    "ssh.failed_password", "Failed SSH password for root from 203.0.113.9", "src_ip",
	    "203.0.113.9", "user", "root"),
	EV(2, VIGIL__V1__CATEGORY__CATEGORY_ATTACK, VIGIL__V1__SEVERITY__SEVERITY_HIGH,
	    "ssh.bruteforce", "5 failed SSH logins from 203.0.113.9", "src_ip", "203.0.113.9",
	    "count", "5"),
	EV(3, VIGIL__V1__CATEGORY__CATEGORY_USB, VIGIL__V1__SEVERITY__SEVERITY_MEDIUM,
	    "usb.inserted", "USB storage device 0781:5567 inserted", "serial", "4C530001",
	    "vendor", "0781"),
	EV(4, VIGIL__V1__CATEGORY__CATEGORY_MALWARE, VIGIL__V1__SEVERITY__SEVERITY_CRITICAL,
	    "clamav.found", "Eicar-Test-Signature FOUND", "signature", "Eicar-Test-Signature",
	    NULL, NULL),
};

static const char *const seed_agents[] = { "pc-ketoan-01", "pc-vanthu-02" };

/* Two agents' Hello, events and posture, committed as the writer would; then correlation. */
static void
seed(struct collector *c)
{
	Vigil__V1__Hello h[2];
	Vigil__V1__EventBatch b[2];
	Vigil__V1__Event e[2][4], *ep[2][4];
	Vigil__V1__Field f[2][4][2], *fp[2][4][2];
	Vigil__V1__Heartbeat hb;
	Vigil__V1__Posture p;
	struct store_batch items[5];
	size_t n = 0;

	memset(items, 0, sizeof(items));
	vigil__v1__heartbeat__init(&hb);
	vigil__v1__posture__init(&p);
	p.av_product = (char *)"ClamAV";
	p.av_running = VIGIL__V1__TRISTATE__TRISTATE_YES;
	p.av_signatures_us = FUZZ_T0 - 86400 * 1000000LL;
	p.updates_pending = 4;
	p.security_updates_pending = 2;
	p.security_pending_since_us = FUZZ_T0 - 9 * 86400 * 1000000LL;
	hb.posture = &p;
	hb.spool_depth = 12;
	for (size_t a = 0; a < 2; a++) {
		vigil__v1__hello__init(&h[a]);
		h[a].proto_major = 1;
		h[a].agent_version = (char *)"0.1.0";
		h[a].hostname = (char *)(uintptr_t)seed_agents[a];
		h[a].unit = (char *)"UBND phường 7";
		vigil__v1__event_batch__init(&b[a]);
		for (size_t i = 0; i < 4; i++) {
			const struct seed_ev *s = &seed_evs[i];

			vigil__v1__event__init(&e[a][i]);
			e[a][i].seq = s->seq;
			e[a][i].time_us = FUZZ_T0 + (int64_t)i * 1000000;
			e[a][i].source = (char *)"auth.log";
			e[a][i].category = (Vigil__V1__Category)s->cat;
			e[a][i].severity = (Vigil__V1__Severity)s->sev;
			e[a][i].rule = (char *)(uintptr_t)s->rule;
			e[a][i].summary = (char *)(uintptr_t)s->summary;
			e[a][i].raw = (char *)"Nov 25 09:15:02 pc sshd[811]: raw line";
			vigil__v1__field__init(&f[a][i][0]);
			f[a][i][0].key = (char *)(uintptr_t)s->k1;
			f[a][i][0].value = (char *)(uintptr_t)s->v1;
			fp[a][i][0] = &f[a][i][0];
			e[a][i].n_fields = 1;
			if (s->k2 != NULL) {
				vigil__v1__field__init(&f[a][i][1]);
				f[a][i][1].key = (char *)(uintptr_t)s->k2;
				f[a][i][1].value = (char *)(uintptr_t)s->v2;
				fp[a][i][1] = &f[a][i][1];
				e[a][i].n_fields = 2;
			}
			e[a][i].fields = fp[a][i];
			ep[a][i] = &e[a][i];
		}
		b[a].n_events = 4;
		b[a].events = ep[a];
		items[n].kind = STORE_HELLO;
		items[n].agent = seed_agents[a];
		items[n].hello = &h[a];
		items[n].address = "192.0.2.7:40412";
		items[n++].recv_us = FUZZ_T0;
		items[n].kind = STORE_EVENTS;
		items[n].agent = seed_agents[a];
		items[n].batch = &b[a];
		items[n++].recv_us = FUZZ_T0 + 1000000;
	}
	items[n].kind = STORE_POSTURE;
	items[n].agent = seed_agents[0];
	items[n].heartbeat = &hb;
	items[n++].recv_us = FUZZ_T0 + 2000000;
	if (store_commit(c->wstore, items, n) != 0)
		fuzz_die("seeding the store", store_errmsg(c->wstore));
	for (size_t a = 0; a < 2; a++)
		incident_observe(c, seed_agents[a], &b[a], FUZZ_T0 + 1000000);
	incident_committed(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int dirty = 1;
	struct collector *c = fuzz_collector(1);
	const char *req = (const char *)data;
	int error, action;

	if (dirty) {
		fuzz_collector_reset();
		seed(c);
		dirty = 0;
	}
	/* Nobody: refused with one line, whatever was asked. */
	(void)fuzz_ctl_request(ROLE_NONE, req, size);
	action = size >= 15 && memcmp(req, "incident-action", 15) == 0 &&
	    (size == 15 || req[15] == '\t' || req[15] == '\n');
	if (action && memchr(req, '\n', size) != NULL &&
	    fuzz_ctl_request(ROLE_VIEWER, req, size) == 0)
		fuzz_die("incident-action", "a viewer was not refused");
	error = fuzz_ctl_request(ROLE_OPERATOR, req, size);
	/* Only an action changes the store; after one, start again from the seed. */
	if (action && !error) {
		dirty = 1;
		/* Whatever an operator wrote, the audit trail still verifies. */
		(void)fuzz_ctl_check(ROLE_VIEWER, "audit-verify\n", 13, "ok");
	}
	return 0;
}
