/*
 * The notification dispatcher: one queue of messages for every channel,
 * attempts started from libevent timers, retries on the backoff schedule.
 * The channels are drivers (notify_drivers[]): this file starts, ends and
 * frees their attempts and names none of them. See notify.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "vigil/clock.h"
#include "vigil/err.h"

#include "vigil/tz.h"
#include "notify.h"

struct notify {
	struct event_base *base;
	struct notify_conf conf;
	notify_cb *cb;
	void *cb_arg;
	void *state[NOTIFY_CHANNEL_COUNT];  /* each channel's, from its init() */
	int inited[NOTIFY_CHANNEL_COUNT];
	struct notify_job *jobs; /* every pending message */
	size_t njobs;
	uint64_t next_id;
};

void
notify_conf_defaults(struct notify_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->smtp_starttls = 1;
	snprintf(c->smtp_from_name, sizeof(c->smtp_from_name), "Vigil");
	c->tls_verify = 1;
	c->timeout_ms = 30000;
	c->exec_timeout_ms = 30000;
	c->max_attempts = 6;
	c->retry_base_ms = 30000;
	c->retry_factor = 4;
	c->retry_max_ms = 3600000;
	c->utc_offset_min = 420;
}

long long
notify_backoff_ms(const struct notify_conf *c, int attempt)
{
	long long d;

	if (attempt < 1 || attempt > c->max_attempts)
		return -1;
	if (attempt == 1)
		return 0;
	d = c->retry_base_ms;
	for (int k = 2; k < attempt && d < c->retry_max_ms; k++) {
		if (c->retry_factor > 1 && d > c->retry_max_ms / c->retry_factor) {
			d = c->retry_max_ms;
			break;
		}
		d *= c->retry_factor > 1 ? c->retry_factor : 1;
	}
	return d < c->retry_max_ms ? d : c->retry_max_ms;
}

const char *
notify_channel_name(enum notify_channel ch)
{
	return (unsigned)ch < NOTIFY_CHANNEL_COUNT && notify_drivers[ch] != NULL ?
	    notify_drivers[ch]->name : "unknown";
}

int
notify_channel_find(const char *name)
{
	for (int i = 0; i < NOTIFY_CHANNEL_COUNT; i++)
		if (notify_drivers[i] != NULL && strcmp(notify_drivers[i]->name, name) == 0)
			return i;
	return -1;
}

const char *
notify_failure_name(enum notify_failure f)
{
	static const char *const names[] = {
	    "", "invalid", "connect", "tls", "timeout", "auth", "refused", "exit", "other",
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) == NOTIFY_FAIL_COUNT, "failure names");
	return (unsigned)f < NOTIFY_FAIL_COUNT ? names[f] : "other";
}

int64_t
notify_now_us(void)
{
	return clock_now_us();
}

const struct notify_conf *
notify_conf_of(const struct notify *n)
{
	return &n->conf;
}

struct event_base *
notify_base(const struct notify *n)
{
	return n->base;
}

void *
notify_driver_state(const struct notify *n, enum notify_channel ch)
{
	return (unsigned)ch < NOTIFY_CHANNEL_COUNT ? n->state[ch] : NULL;
}

size_t
notify_pending(const struct notify *n)
{
	return n->njobs;
}

/* ---- jobs ---- */

static void
job_unlink(struct notify_job *j)
{
	struct notify *n = j->n;

	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		n->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	n->njobs--;
}

/* Whatever the attempt holds goes: its channel frees it. */
static void
job_abort(struct notify_job *j)
{
	notify_drivers[j->channel]->abort(j);
}

static void
job_free(struct notify_job *j)
{
	if (j == NULL)
		return;
	job_abort(j);
	if (j->timer != NULL)
		event_free(j->timer);
	free(j->subject);
	free(j->body);
	free(j->json);
	free(j->attach);
	free(j);
}

static void
job_start(evutil_socket_t fd, short what, void *arg)
{
	struct notify_job *j = arg;

	j->attempt++;
	j->started_us = notify_now_us();
	j->running = 1;
	notify_drivers[j->channel]->start(j);
}

static int
job_schedule(struct notify_job *j, long long delay_ms)
{
	struct timeval tv;

	if (delay_ms < 0)
		delay_ms = 0;
	tv.tv_sec = (time_t)(delay_ms / 1000);
	tv.tv_usec = (suseconds_t)(delay_ms % 1000) * 1000;
	return evtimer_add(j->timer, &tv) == 0 ? 0 : VIGIL_ERR_NOMEM;
}

void
notify_job_done(struct notify_job *j, enum notify_failure f, long code, const char *fmt, ...)
{
	struct notify *n = j->n;
	struct notify_attempt a;
	char err[NOTIFY_ERROR_MAX];
	long long delay = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, sizeof(err), fmt, ap);
	va_end(ap);
	j->running = 0;
	/* Whatever the attempt held goes now; the next attempt starts afresh. */
	job_abort(j);

	memset(&a, 0, sizeof(a));
	a.job = j->id;
	a.tag = j->tag;
	a.channel = j->channel;
	a.target = j->target;
	a.attempt = j->attempt;
	a.started_us = j->started_us;
	a.finished_us = notify_now_us();
	a.ok = f == NOTIFY_FAIL_NONE;
	a.failure = f;
	a.code = code;
	a.error = a.ok ? "" : err;
	if (!a.ok && f != NOTIFY_FAIL_INVALID)
		delay = notify_backoff_ms(&n->conf, j->attempt + 1);
	a.final = delay < 0;
	a.next_us = a.final ? 0 : a.finished_us + delay * 1000;
	if (!a.final && job_schedule(j, delay) < 0) {
		a.final = 1;
		a.next_us = 0;
	}
	if (n->cb != NULL)
		n->cb(&a, n->cb_arg);
	if (a.final) {
		job_unlink(j);
		job_free(j);
	}
}

int
notify_send(struct notify *n, const struct notify_request *req, uint64_t *job)
{
	const struct notify_conf *c = &n->conf;
	struct notify_job *j = NULL;
	const char *header;
	int64_t now;
	int rc, off;

	if (req->target == NULL || req->target[0] == '\0' || req->n == NULL ||
	    (unsigned)req->channel >= NOTIFY_CHANNEL_COUNT || notify_drivers[req->channel] == NULL ||
	    req->attempts_done < 0 || req->attempts_done >= c->max_attempts)
		return VIGIL_ERR_INVAL;
	if (notify_drivers[req->channel]->usable != NULL &&
	    notify_drivers[req->channel]->usable(c) != 0)
		return VIGIL_ERR_INVAL;
	if (strlen(req->target) >= NOTIFY_TARGET_MAX)
		return VIGIL_ERR_TOOBIG;
	header = req->header != NULL ? req->header : c->webhook_header;
	if (strlen(header) >= NOTIFY_TARGET_MAX)
		return VIGIL_ERR_TOOBIG;
	if (n->njobs >= NOTIFY_PENDING_MAX)
		return VIGIL_ERR_TOOBIG;
	if (req->attach != NULL && (req->channel != NOTIFY_EMAIL || req->attach_name == NULL ||
	    req->attach_type == NULL || strlen(req->attach_name) >= 128 ||
	    strlen(req->attach_type) >= 128 || strspn(req->attach_name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != strlen(req->attach_name) ||
	    strspn(req->attach_type, "abcdefghijklmnopqrstuvwxyz0123456789.-+/") !=
	    strlen(req->attach_type)))
		return VIGIL_ERR_INVAL;
	if (req->attach != NULL && req->attach_len > NOTIFY_ATTACH_MAX)
		return VIGIL_ERR_TOOBIG;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return VIGIL_ERR_NOMEM;
	j->n = n;
	j->id = ++n->next_id;
	j->tag = req->tag;
	j->channel = req->channel;
	j->attempt = req->attempts_done;
	j->incident = req->n->incident;
	snprintf(j->target, sizeof(j->target), "%s", req->target);
	snprintf(j->header, sizeof(j->header), "%s", header);
	j->subject = malloc(TEMPLATE_SUBJECT_MAX);
	j->body = malloc(TEMPLATE_BODY_MAX);
	j->json = malloc(TEMPLATE_JSON_MAX);
	j->timer = evtimer_new(n->base, job_start, j);
	if (req->attach != NULL) {
		if ((j->attach = malloc(req->attach_len > 0 ? req->attach_len : 1)) != NULL)
			memcpy(j->attach, req->attach, req->attach_len);
		j->attach_len = req->attach_len;
		snprintf(j->attach_name, sizeof(j->attach_name), "%s", req->attach_name);
		snprintf(j->attach_type, sizeof(j->attach_type), "%s", req->attach_type);
	}
	if (j->subject == NULL || j->body == NULL || j->json == NULL || j->timer == NULL ||
	    (req->attach != NULL && j->attach == NULL)) {
		rc = VIGIL_ERR_NOMEM;
		goto out;
	}
	/* A subject or body cut at its cap still says what matters; a cut JSON document does not.
	 */
	(void)template_subject(req->n, j->subject, TEMPLATE_SUBJECT_MAX);
	/* the one configured zone (vigil/tz.h) at the incident's first time, as vigilctl shows it */
	off = c->zone ? tz_offset_min(req->n->first_us) : c->utc_offset_min;
	(void)template_body(req->n, off, j->body, TEMPLATE_BODY_MAX);
	if ((rc = template_json(req->n, off, j->json, TEMPLATE_JSON_MAX)) < 0)
		goto out;
	j->json_len = (size_t)rc;

	now = notify_now_us();
	if ((rc = job_schedule(j, req->not_before_us > now ? (req->not_before_us - now) / 1000
	                                                   : 0)) < 0)
		goto out;
	j->next = n->jobs;
	if (n->jobs != NULL)
		n->jobs->prev = j;
	n->jobs = j;
	n->njobs++;
	if (job != NULL)
		*job = j->id;
	return 0;
out:
	job_free(j);
	return rc;
}

struct notify *
notify_new(struct event_base *base, const struct notify_conf *conf, notify_cb *cb, void *arg)
{
	struct notify *n;
	int ch;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->base = base;
	n->conf = *conf;
	if (n->conf.max_attempts < 1)
		n->conf.max_attempts = 1;
	n->cb = cb;
	n->cb_arg = arg;
	for (ch = 0; ch < NOTIFY_CHANNEL_COUNT; ch++) {
		if (notify_drivers[ch] == NULL || notify_drivers[ch]->init == NULL)
			continue;
		if (notify_drivers[ch]->init(n, &n->state[ch]) != 0) {
			notify_free(n);
			return NULL;
		}
		n->inited[ch] = 1;
	}
	return n;
}

void
notify_free(struct notify *n)
{
	struct notify_job *j, *next;
	int ch;

	if (n == NULL)
		return;
	for (j = n->jobs; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	for (ch = 0; ch < NOTIFY_CHANNEL_COUNT; ch++)
		if (n->inited[ch] && notify_drivers[ch]->fini != NULL)
			notify_drivers[ch]->fini(n->state[ch]);
	explicit_bzero(n->conf.smtp_password, sizeof(n->conf.smtp_password));
	free(n);
}
