/*
 * The writer thread's path: store_commit() writes every pending item (event
 * batches, Hello, last-seen, heartbeat, goodbye) in one transaction, each
 * item a savepoint undone alone when its own data is refused. Duplicates by
 * (agent, seq) are ignored but counted in up_to, so a resend is acked and not
 * stored twice. Events at medium or above open or join their rule incident.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "vigil/jsonw.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "audit.h"
#include "store_int.h"
/* fields as JSON may grow up to 6 times the input (\u00XX); never past this. */
#define STORE_MAX_FIELDS_JSON (8 * 1024 * 1024)

/* The parameters of ST_AGENT_HELLO, for store_agent_hello() and the group commit. */
static sqlite3_stmt *
bind_hello(struct sqlstore *st, const char *agent, const Vigil__V1__Hello *hello,
    const char *address, int64_t now_us)
{
	sqlite3_stmt *s = st->st[ST_AGENT_HELLO];

	sq_bind_text(s, 1, agent);
	sq_bind_text(s, 2, hello->hostname);
	sq_bind_text(s, 3, hello->unit);
	sq_bind_text(s, 4, hello->agent_version);
	sq_bind_text(s, 5, hello->os);
	sq_bind_text(s, 6, address);
	sqlite3_bind_int64(s, 7, now_us);
	return s;
}

int
sq_agent_hello(struct store *base, const char *agent, const Vigil__V1__Hello *hello,
    const char *address, int64_t now_us)
{
	struct sqlstore *st = sq_of(base);

	if (st == NULL || agent == NULL || *agent == '\0' || hello == NULL)
		return VIGIL_ERR_INVAL;
	return sq_stmt_run(bind_hello(st, agent, hello, address, now_us));
}

int
sq_agent_seen(struct store *base, const char *agent, int64_t now_us)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;

	if (st == NULL || agent == NULL || *agent == '\0')
		return VIGIL_ERR_INVAL;
	s = st->st[ST_AGENT_SEEN];
	sq_bind_text(s, 1, agent);
	sqlite3_bind_int64(s, 2, now_us);
	return sq_stmt_run(s);
}

int
sq_agent_last_seq(struct store *base, const char *agent, uint64_t *seq)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || agent == NULL || seq == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_AGENT_LAST_SEQ];
	sq_bind_text(s, 1, agent);
	*seq = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(s, 0);
	sq_stmt_done(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

/* ---- group commit ---------------------------------------------------------- */

/* One of the names an event's fields have in its JSON object so far. */
struct json_key {
	const char *p;
	size_t len;
};

static int
key_taken(const struct json_key *keys, size_t n, const char *k, size_t klen)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].len == klen && memcmp(keys[i].p, k, klen) == 0)
			return 1;
	return 0;
}

/*
 * The event's fields as one JSON object in st->json, {"key":"value",...},
 * built in one pass into the buffer every event reuses.
 *
 * A name an earlier field of the event has is written "name~2" (or ~3...,
 * the first that is free): vigilctl's reader refuses an object with a
 * duplicate name, so one such event would break every listing that shows
 * it, and both values are evidence. Agents do send them: a rule may capture
 * into "repeat" or "count", which the engine adds itself.
 */
static int
fields_json(struct sqlstore *st, const Vigil__V1__Event *ev, const char **out, size_t *outlen)
{
	char renamed[WIRE_MAX_FIELDS][WIRE_MAX_FIELD_KEY + 16];
	struct json_key keys[WIRE_MAX_FIELDS];
	size_t nkeys = 0;
	struct jsonw w;

	if (ev->n_fields == 0) {
		*out = "{}";
		*outlen = 2;
		return 0;
	}
	if (st->json.cap == 0)
		buf_init(&st->json, STORE_MAX_FIELDS_JSON);
	buf_reset(&st->json);
	jsonw_buf(&w, &st->json);
	jsonw_object(&w, NULL);
	for (size_t i = 0; i < ev->n_fields; i++) {
		const Vigil__V1__Field *f = ev->fields[i];
		const char *k, *v;
		size_t klen;

		if (f == NULL)
			continue;
		k = f->key ? f->key : "";
		v = f->value ? f->value : "";
		klen = strlen(k);
		/* Validated events have at most WIRE_MAX_FIELDS fields of short keys. */
		if (nkeys == WIRE_MAX_FIELDS || klen > WIRE_MAX_FIELD_KEY)
			return VIGIL_ERR_TOOBIG;
		if (key_taken(keys, nkeys, k, klen)) {
			char *r = renamed[nkeys];
			int m = 0;

			for (unsigned n = 2; n <= WIRE_MAX_FIELDS + 1; n++) {
				m = snprintf(r, sizeof(renamed[0]), "%s~%u", k, n);
				if (!key_taken(keys, nkeys, r, (size_t)m))
					break;
			}
			k = r;
			klen = (size_t)m;
		}
		keys[nkeys].p = k;
		keys[nkeys++].len = klen;
		jsonw_str(&w, k, v);
	}
	jsonw_end(&w);
	if (buf_error(&st->json) != 0)
		return buf_error(&st->json);
	*out = st->json.p;
	*outlen = st->json.len;
	return 0;
}

/*
 * A new event at severity >= medium joins the open incident of (agent, rule),
 * re-opens the last one if it was resolved within the re-open window, or
 * opens one.
 */
static int
sq_incident_add(struct sqlstore *st, const char *agent, const Vigil__V1__Event *ev,
    int64_t event_id, int64_t recv_us)
{
	sqlite3_stmt *s = st->st[ST_INCIDENT_FIND];
	int64_t incident_id, resolved_us = 0;
	int rc, closed = 0;

	sq_bind_text(s, 1, agent);
	sq_bind_text(s, 2, ev->rule);
	rc = sqlite3_step(s);
	incident_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	if (rc == SQLITE_ROW) {
		closed = sqlite3_column_int(s, 1);
		resolved_us = sqlite3_column_int64(s, 2);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sq_note_error(st);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return VIGIL_ERR_DB;
	if (rc == SQLITE_ROW && closed) {
		if (st->reopen_window_us > 0 && resolved_us > 0 &&
		    recv_us - resolved_us <= st->reopen_window_us) {
			if (sq_reopen_in_txn(st, incident_id, recv_us) != 0)
				return VIGIL_ERR_DB;
		} else {
			rc = SQLITE_DONE;          /* too long ago: a new incident */
		}
	}
	if (rc == SQLITE_ROW) {
		s = st->st[ST_INCIDENT_UPDATE];
		sqlite3_bind_int64(s, 1, incident_id);
		sqlite3_bind_int64(s, 2, ev->time_us);
		sqlite3_bind_int(s, 3, (int)ev->severity);
		if (sq_hot_run(st, s) != 0)
			return VIGIL_ERR_DB;
	} else {
		s = st->st[ST_INCIDENT_INSERT];
		sq_bind_text(s, 1, agent);
		sq_bind_text(s, 2, ev->rule);
		sqlite3_bind_int(s, 3, (int)ev->category);
		sqlite3_bind_int(s, 4, (int)ev->severity);
		sq_bind_text(s, 5, ev->summary);
		sqlite3_bind_int64(s, 6, ev->time_us);
		sqlite3_bind_int64(s, 7, recv_us);
		if (sq_hot_run(st, s) != 0)
			return VIGIL_ERR_DB;
		incident_id = sqlite3_last_insert_rowid(st->db);
		if (sq_audit_append(st, &(struct store_audit_entry){ recv_us, "system", incident_id,
		    "open", ev->summary }) != 0)
			return VIGIL_ERR_DB;
	}
	s = st->st[ST_LINK_INSERT];
	sqlite3_bind_int64(s, 1, incident_id);
	sqlite3_bind_int64(s, 2, event_id);
	return sq_hot_run(st, s);
}

static int
commit_hello(struct sqlstore *st, const struct store_batch *b)
{
	if (b->hello == NULL)
		return VIGIL_ERR_INVAL;
	return sq_hot_run(st, bind_hello(st, b->agent, b->hello, b->address, b->recv_us));
}

int
sq_commit_seen(struct sqlstore *st, const struct store_batch *b)
{
	sqlite3_stmt *s = st->st[ST_AGENT_SEEN];

	sq_bind_text(s, 1, b->agent);
	sqlite3_bind_int64(s, 2, b->recv_us);
	if (b->agent_clock_us != 0)
		sqlite3_bind_int64(s, 3, b->agent_clock_us - b->recv_us);
	else
		sqlite3_bind_null(s, 3);
	return sq_hot_run(st, s);
}

/* Where an event's time stands against its arrival (enum store_clock). */
int
sq_clock_of(const struct sqlstore *st, int64_t time_us, int64_t recv_us)
{
	if (st->clock_ahead_us > 0 && time_us > recv_us && time_us - recv_us > st->clock_ahead_us)
		return STORE_CLOCK_AHEAD;
	if (st->clock_behind_us > 0 && time_us < recv_us &&
	    recv_us - time_us > st->clock_behind_us)
		return STORE_CLOCK_BEHIND;
	return STORE_CLOCK_OK;
}

/* Off, not silent, from now on: the machine said why it goes away. */
static int
commit_goodbye(struct sqlstore *st, const struct store_batch *b)
{
	sqlite3_stmt *s = st->st[ST_AGENT_GOODBYE];
	int rc;

	if (b->goodbye == NULL)
		return VIGIL_ERR_INVAL;
	sq_bind_text(s, 1, b->agent);
	sqlite3_bind_int64(s, 2, b->recv_us);
	/* wire.c let only known reasons through; the CHECK constraint holds the rest. */
	sq_bind_text(s, 3, goodbye_reason_name((int)b->goodbye->reason));
	sq_bind_text(s, 4, b->goodbye->detail);
	rc = sq_hot_run(st, s);
	sqlite3_clear_bindings(s);
	return rc;
}

static int
commit_events(struct sqlstore *st, struct store_batch *b)
{
	const Vigil__V1__EventBatch *batch = b->batch;
	sqlite3_stmt *s;
	uint64_t up_to = 0;
	size_t agentlen = strlen(b->agent);
	int rc, clock;

	if (batch == NULL)
		return VIGIL_ERR_INVAL;
	/* SQLite integers are signed: a larger seq would not compare as one. */
	for (size_t i = 0; i < batch->n_events; i++) {
		if (batch->events[i] == NULL)
			return VIGIL_ERR_INVAL;
		if (batch->events[i]->seq > INT64_MAX)
			return VIGIL_ERR_RANGE;
		if (batch->events[i]->seq > up_to)
			up_to = batch->events[i]->seq;
	}

	/* The agent row first: events and incidents reference it. */
	s = st->st[ST_AGENT_UP_TO];
	sqlite3_bind_text(s, 1, b->agent, (int)agentlen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, b->recv_us);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)up_to);
	if (sq_hot_run(st, s) != 0)
		return VIGIL_ERR_DB;

	/*
	 * Every text is bound SQLITE_STATIC: the batch and st->json outlive
	 * the step, and the bindings are cleared before store_commit() returns.
	 */
	s = st->st[ST_EVENT_INSERT];
	sqlite3_bind_text(s, 1, b->agent, (int)agentlen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, b->recv_us);
	for (size_t i = 0; i < batch->n_events; i++) {
		const Vigil__V1__Event *ev = batch->events[i];
		const char *json;
		size_t jsonlen;

		if ((rc = fields_json(st, ev, &json, &jsonlen)) != 0)
			return rc;
		sqlite3_bind_int64(s, 2, (sqlite3_int64)ev->seq);
		sqlite3_bind_int64(s, 3, ev->time_us);
		sq_bind_text(s, 5, ev->source);
		sqlite3_bind_int(s, 6, (int)ev->category);
		sqlite3_bind_int(s, 7, (int)ev->severity);
		sq_bind_text(s, 8, ev->rule);
		sq_bind_text(s, 9, ev->summary);
		sq_bind_text(s, 10, ev->raw);
		sqlite3_bind_text(s, 11, json, (int)jsonlen, SQLITE_STATIC);
		clock = sq_clock_of(st, ev->time_us, b->recv_us);
		sqlite3_bind_int(s, 12, clock);
		if (sq_hot_run(st, s) != 0)
			return VIGIL_ERR_DB;
		if (sqlite3_changes(st->db) == 0)
			continue;          /* a resend: stored before, acknowledged again */
		b->inserted++;
		if (clock != STORE_CLOCK_OK)
			b->clock_flagged++;
		/* Only these need the incident statements; most events are below. */
		if ((int)ev->severity >= VIGIL__V1__SEVERITY__SEVERITY_MEDIUM) {
			int64_t id = sqlite3_last_insert_rowid(st->db);

			if ((rc = sq_incident_add(st, b->agent, ev, id, b->recv_us)) != 0)
				return rc;
			/* sq_incident_add() used other statements; ours keeps its bindings. */
		}
	}
	b->up_to = up_to;
	return 0;
}

static int
commit_item(struct sqlstore *st, struct store_batch *b)
{
	if (b->agent == NULL || *b->agent == '\0')
		return VIGIL_ERR_INVAL;
	switch (b->kind) {
	case STORE_EVENTS:
		return commit_events(st, b);
	case STORE_HELLO:
		return commit_hello(st, b);
	case STORE_SEEN:
		return sq_commit_seen(st, b);
	case STORE_POSTURE:
		return sq_commit_posture(st, b);
	case STORE_GOODBYE:
		return commit_goodbye(st, b);
	}
	return VIGIL_ERR_INVAL;
}

/* The bindings of the group commit point at the caller's batches: drop them. */
static void
commit_unbind(struct sqlstore *st)
{
	static const enum stmt_id hot[] = { ST_AGENT_HELLO, ST_AGENT_SEEN, ST_AGENT_UP_TO,
	    ST_EVENT_INSERT, ST_INCIDENT_FIND, ST_INCIDENT_UPDATE, ST_INCIDENT_INSERT,
	    ST_LINK_INSERT };

	for (size_t i = 0; i < NITEMS(hot); i++)
		sqlite3_clear_bindings(st->st[hot[i]]);
}

/*
 * A failure of this item alone (its data), not of the database: the item is
 * undone and refused while the rest of the commit goes on. Anything else (a
 * full disk, an I/O error, a lock) fails the whole commit.
 */
static int
item_fault(const struct sqlstore *st, int rc)
{
	if (rc != VIGIL_ERR_DB)
		return 1;          /* our own checks: range, size, a missing part */
	switch (st->sqlite_rc & 0xff) {
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
		return 1;
	default:
		return 0;
	}
}

/* A refused item stores nothing: only its reason stays. */
static void
item_reset_keep_why(struct store_batch *b, int rc)
{
	b->up_to = 0;
	b->inserted = 0;
	b->clock_flagged = 0;
	b->refused = rc;
}

static void
item_reset(struct store_batch *b)
{
	b->up_to = 0;
	b->inserted = 0;
	b->clock_flagged = 0;
	b->refused = 0;
	b->why[0] = '\0';
}

/*
 * Events follow an agent's refused batch in the same commit: storing them
 * would move its last_seq past the hole, and the agent, told so by Welcome,
 * would drop the refused events from its spool.
 */
static int
after_refused(const struct store_batch *b, size_t i)
{
	if (b[i].kind != STORE_EVENTS)
		return 0;
	for (size_t j = 0; j < i; j++)
		if (b[j].refused && b[j].kind == STORE_EVENTS && strcmp(b[j].agent, b[i].agent) == 0)
			return 1;
	return 0;
}

/* The caller's part of the contract: every item names an agent and carries its message. */
static int
item_complete(const struct store_batch *b)
{
	if (b->agent == NULL || *b->agent == '\0')
		return 0;
	switch (b->kind) {
	case STORE_EVENTS:
		return b->batch != NULL;
	case STORE_HELLO:
		return b->hello != NULL;
	case STORE_SEEN:
		return 1;
	case STORE_POSTURE:
		return b->heartbeat != NULL &&
		    (b->heartbeat->posture != NULL || b->heartbeat->network != NULL);
	case STORE_GOODBYE:
		return b->goodbye != NULL;
	}
	return 0;
}

int
sq_commit(struct store *base, struct store_batch *b, size_t n)
{
	struct sqlstore *st = sq_of(base);
	int rc, nrefused = 0;

	if (st == NULL || (b == NULL && n > 0))
		return VIGIL_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		item_reset(&b[i]);
		if (!item_complete(&b[i]))
			return VIGIL_ERR_INVAL;
	}
	st->errmsg[0] = '\0';
	st->sqlite_rc = SQLITE_OK;
	if (sq_hot_run(st, st->st[ST_BEGIN]) != 0)
		return VIGIL_ERR_DB;
	for (size_t i = 0; i < n; i++) {
		if (nrefused > 0 && after_refused(b, i)) {
			item_reset_keep_why(&b[i], err_fmt(b[i].why, sizeof(b[i].why), VIGIL_ERR_ORDER,
			    "an earlier batch of this agent was refused"));
			continue;
		}
		if ((rc = sq_hot_run(st, st->st[ST_SAVEPOINT])) != 0)
			goto fail;
		st->errmsg[0] = '\0';
		st->sqlite_rc = SQLITE_OK;
		if ((rc = commit_item(st, &b[i])) == 0) {
			if ((rc = sq_hot_run(st, st->st[ST_RELEASE])) != 0)
				goto fail;
			continue;
		}
		if (!item_fault(st, rc))
			goto fail;
		/* SQLite's sentence is short; a longer one is cut, which is fine for a reason. */
		snprintf(b[i].why, sizeof(b[i].why), "%.*s", (int)sizeof(b[i].why) - 1,
		    st->errmsg[0] != '\0' ? st->errmsg : vigil_strerror(rc));
		item_reset_keep_why(&b[i], rc);
		nrefused++;
		if (sq_hot_run(st, st->st[ST_ROLLBACK_TO]) != 0 ||
		    sq_hot_run(st, st->st[ST_RELEASE]) != 0) {
			rc = VIGIL_ERR_DB;
			goto fail;
		}
	}
	if (sq_hot_run(st, st->st[ST_COMMIT]) != 0) {
		rc = VIGIL_ERR_DB;
		goto fail;
	}
	commit_unbind(st);
	return 0;
fail:
	if (st->errmsg[0] == '\0')
		err_fmt(st->errmsg, sizeof(st->errmsg), rc, "%s", vigil_strerror(rc));
	commit_unbind(st);
	/* After a failed COMMIT SQLite may already have rolled back; that is fine. */
	sq_stmt_run(st->st[ST_ROLLBACK]);
	for (size_t i = 0; i < n; i++)
		item_reset(&b[i]);
	return rc;
}