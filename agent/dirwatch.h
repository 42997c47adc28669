/*
 * dirwatch.c (platform code: agent/linux/dirwatch.c, inotify;
 * agent/windows/dirwatch.c, ReadDirectoryChangesW, a poll where it fails): what wakes the followers of files; on
 * Linux, the agent's one inotify descriptor in the event loop. The log sources and the sensors register the directories they
 * follow, each with the events it wants and, if it likes, the start of the
 * names it cares about. After each read of the descriptor, every registration that saw one
 * of its events is called once, in the order they were added; a queue
 * overflow calls every one. One descriptor for the whole agent: inotify
 * instances are a per-user limit (fs.inotify.max_user_instances, 128 by
 * default), watches on one directory are shared, and nothing else wakes.
 */
#ifndef VIGIL_AGENT_DIRWATCH_H
#define VIGIL_AGENT_DIRWATCH_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

struct dirwatch;
struct dirwatch_reg;

typedef void (*dirwatch_fn)(void *arg);

/* Borrows base. Returns NULL with a sentence in err. */
struct dirwatch *dirwatch_new(struct event_base *base, char *err, size_t errlen);
/* NULL is a no-op; frees the registrations left too. */
void dirwatch_free(struct dirwatch *dw);

/*
 * Register fn(arg) for the events of mask (IN_*) in the directory dir, for
 * names beginning with prefix (NULL: any name, and events without one). The
 * directory is not watched before dirwatch_arm(). NULL when out of memory.
 * Callbacks must not delete registrations.
 */
struct dirwatch_reg *dirwatch_add(struct dirwatch *dw, const char *dir, uint32_t mask,
    const char *prefix, dirwatch_fn fn, void *arg);

/*
 * Watch the registration's directory, unless it is watched already (again
 * after it was removed: the watch of a removed or unmounted directory is
 * gone, which is logged). Returns 0, or -1 with errno set (the directory
 * does not exist yet, say); it can be armed later.
 */
int dirwatch_arm(struct dirwatch_reg *r);

/*
 * Register fn(arg) for every change of the file at path: written, created,
 * removed, renamed, and the same for the names that begin with its name (its
 * rotations, auth.log.1), in its directory. As dirwatch_add(): armed later.
 */
struct dirwatch_reg *dirwatch_add_file(struct dirwatch *dw, const char *path, dirwatch_fn fn,
    void *arg);

void dirwatch_del(struct dirwatch_reg *r);                 /* NULL is a no-op */
const char *dirwatch_dir(const struct dirwatch_reg *r);

#endif
