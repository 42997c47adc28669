/*
 * Reading replies over IMAP with libcurl (ack_imap.h). One small state
 * machine: SEARCH → (FETCH → handle → STORE) for each message → idle until
 * the next poll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/log.h"

#include "collector.h"
#include "ack.h"
#include "ack_imap.h"
#include "ack_reply.h"

#define IMAP_UIDS_MAX 10000              /* numbers taken from one SEARCH answer */
#define IMAP_SEARCH_MAX (128 * 1024)     /* bytes of a SEARCH answer */
#define IMAP_DRIVE_US 5000               /* how often a running transfer is driven */
#define IMAP_KEYWORD "VigilDone"

enum imap_step { STEP_IDLE, STEP_SEARCH, STEP_FETCH, STEP_STORE };

struct ack_imap {
	struct collector *c;
	CURLM *multi;
	CURL *easy;                          /* the transfer running; NULL when idle */
	struct event *poll_ev, *drive_ev;
	enum imap_step step;
	uint32_t *uids;
	size_t nuids, next;
	char *buf;                           /* the answer of the transfer running */
	size_t len, max;
	int overflow;                        /* the answer went past max */
	int failing;                         /* the last poll failed (said once) */
	char password[256];
	char url[1100];
	char error[CURL_ERROR_SIZE];
	/* counters */
	unsigned long long polls, failures, messages, too_big, deferred;
};

static void poll_cb(evutil_socket_t fd, short what, void *arg);
static void drive_cb(evutil_socket_t fd, short what, void *arg);

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct ack_imap *im = arg;
	size_t k = size * n;

	if (im->len + k > im->max) {
		im->overflow = 1;
		return 0;            /* the transfer stops: the answer is over its cap */
	}
	memcpy(im->buf + im->len, p, k);
	im->len += k;
	return k;
}

/* Loopback may speak plain IMAP (tests, a local server); anything else needs TLS. */
static int
loopback(const char *url)
{
	const char *h = strstr(url, "://");

	if (h == NULL)
		return 0;
	h += 3;
	return strncmp(h, "127.0.0.1", 9) == 0 || strncmp(h, "localhost", 9) == 0 ||
	    strncmp(h, "[::1]", 5) == 0;
}

static int
start(struct ack_imap *im, enum imap_step step, uint32_t uid)
{
	const struct conf_ack_mail *am = &im->c->conf.ack_mail;
	char custom[64];

	im->len = 0;
	im->overflow = 0;
	im->max = step == STEP_FETCH ? ACK_MAIL_MAX : IMAP_SEARCH_MAX;
	if ((im->easy = curl_easy_init()) == NULL)
		return VIGIL_ERR_NOMEM;
	if (step == STEP_FETCH) {
		snprintf(im->url, sizeof(im->url), "%s/;UID=%u", am->url, uid);
		curl_easy_setopt(im->easy, CURLOPT_URL, im->url);
	} else {
		curl_easy_setopt(im->easy, CURLOPT_URL, am->url);
		if (step == STEP_SEARCH)
			snprintf(custom, sizeof(custom), "UID SEARCH UNKEYWORD " IMAP_KEYWORD);
		else
			snprintf(custom, sizeof(custom), "UID STORE %u +FLAGS (\\Seen " IMAP_KEYWORD
			    ")", uid);
		curl_easy_setopt(im->easy, CURLOPT_CUSTOMREQUEST, custom);
	}
	curl_easy_setopt(im->easy, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(im->easy, CURLOPT_USERNAME, am->user);
	curl_easy_setopt(im->easy, CURLOPT_PASSWORD, im->password);
	curl_easy_setopt(im->easy, CURLOPT_USE_SSL, loopback(am->url) ? (long)CURLUSESSL_TRY :
	    (long)CURLUSESSL_ALL);
	if (am->ca[0] != '\0')
		curl_easy_setopt(im->easy, CURLOPT_CAINFO, am->ca);
	curl_easy_setopt(im->easy, CURLOPT_TIMEOUT_MS, (long)im->c->conf.notify.timeout);
	curl_easy_setopt(im->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(im->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(im->easy, CURLOPT_WRITEDATA, im);
	curl_easy_setopt(im->easy, CURLOPT_ERRORBUFFER, im->error);
	im->error[0] = '\0';
	if (curl_multi_add_handle(im->multi, im->easy) != CURLM_OK) {
		curl_easy_cleanup(im->easy);
		im->easy = NULL;
		return VIGIL_ERR_NOMEM;
	}
	im->step = step;
	drive_cb(-1, 0, im);
	return 0;
}

static void
idle(struct ack_imap *im)
{
	long long ms = im->c->conf.ack_mail.poll;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	im->step = STEP_IDLE;
	evtimer_add(im->poll_ev, &tv);
}

static void
next_message(struct ack_imap *im)
{
	if (im->next >= im->nuids || start(im, STEP_FETCH, im->uids[im->next]) != 0)
		idle(im);
}

/* One fetched message: judged, answered; 1 when it may be marked done. */
static int
handle(struct ack_imap *im, uint32_t uid)
{
	struct ack_mail m;
	struct ack_reply_in in;
	struct ack_answer ans;
	enum ack_outcome o;
	char key[ACK_ADDR_MAX + 300];
	int rc;

	im->messages++;
	if ((rc = ack_mail_parse(im->buf, im->len, &m)) != 0) {
		log_warnx("Reply mail %u cannot be read (%s); it is marked done unread.", uid,
		    vigil_strerror(rc));
		return rc != VIGIL_ERR_NOMEM;
	}
	if (m.msgid[0] != '\0')
		snprintf(key, sizeof(key), "mail:%s:%s", m.from, m.msgid);
	else
		snprintf(key, sizeof(key), "mail:%s:uid:%u", m.from, uid);
	memset(&in, 0, sizeof(in));
	in.channel = "email";
	in.sender = m.from;
	in.key = key;
	in.subject = m.subject;
	in.text = m.text;
	in.need_token = 1;
	in.auto_reply = m.auto_reply;
	o = ack_reply_handle(im->c, &in, &ans);
	ack_mail_clear(&m);
	if (o == ACK_FAILED)
		return 0;
	ack_reply_send(im->c, "email", &ans);
	return 1;
}

static void
finished(struct ack_imap *im, CURLcode res)
{
	uint32_t uid;

	curl_multi_remove_handle(im->multi, im->easy);
	curl_easy_cleanup(im->easy);
	im->easy = NULL;
	if (res != CURLE_OK && !(im->step == STEP_FETCH && im->overflow)) {
		im->failures++;
		im->c->counters.imap_poll_failures++;
		if (!im->failing)
			log_warnx("The reply mailbox %s cannot be read: %s (%s); trying again every "
			    "poll.", im->c->conf.ack_mail.url, curl_easy_strerror(res), im->error);
		im->failing = 1;
		idle(im);
		return;
	}
	if (im->failing)
		log_info("The reply mailbox %s can be read again.", im->c->conf.ack_mail.url);
	im->failing = 0;
	switch (im->step) {
	case STEP_SEARCH:
		im->nuids = ack_imap_search(im->buf, im->len, im->uids, IMAP_UIDS_MAX);
		if (im->nuids > (size_t)im->c->conf.ack_mail.max_per_poll) {
			im->deferred += im->nuids - (size_t)im->c->conf.ack_mail.max_per_poll;
			im->nuids = (size_t)im->c->conf.ack_mail.max_per_poll;
		}
		im->next = 0;
		next_message(im);
		break;
	case STEP_FETCH:
		uid = im->uids[im->next];
		if (im->overflow) {
			im->too_big++;
			log_warnx("Reply mail %u is larger than %d bytes; it is marked done unread "
			    "(%llu so far).", uid, ACK_MAIL_MAX, im->too_big);
		} else if (!handle(im, uid)) {
			im->next++;              /* left unmarked: read again at the next poll */
			next_message(im);
			break;
		}
		if (start(im, STEP_STORE, uid) != 0)
			idle(im);
		break;
	case STEP_STORE:
		im->next++;
		next_message(im);
		break;
	case STEP_IDLE:
		break;
	}
}

static void
drive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ack_imap *im = arg;
	struct timeval tv = { 0, IMAP_DRIVE_US };
	CURLMsg *msg;
	int running, left;

	(void)fd;
	(void)what;
	if (im->easy == NULL)
		return;
	curl_multi_perform(im->multi, &running);
	while ((msg = curl_multi_info_read(im->multi, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == im->easy) {
			finished(im, msg->data.result);
			return;
		}
	}
	evtimer_add(im->drive_ev, &tv);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ack_imap *im = arg;

	(void)fd;
	(void)what;
	if (im->step != STEP_IDLE)
		return;
	im->polls++;
	if (start(im, STEP_SEARCH, 0) != 0)
		idle(im);
}

static int
read_password(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	FILE *f;

	buf[0] = '\0';
	if (path[0] == '\0')
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read the mailbox password file %s", path);
		return VIGIL_ERR_SYS;
	}
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

struct ack_imap *
ack_imap_new(struct collector *c, char *err, size_t errlen)
{
	struct ack_imap *im;
	const char *u = c->conf.ack_mail.url;
	struct timeval now = { 0, 0 };

	if (strncmp(u, "imap://", 7) != 0 && strncmp(u, "imaps://", 8) != 0) {
		snprintf(err, errlen, "[ack_mail] url must begin with imap:// or imaps://, not '%s'",
		    u);
		return NULL;
	}
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	im->c = c;
	if (read_password(c->conf.ack_mail.password_file, im->password, sizeof(im->password), err,
	    errlen) != 0)
		goto fail;
	im->uids = calloc(IMAP_UIDS_MAX, sizeof(*im->uids));
	im->buf = malloc(ACK_MAIL_MAX > IMAP_SEARCH_MAX ? ACK_MAIL_MAX : IMAP_SEARCH_MAX);
	im->multi = curl_multi_init();
	im->poll_ev = evtimer_new(c->base, poll_cb, im);
	im->drive_ev = evtimer_new(c->base, drive_cb, im);
	if (im->uids == NULL || im->buf == NULL || im->multi == NULL || im->poll_ev == NULL ||
	    im->drive_ev == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	evtimer_add(im->poll_ev, &now);
	log_info("Replies to notifications are read from %s every %lld ms.", u,
	    c->conf.ack_mail.poll);
	return im;
fail:
	ack_imap_free(im);
	return NULL;
}

void
ack_imap_free(struct ack_imap *im)
{
	if (im == NULL)
		return;
	if (im->easy != NULL) {
		curl_multi_remove_handle(im->multi, im->easy);
		curl_easy_cleanup(im->easy);
	}
	if (im->multi != NULL)
		curl_multi_cleanup(im->multi);
	if (im->poll_ev != NULL)
		event_free(im->poll_ev);
	if (im->drive_ev != NULL)
		event_free(im->drive_ev);
	explicit_bzero(im->password, sizeof(im->password));
	free(im->uids);
	free(im->buf);
	free(im);
}
