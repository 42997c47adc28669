/*
 * One inotify descriptor for every directory the agent follows. Several
 * registrations on one directory share its kernel watch (IN_MASK_ADD widens
 * its mask); each registration sees only its own events.
 */
#include <sys/queue.h>
#include <sys/inotify.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../dirwatch.h"

struct dirwatch_reg {
	TAILQ_ENTRY(dirwatch_reg) entry;
	struct dirwatch *dw;
	char *dir;
	char *prefix;           /* NULL: any name */
	size_t prefixlen;
	uint32_t mask;
	int wd;                 /* -1: not watched */
	int due;                /* saw an event in the current read */
	dirwatch_fn fn;
	void *arg;
};

TAILQ_HEAD(dirwatch_regs, dirwatch_reg);

struct dirwatch {
	int fd;
	struct event *ev;
	struct dirwatch_regs regs;
};

/* The kernel says the watch wd is gone: every registration on it loses it. */
static void
gone(struct dirwatch *dw, int wd)
{
	struct dirwatch_reg *r;
	const char *dir = NULL;

	TAILQ_FOREACH(r, &dw->regs, entry) {
		if (r->wd != wd)
			continue;
		r->wd = -1;
		dir = r->dir;
	}
	if (dir != NULL)
		log_warnx("The watch on %s is gone (the directory was removed or unmounted); "
		    "its sources are no longer followed.", dir);
}

static int
wants(const struct dirwatch_reg *r, const struct inotify_event *ie)
{
	if (r->wd != ie->wd || (ie->mask & r->mask) == 0)
		return 0;
	if (r->prefix == NULL)
		return 1;
	return ie->len > 0 && strncmp(ie->name, r->prefix, r->prefixlen) == 0;
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dirwatch *dw = arg;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	struct dirwatch_reg *r;
	ssize_t n;
	char *p;

	for (;;) {
		if ((n = read(dw->fd, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn(_("Reading inotify events failed"));
			break;
		}
		if (n == 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)(void *)p;
			if (ie->mask & IN_Q_OVERFLOW) {
				log_info(_("The inotify queue overflowed; every source is read."));
				TAILQ_FOREACH(r, &dw->regs, entry)
					r->due = 1;
				continue;
			}
			if (ie->mask & IN_IGNORED) {
				gone(dw, ie->wd);
				continue;
			}
			TAILQ_FOREACH(r, &dw->regs, entry)
				if (wants(r, ie))
					r->due = 1;
		}
	}
	TAILQ_FOREACH(r, &dw->regs, entry) {
		if (!r->due)
			continue;
		r->due = 0;
		r->fn(r->arg);
	}
}

struct dirwatch *
dirwatch_new(struct event_base *base, char *err, size_t errlen)
{
	struct dirwatch *dw;

	if ((dw = calloc(1, sizeof(*dw))) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		return NULL;
	}
	TAILQ_INIT(&dw->regs);
	if ((dw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		snprintf(err, errlen, _("inotify cannot start: %s"), strerror(errno));
		free(dw);
		return NULL;
	}
	if ((dw->ev = event_new(base, dw->fd, EV_READ | EV_PERSIST, read_cb, dw)) == NULL ||
	    event_add(dw->ev, NULL) != 0) {
		snprintf(err, errlen, _("the inotify descriptor cannot join the event loop"));
		dirwatch_free(dw);
		return NULL;
	}
	return dw;
}

static void
reg_free(struct dirwatch_reg *r)
{
	free(r->dir);
	free(r->prefix);
	free(r);
}

void
dirwatch_free(struct dirwatch *dw)
{
	struct dirwatch_reg *r;

	if (dw == NULL)
		return;
	while ((r = TAILQ_FIRST(&dw->regs)) != NULL) {
		TAILQ_REMOVE(&dw->regs, r, entry);
		reg_free(r);
	}
	if (dw->ev != NULL)
		event_free(dw->ev);
	close(dw->fd);
	free(dw);
}

struct dirwatch_reg *
dirwatch_add(struct dirwatch *dw, const char *dir, uint32_t mask, const char *prefix,
    dirwatch_fn fn, void *arg)
{
	struct dirwatch_reg *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->dw = dw;
	r->wd = -1;
	r->mask = mask;
	r->fn = fn;
	r->arg = arg;
	if ((r->dir = strdup(dir)) == NULL ||
	    (prefix != NULL && (r->prefix = strdup(prefix)) == NULL)) {
		reg_free(r);
		return NULL;
	}
	r->prefixlen = prefix != NULL ? strlen(prefix) : 0;
	TAILQ_INSERT_TAIL(&dw->regs, r, entry);
	return r;
}

struct dirwatch_reg *
dirwatch_add_file(struct dirwatch *dw, const char *path, dirwatch_fn fn, void *arg)
{
	struct dirwatch_reg *r;
	char *dir, *base;

	if ((dir = strdup(path)) == NULL || (base = strdup(path)) == NULL) {
		free(dir);
		return NULL;
	}
	/*
	 * Only the file's own name (and its rotations, auth.log.1): the other
	 * logs of /var/log change all the time and must not wake this source.
	 */
	r = dirwatch_add(dw, dirname(dir), IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
	    IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB, basename(base), fn, arg);
	free(dir);
	free(base);
	return r;
}

int
dirwatch_arm(struct dirwatch_reg *r)
{
	int wd;

	if (r->wd >= 0)
		return 0;
	/* Another registration may watch the directory: add to its mask, do not replace it. */
	if ((wd = inotify_add_watch(r->dw->fd, r->dir, r->mask | IN_MASK_ADD)) < 0)
		return -1;
	r->wd = wd;
	return 0;
}

void
dirwatch_del(struct dirwatch_reg *r)
{
	struct dirwatch_reg *o;
	int shared = 0;

	if (r == NULL)
		return;
	TAILQ_REMOVE(&r->dw->regs, r, entry);
	TAILQ_FOREACH(o, &r->dw->regs, entry)
		if (o->wd == r->wd)
			shared = 1;
	if (r->wd >= 0 && !shared)
		(void)inotify_rm_watch(r->dw->fd, r->wd);
	reg_free(r);
}

const char *
dirwatch_dir(const struct dirwatch_reg *r)
{
	return r->dir;
}
