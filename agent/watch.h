/*
 * watch.c (Linux platform code): the [source NAME] sensor, the log files of
 * the running agent. Each source is a followed
 * file (follow.c) woken by any change in its directory (dirwatch.c): its
 * lines go through the matcher into the spool, the lines' events and the
 * new offset in one transaction.
 */
#ifndef VIGIL_AGENT_WATCH_H
#define VIGIL_AGENT_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "dirwatch.h"
#include "matcher.h"
#include "sensor.h"
#include "spool.h"

struct watch_source {
	const char *name;
	const char *path;    /* absolute */
};

struct watch;

/*
 * Start following srcs (copied): each resumes from its offset in the spool,
 * or from the end of the file when the spool has none, and is read once
 * before this returns. appended(arg) runs after every commit that added
 * events. Borrows base, dw, spool and m. Returns NULL with a sentence in err.
 */
struct watch *watch_new(struct event_base *base, struct dirwatch *dw, struct spool *spool,
    struct matcher *m, const struct watch_source *srcs, size_t nsrcs, size_t max_line,
    void (*appended)(void *arg), void *arg, char *err, size_t errlen);
void watch_free(struct watch *w);                          /* NULL is a no-op */

uint64_t watch_lines_truncated(const struct watch *w);     /* over every tail */
uint64_t watch_events_rejected(const struct watch *w);     /* failed wire_validate_event */

/* The sensor of [source NAME] sections. */
extern const struct sensor_driver sensor_logfile;

#endif
