/*
 * follow.c (platform code: agent/linux/follow.c): one log file followed into
 * the spool; the core's antivirus sensor follows its product's log with it.
 * A pass reads what is new in the file (tail.c, across rotation), hands each
 * line to the owner, which appends the line's events, and commits those
 * events and the file's new position in one spool transaction: a crash at
 * any instant neither loses nor repeats a line. A pass that fails is rolled
 * back and the file is followed again from the committed position, so the
 * next pass reads those lines again. A pass that stopped at its budget
 * queues the next through the event loop. The log sources (watch.c), the
 * antivirus log (av.c) and dpkg's log (updates.c) are each one; what wakes a
 * pass (dirwatch.c) is theirs.
 */
#ifndef VIGIL_AGENT_FOLLOW_H
#define VIGIL_AGENT_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "spool.h"
#include "dirwatch.h"

#define FOLLOW_READ_MAX (256 * 1024)    /* bytes of one file per pass */

/*
 * One line (no newline, not NUL-terminated), inside the pass's transaction:
 * returns the number of events appended, or a negative vigil_err when the
 * spool failed (the pass is then rolled back; no more lines come in it).
 */
typedef int (*follow_line_fn)(void *arg, const char *line, size_t len);

struct follow;

/*
 * Follow path, its position kept in the spool as source name. Nothing is
 * opened here: follow_open() or the first pass does. line(arg, ...) per
 * line; committed(arg) (may be NULL) after each commit that appended events.
 * Borrows base and spool. NULL when out of memory.
 */
struct follow *follow_new(struct event_base *base, struct spool *spool, const char *name,
    const char *path, size_t max_line, follow_line_fn line, void (*committed)(void *arg),
    void *arg);
void follow_free(struct follow *f);                        /* NULL is a no-op */

/*
 * Open the file at the position the spool holds, or at its end when the
 * spool has none (a new source), whether or not the file exists yet.
 * Returns 0, or -1 (logged). A pass opens the file itself when it is not.
 */
int follow_open(struct follow *f);

/* Read what is new, at most FOLLOW_READ_MAX bytes, and commit it. */
void follow_pass(struct follow *f);

/*
 * A pass on every change in the file's directory (new lines, a rotation,
 * the file created): registered with dw, not yet armed (dirwatch_arm()),
 * deleted with f. NULL when out of memory.
 */
struct dirwatch_reg *follow_watch(struct follow *f, struct dirwatch *dw);

const char *follow_name(const struct follow *f);
uint64_t follow_lines_truncated(const struct follow *f);   /* cut at max_line, ever */

#endif
