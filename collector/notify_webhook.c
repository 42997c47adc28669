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

#include "notify.h"

static size_t
webhook_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct notify_job *j = arg;
	size_t n = size * nmemb, room = sizeof(j->reply) - 1 - j->reply_len;

	/* Keep the start of the answer for the error text; drop the rest. */
	if (room > n)
		room = n;
	memcpy(j->reply + j->reply_len, ptr, room);
	j->reply_len += room;
	j->reply[j->reply_len] = '\0';
	return n;
}

static void
webhook_done(struct notify_job *j, int curlcode)
{
	char err[NOTIFY_ERROR_MAX], reply[128];
	enum notify_failure f;
	long code = 0;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
	f = notify_curl_failure(j, curlcode, err, sizeof(err));
	notify_curl_abort(j);
	if (f != NOTIFY_FAIL_NONE) {
		notify_job_done(j, f, code, "The webhook could not be reached: %s", err);
		return;
	}
	if (code >= 200 && code < 300) {
		notify_job_done(j, NOTIFY_FAIL_NONE, code, "%s", "");
		return;
	}
	for (size_t k = template_clean_line(reply, sizeof(reply), j->reply);
	     k > 0 && reply[k - 1] == ' ';)
		reply[--k] = '\0';
	notify_job_done(j, NOTIFY_FAIL_REFUSED, code, "The webhook answered HTTP %ld%s%s.", code,
	                reply[0] != '\0' ? ": " : "", reply);
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
add_header(struct notify_job *j, const char *h)
{
	struct curl_slist *l = curl_slist_append(j->list2, h);

	if (l == NULL)
		return VIGIL_ERR_NOMEM;
	j->list2 = l;
	return 0;
}

void
notify_webhook_start(struct notify_job *j)
{
	const struct notify_conf *c = notify_conf_of(j->n);

	if (!url_ok(j->target, c->allow_http)) {
		notify_job_done(
		    j, NOTIFY_FAIL_INVALID, 0,
		    "The webhook URL is not an %s URL without spaces or control characters.",
		    c->allow_http ? "http:// or https://" : "https://");
		return;
	}
	if (j->header[0] != '\0' && !header_ok(j->header)) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0,
		                "The webhook header is not one \"Name: value\" line.");
		return;
	}
	if ((j->easy = curl_easy_init()) == NULL ||
	    add_header(j, "Content-Type: application/json; charset=utf-8") < 0 ||
	    add_header(j, "User-Agent: vigil-collector") < 0 || add_header(j, "Expect:") < 0 ||
	    (j->header[0] != '\0' && add_header(j, j->header) < 0)) {
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, "Out of memory.");
		return;
	}
	j->reply_len = 0;
	j->reply[0] = '\0';
	curl_easy_setopt(j->easy, CURLOPT_URL, j->target);
	curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, c->allow_http ? "http,https" : "https");
	curl_easy_setopt(j->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->list2);
	curl_easy_setopt(j->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->json);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->json_len);
	curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, webhook_write);
	curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
	notify_curl_start(j, c->webhook_ca, webhook_done);
}
