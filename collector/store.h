/*
 * The collector's store, the module's only public header. Its files
 * (store*.c, sharing store_int.h) hold all SQL of the collector; callers
 * reach it through these functions, which store.c sends to the operations
 * table of the backend that opened the store. SQLite in WAL mode with
 * synchronous=FULL, versioned migrations, prepared statements only, is the
 * one backend today.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil.pb-c.h"

struct store;

/* Open or create the database and bring its schema to the current version. */
struct store *store_open(const char *path, char *err, size_t errlen);
/* The same with a backend named ("sqlite"); NULL with a sentence if none is. */
struct store *store_open_backend(const char *backend, const char *path, char *err,
    size_t errlen);
const char *store_default_backend(void);
void store_free(struct store *st);                  /* NULL is a no-op */
int store_schema_version(struct store *st);

/* An agent said Hello: insert or update its row (first_seen kept). */
int store_agent_hello(struct store *st, const char *agent, const Vigil__V1__Hello *hello,
    const char *address, int64_t now_us);
/* An agent sent a heartbeat (or anything): last_seen moves up to now. */
int store_agent_seen(struct store *st, const char *agent, int64_t now_us);
/* Highest seq stored for agent (0 if none). */
int store_agent_last_seq(struct store *st, const char *agent, uint64_t *seq);

/*
 * One item of a group commit. The caller fills kind, agent and recv_us, and
 * batch (STORE_EVENTS) or hello and address (STORE_HELLO); everything they
 * point at must stay put until store_commit() returns. store_commit() fills
 * up_to and inserted. A zeroed item is an STORE_EVENTS one.
 */
enum store_item_kind {
	STORE_EVENTS = 0,      /* store the events of batch */
	STORE_HELLO,           /* the agent's row from its Hello, seen at recv_us */
	STORE_SEEN,            /* the agent was last seen at recv_us */
	STORE_POSTURE,         /* heartbeat's posture and counters, seen at recv_us */
	STORE_GOODBYE,         /* the agent went away on purpose at recv_us: off, not silent */
};

struct store_batch {
	enum store_item_kind kind;
	const char *agent;
	const Vigil__V1__EventBatch *batch;
	const Vigil__V1__Hello *hello;
	const char *address;
	const Vigil__V1__Heartbeat *heartbeat;   /* STORE_POSTURE: posture or network not NULL */
	const Vigil__V1__Goodbye *goodbye;       /* STORE_GOODBYE */
	int64_t recv_us;
	int64_t agent_clock_us;   /* STORE_SEEN: the agent's clock at recv_us (heartbeat); 0 */
	uint64_t up_to;        /* out: highest seq of the batch, now stored */
	size_t inserted;       /* out: new events (the rest were duplicates) */
	size_t clock_flagged;  /* out: new events whose time is implausible (enum store_clock) */
	int refused;           /* out: 0, or why this item alone could not be stored */
	char why[160];         /* out: when refused, SQLite's or our sentence */
};

/*
 * Store every item in one transaction: each event once per (agent, seq)
 * (a duplicate is ignored, not an error); events at severity >= medium open
 * or update the open incident for (agent, rule); agents.last_seq moves up;
 * Hello and last-seen items update the agents table; a Goodbye marks the
 * agent off (reason, detail, since recv_us) until its next Hello. Returns 0
 * only after COMMIT is durable. An item that fails for its own data (a
 * constraint, a value out of range) is undone alone and marked refused with
 * a reason; the others are stored. On any other error (a full disk)
 * everything is rolled back, nothing may be acknowledged, and store_errmsg()
 * says why.
 *
 * Not thread-safe: one struct store belongs to one thread at a time. The
 * collector gives its writer thread a store of its own.
 */
int store_commit(struct store *st, struct store_batch *b, size_t n);

/* SQLite's sentence for the last failed store_commit() ("database or disk is full"). */
const char *store_errmsg(struct store *st);
/* The SQLite connection, for store_*.c modules that keep their own statements (store_ack.c). */
struct sqlite3 *store_sqlite(struct store *st);

/* ---- queries (vigilctl) --------------------------------------------------- */

struct store_event_filter {
	int64_t since_us;      /* 0: no lower bound */
	int64_t until_us;      /* 0: no upper bound */
	const char *agent;     /* NULL: all */
	int category;          /* -1: all */
	int min_severity;      /* -1: all */
	long limit;            /* the newest `limit` rows, printed oldest first */
	/* issue 16: one field equal to a value; text in summary, rule or fields, accents folded */
	const char *field_key, *field_value;   /* NULL: any */
	const char *grep;                      /* NULL: any */
	int64_t after_id;      /* > 0: only events stored after that row (--follow's cursor) */
};

/* Where an event's time stands against its arrival at the collector. */
enum store_clock {
	STORE_CLOCK_OK = 0,
	STORE_CLOCK_AHEAD = 1,     /* further ahead than clock_ahead_max */
	STORE_CLOCK_BEHIND = 2,    /* further behind than clock_behind_max */
};

/*
 * Events further ahead or behind their arrival than these are stored as
 * sent, flagged (events.clock). 0: never flagged. Set before the store is
 * used, like the re-open window.
 */
void store_set_clock_limits(struct store *st, int64_t ahead_us, int64_t behind_us);

/* Rows are valid only during the callback. A non-zero return stops the walk. */
struct store_event_row {
	int64_t id;
	const char *agent;
	uint64_t seq;
	int64_t time_us, recv_us;
	const char *source;
	int category, severity;
	const char *rule, *summary, *raw;
	const char *fields_json;   /* a JSON object, already escaped: {"user":"bob"} */
	int clock;                 /* enum store_clock */
};
typedef int (*store_event_fn)(void *arg, const struct store_event_row *row);
int store_query_events(struct store *st, const struct store_event_filter *f, store_event_fn fn,
    void *arg);

/* hostname, os and unit are what the agent claims; agent is its certificate's identity. */
struct store_agent_row {
	const char *agent, *hostname, *unit, *version, *os, *address;
	int64_t first_us, last_us;
	uint64_t last_seq;
	int64_t clock_offset_us;   /* its clock minus ours at its last heartbeat */
	/* schema 6: said goodbye at off_us (0: not since its last Hello) */
	int64_t off_us;
	int off_reason;            /* Vigil__V1__GoodbyeReason; 0 when not off */
	const char *off_detail;
};
typedef int (*store_agent_fn)(void *arg, const struct store_agent_row *row);
int store_query_agents(struct store *st, store_agent_fn fn, void *arg);

struct store_incident_row {
	int64_t id;
	const char *agent, *rule;
	int category, severity;
	const char *status, *title;
	int64_t first_us, last_us;
	int64_t events;
	/* schema 3 */
	const char *assignee, *resolution, *unit, *kind, *dedup_key;
	int64_t opened_us, acked_us, resolved_us;   /* 0: not (yet) */
	/* the units of the machines of a correlation, "a, b"; NULL or "": unit alone */
	const char *units;
};
typedef int (*store_incident_fn)(void *arg, const struct store_incident_row *row);
/* open_only: status is not resolved/false_positive; ordered by severity desc, then age. */
int store_query_incidents(struct store *st, int open_only, store_incident_fn fn, void *arg);
/* One incident, then its linked events oldest first. VIGIL_ERR_NOTFOUND if absent. */
int store_get_incident(struct store *st, int64_t id, store_incident_fn ifn, store_event_fn efn,
    void *arg);

struct store_counts {
	int64_t agents, events, incidents_open;
};
int store_counts(struct store *st, struct store_counts *c);

/* ---- posture and compliance ---- */

/*
 * An agent with its latest posture (has_posture 0: none stored yet, and
 * every posture member is zero). Times in microseconds, 0 unknown; counts -1
 * unknown; tristates as Vigil__V1__Tristate.
 */
struct store_posture_row {
	const char *agent, *hostname, *unit;
	int64_t last_seen_us;
	int has_posture;
	int64_t recv_us;
	const char *av_product, *av_version, *os;
	int av_running, av_realtime, reboot_required;
	int64_t av_signatures_us;
	int updates_pending, security_updates_pending;
	int64_t security_pending_since_us, last_update_us, last_upgrade_us;
	uint64_t usb_policy_blocked;
	uint64_t spool_depth, dropped, lines_truncated, events_rejected, rule_evictions;
	uint64_t uevents_spoofed, uevents_lost;
	const char *audit_policy;    /* Windows: "complete", "incomplete: ...", "unavailable: ..."; "" */
	const char *sensors_unavailable;     /* JSON object: {"eventlog": "why"} */
	const char *sensor_counters;         /* JSON object: {"winevent.values_cut": 3} */
};
typedef int (*store_posture_fn)(void *arg, const struct store_posture_row *row);
/* Every agent (of unit; NULL: of every unit), ordered by unit, then agent. */
int store_query_postures(struct store *st, const char *unit, store_posture_fn fn, void *arg);
/* One agent's row; VIGIL_ERR_NOTFOUND if the agent is unknown. */
int store_get_posture(struct store *st, const char *agent, store_posture_fn fn, void *arg);

/* ---- incidents, audit, escalation ---------------------------------------------- */

/*
 * Events at or above medium join the last incident of their dedup key
 * ("rule:AGENT:RULE"): an open one, or one resolved less than window_us ago,
 * which is re-opened (status new, audit "reopen" by system). 0: never re-open.
 * Set it before the store is used; the writer thread's store needs it.
 */
void store_set_reopen_window(struct store *st, int64_t window_us);

/* The incident queue: open first, by severity (highest first), then age. */
struct store_incident_filter {
	const char *status;    /* NULL or "open": open ones; "all"; or one status name */
	int category;          /* -1: all */
	int min_severity;      /* -1: all */
	const char *unit, *host, *assignee, *kind;   /* NULL: any; host: agent id, hostname, */
	long limit;                                   /* or a correlated machine; 0: no limit */
	/*
	 * issue 16: an event of the incident has field_key = field_value; grep is
	 * in its title or an event's summary or fields; unit (accents folded)
	 * is the incident's or that of any machine of a correlation.
	 */
	const char *field_key, *field_value, *grep;
	int64_t after_id;      /* > 0: only incidents opened after that one */
	/*
	 * --follow (issue 16): > 0, only incidents new or changed (status,
	 * assignee, severity, resolution) after that change, whatever their
	 * status; change_top, when not NULL, gets the latest change before the
	 * rows are read (the next cursor: a change meanwhile is listed twice,
	 * never lost).
	 */
	int64_t after_change;
	int64_t *change_top;
};
int store_query_incident_queue(struct store *st, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg);
/* One incident by id; VIGIL_ERR_NOTFOUND if absent. */
int store_incident_by_id(struct store *st, int64_t id, store_incident_fn fn, void *arg);

/* An audit record to append: the store assigns the id and seals the chain (audit.c). */
struct store_audit_entry {
	int64_t time_us;
	const char *actor;     /* the Unix user, or "system" */
	int64_t incident;      /* 0: none */
	const char *action, *detail;
};

/* The escalation state of one incident, as escalate_state_format() text. */
struct store_esc_state {
	int64_t incident;
	const char *text;
	int insert;            /* 1: a new row (ignored if one exists); 0: update an existing row */
};

/*
 * An operator's (or the system's) action on an incident, all in one
 * transaction: the incident's new facts (only if its status is still
 * old_status: VIGIL_ERR_AGAIN otherwise), a note, the audit record, the
 * escalation state (NULL: unchanged).
 */
struct store_incident_change {
	int64_t id;
	const char *old_status;
	const char *status, *resolution, *assignee;
	int64_t opened_us, acked_us, resolved_us;
	const char *note;                      /* NULL: none */
	struct store_audit_entry audit;
	const struct store_esc_state *esc;     /* NULL: unchanged */
};
int store_incident_change(struct store *st, const struct store_incident_change *ch);

/*
 * A collector-made incident (correlation, agent silent): joins the open
 * incident of dedup_key, re-opens one resolved within the re-open window, or
 * opens one; links the machines and the events given by (agent, seq).
 */
struct store_made_incident {
	const char *kind;              /* "correlation", "agent_silent" or "collector" */
	const char *dedup_key, *agent, *rule, *title;
	int category, severity;
	int64_t time_us, now_us;
	const char *const *agents;
	size_t nagents;
	const char *const *ev_agents;  /* events to link, by (agent, seq) */
	const uint64_t *ev_seqs;
	size_t nevents;
	int64_t id;                    /* out */
	int opened;                    /* out: 1 opened or re-opened */
};
int store_incident_make(struct store *st, struct store_made_incident *mi);

/*
 * Group the main thread's incident writes into one transaction (one fsync):
 * between these two calls each store_incident_make() and the like is a
 * savepoint of it, undone alone on failure. store_outer_end() commits.
 */
int store_outer_begin(struct store *st);
int store_outer_end(struct store *st);

/* The machines linked to an incident (correlation), one call each. */
typedef int (*store_name_fn)(void *arg, const char *name);
int store_incident_agents(struct store *st, int64_t id, store_name_fn fn, void *arg);

/* A notification in the outbox: one message to one contact through one channel. */
struct store_outbox_row {
	int64_t id;                    /* assigned by store_escalation_save() */
	int64_t incident_id;           /* the first incident listed */
	int64_t created_us, due_us;
	const char *route, *contact, *contact_name, *language, *channel, *target, *group_key;
	int level, repeat, manual;
	const int64_t *ids;            /* every incident it is about */
	size_t nids;
	int64_t more;
	/* read back */
	const char *status;            /* "pending", "sent", "failed" */
	int attempts;
	int64_t next_us, done_us;
};

/*
 * One escalation step, in one transaction: the states, the new outbox rows
 * (their ids written back into rows[].id) and the audit records.
 */
int store_escalation_save(struct store *st, const struct store_esc_state *states, size_t nstates,
    struct store_outbox_row *rows, size_t nrows, const struct store_audit_entry *audit,
    size_t naudit);

/* The saved states of open incidents; and open incidents that have none yet. */
typedef int (*store_esc_fn)(void *arg, const struct store_incident_row *inc, const char *text);
int store_escalation_states(struct store *st, store_esc_fn fn, void *arg);
int store_escalation_missing(struct store *st, store_incident_fn fn, void *arg);

typedef int (*store_outbox_fn)(void *arg, const struct store_outbox_row *row);
/* Outbox rows not yet sent or given up, oldest first (ids not filled). */
int store_outbox_pending(struct store *st, store_outbox_fn fn, void *arg);

/* One delivery attempt of an outbox row, and the row's new state, in one transaction. */
struct store_attempt {
	int64_t outbox_id;
	int attempt;
	int64_t started_us, finished_us;
	int ok, final;
	const char *failure, *error;
	long code;
	int64_t next_us;
};
int store_outbox_attempt(struct store *st, const struct store_attempt *a);

/* The timeline of incident show: notifications (each followed by its attempts), actions. */
typedef int (*store_attempt_fn)(void *arg, const struct store_attempt *a);
int store_incident_notifications(struct store *st, int64_t id, store_outbox_fn ofn,
    store_attempt_fn afn, void *arg);

struct audit_record;
typedef int (*store_audit_fn)(void *arg, const struct audit_record *r);
/* Audit records in id order: of one incident, or all of them (incident 0). */
int store_audit_walk(struct store *st, int64_t incident, store_audit_fn fn, void *arg);
/* Append one audit record in its own transaction. */
int store_audit_append(struct store *st, const struct store_audit_entry *e);

#endif
