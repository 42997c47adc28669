/*
 * The ClamAV provider: clamd's z-commands over its socket, without blocking
 * the loop (a non-blocking connect through a bufferevent, one deadline for
 * the whole check), and the parsers of its replies and log lines.
 *
 *   zPING -> "PONG"      zVERSION -> "ClamAV 1.4.6/27800/Thu Nov 12 14:31:08 2026"
 *
 * Each command gets its own connection, as clamdscan does; clamd closes it
 * after the reply. Replies are bounded (AV_REPLY_MAX) and checked before
 * anything reads them: whatever listens on that socket is not trusted.
 */
#include <ctype.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "av_clamd.h"
#include "av_generic.h"
#include "vigil/clock.h"

int
av_clamd_reply(const char *buf, size_t len, char *out, size_t cap)
{
	const char *nul = memchr(buf, '\0', len);
	size_t n = nul != NULL ? (size_t)(nul - buf) : len, i;

	if (n >= AV_REPLY_MAX)
		return VIGIL_ERR_TOOBIG;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			return VIGIL_ERR_DECODE;
	if (n > 0 && !text_utf8_valid(buf, n))
		return VIGIL_ERR_DECODE;
	if (n + 1 > cap)
		return VIGIL_ERR_TOOBIG;
	memcpy(out, buf, n);
	out[n] = '\0';
	return 0;
}

int
av_ctime_parse(const char *s, size_t len, int64_t *us)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char buf[64], wday[4], mon[4];
	const char *m;
	int day, hh, mm, ss, year, used = -1;

	if (len == 0 || len >= sizeof(buf))
		return VIGIL_ERR_DECODE;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wday, mon, &day, &hh, &mm,
	    &ss, &year, &used) != 7 || used != (int)len)
		return VIGIL_ERR_DECODE;
	if (strlen(mon) != 3 || (m = strstr(months, mon)) == NULL || (m - months) % 3 != 0)
		return VIGIL_ERR_DECODE;
	return clock_local_us(year, (int)((m - months) / 3) + 1, day, hh, mm, ss, us);
}

int
av_clamd_version(const char *reply, struct av_status *st)
{
	const char *p, *v, *slash;
	unsigned long long db = 0;
	int64_t date = 0;
	size_t vlen;

	if (strncmp(reply, "ClamAV ", 7) != 0)
		return VIGIL_ERR_DECODE;
	v = reply + 7;
	slash = strchr(v, '/');
	vlen = slash != NULL ? (size_t)(slash - v) : strlen(v);
	if (vlen == 0 || vlen > WIRE_MAX_VERSION)
		return VIGIL_ERR_DECODE;
	for (p = v; p < v + vlen; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_' && *p != '+')
			return VIGIL_ERR_DECODE;
	if (slash != NULL) {
		p = slash + 1;
		if (!isdigit((unsigned char)*p))
			return VIGIL_ERR_DECODE;
		for (; isdigit((unsigned char)*p); p++) {
			db = db * 10 + (unsigned long long)(*p - '0');
			if (db > UINT32_MAX)
				return VIGIL_ERR_DECODE;
		}
		if (*p != '/' || av_ctime_parse(p + 1, strlen(p + 1), &date) != 0)
			return VIGIL_ERR_DECODE;
	}
	memcpy(st->version, v, vlen);
	st->version[vlen] = '\0';
	st->db_version = (uint32_t)db;
	st->signatures_us = date;
	return 0;
}

int
av_clamd_found(const char *line, size_t len, struct av_detection *d)
{
	static const char found[] = " FOUND";
	const char *arrow, *body, *end, *sep, *p;
	size_t flen = sizeof(found) - 1, n;
	int64_t t;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len <= flen || memcmp(line + len - flen, found, flen) != 0)
		return 0;
	end = line + len - flen;
	body = line;
	/* LogTime yes: "Thu Nov 12 14:31:08 2026 -> " before the message. */
	if (len > 28 && (arrow = text_find(line, len < 40 ? len : 40, " -> ", 4)) != NULL &&
	    av_ctime_parse(line, (size_t)(arrow - line), &t) == 0)
		body = arrow + 4;
	/* The last ": " splits them: a path may hold one, a signature name does not. */
	for (sep = NULL, p = body; p + 1 < end; p++)
		if (p[0] == ':' && p[1] == ' ')
			sep = p;
	if (sep == NULL || sep == body || sep + 2 >= end)
		return 0;
	for (p = sep + 2; p < end; p++)
		if (*p == ' ')
			return 0;
	n = (size_t)(end - (sep + 2));
	text_utf8_clean(d->signature, sizeof(d->signature), sep + 2, n);
	text_utf8_clean(d->path, sizeof(d->path), body, (size_t)(sep - body));
	return 1;
}

/* ---- the client ---------------------------------------------------------- */

enum clamd_step { STEP_IDLE, STEP_PING, STEP_VERSION };

struct clamd {
	struct av_provider pv;               /* first: the provider is the clamd */
	struct event_base *base;
	char sock[256];
	struct sockaddr_storage sa;
	socklen_t salen;
	struct bufferevent *bev;
	struct event *deadline;
	struct event *refused;               /* reports a connect that failed at once */
	enum clamd_step step;
	int conn_err;                        /* errno of a connect that failed at once */
	struct av_status st;
	av_done_fn done;
	void *arg;
};

static void clamd_send(struct clamd *c, enum clamd_step step);
static void clamd_refused_cb(evutil_socket_t fd, short what, void *arg);

static void
clamd_finish(struct clamd *c)
{
	av_done_fn done = c->done;

	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	evtimer_del(c->deadline);
	event_del(c->refused);
	c->step = STEP_IDLE;
	c->done = NULL;
	if (done != NULL)
		done(c->arg, &c->st);
}

static void __attribute__((format(printf, 2, 3)))
clamd_down(struct clamd *c, const char *fmt, ...)
{
	va_list ap;

	c->st.running = VIGIL__V1__TRISTATE__TRISTATE_NO;
	va_start(ap, fmt);
	vsnprintf(c->st.why, sizeof(c->st.why), fmt, ap);
	va_end(ap);
	clamd_finish(c);
}

static void
clamd_reply(struct clamd *c, const char *buf, size_t len)
{
	char text[AV_REPLY_MAX], shown[128];
	int rc;

	if ((rc = av_clamd_reply(buf, len, text, sizeof(text))) != 0) {
		if (c->step == STEP_PING) {
			clamd_down(c, "what answers at %s is not clamd (a malformed reply)", c->sock);
			return;
		}
		log_warnx(_("clamd at %s sent a malformed VERSION reply; the engine version and "
		    "signature date are unknown."), c->sock);
		clamd_finish(c);
		return;
	}
	if (c->step == STEP_PING) {
		if (strcmp(text, "PONG") != 0) {
			text_escape(shown, sizeof(shown), text, strlen(text));
			clamd_down(c, "clamd at %s answered PING with \"%s\"", c->sock, shown);
			return;
		}
		c->st.running = VIGIL__V1__TRISTATE__TRISTATE_YES;
		clamd_send(c, STEP_VERSION);
		return;
	}
	if (av_clamd_version(text, &c->st) != 0) {
		text_escape(shown, sizeof(shown), text, strlen(text));
		log_warnx(_("clamd at %s answered VERSION with \"%s\", which is not understood."),
		    c->sock, shown);
	}
	clamd_finish(c);
}

static void
clamd_read_cb(struct bufferevent *bev, void *arg)
{
	struct clamd *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	unsigned char *p;

	if (len >= AV_REPLY_MAX) {
		p = evbuffer_pullup(in, AV_REPLY_MAX);
		clamd_reply(c, (const char *)p, AV_REPLY_MAX);
		return;
	}
	if ((p = evbuffer_pullup(in, -1)) == NULL || memchr(p, '\0', len) == NULL)
		return;
	clamd_reply(c, (const char *)p, len);
}

static void
clamd_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct clamd *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	int err = c->conn_err != 0 ? c->conn_err : EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED)
		return;
	if ((what & BEV_EVENT_EOF) && evbuffer_get_length(in) > 0) {
		/* Closed without the NUL: take what came. */
		clamd_reply(c, (const char *)evbuffer_pullup(in, -1), evbuffer_get_length(in));
		return;
	}
	if (c->step == STEP_PING) {
		if (what & BEV_EVENT_EOF)
			clamd_down(c, "clamd at %s closed the connection without answering PING",
			    c->sock);
		else
			clamd_down(c, "cannot talk to clamd at %s (%s)", c->sock,
			    err != 0 ? strerror(err) : "the connection failed");
		return;
	}
	log_warnx(_("clamd at %s did not answer VERSION; the signature date is unknown."), c->sock);
	clamd_finish(c);
}

static void
clamd_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct clamd *c = arg;

	if (c->step == STEP_PING)
		clamd_down(c, "clamd at %s did not answer PING within %d ms", c->sock,
		    AV_CHECK_TIMEOUT_MS);
	else {
		log_warnx(_("clamd at %s did not answer VERSION within %d ms."), c->sock,
		    AV_CHECK_TIMEOUT_MS);
		clamd_finish(c);
	}
}

static void
clamd_send(struct clamd *c, enum clamd_step step)
{
	const char *cmd = step == STEP_PING ? "zPING" : "zVERSION";

	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->step = step;
	/* Deferred callbacks: a connect refused at once must not re-enter us. */
	if ((c->bev = bufferevent_socket_new(c->base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)) == NULL) {
		clamd_down(c, "out of memory for a connection to clamd");
		return;
	}
	bufferevent_setcb(c->bev, clamd_read_cb, NULL, clamd_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, AV_REPLY_MAX);
	if (bufferevent_write(c->bev, cmd, strlen(cmd) + 1) != 0 ||
	    bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0) {
		clamd_down(c, "out of memory for a connection to clamd");
		return;
	}
	/* A connect that fails at once is reported through the loop, never from here. */
	c->conn_err = 0;
	errno = 0;
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&c->sa, (int)c->salen) != 0) {
		c->conn_err = errno != 0 ? errno : ECONNREFUSED;
		event_active(c->refused, EV_TIMEOUT, 0);
	}
}

static void
clamd_refused_cb(evutil_socket_t fd, short what, void *arg)
{
	struct clamd *c = arg;

	if (c->step == STEP_PING)
		clamd_down(c, "cannot connect to clamd at %s (%s)", c->sock, strerror(c->conn_err));
	else if (c->step == STEP_VERSION) {
		log_warnx(_("clamd at %s refused the VERSION connection; the signature date is "
		    "unknown."), c->sock);
		clamd_finish(c);
	}
}

static void
clamd_check(struct av_provider *pv, av_done_fn done, void *arg)
{
	struct clamd *c = (struct clamd *)pv;
	struct timeval tv = { AV_CHECK_TIMEOUT_MS / 1000, (AV_CHECK_TIMEOUT_MS % 1000) * 1000 };

	if (c->step != STEP_IDLE)
		return;      /* the check under way will report */
	memset(&c->st, 0, sizeof(c->st));
	/* clamd scans on request; on-access scanning is clamonacc's job. */
	c->st.realtime = av_process_running("clamonacc") ? VIGIL__V1__TRISTATE__TRISTATE_YES :
	    VIGIL__V1__TRISTATE__TRISTATE_NO;
	c->done = done;
	c->arg = arg;
	evtimer_add(c->deadline, &tv);
	clamd_send(c, STEP_PING);
}

static int
clamd_found(struct av_provider *pv, const char *line, size_t len, struct av_detection *d)
{
	return av_clamd_found(line, len, d);
}

static void
clamd_free(struct av_provider *pv)
{
	struct clamd *c = (struct clamd *)pv;

	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->refused != NULL)
		event_free(c->refused);
	free(c);
}

struct av_provider *
av_clamd_new(struct event_base *base, const char *sock)
{
	struct sockaddr_un *sun;
	struct sockaddr_in *sin;
	struct clamd *c;
	long port;
	char *end;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->pv.product = "ClamAV";
	c->pv.check = clamd_check;
	c->pv.found = clamd_found;
	c->pv.free = clamd_free;
	c->base = base;
	snprintf(c->sock, sizeof(c->sock), "%s", sock);
	if (sock[0] == '/') {
		sun = (struct sockaddr_un *)&c->sa;
		if (strlen(sock) >= sizeof(sun->sun_path))
			goto fail;
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, sock, strlen(sock) + 1);
		c->salen = sizeof(*sun);
	} else if (strncmp(sock, "127.0.0.1:", 10) == 0) {
		sin = (struct sockaddr_in *)&c->sa;
		errno = 0;
		port = strtol(sock + 10, &end, 10);
		if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
			goto fail;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		c->salen = sizeof(*sin);
	} else
		goto fail;
	if ((c->deadline = evtimer_new(base, clamd_deadline_cb, c)) == NULL ||
	    (c->refused = event_new(base, -1, 0, clamd_refused_cb, c)) == NULL)
		goto fail;
	return &c->pv;
fail:
	clamd_free(&c->pv);
	return NULL;
}

static int
clamav_conf_check(const struct agent_conf_antivirus *conf, const char **key, char *err,
    size_t errlen)
{
	const char *s = conf->clamd_socket;

	*key = NULL;
	if (s[0] != '/' && strncmp(s, "127.0.0.1:", 10) != 0) {
		*key = "clamd_socket";
		return err_fmt(err, errlen, VIGIL_ERR_CONFIG, "%s",
		    _("clamd_socket must be an absolute path or 127.0.0.1:PORT"));
	}
	if (conf->clamd_log[0] != '\0' && conf->clamd_log[0] != '/') {
		*key = "clamd_log";
		return err_fmt(err, errlen, VIGIL_ERR_CONFIG, "%s", _("a log path must be absolute"));
	}
	return 0;
}

static struct av_provider *
clamav_open(struct event_base *base, const struct agent_conf_antivirus *conf, const char **log,
    char *err, size_t errlen)
{
	struct av_provider *pv;

	*log = conf->clamd_log;
	if ((pv = av_clamd_new(base, conf->clamd_socket)) == NULL)
		err_fmt(err, errlen, VIGIL_ERR_INVAL, _("the clamav provider cannot start "
		    "(clamd_socket %s)"), conf->clamd_socket);
	return pv;
}

const struct av_provider_driver av_provider_clamav = {
	.name = "clamav",
	.check = clamav_conf_check,
	.open = clamav_open,
};
