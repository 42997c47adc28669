/*
 * The collector's store: SQLite in WAL mode with synchronous=FULL, versioned
 * migrations, prepared statements only. All SQL of the collector lives in
 * store.c.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil.pb-c.h"

struct store;

/* Open or create the database and bring its schema to the current version. */
struct store *store_open(const char *path, char *err, size_t errlen);
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
};

struct store_batch {
	enum store_item_kind kind;
	const char *agent;
	const Vigil__V1__EventBatch *batch;
	const Vigil__V1__Hello *hello;
	const char *address;
	int64_t recv_us;
	uint64_t up_to;        /* out: highest seq of the batch, now stored */
	size_t inserted;       /* out: new events (the rest were duplicates) */
};

/*
 * Store every item in one transaction: each event once per (agent, seq)
 * (a duplicate is ignored, not an error); events at severity >= medium open
 * or update the open incident for (agent, rule); agents.last_seq moves up;
 * Hello and last-seen items update the agents table. Returns 0 only after
 * COMMIT is durable; on error everything is rolled back, nothing may be
 * acknowledged, and store_errmsg() says why.
 *
 * Not thread-safe: one struct store belongs to one thread at a time. The
 * collector gives its writer thread a store of its own.
 */
int store_commit(struct store *st, struct store_batch *b, size_t n);

/* SQLite's sentence for the last failed store_commit() ("database or disk is full"). */
const char *store_errmsg(struct store *st);

/* ---- queries (vigilctl) --------------------------------------------------- */

struct store_event_filter {
	int64_t since_us;      /* 0: no lower bound */
	int64_t until_us;      /* 0: no upper bound */
	const char *agent;     /* NULL: all */
	int category;          /* -1: all */
	int min_severity;      /* -1: all */
	long limit;            /* the newest `limit` rows, printed oldest first */
};

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
};
typedef int (*store_event_fn)(void *arg, const struct store_event_row *row);
int store_query_events(struct store *st, const struct store_event_filter *f, store_event_fn fn,
    void *arg);

struct store_agent_row {
	const char *agent, *hostname, *unit, *version, *os, *address;
	int64_t first_us, last_us;
	uint64_t last_seq;
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

#endif
