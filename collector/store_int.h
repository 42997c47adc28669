/*
 * The store module's private header: what its files share and nothing else
 * of the collector sees. store.h is the module's only public header.
 *
 * Two layers. The backend interface (struct store_ops, struct store_backend)
 * is what store.c dispatches through: every public store_*() call goes to the
 * operations of the backend that opened the store, so another database is one
 * more file and one line in store.c's backend table. Below it, the SQLite
 * backend's own state and the helpers its files share:
 *
 *   store_sqlite.c    the backend's operations table, statement helpers,
 *                     transactions
 *   store_schema.c    schema, migrations, every statement's SQL, open/close
 *   store_commit.c    the writer thread's group commit (events, Hello, seen)
 *   store_query.c     event, agent and incident queries (vigilctl, engines)
 *   store_incident.c  incident changes, made incidents, escalation, outbox
 *   store_posture.c   posture snapshots and the compliance queries
 *   store_audit.c     the hash-chained audit log
 *   store_report.c    report fields and deadlines (issue 17), front and SQL
 */
#ifndef VIGIL_STORE_INT_H
#define VIGIL_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "vigil/buf.h"

#include "store.h"
#include "store_report.h"
#include "store_enroll.h"

/* ---- the backend interface -------------------------------------------------- */

/* Enrolment and identities (store_enroll.h): one table of their own per backend. */
struct store_enroll_ops {
	int (*init)(struct store *st);
	int (*unit_ensure)(struct store *st, const char *name, int64_t now_us, int64_t *id);
	int (*unit_name)(struct store *st, int64_t id, char *name, size_t cap);
	int (*token_add)(struct store *st, const char *hash, int64_t unit_id, int64_t uses_max,
	    int64_t now_us, int64_t expires_us, const char *actor, int64_t *id);
	int (*token_list)(struct store *st, store_token_fn fn, void *arg);
	int (*token_cancel)(struct store *st, int64_t id, int64_t now_us);
	int (*token_use)(struct store *st, const char *hash, int64_t now_us,
	    enum store_token_state *state, int64_t *id, int64_t *unit_id);
	int (*token_unuse)(struct store *st, int64_t id);
	int (*identity_add)(struct store *st, const char *agent, int64_t unit_id,
	    int64_t token_id, const char *hostname, const char *machine_id,
	    int64_t not_after_us, int64_t now_us);
	int (*identity_renewed)(struct store *st, const char *agent, int64_t not_after_us);
	int (*identity_not_after)(struct store *st, const char *agent, int64_t *not_after_us);
	int (*agent_bar)(struct store *st, const char *agent, const char *reason, int64_t now_us);
	int (*agent_barred)(struct store *st, const char *agent, char *why, size_t whylen);
	int (*agent_known)(struct store *st, const char *agent);
	int (*inventory_set)(struct store *st, int64_t unit_id, int64_t count, int64_t now_us);
	int (*inventory_pc)(struct store *st, int64_t unit_id, const char *name, const char *mac,
	    int first, int64_t now_us);
	int (*inventory_get)(struct store *st, const char *unit, int64_t *declared, int *listed);
	int (*inventory_pcs)(struct store *st, const char *unit, store_pc_fn fn, void *arg);
	int (*backup)(struct store *st, const char *path, int64_t *bytes, char *err,
	    size_t errlen);
	int (*agent_unit)(struct store *st, const char *agent, int64_t now_us, int64_t *unit_id);
	int (*unknown_hosts)(struct store *st, const char *unit, store_unknown_host_fn fn,
	    void *arg);
	int (*mac_ignore)(struct store *st, const char *mac, const char *note, const char *actor,
	    int64_t now_us, int undo);
	int (*mac_ignored)(struct store *st, store_mac_ignored_fn fn, void *arg);
};
extern const struct store_enroll_ops sq_enroll_ops;

/* One backend's operations: each public store_X() calls ops->X. */
struct store_ops {
	const struct store_enroll_ops *enroll;   /* store_enroll.h */
	void (*free)(struct store *st);
	int (*schema_version)(struct store *st);
	int (*agent_hello)(struct store *st, const char *agent, const Vigil__V1__Hello *hello,
	    const char *address, int64_t now_us);
	int (*agent_seen)(struct store *st, const char *agent, int64_t now_us);
	int (*agent_last_seq)(struct store *st, const char *agent, uint64_t *seq);
	int (*commit)(struct store *st, struct store_batch *b, size_t n);
	const char * (*errmsg)(struct store *st);
	void (*set_clock_limits)(struct store *st, int64_t ahead_us, int64_t behind_us);
	int (*query_events)(struct store *st, const struct store_event_filter *f,
	    store_event_fn fn, void *arg);
	int (*query_agents)(struct store *st, store_agent_fn fn, void *arg);
	int (*query_incidents)(struct store *st, int open_only, store_incident_fn fn, void *arg);
	int (*get_incident)(struct store *st, int64_t id, store_incident_fn ifn,
	    store_event_fn efn, void *arg);
	int (*counts)(struct store *st, struct store_counts *c);
	int (*query_postures)(struct store *st, const char *unit, store_posture_fn fn, void *arg);
	int (*get_posture)(struct store *st, const char *agent, store_posture_fn fn, void *arg);
	void (*set_reopen_window)(struct store *st, int64_t window_us);
	int (*query_incident_queue)(struct store *st, const struct store_incident_filter *f,
	    store_incident_fn fn, void *arg);
	int (*incident_by_id)(struct store *st, int64_t id, store_incident_fn fn, void *arg);
	int (*incident_change)(struct store *st, const struct store_incident_change *ch);
	int (*incident_make)(struct store *st, struct store_made_incident *mi);
	int (*outer_begin)(struct store *st);
	int (*outer_end)(struct store *st);
	int (*incident_agents)(struct store *st, int64_t id, store_name_fn fn, void *arg);
	int (*escalation_save)(struct store *st, const struct store_esc_state *states,
	    size_t nstates, struct store_outbox_row *rows, size_t nrows,
	    const struct store_audit_entry *audit, size_t naudit);
	int (*escalation_states)(struct store *st, store_esc_fn fn, void *arg);
	int (*escalation_missing)(struct store *st, store_incident_fn fn, void *arg);
	int (*outbox_pending)(struct store *st, store_outbox_fn fn, void *arg);
	int (*outbox_attempt)(struct store *st, const struct store_attempt *a);
	int (*incident_notifications)(struct store *st, int64_t id, store_outbox_fn ofn,
	    store_attempt_fn afn, void *arg);
	int (*audit_walk)(struct store *st, int64_t incident, store_audit_fn fn, void *arg);
	int (*audit_append)(struct store *st, const struct store_audit_entry *e);
	const struct store_report_ops *report;   /* reports: store_report.h */
};

/* The report operations (store_report.h), each as its public store_*() call. */
struct store_report_ops {
	int (*field_set)(struct store *st, int64_t incident, const char *name,
	    const char *value, const struct store_audit_entry *audit);
	int (*fields)(struct store *st, int64_t incident, store_rfield_fn fn, void *arg);
	int (*deadline_add)(struct store *st, const struct store_deadline_row *rows, size_t n,
	    const struct store_audit_entry *audit, const char *const *details, size_t *added);
	int (*deadline_submit)(struct store *st, int64_t incident, const char *kind,
	    int64_t when_us, const char *by, const char *to, const char *reference,
	    const struct store_audit_entry *audit);
	int (*deadline_stage)(struct store *st, int64_t incident, const char *kind, int stage,
	    const struct store_audit_entry *audit);
	int (*deadlines)(struct store *st, int64_t incident, int pending_only,
	    store_deadline_fn fn, void *arg);
	int (*posture_history)(struct store *st, int64_t until_us, store_hist_fn fn, void *arg);
	int (*mailed_set)(struct store *st, const char *period, const char *unit,
	    int64_t now_us, int *already);
	int (*mailed)(struct store *st, const char *period, const char *unit, int *mailed);
};
extern const struct store_report_ops sq_report_ops;

/* Every backend's store begins with this; store.c reaches the operations through it. */
struct store {
	const struct store_ops *ops;
};

/* A backend, found by name (store_open_backend()). */
struct store_backend {
	const char *name;
	struct store *(*open)(const char *path, char *err, size_t errlen);
};

extern const struct store_backend store_sqlite_backend;

/* ---- the SQLite backend --------------------------------------------------------- */

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The statements prepared at open (store_schema.c holds their SQL). */
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
	/* the network report (store_neigh.c) */
	ST_MAC_CLEAR,
	ST_MAC_ADD,
	ST_NEIGH_UPSERT,
	ST_NEIGH_PRUNE,
	/* posture and compliance */
	ST_POSTURE_HISTORY,
	ST_POSTURE_UPSERT,
	ST_QUERY_POSTURES,
	ST_GET_POSTURE,
	ST_COUNT
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
	IST_CHANGE_TOP,
	IST_COUNT
};

struct sqlstore {
	struct store base;     /* first: a struct store * is a struct sqlstore * */
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *ist[IST_COUNT];      /* incidents, audit, escalation */
	int64_t reopen_window_us;
	int64_t clock_ahead_us, clock_behind_us;   /* 0: no flag */
	int sqlite_rc;         /* SQLite's code for the last failure */
	int version;
	struct buf json;       /* scratch for one event's fields as JSON, reused */
	char errmsg[256];      /* SQLite's sentence for the last failure */
	int outer;             /* store_outer_begin(): transactions nest as savepoints */
};

extern const struct store_ops sq_ops;

static inline struct sqlstore *
sq_of(struct store *st)
{
	return (struct sqlstore *)st;
}

/* store_sqlite.c: statement helpers and transactions */
void sq_stmt_done(sqlite3_stmt *s);
void sq_note_error(struct sqlstore *st);
int sq_stmt_run(sqlite3_stmt *s);
int sq_hot_run(struct sqlstore *st, sqlite3_stmt *s);
int sq_bind_text(sqlite3_stmt *s, int i, const char *v);
const char *sq_col_text(sqlite3_stmt *s, int i);
int sq_inc_run(struct sqlstore *st, sqlite3_stmt *s);
int sq_exec_fixed(struct sqlstore *st, const char *sql);
int sq_txn_begin(struct sqlstore *st);
int sq_txn_end(struct sqlstore *st, int rc);

/* Hands on the current row of a statement; a non-zero value stops the walk. */
typedef int (*row_fn)(sqlite3_stmt *s, void *ctx);

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

/* store_schema.c */
int sq_inc_prepare(struct sqlstore *st, char *err, size_t errlen);

/* store_query.c: rows shared by the query files */
int sq_walk_rows(sqlite3_stmt *s, row_fn fn, void *ctx);
int sq_one_row(sqlite3_stmt *s, row_fn fn, void *ctx);
void sq_incident_row(sqlite3_stmt *s, struct store_incident_row *r);
int sq_bind_folded(sqlite3_stmt *s, int idx, const char *text);
int sq_event_step(sqlite3_stmt *s, void *ctx);
int sq_walk_events(sqlite3_stmt *s, store_event_fn fn, void *arg);
int sq_incident_step(sqlite3_stmt *s, void *ctx);
int sq_walk_incidents(sqlite3_stmt *s, store_incident_fn fn, void *arg);
int sq_one_incident(sqlite3_stmt *s, store_incident_fn fn, void *arg);

/* store_commit.c */
int sq_commit_seen(struct sqlstore *st, const struct store_batch *b);
int sq_clock_of(const struct sqlstore *st, int64_t time_us, int64_t recv_us);

/* store_posture.c */
int sq_commit_posture(struct sqlstore *st, const struct store_batch *b);
/* store_neigh.c: an agent's network report, in the writer's commit. */
int sq_commit_network(struct sqlstore *st, const char *agent,
    const Vigil__V1__NetworkReport *n, int64_t now_us);

/* store_incident.c */
int sq_reopen_in_txn(struct sqlstore *st, int64_t id, int64_t now_us);

/* store_audit.c */
int sq_audit_append(struct sqlstore *st, const struct store_audit_entry *e);

/* The operations, in the file of their concern. */
const char *sq_errmsg(struct store *base);
void sq_set_clock_limits(struct store *base, int64_t ahead_us, int64_t behind_us);
void sq_set_reopen_window(struct store *base, int64_t window_us);
int sq_outer_begin(struct store *base);
int sq_outer_end(struct store *base);
void sq_free(struct store *base);
int sq_schema_version(struct store *base);
struct store *sq_open(const char *path, char *err, size_t errlen);
int sq_agent_hello(struct store *base, const char *agent, const Vigil__V1__Hello *hello,
    const char *address, int64_t now_us);
int sq_agent_seen(struct store *base, const char *agent, int64_t now_us);
int sq_agent_last_seq(struct store *base, const char *agent, uint64_t *seq);
int sq_commit(struct store *base, struct store_batch *b, size_t n);
int sq_query_events(struct store *base, const struct store_event_filter *f, store_event_fn fn,
    void *arg);
int sq_query_agents(struct store *base, store_agent_fn fn, void *arg);
int sq_query_incidents(struct store *base, int open_only, store_incident_fn fn, void *arg);
int sq_get_incident(struct store *base, int64_t id, store_incident_fn ifn, store_event_fn efn,
    void *arg);
int sq_counts(struct store *base, struct store_counts *c);
int sq_query_incident_queue(struct store *base, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg);
int sq_incident_by_id(struct store *base, int64_t id, store_incident_fn fn, void *arg);
int sq_incident_agents(struct store *base, int64_t id, store_name_fn fn, void *arg);
int sq_incident_change(struct store *base, const struct store_incident_change *ch);
int sq_incident_make(struct store *base, struct store_made_incident *mi);
int sq_escalation_save(struct store *base, const struct store_esc_state *states, size_t nstates,
    struct store_outbox_row *rows, size_t nrows, const struct store_audit_entry *audit,
    size_t naudit);
int sq_escalation_states(struct store *base, store_esc_fn fn, void *arg);
int sq_escalation_missing(struct store *base, store_incident_fn fn, void *arg);
int sq_outbox_pending(struct store *base, store_outbox_fn fn, void *arg);
int sq_outbox_attempt(struct store *base, const struct store_attempt *a);
int sq_incident_notifications(struct store *base, int64_t id, store_outbox_fn ofn,
    store_attempt_fn afn, void *arg);
int sq_query_postures(struct store *base, const char *unit, store_posture_fn fn, void *arg);
int sq_get_posture(struct store *base, const char *agent, store_posture_fn fn, void *arg);
int sq_audit_walk(struct store *base, int64_t incident, store_audit_fn fn, void *arg);
int sq_audit_record(struct store *base, const struct store_audit_entry *e);

#endif
