/*
 * The data of an incident's report forms (report_data.h). Everything comes
 * from the store and the configuration; nothing here renders anything: the
 * document is made by vigil-report-render in a process of its own.
 *
 * A profile field a form needs that is not set is refused here, naming the
 * key to set, rather than left to the renderer's "missing field": the
 * operator learns where to write it. A field the operator has not filled is
 * left out of "fields", and the renderer names it (fields.harm).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/buf.h"
#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/jsonw.h"
#include "vigil/names.h"
#include "vigil/tz.h"

#include "../report/summary.h"

#include "audit.h"
#include "collector.h"
#include "report_data.h"
#include "store.h"
#include "store_report.h"

static const char *const form_names[REPORT_FORMS] = { "notice", "initial", "closing", "breach" };

int
report_form_parse(const char *name)
{
	for (int i = 0; i < REPORT_FORMS; i++)
		if (name != NULL && strcmp(name, form_names[i]) == 0)
			return i;
	return -1;
}

const char *
report_form_name(enum report_form f)
{
	return f < REPORT_FORMS ? form_names[f] : "?";
}

/* What the shipped templates read from "fields" (README, "The data ..."). */
static const char *const field_names[] = {
	"assessment", "harm", "measures", "help_requested", "cause", "result", "lessons",
	"data_types", "data_subjects", "consequences", "breach_description", "breach_place",
	"breach_parties", "document_number",
};

int
report_field_known(const char *name)
{
	for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		if (strcmp(name, field_names[i]) == 0)
			return 1;
	return 0;
}

const char *
report_field_list(void)
{
	return "assessment, harm, measures, help_requested, cause, result, lessons, data_types, "
	       "data_subjects, consequences, breach_description, breach_place, breach_parties, "
	       "document_number";
}

static const struct {
	const char *status, *text;
} status_texts[] = {
	{ "new", "Mới phát hiện, chưa tiếp nhận" },
	{ "acknowledged", "Đã tiếp nhận" },
	{ "in_progress", "Đang xử lý" },
	{ "resolved", "Đã xử lý xong" },
	{ "false_positive", "Cảnh báo nhầm" },
};

/* The actions of the audit trail a form lists, in its words; the rest are left out. */
static const struct {
	const char *action, *text;
	int detail;    /* the record's detail is shown */
} action_texts[] = {
	{ "ack", "Tiếp nhận sự cố", 0 },
	{ "assign", "Giao xử lý", 1 },
	{ "note", "Ghi nhận", 1 },
	{ "resolve", "Kết thúc xử lý sự cố", 0 },
	{ "reopen", "Mở lại sự cố", 0 },
	{ "escalate", "Báo cáo cấp trên", 0 },
	{ "report-submitted", "Gửi báo cáo", 1 },
};

struct ctx {
	struct collector *c;
	struct jsonw *w;
	int tz;
	struct store_incident_row inc;
	char *agent, *title, *status, *kind;
	int found;
	char *machines[REPORT_MACHINES_MAX];
	size_t nmachines;
	size_t nsymptoms;
	size_t nactions;
	int64_t first_event_us;
};

static void
jtime(struct ctx *x, const char *key, int64_t us)
{
	char t[64];

	if (us <= 0) {
		jsonw_null(x->w, key);
		return;
	}
	summary_time_iso(t, sizeof(t), us, x->tz);
	jsonw_str(x->w, key, t);
}

static void
add_machine(struct ctx *x, const char *name)
{
	if (name == NULL || name[0] == '\0' || x->nmachines == REPORT_MACHINES_MAX)
		return;
	for (size_t i = 0; i < x->nmachines; i++)
		if (strcmp(x->machines[i], name) == 0)
			return;
	if ((x->machines[x->nmachines] = strdup(name)) != NULL)
		x->nmachines++;
}

static int
got_incident(void *arg, const struct store_incident_row *r)
{
	struct ctx *x = arg;

	x->inc = *r;
	x->agent = strdup(r->agent != NULL ? r->agent : "");
	x->title = strdup(r->title != NULL ? r->title : "");
	x->status = strdup(r->status != NULL ? r->status : "");
	x->kind = strdup(r->kind != NULL ? r->kind : "");
	x->found = 1;
	return 0;
}

/* First pass over the events: the machines and the first event's time. */
static int
scan_event(void *arg, const struct store_event_row *r)
{
	struct ctx *x = arg;

	add_machine(x, r->agent);
	if (x->first_event_us == 0 || r->time_us < x->first_event_us)
		x->first_event_us = r->time_us;
	return 0;
}

static int
scan_agent(void *arg, const char *name)
{
	add_machine(arg, name);
	return 0;
}

static int
write_symptom(void *arg, const struct store_event_row *r)
{
	struct ctx *x = arg;

	if (x->nsymptoms++ >= REPORT_SYMPTOMS_MAX)
		return 0;
	jsonw_object(x->w, NULL);
	jtime(x, "time", r->time_us);
	jsonw_str(x->w, "host", r->agent);
	jsonw_str(x->w, "summary", r->summary != NULL && r->summary[0] != '\0' ? r->summary :
	                                                                        r->rule);
	jsonw_end(x->w);
	return 0;
}

static int
write_machine_of(void *arg, const struct store_agent_row *a)
{
	struct ctx *x = arg;
	char ip[64];
	const char *colon;
	size_t n;

	for (size_t i = 0; i < x->nmachines; i++) {
		if (strcmp(x->machines[i], a->agent) != 0)
			continue;
		jsonw_object(x->w, NULL);
		jsonw_str(x->w, "name", a->hostname != NULL && a->hostname[0] != '\0' ?
		                            a->hostname : a->agent);
		/* "10.0.0.5:41234" or "[2001:db8::1]:41234": the address without its port. */
		if (a->address != NULL && a->address[0] != '\0') {
			const char *s = a->address;

			if (s[0] == '[' && (colon = strchr(s, ']')) != NULL) {
				s++;
				n = (size_t)(colon - s);
			} else {
				colon = strrchr(s, ':');
				n = colon != NULL ? (size_t)(colon - s) : strlen(s);
			}
			snprintf(ip, sizeof(ip), "%.*s", (int)(n < sizeof(ip) ? n : sizeof(ip) - 1),
			    s);
			jsonw_str(x->w, "ip", ip);
		}
		if (a->unit != NULL && a->unit[0] != '\0')
			jsonw_str(x->w, "unit", a->unit);
		jsonw_end(x->w);
		free(x->machines[i]);
		x->machines[i] = x->machines[--x->nmachines];
		break;
	}
	return 0;
}

static int
write_action(void *arg, const struct audit_record *r)
{
	struct ctx *x = arg;

	for (size_t i = 0; i < sizeof(action_texts) / sizeof(action_texts[0]); i++) {
		if (strcmp(r->action, action_texts[i].action) != 0)
			continue;
		if (x->nactions++ >= REPORT_TIMELINE_MAX)
			return 0;
		jsonw_object(x->w, NULL);
		jtime(x, "time", r->time_us);
		jsonw_str(x->w, "actor", r->actor);
		jsonw_str(x->w, "action", action_texts[i].text);
		if (action_texts[i].detail && r->detail != NULL && r->detail[0] != '\0')
			jsonw_str(x->w, "detail", r->detail);
		jsonw_end(x->w);
		break;
	}
	return 0;
}

static int
write_field(void *arg, const struct store_report_field *f)
{
	struct ctx *x = arg;

	if (strcmp(f->name, "document_number") != 0)
		jsonw_str(x->w, f->name, f->value);
	return 0;
}

static int
document_number(void *arg, const struct store_report_field *f)
{
	struct ctx *x = arg;

	if (strcmp(f->name, "document_number") == 0)
		jsonw_str(x->w, "number", f->value);
	return 0;
}

void
report_unit_json(struct jsonw *w, const struct conf_unit *u)
{
	jsonw_object(w, "unit");
	jsonw_str(w, "name", u->name);
	jsonw_str(w, "parent", u->parent);
	jsonw_str(w, "short", u->short_name);
	jsonw_str(w, "place", u->place);
	jsonw_str(w, "address", u->address);
	jsonw_str(w, "format", u->format);
	jsonw_object(w, "head");
	jsonw_str(w, "name", u->head_name);
	jsonw_str(w, "position", u->head_position);
	jsonw_end(w);
	if (u->sign_for[0] != '\0')
		jsonw_str(w, "sign_for", u->sign_for);
	jsonw_object(w, "it_contact");
	jsonw_str(w, "name", u->it_name);
	jsonw_str(w, "position", u->it_position);
	jsonw_str(w, "phone", u->it_phone);
	jsonw_str(w, "email", u->it_email);
	jsonw_end(w);
	jsonw_array(w, "systems");
	for (size_t i = 0; i < u->nsystems; i++) {
		jsonw_object(w, NULL);
		jsonw_str(w, "name", u->systems[i].name);
		jsonw_int(w, "level", u->systems[i].level);
		if (u->systems[i].description[0] != '\0')
			jsonw_str(w, "description", u->systems[i].description);
		jsonw_end(w);
	}
	jsonw_end(w);
	jsonw_array(w, "recipients");
	for (size_t i = 0; i < u->nrecipients; i++) {
		jsonw_object(w, NULL);
		jsonw_str(w, "name", u->recipients[i].name);
		jsonw_end(w);
	}
	jsonw_end(w);
	jsonw_end(w);
}

static const char *
category_text(int cat)
{
	const char *name = category_name(cat);

	for (int i = 0; i < SUMMARY_CATEGORIES; i++)
		if (strcmp(name, summary_category_names[i]) == 0)
			return summary_category_texts[i];
	return name;
}

static const char *
severity_text(int sev)
{
	const char *name = severity_name(sev);

	for (int i = 0; i < SUMMARY_SEVERITIES; i++)
		if (strcmp(name, summary_severity_names[i]) == 0)
			return summary_severity_texts[i];
	return name;
}

int
report_incident_data(struct collector *c, int64_t id, enum report_form form, struct buf *out,
    char *err, size_t errlen)
{
	struct store *st = c->store;
	struct ctx x;
	struct jsonw w;
	const char *path, *key, *status_text = "";
	char code[32], today[64];
	int rc;

	(void)form; /* every form reads the same data; the template picks what it shows */
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.w = &w;
	x.tz = tz_offset_min(clock_now_us());
	if (conf_unit_missing(&c->conf.unit, &path, &key))
		return err_fmt(err, errlen, VIGIL_ERR_CONFIG, "The unit profile has no %s: set %s "
		    "in the collector's configuration.", path, key);
	rc = store_get_incident(st, id, got_incident, scan_event, &x);
	if (rc == VIGIL_ERR_NOTFOUND || (rc == 0 && !x.found)) {
		rc = err_fmt(err, errlen, VIGIL_ERR_NOTFOUND, "There is no incident %lld.",
		    (long long)id);
		goto out;
	}
	if (rc != 0 || store_incident_agents(st, id, scan_agent, &x) != 0) {
		rc = err_fmt(err, errlen, VIGIL_ERR_DB, "The store cannot read incident %lld.",
		    (long long)id);
		goto out;
	}
	add_machine(&x, x.agent);
	for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (strcmp(x.status, status_texts[i].status) == 0)
			status_text = status_texts[i].text;

	jsonw_buf(&w, out);
	jsonw_object(&w, NULL);
	jsonw_object(&w, "vigil");
	jsonw_str(&w, "version", COLLECTOR_VERSION);
	jtime(&x, "generated_at", clock_now_us());
	jsonw_end(&w);
	jsonw_object(&w, "document");
	summary_time_iso(today, sizeof(today), clock_now_us(), x.tz);
	today[10] = '\0';
	jsonw_str(&w, "date", today);
	jsonw_str(&w, "form", report_form_name(form));
	if (store_report_fields(st, id, document_number, &x) != 0)
		goto dberr;
	jsonw_end(&w);
	report_unit_json(&w, &c->conf.unit);

	jsonw_object(&w, "incident");
	jsonw_int(&w, "id", id);
	snprintf(code, sizeof(code), "VG-%lld", (long long)id);
	jsonw_str(&w, "code", code);
	jsonw_str(&w, "title", x.title);
	jsonw_str(&w, "category", category_name(x.inc.category));
	jsonw_str(&w, "category_text", category_text(x.inc.category));
	jsonw_str(&w, "severity", severity_name(x.inc.severity));
	jsonw_str(&w, "severity_text", severity_text(x.inc.severity));
	jsonw_str(&w, "status", x.status);
	jsonw_str(&w, "status_text", status_text);
	jtime(&x, "first_seen", x.first_event_us > 0 && x.first_event_us < x.inc.first_us ?
	                            x.first_event_us : x.inc.first_us);
	/* Detection is when the collector opened the incident (the first event for older rows). */
	jtime(&x, "detected_at", x.inc.opened_us > 0 ? x.inc.opened_us : x.inc.first_us);
	jtime(&x, "acknowledged_at", x.inc.acked_us);
	jtime(&x, "resolved_at", x.inc.resolved_us);
	jsonw_array(&w, "machines");
	if (store_query_agents(st, write_machine_of, &x) != 0)
		goto dberr;
	/* Machines the store no longer knows are listed by name. */
	for (size_t i = 0; i < x.nmachines; i++) {
		jsonw_object(&w, NULL);
		jsonw_str(&w, "name", x.machines[i]);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	jsonw_array(&w, "symptoms");
	if (store_get_incident(st, id, NULL, write_symptom, &x) != 0)
		goto dberr;
	jsonw_end(&w);
	jsonw_int(&w, "symptoms_total", (long long)x.nsymptoms);
	jsonw_array(&w, "timeline");
	if (store_audit_walk(st, id, write_action, &x) != 0)
		goto dberr;
	jsonw_end(&w);
	jsonw_end(&w);

	jsonw_object(&w, "fields");
	if (store_report_fields(st, id, write_field, &x) != 0)
		goto dberr;
	jsonw_end(&w);
	jsonw_end(&w);
	if (jsonw_error(&w) != 0 || buf_error(out) != 0) {
		rc = err_fmt(err, errlen, VIGIL_ERR_TOOBIG, "The data of incident %lld is larger "
		    "than %d KiB.", (long long)id, REPORT_DATA_MAX / 1024);
		goto out;
	}
	rc = 0;
	goto out;
dberr:
	rc = err_fmt(err, errlen, VIGIL_ERR_DB, "The store cannot read incident %lld: %s.",
	    (long long)id, store_errmsg(st));
out:
	for (size_t i = 0; i < x.nmachines; i++)
		free(x.machines[i]);
	free(x.agent);
	free(x.title);
	free(x.status);
	free(x.kind);
	return rc;
}
