/*
 * tail.c (platform code: agent/linux/tail.c by inode and size,
 * agent/windows/tail.c by file index and size): follow one log file across
 * rotation. Its position (struct tail_pos, spool.h) is committed by the
 * caller (follow.c) with the events of the lines it read.
 */
#ifndef VIGIL_AGENT_TAIL_H
#define VIGIL_AGENT_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "spool.h"

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

#endif
