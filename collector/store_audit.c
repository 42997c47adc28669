/*
 * The audit log: append-only, each record sealed with the hash of the one
 * before (audit.c computes it), ids 1, 2, 3... assigned here.
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

/* Append one sealed record after the last one; inside a transaction. */
int
sq_audit_append(struct sqlstore *st, const struct store_audit_entry *e)
{
	sqlite3_stmt *s = st->ist[IST_AUDIT_LAST];
	struct audit_record r;
	uint8_t prev[AUDIT_HASH_LEN];
	char phex[AUDIT_HEX_LEN], hex[AUDIT_HEX_LEN];
	char actor[AUDIT_ACTOR_MAX], action[AUDIT_ACTION_MAX], detail[AUDIT_DETAIL_MAX];
	int64_t last = 0;
	int rc, have = 0;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		last = sqlite3_column_int64(s, 0);
		/* A mangled hash is chained from zero: verify names that row anyway. */
		have = audit_unhex(sq_col_text(s, 1), prev) == 0;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sq_note_error(st);
	sq_stmt_done(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return VIGIL_ERR_DB;
	snprintf(actor, sizeof(actor), "%s", e->actor != NULL ? e->actor : "system");
	snprintf(action, sizeof(action), "%s", e->action != NULL ? e->action : "");
	snprintf(detail, sizeof(detail), "%s", e->detail != NULL ? e->detail : "");
	memset(&r, 0, sizeof(r));
	r.id = last + 1;
	r.time_us = e->time_us;
	r.actor = actor;
	r.incident = e->incident;
	r.action = action;
	r.detail = detail;
	if ((rc = audit_seal(&r, have ? prev : NULL)) != 0) {
		return err_fmt(st->errmsg, sizeof(st->errmsg), rc, "cannot seal an audit record: %s",
		    vigil_strerror(rc));
	}
	audit_hex(r.prev_hash, phex);
	audit_hex(r.hash, hex);
	s = st->ist[IST_AUDIT_INSERT];
	sqlite3_bind_int64(s, 1, r.id);
	sqlite3_bind_int64(s, 2, r.time_us);
	sq_bind_text(s, 3, actor);
	sqlite3_bind_int64(s, 4, r.incident);
	sq_bind_text(s, 5, action);
	sq_bind_text(s, 6, detail);
	sq_bind_text(s, 7, phex);
	sq_bind_text(s, 8, hex);
	return sq_inc_run(st, s);
}

int
sq_audit_record(struct store *base, const struct store_audit_entry *e)
{
	struct sqlstore *st = sq_of(base);
	int rc;

	if (st == NULL || e == NULL || e->action == NULL || *e->action == '\0')
		return VIGIL_ERR_INVAL;
	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	return sq_txn_end(st, sq_audit_append(st, e));
}

static int
audit_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct audit_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.id = sqlite3_column_int64(s, 0);
	rec.time_us = sqlite3_column_int64(s, 1);
	rec.actor = sq_col_text(s, 2);
	rec.incident = sqlite3_column_int64(s, 3);
	rec.action = sq_col_text(s, 4);
	rec.detail = sq_col_text(s, 5);
	/* A hash that is not hex cannot match anything: all ones. */
	if (audit_unhex(sq_col_text(s, 6), rec.prev_hash) != 0)
		memset(rec.prev_hash, 0xff, sizeof(rec.prev_hash));
	if (audit_unhex(sq_col_text(s, 7), rec.hash) != 0)
		memset(rec.hash, 0xff, sizeof(rec.hash));
	return w->fn.audit != NULL ? w->fn.audit(w->arg, &rec) : 0;
}

int
sq_audit_walk(struct store *base, int64_t incident, store_audit_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->ist[incident != 0 ? IST_AUDIT_OF : IST_AUDIT_ALL];
	if (incident != 0)
		sqlite3_bind_int64(s, 1, incident);
	return sq_walk_rows(s, audit_step, &(struct walk){ .fn.audit = fn, .arg = arg });
}