/*
 * collector/report_run.c and store_report.c: the deadlines of reportable
 * incidents with an injected clock, on a real SQLite file: counted over the
 * shipped holiday calendar (5 days across Tết, in calendar and in working
 * days), near and overdue each taken once and audited, submitted (who, to
 * whom, reference) and not again, a personal-data leak starting its 72 hours
 * by itself, the operator's fields kept, and all of it after a restart.
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
#include <event2/event.h>
#include <sqlite3.h>

#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/names.h"
#include "vigil/tz.h"

#include "../../collector/collector.h"
#include "../../collector/escalate_run.h"
#include "../../collector/report_mail.h"
#include "../../collector/report_run.h"
#include "../../collector/store.h"
#include "../../collector/store_report.h"
#include "../../report/deadline.h"
#include "store_fixture.h"

static int64_t now_us;

static int64_t
fake_clock(void *arg)
{
	(void)arg;
	return now_us;
}

/* A local time in Vietnam (+07:00). */
static int64_t
vn(int y, int mo, int d, int h, int mi)
{
	return deadline_day_start(cal_days(y, mo, d), 420) + ((int64_t)h * 60 + mi) * 60000000LL;
}

struct env {
	struct fixture *fx;
	struct collector c;
};

static void
open_run(struct env *e)
{
	char err[256] = "";

	e->c.store = e->fx->st;
	if (report_run_open(&e->c, err, sizeof(err)) != 0)
		fail_msg("report_run_open: %s", err);
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256];

	assert_non_null(e);
	/* a ward office's collector: its zone Vietnam's (deadlines count its days) */
	assert_int_equal(tz_set("Asia/Ho_Chi_Minh", err, sizeof(err)), 0);
	e->fx = fixture_new("report-run");
	conf_defaults(&e->c.conf);
	snprintf(e->c.conf.report.holidays, sizeof(e->c.conf.report.holidays), "%s",
	    "deploy/reports/holidays.conf");
	open_run(e);
	clock_inject(fake_clock, NULL);
	*state = e;
	return 0;
}

static int
env_teardown(void **state)
{
	struct env *e = *state;
	void *fx = e->fx;

	clock_inject(NULL, NULL);
	report_run_free(&e->c);
	free(e);
	return teardown(&fx);
}

/* An incident opened at t (the collector's own kind: no agent needed). */
static int64_t
incident_at(struct env *e, const char *key, int category, int64_t t)
{
	struct store_made_incident mi;

	memset(&mi, 0, sizeof(mi));
	mi.kind = "collector";
	mi.agent = "";
	mi.dedup_key = key;
	mi.rule = "test";
	mi.title = "Sự cố thử";
	mi.category = category;
	mi.severity = 4;
	mi.time_us = t;
	mi.now_us = t;
	assert_int_equal(store_incident_make(e->fx->st, &mi), 0);
	return mi.id;
}

struct got {
	int n;
	struct store_deadline_row d;
	char kind[16], by[64], to[256], ref[64];
};

static int
take(void *arg, const struct store_deadline_row *d)
{
	struct got *g = arg;

	g->n++;
	g->d = *d;
	snprintf(g->kind, sizeof(g->kind), "%s", d->kind);
	snprintf(g->by, sizeof(g->by), "%s", d->submitted_by);
	snprintf(g->to, sizeof(g->to), "%s", d->submitted_to);
	snprintf(g->ref, sizeof(g->ref), "%s", d->reference);
	return 0;
}

static struct got
deadline_of(struct env *e, int64_t id)
{
	struct got g;

	memset(&g, 0, sizeof(g));
	assert_int_equal(store_deadlines(e->fx->st, id, 0, take, &g), 0);
	return g;
}

static int
audits(struct env *e, int64_t id, const char *action)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int n = -1;

	assert_int_equal(sqlite3_open(e->fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit WHERE incident = ?1"
	    " AND action = ?2", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, action, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void
mark(struct env *e, int64_t id, const char *kinds)
{
	unsigned mask;
	size_t added;
	char err[256] = "";

	assert_int_equal(report_run_kinds(kinds, &mask, err, sizeof(err)), 0);
	if (report_run_reportable(&e->c, id, mask, "operator", &added, err, sizeof(err)) != 0)
		fail_msg("reportable: %s", err);
	assert_int_equal(added, 1);
}

/* Near, then overdue, each once; a restart in between changes nothing. */
static void
test_near_overdue_restart(void **state)
{
	struct env *e = *state;
	int64_t id;
	struct got g;
	char err[256];

	now_us = vn(2026, 12, 3, 22, 41);
	id = incident_at(e, "t:a", category_from_name("attack"), now_us);
	now_us += 3600000000LL;
	mark(e, id, "notice");
	g = deadline_of(e, id);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.kind, "notice");
	/* Found on Thursday 3/12: 5 days end with Tuesday 8/12. */
	assert_true(g.d.due_us == vn(2026, 12, 9, 0, 0));
	assert_int_equal(g.d.stage, 0);
	assert_int_equal(audits(e, id, "reportable"), 1);
	/* Marking again adds nothing. */
	{
		unsigned mask = 1u << DL_NOTICE;
		size_t added = 9;

		assert_int_equal(report_run_reportable(&e->c, id, mask, "operator", &added, err,
		    sizeof(err)), 0);
		assert_int_equal(added, 0);
	}
	assert_int_equal(report_run_tick(&e->c, now_us), 0);
	/* Monday 7/12: the last 2 working days. */
	now_us = vn(2026, 12, 7, 8, 0);
	assert_int_equal(report_run_tick(&e->c, now_us), 1);
	assert_int_equal(report_run_tick(&e->c, now_us), 0);
	assert_int_equal(deadline_of(e, id).d.stage, 1);
	assert_int_equal(audits(e, id, "deadline-near"), 1);

	/* A restart: the store and the runtime anew; the step is not taken again. */
	report_run_free(&e->c);
	store_free(e->fx->st);
	e->fx->st = store_open(e->fx->path, err, sizeof(err));
	assert_non_null(e->fx->st);
	open_run(e);
	assert_int_equal(report_run_tick(&e->c, now_us), 0);
	assert_int_equal(deadline_of(e, id).n, 1);

	/* Past the end of Tuesday 8/12: overdue, once. */
	now_us = vn(2026, 12, 9, 0, 1);
	assert_int_equal(report_run_tick(&e->c, now_us), 1);
	assert_int_equal(report_run_tick(&e->c, now_us + 3600000000LL), 0);
	assert_int_equal(deadline_of(e, id).d.stage, 2);
	assert_int_equal(audits(e, id, "deadline-overdue"), 1);
	assert_int_equal(deadline_state_now(&(struct deadline){ .due_us = g.d.due_us,
	    .near_us = g.d.near_us }, 0), DL_OVERDUE);
}

/* Submitted in time: recorded with who, to whom and the reference, then nothing climbs. */
static void
test_submitted(void **state)
{
	struct env *e = *state;
	int64_t id;
	struct got g;
	char err[256] = "";

	now_us = vn(2026, 12, 3, 9, 0);
	id = incident_at(e, "t:b", category_from_name("malware"), now_us);
	mark(e, id, "notice");
	assert_int_equal(report_run_submitted(&e->c, id, "closing", "A05", "1/TB", "op", err,
	    sizeof(err)), VIGIL_ERR_NOTFOUND);
	assert_non_null(strstr(err, "reportable"));
	now_us = vn(2026, 12, 4, 10, 0);
	assert_int_equal(report_run_submitted(&e->c, id, "notice", "Công an phường Đông Hòa",
	    "27/TB-UBND", "le.viet", err, sizeof(err)), 0);
	g = deadline_of(e, id);
	assert_true(g.d.submitted_us == now_us);
	assert_string_equal(g.by, "le.viet");
	assert_string_equal(g.to, "Công an phường Đông Hòa");
	assert_string_equal(g.ref, "27/TB-UBND");
	assert_int_equal(audits(e, id, "report-submitted"), 1);
	assert_int_equal(report_run_submitted(&e->c, id, "notice", "x", "y", "op", err,
	    sizeof(err)), VIGIL_ERR_PROTO);
	/* Long past its due time: submitted, so nothing is near or overdue. */
	assert_int_equal(report_run_tick(&e->c, vn(2026, 12, 20, 0, 0)), 0);
	assert_int_equal(audits(e, id, "deadline-overdue"), 0);
}

/* Found on Thursday 12/2/2026, the last working day before Tết (14/2 to 22/2). */
static void
test_tet(void **state)
{
	struct env *e = *state;
	int64_t a, b;

	now_us = vn(2026, 2, 12, 10, 0);
	a = incident_at(e, "t:tet-calendar", category_from_name("attack"), now_us);
	mark(e, a, "notice");
	/* 5 days end on Tuesday 17/2, a day of Tết: moved to Monday 23/2. */
	assert_true(deadline_of(e, a).d.due_us == vn(2026, 2, 24, 0, 0));
	e->c.conf.report.working_days = 1;
	b = incident_at(e, "t:tet-working", category_from_name("attack"), now_us);
	mark(e, b, "notice");
	/* 5 working days: Friday 13/2, then 23, 24, 25 and 26/2. */
	assert_true(deadline_of(e, b).d.due_us == vn(2026, 2, 27, 0, 0));
	assert_int_equal(deadline_of(e, b).d.provisional, 0);
	/*
	 * Near is the last 2 working days: for the first, Friday 13/2 and Monday
	 * 23/2, so it is near all through Tết; the second is not near until
	 * Wednesday 25/2, when the first is overdue.
	 */
	assert_int_equal(report_run_tick(&e->c, vn(2026, 2, 20, 12, 0)), 1);
	assert_int_equal(deadline_of(e, a).d.stage, 1);
	assert_int_equal(deadline_of(e, b).d.stage, 0);
	assert_int_equal(report_run_tick(&e->c, vn(2026, 2, 25, 8, 0)), 2);
	assert_int_equal(deadline_of(e, a).d.stage, 2);
	assert_int_equal(deadline_of(e, b).d.stage, 1);
}

/* A personal-data leak starts the 72-hour clock by itself, from its first event. */
static void
test_breach_by_category(void **state)
{
	struct env *e = *state;
	int64_t id, t0 = vn(2026, 12, 1, 8, 0);
	struct got g;

	now_us = t0;
	id = incident_at(e, "t:leak", category_from_name("data_leak"), t0);
	now_us = t0 + 60000000LL;
	report_run_tick(&e->c, now_us);
	g = deadline_of(e, id);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.kind, "breach");
	assert_true(g.d.due_us == t0 + 72 * 3600000000LL);
	assert_int_equal(audits(e, id, "reportable"), 1);
	/* Near 24 hours before; overdue after 72. */
	assert_int_equal(report_run_tick(&e->c, t0 + 49 * 3600000000LL), 1);
	assert_int_equal(report_run_tick(&e->c, t0 + 73 * 3600000000LL), 1);
	assert_int_equal(report_run_tick(&e->c, t0 + 74 * 3600000000LL), 0);
}

/*
 * The escalation runtime over e's store with a chain (it, then head) for
 * every incident and a route for data leaks that tells police at once and
 * owes the breach and the notice. Nothing is sent: the loop never runs.
 */
static void
open_escalation(struct env *e)
{
	struct escalate_conf *ec = NULL;
	char err[512] = "";
	FILE *fp;

	snprintf(e->c.conf.collector.escalation, sizeof(e->c.conf.collector.escalation),
	    "%s/escalation.conf", e->fx->dir);
	assert_non_null(fp = fopen(e->c.conf.collector.escalation, "w"));
	fputs("[contact it]\nemail = it@x.example\n[contact head]\nemail = head@x.example\n"
	    "[contact police]\nemail = police@x.example\n"
	    "[chain default]\nlevel1 = it\nlevel1_wait = 1h\nlevel2 = head\n"
	    "[route leak]\ncategory = data_leak\nnotify_now = police\n"
	    "reportable = breach,notice\ncontinue = yes\n"
	    "[route default]\nchain = default\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_non_null(e->c.base = event_base_new());
	if (escalate_run_load(&e->c.conf, &ec, err, sizeof(err)) != 0 ||
	    escalate_run_open(&e->c, ec, err, sizeof(err)) != 0)
		fail_msg("escalation: %s", err);
}

static void
close_escalation(struct env *e)
{
	escalate_run_free(&e->c);
	event_base_free(e->c.base);
	e->c.base = NULL;
	unlink(e->c.conf.collector.escalation);
}

/* Messages about incident id outside the chain's plan (manual), to contact. */
static int64_t
told(struct env *e, int64_t id, const char *contact)
{
	char sql[320];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox o JOIN outbox_incidents x ON "
	    "x.outbox_id = o.id WHERE x.incident_id = %lld AND o.manual = 1 AND o.contact = '%s'",
	    (long long)id, contact);
	return raw_int(e->fx->path, sql);
}

/*
 * The closing report of a resolved incident: its climb has stopped, but
 * near and overdue still tell the chain (first level, then second), audited.
 */
static void
test_closing_resolved(void **state)
{
	struct env *e = *state;
	int64_t id, t0 = vn(2026, 12, 1, 9, 0), resolved = vn(2026, 12, 2, 10, 0);
	char sql[256];
	struct got g;

	open_escalation(e);
	now_us = t0;
	id = incident_at(e, "t:closing", category_from_name("attack"), t0);
	mark(e, id, "notice");
	snprintf(sql, sizeof(sql), "UPDATE incidents SET status = 'resolved', resolved_us = %lld "
	    "WHERE id = %lld", (long long)resolved, (long long)id);
	raw_sql(e->fx->path, sql);
	/* The notice is submitted; the closing deadline is made at the next pass. */
	now_us = resolved + 60000000LL;
	{
		char err[256];

		assert_int_equal(report_run_submitted(&e->c, id, "notice", "A05", "1/TB", "op", err,
		    sizeof(err)), 0);
	}
	assert_int_equal(report_run_tick(&e->c, now_us), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_deadlines(e->fx->st, id, 0, take, &g), 0);
	assert_int_equal(raw_int(e->fx->path, "SELECT count(*) FROM report_deadlines WHERE "
	    "kind = 'closing'"), 1);
	assert_int_equal(told(e, id, "it"), 0);
	/* Resolved Wednesday 2/12: due at the end of Monday 7/12, near from Saturday 5/12. */
	assert_int_equal(report_run_tick(&e->c, vn(2026, 12, 6, 9, 0)), 1);
	assert_int_equal(told(e, id, "it"), 1);
	assert_int_equal(told(e, id, "head"), 0);
	assert_int_equal(audits(e, id, "notify"), 1);
	assert_int_equal(raw_int(e->fx->path, "SELECT count(*) FROM audit WHERE action = "
	    "'deadline-near' AND detail LIKE '%the chain was notified%'"), 1);
	/* Overdue: the second level. */
	assert_int_equal(report_run_tick(&e->c, vn(2026, 12, 8, 9, 0)), 1);
	assert_int_equal(told(e, id, "head"), 1);
	assert_int_equal(raw_int(e->fx->path, "SELECT count(*) FROM audit WHERE action = "
	    "'deadline-overdue' AND detail LIKE '%the chain was notified%'"), 1);
	close_escalation(e);
}

/* A route with reportable = breach,notice: its incidents owe both, made by "route leak". */
static void
test_reportable_by_route(void **state)
{
	struct env *e = *state;
	int64_t leak, other, t0 = vn(2026, 12, 1, 8, 0);
	char sql[256];

	/* Not by the category: by the route alone. */
	e->c.conf.report.breach_categories[0] = '\0';
	open_escalation(e);
	now_us = t0;
	leak = incident_at(e, "t:route-leak", category_from_name("data_leak"), t0);
	other = incident_at(e, "t:route-attack", category_from_name("attack"), t0);
	now_us = t0 + 1000000LL;
	report_run_routes(&e->c, now_us);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM report_deadlines WHERE incident_id = %lld "
	    "AND created_by = 'route leak' AND kind IN ('breach', 'notice')", (long long)leak);
	assert_int_equal(raw_int(e->fx->path, sql), 2);
	snprintf(sql, sizeof(sql), "SELECT due_us FROM report_deadlines WHERE incident_id = %lld "
	    "AND kind = 'breach'", (long long)leak);
	assert_true(raw_int(e->fx->path, sql) == t0 + 72 * 3600000000LL);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE incident = %lld AND action = "
	    "'reportable' AND actor = 'route leak'", (long long)leak);
	assert_int_equal(raw_int(e->fx->path, sql), 2);
	assert_int_equal(deadline_of(e, other).n, 0);
	/* Another pass, or a tick, makes nothing again. */
	report_run_routes(&e->c, now_us);
	report_run_tick(&e->c, now_us);
	assert_int_equal(raw_int(e->fx->path, sql), 2);
	close_escalation(e);
}

/* What the operator fills is kept per incident, replaced, audited. */
static void
test_fields(void **state)
{
	struct env *e = *state;
	struct store_audit_entry a = { 1, "op", 0, "report-fill", "harm: x" };
	int64_t id;

	now_us = vn(2026, 12, 3, 9, 0);
	id = incident_at(e, "t:f", category_from_name("attack"), now_us);
	a.incident = id;
	assert_int_equal(store_report_field_set(e->fx->st, id, "harm", "một", &a), 0);
	assert_int_equal(store_report_field_set(e->fx->st, id, "harm", "hai", &a), 0);
	assert_int_equal(store_report_field_set(e->fx->st, 9999, "harm", "x", &a),
	    VIGIL_ERR_NOTFOUND);
	assert_int_equal(audits(e, id, "report-fill"), 2);
}

/* Which period a schedule mails, at moments around its ends (local time, UTC+07:00). */
static void
test_summary_due(void **state)
{
	char p[32];

	(void)state;
	assert_int_equal(report_mail_due("monthly", vn(2026, 12, 5, 9, 0), 420, p, sizeof(p)), 0);
	assert_string_equal(p, "2026-11");
	/* 23:59 on 31/12 in Vietnam is still December; 00:30 on 1/1 is not (UTC is a day behind). */
	assert_int_equal(report_mail_due("monthly", vn(2026, 12, 31, 23, 59), 420, p, sizeof(p)), 0);
	assert_string_equal(p, "2026-11");
	assert_int_equal(report_mail_due("monthly", vn(2027, 1, 1, 0, 30), 420, p, sizeof(p)), 0);
	assert_string_equal(p, "2026-12");
	assert_int_equal(report_mail_due("quarterly", vn(2026, 12, 5, 9, 0), 420, p, sizeof(p)), 0);
	assert_string_equal(p, "2026-Q3");
	assert_int_equal(report_mail_due("quarterly", vn(2027, 1, 2, 9, 0), 420, p, sizeof(p)), 0);
	assert_string_equal(p, "2026-Q4");
	assert_int_equal(report_mail_due("halfyearly", vn(2026, 12, 5, 9, 0), 420, p, sizeof(p)), 0);
	assert_string_equal(p, "2026-H1");
	assert_int_equal(report_mail_due("halfyearly", vn(2026, 6, 30, 23, 0), 420, p, sizeof(p)), 0);
	assert_string_equal(p, "2025-H2");
	assert_int_equal(report_mail_due("none", vn(2026, 12, 5, 9, 0), 420, p, sizeof(p)), -1);
	assert_int_equal(report_mail_due("weekly", vn(2026, 12, 5, 9, 0), 420, p, sizeof(p)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_near_overdue_restart, setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_submitted, setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_tet, setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_breach_by_category, setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_closing_resolved, setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_reportable_by_route, setup, env_teardown),
		cmocka_unit_test(test_summary_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
