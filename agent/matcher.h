/*
 * matcher.c: one observation -> zero or more events. The matcher runs a rule
 * set (rules.h) over observations: per program name an index of the
 * candidate rules, a literal prefilter before any regex, PCRE2 (JIT) with
 * named captures as fields, then suppression and the threshold windows.
 * Nothing is copied for a line that fires nothing.
 */
#ifndef VIGIL_AGENT_MATCHER_H
#define VIGIL_AGENT_MATCHER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct matcher;
struct ruleset;

#define MATCH_MAX_FIELDS 20        /* captures (16) + repeat; or group_by (4) + count */
#define MATCH_MAX_EVENTS 5         /* the rule's own, then up to 4 thresholds */
#define MATCH_MAX_SUMMARY 1024     /* = WIRE_MAX_SUMMARY */

struct match_input {
	const char *source;        /* the source's name; NULL: any (rule test mode) */
	const char *program;       /* the syslog tag / SYSLOG_IDENTIFIER; "" when none */
	size_t program_len;
	const char *msg;           /* the message; not NUL-terminated, any bytes */
	size_t msg_len;
	int64_t time_us;           /* the clock of the suppression and threshold windows */
};

/* A field; value is not NUL-terminated and points into the input or the event. */
struct match_field {
	const char *key;
	const char *value;
	size_t len;
};

/* An event as matched: bytes from the line, not yet made valid UTF-8. */
struct match_event {
	const char *rule;                    /* the rule's id, owned by the matcher */
	int category;                        /* Vigil__V1__Category */
	int severity;                        /* Vigil__V1__Severity */
	char summary[MATCH_MAX_SUMMARY + 1];
	size_t nfields;
	struct match_field fields[MATCH_MAX_FIELDS];
	char num[24];                        /* the value of repeat= or count= */
};

/* Takes rs (after rules_finish()), which is freed with the matcher, or at once on failure. */
struct matcher *matcher_new(struct ruleset *rs);
void matcher_free(struct matcher *m);                  /* NULL is a no-op */

/*
 * Match one observation: fills out[0..n) and returns n (at most max): the
 * rule's own event (unless suppressed), then the events of the thresholds it
 * completed. Field values point into in->msg, or into the matcher's own copy
 * of it when it was not valid UTF-8: use them before the next call.
 */
size_t matcher_match(struct matcher *m, const struct match_input *in, struct match_event *out,
    size_t max);

struct winevent;

/*
 * Match one rendered Windows event (vigil/winevent.h) against the event
 * rules, as matcher_match() does a line: the same out, returns and
 * thresholds. source NULL: rules of any source apply. time_us is the clock
 * of the windows (the event's own time, or when it was read). Field values
 * point into ev: use them before ev changes. ev may be read by
 * winevent_parse_head(): its named values are read only when a rule asks
 * for one, and the whole event before a rule fires; when that fails, nothing
 * fires and ev->tail is WINEVENT_TAIL_FAILED (the caller counts it).
 */
size_t matcher_match_event(struct matcher *m, const char *source, struct winevent *ev,
    int64_t time_us, struct match_event *out, size_t max);

/*
 * The event ids the event rules of channel (ASCII case alike) read, each
 * once, in increasing order, into ids[0..max): what a subscription to that
 * channel needs to ask Windows for (evtlog_query). Returns how many there
 * are, which may be more than max (then only the first max are written).
 */
size_t matcher_event_ids(const struct matcher *m, const char *channel, uint16_t *ids,
    size_t max);

/*
 * The names of the event values the event rules read (in conditions and
 * fields), each once, <System> ones and agent facts left out, into
 * names[0..max) (pointers into the rules: valid while m is): what a render
 * context asks Windows for (evtlog_value_path). Returns how many there are,
 * which may be more than max.
 */
size_t matcher_value_names(const struct matcher *m, const char **names, size_t max);

/*
 * Which of names[0..n) (n at most 64) the rules of event_id read: bit i
 * for names[i]. The values an event of that id needs; the others are not
 * made (evtlog_values_event).
 */
uint64_t matcher_value_mask(const struct matcher *m, uint32_t event_id,
    const char *const *names, size_t n);

/*
 * An agent fact that event rules may test ("agent.av_active != Windows
 * Defender"): set by the platform (the antivirus Security Center reports
 * active, say), replaced by the next call; value NULL unsets it. Returns 0,
 * VIGIL_ERR_TOOBIG past RULES_MAX_FACTS names, VIGIL_ERR_INVAL for a name
 * longer than RULES_MAX_NAME, or VIGIL_ERR_NOMEM.
 */
int matcher_set_fact(struct matcher *m, const char *name, const char *value);

/* Counters, for the heartbeat and the logs. */
struct matcher_stats {
	size_t rules, thresholds;            /* loaded */
	uint64_t lines;                      /* observations matched against */
	uint64_t events;                     /* Windows events matched against */
	uint64_t regex_runs;                 /* patterns run (past program and prefilter) */
	uint64_t matched;                    /* rules that matched */
	uint64_t suppressed;                 /* events folded by suppression */
	uint64_t fired;                      /* threshold events */
	uint64_t match_errors;               /* PCRE2 errors (match limit, JIT stack) */
	uint64_t evicted;                    /* window keys evicted at the cap */
	uint64_t suppress_lost;              /* folded events whose count was evicted */
};
void matcher_stats(const struct matcher *m, struct matcher_stats *st);

/*
 * Rule test mode: every line of in (a syslog line or plain text) through
 * the matcher, one output line per event fired, or "N\t-". The clock of the
 * windows is the syslog time of the line, else its number in seconds.
 * Input that starts "<Event" (or "<?xml", or a byte order mark) is rendered
 * Windows events instead, one after another, numbered as lines are, their
 * clock their TimeCreated; "<?vigil-fact NAME=VALUE?>" before an event sets
 * an agent fact (matcher_set_fact) from there on. source NULL: rules of any
 * source apply. Returns 0; VIGIL_ERR_INVAL when an event could not be read
 * (said on stderr, and the next one read); VIGIL_ERR_SYS, VIGIL_ERR_NOMEM or
 * VIGIL_ERR_TOOBIG (events over 64 MiB).
 */
int matcher_test_stream(struct matcher *m, FILE *in, FILE *out, const char *source);

#endif
