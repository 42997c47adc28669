/*
 * The incident engine around the store: correlation across machines, agents
 * that stopped reporting, and operator actions.
 *
 * The pure core (incident_corr_*, incident_silence_*) takes events and times as
 * arguments; the shell (incident_init() and the rest) runs on the main
 * thread:
 *
 * - After each group commit, the session's hook (incident_hook(), set
 *   by main.c) hands every stored batch to incident_observe(). The same source address failing logins on
 *   correlate_hosts machines within correlate_window, the same USB serial on
 *   two machines, malware on two machines: each makes (or extends) one
 *   incident of kind "correlation" that links the machines and their events.
 * - A timer, once per heartbeat interval, decides every machine's presence
 *   (presence.h): machines that said goodbye are off, not an incident;
 *   machines silent for more than 3 heartbeats without a goodbye make one
 *   low-severity incident per unit, linking them, which the system resolves
 *   (the record kept) once none of them is silent.
 * - When the store cannot write for store_alarm_after (a full disk), the
 *   collector opens an incident about itself (session_commit.c says when).
 * - incident_act() is an operator's action: incident_fsm decides, then the
 *   incident, its note, its audit record and its escalation state change in
 *   one transaction.
 *
 * Why the main thread writes on its own connection instead of through the
 * group commit: see incident.c.
 */
#ifndef VIGIL_INCIDENT_H
#define VIGIL_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil.pb-c.h"
#include "incident_fsm.h"

struct collector;
struct session_news;

/* ---- pure: correlation ---------------------------------------------------------- */

#define INCIDENT_KEY_MAX 256           /* a correlation key with its NUL */
#define INCIDENT_AGENT_MAX 128         /* an agent id with its NUL */
#define INCIDENT_CORR_KEYS_MAX 1024    /* keys followed at once; the stalest goes first */
#define INCIDENT_CORR_AGENTS_MAX 64    /* machines followed per key */
#define INCIDENT_CORR_SEQS 4           /* events kept per machine, to link */

enum incident_corr_kind {
	INCIDENT_CORR_SRC_IP = 0,      /* failed logins from one source address */
	INCIDENT_CORR_USB_SERIAL,      /* one USB device (serial) */
	INCIDENT_CORR_MALWARE,         /* malware, any */
	INCIDENT_CORR_KIND_COUNT
};

struct incident_corr_conf {
	int64_t window_us;             /* machines count while seen within this */
	size_t src_ip_hosts;           /* machines for SRC_IP (USB and malware: 2) */
};

/*
 * What an event means to the correlator: its kind, and its key into key
 * (the address, the serial, "any"); -1 when it is not correlated.
 * A failed login is an auth event at low or above, or an attack event, with
 * a src_ip field, from a rule whose name says neither "login" nor "accepted".
 */
int incident_corr_classify(const Vigil__V1__Event *ev, char *key, size_t keylen);

/* A key that crossed its threshold: every machine seen within the window. */
struct incident_corr_hit {
	enum incident_corr_kind kind;
	char key[INCIDENT_KEY_MAX];
	int64_t first_us, last_us;     /* of the machines' events */
	size_t machines;               /* machines the key has now */
	size_t nagents;
	char agents[INCIDENT_CORR_AGENTS_MAX][INCIDENT_AGENT_MAX];
	size_t nevents;                /* events to link, as (agent index, seq) */
	size_t ev_agent[INCIDENT_CORR_AGENTS_MAX * INCIDENT_CORR_SEQS];
	uint64_t ev_seq[INCIDENT_CORR_AGENTS_MAX * INCIDENT_CORR_SEQS];
};

struct incident_corr;

struct incident_corr *incident_corr_new(const struct incident_corr_conf *conf);
void incident_corr_free(struct incident_corr *c);   /* NULL is a no-op */

/*
 * One event of agent at t_us. Returns 1 and fills *hit when its key has just
 * reached its threshold, or when a machine joined a key past its threshold
 * (the caller then makes or extends the incident); 0 when there is nothing to
 * do; VIGIL_ERR_NOMEM. Machines not seen within the window before t_us are
 * forgotten first.
 */
int incident_corr_observe(struct incident_corr *c, const char *agent, const Vigil__V1__Event *ev,
    int64_t t_us, struct incident_corr_hit *hit);
/*
 * What one key gained since the last call for it, as a hit (the machines and
 * events not yet handed out; machines counts them all); 0 when the key is not
 * followed. The shell writes a fired key with this, so a key that fires again
 * as machines join costs only what is new.
 */
int incident_corr_hit_of(struct incident_corr *c, enum incident_corr_kind kind, const char *key,
    struct incident_corr_hit *hit);
/* Forget every machine not seen within the window before now_us. */
void incident_corr_expire(struct incident_corr *c, int64_t now_us);
/* Keys followed now. */
size_t incident_corr_count(const struct incident_corr *c);

/* "src_ip", "usb_serial", "malware". */
const char *incident_corr_kind_name(enum incident_corr_kind k);

/* ---- pure: silence and re-opening ---------------------------------------------- */

/* ---- pure: machines that stopped reporting, grouped per unit ------------------ */

#define INCIDENT_SILENCE_RULE "agent.silent"   /* the rule of the silence incidents */

/* A machine as the silence check sees it (presence.c decided silent). */
struct incident_silence_machine {
	char *agent, *unit;
	int silent;
	int64_t since_us;              /* silent since */
};

/* The silent machines of one unit: m[first .. first + n) after the sort. */
struct incident_silence_group {
	size_t first, n;
	int64_t first_since_us, last_since_us;
};

/*
 * Sort m by unit, silent machines first, then by agent, and write one group
 * per unit that has silent machines (at most maxg). Returns the groups.
 */
size_t incident_silence_groups(struct incident_silence_machine *m, size_t n,
    struct incident_silence_group *g, size_t maxg);
/* 1 when none of agents[] is silent in m: its incident is over. */
int incident_silence_over(const char *const *agents, size_t nagents,
    const struct incident_silence_machine *m, size_t n);
/* "3 machines of phuong-7 stopped reporting unexpectedly" ("no unit" for ""). */
void incident_silence_title(char *buf, size_t len, const char *lang, const char *unit,
    size_t machines);
/* The unit's dedup key: "silent-unit:phuong-7". */
void incident_silence_key(char *buf, size_t len, const char *unit);
/* 1 when an incident resolved at resolved_us (0: never) re-opens at now_us. */
int incident_reopens(int64_t resolved_us, int64_t now_us, int64_t window_us);

/* ---- the shell ------------------------------------------------------------------ */

/* Silence, in microseconds: three heartbeat intervals without a word and no goodbye. */
int64_t incident_silent_after_us(const struct collector *c);

/* Correlator and silence timer. Call before the loop runs. 0 or VIGIL_ERR_NOMEM. */
int incident_init(struct collector *c);
void incident_free(struct collector *c);

/* A batch of agent was just committed (events new or resent); recv_us when it came. */
void incident_observe(struct collector *c, const char *agent, const Vigil__V1__EventBatch *b,
    int64_t recv_us);
/* The group commit stored something: new incidents may want an escalation. */
void incident_committed(struct collector *c);
/* The session layer's hook (collector.h): arg is the struct collector. */
void incident_hook(void *arg, const struct session_news *n);

/* An operator's action. */
struct incident_request {
	int64_t id;
	enum incident_action act;
	enum incident_resolution res;  /* resolve */
	const char *user;              /* assign: the new assignee */
	const char *text;              /* note */
	int level;                     /* escalate */
	const char *actor;             /* the Unix user behind the socket */
};

/* 0, or a negative vigil_err with a sentence for the operator in err. */
int incident_act(struct collector *c, const struct incident_request *rq, char *err,
    size_t errlen);

/*
 * The collector's own incident (kind "collector", no agent): commits have
 * failed since since_us for why, with waiting items not acknowledged. Opened
 * (or re-opened) once per episode; incident_store_ok() resolves it by
 * "system" when a commit succeeds again.
 */
void incident_store_failing(struct collector *c, int64_t since_us, const char *why,
    size_t waiting);
void incident_store_ok(struct collector *c, int64_t since_us);

#endif
