/*
 * The journald sources in the event loop. Each source holds one sd_journal
 * with its matches; the journal's descriptor (inotify on the journal
 * directories) joins the loop, and a wake reads what is new: at most
 * JOURNAL_PASS_MAX entries through ingest(), then the cursor of the last one,
 * all in one spool transaction.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../ingest.h"
#include "journal.h"

struct journal_src {
	struct journal *jn;
	char *name;
	sd_journal *j;
	struct event *io;       /* the journal's descriptor */
	struct event *more;     /* another pass, queued when a pass stopped at its budget */
	struct event *timer;    /* only when sd_journal_get_timeout() asks for one */
	int pending;            /* the current entry is unread: take it before moving */
	int lost;               /* the position is not the committed one: seek first */
	char cursor[SPOOL_CURSOR_MAX + 1];      /* of the last entry read in this pass */
};

struct journal {
	struct event_base *base;
	struct spool *spool;
	struct ingest *ingest;
	size_t max_line;
	void (*appended)(void *arg);
	void *arg;
	struct journal_src *srcs;
	size_t nsrcs;
	uint64_t entries;
};

/* Call fn for FIELD=token for each space-separated token of list. */
static int
matches_of(const char *field, const char *list, const char *suffix,
    int (*fn)(void *arg, const char *match), void *arg)
{
	char match[JOURNAL_MATCH_LEN];
	const char *p = list, *end;
	size_t len;
	int n, r;

	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			return 0;
		len = strcspn(p, " \t");
		end = p + len;
		n = snprintf(match, sizeof(match), "%s=%.*s%s", field, (int)len, p,
		    memchr(p, '.', len) == NULL ? suffix : "");
		if (n < 0 || (size_t)n >= sizeof(match))
			return VIGIL_ERR_TOOBIG;
		if ((r = fn(arg, match)) != 0)
			return r;
		p = end;
	}
}

int
journal_matches(const struct agent_conf_journal *jc,
    int (*fn)(void *arg, const char *match), void *arg)
{
	int r;

	if ((r = matches_of("_SYSTEMD_UNIT", jc->units, ".service", fn, arg)) != 0)
		return r;
	return matches_of("SYSLOG_IDENTIFIER", jc->identifiers, "", fn, arg);
}

/* Every match is its own term: sd-journal ORs terms split by a disjunction. */
static int
add_match(void *arg, const char *match)
{
	sd_journal *j = arg;
	int r;

	if ((r = sd_journal_add_match(j, match, 0)) < 0 ||
	    (r = sd_journal_add_disjunction(j)) < 0) {
		errno = -r;
		return VIGIL_ERR_SYS;
	}
	return 0;
}

/* Commit the source's position on its own (the first start of a source). */
static int
cursor_commit(struct journal_src *src, const char *cursor)
{
	struct spool *spool = src->jn->spool;
	int rc;

	if ((rc = spool_begin(spool)) != 0)
		return rc;
	if ((rc = spool_cursor_set(spool, src->name, cursor)) != 0 ||
	    (rc = spool_commit(spool)) != 0) {
		spool_rollback(spool);
		return rc;
	}
	return 0;
}

/* Position at the end of the journal and commit that position. */
static int
seek_end(struct journal_src *src)
{
	char *c = NULL;
	int r, rc;

	src->pending = 0;
	if ((r = sd_journal_seek_tail(src->j)) < 0) {
		log_warnx(_("Journal source %s cannot seek to the end of the journal: %s."),
		    src->name, strerror(-r));
		return -1;
	}
	if ((r = sd_journal_previous(src->j)) < 0) {
		log_warnx(_("Journal source %s cannot read the last entry: %s."), src->name,
		    strerror(-r));
		return -1;
	}
	if (r > 0 && (r = sd_journal_get_cursor(src->j, &c)) < 0) {
		log_warnx(_("Journal source %s has no cursor for the last entry: %s."), src->name,
		    strerror(-r));
		return -1;
	}
	if (c == NULL) {
		/* No entry yet: everything that comes is new, from the first one. */
		sd_journal_seek_head(src->j);
	}
	if (c != NULL && strlen(c) > SPOOL_CURSOR_MAX) {
		log_warnx(_("Journal source %s: the journal's cursor is longer than %d bytes."),
		    src->name, SPOOL_CURSOR_MAX);
		free(c);
		return -1;
	}
	rc = cursor_commit(src, c != NULL ? c : "");
	free(c);
	if (rc != 0) {
		log_warnx(_("The spool cannot store the position of journal source %s: %s."),
		    src->name, vigil_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * Position the journal after the last entry the spool has committed for
 * this source; or, for a source the spool does not know, after the last
 * entry of the journal as it is now.
 */
static int
src_seek_cursor(struct journal_src *src)
{
	char cur[SPOOL_CURSOR_MAX + 1];
	int r, rc;

	src->pending = 0;
	rc = spool_cursor_get(src->jn->spool, src->name, cur, sizeof(cur));
	if (rc == VIGIL_ERR_NOTFOUND) {
		log_info(_("Journal source %s is new: it starts after the last entry of the "
		    "journal."), src->name);
		return seek_end(src);
	}
	/* Only a damaged spool holds one: as a cursor the journal refuses, not a failure. */
	if (rc == VIGIL_ERR_TOOBIG) {
		log_warnx(_("Journal source %s has a cursor longer than %d bytes in the spool; it "
		    "starts again after the last entry."), src->name, SPOOL_CURSOR_MAX);
		return seek_end(src);
	}
	if (rc != 0) {
		log_warnx(_("The cursor of journal source %s cannot be read from the spool: %s."),
		    src->name, vigil_strerror(rc));
		return -1;
	}
	if (cur[0] == '\0') {
		/* The journal was empty when the source started: every entry is new. */
		if ((r = sd_journal_seek_head(src->j)) < 0) {
			log_warnx(_("Journal source %s cannot seek to the start of the journal: %s."),
			    src->name, strerror(-r));
			return -1;
		}
		log_debug("Journal source %s resumes at the start of the journal.", src->name);
		return 0;
	}
	if ((r = sd_journal_seek_cursor(src->j, cur)) < 0) {
		log_warnx(_("Journal source %s has a cursor the journal does not accept (%s); "
		    "it starts again after the last entry."), src->name, strerror(-r));
		return seek_end(src);
	}
	/*
	 * The seek lands on the cursor's entry, or on the next one when that
	 * entry is gone (the file was rotated away or vacuumed): the first is
	 * read already, the second is not.
	 */
	if ((r = sd_journal_next(src->j)) < 0) {
		log_warnx(_("Journal source %s cannot read at its cursor: %s."), src->name,
		    strerror(-r));
		return -1;
	}
	if (r > 0 && sd_journal_test_cursor(src->j, cur) <= 0) {
		log_info(_("Journal source %s: the entry of its cursor is gone from the journal; "
		    "it resumes at the next entry."), src->name);
		src->pending = 1;
	} else
		log_debug("Journal source %s resumes after its cursor.", src->name);
	return 0;
}

/* Until a seek succeeds, no pass reads from a position that was not committed. */
static int
src_seek(struct journal_src *src)
{
	src->lost = src_seek_cursor(src) != 0;
	return src->lost ? -1 : 0;
}

/* One pass over one source. */
struct pass {
	struct journal_src *src;
	size_t entries;
	size_t appended;
	int failed;
};

int
journal_field_value(const void *data, size_t len, const char *name, const char **val,
    size_t *vlen)
{
	size_t nl = strlen(name);

	if (data == NULL || len <= nl || memcmp(data, name, nl) != 0 ||
	    ((const char *)data)[nl] != '=')
		return -EBADMSG;
	*val = (const char *)data + nl + 1;
	*vlen = len - nl - 1;
	return 0;
}

void
journal_program(char *program, size_t cap, const char *val, size_t len)
{
	if (cap == 0)
		return;
	snprintf(program, cap, "%.*s", (int)strnlen(val, len < cap ? len : cap - 1), val);
}

/* The value of FIELD in the current entry, without "FIELD=". */
static int
field(sd_journal *j, const char *name, const char **val, size_t *len)
{
	const void *d;
	size_t l;
	int r;

	if ((r = sd_journal_get_data(j, name, &d, &l)) < 0)
		return r;
	return journal_field_value(d, l, name, val, len);
}

static void
entry(struct pass *p)
{
	struct journal_src *src = p->src;
	struct journal *jn = src->jn;
	char program[JOURNAL_PROGRAM_MAX];
	struct ingest_input in;
	const char *val;
	char *c = NULL;
	size_t len;
	int r;

	/*
	 * The data sd_journal_get_data() returns lives until its next call,
	 * so the identifier is copied before MESSAGE is read.
	 */
	program[0] = '\0';
	if (field(src->j, "SYSLOG_IDENTIFIER", &val, &len) == 0 ||
	    field(src->j, "_COMM", &val, &len) == 0)
		journal_program(program, sizeof(program), val, len);

	if ((r = sd_journal_get_cursor(src->j, &c)) < 0 || strlen(c) > SPOOL_CURSOR_MAX) {
		log_warnx(_("Journal source %s: an entry has no usable cursor (%s)."), src->name,
		    r < 0 ? strerror(-r) : "too long");
		free(c);
		p->failed = 1;
		return;
	}
	memcpy(src->cursor, c, strlen(c) + 1);
	free(c);
	p->entries++;
	jn->entries++;

	if ((r = field(src->j, "MESSAGE", &val, &len)) < 0) {
		if (r != -ENOENT)
			log_debug("Journal source %s: the MESSAGE of an entry cannot be read: %s.",
			    src->name, strerror(-r));
		return;
	}
	if (len > jn->max_line)
		len = jn->max_line;
	memset(&in, 0, sizeof(in));
	in.source = src->name;
	in.line = val;
	in.len = len;
	in.program = program;
	if ((r = ingest(jn->ingest, &in)) < 0)
		p->failed = 1;
	else
		p->appended += (size_t)r;
}

/* Ask libevent for the one-shot wake the journal wants, if it wants one. */
static void
src_arm_timer(struct journal_src *src)
{
	struct timespec ts;
	struct timeval tv;
	uint64_t t, now;

	if (sd_journal_get_timeout(src->j, &t) < 0 || t == UINT64_MAX) {
		evtimer_del(src->timer);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	t = t > now ? t - now : 0;
	tv.tv_sec = (time_t)(t / 1000000);
	tv.tv_usec = (suseconds_t)(t % 1000000);
	evtimer_add(src->timer, &tv);
}

static void
src_pass(struct journal_src *src)
{
	struct journal *jn = src->jn;
	struct pass p = { src, 0, 0, 0 };
	int r, rc;

	if (src->lost && src_seek(src) != 0)
		return;
	if ((rc = spool_begin(jn->spool)) != 0) {
		log_warnx(_("The spool cannot start a transaction for journal source %s: %s."),
		    src->name, vigil_strerror(rc));
		return;
	}
	while (p.entries < JOURNAL_PASS_MAX && !p.failed) {
		if (src->pending) {
			src->pending = 0;
			r = 1;
		} else if ((r = sd_journal_next(src->j)) < 0) {
			/* What was read so far is consistent with the cursor: keep it. */
			log_warnx(_("Reading the journal for source %s failed: %s."), src->name,
			    strerror(-r));
			break;
		}
		if (r == 0)
			break;
		entry(&p);
	}
	if (p.entries == 0 && !p.failed) {
		spool_rollback(jn->spool);
		return;
	}
	if (!p.failed) {
		if ((rc = spool_cursor_set(jn->spool, src->name, src->cursor)) != 0 ||
		    (rc = spool_commit(jn->spool)) != 0) {
			log_warnx(_("The spool cannot commit %zu events of journal source %s: %s."),
			    p.appended, src->name, vigil_strerror(rc));
			p.failed = 1;
		}
	}
	if (p.failed) {
		spool_rollback(jn->spool);
		log_warnx(_("Journal source %s will read its entries again from the last "
		    "committed cursor."), src->name);
		src_seek(src);
		return;
	}
	if (p.appended > 0) {
		log_debug("Journal source %s: %zu entries read, %zu events spooled.", src->name,
		    p.entries, p.appended);
		if (jn->appended != NULL)
			jn->appended(jn->arg);
	}
	/* Through the loop, not a loop here: one busy journal must not starve the rest. */
	if (p.entries >= JOURNAL_PASS_MAX)
		event_active(src->more, 0, 0);
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct journal_src *src = arg;
	int r;

	if ((r = sd_journal_process(src->j)) < 0)
		log_warnx(_("Journal source %s cannot process the journal's changes: %s."),
		    src->name, strerror(-r));
	src_pass(src);
	src_arm_timer(src);
}

static void
more_cb(evutil_socket_t fd, short what, void *arg)
{
	src_pass(arg);
}

static int
src_open(struct journal_src *src, const struct agent_conf_journal *jc, char *err,
    size_t errlen)
{
	struct journal *jn = src->jn;
	short what = 0;
	int fd, r, ev;

	if (jc->directory[0] != '\0')
		r = sd_journal_open_directory(&src->j, jc->directory, 0);
	else
		r = sd_journal_open(&src->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		snprintf(err, errlen, _("journal source %s cannot open %s: %s"), src->name,
		    jc->directory[0] != '\0' ? jc->directory : "the system journal",
		    strerror(-r));
		return -1;
	}
	/* The descriptor first, so that no change after the open goes unseen. */
	if ((fd = sd_journal_get_fd(src->j)) < 0 || (ev = sd_journal_get_events(src->j)) < 0) {
		snprintf(err, errlen, _("journal source %s cannot watch the journal: %s"),
		    src->name, strerror(fd < 0 ? -fd : EINVAL));
		return -1;
	}
	if (ev & POLLIN)
		what |= EV_READ;
	if (ev & POLLOUT)
		what |= EV_WRITE;
	/* Only compressed fields honour the threshold; entry() cuts the rest. */
	sd_journal_set_data_threshold(src->j, jn->max_line + sizeof("MESSAGE="));
	if ((r = journal_matches(jc, add_match, src->j)) != 0) {
		snprintf(err, errlen, _("journal source %s: its matches cannot be set: %s"),
		    src->name, r == VIGIL_ERR_SYS ? strerror(errno) : vigil_strerror(r));
		return -1;
	}
	if ((src->io = event_new(jn->base, fd, what | EV_PERSIST, io_cb, src)) == NULL ||
	    (src->more = event_new(jn->base, -1, 0, more_cb, src)) == NULL ||
	    (src->timer = evtimer_new(jn->base, io_cb, src)) == NULL ||
	    event_add(src->io, NULL) != 0) {
		snprintf(err, errlen, _("journal source %s cannot join the event loop"), src->name);
		return -1;
	}
	if (src_seek(src) != 0) {
		snprintf(err, errlen, _("journal source %s cannot find its position"), src->name);
		return -1;
	}
	src_arm_timer(src);
	return 0;
}

struct journal *
journal_new(struct event_base *base, struct spool *spool, struct matcher *m,
    const struct agent_conf_journal *confs, size_t n, size_t max_line,
    void (*appended)(void *arg), void *arg, char *err, size_t errlen)
{
	struct journal *jn;
	size_t i;

	if ((jn = calloc(1, sizeof(*jn))) == NULL ||
	    (jn->srcs = calloc(n > 0 ? n : 1, sizeof(*jn->srcs))) == NULL ||
	    (jn->ingest = ingest_new(spool, m)) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		journal_free(jn);
		return NULL;
	}
	jn->base = base;
	jn->spool = spool;
	jn->max_line = max_line;
	jn->appended = appended;
	jn->arg = arg;
	for (i = 0; i < n; i++) {
		struct journal_src *src = &jn->srcs[i];

		src->jn = jn;
		jn->nsrcs++;
		if ((src->name = strdup(confs[i].name)) == NULL) {
			snprintf(err, errlen, _("out of memory"));
			goto fail;
		}
		if (src_open(src, &confs[i], err, errlen) != 0)
			goto fail;
	}
	for (i = 0; i < jn->nsrcs; i++)
		src_pass(&jn->srcs[i]);
	return jn;
fail:
	journal_free(jn);
	return NULL;
}

void
journal_free(struct journal *jn)
{
	size_t i;

	if (jn == NULL)
		return;
	for (i = 0; i < jn->nsrcs; i++) {
		struct journal_src *src = &jn->srcs[i];

		if (src->io != NULL)
			event_free(src->io);
		if (src->more != NULL)
			event_free(src->more);
		if (src->timer != NULL)
			event_free(src->timer);
		sd_journal_close(src->j);
		free(src->name);
	}
	free(jn->srcs);
	ingest_free(jn->ingest);
	free(jn);
}

uint64_t
journal_entries_read(const struct journal *jn)
{
	return jn->entries;
}

uint64_t
journal_events_rejected(const struct journal *jn)
{
	return ingest_rejected(jn->ingest);
}

/* ---- the [journal NAME] sensor ---------------------------------------------- */

static void *
journal_start(const struct sensor_env *env, char *err, size_t errlen)
{
	return journal_new(env->base, env->spool, env->matcher, env->conf->journals,
	    env->conf->njournals, env->max_line, env->appended, env->arg, err, errlen);
}

static void
journal_stop(void *state)
{
	journal_free(state);
}

static void
journal_count(const void *state, struct sensor_counters *c)
{
	c->events_rejected += journal_events_rejected(state);
}

const struct sensor_driver sensor_journal = {
	.name = "journal",
	.failure = N_("The journal sources cannot be read"),
	.start = journal_start,
	.stop = journal_stop,
	.count = journal_count,
};
