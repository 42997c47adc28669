/*
 * A followed file: the tail -> owner -> spool step that makes a line's
 * events durable together with the offset past that line. Portable: the
 * platform supplies the tail (tail.h) and what wakes it (dirwatch.h).
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "follow.h"
#include "tail.h"

struct follow {
	struct spool *spool;
	char *name;
	char *path;
	size_t max_line;
	follow_line_fn line;
	void (*committed)(void *arg);
	void *arg;

	struct tail *t;            /* NULL after a failure, until the next pass reopens it */
	struct event *more;        /* another pass, queued when a read stopped at its budget */
	struct dirwatch_reg *reg;  /* NULL: the owner wakes the passes */
	uint64_t truncated_gone;   /* lines cut in the tails that were reopened */

	/* The pass in progress. */
	size_t appended;
	int failed;
};

static void
more_cb(evutil_socket_t fd, short what, void *arg)
{
	follow_pass(arg);
}

struct follow *
follow_new(struct event_base *base, struct spool *spool, const char *name, const char *path,
    size_t max_line, follow_line_fn line, void (*committed)(void *arg), void *arg)
{
	struct follow *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->spool = spool;
	f->max_line = max_line;
	f->line = line;
	f->committed = committed;
	f->arg = arg;
	if ((f->name = strdup(name)) == NULL || (f->path = strdup(path)) == NULL ||
	    (f->more = event_new(base, -1, 0, more_cb, f)) == NULL) {
		follow_free(f);
		return NULL;
	}
	return f;
}

void
follow_free(struct follow *f)
{
	if (f == NULL)
		return;
	if (f->more != NULL)
		event_free(f->more);
	dirwatch_del(f->reg);
	tail_free(f->t);
	free(f->name);
	free(f->path);
	free(f);
}

static void
changed_cb(void *arg)
{
	follow_pass(arg);
}

struct dirwatch_reg *
follow_watch(struct follow *f, struct dirwatch *dw)
{
	if (f->reg == NULL)
		f->reg = dirwatch_add_file(dw, f->path, changed_cb, f);
	return f->reg;
}

const char *
follow_name(const struct follow *f)
{
	return f->name;
}

uint64_t
follow_lines_truncated(const struct follow *f)
{
	return f->truncated_gone + (f->t != NULL ? tail_truncated_lines(f->t) : 0);
}

/*
 * After a failed pass the tail's position ran ahead of what was committed;
 * following again from the spool's position makes the next pass read those
 * lines again.
 */
int
follow_open(struct follow *f)
{
	struct tail_pos pos;
	int rc;

	if (f->t != NULL) {
		f->truncated_gone += tail_truncated_lines(f->t);
		tail_free(f->t);
		f->t = NULL;
	}
	memset(&pos, 0, sizeof(pos));
	rc = spool_pos_get(f->spool, f->name, &pos);
	if (rc != 0 && rc != VIGIL_ERR_NOTFOUND) {
		log_warnx(_("The offset of source %s cannot be read from the spool: %s."), f->name,
		    vigil_strerror(rc));
		return -1;
	}
	if ((f->t = tail_new(f->name, f->path, f->max_line,
	    rc == VIGIL_ERR_NOTFOUND ? NULL : &pos)) == NULL) {
		log_warn("Source %s cannot follow %s", f->name, f->path);
		return -1;
	}
	if (rc == VIGIL_ERR_NOTFOUND)
		log_info(_("Source %s is new: %s is followed from its end."), f->name, f->path);
	else
		log_debug("Source %s resumes %s at offset %llu.", f->name, f->path,
		    (unsigned long long)pos.offset);
	return 0;
}

static void
line_cb(void *arg, const char *line, size_t len)
{
	struct follow *f = arg;
	int rc;

	if (f->failed)
		return;
	if ((rc = f->line(f->arg, line, len)) < 0)
		f->failed = 1;
	else
		f->appended += (size_t)rc;
}

void
follow_pass(struct follow *f)
{
	struct tail_pos pos;
	int rc, more = 0;

	if (f->t == NULL && follow_open(f) != 0)
		return;
	if ((rc = spool_begin(f->spool)) != 0) {
		log_warnx(_("The spool cannot start a transaction for source %s: %s."), f->name,
		    vigil_strerror(rc));
		return;
	}
	f->appended = 0;
	f->failed = 0;
	rc = tail_read(f->t, FOLLOW_READ_MAX, line_cb, f);
	if (rc < 0)
		/* What was read so far is consistent with the tail's offset: keep it. */
		log_warn(_("Reading %s for source %s failed"), f->path, f->name);
	else
		more = rc == 1;
	if (!f->failed) {
		tail_pos(f->t, &pos);
		if ((rc = spool_pos_set(f->spool, f->name, &pos)) != 0 ||
		    (rc = spool_commit(f->spool)) != 0) {
			log_warnx("The spool cannot commit %zu events of source %s: %s.",
			    f->appended, f->name, vigil_strerror(rc));
			f->failed = 1;
		}
	}
	if (f->failed) {
		spool_rollback(f->spool);
		log_warnx(_("Source %s will read its lines again from the last committed offset."),
		    f->name);
		follow_open(f);
		return;
	}
	if (f->appended > 0) {
		log_debug("Source %s: %zu events spooled.", f->name, f->appended);
		if (f->committed != NULL)
			f->committed(f->arg);
	}
	/* Through the loop, not a loop here: one busy file must not starve the rest. */
	if (more)
		event_active(f->more, 0, 0);
}
