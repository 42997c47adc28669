/*
 * vigil-agent, private interfaces. Data flow:
 *   tail (log files) -> matcher (line -> event) -> spool (SQLite WAL) -> uplink (TLS)
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
#include <sys/types.h>

#include "vigil.pb-c.h"

#define AGENT_VERSION "0.1.0"

/* ---- matcher.c: one log line -> zero or one event ------------------------ */

/*
 * A matcher recognises lines and fills an event. The built-in one knows sshd
 * failed password / invalid user, sudo authentication failure, su failure
 * and useradd/groupadd; the rule engine replaces it behind this interface.
 */
struct matcher;

/* An event being built; strings point into its own storage. */
#define MATCH_MAX_FIELDS 8
struct match_event {
	int category;                       /* Vigil__V1__Category */
	int severity;                       /* Vigil__V1__Severity */
	char rule[64];
	char summary[512];
	size_t nfields;
	struct {
		char key[32];
		char value[256];
	} fields[MATCH_MAX_FIELDS];
};

struct matcher *matcher_new_builtin(void);
void matcher_free(struct matcher *m);
/*
 * Match one line (without its newline; not NUL-terminated) from `source`.
 * Returns 1 and fills *out when the line is an event, 0 when it is not.
 */
int matcher_match(struct matcher *m, const char *source, const char *line, size_t len,
    struct match_event *out);

/* ---- spool.c: durable queue of events, and tail offsets -------------------- */

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
