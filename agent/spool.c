/*
 * The agent's durable spool: events waiting for the collector's ack, the
 * tail offsets of the log sources, the cursors of the journal sources and
 * the bookmarks of the Windows Event Log channels, in
 * one SQLite database in WAL mode.
 *
 * Durability: synchronous=NORMAL. A crash of the process (SIGKILL, abort)
 * loses nothing that was committed: the WAL is already in the kernel. A power
 * loss may roll back the last transactions, but events and tail offsets are
 * committed together and sqlite_sequence rolls back with them, so the lines
 * are read again from the restored offsets and get the same seq again; the
 * collector stores each (agent, seq) once.
 *
 * Sequence numbers come from an AUTOINCREMENT primary key, so a seq is never
 * handed out twice, even after its event was acked and deleted.
 *
 * A spool made afresh (a reinstall, or a damaged spool set aside) does not
 * know where the collector's numbering of this agent stands: its events wait
 * "unanchored" until the first Welcome, which says the highest seq stored;
 * spool_anchor() then numbers them after it. Reusing a stored number would
 * make the collector take a new event for one it already has, and the ack
 * would delete it: lost without a word.
 *
 * The depth, the highest seq, the dropped counter and the approximate size
 * (the sum of the stored blobs' lengths) live in memory, are recomputed at
 * open, and are restored from a snapshot when a transaction rolls back.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vigil/clock.h"
#include "vigil/i18n.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/wire.h"

#include "spool.h"

#define SPOOL_BUSY_MS 5000

/*
 * The schema in versioned steps: step i brings a database from user_version
 * i to i + 1. A spool written by an older agent gains the newer tables; one
 * written by a newer agent is refused rather than misread.
 */
static const char spool_schema_v1[] =
    "CREATE TABLE IF NOT EXISTS events ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " ev BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS positions ("
    " source TEXT PRIMARY KEY,"
    " dev INTEGER NOT NULL,"
    " inode INTEGER NOT NULL,"
    " offset INTEGER NOT NULL,"
    " head BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta ("
    " key TEXT PRIMARY KEY,"
    " value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('dropped', 0);";

static const char spool_schema_v2[] =
    "CREATE TABLE IF NOT EXISTS cursors ("
    " source TEXT PRIMARY KEY,"
    " cursor TEXT NOT NULL);";

/* Windows Event Log channels: the last record taken and the bookmark to resume after it. */
static const char spool_schema_v3[] =
    "CREATE TABLE IF NOT EXISTS bookmarks ("
    " channel TEXT PRIMARY KEY,"
    " record_id INTEGER NOT NULL,"
    " bookmark TEXT NOT NULL);";

/*
 * Whether the numbering follows the collector's (see spool_anchor()). A spool
 * older than this step has talked to its collector: anchored. One made now
 * starts unanchored (spool_migrate()).
 */
static const char spool_schema_v4[] =
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('anchored', 1);";

/* What a sensor learned and keeps across restarts (spool_state_get()). */
static const char spool_schema_v5[] =
    "CREATE TABLE IF NOT EXISTS state ("
    " name TEXT PRIMARY KEY,"
    " value TEXT NOT NULL);";

static const char *const spool_schema[] = { spool_schema_v1, spool_schema_v2, spool_schema_v3,
	                                    spool_schema_v4, spool_schema_v5 };
#define SPOOL_SCHEMA_VERSION ((int)(sizeof(spool_schema) / sizeof(spool_schema[0])))

/* The counters that a rollback must put back. */
struct spool_counts {
	uint64_t depth;
	uint64_t high_seq;
	uint64_t dropped;
	long long bytes;
};

enum {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_INSERT,
	ST_READ,
	ST_ACK,
	ST_DROP_OLDEST,
	ST_SEQ_GET,
	ST_SEQ_UPDATE,
	ST_SEQ_INSERT,
	ST_DROPPED_GET,
	ST_DROPPED_SET,
	ST_POS_GET,
	ST_POS_SET,
	ST_CURSOR_GET,
	ST_CURSOR_SET,
	ST_BOOKMARK_GET,
	ST_BOOKMARK_SET,
	ST_STATE_GET,
	ST_STATE_SET,
	ST_COUNT_EVENTS,
	ST_ANCHORED_GET,
	ST_ANCHORED_SET,
	ST_SHIFT_OUT,
	ST_SHIFT_IN,
	ST_NSTMT
};

static const char *const spool_sql[ST_NSTMT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT spool_op",
	[ST_RELEASE] = "RELEASE spool_op",
	[ST_ROLLBACK_TO] = "ROLLBACK TO spool_op",
	[ST_INSERT] = "INSERT INTO events(ev) VALUES (?)",
	[ST_READ] = "SELECT seq, ev FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
	[ST_ACK] = "DELETE FROM events WHERE seq <= ? RETURNING length(ev)",
	[ST_DROP_OLDEST] = "DELETE FROM events WHERE seq = (SELECT min(seq) FROM events)"
	    " RETURNING length(ev)",
	[ST_SEQ_GET] = "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
	[ST_SEQ_UPDATE] = "UPDATE sqlite_sequence SET seq = ? WHERE name = 'events' AND seq < ?",
	[ST_SEQ_INSERT] = "INSERT INTO sqlite_sequence(name, seq) SELECT 'events', ?"
	    " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events')",
	[ST_DROPPED_GET] = "SELECT value FROM meta WHERE key = 'dropped'",
	[ST_DROPPED_SET] = "UPDATE meta SET value = ? WHERE key = 'dropped'",
	[ST_POS_GET] = "SELECT dev, inode, offset, head FROM positions WHERE source = ?",
	[ST_POS_SET] = "INSERT INTO positions(source, dev, inode, offset, head)"
	    " VALUES (?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET"
	    " dev = excluded.dev, inode = excluded.inode, offset = excluded.offset,"
	    " head = excluded.head",
	[ST_CURSOR_GET] = "SELECT cursor FROM cursors WHERE source = ?",
	[ST_CURSOR_SET] = "INSERT INTO cursors(source, cursor) VALUES (?, ?)"
	    " ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor",
	[ST_BOOKMARK_GET] = "SELECT record_id, bookmark FROM bookmarks WHERE channel = ?",
	[ST_BOOKMARK_SET] = "INSERT INTO bookmarks(channel, record_id, bookmark) VALUES (?, ?, ?)"
	    " ON CONFLICT(channel) DO UPDATE SET record_id = excluded.record_id,"
	    " bookmark = excluded.bookmark",
	[ST_STATE_GET] = "SELECT value FROM state WHERE name = ?",
	[ST_STATE_SET] = "INSERT INTO state(name, value) VALUES (?, ?)"
	    " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
	[ST_COUNT_EVENTS] = "SELECT count(*), coalesce(sum(length(ev)), 0), coalesce(max(seq), 0)"
	    " FROM events",
	[ST_ANCHORED_GET] = "SELECT value FROM meta WHERE key = 'anchored'",
	[ST_ANCHORED_SET] = "UPDATE meta SET value = 1 WHERE key = 'anchored'",
	/* Two steps, through negative numbers, so that no two rows share a key midway. */
	[ST_SHIFT_OUT] = "UPDATE events SET seq = -seq",
	[ST_SHIFT_IN] = "UPDATE events SET seq = ? - seq",
};

struct spool {
	sqlite3 *db;
	sqlite3_stmt *st[ST_NSTMT];
	long long max_bytes;            /* <= 0: no cap */
	int in_txn;
	int anchored;                   /* numbering follows the collector's */
	struct spool_counts n;          /* current */
	struct spool_counts saved;      /* at spool_begin(), for spool_rollback() */
	uint64_t skipped;               /* rows that could not go (spool_decode), this run */
	uint64_t skipped_seq;           /* the last one counted: a row re-read is not again */
};

/* Run a statement that returns no rows, and reset it. */
static int
spool_step_done(struct spool *s, int which)
{
	sqlite3_stmt *st = s->st[which];
	int rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_debug("The spool statement \"%s\" failed: %s.", spool_sql[which],
		    sqlite3_errmsg(s->db));
		return VIGIL_ERR_DB;
	}
	return 0;
}

/* Run a statement that returns at most one integer, into *v (left as is when no row). */
static int
spool_step_int(struct spool *s, int which, long long *v)
{
	sqlite3_stmt *st = s->st[which];
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_debug("The spool statement \"%s\" failed: %s.", spool_sql[which],
		    sqlite3_errmsg(s->db));
		return VIGIL_ERR_DB;
	}
	return 0;
}

/* Read the counters back from the database (at open, and after a failed commit). */
static int
spool_load_counts(struct spool *s)
{
	sqlite3_stmt *st = s->st[ST_COUNT_EVENTS];
	long long seq = 0, max_row = 0, dropped = 0, anchored = 1;
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->n.depth = (uint64_t)sqlite3_column_int64(st, 0);
		s->n.bytes = sqlite3_column_int64(st, 1);
		max_row = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return VIGIL_ERR_DB;
	if (spool_step_int(s, ST_SEQ_GET, &seq) != 0 ||
	    spool_step_int(s, ST_DROPPED_GET, &dropped) != 0 ||
	    spool_step_int(s, ST_ANCHORED_GET, &anchored) != 0)
		return VIGIL_ERR_DB;
	s->anchored = anchored != 0;
	/*
	 * A damaged counter may lag behind the rows; SQLite numbers the next
	 * row past both, and the uplink reads up to the highest: so must we.
	 */
	if (max_row > seq)
		seq = max_row;
	s->n.high_seq = seq > 0 ? (uint64_t)seq : 0;
	s->n.dropped = dropped > 0 ? (uint64_t)dropped : 0;
	return 0;
}

static int
spool_exec(struct spool *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return VIGIL_ERR_DB;
	}
	return 0;
}

/* Bring the schema up to SPOOL_SCHEMA_VERSION, inside the caller's transaction. */
static int
spool_migrate(struct spool *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char sql[64];
	int version = -1, made, rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		return VIGIL_ERR_DB;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version < 0) {
		snprintf(err, errlen, _("the schema version cannot be read"));
		return VIGIL_ERR_DB;
	}
	if (version > SPOOL_SCHEMA_VERSION) {
		snprintf(err, errlen, _("the schema version %d is newer than this agent's (%d)"),
		    version, SPOOL_SCHEMA_VERSION);
		return VIGIL_ERR_DB;
	}
	made = version == 0;
	for (; version < SPOOL_SCHEMA_VERSION; version++)
		if (spool_exec(s, spool_schema[version], err, errlen) != 0)
			return VIGIL_ERR_DB;
	if (made && spool_exec(s, "UPDATE meta SET value = 0 WHERE key = 'anchored'", err,
	    errlen) != 0)
		return VIGIL_ERR_DB;
	/* A pragma takes no parameter; the number is our own constant. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SPOOL_SCHEMA_VERSION);
	return spool_exec(s, sql, err, errlen);
}

/* SQLite's word that the file is not a sound database (as opposed to a full disk). */
static int
spool_damaged(sqlite3 *db)
{
	int code = db != NULL ? sqlite3_errcode(db) & 0xff : SQLITE_OK;

	return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
}

static struct spool *
spool_open_once(const char *path, long long max_bytes, int *damaged, char *err, size_t errlen)
{
	struct spool *s;
	char msg[256];
	int i, rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		return NULL;
	}
	s->max_bytes = max_bytes;
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db != NULL ? sqlite3_errmsg(s->db) :
		    sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, SPOOL_BUSY_MS);
	/*
	 * Fixed statements without parameters; everything that carries data
	 * goes through the prepared statements below.
	 */
	if (spool_exec(s, "PRAGMA journal_mode = WAL", msg, sizeof(msg)) != 0 ||
	    spool_exec(s, "PRAGMA synchronous = NORMAL", msg, sizeof(msg)) != 0 ||
	    spool_exec(s, "PRAGMA journal_size_limit = 16777216", msg, sizeof(msg)) != 0 ||
	    /* A small agent: 256 KiB of page cache is plenty for appends and acks. */
	    spool_exec(s, "PRAGMA cache_size = -256", msg, sizeof(msg)) != 0 ||
	    spool_exec(s, "BEGIN IMMEDIATE", msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	if (spool_migrate(s, msg, sizeof(msg)) != 0 ||
	    spool_exec(s, "COMMIT", msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, _("%s: cannot create the schema: %s"), path, msg);
		*damaged = spool_damaged(s->db);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	for (i = 0; i < ST_NSTMT; i++) {
		if (sqlite3_prepare_v3(s->db, spool_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, _("%s: cannot prepare \"%s\": %s"), path, spool_sql[i],
			    sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	if (spool_load_counts(s) != 0) {
		snprintf(err, errlen, _("%s: cannot read the spool: %s"), path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	return s;
fail:
	if (!*damaged)
		*damaged = spool_damaged(s->db);
	spool_free(s);
	return NULL;
}

/*
 * Move a damaged spool (and its write-ahead log) aside as PATH.damaged-TIME
 * for whoever wants to look at it, so that a new one can be made in its
 * place. 0, or -1 with the reason in err.
 */
static int
spool_set_aside(const char *path, char *aside, size_t alen, char *err, size_t errlen)
{
	static const char *const side[] = { "-wal", "-shm" };
	char from[4096], to[4208], stamp[40], *c, *w;
	size_t i;

	/* 2026-12-05T09:01:02.123456Z -> 20261205T090102Z: a file name on every system. */
	text_time_rfc3339(stamp, sizeof(stamp), clock_now_us());
	for (c = w = stamp; *c != '\0' && *c != '.' && *c != 'Z'; c++)
		if (*c != '-' && *c != ':')
			*w++ = *c;
	*w++ = 'Z';
	*w = '\0';
	if ((size_t)snprintf(aside, alen, "%s.damaged-%s", path, stamp) >= alen) {
		snprintf(err, errlen, _("%s: the path is too long"), path);
		return -1;
	}
	if (rename(path, aside) != 0) {
		snprintf(err, errlen, _("%s cannot be moved aside: %s"), path, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		snprintf(from, sizeof(from), "%s%s", path, side[i]);
		snprintf(to, sizeof(to), "%s%s", aside, side[i]);
		(void)rename(from, to);
	}
	return 0;
}

struct spool *
spool_open(const char *path, long long max_bytes, char *err, size_t errlen)
{
	struct spool *s;
	char aside[4200], why[512];
	int damaged = 0;

	if ((s = spool_open_once(path, max_bytes, &damaged, err, errlen)) != NULL || !damaged)
		return s;
	/*
	 * A damaged spool would stop the agent for good, and every event after
	 * with it. Its waiting events are lost either way; keep them for a look,
	 * start a new spool, and say so loudly: the shipped rule
	 * agent.spool_damaged reads this line back.
	 */
	snprintf(why, sizeof(why), "%s", err);
	if (spool_set_aside(path, aside, sizeof(aside), err, errlen) != 0)
		return NULL;
	log_warnx("The spool is damaged and was set aside as %s (%s); a new spool is started and "
	    "the events that waited in the old one are lost.", aside, why);
	return spool_open_once(path, max_bytes, &damaged, err, errlen);
}

void
spool_free(struct spool *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->in_txn && s->st[ST_ROLLBACK] != NULL)
		spool_step_done(s, ST_ROLLBACK);
	for (i = 0; i < ST_NSTMT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int
spool_begin(struct spool *s)
{
	int r;

	if (s->in_txn)
		return VIGIL_ERR_PROTO;
	if ((r = spool_step_done(s, ST_BEGIN)) != 0)
		return r;
	s->in_txn = 1;
	s->saved = s->n;
	return 0;
}

int
spool_commit(struct spool *s)
{
	if (!s->in_txn)
		return VIGIL_ERR_PROTO;
	if (spool_step_done(s, ST_COMMIT) == 0) {
		s->in_txn = 0;
		return 0;
	}
	/*
	 * A failed COMMIT may leave the transaction open (SQLITE_BUSY) or may
	 * have rolled it back already; end it either way and trust the disk.
	 */
	if (sqlite3_get_autocommit(s->db) == 0)
		spool_step_done(s, ST_ROLLBACK);
	s->in_txn = 0;
	s->n = s->saved;
	spool_load_counts(s);
	return VIGIL_ERR_DB;
}

int
spool_rollback(struct spool *s)
{
	int r = 0;

	if (!s->in_txn)
		return VIGIL_ERR_PROTO;
	if (sqlite3_get_autocommit(s->db) == 0)
		r = spool_step_done(s, ST_ROLLBACK);
	s->in_txn = 0;
	s->n = s->saved;
	return r;
}

/*
 * Every change of more than one statement runs inside a savepoint, so that
 * it is atomic both on its own and inside spool_begin()..spool_commit().
 */
static int
spool_op_begin(struct spool *s, struct spool_counts *snap)
{
	*snap = s->n;
	return spool_step_done(s, ST_SAVEPOINT);
}

static int
spool_op_end(struct spool *s, const struct spool_counts *snap, int r)
{
	if (r == 0 && (r = spool_step_done(s, ST_RELEASE)) == 0)
		return 0;
	spool_step_done(s, ST_ROLLBACK_TO);
	spool_step_done(s, ST_RELEASE);
	s->n = *snap;
	return r;
}

/* Delete the oldest events until `need` more bytes fit under the cap. */
static int
spool_make_room(struct spool *s, long long need)
{
	sqlite3_stmt *st = s->st[ST_DROP_OLDEST];
	uint64_t dropped = 0;
	int rc;

	while (s->n.depth > 0 && s->n.bytes + need > s->max_bytes) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			s->n.bytes -= sqlite3_column_int64(st, 0);
			s->n.depth--;
			dropped++;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return VIGIL_ERR_DB;
		if (sqlite3_changes(s->db) == 0) {
			/* The in-memory count was off: the table is empty. */
			s->n.depth = 0;
			s->n.bytes = 0;
		}
	}
	if (s->n.bytes < 0)
		s->n.bytes = 0;
	if (dropped == 0)
		return 0;
	s->n.dropped += dropped;
	/* Never silent: the shipped rule agent.spool_dropped reads this line back. */
	log_warnx("The spool is full: %llu oldest events were dropped (%llu in all).",
	    (unsigned long long)dropped, (unsigned long long)s->n.dropped);
	sqlite3_bind_int64(s->st[ST_DROPPED_SET], 1, (sqlite3_int64)s->n.dropped);
	return spool_step_done(s, ST_DROPPED_SET);
}

int
spool_append(struct spool *s, const Vigil__V1__Event *ev, uint64_t *seq)
{
	Vigil__V1__Event copy;
	struct spool_counts snap;
	uint8_t *buf = NULL;
	size_t len;
	int r;

	/* The seq is the row's key; the stored blob does not repeat it. */
	copy = *ev;
	copy.seq = 0;
	len = vigil__v1__event__get_packed_size(&copy);
	if (len > INT_MAX)
		return VIGIL_ERR_TOOBIG;
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return VIGIL_ERR_NOMEM;
	vigil__v1__event__pack(&copy, buf);

	if ((r = spool_op_begin(s, &snap)) != 0)
		goto out;
	/*
	 * An event larger than the whole cap is still stored (after everything
	 * older is dropped): the cap is approximate, the event is not lost.
	 */
	if (s->max_bytes > 0 && (r = spool_make_room(s, (long long)len)) != 0)
		goto end;
	sqlite3_bind_blob(s->st[ST_INSERT], 1, buf, (int)len, SQLITE_STATIC);
	if ((r = spool_step_done(s, ST_INSERT)) != 0)
		goto end;
	s->n.depth++;
	s->n.bytes += (long long)len;
	s->n.high_seq = (uint64_t)sqlite3_last_insert_rowid(s->db);
	if (seq != NULL)
		*seq = s->n.high_seq;
end:
	r = spool_op_end(s, &snap, r);
out:
	free(buf);
	return r;
}

/*
 * Decode one row, or NULL when it cannot go to the collector. Only a
 * damaged disk (or another program) makes such a row; the collector would
 * refuse a batch holding it, and every later event would wait behind it
 * forever. It is skipped instead, and the ack past its seq deletes it.
 */
static Vigil__V1__Event *
spool_decode(struct spool *s, sqlite3_stmt *st)
{
	const void *blob = sqlite3_column_blob(st, 1);
	int blen = sqlite3_column_bytes(st, 1);
	long long seq = sqlite3_column_int64(st, 0);
	Vigil__V1__Event *ev;
	char why[256];

	if ((ev = vigil__v1__event__unpack(NULL, (size_t)blen, blob)) != NULL) {
		ev->seq = (uint64_t)seq;
		if (wire_validate_event(ev, why, sizeof(why)) == 0)
			return ev;
		log_warnx(_("The spooled event %lld is not valid for the collector (%s); it is "
		    "skipped."), seq, why);
		vigil__v1__event__free_unpacked(ev, NULL);
	} else {
		log_warnx(_("The spooled event %lld cannot be decoded; it is skipped."), seq);
	}
	/* Counted once (the heartbeat's spool.rows_skipped), though read again until acked. */
	if ((uint64_t)seq > s->skipped_seq) {
		s->skipped++;
		s->skipped_seq = (uint64_t)seq;
	}
	return NULL;
}

int
spool_read(struct spool *s, uint64_t after, size_t max, Vigil__V1__Event ***out, size_t *n)
{
	sqlite3_stmt *st = s->st[ST_READ];
	Vigil__V1__Event **evs;
	size_t cap, got = 0, rows, skipped;
	int rc, r = 0;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	if (after > INT64_MAX)
		return VIGIL_ERR_RANGE;
	cap = max < s->n.depth ? max : (size_t)s->n.depth;
	if (cap == 0)
		cap = 1;
	if ((evs = calloc(cap, sizeof(*evs))) == NULL)
		return VIGIL_ERR_NOMEM;
	/* Rows skipped leave room in the batch: read on past them, up to max events. */
	for (;;) {
		size_t want = max - got;

		rows = skipped = 0;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(want < SIZE_MAX / 2 ? want : SIZE_MAX / 2));
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			Vigil__V1__Event *ev;

			rows++;
			after = (uint64_t)sqlite3_column_int64(st, 0);
			if (got == cap) {
				/* The in-memory depth was low; grow within max. */
				Vigil__V1__Event **bigger;
				size_t ncap = cap * 2 < max ? cap * 2 : max;

				if ((bigger = realloc(evs, ncap * sizeof(*evs))) == NULL) {
					r = VIGIL_ERR_NOMEM;
					break;
				}
				evs = bigger;
				cap = ncap;
			}
			if ((ev = spool_decode(s, st)) == NULL) {
				skipped++;
				continue;
			}
			evs[got++] = ev;
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
			r = VIGIL_ERR_DB;
		/* Fewer rows than asked: the table ended. */
		if (r != 0 || skipped == 0 || rows < want || got == max)
			break;
	}
	if (r != 0) {
		spool_events_free(evs, got);
		return r;
	}
	*out = evs;
	*n = got;
	return 0;
}

void
spool_events_free(Vigil__V1__Event **evs, size_t n)
{
	size_t i;

	if (evs == NULL)
		return;
	for (i = 0; i < n; i++)
		if (evs[i] != NULL)
			vigil__v1__event__free_unpacked(evs[i], NULL);
	free(evs);
}

int
spool_ack(struct spool *s, uint64_t up_to)
{
	sqlite3_stmt *st = s->st[ST_ACK];
	struct spool_counts snap;
	int rc, r;

	if (up_to > INT64_MAX)
		up_to = INT64_MAX;
	if ((r = spool_op_begin(s, &snap)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)up_to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->n.bytes -= sqlite3_column_int64(st, 0);
		if (s->n.depth > 0)
			s->n.depth--;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		r = VIGIL_ERR_DB;
	if (s->n.bytes < 0)
		s->n.bytes = 0;
	return spool_op_end(s, &snap, r);
}

int
spool_advance_seq(struct spool *s, uint64_t seq)
{
	struct spool_counts snap;
	int r;

	if (seq > INT64_MAX)
		return VIGIL_ERR_RANGE;
	if (seq <= s->n.high_seq)
		return 0;
	if ((r = spool_op_begin(s, &snap)) != 0)
		return r;
	/* sqlite_sequence has no row for events until the first insert. */
	sqlite3_bind_int64(s->st[ST_SEQ_UPDATE], 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(s->st[ST_SEQ_UPDATE], 2, (sqlite3_int64)seq);
	if ((r = spool_step_done(s, ST_SEQ_UPDATE)) == 0) {
		sqlite3_bind_int64(s->st[ST_SEQ_INSERT], 1, (sqlite3_int64)seq);
		r = spool_step_done(s, ST_SEQ_INSERT);
	}
	if (r == 0)
		s->n.high_seq = seq;
	return spool_op_end(s, &snap, r);
}

int
spool_anchor(struct spool *s, uint64_t stored, uint64_t *moved)
{
	struct spool_counts snap;
	int r;

	*moved = 0;
	if (s->anchored)
		return 0;
	if (stored > INT64_MAX / 2 || s->n.high_seq > INT64_MAX / 2)
		return VIGIL_ERR_RANGE;
	if ((r = spool_op_begin(s, &snap)) != 0)
		return r;
	if (stored > 0 && s->n.high_seq > 0) {
		/* Every seq of this spool moves up by `stored`: -seq, then stored - (-seq). */
		if ((r = spool_step_done(s, ST_SHIFT_OUT)) == 0) {
			sqlite3_bind_int64(s->st[ST_SHIFT_IN], 1, (sqlite3_int64)stored);
			r = spool_step_done(s, ST_SHIFT_IN);
		}
		if (r == 0) {
			uint64_t high = s->n.high_seq + stored;

			sqlite3_bind_int64(s->st[ST_SEQ_UPDATE], 1, (sqlite3_int64)high);
			sqlite3_bind_int64(s->st[ST_SEQ_UPDATE], 2, (sqlite3_int64)high);
			r = spool_step_done(s, ST_SEQ_UPDATE);
			s->n.high_seq = high;
		}
	}
	if (r == 0)
		r = spool_step_done(s, ST_ANCHORED_SET);
	if ((r = spool_op_end(s, &snap, r)) != 0)
		return r;
	s->anchored = 1;
	if (stored > 0)
		*moved = s->n.depth;
	return 0;
}

uint64_t
spool_high_seq(struct spool *s)
{
	return s->n.high_seq;
}

uint64_t
spool_depth(struct spool *s)
{
	return s->n.depth;
}

uint64_t
spool_dropped(struct spool *s)
{
	return s->n.dropped;
}

uint64_t
spool_skipped(const struct spool *s)
{
	return s->skipped;
}

void
spool_release_memory(struct spool *s)
{
	/* Inside a transaction the cache holds pages it still needs. */
	if (s != NULL && !s->in_txn)
		(void)sqlite3_db_release_memory(s->db);
}

/*
 * Step the lookup `which` of a source's row: 0 with the row to read from the
 * statement (then spool_lookup_end()), VIGIL_ERR_NOTFOUND or VIGIL_ERR_DB.
 */
static int
spool_lookup(struct spool *s, int which, const char *source)
{
	sqlite3_stmt *st = s->st[which];
	int rc;

	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		return 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? VIGIL_ERR_NOTFOUND : VIGIL_ERR_DB;
}

static void
spool_lookup_end(struct spool *s, int which)
{
	sqlite3_reset(s->st[which]);
	sqlite3_clear_bindings(s->st[which]);
}

int
spool_pos_get(struct spool *s, const char *source, struct tail_pos *pos)
{
	sqlite3_stmt *st = s->st[ST_POS_GET];
	const void *head;
	int r, hlen;

	memset(pos, 0, sizeof(*pos));
	if ((r = spool_lookup(s, ST_POS_GET, source)) != 0)
		return r;
	head = sqlite3_column_blob(st, 3);
	hlen = sqlite3_column_bytes(st, 3);
	pos->dev = (uint64_t)sqlite3_column_int64(st, 0);
	pos->inode = (uint64_t)sqlite3_column_int64(st, 1);
	pos->offset = (uint64_t)sqlite3_column_int64(st, 2);
	if (hlen < 0)
		hlen = 0;
	if ((size_t)hlen > sizeof(pos->head))
		hlen = (int)sizeof(pos->head);
	if (hlen > 0 && head != NULL)
		memcpy(pos->head, head, (size_t)hlen);
	pos->headlen = (size_t)hlen;
	spool_lookup_end(s, ST_POS_GET);
	return 0;
}

int
spool_pos_set(struct spool *s, const char *source, const struct tail_pos *pos)
{
	sqlite3_stmt *st = s->st[ST_POS_SET];
	size_t hlen = pos->headlen;

	if (hlen > sizeof(pos->head))
		return VIGIL_ERR_INVAL;
	/* dev, inode and offset are stored as their 64-bit patterns. */
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pos->dev);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)pos->inode);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)pos->offset);
	sqlite3_bind_blob(st, 5, pos->head, (int)hlen, SQLITE_STATIC);
	return spool_step_done(s, ST_POS_SET);
}

/*
 * Text column col of the row st is on into out[cap], NUL-terminated: 0, or
 * VIGIL_ERR_TOOBIG when it is longer than max or does not fit (out empty).
 */
static int
column_text(sqlite3_stmt *st, int col, char *out, size_t cap, size_t max)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	int len = sqlite3_column_bytes(st, col);

	if (text == NULL || len < 0)
		len = 0;
	if ((size_t)len >= cap || (size_t)len > max)
		return VIGIL_ERR_TOOBIG;
	if (len > 0)
		memcpy(out, text, (size_t)len);
	out[len] = '\0';
	return 0;
}

/* Key and text into statement which (VIGIL_ERR_TOOBIG: text longer than max). */
static int
set_text(struct spool *s, int which, const char *key, const char *text, size_t max)
{
	sqlite3_stmt *st = s->st[which];
	size_t len = strnlen(text, max + 1);

	if (len > max)
		return VIGIL_ERR_TOOBIG;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, (int)len, SQLITE_STATIC);
	return spool_step_done(s, which);
}

/* The text statement which keeps for key into out[cap]: 0, VIGIL_ERR_NOTFOUND, as column_text(). */
static int
get_text(struct spool *s, int which, const char *key, char *out, size_t cap, size_t max)
{
	int r;

	if (cap == 0)
		return VIGIL_ERR_INVAL;
	out[0] = '\0';
	if ((r = spool_lookup(s, which, key)) != 0)
		return r;
	r = column_text(s->st[which], 0, out, cap, max);
	spool_lookup_end(s, which);
	return r;
}

int
spool_cursor_get(struct spool *s, const char *source, char *cursor, size_t cap)
{
	return get_text(s, ST_CURSOR_GET, source, cursor, cap, SPOOL_CURSOR_MAX);
}

int
spool_cursor_set(struct spool *s, const char *source, const char *cursor)
{
	return set_text(s, ST_CURSOR_SET, source, cursor, SPOOL_CURSOR_MAX);
}

int
spool_bookmark_get(struct spool *s, const char *channel, uint64_t *record_id, char *bookmark,
    size_t cap)
{
	sqlite3_stmt *st = s->st[ST_BOOKMARK_GET];
	int r;

	if (cap == 0)
		return VIGIL_ERR_INVAL;
	bookmark[0] = '\0';
	*record_id = 0;
	if ((r = spool_lookup(s, ST_BOOKMARK_GET, channel)) != 0)
		return r;
	*record_id = (uint64_t)sqlite3_column_int64(st, 0);
	r = column_text(st, 1, bookmark, cap, SPOOL_BOOKMARK_MAX);
	spool_lookup_end(s, ST_BOOKMARK_GET);
	return r;
}

int
spool_bookmark_set(struct spool *s, const char *channel, uint64_t record_id,
    const char *bookmark)
{
	sqlite3_stmt *st = s->st[ST_BOOKMARK_SET];
	size_t len = strnlen(bookmark, SPOOL_BOOKMARK_MAX + 1);

	if (len > SPOOL_BOOKMARK_MAX || record_id > INT64_MAX)
		return VIGIL_ERR_TOOBIG;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)record_id);
	sqlite3_bind_text(st, 3, bookmark, (int)len, SQLITE_STATIC);
	return spool_step_done(s, ST_BOOKMARK_SET);
}

int
spool_state_get(struct spool *s, const char *name, char *text, size_t cap)
{
	return get_text(s, ST_STATE_GET, name, text, cap, SPOOL_STATE_MAX);
}

int
spool_state_set(struct spool *s, const char *name, const char *text)
{
	return set_text(s, ST_STATE_SET, name, text, SPOOL_STATE_MAX);
}
