/*
 * Reading the store: events, agents and incidents for vigilctl and the
 * engines. Rows handed to a callback are valid only during the call; a
 * non-zero return from the callback stops the walk.
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
#include "vigil/utf8.h"
#include "store_int.h"

/*
 * Step a bound statement, handing each row to fn, and make it reusable.
 * Returns 0, VIGIL_ERR_DB, or the callback's non-zero value that stopped the walk.
 */
int
sq_walk_rows(sqlite3_stmt *s, row_fn fn, void *ctx)
{
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((r = fn(s, ctx)) != 0)
			break;
	sq_stmt_done(s);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

/*
 * Step a bound statement for its one row, hand it to fn, and make the
 * statement reusable. Returns VIGIL_ERR_NOTFOUND without a row,
 * VIGIL_ERR_DB, or the callback's value.
 */
int
sq_one_row(sqlite3_stmt *s, row_fn fn, void *ctx)
{
	int rc, r = 0;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = fn(s, ctx);
	sq_stmt_done(s);
	if (rc == SQLITE_DONE)
		return VIGIL_ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return VIGIL_ERR_DB;
	return r;
}


void
sq_incident_row(sqlite3_stmt *s, struct store_incident_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->agent = sq_col_text(s, 1);
	r->rule = sq_col_text(s, 2);
	r->category = sqlite3_column_int(s, 3);
	r->severity = sqlite3_column_int(s, 4);
	r->status = sq_col_text(s, 5);
	r->title = sq_col_text(s, 6);
	r->first_us = sqlite3_column_int64(s, 7);
	r->last_us = sqlite3_column_int64(s, 8);
	r->events = sqlite3_column_int64(s, 9);
	r->assignee = sq_col_text(s, 10);
	r->resolution = sq_col_text(s, 11);
	r->unit = sq_col_text(s, 12);
	r->kind = sq_col_text(s, 13);
	r->dedup_key = sq_col_text(s, 14);
	r->opened_us = sqlite3_column_int64(s, 15);
	r->acked_us = sqlite3_column_int64(s, 16);
	r->resolved_us = sqlite3_column_int64(s, 17);
	/* Column 18 is the units where a statement asks for them (INCIDENT_UNITS). */
	r->units = sqlite3_column_count(s) > 18 && sqlite3_column_name(s, 18) != NULL &&
	    strcmp(sqlite3_column_name(s, 18), "units") == 0 ? sq_col_text(s, 18) : NULL;
}

/* Bind text folded for searching (utf8_fold): the statement compares vigil_fold(column). */
int
sq_bind_folded(sqlite3_stmt *s, int idx, const char *text)
{
	size_t n = strlen(text);
	char *f;

	if ((f = malloc(n + 1)) == NULL)
		return VIGIL_ERR_NOMEM;
	utf8_fold(f, n + 1, text, n);
	sqlite3_bind_text(s, idx, f, -1, free);
	return 0;
}

int
sq_event_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_event_row row;

	row.id = sqlite3_column_int64(s, 0);
	row.agent = sq_col_text(s, 1);
	row.seq = (uint64_t)sqlite3_column_int64(s, 2);
	row.time_us = sqlite3_column_int64(s, 3);
	row.recv_us = sqlite3_column_int64(s, 4);
	row.source = sq_col_text(s, 5);
	row.category = sqlite3_column_int(s, 6);
	row.severity = sqlite3_column_int(s, 7);
	row.rule = sq_col_text(s, 8);
	row.summary = sq_col_text(s, 9);
	row.raw = sq_col_text(s, 10);
	row.fields_json = sq_col_text(s, 11);
	row.clock = sqlite3_column_int(s, 12);
	return w->fn.event != NULL ? w->fn.event(w->arg, &row) : 0;
}

/* Step a bound event statement, one row per call. */
int
sq_walk_events(sqlite3_stmt *s, store_event_fn fn, void *arg)
{
	return sq_walk_rows(s, sq_event_step, &(struct walk){ .fn.event = fn, .arg = arg });
}

static int
agent_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_agent_row row;

	row.agent = sq_col_text(s, 0);
	row.hostname = sq_col_text(s, 1);
	row.unit = sq_col_text(s, 2);
	row.version = sq_col_text(s, 3);
	row.os = sq_col_text(s, 4);
	row.address = sq_col_text(s, 5);
	row.first_us = sqlite3_column_int64(s, 6);
	row.last_us = sqlite3_column_int64(s, 7);
	row.last_seq = (uint64_t)sqlite3_column_int64(s, 8);
	row.clock_offset_us = sqlite3_column_int64(s, 9);
	row.off_us = sqlite3_column_int64(s, 10);
	row.off_reason = goodbye_reason_from_name(sq_col_text(s, 11));
	if (row.off_reason < 0)
		row.off_reason = 0;
	row.off_detail = sq_col_text(s, 12);
	return w->fn.agent != NULL ? w->fn.agent(w->arg, &row) : 0;
}

int
sq_incident_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_incident_row row;

	sq_incident_row(s, &row);
	return w->fn.incident != NULL ? w->fn.incident(w->arg, &row) : 0;
}

/* Step a bound incident statement, one row per call. */
int
sq_walk_incidents(sqlite3_stmt *s, store_incident_fn fn, void *arg)
{
	return sq_walk_rows(s, sq_incident_step, &(struct walk){ .fn.incident = fn, .arg = arg });
}

/* The one incident of a bound statement: VIGIL_ERR_NOTFOUND without it. */
int
sq_one_incident(sqlite3_stmt *s, store_incident_fn fn, void *arg)
{
	return sq_one_row(s, sq_incident_step, &(struct walk){ .fn.incident = fn, .arg = arg });
}

int
sq_query_events(struct store *base, const struct store_event_filter *f, store_event_fn fn,
    void *arg)
{
	struct sqlstore *st = sq_of(base);
	static const struct store_event_filter all = { 0, 0, NULL, -1, -1, 0, NULL, NULL, NULL, 0 };
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	if (f == NULL)
		f = &all;
	s = st->st[ST_QUERY_EVENTS];
	/* Unbound parameters are NULL, which switches that filter off. */
	if (f->since_us != 0)
		sqlite3_bind_int64(s, 1, f->since_us);
	if (f->until_us != 0)
		sqlite3_bind_int64(s, 2, f->until_us);
	if (f->agent != NULL)
		sq_bind_text(s, 3, f->agent);
	if (f->category >= 0)
		sqlite3_bind_int(s, 4, f->category);
	if (f->min_severity >= 0)
		sqlite3_bind_int(s, 5, f->min_severity);
	sqlite3_bind_int64(s, 6, f->limit > 0 ? f->limit : -1);
	if (f->field_key != NULL) {
		sq_bind_text(s, 7, f->field_key);
		sq_bind_text(s, 8, f->field_value != NULL ? f->field_value : "");
	}
	if (f->grep != NULL && sq_bind_folded(s, 9, f->grep) != 0) {
		sq_stmt_done(s);
		return VIGIL_ERR_NOMEM;
	}
	if (f->after_id > 0)
		sqlite3_bind_int64(s, 10, f->after_id);
	return sq_walk_events(s, fn, arg);
}

int
sq_query_agents(struct store *base, store_agent_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	return sq_walk_rows(st->st[ST_QUERY_AGENTS], agent_step,
	    &(struct walk){ .fn.agent = fn, .arg = arg });
}

int
sq_query_incidents(struct store *base, int open_only, store_incident_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_QUERY_INCIDENTS];
	sqlite3_bind_int(s, 1, open_only != 0);
	return sq_walk_incidents(s, fn, arg);
}

int
sq_get_incident(struct store *base, int64_t id, store_incident_fn ifn, store_event_fn efn,
    void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int r;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_GET_INCIDENT];
	sqlite3_bind_int64(s, 1, id);
	if ((r = sq_one_incident(s, ifn, arg)) != 0)
		return r;
	s = st->st[ST_INCIDENT_EVENTS];
	sqlite3_bind_int64(s, 1, id);
	return sq_walk_events(s, efn, arg);
}

int
sq_counts(struct store *base, struct store_counts *c)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || c == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_COUNTS];
	memset(c, 0, sizeof(*c));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		c->agents = sqlite3_column_int64(s, 0);
		c->events = sqlite3_column_int64(s, 1);
		c->incidents_open = sqlite3_column_int64(s, 2);
	}
	sq_stmt_done(s);
	return rc == SQLITE_ROW ? 0 : VIGIL_ERR_DB;
}

int
sq_query_incident_queue(struct store *base, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	static const struct store_incident_filter open = { NULL, -1, -1, NULL, NULL, NULL, NULL,
	    0, NULL, NULL, NULL, 0, 0, NULL };
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	if (f == NULL)
		f = &open;
	if (f->change_top != NULL) {
		s = st->ist[IST_CHANGE_TOP];
		if (sqlite3_step(s) != SQLITE_ROW) {
			sq_stmt_done(s);
			return VIGIL_ERR_DB;
		}
		*f->change_top = sqlite3_column_int64(s, 0);
		sq_stmt_done(s);
	}
	s = st->ist[IST_QUEUE];
	if (f->after_change > 0) {
		sq_bind_text(s, 1, "all");
		sqlite3_bind_int64(s, 13, f->after_change);
	} else if (f->status != NULL)
		sq_bind_text(s, 1, f->status);
	if (f->category >= 0)
		sqlite3_bind_int(s, 2, f->category);
	if (f->min_severity >= 0)
		sqlite3_bind_int(s, 3, f->min_severity);
	if ((f->unit != NULL && sq_bind_folded(s, 4, f->unit) != 0) ||
	    (f->grep != NULL && sq_bind_folded(s, 11, f->grep) != 0)) {
		sq_stmt_done(s);
		return VIGIL_ERR_NOMEM;
	}
	if (f->field_key != NULL) {
		sq_bind_text(s, 9, f->field_key);
		sq_bind_text(s, 10, f->field_value != NULL ? f->field_value : "");
	}
	if (f->after_id > 0)
		sqlite3_bind_int64(s, 12, f->after_id);
	if (f->host != NULL)
		sq_bind_text(s, 5, f->host);
	if (f->assignee != NULL)
		sq_bind_text(s, 6, f->assignee);
	if (f->kind != NULL)
		sq_bind_text(s, 7, f->kind);
	sqlite3_bind_int64(s, 8, f->limit > 0 ? f->limit : -1);
	return sq_walk_incidents(s, fn, arg);
}

int
sq_incident_by_id(struct store *base, int64_t id, store_incident_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->ist[IST_BY_ID];
	sqlite3_bind_int64(s, 1, id);
	return sq_one_incident(s, fn, arg);
}

static int
name_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;

	return w->fn.name != NULL ? w->fn.name(w->arg, sq_col_text(s, 0)) : 0;
}

int
sq_incident_agents(struct store *base, int64_t id, store_name_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->ist[IST_AGENTS_OF];
	sqlite3_bind_int64(s, 1, id);
	return sq_walk_rows(s, name_step, &(struct walk){ .fn.name = fn, .arg = arg });
}