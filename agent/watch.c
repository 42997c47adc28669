/*
 * The agent's log sources in the event loop: a pass over a source on any
 * change in its directory, its lines through the matcher into the spool
 * together with the offset past them. No timer ever wakes the agent up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "watch.h"
#include "conf.h"
#include "follow.h"
#include "ingest.h"

struct watch_src {
	struct watch *w;
	const char *name;       /* follow's copy */
	struct follow *f;
};

struct watch {
	void (*appended)(void *arg);
	void *arg;
	struct watch_src *srcs;
	size_t nsrcs;
	struct ingest *ingest;
};

static int
line_cb(void *arg, const char *line, size_t len)
{
	struct watch_src *src = arg;
	struct ingest_input in = { src->name, line, len, NULL, 0 };

	return ingest(src->w->ingest, &in);
}

static void
committed_cb(void *arg)
{
	struct watch_src *src = arg;

	if (src->w->appended != NULL)
		src->w->appended(src->w->arg);
}

struct watch *
watch_new(struct event_base *base, struct dirwatch *dw, struct spool *spool, struct matcher *m,
    const struct watch_source *srcs, size_t nsrcs, size_t max_line,
    void (*appended)(void *arg), void *arg, char *err, size_t errlen)
{
	struct dirwatch_reg *reg;
	struct watch *w;
	size_t i;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->srcs = calloc(nsrcs > 0 ? nsrcs : 1, sizeof(*w->srcs))) == NULL ||
	    (w->ingest = ingest_new(spool, m)) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		watch_free(w);
		return NULL;
	}
	w->appended = appended;
	w->arg = arg;
	for (i = 0; i < nsrcs; i++) {
		struct watch_src *src = &w->srcs[i];

		src->w = w;
		w->nsrcs++;
		if ((src->f = follow_new(base, spool, srcs[i].name, srcs[i].path, max_line,
		    line_cb, committed_cb, src)) == NULL ||
		    (reg = follow_watch(src->f, dw)) == NULL) {
			snprintf(err, errlen, _("out of memory"));
			goto fail;
		}
		src->name = follow_name(src->f);
		/* The watch comes first so that nothing written after the open is missed. */
		if (dirwatch_arm(reg) != 0) {
			snprintf(err, errlen, _("cannot watch the directory %s: %s"),
			    dirwatch_dir(reg), strerror(errno));
			goto fail;
		}
		if (follow_open(src->f) != 0) {
			snprintf(err, errlen, _("source %s cannot follow %s"), srcs[i].name,
			    srcs[i].path);
			goto fail;
		}
	}
	for (i = 0; i < w->nsrcs; i++)
		follow_pass(w->srcs[i].f);
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
	for (i = 0; i < w->nsrcs; i++)
		follow_free(w->srcs[i].f);
	free(w->srcs);
	ingest_free(w->ingest);
	free(w);
}

uint64_t
watch_lines_truncated(const struct watch *w)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < w->nsrcs; i++)
		n += follow_lines_truncated(w->srcs[i].f);
	return n;
}

uint64_t
watch_events_rejected(const struct watch *w)
{
	return ingest_rejected(w->ingest);
}

/* ---- the [source NAME] sensor ----------------------------------------------- */

static void *
logfile_start(const struct sensor_env *env, char *err, size_t errlen)
{
	struct watch_source srcs[AGENT_MAX_SOURCES];
	const struct agent_conf *c = env->conf;
	size_t i;

	for (i = 0; i < c->nsources; i++) {
		srcs[i].name = c->sources[i].name;
		srcs[i].path = c->sources[i].path;
	}
	return watch_new(env->base, env->dirwatch, env->spool, env->matcher, srcs, c->nsources,
	    env->max_line, env->appended, env->arg, err, errlen);
}

static void
logfile_stop(void *state)
{
	watch_free(state);
}

static void
logfile_count(const void *state, struct sensor_counters *c)
{
	c->lines_truncated += watch_lines_truncated(state);
	c->events_rejected += watch_events_rejected(state);
}

const struct sensor_driver sensor_logfile = {
	.name = "logfile",
	.failure = N_("The log sources cannot be followed"),
	.start = logfile_start,
	.stop = logfile_stop,
	.count = logfile_count,
};
