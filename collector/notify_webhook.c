/*
 * Webhooks: the incident JSON POSTed over HTTPS with libcurl, certificates
 * verified (against webhook_ca when set), redirects not followed, any 2xx
 * answer a success.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "vigil/err.h"
#include "vigil/i18n.h"

#include "notify.h"

static size_t
webhook_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct notify_curl_attempt *a = arg;
	size_t n = size * nmemb, room = sizeof(a->reply) - 1 - a->reply_len;

	/* Keep the start of the answer for the error text; drop the rest. */
	if (room > n)
		room = n;
	memcpy(a->reply + a->reply_len, ptr, room);
	a->reply_len += room;
	a->reply[a->reply_len] = '\0';
	return n;
}

static void
webhook_done(struct notify_job *j, int curlcode)
{
	struct notify_curl_attempt *a = j->attempt_state;
	char err[NOTIFY_ERROR_MAX], reply[128];
	enum notify_failure f;
	long code = 0;

	curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &code);
	f = notify_curl_failure(j, curlcode, err, sizeof(err));
	for (size_t k = template_clean_line(reply, sizeof(reply), a->reply);
	     k > 0 && reply[k - 1] == ' ';)
		reply[--k] = '\0';
	notify_curl_abort(j);
	if (f != NOTIFY_FAIL_NONE) {
		notify_job_done(j, f, code, _("The webhook could not be reached: %s"), err);
		return;
	}
	if (code >= 200 && code < 300) {
		notify_job_done(j, NOTIFY_FAIL_NONE, code, "%s", "");
		return;
	}
	if (reply[0] != '\0')
		notify_job_done(j, NOTIFY_FAIL_REFUSED, code, _("The webhook answered HTTP %ld: %s."),
		                code, reply);
	else
		notify_job_done(j, NOTIFY_FAIL_REFUSED, code, _("The webhook answered HTTP %ld."),
		                code);
}

static int
url_ok(const char *url, int allow_http)
{
	if (strncasecmp(url, "https://", 8) != 0 &&
	    !(allow_http && strncasecmp(url, "http://", 7) == 0))
		return 0;
	for (const char *p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
			return 0;
	return 1;
}

/* "Name: value" on one line; a CR or LF would let a value start a header of its own. */
static int
header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	if (colon == NULL || colon == h)
		return 0;
	for (const char *p = h; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return 0;
	for (const char *p = h; p < colon; p++)
		if (*p == ' ' || *p == '\t')
			return 0;
	return 1;
}

static int
add_header(struct notify_curl_attempt *a, const char *h)
{
	struct curl_slist *l = curl_slist_append(a->list, h);

	if (l == NULL)
		return VIGIL_ERR_NOMEM;
	a->list = l;
	return 0;
}

static void
webhook_start(struct notify_job *j)
{
	const struct notify_conf *c = notify_conf_of(j->n);
	struct notify_curl_attempt *a;

	if (!url_ok(j->target, c->allow_http)) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0, "%s",
		                c->allow_http ? _("The webhook URL is not an http:// or https:// URL "
		                                  "without spaces or control characters.")
		                              : _("The webhook URL is not an https:// URL without "
		                                  "spaces or control characters."));
		return;
	}
	if (j->header[0] != '\0' && !header_ok(j->header)) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0, "%s",
		                _("The webhook header is not one \"Name: value\" line."));
		return;
	}
	if ((a = notify_curl_begin(j)) == NULL ||
	    add_header(a, "Content-Type: application/json; charset=utf-8") < 0 ||
	    add_header(a, "User-Agent: vigil-collector") < 0 || add_header(a, "Expect:") < 0 ||
	    (j->header[0] != '\0' && add_header(a, j->header) < 0)) {
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, "%s", _("Out of memory."));
		return;
	}
	curl_easy_setopt(a->easy, CURLOPT_URL, j->target);
	curl_easy_setopt(a->easy, CURLOPT_PROTOCOLS_STR, c->allow_http ? "http,https" : "https");
	curl_easy_setopt(a->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, a->list);
	curl_easy_setopt(a->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, j->json);
	curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->json_len);
	curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, webhook_write);
	curl_easy_setopt(a->easy, CURLOPT_WRITEDATA, a);
	notify_curl_start(j, c->webhook_ca, webhook_done);
}

const struct notify_driver notify_webhook = {
	.name = "webhook",
	.init = notify_curl_init,
	.fini = notify_curl_fini,
	.start = webhook_start,
	.abort = notify_curl_abort,
};
