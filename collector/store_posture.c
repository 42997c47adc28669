/*
 * Posture and compliance: the heartbeat's snapshot in the writer's commit
 * (latest row, and a history row only when a fact changed) and the queries
 * compliance.c judges.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vigil.pb-c.h"
#include "vigil/buf.h"
#include "vigil/err.h"
#include "vigil/jsonw.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "audit.h"
#include "store_int.h"

/* ---- posture and compliance ---- */

/* A counter from the wire: SQLite integers are signed, so the largest values saturate. */
static sqlite3_int64
counter(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* ?1-?15 and ?23 of both posture statements (store_schema.c's numbering next to their SQL). */
static void
bind_posture(sqlite3_stmt *s, const struct store_batch *b, const Vigil__V1__Posture *p)
{
	sq_bind_text(s, 1, b->agent);
	sqlite3_bind_int64(s, 2, b->recv_us);
	sq_bind_text(s, 3, p->av_product);
	sqlite3_bind_int(s, 4, (int)p->av_running);
	sqlite3_bind_int(s, 5, (int)p->av_realtime);
	sq_bind_text(s, 6, p->av_version);
	sqlite3_bind_int64(s, 7, p->av_signatures_us);
	sqlite3_bind_int(s, 8, p->updates_pending);
	sqlite3_bind_int(s, 9, p->security_updates_pending);
	sqlite3_bind_int64(s, 10, p->security_pending_since_us);
	sqlite3_bind_int64(s, 11, p->last_update_us);
	sqlite3_bind_int64(s, 12, p->last_upgrade_us);
	sqlite3_bind_int(s, 13, (int)p->reboot_required);
	sq_bind_text(s, 14, p->os);
	sqlite3_bind_int64(s, 15, (sqlite3_int64)p->usb_policy_blocked);
	sq_bind_text(s, 23, p->audit_policy);
}

/*
 * What the sensors said of themselves, as two JSON objects into down and
 * ctr (freed by the caller): {"eventlog": "why"} and {"name": value}, one
 * level, as vigilctl's reader takes them. The heartbeat was validated
 * (names of [a-z0-9._], counts capped); a name given twice keeps its first
 * entry: the reader refuses an object with a duplicate name.
 */
#define SENSORS_JSON_MAX (64 * 1024)  /* past the wire's caps, escaped */

static int
seen_before(const char *const *names, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (names[j] != NULL && strcmp(names[j], names[i]) == 0)
			return 1;
	return 0;
}

static int
sensors_json(const Vigil__V1__Heartbeat *hb, struct buf *down, struct buf *ctr)
{
	const char *names[WIRE_MAX_SENSOR_COUNTERS > WIRE_MAX_SENSORS_DOWN ?
	    WIRE_MAX_SENSOR_COUNTERS : WIRE_MAX_SENSORS_DOWN];
	struct jsonw w;
	size_t i;

	buf_init(down, SENSORS_JSON_MAX);
	buf_init(ctr, SENSORS_JSON_MAX);
	if (hb->n_sensors_unavailable > WIRE_MAX_SENSORS_DOWN ||
	    hb->n_sensor_counters > WIRE_MAX_SENSOR_COUNTERS)
		return VIGIL_ERR_TOOBIG;
	jsonw_buf(&w, down);
	jsonw_object(&w, NULL);
	for (i = 0; i < hb->n_sensors_unavailable; i++) {
		const Vigil__V1__SensorDown *d = hb->sensors_unavailable[i];

		names[i] = d != NULL ? d->sensor : NULL;
		if (names[i] != NULL && !seen_before(names, i))
			jsonw_str(&w, d->sensor, d->reason);
	}
	jsonw_end(&w);
	jsonw_buf(&w, ctr);
	jsonw_object(&w, NULL);
	for (i = 0; i < hb->n_sensor_counters; i++) {
		const Vigil__V1__SensorCounter *c = hb->sensor_counters[i];

		names[i] = c != NULL ? c->name : NULL;
		if (names[i] != NULL && !seen_before(names, i))
			jsonw_uint(&w, c->name, c->value);
	}
	jsonw_end(&w);
	return buf_error(down) != 0 ? buf_error(down) : buf_error(ctr);
}

/*
 * The agent row (last_seen, and the row the posture references), a history
 * row if a fact changed, then the latest posture with the health counters.
 * The posture statements bind the heartbeat's strings: their bindings are
 * dropped here rather than by commit_unbind().
 */
int
sq_commit_posture(struct sqlstore *st, const struct store_batch *b)
{
	const Vigil__V1__Heartbeat *hb = b->heartbeat;
	struct buf down, ctr;
	sqlite3_stmt *s;
	int rc;

	if (hb == NULL || (hb->posture == NULL && hb->network == NULL))
		return VIGIL_ERR_INVAL;
	if ((rc = sq_commit_seen(st, &(struct store_batch){ .agent = b->agent,
	    .recv_us = b->recv_us, .agent_clock_us = hb->time_us })) != 0)
		return rc;
	if (hb->network != NULL &&
	    (rc = sq_commit_network(st, b->agent, hb->network, b->recv_us)) != 0)
		return rc;
	/* A network report before the first posture (no sensor data yet). */
	if (hb->posture == NULL)
		return 0;
	s = st->st[ST_POSTURE_HISTORY];
	bind_posture(s, b, hb->posture);
	rc = sq_hot_run(st, s);
	sqlite3_clear_bindings(s);
	if (rc != 0)
		return rc;
	s = st->st[ST_POSTURE_UPSERT];
	bind_posture(s, b, hb->posture);
	sqlite3_bind_int64(s, 16, counter(hb->spool_depth));
	sqlite3_bind_int64(s, 17, counter(hb->dropped));
	sqlite3_bind_int64(s, 18, counter(hb->lines_truncated));
	sqlite3_bind_int64(s, 19, counter(hb->events_rejected));
	sqlite3_bind_int64(s, 20, counter(hb->rule_evictions));
	sqlite3_bind_int64(s, 21, counter(hb->uevents_spoofed));
	sqlite3_bind_int64(s, 22, counter(hb->uevents_lost));
	if ((rc = sensors_json(hb, &down, &ctr)) == 0) {
		sqlite3_bind_text(s, 24, down.p, (int)down.len, SQLITE_STATIC);
		sqlite3_bind_text(s, 25, ctr.p, (int)ctr.len, SQLITE_STATIC);
		rc = sq_hot_run(st, s);
	}
	sqlite3_clear_bindings(s);
	buf_free(&down);
	buf_free(&ctr);
	return rc;
}

/* ---- posture and compliance: queries ---- */

static void
posture_row(sqlite3_stmt *s, struct store_posture_row *r)
{
	memset(r, 0, sizeof(*r));
	r->agent = sq_col_text(s, 0);
	r->hostname = sq_col_text(s, 1);
	r->unit = sq_col_text(s, 2);
	r->last_seen_us = sqlite3_column_int64(s, 3);
	r->has_posture = sqlite3_column_int(s, 4);
	r->av_product = sq_col_text(s, 6);
	r->av_version = sq_col_text(s, 7);
	r->os = sq_col_text(s, 8);
	r->audit_policy = sq_col_text(s, 26);
	if (!r->has_posture)
		return;
	r->recv_us = sqlite3_column_int64(s, 5);
	r->av_running = sqlite3_column_int(s, 9);
	r->av_realtime = sqlite3_column_int(s, 10);
	r->reboot_required = sqlite3_column_int(s, 11);
	r->av_signatures_us = sqlite3_column_int64(s, 12);
	r->updates_pending = sqlite3_column_int(s, 13);
	r->security_updates_pending = sqlite3_column_int(s, 14);
	r->security_pending_since_us = sqlite3_column_int64(s, 15);
	r->last_update_us = sqlite3_column_int64(s, 16);
	r->last_upgrade_us = sqlite3_column_int64(s, 17);
	r->usb_policy_blocked = (uint64_t)sqlite3_column_int64(s, 18);
	r->spool_depth = (uint64_t)sqlite3_column_int64(s, 19);
	r->dropped = (uint64_t)sqlite3_column_int64(s, 20);
	r->lines_truncated = (uint64_t)sqlite3_column_int64(s, 21);
	r->events_rejected = (uint64_t)sqlite3_column_int64(s, 22);
	r->rule_evictions = (uint64_t)sqlite3_column_int64(s, 23);
	r->uevents_spoofed = (uint64_t)sqlite3_column_int64(s, 24);
	r->uevents_lost = (uint64_t)sqlite3_column_int64(s, 25);
	r->sensors_unavailable = sq_col_text(s, 27);
	r->sensor_counters = sq_col_text(s, 28);
}

static int
posture_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_posture_row row;

	posture_row(s, &row);
	w->nrows++;
	return w->fn.posture != NULL ? w->fn.posture(w->arg, &row) : 0;
}

int
sq_query_postures(struct store *base, const char *unit, store_posture_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_QUERY_POSTURES];
	if (unit != NULL)
		sq_bind_text(s, 1, unit);
	return sq_walk_rows(s, posture_step, &(struct walk){ .fn.posture = fn, .arg = arg });
}

int
sq_get_posture(struct store *base, const char *agent, store_posture_fn fn, void *arg)
{
	struct sqlstore *st = sq_of(base);
	struct walk w = { .fn.posture = fn, .arg = arg };
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || agent == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_GET_POSTURE];
	sq_bind_text(s, 1, agent);
	if ((rc = sq_walk_rows(s, posture_step, &w)) != 0)
		return rc;
	return w.nrows == 0 ? VIGIL_ERR_NOTFOUND : 0;
}