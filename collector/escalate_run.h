/*
 * The escalation runtime: the thin shell around escalate.h (the engine) and
 * notify.h (the notifiers) on the collector's event loop.
 *
 * - The states of the open incidents live in memory and in the store
 *   (escalation_state, as escalate_state_format() text).
 * - One libevent timer fires at the engine's wake_us. escalate_due() says
 *   what is due; the changed states, one outbox row per notification and an
 *   audit record per step are saved in one transaction; only then is each row
 *   handed to notify_send() with its outbox id as the tag. Every attempt is
 *   recorded (notify_attempts) and the row marked sent or failed.
 * - At start the states and every unfinished outbox row are read back: a row
 *   goes on with the attempts it recorded, a step already saved is not due
 *   again. An attempt in flight when the collector died was not recorded and
 *   is made again: at least once, as notify.h says.
 * - New and re-opened incidents get their state from escalate_run_reconcile()
 *   (open incidents that have none), so one that was opened just before a
 *   crash still gets its climb after the restart.
 */
#ifndef VIGIL_ESCALATE_RUN_H
#define VIGIL_ESCALATE_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct collector;
struct conf;
struct escalate_conf;
struct escalate_contact;
struct escalate_state;
struct notify_conf;
struct store_outbox_row;

/*
 * Read the escalation file the configuration names into *out (NULL when it
 * names none). 0, or VIGIL_ERR_CONFIG / VIGIL_ERR_SYS / VIGIL_ERR_NOMEM with
 * "file:line: message" in err.
 */
int escalate_run_load(const struct conf *conf, struct escalate_conf **out, char *err,
    size_t errlen);
/* notify.h's settings from the [notify] section. */
void escalate_run_notify_conf(const struct conf *conf, struct notify_conf *nc);

/*
 * Start the runtime with ec (taken; may be NULL: escalation off, nothing is
 * notified): the notifiers, the states and outbox from the store, the timer.
 * Call after the privilege drop. 0 or a negative vigil_err with a sentence.
 */
int escalate_run_open(struct collector *c, struct escalate_conf *ec, char *err, size_t errlen);
/* Drop pending retries (the outbox keeps them), free everything. */
void escalate_run_free(struct collector *c);

/* The contacts, chains and routes loaded; NULL when none (ack_reply.c reads contacts). */
const struct escalate_conf *escalate_run_conf(const struct collector *c);

/*
 * Hand one saved outbox row to the notifiers now, past the noise budget
 * (escalate_notify.c: an operator asked for it). Its id must be set.
 */
void escalate_run_send(struct collector *c, const struct store_outbox_row *o);

/* 1 when an escalation file is loaded. */
int escalate_run_enabled(const struct collector *c);

/* Give every open incident without a state its plan (escalate_start), save, tick;
 * returns how many new plans were made. */
size_t escalate_run_reconcile(struct collector *c);

/* What an operator's action does to the escalation state of an incident. */
enum escalate_run_change {
	ESC_RT_NONE = 0,       /* nothing to save */
	ESC_RT_SAVE,           /* *st is the new state */
	ESC_RT_DELETE,         /* the row goes (closed; or re-opened: reconcile starts it anew) */
};

/*
 * The state incident id would have after an action with INCIDENT_EFFECT_*
 * effects at now_us (level for a manual escalation), into *st, without
 * changing anything. Returns an enum escalate_run_change, or
 * VIGIL_ERR_RANGE (with a sentence in err) for an escalation to a level no
 * chain of the incident has.
 */
int escalate_run_after(struct collector *c, int64_t id, unsigned effects, int level,
    int64_t now_us, struct escalate_state *st, char *err, size_t errlen);
/* The change was saved: take it in memory and re-plan the timer. */
void escalate_run_applied(struct collector *c, int64_t id, int change,
    const struct escalate_state *st);

/*
 * Who a manual escalation of incident id to level notifies (after the
 * action was applied): escalate_level_contacts() on its state. Returns how
 * many; 0 when escalation is off or the incident has no climb.
 */
size_t escalate_run_who(struct collector *c, int64_t id, int level,
    void (*fn)(void *arg, const char *route, const struct escalate_contact *p), void *arg);

/* The incident as the escalation matches it; strings point into r. */
struct store_incident_row;
struct escalate_incident;
void escalate_run_incident(const struct store_incident_row *r, struct escalate_incident *inc);

/*
 * The reports incident r owes by the routes it matches (a route's
 * reportable key): route[i] (a label of the configuration) asks for
 * kinds[i] (1 << DL_NOTICE ...). Returns how many routes ask for any, at
 * most ESC_TRACKS_MAX; 0 when escalation is off.
 */
size_t escalate_run_reportable(struct collector *c, const struct store_incident_row *r,
    const char **route, unsigned *kinds);

/*
 * escalate_explain() for a made-up incident (unit, host and rule may be
 * NULL): who would be told, when, through which channel. Sends nothing.
 */
int escalate_run_explain(struct collector *c, int category, int severity, const char *unit,
    const char *host, const char *rule, FILE *fp);

#endif
