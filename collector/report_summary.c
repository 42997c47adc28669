/*
 * The periodic summary's data (report_summary.h) from the store: the
 * machines of a unit counted against its declared inventory as vigilctl
 * compliance counts them (compliance_inv.c), their posture history judged as compliance.c judges a
 * machine at the moment each row arrived, the incidents of the unit and the
 * report deadlines; report/summary.c computes the figures, summary_json()
 * writes them beside the unit profile. Pure of rendering: the document is made
 * by vigil-report-render in another process.
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

#include "../report/calendar.h"
#include "../report/deadline.h"
#include "../report/summary.h"

#include "collector.h"
#include "compliance.h"
#include "compliance_inv.h"
#include "report_data.h"
#include "report_summary.h"
#include "store.h"
#include "store_report.h"

#define SUMMARY_ROWS_MAX 2000000 /* posture rows and incidents read for one summary */

struct acc {
	const char *unit;
	const struct collector *c;
	int64_t to_us;
	char **machines, **units, **hosts;
	size_t nmachines, capm;
	struct summary_posture *post;
	size_t npost, capp;
	struct summary_incident *inc;
	size_t ninc, capi;
	struct summary_deadline *dl;
	size_t ndl, capd;
	int full;
	struct compliance_inv inv;   /* the unit's declared inventory */
	const char **cm, **cu;       /* the machines it counts, and their units */
	const char **absent;         /* declared names no machine took */
	size_t ncm, nabsent;
};

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	if (c > SUMMARY_ROWS_MAX || (p = realloc(*v, c * size)) == NULL)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

static int
in_unit(const struct acc *a, const char *unit)
{
	return a->unit == NULL || a->unit[0] == '\0' || strcmp(a->unit, unit != NULL ? unit : "") == 0;
}

static int
machine_index(const struct acc *a, const char *agent)
{
	for (size_t i = 0; i < a->nmachines; i++)
		if (strcmp(a->machines[i], agent) == 0)
			return (int)i;
	return -1;
}

static int
take_agent(void *arg, const struct store_agent_row *r)
{
	struct acc *a = arg;

	if (!in_unit(a, r->unit))
		return 0;
	if (grow((void **)&a->machines, &a->capm, a->nmachines, sizeof(char *)) != 0 ||
	    (a->units = realloc(a->units, a->capm * sizeof(char *))) == NULL ||
	    (a->hosts = realloc(a->hosts, a->capm * sizeof(char *))) == NULL) {
		a->full = 1;
		return 1;
	}
	a->machines[a->nmachines] = strdup(r->agent);
	a->units[a->nmachines] = strdup(r->unit != NULL ? r->unit : "");
	a->hosts[a->nmachines] = strdup(r->hostname != NULL ? r->hostname : "");
	if (a->machines[a->nmachines] == NULL || a->units[a->nmachines] == NULL ||
	    a->hosts[a->nmachines] == NULL) {
		free(a->machines[a->nmachines]);
		free(a->units[a->nmachines]);
		free(a->hosts[a->nmachines]);
		a->full = 1;
		return 1;
	}
	a->nmachines++;
	return 0;
}

static int
take_posture(void *arg, const struct store_posture_hist *h)
{
	struct acc *a = arg;
	const struct collector_conf *cc = &a->c->conf.collector;
	struct compliance_limits l = { cc->compliance_offline_after * 1000,
	                               cc->compliance_signature_max_age * 1000,
	                               cc->compliance_security_grace * 1000 };
	struct compliance_facts f;
	struct compliance_result r;
	int m;

	if ((m = machine_index(a, h->agent)) < 0)
		return 0;
	if (grow((void **)&a->post, &a->capp, a->npost, sizeof(*a->post)) != 0) {
		a->full = 1;
		return 1;
	}
	/* A row is the machine's state from the moment it arrived, judged then. */
	memset(&f, 0, sizeof(f));
	f.last_seen_us = h->recv_us;
	f.on = 1;
	f.has_posture = 1;
	f.av_product = h->av_product;
	f.av_running = h->av_running;
	f.av_signatures_us = h->av_signatures_us;
	f.security_updates_pending = h->security_updates_pending;
	f.security_pending_since_us = h->security_pending_since_us;
	/* The summary is a document in Vietnamese: its reasons too. */
	compliance_eval_in("vi", &f, &l, h->recv_us, &r);
	a->post[a->npost].machine = a->machines[m];
	a->post[a->npost].time_us = h->recv_us;
	a->post[a->npost].compliant = r.compliant;
	a->post[a->npost].reason = r.compliant ? NULL : strdup(r.reasons);
	a->npost++;
	return 0;
}

static int
index_of(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static int
take_incident(void *arg, const struct store_incident_row *r)
{
	struct acc *a = arg;
	struct summary_incident *x;
	int cat = index_of(summary_category_names, SUMMARY_CATEGORIES, category_name(r->category));
	int sev = index_of(summary_severity_names, SUMMARY_SEVERITIES, severity_name(r->severity));

	if (cat < 0 || sev < 0 || !in_unit(a, r->unit))
		return 0;
	if (grow((void **)&a->inc, &a->capi, a->ninc, sizeof(*a->inc)) != 0) {
		a->full = 1;
		return 1;
	}
	x = &a->inc[a->ninc++];
	memset(x, 0, sizeof(*x));
	x->id = r->id;
	x->title = strdup(r->title != NULL ? r->title : "");
	x->category = cat;
	x->severity = sev;
	x->opened_us = r->opened_us > 0 ? r->opened_us : r->first_us;
	x->acked_us = r->acked_us;
	x->resolved_us = r->resolved_us;
	return 0;
}

static int
take_deadline(void *arg, const struct store_deadline_row *d)
{
	struct acc *a = arg;
	int kind = deadline_kind_parse(d->kind);
	int known = 0;

	for (size_t i = 0; i < a->ninc && !known; i++)
		known = a->inc[i].id == d->incident;
	if (kind < 0 || !known)
		return 0;
	if (grow((void **)&a->dl, &a->capd, a->ndl, sizeof(*a->dl)) != 0) {
		a->full = 1;
		return 1;
	}
	a->dl[a->ndl].incident = d->incident;
	a->dl[a->ndl].kind = kind;
	a->dl[a->ndl].due_us = d->due_us;
	a->dl[a->ndl].submitted_us = d->submitted_us;
	a->ndl++;
	return 0;
}

static void
acc_free(struct acc *a)
{
	for (size_t i = 0; i < a->nmachines; i++) {
		free(a->machines[i]);
		free(a->units[i]);
		free(a->hosts[i]);
	}
	free(a->hosts);
	free(a->cm);
	free(a->cu);
	free(a->absent);
	compliance_inv_free(&a->inv);
	for (size_t i = 0; i < a->npost; i++)
		free((char *)(uintptr_t)a->post[i].reason);
	for (size_t i = 0; i < a->ninc; i++)
		free((char *)(uintptr_t)a->inc[i].title);
	free(a->machines);
	free(a->units);
	free(a->post);
	free(a->inc);
	free(a->dl);
}

/*
 * The machines the unit's inventory counts, its denominator and the
 * declared names no machine took (compliance_inv.c, as vigilctl compliance
 * counts); every machine when the summary is of no unit.
 */
static int
inventory(struct acc *a, struct store *st, const char *unit, struct summary_input *in)
{
	struct compliance_inv_count n;
	unsigned char *counts = NULL, *taken = NULL;
	int *ok = NULL, rc;

	if ((rc = compliance_inv_read(st, unit, &a->inv)) != 0)
		return rc;
	if ((a->cm = calloc(a->nmachines + 1, sizeof(*a->cm))) == NULL ||
	    (a->cu = calloc(a->nmachines + 1, sizeof(*a->cu))) == NULL ||
	    (a->absent = calloc(a->inv.nnames + 1, sizeof(*a->absent))) == NULL ||
	    (counts = calloc(a->nmachines + 1, 1)) == NULL ||
	    (taken = calloc(a->inv.nnames + 1, 1)) == NULL ||
	    (ok = calloc(a->nmachines + 1, sizeof(*ok))) == NULL) {
		rc = VIGIL_ERR_NOMEM;
		goto out;
	}
	compliance_inv_count(&a->inv, (const char *const *)a->hosts, ok, a->nmachines, counts,
	    taken, &n);
	for (size_t i = 0; i < a->nmachines; i++)
		if (counts[i]) {
			a->cm[a->ncm] = a->machines[i];
			a->cu[a->ncm++] = a->units[i];
		}
	for (size_t j = 0; a->inv.listed && j < a->inv.nnames; j++)
		if (!taken[j])
			a->absent[a->nabsent++] = a->inv.names[j];
	in->inventory = n.has_inventory ? (long)n.den : 0;
	in->machines = a->cm;
	in->nmachines = a->ncm;
	in->absent = a->absent;
	in->nabsent = a->nabsent;
out:
	free(counts);
	free(taken);
	free(ok);
	return rc;
}

int
report_summary_data(struct collector *c, const char *unit, const char *period, struct buf *out,
    char *err, size_t errlen)
{
	struct store *st = c->store;
	struct store_incident_filter f;
	struct summary_input in;
	struct summary s;
	struct acc a;
	struct jsonw w;
	const char *path, *key;
	char label[128], today[64];
	int32_t first, end;
	int tz = tz_offset_min(clock_now_us()), rc;

	if (summary_period(period, &first, &end, label, sizeof(label)) != 0)
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s is not a period: write 2026-11 (a "
		    "month), 2026-Q4 (a quarter), 2026-H2 (a half-year) or 2026", period);
	if (conf_unit_missing(&c->conf.unit, &path, &key))
		return err_fmt(err, errlen, VIGIL_ERR_CONFIG, "The unit profile has no %s: set %s "
		    "in the collector's configuration.", path, key);
	memset(&a, 0, sizeof(a));
	a.unit = unit;
	a.c = c;
	memset(&in, 0, sizeof(in));
	in.from_us = deadline_day_start(first, tz);
	in.to_us = deadline_day_start(end, tz);
	in.now_us = clock_now_us();
	in.utc_offset_min = tz;
	in.target = 100;
	if (in.from_us >= in.now_us) {
		rc = err_fmt(err, errlen, VIGIL_ERR_INVAL, "the period %s has not begun", period);
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.status = "all";
	f.category = -1;
	f.min_severity = -1;
	if (store_query_agents(st, take_agent, &a) != 0 ||
	    store_posture_history(st, in.to_us, take_posture, &a) != 0 ||
	    store_query_incident_queue(st, &f, take_incident, &a) != 0 ||
	    store_deadlines(st, 0, 0, take_deadline, &a) != 0 || a.full) {
		if (a.full)
			rc = err_fmt(err, errlen, VIGIL_ERR_TOOBIG, "the period holds more rows "
			    "than a summary reads (%d)", SUMMARY_ROWS_MAX);
		else
			rc = err_fmt(err, errlen, VIGIL_ERR_DB, "the store cannot read the period: "
			    "%s", store_errmsg(st));
		goto out;
	}
	if ((rc = inventory(&a, st, unit, &in)) != 0) {
		rc = err_fmt(err, errlen, rc, "the inventory of unit %s cannot be read: %s", unit,
		    vigil_strerror(rc));
		goto out;
	}
	/* A unit that declared its PCs has a summary before any agent reports. */
	if (in.nmachines == 0 && in.inventory == 0) {
		rc = err_fmt(err, errlen, VIGIL_ERR_NOTFOUND, "no machine of unit %s is known",
		    unit != NULL && unit[0] != '\0' ? unit : "(any)");
		goto out;
	}
	in.posture = a.post;
	in.nposture = a.npost;
	in.incidents = a.inc;
	in.nincidents = a.ninc;
	in.deadlines = a.dl;
	in.ndeadlines = a.ndl;
	if ((rc = summary_compute(&in, &s)) != 0) {
		rc = err_fmt(err, errlen, rc, "the summary cannot be computed: %s", vigil_strerror(rc));
		goto out;
	}
	jsonw_buf(&w, out);
	jsonw_object(&w, NULL);
	jsonw_object(&w, "document");
	summary_time_iso(today, sizeof(today), in.now_us, tz);
	today[10] = '\0';
	jsonw_str(&w, "date", today);
	jsonw_str(&w, "form", "summary");
	jsonw_end(&w);
	report_unit_json(&w, &c->conf.unit);
	jsonw_object(&w, "fields");
	jsonw_end(&w);
	rc = summary_json(&s, &in, label, a.cu, &w);
	jsonw_end(&w);
	summary_free(&s);
	if (rc != 0 || jsonw_error(&w) != 0 || buf_error(out) != 0) {
		rc = err_fmt(err, errlen, VIGIL_ERR_TOOBIG, "the summary's data is larger than %d KiB",
		    REPORT_DATA_MAX / 1024);
		goto out;
	}
	rc = 0;
out:
	acc_free(&a);
	return rc;
}
