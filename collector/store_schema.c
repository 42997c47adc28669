/*
 * The SQLite backend's schema: the migrations[] array moves it forward one
 * transaction per step, each step setting PRAGMA user_version to its own
 * number; a database from a newer collector is refused rather than misread.
 * Every statement of the backend is here too, prepared once at open, so the
 * SQL a query runs sits next to the tables it reads. WAL with
 * synchronous=FULL: a COMMIT that returned is on disk and its events may be
 * acknowledged.
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
#include "vigil/utf8.h"
#include "vigil/wire.h"
#include "audit.h"
#include "store_int.h"

/* A writer waits this long for another connection's lock before failing. */
#define STORE_BUSY_TIMEOUT_MS 5000

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
	/*
	 * 9: issue 13, the Windows audit policy Vigil's rules need, as the agent
	 * reports it ("complete", "incomplete: ...", "unavailable: ..."; "" from
	 * Linux and older agents), in the latest posture and its history.
	 */
	{ 9,
	"ALTER TABLE posture ADD COLUMN audit_policy TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE posture_history ADD COLUMN audit_policy TEXT NOT NULL DEFAULT '';"
	"PRAGMA user_version = 9;", 0 },
	/*
	 * 10: issue 14, what the sensors say of themselves in the heartbeat
	 * (sensors unavailable here and why, their own counters), each a JSON
	 * object for `vigilctl agents --json`.
	 */
	{ 10,
	"ALTER TABLE posture ADD COLUMN sensors_unavailable TEXT NOT NULL DEFAULT '{}';"
	"ALTER TABLE posture ADD COLUMN sensor_counters TEXT NOT NULL DEFAULT '{}';"
	"PRAGMA user_version = 10;", 0 },
	/*
	 * 11: issue 17, reports: what the operator adds to an incident's forms,
	 * and the deadlines of a reportable incident (store_report.c). New
	 * tables only, so IF NOT EXISTS: the step can run again on a database
	 * whose version was lowered by hand (test_store does) without failing.
	 */
	{ 11,
	"CREATE TABLE IF NOT EXISTS report_fields ("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  name        TEXT NOT NULL,"
	"  value       TEXT NOT NULL,"
	"  set_us      INTEGER NOT NULL,"
	"  actor       TEXT NOT NULL,"
	"  PRIMARY KEY (incident_id, name)"
	");"
	"CREATE TABLE IF NOT EXISTS report_deadlines ("
	"  incident_id  INTEGER NOT NULL REFERENCES incidents(id),"
	"  kind         TEXT NOT NULL,"
	"  start_us     INTEGER NOT NULL,"
	"  due_us       INTEGER NOT NULL,"
	"  near_us      INTEGER NOT NULL,"
	"  provisional  INTEGER NOT NULL DEFAULT 0,"
	"  uncovered    INTEGER NOT NULL DEFAULT 0,"
	"  created_us   INTEGER NOT NULL,"
	"  created_by   TEXT NOT NULL,"
	"  submitted_us INTEGER NOT NULL DEFAULT 0,"
	"  submitted_by TEXT NOT NULL DEFAULT '',"
	"  submitted_to TEXT NOT NULL DEFAULT '',"
	"  reference    TEXT NOT NULL DEFAULT '',"
	"  stage        INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (incident_id, kind)"
	");"
	"CREATE TABLE IF NOT EXISTS report_mailings ("
	"  period  TEXT NOT NULL,"
	"  unit    TEXT NOT NULL,"
	"  sent_us INTEGER NOT NULL,"
	"  PRIMARY KEY (period, unit)"
	");"
	"CREATE INDEX IF NOT EXISTS report_deadlines_due ON report_deadlines(due_us) WHERE submitted_us = 0;"
	"PRAGMA user_version = 11;", 0 },
	/*
	 * 12: issue 15, the network's neighbours: each agent's own MACs (the
	 * latest report replaces them), the hosts each agent saw on its
	 * segment by MAC (first and last seen; rows not seen for
	 * NEIGH_KEEP_US go), and the MACs an operator marked "not a PC"
	 * (the router, a printer). New tables only, so IF NOT EXISTS.
	 */
	{ 12,
	"CREATE TABLE IF NOT EXISTS agent_macs ("
	"  agent   TEXT NOT NULL,"
	"  mac     TEXT NOT NULL,"
	"  seen_us INTEGER NOT NULL,"
	"  PRIMARY KEY (agent, mac)"
	");"
	"CREATE INDEX IF NOT EXISTS agent_macs_mac ON agent_macs(mac);"
	"CREATE TABLE IF NOT EXISTS neighbours ("
	"  agent    TEXT NOT NULL,"
	"  mac      TEXT NOT NULL,"
	"  ip       TEXT NOT NULL,"
	"  ifname   TEXT NOT NULL,"
	"  first_us INTEGER NOT NULL,"
	"  last_us  INTEGER NOT NULL,"
	"  PRIMARY KEY (agent, mac)"
	");"
	"CREATE INDEX IF NOT EXISTS neighbours_mac ON neighbours(mac, last_us);"
	"CREATE TABLE IF NOT EXISTS mac_ignores ("
	"  mac    TEXT PRIMARY KEY,"
	"  note   TEXT NOT NULL DEFAULT '',"
	"  set_us INTEGER NOT NULL,"
	"  actor  TEXT NOT NULL DEFAULT ''"
	");"
	"PRAGMA user_version = 12;", 0 },
	/*
	 * 13: issue 16, `vigilctl incidents --follow` shows the changes of the
	 * incidents it listed, as `kubectl get -w` does: change_seq numbers every
	 * new incident and every change of its status, assignee, severity or
	 * resolution, one sequence over the table (a new event's count is not
	 * a change of state).
	 */
	{ 13,
	"ALTER TABLE incidents ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;"
	"UPDATE incidents SET change_seq = id;"
	"CREATE INDEX incidents_change ON incidents(change_seq);"
	"CREATE TRIGGER incidents_new AFTER INSERT ON incidents BEGIN"
	"  UPDATE incidents SET change_seq = (SELECT max(change_seq) FROM incidents) + 1"
	"   WHERE id = NEW.id;"
	" END;"
	"CREATE TRIGGER incidents_changed AFTER UPDATE OF status, assignee, severity, resolution"
	" ON incidents WHEN OLD.status IS NOT NEW.status OR OLD.assignee IS NOT NEW.assignee"
	"  OR OLD.severity IS NOT NEW.severity OR OLD.resolution IS NOT NEW.resolution BEGIN"
	"  UPDATE incidents SET change_seq = (SELECT max(change_seq) FROM incidents) + 1"
	"   WHERE id = NEW.id;"
	" END;"
	"PRAGMA user_version = 13;", 0 },
};
/* The last step's number: steps grow but may leave a number out (see 6). */
#define STORE_SCHEMA_VERSION (migrations[NITEMS(migrations) - 1].version)

#define OPEN_STATUS "status NOT IN ('resolved', 'false_positive')"
#define EVENT_COLUMNS "id, agent, seq, time_us, recv_us, source, category, severity, " \
	"rule, summary, raw, fields, clock"
#define INCIDENT_COLUMNS "id, agent, rule, category, severity, status, title, " \
	"first_seen, last_seen, event_count, assignee, resolution, unit, kind, dedup_key, " \
	"opened_us, acked_us, resolved_us"
/* An event's field KEY (a bound name of letters, digits, '.', '_', '-') equal to VALUE. */
#define FIELD_IS(col, key, value) \
	"CAST(json_extract(" col ", '$.\"' || " key " || '\"') AS TEXT) = " value
/* The incident i's events, for a condition on e. */
#define INC_EVENT_WHERE "EXISTS (SELECT 1 FROM incident_events ie JOIN events e" \
	" ON e.id = ie.event_id WHERE ie.incident_id = i.id AND "
/* The units of incident i's machines (a correlation's), sorted, "a, b"; column 18. */
#define INCIDENT_UNITS "(SELECT group_concat(u, ', ') FROM (SELECT DISTINCT a.unit AS u" \
	" FROM incident_agents ia JOIN agents a ON a.agent = ia.agent" \
	" WHERE ia.incident_id = i.id AND a.unit <> '' ORDER BY 1)) AS units"
/* posture and compliance */
#define POSTURE_FACTS "av_product, av_running, av_realtime, av_version, av_signatures_us, " \
	"updates_pending, security_updates_pending, security_pending_since_us, " \
	"last_update_us, last_upgrade_us, reboot_required, os, usb_policy_blocked, audit_policy"
#define POSTURE_SELECT "SELECT a.agent, a.hostname, a.unit, a.last_seen, p.agent IS NOT NULL," \
	" p.recv_us, p.av_product, p.av_version, p.os, p.av_running, p.av_realtime," \
	" p.reboot_required, p.av_signatures_us, p.updates_pending, p.security_updates_pending," \
	" p.security_pending_since_us, p.last_update_us, p.last_upgrade_us, p.usb_policy_blocked," \
	" p.spool_depth, p.dropped, p.lines_truncated, p.events_rejected, p.rule_evictions," \
	" p.uevents_spoofed, p.uevents_lost, p.audit_policy," \
	" p.sensors_unavailable, p.sensor_counters" \
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
	    " AND (?7 IS NULL OR " FIELD_IS("fields", "?7", "?8") ")"
	    " AND (?9 IS NULL OR instr(vigil_fold(summary), ?9) > 0"
	    "  OR instr(vigil_fold(rule), ?9) > 0 OR instr(vigil_fold(fields), ?9) > 0)"
	    " AND (?10 IS NULL OR id > ?10)"
	    " ORDER BY time_us DESC, id DESC LIMIT ?6)"
	    " ORDER BY time_us, id",
	[ST_QUERY_AGENTS] =
	    "SELECT agent, hostname, unit, version, os, address, first_seen, last_seen, last_seq,"
	    " clock_offset_us, off_us, off_reason, off_detail FROM agents ORDER BY agent",
	[ST_QUERY_INCIDENTS] =
	    "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE (?1 = 0 OR " OPEN_STATUS ")"
	    " ORDER BY severity DESC, first_seen, id",
	[ST_GET_INCIDENT] = "SELECT " INCIDENT_COLUMNS ", " INCIDENT_UNITS
	    " FROM incidents i WHERE id = ?1",
	[ST_INCIDENT_EVENTS] =
	    "SELECT e.id, e.agent, e.seq, e.time_us, e.recv_us, e.source, e.category,"
	    " e.severity, e.rule, e.summary, e.raw, e.fields, e.clock"
	    " FROM incident_events ie JOIN events e ON e.id = ie.event_id"
	    " WHERE ie.incident_id = ?1 ORDER BY e.time_us, e.id",
	/* the network report (issue 15): store_neigh.c */
	[ST_MAC_CLEAR] = "DELETE FROM agent_macs WHERE agent = ?1",
	[ST_MAC_ADD] = "INSERT OR REPLACE INTO agent_macs (agent, mac, seen_us) VALUES (?1, ?2, ?3)",
	[ST_NEIGH_UPSERT] =
	    "INSERT INTO neighbours (agent, mac, ip, ifname, first_us, last_us)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (agent, mac) DO UPDATE SET"
	    " ip = excluded.ip, ifname = excluded.ifname, last_us = excluded.last_us",
	[ST_NEIGH_PRUNE] = "DELETE FROM neighbours WHERE agent = ?1 AND last_us < ?2",
	[ST_COUNTS] =
	    "SELECT (SELECT count(*) FROM agents), (SELECT count(*) FROM events),"
	    " (SELECT count(*) FROM incidents WHERE " OPEN_STATUS ")",
	/*
	 * posture and compliance: ?1 agent, ?2 recv_us, ?3-?15 the facts, ?16-?22
	 * counters, ?23 the audit policy (a fact added later: numbered after the
	 * counters so that no binding moves).
	 */
	/* A history row only when a fact differs from the latest stored (or there is none). */
	[ST_POSTURE_HISTORY] =
	    "INSERT INTO posture_history (agent, recv_us, " POSTURE_FACTS ")"
	    " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?23"
	    " WHERE NOT EXISTS (SELECT 1 FROM posture WHERE agent = ?1"
	    " AND av_product = ?3 AND av_running = ?4 AND av_realtime = ?5 AND av_version = ?6"
	    " AND av_signatures_us = ?7 AND updates_pending = ?8"
	    " AND security_updates_pending = ?9 AND security_pending_since_us = ?10"
	    " AND last_update_us = ?11 AND last_upgrade_us = ?12 AND reboot_required = ?13"
	    " AND os = ?14 AND usb_policy_blocked = ?15 AND audit_policy = ?23)",
	[ST_POSTURE_UPSERT] =
	    "INSERT INTO posture (agent, recv_us, " POSTURE_FACTS ", spool_depth, dropped,"
	    " lines_truncated, events_rejected, rule_evictions, uevents_spoofed, uevents_lost,"
	    " sensors_unavailable, sensor_counters)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?23, ?16,"
	    " ?17, ?18, ?19, ?20, ?21, ?22, ?24, ?25)"
	    " ON CONFLICT (agent) DO UPDATE SET recv_us = excluded.recv_us,"
	    " av_product = excluded.av_product, av_running = excluded.av_running,"
	    " av_realtime = excluded.av_realtime, av_version = excluded.av_version,"
	    " av_signatures_us = excluded.av_signatures_us,"
	    " updates_pending = excluded.updates_pending,"
	    " security_updates_pending = excluded.security_updates_pending,"
	    " security_pending_since_us = excluded.security_pending_since_us,"
	    " last_update_us = excluded.last_update_us, last_upgrade_us = excluded.last_upgrade_us,"
	    " reboot_required = excluded.reboot_required, os = excluded.os,"
	    " usb_policy_blocked = excluded.usb_policy_blocked,"
	    " audit_policy = excluded.audit_policy, spool_depth = excluded.spool_depth,"
	    " dropped = excluded.dropped, lines_truncated = excluded.lines_truncated,"
	    " events_rejected = excluded.events_rejected, rule_evictions = excluded.rule_evictions,"
	    " uevents_spoofed = excluded.uevents_spoofed, uevents_lost = excluded.uevents_lost,"
	    " sensors_unavailable = excluded.sensors_unavailable,"
	    " sensor_counters = excluded.sensor_counters",
	[ST_QUERY_POSTURES] =
	    POSTURE_SELECT " WHERE (?1 IS NULL OR a.unit = ?1) ORDER BY a.unit, a.agent",
	[ST_GET_POSTURE] = POSTURE_SELECT " WHERE a.agent = ?1",
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
	    "SELECT " INCIDENT_COLUMNS ", " INCIDENT_UNITS " FROM incidents i WHERE"
	    " (CASE WHEN ?1 IS NULL OR ?1 = 'open' THEN " INC_OPEN
	    "  WHEN ?1 = 'all' THEN 1 ELSE status = ?1 END)"
	    " AND (?2 IS NULL OR category = ?2) AND (?3 IS NULL OR severity >= ?3)"
	    /* Its own unit or that of any machine of a correlation, accents folded. */
	    " AND (?4 IS NULL OR vigil_fold(unit) = ?4 OR EXISTS (SELECT 1 FROM incident_agents"
	    "  iu JOIN agents a ON a.agent = iu.agent WHERE iu.incident_id = i.id"
	    "  AND vigil_fold(a.unit) = ?4))"
	    " AND (?9 IS NULL OR " INC_EVENT_WHERE FIELD_IS("e.fields", "?9", "?10") "))"
	    " AND (?11 IS NULL OR instr(vigil_fold(title), ?11) > 0 OR " INC_EVENT_WHERE
	    "  (instr(vigil_fold(e.summary), ?11) > 0 OR instr(vigil_fold(e.fields), ?11) > 0)))"
	    /* The certificate's identity, never the host name an agent claims. */
	    " AND (?5 IS NULL OR agent = ?5"
	    "  OR EXISTS (SELECT 1 FROM incident_agents ia WHERE ia.incident_id = i.id"
	    "   AND ia.agent = ?5))"
	    " AND (?6 IS NULL OR assignee = ?6) AND (?7 IS NULL OR kind = ?7)"
	    " AND (?12 IS NULL OR id > ?12) AND (?13 IS NULL OR change_seq > ?13)"
	    " ORDER BY NOT " INC_OPEN ", severity DESC, first_seen, id LIMIT ?8",
	[IST_CHANGE_TOP] = "SELECT coalesce(max(change_seq), 0) FROM incidents",
	[IST_BY_ID] = "SELECT " INCIDENT_COLUMNS ", " INCIDENT_UNITS
	    " FROM incidents i WHERE id = ?1",
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
		err_fmt(err, errlen, VIGIL_ERR_DB, "Cannot set WAL mode: %s.", sqlite3_errmsg(db));
		goto out;
	}
	if (strcmp(sq_col_text(s, 0), "wal") != 0) {
		err_fmt(err, errlen, VIGIL_ERR_DB, "The database refused WAL mode (journal mode is %s).",
		    sq_col_text(s, 0));
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
migrate(struct sqlstore *st, char *err, size_t errlen)
{
	int version;

	if (read_user_version(st->db, &version) != 0) {
		return err_fmt(err, errlen, VIGIL_ERR_DB, "Cannot read the schema version: %s.",
		    sqlite3_errmsg(st->db));
	}
	if (version > STORE_SCHEMA_VERSION) {
		return err_fmt(err, errlen, VIGIL_ERR_VERSION, "The database has schema version %d, "
		    "newer than the %d this collector knows; use a newer collector.", version,
		    STORE_SCHEMA_VERSION);
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
				err_fmt(err, errlen, VIGIL_ERR_DB, "Schema migration %d did not set its version.",
				    m->version);
				sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
				fk_on(st->db);
				return VIGIL_ERR_DB;
			}
			if (m->rebuild && !fk_intact(st->db)) {
				err_fmt(err, errlen, VIGIL_ERR_DB, "Schema migration %d would break a reference "
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
		err_fmt(err, errlen, VIGIL_ERR_DB, "Schema migration to version %d failed: %s.", m->version,
		    sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		fk_on(st->db);
		return VIGIL_ERR_DB;
	}
	st->version = version;
	return 0;
}

/*
 * vigil_fold(TEXT): utf8_fold() as an SQL function, so that a search in the
 * prepared statements finds "Nguyễn" for "nguyen" (issue 16). NULL stays NULL.
 */
static void
sq_fold_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *src;
	char *dst;
	int n;

	(void)argc;
	if ((src = sqlite3_value_text(argv[0])) == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	n = sqlite3_value_bytes(argv[0]);
	if ((dst = sqlite3_malloc(n + 1)) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_text(ctx, dst, (int)utf8_fold(dst, (size_t)n + 1, (const char *)src,
	    (size_t)n), sqlite3_free);
}

struct store *
sq_open(const char *path, char *err, size_t errlen)
{
	struct sqlstore *st;

	if (path == NULL || *path == '\0') {
		err_fmt(err, errlen, VIGIL_ERR_INVAL, "No database path was given.");
		return NULL;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		err_fmt(err, errlen, VIGIL_ERR_NOMEM, "Out of memory opening the database.");
		return NULL;
	}
	st->base.ops = &sq_ops;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		err_fmt(err, errlen, VIGIL_ERR_DB, "Cannot open the database %s: %s.", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	if (set_wal(st->db, err, errlen) != 0)
		goto fail;
	if (sqlite3_exec(st->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		err_fmt(err, errlen, VIGIL_ERR_DB, "Cannot set the database options of %s: %s.", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (sqlite3_create_function_v2(st->db, "vigil_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC |
	    SQLITE_INNOCUOUS, NULL, sq_fold_fn, NULL, NULL, NULL) != SQLITE_OK) {
		err_fmt(err, errlen, VIGIL_ERR_DB, "Cannot register vigil_fold in %s: %s.", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (migrate(st, err, errlen) != 0)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->st[i], NULL) != SQLITE_OK) {
			err_fmt(err, errlen, VIGIL_ERR_DB, "Cannot prepare statement %d: %s.", i,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	if (sq_inc_prepare(st, err, errlen) != 0)
		goto fail;
	return &st->base;
fail:
	sq_free(&st->base);
	return NULL;
}

void
sq_free(struct store *base)
{
	struct sqlstore *st = sq_of(base);

	if (st == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->st[i]);
	for (int i = 0; i < IST_COUNT; i++)
		sqlite3_finalize(st->ist[i]);
	sqlite3_close(st->db);
	buf_free(&st->json);
	free(st);
}

int
sq_schema_version(struct store *base)
{
	struct sqlstore *st = sq_of(base);

	return st == NULL ? VIGIL_ERR_INVAL : st->version;
}

/* ---- incidents, audit, escalation ---------------------------------------------- */

int
sq_inc_prepare(struct sqlstore *st, char *err, size_t errlen)
{
	for (int i = 0; i < IST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, inc_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->ist[i], NULL) != SQLITE_OK) {
			return err_fmt(err, errlen, VIGIL_ERR_DB,
			    "Cannot prepare incident statement %d: %s.", i, sqlite3_errmsg(st->db));
		}
	}
	return 0;
}