/*
 * What the two libcurl channels (email, webhook) share: a multi handle per
 * channel driven by the collector's libevent loop (the "multi-socket"
 * pattern: curl says which sockets to watch and when to wake it, libevent
 * does the waiting), one transfer per attempt (struct notify_curl_attempt,
 * the job's attempt_state), and what a failed transfer means. See notify.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/i18n.h"

#include "notify.h"

/* A channel's multi handle and its one timer. */
struct curl_multi {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
};

static void check_done(struct curl_multi *cm);

static void
event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curl_multi *cm = arg;
	int running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(cm->multi, fd, action, &running);
	check_done(cm);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curl_multi *cm = arg;
	int running;

	curl_multi_socket_action(cm->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(cm);
}

/* CURLMOPT_SOCKETFUNCTION: watch s as curl asks; the event lives in curl's per-socket pointer. */
static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curl_multi *cm = userp;
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
		ev = event_new(cm->base, s, kind, event_cb, cm);
		if (ev == NULL)
			return -1;
		curl_multi_assign(cm->multi, s, ev);
	} else {
		event_del(ev);
		event_assign(ev, cm->base, s, kind, event_cb, cm);
	}
	return event_add(ev, NULL) == 0 ? 0 : -1;
}

/* CURLMOPT_TIMERFUNCTION: one timer; -1 stops it, 0 means "as soon as possible". */
static int
timerfn_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curl_multi *cm = userp;
	struct timeval tv;

	if (timeout_ms < 0)
		return evtimer_del(cm->timer);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(cm->timer, &tv);
}

static void
check_done(struct curl_multi *cm)
{
	struct notify_curl_attempt *a;
	struct notify_job *j;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cm->multi, &left)) != NULL) {
		char *priv = NULL;
		CURL *easy;
		CURLcode res;

		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		res = msg->data.result;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		j = (struct notify_job *)(void *)priv;
		curl_multi_remove_handle(cm->multi, easy);
		a = j->attempt_state;
		a->done(j, (int)res);
	}
}

int
notify_curl_init(struct notify *n, void **state)
{
	struct curl_multi *cm;

	/* libcurl counts its global set-ups: each channel takes and gives back its own. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return VIGIL_ERR_INVAL;
	if ((cm = calloc(1, sizeof(*cm))) == NULL)
		goto fail;
	cm->base = notify_base(n);
	cm->timer = evtimer_new(cm->base, timer_cb, cm);
	cm->multi = curl_multi_init();
	if (cm->timer == NULL || cm->multi == NULL)
		goto fail;
	curl_multi_setopt(cm->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(cm->multi, CURLMOPT_SOCKETDATA, cm);
	curl_multi_setopt(cm->multi, CURLMOPT_TIMERFUNCTION, timerfn_cb);
	curl_multi_setopt(cm->multi, CURLMOPT_TIMERDATA, cm);
	*state = cm;
	return 0;
fail:
	if (cm != NULL) {
		if (cm->multi != NULL)
			curl_multi_cleanup(cm->multi);
		if (cm->timer != NULL)
			event_free(cm->timer);
		free(cm);
	}
	curl_global_cleanup();
	return VIGIL_ERR_NOMEM;
}

void
notify_curl_fini(void *state)
{
	struct curl_multi *cm = state;

	curl_multi_cleanup(cm->multi);
	event_free(cm->timer);
	free(cm);
	curl_global_cleanup();
}

struct notify_curl_attempt *
notify_curl_begin(struct notify_job *j)
{
	struct notify_curl_attempt *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->easy = curl_easy_init()) == NULL) {
		free(a);
		return NULL;
	}
	j->attempt_state = a;
	return a;
}

void
notify_curl_start(struct notify_job *j, const char *ca,
                  void (*done)(struct notify_job *j, int curlcode))
{
	const struct notify_conf *c = notify_conf_of(j->n);
	struct curl_multi *cm = notify_driver_state(j->n, j->channel);
	struct notify_curl_attempt *a = j->attempt_state;

	if (ca[0] != '\0')
		curl_easy_setopt(a->easy, CURLOPT_CAINFO, ca);
	curl_easy_setopt(a->easy, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	curl_easy_setopt(a->easy, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
	curl_easy_setopt(a->easy, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	a->done = done;
	curl_easy_setopt(a->easy, CURLOPT_PRIVATE, j);
	curl_easy_setopt(a->easy, CURLOPT_ERRORBUFFER, a->error);
	curl_easy_setopt(a->easy, CURLOPT_NOSIGNAL, 1L);
	a->error[0] = '\0';
	if (curl_multi_add_handle(cm->multi, a->easy) != CURLM_OK)
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, "%s", _("Out of memory."));
}

/* Free what a curl attempt holds (after curl_multi_remove_handle, or instead of it). */
void
notify_curl_abort(struct notify_job *j)
{
	struct curl_multi *cm = notify_driver_state(j->n, j->channel);
	struct notify_curl_attempt *a = j->attempt_state;

	if (a == NULL)
		return;
	j->attempt_state = NULL;
	if (a->easy != NULL) {
		curl_multi_remove_handle(cm->multi, a->easy);
		curl_easy_cleanup(a->easy);
	}
	curl_slist_free_all(a->list);
	free(a->upload);
	free(a);
}

enum notify_failure
notify_curl_failure(struct notify_job *j, int curlcode, char *err, size_t errlen)
{
	struct notify_curl_attempt *a = j->attempt_state;
	CURLcode res = (CURLcode)curlcode;
	const char *what = a != NULL && a->error[0] != '\0' ? a->error : curl_easy_strerror(res);
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
		snprintf(err, errlen, _("Cannot connect: %s."), what);
		break;
	case NOTIFY_FAIL_TLS:
		snprintf(err, errlen, _("TLS failed: %s."), what);
		break;
	case NOTIFY_FAIL_TIMEOUT:
		snprintf(err, errlen, _("No answer in time: %s."), what);
		break;
	case NOTIFY_FAIL_AUTH:
		snprintf(err, errlen, _("Login refused: %s."), what);
		break;
	default:
		snprintf(err, errlen, "%s.", what);
		break;
	}
	return f;
}
