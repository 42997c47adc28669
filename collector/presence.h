/*
 * Is a machine on, off or silent? (DESIGN §5, "Off, not silent".)
 *
 * A pure core: the facts the store and the session table hold, the time and
 * the silence window are arguments. The silence check (incident_silence.c),
 * `vigilctl agents` and `status` (control_status.c) all ask here, so they agree.
 *
 *   on      its agent is connected, or was heard within the silence window
 *   off     its agent said goodbye (stopped, shutdown, suspend) and has not
 *           said hello since: switched off on purpose, not an incident
 *   silent  neither: nothing heard for longer than the window, no goodbye
 *           (killed, crashed, cable pulled, power cut)
 *
 * A goodbye that promised a restart is off only for the window: an agent
 * that said "restart" and did not come back is silent since its goodbye.
 */
#ifndef VIGIL_PRESENCE_H
#define VIGIL_PRESENCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

enum presence {
	PRESENCE_ON = 0,
	PRESENCE_OFF,
	PRESENCE_SILENT,
};

struct presence_facts {
	int connected;                 /* a live session past Hello */
	int64_t last_seen_us;          /* last word of any kind; 0: never */
	int64_t off_us;                /* its goodbye; 0: none since its last Hello */
	int off_reason;                /* Vigil__V1__GoodbyeReason of that goodbye */
};

/*
 * The machine's presence at now_us; *since_us (may be NULL) gets when it
 * became so (off: the goodbye; silent: the last word; on: 0, unknown).
 */
enum presence presence_of(const struct presence_facts *f, int64_t now_us,
    int64_t silent_after_us, int64_t *since_us);

/* "on", "off", "silent". */
const char *presence_name(enum presence p);

/*
 * The roster: which agents are connected now, state the session layer
 * publishes so that what it feeds (incidents) and the control socket read it
 * without calling back into session.c (DESIGN, "Flow one way"). A session
 * past Hello lists its entry and unlists it when it leaves that state; it
 * moves seen_us on every frame. The entries are the sessions' own memory:
 * the roster only links them, so listing costs no allocation.
 */
struct roster_entry {
	TAILQ_ENTRY(roster_entry) link;
	const char *agent;             /* the session's certificate identity */
	int64_t seen_us;               /* its last frame */
	int listed;
};

struct roster {
	TAILQ_HEAD(, roster_entry) head;
	size_t n;
};

void roster_init(struct roster *r);
void roster_list(struct roster *r, struct roster_entry *e);     /* listed twice: no-op */
void roster_unlist(struct roster *r, struct roster_entry *e);   /* not listed: no-op */
/* The entry of agent (the one listed first when two sessions claim it), or NULL. */
const struct roster_entry *roster_find(const struct roster *r, const char *agent);
size_t roster_count(const struct roster *r);
/* 1 if agent is listed (*seen_us, may be NULL: its last frame), else 0. */
int roster_connected(const struct roster *r, const char *agent, int64_t *seen_us);

#endif
