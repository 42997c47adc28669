/*
 * The antivirus sensor: a provider check on a timer (check_interval), the
 * detection log followed with inotify, the posture's antivirus part and the
 * events of state changes and detections. Also the generic provider, for
 * products without a protocol: a process name or a systemd unit that must
 * run, and a literal pattern that marks a detection line in their log.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "av.h"
#include "daemon.h"

#define AV_LOG_SOURCE "sensor.av"        /* the detection log's offset in the spool */
#define AV_EVENT_SOURCE "antivirus"
#define COMM_MAX 15                      /* TASK_COMM_LEN - 1 */
#define DAY_US (86400LL * 1000000)

/* ---- pure parts ---------------------------------------------------------- */

int
av_comm_matches(const char *comm, size_t len, const char *name)
{
	size_t n = strlen(name);

	while (len > 0 && (comm[len - 1] == '\n' || comm[len - 1] == '\0'))
		len--;
	if (n == 0)
		return 0;
	/* The kernel keeps the first 15 bytes of a process name. */
	if (n > COMM_MAX)
		n = COMM_MAX;
	return len == n && memcmp(comm, name, n) == 0;
}

int
av_generic_found(const char *line, size_t len, const char *pattern, struct av_detection *d)
{
	size_t n = strlen(pattern);

	if (n == 0 || memmem(line, len, pattern, n) == NULL)
		return 0;
	if (av_clamd_found(line, len, d))
		return 1;
	snprintf(d->signature, sizeof(d->signature), "unknown");
	text_utf8_clean(d->path, sizeof(d->path), line, len);
	return 1;
}

unsigned
av_assess(struct av_state *st, const struct av_status *now, int64_t now_us,
    int64_t max_age_us)
{
	unsigned ev = 0;
	int old;

	if (now->running == VIGIL__V1__TRISTATE__TRISTATE_NO &&
	    st->running != VIGIL__V1__TRISTATE__TRISTATE_NO)
		ev |= AV_EV_STOPPED;
	if (now->running == VIGIL__V1__TRISTATE__TRISTATE_YES &&
	    st->running == VIGIL__V1__TRISTATE__TRISTATE_NO)
		ev |= AV_EV_STARTED;
	if (now->running != VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN)
		st->running = now->running;
	/* A stopped product tells no date: the last known state stands. */
	if (now->signatures_us > 0) {
		old = now_us - now->signatures_us > max_age_us;
		if (old && !st->sigs_old)
			ev |= AV_EV_SIGS_OLD;
		st->sigs_old = old;
	}
	return ev;
}

/* ---- the generic provider ------------------------------------------------- */

int
av_process_running(const char *name)
{
	struct dirent *de;
	char path[64], comm[64];
	DIR *d;
	ssize_t n;
	int fd, found = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/comm", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, comm, sizeof(comm));
		close(fd);
		if (n > 0 && av_comm_matches(comm, (size_t)n, name))
			found = 1;
	}
	closedir(d);
	return found;
}

struct generic {
	struct av_provider pv;
	char name[64];
	char process[64];
	char unit[256];
	char pattern[256];
};

/* systemd keeps this link for each unit while it is active: no D-Bus needed. */
static int
unit_active(const char *unit)
{
	char path[512];

	snprintf(path, sizeof(path), "/run/systemd/units/invocation:%s%s", unit,
	    strchr(unit, '.') == NULL ? ".service" : "");
	return access(path, F_OK) == 0;
}

static void
generic_check(struct av_provider *pv, av_done_fn done, void *arg)
{
	struct generic *g = (struct generic *)pv;
	struct av_status st;

	memset(&st, 0, sizeof(st));
	if ((g->process[0] != '\0' && av_process_running(g->process)) ||
	    (g->unit[0] != '\0' && unit_active(g->unit)))
		st.running = VIGIL__V1__TRISTATE__TRISTATE_YES;
	else {
		st.running = VIGIL__V1__TRISTATE__TRISTATE_NO;
		snprintf(st.why, sizeof(st.why), "%.60s%s%s%.120s is not running", g->process,
		    g->process[0] != '\0' && g->unit[0] != '\0' ? " and " : "",
		    g->unit[0] != '\0' ? "unit " : "", g->unit);
	}
	done(arg, &st);
}

static int
generic_found(struct av_provider *pv, const char *line, size_t len, struct av_detection *d)
{
	struct generic *g = (struct generic *)pv;

	return av_generic_found(line, len, g->pattern, d);
}

static void
generic_free(struct av_provider *pv)
{
	free(pv);
}

struct av_provider *
av_generic_new(const char *name, const char *process, const char *unit, const char *pattern)
{
	struct generic *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->process, sizeof(g->process), "%s", process != NULL ? process : "");
	snprintf(g->unit, sizeof(g->unit), "%s", unit != NULL ? unit : "");
	snprintf(g->pattern, sizeof(g->pattern), "%s", pattern != NULL ? pattern : "");
	g->pv.product = g->name;
	g->pv.check = generic_check;
	g->pv.found = generic_found;
	g->pv.free = generic_free;
	return &g->pv;
}

/* ---- the sensor ------------------------------------------------------------ */

struct av_sensor {
	struct event_base *base;
	struct posture *p;
	struct av_provider *pv;
	struct av_state state;
	int64_t max_age_us;
	struct timeval interval;
	struct event *timer;
	char version[WIRE_MAX_VERSION + 1];  /* the last known, kept while it is stopped */
	int64_t signatures_us;

	char *log;                           /* NULL: no detection log */
	size_t max_line;
	struct tail *t;
	int ifd, iwd;
	struct event *iev;
	struct event *more;
	int failed;                          /* the current pass could not spool */
	size_t found;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
av_emit(struct av_sensor *s, unsigned evs, const struct av_status *st, int64_t now)
{
	struct sensor_event ev;
	char summary[512], date[64], age[32], maxage[32];
	const char *product = s->pv->product;

	memset(&ev, 0, sizeof(ev));
	ev.source = AV_EVENT_SOURCE;
	ev.category = VIGIL__V1__CATEGORY__CATEGORY_ANTIVIRUS;
	ev.summary = summary;
	ev.fields[0].key = "product";
	ev.fields[0].value = product;
	ev.nfields = 1;
	if (evs & AV_EV_STOPPED) {
		ev.rule = "av.stopped";
		ev.severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
		snprintf(summary, sizeof(summary), "The antivirus %s is not running: %s.", product,
		    st->why[0] != '\0' ? st->why : "no reason given");
		ev.fields[1].key = "reason";
		ev.fields[1].value = st->why;
		ev.nfields = 2;
		posture_event(s->p, &ev);
		log_warnx("%s", summary);
	}
	if (evs & AV_EV_STARTED) {
		ev.rule = "av.started";
		ev.severity = VIGIL__V1__SEVERITY__SEVERITY_INFO;
		snprintf(summary, sizeof(summary), "The antivirus %s is running again%s%s%s.",
		    product, st->version[0] != '\0' ? " (version " : "", st->version,
		    st->version[0] != '\0' ? ")" : "");
		ev.nfields = 1;
		posture_event(s->p, &ev);
		log_info("%s", summary);
	}
	if (evs & AV_EV_SIGS_OLD) {
		text_time_rfc3339(date, sizeof(date), st->signatures_us);
		snprintf(age, sizeof(age), "%lld", (long long)((now - st->signatures_us) / DAY_US));
		snprintf(maxage, sizeof(maxage), "%lld", (long long)(s->max_age_us / DAY_US));
		ev.rule = "av.signatures_old";
		ev.severity = VIGIL__V1__SEVERITY__SEVERITY_MEDIUM;
		snprintf(summary, sizeof(summary), "The signatures of %s are %s days old (of %s), "
		    "older than the limit of %s days.", product, age, date, maxage);
		ev.fields[1].key = "signatures";
		ev.fields[1].value = date;
		ev.fields[2].key = "age_days";
		ev.fields[2].value = age;
		ev.nfields = 3;
		posture_event(s->p, &ev);
		log_warnx("%s", summary);
	}
}

static void
av_done(void *arg, const struct av_status *st)
{
	struct av_sensor *s = arg;
	struct posture_av pa;
	int64_t now = now_us();
	unsigned evs;

	evs = av_assess(&s->state, st, now, s->max_age_us);
	if (st->version[0] != '\0')
		snprintf(s->version, sizeof(s->version), "%s", st->version);
	if (st->signatures_us > 0)
		s->signatures_us = st->signatures_us;
	log_debug("Antivirus %s: running %d, version %s, signatures of %lld.", s->pv->product,
	    st->running, st->version[0] != '\0' ? st->version : "unknown",
	    (long long)(st->signatures_us / 1000000));

	memset(&pa, 0, sizeof(pa));
	snprintf(pa.product, sizeof(pa.product), "%s", s->pv->product);
	pa.running = st->running;
	pa.realtime = st->realtime;
	/* What it ran last stays the best fact while it is stopped. */
	snprintf(pa.version, sizeof(pa.version), "%s", s->version);
	pa.signatures_us = s->signatures_us;
	if (evs != 0)
		av_emit(s, evs, st, now);
	posture_set_av(s->p, &pa);
}

/* ---- the detection log ----------------------------------------------------- */

static void
log_line_cb(void *arg, const char *line, size_t len)
{
	struct av_sensor *s = arg;
	struct av_detection d;
	struct sensor_event ev;
	char summary[1400];
	int rc;

	if (s->failed || !s->pv->found(s->pv, line, len, &d))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.source = AV_EVENT_SOURCE;
	ev.category = VIGIL__V1__CATEGORY__CATEGORY_MALWARE;
	ev.severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
	ev.rule = "malware.detected";
	snprintf(summary, sizeof(summary), "%s found %s in %s.", s->pv->product, d.signature,
	    d.path);
	ev.summary = summary;
	ev.raw = line;
	ev.rawlen = len;
	ev.fields[0].key = "signature";
	ev.fields[0].value = d.signature;
	ev.fields[1].key = "path";
	ev.fields[1].value = d.path;
	ev.fields[2].key = "product";
	ev.fields[2].value = s->pv->product;
	ev.nfields = 3;
	if ((rc = posture_event_append(s->p, &ev)) < 0)
		s->failed = 1;
	else if (rc > 0) {
		s->found++;
		log_warnx("%s", summary);
	}
}

static int
log_open(struct av_sensor *s)
{
	struct spool *sp = posture_spool(s->p);
	struct tail_pos pos;
	int rc;

	tail_free(s->t);
	s->t = NULL;
	memset(&pos, 0, sizeof(pos));
	rc = spool_pos_get(sp, AV_LOG_SOURCE, &pos);
	if (rc != 0 && rc != VIGIL_ERR_NOTFOUND) {
		log_warnx("The offset of the antivirus log cannot be read from the spool: %s.",
		    vigil_strerror(rc));
		return -1;
	}
	if ((s->t = tail_new(AV_LOG_SOURCE, s->log, s->max_line,
	    rc == VIGIL_ERR_NOTFOUND ? NULL : &pos)) == NULL) {
		log_warn("The antivirus log %s cannot be followed", s->log);
		return -1;
	}
	return 0;
}

/* One pass: detections and the new offset in one transaction, as for a log source. */
static void
log_pass(struct av_sensor *s)
{
	struct spool *sp = posture_spool(s->p);
	struct tail_pos pos;
	int rc, more = 0;

	if (s->t == NULL && log_open(s) != 0)
		return;
	if ((rc = spool_begin(sp)) != 0) {
		log_warnx("The spool cannot start a transaction for the antivirus log: %s.",
		    vigil_strerror(rc));
		return;
	}
	s->failed = 0;
	s->found = 0;
	rc = tail_read(s->t, WATCH_READ_MAX, log_line_cb, s);
	if (rc < 0)
		log_warn("Reading the antivirus log %s failed", s->log);
	else
		more = rc == 1;
	if (!s->failed) {
		tail_pos(s->t, &pos);
		if ((rc = spool_pos_set(sp, AV_LOG_SOURCE, &pos)) != 0 ||
		    (rc = spool_commit(sp)) != 0) {
			log_warnx("The spool cannot commit the antivirus log's detections: %s.",
			    vigil_strerror(rc));
			s->failed = 1;
		}
	}
	if (s->failed) {
		spool_rollback(sp);
		log_open(s);
		return;
	}
	if (s->found > 0)
		posture_appended(s->p);
	if (more)
		event_active(s->more, 0, 0);
}

static void
log_more_cb(evutil_socket_t fd, short what, void *arg)
{
	log_pass(arg);
}

static void
log_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct av_sensor *s = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	ssize_t n;
	char *p;

	while ((n = read(s->ifd, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)(void *)p;
			if (ie->mask & IN_IGNORED) {
				log_warnx("The directory of the antivirus log %s is gone; the log "
				    "is followed again when it is back.", s->log);
				s->iwd = -1;
			}
		}
	log_pass(s);
}

/* Watch the log's directory; it may appear later (the product not installed yet). */
static void
log_watch(struct av_sensor *s)
{
	char *copy;

	if (s->log == NULL || s->iwd >= 0 || (copy = strdup(s->log)) == NULL)
		return;
	s->iwd = inotify_add_watch(s->ifd, dirname(copy), IN_MODIFY | IN_CREATE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB);
	if (s->iwd < 0)
		log_debug("The directory of the antivirus log %s cannot be watched yet: %s.",
		    s->log, strerror(errno));
	free(copy);
}

static void
av_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct av_sensor *s = arg;

	if (s->log != NULL) {
		log_watch(s);
		log_pass(s);
	}
	s->pv->check(s->pv, av_done, s);
}

struct av_sensor *
av_new(struct event_base *base, struct posture *p, const struct agent_conf_antivirus *conf,
    size_t max_line, char *err, size_t errlen)
{
	struct av_sensor *s;
	const char *log = NULL;

	err[0] = '\0';
	if (strcmp(conf->provider, "none") == 0)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->p = p;
	s->ifd = s->iwd = -1;
	s->max_line = max_line;
	s->max_age_us = conf->signature_max_age * 1000;
	s->interval.tv_sec = (time_t)(conf->check_interval / 1000);
	s->interval.tv_usec = (suseconds_t)(conf->check_interval % 1000) * 1000;
	if (strcmp(conf->provider, "clamav") == 0) {
		s->pv = av_clamd_new(base, conf->clamd_socket);
		log = conf->clamd_log;
	} else {
		s->pv = av_generic_new(conf->name, conf->process, conf->unit, conf->pattern);
		log = conf->log;
	}
	if (s->pv == NULL) {
		snprintf(err, errlen, "the %s provider cannot start (clamd_socket %s)",
		    conf->provider, conf->clamd_socket);
		goto fail;
	}
	if ((s->timer = event_new(base, -1, EV_PERSIST, av_timer_cb, s)) == NULL ||
	    event_add(s->timer, &s->interval) != 0) {
		snprintf(err, errlen, "the antivirus check cannot join the event loop");
		goto fail;
	}
	if (log != NULL && log[0] != '\0') {
		if ((s->log = strdup(log)) == NULL ||
		    (s->more = event_new(base, -1, 0, log_more_cb, s)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if ((s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
		    (s->iev = event_new(base, s->ifd, EV_READ | EV_PERSIST, log_inotify_cb,
		    s)) == NULL || event_add(s->iev, NULL) != 0) {
			snprintf(err, errlen, "inotify cannot start for %s: %s", log,
			    strerror(errno));
			goto fail;
		}
		/* The watch comes first so that nothing written after the open is missed. */
		log_watch(s);
		log_pass(s);
	}
	log_info("The antivirus sensor checks %s every %lld ms%s%s.", s->pv->product,
	    conf->check_interval, s->log != NULL ? " and follows " : "",
	    s->log != NULL ? s->log : "");
	s->pv->check(s->pv, av_done, s);
	return s;
fail:
	av_free(s);
	return NULL;
}

void
av_free(struct av_sensor *s)
{
	if (s == NULL)
		return;
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->iev != NULL)
		event_free(s->iev);
	if (s->more != NULL)
		event_free(s->more);
	if (s->ifd >= 0)
		close(s->ifd);
	tail_free(s->t);
	if (s->pv != NULL)
		s->pv->free(s->pv);
	free(s->log);
	free(s);
}
