/*
 * The collector's store on real SQLite files in a temporary directory:
 * migrations, group commit (exactly once, all or nothing), incidents,
 * queries and hostile text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "vigil/json.h"
#include "../../collector/store.h"
#include "../../collector/store_budget.h"
#include "store_fixture.h"

#define SEV_LOW VIGIL__V1__SEVERITY__SEVERITY_LOW
#define SEV_MEDIUM VIGIL__V1__SEVERITY__SEVERITY_MEDIUM
#define SEV_HIGH VIGIL__V1__SEVERITY__SEVERITY_HIGH
#define CAT_AUTH VIGIL__V1__CATEGORY__CATEGORY_AUTH
#define CAT_USB VIGIL__V1__CATEGORY__CATEGORY_USB

#define T0 1700000000000000LL   /* a fixed time in microseconds */

/* A batch under construction; the events and their strings live here. */
#define MAX_EVENTS 600
struct tbatch {
	Vigil__V1__EventBatch batch;
	Vigil__V1__Event ev[MAX_EVENTS];
	Vigil__V1__Event *evp[MAX_EVENTS];
};

/* The schema version the store migrates to; raise it with each migration. */
#define SCHEMA_LATEST 13

static void
tbatch_init(struct tbatch *tb)
{
	memset(tb, 0, sizeof(*tb));
	vigil__v1__event_batch__init(&tb->batch);
	tb->batch.events = tb->evp;
}

static Vigil__V1__Event *
tbatch_add(struct tbatch *tb, uint64_t seq, int64_t time_us, int category, int severity,
    char *rule, char *summary)
{
	Vigil__V1__Event *ev;

	assert_true(tb->batch.n_events < MAX_EVENTS);
	ev = &tb->ev[tb->batch.n_events];
	vigil__v1__event__init(ev);
	ev->seq = seq;
	ev->time_us = time_us;
	ev->source = (char *)"/var/log/auth.log";
	ev->category = (Vigil__V1__Category)category;
	ev->severity = (Vigil__V1__Severity)severity;
	ev->rule = rule;
	ev->summary = summary;
	ev->raw = (char *)"raw line";
	tb->evp[tb->batch.n_events++] = ev;
	return ev;
}

static int
commit_one(struct store *st, const char *agent, struct tbatch *tb, struct store_batch *out)
{
	memset(out, 0, sizeof(*out));
	out->agent = agent;
	out->batch = &tb->batch;
	out->recv_us = T0 + 999;
	return store_commit(st, out, 1);
}

static int
setup(void **state)
{
	struct fixture *fx = fixture_new("store");

	*state = fx;
	return 0;
}




static struct store_counts
counts(struct store *st)
{
	struct store_counts c;

	assert_int_equal(store_counts(st, &c), 0);
	return c;
}

/* ---- collecting query results ---------------------------------------------- */

#define MAX_ROWS 64
struct rows {
	size_t n;
	uint64_t seq[MAX_ROWS];
	int64_t id[MAX_ROWS];
	char agent[MAX_ROWS][64];
	char summary[MAX_ROWS][256];
	char fields[MAX_ROWS][512];
	struct store_incident_row inc[MAX_ROWS];
	char inc_status[MAX_ROWS][32];
	char inc_title[MAX_ROWS][256];
	size_t ninc;
	int stop_after;
};

static int
collect_event(void *arg, const struct store_event_row *r)
{
	struct rows *rs = arg;

	assert_true(rs->n < MAX_ROWS);
	rs->seq[rs->n] = r->seq;
	rs->id[rs->n] = r->id;
	snprintf(rs->agent[rs->n], sizeof(rs->agent[0]), "%s", r->agent);
	snprintf(rs->summary[rs->n], sizeof(rs->summary[0]), "%s", r->summary);
	snprintf(rs->fields[rs->n], sizeof(rs->fields[0]), "%s", r->fields_json);
	rs->n++;
	return rs->stop_after > 0 && (int)rs->n >= rs->stop_after ? 7 : 0;
}

static int
collect_incident(void *arg, const struct store_incident_row *r)
{
	struct rows *rs = arg;

	assert_true(rs->ninc < MAX_ROWS);
	rs->inc[rs->ninc] = *r;
	snprintf(rs->inc_status[rs->ninc], sizeof(rs->inc_status[0]), "%s", r->status);
	snprintf(rs->inc_title[rs->ninc], sizeof(rs->inc_title[0]), "%s", r->title);
	rs->inc[rs->ninc].agent = rs->inc[rs->ninc].rule = NULL;   /* not valid after the call */
	rs->inc[rs->ninc].status = rs->inc[rs->ninc].title = NULL;
	rs->ninc++;
	return 0;
}

static struct rows *
query(struct store *st, const struct store_event_filter *f)
{
	struct rows *rs = calloc(1, sizeof(*rs));

	assert_non_null(rs);
	assert_int_equal(store_query_events(st, f, collect_event, rs), 0);
	return rs;
}

static struct store_event_filter
nofilter(void)
{
	struct store_event_filter f = { 0, 0, NULL, -1, -1, 0, NULL, NULL, NULL, 0 };

	return f;
}

/* ---- schema ------------------------------------------------------------------ */

static void
test_migrate_and_reopen(void **state)
{
	struct fixture *fx = *state;
	struct tbatch tb;
	struct store_batch sb;
	char err[256] = "";
	uint64_t seq;

	assert_int_equal(store_schema_version(fx->st), SCHEMA_LATEST);
	tbatch_init(&tb);
	tbatch_add(&tb, 1, T0, CAT_AUTH, SEV_LOW, "ssh", "one");
	tbatch_add(&tb, 2, T0 + 1, CAT_AUTH, SEV_MEDIUM, "ssh", "two");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);
	store_free(fx->st);

	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), SCHEMA_LATEST);

	fx->st = store_open(fx->path, err, sizeof(err));
	assert_non_null(fx->st);
	assert_int_equal(store_schema_version(fx->st), SCHEMA_LATEST);
	assert_int_equal(counts(fx->st).events, 2);
	assert_int_equal(counts(fx->st).agents, 1);
	assert_int_equal(counts(fx->st).incidents_open, 1);
	assert_int_equal(store_agent_last_seq(fx->st, "pc-01", &seq), 0);
	assert_int_equal(seq, 2);
}

static void
test_wal_mode(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
test_newer_version_refused(void **state)
{
	struct fixture *fx = *state;
	char err[256] = "";

	store_free(fx->st);
	fx->st = NULL;
	raw_sql(fx->path, "PRAGMA user_version = 99");
	fx->st = store_open(fx->path, err, sizeof(err));
	assert_null(fx->st);
	assert_non_null(strstr(err, "99"));
	assert_non_null(strstr(err, "newer"));
	/* The file is left as it was. */
	assert_int_equal(raw_int(fx->path, "PRAGMA user_version"), 99);
}

static void
test_open_bad_path(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(store_open("/nonexistent-dir/x/collector.db", err, sizeof(err)));
	assert_true(strlen(err) > 0);
	assert_null(store_open("", err, sizeof(err)));
	store_free(NULL);
}

/* ---- group commit -------------------------------------------------------------- */

static void
test_commit_and_duplicates(void **state)
{
	struct fixture *fx = *state;
	struct tbatch a, b, dup;
	struct store_batch sb[3];
	uint64_t seq;

	tbatch_init(&a);
	for (uint64_t i = 1; i <= 5; i++)
		tbatch_add(&a, i, T0 + (int64_t)i, CAT_AUTH, SEV_LOW, "ssh", "a");
	tbatch_init(&b);
	for (uint64_t i = 1; i <= 3; i++)
		tbatch_add(&b, i, T0 + (int64_t)i, CAT_AUTH, SEV_LOW, "ssh", "b");

	/* Two agents in one group commit. */
	memset(sb, 0, sizeof(sb));
	sb[0].agent = "pc-01";
	sb[0].batch = &a.batch;
	sb[1].agent = "pc-02";
	sb[1].batch = &b.batch;
	assert_int_equal(store_commit(fx->st, sb, 2), 0);
	assert_int_equal(sb[0].up_to, 5);
	assert_int_equal(sb[0].inserted, 5);
	assert_int_equal(sb[1].up_to, 3);
	assert_int_equal(sb[1].inserted, 3);

	/* A resend overlapping what is stored: only the new ones count. */
	tbatch_init(&dup);
	for (uint64_t i = 3; i <= 7; i++)
		tbatch_add(&dup, i, T0 + (int64_t)i, CAT_AUTH, SEV_LOW, "ssh", "dup");
	assert_int_equal(commit_one(fx->st, "pc-01", &dup, &sb[0]), 0);
	assert_int_equal(sb[0].up_to, 7);
	assert_int_equal(sb[0].inserted, 2);

	/* A pure resend is still acknowledged, and last_seq does not go back. */
	assert_int_equal(commit_one(fx->st, "pc-01", &a, &sb[0]), 0);
	assert_int_equal(sb[0].up_to, 5);
	assert_int_equal(sb[0].inserted, 0);
	assert_int_equal(store_agent_last_seq(fx->st, "pc-01", &seq), 0);
	assert_int_equal(seq, 7);
	assert_int_equal(store_agent_last_seq(fx->st, "pc-02", &seq), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(store_agent_last_seq(fx->st, "nobody", &seq), 0);
	assert_int_equal(seq, 0);

	assert_int_equal(counts(fx->st).events, 10);
	assert_int_equal(counts(fx->st).agents, 2);
	/* The first copy of a duplicate is the one kept. */
	struct store_event_filter f = nofilter();
	f.agent = "pc-01";
	struct rows *rs = query(fx->st, &f);
	assert_int_equal(rs->n, 7);
	assert_string_equal(rs->summary[2], "a");
	assert_string_equal(rs->summary[5], "dup");
	free(rs);

	/* An empty commit is harmless. */
	assert_int_equal(store_commit(fx->st, NULL, 0), 0);
}

/*
 * One bad item never blocks a commit for everybody else: it is undone alone,
 * refused with SQLite's reason, and so is what its agent sent after it in the
 * same commit (storing that would move last_seq past the hole).
 */
static void
test_bad_item_isolated(void **state)
{
	struct fixture *fx = *state;
	struct tbatch good, bad, later, other;
	struct store_batch sb[4];
	uint64_t seq;

	tbatch_init(&good);
	tbatch_add(&good, 1, T0, CAT_AUTH, SEV_HIGH, "ssh", "good");
	tbatch_add(&good, 2, T0 + 1, CAT_AUTH, SEV_LOW, "ssh", "good");
	tbatch_init(&bad);
	tbatch_add(&bad, 1, T0, CAT_USB, SEV_HIGH, "usb", "fine");
	tbatch_add(&bad, 2, T0 + 1, 99, SEV_LOW, "usb", "category out of range");
	tbatch_init(&later);
	tbatch_add(&later, 3, T0 + 2, CAT_USB, SEV_LOW, "usb", "after the bad one");
	tbatch_init(&other);
	tbatch_add(&other, 7, T0 + 3, CAT_AUTH, SEV_LOW, "ssh", "another agent");

	memset(sb, 0, sizeof(sb));
	sb[0].agent = "pc-01";
	sb[0].batch = &good.batch;
	sb[1].agent = "pc-02";
	sb[1].batch = &bad.batch;
	sb[2].agent = "pc-02";
	sb[2].batch = &later.batch;
	sb[3].agent = "pc-03";
	sb[3].batch = &other.batch;
	assert_int_equal(store_commit(fx->st, sb, 4), 0);
	assert_int_equal(sb[0].refused, 0);
	assert_int_equal(sb[0].up_to, 2);
	assert_int_equal(sb[0].inserted, 2);
	assert_int_equal(sb[1].refused, VIGIL_ERR_DB);
	/* SQLite's own sentence says why, for the log and the agent. */
	assert_non_null(strstr(sb[1].why, "CHECK constraint failed"));
	assert_int_equal(sb[1].up_to, 0);
	assert_int_equal(sb[1].inserted, 0);
	assert_int_equal(sb[2].refused, VIGIL_ERR_ORDER);
	assert_string_equal(sb[2].why, "an earlier batch of this agent was refused");
	assert_int_equal(sb[2].up_to, 0);
	assert_int_equal(sb[3].refused, 0);
	assert_int_equal(sb[3].up_to, 7);
	/* Nothing of the refused batch was kept, not even its good first event. */
	assert_int_equal(counts(fx->st).events, 3);
	assert_int_equal(store_agent_last_seq(fx->st, "pc-02", &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(store_agent_last_seq(fx->st, "pc-01", &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(counts(fx->st).incidents_open, 1);

	/* A bad severity is refused the same way. */
	bad.ev[1].category = CAT_USB;
	bad.ev[1].severity = (Vigil__V1__Severity)6;
	assert_int_equal(commit_one(fx->st, "pc-02", &bad, &sb[1]), 0);
	assert_int_equal(sb[1].refused, VIGIL_ERR_DB);
	assert_int_equal(counts(fx->st).events, 3);

	/* A seq no store can keep, should one pass the wire checks. */
	tbatch_init(&bad);
	tbatch_add(&bad, (uint64_t)INT64_MAX + 1, T0, CAT_AUTH, SEV_LOW, "ssh", "poison");
	assert_int_equal(commit_one(fx->st, "pc-04", &bad, &sb[1]), 0);
	assert_int_equal(sb[1].refused, VIGIL_ERR_RANGE);

	/* Bad arguments are the caller's mistake: the whole commit is refused. */
	sb[0].agent = NULL;
	assert_int_equal(store_commit(fx->st, sb, 1), VIGIL_ERR_INVAL);
	assert_int_equal(counts(fx->st).events, 3);
}

/* ---- incidents ------------------------------------------------------------------ */

static void
test_incidents(void **state)
{
	struct fixture *fx = *state;
	struct tbatch tb;
	struct store_batch sb;
	struct rows *rs = calloc(1, sizeof(*rs));

	assert_non_null(rs);
	tbatch_init(&tb);
	tbatch_add(&tb, 1, T0 + 10, CAT_AUTH, SEV_MEDIUM, "ssh-fail", "SSH failures from 10.0.0.9");
	tbatch_add(&tb, 2, T0 + 20, CAT_AUTH, SEV_LOW, "ssh-fail", "low: joins nothing");
	tbatch_add(&tb, 3, T0 + 30, CAT_AUTH, SEV_HIGH, "ssh-fail", "second");
	tbatch_add(&tb, 4, T0 + 5, CAT_USB, SEV_MEDIUM, "usb-new", "USB stick");
	tbatch_add(&tb, 5, T0 + 40, CAT_AUTH, SEV_LOW, "sudo", "low only");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);
	/* The same rule on another agent is another incident. */
	assert_int_equal(commit_one(fx->st, "pc-02", &tb, &sb), 0);
	/* A resend neither counts twice nor links twice. */
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);
	assert_int_equal(sb.inserted, 0);

	assert_int_equal(counts(fx->st).incidents_open, 4);
	assert_int_equal(store_query_incidents(fx->st, 1, collect_incident, rs), 0);
	assert_int_equal(rs->ninc, 4);
	/* Severity desc, then oldest first: the two ssh-fail (high, raised from medium) first. */
	assert_int_equal(rs->inc[0].severity, SEV_HIGH);
	assert_int_equal(rs->inc[0].events, 2);
	assert_int_equal(rs->inc[0].first_us, T0 + 10);
	assert_int_equal(rs->inc[0].last_us, T0 + 30);
	assert_int_equal(rs->inc[0].category, CAT_AUTH);
	assert_string_equal(rs->inc_status[0], "new");
	assert_string_equal(rs->inc_title[0], "SSH failures from 10.0.0.9");
	assert_int_equal(rs->inc[1].severity, SEV_HIGH);
	assert_int_equal(rs->inc[2].severity, SEV_MEDIUM);
	assert_int_equal(rs->inc[2].events, 1);
	assert_string_equal(rs->inc_title[2], "USB stick");

	/* One incident, then its events oldest first. */
	int64_t id = rs->inc[0].id;
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(store_get_incident(fx->st, id, collect_incident, collect_event, rs), 0);
	assert_int_equal(rs->ninc, 1);
	assert_int_equal(rs->inc[0].id, id);
	assert_int_equal(rs->n, 2);
	assert_int_equal(rs->seq[0], 1);
	assert_int_equal(rs->seq[1], 3);
	assert_int_equal(store_get_incident(fx->st, 12345, collect_incident, collect_event, rs),
	    VIGIL_ERR_NOTFOUND);

	/* Once resolved, the next event opens a new incident for the same (agent, rule). */
	char sql[128];
	snprintf(sql, sizeof(sql), "UPDATE incidents SET status = 'resolved' WHERE id = %lld",
	    (long long)id);
	raw_sql(fx->path, sql);
	assert_int_equal(counts(fx->st).incidents_open, 3);
	tbatch_init(&tb);
	tbatch_add(&tb, 10, T0 + 100, CAT_AUTH, SEV_MEDIUM, "ssh-fail", "again");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);
	assert_int_equal(counts(fx->st).incidents_open, 4);
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(store_query_incidents(fx->st, 0, collect_incident, rs), 0);
	assert_int_equal(rs->ninc, 5);
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(store_get_incident(fx->st, id, collect_incident, collect_event, rs), 0);
	assert_int_equal(rs->inc[0].events, 2);
	assert_string_equal(rs->inc_status[0], "resolved");
	free(rs);
}

static void
test_incident_single_rule(void **state)
{
	struct fixture *fx = *state;
	struct tbatch tb;
	struct store_batch sb;

	/* Low severity alone never opens an incident. */
	tbatch_init(&tb);
	tbatch_add(&tb, 1, T0, CAT_AUTH, SEV_LOW, "r", "low");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);
	assert_int_equal(counts(fx->st).incidents_open, 0);

	/* Two medium events of one (agent, rule), in separate commits: one incident. */
	tbatch_init(&tb);
	tbatch_add(&tb, 2, T0 + 1, CAT_AUTH, SEV_MEDIUM, "r", "m1");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);
	tbatch_init(&tb);
	tbatch_add(&tb, 3, T0 + 2, CAT_AUTH, SEV_MEDIUM, "r", "m2");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);
	assert_int_equal(counts(fx->st).incidents_open, 1);

	/* A different rule: a second incident. */
	tbatch_init(&tb);
	tbatch_add(&tb, 4, T0 + 3, CAT_AUTH, SEV_MEDIUM, "other", "o");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);
	assert_int_equal(counts(fx->st).incidents_open, 2);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM incident_events"), 3);
}

/* ---- queries --------------------------------------------------------------------- */

static void
fill_for_filters(struct store *st)
{
	struct tbatch tb;
	struct store_batch sb;

	/* pc-01: seq 1..10 at T0+i*100; category auth for odd, usb for even; severity i%5+1. */
	tbatch_init(&tb);
	for (int i = 1; i <= 10; i++)
		tbatch_add(&tb, (uint64_t)i, T0 + i * 100, i % 2 ? CAT_AUTH : CAT_USB, i % 5 + 1,
		    "r", "pc-01");
	assert_int_equal(commit_one(st, "pc-01", &tb, &sb), 0);
	/* pc-02: seq 1..5 at T0+i*100+50. */
	tbatch_init(&tb);
	for (int i = 1; i <= 5; i++)
		tbatch_add(&tb, (uint64_t)i, T0 + i * 100 + 50, CAT_AUTH, SEV_LOW, "r", "pc-02");
	assert_int_equal(commit_one(st, "pc-02", &tb, &sb), 0);
}

static void
test_query_filters(void **state)
{
	struct fixture *fx = *state;
	struct store_event_filter f;
	struct rows *rs;

	fill_for_filters(fx->st);

	f = nofilter();
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 15);
	/* Oldest first overall. */
	assert_string_equal(rs->agent[0], "pc-01");
	assert_int_equal(rs->seq[0], 1);
	assert_string_equal(rs->agent[1], "pc-02");
	assert_string_equal(rs->agent[14], "pc-01");
	assert_int_equal(rs->seq[14], 10);
	free(rs);
	rs = query(fx->st, NULL);
	assert_int_equal(rs->n, 15);
	free(rs);

	/* since: inclusive. */
	f = nofilter();
	f.since_us = T0 + 800;
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 3);      /* pc-01 seq 8, 9, 10 */
	assert_int_equal(rs->seq[0], 8);
	free(rs);

	/* until: exclusive. */
	f = nofilter();
	f.until_us = T0 + 200;
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 2);      /* pc-01 seq 1, pc-02 seq 1 */
	free(rs);

	f = nofilter();
	f.agent = "pc-02";
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 5);
	for (size_t i = 0; i < rs->n; i++)
		assert_string_equal(rs->agent[i], "pc-02");
	free(rs);

	f = nofilter();
	f.agent = "nobody";
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 0);
	free(rs);

	f = nofilter();
	f.category = CAT_USB;
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 5);      /* pc-01 even seqs */
	for (size_t i = 0; i < rs->n; i++)
		assert_int_equal(rs->seq[i] % 2, 0);
	free(rs);

	/* severity i%5+1 >= high(4): i%5 in {3, 4} -> seq 3, 4, 8, 9. */
	f = nofilter();
	f.min_severity = SEV_HIGH;
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 4);
	assert_int_equal(rs->seq[0], 3);
	assert_int_equal(rs->seq[3], 9);
	free(rs);

	/* limit: the newest rows, oldest first. */
	f = nofilter();
	f.limit = 3;
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 3);
	assert_string_equal(rs->agent[0], "pc-01");
	assert_int_equal(rs->seq[0], 8);
	assert_int_equal(rs->seq[1], 9);
	assert_int_equal(rs->seq[2], 10);
	free(rs);

	/* Filters combine. */
	f = nofilter();
	f.agent = "pc-01";
	f.category = CAT_AUTH;
	f.since_us = T0 + 300;
	f.until_us = T0 + 900;
	f.limit = 2;
	rs = query(fx->st, &f);
	assert_int_equal(rs->n, 2);      /* odd seqs 3, 5, 7 in range; newest two */
	assert_int_equal(rs->seq[0], 5);
	assert_int_equal(rs->seq[1], 7);
	free(rs);

	/* A non-zero return from the callback stops the walk and is returned. */
	rs = calloc(1, sizeof(*rs));
	assert_non_null(rs);
	rs->stop_after = 2;
	assert_int_equal(store_query_events(fx->st, NULL, collect_event, rs), 7);
	assert_int_equal(rs->n, 2);
	free(rs);
	/* The statement was reset: the next query starts afresh. */
	rs = query(fx->st, NULL);
	assert_int_equal(rs->n, 15);
	free(rs);
}

/* ---- agents --------------------------------------------------------------------- */

struct agent_rows {
	size_t n;
	char agent[4][64], hostname[4][300], unit[4][160], version[4][80], os[4][160],
	    address[4][64];
	int64_t first_us[4], last_us[4];
	uint64_t last_seq[4];
	int64_t off_us[4];
	int off_reason[4];
	char off_detail[4][300];
};

static int
collect_agent(void *arg, const struct store_agent_row *r)
{
	struct agent_rows *a = arg;

	assert_true(a->n < 4);
	snprintf(a->agent[a->n], sizeof(a->agent[0]), "%s", r->agent);
	snprintf(a->hostname[a->n], sizeof(a->hostname[0]), "%s", r->hostname);
	snprintf(a->unit[a->n], sizeof(a->unit[0]), "%s", r->unit);
	snprintf(a->version[a->n], sizeof(a->version[0]), "%s", r->version);
	snprintf(a->os[a->n], sizeof(a->os[0]), "%s", r->os);
	snprintf(a->address[a->n], sizeof(a->address[0]), "%s", r->address);
	a->first_us[a->n] = r->first_us;
	a->last_us[a->n] = r->last_us;
	a->last_seq[a->n] = r->last_seq;
	a->off_us[a->n] = r->off_us;
	a->off_reason[a->n] = r->off_reason;
	snprintf(a->off_detail[a->n], sizeof(a->off_detail[0]), "%s", r->off_detail);
	a->n++;
	return 0;
}

static void
test_agents(void **state)
{
	struct fixture *fx = *state;
	Vigil__V1__Hello h = VIGIL__V1__HELLO__INIT;
	struct agent_rows a;
	struct tbatch tb;
	struct store_batch sb;

	h.proto_major = 1;
	h.agent_version = (char *)"0.1.0";
	h.hostname = (char *)"ke-toan-01";
	h.os = (char *)"Debian 12";
	h.unit = (char *)"UBND phường Bến Nghé";
	assert_int_equal(store_agent_hello(fx->st, "pc-01", &h, "10.0.0.5", T0), 0);
	h.agent_version = (char *)"0.1.1";
	assert_int_equal(store_agent_hello(fx->st, "pc-01", &h, "10.0.0.6", T0 + 10), 0);
	assert_int_equal(store_agent_seen(fx->st, "pc-01", T0 + 20), 0);
	/* Seen before any hello (or events before a hello) still makes a row. */
	assert_int_equal(store_agent_seen(fx->st, "pc-00", T0 + 30), 0);
	tbatch_init(&tb);
	tbatch_add(&tb, 4, T0, CAT_AUTH, SEV_LOW, "r", "x");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);

	memset(&a, 0, sizeof(a));
	assert_int_equal(store_query_agents(fx->st, collect_agent, &a), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.agent[0], "pc-00");
	assert_string_equal(a.hostname[0], "");
	assert_int_equal(a.first_us[0], T0 + 30);
	assert_string_equal(a.agent[1], "pc-01");
	assert_string_equal(a.hostname[1], "ke-toan-01");
	assert_string_equal(a.unit[1], "UBND phường Bến Nghé");
	assert_string_equal(a.version[1], "0.1.1");
	assert_string_equal(a.os[1], "Debian 12");
	assert_string_equal(a.address[1], "10.0.0.6");
	assert_int_equal(a.first_us[1], T0);          /* kept */
	assert_int_equal(a.last_us[1], T0 + 999);     /* the commit's receive time */
	assert_int_equal(a.last_seq[1], 4);

	assert_int_equal(store_agent_hello(fx->st, NULL, &h, "x", T0), VIGIL_ERR_INVAL);
	assert_int_equal(counts(fx->st).agents, 2);
}

/*
 * The collector's writer stores Hellos and last-seen times as items of the
 * group commit, in order with the batches; last_seen never moves back.
 */
static void
test_agent_items(void **state)
{
	struct fixture *fx = *state;
	Vigil__V1__Hello h = VIGIL__V1__HELLO__INIT;
	struct agent_rows a;
	struct tbatch tb;
	struct store_batch sb[5];

	h.proto_major = 1;
	h.agent_version = (char *)"0.2.0";
	h.hostname = (char *)"pc-01.local";
	h.os = (char *)"Debian 12";
	h.unit = (char *)"unit";
	tbatch_init(&tb);
	tbatch_add(&tb, 1, T0, CAT_AUTH, SEV_LOW, "r", "x");
	tbatch_add(&tb, 2, T0 + 1, CAT_AUTH, SEV_LOW, "r", "y");
	memset(sb, 0, sizeof(sb));
	sb[0].kind = STORE_HELLO;
	sb[0].agent = "pc-01";
	sb[0].hello = &h;
	sb[0].address = "10.0.0.7:4000";
	sb[0].recv_us = T0 + 100;
	sb[1].kind = STORE_EVENTS;
	sb[1].agent = "pc-01";
	sb[1].batch = &tb.batch;
	sb[1].recv_us = T0 + 200;
	sb[2].kind = STORE_SEEN;
	sb[2].agent = "pc-01";
	sb[2].recv_us = T0 + 300;
	sb[3].kind = STORE_SEEN;         /* older: last_seen stays */
	sb[3].agent = "pc-01";
	sb[3].recv_us = T0 + 50;
	sb[4].kind = STORE_SEEN;         /* a row even without a Hello */
	sb[4].agent = "pc-02";
	sb[4].recv_us = T0 + 400;
	assert_int_equal(store_commit(fx->st, sb, 5), 0);
	assert_int_equal(sb[1].up_to, 2);
	assert_int_equal(sb[1].inserted, 2);
	assert_int_equal(sb[0].inserted, 0);

	memset(&a, 0, sizeof(a));
	assert_int_equal(store_query_agents(fx->st, collect_agent, &a), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.agent[0], "pc-01");
	assert_string_equal(a.hostname[0], "pc-01.local");
	assert_string_equal(a.version[0], "0.2.0");
	assert_string_equal(a.address[0], "10.0.0.7:4000");
	assert_int_equal(a.first_us[0], T0 + 100);
	assert_int_equal(a.last_us[0], T0 + 300);
	assert_int_equal(a.last_seq[0], 2);
	assert_string_equal(a.agent[1], "pc-02");
	assert_int_equal(a.last_us[1], T0 + 400);

	/* A Hello item without its Hello is refused, and rolls the commit back. */
	sb[0].hello = NULL;
	assert_int_equal(store_commit(fx->st, sb, 1), VIGIL_ERR_INVAL);
	sb[0].kind = (enum store_item_kind)42;
	sb[0].hello = &h;
	assert_int_equal(store_commit(fx->st, sb, 1), VIGIL_ERR_INVAL);
	assert_int_equal(counts(fx->st).agents, 2);
}

/*
 * Goodbye: the agent is off since the goodbye's receive time, with its
 * reason and detail, in order with the other items; its next Hello makes it
 * on again. An older database (schema 4) gains the columns, every agent on.
 */
static void
test_goodbye_items(void **state)
{
	struct fixture *fx = *state;
	Vigil__V1__Hello h = VIGIL__V1__HELLO__INIT;
	Vigil__V1__Goodbye g = VIGIL__V1__GOODBYE__INIT;
	struct agent_rows a;
	struct store_batch sb[4];
	char err[256] = "";

	h.proto_major = 1;
	h.unit = (char *)"phuong-7";
	g.reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN;
	g.detail = (char *)"the system is shutting down";
	memset(sb, 0, sizeof(sb));
	sb[0].kind = STORE_HELLO;
	sb[0].agent = "pc-01";
	sb[0].hello = &h;
	sb[0].recv_us = T0;
	sb[1].kind = STORE_GOODBYE;
	sb[1].agent = "pc-01";
	sb[1].goodbye = &g;
	sb[1].recv_us = T0 + 100;
	sb[2].kind = STORE_SEEN;         /* the session's close, just after */
	sb[2].agent = "pc-01";
	sb[2].recv_us = T0 + 101;
	sb[3].kind = STORE_HELLO;
	sb[3].agent = "pc-02";
	sb[3].hello = &h;
	sb[3].recv_us = T0;
	assert_int_equal(store_commit(fx->st, sb, 4), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(store_query_agents(fx->st, collect_agent, &a), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.off_us[0], T0 + 100);
	assert_int_equal(a.off_reason[0], VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN);
	assert_string_equal(a.off_detail[0], "the system is shutting down");
	assert_int_equal(a.last_us[0], T0 + 101);
	assert_int_equal(a.off_us[1], 0);                 /* pc-02 never said goodbye */
	assert_int_equal(a.off_reason[1], 0);
	assert_string_equal(a.off_detail[1], "");

	/* Switched on again: the next Hello. */
	sb[0].recv_us = T0 + 5000;
	assert_int_equal(store_commit(fx->st, sb, 1), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(store_query_agents(fx->st, collect_agent, &a), 0);
	assert_int_equal(a.off_us[0], 0);
	assert_int_equal(a.off_reason[0], 0);
	assert_string_equal(a.off_detail[0], "");
	assert_int_equal(a.last_us[0], T0 + 5000);

	/* Each reason is stored under its name; a goodbye item without its message is refused. */
	g.reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SUSPEND;
	g.detail = (char *)"";
	assert_int_equal(store_commit(fx->st, &sb[1], 1), 0);
	assert_int_equal(raw_int(fx->path, "SELECT off_reason = 'suspend' FROM agents"
	    " WHERE agent = 'pc-01'"), 1);
	sb[1].goodbye = NULL;
	assert_int_equal(store_commit(fx->st, &sb[1], 1), VIGIL_ERR_INVAL);
	/* A reason the wire refuses never gets past the CHECK constraint either. */
	g.reason = (Vigil__V1__GoodbyeReason)9;
	sb[1].goodbye = &g;
	assert_int_equal(store_commit(fx->st, &sb[1], 1), 0);
	assert_int_equal(sb[1].refused, VIGIL_ERR_DB);
	assert_int_equal(raw_int(fx->path, "SELECT off_reason = 'suspend' FROM agents"
	    " WHERE agent = 'pc-01'"), 1);

	/* Schema 4 (before goodbyes) moves to 6: every agent on. */
	store_free(fx->st);
	fx->st = NULL;
	raw_sql(fx->path, "ALTER TABLE posture DROP COLUMN audit_policy;"
	    "ALTER TABLE posture_history DROP COLUMN audit_policy;"
	    "ALTER TABLE agents DROP COLUMN off_detail;"
	    "ALTER TABLE agents DROP COLUMN off_reason; ALTER TABLE agents DROP COLUMN off_us;"
	    "ALTER TABLE agents DROP COLUMN clock_offset_us; ALTER TABLE events DROP COLUMN clock;"
	    "ALTER TABLE posture DROP COLUMN sensors_unavailable;"
	    "ALTER TABLE posture DROP COLUMN sensor_counters;"
	    "PRAGMA user_version = 4");
	fx->st = store_open(fx->path, err, sizeof(err));
	if (fx->st == NULL)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_schema_version(fx->st), SCHEMA_LATEST);
	memset(&a, 0, sizeof(a));
	assert_int_equal(store_query_agents(fx->st, collect_agent, &a), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.off_us[0], 0);
	assert_int_equal(a.off_reason[0], 0);
}

/*
 * The collector writes through one connection and reads (Welcome's stored
 * seq, vigilctl) through another: the reader sees what was committed, at
 * once, and never what a failed commit tried.
 */
static void
test_second_connection(void **state)
{
	struct fixture *fx = *state;
	struct store *rd;
	struct tbatch tb, bad;
	struct store_batch sb[2];
	char err[256];
	uint64_t seq;

	rd = store_open(fx->path, err, sizeof(err));
	assert_non_null(rd);
	assert_int_equal(store_agent_last_seq(rd, "pc-01", &seq), 0);
	assert_int_equal(seq, 0);
	tbatch_init(&tb);
	tbatch_add(&tb, 5, T0, CAT_AUTH, SEV_LOW, "r", "x");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb[0]), 0);
	assert_int_equal(store_agent_last_seq(rd, "pc-01", &seq), 0);
	assert_int_equal(seq, 5);

	tbatch_init(&tb);
	tbatch_add(&tb, 6, T0, CAT_AUTH, SEV_LOW, "r", "x");
	tbatch_init(&bad);
	tbatch_add(&bad, 1, T0, 99, SEV_LOW, "r", "bad category");
	memset(sb, 0, sizeof(sb));
	sb[0].agent = "pc-01";
	sb[0].batch = &tb.batch;
	sb[1].agent = "pc-02";
	sb[1].batch = &bad.batch;
	/* The bad item is refused alone; the reader sees the good one at once. */
	assert_int_equal(store_commit(fx->st, sb, 2), 0);
	assert_int_equal(sb[1].refused, VIGIL_ERR_DB);
	assert_int_equal(store_agent_last_seq(rd, "pc-01", &seq), 0);
	assert_int_equal(seq, 6);
	assert_int_equal(counts(rd).events, 2);
	store_free(rd);
}

/* ---- hostile text ----------------------------------------------------------------- */

static char *const hostile[] = {
	"'; DROP TABLE events; --",
	"\" OR 1=1 --",
	"Robert'); DELETE FROM incidents WHERE ('1'='1",
	"\x01\x02\x1b[31mred\x1b[0m\t\r\n\x7f end",
	"back\\slash \\\" and % and _ and ?1 and :name",
	"tiếng Việt: TUYỆT MẬT ✓ \xf0\x9f\x94\x92",
	"",
};

struct exact {
	size_t n;
	int ok;
	const char *want_agent;
};

static int
check_exact(void *arg, const struct store_event_row *r)
{
	struct exact *x = arg;
	size_t i = r->seq - 1;

	assert_true(i < sizeof(hostile) / sizeof(hostile[0]));
	assert_string_equal(r->agent, x->want_agent);
	assert_memory_equal(r->summary, hostile[i], strlen(hostile[i]) + 1);
	assert_memory_equal(r->raw, hostile[i], strlen(hostile[i]) + 1);
	assert_memory_equal(r->source, hostile[i], strlen(hostile[i]) + 1);
	assert_memory_equal(r->rule, hostile[i], strlen(hostile[i]) + 1);
	x->n++;
	return 0;
}

static void
test_hostile_strings(void **state)
{
	struct fixture *fx = *state;
	struct tbatch tb;
	struct store_batch sb;
	struct exact x = { 0, 0, "pc-'01\"; --" };
	size_t n = sizeof(hostile) / sizeof(hostile[0]);

	tbatch_init(&tb);
	for (size_t i = 0; i < n; i++) {
		Vigil__V1__Event *ev = tbatch_add(&tb, i + 1, T0 + (int64_t)i, CAT_AUTH, SEV_HIGH,
		    hostile[i], hostile[i]);
		ev->source = hostile[i];
		ev->raw = hostile[i];
	}
	assert_int_equal(commit_one(fx->st, x.want_agent, &tb, &sb), 0);
	assert_int_equal(sb.inserted, n);

	struct store_event_filter f = nofilter();
	f.agent = x.want_agent;
	assert_int_equal(store_query_events(fx->st, &f, check_exact, &x), 0);
	assert_int_equal(x.n, n);
	/* The tables are all still there and each rule opened its own incident. */
	assert_int_equal(counts(fx->st).events, n);
	assert_int_equal(counts(fx->st).incidents_open, n);
}

static void
test_fields_json(void **state)
{
	struct fixture *fx = *state;
	struct tbatch tb;
	struct store_batch sb;
	Vigil__V1__Field fl[3] = { VIGIL__V1__FIELD__INIT, VIGIL__V1__FIELD__INIT,
	    VIGIL__V1__FIELD__INIT };
	Vigil__V1__Field *fp[3] = { &fl[0], &fl[1], &fl[2] };
	Vigil__V1__Event *ev;
	struct rows *rs;

	fl[0].key = (char *)"user";
	fl[0].value = (char *)"bob";
	fl[1].key = (char *)"q\"uote";
	fl[1].value = (char *)"C:\\dir \"x\"\n\t\x01";
	fl[2].key = (char *)"path";
	fl[2].value = (char *)"/media/usb/MẬT.docx";
	tbatch_init(&tb);
	ev = tbatch_add(&tb, 1, T0, CAT_AUTH, SEV_LOW, "r", "with fields");
	ev->n_fields = 3;
	ev->fields = fp;
	tbatch_add(&tb, 2, T0 + 1, CAT_AUTH, SEV_LOW, "r", "no fields");
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);

	rs = query(fx->st, NULL);
	assert_int_equal(rs->n, 2);
	assert_string_equal(rs->fields[0],
	    "{\"user\":\"bob\",\"q\\\"uote\":\"C:\\\\dir \\\"x\\\"\\u000a\\u0009\\u0001\","
	    "\"path\":\"/media/usb/MẬT.docx\"}");
	assert_string_equal(rs->fields[1], "{}");
	free(rs);
}

/*
 * Two fields of one name (a rule capturing into "repeat", which suppression
 * adds too) must not make a JSON object with a duplicate name: vigilctl's
 * reader refuses it, and every listing showing the event would fail. The
 * later ones are renamed, past any name the event already has.
 */
static void
test_fields_json_duplicate_keys(void **state)
{
	struct fixture *fx = *state;
	struct tbatch tb;
	struct store_batch sb;
	Vigil__V1__Field fl[4] = { VIGIL__V1__FIELD__INIT, VIGIL__V1__FIELD__INIT,
	    VIGIL__V1__FIELD__INIT, VIGIL__V1__FIELD__INIT };
	Vigil__V1__Field *fp[4] = { &fl[0], &fl[1], &fl[2], &fl[3] };
	Vigil__V1__Event *ev;
	struct json_object *o;
	struct rows *rs;
	char err[128];

	fl[0].key = (char *)"repeat";
	fl[0].value = (char *)"a";
	fl[1].key = (char *)"repeat~2";
	fl[1].value = (char *)"b";
	fl[2].key = (char *)"repeat";
	fl[2].value = (char *)"c";
	fl[3].key = (char *)"repeat";
	fl[3].value = (char *)"d";
	tbatch_init(&tb);
	ev = tbatch_add(&tb, 1, T0, CAT_AUTH, SEV_LOW, "r", "duplicate keys");
	ev->n_fields = 4;
	ev->fields = fp;
	assert_int_equal(commit_one(fx->st, "pc-01", &tb, &sb), 0);

	rs = query(fx->st, NULL);
	assert_int_equal(rs->n, 1);
	assert_string_equal(rs->fields[0],
	    "{\"repeat\":\"a\",\"repeat~2\":\"b\",\"repeat~3\":\"c\",\"repeat~4\":\"d\"}");
	assert_int_equal(json_parse(rs->fields[0], strlen(rs->fields[0]), &o, err, sizeof(err)), 0);
	json_free(o);
	free(rs);
}

/* ---- throughput (information only) ---------------------------------------------- */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n events like sshd's, with two fields; one in a hundred is medium so incidents see work. */
static void
fill_bench_batch(struct tbatch *tb, int n, uint64_t *next_seq, Vigil__V1__Field **fp)
{
	tbatch_init(tb);
	for (int i = 0; i < n; i++) {
		uint64_t seq = (*next_seq)++;
		Vigil__V1__Event *ev = tbatch_add(tb, seq, T0 + (int64_t)seq, CAT_AUTH,
		    seq % 100 == 0 ? SEV_MEDIUM : SEV_LOW, "sshd-failed",
		    "Failed password for root from 192.0.2.17 port 52344 ssh2");

		ev->raw = (char *)"Nov 25 10:00:00 pc sshd[1234]: Failed password for root "
		    "from 192.0.2.17 port 52344 ssh2";
		ev->n_fields = 2;
		ev->fields = fp;
	}
}

/*
 * 100,000 events in batches of 500 from 100 agents: once with one commit per
 * batch, once with 10 batches per group commit. Prints events/s; asserts only
 * that everything was stored.
 */
static void
test_throughput(void **state)
{
	struct fixture *fx = *state;
	enum { TOTAL = 100000, BATCH = 500, AGENTS = 100, GROUP = 10 };
	static struct tbatch tb[GROUP];
	static char agents[AGENTS][16];
	Vigil__V1__Field fl[2] = { VIGIL__V1__FIELD__INIT, VIGIL__V1__FIELD__INIT };
	Vigil__V1__Field *fp[2] = { &fl[0], &fl[1] };
	struct store_batch sb[GROUP];
	uint64_t next_seq[AGENTS];

	fl[0].key = (char *)"user";
	fl[0].value = (char *)"root";
	fl[1].key = (char *)"src_ip";
	fl[1].value = (char *)"192.0.2.17";
	for (int a = 0; a < AGENTS; a++) {
		snprintf(agents[a], sizeof(agents[a]), "bench-%03d", a);
		next_seq[a] = 1;
	}
	for (int round = 0; round < 2; round++) {
		int group = round == 0 ? 1 : GROUP;
		size_t stored = 0;
		double t = 0, cpu = 0;

		for (int done = 0, b = 0; done < TOTAL; done += BATCH * group) {
			for (int g = 0; g < group; g++, b++) {
				int a = b % AGENTS;

				fill_bench_batch(&tb[g], BATCH, &next_seq[a], fp);
				memset(&sb[g], 0, sizeof(sb[g]));
				sb[g].agent = agents[a];
				sb[g].batch = &tb[g].batch;
				sb[g].recv_us = T0;
			}
			double t1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
			assert_int_equal(store_commit(fx->st, sb, (size_t)group), 0);
			t += clock_s(CLOCK_MONOTONIC) - t1;
			cpu += clock_s(CLOCK_THREAD_CPUTIME_ID) - c1;
			for (int g = 0; g < group; g++)
				stored += sb[g].inserted;
		}
		assert_int_equal(stored, TOTAL);
		print_message("store: %d events in batches of %d, %d batch(es) per commit: "
		    "%.0f events/s, %.2f us CPU/event (synchronous=FULL, %s)\n", TOTAL, BATCH,
		    group, TOTAL / t, cpu * 1e6 / TOTAL, fx->path);
	}
	assert_int_equal(counts(fx->st).events, 2 * TOTAL);
}

/* ---- posture and compliance ---- */

#define MAX_POSTURE_ROWS 8
struct posture_rows {
	size_t n;
	char agent[MAX_POSTURE_ROWS][32], unit[MAX_POSTURE_ROWS][32];
	char av[MAX_POSTURE_ROWS][32], os[MAX_POSTURE_ROWS][64], audit[MAX_POSTURE_ROWS][64];
	struct store_posture_row row[MAX_POSTURE_ROWS];   /* numbers only: strings above */
};

static int
collect_posture(void *arg, const struct store_posture_row *r)
{
	struct posture_rows *p = arg;

	assert_true(p->n < MAX_POSTURE_ROWS);
	snprintf(p->agent[p->n], sizeof(p->agent[0]), "%s", r->agent);
	snprintf(p->unit[p->n], sizeof(p->unit[0]), "%s", r->unit);
	snprintf(p->av[p->n], sizeof(p->av[0]), "%s", r->av_product);
	snprintf(p->os[p->n], sizeof(p->os[0]), "%s", r->os);
	snprintf(p->audit[p->n], sizeof(p->audit[0]), "%s", r->audit_policy);
	p->row[p->n] = *r;
	p->n++;
	return 0;
}

static int64_t
history_rows(const char *path, const char *agent)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM posture_history WHERE agent = '%s'",
	    agent);
	return raw_int(path, sql);
}

/*
 * A heartbeat's posture: the latest per agent with its counters, a history
 * row only when a fact changed, last_seen moved; then the queries by unit.
 */
static void
test_posture(void **state)
{
	struct fixture *fx = *state;
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;
	Vigil__V1__Posture p = VIGIL__V1__POSTURE__INIT;
	struct posture_rows r;

	fixture_hello(fx->st, "pc-01", "ward-7", T0);
	fixture_hello(fx->st, "pc-02", "ward-1", T0);
	p.av_product = (char *)"ClamAV";
	p.av_running = VIGIL__V1__TRISTATE__TRISTATE_YES;
	p.av_version = (char *)"1.4.6";
	p.av_signatures_us = T0 - 86400000000LL;
	p.updates_pending = 12;
	p.security_updates_pending = 3;
	p.security_pending_since_us = T0 - 5;
	p.reboot_required = VIGIL__V1__TRISTATE__TRISTATE_NO;
	p.os = (char *)"Debian GNU/Linux 12 (bookworm)";
	hb.posture = &p;
	hb.spool_depth = 4;
	hb.dropped = 1;
	assert_int_equal(fixture_heartbeat(fx->st, "pc-01", &hb, T0 + 10, NULL), 0);
	assert_int_equal(history_rows(fx->path, "pc-01"), 1);

	/* Same facts, new counters: the latest moves, the history does not. */
	hb.spool_depth = 0;
	hb.lines_truncated = 7;
	hb.events_rejected = 2;
	hb.rule_evictions = 5;
	hb.dropped = UINT64_MAX;         /* saturates rather than wrapping negative */
	assert_int_equal(fixture_heartbeat(fx->st, "pc-01", &hb, T0 + 20, NULL), 0);
	assert_int_equal(history_rows(fx->path, "pc-01"), 1);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_get_posture(fx->st, "pc-01", collect_posture, &r), 0);
	assert_int_equal(r.n, 1);
	assert_true(r.row[0].has_posture);
	assert_int_equal(r.row[0].recv_us, T0 + 20);
	assert_int_equal(r.row[0].last_seen_us, T0 + 20);
	assert_string_equal(r.av[0], "ClamAV");
	assert_string_equal(r.os[0], "Debian GNU/Linux 12 (bookworm)");
	assert_int_equal(r.row[0].av_running, VIGIL__V1__TRISTATE__TRISTATE_YES);
	assert_int_equal(r.row[0].av_signatures_us, T0 - 86400000000LL);
	assert_int_equal(r.row[0].updates_pending, 12);
	assert_int_equal(r.row[0].security_updates_pending, 3);
	assert_int_equal(r.row[0].security_pending_since_us, T0 - 5);
	assert_int_equal(r.row[0].reboot_required, VIGIL__V1__TRISTATE__TRISTATE_NO);
	assert_int_equal(r.row[0].spool_depth, 0);
	assert_int_equal(r.row[0].lines_truncated, 7);
	assert_int_equal(r.row[0].events_rejected, 2);
	assert_int_equal(r.row[0].rule_evictions, 5);
	assert_int_equal(r.row[0].dropped, (uint64_t)INT64_MAX);
	assert_int_equal(raw_int(fx->path, "SELECT sensors_unavailable = '{}' AND "
	    "sensor_counters = '{}' FROM posture WHERE agent = 'pc-01'"), 1);

	/* What the sensors say of themselves is kept as JSON; a repeated counter keeps its first. */
	{
		Vigil__V1__SensorDown d = VIGIL__V1__SENSOR_DOWN__INIT, *dp[1] = { &d };
		Vigil__V1__SensorCounter c1 = VIGIL__V1__SENSOR_COUNTER__INIT;
		Vigil__V1__SensorCounter c2 = VIGIL__V1__SENSOR_COUNTER__INIT;
		Vigil__V1__SensorCounter *cp[3] = { &c1, &c2, &c1 };

		d.sensor = (char *)"eventlog";
		d.reason = (char *)"EvtSubscribe is a stub \"here\"";
		c1.name = (char *)"winevent.values_cut";
		c1.value = 3;
		c2.name = (char *)"eventlog.events";
		c2.value = 0;
		hb.n_sensors_unavailable = 1;
		hb.sensors_unavailable = dp;
		hb.n_sensor_counters = 3;
		hb.sensor_counters = cp;
		assert_int_equal(fixture_heartbeat(fx->st, "pc-01", &hb, T0 + 25, NULL), 0);
		memset(&r, 0, sizeof(r));
		assert_int_equal(store_get_posture(fx->st, "pc-01", collect_posture, &r), 0);
		assert_int_equal(raw_int(fx->path, "SELECT sensors_unavailable = '{\"eventlog\":"
		    "\"EvtSubscribe is a stub \\\"here\\\"\"}' AND sensor_counters = "
		    "'{\"winevent.values_cut\":3,\"eventlog.events\":0}'"
		    " FROM posture WHERE agent = 'pc-01'"), 1);
		hb.n_sensors_unavailable = 0;
		hb.sensors_unavailable = NULL;
		hb.n_sensor_counters = 0;
		hb.sensor_counters = NULL;
	}

	/* Each changed fact is a history row, and the history keeps the old value. */
	p.av_running = VIGIL__V1__TRISTATE__TRISTATE_NO;
	assert_int_equal(fixture_heartbeat(fx->st, "pc-01", &hb, T0 + 30, NULL), 0);
	assert_int_equal(history_rows(fx->path, "pc-01"), 2);
	p.os = (char *)"Debian GNU/Linux 13 (trixie)";
	assert_int_equal(fixture_heartbeat(fx->st, "pc-01", &hb, T0 + 40, NULL), 0);
	assert_int_equal(history_rows(fx->path, "pc-01"), 3);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM posture_history WHERE "
	    "agent = 'pc-01' AND av_running = 1 AND os LIKE '%bookworm%'"), 1);
	/* The audit policy (Windows) is a fact too; Linux's "" before it. */
	assert_string_equal(r.audit[0], "");
	p.audit_policy = (char *)"incomplete: pnp(success)";
	assert_int_equal(fixture_heartbeat(fx->st, "pc-01", &hb, T0 + 45, NULL), 0);
	assert_int_equal(history_rows(fx->path, "pc-01"), 4);
	assert_int_equal(fixture_heartbeat(fx->st, "pc-01", &hb, T0 + 46, NULL), 0);
	assert_int_equal(history_rows(fx->path, "pc-01"), 4);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_get_posture(fx->st, "pc-01", collect_posture, &r), 0);
	assert_string_equal(r.audit[0], "incomplete: pnp(success)");
	assert_int_equal(r.row[0].spool_depth, 0);
	assert_int_equal(r.row[0].lines_truncated, 7);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM posture_history WHERE "
	    "audit_policy = 'incomplete: pnp(success)'"), 1);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM posture"), 1);

	/* Every agent, by unit; one without a posture has has_posture 0. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_query_postures(fx->st, NULL, collect_posture, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.agent[0], "pc-02");
	assert_string_equal(r.unit[0], "ward-1");
	assert_false(r.row[0].has_posture);
	assert_string_equal(r.av[0], "");
	assert_int_equal(r.row[0].security_updates_pending, 0);
	assert_string_equal(r.agent[1], "pc-01");
	assert_true(r.row[1].has_posture);
	assert_int_equal(r.row[1].av_running, VIGIL__V1__TRISTATE__TRISTATE_NO);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_query_postures(fx->st, "ward-7", collect_posture, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.agent[0], "pc-01");
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_query_postures(fx->st, "nowhere", collect_posture, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(store_get_posture(fx->st, "pc-99", collect_posture, &r),
	    VIGIL_ERR_NOTFOUND);

	/* A posture item needs its heartbeat and posture; a bad one rolls back. */
	assert_int_equal(fixture_heartbeat(fx->st, "pc-01", NULL, T0 + 50, NULL), VIGIL_ERR_INVAL);
	hb.posture = NULL;
	assert_int_equal(fixture_heartbeat(fx->st, "pc-01", &hb, T0 + 50, NULL), VIGIL_ERR_INVAL);
	assert_int_equal(history_rows(fx->path, "pc-01"), 4);

	/* An agent not yet in the table gets its row (the posture references it). */
	hb.posture = &p;
	assert_int_equal(fixture_heartbeat(fx->st, "pc-03", &hb, T0 + 60, NULL), 0);
	assert_int_equal(history_rows(fx->path, "pc-03"), 1);
	assert_int_equal(counts(fx->st).agents, 3);
}

/* Each contact's last digest, read back at a restart: the latest digested row's time. */
struct last_digest {
	char contact[4][32];
	int64_t us[4];
	size_t n;
};

static void
collect_last_digest(void *arg, const char *contact, int64_t us)
{
	struct last_digest *l = arg;

	assert_true(l->n < 4);
	snprintf(l->contact[l->n], sizeof(l->contact[0]), "%s", contact);
	l->us[l->n++] = us;
}

static void
test_budget_last_digests(void **state)
{
	struct fixture *fx = *state;
	struct last_digest l = {.n = 0};

	raw_sql(fx->path, "INSERT INTO outbox (incident_id, created_us, due_us, route, contact,"
	    " channel, target, level, status, done_us) VALUES"
	    " (1, 10, 10, 'r', 'it', 'email', 'it@x', 1, 'digested', 100),"
	    " (2, 20, 20, 'r', 'it', 'email', 'it@x', 1, 'digested', 200),"
	    " (3, 30, 30, 'r', 'it', 'email', 'it@x', 1, 'sent', 900),"
	    " (4, 40, 40, 'r', 'police', 'email', 'p@x', 2, 'digested', 50),"
	    " (5, 50, 50, 'r', 'head', 'email', 'h@x', 2, 'held', 0)");
	assert_int_equal(store_budget_last_digests(fx->st, collect_last_digest, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.contact[0], "it");
	assert_int_equal(l.us[0], 200);
	assert_string_equal(l.contact[1], "police");
	assert_int_equal(l.us[1], 50);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_posture, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_version_refused, setup, teardown),
		cmocka_unit_test(test_open_bad_path),
		cmocka_unit_test_setup_teardown(test_commit_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_item_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incidents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incident_single_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_goodbye_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_last_digests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields_json_duplicate_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throughput, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
