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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "av.h"
#include "follow.h"
#include "vigil/clock.h"

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

	struct follow *log;                  /* NULL: no detection log */
	struct dirwatch_reg *log_reg;        /* its directory, which may appear later */
};

static void
av_emit(struct av_sensor *s, unsigned evs, const struct av_status *st, int64_t now)
{
	struct ingest_event ev;
	char summary[512], date[64], age[32], maxage[32];
	const char *product = s->pv->product;

	ingest_event_init(&ev, AV_EVENT_SOURCE, VIGIL__V1__CATEGORY__CATEGORY_ANTIVIRUS, 0, NULL,
	    summary);
	ingest_field(&ev, "product", product);
	if (evs & AV_EV_STOPPED) {
		ev.rule = "av.stopped";
		ev.severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
		snprintf(summary, sizeof(summary), "The antivirus %s is not running: %s.", product,
		    st->why[0] != '\0' ? st->why : "no reason given");
		ingest_field(&ev, "reason", st->why);
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
		ev.nfields = 1;
		ingest_field(&ev, "signatures", date);
		ingest_field(&ev, "age_days", age);
		posture_event(s->p, &ev);
		log_warnx("%s", summary);
	}
}

static void
av_done(void *arg, const struct av_status *st)
{
	struct av_sensor *s = arg;
	struct posture_av pa;
	int64_t now = clock_now_us();
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

/* A detection is an event, in the pass's transaction with the log's offset. */
static int
log_line_cb(void *arg, const char *line, size_t len)
{
	struct av_sensor *s = arg;
	struct av_detection d;
	struct ingest_event ev;
	char summary[1400];
	int rc;

	if (!s->pv->found(s->pv, line, len, &d))
		return 0;
	snprintf(summary, sizeof(summary), "%s found %s in %s.", s->pv->product, d.signature,
	    d.path);
	ingest_event_init(&ev, AV_EVENT_SOURCE, VIGIL__V1__CATEGORY__CATEGORY_MALWARE,
	    VIGIL__V1__SEVERITY__SEVERITY_HIGH, "malware.detected", summary);
	ev.raw = line;
	ev.rawlen = len;
	ingest_field(&ev, "signature", d.signature);
	ingest_field(&ev, "path", d.path);
	ingest_field(&ev, "product", s->pv->product);
	if ((rc = posture_event_append(s->p, &ev)) > 0)
		log_warnx("%s", summary);
	return rc;
}

static void
log_committed_cb(void *arg)
{
	struct av_sensor *s = arg;

	posture_appended(s->p);
}

/* Watch the log's directory; it may appear later (the product not installed yet). */
static void
log_watch(struct av_sensor *s)
{
	if (dirwatch_arm(s->log_reg) != 0)
		log_debug("The directory of the antivirus log %s cannot be watched yet: %s.",
		    dirwatch_dir(s->log_reg), strerror(errno));
}

static void
av_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct av_sensor *s = arg;

	if (s->log != NULL) {
		log_watch(s);
		follow_pass(s->log);
	}
	s->pv->check(s->pv, av_done, s);
}

struct av_sensor *
av_new(struct event_base *base, struct dirwatch *dw, struct posture *p,
    const struct agent_conf_antivirus *conf, size_t max_line, char *err, size_t errlen)
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
		if ((s->log = follow_new(base, posture_spool(p), AV_LOG_SOURCE, log, max_line,
		    log_line_cb, log_committed_cb, s)) == NULL ||
		    (s->log_reg = follow_watch(s->log, dw)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		/* The watch comes first so that nothing written after the open is missed. */
		log_watch(s);
		follow_pass(s->log);
	}
	log_info("The antivirus sensor checks %s every %lld ms%s%s.", s->pv->product,
	    conf->check_interval, s->log != NULL ? " and follows " : "",
	    s->log != NULL ? log : "");
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
	follow_free(s->log);
	if (s->pv != NULL)
		s->pv->free(s->pv);
	free(s);
}
