/*
 * ingest.c: one observation (a log line, a journal entry) -> the matcher ->
 * events appended to the spool. Every source (log files, journald, later the
 * sensors) goes through here; the caller owns the spool transaction, so an
 * observation's events and the source's new position commit together.
 */
#ifndef VIGIL_AGENT_INGEST_H
#define VIGIL_AGENT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"

struct ingest_input {
	const char *source;     /* the source's name in the configuration */
	const char *line;       /* the text as read: a log line, or a journal MESSAGE */
	size_t len;             /* not NUL-terminated; any bytes */
	const char *program;    /* NULL: taken from the line's syslog header; else the
	                           syslog identifier (journald's SYSLOG_IDENTIFIER) */
	int64_t time_us;        /* when it was observed */
};

struct ingest;

/* Borrows spool and m. */
struct ingest *ingest_new(struct spool *spool, struct matcher *m);
void ingest_free(struct ingest *ing);                  /* NULL is a no-op */

/*
 * Match one observation and append its events to the spool (inside the
 * caller's transaction). Returns the number of events appended, or a
 * negative vigil_err when the spool failed: the caller rolls back and reads
 * the observation again later. An event that fails wire validation is
 * logged, counted and skipped, not an error.
 */
int ingest(struct ingest *ing, const struct ingest_input *in);

uint64_t ingest_rejected(const struct ingest *ing);    /* events that failed validation */

#endif
