/*
 * The control socket's incident requests: the queue, one incident with its
 * timeline, an operator's action (through incident_act), the audit chain's
 * check and the escalation dry run.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "vigil/clock.h"
#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/privdrop.h"
#include "vigil/text.h"

#include "collector.h"
#include "control.h"
#include "control_int.h"
#include "control_report.h"
#include "session.h"
#include "compliance.h"
#include "audit.h"
#include "escalate.h"
#include "escalate_run.h"
#include "escalate_notify.h"
#include "incident.h"
#include "presence.h"
#include "roles.h"

static int incident_row(void *arg, const struct store_incident_row *r);

static int
incident_row(void *arg, const struct store_incident_row *r)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_int(w, "id", r->id);
	jw_str(w, "agent", r->agent);
	jw_str(w, "rule", r->rule);
	jw_str(w, "category", category_name(r->category));
	jw_str(w, "severity", severity_name(r->severity));
	jw_str(w, "status", r->status);
	jw_str(w, "title", r->title);
	jw_time(w, "first_seen", r->first_us);
	jw_time(w, "last_seen", r->last_us);
	jw_int(w, "events", r->events);
	/* incidents, audit, escalation */
	jw_str(w, "kind", r->kind);
	jw_str(w, "unit", r->unit);
	/* every unit it belongs to: a correlation's machines may be of several */
	jw_str(w, "units", r->units != NULL && r->units[0] != '\0' ? r->units : r->unit);
	jw_str(w, "assignee", r->assignee);
	jw_str(w, "resolution", r->resolution);
	jw_time(w, "opened", r->opened_us);
	jw_time(w, "acknowledged", r->acked_us);
	jw_time(w, "resolved", r->resolved_us);
	report_queue_members(w, r->id);
	jw_end(w);
	return 0;
}

/* The queue: open first, by severity, then age; the filters of vigilctl incidents. */
int
cmd_incidents(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "status", "severity", "category", "unit", "host",
	    "assignee", "mine", "kind", "limit", "field", "grep", "after", NULL };
	struct store_incident_filter f = { NULL, -1, -1, NULL, NULL, NULL, NULL,
	    0, NULL, NULL, NULL, 0, 0, NULL };
	const char *v;
	long long limit = 0, after = -1;
	int64_t cursor = 0;      /* --follow: the latest change (store.h) */

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "status")) != NULL) {
		if (strcmp(v, "open") != 0 && strcmp(v, "all") != 0 &&
		    incident_status_from_name(v) < 0) {
			bad_arg(err, errlen, "status", v, "open, all, new, acknowledged, "
			    "in_progress, resolved or false_positive");
			return -1;
		}
		f.status = incident_status_from_name(v) >= 0 ?
		    incident_status_name(incident_status_from_name(v)) : v;
	}
	if ((v = arg_get(args, nargs, "severity")) != NULL &&
	    (f.min_severity = severity_from_name(v)) <= 0) {
		bad_arg(err, errlen, "severity", v, "info, low, medium, high or critical");
		return -1;
	}
	if ((v = arg_get(args, nargs, "category")) != NULL &&
	    (f.category = category_from_name(v)) <= 0) {
		bad_arg(err, errlen, "category", v, "a category name such as auth or attack");
		return -1;
	}
	if (name_arg(args, nargs, "unit", &f.unit, err, errlen) != 0 ||
	    name_arg(args, nargs, "host", &f.host, err, errlen) != 0 ||
	    name_arg(args, nargs, "assignee", &f.assignee, err, errlen) != 0 ||
	    name_arg(args, nargs, "kind", &f.kind, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "mine")) != NULL) {
		if (strcmp(v, "1") != 0) {
			bad_arg(err, errlen, "mine", v, "1");
			return -1;
		}
		f.assignee = w->conn != NULL ? w->conn->user : "";
	}
	if (num_arg(args, nargs, "limit", 1, CTL_MAX_LIMIT, "a number from 1 to 100000", &limit,
	    err, errlen) != 0)
		return -1;
	f.limit = (long)limit;
	if (field_arg(args, nargs, &f.field_key, &f.field_value, err, errlen) != 0 ||
	    grep_arg(args, nargs, &f.grep, err, errlen) != 0 ||
	    num_arg(args, nargs, "after", 0, LLONG_MAX, "a cursor", &after, err, errlen) != 0)
		return -1;
	/* --follow: after the first answer, what is new or changed, as kubectl get -w */
	f.after_change = after > 0 ? after : 0;
	f.change_top = after >= 0 ? &cursor : NULL;
	if (store_query_incident_queue(w->ctl->c->store, &f, incident_row, w) != 0) {
		snprintf(err, errlen, "the store cannot list the incidents");
		return -1;
	}
	if (after >= 0)
		cursor_line(w, cursor);
	return 0;
}

/* ---- incident show: the incident, then its timeline ---- */

struct show_names {
	char buf[4096];
	size_t len;
};

static int
show_agent(void *arg, const char *name)
{
	struct show_names *sn = arg;
	int n = snprintf(sn->buf + sn->len, sizeof(sn->buf) - sn->len, "%s%s",
	    sn->len > 0 ? ", " : "", name);

	if (n > 0 && (size_t)n < sizeof(sn->buf) - sn->len)
		sn->len += (size_t)n;
	return 0;
}

static int
show_event(void *arg, const struct store_event_row *r)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "type", "event");
	event_members(w, r);
	jw_end(w);
	return 0;
}

static int
show_notification(void *arg, const struct store_outbox_row *o)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "type", "notification");
	jw_int(w, "notification", o->id);
	jw_time(w, "time", o->created_us);
	jw_time(w, "due", o->due_us);
	jw_int(w, "level", o->level);
	jw_int(w, "repeat", o->repeat);
	jw_bool(w, "manual", o->manual);
	jw_str(w, "route", o->route);
	jw_str(w, "contact", o->contact);
	jw_str(w, "channel", o->channel);
	jw_str(w, "target", o->target);
	jw_str(w, "status", o->status);
	jw_int(w, "attempts", o->attempts);
	jw_time(w, "done", o->done_us);
	jw_end(w);
	return 0;
}

static int
show_attempt(void *arg, const struct store_attempt *a)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "type", "attempt");
	jw_int(w, "notification", a->outbox_id);
	jw_int(w, "attempt", a->attempt);
	jw_time(w, "time", a->started_us);
	jw_time(w, "finished", a->finished_us);
	jw_bool(w, "ok", a->ok);
	jw_str(w, "failure", a->failure);
	jw_int(w, "code", a->code);
	/* Not "error": a line with that member is the daemon's refusal (ctl.h). */
	jw_str(w, "reason", a->error);
	jw_time(w, "next", a->next_us);
	jw_end(w);
	return 0;
}

static int
show_action(void *arg, const struct audit_record *r)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "type", "action");
	jw_int(w, "audit", r->id);
	jw_time(w, "time", r->time_us);
	jw_str(w, "actor", r->actor);
	jw_str(w, "action", r->action);
	jw_str(w, "detail", r->detail);
	jw_end(w);
	return 0;
}

int
cmd_incident(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", NULL };
	struct store *st = w->ctl->c->store;
	struct show_names sn;
	long long id;
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0)
		return -1;
	rc = store_get_incident(st, id, incident_row, show_event, w);
	if (rc == VIGIL_ERR_NOTFOUND) {
		snprintf(err, errlen, "there is no incident %lld", id);
		return -1;
	}
	memset(&sn, 0, sizeof(sn));
	if (rc != 0 || store_incident_agents(st, id, show_agent, &sn) != 0 ||
	    store_incident_notifications(st, id, show_notification, show_attempt, w) != 0 ||
	    store_audit_walk(st, id, show_action, w) != 0 || report_deadline_lines(w, id) != 0) {
		snprintf(err, errlen, "the store cannot read incident %lld", id);
		return -1;
	}
	if (sn.len > 0) {
		jw_begin(w);
		jw_str(w, "type", "machines");
		jw_str(w, "agents", sn.buf);
		jw_end(w);
	}
	return 0;
}

struct who_ctx {
	struct jw *w;
	int level;
};

/* One contact a manual escalation notifies: its name and its channels. */
static void
who_line(void *arg, const char *route, const struct escalate_contact *p)
{
	struct who_ctx *wc = arg;
	char channels[64];

	escalate_contact_channels(p, channels, sizeof(channels));
	jw_begin(wc->w);
	jw_str(wc->w, "type", "notified");
	jw_int(wc->w, "level", wc->level);
	jw_str(wc->w, "route", route);
	jw_str(wc->w, "contact", p->label);
	jw_str(wc->w, "name", p->name);
	jw_str(wc->w, "channels", channels);
	jw_end(wc->w);
}

/* ack|assign|note|resolve|reopen|escalate, through incident_fsm, audited. */
int
cmd_incident_action(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", "action", "user", "text", "resolution",
	    "level", NULL };
	struct incident_request rq;
	const char *v;
	long long id, n;
	int a;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0)
		return -1;
	memset(&rq, 0, sizeof(rq));
	rq.id = id;
	rq.actor = w->conn != NULL ? w->conn->user : "unknown";
	if ((v = arg_get(args, nargs, "action")) == NULL || (a = incident_action_from_name(v)) < 0) {
		bad_arg(err, errlen, "action", v != NULL ? v : "", "ack, assign, note, resolve, "
		    "reopen or escalate");
		return -1;
	}
	rq.act = (enum incident_action)a;
	if (name_arg(args, nargs, "user", &rq.user, err, errlen) != 0)
		return -1;
	if ((rq.text = arg_get(args, nargs, "text")) != NULL &&
	    (rq.text[0] == '\0' || strlen(rq.text) >= CTL_NOTE_MAX)) {
		snprintf(err, errlen, "a note is 1 to %d bytes", CTL_NOTE_MAX - 1);
		ctl_usage_error = 1;
		return -1;
	}
	switch (rq.act) {
	case INCIDENT_ACT_ASSIGN:
		if (rq.user == NULL) {
			snprintf(err, errlen, "assign needs the user to assign to");
			return -1;
		}
		break;
	case INCIDENT_ACT_NOTE:
		if (rq.text == NULL) {
			snprintf(err, errlen, "note needs its text");
			return -1;
		}
		break;
	case INCIDENT_ACT_RESOLVE:
		if ((v = arg_get(args, nargs, "resolution")) == NULL ||
		    (a = incident_resolution_from_name(v)) <= 0) {
			bad_arg(err, errlen, "resolution", v != NULL ? v : "", "true_positive, "
			    "false_positive, duplicate or benign");
			return -1;
		}
		rq.res = (enum incident_resolution)a;
		break;
	case INCIDENT_ACT_ESCALATE:
		if ((v = arg_get(args, nargs, "level")) == NULL ||
		    text_parse_ll(v, 1, ESC_LEVELS_MAX, &n) != 0) {
			bad_arg(err, errlen, "level", v != NULL ? v : "", "a chain level from 1 to 8");
			return -1;
		}
		rq.level = (int)n;
		break;
	default:
		break;
	}
	if ((a = incident_act(w->ctl->c, &rq, err, errlen)) != 0) {
		/* a level no chain of the incident has: the request's value was wrong */
		if (a == VIGIL_ERR_RANGE)
			ctl_usage_error = 1;
		return -1;
	}
	if (store_incident_by_id(w->ctl->c->store, id, incident_row, w) != 0) {
		snprintf(err, errlen, "the store cannot read incident %lld", id);
		return -1;
	}
	if (rq.act == INCIDENT_ACT_ESCALATE) {
		struct who_ctx wc = { w, rq.level };

		escalate_run_who(w->ctl->c, id, rq.level, who_line, &wc);
	}
	return 0;
}

/* "Escalate to Police": tell a route's or a contact's people now (escalate_notify.h). */
int
cmd_incident_notify(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", "who", NULL };
	struct escalate_told told[ESC_TOLD_MAX];
	const char *who;
	size_t n = 0;
	long long id;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0 ||
	    name_arg(args, nargs, "who", &who, err, errlen) != 0)
		return -1;
	if (who == NULL) {
		snprintf(err, errlen, "missing argument who (a route such as police, or a contact)");
		return -1;
	}
	if (escalate_notify_now(w->ctl->c, id, who, w->conn != NULL ? w->conn->user : "unknown",
	    clock_now_us(), told, &n, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		jw_begin(w);
		jw_int(w, "id", id);
		jw_str(w, "contact", told[i].contact);
		jw_str(w, "name", told[i].name);
		jw_str(w, "channel", told[i].channel);
		jw_str(w, "target", told[i].target);
		jw_int(w, "notification", told[i].outbox);
		jw_end(w);
	}
	return 0;
}

struct verify_walk {
	struct audit_verifier v;
	int nomem;
};

static int
verify_one(void *arg, const struct audit_record *r)
{
	struct verify_walk *vw = arg;
	int rc = audit_verify_next(&vw->v, r);

	if (rc == VIGIL_ERR_NOMEM)
		vw->nomem = 1;
	/* The first fault is the one to name; later ones follow from it. */
	return rc != 0 ? 1 : 0;
}

int
cmd_audit_verify(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { NULL };
	struct verify_walk vw;
	char head[AUDIT_HEX_LEN], why[512];
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	memset(&vw, 0, sizeof(vw));
	audit_verify_init(&vw.v);
	rc = store_audit_walk(w->ctl->c->store, 0, verify_one, &vw);
	if ((rc != 0 && rc != 1) || vw.nomem) {
		snprintf(err, errlen, "the store cannot read the audit trail");
		return -1;
	}
	audit_hex(vw.v.head, head);
	jw_begin(w);
	jw_bool(w, "ok", vw.v.fault.kind == AUDIT_OK);
	jw_int(w, "records", vw.v.count);
	jw_int(w, "last_id", vw.v.last_id);
	jw_str(w, "head", head);
	if (vw.v.fault.kind != AUDIT_OK) {
		audit_fault_describe(&vw.v.fault, why, sizeof(why));
		jw_int(w, "fault_id", vw.v.fault.id);
		jw_str(w, "fault", why);
	}
	jw_end(w);
	return 0;
}

/* The same plan as data: one {"type":"step"} line per notification it would send. */
static int
escalation_steps(struct jw *w, int cat, int sev, const char *unit, const char *host,
    const char *rule, char *err, size_t errlen)
{
	const struct escalate_conf *ec = escalate_run_conf(w->ctl->c);
	struct escalate_incident inc;
	struct escalate_plan *plan;
	const struct escalate_contact *p;
	const char *addr;

	if (ec == NULL)
		return 0;
	if ((plan = malloc(sizeof(*plan))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(&inc, 0, sizeof(inc));
	inc.category = cat;
	inc.severity = sev;
	inc.unit = unit;
	inc.host = host;
	inc.agent = host;
	inc.rule = rule;
	inc.created_us = clock_now_us();
	if (escalate_plan(ec, &inc, plan) != 0) {
		free(plan);
		snprintf(err, errlen, "cannot plan the escalation");
		return -1;
	}
	for (size_t i = 0; i < plan->nsteps; i++) {
		const struct escalate_step *st = &plan->steps[i];

		p = &ec->contacts[st->contact];
		switch (st->channel) {
		case ESC_CHANNEL_EMAIL:
			addr = p->email;
			break;
		case ESC_CHANNEL_WEBHOOK:
			addr = p->webhook;
			break;
		case ESC_CHANNEL_SMS:
			addr = p->phone;
			break;
		default:
			addr = p->command;
			break;
		}
		jw_begin(w);
		jw_str(w, "type", "step");
		jw_int(w, "after_s", (st->at_us - inc.created_us) / 1000000);
		jw_time(w, "at", st->at_us);
		jw_str(w, "route", ec->routes[st->route].label);
		jw_int(w, "level", st->level);
		jw_int(w, "repeat", st->repeat);
		jw_str(w, "contact", p->label);
		jw_str(w, "name", p->name);
		jw_str(w, "channel", escalate_channel_name(st->channel));
		jw_str(w, "address", addr);
		jw_end(w);
	}
	jw_begin(w);
	jw_str(w, "type", "summary");
	jw_int(w, "routes", (long long)plan->nroutes);
	jw_int(w, "steps", (long long)plan->nsteps);
	jw_bool(w, "truncated", plan->truncated);
	jw_end(w);
	free(plan);
	return 0;
}

int
cmd_escalation_test(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "category", "severity", "unit", "host", "rule",
		NULL };
	const char *v, *unit, *host, *rule;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int cat, sev, rc;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "category")) == NULL || (cat = category_from_name(v)) <= 0) {
		bad_arg(err, errlen, "category", v != NULL ? v : "", "a category name");
		return -1;
	}
	if ((v = arg_get(args, nargs, "severity")) == NULL || (sev = severity_from_name(v)) <= 0) {
		bad_arg(err, errlen, "severity", v != NULL ? v : "", "info, low, medium, high or "
		    "critical");
		return -1;
	}
	if (name_arg(args, nargs, "unit", &unit, err, errlen) != 0 ||
	    name_arg(args, nargs, "host", &host, err, errlen) != 0 ||
	    name_arg(args, nargs, "rule", &rule, err, errlen) != 0)
		return -1;
	if (!escalate_run_enabled(w->ctl->c)) {
		snprintf(err, errlen, "escalation is not configured (escalation = FILE in "
		    "[collector]): nobody would be notified");
		return -1;
	}
	if ((fp = open_memstream(&text, &len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = escalate_run_explain(w->ctl->c, cat, sev, unit, host, rule, fp);
	fclose(fp);
	if (rc != 0) {
		snprintf(err, errlen, "cannot explain the escalation: %s", vigil_strerror(rc));
		free(text);
		return -1;
	}
	jw_begin(w);
	jw_str(w, "type", "text");
	jw_str(w, "text", text);
	jw_end(w);
	free(text);
	return escalation_steps(w, cat, sev, unit, host, rule, err, errlen);
}
