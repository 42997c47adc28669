/*
 * The store's front: the one place that knows which backends exist. Every
 * public store_*() call goes through the operations table of the backend
 * that opened the store (store_int.h, struct store_ops), so the rest of the
 * collector never names a backend and another database is one more file and
 * one line in backends[] below. SQLite is the only backend today.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "store_int.h"

static const struct store_backend *const backends[] = {
	&store_sqlite_backend,
};

const char *
store_default_backend(void)
{
	return backends[0]->name;
}

struct store *
store_open_backend(const char *backend, const char *path, char *err, size_t errlen)
{
	for (size_t i = 0; i < NITEMS(backends); i++) {
		if (strcmp(backends[i]->name, backend) == 0)
			return backends[i]->open(path, err, errlen);
	}
	err_fmt(err, errlen, VIGIL_ERR_NOTFOUND, "No store backend is called \"%s\".", backend);
	return NULL;
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	return store_open_backend(store_default_backend(), path, err, errlen);
}

void
store_free(struct store *st)
{
	if (st != NULL)
		st->ops->free(st);
}

int
store_schema_version(struct store *st)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->schema_version(st);
}

int
store_agent_hello(struct store *st, const char *agent, const Vigil__V1__Hello *hello,
    const char *address, int64_t now_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->agent_hello(st, agent, hello, address,
	    now_us);
}

int
store_agent_seen(struct store *st, const char *agent, int64_t now_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->agent_seen(st, agent, now_us);
}

int
store_agent_last_seq(struct store *st, const char *agent, uint64_t *seq)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->agent_last_seq(st, agent, seq);
}

int
store_commit(struct store *st, struct store_batch *b, size_t n)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->commit(st, b, n);
}

/* The connection itself, for a module's own statements (store_ack.c); NULL for another backend. */
sqlite3 *
store_sqlite(struct store *st)
{
	return st != NULL && st->ops == &sq_ops ? sq_of(st)->db : NULL;
}

const char *
store_errmsg(struct store *st)
{
	return st == NULL ? "no store" : st->ops->errmsg(st);
}

void
store_set_clock_limits(struct store *st, int64_t ahead_us, int64_t behind_us)
{
	if (st != NULL)
		st->ops->set_clock_limits(st, ahead_us, behind_us);
}

int
store_query_events(struct store *st, const struct store_event_filter *f, store_event_fn fn,
    void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->query_events(st, f, fn, arg);
}

int
store_query_agents(struct store *st, store_agent_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->query_agents(st, fn, arg);
}

int
store_query_incidents(struct store *st, int open_only, store_incident_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->query_incidents(st, open_only, fn, arg);
}

int
store_get_incident(struct store *st, int64_t id, store_incident_fn ifn, store_event_fn efn,
    void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->get_incident(st, id, ifn, efn, arg);
}

int
store_counts(struct store *st, struct store_counts *c)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->counts(st, c);
}

int
store_query_postures(struct store *st, const char *unit, store_posture_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->query_postures(st, unit, fn, arg);
}

int
store_get_posture(struct store *st, const char *agent, store_posture_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->get_posture(st, agent, fn, arg);
}

void
store_set_reopen_window(struct store *st, int64_t window_us)
{
	if (st != NULL)
		st->ops->set_reopen_window(st, window_us);
}

int
store_query_incident_queue(struct store *st, const struct store_incident_filter *f,
    store_incident_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->query_incident_queue(st, f, fn, arg);
}

int
store_incident_by_id(struct store *st, int64_t id, store_incident_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->incident_by_id(st, id, fn, arg);
}

int
store_incident_change(struct store *st, const struct store_incident_change *ch)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->incident_change(st, ch);
}

int
store_incident_make(struct store *st, struct store_made_incident *mi)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->incident_make(st, mi);
}

int
store_outer_begin(struct store *st)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->outer_begin(st);
}

int
store_outer_end(struct store *st)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->outer_end(st);
}

int
store_incident_agents(struct store *st, int64_t id, store_name_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->incident_agents(st, id, fn, arg);
}

int
store_escalation_save(struct store *st, const struct store_esc_state *states, size_t nstates,
    struct store_outbox_row *rows, size_t nrows, const struct store_audit_entry *audit,
    size_t naudit)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->escalation_save(st, states, nstates, rows,
	    nrows, audit, naudit);
}

int
store_escalation_states(struct store *st, store_esc_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->escalation_states(st, fn, arg);
}

int
store_escalation_missing(struct store *st, store_incident_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->escalation_missing(st, fn, arg);
}

int
store_outbox_pending(struct store *st, store_outbox_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->outbox_pending(st, fn, arg);
}

int
store_outbox_attempt(struct store *st, const struct store_attempt *a)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->outbox_attempt(st, a);
}

int
store_incident_notifications(struct store *st, int64_t id, store_outbox_fn ofn,
    store_attempt_fn afn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->incident_notifications(st, id, ofn, afn,
	    arg);
}

int
store_audit_walk(struct store *st, int64_t incident, store_audit_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->audit_walk(st, incident, fn, arg);
}

int
store_audit_append(struct store *st, const struct store_audit_entry *e)
{
	return st == NULL ? VIGIL_ERR_INVAL : st->ops->audit_append(st, e);
}
