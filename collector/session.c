/*
 * Agent sessions and the group commit.
 *
 * A session is one TLS connection: handshake, then Hello -> Welcome, then
 * EventBatch and Heartbeat frames. Every batch, every Hello and every
 * last-seen update goes to one pending list. Whenever the writer thread is
 * idle, the whole list is handed to it and stored by store_commit() in a
 * single transaction, on the writer's own SQLite connection, while this
 * thread goes on reading and decoding; once the writer reports back, each
 * session is acked up to the highest seq stored for it and the next list is
 * handed over. A pending item names its session by id, never by pointer, so
 * a session that closes while its batches wait is harmless.
 *
 * Backpressure: while a session's pending bytes are above max_pending it is
 * not read from; while all sessions together are above max_pending_total no
 * session is read from; each resumes below half of its limit. A frame being
 * received counts too: once its header names its length, the whole length is
 * reserved against max_pending_total (a session that cannot reserve waits),
 * so frames parked half-sent hold no memory the limit does not see, and a
 * session holding a reservation may always finish its frame.
 *
 * Hostile peers (DESIGN §7). Connections wait in a FIFO queue for one of
 * max_handshakes TLS handshake slots, so a storm of reconnects is served a
 * slot at a time instead of starving every handshake at once; a connection
 * that has shown no certificate yet counts against its source address
 * (max_handshakes_per_address). Deadlines are kept by one sweep over every
 * session (a timer of at most a second), not by libevent's inactivity
 * timeouts, which a peer resets with every byte: accept -> Welcome within
 * handshake_timeout, waiting included; a frame's first byte -> its last
 * within frame_timeout; a whole frame at least every idle_timeout. Time a
 * session spends held back by our own backpressure does not count.
 *
 * Why a thread (STYLE.md: "no threads unless a benchmark proves the need"):
 * with the commit on the event loop, make bench with 100 agents found the
 * loop only ~58 % busy, waiting in fsync (synchronous=FULL) while nothing
 * was read or decoded. The writer does nothing but store_commit(); sessions,
 * the pending list, libevent, logging and counters stay on this thread, and
 * the two meet only at the hand-over below, under one mutex.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#include "collector.h"
#include "reserve.h"
#include "session.h"
#include "session_int.h"

static void session_read(struct bufferevent *bev, void *arg);
static void session_event(struct bufferevent *bev, short what, void *arg);
static void handshake_next(struct collector *c);
static void sweep_arm(struct collector *c);

void
session_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		evutil_inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "unknown");
	}
}

/* ---- the session table ------------------------------------------------------ */

struct session *
session_by_id(struct sessions *t, uint64_t id)
{
	struct session *s;

	for (s = t->hash[id & (SESSION_HASH - 1)]; s != NULL; s = s->hnext)
		if (s->id == id)
			return s;
	return NULL;
}

/* ---- connections per address, before a certificate ------------------------------ */

static size_t
addr_key(const struct sockaddr *sa, unsigned char *key)
{
	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

static size_t
addr_bucket(const unsigned char *key, size_t len)
{
	uint32_t h = 2166136261u;              /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (ADDR_HASH - 1);
}

/* The entry of sa's address, made with n = 0 if there is none; NULL when out of memory. */
static struct addr_count *
addr_get(struct sessions *t, const struct sockaddr *sa)
{
	unsigned char key[16];
	size_t len = addr_key(sa, key), b = addr_bucket(key, len);
	struct addr_count *a;

	for (a = t->addrs[b]; a != NULL; a = a->next)
		if (a->keylen == len && memcmp(a->key, key, len) == 0)
			return a;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->keylen = len;
	memcpy(a->key, key, len);
	a->next = t->addrs[b];
	t->addrs[b] = a;
	return a;
}

/* Forget an entry that counts nobody: the table holds only addresses in handshake. */
static void
addr_put(struct sessions *t, struct addr_count *a)
{
	struct addr_count **pp;

	if (a->n > 0)
		return;
	for (pp = &t->addrs[addr_bucket(a->key, a->keylen)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			free(a);
			return;
		}
	}
}

/* The certificate was seen, or the connection is gone: it no longer counts. */
/* The one way out of the session layer (collector.h, struct session_news). */
void
session_forward(struct collector *c, const struct session_news *n)
{
	if (c->forward != NULL)
		c->forward(c->forward_arg, n);
}

static void
session_precert_done(struct session *s)
{
	if (s->precert == NULL)
		return;
	s->precert->n--;
	addr_put(s->c->sessions, s->precert);
	s->precert = NULL;
}

void
session_set_state(struct session *s, enum session_state st)
{
	struct sessions *t = s->c->sessions;

	if (s->state == SS_RUNNING && st != SS_RUNNING) {
		t->nrunning--;
		roster_unlist(&s->c->connected, &s->pub);
	} else if (s->state != SS_RUNNING && st == SS_RUNNING) {
		t->nrunning++;
		s->pub.agent = s->agent;
		roster_list(&s->c->connected, &s->pub);
	}
	s->state = st;
}

/* last_seen rides along with the next commit. */
void
session_write_seen(struct session *s)
{
	if (s->pub.seen_us <= s->seen_stored_us)
		return;
	if (pending_add(s->c, STORE_SEEN, s, NULL, 0, s->pub.seen_us) != 0) {
		log_warnx("Out of memory; cannot record when agent %s was last seen.", s->agent);
		return;
	}
	if (s->has_clock)
		TAILQ_LAST(&s->c->sessions->pending, pending_list)->agent_clock_us =
		    s->pub.seen_us + s->clock_offset_us;
	s->seen_stored_us = s->pub.seen_us;
}

void
session_free(struct session *s)
{
	struct collector *c = s->c;
	struct sessions *t = c->sessions;
	struct session **pp;
	enum session_state was = s->state;

	/* One more item at the close keeps last_seen exact (not at shutdown: nothing commits then). */
	if (s->agent[0] != '\0' && s->seen_stored_us != 0 && !c->stopping)
		session_write_seen(s);
	if (was == SS_QUEUED) {
		TAILQ_REMOVE(&t->queue, s, qentry);
		t->nqueued--;
	} else if (was == SS_HANDSHAKE) {
		t->nhandshaking--;
	}
	session_precert_done(s);
	t->reserved_total -= s->reserved;
	s->reserved = 0;
	session_set_state(s, SS_CLOSING);
	for (pp = &t->hash[s->id & (SESSION_HASH - 1)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	}
	TAILQ_REMOVE(&t->all, s, entry);
	t->n--;
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	else if (s->fd != -1)
		evutil_closesocket(s->fd);
	free(s);
	if (c->stopping && t->n == 0)
		event_base_loopexit(c->base, NULL);
	/* Later, not here: the caller may be walking the session list. */
	if (was == SS_HANDSHAKE && t->next_ev != NULL)
		event_active(t->next_ev, EV_TIMEOUT, 0);
	resume_check(c);
}

int
session_send(struct session *s, const Vigil__V1__Frame *f)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = frame_encode(f, (size_t)s->c->conf.collector.max_frame, &buf, &len)) != 0)
		return rc;
	rc = bufferevent_write(s->bev, buf, len) == 0 ? 0 : VIGIL_ERR_NOMEM;
	free(buf);
	return rc;
}

/*
 * Everything we wrote is out: say close_notify, so that the agent sees a
 * clean end rather than a crash, then free. The alert goes straight to the
 * socket (non-blocking); if it cannot, the close says enough.
 */
static void
session_close_now(struct session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);

	if (ssl != NULL && SSL_is_init_finished(ssl)) {
		(void)SSL_shutdown(ssl);
		ERR_clear_error();
	}
	session_free(s);
}

static void
session_drained(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		session_close_now(s);
}

/* Stop reading, let what we wrote drain, then free. */
void
session_close_soon(struct session *s)
{
	struct timeval tv = { CLOSE_DRAIN_SEC, 0 };

	if (s->bev == NULL) {              /* still queued: nothing was said */
		session_free(s);
		return;
	}
	session_set_state(s, SS_CLOSING);
	bufferevent_disable(s->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		session_close_now(s);
		return;
	}
	bufferevent_setcb(s->bev, NULL, session_drained, session_event, s);
	bufferevent_set_timeouts(s->bev, NULL, &tv);
	bufferevent_enable(s->bev, EV_WRITE);
}

/* A bad frame: log, count, send nothing more, close. */
static void
session_bad_frame(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
session_bad_frame(struct session *s, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("agent %s from %s: closing: %s", s->agent, s->addr, why);
	s->c->counters.frames_bad++;
	session_free(s);
}

/* A well-formed frame not allowed here: send Error{reason}, count, close. */
void
session_protocol_error(struct session *s, int code, const char *fmt, ...)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Error e;
	char why[WIRE_MAX_REASON];
	va_list ap;

	vigil__v1__error__init(&e);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("agent %s from %s: closing: %s", s->agent, s->addr, why);
	s->c->counters.protocol_errors++;
	/* The code is the negated enum vigil_err, so both ends can name it. */
	e.code = (uint32_t)-code;
	e.reason = why;
	f.msg_case = VIGIL__V1__FRAME__MSG_ERROR;
	f.error = &e;
	(void)session_send(s, &f);
	session_close_soon(s);
}

/*
 * Frames of this session are decoded now: no backpressure holds it, or it is
 * finishing a frame whose memory is already counted.
 */
int
session_may_read(const struct session *s)
{
	const struct sessions *t = s->c->sessions;

	if (s->state != SS_HELLO && s->state != SS_RUNNING)
		return 0;
	if (s->reserved > 0)
		return 1;
	return !t->paused_all && (s->state == SS_HELLO || !s->paused);
}

/* Our own backpressure holds it: its silence says nothing about the peer. */
static int
session_held(const struct session *s)
{
	return s->reserved == 0 && (s->paused || s->c->sessions->paused_all);
}

static void
session_enable_read(struct session *s)
{
	bufferevent_enable(s->bev, EV_READ);
	/*
	 * Frames already buffered raise no new read event. A deferred callback
	 * rather than a direct call: the caller may be walking the session list.
	 */
	if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
		bufferevent_trigger(s->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

void
session_pause(struct session *s)
{
	if (s->paused)
		return;
	s->paused = 1;
	bufferevent_disable(s->bev, EV_READ);
	log_debug("Agent %s: %zu bytes await the disk; reading paused.", s->agent,
	    s->pending_bytes);
}

/* Waiting on us is not idleness: the clocks of its deadlines restart now. */
static void
session_unhold(struct session *s)
{
	int64_t now = clock_now_us();

	s->live_us = now;
	if (s->frame_us != 0)
		s->frame_us = now;
}

void
session_resume(struct session *s)
{
	if (!s->paused || s->state != SS_RUNNING || s->c->stopping)
		return;
	s->paused = 0;
	log_debug("Agent %s: reading resumed.", s->agent);
	if (!s->c->sessions->paused_all) {
		session_unhold(s);
		session_enable_read(s);
	}
}

/* Every session waits while max_pending_total bytes await the disk. */
void
pause_all(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct session *s;

	if (t->paused_all)
		return;
	t->paused_all = 1;
	/* A session with a reservation finishes its frame: its memory is counted already. */
	TAILQ_FOREACH(s, &t->all, entry)
		if ((s->state == SS_RUNNING || s->state == SS_HELLO) && s->reserved == 0)
			bufferevent_disable(s->bev, EV_READ);
	log_debug("%zu bytes from %zu agents await the disk and %zu are being received "
	    "(max_pending_total); reading paused.", t->total_bytes, t->nrunning, t->reserved_total);
}

static void
resume_all(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct session *s;

	if (!t->paused_all || c->stopping)
		return;
	t->paused_all = 0;
	TAILQ_FOREACH(s, &t->all, entry) {
		if (s->state == SS_HELLO || (s->state == SS_RUNNING && !s->paused)) {
			if (s->reserved == 0)
				session_unhold(s);
			session_enable_read(s);
		}
	}
	log_debug("Reading resumed for every agent.");
}

/* Memory of batches awaiting the disk and of frames being received. */
static size_t
held_bytes(const struct sessions *t)
{
	return t->total_bytes + t->reserved_total;
}

/* Resume every session once what is held fell below half of max_pending_total. */
void
resume_check(struct collector *c)
{
	struct sessions *t = c->sessions;

	if (t != NULL && t->paused_all &&
	    held_bytes(t) < (size_t)c->conf.collector.max_pending_total / 2)
		resume_all(c);
}

/*
 * Count the frame being received (FRAME_HDR_LEN + len bytes, or all that is
 * buffered if more) against max_pending_total before its body is read. 0, or
 * -1 when there is no room: every session then waits, and this one is read
 * again on resumption.
 */
static int
session_reserve(struct session *s, size_t need, size_t avail)
{
	struct collector *c = s->c;
	struct sessions *t = c->sessions;

	if (s->reserved == 0 &&
	    held_bytes(t) + need > (size_t)c->conf.collector.max_pending_total) {
		pause_all(c);
		return -1;
	}
	/* What libevent read past the frame's end (one read at most) counts as well. */
	if (avail > need)
		need = avail;
	if (need > s->reserved) {
		t->reserved_total += need - s->reserved;
		s->reserved = need;
	}
	return 0;
}

static void
session_unreserve(struct session *s)
{
	s->c->sessions->reserved_total -= s->reserved;
	s->reserved = 0;
}

/* ---- accepting ---------------------------------------------------------------- */

/* Refusals are logged at most once a second each, with how many there were. */
static void
refusal_log(time_t *logged, uint64_t *unlogged, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
refusal_log(time_t *logged, uint64_t *unlogged, const char *fmt, ...)
{
	char msg[256];
	time_t now = time(NULL);
	va_list ap;

	(*unlogged)++;
	if (now == *logged)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("Refused %llu connection(s): %s.", (unsigned long long)*unlogged, msg);
	*logged = now;
	*unlogged = 0;
}

void
session_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct collector *c = arg;
	struct sessions *t = c->sessions;
	const struct collector_conf *cc = &c->conf.collector;
	struct addr_count *a;
	struct session *s;
	char addr[COLLECTOR_ADDR_MAX];
	int one = 1;

	if (c->stopping) {
		evutil_closesocket(fd);
		return;
	}
	if (t->n >= (size_t)cc->max_connections) {
		evutil_closesocket(fd);
		c->counters.connections_refused_limit++;
		refusal_log(&t->refused_logged, &t->refused_unlogged, "%zu are open, the limit "
		    "(max_connections) is %lld", t->n, cc->max_connections);
		return;
	}
	if ((a = addr_get(t, sa)) == NULL || (s = calloc(1, sizeof(*s))) == NULL) {
		log_warnx("Out of memory; dropping a new connection.");
		if (a != NULL)
			addr_put(t, a);
		evutil_closesocket(fd);
		return;
	}
	session_addr_str(sa, s->addr, sizeof(s->addr));
	/* Only before a certificate: an office behind one NAT address is never locked out. */
	if (a->n >= (size_t)cc->max_handshakes_per_address) {
		memcpy(addr, s->addr, sizeof(addr));
		free(s);
		evutil_closesocket(fd);
		c->counters.connections_refused_address++;
		refusal_log(&t->refused_addr_logged, &t->refused_addr_unlogged, "%zu connections "
		    "from the address of %s have not shown a certificate yet, the limit "
		    "(max_handshakes_per_address) is %lld", a->n, addr,
		    cc->max_handshakes_per_address);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	a->n++;
	s->precert = a;
	s->fd = fd;
	s->c = c;
	s->id = ++t->next_id;
	s->state = SS_QUEUED;
	s->accepted_us = clock_now_us();
	TAILQ_INSERT_TAIL(&t->all, s, entry);
	s->hnext = t->hash[s->id & (SESSION_HASH - 1)];
	t->hash[s->id & (SESSION_HASH - 1)] = s;
	t->n++;
	TAILQ_INSERT_TAIL(&t->queue, s, qentry);
	t->nqueued++;
	c->counters.connections_accepted++;
	if (t->nhandshaking >= (size_t)cc->max_handshakes)
		c->counters.handshakes_queued++;
	log_debug("Accepted a connection from %s.", s->addr);
	handshake_next(c);
	sweep_arm(c);
}

/* Wrap a queued socket in TLS and start its handshake. 0, or -1 when it was freed. */
static int
handshake_start(struct session *s)
{
	struct collector *c = s->c;
	struct sessions *t = c->sessions;
	const struct collector_conf *cc = &c->conf.collector;
	size_t hello_max = (size_t)cc->max_frame < HELLO_FRAME_MAX ? (size_t)cc->max_frame :
	    HELLO_FRAME_MAX;
	SSL *ssl;

	/* A handshake from here on, for the counts even if it fails at once. */
	session_set_state(s, SS_HANDSHAKE);
	t->nhandshaking++;
	if ((ssl = SSL_new(c->ssl_ctx)) == NULL) {
		log_warnx("Out of memory; dropping the connection from %s.", s->addr);
		session_free(s);
		return -1;
	}
	/* Idle sessions then hold no TLS buffers: 1,000 agents stay small. */
	SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
	/* Frames carry their length, so a missing close_notify truncates nothing: it is an EOF. */
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	s->bev = bufferevent_openssl_socket_new(c->base, s->fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		log_warnx("Cannot set up a TLS connection from %s; dropping it.", s->addr);
		SSL_free(ssl);
		session_free(s);
		return -1;
	}
	s->fd = -1;                        /* the bufferevent owns it */
	bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
	/* Before Hello no frame may be larger than a Hello. */
	bufferevent_setwatermark(s->bev, EV_READ, 0, FRAME_HDR_LEN + hello_max);
	bufferevent_setcb(s->bev, session_read, NULL, session_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	return 0;
}

/*
 * Start handshakes while slots are free, oldest connection first; one whose
 * deadline passed while it waited is closed without costing a handshake.
 */
static void
handshake_next(struct collector *c)
{
	struct sessions *t = c->sessions;
	const struct collector_conf *cc = &c->conf.collector;
	int64_t now, deadline = cc->handshake_timeout * 1000;
	struct session *s;

	if (t->starting || c->stopping)
		return;
	t->starting = 1;
	now = clock_now_us();
	while (t->nhandshaking < (size_t)cc->max_handshakes && (s = TAILQ_FIRST(&t->queue)) != NULL) {
		if (now - s->accepted_us >= deadline) {
			log_warnx("Connection from %s: closing: it waited longer than "
			    "handshake_timeout for a handshake slot (max_handshakes %lld).", s->addr,
			    cc->max_handshakes);
			c->counters.handshake_timeouts++;
			session_free(s);
			continue;
		}
		TAILQ_REMOVE(&t->queue, s, qentry);
		t->nqueued--;
		(void)handshake_start(s);
	}
	t->starting = 0;
}

static void
handshake_next_cb(evutil_socket_t fd, short what, void *arg)
{
	handshake_next(arg);
}

static void
accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;

	if (c->listener != NULL && !c->stopping)
		evconnlistener_enable(c->listener);
}

void
session_accept_error(struct evconnlistener *l, void *arg)
{
	struct collector *c = arg;
	struct timeval tv = { ACCEPT_PAUSE_SEC, 0 };
	int err = EVUTIL_SOCKET_ERROR();

	/* Out of descriptors: pausing beats spinning on a listener that stays readable. */
	log_warnx("Cannot accept a connection: %s; pausing the listener for %d s.",
	    evutil_socket_error_to_string(err), ACCEPT_PAUSE_SEC);
	evconnlistener_disable(l);
	evtimer_add(c->sessions->accept_ev, &tv);
}

/* ---- TLS events ----------------------------------------------------------------- */

/* The OpenSSL reason for a failure, with the certificate verdict when there is one. */
static void
session_tls_reason(struct session *s, short what, char *buf, size_t len)
{
	unsigned long e;
	size_t off = 0;
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	long vr;
	int err = EVUTIL_SOCKET_ERROR();

	buf[0] = '\0';
	while ((e = bufferevent_get_openssl_error(s->bev)) != 0) {
		const char *r;
		char tmp[256];

		/* libevent also queues SSL_get_error() codes, which are no OpenSSL errors. */
		if (ERR_GET_LIB(e) == 0)
			continue;
		r = ERR_reason_error_string(e);

		if (r == NULL) {
			ERR_error_string_n(e, tmp, sizeof(tmp));
			r = tmp;
		}
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "; " : "", r);
	}
	if (ssl != NULL && (vr = SSL_get_verify_result(ssl)) != X509_V_OK && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%s(%s)", off ? " " : "",
		    X509_verify_cert_error_string(vr));
	if (off > 0)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		snprintf(buf, len, "timed out (handshake_timeout)");
	else if ((what & BEV_EVENT_EOF) || err == 0)
		snprintf(buf, len, "the peer closed the connection");
	else
		snprintf(buf, len, "%s", evutil_socket_error_to_string(err));
}

static void
session_connected(struct session *s)
{
	struct collector *c = s->c;
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	int rc;

	/* The slot and the address's count are free for the next connection. */
	c->sessions->nhandshaking--;
	session_set_state(s, SS_HELLO);
	session_precert_done(s);
	handshake_next(c);
	if ((rc = tls_peer_id(ssl, s->agent, sizeof(s->agent))) != 0) {
		log_warnx("TLS peer %s: closing: its certificate names no valid agent id (%s).",
		    s->addr, vigil_strerror(rc));
		s->c->counters.tls_handshake_failed++;
		s->agent[0] = '\0';
		session_free(s);
		return;
	}
	/* Revoked and retired agents are refused; an enrolled one's unit is its certificate's. */
	if (session_identity(s, ssl) != 0) {
		session_free(s);
		return;
	}
	if (c->sessions->paused_all)
		bufferevent_disable(s->bev, EV_READ);
	log_info("Agent %s connected from %s (%s).", s->agent, s->addr, SSL_get_cipher_name(ssl));
}

static void
session_event(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	char why[512];

	if (what & BEV_EVENT_CONNECTED) {
		session_connected(s);
		return;
	}
	if (s->state == SS_HANDSHAKE) {
		session_tls_reason(s, what, why, sizeof(why));
		log_warnx("TLS handshake with %s failed: %s", s->addr, why);
		s->c->counters.tls_handshake_failed++;
		session_free(s);
		return;
	}
	if (s->state == SS_CLOSING) {
		log_debug("Agent %s from %s: closed before our last frame drained.", s->agent,
		    s->addr);
	} else if (what & BEV_EVENT_TIMEOUT) {
		/* Only writes have a libevent timeout; the sweep keeps the other deadlines. */
		log_warnx("agent %s from %s: closing: could not send within idle_timeout", s->agent,
		    s->addr);
	} else if (what & BEV_EVENT_EOF) {
		log_info("Agent %s from %s closed the connection.", s->agent, s->addr);
	} else {
		session_tls_reason(s, what, why, sizeof(why));
		log_warnx("agent %s from %s: closing: %s", s->agent, s->addr, why);
	}
	session_free(s);
}

static void
session_read(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t max = (size_t)s->c->conf.collector.max_frame, avail, len;
	uint8_t hdr[FRAME_HDR_LEN], *buf;
	Vigil__V1__Frame *f;
	int64_t now = clock_now_us();
	char why[WIRE_MAX_REASON / 2];
	int rc;

	if (s->state == SS_HELLO && max > HELLO_FRAME_MAX)
		max = HELLO_FRAME_MAX;
	for (;;) {
		/*
		 * Held back: a session that was let finish its frame stops now, before
		 * libevent reads on past its end (bufferevent_disable, not a watermark:
		 * a watermark can leave decrypted bytes in OpenSSL that no socket
		 * event would ever fetch).
		 */
		if (!session_may_read(s)) {
			if (s->state == SS_RUNNING || s->state == SS_HELLO)
				bufferevent_disable(bev, EV_READ);
			return;
		}
		if ((avail = evbuffer_get_length(in)) == 0) {
			s->frame_us = 0;
			return;
		}
		/* A frame began: from now on frame_timeout runs until its last byte. */
		if (s->frame_us == 0)
			s->frame_us = now;
		if (avail < FRAME_HDR_LEN)
			return;
		evbuffer_copyout(in, hdr, FRAME_HDR_LEN);
		if ((rc = frame_header(hdr, max, &len)) != 0) {
			if (rc == VIGIL_ERR_TOOBIG)
				session_bad_frame(s, "a frame of %lu bytes is over the size limit "
				    "(%s %zu)", (unsigned long)hdr[0] << 24 |
				    (unsigned long)hdr[1] << 16 | (unsigned long)hdr[2] << 8 |
				    (unsigned long)hdr[3], s->state == SS_HELLO ? "before Hello" :
				    "max_frame", max);
			else
				session_bad_frame(s, "a bad frame length (%s)", vigil_strerror(rc));
			return;
		}
		if (session_reserve(s, FRAME_HDR_LEN + len, avail) != 0)
			return;
		if (avail < FRAME_HDR_LEN + len)
			return;
		if ((buf = evbuffer_pullup(in, (ev_ssize_t)(FRAME_HDR_LEN + len))) == NULL) {
			session_bad_frame(s, "out of memory for a frame of %zu bytes", len);
			return;
		}
		rc = frame_decode_why(buf + FRAME_HDR_LEN, len, &f, why, sizeof(why));
		evbuffer_drain(in, FRAME_HDR_LEN + len);
		/* The decoded frame is counted by what takes it (pending_add), not here. */
		session_unreserve(s);
		s->frame_us = 0;
		s->live_us = now;
		if (rc != 0) {
			/* The peer is told why: an agent with a bug can say so in its log. */
			s->c->counters.frames_bad++;
			session_protocol_error(s, rc, "a frame of %zu bytes was refused: %s", len,
			    why);
			return;
		}
		if (session_frame(s, f, FRAME_HDR_LEN + len) != 0)
			return;
	}
}

/* ---- deadlines ------------------------------------------------------------------ */

static int64_t
sweep_interval_us(const struct collector_conf *cc)
{
	long long ms = cc->handshake_timeout;

	if (cc->frame_timeout < ms)
		ms = cc->frame_timeout;
	if (cc->idle_timeout < ms)
		ms = cc->idle_timeout;
	ms /= 4;
	if (ms < SWEEP_MIN_MS)
		ms = SWEEP_MIN_MS;
	if (ms > SWEEP_MAX_MS)
		ms = SWEEP_MAX_MS;
	return ms * 1000;
}

/* 1 when s was closed for a deadline it missed at now. */
static int
session_deadline(struct session *s, int64_t now)
{
	const struct collector_conf *cc = &s->c->conf.collector;
	struct collector_counters *n = &s->c->counters;
	const char *who = s->agent[0] != '\0' ? s->agent : "-";

	switch (s->state) {
	case SS_QUEUED:
	case SS_HANDSHAKE:
	case SS_HELLO:
		if (now - s->accepted_us < cc->handshake_timeout * 1000)
			return 0;
		log_warnx("agent %s from %s: closing: %s within handshake_timeout (%lld ms from "
		    "accepting the connection)", who, s->addr, s->state == SS_QUEUED ?
		    "no handshake slot" : s->state == SS_HANDSHAKE ? "no TLS handshake" :
		    "no Hello", cc->handshake_timeout);
		if (s->state == SS_HANDSHAKE)
			n->tls_handshake_failed++;
		n->handshake_timeouts++;
		session_free(s);
		return 1;
	case SS_RUNNING:
		if (session_held(s))
			return 0;
		if (s->frame_us != 0 && now - s->frame_us >= cc->frame_timeout * 1000) {
			log_warnx("agent %s from %s: closing: a frame begun %lld ms ago is still "
			    "incomplete (frame_timeout)", who, s->addr,
			    (long long)((now - s->frame_us) / 1000));
			n->frame_timeouts++;
			session_free(s);
			return 1;
		}
		if (now - s->live_us >= cc->idle_timeout * 1000) {
			log_warnx("agent %s from %s: closing: no whole frame within idle_timeout",
			    who, s->addr);
			n->idle_timeouts++;
			session_free(s);
			return 1;
		}
		return 0;
	case SS_CLOSING:
		return 0;
	}
	return 0;
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;
	struct sessions *t = c->sessions;
	struct session *s, *next;
	int64_t now = clock_now_us();

	t->sweep_armed = 0;
	TAILQ_FOREACH_SAFE(s, &t->all, entry, next)
		(void)session_deadline(s, now);
	sweep_arm(c);
}

/* The sweep runs while there is a session; an idle collector has no timer. */
static void
sweep_arm(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct timeval tv;

	if (t->sweep_armed || t->n == 0 || t->sweep_ev == NULL)
		return;
	tv.tv_sec = (time_t)(t->sweep_us / 1000000);
	tv.tv_usec = (suseconds_t)(t->sweep_us % 1000000);
	evtimer_add(t->sweep_ev, &tv);
	t->sweep_armed = 1;
}

/* ---- the group commit ------------------------------------------------------------ */

void
session_ack(struct session *s)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Ack a = VIGIL__V1__ACK__INIT;

	a.up_to_seq = s->ack_to;
	f.msg_case = VIGIL__V1__FRAME__MSG_ACK;
	f.ack = &a;
	if (session_send(s, &f) != 0)
		log_warnx("Cannot queue an Ack for agent %s.", s->agent);
}

/* ---- the table's life ------------------------------------------------------------ */

int
session_init(struct collector *c)
{
	struct sessions *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return VIGIL_ERR_NOMEM;
	TAILQ_INIT(&t->all);
	TAILQ_INIT(&t->queue);
	TAILQ_INIT(&t->pending);
	TAILQ_INIT(&t->inflight);
	t->w.wakefd = -1;
	t->sweep_us = sweep_interval_us(&c->conf.collector);
	t->commit_ev = evtimer_new(c->base, commit_cb, c);
	t->accept_ev = evtimer_new(c->base, accept_resume, c);
	t->sweep_ev = evtimer_new(c->base, sweep_cb, c);
	t->next_ev = event_new(c->base, -1, 0, handshake_next_cb, c);
	if (t->commit_ev == NULL || t->accept_ev == NULL || t->sweep_ev == NULL ||
	    t->next_ev == NULL) {
		if (t->commit_ev != NULL)
			event_free(t->commit_ev);
		if (t->accept_ev != NULL)
			event_free(t->accept_ev);
		if (t->sweep_ev != NULL)
			event_free(t->sweep_ev);
		if (t->next_ev != NULL)
			event_free(t->next_ev);
		free(t);
		return VIGIL_ERR_NOMEM;
	}
	roster_init(&c->connected);
	c->sessions = t;
	return 0;
}

int
session_start(struct collector *c, struct store *wstore)
{
	struct writer *w = &c->sessions->w;
	sigset_t all, old;
	int rc;

	if (w->running)
		return VIGIL_ERR_INVAL;
	w->store = wstore;
	if ((w->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		return VIGIL_ERR_SYS;
	w->wake_ev = event_new(c->base, w->wakefd, EV_READ | EV_PERSIST, writer_wake, c);
	if (w->wake_ev == NULL || event_add(w->wake_ev, NULL) == -1)
		goto fail;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&w->cv, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		goto fail;
	}
	/* Signals are the event loop's business: the writer blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		errno = rc;
		goto fail;
	}
	w->running = 1;
	/* Items may have queued before the writer existed. */
	commit_arm(c);
	return 0;
fail:
	if (w->wake_ev != NULL)
		event_free(w->wake_ev);
	w->wake_ev = NULL;
	close(w->wakefd);
	w->wakefd = -1;
	return VIGIL_ERR_SYS;
}

void
session_gauges(const struct collector *c, struct session_gauges *g)
{
	const struct sessions *t = c->sessions;

	memset(g, 0, sizeof(*g));
	if (t == NULL)
		return;
	g->connections = t->n;
	g->handshaking = t->nhandshaking;
	g->queued = t->nqueued;
	g->awaiting_disk = t->total_bytes;
	g->receiving = t->reserved_total;
	if (t->fail_streak > 0) {
		g->store_failing_since_us = t->fail_since_us;
		snprintf(g->store_error, sizeof(g->store_error), "%s", t->fail_why);
	}
}

void
session_shutdown(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct session *s;

	if (t == NULL)
		return;
	/* Take nothing new; store and ack what was taken. */
	TAILQ_FOREACH(s, &t->all, entry)
		if (s->state == SS_HELLO || s->state == SS_RUNNING)
			bufferevent_disable(s->bev, EV_READ);
	if (t->commit_armed) {
		evtimer_del(t->commit_ev);
		t->commit_armed = 0;
	}
	/* Either the writer is busy (writer_wake goes on from there) or this starts it. */
	commit_start(c);
	if (!t->busy)
		shutdown_close(c);
}

void
session_free_all(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct session *s;

	if (t == NULL)
		return;
	c->stopping = 1;
	while ((s = TAILQ_FIRST(&t->all)) != NULL)
		session_free(s);
	/* An unfinished commit is finished; whatever is not acked, agents send again. */
	writer_stop(&t->w);
	if (t->npending + t->ninflight > 0)
		log_info("%zu items were not acknowledged at exit; their agents will send them "
		    "again.", t->npending + t->ninflight);
	pending_free_list(&t->inflight);
	pending_free_list(&t->pending);
	if (t->w.wake_ev != NULL)
		event_free(t->w.wake_ev);
	if (t->w.wakefd != -1)
		close(t->w.wakefd);
	event_free(t->commit_ev);
	event_free(t->accept_ev);
	event_free(t->sweep_ev);
	event_free(t->next_ev);
	free(t->batches);
	free(t->acks);
	free(t->refusals);
	free(t);
	c->sessions = NULL;
}
