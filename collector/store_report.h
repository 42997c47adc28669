/*
 * The store's part for reports (issue 17): what the operator adds to an
 * incident's forms (report_fields) and the deadlines of a reportable
 * incident (report_deadlines). Like every store call, these go through the
 * backend's operations (store_int.h, struct store_report_ops); the SQL is in
 * store_report.c. Each change is audited in the same transaction.
 */
#ifndef VIGIL_STORE_REPORT_H
#define VIGIL_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_FIELD_NAME_MAX 64
#define STORE_FIELD_VALUE_MAX 4000

struct store_report_field {
	const char *name, *value;
	int64_t set_us;
	const char *actor;
};
typedef int (*store_rfield_fn)(void *arg, const struct store_report_field *f);

/* Set (or replace) field name of incident, with its audit record. VIGIL_ERR_NOTFOUND: no such
 * incident. */
int store_report_field_set(struct store *st, int64_t incident, const char *name,
    const char *value, const struct store_audit_entry *audit);
/* The fields of an incident, by name. */
int store_report_fields(struct store *st, int64_t incident, store_rfield_fn fn, void *arg);

/* A report's deadline (report/deadline.h counts it). */
struct store_deadline_row {
	int64_t incident;
	const char *kind;              /* deadline_kind_name(): notice, initial, closing, breach */
	int64_t start_us, due_us, near_us;
	int provisional, uncovered;
	int64_t created_us;
	const char *created_by;
	int64_t submitted_us;          /* 0: not yet */
	const char *submitted_by, *submitted_to, *reference;
	int stage;                     /* the chain was told: 0 not yet, 1 near, 2 overdue */
};
typedef int (*store_deadline_fn)(void *arg, const struct store_deadline_row *d);

/*
 * Add deadlines (a row of a kind the incident has already is kept as it
 * is); *added says how many were new. One audit record per new row is
 * written from audit (its detail is replaced by the kind and the due time's
 * caller-made text in detail[i], NULL: audit's).
 */
int store_deadline_add(struct store *st, const struct store_deadline_row *rows, size_t n,
    const struct store_audit_entry *audit, const char *const *details, size_t *added);
/*
 * Record a deadline submitted. VIGIL_ERR_NOTFOUND: the incident has no such
 * deadline; VIGIL_ERR_PROTO: already submitted.
 */
int store_deadline_submit(struct store *st, int64_t incident, const char *kind, int64_t when_us,
    const char *by, const char *to, const char *reference, const struct store_audit_entry *audit);
/* The chain was told of a deadline at stage (1 near, 2 overdue); audited when audit is set. */
int store_deadline_stage(struct store *st, int64_t incident, const char *kind, int stage,
    const struct store_audit_entry *audit);
/* The deadlines of an incident (0: of every incident), by due time; pending_only: not
 * submitted. */
int store_deadlines(struct store *st, int64_t incident, int pending_only, store_deadline_fn fn,
    void *arg);

/* A posture history row: a machine's facts from the moment they arrived. */
struct store_posture_hist {
	const char *agent;
	int64_t recv_us;
	const char *av_product;
	int av_running;
	int64_t av_signatures_us;
	int security_updates_pending;
	int64_t security_pending_since_us;
};
typedef int (*store_hist_fn)(void *arg, const struct store_posture_hist *h);
/* Every posture history row before until_us, by machine, then time. */
int store_posture_history(struct store *st, int64_t until_us, store_hist_fn fn, void *arg);

/* The periodic summary of period and unit was mailed (*already: it had been). */
int store_report_mailed_set(struct store *st, const char *period, const char *unit,
    int64_t now_us, int *already);
int store_report_mailed(struct store *st, const char *period, const char *unit, int *mailed);

#endif
