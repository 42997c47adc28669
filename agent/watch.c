/*
 * The agent's log sources in the event loop: inotify on the directories,
 * a pass over the tails of a directory on any change in it, and the
 * tail -> matcher -> spool step that makes a line's event durable together
 * with the offset past that line. No timer ever wakes the agent up.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/wire.h"
#include "daemon.h"
#include "ingest.h"

#define WATCH_MASK (IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | \
	IN_CLOSE_WRITE | IN_ATTRIB)

struct watch_dir {
	char *path;
	int wd;
};

struct watch_src {
	struct watch *w;
	char *name;
	char *path;
	size_t dir;             /* index in w->dirs */
	struct tail *t;         /* NULL after a failure, until the next pass rebuilds it */
	struct event *more;     /* another pass, queued when a read stopped at its budget */
	int dirty;
};

struct watch {
	struct event_base *base;
	struct spool *spool;
	struct matcher *matcher;
	size_t max_line;
	void (*appended)(void *arg);
	void *arg;

	int ifd;
	struct event *iev;
	struct watch_dir *dirs;
	size_t ndirs;
	struct watch_src *srcs;
	size_t nsrcs;

	struct ingest *ingest;
	uint64_t truncated_gone;   /* truncated-line counts of tails that were rebuilt */
};

/* One pass over one tail. */
struct pass {
	struct watch *w;
	struct watch_src *src;
	size_t appended;
	int failed;
};

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
line_cb(void *arg, const char *line, size_t len)
{
	struct pass *p = arg;
	struct ingest_input in = { p->src->name, line, len, NULL, now_us() };
	int rc;

	if (p->failed)
		return;
	if ((rc = ingest(p->w->ingest, &in)) < 0)
		p->failed = 1;
	else
		p->appended += (size_t)rc;
}

/*
 * Follow the source again from the offset the spool holds. After a failed
 * pass the tail's position ran ahead of what was committed; rebuilding it
 * from the spool makes the next pass read those lines again.
 */
static int
src_open(struct watch_src *src)
{
	struct watch *w = src->w;
	struct tail_pos pos;
	int rc;

	if (src->t != NULL) {
		w->truncated_gone += tail_truncated_lines(src->t);
		tail_free(src->t);
		src->t = NULL;
	}
	memset(&pos, 0, sizeof(pos));
	rc = spool_pos_get(w->spool, src->name, &pos);
	if (rc != 0 && rc != VIGIL_ERR_NOTFOUND) {
		log_warnx("The offset of source %s cannot be read from the spool: %s.",
		    src->name, vigil_strerror(rc));
		return -1;
	}
	if ((src->t = tail_new(src->name, src->path, w->max_line,
	    rc == VIGIL_ERR_NOTFOUND ? NULL : &pos)) == NULL) {
		log_warn("Source %s cannot follow %s", src->name, src->path);
		return -1;
	}
	if (rc == VIGIL_ERR_NOTFOUND)
		log_info("Source %s is new: %s is followed from its end.", src->name, src->path);
	else
		log_debug("Source %s resumes %s at offset %llu.", src->name, src->path,
		    (unsigned long long)pos.offset);
	return 0;
}

static void
src_pass(struct watch_src *src)
{
	struct watch *w = src->w;
	struct pass p = { w, src, 0, 0 };
	struct tail_pos pos;
	int rc, more = 0;

	src->dirty = 0;
	if (src->t == NULL && src_open(src) != 0)
		return;
	if ((rc = spool_begin(w->spool)) != 0) {
		log_warnx("The spool cannot start a transaction for source %s: %s.", src->name,
		    vigil_strerror(rc));
		return;
	}
	rc = tail_read(src->t, WATCH_READ_MAX, line_cb, &p);
	if (rc < 0)
		/* What was read so far is consistent with the tail's offset: keep it. */
		log_warn("Reading %s for source %s failed", src->path, src->name);
	else
		more = rc == 1;
	if (!p.failed) {
		tail_pos(src->t, &pos);
		if ((rc = spool_pos_set(w->spool, src->name, &pos)) != 0 ||
		    (rc = spool_commit(w->spool)) != 0) {
			log_warnx("The spool cannot commit %zu events of source %s: %s.",
			    p.appended, src->name, vigil_strerror(rc));
			p.failed = 1;
		}
	}
	if (p.failed) {
		spool_rollback(w->spool);
		log_warnx("Source %s will read its lines again from the last committed offset.",
		    src->name);
		src_open(src);
		return;
	}
	if (p.appended > 0) {
		log_debug("Source %s: %zu events spooled.", src->name, p.appended);
		if (w->appended != NULL)
			w->appended(w->arg);
	}
	/* Through the loop, not a loop here: one busy file must not starve the rest. */
	if (more)
		event_active(src->more, 0, 0);
}

static void
more_cb(evutil_socket_t fd, short what, void *arg)
{
	src_pass(arg);
}

static void
inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	size_t i, d;
	ssize_t n;
	char *p;

	for (;;) {
		if ((n = read(w->ifd, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("Reading inotify events failed");
			break;
		}
		if (n == 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)(void *)p;
			if (ie->mask & IN_Q_OVERFLOW) {
				log_info("The inotify queue overflowed; every source is read.");
				for (i = 0; i < w->nsrcs; i++)
					w->srcs[i].dirty = 1;
				continue;
			}
			for (d = 0; d < w->ndirs; d++)
				if (w->dirs[d].wd == ie->wd)
					break;
			if (d == w->ndirs)
				continue;
			if (ie->mask & IN_IGNORED) {
				log_warnx("The watch on %s is gone (the directory was removed or "
				    "unmounted); its sources are no longer followed.",
				    w->dirs[d].path);
				w->dirs[d].wd = -1;
				continue;
			}
			for (i = 0; i < w->nsrcs; i++)
				if (w->srcs[i].dir == d)
					w->srcs[i].dirty = 1;
		}
	}
	for (i = 0; i < w->nsrcs; i++)
		if (w->srcs[i].dirty)
			src_pass(&w->srcs[i]);
}

static int
add_dir(struct watch *w, const char *path, size_t *index, char *err, size_t errlen)
{
	char *copy, *dir;
	size_t d;
	int wd;

	if ((copy = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dir = dirname(copy);
	for (d = 0; d < w->ndirs; d++)
		if (strcmp(w->dirs[d].path, dir) == 0)
			break;
	if (d == w->ndirs) {
		if ((wd = inotify_add_watch(w->ifd, dir, WATCH_MASK)) < 0) {
			snprintf(err, errlen, "cannot watch the directory %s: %s", dir,
			    strerror(errno));
			free(copy);
			return -1;
		}
		if ((w->dirs[d].path = strdup(dir)) == NULL) {
			snprintf(err, errlen, "out of memory");
			free(copy);
			return -1;
		}
		w->dirs[d].wd = wd;
		w->ndirs++;
	}
	free(copy);
	*index = d;
	return 0;
}

struct watch *
watch_new(struct event_base *base, struct spool *spool, struct matcher *m,
    const struct watch_source *srcs, size_t nsrcs, size_t max_line,
    void (*appended)(void *arg), void *arg, char *err, size_t errlen)
{
	struct watch *w;
	size_t i;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->base = base;
	w->spool = spool;
	w->matcher = m;
	if ((w->ingest = ingest_new(spool, m)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(w);
		return NULL;
	}
	w->max_line = max_line;
	w->appended = appended;
	w->arg = arg;
	w->ifd = -1;
	if ((w->dirs = calloc(nsrcs > 0 ? nsrcs : 1, sizeof(*w->dirs))) == NULL ||
	    (w->srcs = calloc(nsrcs > 0 ? nsrcs : 1, sizeof(*w->srcs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		snprintf(err, errlen, "inotify cannot start: %s", strerror(errno));
		goto fail;
	}
	if ((w->iev = event_new(base, w->ifd, EV_READ | EV_PERSIST, inotify_cb, w)) == NULL ||
	    event_add(w->iev, NULL) != 0) {
		snprintf(err, errlen, "the inotify descriptor cannot join the event loop");
		goto fail;
	}
	for (i = 0; i < nsrcs; i++) {
		struct watch_src *src = &w->srcs[i];

		src->w = w;
		w->nsrcs++;
		if ((src->name = strdup(srcs[i].name)) == NULL ||
		    (src->path = strdup(srcs[i].path)) == NULL ||
		    (src->more = event_new(base, -1, 0, more_cb, src)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		/* The watch comes first so that nothing written after the open is missed. */
		if (add_dir(w, src->path, &src->dir, err, errlen) != 0)
			goto fail;
		if (src_open(src) != 0) {
			snprintf(err, errlen, "source %s cannot follow %s", src->name, src->path);
			goto fail;
		}
	}
	for (i = 0; i < w->nsrcs; i++)
		src_pass(&w->srcs[i]);
	return w;
fail:
	watch_free(w);
	return NULL;
}

void
watch_free(struct watch *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nsrcs; i++) {
		if (w->srcs[i].more != NULL)
			event_free(w->srcs[i].more);
		tail_free(w->srcs[i].t);
		free(w->srcs[i].name);
		free(w->srcs[i].path);
	}
	if (w->iev != NULL)
		event_free(w->iev);
	if (w->ifd >= 0)
		close(w->ifd);
	for (i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	free(w->srcs);
	ingest_free(w->ingest);
	free(w);
}

uint64_t
watch_lines_truncated(const struct watch *w)
{
	uint64_t n = w->truncated_gone;
	size_t i;

	for (i = 0; i < w->nsrcs; i++)
		if (w->srcs[i].t != NULL)
			n += tail_truncated_lines(w->srcs[i].t);
	return n;
}

uint64_t
watch_events_rejected(const struct watch *w)
{
	return ingest_rejected(w->ingest);
}
