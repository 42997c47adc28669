/*
 * The store's report operations (store_report.h): the front that sends each
 * call through the backend's struct store_report_ops, and the SQLite
 * backend's implementation. These calls are rare (an operator's command, a
 * deadline's step), so each statement is prepared when it is used and
 * finalized after: prepared statements all the same, and no slot in the
 * backend's statement arrays, which the hot paths own.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "vigil/err.h"
#include "store_int.h"

/* ---- the front ---- */

int
store_report_field_set(struct store *st, int64_t incident, const char *name, const char *value,
    const struct store_audit_entry *audit)
{
	return st == NULL ? VIGIL_ERR_INVAL :
	                    st->ops->report->field_set(st, incident, name, value, audit);
}

int
store_report_fields(struct store *st, int64_t incident, store_rfield_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->report->fields(st, incident, fn, arg);
}

int
store_deadline_add(struct store *st, const struct store_deadline_row *rows, size_t n,
    const struct store_audit_entry *audit, const char *const *details, size_t *added)
{
	return st == NULL ? VIGIL_ERR_INVAL :
	                    st->ops->report->deadline_add(st, rows, n, audit, details, added);
}

int
store_deadline_submit(struct store *st, int64_t incident, const char *kind, int64_t when_us,
    const char *by, const char *to, const char *reference, const struct store_audit_entry *audit)
{
	return st == NULL ? VIGIL_ERR_INVAL :
	                    st->ops->report->deadline_submit(st, incident, kind, when_us, by, to,
	                        reference, audit);
}

int
store_deadline_stage(struct store *st, int64_t incident, const char *kind, int stage,
    const struct store_audit_entry *audit)
{
	return st == NULL ? VIGIL_ERR_INVAL :
	                    st->ops->report->deadline_stage(st, incident, kind, stage, audit);
}

int
store_deadlines(struct store *st, int64_t incident, int pending_only, store_deadline_fn fn,
    void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL :
	                    st->ops->report->deadlines(st, incident, pending_only, fn, arg);
}

int
store_posture_history(struct store *st, int64_t until_us, store_hist_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->report->posture_history(st, until_us, fn, arg);
}

int
store_report_mailed_set(struct store *st, const char *period, const char *unit, int64_t now_us,
    int *already)
{
	return st == NULL ? VIGIL_ERR_INVAL :
	                    st->ops->report->mailed_set(st, period, unit, now_us, already);
}

int
store_report_mailed(struct store *st, const char *period, const char *unit, int *mailed)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->report->mailed(st, period, unit, mailed);
}

/* ---- SQLite ---- */

static sqlite3_stmt *
prep(struct sqlstore *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sq_note_error(st);
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

/* Step a statement that returns no row and finalize it; *changes: rows changed. */
static int
run(struct sqlstore *st, sqlite3_stmt *s, int *changes)
{
	int rc;

	if (s == NULL)
		return VIGIL_ERR_DB;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		sq_note_error(st);
	else if (changes != NULL)
		*changes = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

static int
sq_has_incident(struct sqlstore *st, int64_t id)
{
	sqlite3_stmt *s = prep(st, "SELECT 1 FROM incidents WHERE id = ?1");
	int rc;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sq_note_error(st);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? VIGIL_ERR_NOTFOUND : VIGIL_ERR_DB;
}

static int
sq_field_set(struct store *base, int64_t incident, const char *name, const char *value,
    const struct store_audit_entry *audit)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc;

	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	if ((rc = sq_has_incident(st, incident)) != 0)
		goto out;
	s = prep(st, "INSERT INTO report_fields (incident_id, name, value, set_us, actor)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (incident_id, name) DO UPDATE SET"
	    " value = excluded.value, set_us = excluded.set_us, actor = excluded.actor");
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, incident);
		sq_bind_text(s, 2, name);
		sq_bind_text(s, 3, value);
		sqlite3_bind_int64(s, 4, audit->time_us);
		sq_bind_text(s, 5, audit->actor);
	}
	if ((rc = run(st, s, NULL)) != 0)
		goto out;
	rc = sq_audit_append(st, audit);
out:
	return sq_txn_end(st, rc);
}

static int
sq_fields(struct store *base, int64_t incident, store_rfield_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s = prep(st, "SELECT name, value, set_us, actor FROM report_fields"
	    " WHERE incident_id = ?1 ORDER BY name");
	struct store_report_field f;
	int rc, stop = 0;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, incident);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		f.name = sq_col_text(s, 0);
		f.value = sq_col_text(s, 1);
		f.set_us = sqlite3_column_int64(s, 2);
		f.actor = sq_col_text(s, 3);
		stop = fn(arg, &f);
	}
	if (!stop && rc != SQLITE_DONE)
		sq_note_error(st);
	sqlite3_finalize(s);
	return stop ? stop : rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

static int
sq_deadline_add(struct store *base, const struct store_deadline_row *rows, size_t n,
    const struct store_audit_entry *audit, const char *const *details, size_t *added)
{
	struct sqlstore *st = sq_of(base);
	struct store_audit_entry a;
	sqlite3_stmt *s;
	int rc = 0, changes;

	*added = 0;
	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct store_deadline_row *d = &rows[i];

		if ((rc = sq_has_incident(st, d->incident)) != 0)
			break;
		s = prep(st, "INSERT INTO report_deadlines (incident_id, kind, start_us, due_us,"
		    " near_us, provisional, uncovered, created_us, created_by)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING");
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, d->incident);
			sq_bind_text(s, 2, d->kind);
			sqlite3_bind_int64(s, 3, d->start_us);
			sqlite3_bind_int64(s, 4, d->due_us);
			sqlite3_bind_int64(s, 5, d->near_us);
			sqlite3_bind_int(s, 6, d->provisional);
			sqlite3_bind_int(s, 7, d->uncovered);
			sqlite3_bind_int64(s, 8, d->created_us);
			sq_bind_text(s, 9, d->created_by);
		}
		changes = 0;
		if ((rc = run(st, s, &changes)) != 0 || changes == 0)
			continue;
		(*added)++;
		a = *audit;
		a.incident = d->incident;
		if (details != NULL && details[i] != NULL)
			a.detail = details[i];
		rc = sq_audit_append(st, &a);
	}
	return sq_txn_end(st, rc);
}

static int
sq_deadline_submit(struct store *base, int64_t incident, const char *kind, int64_t when_us,
    const char *by, const char *to, const char *reference, const struct store_audit_entry *audit)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc, changes = 0;

	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	s = prep(st, "SELECT submitted_us FROM report_deadlines WHERE incident_id = ?1"
	    " AND kind = ?2");
	if (s == NULL) {
		rc = VIGIL_ERR_DB;
		goto out;
	}
	sqlite3_bind_int64(s, 1, incident);
	sq_bind_text(s, 2, kind);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_ROW ? (sqlite3_column_int64(s, 0) != 0 ? VIGIL_ERR_PROTO : 0) :
	     rc == SQLITE_DONE ? VIGIL_ERR_NOTFOUND : VIGIL_ERR_DB;
	sqlite3_finalize(s);
	if (rc != 0)
		goto out;
	s = prep(st, "UPDATE report_deadlines SET submitted_us = ?3, submitted_by = ?4,"
	    " submitted_to = ?5, reference = ?6 WHERE incident_id = ?1 AND kind = ?2");
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, incident);
		sq_bind_text(s, 2, kind);
		sqlite3_bind_int64(s, 3, when_us);
		sq_bind_text(s, 4, by);
		sq_bind_text(s, 5, to);
		sq_bind_text(s, 6, reference);
	}
	if ((rc = run(st, s, &changes)) == 0)
		rc = sq_audit_append(st, audit);
out:
	return sq_txn_end(st, rc);
}

static int
sq_deadline_stage(struct store *base, int64_t incident, const char *kind, int stage,
    const struct store_audit_entry *audit)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc;

	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	s = prep(st, "UPDATE report_deadlines SET stage = ?3 WHERE incident_id = ?1 AND kind = ?2");
	if (s != NULL) {
		sqlite3_bind_int64(s, 1, incident);
		sq_bind_text(s, 2, kind);
		sqlite3_bind_int(s, 3, stage);
	}
	if ((rc = run(st, s, NULL)) == 0 && audit != NULL)
		rc = sq_audit_append(st, audit);
	return sq_txn_end(st, rc);
}

static int
sq_deadlines(struct store *base, int64_t incident, int pending_only, store_deadline_fn fn,
    void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s = prep(st, "SELECT incident_id, kind, start_us, due_us, near_us,"
	    " provisional, uncovered, created_us, created_by, submitted_us, submitted_by,"
	    " submitted_to, reference, stage FROM report_deadlines"
	    " WHERE (?1 = 0 OR incident_id = ?1) AND (?2 = 0 OR submitted_us = 0)"
	    " ORDER BY due_us, incident_id, kind");
	struct store_deadline_row d;
	int rc, stop = 0;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, incident);
	sqlite3_bind_int(s, 2, pending_only);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		d.incident = sqlite3_column_int64(s, 0);
		d.kind = sq_col_text(s, 1);
		d.start_us = sqlite3_column_int64(s, 2);
		d.due_us = sqlite3_column_int64(s, 3);
		d.near_us = sqlite3_column_int64(s, 4);
		d.provisional = sqlite3_column_int(s, 5);
		d.uncovered = sqlite3_column_int(s, 6);
		d.created_us = sqlite3_column_int64(s, 7);
		d.created_by = sq_col_text(s, 8);
		d.submitted_us = sqlite3_column_int64(s, 9);
		d.submitted_by = sq_col_text(s, 10);
		d.submitted_to = sq_col_text(s, 11);
		d.reference = sq_col_text(s, 12);
		d.stage = sqlite3_column_int(s, 13);
		stop = fn(arg, &d);
	}
	if (!stop && rc != SQLITE_DONE)
		sq_note_error(st);
	sqlite3_finalize(s);
	return stop ? stop : rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

static int
sq_posture_history(struct store *base, int64_t until_us, store_hist_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s = prep(st, "SELECT agent, recv_us, av_product, av_running,"
	    " av_signatures_us, security_updates_pending, security_pending_since_us"
	    " FROM posture_history WHERE recv_us < ?1 ORDER BY agent, recv_us, id");
	struct store_posture_hist h;
	int rc, stop = 0;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, until_us);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		h.agent = sq_col_text(s, 0);
		h.recv_us = sqlite3_column_int64(s, 1);
		h.av_product = sq_col_text(s, 2);
		h.av_running = sqlite3_column_int(s, 3);
		h.av_signatures_us = sqlite3_column_int64(s, 4);
		h.security_updates_pending = sqlite3_column_int(s, 5);
		h.security_pending_since_us = sqlite3_column_int64(s, 6);
		stop = fn(arg, &h);
	}
	if (!stop && rc != SQLITE_DONE)
		sq_note_error(st);
	sqlite3_finalize(s);
	return stop ? stop : rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

static int
sq_mailed_set(struct store *base, const char *period, const char *unit, int64_t now_us,
    int *already)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s = prep(st, "INSERT INTO report_mailings (period, unit, sent_us)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
	int changes = 0, rc;

	if (s != NULL) {
		sq_bind_text(s, 1, period);
		sq_bind_text(s, 2, unit);
		sqlite3_bind_int64(s, 3, now_us);
	}
	rc = run(st, s, &changes);
	*already = rc == 0 && changes == 0;
	return rc;
}

static int
sq_mailed(struct store *base, const char *period, const char *unit, int *mailed)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s = prep(st, "SELECT 1 FROM report_mailings WHERE period = ?1 AND unit = ?2");
	int rc;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, period);
	sq_bind_text(s, 2, unit);
	rc = sqlite3_step(s);
	*mailed = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sq_note_error(st);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

const struct store_report_ops sq_report_ops = {
	.field_set = sq_field_set,
	.fields = sq_fields,
	.deadline_add = sq_deadline_add,
	.deadline_submit = sq_deadline_submit,
	.deadline_stage = sq_deadline_stage,
	.deadlines = sq_deadlines,
	.posture_history = sq_posture_history,
	.mailed_set = sq_mailed_set,
	.mailed = sq_mailed,
};
