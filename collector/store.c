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
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "audit.h"
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
	int rebuild;       /* rebuilds a table: foreign keys off, checked before COMMIT */
};

/* The posture facts: columns of both the latest snapshot and its history. */
#define POSTURE_COLUMNS \
	"  recv_us                   INTEGER NOT NULL," \
	"  av_product                TEXT NOT NULL DEFAULT ''," \
	"  av_running                INTEGER NOT NULL DEFAULT 0,"   /* Tristate */ \
	"  av_realtime               INTEGER NOT NULL DEFAULT 0," \
	"  av_version                TEXT NOT NULL DEFAULT ''," \
	"  av_signatures_us          INTEGER NOT NULL DEFAULT 0,"   /* 0: unknown */ \
	"  updates_pending           INTEGER NOT NULL DEFAULT -1,"  /* -1: unknown */ \
	"  security_updates_pending  INTEGER NOT NULL DEFAULT -1," \
	"  security_pending_since_us INTEGER NOT NULL DEFAULT 0," \
	"  last_update_us            INTEGER NOT NULL DEFAULT 0," \
	"  last_upgrade_us           INTEGER NOT NULL DEFAULT 0," \
	"  reboot_required           INTEGER NOT NULL DEFAULT 0," \
	"  os                        TEXT NOT NULL DEFAULT ''," \
	"  usb_policy_blocked        INTEGER NOT NULL DEFAULT 0"

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
	"PRAGMA user_version = 1;", 0 },
	/*
	 * 2: posture. The latest snapshot per agent with the agent's health
	 * counters, and a history row whenever a posture fact changed.
	 */
	{ 2,
	"CREATE TABLE posture ("
	"  agent                     TEXT PRIMARY KEY NOT NULL REFERENCES agents(agent),"
	POSTURE_COLUMNS ","
	"  spool_depth               INTEGER NOT NULL DEFAULT 0,"
	"  dropped                   INTEGER NOT NULL DEFAULT 0,"
	"  lines_truncated           INTEGER NOT NULL DEFAULT 0,"
	"  events_rejected           INTEGER NOT NULL DEFAULT 0,"
	"  rule_evictions            INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE posture_history ("
	"  id                        INTEGER PRIMARY KEY,"
	"  agent                     TEXT NOT NULL REFERENCES agents(agent),"
	POSTURE_COLUMNS
	");"
	"CREATE INDEX posture_history_agent ON posture_history(agent, recv_us);"
	"PRAGMA user_version = 2;", 0 },
	/*
	 * 3: incidents, audit, escalation. Incidents gain the operator's facts,
	 * a kind and a dedup key (re-open finds the last incident of a key);
	 * correlated machines, notes, the audit hash chain (ids assigned by the
	 * store: 1, 2, 3...), the escalation state per incident as text
	 * (escalate_state_format), the notification outbox and each attempt.
	 */
	{ 3,
	"ALTER TABLE incidents ADD COLUMN assignee TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE incidents ADD COLUMN resolution TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE incidents ADD COLUMN unit TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE incidents ADD COLUMN kind TEXT NOT NULL DEFAULT 'rule'"
	"  CHECK (kind IN ('rule', 'correlation', 'agent_silent'));"
	"ALTER TABLE incidents ADD COLUMN dedup_key TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE incidents ADD COLUMN opened_us INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE incidents ADD COLUMN acked_us INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE incidents ADD COLUMN resolved_us INTEGER NOT NULL DEFAULT 0;"
	"UPDATE incidents SET dedup_key = 'rule:' || agent || ':' || rule, opened_us = first_seen,"
	"  unit = coalesce((SELECT a.unit FROM agents a WHERE a.agent = incidents.agent), '');"
	"CREATE INDEX incidents_dedup ON incidents(dedup_key, id);"
	"CREATE TABLE incident_agents ("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
	"  agent       TEXT NOT NULL,"
	"  first_us    INTEGER NOT NULL,"
	"  PRIMARY KEY (incident_id, agent)"
	") WITHOUT ROWID;"
	"CREATE TABLE incident_notes ("
	"  id          INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,"
	"  time_us     INTEGER NOT NULL,"
	"  actor       TEXT NOT NULL,"
	"  text        TEXT NOT NULL"
	");"
	"CREATE INDEX incident_notes_incident ON incident_notes(incident_id);"
	"CREATE TABLE audit ("
	"  id        INTEGER PRIMARY KEY,"
	"  time_us   INTEGER NOT NULL,"
	"  actor     TEXT NOT NULL,"
	"  incident  INTEGER NOT NULL DEFAULT 0,"
	"  action    TEXT NOT NULL,"
	"  detail    TEXT NOT NULL DEFAULT '',"
	"  prev_hash TEXT NOT NULL,"
	"  hash      TEXT NOT NULL"
	");"
	"CREATE INDEX audit_incident ON audit(incident, id);"
	"CREATE TABLE escalation_state ("
	"  incident_id INTEGER PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,"
	"  state       TEXT NOT NULL"
	");"
	"CREATE TABLE outbox ("
	"  id          INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL,"         /* the first incident the message is about */
	"  created_us  INTEGER NOT NULL,"
	"  due_us      INTEGER NOT NULL,"
	"  route       TEXT NOT NULL,"
	"  contact     TEXT NOT NULL,"            /* label */
	"  contact_name TEXT NOT NULL DEFAULT '',"
	"  language    TEXT NOT NULL DEFAULT 'vi',"
	"  channel     TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'exec')),"
	"  target      TEXT NOT NULL,"
	"  level       INTEGER NOT NULL,"
	"  repeat      INTEGER NOT NULL DEFAULT 0,"
	"  manual      INTEGER NOT NULL DEFAULT 0,"
	"  group_key   TEXT NOT NULL DEFAULT '',"
	"  more        INTEGER NOT NULL DEFAULT 0,"
	"  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
	"              ('pending', 'sent', 'failed')),"
	"  attempts    INTEGER NOT NULL DEFAULT 0,"
	"  next_us     INTEGER NOT NULL DEFAULT 0,"
	"  done_us     INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX outbox_pending ON outbox(id) WHERE status = 'pending';"
	"CREATE TABLE outbox_incidents ("
	"  outbox_id   INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
	"  incident_id INTEGER NOT NULL,"
	"  PRIMARY KEY (outbox_id, incident_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX outbox_incidents_incident ON outbox_incidents(incident_id);"
	"CREATE TABLE notify_attempts ("
	"  id          INTEGER PRIMARY KEY,"
	"  outbox_id   INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
	"  attempt     INTEGER NOT NULL,"
	"  started_us  INTEGER NOT NULL,"
	"  finished_us INTEGER NOT NULL,"
	"  ok          INTEGER NOT NULL,"
	"  failure     TEXT NOT NULL DEFAULT '',"
	"  code        INTEGER NOT NULL DEFAULT 0,"
	"  error       TEXT NOT NULL DEFAULT '',"
	"  next_us     INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX notify_attempts_outbox ON notify_attempts(outbox_id, attempt);"
	"PRAGMA user_version = 3;", 0 },
	/* 4: the USB sensor's drop counters, as the heartbeat now carries them. */
	{ 4,
	"ALTER TABLE posture ADD COLUMN uevents_spoofed INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE posture ADD COLUMN uevents_lost INTEGER NOT NULL DEFAULT 0;"
	"PRAGMA user_version = 4;", 0 },
	/*
	 * 5: hostile peers. Incidents of the collector itself (the store cannot
	 * write) belong to no agent, so incidents.agent loses its foreign key and
	 * kind gains 'collector': SQLite changes neither in place, hence the
	 * rebuild (https://sqlite.org/lang_altertable.html, "other kinds of table
	 * schema changes"). Events keep their time as sent and flag an
	 * implausible one; agents keep how far their clock is from ours.
	 */
	{ 5,
	"CREATE TABLE incidents_v5 ("
	"  id          INTEGER PRIMARY KEY,"
	"  agent       TEXT NOT NULL DEFAULT '',"      /* '': the collector's own */
	"  rule        TEXT NOT NULL,"
	"  category    INTEGER NOT NULL CHECK (category BETWEEN 0 AND 13),"
	"  severity    INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 5),"
	"  status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN"
	"              ('new', 'acknowledged', 'in_progress', 'resolved', 'false_positive')),"
	"  title       TEXT NOT NULL,"
	"  first_seen  INTEGER NOT NULL,"
	"  last_seen   INTEGER NOT NULL,"
	"  event_count INTEGER NOT NULL DEFAULT 0,"
	"  assignee    TEXT NOT NULL DEFAULT '',"
	"  resolution  TEXT NOT NULL DEFAULT '',"
	"  unit        TEXT NOT NULL DEFAULT '',"
	"  kind        TEXT NOT NULL DEFAULT 'rule'"
	"              CHECK (kind IN ('rule', 'correlation', 'agent_silent', 'collector')),"
	"  dedup_key   TEXT NOT NULL DEFAULT '',"
	"  opened_us   INTEGER NOT NULL DEFAULT 0,"
	"  acked_us    INTEGER NOT NULL DEFAULT 0,"
	"  resolved_us INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO incidents_v5 SELECT id, agent, rule, category, severity, status, title,"
	"  first_seen, last_seen, event_count, assignee, resolution, unit, kind, dedup_key,"
	"  opened_us, acked_us, resolved_us FROM incidents;"
	"DROP TABLE incidents;"
	"ALTER TABLE incidents_v5 RENAME TO incidents;"
	"CREATE INDEX incidents_open ON incidents(agent, rule)"
	"  WHERE status NOT IN ('resolved', 'false_positive');"
	"CREATE INDEX incidents_dedup ON incidents(dedup_key, id);"
	"ALTER TABLE events ADD COLUMN clock INTEGER NOT NULL DEFAULT 0;"   /* enum store_clock */
	"ALTER TABLE agents ADD COLUMN clock_offset_us INTEGER NOT NULL DEFAULT 0;"
	"PRAGMA user_version = 5;", 1 },
	/*
	 * 6: off, not silent. An agent that says goodbye is off since off_us, for
	 * off_reason; its next Hello sets off_us back to 0.
	 */
	{ 6,
	"ALTER TABLE agents ADD COLUMN off_us INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE agents ADD COLUMN off_reason TEXT NOT NULL DEFAULT '' CHECK (off_reason IN"
	"  ('', 'stopped', 'shutdown', 'suspend', 'restart'));"
	"ALTER TABLE agents ADD COLUMN off_detail TEXT NOT NULL DEFAULT '';"
	"PRAGMA user_version = 6;", 0 },
	/* 7: issue 11, the SMS channel (notify_sms.c): "sms" joins the outbox's channels. */
	{ 7,
	"CREATE TABLE outbox_v7 ("
	"  id          INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL,"
	"  created_us  INTEGER NOT NULL,"
	"  due_us      INTEGER NOT NULL,"
	"  route       TEXT NOT NULL,"
	"  contact     TEXT NOT NULL,"
	"  contact_name TEXT NOT NULL DEFAULT '',"
	"  language    TEXT NOT NULL DEFAULT 'vi',"
	"  channel     TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'exec', 'sms')),"
	"  target      TEXT NOT NULL,"
	"  level       INTEGER NOT NULL,"
	"  repeat      INTEGER NOT NULL DEFAULT 0,"
	"  manual      INTEGER NOT NULL DEFAULT 0,"
	"  group_key   TEXT NOT NULL DEFAULT '',"
	"  more        INTEGER NOT NULL DEFAULT 0,"
	"  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
	"              ('pending', 'sent', 'failed')),"
	"  attempts    INTEGER NOT NULL DEFAULT 0,"
	"  next_us     INTEGER NOT NULL DEFAULT 0,"
	"  done_us     INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO outbox_v7 (id, incident_id, created_us, due_us, route, contact, contact_name,"
	"  language, channel, target, level, repeat, manual, group_key, more, status, attempts,"
	"  next_us, done_us) SELECT id, incident_id, created_us, due_us, route, contact,"
	"  contact_name, language, channel, target, level, repeat, manual, group_key, more,"
	"  status, attempts, next_us, done_us FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v7 RENAME TO outbox;"
	"CREATE INDEX outbox_pending ON outbox(id) WHERE status = 'pending';"
	"PRAGMA user_version = 7;", 1 },
	/*
	 * 8: issue 11, the noise budget (budget.h): a message past its contact's
	 * budget is "held" until its digest goes, then "digested".
	 */
	{ 8,
	"CREATE TABLE outbox_v8 ("
	"  id          INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL,"
	"  created_us  INTEGER NOT NULL,"
	"  due_us      INTEGER NOT NULL,"
	"  route       TEXT NOT NULL,"
	"  contact     TEXT NOT NULL,"
	"  contact_name TEXT NOT NULL DEFAULT '',"
	"  language    TEXT NOT NULL DEFAULT 'vi',"
	"  channel     TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'exec', 'sms')),"
	"  target      TEXT NOT NULL,"
	"  level       INTEGER NOT NULL,"
	"  repeat      INTEGER NOT NULL DEFAULT 0,"
	"  manual      INTEGER NOT NULL DEFAULT 0,"
	"  group_key   TEXT NOT NULL DEFAULT '',"
	"  more        INTEGER NOT NULL DEFAULT 0,"
	"  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
	"              ('pending', 'sent', 'failed', 'held', 'digested')),"
	"  attempts    INTEGER NOT NULL DEFAULT 0,"
	"  next_us     INTEGER NOT NULL DEFAULT 0,"
	"  done_us     INTEGER NOT NULL DEFAULT 0"
	");"
	"INSERT INTO outbox_v8 (id, incident_id, created_us, due_us, route, contact, contact_name,"
	"  language, channel, target, level, repeat, manual, group_key, more, status, attempts,"
	"  next_us, done_us) SELECT id, incident_id, created_us, due_us, route, contact,"
	"  contact_name, language, channel, target, level, repeat, manual, group_key, more,"
	"  status, attempts, next_us, done_us FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v8 RENAME TO outbox;"
	"CREATE INDEX outbox_pending ON outbox(id) WHERE status = 'pending';"
	"PRAGMA user_version = 8;", 1 },
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
/* The last step's number: steps grow but may leave a number out (see 6). */
#define STORE_SCHEMA_VERSION (migrations[NITEMS(migrations) - 1].version)

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_AGENT_HELLO,
	ST_AGENT_SEEN,
	ST_AGENT_GOODBYE,
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
	/* posture and compliance */
	ST_POSTURE_HISTORY,
	ST_POSTURE_UPSERT,
	ST_QUERY_POSTURES,
	ST_GET_POSTURE,
	ST_COUNT
};

#define OPEN_STATUS "status NOT IN ('resolved', 'false_positive')"
#define EVENT_COLUMNS "id, agent, seq, time_us, recv_us, source, category, severity, " \
	"rule, summary, raw, fields, clock"
#define INCIDENT_COLUMNS "id, agent, rule, category, severity, status, title, " \
	"first_seen, last_seen, event_count, assignee, resolution, unit, kind, dedup_key, " \
	"opened_us, acked_us, resolved_us"
/* posture and compliance */
#define POSTURE_FACTS "av_product, av_running, av_realtime, av_version, av_signatures_us, " \
	"updates_pending, security_updates_pending, security_pending_since_us, " \
	"last_update_us, last_upgrade_us, reboot_required, os, usb_policy_blocked"
#define POSTURE_SELECT "SELECT a.agent, a.hostname, a.unit, a.last_seen, p.agent IS NOT NULL," \
	" p.recv_us, p.av_product, p.av_version, p.os, p.av_running, p.av_realtime," \
	" p.reboot_required, p.av_signatures_us, p.updates_pending, p.security_updates_pending," \
	" p.security_pending_since_us, p.last_update_us, p.last_upgrade_us, p.usb_policy_blocked," \
	" p.spool_depth, p.dropped, p.lines_truncated, p.events_rejected, p.rule_evictions," \
	" p.uevents_spoofed, p.uevents_lost" \
	" FROM agents a LEFT JOIN posture p ON p.agent = a.agent"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* Each item of a group commit is a savepoint: one bad item is undone alone. */
	[ST_SAVEPOINT] = "SAVEPOINT item",
	[ST_RELEASE] = "RELEASE item",
	[ST_ROLLBACK_TO] = "ROLLBACK TO item",
	[ST_AGENT_HELLO] =
	    "INSERT INTO agents (agent, hostname, unit, version, os, address,"
	    " first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
	    " ON CONFLICT (agent) DO UPDATE SET hostname = excluded.hostname,"
	    " unit = excluded.unit, version = excluded.version, os = excluded.os,"
	    " address = excluded.address, last_seen = excluded.last_seen,"
	    " off_us = 0, off_reason = '', off_detail = ''",
	/* ?3: the agent's clock minus ours, from its heartbeat; NULL: not measured. */
	[ST_AGENT_SEEN] =
	    "INSERT INTO agents (agent, first_seen, last_seen, clock_offset_us)"
	    " VALUES (?1, ?2, ?2, coalesce(?3, 0))"
	    " ON CONFLICT (agent) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),"
	    " clock_offset_us = coalesce(?3, clock_offset_us)",
	/* The row exists: the agent's Hello is stored before anything it says after. */
	[ST_AGENT_GOODBYE] =
	    "UPDATE agents SET off_us = ?2, off_reason = ?3, off_detail = ?4,"
	    " last_seen = max(last_seen, ?2) WHERE agent = ?1",
	[ST_AGENT_LAST_SEQ] = "SELECT last_seq FROM agents WHERE agent = ?1",
	[ST_AGENT_UP_TO] =
	    "INSERT INTO agents (agent, first_seen, last_seen, last_seq) VALUES (?1, ?2, ?2, ?3)"
	    " ON CONFLICT (agent) DO UPDATE SET"
	    " last_seq = max(last_seq, excluded.last_seq),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	/* Only the (agent, seq) conflict is ignored: a CHECK failure still fails. */
	[ST_EVENT_INSERT] =
	    "INSERT INTO events (agent, seq, time_us, recv_us, source, category, severity,"
	    " rule, summary, raw, fields, clock)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
	    " ON CONFLICT (agent, seq) DO NOTHING",
	/* The last incident of the dedup key (index incidents_dedup), open or not. */
	[ST_INCIDENT_FIND] =
	    "SELECT id, NOT " OPEN_STATUS ", resolved_us FROM incidents"
	    " WHERE dedup_key = 'rule:' || ?1 || ':' || ?2 ORDER BY id DESC LIMIT 1",
	[ST_INCIDENT_UPDATE] =
	    "UPDATE incidents SET first_seen = min(first_seen, ?2), last_seen = max(last_seen, ?2),"
	    " severity = max(severity, ?3), event_count = event_count + 1 WHERE id = ?1",
	[ST_INCIDENT_INSERT] =
	    "INSERT INTO incidents (agent, rule, category, severity, status, title,"
	    " first_seen, last_seen, event_count, unit, kind, dedup_key, opened_us)"
	    " VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?6, ?6, 1,"
	    " coalesce((SELECT unit FROM agents WHERE agent = ?1), ''), 'rule',"
	    " 'rule:' || ?1 || ':' || ?2, ?7)",
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
	    "SELECT agent, hostname, unit, version, os, address, first_seen, last_seen, last_seq,"
	    " clock_offset_us, off_us, off_reason, off_detail FROM agents ORDER BY agent",
	[ST_QUERY_INCIDENTS] =
	    "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE (?1 = 0 OR " OPEN_STATUS ")"
	    " ORDER BY severity DESC, first_seen, id",
	[ST_GET_INCIDENT] = "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = ?1",
	[ST_INCIDENT_EVENTS] =
	    "SELECT e.id, e.agent, e.seq, e.time_us, e.recv_us, e.source, e.category,"
	    " e.severity, e.rule, e.summary, e.raw, e.fields, e.clock"
	    " FROM incident_events ie JOIN events e ON e.id = ie.event_id"
	    " WHERE ie.incident_id = ?1 ORDER BY e.time_us, e.id",
	[ST_COUNTS] =
	    "SELECT (SELECT count(*) FROM agents), (SELECT count(*) FROM events),"
	    " (SELECT count(*) FROM incidents WHERE " OPEN_STATUS ")",
	/* posture and compliance: ?1 agent, ?2 recv_us, ?3-?15 the facts, ?16-?20 counters */
	/* A history row only when a fact differs from the latest stored (or there is none). */
	[ST_POSTURE_HISTORY] =
	    "INSERT INTO posture_history (agent, recv_us, " POSTURE_FACTS ")"
	    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15"
	    " WHERE NOT EXISTS (SELECT 1 FROM posture WHERE agent = ?1"
	    " AND av_product = ?3 AND av_running = ?4 AND av_realtime = ?5 AND av_version = ?6"
	    " AND av_signatures_us = ?7 AND updates_pending = ?8"
	    " AND security_updates_pending = ?9 AND security_pending_since_us = ?10"
	    " AND last_update_us = ?11 AND last_upgrade_us = ?12 AND reboot_required = ?13"
	    " AND os = ?14 AND usb_policy_blocked = ?15)",
	[ST_POSTURE_UPSERT] =
	    "INSERT INTO posture (agent, recv_us, " POSTURE_FACTS ", spool_depth, dropped,"
	    " lines_truncated, events_rejected, rule_evictions, uevents_spoofed, uevents_lost)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18, ?19, ?20, ?21, ?22)"
	    " ON CONFLICT (agent) DO UPDATE SET recv_us = excluded.recv_us,"
	    " av_product = excluded.av_product, av_running = excluded.av_running,"
	    " av_realtime = excluded.av_realtime, av_version = excluded.av_version,"
	    " av_signatures_us = excluded.av_signatures_us,"
	    " updates_pending = excluded.updates_pending,"
	    " security_updates_pending = excluded.security_updates_pending,"
	    " security_pending_since_us = excluded.security_pending_since_us,"
	    " last_update_us = excluded.last_update_us, last_upgrade_us = excluded.last_upgrade_us,"
	    " reboot_required = excluded.reboot_required, os = excluded.os,"
	    " usb_policy_blocked = excluded.usb_policy_blocked, spool_depth = excluded.spool_depth,"
	    " dropped = excluded.dropped, lines_truncated = excluded.lines_truncated,"
	    " events_rejected = excluded.events_rejected, rule_evictions = excluded.rule_evictions,"
	    " uevents_spoofed = excluded.uevents_spoofed, uevents_lost = excluded.uevents_lost",
	[ST_QUERY_POSTURES] =
	    POSTURE_SELECT " WHERE (?1 IS NULL OR a.unit = ?1) ORDER BY a.unit, a.agent",
	[ST_GET_POSTURE] = POSTURE_SELECT " WHERE a.agent = ?1",
};

/* ---- incidents, audit, escalation: statements ---- */

enum inc_stmt_id {
	IST_REOPEN,
	IST_ESC_DELETE,
	IST_AUDIT_LAST,
	IST_AUDIT_INSERT,
	IST_QUEUE,
	IST_BY_ID,
	IST_CHANGE,
	IST_NOTE_INSERT,
	IST_ESC_INSERT,
	IST_ESC_UPDATE,
	IST_ESC_UPSERT,
	IST_MADE_FIND,
	IST_MADE_INSERT,
	IST_MADE_UPDATE,
	IST_AGENT_LINK,
	IST_EVENT_LINK,
	IST_AGENTS_OF,
	IST_OUTBOX_INSERT,
	IST_OUTBOX_LINK,
	IST_ESC_STATES,
	IST_ESC_MISSING,
	IST_OUTBOX_PENDING,
	IST_ATTEMPT_INSERT,
	IST_OUTBOX_UPDATE,
	IST_INC_OUTBOX,
	IST_ATTEMPTS_OF,
	IST_AUDIT_ALL,
	IST_AUDIT_OF,
	IST_COUNT
};

#define INC_OPEN "status NOT IN ('resolved', 'false_positive')"
#define OUTBOX_COLUMNS "id, incident_id, created_us, due_us, route, contact, contact_name," \
	" language, channel, target, group_key, level, repeat, manual, more, status, attempts," \
	" next_us, done_us"

static const char *const inc_sql[IST_COUNT] = {
	[IST_REOPEN] =
	    "UPDATE incidents SET status = 'new', resolution = '', acked_us = 0, resolved_us = 0,"
	    " opened_us = ?2 WHERE id = ?1",
	[IST_ESC_DELETE] = "DELETE FROM escalation_state WHERE incident_id = ?1",
	[IST_AUDIT_LAST] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
	[IST_AUDIT_INSERT] =
	    "INSERT INTO audit (id, time_us, actor, incident, action, detail, prev_hash, hash)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* One statement for every filter: a NULL parameter switches its filter off. */
	[IST_QUEUE] =
	    "SELECT " INCIDENT_COLUMNS " FROM incidents i WHERE"
	    " (CASE WHEN ?1 IS NULL OR ?1 = 'open' THEN " INC_OPEN
	    "  WHEN ?1 = 'all' THEN 1 ELSE status = ?1 END)"
	    " AND (?2 IS NULL OR category = ?2) AND (?3 IS NULL OR severity >= ?3)"
	    " AND (?4 IS NULL OR unit = ?4)"
	    /* The certificate's identity, never the host name an agent claims. */
	    " AND (?5 IS NULL OR agent = ?5"
	    "  OR EXISTS (SELECT 1 FROM incident_agents ia WHERE ia.incident_id = i.id"
	    "   AND ia.agent = ?5))"
	    " AND (?6 IS NULL OR assignee = ?6) AND (?7 IS NULL OR kind = ?7)"
	    " ORDER BY NOT " INC_OPEN ", severity DESC, first_seen, id LIMIT ?8",
	[IST_BY_ID] = "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = ?1",
	[IST_CHANGE] =
	    "UPDATE incidents SET status = ?3, resolution = ?4, assignee = ?5, opened_us = ?6,"
	    " acked_us = ?7, resolved_us = ?8 WHERE id = ?1 AND status = ?2",
	[IST_NOTE_INSERT] =
	    "INSERT INTO incident_notes (incident_id, time_us, actor, text) VALUES (?1, ?2, ?3, ?4)",
	[IST_ESC_INSERT] =
	    "INSERT INTO escalation_state (incident_id, state) VALUES (?1, ?2)"
	    " ON CONFLICT (incident_id) DO NOTHING",
	/* Never re-creates a row the writer deleted when it re-opened the incident. */
	[IST_ESC_UPDATE] = "UPDATE escalation_state SET state = ?2 WHERE incident_id = ?1",
	[IST_ESC_UPSERT] =
	    "INSERT INTO escalation_state (incident_id, state) VALUES (?1, ?2)"
	    " ON CONFLICT (incident_id) DO UPDATE SET state = excluded.state",
	[IST_MADE_FIND] =
	    "SELECT id, NOT " INC_OPEN ", resolved_us FROM incidents WHERE dedup_key = ?1"
	    " ORDER BY id DESC LIMIT 1",
	[IST_MADE_INSERT] =
	    "INSERT INTO incidents (agent, rule, category, severity, status, title, first_seen,"
	    " last_seen, event_count, unit, kind, dedup_key, opened_us)"
	    " VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?6, ?6, 0,"
	    " coalesce((SELECT unit FROM agents WHERE agent = ?1), ''), ?7, ?8, ?9)",
	[IST_MADE_UPDATE] =
	    "UPDATE incidents SET first_seen = min(first_seen, ?2), last_seen = max(last_seen, ?2),"
	    " severity = max(severity, ?3), title = ?4,"
	    " event_count = (SELECT count(*) FROM incident_events WHERE incident_id = ?1)"
	    " WHERE id = ?1",
	[IST_AGENT_LINK] =
	    "INSERT INTO incident_agents (incident_id, agent, first_us) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT DO NOTHING",
	/* A linked event counts once, however often it is offered. */
	[IST_EVENT_LINK] =
	    "INSERT INTO incident_events (incident_id, event_id)"
	    " SELECT ?1, id FROM events WHERE agent = ?2 AND seq = ?3 ON CONFLICT DO NOTHING",
	[IST_AGENTS_OF] =
	    "SELECT agent FROM incident_agents WHERE incident_id = ?1 ORDER BY first_us, agent",
	[IST_OUTBOX_INSERT] =
	    "INSERT INTO outbox (incident_id, created_us, due_us, route, contact, contact_name,"
	    " language, channel, target, group_key, level, repeat, manual, more)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[IST_OUTBOX_LINK] =
	    "INSERT INTO outbox_incidents (outbox_id, incident_id) VALUES (?1, ?2)"
	    " ON CONFLICT DO NOTHING",
	[IST_ESC_STATES] =
	    "SELECT " INCIDENT_COLUMNS ", s.state FROM escalation_state s"
	    " JOIN incidents i ON i.id = s.incident_id WHERE " INC_OPEN " ORDER BY i.id",
	[IST_ESC_MISSING] =
	    "SELECT " INCIDENT_COLUMNS " FROM incidents i WHERE " INC_OPEN
	    " AND NOT EXISTS (SELECT 1 FROM escalation_state s WHERE s.incident_id = i.id)"
	    " ORDER BY i.id",
	[IST_OUTBOX_PENDING] =
	    "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE status = 'pending' ORDER BY id",
	[IST_ATTEMPT_INSERT] =
	    "INSERT INTO notify_attempts (outbox_id, attempt, started_us, finished_us, ok,"
	    " failure, code, error, next_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[IST_OUTBOX_UPDATE] =
	    "UPDATE outbox SET attempts = max(attempts, ?2), status = ?3, next_us = ?4,"
	    " done_us = ?5 WHERE id = ?1",
	[IST_INC_OUTBOX] =
	    "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE id IN"
	    " (SELECT outbox_id FROM outbox_incidents WHERE incident_id = ?1) ORDER BY id",
	[IST_ATTEMPTS_OF] =
	    "SELECT outbox_id, attempt, started_us, finished_us, ok, failure, code, error, next_us"
	    " FROM notify_attempts WHERE outbox_id = ?1 ORDER BY attempt, id",
	[IST_AUDIT_ALL] =
	    "SELECT id, time_us, actor, incident, action, detail, prev_hash, hash FROM audit"
	    " ORDER BY id",
	[IST_AUDIT_OF] =
	    "SELECT id, time_us, actor, incident, action, detail, prev_hash, hash FROM audit"
	    " WHERE incident = ?1 ORDER BY id",
};

struct store;
static int inc_prepare(struct store *st, char *err, size_t errlen);
static int audit_append(struct store *st, const struct store_audit_entry *e);
static int reopen_in_txn(struct store *st, int64_t id, int64_t now_us);

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *ist[IST_COUNT];      /* incidents, audit, escalation */
	int64_t reopen_window_us;
	int64_t clock_ahead_us, clock_behind_us;   /* 0: no flag */
	int sqlite_rc;         /* SQLite's code for the last failure */
	int version;
	char *json;            /* scratch for one event's fields as JSON, reused */
	size_t jsonsz;
	char errmsg[256];      /* SQLite's sentence for the last failure */
	int outer;             /* store_outer_begin(): transactions nest as savepoints */
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
	st->sqlite_rc = sqlite3_errcode(st->db);
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

static int
fk_on(sqlite3 *db)
{
	return sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    VIGIL_ERR_DB;
}

/* 1 when no row references a missing one (PRAGMA foreign_key_check returns nothing). */
static int
fk_intact(sqlite3 *db)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK)
		return 0;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE;
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
		/* Outside a transaction, where the pragma takes effect. */
		if (m->rebuild && sqlite3_exec(st->db, "PRAGMA foreign_keys = OFF", NULL, NULL,
		    NULL) != SQLITE_OK)
			goto fail;
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
				fk_on(st->db);
				return VIGIL_ERR_DB;
			}
			if (m->rebuild && !fk_intact(st->db)) {
				err_set(err, errlen, "Schema migration %d would break a reference "
				    "between tables; nothing was changed.", m->version);
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
				fk_on(st->db);
				return VIGIL_ERR_DB;
			}
		}
		if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		if (fk_on(st->db) != 0)
			goto fail;
		continue;
fail:
		err_set(err, errlen, "Schema migration to version %d failed: %s.", m->version,
		    sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		fk_on(st->db);
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
	if (inc_prepare(st, err, errlen) != 0)
		goto fail;
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
	for (int i = 0; i < IST_COUNT; i++)
		sqlite3_finalize(st->ist[i]);
	sqlite3_close(st->db);
	free(st->json);
	free(st);
}

int
store_schema_version(struct store *st)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->version;
}

/* The parameters of ST_AGENT_HELLO, for store_agent_hello() and the group commit. */
static sqlite3_stmt *
bind_hello(struct store *st, const char *agent, const Vigil__V1__Hello *hello,
    const char *address, int64_t now_us)
{
	sqlite3_stmt *s = st->st[ST_AGENT_HELLO];

	bind_text(s, 1, agent);
	bind_text(s, 2, hello->hostname);
	bind_text(s, 3, hello->unit);
	bind_text(s, 4, hello->agent_version);
	bind_text(s, 5, hello->os);
	bind_text(s, 6, address);
	sqlite3_bind_int64(s, 7, now_us);
	return s;
}

int
store_agent_hello(struct store *st, const char *agent, const Vigil__V1__Hello *hello,
    const char *address, int64_t now_us)
{
	if (st == NULL || agent == NULL || *agent == '\0' || hello == NULL)
		return VIGIL_ERR_INVAL;
	return stmt_run(bind_hello(st, agent, hello, address, now_us));
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
fields_json(struct store *st, const Vigil__V1__Event *ev, const char **out, size_t *outlen)
{
	char renamed[WIRE_MAX_FIELDS][WIRE_MAX_FIELD_KEY + 16];
	struct json_key keys[WIRE_MAX_FIELDS];
	size_t pos = 0, nkeys = 0;
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

/*
 * A new event at severity >= medium joins the open incident of (agent, rule),
 * re-opens the last one if it was resolved within the re-open window, or
 * opens one.
 */
static int
incident_add(struct store *st, const char *agent, const Vigil__V1__Event *ev, int64_t event_id,
    int64_t recv_us)
{
	sqlite3_stmt *s = st->st[ST_INCIDENT_FIND];
	int64_t incident_id, resolved_us = 0;
	int rc, closed = 0;

	bind_text(s, 1, agent);
	bind_text(s, 2, ev->rule);
	rc = sqlite3_step(s);
	incident_id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	if (rc == SQLITE_ROW) {
		closed = sqlite3_column_int(s, 1);
		resolved_us = sqlite3_column_int64(s, 2);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		note_error(st);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return VIGIL_ERR_DB;
	if (rc == SQLITE_ROW && closed) {
		if (st->reopen_window_us > 0 && resolved_us > 0 &&
		    recv_us - resolved_us <= st->reopen_window_us) {
			if (reopen_in_txn(st, incident_id, recv_us) != 0)
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
		sqlite3_bind_int64(s, 7, recv_us);
		if (hot_run(st, s) != 0)
			return VIGIL_ERR_DB;
		incident_id = sqlite3_last_insert_rowid(st->db);
		if (audit_append(st, &(struct store_audit_entry){ recv_us, "system", incident_id,
		    "open", ev->summary }) != 0)
			return VIGIL_ERR_DB;
	}
	s = st->st[ST_LINK_INSERT];
	sqlite3_bind_int64(s, 1, incident_id);
	sqlite3_bind_int64(s, 2, event_id);
	return hot_run(st, s);
}

static int
commit_hello(struct store *st, const struct store_batch *b)
{
	if (b->hello == NULL)
		return VIGIL_ERR_INVAL;
	return hot_run(st, bind_hello(st, b->agent, b->hello, b->address, b->recv_us));
}

static int
commit_seen(struct store *st, const struct store_batch *b)
{
	sqlite3_stmt *s = st->st[ST_AGENT_SEEN];

	bind_text(s, 1, b->agent);
	sqlite3_bind_int64(s, 2, b->recv_us);
	if (b->agent_clock_us != 0)
		sqlite3_bind_int64(s, 3, b->agent_clock_us - b->recv_us);
	else
		sqlite3_bind_null(s, 3);
	return hot_run(st, s);
}

/* Where an event's time stands against its arrival (enum store_clock). */
static int
clock_of(const struct store *st, int64_t time_us, int64_t recv_us)
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
commit_goodbye(struct store *st, const struct store_batch *b)
{
	sqlite3_stmt *s = st->st[ST_AGENT_GOODBYE];
	int rc;

	if (b->goodbye == NULL)
		return VIGIL_ERR_INVAL;
	bind_text(s, 1, b->agent);
	sqlite3_bind_int64(s, 2, b->recv_us);
	/* wire.c let only known reasons through; the CHECK constraint holds the rest. */
	bind_text(s, 3, goodbye_reason_name((int)b->goodbye->reason));
	bind_text(s, 4, b->goodbye->detail);
	rc = hot_run(st, s);
	sqlite3_clear_bindings(s);
	return rc;
}

static int
commit_events(struct store *st, struct store_batch *b)
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
		clock = clock_of(st, ev->time_us, b->recv_us);
		sqlite3_bind_int(s, 12, clock);
		if (hot_run(st, s) != 0)
			return VIGIL_ERR_DB;
		if (sqlite3_changes(st->db) == 0)
			continue;          /* a resend: stored before, acknowledged again */
		b->inserted++;
		if (clock != STORE_CLOCK_OK)
			b->clock_flagged++;
		/* Only these need the incident statements; most events are below. */
		if ((int)ev->severity >= VIGIL__V1__SEVERITY__SEVERITY_MEDIUM) {
			int64_t id = sqlite3_last_insert_rowid(st->db);

			if ((rc = incident_add(st, b->agent, ev, id, b->recv_us)) != 0)
				return rc;
			/* incident_add() used other statements; ours keeps its bindings. */
		}
	}
	b->up_to = up_to;
	return 0;
}

/* ---- posture and compliance ---- */

/* A counter from the wire: SQLite integers are signed, so the largest values saturate. */
static sqlite3_int64
counter(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

/* ?1-?15 of both posture statements (store.c's numbering next to their SQL). */
static void
bind_posture(sqlite3_stmt *s, const struct store_batch *b, const Vigil__V1__Posture *p)
{
	bind_text(s, 1, b->agent);
	sqlite3_bind_int64(s, 2, b->recv_us);
	bind_text(s, 3, p->av_product);
	sqlite3_bind_int(s, 4, (int)p->av_running);
	sqlite3_bind_int(s, 5, (int)p->av_realtime);
	bind_text(s, 6, p->av_version);
	sqlite3_bind_int64(s, 7, p->av_signatures_us);
	sqlite3_bind_int(s, 8, p->updates_pending);
	sqlite3_bind_int(s, 9, p->security_updates_pending);
	sqlite3_bind_int64(s, 10, p->security_pending_since_us);
	sqlite3_bind_int64(s, 11, p->last_update_us);
	sqlite3_bind_int64(s, 12, p->last_upgrade_us);
	sqlite3_bind_int(s, 13, (int)p->reboot_required);
	bind_text(s, 14, p->os);
	sqlite3_bind_int64(s, 15, (sqlite3_int64)p->usb_policy_blocked);
}

/*
 * The agent row (last_seen, and the row the posture references), a history
 * row if a fact changed, then the latest posture with the health counters.
 * The posture statements bind the heartbeat's strings: their bindings are
 * dropped here rather than by commit_unbind().
 */
static int
commit_posture(struct store *st, const struct store_batch *b)
{
	const Vigil__V1__Heartbeat *hb = b->heartbeat;
	sqlite3_stmt *s;
	int rc;

	if (hb == NULL || hb->posture == NULL)
		return VIGIL_ERR_INVAL;
	if ((rc = commit_seen(st, &(struct store_batch){ .agent = b->agent,
	    .recv_us = b->recv_us, .agent_clock_us = hb->time_us })) != 0)
		return rc;
	s = st->st[ST_POSTURE_HISTORY];
	bind_posture(s, b, hb->posture);
	rc = hot_run(st, s);
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
	rc = hot_run(st, s);
	sqlite3_clear_bindings(s);
	return rc;
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
	case STORE_POSTURE:
		return commit_posture(st, b);
	case STORE_GOODBYE:
		return commit_goodbye(st, b);
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

/*
 * A failure of this item alone (its data), not of the database: the item is
 * undone and refused while the rest of the commit goes on. Anything else (a
 * full disk, an I/O error, a lock) fails the whole commit.
 */
static int
item_fault(const struct store *st, int rc)
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
		return b->heartbeat != NULL && b->heartbeat->posture != NULL;
	case STORE_GOODBYE:
		return b->goodbye != NULL;
	}
	return 0;
}

int
store_commit(struct store *st, struct store_batch *b, size_t n)
{
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
	if (hot_run(st, st->st[ST_BEGIN]) != 0)
		return VIGIL_ERR_DB;
	for (size_t i = 0; i < n; i++) {
		if (nrefused > 0 && after_refused(b, i)) {
			snprintf(b[i].why, sizeof(b[i].why), "an earlier batch of this agent was "
			    "refused");
			item_reset_keep_why(&b[i], VIGIL_ERR_ORDER);
			continue;
		}
		if ((rc = hot_run(st, st->st[ST_SAVEPOINT])) != 0)
			goto fail;
		st->errmsg[0] = '\0';
		st->sqlite_rc = SQLITE_OK;
		if ((rc = commit_item(st, &b[i])) == 0) {
			if ((rc = hot_run(st, st->st[ST_RELEASE])) != 0)
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
		if (hot_run(st, st->st[ST_ROLLBACK_TO]) != 0 ||
		    hot_run(st, st->st[ST_RELEASE]) != 0) {
			rc = VIGIL_ERR_DB;
			goto fail;
		}
	}
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
	for (size_t i = 0; i < n; i++)
		item_reset(&b[i]);
	return rc;
}

/* The connection itself, for a module's own statements (store_ack.c). */
sqlite3 *
store_sqlite(struct store *st)
{
	return st != NULL ? st->db : NULL;
}

const char *
store_errmsg(struct store *st)
{
	if (st == NULL)
		return "no store";
	return st->errmsg[0] != '\0' ? st->errmsg : "no error";
}

/* ---- queries ---------------------------------------------------------------- */

/* Hands on the current row of a statement; a non-zero value stops the walk. */
typedef int (*row_fn)(sqlite3_stmt *s, void *ctx);

/*
 * Step a bound statement, handing each row to fn, and make it reusable.
 * Returns 0, VIGIL_ERR_DB, or the callback's non-zero value that stopped the walk.
 */
static int
walk_rows(sqlite3_stmt *s, row_fn fn, void *ctx)
{
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((r = fn(s, ctx)) != 0)
			break;
	stmt_done(s);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

/*
 * Step a bound statement for its one row, hand it to fn, and make the
 * statement reusable. Returns VIGIL_ERR_NOTFOUND without a row,
 * VIGIL_ERR_DB, or the callback's value.
 */
static int
one_row(sqlite3_stmt *s, row_fn fn, void *ctx)
{
	int rc, r = 0;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = fn(s, ctx);
	stmt_done(s);
	if (rc == SQLITE_DONE)
		return VIGIL_ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return VIGIL_ERR_DB;
	return r;
}

/* A caller's callback (NULL: rows are stepped and dropped) and its argument. */
struct walk {
	union {
		store_event_fn event;
		store_agent_fn agent;
		store_incident_fn incident;
		store_esc_fn esc;
		store_name_fn name;
		store_outbox_fn outbox;
		store_audit_fn audit;
		store_posture_fn posture;
	} fn;
	void *arg;
	size_t nrows;          /* rows handed on so far */
};

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
	r->assignee = col_text(s, 10);
	r->resolution = col_text(s, 11);
	r->unit = col_text(s, 12);
	r->kind = col_text(s, 13);
	r->dedup_key = col_text(s, 14);
	r->opened_us = sqlite3_column_int64(s, 15);
	r->acked_us = sqlite3_column_int64(s, 16);
	r->resolved_us = sqlite3_column_int64(s, 17);
}

static int
event_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_event_row row;

	row.id = sqlite3_column_int64(s, 0);
	row.agent = col_text(s, 1);
	row.seq = (uint64_t)sqlite3_column_int64(s, 2);
	row.time_us = sqlite3_column_int64(s, 3);
	row.recv_us = sqlite3_column_int64(s, 4);
	row.source = col_text(s, 5);
	row.category = sqlite3_column_int(s, 6);
	row.severity = sqlite3_column_int(s, 7);
	row.rule = col_text(s, 8);
	row.summary = col_text(s, 9);
	row.raw = col_text(s, 10);
	row.fields_json = col_text(s, 11);
	row.clock = sqlite3_column_int(s, 12);
	return w->fn.event != NULL ? w->fn.event(w->arg, &row) : 0;
}

/* Step a bound event statement, one row per call. */
static int
walk_events(sqlite3_stmt *s, store_event_fn fn, void *arg)
{
	return walk_rows(s, event_step, &(struct walk){ .fn.event = fn, .arg = arg });
}

static int
agent_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_agent_row row;

	row.agent = col_text(s, 0);
	row.hostname = col_text(s, 1);
	row.unit = col_text(s, 2);
	row.version = col_text(s, 3);
	row.os = col_text(s, 4);
	row.address = col_text(s, 5);
	row.first_us = sqlite3_column_int64(s, 6);
	row.last_us = sqlite3_column_int64(s, 7);
	row.last_seq = (uint64_t)sqlite3_column_int64(s, 8);
	row.clock_offset_us = sqlite3_column_int64(s, 9);
	row.off_us = sqlite3_column_int64(s, 10);
	row.off_reason = goodbye_reason_from_name(col_text(s, 11));
	if (row.off_reason < 0)
		row.off_reason = 0;
	row.off_detail = col_text(s, 12);
	return w->fn.agent != NULL ? w->fn.agent(w->arg, &row) : 0;
}

static int
incident_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_incident_row row;

	incident_row(s, &row);
	return w->fn.incident != NULL ? w->fn.incident(w->arg, &row) : 0;
}

/* Step a bound incident statement, one row per call. */
static int
walk_incidents(sqlite3_stmt *s, store_incident_fn fn, void *arg)
{
	return walk_rows(s, incident_step, &(struct walk){ .fn.incident = fn, .arg = arg });
}

/* The one incident of a bound statement: VIGIL_ERR_NOTFOUND without it. */
static int
one_incident(sqlite3_stmt *s, store_incident_fn fn, void *arg)
{
	return one_row(s, incident_step, &(struct walk){ .fn.incident = fn, .arg = arg });
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
	if (st == NULL)
		return VIGIL_ERR_INVAL;
	return walk_rows(st->st[ST_QUERY_AGENTS], agent_step,
	    &(struct walk){ .fn.agent = fn, .arg = arg });
}

int
store_query_incidents(struct store *st, int open_only, store_incident_fn fn, void *arg)
{
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_QUERY_INCIDENTS];
	sqlite3_bind_int(s, 1, open_only != 0);
	return walk_incidents(s, fn, arg);
}

int
store_get_incident(struct store *st, int64_t id, store_incident_fn ifn, store_event_fn efn,
    void *arg)
{
	sqlite3_stmt *s;
	int r;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_GET_INCIDENT];
	sqlite3_bind_int64(s, 1, id);
	if ((r = one_incident(s, ifn, arg)) != 0)
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

/* ---- incidents, audit, escalation ---------------------------------------------- */

static int
inc_prepare(struct store *st, char *err, size_t errlen)
{
	for (int i = 0; i < IST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, inc_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->ist[i], NULL) != SQLITE_OK) {
			err_set(err, errlen, "Cannot prepare incident statement %d: %s.", i,
			    sqlite3_errmsg(st->db));
			return VIGIL_ERR_DB;
		}
	}
	return 0;
}

void
store_set_clock_limits(struct store *st, int64_t ahead_us, int64_t behind_us)
{
	if (st != NULL) {
		st->clock_ahead_us = ahead_us;
		st->clock_behind_us = behind_us;
	}
}

void
store_set_reopen_window(struct store *st, int64_t window_us)
{
	if (st != NULL)
		st->reopen_window_us = window_us > 0 ? window_us : 0;
}

/* Run a statement of ours that returns no rows, keeping SQLite's sentence on failure. */
static int
inc_run(struct store *st, sqlite3_stmt *s)
{
	int rc = hot_run(st, s);

	sqlite3_clear_bindings(s);
	return rc;
}

/* A fixed statement without parameters (savepoints); VIGIL_ERR_DB on failure. */
static int
exec_fixed(struct store *st, const char *sql)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	note_error(st);
	return VIGIL_ERR_DB;
}

static int
txn_begin(struct store *st)
{
	st->errmsg[0] = '\0';
	if (st->outer)
		return exec_fixed(st, "SAVEPOINT inc");
	return inc_run(st, st->st[ST_BEGIN]);
}

/* Commit when rc is 0, else roll back; returns the outcome. */
static int
txn_end(struct store *st, int rc)
{
	if (st->outer) {
		/* Inside store_outer_begin(): undo this change alone, keep the rest. */
		if (rc == 0 && (rc = exec_fixed(st, "RELEASE inc")) == 0)
			return 0;
		exec_fixed(st, "ROLLBACK TO inc");
		exec_fixed(st, "RELEASE inc");
		return rc;
	}
	if (rc == 0 && (rc = inc_run(st, st->st[ST_COMMIT])) == 0)
		return 0;
	if (st->errmsg[0] == '\0')
		snprintf(st->errmsg, sizeof(st->errmsg), "%s", vigil_strerror(rc));
	stmt_run(st->st[ST_ROLLBACK]);
	return rc;
}

/* Append one sealed record after the last one; inside a transaction. */
static int
audit_append(struct store *st, const struct store_audit_entry *e)
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
		have = audit_unhex(col_text(s, 1), prev) == 0;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		note_error(st);
	stmt_done(s);
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
		snprintf(st->errmsg, sizeof(st->errmsg), "cannot seal an audit record: %s",
		    vigil_strerror(rc));
		return rc;
	}
	audit_hex(r.prev_hash, phex);
	audit_hex(r.hash, hex);
	s = st->ist[IST_AUDIT_INSERT];
	sqlite3_bind_int64(s, 1, r.id);
	sqlite3_bind_int64(s, 2, r.time_us);
	bind_text(s, 3, actor);
	sqlite3_bind_int64(s, 4, r.incident);
	bind_text(s, 5, action);
	bind_text(s, 6, detail);
	bind_text(s, 7, phex);
	bind_text(s, 8, hex);
	return inc_run(st, s);
}

int
store_audit_append(struct store *st, const struct store_audit_entry *e)
{
	int rc;

	if (st == NULL || e == NULL || e->action == NULL || *e->action == '\0')
		return VIGIL_ERR_INVAL;
	if ((rc = txn_begin(st)) != 0)
		return rc;
	return txn_end(st, audit_append(st, e));
}

/* Back to new, inside a transaction: its escalation starts again from nothing. */
static int
reopen_in_txn(struct store *st, int64_t id, int64_t now_us)
{
	sqlite3_stmt *s = st->ist[IST_REOPEN];

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now_us);
	if (inc_run(st, s) != 0)
		return VIGIL_ERR_DB;
	s = st->ist[IST_ESC_DELETE];
	sqlite3_bind_int64(s, 1, id);
	if (inc_run(st, s) != 0)
		return VIGIL_ERR_DB;
	return audit_append(st, &(struct store_audit_entry){ now_us, "system", id, "reopen",
	    "matching events arrived within the re-open window" });
}

int
store_query_incident_queue(struct store *st, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg)
{
	static const struct store_incident_filter open = { NULL, -1, -1, NULL, NULL, NULL, NULL,
	    0 };
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	if (f == NULL)
		f = &open;
	s = st->ist[IST_QUEUE];
	if (f->status != NULL)
		bind_text(s, 1, f->status);
	if (f->category >= 0)
		sqlite3_bind_int(s, 2, f->category);
	if (f->min_severity >= 0)
		sqlite3_bind_int(s, 3, f->min_severity);
	if (f->unit != NULL)
		bind_text(s, 4, f->unit);
	if (f->host != NULL)
		bind_text(s, 5, f->host);
	if (f->assignee != NULL)
		bind_text(s, 6, f->assignee);
	if (f->kind != NULL)
		bind_text(s, 7, f->kind);
	sqlite3_bind_int64(s, 8, f->limit > 0 ? f->limit : -1);
	return walk_incidents(s, fn, arg);
}

int
store_incident_by_id(struct store *st, int64_t id, store_incident_fn fn, void *arg)
{
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->ist[IST_BY_ID];
	sqlite3_bind_int64(s, 1, id);
	return one_incident(s, fn, arg);
}

static int
esc_write(struct store *st, const struct store_esc_state *e, enum inc_stmt_id which)
{
	sqlite3_stmt *s;

	if (e->text == NULL) {
		s = st->ist[IST_ESC_DELETE];
		sqlite3_bind_int64(s, 1, e->incident);
		return inc_run(st, s);
	}
	s = st->ist[which];
	sqlite3_bind_int64(s, 1, e->incident);
	bind_text(s, 2, e->text);
	return inc_run(st, s);
}

int
store_incident_change(struct store *st, const struct store_incident_change *ch)
{
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || ch == NULL || ch->old_status == NULL || ch->status == NULL)
		return VIGIL_ERR_INVAL;
	if ((rc = txn_begin(st)) != 0)
		return rc;
	s = st->ist[IST_CHANGE];
	sqlite3_bind_int64(s, 1, ch->id);
	bind_text(s, 2, ch->old_status);
	bind_text(s, 3, ch->status);
	bind_text(s, 4, ch->resolution);
	bind_text(s, 5, ch->assignee);
	sqlite3_bind_int64(s, 6, ch->opened_us);
	sqlite3_bind_int64(s, 7, ch->acked_us);
	sqlite3_bind_int64(s, 8, ch->resolved_us);
	if ((rc = inc_run(st, s)) != 0)
		goto out;
	if (sqlite3_changes(st->db) == 0) {
		/* Someone (the writer re-opening it, another operator) was first. */
		snprintf(st->errmsg, sizeof(st->errmsg), "the incident changed meanwhile");
		rc = VIGIL_ERR_PROTO;
		goto out;
	}
	if (ch->note != NULL) {
		s = st->ist[IST_NOTE_INSERT];
		sqlite3_bind_int64(s, 1, ch->id);
		sqlite3_bind_int64(s, 2, ch->audit.time_us);
		bind_text(s, 3, ch->audit.actor);
		bind_text(s, 4, ch->note);
		if ((rc = inc_run(st, s)) != 0)
			goto out;
	}
	if ((rc = audit_append(st, &ch->audit)) != 0)
		goto out;
	if (ch->esc != NULL)
		rc = esc_write(st, ch->esc, IST_ESC_UPSERT);
out:
	return txn_end(st, rc);
}

/* Find the last incident of key: *id (0 if none), *closed, *resolved_us. */
static int
made_find(struct store *st, const char *key, int64_t *id, int *closed, int64_t *resolved_us)
{
	sqlite3_stmt *s = st->ist[IST_MADE_FIND];
	int rc;

	bind_text(s, 1, key);
	*id = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*closed = sqlite3_column_int(s, 1);
		*resolved_us = sqlite3_column_int64(s, 2);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		note_error(st);
	stmt_done(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_outer_begin(struct store *st)
{
	int rc;

	if (st->outer)
		return VIGIL_ERR_PROTO;
	st->errmsg[0] = '\0';
	if ((rc = inc_run(st, st->st[ST_BEGIN])) == 0)
		st->outer = 1;
	return rc;
}

int
store_outer_end(struct store *st)
{
	int rc;

	if (!st->outer)
		return VIGIL_ERR_PROTO;
	st->outer = 0;
	if ((rc = inc_run(st, st->st[ST_COMMIT])) == 0)
		return 0;
	stmt_run(st->st[ST_ROLLBACK]);
	return rc;
}

int
store_incident_make(struct store *st, struct store_made_incident *mi)
{
	sqlite3_stmt *s;
	int64_t id, resolved_us = 0;
	int rc, closed = 0;

	if (st == NULL || mi == NULL || mi->kind == NULL || mi->dedup_key == NULL ||
	    mi->agent == NULL || mi->rule == NULL || mi->title == NULL)
		return VIGIL_ERR_INVAL;
	mi->id = 0;
	mi->opened = 0;
	if ((rc = txn_begin(st)) != 0)
		return rc;
	if ((rc = made_find(st, mi->dedup_key, &id, &closed, &resolved_us)) != 0)
		goto out;
	if (id != 0 && closed) {
		if (st->reopen_window_us > 0 && resolved_us > 0 &&
		    mi->now_us - resolved_us <= st->reopen_window_us) {
			if ((rc = reopen_in_txn(st, id, mi->now_us)) != 0)
				goto out;
			mi->opened = 1;
		} else {
			id = 0;
		}
	}
	if (id == 0) {
		s = st->ist[IST_MADE_INSERT];
		bind_text(s, 1, mi->agent);
		bind_text(s, 2, mi->rule);
		sqlite3_bind_int(s, 3, mi->category);
		sqlite3_bind_int(s, 4, mi->severity);
		bind_text(s, 5, mi->title);
		sqlite3_bind_int64(s, 6, mi->time_us);
		bind_text(s, 7, mi->kind);
		bind_text(s, 8, mi->dedup_key);
		sqlite3_bind_int64(s, 9, mi->now_us);
		if ((rc = inc_run(st, s)) != 0)
			goto out;
		id = sqlite3_last_insert_rowid(st->db);
		mi->opened = 1;
		if ((rc = audit_append(st, &(struct store_audit_entry){ mi->now_us, "system", id,
		    "open", mi->title })) != 0)
			goto out;
	}
	for (size_t i = 0; i < mi->nagents; i++) {
		s = st->ist[IST_AGENT_LINK];
		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, mi->agents[i]);
		sqlite3_bind_int64(s, 3, mi->now_us);
		if ((rc = inc_run(st, s)) != 0)
			goto out;
	}
	for (size_t i = 0; i < mi->nevents; i++) {
		if (mi->ev_seqs[i] > INT64_MAX)
			continue;
		s = st->ist[IST_EVENT_LINK];
		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, mi->ev_agents[i]);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)mi->ev_seqs[i]);
		if ((rc = inc_run(st, s)) != 0)
			goto out;
	}
	s = st->ist[IST_MADE_UPDATE];
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, mi->time_us);
	sqlite3_bind_int(s, 3, mi->severity);
	bind_text(s, 4, mi->title);
	if ((rc = inc_run(st, s)) != 0)
		goto out;
	mi->id = id;
out:
	if ((rc = txn_end(st, rc)) != 0) {
		mi->id = 0;
		mi->opened = 0;
	}
	return rc;
}

static int
name_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;

	return w->fn.name != NULL ? w->fn.name(w->arg, col_text(s, 0)) : 0;
}

int
store_incident_agents(struct store *st, int64_t id, store_name_fn fn, void *arg)
{
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->ist[IST_AGENTS_OF];
	sqlite3_bind_int64(s, 1, id);
	return walk_rows(s, name_step, &(struct walk){ .fn.name = fn, .arg = arg });
}

int
store_escalation_save(struct store *st, const struct store_esc_state *states, size_t nstates,
    struct store_outbox_row *rows, size_t nrows, const struct store_audit_entry *audit,
    size_t naudit)
{
	sqlite3_stmt *s;
	int rc;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	if ((rc = txn_begin(st)) != 0)
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
		bind_text(s, 4, o->route);
		bind_text(s, 5, o->contact);
		bind_text(s, 6, o->contact_name);
		bind_text(s, 7, o->language);
		bind_text(s, 8, o->channel);
		bind_text(s, 9, o->target);
		bind_text(s, 10, o->group_key);
		sqlite3_bind_int(s, 11, o->level);
		sqlite3_bind_int(s, 12, o->repeat);
		sqlite3_bind_int(s, 13, o->manual);
		sqlite3_bind_int64(s, 14, o->more);
		if ((rc = inc_run(st, s)) != 0)
			goto out;
		o->id = sqlite3_last_insert_rowid(st->db);
		for (size_t k = 0; k < o->nids; k++) {
			s = st->ist[IST_OUTBOX_LINK];
			sqlite3_bind_int64(s, 1, o->id);
			sqlite3_bind_int64(s, 2, o->ids[k]);
			if ((rc = inc_run(st, s)) != 0)
				goto out;
		}
	}
	for (size_t i = 0; i < naudit; i++)
		if ((rc = audit_append(st, &audit[i])) != 0)
			goto out;
out:
	if ((rc = txn_end(st, rc)) != 0)
		for (size_t i = 0; i < nrows; i++)
			rows[i].id = 0;
	return rc;
}

static int
esc_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct store_incident_row row;

	incident_row(s, &row);
	return w->fn.esc != NULL ? w->fn.esc(w->arg, &row, col_text(s, 18)) : 0;
}

int
store_escalation_states(struct store *st, store_esc_fn fn, void *arg)
{
	if (st == NULL)
		return VIGIL_ERR_INVAL;
	return walk_rows(st->ist[IST_ESC_STATES], esc_step,
	    &(struct walk){ .fn.esc = fn, .arg = arg });
}

int
store_escalation_missing(struct store *st, store_incident_fn fn, void *arg)
{
	if (st == NULL)
		return VIGIL_ERR_INVAL;
	return walk_incidents(st->ist[IST_ESC_MISSING], fn, arg);
}

static void
outbox_row(sqlite3_stmt *s, struct store_outbox_row *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(s, 0);
	o->incident_id = sqlite3_column_int64(s, 1);
	o->created_us = sqlite3_column_int64(s, 2);
	o->due_us = sqlite3_column_int64(s, 3);
	o->route = col_text(s, 4);
	o->contact = col_text(s, 5);
	o->contact_name = col_text(s, 6);
	o->language = col_text(s, 7);
	o->channel = col_text(s, 8);
	o->target = col_text(s, 9);
	o->group_key = col_text(s, 10);
	o->level = sqlite3_column_int(s, 11);
	o->repeat = sqlite3_column_int(s, 12);
	o->manual = sqlite3_column_int(s, 13);
	o->more = sqlite3_column_int64(s, 14);
	o->status = col_text(s, 15);
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
store_outbox_pending(struct store *st, store_outbox_fn fn, void *arg)
{
	if (st == NULL)
		return VIGIL_ERR_INVAL;
	return walk_rows(st->ist[IST_OUTBOX_PENDING], outbox_step,
	    &(struct walk){ .fn.outbox = fn, .arg = arg });
}

int
store_outbox_attempt(struct store *st, const struct store_attempt *a)
{
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || a == NULL)
		return VIGIL_ERR_INVAL;
	if ((rc = txn_begin(st)) != 0)
		return rc;
	s = st->ist[IST_ATTEMPT_INSERT];
	sqlite3_bind_int64(s, 1, a->outbox_id);
	sqlite3_bind_int(s, 2, a->attempt);
	sqlite3_bind_int64(s, 3, a->started_us);
	sqlite3_bind_int64(s, 4, a->finished_us);
	sqlite3_bind_int(s, 5, a->ok != 0);
	bind_text(s, 6, a->failure);
	sqlite3_bind_int64(s, 7, a->code);
	bind_text(s, 8, a->error);
	sqlite3_bind_int64(s, 9, a->final ? 0 : a->next_us);
	if ((rc = inc_run(st, s)) != 0)
		goto out;
	s = st->ist[IST_OUTBOX_UPDATE];
	sqlite3_bind_int64(s, 1, a->outbox_id);
	sqlite3_bind_int(s, 2, a->attempt);
	bind_text(s, 3, a->ok ? "sent" : a->final ? "failed" : "pending");
	sqlite3_bind_int64(s, 4, a->final ? 0 : a->next_us);
	sqlite3_bind_int64(s, 5, a->final ? a->finished_us : 0);
	rc = inc_run(st, s);
out:
	return txn_end(st, rc);
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
	at.failure = col_text(a, 5);
	at.code = (long)sqlite3_column_int64(a, 6);
	at.error = col_text(a, 7);
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
	return walk_rows(w->attempts, attempt_step, w);
}

int
store_incident_notifications(struct store *st, int64_t id, store_outbox_fn ofn,
    store_attempt_fn afn, void *arg)
{
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->ist[IST_INC_OUTBOX];
	sqlite3_bind_int64(s, 1, id);
	return walk_rows(s, notification_step, &(struct notif_walk){ ofn, afn, arg,
	    st->ist[IST_ATTEMPTS_OF] });
}

static int
audit_step(sqlite3_stmt *s, void *ctx)
{
	struct walk *w = ctx;
	struct audit_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.id = sqlite3_column_int64(s, 0);
	rec.time_us = sqlite3_column_int64(s, 1);
	rec.actor = col_text(s, 2);
	rec.incident = sqlite3_column_int64(s, 3);
	rec.action = col_text(s, 4);
	rec.detail = col_text(s, 5);
	/* A hash that is not hex cannot match anything: all ones. */
	if (audit_unhex(col_text(s, 6), rec.prev_hash) != 0)
		memset(rec.prev_hash, 0xff, sizeof(rec.prev_hash));
	if (audit_unhex(col_text(s, 7), rec.hash) != 0)
		memset(rec.hash, 0xff, sizeof(rec.hash));
	return w->fn.audit != NULL ? w->fn.audit(w->arg, &rec) : 0;
}

int
store_audit_walk(struct store *st, int64_t incident, store_audit_fn fn, void *arg)
{
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->ist[incident != 0 ? IST_AUDIT_OF : IST_AUDIT_ALL];
	if (incident != 0)
		sqlite3_bind_int64(s, 1, incident);
	return walk_rows(s, audit_step, &(struct walk){ .fn.audit = fn, .arg = arg });
}

/* ---- posture and compliance: queries ---- */

static void
posture_row(sqlite3_stmt *s, struct store_posture_row *r)
{
	memset(r, 0, sizeof(*r));
	r->agent = col_text(s, 0);
	r->hostname = col_text(s, 1);
	r->unit = col_text(s, 2);
	r->last_seen_us = sqlite3_column_int64(s, 3);
	r->has_posture = sqlite3_column_int(s, 4);
	r->av_product = col_text(s, 6);
	r->av_version = col_text(s, 7);
	r->os = col_text(s, 8);
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
store_query_postures(struct store *st, const char *unit, store_posture_fn fn, void *arg)
{
	sqlite3_stmt *s;

	if (st == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_QUERY_POSTURES];
	if (unit != NULL)
		bind_text(s, 1, unit);
	return walk_rows(s, posture_step, &(struct walk){ .fn.posture = fn, .arg = arg });
}

int
store_get_posture(struct store *st, const char *agent, store_posture_fn fn, void *arg)
{
	struct walk w = { .fn.posture = fn, .arg = arg };
	sqlite3_stmt *s;
	int rc;

	if (st == NULL || agent == NULL)
		return VIGIL_ERR_INVAL;
	s = st->st[ST_GET_POSTURE];
	bind_text(s, 1, agent);
	if ((rc = walk_rows(s, posture_step, &w)) != 0)
		return rc;
	return w.nrows == 0 ? VIGIL_ERR_NOTFOUND : 0;
}
