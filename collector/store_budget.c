/*
 * The store's part of the noise budget (store_budget.h): outbox rows held for
 * a digest, and marked when it went; the hour's sent rows, read back at start. Rare statements: each is prepared and
 * finalized where it is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vigil/err.h"

#include "store.h"
#include "store_budget.h"

static int
run_id(struct store *st, const char *sql, int64_t id, int64_t now_us)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_us);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_budget_hold(struct store *st, int64_t outbox_id, int64_t now_us)
{
	return run_id(st, "UPDATE outbox SET status = 'held', next_us = ?2 WHERE id = ?1"
	    " AND status = 'pending'", outbox_id, now_us);
}

int
store_budget_digested(struct store *st, int64_t outbox_id, int64_t now_us)
{
	return run_id(st, "UPDATE outbox SET status = 'digested', done_us = ?2 WHERE id = ?1"
	    " AND status = 'held'", outbox_id, now_us);
}

int
store_budget_held(struct store *st, struct store_held **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	struct store_held *v = NULL, *p;
	size_t cap = 0, k = 0;
	int r;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT id, incident_id, contact, channel, target,"
	    " language, next_us FROM outbox WHERE status = 'held' ORDER BY id", -1, &s, NULL) !=
	    SQLITE_OK)
		return VIGIL_ERR_DB;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				sqlite3_finalize(s);
				return VIGIL_ERR_NOMEM;
			}
			v = p;
		}
		memset(&v[k], 0, sizeof(v[k]));
		v[k].id = sqlite3_column_int64(s, 0);
		v[k].incident = sqlite3_column_int64(s, 1);
		snprintf(v[k].contact, sizeof(v[k].contact), "%s", sqlite3_column_text(s, 2));
		snprintf(v[k].channel, sizeof(v[k].channel), "%s", sqlite3_column_text(s, 3));
		snprintf(v[k].target, sizeof(v[k].target), "%s", sqlite3_column_text(s, 4));
		snprintf(v[k].language, sizeof(v[k].language), "%s", sqlite3_column_text(s, 5));
		v[k].held_us = sqlite3_column_int64(s, 6);
		k++;
	}
	sqlite3_finalize(s);
	if (r != SQLITE_DONE) {
		free(v);
		return VIGIL_ERR_DB;
	}
	*out = v;
	*n = k;
	return 0;
}

int
store_budget_sent_since(struct store *st, int64_t since_us, store_budget_sent_fn fn, void *arg)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT contact, created_us FROM outbox"
	    " WHERE created_us > ?1 AND status NOT IN ('held', 'digested')"
	    " ORDER BY created_us, id", -1, &s, NULL) != SQLITE_OK)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, since_us);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_budget_last_digests(struct store *st, store_budget_sent_fn fn, void *arg)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (sqlite3_prepare_v2(store_sqlite(st), "SELECT contact, max(done_us) FROM outbox"
	    " WHERE status = 'digested' GROUP BY contact ORDER BY contact", -1, &s, NULL) !=
	    SQLITE_OK)
		return VIGIL_ERR_DB;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}
