/*
 * Agent sessions and the group commit.
 *
 * A session is one TLS connection: handshake, then Hello -> Welcome, then
 * EventBatch and Heartbeat frames. Every batch goes to one pending list that a
 * zero-delay timer hands to store_commit() in a single transaction; only then
 * is each session acked up to the highest seq stored for it. A pending batch
 * names its session by id, never by pointer, so a session that closes while
 * its batches wait is harmless. While a session's pending bytes are above
 * max_pending it is not read from (backpressure); the commit resumes it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "vigil/text.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#include "collector.h"

/* glibc's sys/queue.h lacks the _SAFE walk. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = TAILQ_FIRST(head); \
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1); (var) = (tvar))
#endif

#define SESSION_HASH 1024                  /* buckets of the id table; power of two */
#define COMMIT_RETRY_SEC 1
#define ACCEPT_PAUSE_SEC 1
#define CLOSE_DRAIN_SEC 5                  /* time a closing session has to take our last frame */

enum session_state {
	SS_HANDSHAKE,    /* TLS handshake under way */
	SS_HELLO,        /* authenticated; waiting for Hello */
	SS_RUNNING,      /* Welcome sent; batches and heartbeats */
	SS_CLOSING,      /* our last frame is draining; nothing more is read */
};

struct session {
	TAILQ_ENTRY(session) entry;
	struct session *hnext;             /* id hash chain */
	struct collector *c;
	uint64_t id;
	struct bufferevent *bev;
	enum session_state state;
	char addr[COLLECTOR_ADDR_MAX];
	char agent[COLLECTOR_ID_MAX];      /* from the certificate; "" before the handshake */
	uint64_t high_seq;                 /* highest seq received in this session */
	uint64_t ack_to;                   /* highest seq stored for this session */
	size_t pending_bytes;              /* frame bytes of batches awaiting the commit */
	int paused;                        /* reading disabled by backpressure */
	int to_ack;                        /* gets an Ack after the running commit */
	int64_t seen_us;                   /* last frame received */
	int64_t seen_stored_us;            /* last_seen as last written to the store */
};

struct pending {
	TAILQ_ENTRY(pending) entry;
	uint64_t session_id;
	char agent[COLLECTOR_ID_MAX];
	Vigil__V1__Frame *frame;           /* owns the batch */
	size_t bytes;
	int64_t recv_us;
};

TAILQ_HEAD(session_list, session);
TAILQ_HEAD(pending_list, pending);

struct sessions {
	struct session_list all;
	struct session *hash[SESSION_HASH];
	size_t n;                          /* every live connection */
	size_t nrunning;                   /* past Hello */
	uint64_t next_id;

	struct pending_list pending;
	size_t npending;
	struct event *commit_ev;
	int commit_armed;                  /* the commit timer is pending (now or a retry) */
	struct store_batch *batches;       /* scratch for store_commit() */
	struct session **acks;             /* scratch: sessions to ack */
	size_t cap;

	struct event *accept_ev;           /* re-enables the listener after EMFILE */
	time_t refused_logged;             /* rate limit of the refusal log */
	uint64_t refused_unlogged;
};

static void session_read(struct bufferevent *bev, void *arg);
static void session_event(struct bufferevent *bev, short what, void *arg);
static void commit_arm(struct collector *c);

int64_t
session_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

static struct session *
session_by_id(struct sessions *t, uint64_t id)
{
	struct session *s;

	for (s = t->hash[id & (SESSION_HASH - 1)]; s != NULL; s = s->hnext)
		if (s->id == id)
			return s;
	return NULL;
}

static void
session_set_state(struct session *s, enum session_state st)
{
	struct sessions *t = s->c->sessions;

	if (s->state == SS_RUNNING && st != SS_RUNNING)
		t->nrunning--;
	else if (s->state != SS_RUNNING && st == SS_RUNNING)
		t->nrunning++;
	s->state = st;
}

static void
session_write_seen(struct session *s)
{
	if (s->seen_us <= s->seen_stored_us)
		return;
	if (store_agent_seen(s->c->store, s->agent, s->seen_us) != 0) {
		log_warnx("Cannot record when agent %s was last seen.", s->agent);
		return;
	}
	s->seen_stored_us = s->seen_us;
}

static void
session_free(struct session *s)
{
	struct collector *c = s->c;
	struct sessions *t = c->sessions;
	struct session **pp;

	/* One write at the close keeps last_seen exact; at shutdown that is an fsync per agent. */
	if (s->agent[0] != '\0' && s->seen_stored_us != 0 && !c->stopping)
		session_write_seen(s);
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
	free(s);
	if (c->stopping && t->n == 0)
		event_base_loopexit(c->base, NULL);
}

static int
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

static void
session_drained(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		session_free(s);
}

/* Stop reading, let what we wrote drain, then free. */
static void
session_close_soon(struct session *s)
{
	struct timeval tv = { CLOSE_DRAIN_SEC, 0 };

	session_set_state(s, SS_CLOSING);
	bufferevent_disable(s->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		session_free(s);
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
static void
session_protocol_error(struct session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
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

static void
session_pause(struct session *s)
{
	if (s->paused)
		return;
	s->paused = 1;
	bufferevent_disable(s->bev, EV_READ);
	log_debug("Agent %s: %zu bytes await the disk; reading paused.", s->agent,
	    s->pending_bytes);
}

static void
session_resume(struct session *s)
{
	if (!s->paused || s->state != SS_RUNNING || s->c->stopping)
		return;
	s->paused = 0;
	bufferevent_enable(s->bev, EV_READ);
	log_debug("Agent %s: reading resumed.", s->agent);
	/* Frames already buffered raise no new read event. */
	if (evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
		session_read(s->bev, s);
}

/* ---- accepting ---------------------------------------------------------------- */

void
session_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct collector *c = arg;
	struct sessions *t = c->sessions;
	const struct collector_conf *cc = &c->conf.collector;
	struct timeval hs = { cc->handshake_timeout / 1000, (cc->handshake_timeout % 1000) * 1000 };
	struct session *s;
	SSL *ssl;
	int one = 1;
	time_t now;

	if (c->stopping) {
		evutil_closesocket(fd);
		return;
	}
	if (t->n >= (size_t)cc->max_connections) {
		evutil_closesocket(fd);
		c->counters.connections_refused_limit++;
		t->refused_unlogged++;
		now = time(NULL);
		if (now != t->refused_logged) {
			log_warnx("Refused %llu connection(s): %zu are open, the limit "
			    "(max_connections) is %lld.", (unsigned long long)t->refused_unlogged,
			    t->n, cc->max_connections);
			t->refused_logged = now;
			t->refused_unlogged = 0;
		}
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (ssl = SSL_new(c->ssl_ctx)) == NULL) {
		log_warnx("Out of memory; dropping a new connection.");
		free(s);
		evutil_closesocket(fd);
		return;
	}
	/* Idle sessions then hold no TLS buffers: 1,000 agents stay small. */
	SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
	/* Frames carry their length, so a missing close_notify truncates nothing: it is an EOF. */
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->bev = bufferevent_openssl_socket_new(c->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		log_warnx("Cannot set up a TLS connection; dropping it.");
		SSL_free(ssl);
		evutil_closesocket(fd);
		free(s);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
	s->c = c;
	s->id = ++t->next_id;
	s->state = SS_HANDSHAKE;
	session_addr_str(sa, s->addr, sizeof(s->addr));
	TAILQ_INSERT_TAIL(&t->all, s, entry);
	s->hnext = t->hash[s->id & (SESSION_HASH - 1)];
	t->hash[s->id & (SESSION_HASH - 1)] = s;
	t->n++;
	c->counters.connections_accepted++;
	/* The input never needs more than one whole frame. */
	bufferevent_setwatermark(s->bev, EV_READ, 0, FRAME_HDR_LEN + (size_t)cc->max_frame);
	bufferevent_setcb(s->bev, session_read, NULL, session_event, s);
	bufferevent_set_timeouts(s->bev, &hs, &hs);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	log_debug("Accepted a connection from %s.", s->addr);
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
	const struct collector_conf *cc = &s->c->conf.collector;
	struct timeval hs = { cc->handshake_timeout / 1000, (cc->handshake_timeout % 1000) * 1000 };
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	int rc;

	if ((rc = tls_peer_id(ssl, s->agent, sizeof(s->agent))) != 0) {
		log_warnx("TLS peer %s: closing: its certificate names no valid agent id (%s).",
		    s->addr, vigil_strerror(rc));
		s->c->counters.tls_handshake_failed++;
		s->agent[0] = '\0';
		session_free(s);
		return;
	}
	session_set_state(s, SS_HELLO);
	/* Hello comes at once; the idle timeout starts after Welcome. */
	bufferevent_set_timeouts(s->bev, &hs, &hs);
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
		log_warnx("agent %s from %s: closing: %s", s->agent, s->addr,
		    s->state == SS_HELLO ? "no Hello within handshake_timeout" :
		    (what & BEV_EVENT_READING) ? "nothing received within idle_timeout" :
		    "could not send within idle_timeout");
	} else if (what & BEV_EVENT_EOF) {
		log_info("Agent %s from %s closed the connection.", s->agent, s->addr);
	} else {
		session_tls_reason(s, what, why, sizeof(why));
		log_warnx("agent %s from %s: closing: %s", s->agent, s->addr, why);
	}
	session_free(s);
}

/* ---- frames -------------------------------------------------------------------- */

/* Returns 0, or -1 when the session is gone or closing. */
static int
session_hello(struct session *s, const Vigil__V1__Hello *h)
{
	struct collector *c = s->c;
	const struct collector_conf *cc = &c->conf.collector;
	struct timeval idle = { cc->idle_timeout / 1000, (cc->idle_timeout % 1000) * 1000 };
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Welcome w;
	struct session *o, *next;
	uint64_t stored;
	int64_t now = session_now_us();
	char version[WIRE_MAX_VERSION * 4 + 1], host[WIRE_MAX_HOSTNAME * 4 + 1];

	if (h->proto_major != WIRE_PROTO_MAJOR) {
		session_protocol_error(s, VIGIL_ERR_VERSION, "protocol version %u.%u is not "
		    "supported; this collector speaks version %d", h->proto_major, h->proto_minor,
		    WIRE_PROTO_MAJOR);
		return -1;
	}
	/* The newest connection of an agent wins: the older one is most likely dead. */
	TAILQ_FOREACH_SAFE(o, &c->sessions->all, entry, next) {
		if (o == s || o->state != SS_RUNNING || strcmp(o->agent, s->agent) != 0)
			continue;
		log_warnx("Agent %s connected again from %s; closing its older session from %s.",
		    s->agent, s->addr, o->addr);
		c->counters.sessions_replaced++;
		session_free(o);
	}
	if (store_agent_hello(c->store, s->agent, h, s->addr, now) != 0)
		log_warnx("Cannot record the Hello of agent %s; serving it anyway.", s->agent);
	else
		s->seen_stored_us = now;
	s->seen_us = now;
	/* Only what is durable: a batch still pending may yet fail to commit. */
	if (store_agent_last_seq(c->store, s->agent, &stored) != 0) {
		log_warnx("agent %s from %s: closing: cannot read its last stored seq", s->agent,
		    s->addr);
		session_free(s);
		return -1;
	}
	vigil__v1__welcome__init(&w);
	w.collector_version = (char *)(uintptr_t)COLLECTOR_VERSION;
	w.stored_seq = stored;
	w.heartbeat_sec = (uint32_t)(cc->heartbeat / 1000);
	w.max_frame = (uint32_t)cc->max_frame;
	w.max_batch = WIRE_MAX_BATCH;
	f.msg_case = VIGIL__V1__FRAME__MSG_WELCOME;
	f.welcome = &w;
	if (session_send(s, &f) != 0) {
		log_warnx("agent %s from %s: closing: cannot send Welcome", s->agent, s->addr);
		session_free(s);
		return -1;
	}
	session_set_state(s, SS_RUNNING);
	bufferevent_set_timeouts(s->bev, &idle, &idle);
	text_escape(version, sizeof(version), h->agent_version, strlen(h->agent_version));
	text_escape(host, sizeof(host), h->hostname, strlen(h->hostname));
	log_info("Agent %s (version %s, host %s) says hello; its last stored seq is %llu, its "
	    "spool reaches %llu.", s->agent, version, host, (unsigned long long)stored,
	    (unsigned long long)h->spool_high_seq);
	return 0;
}

/* Takes the frame. Returns 0 to keep reading, -1 when gone, closing or paused. */
static int
session_batch(struct session *s, Vigil__V1__Frame *f, size_t bytes)
{
	struct collector *c = s->c;
	struct sessions *t = c->sessions;
	const Vigil__V1__EventBatch *b = f->batch;
	uint64_t first = b->events[0]->seq, last = b->events[b->n_events - 1]->seq;
	struct pending *p;

	if (first <= s->high_seq) {
		frame_free(f);
		session_protocol_error(s, VIGIL_ERR_ORDER, "a batch starts at seq %llu, not after "
		    "%llu", (unsigned long long)first, (unsigned long long)s->high_seq);
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		frame_free(f);
		log_warnx("agent %s from %s: closing: out of memory", s->agent, s->addr);
		session_free(s);
		return -1;
	}
	s->high_seq = last;
	p->session_id = s->id;
	memcpy(p->agent, s->agent, sizeof(p->agent));
	p->frame = f;
	p->bytes = bytes;
	p->recv_us = s->seen_us;
	TAILQ_INSERT_TAIL(&t->pending, p, entry);
	t->npending++;
	s->pending_bytes += bytes;
	c->counters.batches_received++;
	c->counters.events_received += b->n_events;
	if (s->pending_bytes > (size_t)c->conf.collector.max_pending)
		session_pause(s);
	commit_arm(c);
	return s->paused ? -1 : 0;
}

/* Returns 0 to keep reading, -1 when the session is gone or closing. Takes f. */
static int
session_frame(struct session *s, Vigil__V1__Frame *f, size_t bytes)
{
	char reason[WIRE_MAX_REASON * 4 + 1];
	int rc, kind;

	s->seen_us = session_now_us();
	switch (f->msg_case) {
	case VIGIL__V1__FRAME__MSG_HELLO:
		if (s->state != SS_HELLO) {
			frame_free(f);
			session_protocol_error(s, VIGIL_ERR_PROTO, "a second Hello");
			return -1;
		}
		rc = session_hello(s, f->hello);
		frame_free(f);
		return rc;
	case VIGIL__V1__FRAME__MSG_BATCH:
		if (s->state != SS_RUNNING) {
			frame_free(f);
			session_protocol_error(s, VIGIL_ERR_PROTO, "an EventBatch before Hello");
			return -1;
		}
		return session_batch(s, f, bytes);
	case VIGIL__V1__FRAME__MSG_HEARTBEAT:
		frame_free(f);
		if (s->state != SS_RUNNING) {
			session_protocol_error(s, VIGIL_ERR_PROTO, "a Heartbeat before Hello");
			return -1;
		}
		/* In memory at once; in the store at most once a minute per agent. */
		if (s->seen_us - s->seen_stored_us >= COLLECTOR_SEEN_INTERVAL_US)
			session_write_seen(s);
		return 0;
	case VIGIL__V1__FRAME__MSG_ERROR:
		text_escape(reason, sizeof(reason), f->error->reason, strlen(f->error->reason));
		log_warnx("agent %s from %s: closing: the agent reports an error: %s", s->agent,
		    s->addr, reason);
		frame_free(f);
		session_free(s);
		return -1;
	default:
		kind = (int)f->msg_case;
		frame_free(f);
		session_protocol_error(s, VIGIL_ERR_PROTO, "a message of kind %d is not expected "
		    "from an agent", kind);
		return -1;
	}
}

static void
session_read(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t max = (size_t)s->c->conf.collector.max_frame, avail, len;
	uint8_t hdr[FRAME_HDR_LEN], *buf;
	Vigil__V1__Frame *f;
	int rc;

	while (s->state == SS_HELLO || (s->state == SS_RUNNING && !s->paused)) {
		avail = evbuffer_get_length(in);
		if (avail < FRAME_HDR_LEN)
			return;
		evbuffer_copyout(in, hdr, FRAME_HDR_LEN);
		if ((rc = frame_header(hdr, max, &len)) != 0) {
			if (rc == VIGIL_ERR_TOOBIG)
				session_bad_frame(s, "a frame of %lu bytes is over the size limit "
				    "(max_frame %zu)", (unsigned long)hdr[0] << 24 |
				    (unsigned long)hdr[1] << 16 | (unsigned long)hdr[2] << 8 |
				    (unsigned long)hdr[3], max);
			else
				session_bad_frame(s, "a bad frame length (%s)", vigil_strerror(rc));
			return;
		}
		if (avail < FRAME_HDR_LEN + len)
			return;
		if ((buf = evbuffer_pullup(in, (ev_ssize_t)(FRAME_HDR_LEN + len))) == NULL) {
			session_bad_frame(s, "out of memory for a frame of %zu bytes", len);
			return;
		}
		rc = frame_decode(buf + FRAME_HDR_LEN, len, &f);
		evbuffer_drain(in, FRAME_HDR_LEN + len);
		if (rc != 0) {
			session_bad_frame(s, "a bad frame of %zu bytes (%s)", len,
			    vigil_strerror(rc));
			return;
		}
		if (session_frame(s, f, FRAME_HDR_LEN + len) != 0)
			return;
	}
}

/* ---- the group commit ------------------------------------------------------------ */

static void
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

static int
commit_grow(struct sessions *t, size_t n)
{
	struct store_batch *b;
	struct session **a;
	size_t cap = t->cap ? t->cap : 64;

	if (n <= t->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((b = realloc(t->batches, cap * sizeof(*b))) == NULL)
		return VIGIL_ERR_NOMEM;
	t->batches = b;
	if ((a = realloc(t->acks, cap * sizeof(*a))) == NULL)
		return VIGIL_ERR_NOMEM;
	t->acks = a;
	t->cap = cap;
	return 0;
}

/* Store every pending batch in one transaction, then ack. Returns 0 or the store error. */
static int
commit_run(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct pending *p;
	struct session *s;
	size_t i, nacks = 0, half = (size_t)c->conf.collector.max_pending / 2;
	int rc;

	if (t->npending == 0)
		return 0;
	if ((rc = commit_grow(t, t->npending)) != 0)
		return rc;
	i = 0;
	TAILQ_FOREACH(p, &t->pending, entry) {
		t->batches[i].agent = p->agent;
		t->batches[i].batch = p->frame->batch;
		t->batches[i].recv_us = p->recv_us;
		t->batches[i].up_to = 0;
		t->batches[i].inserted = 0;
		i++;
	}
	if ((rc = store_commit(c->store, t->batches, t->npending)) != 0)
		return rc;
	c->counters.commits++;
	i = 0;
	while ((p = TAILQ_FIRST(&t->pending)) != NULL) {
		size_t nev = p->frame->batch->n_events;

		c->counters.events_stored += t->batches[i].inserted;
		c->counters.events_duplicate += nev - t->batches[i].inserted;
		if ((s = session_by_id(t, p->session_id)) != NULL) {
			s->pending_bytes -= p->bytes;
			if (t->batches[i].up_to > s->ack_to)
				s->ack_to = t->batches[i].up_to;
			if (!s->to_ack && s->state == SS_RUNNING) {
				s->to_ack = 1;
				t->acks[nacks++] = s;
			}
		}
		TAILQ_REMOVE(&t->pending, p, entry);
		frame_free(p->frame);
		free(p);
		i++;
	}
	t->npending = 0;
	log_debug("Committed %zu batches; acking %zu sessions.", i, nacks);
	for (i = 0; i < nacks; i++) {
		s = t->acks[i];
		s->to_ack = 0;
		session_ack(s);
		if (s->paused && s->pending_bytes < half)
			session_resume(s);
	}
	return 0;
}

static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;
	struct sessions *t = c->sessions;
	struct timeval retry = { COMMIT_RETRY_SEC, 0 };
	int rc;

	t->commit_armed = 0;
	if ((rc = commit_run(c)) == 0)
		return;
	/* Nothing is acked; backpressure holds the agents until the disk recovers. */
	c->counters.commit_failures++;
	log_warnx("Cannot store %zu pending batches (%s); keeping them and retrying in %d s.",
	    t->npending, vigil_strerror(rc), COMMIT_RETRY_SEC);
	t->commit_armed = 1;
	evtimer_add(t->commit_ev, &retry);
}

/* Armed once for all the batches that arrive in one turn of the loop. */
static void
commit_arm(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct timeval now = { 0, 0 };

	if (t->commit_armed)
		return;
	t->commit_armed = 1;
	evtimer_add(t->commit_ev, &now);
}

/* ---- the table's life ------------------------------------------------------------ */

int
session_init(struct collector *c)
{
	struct sessions *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return VIGIL_ERR_NOMEM;
	TAILQ_INIT(&t->all);
	TAILQ_INIT(&t->pending);
	t->commit_ev = evtimer_new(c->base, commit_cb, c);
	t->accept_ev = evtimer_new(c->base, accept_resume, c);
	if (t->commit_ev == NULL || t->accept_ev == NULL) {
		if (t->commit_ev != NULL)
			event_free(t->commit_ev);
		if (t->accept_ev != NULL)
			event_free(t->accept_ev);
		free(t);
		return VIGIL_ERR_NOMEM;
	}
	c->sessions = t;
	return 0;
}

size_t
session_agents_connected(const struct collector *c)
{
	return c->sessions != NULL ? c->sessions->nrunning : 0;
}

int
session_agent_connected(const struct collector *c, const char *agent, int64_t *seen_us)
{
	const struct session *s;

	if (c->sessions == NULL)
		return 0;
	TAILQ_FOREACH(s, &c->sessions->all, entry) {
		if (s->state == SS_RUNNING && strcmp(s->agent, agent) == 0) {
			if (seen_us != NULL)
				*seen_us = s->seen_us;
			return 1;
		}
	}
	return 0;
}

void
session_shutdown(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct session *s, *next;
	int rc;

	if (t == NULL)
		return;
	if (t->commit_armed) {
		evtimer_del(t->commit_ev);
		t->commit_armed = 0;
	}
	if ((rc = commit_run(c)) != 0) {
		c->counters.commit_failures++;
		log_warnx("Cannot store %zu pending batches at shutdown (%s); the agents will send "
		    "them again.", t->npending, vigil_strerror(rc));
	}
	TAILQ_FOREACH_SAFE(s, &t->all, entry, next)
		session_close_soon(s);
	if (t->n == 0)
		event_base_loopexit(c->base, NULL);
}

void
session_free_all(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct session *s;
	struct pending *p;

	if (t == NULL)
		return;
	c->stopping = 1;
	while ((s = TAILQ_FIRST(&t->all)) != NULL)
		session_free(s);
	while ((p = TAILQ_FIRST(&t->pending)) != NULL) {
		TAILQ_REMOVE(&t->pending, p, entry);
		frame_free(p->frame);
		free(p);
	}
	event_free(t->commit_ev);
	event_free(t->accept_ev);
	free(t->batches);
	free(t->acks);
	free(t);
	c->sessions = NULL;
}
