/*
 * The deadlines of reportable incidents at run time (report_run.h says what
 * and why). Invariants: a deadline row is made once per (incident, kind) and
 * never recomputed, so a later edit of the calendar does not move a deadline
 * a unit already works to; each step (near, overdue) is taken once, its stage
 * saved with its audit record in one transaction before the next pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/tz.h"

#include "../report/calendar.h"
#include "../report/deadline.h"

#include "collector.h"
#include "escalate.h"
#include "escalate_notify.h"
#include "escalate_run.h"
#include "incident.h"
#include "incident_fsm.h"
#include "report_mail.h"
#include "report_run.h"
#include "store.h"
#include "store_report.h"

#define ROWS_MAX 20000 /* deadlines looked at in one pass; more wait for the next */

struct report_run {
	struct collector *c;
	struct calendar *cal;
	struct event *timer;
	struct report_mail *mail;    /* the scheduled summary; NULL: none */
	uint64_t steps, rows_skipped;
	int64_t route_seen;          /* incidents up to this id were matched against the routes */
};

struct row {
	int64_t incident;
	int kind;
	struct deadline d;
	int64_t submitted_us;
	int stage;
};

struct rows {
	struct row *v;
	size_t n, cap;
	int full;
};

static int
row_add(void *arg, const struct store_deadline_row *d)
{
	struct rows *r = arg;
	struct row *x;
	int kind = deadline_kind_parse(d->kind);

	if (kind < 0)
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct row *v;

		if (cap > ROWS_MAX || (v = realloc(r->v, cap * sizeof(*v))) == NULL) {
			r->full = 1;
			return 1;
		}
		r->v = v;
		r->cap = cap;
	}
	x = &r->v[r->n++];
	memset(x, 0, sizeof(*x));
	x->incident = d->incident;
	x->kind = kind;
	x->d.start_us = d->start_us;
	x->d.due_us = d->due_us;
	x->d.near_us = d->near_us;
	x->d.provisional = d->provisional;
	x->d.uncovered = d->uncovered;
	x->submitted_us = d->submitted_us;
	x->stage = d->stage;
	return 0;
}

static int
has(const struct rows *r, int64_t id, int kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].incident == id && r->v[i].kind == kind)
			return 1;
	return 0;
}

/* The rule of kind for this unit: the 5-day ones in working days when it says so. */
static struct deadline_rule
rule_of(const struct collector *c, int kind)
{
	struct deadline_rule r = deadline_rules[kind];

	if (c->conf.report.working_days && r.unit == DL_CALENDAR_DAYS)
		r.unit = DL_WORKING_DAYS;
	return r;
}

struct inc {
	int found;
	int category;
	int64_t first_us, opened_us, resolved_us;
	char status[32];
};

static int
got_inc(void *arg, const struct store_incident_row *r)
{
	struct inc *x = arg;

	x->found = 1;
	x->category = r->category;
	x->first_us = r->first_us;
	x->opened_us = r->opened_us > 0 ? r->opened_us : r->first_us;
	x->resolved_us = r->resolved_us;
	snprintf(x->status, sizeof(x->status), "%s", r->status != NULL ? r->status : "");
	return 0;
}

/* The deadline of kind for an incident, or -1 when it cannot be counted yet. */
static int
count(struct collector *c, int kind, const struct inc *x, int64_t now_us, struct deadline *d)
{
	struct deadline_rule rule = rule_of(c, kind);
	int64_t start;

	switch (kind) {
	case DL_NOTICE:
		start = x->opened_us;
		break;
	case DL_INITIAL:
		start = now_us;
		break;
	case DL_CLOSING:
		if (x->resolved_us <= 0)
			return -1;
		start = x->resolved_us;
		break;
	case DL_BREACH:
		/* NĐ 13/2023: 72 hours from the violation, which the first event stands for. */
		start = x->first_us;
		break;
	default:
		return -1;
	}
	return deadline_compute(c->report->cal, &rule, start, tz_offset_min(start), d) ==
	               0 ? 0 : -1;
}

/* Make the deadlines of kinds for incident id (those it has are kept). */
static int
make(struct collector *c, int64_t id, unsigned kinds, const char *actor, const char *why,
    int64_t now_us, size_t *added, char *err, size_t errlen)
{
	struct store_deadline_row rows[DL_KINDS];
	struct store_audit_entry a;
	const char *details[DL_KINDS];
	char text[DL_KINDS][256], due[64];
	struct deadline d;
	struct inc x;
	size_t n = 0;
	int rc;

	*added = 0;
	memset(&x, 0, sizeof(x));
	rc = store_incident_by_id(c->store, id, got_inc, &x);
	if (rc == VIGIL_ERR_NOTFOUND || (rc == 0 && !x.found))
		return err_fmt(err, errlen, VIGIL_ERR_NOTFOUND, "there is no incident %lld",
		    (long long)id);
	if (rc != 0)
		return err_fmt(err, errlen, rc, "the store cannot read incident %lld",
		    (long long)id);
	for (int k = 0; k < DL_KINDS; k++) {
		if (!(kinds & (1u << k)) || count(c, k, &x, now_us, &d) != 0)
			continue;
		memset(&rows[n], 0, sizeof(rows[n]));
		rows[n].incident = id;
		rows[n].kind = deadline_kind_name(k);
		rows[n].start_us = d.start_us;
		rows[n].due_us = d.due_us;
		rows[n].near_us = d.near_us;
		rows[n].provisional = d.provisional;
		rows[n].uncovered = d.uncovered;
		rows[n].created_us = now_us;
		rows[n].created_by = actor;
		tz_time_people(due, sizeof(due), d.due_us, 1, 0);
		snprintf(text[n], sizeof(text[n]), "%s due %s%s%s%s%s", deadline_kind_name(k), due,
		    d.provisional ? " (counted over provisional holidays)" : "",
		    d.uncovered ? " (counted over a year the holiday calendar does not cover)" : "",
		    why != NULL ? "; " : "", why != NULL ? why : "");
		details[n] = text[n];
		n++;
	}
	if (n == 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.time_us = now_us;
	a.actor = actor;
	a.action = "reportable";
	if ((rc = store_deadline_add(c->store, rows, n, &a, details, added)) != 0)
		return err_fmt(err, errlen, rc, "the store cannot keep the deadlines: %s",
		    store_errmsg(c->store));
	for (size_t i = 0; i < n && *added > 0; i++)
		log_info("Incident %lld: %s.", (long long)id, text[i]);
	return 0;
}

int
report_run_kinds(const char *list, unsigned *mask, char *err, size_t errlen)
{
	char buf[256], *tok, *save = NULL;
	int k;

	*mask = 0;
	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "the list of kinds is too long");
	for (tok = strtok_r(buf, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		if ((k = deadline_kind_parse(tok)) < 0 || k == DL_HALFYEAR)
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s is not a report of an "
			    "incident: use notice, initial, closing or breach", tok);
		*mask |= 1u << k;
	}
	if (*mask == 0)
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "no kind of report given");
	return 0;
}

int
report_run_reportable(struct collector *c, int64_t id, unsigned kinds, const char *actor,
    size_t *added, char *err, size_t errlen)
{
	int64_t now = clock_now_us();
	int rc;

	/* A closing report is counted from the resolution: made now if resolved, else then. */
	if ((rc = make(c, id, kinds, actor, NULL, now, added, err, errlen)) != 0)
		return rc;
	report_run_tick(c, now);
	return 0;
}

int
report_run_submitted(struct collector *c, int64_t id, const char *kind, const char *to,
    const char *ref, const char *actor, char *err, size_t errlen)
{
	struct store_audit_entry a;
	char detail[768];
	int64_t now = clock_now_us();
	int rc;

	if (deadline_kind_parse(kind) < 0)
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s is not a kind of report: use "
		    "notice, initial, closing or breach", kind);
	snprintf(detail, sizeof(detail), "%s to %s, reference %s", kind, to, ref);
	memset(&a, 0, sizeof(a));
	a.time_us = now;
	a.actor = actor;
	a.incident = id;
	a.action = "report-submitted";
	a.detail = detail;
	rc = store_deadline_submit(c->store, id, kind, now, actor, to, ref, &a);
	if (rc == VIGIL_ERR_NOTFOUND)
		return err_fmt(err, errlen, rc, "incident %lld has no %s deadline; mark it "
		    "reportable first", (long long)id, kind);
	if (rc == VIGIL_ERR_PROTO)
		return err_fmt(err, errlen, rc, "the %s of incident %lld is already recorded as "
		    "submitted", kind, (long long)id);
	if (rc != 0)
		return err_fmt(err, errlen, rc, "the store cannot record it: %s",
		    store_errmsg(c->store));
	log_info("Incident %lld: %s submitted by %s.", (long long)id, detail, actor);
	return 0;
}

/* One step of a deadline: the chain is told through the escalation engine; saved once. */
static void
step(struct collector *c, const struct row *r, int stage)
{
	struct incident_request rq;
	struct store_audit_entry a;
	struct escalate_told told[ESC_TOLD_MAX];
	struct inc x;
	char err[256], due[64], detail[512], why[160];
	size_t ntold;
	int rc;

	tz_time_people(due, sizeof(due), r->d.due_us, 1, 0);
	memset(&x, 0, sizeof(x));
	err[0] = '\0';
	if (store_incident_by_id(c->store, r->incident, got_inc, &x) == 0 && x.found &&
	    strcmp(x.status, "resolved") == 0) {
		/* Resolved: its climb has stopped, but the report is still owed. */
		snprintf(why, sizeof(why), "its %s report is %s (due %s)",
		    deadline_kind_name(r->kind), stage == 1 ? "near" : "overdue", due);
		rc = escalate_notify_level(c, r->incident, stage, "system", why, clock_now_us(),
		    told, &ntold, err, sizeof(err));
	} else {
		memset(&rq, 0, sizeof(rq));
		rq.id = r->incident;
		rq.act = INCIDENT_ACT_ESCALATE;
		rq.actor = "system";
		rq.level = stage; /* near: the first level again; overdue: the second */
		rc = incident_act(c, &rq, err, sizeof(err));
		if (rc == VIGIL_ERR_NOTFOUND && stage > 1) {
			rq.level = 1;
			err[0] = '\0';
			rc = incident_act(c, &rq, err, sizeof(err));
		}
	}
	snprintf(detail, sizeof(detail), "%s due %s%s%s", deadline_kind_name(r->kind), due,
	    rc == 0 ? "; the chain was notified" : "; not escalated: ", rc == 0 ? "" : err);
	memset(&a, 0, sizeof(a));
	a.time_us = clock_now_us();
	a.actor = "system";
	a.incident = r->incident;
	a.action = stage == 1 ? "deadline-near" : "deadline-overdue";
	a.detail = detail;
	if (store_deadline_stage(c->store, r->incident, deadline_kind_name(r->kind), stage, &a) !=
	    0) {
		log_warnx("Incident %lld: the %s step of its %s deadline cannot be saved: %s.",
		    (long long)r->incident, stage == 1 ? "near" : "overdue",
		    deadline_kind_name(r->kind), store_errmsg(c->store));
		return;
	}
	c->report->steps++;
	if (stage == 2)
		log_warnx("Incident %lld: its %s is overdue (%s).", (long long)r->incident,
		    deadline_kind_name(r->kind), detail);
	else
		log_info("Incident %lld: its %s is near (%s).", (long long)r->incident,
		    deadline_kind_name(r->kind), detail);
}

struct breach_walk {
	struct collector *c;
	const struct rows *rows;
	int64_t ids[256];
	size_t n;
	int category;
};

static int
breach_candidate(void *arg, const struct store_incident_row *r)
{
	struct breach_walk *b = arg;

	if (r->category == b->category && !has(b->rows, r->id, DL_BREACH) && b->n < 256)
		b->ids[b->n++] = r->id;
	return 0;
}

/* Open incidents of the breach categories start the 72-hour clock by themselves. */
static void
auto_breach(struct collector *c, const struct rows *rows, int64_t now_us)
{
	char list[sizeof(c->conf.report.breach_categories)], *tok, *save = NULL, err[256];
	struct store_incident_filter f;
	struct breach_walk b;
	size_t added;

	snprintf(list, sizeof(list), "%s", c->conf.report.breach_categories);
	for (tok = strtok_r(list, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		memset(&b, 0, sizeof(b));
		b.c = c;
		b.rows = rows;
		if ((b.category = category_from_name(tok)) <= 0)
			continue;
		memset(&f, 0, sizeof(f));
		f.category = b.category;
		f.min_severity = -1;
		if (store_query_incident_queue(c->store, &f, breach_candidate, &b) != 0)
			continue;
		for (size_t i = 0; i < b.n; i++)
			if (make(c, b.ids[i], 1u << DL_BREACH, "system", "a personal-data breach "
			    "by its category", now_us, &added, err, sizeof(err)) != 0)
				log_warnx("Incident %lld: %s.", (long long)b.ids[i], err);
	}
}

#define ROUTE_WALK_MAX 256 /* incidents a route marks in one pass; more wait for the next */

struct route_walk {
	struct collector *c;
	const struct rows *rows;
	struct {
		int64_t id;
		const char *route;
		unsigned kinds;
	} v[ROUTE_WALK_MAX];
	size_t n;
	int64_t last;
	int full;
};

static int
route_candidate(void *arg, const struct store_incident_row *r)
{
	struct route_walk *w = arg;
	const char *route[ESC_TRACKS_MAX];
	unsigned kinds[ESC_TRACKS_MAX];
	size_t n = escalate_run_reportable(w->c, r, route, kinds);

	for (size_t i = 0; i < n; i++) {
		int missing = 0;

		for (int k = 0; k < DL_KINDS; k++)
			missing |= (kinds[i] & (1u << k)) && k != DL_CLOSING && !has(w->rows, r->id, k);
		if (!missing)
			continue;
		if (w->n == ROUTE_WALK_MAX) {
			w->full = 1;
			return 1;
		}
		w->v[w->n].id = r->id;
		w->v[w->n].route = route[i];
		w->v[w->n++].kinds = kinds[i];
	}
	if (r->id > w->last)
		w->last = r->id;
	return 0;
}

/*
 * Open incidents opened since the last pass owe the reports of the routes
 * they match (a route's reportable key): their deadlines are made as
 * vigilctl incident reportable makes them, by "route NAME".
 */
static void
auto_route(struct collector *c, const struct rows *rows, int64_t now_us)
{
	struct store_incident_filter f;
	struct route_walk *w;
	char actor[160], err[256];
	size_t added;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return;
	w->c = c;
	w->rows = rows;
	w->last = c->report->route_seen;
	memset(&f, 0, sizeof(f));
	f.category = -1;
	f.min_severity = -1;
	f.after_id = c->report->route_seen;
	if (store_query_incident_queue(c->store, &f, route_candidate, w) != 0 && !w->full) {
		free(w);
		return;
	}
	for (size_t i = 0; i < w->n; i++) {
		snprintf(actor, sizeof(actor), "route %s", w->v[i].route);
		if (make(c, w->v[i].id, w->v[i].kinds, actor, "opened by a reportable route",
		    now_us, &added, err, sizeof(err)) != 0)
			log_warnx("Incident %lld: %s.", (long long)w->v[i].id, err);
	}
	/* A full pass starts again where it stopped; those made are kept (has()). */
	if (!w->full)
		c->report->route_seen = w->last;
	free(w);
}

void
report_run_routes(struct collector *c, int64_t now_us)
{
	struct rows rows = {0};

	if (c->report == NULL)
		return;
	if (store_deadlines(c->store, 0, 0, row_add, &rows) == 0 || rows.full)
		auto_route(c, &rows, now_us);
	free(rows.v);
}

size_t
report_run_tick(struct collector *c, int64_t now_us)
{
	struct rows rows = {0};
	uint64_t before;
	size_t added;
	char err[256];

	if (c->report == NULL)
		return 0;
	before = c->report->steps;
	if (store_deadlines(c->store, 0, 0, row_add, &rows) != 0 && !rows.full) {
		log_warnx("The report deadlines cannot be read: %s.", store_errmsg(c->store));
		free(rows.v);
		return 0;
	}
	if (rows.full && c->report->rows_skipped++ == 0)
		log_warnx("More than %d report deadlines: the rest wait for the next pass.",
		    ROWS_MAX);
	/* Reportable incidents resolved since: their closing report's clock starts. */
	for (size_t i = 0; i < rows.n; i++) {
		struct inc x;

		if (has(&rows, rows.v[i].incident, DL_CLOSING) ||
		    (i > 0 && rows.v[i - 1].incident == rows.v[i].incident))
			continue;
		memset(&x, 0, sizeof(x));
		if (store_incident_by_id(c->store, rows.v[i].incident, got_inc, &x) == 0 &&
		    x.found && x.resolved_us > 0 && strcmp(x.status, "resolved") == 0 &&
		    make(c, rows.v[i].incident, 1u << DL_CLOSING, "system", "the incident was "
		    "resolved", now_us, &added, err, sizeof(err)) != 0)
			log_warnx("Incident %lld: %s.", (long long)rows.v[i].incident, err);
	}
	auto_breach(c, &rows, now_us);
	auto_route(c, &rows, now_us);
	for (size_t i = 0; i < rows.n; i++) {
		const struct row *r = &rows.v[i];
		enum deadline_state s;

		if (r->submitted_us != 0)
			continue;
		s = deadline_state(&r->d, now_us, 0);
		if (s == DL_OVERDUE && r->stage < 2)
			step(c, r, 2);
		else if (s == DL_NEAR && r->stage < 1)
			step(c, r, 1);
	}
	free(rows.v);
	return (size_t)(c->report->steps - before);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct report_run *rr = arg;
	struct timeval tv = { REPORT_RUN_TICK_US / 1000000, 0 };

	report_run_tick(rr->c, clock_now_us());
	report_mail_tick(rr->c, rr->mail, clock_now_us());
	evtimer_add(rr->timer, &tv);
}

int
report_run_open(struct collector *c, char *err, size_t errlen)
{
	struct report_run *rr;
	struct timeval tv = { 0, 0 };
	char why[512];
	int rc;

	if ((rr = calloc(1, sizeof(*rr))) == NULL)
		return err_fmt(err, errlen, VIGIL_ERR_NOMEM, "out of memory");
	rr->c = c;
	rc = calendar_load(c->conf.report.holidays, &rr->cal, why, sizeof(why));
	if (rc == VIGIL_ERR_SYS) {
		/* Weekends only: a deadline can only come earlier than the law's, never later. */
		log_warnx("The holiday calendar %s cannot be read; report deadlines are counted "
		    "over weekends only, which may make them earlier than the law's.",
		    c->conf.report.holidays);
		rr->cal = calendar_default();
	} else if (rc != 0) {
		free(rr);
		return err_fmt(err, errlen, rc, "%s", why);
	}
	if (rr->cal == NULL) {
		free(rr);
		return err_fmt(err, errlen, VIGIL_ERR_NOMEM, "out of memory");
	}
	if (c->base != NULL) {
		if ((rr->timer = evtimer_new(c->base, tick_cb, rr)) == NULL) {
			calendar_free(rr->cal);
			free(rr);
			return err_fmt(err, errlen, VIGIL_ERR_NOMEM, "out of memory");
		}
		evtimer_add(rr->timer, &tv);
	}
	c->report = rr;
	why[0] = '\0';
	if ((rr->mail = report_mail_open(c, why, sizeof(why))) == NULL && why[0] != '\0') {
		report_run_free(c);
		return err_fmt(err, errlen, VIGIL_ERR_NOMEM, "%s", why);
	}
	return 0;
}

void
report_run_free(struct collector *c)
{
	if (c->report == NULL)
		return;
	if (c->report->timer != NULL)
		event_free(c->report->timer);
	report_mail_free(c->report->mail);
	calendar_free(c->report->cal);
	free(c->report);
	c->report = NULL;
}

const struct calendar *
report_run_calendar(const struct collector *c)
{
	return c->report != NULL ? c->report->cal : NULL;
}
