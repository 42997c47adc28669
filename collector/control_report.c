/*
 * The control socket's report requests (issue 17):
 *
 *   report-fill id=N field=F value=V     what the operator adds to the forms
 *                                        (operators; audited)
 *   report-data id=N form=notice|initial|closing|breach
 *                                        the data of a form, with the
 *                                        template to fill and where templates
 *                                        and the renderer are (viewers)
 *   report-reportable id=N [kinds=notice,initial,closing,breach]
 *                                        its deadlines start (operators)
 *   report-submitted id=N kind=K to=WHOM ref=REFERENCE
 *                                        a report recorded as sent (operators)
 *
 *   report-summary period=P [unit=U] [format=pdf|html|csv|docx]
 *                                        the periodic summary's data (viewers)
 *
 * Each of the two before answers with the incident's deadlines, one line each (as incident
 * show lists them: report_deadline_lines()).
 *
 * The collector never renders: vigilctl runs vigil-report-render as the
 * operator's own process with its caps, so that the network-facing daemon
 * neither parses templates nor writes files where the operator asks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "vigil/buf.h"
#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"

#include "collector.h"
#include "control_int.h"
#include "control_report.h"
#include "report_data.h"
#include "report_run.h"
#include "report_summary.h"
#include "../report/deadline.h"
#include "store.h"
#include "store_report.h"

int
cmd_report_fill(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", "field", "value", NULL };
	struct store_audit_entry a;
	const char *field, *value;
	char detail[STORE_FIELD_NAME_MAX + 400];
	long long id;
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0)
		return -1;
	if ((field = arg_get(args, nargs, "field")) == NULL || !report_field_known(field)) {
		bad_arg(err, errlen, "field", field != NULL ? field : "", report_field_list());
		return -1;
	}
	if ((value = arg_get(args, nargs, "value")) == NULL || value[0] == '\0' ||
	    strlen(value) > STORE_FIELD_VALUE_MAX) {
		snprintf(err, errlen, "a field's value is 1 to %d bytes", STORE_FIELD_VALUE_MAX);
		return -1;
	}
	if (!text_utf8_valid(value, strlen(value))) {
		snprintf(err, errlen, "a field's value must be UTF-8 text");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "a field's value holds no control characters");
			return -1;
		}
	/* The audit keeps the start of the text: the whole is in the field. */
	snprintf(detail, sizeof(detail), "%s: %.300s%s", field, value,
	    strlen(value) > 300 ? "…" : "");
	memset(&a, 0, sizeof(a));
	a.time_us = clock_now_us();
	a.actor = w->conn != NULL ? w->conn->user : "unknown";
	a.incident = id;
	a.action = "report-fill";
	a.detail = detail;
	rc = store_report_field_set(w->ctl->c->store, id, field, value, &a);
	if (rc == VIGIL_ERR_NOTFOUND) {
		snprintf(err, errlen, "there is no incident %lld", id);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "the store cannot keep the field: %s",
		    store_errmsg(w->ctl->c->store));
		return -1;
	}
	log_info("%s filled %s of incident %lld.", a.actor, field, id);
	jw_begin(w);
	jw_int(w, "id", id);
	jw_str(w, "field", field);
	jw_str(w, "value", value);
	jw_end(w);
	return 0;
}

int
cmd_report_data(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", "form", NULL };
	const struct conf *conf = &w->ctl->c->conf;
	struct buf b;
	const char *v;
	char tmpl[64];
	long long id;
	int form;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "form")) == NULL || (form = report_form_parse(v)) < 0) {
		bad_arg(err, errlen, "form", v != NULL ? v : "", "notice, initial, closing or breach");
		return -1;
	}
	buf_init(&b, REPORT_DATA_MAX);
	if (report_incident_data(w->ctl->c, id, (enum report_form)form, &b, err, errlen) != 0) {
		buf_free(&b);
		return -1;
	}
	snprintf(tmpl, sizeof(tmpl), "%s-%s", report_form_name((enum report_form)form),
	    conf->unit.format);
	jw_begin(w);
	jw_int(w, "id", id);
	jw_str(w, "form", report_form_name((enum report_form)form));
	jw_str(w, "template", tmpl);
	jw_str(w, "templates", conf->report.templates);
	jw_str(w, "shipped", conf->report.shipped);
	jw_str(w, "renderer", conf->report.renderer);
	jw_str(w, "data", b.p);
	jw_end(w);
	buf_free(&b);
	return 0;
}

/* ---- deadlines (report_run.c) ---- */

struct dl_walk {
	struct jw *w;
	int tz;
	int queue;     /* the queue's members: the first pending deadline only */
	int done;
};

static int
deadline_line(void *arg, const struct store_deadline_row *d)
{
	struct dl_walk *x = arg;
	struct deadline dl;
	enum deadline_state s;

	memset(&dl, 0, sizeof(dl));
	dl.start_us = d->start_us;
	dl.due_us = d->due_us;
	dl.near_us = d->near_us;
	s = deadline_state_now(&dl, d->submitted_us);
	if (x->queue) {
		if (x->done || d->submitted_us != 0)
			return 0;
		x->done = 1;
		jw_str(x->w, "deadline", d->kind);
		jw_time(x->w, "deadline_due", d->due_us);
		jw_str(x->w, "deadline_state", deadline_state_name(s));
		return 0;
	}
	jw_begin(x->w);
	jw_str(x->w, "type", "deadline");
	jw_int(x->w, "id", d->incident);
	jw_str(x->w, "kind", d->kind);
	jw_time(x->w, "time", d->due_us);
	jw_time(x->w, "start", d->start_us);
	jw_time(x->w, "due", d->due_us);
	jw_time(x->w, "near", d->near_us);
	jw_str(x->w, "state", deadline_state_name(s));
	jw_bool(x->w, "provisional", d->provisional);
	jw_bool(x->w, "uncovered", d->uncovered);
	jw_str(x->w, "created_by", d->created_by);
	jw_time(x->w, "submitted", d->submitted_us);
	jw_str(x->w, "submitted_by", d->submitted_by);
	jw_str(x->w, "submitted_to", d->submitted_to);
	jw_str(x->w, "reference", d->reference);
	jw_end(x->w);
	return 0;
}

int
report_deadline_lines(struct jw *w, int64_t id)
{
	struct dl_walk x = { w, 0, 0, 0 };

	return store_deadlines(w->ctl->c->store, id, 0, deadline_line, &x);
}

void
report_queue_members(struct jw *w, int64_t id)
{
	struct dl_walk x = { w, 0, 1, 0 };

	store_deadlines(w->ctl->c->store, id, 1, deadline_line, &x);
}

int
cmd_report_reportable(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", "kinds", NULL };
	const char *kinds = arg_get(args, nargs, "kinds");
	unsigned mask;
	size_t added;
	long long id;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0)
		return -1;
	if (report_run_kinds(kinds != NULL ? kinds : "notice", &mask, err, errlen) != 0)
		return -1;
	if (w->ctl->c->report == NULL) {
		snprintf(err, errlen, "report deadlines are not running");
		return -1;
	}
	if (report_run_reportable(w->ctl->c, id, mask, w->conn != NULL ? w->conn->user :
	    "unknown", &added, err, errlen) != 0)
		return -1;
	return report_deadline_lines(w, id) == 0 ? 0 : -1;
}

int
cmd_report_submitted(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", "kind", "to", "ref", NULL };
	const char *kind, *to, *ref;
	long long id;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0 ||
	    name_arg(args, nargs, "kind", &kind, err, errlen) != 0 ||
	    name_arg(args, nargs, "to", &to, err, errlen) != 0 ||
	    name_arg(args, nargs, "ref", &ref, err, errlen) != 0)
		return -1;
	if (kind == NULL || to == NULL || ref == NULL) {
		snprintf(err, errlen, "submitted needs the kind, to whom (to=) and the reference "
		    "(ref=)");
		return -1;
	}
	if (report_run_submitted(w->ctl->c, id, kind, to, ref, w->conn != NULL ?
	    w->conn->user : "unknown", err, errlen) != 0)
		return -1;
	return report_deadline_lines(w, id) == 0 ? 0 : -1;
}

int
cmd_report_summary(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "unit", "period", "format", NULL };
	const struct conf *conf = &w->ctl->c->conf;
	const char *unit, *period, *format;
	struct buf b;
	char tmpl[64];

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    name_arg(args, nargs, "unit", &unit, err, errlen) != 0 ||
	    name_arg(args, nargs, "period", &period, err, errlen) != 0 ||
	    name_arg(args, nargs, "format", &format, err, errlen) != 0)
		return -1;
	if (period == NULL) {
		snprintf(err, errlen, "summary needs the period (period=2026-11)");
		return -1;
	}
	buf_init(&b, REPORT_DATA_MAX);
	if (report_summary_data(w->ctl->c, unit, period, &b, err, errlen) != 0) {
		buf_free(&b);
		return -1;
	}
	if (format != NULL && strcmp(format, "csv") == 0)
		snprintf(tmpl, sizeof(tmpl), "summary.csv");
	else
		snprintf(tmpl, sizeof(tmpl), "summary-%s", conf->unit.format);
	jw_begin(w);
	jw_str(w, "form", "summary");
	jw_str(w, "template", tmpl);
	jw_str(w, "templates", conf->report.templates);
	jw_str(w, "shipped", conf->report.shipped);
	jw_str(w, "renderer", conf->report.renderer);
	jw_str(w, "data", b.p);
	jw_end(w);
	buf_free(&b);
	return 0;
}
