/*
 * The notification dispatcher: one queue of messages for every channel,
 * attempts started from libevent timers, retries on the backoff schedule,
 * and libcurl's multi interface driven by libevent (the "multi-socket"
 * pattern: curl says which sockets to watch and when to wake it, libevent
 * does the waiting). See notify.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "vigil/err.h"

#include "notify.h"

struct notify {
	struct event_base *base;
	struct notify_conf conf;
	notify_cb *cb;
	void *cb_arg;
	CURLM *multi;
	struct event *curl_timer;
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
	static const char *const names[] = {"email", "webhook", "exec"};

	return (unsigned)ch < NOTIFY_CHANNEL_COUNT ? names[ch] : "unknown";
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
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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

size_t
notify_pending(const struct notify *n)
{
	return n->njobs;
}

/* ---- libcurl's multi interface on libevent ---- */

static void curl_check_done(struct notify *n);

static void
curl_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	int running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(n->multi, fd, action, &running);
	curl_check_done(n);
}

static void
curl_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct notify *n = arg;
	int running;

	curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	curl_check_done(n);
}

/* CURLMOPT_SOCKETFUNCTION: watch s as curl asks; the event lives in curl's per-socket pointer. */
static int
curl_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct notify *n = userp;
	struct event *ev = socketp;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL)
			event_free(ev);
		return 0;
	}
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (ev == NULL) {
		ev = event_new(n->base, s, kind, curl_event_cb, n);
		if (ev == NULL)
			return -1;
		curl_multi_assign(n->multi, s, ev);
	} else {
		event_del(ev);
		event_assign(ev, n->base, s, kind, curl_event_cb, n);
	}
	return event_add(ev, NULL) == 0 ? 0 : -1;
}

/* CURLMOPT_TIMERFUNCTION: one timer; -1 stops it, 0 means "as soon as possible". */
static int
curl_timerfn_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct notify *n = userp;
	struct timeval tv;

	if (timeout_ms < 0)
		return evtimer_del(n->curl_timer);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(n->curl_timer, &tv);
}

static void
curl_check_done(struct notify *n)
{
	struct notify_job *j;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(n->multi, &left)) != NULL) {
		char *priv = NULL;
		CURL *easy;
		CURLcode res;

		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		res = msg->data.result;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		j = (struct notify_job *)(void *)priv;
		curl_multi_remove_handle(n->multi, easy);
		j->curl_done(j, (int)res);
	}
}

void
notify_curl_start(struct notify_job *j, const char *ca,
                  void (*done)(struct notify_job *j, int curlcode))
{
	const struct notify_conf *c = notify_conf_of(j->n);

	if (ca[0] != '\0')
		curl_easy_setopt(j->easy, CURLOPT_CAINFO, ca);
	curl_easy_setopt(j->easy, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	curl_easy_setopt(j->easy, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	j->curl_done = done;
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
	curl_easy_setopt(j->easy, CURLOPT_ERRORBUFFER, j->curl_error);
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	j->curl_error[0] = '\0';
	if (curl_multi_add_handle(j->n->multi, j->easy) != CURLM_OK)
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, "Out of memory.");
}

/* Free what a curl attempt holds (after curl_multi_remove_handle, or instead of it). */
void
notify_curl_abort(struct notify_job *j)
{
	if (j->easy != NULL) {
		curl_multi_remove_handle(j->n->multi, j->easy);
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
	}
	curl_slist_free_all(j->list1);
	curl_slist_free_all(j->list2);
	j->list1 = j->list2 = NULL;
	free(j->upload);
	j->upload = NULL;
}

enum notify_failure
notify_curl_failure(struct notify_job *j, int curlcode, char *err, size_t errlen)
{
	CURLcode res = (CURLcode)curlcode;
	const char *what = j->curl_error[0] != '\0' ? j->curl_error : curl_easy_strerror(res);
	enum notify_failure f;

	switch (res) {
	case CURLE_OK:
		f = NOTIFY_FAIL_NONE;
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		f = NOTIFY_FAIL_INVALID;
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		f = NOTIFY_FAIL_CONNECT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_INITFAILED:
		f = NOTIFY_FAIL_TLS;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		f = NOTIFY_FAIL_TIMEOUT;
		break;
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
		f = NOTIFY_FAIL_AUTH;
		break;
	default:
		f = NOTIFY_FAIL_OTHER;
		break;
	}
	switch (f) {
	case NOTIFY_FAIL_NONE:
		snprintf(err, errlen, "%s", "");
		break;
	case NOTIFY_FAIL_CONNECT:
		snprintf(err, errlen, "Cannot connect: %s.", what);
		break;
	case NOTIFY_FAIL_TLS:
		snprintf(err, errlen, "TLS failed: %s.", what);
		break;
	case NOTIFY_FAIL_TIMEOUT:
		snprintf(err, errlen, "No answer in time: %s.", what);
		break;
	case NOTIFY_FAIL_AUTH:
		snprintf(err, errlen, "Login refused: %s.", what);
		break;
	default:
		snprintf(err, errlen, "%s.", what);
		break;
	}
	return f;
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

static void
job_free(struct notify_job *j)
{
	if (j == NULL)
		return;
	notify_curl_abort(j);
	notify_exec_abort(j);
	if (j->timer != NULL)
		event_free(j->timer);
	free(j->subject);
	free(j->body);
	free(j->json);
	free(j);
}

static void
job_start(evutil_socket_t fd, short what, void *arg)
{
	struct notify_job *j = arg;

	j->attempt++;
	j->started_us = notify_now_us();
	j->running = 1;
	switch (j->channel) {
	case NOTIFY_EMAIL:
		notify_smtp_start(j);
		break;
	case NOTIFY_WEBHOOK:
		notify_webhook_start(j);
		break;
	case NOTIFY_EXEC:
		notify_exec_start(j);
		break;
	default:
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0, "No such channel.");
		break;
	}
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
	notify_curl_abort(j);

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
	int rc;

	if (req->target == NULL || req->target[0] == '\0' || req->n == NULL ||
	    (unsigned)req->channel >= NOTIFY_CHANNEL_COUNT || req->attempts_done < 0 ||
	    req->attempts_done >= c->max_attempts)
		return VIGIL_ERR_INVAL;
	if (req->channel == NOTIFY_EMAIL && (c->smtp_url[0] == '\0' || c->smtp_from[0] == '\0'))
		return VIGIL_ERR_INVAL;
	if (strlen(req->target) >= NOTIFY_TARGET_MAX)
		return VIGIL_ERR_TOOBIG;
	header = req->header != NULL ? req->header : c->webhook_header;
	if (strlen(header) >= NOTIFY_TARGET_MAX)
		return VIGIL_ERR_TOOBIG;
	if (n->njobs >= NOTIFY_PENDING_MAX)
		return VIGIL_ERR_TOOBIG;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return VIGIL_ERR_NOMEM;
	j->n = n;
	j->pid = -1;
	j->pidfd = j->stdin_fd = j->stderr_fd = -1;
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
	if (j->subject == NULL || j->body == NULL || j->json == NULL || j->timer == NULL) {
		rc = VIGIL_ERR_NOMEM;
		goto out;
	}
	/* A subject or body cut at its cap still says what matters; a cut JSON document does not.
	 */
	(void)template_subject(req->n, j->subject, TEMPLATE_SUBJECT_MAX);
	(void)template_body(req->n, c->utc_offset_min, j->body, TEMPLATE_BODY_MAX);
	if ((rc = template_json(req->n, c->utc_offset_min, j->json, TEMPLATE_JSON_MAX)) < 0)
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

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		goto fail;
	n->base = base;
	n->conf = *conf;
	if (n->conf.max_attempts < 1)
		n->conf.max_attempts = 1;
	n->cb = cb;
	n->cb_arg = arg;
	n->curl_timer = evtimer_new(base, curl_timer_cb, n);
	n->multi = curl_multi_init();
	if (n->curl_timer == NULL || n->multi == NULL)
		goto fail;
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, curl_timerfn_cb);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	return n;
fail:
	if (n != NULL) {
		if (n->multi != NULL)
			curl_multi_cleanup(n->multi);
		if (n->curl_timer != NULL)
			event_free(n->curl_timer);
		free(n);
	}
	curl_global_cleanup();
	return NULL;
}

void
notify_free(struct notify *n)
{
	struct notify_job *j, *next;

	if (n == NULL)
		return;
	for (j = n->jobs; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	curl_multi_cleanup(n->multi);
	event_free(n->curl_timer);
	explicit_bzero(n->conf.smtp_password, sizeof(n->conf.smtp_password));
	free(n);
	curl_global_cleanup();
}
