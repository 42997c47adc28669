/*
 * Escalation: who is told about an incident, through which channel, when,
 * and what happens when nobody acknowledges. Pure: times are arguments in
 * microseconds since the epoch, nothing here reads a clock, sends anything or
 * touches the store. The daemon (a timer, the store, the notifiers) is a thin
 * shell around three calls:
 *
 *   escalate_start()   a new incident: match the routes, make its state
 *   escalate_ack() / escalate_close() / escalate_reopen() / escalate_manual()
 *                      an operator acted (see incident_fsm.h for when)
 *   escalate_due()     the timer fired: which notifications are due now, and
 *                      when to wake next
 *
 * The per-incident state (struct escalate_state) holds only facts — which
 * steps were sent and when — so what is due is recomputed from it every time.
 * Save it in the same transaction as the notifications escalate_due()
 * returned (an outbox the notifiers work through with retries); then a restart
 * neither loses a step nor sends one twice.
 *
 * Configuration (INI, common/config.c, errors "file:line: message"):
 *
 *   [contact it-officer]        name, email (addresses), webhook (https URL),
 *                               command (argv, no shell), language vi|en,
 *                               role, and the noise budget (max_per_hour,
 *                               urgent_min_severity, digest_every)
 *   [role police]               the noise budget of every contact with
 *                               role = police; a key the contact writes
 *                               itself wins over its role's
 *   [chain default]             level1 .. level8 = CONTACTS,
 *                               level1_wait .. level7_wait = how long to wait for
 *                               an ack before the next level; repeat_last,
 *                               repeat_interval, repeat_max
 *   [route police]              category, min_severity, unit, host, rule (lists;
 *                               unit, host and rule take shell patterns); chain, notify_now,
 *                               continue, group_by, group_wait, group_interval,
 *                               repeat_interval (overrides the chain's)
 *   [quiet_hours]               timezone, start, end, defer_up_to
 *
 * Semantics, decided here:
 * - Routes are tried in file order; the first match is taken, and matching
 *   goes on past it only while the matched route says continue = yes.
 * - Grouping (Alertmanager): the incidents of one route with the same values
 *   of group_by form a group (empty group_by: one group per route; "incident":
 *   every incident alone). The group's first notification goes group_wait
 *   after its first incident and lists every incident that came meanwhile;
 *   incidents joining a group that has notified go out at the next tick of
 *   group_interval. notify_now contacts and chain level 1 go in that first
 *   notification. Later steps due at the same time for one group and contact
 *   are one notification listing the incidents.
 * - Level k+1 is due level_k_wait after level k was sent (sent, not planned:
 *   a level deferred by quiet hours still gets its full wait).
 * - An acknowledgement stops the climb: no chain step is sent once ack_us is
 *   set, and an ack at exactly a deadline wins (the engine checks the ack
 *   before the clock). notify_now contacts (the ward Police) are told even
 *   when the incident was acknowledged before its first notification: that
 *   report is an obligation, not an escalation. Closing stops everything.
 * - Quiet hours defer every step of an incident at or below defer_up_to
 *   (default medium) to the end of the quiet period; high and critical go at
 *   once. An operator's manual escalation is never deferred and ignores the ack.
 */
#ifndef VIGIL_ESCALATE_H
#define VIGIL_ESCALATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ESC_NAME_MAX 129          /* a section label (128) and its NUL */
#define ESC_TEXT_MAX 256          /* display names */
#define ESC_LIST_MAX 1024         /* email addresses, a command line, a URL, lists */
#define ESC_CONTACTS_MAX 64
#define ESC_CHAINS_MAX 16
#define ESC_ROLES_MAX 16
#define ESC_ROUTES_MAX 64
#define ESC_LEVELS_MAX 8
#define ESC_LEVEL_CONTACTS_MAX 8  /* contacts per level, and in notify_now */
#define ESC_TRACKS_MAX 4          /* routes one incident may match (continue) */
#define ESC_GROUP_MAX 512         /* a group key: "category=attack unit=ubnd" */
#define ESC_NOTE_IDS_MAX 32       /* incidents listed in one notification; then "n more" */
#define ESC_STATE_TEXT_MAX 4096   /* escalate_state_format() output */

enum escalate_channel {
	ESC_CHANNEL_EMAIL = 0,
	ESC_CHANNEL_WEBHOOK,
	ESC_CHANNEL_COMMAND,
	ESC_CHANNEL_SMS,                    /* issue 11: gammu-smsd (notify_sms.c) */
	ESC_CHANNEL_COUNT
};

/* ---- configuration --------------------------------------------------------- */

/*
 * What the escalation engine must do after an operator's accepted action
 * (bits): the incident state machine (incident_fsm.c) says which; the
 * engine owns their meaning, so the flow runs incidents -> escalation.
 */
#define INCIDENT_EFFECT_STOP_CLIMB   0x1   /* escalate_ack(): first ack (ack, or assign from new) */
#define INCIDENT_EFFECT_CLOSE        0x2   /* escalate_close(): resolved or false positive */
#define INCIDENT_EFFECT_RESTART      0x4   /* escalate_reopen(): the climb starts again */
#define INCIDENT_EFFECT_ESCALATE     0x8   /* escalate_manual(): notify level N now */

struct escalate_contact {
	char label[ESC_NAME_MAX];           /* [contact LABEL] */
	char name[ESC_TEXT_MAX];            /* display name, UTF-8 */
	char email[ESC_LIST_MAX];           /* space-separated addresses; "": none */
	char webhook[ESC_LIST_MAX];         /* https:// URL; "": none */
	char command[ESC_LIST_MAX];         /* absolute program and arguments; "": none */
	char phone[32];                     /* SMS: "+84901234567"; "": none */
	/* the noise budget (budget.h) */
	long long max_per_hour;             /* 0: no limit */
	char urgent_min_severity[16];       /* as written; below it: the digest */
	int urgent_severity;                /* compiled */
	long long digest_every;             /* ms */
	long long digest_min_age;           /* ms: a digest lists incidents unacknowledged this long */
	char language[8];                   /* "vi" or "en" */
	char role[ESC_NAME_MAX];            /* [role LABEL] giving the budget keys not set here */
};

/* The budget keys, for escalate_budget_inherit(). */
#define ESC_BUDGET_MAX_PER_HOUR 0x1
#define ESC_BUDGET_URGENT       0x2
#define ESC_BUDGET_DIGEST_EVERY 0x4
#define ESC_BUDGET_MIN_AGE      0x8

/* A role: the noise budget shared by its contacts' configuration (issue 11). */
struct escalate_role {
	char label[ESC_NAME_MAX];
	long long max_per_hour;
	char urgent_min_severity[16];
	int urgent_severity;                /* compiled */
	long long digest_every;             /* ms */
	long long digest_min_age;           /* ms */
};

/*
 * The contact's effective budget: each key the contact did not write itself
 * (ESC_BUDGET_* bits in set) is its role's. Pure; r may be NULL (no role:
 * nothing changes).
 */
void escalate_budget_inherit(struct escalate_contact *p, const struct escalate_role *r,
    unsigned set);

struct escalate_chain {
	char label[ESC_NAME_MAX];
	char level[ESC_LEVELS_MAX][ESC_LIST_MAX];  /* as written: contact labels */
	long long wait[ESC_LEVELS_MAX];            /* ms; 0 for the last level */
	int repeat_last;
	long long repeat_interval;                 /* ms */
	long long repeat_max;                      /* 0: until acknowledged */
	/* compiled */
	size_t nlevels;
	size_t ncontacts[ESC_LEVELS_MAX];
	uint8_t contacts[ESC_LEVELS_MAX][ESC_LEVEL_CONTACTS_MAX];  /* indexes into contacts[] */
};

struct escalate_route {
	char label[ESC_NAME_MAX];
	char category[ESC_LIST_MAX];        /* "": any */
	char min_severity[16];
	char unit[ESC_LIST_MAX];            /* fnmatch patterns; "": any */
	char host[ESC_LIST_MAX];
	char rule[ESC_LIST_MAX];            /* fnmatch patterns on the rule id; "": any */
	char chain[ESC_NAME_MAX];           /* "": none (notify_now only) */
	char notify_now[ESC_LIST_MAX];
	int cont;                           /* continue = yes */
	char group_by[ESC_TEXT_MAX];
	long long group_wait;               /* ms */
	long long group_interval;           /* ms */
	long long repeat_interval;          /* ms; 0: the chain's */
	char reportable[64];                /* report kinds an incident it opens starts: "breach,notice" */
	/* compiled */
	unsigned report_kinds;              /* 1 << DL_NOTICE ... (report/deadline.h); 0: none */
	uint32_t categories;                /* bit per category; 0: any */
	int severity;                       /* minimum */
	int chain_index;                    /* -1: none */
	size_t nnow;
	uint8_t now[ESC_LEVEL_CONTACTS_MAX];
	unsigned group_fields;              /* ESC_GROUP_* bits */
};

struct escalate_quiet {
	char timezone[64];
	char start[8];                      /* "22:00"; "" with end "": no quiet hours */
	char end[8];
	char defer_up_to[16];               /* a severity name */
	/* compiled */
	long long offset_ms;                /* local time = UTC + offset */
	long long start_ms, end_ms;         /* ms after local midnight */
	int enabled;
	int defer_severity;                 /* steps of incidents at or below are deferred */
};

struct escalate_conf {
	size_t ncontacts, nchains, nroutes, nroles;
	struct escalate_contact contacts[ESC_CONTACTS_MAX];
	struct escalate_role roles[ESC_ROLES_MAX];
	struct escalate_chain chains[ESC_CHAINS_MAX];
	struct escalate_route routes[ESC_ROUTES_MAX];
	struct escalate_quiet quiet;
};

/* The configuration is large (~1 MB of fixed buffers): it lives on the heap. */
struct escalate_conf *escalate_conf_new(void);
void escalate_conf_free(struct escalate_conf *c);          /* NULL is a no-op */

/*
 * Read path into c (emptied first) and check it: every contact named exists
 * and has a channel, levels are consecutive, every level but the last has a
 * wait, routes send something. Returns 0, or VIGIL_ERR_CONFIG / VIGIL_ERR_SYS
 * with "file:line: message" (or "file: message") in err.
 */
int escalate_conf_load(struct escalate_conf *c, const char *path, char *err, size_t errlen);
/*
 * The same, with [notify] allow_http of the collector's configuration: when
 * set, a contact's webhook may be a plain http:// URL too (else it is refused
 * with file:line, as the notifier would refuse it).
 */
int escalate_conf_load_http(struct escalate_conf *c, const char *path, int allow_http,
    char *err, size_t errlen);
/* The effective configuration in the same syntax, for -nv. */
void escalate_conf_print(FILE *fp, const struct escalate_conf *c);

/*
 * Split a space-separated value (an email list, a command) into words: copies
 * s into buf (buflen bytes) and points argv[0..max-1] into it, NULL after the
 * last. Returns the number of words, or VIGIL_ERR_TOOBIG.
 */
int escalate_split(const char *s, char *buf, size_t buflen, char **argv, size_t max);

/* "email", "webhook", "command". */
const char *escalate_channel_name(enum escalate_channel ch);

/* ---- incidents and their state ---------------------------------------------- */

/* What routing looks at; strings are borrowed for the call. */
struct escalate_incident {
	int64_t id;
	int category, severity;             /* proto enum values */
	const char *unit, *host, *agent, *rule;   /* NULL reads as "" */
	int64_t created_us;
};

/* One matched route: the facts of its climb. */
struct escalate_track {
	char route[ESC_NAME_MAX];           /* route label (found again by name after a reload) */
	char group[ESC_GROUP_MAX];          /* group key */
	int now_sent;                       /* notify_now contacts told */
	int level;                          /* chain levels sent: 0 .. nlevels */
	int repeats;                        /* repeats of the last level sent */
	int manual_level;                   /* operator asked for this level; 0: none */
	int64_t manual_us;                  /* when they asked */
	int64_t first_us;                   /* the first notification of this track; 0: none yet */
	int64_t last_us;                    /* the last chain step */
	int64_t next_us;                    /* informative: set by escalate_due(); 0: nothing */
};

/* Plain, fixed-size, no pointers: the store may keep it as columns or as escalate_state_format() text. */
struct escalate_state {
	int64_t incident;
	int severity;                       /* may be raised by the caller; quiet hours read it */
	int64_t start_us;                   /* created, or reopened */
	int64_t ack_us;                     /* 0: not acknowledged */
	int closed;
	size_t ntracks;
	struct escalate_track tracks[ESC_TRACKS_MAX];
};

/* Indexes of the routes inc matches, in order; returns how many (0..max). */
size_t escalate_match(const struct escalate_conf *c, const struct escalate_incident *inc,
    size_t *routes, size_t max);

/*
 * A new incident at inc->created_us: match and fill *st. Returns 0 (even when
 * no route matched: st->ntracks == 0), or VIGIL_ERR_TOOBIG when more than
 * ESC_TRACKS_MAX routes matched (the first ones are kept).
 */
int escalate_start(const struct escalate_conf *c, const struct escalate_incident *inc,
    struct escalate_state *st);
/* Acknowledged at now (the first ack counts; later ones change nothing). */
void escalate_ack(struct escalate_state *st, int64_t now_us);
/* Resolved or false positive: nothing more is sent. */
void escalate_close(struct escalate_state *st, int64_t now_us);
/* Reopened: not acknowledged, and the whole plan starts again at now. */
void escalate_reopen(struct escalate_state *st, int64_t now_us);
/*
 * An operator asked for level (1-based) at now: every track whose chain has
 * that level sends it at the next escalate_due(), then the climb goes on from
 * there unless acknowledged. VIGIL_ERR_NOTFOUND if no chain has that level.
 */
int escalate_manual(const struct escalate_conf *c, struct escalate_state *st, int level,
    int64_t now_us);
/*
 * Who level N of st's chains notifies: fn(arg, route label, contact) for each
 * contact once per route, in chain order. Returns how many were named.
 */
size_t escalate_level_contacts(const struct escalate_conf *c, const struct escalate_state *st,
    int level, void (*fn)(void *arg, const char *route, const struct escalate_contact *p),
    void *arg);
/* The channels contact p has, "email, sms", into buf (always terminated). */
void escalate_contact_channels(const struct escalate_contact *p, char *buf, size_t len);

/* One message to one contact through one channel, listing the incidents it is about. */
struct escalate_note {
	size_t route;                       /* index into c->routes */
	size_t contact;                     /* index into c->contacts */
	enum escalate_channel channel;
	int level;                          /* 0: notify_now; 1..: chain level */
	int repeat;                         /* 0: first time at this level */
	int manual;                         /* an operator asked for it */
	int64_t due_us;                     /* when it fell due (after quiet hours) */
	char group[ESC_GROUP_MAX];
	size_t nids;
	int64_t ids[ESC_NOTE_IDS_MAX];
	size_t more;                        /* incidents beyond ids[] */
};

/*
 * The timer fired at now: write what is due to notes[0..*nnotes) (at most
 * max), mark those steps sent in states[] (the open incidents; closed ones
 * are skipped and may be dropped afterwards) and set *wake_us to the next
 * time something falls due (0: nothing pending; now when notes[] was full).
 * States are changed in place: if saving them fails, reload them from the
 * store. Returns 0.
 */
int escalate_due(const struct escalate_conf *c, struct escalate_state *states, size_t n,
    int64_t now_us, struct escalate_note *notes, size_t max, size_t *nnotes, int64_t *wake_us);

/* ---- what-if ------------------------------------------------------------------ */

struct escalate_step {
	int64_t at_us;
	size_t route, contact;
	enum escalate_channel channel;
	int level, repeat;
};

#define ESC_PLAN_STEPS_MAX 128
#define ESC_PLAN_REPEATS 2                 /* repeats of the last level shown */

struct escalate_plan {
	size_t nroutes;
	size_t routes[ESC_TRACKS_MAX];
	size_t nsteps;
	struct escalate_step steps[ESC_PLAN_STEPS_MAX];
	int truncated;                      /* more steps than fit */
};

/*
 * The timeline for inc if nobody acknowledges: routes matched, and each
 * notification (level, contact, channel, time) in order, with at most
 * ESC_PLAN_REPEATS repeats of a repeating last level.
 */
int escalate_plan(const struct escalate_conf *c, const struct escalate_incident *inc,
    struct escalate_plan *plan);
/* escalate_plan() as text for `vigilctl escalation test`: who, when, how. */
int escalate_explain(const struct escalate_conf *c, const struct escalate_incident *inc,
    FILE *fp);

/* ---- persistence ----------------------------------------------------------------- */

/* One line of text, versioned ("v1 ..."), for a TEXT column. Returns length or VIGIL_ERR_TOOBIG. */
int escalate_state_format(const struct escalate_state *st, char *buf, size_t len);
/* Parse what escalate_state_format() wrote. 0 or VIGIL_ERR_DECODE / VIGIL_ERR_VERSION. */
int escalate_state_parse(const char *text, struct escalate_state *st);

#endif
