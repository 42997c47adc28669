/*
 * spool.c: the agent's durable queue of events (an SQLite file in WAL mode),
 * with the positions of its sources (log file offsets, journal cursors,
 * sensors' state) kept in the same transactions as the events they produced:
 * an event is taken when it is in the spool, and leaves it only when the
 * collector acknowledged it.
 */
#ifndef VIGIL_AGENT_SPOOL_H
#define VIGIL_AGENT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "vigil.pb-c.h"

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

/*
 * Number a new spool's events after `stored`, the highest seq the collector
 * has from this agent (its Welcome), once: a spool made afresh (reinstall,
 * damaged spool set aside) must not reuse a stored number. *moved: how many
 * waiting events were renumbered. A spool that has anchored before: no-op.
 */
int spool_anchor(struct spool *s, uint64_t stored, uint64_t *moved);
uint64_t spool_high_seq(struct spool *s);      /* highest seq ever assigned */
uint64_t spool_depth(struct spool *s);         /* events waiting */
uint64_t spool_dropped(struct spool *s);       /* events dropped by the cap, ever */
/* Rows that could not go to the collector (damaged, or refused by the wire's checks), this run. */
uint64_t spool_skipped(const struct spool *s);
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

/*
 * Windows Event Log bookmarks, per channel: the record id of the last event
 * taken and the bookmark text the sensor resumes from (EvtCreateBookmark's,
 * rendered with EvtRenderBookmark; at most SPOOL_BOOKMARK_MAX bytes), set
 * inside the same transaction as the events read up to it, as a log file's
 * offset is: a restart neither loses nor repeats an event. get copies the
 * NUL-terminated bookmark into bookmark[cap] and sets *record_id:
 * VIGIL_ERR_NOTFOUND when the channel has none (then *record_id is 0),
 * VIGIL_ERR_TOOBIG when it does not fit. set: VIGIL_ERR_TOOBIG for a longer
 * bookmark or a record id past INT64_MAX.
 */
#define SPOOL_BOOKMARK_MAX 4096
int spool_bookmark_get(struct spool *s, const char *channel, uint64_t *record_id,
    char *bookmark, size_t cap);
int spool_bookmark_set(struct spool *s, const char *channel, uint64_t record_id,
    const char *bookmark);

/*
 * What a sensor learned and keeps across restarts, by name (the Event Log's
 * kinds, "eventlog.kinds"): a text of at most SPOOL_STATE_MAX bytes, set
 * inside a transaction or on its own. get copies it NUL-terminated into
 * text[cap]: VIGIL_ERR_NOTFOUND when there is none, VIGIL_ERR_TOOBIG when it
 * does not fit; set: VIGIL_ERR_TOOBIG for a longer text. The text is the
 * spool's, a file on disk: its reader checks it.
 */
#define SPOOL_STATE_MAX (256 * 1024)
int spool_state_get(struct spool *s, const char *name, char *text, size_t cap);
int spool_state_set(struct spool *s, const char *name, const char *text);

#endif
