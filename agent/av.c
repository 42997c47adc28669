/*
 * The antivirus sensor (see av.h): a provider check on a timer
 * (check_interval), the detection log followed by the platform's follower,
 * the posture's antivirus part and the events of state changes and
 * detections. The provider is found by name in the platform's table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "av.h"
#include "follow.h"

#define AV_LOG_SOURCE "sensor.av"        /* the detection log's offset in the spool */
#define AV_EVENT_SOURCE "antivirus"
#define DAY_US (86400LL * 1000000)

/* ---- pure parts ---------------------------------------------------------- */

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
		snprintf(summary, sizeof(summary), _("The antivirus %s is not running: %s."),
		    product, st->why[0] != '\0' ? st->why : _("no reason given"));
		ingest_field(&ev, "reason", st->why);
		posture_event(s->p, &ev);
		log_warnx("%s", summary);
	}
	if (evs & AV_EV_STARTED) {
		ev.rule = "av.started";
		ev.severity = VIGIL__V1__SEVERITY__SEVERITY_INFO;
		if (st->version[0] != '\0')
			snprintf(summary, sizeof(summary), _("The antivirus %s is running again "
			    "(version %s)."), product, st->version);
		else
			snprintf(summary, sizeof(summary), _("The antivirus %s is running again."),
			    product);
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
		snprintf(summary, sizeof(summary), _("The signatures of %s are %s days old (of %s), "
		    "older than the limit of %s days."), product, age, date, maxage);
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
	log_debug("Antivirus %s: running %s, version %s, signatures of %lld.", s->pv->product,
	    tristate_name(st->running), st->version[0] != '\0' ? st->version : "unknown",
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
	snprintf(summary, sizeof(summary), _("%s found %s in %s."), s->pv->product, d.signature,
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
	const struct av_provider_driver *drv;
	struct av_sensor *s;
	const char *log = "";

	err[0] = '\0';
	if (strcmp(conf->provider, "none") == 0)
		return NULL;
	if ((drv = av_provider_find(conf->provider)) == NULL) {
		snprintf(err, errlen, _("no antivirus provider is called %s"), conf->provider);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return NULL;
	}
	s->base = base;
	s->p = p;
	s->max_age_us = conf->signature_max_age * 1000;
	s->interval.tv_sec = (time_t)(conf->check_interval / 1000);
	s->interval.tv_usec = (long)(conf->check_interval % 1000) * 1000;
	if ((s->pv = drv->open(base, conf, &log, err, errlen)) == NULL)
		goto fail;
	if ((s->timer = event_new(base, -1, EV_PERSIST, av_timer_cb, s)) == NULL ||
	    event_add(s->timer, &s->interval) != 0) {
		snprintf(err, errlen, "%s", _("the antivirus check cannot join the event loop"));
		goto fail;
	}
	if (log != NULL && log[0] != '\0') {
		if ((s->log = follow_new(base, posture_spool(p), AV_LOG_SOURCE, log, max_line,
		    log_line_cb, log_committed_cb, s)) == NULL ||
		    (s->log_reg = follow_watch(s->log, dw)) == NULL) {
			snprintf(err, errlen, "%s", _("out of memory"));
			goto fail;
		}
		/* The watch comes first so that nothing written after the open is missed. */
		log_watch(s);
		follow_pass(s->log);
	}
	if (s->log != NULL)
		log_info(_("The antivirus sensor checks %s every %lld ms and follows %s."),
		    s->pv->product, conf->check_interval, log);
	else
		log_info(_("The antivirus sensor checks %s every %lld ms."), s->pv->product,
		    conf->check_interval);
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

/* ---- the providers' table, and the sensor as a driver ---------------------- */

const struct av_provider_driver *
av_provider_find(const char *name)
{
	size_t i;

	for (i = 0; av_providers[i] != NULL; i++)
		if (strcmp(av_providers[i]->name, name) == 0)
			return av_providers[i];
	return NULL;
}

void
av_provider_names(char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; av_providers[i] != NULL && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > 0 ? ", " : "",
		    av_providers[i]->name);
	/* TRANSLATORS: after the list of antivirus providers: "clamav, generic or none". */
	if (o < len)
		snprintf(buf + o, len - o, " %s", _("or none"));
}

static int
antivirus_check(const char *path, const struct agent_conf *conf, char *err, size_t errlen)
{
	const struct agent_conf_antivirus *av = &conf->antivirus;
	const struct av_provider_driver *drv;
	const char *key = NULL;
	char names[256], msg[256];

	if (strcmp(av->provider, "none") == 0)
		return 0;
	if ((drv = av_provider_find(av->provider)) == NULL) {
		av_provider_names(names, sizeof(names));
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path,
		    "antivirus", NULL, "provider"), _("provider \"%.32s\" is not %s"),
		    av->provider, names);
	}
	if (drv->check != NULL && drv->check(av, &key, msg, sizeof(msg)) != 0)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path,
		    "antivirus", NULL, key), "%s", msg);
	return 0;
}

static void *
antivirus_start(const struct sensor_env *env, char *err, size_t errlen)
{
	return av_new(env->base, env->dirwatch, env->posture, &env->conf->antivirus,
	    env->max_line, err, errlen);
}

static void
antivirus_stop(void *state)
{
	av_free(state);
}

const struct sensor_driver sensor_antivirus = {
	.name = "antivirus",
	.check = antivirus_check,
	.failure = N_("The antivirus sensor cannot start"),
	.start = antivirus_start,
	.stop = antivirus_stop,
};
