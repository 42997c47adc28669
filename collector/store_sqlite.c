/*
 * The SQLite backend's operations table and the statement helpers its files
 * share: binding, stepping, keeping SQLite's sentence for a failure, and the
 * transactions (nested as savepoints inside store_outer_begin()).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "audit.h"
#include "store_int.h"

/* Make a statement reusable and drop its bindings, which may point at caller memory. */
void
sq_stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Keep SQLite's sentence for a failure: a later ROLLBACK would overwrite it. */
void
sq_note_error(struct sqlstore *st)
{
	err_fmt(st->errmsg, sizeof(st->errmsg), VIGIL_ERR_DB, "%s", sqlite3_errmsg(st->db));
	st->sqlite_rc = sqlite3_errcode(st->db);
}

/* Run a statement that returns no rows. */
int
sq_stmt_run(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sq_stmt_done(s);
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

/*
 * The same for the statements of the group commit, which rebind every
 * parameter each time: a reset without clearing the bindings is enough, and
 * store_commit() clears them once at its end.
 */
int
sq_hot_run(struct sqlstore *st, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE) {
		sq_note_error(st);
		sqlite3_reset(s);
		return VIGIL_ERR_DB;
	}
	sqlite3_reset(s);
	return 0;
}

/* Strings from protobuf-c are NUL-terminated; a NULL one is stored as "". */
int
sq_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		v = "";
	return sqlite3_bind_text(s, i, v, (int)strlen(v), SQLITE_STATIC);
}

const char *
sq_col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v == NULL ? "" : (const char *)v;
}

const char *
sq_errmsg(struct store *base)
{
	struct sqlstore *st = sq_of(base);

	if (st == NULL)
		return "no store";
	return st->errmsg[0] != '\0' ? st->errmsg : "no error";
}

void
sq_set_clock_limits(struct store *base, int64_t ahead_us, int64_t behind_us)
{
	struct sqlstore *st = sq_of(base);

	if (st != NULL) {
		st->clock_ahead_us = ahead_us;
		st->clock_behind_us = behind_us;
	}
}

void
sq_set_reopen_window(struct store *base, int64_t window_us)
{
	struct sqlstore *st = sq_of(base);

	if (st != NULL)
		st->reopen_window_us = window_us > 0 ? window_us : 0;
}

/* Run a statement of ours that returns no rows, keeping SQLite's sentence on failure. */
int
sq_inc_run(struct sqlstore *st, sqlite3_stmt *s)
{
	int rc = sq_hot_run(st, s);

	sqlite3_clear_bindings(s);
	return rc;
}

/* A fixed statement without parameters (savepoints); VIGIL_ERR_DB on failure. */
int
sq_exec_fixed(struct sqlstore *st, const char *sql)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	sq_note_error(st);
	return VIGIL_ERR_DB;
}

int
sq_txn_begin(struct sqlstore *st)
{
	st->errmsg[0] = '\0';
	if (st->outer)
		return sq_exec_fixed(st, "SAVEPOINT inc");
	return sq_inc_run(st, st->st[ST_BEGIN]);
}

/* Commit when rc is 0, else roll back; returns the outcome. */
int
sq_txn_end(struct sqlstore *st, int rc)
{
	if (st->outer) {
		/* Inside store_outer_begin(): undo this change alone, keep the rest. */
		if (rc == 0 && (rc = sq_exec_fixed(st, "RELEASE inc")) == 0)
			return 0;
		sq_exec_fixed(st, "ROLLBACK TO inc");
		sq_exec_fixed(st, "RELEASE inc");
		return rc;
	}
	if (rc == 0 && (rc = sq_inc_run(st, st->st[ST_COMMIT])) == 0)
		return 0;
	if (st->errmsg[0] == '\0')
		err_fmt(st->errmsg, sizeof(st->errmsg), rc, "%s", vigil_strerror(rc));
	sq_stmt_run(st->st[ST_ROLLBACK]);
	return rc;
}

int
sq_outer_begin(struct store *base)
{
	struct sqlstore *st = sq_of(base);
	int rc;

	if (st->outer)
		return VIGIL_ERR_PROTO;
	st->errmsg[0] = '\0';
	if ((rc = sq_inc_run(st, st->st[ST_BEGIN])) == 0)
		st->outer = 1;
	return rc;
}

int
sq_outer_end(struct store *base)
{
	struct sqlstore *st = sq_of(base);
	int rc;

	if (!st->outer)
		return VIGIL_ERR_PROTO;
	st->outer = 0;
	if ((rc = sq_inc_run(st, st->st[ST_COMMIT])) == 0)
		return 0;
	sq_stmt_run(st->st[ST_ROLLBACK]);
	return rc;
}
/* The SQLite backend: store.c finds it by name. */
const struct store_ops sq_ops = {
	.enroll = &sq_enroll_ops,
	.free = sq_free,
	.schema_version = sq_schema_version,
	.agent_hello = sq_agent_hello,
	.agent_seen = sq_agent_seen,
	.agent_last_seq = sq_agent_last_seq,
	.commit = sq_commit,
	.errmsg = sq_errmsg,
	.set_clock_limits = sq_set_clock_limits,
	.query_events = sq_query_events,
	.query_agents = sq_query_agents,
	.query_incidents = sq_query_incidents,
	.get_incident = sq_get_incident,
	.counts = sq_counts,
	.query_postures = sq_query_postures,
	.get_posture = sq_get_posture,
	.set_reopen_window = sq_set_reopen_window,
	.query_incident_queue = sq_query_incident_queue,
	.incident_by_id = sq_incident_by_id,
	.incident_change = sq_incident_change,
	.incident_make = sq_incident_make,
	.outer_begin = sq_outer_begin,
	.outer_end = sq_outer_end,
	.incident_agents = sq_incident_agents,
	.escalation_save = sq_escalation_save,
	.escalation_states = sq_escalation_states,
	.escalation_missing = sq_escalation_missing,
	.outbox_pending = sq_outbox_pending,
	.outbox_attempt = sq_outbox_attempt,
	.incident_notifications = sq_incident_notifications,
	.audit_walk = sq_audit_walk,
	.audit_append = sq_audit_record,
	.report = &sq_report_ops,
};

const struct store_backend store_sqlite_backend = { "sqlite", sq_open };
