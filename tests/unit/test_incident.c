/*
 * What incident.c adds that is pure (the correlator with an injected clock,
 * silent machines grouped per unit, the re-open window), and the store's side of incidents, audit and
 * escalation on a real SQLite file: re-opening within the window, incidents
 * made by the collector, the audit chain and its tampering, the outbox.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "../../collector/audit.h"
#include "../../collector/incident.h"
#include "../../collector/store.h"
#include "store_fixture.h"

#define SEC 1000000LL
#define T0 1700000000000000LL
#define CAT(x) VIGIL__V1__CATEGORY__CATEGORY_##x
#define SEV(x) VIGIL__V1__SEVERITY__SEVERITY_##x

/* ---- events ------------------------------------------------------------------------- */

struct tev {
	Vigil__V1__Event ev;
	Vigil__V1__Field f[3];
	Vigil__V1__Field *fp[3];
};

static Vigil__V1__Event *
tev(struct tev *t, uint64_t seq, int cat, int sev, const char *rule, const char *k1,
    const char *v1, const char *k2, const char *v2)
{
	memset(t, 0, sizeof(*t));
	vigil__v1__event__init(&t->ev);
	t->ev.seq = seq;
	t->ev.time_us = T0;
	t->ev.category = (Vigil__V1__Category)cat;
	t->ev.severity = (Vigil__V1__Severity)sev;
	t->ev.rule = (char *)(uintptr_t)rule;
	t->ev.summary = (char *)"summary";
	t->ev.raw = (char *)"raw";
	t->ev.source = (char *)"test";
	t->ev.fields = t->fp;
	if (k1 != NULL) {
		vigil__v1__field__init(&t->f[0]);
		t->f[0].key = (char *)(uintptr_t)k1;
		t->f[0].value = (char *)(uintptr_t)v1;
		t->fp[t->ev.n_fields++] = &t->f[0];
	}
	if (k2 != NULL) {
		vigil__v1__field__init(&t->f[1]);
		t->f[1].key = (char *)(uintptr_t)k2;
		t->f[1].value = (char *)(uintptr_t)v2;
		t->fp[t->ev.n_fields++] = &t->f[1];
	}
	return &t->ev;
}

static Vigil__V1__Event *
failed_login(struct tev *t, uint64_t seq, const char *ip)
{
	return tev(t, seq, CAT(AUTH), SEV(LOW), "ssh.failed_password", "src_ip", ip, "user",
	    "root");
}

/* ---- classification ---------------------------------------------------------------- */

static void
test_classify(void **state)
{
	struct tev t;
	char key[INCIDENT_KEY_MAX];

	(void)state;
	assert_int_equal(incident_corr_classify(failed_login(&t, 1, "203.0.113.9"), key,
	    sizeof(key)), INCIDENT_CORR_SRC_IP);
	assert_string_equal(key, "203.0.113.9");
	/* A threshold's attack event with the address counts too. */
	assert_int_equal(incident_corr_classify(tev(&t, 1, CAT(ATTACK), SEV(HIGH),
	    "ssh.bruteforce", "src_ip", "198.51.100.1", NULL, NULL), key, sizeof(key)),
	    INCIDENT_CORR_SRC_IP);
	/* Logins that succeeded, information, no address, "-": not failures. */
	assert_int_equal(incident_corr_classify(tev(&t, 1, CAT(AUTH), SEV(INFO),
	    "ssh.login_accepted", "src_ip", "203.0.113.9", NULL, NULL), key, sizeof(key)), -1);
	assert_int_equal(incident_corr_classify(tev(&t, 1, CAT(AUTH), SEV(HIGH),
	    "ssh.root_login", "src_ip", "203.0.113.9", NULL, NULL), key, sizeof(key)), -1);
	assert_int_equal(incident_corr_classify(tev(&t, 1, CAT(AUTH), SEV(LOW), "sudo.failed",
	    "user", "bob", NULL, NULL), key, sizeof(key)), -1);
	assert_int_equal(incident_corr_classify(failed_login(&t, 1, "-"), key, sizeof(key)), -1);
	/* USB: vendor, product and serial. */
	assert_int_equal(incident_corr_classify(tev(&t, 1, CAT(USB), SEV(MEDIUM), "usb.storage",
	    "serial", "AA11", "vendor", "0781"), key, sizeof(key)), INCIDENT_CORR_USB_SERIAL);
	assert_string_equal(key, "0781::AA11");
	assert_int_equal(incident_corr_classify(tev(&t, 1, CAT(USB), SEV(MEDIUM), "usb.storage",
	    "vendor", "0781", NULL, NULL), key, sizeof(key)), -1);
	assert_int_equal(incident_corr_classify(tev(&t, 1, CAT(MALWARE), SEV(HIGH),
	    "malware.detected", "signature", "Eicar", NULL, NULL), key, sizeof(key)),
	    INCIDENT_CORR_MALWARE);
	assert_int_equal(incident_corr_classify(tev(&t, 1, CAT(SYSTEM), SEV(HIGH), "x", NULL,
	    NULL, NULL, NULL), key, sizeof(key)), -1);
}

/* ---- the correlator, time injected ------------------------------------------------------ */

static struct incident_corr *
corr(size_t hosts, int64_t window_us)
{
	struct incident_corr_conf cf = { window_us, hosts };
	struct incident_corr *c = incident_corr_new(&cf);

	assert_non_null(c);
	return c;
}

static int
has_agent(const struct incident_corr_hit *h, const char *agent)
{
	for (size_t i = 0; i < h->nagents; i++)
		if (strcmp(h->agents[i], agent) == 0)
			return 1;
	return 0;
}

static void
test_src_ip_threshold(void **state)
{
	struct incident_corr *c = corr(3, 60 * SEC);
	struct incident_corr_hit *h = calloc(1, sizeof(*h));
	struct tev t;

	(void)state;
	assert_non_null(h);
	assert_int_equal(incident_corr_observe(c, "pc-01", failed_login(&t, 1, "203.0.113.9"),
	    T0, h), 0);
	/* The same machine again is still one machine. */
	assert_int_equal(incident_corr_observe(c, "pc-01", failed_login(&t, 2, "203.0.113.9"),
	    T0 + SEC, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-02", failed_login(&t, 1, "203.0.113.9"),
	    T0 + 10 * SEC, h), 0);
	/* Another address is another key. */
	assert_int_equal(incident_corr_observe(c, "pc-03", failed_login(&t, 1, "198.51.100.7"),
	    T0 + 20 * SEC, h), 0);
	/* The third machine, just inside the window of the first: one hit, three machines. */
	assert_int_equal(incident_corr_observe(c, "pc-03", failed_login(&t, 2, "203.0.113.9"),
	    T0 + 60 * SEC, h), 1);
	assert_int_equal(h->kind, INCIDENT_CORR_SRC_IP);
	assert_string_equal(h->key, "203.0.113.9");
	assert_int_equal(h->nagents, 3);
	assert_true(has_agent(h, "pc-01") && has_agent(h, "pc-02") && has_agent(h, "pc-03"));
	/* Its events, to link: pc-01's two and one each of the others. */
	assert_int_equal(h->nevents, 4);
	assert_int_equal(h->first_us, T0);
	assert_int_equal(h->last_us, T0 + 60 * SEC);
	/* More failures from machines already counted: nothing new to say. */
	assert_int_equal(incident_corr_observe(c, "pc-02", failed_login(&t, 2, "203.0.113.9"),
	    T0 + 61 * SEC, h), 0);
	/* A fourth machine joins as pc-01 leaves the window: one more hit, the three within. */
	assert_int_equal(incident_corr_observe(c, "pc-04", failed_login(&t, 1, "203.0.113.9"),
	    T0 + 62 * SEC, h), 1);
	assert_int_equal(h->nagents, 3);
	assert_true(has_agent(h, "pc-04") && !has_agent(h, "pc-01"));
	assert_int_equal(incident_corr_count(c), 2);
	incident_corr_free(c);
	free(h);
}

static void
test_src_ip_window(void **state)
{
	struct incident_corr *c = corr(3, 60 * SEC);
	struct incident_corr_hit *h = calloc(1, sizeof(*h));
	struct tev t;

	(void)state;
	assert_non_null(h);
	assert_int_equal(incident_corr_observe(c, "pc-01", failed_login(&t, 1, "203.0.113.9"),
	    T0, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-02", failed_login(&t, 1, "203.0.113.9"),
	    T0 + 30 * SEC, h), 0);
	/* pc-01 was seen 61 s ago: out of the window, so only two machines count. */
	assert_int_equal(incident_corr_observe(c, "pc-03", failed_login(&t, 1, "203.0.113.9"),
	    T0 + 61 * SEC, h), 0);
	/* pc-01 again, inside the window of the others: three. */
	assert_int_equal(incident_corr_observe(c, "pc-01", failed_login(&t, 2, "203.0.113.9"),
	    T0 + 62 * SEC, h), 1);
	assert_int_equal(h->nagents, 3);
	/* Everything quiet for longer than the window: expire forgets the keys. */
	incident_corr_expire(c, T0 + 62 * SEC + 61 * SEC);
	assert_int_equal(incident_corr_count(c), 0);
	/* Below the threshold again, then above: a new hit (the store re-opens or joins). */
	assert_int_equal(incident_corr_observe(c, "pc-01", failed_login(&t, 3, "203.0.113.9"),
	    T0 + 200 * SEC, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-02", failed_login(&t, 3, "203.0.113.9"),
	    T0 + 201 * SEC, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-03", failed_login(&t, 3, "203.0.113.9"),
	    T0 + 202 * SEC, h), 1);
	incident_corr_free(c);
	free(h);
}

static void
test_usb_and_malware(void **state)
{
	struct incident_corr *c = corr(5, 600 * SEC);
	struct incident_corr_hit *h = calloc(1, sizeof(*h));
	struct tev t;

	(void)state;
	assert_non_null(h);
	assert_int_equal(incident_corr_observe(c, "pc-01", tev(&t, 1, CAT(USB), SEV(MEDIUM),
	    "usb.storage", "serial", "AA11", NULL, NULL), T0, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-01", tev(&t, 2, CAT(USB), SEV(MEDIUM),
	    "usb.storage", "serial", "AA11", NULL, NULL), T0 + SEC, h), 0);
	/* A second machine is enough for one stick (src_ip's 5 does not apply). */
	assert_int_equal(incident_corr_observe(c, "pc-02", tev(&t, 7, CAT(USB), SEV(MEDIUM),
	    "usb.storage", "serial", "AA11", NULL, NULL), T0 + 2 * SEC, h), 1);
	assert_int_equal(h->kind, INCIDENT_CORR_USB_SERIAL);
	assert_string_equal(h->key, "::AA11");
	assert_int_equal(h->nagents, 2);
	/* Another stick on another machine: its own key. */
	assert_int_equal(incident_corr_observe(c, "pc-03", tev(&t, 1, CAT(USB), SEV(MEDIUM),
	    "usb.storage", "serial", "BB22", NULL, NULL), T0 + 3 * SEC, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-01", tev(&t, 3, CAT(MALWARE), SEV(HIGH),
	    "malware.detected", "signature", "Eicar", NULL, NULL), T0 + 4 * SEC, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-03", tev(&t, 2, CAT(MALWARE), SEV(HIGH),
	    "malware.detected", "signature", "Other", NULL, NULL), T0 + 5 * SEC, h), 1);
	assert_int_equal(h->kind, INCIDENT_CORR_MALWARE);
	assert_true(has_agent(h, "pc-01") && has_agent(h, "pc-03"));
	incident_corr_free(c);
	free(h);
}

/* A resent batch offers the same events again: each is linked once, the newest kept. */
static void
test_seqs_kept(void **state)
{
	struct incident_corr *c = corr(2, 600 * SEC);
	struct incident_corr_hit *h = calloc(1, sizeof(*h));
	struct tev t;

	(void)state;
	assert_non_null(h);
	for (uint64_t s = 1; s <= 6; s++)
		assert_int_equal(incident_corr_observe(c, "pc-01", failed_login(&t, s, "192.0.2.1"),
		    T0 + (int64_t)s, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-01", failed_login(&t, 6, "192.0.2.1"),
	    T0 + 7, h), 0);
	assert_int_equal(incident_corr_observe(c, "pc-02", failed_login(&t, 9, "192.0.2.1"),
	    T0 + 8, h), 1);
	assert_int_equal(h->nevents, INCIDENT_CORR_SEQS + 1);
	assert_int_equal(h->ev_seq[0], 3);
	assert_int_equal(h->ev_seq[INCIDENT_CORR_SEQS - 1], 6);
	assert_string_equal(h->agents[h->ev_agent[INCIDENT_CORR_SEQS]], "pc-02");
	incident_corr_free(c);
	free(h);
}

static void
test_windows(void **state)
{
	(void)state;
	/* Re-open: within the window after resolution, never without one. */
	assert_true(incident_reopens(T0, T0 + 3600 * SEC, 3600 * SEC));
	assert_false(incident_reopens(T0, T0 + 3600 * SEC + 1, 3600 * SEC));
	assert_false(incident_reopens(0, T0, 3600 * SEC));
	assert_false(incident_reopens(T0, T0 + 1, 0));
	assert_false(incident_reopens(T0, T0 - 1, 3600 * SEC));
}

/* ---- silence, grouped per unit ------------------------------------------------------- */

static struct incident_silence_machine
machine(const char *agent, const char *unit, int silent, int64_t since)
{
	struct incident_silence_machine m;

	m.agent = (char *)(uintptr_t)agent;
	m.unit = (char *)(uintptr_t)unit;
	m.silent = silent;
	m.since_us = since;
	return m;
}

/*
 * One group per unit with silent machines, its silent machines together and
 * sorted; units with none make no group; the times span the group.
 */
static void
test_silence_groups(void **state)
{
	struct incident_silence_machine m[7];
	struct incident_silence_group g[7];
	size_t n;

	(void)state;
	m[0] = machine("pc-09", "phuong-7", 1, T0 + 30 * SEC);
	m[1] = machine("pc-02", "phuong-7", 0, 0);
	m[2] = machine("pc-01", "phuong-7", 1, T0 + 10 * SEC);
	m[3] = machine("ke-toan", "ubnd", 0, 0);
	m[4] = machine("pc-03", "phuong-7", 1, T0 + 20 * SEC);
	m[5] = machine("srv", "", 1, T0);
	m[6] = machine("van-thu", "ubnd", 0, 0);
	n = incident_silence_groups(m, 7, g, 7);
	assert_int_equal(n, 2);
	/* "" sorts first: the machines without a unit. */
	assert_string_equal(m[g[0].first].agent, "srv");
	assert_int_equal(g[0].n, 1);
	assert_string_equal(m[g[1].first].unit, "phuong-7");
	assert_int_equal(g[1].n, 3);
	assert_string_equal(m[g[1].first].agent, "pc-01");
	assert_string_equal(m[g[1].first + 1].agent, "pc-03");
	assert_string_equal(m[g[1].first + 2].agent, "pc-09");
	assert_string_equal(m[g[1].first + 3].agent, "pc-02");   /* not silent: after the group */
	assert_int_equal(g[1].first_since_us, T0 + 10 * SEC);
	assert_int_equal(g[1].last_since_us, T0 + 30 * SEC);

	/* Room for one group: the first one only. */
	assert_int_equal(incident_silence_groups(m, 7, g, 1), 1);
	assert_string_equal(m[g[0].first].agent, "srv");
	/* Nobody silent, nobody at all. */
	m[0] = machine("pc-01", "phuong-7", 0, 0);
	assert_int_equal(incident_silence_groups(m, 1, g, 7), 0);
	assert_int_equal(incident_silence_groups(NULL, 0, g, 7), 0);
}

/* An incident is over when none of its machines is silent now. */
static void
test_silence_over(void **state)
{
	struct incident_silence_machine m[3];
	const char *const linked[] = { "pc-01", "pc-02", "pc-03" };

	(void)state;
	m[0] = machine("pc-01", "phuong-7", 0, 0);
	m[1] = machine("pc-02", "phuong-7", 1, T0);
	m[2] = machine("pc-03", "phuong-7", 0, 0);
	assert_false(incident_silence_over(linked, 3, m, 3));
	m[1].silent = 0;
	assert_true(incident_silence_over(linked, 3, m, 3));
	/* A machine silent elsewhere, not linked: this incident is still over. */
	m[0] = machine("pc-99", "phuong-8", 1, T0);
	assert_true(incident_silence_over(linked, 3, m, 3));
	/* A linked machine no longer known (removed) is not silent. */
	assert_true(incident_silence_over(linked, 3, m, 0));
}

static void
test_silence_title(void **state)
{
	char t[128], k[64];

	(void)state;
	incident_silence_title(t, sizeof(t), "en", "phuong-7", 3);
	assert_string_equal(t, "3 machines of phuong-7 stopped reporting unexpectedly");
	incident_silence_title(t, sizeof(t), "en", "phuong-7", 1);
	assert_string_equal(t, "1 machine of phuong-7 stopped reporting unexpectedly");
	incident_silence_title(t, sizeof(t), "en", "", 2);
	assert_string_equal(t, "2 machines of no unit stopped reporting unexpectedly");
	/* in the collector's language (issue 16: no English title in a Vietnamese office) */
	incident_silence_title(t, sizeof(t), "vi", "phuong-7", 3);
	assert_string_equal(t, "3 máy của phuong-7 ngừng báo cáo bất thường");
	incident_silence_key(k, sizeof(k), "phuong-7");
	assert_string_equal(k, "silent-unit:phuong-7");
	/* A short buffer cuts, and stays terminated. */
	incident_silence_title(t, 6, "en", "phuong-7", 3);
	assert_string_equal(t, "3 mac");
}

/* ---- the store ------------------------------------------------------------------------ */

static int
setup(void **state)
{
	struct fixture *fx = fixture_new("incident");

	store_set_reopen_window(fx->st, 3600 * SEC);
	*state = fx;
	return 0;
}




/* One event of rule ssh.bruteforce (high) from agent, received at recv_us. */
static void
commit_high(struct store *st, const char *agent, uint64_t seq, int64_t recv_us)
{
	Vigil__V1__EventBatch b = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__Event *evp[1];
	struct store_batch sb;
	struct tev t;

	evp[0] = tev(&t, seq, CAT(ATTACK), SEV(HIGH), "ssh.bruteforce", "src_ip", "192.0.2.1",
	    NULL, NULL);
	b.events = evp;
	b.n_events = 1;
	memset(&sb, 0, sizeof(sb));
	sb.agent = agent;
	sb.batch = &b;
	sb.recv_us = recv_us;
	assert_int_equal(store_commit(st, &sb, 1), 0);
}

struct inc_copy {
	int64_t id;
	char status[32], resolution[32], assignee[64], kind[32];
	int64_t events, opened_us, acked_us, resolved_us;
	int n;
};

static int
inc_take(void *arg, const struct store_incident_row *r)
{
	struct inc_copy *c = arg;

	c->id = r->id;
	snprintf(c->status, sizeof(c->status), "%s", r->status);
	snprintf(c->resolution, sizeof(c->resolution), "%s", r->resolution);
	snprintf(c->assignee, sizeof(c->assignee), "%s", r->assignee);
	snprintf(c->kind, sizeof(c->kind), "%s", r->kind);
	c->events = r->events;
	c->opened_us = r->opened_us;
	c->acked_us = r->acked_us;
	c->resolved_us = r->resolved_us;
	c->n++;
	return 0;
}

static struct inc_copy
incident(struct store *st, int64_t id)
{
	struct inc_copy c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_incident_by_id(st, id, inc_take, &c), 0);
	return c;
}

static void
resolve(struct store *st, int64_t id, int64_t now_us)
{
	struct inc_copy cur = incident(st, id);
	struct store_incident_change ch;

	memset(&ch, 0, sizeof(ch));
	ch.id = id;
	ch.old_status = cur.status;
	ch.status = "resolved";
	ch.resolution = "true_positive";
	ch.assignee = "alice";
	ch.opened_us = cur.opened_us;
	ch.acked_us = now_us;
	ch.resolved_us = now_us;
	ch.audit = (struct store_audit_entry){ now_us, "alice", id, "resolve", "as true_positive" };
	assert_int_equal(store_incident_change(st, &ch), 0);
}

static void
test_reopen_window(void **state)
{
	struct fixture *fx = *state;
	struct inc_copy c;

	commit_high(fx->st, "pc-01", 1, T0);
	c = incident(fx->st, 1);
	assert_string_equal(c.status, "new");
	assert_string_equal(c.kind, "rule");
	assert_int_equal(c.opened_us, T0);
	resolve(fx->st, 1, T0 + 10 * SEC);
	assert_string_equal(incident(fx->st, 1).status, "resolved");
	/* Within the hour after the resolution: the same incident, new again. */
	commit_high(fx->st, "pc-01", 2, T0 + 10 * SEC + 3600 * SEC);
	c = incident(fx->st, 1);
	assert_string_equal(c.status, "new");
	assert_string_equal(c.resolution, "");
	assert_int_equal(c.resolved_us, 0);
	assert_int_equal(c.acked_us, 0);
	assert_int_equal(c.opened_us, T0 + 10 * SEC + 3600 * SEC);
	assert_int_equal(c.events, 2);
	assert_string_equal(c.assignee, "alice");
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM incidents"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM audit WHERE incident = 1 AND "
	    "action = 'reopen' AND actor = 'system'"), 1);
	/* Resolved again, and the next event comes a second too late: a new incident. */
	resolve(fx->st, 1, T0 + 5000 * SEC);
	commit_high(fx->st, "pc-01", 3, T0 + 5000 * SEC + 3600 * SEC + 1);
	assert_string_equal(incident(fx->st, 1).status, "resolved");
	c = incident(fx->st, 2);
	assert_string_equal(c.status, "new");
	assert_int_equal(c.events, 1);
	/* The operator's change is refused when the status moved meanwhile. */
	{
		struct store_incident_change ch;

		memset(&ch, 0, sizeof(ch));
		ch.id = 2;
		ch.old_status = "acknowledged";
		ch.status = "in_progress";
		ch.resolution = "";
		ch.assignee = "bob";
		ch.audit = (struct store_audit_entry){ T0, "bob", 2, "assign", "to bob" };
		assert_int_equal(store_incident_change(fx->st, &ch), VIGIL_ERR_PROTO);
		assert_string_equal(incident(fx->st, 2).status, "new");
	}
}

static void
test_made_incident(void **state)
{
	struct fixture *fx = *state;
	const char *agents[] = { "pc-01", "pc-02" };
	const char *ev_agents[] = { "pc-01", "pc-02", "pc-02" };
	const uint64_t seqs[] = { 1, 5, 99 };        /* 99 was never stored */
	struct store_made_incident mi;
	struct inc_copy c;

	commit_high(fx->st, "pc-01", 1, T0);
	commit_high(fx->st, "pc-02", 5, T0);
	memset(&mi, 0, sizeof(mi));
	mi.kind = "correlation";
	mi.dedup_key = "corr:src_ip:192.0.2.1";
	mi.agent = "pc-01";
	mi.rule = "correlate.src_ip";
	mi.title = "Failed logins from 192.0.2.1 on 2 machines";
	mi.category = CAT(ATTACK);
	mi.severity = SEV(HIGH);
	mi.time_us = T0;
	mi.now_us = T0 + SEC;
	mi.agents = agents;
	mi.nagents = 2;
	mi.ev_agents = ev_agents;
	mi.ev_seqs = seqs;
	mi.nevents = 3;
	assert_int_equal(store_incident_make(fx->st, &mi), 0);
	assert_int_equal(mi.opened, 1);
	c = incident(fx->st, mi.id);
	assert_string_equal(c.kind, "correlation");
	assert_int_equal(c.events, 2);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM incident_agents"), 2);
	/* Offered again with the same machines: joins, adds nothing twice. */
	assert_int_equal(store_incident_make(fx->st, &mi), 0);
	assert_int_equal(mi.opened, 0);
	assert_int_equal(incident(fx->st, mi.id).events, 2);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM incident_agents"), 2);
	/* Resolved, then the key again within the window: re-opened, not a new one. */
	resolve(fx->st, mi.id, T0 + 2 * SEC);
	mi.now_us = T0 + 3 * SEC;
	assert_int_equal(store_incident_make(fx->st, &mi), 0);
	assert_int_equal(mi.opened, 1);
	assert_string_equal(incident(fx->st, mi.id).status, "new");
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM incidents WHERE kind = "
	    "'correlation'"), 1);
}

struct verify {
	struct audit_verifier v;
	int64_t n;
};

static int
verify_one(void *arg, const struct audit_record *r)
{
	struct verify *vr = arg;

	vr->n++;
	return audit_verify_next(&vr->v, r) != 0;
}

static struct verify
verify(struct store *st)
{
	struct verify vr;

	memset(&vr, 0, sizeof(vr));
	audit_verify_init(&vr.v);
	assert_true(store_audit_walk(st, 0, verify_one, &vr) >= 0);
	return vr;
}

static void
test_audit_chain(void **state)
{
	struct fixture *fx = *state;
	struct verify vr;

	commit_high(fx->st, "pc-01", 1, T0);
	resolve(fx->st, 1, T0 + SEC);
	assert_int_equal(store_audit_append(fx->st, &(struct store_audit_entry){ T0 + 2 * SEC,
	    "bob", 1, "note", "called the IT officer" }), 0);
	vr = verify(fx->st);
	assert_int_equal(vr.v.fault.kind, AUDIT_OK);
	assert_int_equal(vr.v.count, 3);
	/* Someone edits the resolution's detail with sqlite3: verify names record 2. */
	raw_sql(fx->path, "UPDATE audit SET detail = 'as benign' WHERE id = 2");
	vr = verify(fx->st);
	assert_int_equal(vr.v.fault.kind, AUDIT_EDITED);
	assert_int_equal(vr.v.fault.id, 2);
	raw_sql(fx->path, "UPDATE audit SET detail = 'as true_positive' WHERE id = 2");
	assert_int_equal(verify(fx->st).v.fault.kind, AUDIT_OK);
	/* Or deletes it: the gap is named. */
	raw_sql(fx->path, "DELETE FROM audit WHERE id = 2");
	vr = verify(fx->st);
	assert_int_equal(vr.v.fault.kind, AUDIT_GAP);
	assert_int_equal(vr.v.fault.id, 3);
}

struct outbox_seen {
	int rows, attempts;
	char status[16];
	int64_t last_attempt_next;
};

static int
ob_row(void *arg, const struct store_outbox_row *o)
{
	struct outbox_seen *s = arg;

	s->rows++;
	snprintf(s->status, sizeof(s->status), "%s", o->status);
	return 0;
}

static int
ob_attempt(void *arg, const struct store_attempt *a)
{
	struct outbox_seen *s = arg;

	s->attempts++;
	s->last_attempt_next = a->next_us;
	return 0;
}

static int
esc_count(void *arg, const struct store_incident_row *inc, const char *text)
{
	(void)inc;
	assert_string_equal(text, "v1 state text");
	(*(int *)arg)++;
	return 0;
}

static int
missing_count(void *arg, const struct store_incident_row *inc)
{
	(void)inc;
	(*(int *)arg)++;
	return 0;
}

static void
test_outbox(void **state)
{
	struct fixture *fx = *state;
	struct store_esc_state es = { 1, "v1 state text", 1 };
	const int64_t ids[] = { 1 };
	struct store_outbox_row row;
	struct store_audit_entry au = { T0, "system", 1, "notify", "level 1 to it-officer" };
	struct store_attempt at;
	struct outbox_seen seen;
	int n = 0;

	commit_high(fx->st, "pc-01", 1, T0);
	assert_int_equal(store_escalation_missing(fx->st, missing_count, &n), 0);
	assert_int_equal(n, 1);
	memset(&row, 0, sizeof(row));
	row.incident_id = 1;
	row.created_us = row.due_us = T0;
	row.route = "default";
	row.contact = "it-officer";
	row.contact_name = "Cán bộ CNTT";
	row.language = "vi";
	row.channel = "email";
	row.target = "it@unit.example";
	row.level = 1;
	row.ids = ids;
	row.nids = 1;
	assert_int_equal(store_escalation_save(fx->st, &es, 1, &row, 1, &au, 1), 0);
	assert_true(row.id > 0);
	n = 0;
	assert_int_equal(store_escalation_missing(fx->st, missing_count, &n), 0);
	assert_int_equal(n, 0);
	n = 0;
	assert_int_equal(store_escalation_states(fx->st, esc_count, &n), 0);
	assert_int_equal(n, 1);
	/* A failed attempt leaves it pending with its next time; the second delivers it. */
	memset(&at, 0, sizeof(at));
	at.outbox_id = row.id;
	at.attempt = 1;
	at.started_us = at.finished_us = T0;
	at.failure = "connect";
	at.error = "Connection refused.";
	at.next_us = T0 + 30 * SEC;
	assert_int_equal(store_outbox_attempt(fx->st, &at), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_outbox_pending(fx->st, ob_row, &seen), 0);
	assert_int_equal(seen.rows, 1);
	assert_int_equal(raw_int(fx->path, "SELECT attempts FROM outbox"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT next_us FROM outbox"), T0 + 30 * SEC);
	at.attempt = 2;
	at.ok = 1;
	at.final = 1;
	at.failure = "";
	at.error = "";
	assert_int_equal(store_outbox_attempt(fx->st, &at), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(store_outbox_pending(fx->st, ob_row, &seen), 0);
	assert_int_equal(seen.rows, 0);
	assert_int_equal(store_incident_notifications(fx->st, 1, ob_row, ob_attempt, &seen), 0);
	assert_int_equal(seen.rows, 1);
	assert_string_equal(seen.status, "sent");
	assert_int_equal(seen.attempts, 2);
	assert_int_equal(seen.last_attempt_next, 0);
	/* A state is never re-created by an update once the row is gone (re-opened). */
	raw_sql(fx->path, "DELETE FROM escalation_state");
	es.insert = 0;
	assert_int_equal(store_escalation_save(fx->st, &es, 1, NULL, 0, NULL, 0), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM escalation_state"), 0);
	assert_int_equal(verify(fx->st).v.fault.kind, AUDIT_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_src_ip_threshold),
		cmocka_unit_test(test_src_ip_window),
		cmocka_unit_test(test_usb_and_malware),
		cmocka_unit_test(test_seqs_kept),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_silence_groups),
		cmocka_unit_test(test_silence_over),
		cmocka_unit_test(test_silence_title),
		cmocka_unit_test_setup_teardown(test_reopen_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_made_incident, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
