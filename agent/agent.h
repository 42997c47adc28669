/*
 * vigil-agent, private interfaces. Data flow:
 *   tail (log files) -> ingest -> matcher (rules.d) -> spool (SQLite WAL) -> uplink (TLS)
 *
 * The unit of durability is one spool transaction: the events a read of a
 * log file produced and that file's new offset are committed together, so a
 * crash at any instant neither loses nor repeats a line.
 */
#ifndef VIGIL_AGENT_H
#define VIGIL_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "vigil.pb-c.h"

#define AGENT_VERSION "0.1.0"

/* ---- matcher.c: one observation -> zero or more events -------------------- */

/*
 * The matcher runs a rule set (rules.h) over observations: per program name
 * an index of the candidate rules, a literal prefilter before any regex,
 * PCRE2 (JIT) with named captures as fields, then suppression and the
 * threshold windows. Nothing is copied for a line that fires nothing.
 */
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

/* Counters, for the heartbeat and the logs. */
struct matcher_stats {
	size_t rules, thresholds;            /* loaded */
	uint64_t lines;                      /* observations matched against */
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
 * source NULL: rules of any source apply. Returns 0, or VIGIL_ERR_SYS.
 */
int matcher_test_stream(struct matcher *m, FILE *in, FILE *out, const char *source);

/* ---- spool.c: durable queue of events, tail offsets, journal cursors ------ */

struct spool;

/*
 * Open or create the spool database (WAL). max_bytes caps its size: when an
 * append would pass it, the oldest events are deleted and counted as dropped.
 */
struct spool *spool_open(const char *path, long long max_bytes, char *err, size_t errlen);
void spool_free(struct spool *s);                      /* NULL is a no-op */

/* Group appends and offset updates into one durable transaction. */
int spool_begin(struct spool *s);
int spool_commit(struct spool *s);
int spool_rollback(struct spool *s);

/*
 * Append one event (its seq is ignored and assigned here: the next number,
 * never reused, even after deletes). Sets *seq when not NULL.
 */
int spool_append(struct spool *s, const Vigil__V1__Event *ev, uint64_t *seq);

/* Up to max events with seq > after, oldest first, into *out (free with spool_events_free). */
int spool_read(struct spool *s, uint64_t after, size_t max, Vigil__V1__Event ***out, size_t *n);
void spool_events_free(Vigil__V1__Event **evs, size_t n);

/* Delete events with seq <= up_to (they are stored at the collector). */
int spool_ack(struct spool *s, uint64_t up_to);

/* Make the next assigned seq greater than seq (the collector has seen it). */
int spool_advance_seq(struct spool *s, uint64_t seq);

uint64_t spool_high_seq(struct spool *s);      /* highest seq ever assigned */
uint64_t spool_depth(struct spool *s);         /* events waiting */
uint64_t spool_dropped(struct spool *s);       /* events dropped by the cap, ever */
/* Gives the page cache of an idle spool back to the heap (sqlite3_db_release_memory). */
void spool_release_memory(struct spool *s);

/* Tail offsets, persisted inside the same transactions as the events. */
struct tail_pos {
	uint64_t inode;
	uint64_t dev;
	uint64_t offset;
	uint8_t head[64];        /* the first bytes of the file, to recognise it renamed */
	size_t headlen;
};
int spool_pos_get(struct spool *s, const char *source, struct tail_pos *pos); /* VIGIL_ERR_NOTFOUND */
int spool_pos_set(struct spool *s, const char *source, const struct tail_pos *pos);

/*
 * Journal cursors (sd_journal_get_cursor() text, at most SPOOL_CURSOR_MAX
 * bytes), persisted inside the same transactions as the events. get copies
 * the NUL-terminated cursor into cursor[cap]: VIGIL_ERR_NOTFOUND when the
 * source has none, VIGIL_ERR_TOOBIG when it does not fit. An empty cursor is
 * a valid value (the journal source uses it for "from the start").
 */
#define SPOOL_CURSOR_MAX 1024
int spool_cursor_get(struct spool *s, const char *source, char *cursor, size_t cap);
int spool_cursor_set(struct spool *s, const char *source, const char *cursor);

/* ---- tail.c: follow one log file across rotation ------------------------- */

struct tail;

/* Called for each complete line (no newline, not NUL-terminated). */
typedef void (*tail_line_fn)(void *arg, const char *line, size_t len);

/*
 * Follow `path` as source `name`, starting from pos (NULL: from the end of
 * the file as it is now). Lines longer than max_line are cut there; the rest
 * of such a line is skipped and counted.
 */
struct tail *tail_new(const char *name, const char *path, size_t max_line,
    const struct tail_pos *pos);
void tail_free(struct tail *t);

/*
 * Read what is new: drain the open file to its end, then notice rotation
 * (a new inode at path: the old file is read to its end first; a file
 * shorter than the offset: copytruncate, where the rotated copy at
 * path + ".1" is read from the old offset first when its head matches) and
 * follow it. Calls fn per line, reading at most max_bytes before returning
 * (so one busy file cannot starve the loop); returns 1 if there may be more,
 * 0 when caught up, negative on error. The caller commits the events and
 * tail_pos() in one spool transaction.
 */
int tail_read(struct tail *t, size_t max_bytes, tail_line_fn fn, void *arg);
void tail_pos(const struct tail *t, struct tail_pos *pos);
const char *tail_name(const struct tail *t);
const char *tail_path(const struct tail *t);
uint64_t tail_truncated_lines(const struct tail *t);   /* lines cut at max_line */

/*
 * Pure decision at the heart of tail_read(), for tests: given what we hold
 * open (fd_st, our offset) and what is at path now (path_st, or NULL when
 * nothing is there), what to do next.
 */
enum tail_action {
	TAIL_READ,        /* the open file is current: read from offset */
	TAIL_REOPEN,      /* path has a new file: drain the old one, then open path at 0 */
	TAIL_TRUNCATED,   /* the open file shrank below offset: copytruncate */
	TAIL_WAIT,        /* nothing at path: keep draining the open file, wait */
};
struct stat;
enum tail_action tail_decide(const struct stat *fd_st, uint64_t offset,
    const struct stat *path_st);

#endif
