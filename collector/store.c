/*
 * The collector's store: every SQL statement of the collector, prepared once
 * at open. SQLite in WAL mode with synchronous=FULL, so a COMMIT that returned
 * is on disk and the events it holds may be acknowledged.
 *
 * The schema moves forward through the migrations[] array, one transaction
 * per step, each step setting PRAGMA user_version to its own number. A
 * database from a newer collector is refused rather than misread.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "vigil/text.h"
#include "store.h"

/* A writer waits this long for another connection's lock before failing. */
#define STORE_BUSY_TIMEOUT_MS 5000
/* fields as JSON may grow up to 6 times the input (\u00XX); never past this. */
#define STORE_MAX_FIELDS_JSON (8 * 1024 * 1024)

/*
 * The CHECK constraints of schema v1 pin the enum ranges below. A new
 * category or severity needs a migration that widens them: this fails the
 * build until one is written.
 */
_Static_assert(VIGIL__V1__CATEGORY__CATEGORY_SYSTEM == 13,
    "the category CHECK constraints need a migration");
_Static_assert(VIGIL__V1__SEVERITY__SEVERITY_CRITICAL == 5,
    "the severity CHECK constraints need a migration");

struct migration {
	int version;
	const char *sql;   /* must end by setting PRAGMA user_version = version */
};

static const struct migration migrations[] = {
	{ 1,
	"CREATE TABLE agents ("
	"  agent      TEXT PRIMARY KEY NOT NULL,"
	"  hostname   TEXT NOT NULL DEFAULT '',"
	"  unit       TEXT NOT NULL DEFAULT '',"
	"  version    TEXT NOT NULL DEFAULT '',"
	"  os         TEXT NOT NULL DEFAULT '',"
	"  address    TEXT NOT NULL DEFAULT '',"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen  INTEGER NOT NULL,"
	"  last_seq   INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE events ("
	"  id       INTEGER PRIMARY KEY,"
	/*
	 * No foreign key on events.agent: store_commit() writes the agent row
	 * first in the same transaction, and the per-event check cost about
	 * 15 % of the insert time.
	 */
	"  agent    TEXT NOT NULL,"
	"  seq      INTEGER NOT NULL,"
	"  time_us  INTEGER NOT NULL,"
	"  recv_us  INTEGER NOT NULL,"
	"  source   TEXT NOT NULL,"
	"  category INTEGER NOT NULL CHECK (category BETWEEN 0 AND 13),"
	"  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 5),"
	"  rule     TEXT NOT NULL,"
	"  summary  TEXT NOT NULL,"
	"  raw      TEXT NOT NULL,"
	"  fields   TEXT NOT NULL DEFAULT '{}',"
	"  UNIQUE (agent, seq)"            /* also the (agent, seq) index */
	");"
	"CREATE INDEX events_time ON events(time_us);"
	/*
	 * No (category, severity) index: the one fixed events query walks the
	 * time index, and such an index cost 10-15 % of the insert time.
	 */
	"CREATE TABLE incidents ("
	"  id          INTEGER PRIMARY KEY,"
	"  agent       TEXT NOT NULL REFERENCES agents(agent),"
	"  rule        TEXT NOT NULL,"
	"  category    INTEGER NOT NULL CHECK (category BETWEEN 0 AND 13),"
	"  severity    INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 5),"
	"  status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN"
	"              ('new', 'acknowledged', 'in_progress', 'resolved', 'false_positive')),"
	"  title       TEXT NOT NULL,"
	"  first_seen  INTEGER NOT NULL,"
	"  last_seen   INTEGER NOT NULL,"
	"  event_count INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX incidents_open ON incidents(agent, rule)"
	"  WHERE status NOT IN ('resolved', 'false_positive');"
	"CREATE TABLE incident_events ("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
	"  event_id    INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (incident_id, event_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX incident_events_event ON incident_events(event_id);"
	"PRAGMA user_version = 1;" },
	/*
	 * 2: posture. The latest snapshot per agent with the agent's health
	 * counters, and a history row whenever a posture fact changed.
	 */
	{ 2,
	"CREATE TABLE posture ("
	"  agent                     TEXT PRIMARY KEY NOT NULL REFERENCES agents(agent),"
	"  recv_us                   INTEGER NOT NULL,"
	"  av_product                TEXT NOT NULL DEFAULT '',"
	"  av_running                INTEGER NOT NULL DEFAULT 0,"   /* Tristate */
	"  av_realtime               INTEGER NOT NULL DEFAULT 0,"
	"  av_version                TEXT NOT NULL DEFAULT '',"
	"  av_signatures_us          INTEGER NOT NULL DEFAULT 0,"   /* 0: unknown */
	"  updates_pending           INTEGER NOT NULL DEFAULT -1,"  /* -1: unknown */
	"  security_updates_pending  INTEGER NOT NULL DEFAULT -1,"
	"  security_pending_since_us INTEGER NOT NULL DEFAULT 0,"
	"  last_update_us            INTEGER NOT NULL DEFAULT 0,"
	"  last_upgrade_us           INTEGER NOT NULL DEFAULT 0,"
	"  reboot_required           INTEGER NOT NULL DEFAULT 0,"
	"  os                        TEXT NOT NULL DEFAULT '',"
	"  usb_policy_blocked        INTEGER NOT NULL DEFAULT 0,"
	"  spool_depth               INTEGER NOT NULL DEFAULT 0,"
	"  dropped                   INTEGER NOT NULL DEFAULT 0,"
	"  lines_truncated           INTEGER NOT NULL DEFAULT 0,"
	"  events_rejected           INTEGER NOT NULL DEFAULT 0,"
	"  rule_evictions            INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE posture_history ("
	"  id                        INTEGER PRIMARY KEY,"
	"  agent                     TEXT NOT NULL REFERENCES agents(agent),"
	"  recv_us                   INTEGER NOT NULL,"
	"  av_product                TEXT NOT NULL DEFAULT '',"
	"  av_running                INTEGER NOT NULL DEFAULT 0,"   /* Tristate */
	"  av_realtime               INTEGER NOT NULL DEFAULT 0,"
	"  av_version                TEXT NOT NULL DEFAULT '',"
	"  av_signatures_us          INTEGER NOT NULL DEFAULT 0,"   /* 0: unknown */
	"  updates_pending           INTEGER NOT NULL DEFAULT -1,"  /* -1: unknown */
	"  security_updates_pending  INTEGER NOT NULL DEFAULT -1,"
	"  security_pending_since_us INTEGER NOT NULL DEFAULT 0,"
	"  last_update_us            INTEGER NOT NULL DEFAULT 0,"
	"  last_upgrade_us           INTEGER NOT NULL DEFAULT 0,"
	"  reboot_required           INTEGER NOT NULL DEFAULT 0,"
	"  os                        TEXT NOT NULL DEFAULT '',"
	"  usb_policy_blocked        INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX posture_history_agent ON posture_history(agent, recv_us);"
	"PRAGMA user_version = 2;" },
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define STORE_SCHEMA_VERSION ((int)NITEMS(migrations))

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_AGENT_HELLO,
	ST_AGENT_SEEN,
	ST_AGENT_LAST_SEQ,
	ST_AGENT_UP_TO,
	ST_EVENT_INSERT,
	ST_INCIDENT_FIND,
	ST_INCIDENT_UPDATE,
	ST_INCIDENT_INSERT,
	ST_LINK_INSERT,
	ST_QUERY_EVENTS,
	ST_QUERY_AGENTS,
	ST_QUERY_INCIDENTS,
	ST_GET_INCIDENT,
	ST_INCIDENT_EVENTS,
	ST_COUNTS,
	ST_COUNT
};

#define OPEN_STATUS "status NOT IN ('resolved', 'false_positive')"
#define EVENT_COLUMNS "id, agent, seq, time_us, recv_us, source, category, severity, " \
	"rule, summary, raw, fields"
#define INCIDENT_COLUMNS "id, agent, rule, category, severity, status, title, " \
	"first_seen, last_seen, event_count"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_AGENT_HELLO] =
	    "INSERT INTO agents (agent, hostname, unit, version, os, address,"
	    " first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
	    " ON CONFLICT (agent) DO UPDATE SET hostname = excluded.hostname,"
	    " unit = excluded.unit, version = excluded.version, os = excluded.os,"
	    " address = excluded.address, last_seen = excluded.last_seen",
	[ST_AGENT_SEEN] =
	    "INSERT INTO agents (agent, first_seen, last_seen) VALUES (?1, ?2, ?2)"
	    " ON CONFLICT (agent) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)",
	[ST_AGENT_LAST_SEQ] = "SELECT last_seq FROM agents WHERE agent = ?1",
	[ST_AGENT_UP_TO] =
	    "INSERT INTO agents (agent, first_seen, last_seen, last_seq) VALUES (?1, ?2, ?2, ?3)"
	    " ON CONFLICT (agent) DO UPDATE SET"
	    " last_seq = max(last_seq, excluded.last_seq),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	/* Only the (agent, seq) conflict is ignored: a CHECK failure still fails. */
	[ST_EVENT_INSERT] =
	    "INSERT INTO events (agent, seq, time_us, recv_us, source, category, severity,"
	    " rule, summary, raw, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	    " ON CONFLICT (agent, seq) DO NOTHING",
	/* The WHERE repeats the partial index's so that the index is used. */
	[ST_INCIDENT_FIND] =
	    "SELECT id FROM incidents WHERE agent = ?1 AND rule = ?2 AND " OPEN_STATUS
	    " ORDER BY id DESC LIMIT 1",
	[ST_INCIDENT_UPDATE] =
	    "UPDATE incidents SET first_seen = min(first_seen, ?2), last_seen = max(last_seen, ?2),"
	    " severity = max(severity, ?3), event_count = event_count + 1 WHERE id = ?1",
	[ST_INCIDENT_INSERT] =
	    "INSERT INTO incidents (agent, rule, category, severity, status, title,"
	    " first_seen, last_seen, event_count) VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?6, ?6, 1)",
	[ST_LINK_INSERT] = "INSERT INTO incident_events (incident_id, event_id) VALUES (?1, ?2)",
	/*
	 * One fixed statement for every filter combination: a NULL parameter
	 * switches its filter off. since is inclusive, until exclusive.
	 */
	[ST_QUERY_EVENTS] =
	    "SELECT " EVENT_COLUMNS " FROM (SELECT " EVENT_COLUMNS " FROM events"
	    " WHERE (?1 IS NULL OR time_us >= ?1) AND (?2 IS NULL OR time_us < ?2)"
	    " AND (?3 IS NULL OR agent = ?3) AND (?4 IS NULL OR category = ?4)"
	    " AND (?5 IS NULL OR severity >= ?5)"
	    " ORDER BY time_us DESC, id DESC LIMIT ?6)"
	    " ORDER BY time_us, id",
	[ST_QUERY_AGENTS] =
	    "SELECT agent, hostname, unit, version, os, address, first_seen, last_seen, last_seq"
	    " FROM agents ORDER BY agent",
	[ST_QUERY_INCIDENTS] =
	    "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE (?1 = 0 OR " OPEN_STATUS ")"
	    " ORDER BY severity DESC, first_seen, id",
	[ST_GET_INCIDENT] = "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = ?1",
	[ST_INCIDENT_EVENTS] =
	    "SELECT e.id, e.agent, e.seq, e.time_us, e.recv_us, e.source, e.category,"
	    " e.severity, e.rule, e.summary, e.raw, e.fields"
	    " FROM incident_events ie JOIN events e ON e.id = ie.event_id"
	    " WHERE ie.incident_id = ?1 ORDER BY e.time_us, e.id",
	[ST_COUNTS] =
	    "SELECT (SELECT count(*) FROM agents), (SELECT count(*) FROM events),"
	    " (SELECT count(*) FROM incidents WHERE " OPEN_STATUS ")",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	int version;
	char *json;            /* scratch for one event's fields as JSON, reused */
	size_t jsonsz;
	char errmsg[256];      /* SQLite's sentence for the last failure */
};

static void
err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Make a statement reusable and drop its bindings, which may point at caller memory. */
static void
stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Keep SQLite's sentence for a failure: a later ROLLBACK would overwrite it. */
static void
note_error(struct store *st)
{
	snprintf(st->errmsg, sizeof(st->errmsg), "%s", sqlite3_errmsg(st->db));
}

/* Run a statement that returns no rows. */
static int
stmt_run(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	stmt_done(s);
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

/*
 * The same for the statements of the group commit, which rebind every
 * parameter each time: a reset without clearing the bindings is enough, and
 * store_commit() clears them once at its end.
 */
static int
hot_run(struct store *st, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE) {
		note_error(st);
		sqlite3_reset(s);
		return VIGIL_ERR_DB;
	}
	sqlite3_reset(s);
	return 0;
}

/* Strings from protobuf-c are NUL-terminated; a NULL one is stored as "". */
static int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		v = "";
	return sqlite3_bind_text(s, i, v, (int)strlen(v), SQLITE_STATIC);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v == NULL ? "" : (const char *)v;
}

static int
read_user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *s = NULL;
	int rc = VIGIL_ERR_DB;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) != SQLITE_ROW)
		goto out;
	*version = sqlite3_column_int(s, 0);
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/* WAL can be refused (e.g. on some network file systems): check what we got. */
static int
set_wal(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = VIGIL_ERR_DB;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		err_set(err, errlen, "Cannot set WAL mode: %s.", sqlite3_errmsg(db));
		goto out;
	}
	if (strcmp(col_text(s, 0), "wal") != 0) {
		err_set(err, errlen, "The database refused WAL mode (journal mode is %s).",
		    col_text(s, 0));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

/*
 * Apply each missing step in its own transaction. The version is read again
 * under the write lock, so two processes opening a new file at once do not
 * both run a step.
 */
static int
migrate(struct store *st, char *err, size_t errlen)
{
	int version;

	if (read_user_version(st->db, &version) != 0) {
		err_set(err, errlen, "Cannot read the schema version: %s.", sqlite3_errmsg(st->db));
		return VIGIL_ERR_DB;
	}
	if (version > STORE_SCHEMA_VERSION) {
		err_set(err, errlen, "The database has schema version %d, newer than the %d this "
		    "collector knows; use a newer collector.", version, STORE_SCHEMA_VERSION);
		return VIGIL_ERR_VERSION;
	}
	for (size_t i = 0; i < NITEMS(migrations); i++) {
		const struct migration *m = &migrations[i];

		if (m->version <= version)
			continue;
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		if (read_user_version(st->db, &version) != 0)
			goto fail;
		if (version < m->version) {
			if (sqlite3_exec(st->db, m->sql, NULL, NULL, NULL) != SQLITE_OK)
				goto fail;
			if (read_user_version(st->db, &version) != 0 || version != m->version) {
				err_set(err, errlen, "Schema migration %d did not set its version.",
				    m->version);
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
				return VIGIL_ERR_DB;
			}
		}
		if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		continue;
fail:
		err_set(err, errlen, "Schema migration to version %d failed: %s.", m->version,
		    sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return VIGIL_ERR_DB;
	}
	st->version = version;
	return 0;
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store *st;

	if (path == NULL || *path == '\0') {
		err_set(err, errlen, "No database path was given.");
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		err_set(err, errlen, "Out of memory opening the database.");
		return NULL;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err_set(err, errlen, "Cannot open the database %s: %s.", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	if (set_wal(st->db, err, errlen) != 0)
		goto fail;
	if (sqlite3_exec(st->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		err_set(err, errlen, "Cannot set the database options of %s: %s.", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (migrate(st, err, errlen) != 0)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->st[i], NULL) != SQLITE_OK) {
			err_set(err, errlen, "Cannot prepare statement %d: %s.", i,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	return st;
fail:
	store_free(st);
	return NULL;
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->st[i]);
	sqlite3_close(st->db);
	free(st->json);
	free(st);
}

int
store_schema_version(struct store *st)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->version;
}

int
store_agent_hello(struct store *st, const char *agent, const Vigil__V1__Hello *hello,
    const char *address, int64_t now_us)
{
	sqlite3_stmt *s;

	if (st == NULL || agent == NULL || *agent == '\0' || hello == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_AGENT_HELLO];
	bind_text(s, 1, agent);
	bind_text(s, 2, hello->hostname);
	bind_text(s, 3, hello->unit);
	bind_text(s, 4, hello->agent_version);
	bind_text(s, 5, hello->os);
	bind_text(s, 6, address);
	sqlite3_bind_int64(s, 7, now_us);
	return stmt_run(s);
}

int
store_agent_seen(struct store *st, const char *agent, int64_t now_us)
{
	sqlite3_stmt *s;

	if (st == NULL || agent == NULL || *agent == '\0')
		return VIGIL_ERR_INVAL;
	s = st->st[ST_AGENT_SEEN];
	bind_text(s, 1, agent);
	sqlite3_bind_int64(s, 2, now_us);
	return stmt_run(s);
}

int
store_agent_last_seq(struct store *st, const char *agent, uint64_t *seq)
{
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || agent == NULL || seq == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_AGENT_LAST_SEQ];
	bind_text(s, 1, agent);
	*seq = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(s, 0);
	stmt_done(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

/* ---- group commit ---------------------------------------------------------- */

/* Room for `more` bytes past pos in st->json, within STORE_MAX_FIELDS_JSON. */
static int
json_room(struct store *st, size_t pos, size_t more)
{
	size_t need = pos + more, sz;
	char *p;

	if (need <= st->jsonsz)
		return 0;
	if (need > STORE_MAX_FIELDS_JSON)
		return VIGIL_ERR_TOOBIG;
	for (sz = st->jsonsz ? st->jsonsz : 1024; sz < need; sz *= 2)
		;
	if (sz > STORE_MAX_FIELDS_JSON)
		sz = STORE_MAX_FIELDS_JSON;
	if ((p = realloc(st->json, sz)) == NULL)
		return VIGIL_ERR_NOMEM;
	st->json = p;
	st->jsonsz = sz;
	return 0;
}

/*
 * Append v as a JSON string body. Most field values are printable ASCII,
 * which text_json_escape() would copy unchanged byte by byte: copy those in
 * one go and leave everything else to it. Room for 6 bytes per input byte
 * must have been made.
 */
static size_t
json_str(char *dst, size_t dstlen, const char *v, size_t len)
{
	const unsigned char *p = (const unsigned char *)v;

	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '"' || p[i] == '\\')
			return text_json_escape(dst, dstlen, v, len);
	memcpy(dst, v, len);
	return len;
}

/*
 * The event's fields as one JSON object in st->json, {"key":"value",...},
 * built in one pass into the buffer every event reuses.
 */
static int
fields_json(struct store *st, const Vigil__V1__Event *ev, const char **out, size_t *outlen)
{
	size_t pos = 0;
	int rc;

	if (ev->n_fields == 0) {
		*out = "{}";
		*outlen = 2;
		return 0;
	}
	if ((rc = json_room(st, 0, 2)) != 0)
		return rc;
	st->json[pos++] = '{';
	for (size_t i = 0; i < ev->n_fields; i++) {
		const Vigil__V1__Field *f = ev->fields[i];
		const char *k, *v;
		size_t klen, vlen;

		if (f == NULL)
			continue;
		k = f->key ? f->key : "";
		v = f->value ? f->value : "";
		klen = strlen(k);
		vlen = strlen(v);
		/* 6 bytes per input byte (\u00XX), 6 of punctuation, the closing brace and NUL. */
		if ((rc = json_room(st, pos, 6 * (klen + vlen) + 8)) != 0)
			return rc;
		if (pos > 1)
			st->json[pos++] = ',';
		st->json[pos++] = '"';
		pos += json_str(st->json + pos, st->jsonsz - pos, k, klen);
		st->json[pos++] = '"';
		st->json[pos++] = ':';
		st->json[pos++] = '"';
		pos += json_str(st->json + pos, st->jsonsz - pos, v, vlen);
		st->json[pos++] = '"';
	}
	st->json[pos++] = '}';
	st->json[pos] = '\0';
	*out = st->json;
	*outlen = pos;
	return 0;
}

/* A new event at severity >= medium joins the open incident of (agent, rule) or opens one. */
static int
incident_add(struct store *st, const char *agent, const Vigil__V1__Event *ev, int64_t event_id)
{
	sqlite3_stmt *s = st->st[ST_INCIDENT_FIND];
	int64_t incident_id;
	int rc;

	bind_text(s, 1, agent);
	bind_text(s, 2, ev->rule);
	rc = sqlite3_step(s);
	incident_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		note_error(st);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return VIGIL_ERR_DB;
	if (rc == SQLITE_ROW) {
		s = st->st[ST_INCIDENT_UPDATE];
		sqlite3_bind_int64(s, 1, incident_id);
		sqlite3_bind_int64(s, 2, ev->time_us);
		sqlite3_bind_int(s, 3, (int)ev->severity);
		if (hot_run(st, s) != 0)
			return VIGIL_ERR_DB;
	} else {
		s = st->st[ST_INCIDENT_INSERT];
		bind_text(s, 1, agent);
		bind_text(s, 2, ev->rule);
		sqlite3_bind_int(s, 3, (int)ev->category);
		sqlite3_bind_int(s, 4, (int)ev->severity);
		bind_text(s, 5, ev->summary);
		sqlite3_bind_int64(s, 6, ev->time_us);
		if (hot_run(st, s) != 0)
			return VIGIL_ERR_DB;
		incident_id = sqlite3_last_insert_rowid(st->db);
	}
	s = st->st[ST_LINK_INSERT];
	sqlite3_bind_int64(s, 1, incident_id);
	sqlite3_bind_int64(s, 2, event_id);
	return hot_run(st, s);
}

static int
commit_hello(struct store *st, const struct store_batch *b)
{
	sqlite3_stmt *s = st->st[ST_AGENT_HELLO];
	const Vigil__V1__Hello *hello = b->hello;

	if (hello == NULL)
		return VIGIL_ERR_INVAL;
	bind_text(s, 1, b->agent);
	bind_text(s, 2, hello->hostname);
	bind_text(s, 3, hello->unit);
	bind_text(s, 4, hello->agent_version);
	bind_text(s, 5, hello->os);
	bind_text(s, 6, b->address);
	sqlite3_bind_int64(s, 7, b->recv_us);
	return hot_run(st, s);
}

static int
commit_seen(struct store *st, const struct store_batch *b)
{
	sqlite3_stmt *s = st->st[ST_AGENT_SEEN];

	bind_text(s, 1, b->agent);
	sqlite3_bind_int64(s, 2, b->recv_us);
	return hot_run(st, s);
}

static int
commit_events(struct store *st, struct store_batch *b)
{
	const Vigil__V1__EventBatch *batch = b->batch;
	sqlite3_stmt *s;
	uint64_t up_to = 0;
	size_t agentlen = strlen(b->agent);
	int rc;

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
	if (hot_run(st, s) != 0)
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
		bind_text(s, 5, ev->source);
		sqlite3_bind_int(s, 6, (int)ev->category);
		sqlite3_bind_int(s, 7, (int)ev->severity);
		bind_text(s, 8, ev->rule);
		bind_text(s, 9, ev->summary);
		bind_text(s, 10, ev->raw);
		sqlite3_bind_text(s, 11, json, (int)jsonlen, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			note_error(st);
			sqlite3_reset(s);
			return VIGIL_ERR_DB;
		}
		sqlite3_reset(s);
		if (sqlite3_changes(st->db) == 0)
			continue;          /* a resend: stored before, acknowledged again */
		b->inserted++;
		/* Only these need the incident statements; most events are below. */
		if ((int)ev->severity >= VIGIL__V1__SEVERITY__SEVERITY_MEDIUM) {
			int64_t id = sqlite3_last_insert_rowid(st->db);

			if ((rc = incident_add(st, b->agent, ev, id)) != 0)
				return rc;
			/* incident_add() used other statements; ours keeps its bindings. */
		}
	}
	b->up_to = up_to;
	return 0;
}

static int
commit_item(struct store *st, struct store_batch *b)
{
	if (b->agent == NULL || *b->agent == '\0')
		return VIGIL_ERR_INVAL;
	switch (b->kind) {
	case STORE_EVENTS:
		return commit_events(st, b);
	case STORE_HELLO:
		return commit_hello(st, b);
	case STORE_SEEN:
		return commit_seen(st, b);
	}
	return VIGIL_ERR_INVAL;
}

/* The bindings of the group commit point at the caller's batches: drop them. */
static void
commit_unbind(struct store *st)
{
	static const enum stmt_id hot[] = { ST_AGENT_HELLO, ST_AGENT_SEEN, ST_AGENT_UP_TO,
	    ST_EVENT_INSERT, ST_INCIDENT_FIND, ST_INCIDENT_UPDATE, ST_INCIDENT_INSERT,
	    ST_LINK_INSERT };

	for (size_t i = 0; i < NITEMS(hot); i++)
		sqlite3_clear_bindings(st->st[hot[i]]);
}

int
store_commit(struct store *st, struct store_batch *b, size_t n)
{
	int rc;

	if (st == NULL || (b == NULL && n > 0))
		return VIGIL_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		b[i].up_to = 0;
		b[i].inserted = 0;
	}
	st->errmsg[0] = '\0';
	if (hot_run(st, st->st[ST_BEGIN]) != 0)
		return VIGIL_ERR_DB;
	for (size_t i = 0; i < n; i++)
		if ((rc = commit_item(st, &b[i])) != 0)
			goto fail;
	if (hot_run(st, st->st[ST_COMMIT]) != 0) {
		rc = VIGIL_ERR_DB;
		goto fail;
	}
	commit_unbind(st);
	return 0;
fail:
	if (st->errmsg[0] == '\0')
		snprintf(st->errmsg, sizeof(st->errmsg), "%s", vigil_strerror(rc));
	commit_unbind(st);
	/* After a failed COMMIT SQLite may already have rolled back; that is fine. */
	stmt_run(st->st[ST_ROLLBACK]);
	for (size_t i = 0; i < n; i++) {
		b[i].up_to = 0;
		b[i].inserted = 0;
	}
	return rc;
}

const char *
store_errmsg(struct store *st)
{
	if (st == NULL)
		return "no store";
	return st->errmsg[0] != '\0' ? st->errmsg : "no error";
}

/* ---- queries ---------------------------------------------------------------- */

static void
event_row(sqlite3_stmt *s, struct store_event_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->agent = col_text(s, 1);
	r->seq = (uint64_t)sqlite3_column_int64(s, 2);
	r->time_us = sqlite3_column_int64(s, 3);
	r->recv_us = sqlite3_column_int64(s, 4);
	r->source = col_text(s, 5);
	r->category = sqlite3_column_int(s, 6);
	r->severity = sqlite3_column_int(s, 7);
	r->rule = col_text(s, 8);
	r->summary = col_text(s, 9);
	r->raw = col_text(s, 10);
	r->fields_json = col_text(s, 11);
}

static void
incident_row(sqlite3_stmt *s, struct store_incident_row *r)
{
	r->id = sqlite3_column_int64(s, 0);
	r->agent = col_text(s, 1);
	r->rule = col_text(s, 2);
	r->category = sqlite3_column_int(s, 3);
	r->severity = sqlite3_column_int(s, 4);
	r->status = col_text(s, 5);
	r->title = col_text(s, 6);
	r->first_us = sqlite3_column_int64(s, 7);
	r->last_us = sqlite3_column_int64(s, 8);
	r->events = sqlite3_column_int64(s, 9);
}

/*
 * Step a bound statement, handing each row to fn. Returns 0, VIGIL_ERR_DB, or
 * the callback's non-zero value that stopped the walk.
 */
static int
walk_events(sqlite3_stmt *s, store_event_fn fn, void *arg)
{
	struct store_event_row row;
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		event_row(s, &row);
		if (fn != NULL && (r = fn(arg, &row)) != 0)
			break;
	}
	stmt_done(s);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_query_events(struct store *st, const struct store_event_filter *f, store_event_fn fn,
    void *arg)
{
	static const struct store_event_filter all = { 0, 0, NULL, -1, -1, 0 };
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
		bind_text(s, 3, f->agent);
	if (f->category >= 0)
		sqlite3_bind_int(s, 4, f->category);
	if (f->min_severity >= 0)
		sqlite3_bind_int(s, 5, f->min_severity);
	sqlite3_bind_int64(s, 6, f->limit > 0 ? f->limit : -1);
	return walk_events(s, fn, arg);
}

int
store_query_agents(struct store *st, store_agent_fn fn, void *arg)
{
	struct store_agent_row row;
	sqlite3_stmt *s;
	int rc, r = 0;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_QUERY_AGENTS];
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row.agent = col_text(s, 0);
		row.hostname = col_text(s, 1);
		row.unit = col_text(s, 2);
		row.version = col_text(s, 3);
		row.os = col_text(s, 4);
		row.address = col_text(s, 5);
		row.first_us = sqlite3_column_int64(s, 6);
		row.last_us = sqlite3_column_int64(s, 7);
		row.last_seq = (uint64_t)sqlite3_column_int64(s, 8);
		if (fn != NULL && (r = fn(arg, &row)) != 0)
			break;
	}
	stmt_done(s);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_query_incidents(struct store *st, int open_only, store_incident_fn fn, void *arg)
{
	struct store_incident_row row;
	sqlite3_stmt *s;
	int rc, r = 0;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_QUERY_INCIDENTS];
	sqlite3_bind_int(s, 1, open_only != 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		incident_row(s, &row);
		if (fn != NULL && (r = fn(arg, &row)) != 0)
			break;
	}
	stmt_done(s);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_get_incident(struct store *st, int64_t id, store_incident_fn ifn, store_event_fn efn,
    void *arg)
{
	struct store_incident_row row;
	sqlite3_stmt *s;
	int rc, r = 0;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_GET_INCIDENT];
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		incident_row(s, &row);
		if (ifn != NULL)
			r = ifn(arg, &row);
	}
	stmt_done(s);
	if (rc == SQLITE_DONE)
		return VIGIL_ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return VIGIL_ERR_DB;
	if (r != 0)
		return r;
	s = st->st[ST_INCIDENT_EVENTS];
	sqlite3_bind_int64(s, 1, id);
	return walk_events(s, efn, arg);
}

int
store_counts(struct store *st, struct store_counts *c)
{
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
	stmt_done(s);
	return rc == SQLITE_ROW ? 0 : VIGIL_ERR_DB;
}
