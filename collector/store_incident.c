/*
 * Incident writes of the main thread: an operator's change, collector-made
 * incidents (correlation, agent silent), the escalation state, and the
 * notification outbox with each delivery attempt. Each is one transaction,
 * or one savepoint of store_outer_begin()'s.
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

/* Back to new, inside a transaction: its escalation starts again from nothing. */
int
sq_reopen_in_txn(struct sqlstore *st, int64_t id, int64_t now_us)
{
	sqlite3_stmt *s = st->ist[IST_REOPEN];

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_us);
	if (sq_inc_run(st, s) != 0)
		return VIGIL_ERR_DB;
	s = st->ist[IST_ESC_DELETE];
	sqlite3_bind_int64(s, 1, id);
	if (sq_inc_run(st, s) != 0)
		return VIGIL_ERR_DB;
	return sq_audit_append(st, &(struct store_audit_entry){ now_us, "system", id, "reopen",
	    "matching events arrived within the re-open window" });
}

static int
esc_write(struct sqlstore *st, const struct store_esc_state *e, enum inc_stmt_id which)
{
	sqlite3_stmt *s;

	if (e->text == NULL) {
		s = st->ist[IST_ESC_DELETE];
		sqlite3_bind_int64(s, 1, e->incident);
		return sq_inc_run(st, s);
	}
	s = st->ist[which];
	sqlite3_bind_int64(s, 1, e->incident);
	sq_bind_text(s, 2, e->text);
	return sq_inc_run(st, s);
}

int
sq_incident_change(struct store *base, const struct store_incident_change *ch)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || ch == NULL || ch->old_status == NULL || ch->status == NULL)
		return VIGIL_ERR_INVAL;
	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	s = st->ist[IST_CHANGE];
	sqlite3_bind_int64(s, 1, ch->id);
	sq_bind_text(s, 2, ch->old_status);
	sq_bind_text(s, 3, ch->status);
	sq_bind_text(s, 4, ch->resolution);
	sq_bind_text(s, 5, ch->assignee);
	sqlite3_bind_int64(s, 6, ch->opened_us);
	sqlite3_bind_int64(s, 7, ch->acked_us);
	sqlite3_bind_int64(s, 8, ch->resolved_us);
	if ((rc = sq_inc_run(st, s)) != 0)
		goto out;
	if (sqlite3_changes(st->db) == 0) {
		/* Someone (the writer re-opening it, another operator) was first. */
		rc = err_fmt(st->errmsg, sizeof(st->errmsg), VIGIL_ERR_PROTO,
		    "the incident changed meanwhile");
		goto out;
	}
	if (ch->note != NULL) {
		s = st->ist[IST_NOTE_INSERT];
		sqlite3_bind_int64(s, 1, ch->id);
		sqlite3_bind_int64(s, 2, ch->audit.time_us);
		sq_bind_text(s, 3, ch->audit.actor);
		sq_bind_text(s, 4, ch->note);
		if ((rc = sq_inc_run(st, s)) != 0)
			goto out;
	}
	if ((rc = sq_audit_append(st, &ch->audit)) != 0)
		goto out;
	if (ch->esc != NULL)
		rc = esc_write(st, ch->esc, IST_ESC_UPSERT);
out:
	return sq_txn_end(st, rc);
}

/* Find the last incident of key: *id (0 if none), *closed, *resolved_us. */
static int
made_find(struct sqlstore *st, const char *key, int64_t *id, int *closed, int64_t *resolved_us)
{
	sqlite3_stmt *s = st->ist[IST_MADE_FIND];
	int rc;

	sq_bind_text(s, 1, key);
	*id = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*closed = sqlite3_column_int(s, 1);
		*resolved_us = sqlite3_column_int64(s, 2);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sq_note_error(st);
	sq_stmt_done(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
sq_incident_make(struct store *base, struct store_made_incident *mi)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int64_t id, resolved_us = 0;
	int rc, closed = 0;

	if (st == NULL || mi == NULL || mi->kind == NULL || mi->dedup_key == NULL ||
	    mi->agent == NULL || mi->rule == NULL || mi->title == NULL)
		return VIGIL_ERR_INVAL;
	mi->id = 0;
	mi->opened = 0;
	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	if ((rc = made_find(st, mi->dedup_key, &id, &closed, &resolved_us)) != 0)
		goto out;
	if (id != 0 && closed) {
		if (st->reopen_window_us > 0 && resolved_us > 0 &&
		    mi->now_us - resolved_us <= st->reopen_window_us) {
			if ((rc = sq_reopen_in_txn(st, id, mi->now_us)) != 0)
				goto out;
			mi->opened = 1;
		} else {
			id = 0;
		}
	}
	if (id == 0) {
		s = st->ist[IST_MADE_INSERT];
		sq_bind_text(s, 1, mi->agent);
		sq_bind_text(s, 2, mi->rule);
		sqlite3_bind_int(s, 3, mi->category);
		sqlite3_bind_int(s, 4, mi->severity);
		sq_bind_text(s, 5, mi->title);
		sqlite3_bind_int64(s, 6, mi->time_us);
		sq_bind_text(s, 7, mi->kind);
		sq_bind_text(s, 8, mi->dedup_key);
		sqlite3_bind_int64(s, 9, mi->now_us);
		if ((rc = sq_inc_run(st, s)) != 0)
			goto out;
		id = sqlite3_last_insert_rowid(st->db);
		mi->opened = 1;
		if ((rc = sq_audit_append(st, &(struct store_audit_entry){ mi->now_us, "system", id,
		    "open", mi->title })) != 0)
			goto out;
	}
	for (size_t i = 0; i < mi->nagents; i++) {
		s = st->ist[IST_AGENT_LINK];
		sqlite3_bind_int64(s, 1, id);
		sq_bind_text(s, 2, mi->agents[i]);
		sqlite3_bind_int64(s, 3, mi->now_us);
		if ((rc = sq_inc_run(st, s)) != 0)
			goto out;
	}
	for (size_t i = 0; i < mi->nevents; i++) {
		if (mi->ev_seqs[i] > INT64_MAX)
			continue;
		s = st->ist[IST_EVENT_LINK];
		sqlite3_bind_int64(s, 1, id);
		sq_bind_text(s, 2, mi->ev_agents[i]);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)mi->ev_seqs[i]);
		if ((rc = sq_inc_run(st, s)) != 0)
			goto out;
	}
	s = st->ist[IST_MADE_UPDATE];
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, mi->time_us);
	sqlite3_bind_int(s, 3, mi->severity);
	sq_bind_text(s, 4, mi->title);
	if ((rc = sq_inc_run(st, s)) != 0)
		goto out;
	mi->id = id;
out:
	if ((rc = sq_txn_end(st, rc)) != 0) {
		mi->id = 0;
		mi->opened = 0;
	}
	return rc;
}

int
sq_escalation_save(struct store *base, const struct store_esc_state *states, size_t nstates,
    struct store_outbox_row *rows, size_t nrows, const struct store_audit_entry *audit,
    size_t naudit)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	for (size_t i = 0; i < nstates; i++)
		if ((rc = esc_write(st, &states[i], states[i].insert ? IST_ESC_INSERT :
		    IST_ESC_UPDATE)) != 0)
			goto out;
	for (size_t i = 0; i < nrows; i++) {
		struct store_outbox_row *o = &rows[i];

		s = st->ist[IST_OUTBOX_INSERT];
		sqlite3_bind_int64(s, 1, o->incident_id);
		sqlite3_bind_int64(s, 2, o->created_us);
		sqlite3_bind_int64(s, 3, o->due_us);
		sq_bind_text(s, 4, o->route);
		sq_bind_text(s, 5, o->contact);
		sq_bind_text(s, 6, o->contact_name);
		sq_bind_text(s, 7, o->language);
		sq_bind_text(s, 8, o->channel);
		sq_bind_text(s, 9, o->target);
		sq_bind_text(s, 10, o->group_key);
		sqlite3_bind_int(s, 11, o->level);
		sqlite3_bind_int(s, 12, o->repeat);
		sqlite3_bind_int(s, 13, o->manual);
		sqlite3_bind_int64(s, 14, o->more);
		if ((rc = sq_inc_run(st, s)) != 0)
			goto out;
		o->id = sqlite3_last_insert_rowid(st->db);
		for (size_t k = 0; k < o->nids; k++) {
			s = st->ist[IST_OUTBOX_LINK];
			sqlite3_bind_int64(s, 1, o->id);
			sqlite3_bind_int64(s, 2, o->ids[k]);
			if ((rc = sq_inc_run(st, s)) != 0)
				goto out;
		}
	}
	for (size_t i = 0; i < naudit; i++)
		if ((rc = sq_audit_append(st, &audit[i])) != 0)
			goto out;
out:
	if ((rc = sq_txn_end(st, rc)) != 0)
		for (size_t i = 0; i < nrows; i++)
			rows[i].id = 0;
	return rc;
}

static int
esc_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_incident_row row;

	sq_incident_row(s, &row);
	return w->fn.esc != NULL ? w->fn.esc(w->arg, &row, sq_col_text(s, 18)) : 0;
}

int
sq_escalation_states(struct store *base, store_esc_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	return sq_walk_rows(st->ist[IST_ESC_STATES], esc_step,
	    &(struct walk){ .fn.esc = fn, .arg = arg });
}

int
sq_escalation_missing(struct store *base, store_incident_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	return sq_walk_incidents(st->ist[IST_ESC_MISSING], fn, arg);
}

static void
outbox_row(sqlite3_stmt *s, struct store_outbox_row *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	o->incident_id = sqlite3_column_int64(s, 1);
	o->created_us = sqlite3_column_int64(s, 2);
	o->due_us = sqlite3_column_int64(s, 3);
	o->route = sq_col_text(s, 4);
	o->contact = sq_col_text(s, 5);
	o->contact_name = sq_col_text(s, 6);
	o->language = sq_col_text(s, 7);
	o->channel = sq_col_text(s, 8);
	o->target = sq_col_text(s, 9);
	o->group_key = sq_col_text(s, 10);
	o->level = sqlite3_column_int(s, 11);
	o->repeat = sqlite3_column_int(s, 12);
	o->manual = sqlite3_column_int(s, 13);
	o->more = sqlite3_column_int64(s, 14);
	o->status = sq_col_text(s, 15);
	o->attempts = sqlite3_column_int(s, 16);
	o->next_us = sqlite3_column_int64(s, 17);
	o->done_us = sqlite3_column_int64(s, 18);
}

static int
outbox_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_outbox_row row;

	outbox_row(s, &row);
	return w->fn.outbox != NULL ? w->fn.outbox(w->arg, &row) : 0;
}

int
sq_outbox_pending(struct store *base, store_outbox_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	return sq_walk_rows(st->ist[IST_OUTBOX_PENDING], outbox_step,
	    &(struct walk){ .fn.outbox = fn, .arg = arg });
}

int
sq_outbox_attempt(struct store *base, const struct store_attempt *a)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || a == NULL)
		return VIGIL_ERR_INVAL;
	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	s = st->ist[IST_ATTEMPT_INSERT];
	sqlite3_bind_int64(s, 1, a->outbox_id);
	sqlite3_bind_int(s, 2, a->attempt);
	sqlite3_bind_int64(s, 3, a->started_us);
	sqlite3_bind_int64(s, 4, a->finished_us);
	sqlite3_bind_int(s, 5, a->ok != 0);
	sq_bind_text(s, 6, a->failure);
	sqlite3_bind_int64(s, 7, a->code);
	sq_bind_text(s, 8, a->error);
	sqlite3_bind_int64(s, 9, a->final ? 0 : a->next_us);
	if ((rc = sq_inc_run(st, s)) != 0)
		goto out;
	s = st->ist[IST_OUTBOX_UPDATE];
	sqlite3_bind_int64(s, 1, a->outbox_id);
	sqlite3_bind_int(s, 2, a->attempt);
	sq_bind_text(s, 3, a->ok ? "sent" : a->final ? "failed" : "pending");
	sqlite3_bind_int64(s, 4, a->final ? 0 : a->next_us);
	sqlite3_bind_int64(s, 5, a->final ? a->finished_us : 0);
	rc = sq_inc_run(st, s);
out:
	return sq_txn_end(st, rc);
}

/* An incident's notifications, each followed by its attempts. */
struct notif_walk {
	store_outbox_fn ofn;
	store_attempt_fn afn;
	void *arg;
	sqlite3_stmt *attempts;
};

static int
attempt_step(sqlite3_stmt *a, void *ctx)
{
	struct notif_walk *w = ctx;
	struct store_attempt at;

	memset(&at, 0, sizeof(at));
	at.outbox_id = sqlite3_column_int64(a, 0);
	at.attempt = sqlite3_column_int(a, 1);
	at.started_us = sqlite3_column_int64(a, 2);
	at.finished_us = sqlite3_column_int64(a, 3);
	at.ok = sqlite3_column_int(a, 4);
	at.failure = sq_col_text(a, 5);
	at.code = (long)sqlite3_column_int64(a, 6);
	at.error = sq_col_text(a, 7);
	at.next_us = sqlite3_column_int64(a, 8);
	at.final = at.next_us == 0;
	return w->afn != NULL ? w->afn(w->arg, &at) : 0;
}

static int
notification_step(sqlite3_stmt *s, void *ctx)
{
	struct notif_walk *w = ctx;
	struct store_outbox_row row;
	int r;

	outbox_row(s, &row);
	if (w->ofn != NULL && (r = w->ofn(w->arg, &row)) != 0)
		return r;
	sqlite3_bind_int64(w->attempts, 1, row.id);
	return sq_walk_rows(w->attempts, attempt_step, w);
}

int
sq_incident_notifications(struct store *base, int64_t id, store_outbox_fn ofn,
    store_attempt_fn afn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->ist[IST_INC_OUTBOX];
	sqlite3_bind_int64(s, 1, id);
	return sq_walk_rows(s, notification_step, &(struct notif_walk){ ofn, afn, arg,
	    st->ist[IST_ATTEMPTS_OF] });
}