/*
 * The incident engine's private header: what its files share.
 *
 *   incident.c          the shell: init, the session's hook, incidents from
 *                       correlation, operator actions, the store's own alarm
 *   incident_corr.c     pure: correlation across machines (bounded, LRU)
 *   incident_silence.c  agents that stopped reporting: the pure grouping and
 *                       the timer that opens, updates and closes those incidents
 *   incident_fsm.c      pure: the state machine of an incident
 */
#ifndef VIGIL_INCIDENT_INT_H
#define VIGIL_INCIDENT_INT_H

#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "collector.h"
#include "incident.h"
#include "pace.h"

#define CORR_HASH 1024                   /* buckets; power of two */
#define SILENT_HEARTBEATS 3              /* heartbeats missed before an agent is silent */
#define INCIDENT_TITLE_MAX 512
/*
 * A key that fired is written after the commit, and again as machines join at
 * most this often: a distributed attack makes every key fire for each machine
 * that joins, and one write per firing stalled the collector (make bench).
 */
#define CORR_REWRITE_US 5000000

/*
 * Room for one more of n elements of size in v, which holds *cap: v itself,
 * the array moved to twice the room (first when empty), or NULL without
 * memory (v is left as it was).
 */
static inline void *
grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return v;
	if ((p = realloc(v, c * size)) != NULL)
		*cap = c;
	return p;
}

struct corr_member {
	char agent[INCIDENT_AGENT_MAX];
	int64_t first_us, last_us;
	uint64_t seqs[INCIDENT_CORR_SEQS];   /* the newest events, to link */
	size_t nseqs;
	int handed;                          /* incident_corr_hit_of() gave this machine out */
	uint64_t handed_seq;                 /* ... and its events up to this seq */
};

struct corr_key {
	struct corr_key *hnext;
	enum incident_corr_kind kind;
	char key[INCIDENT_KEY_MAX];
	uint32_t hash;
	struct corr_member *m;
	size_t n, cap;
	int fired;                           /* past the threshold since it was last below */
	int64_t last_us;
	int dirty;                           /* fired since it was last written (the shell) */
	int64_t written_us;                  /* when the shell last wrote it; 0: never */
	struct corr_key *lprev, *lnext;      /* least recently touched first */
};

struct incident_corr {
	struct incident_corr_conf conf;
	struct corr_key *hash[CORR_HASH];
	size_t n;
	struct corr_key *lhead, *ltail;      /* eviction order, O(1) */
};

/* ---- the shell ---- */

struct incidents {
	struct collector *c;
	struct incident_corr *corr;
	struct event *silence_ev;
	struct event *reconcile_ev;
	int reconcile_armed;
	struct pace pace;                    /* at once at idle, a timer in floods (pace.h) */
	struct incident_corr_hit hit;        /* scratch: large */
	int ndirty;                          /* keys marked dirty */
};

/* incident_corr.c */
struct corr_key *corr_find(struct incident_corr *c, enum incident_corr_kind kind, const char *key);

/* incident_silence.c */
void silence_check(evutil_socket_t fd, short what, void *arg);

/* incident.c */
void reconcile_soon(struct collector *c);
void corr_flush(struct collector *c, int force);

/* incident_clone.c: one identity on two machines (issue 15) */
void incident_clone(struct collector *c, const char *agent, const char *facts, int64_t now_us);

#endif
