/*
 * ingest.c: every event's way into the spool. An observation (a log line, a
 * journal entry) goes through the matcher; an event a sensor observed comes
 * ready. Either is made valid for the wire here (strings cleaned to UTF-8
 * and cut at the wire's limits, then wire_validate_event) and appended. The
 * caller owns the spool transaction, so the events and the source's new
 * position commit together.
 */
#ifndef VIGIL_AGENT_INGEST_H
#define VIGIL_AGENT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "matcher.h"
#include "spool.h"

struct ingest_input {
	const char *source;     /* the source's name in the configuration */
	const char *line;       /* the text as read: a log line, or a journal MESSAGE */
	size_t len;             /* not NUL-terminated; any bytes */
	const char *program;    /* NULL: taken from the line's syslog header; else the
	                           syslog identifier (journald's SYSLOG_IDENTIFIER) */
	int64_t time_us;        /* when it was observed; 0: now */
};

/*
 * An event to append: a matched one, or one a sensor observed. Its strings
 * may be any bytes (made valid UTF-8 and cut at the wire's limits when it is
 * appended), and NULL is "".
 */
#define INGEST_MAX_FIELDS MATCH_MAX_FIELDS
struct ingest_event {
	const char *source;
	int category;                        /* Vigil__V1__Category */
	int severity;                        /* Vigil__V1__Severity */
	const char *rule;
	const char *summary;
	const char *raw;                     /* NULL: none */
	size_t rawlen;
	int64_t time_us;                     /* 0: now */
	size_t nfields;
	struct match_field fields[INGEST_MAX_FIELDS];  /* keys C strings, values spans */
};

/* Start ev (no raw text, no fields, stamped when appended); strings are borrowed. */
void ingest_event_init(struct ingest_event *ev, const char *source, int category,
    int severity, const char *rule, const char *summary);
/* Add the field key = value (C strings; value NULL is "") when there is room. */
void ingest_field(struct ingest_event *ev, const char *key, const char *value);

struct ingest;

/* Borrows spool and m; m may be NULL for a sink of sensor events only. */
struct ingest *ingest_new(struct spool *spool, struct matcher *m);
void ingest_free(struct ingest *ing);                  /* NULL is a no-op */

/*
 * Match one observation and append its events to the spool (inside the
 * caller's transaction). One trailing CR is not part of the line (CRLF
 * files, syslog relayed from Windows): it is neither matched nor kept.
 * Returns the number of events appended, or a negative vigil_err when the
 * spool failed: the caller rolls back and reads the observation again
 * later. An event that fails wire validation is logged, counted and
 * skipped, not an error.
 */
int ingest(struct ingest *ing, const struct ingest_input *in);

struct winevent;

/*
 * Match one rendered Windows event (vigil/winevent.h) from source and
 * append its events (inside the caller's transaction, with the channel's
 * bookmark: spool_bookmark_set), their raw text the event on one line
 * (winevent_format), their time the event's own when it has one. ev may
 * be read by winevent_parse_head() (matcher_match_event). Returns as
 * ingest().
 */
int ingest_winevent(struct ingest *ing, const char *source, struct winevent *ev);

/*
 * Append one event (inside the caller's transaction); *seq, when not NULL,
 * is set to the number the spool gave it. Returns 1 when appended, 0 when it
 * failed wire validation (logged, counted, skipped), or a negative vigil_err
 * when the spool failed (logged).
 */
int ingest_append(struct ingest *ing, const struct ingest_event *ev, uint64_t *seq);

uint64_t ingest_rejected(const struct ingest *ing);    /* events that failed validation */

#endif
