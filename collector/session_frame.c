/*
 * The messages of a session, once its TLS handshake is done: Hello (checked,
 * the older session of the same agent closed, Welcome with what is already
 * stored), event batches and heartbeats into the pending list, a goodbye
 * (off, not silent), and an agent's clock against ours. Each is one frame
 * already decoded and checked by wire.c; what is wrong in it closes only
 * this session.
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
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#include "collector.h"
#include "pki_rotate.h"
#include "reserve.h"
#include "session.h"
#include "session_int.h"

/* ---- frames -------------------------------------------------------------------- */

/*
 * A heartbeat tells the agent's clock (0: it did not say). 1 when the offset
 * from ours is new on this session or moved by more than a second: worth
 * storing at once rather than with the next last-seen item.
 */
static int
session_clock(struct session *s, int64_t agent_us)
{
	int64_t off, diff;
	int had = s->has_clock;

	if (agent_us <= 0)
		return 0;
	off = agent_us - s->pub.seen_us;
	diff = off - s->clock_offset_us;
	s->clock_offset_us = off;
	s->has_clock = 1;
	return !had || diff > 1000000 || diff < -1000000;
}

/* Takes f. Returns 0, or -1 when the session is gone or closing. */
static int
session_hello(struct session *s, Vigil__V1__Frame *f_hello)
{
	const Vigil__V1__Hello *h = f_hello->hello;
	struct collector *c = s->c;
	const struct collector_conf *cc = &c->conf.collector;
	struct timeval idle = { cc->idle_timeout / 1000, (cc->idle_timeout % 1000) * 1000 };
	size_t frame_max = (size_t)cc->max_frame;
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Welcome w;
	struct session *o, *next;
	uint64_t stored, spool_high;
	uint32_t h_minor;
	int64_t now = clock_now_us();
	char version[WIRE_MAX_VERSION * 4 + 1], host[WIRE_MAX_HOSTNAME * 4 + 1];

	if (h->proto_major != WIRE_PROTO_MAJOR) {
		session_protocol_error(s, VIGIL_ERR_VERSION, "protocol version %u.%u is not "
		    "supported; this collector speaks version %d", h->proto_major, h->proto_minor,
		    WIRE_PROTO_MAJOR);
		frame_free(f_hello);
		return -1;
	}
	/* One identity, two machines (a cloned disk, a copied key): the established one stays. */
	if (session_clone_check(s, h) != 0) {
		frame_free(f_hello);
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
	/* The unit stored is the certificate's, whatever the PC's configuration says. */
	session_hello_unit(s, f_hello->hello);
	text_escape(version, sizeof(version), h->agent_version, strlen(h->agent_version));
	text_escape(host, sizeof(host), h->hostname, strlen(h->hostname));
	spool_high = h->spool_high_seq;
	h_minor = h->proto_minor;
	/* The agent's row is written by the next commit, which then owns the frame. */
	if (pending_add(c, STORE_HELLO, s, f_hello, 0, now) != 0) {
		log_warnx("Out of memory; cannot record the Hello of agent %s; serving it anyway.",
		    s->agent);
		frame_free(f_hello);
	} else {
		s->seen_stored_us = now;
	}
	h = NULL;
	s->pub.seen_us = now;
	s->live_us = now;
	/*
	 * Only what is durable, read on the main connection (a WAL reader sees
	 * committed transactions only): a batch pending or being committed may
	 * yet fail.
	 */
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
	w.proto_minor = WIRE_PROTO_MINOR;    /* agents say goodbye only to us, not to older ones */
	w.time_us = now;                     /* agents renew by our clock, not theirs */
	/* A CA rotation: the bundle, and an old-CA certificate is renewed at once. */
	s->peer_minor = h_minor;
	if (pki_rotate_bundle(c) != NULL) {
		w.ca_bundle_pem = (char *)(uintptr_t)pki_rotate_bundle(c);
		w.renew_now = pki_rotate_welcome(c, s->agent, SSL_get0_peer_certificate(
		    bufferevent_openssl_get_ssl(s->bev)), h_minor >= WIRE_MINOR_CA_BUNDLE);
	}
	f.msg_case = VIGIL__V1__FRAME__MSG_WELCOME;
	f.welcome = &w;
	if (session_send(s, &f) != 0) {
		log_warnx("agent %s from %s: closing: cannot send Welcome", s->agent, s->addr);
		session_free(s);
		return -1;
	}
	session_set_state(s, SS_RUNNING);
	if (c->sessions->paused_all && s->reserved == 0)
		bufferevent_disable(s->bev, EV_READ);
	bufferevent_setwatermark(s->bev, EV_READ, 0, FRAME_HDR_LEN + frame_max);
	/* A peer that never reads our Acks is closed; reading is kept by the sweep. */
	bufferevent_set_timeouts(s->bev, NULL, &idle);
	log_info("Agent %s (version %s, host %s) says hello; its last stored seq is %llu, its "
	    "spool reaches %llu.", s->agent, version, host, (unsigned long long)stored,
	    (unsigned long long)spool_high);
	return 0;
}

/*
 * The memory a decoded batch holds, which the backpressure limits count:
 * protobuf-c allocates every event, field and string on its own, so this is
 * about three times the frame's bytes.
 */
static size_t
batch_cost(const Vigil__V1__EventBatch *b, size_t bytes)
{
	size_t cost = bytes + sizeof(*b) + b->n_events * (sizeof(Vigil__V1__Event) +
	    sizeof(void *) + 5 * MALLOC_OVERHEAD);

	for (size_t i = 0; i < b->n_events; i++)
		cost += b->events[i]->n_fields * (sizeof(Vigil__V1__Field) + sizeof(void *) +
		    3 * MALLOC_OVERHEAD);
	return cost;
}

/* Takes the frame. Returns 0 to keep reading, -1 when gone, closing or paused. */
static int
session_batch(struct session *s, Vigil__V1__Frame *f, size_t bytes)
{
	struct collector *c = s->c;
	struct sessions *t = c->sessions;
	const Vigil__V1__EventBatch *b = f->batch;
	uint64_t first = b->events[0]->seq, last = b->events[b->n_events - 1]->seq;
	size_t n_events = b->n_events, cost;

	if (first <= s->high_seq) {
		frame_free(f);
		session_protocol_error(s, VIGIL_ERR_ORDER, "a batch starts at seq %llu, not after "
		    "%llu", (unsigned long long)first, (unsigned long long)s->high_seq);
		return -1;
	}
	cost = batch_cost(b, bytes);
	if (pending_add(c, STORE_EVENTS, s, f, cost, s->pub.seen_us) != 0) {
		frame_free(f);
		log_warnx("agent %s from %s: closing: out of memory", s->agent, s->addr);
		session_free(s);
		return -1;
	}
	s->high_seq = last;
	s->pending_bytes += cost;
	c->counters.batches_received++;
	c->counters.events_received += n_events;
	if (s->pending_bytes > (size_t)c->conf.collector.max_pending)
		session_pause(s);
	if (t->total_bytes > (size_t)c->conf.collector.max_pending_total)
		pause_all(c);
	return session_may_read(s) ? 0 : -1;
}

/* ---- posture and compliance ---- */

/*
 * A heartbeat with a posture rides along with the next commit, which also
 * moves last_seen. At most one such item per session waits in the pending
 * list: a newer heartbeat replaces the frame of one not yet handed to the
 * writer, so an agent that sends heartbeats fast cannot grow the list.
 * Returns 0 to keep reading, -1 when paused. Takes f.
 */
static int
session_posture(struct session *s, Vigil__V1__Frame *f, size_t bytes)
{
	struct collector *c = s->c;
	struct sessions *t = c->sessions;
	struct pending *p = s->posture;
	size_t cost = bytes + sizeof(*p) + sizeof(*f) + sizeof(Vigil__V1__Heartbeat) +
	    sizeof(Vigil__V1__Posture) + 6 * MALLOC_OVERHEAD;

	if (p != NULL) {
		Vigil__V1__Heartbeat *was = p->frame->heartbeat, *now = f->heartbeat;

		/* The network report goes every few minutes: a newer heartbeat without one keeps it. */
		if (now->network == NULL && was->network != NULL) {
			now->network = was->network;
			was->network = NULL;
			/* Its unpacked size, roughly: packed bytes and a struct per entry. */
			cost += vigil__v1__network_report__get_packed_size(now->network) +
			    now->network->n_neighbours * (sizeof(Vigil__V1__Neighbour) + 4 *
			    MALLOC_OVERHEAD);
		}
		t->total_bytes -= p->bytes;
		frame_free(p->frame);
		p->frame = f;
		p->bytes = cost;
		p->recv_us = s->pub.seen_us;
		t->total_bytes += cost;
	} else if (pending_add(c, STORE_POSTURE, s, f, cost, s->pub.seen_us) == 0) {
		s->posture = TAILQ_LAST(&t->pending, pending_list);
	} else {
		frame_free(f);
		log_warnx("Out of memory; cannot store the posture of agent %s.", s->agent);
		return 0;
	}
	s->seen_stored_us = s->pub.seen_us;
	if (t->total_bytes > (size_t)c->conf.collector.max_pending_total)
		pause_all(c);
	return session_may_read(s) ? 0 : -1;
}

/* ---- goodbye: off, not silent ---- */

/*
 * The agent goes away on purpose (stopped, shutting down, suspending): the
 * next commit records the machine as off, and we close the session, which
 * tells the agent that its goodbye was heard. Takes f; returns -1 (closing).
 */
static int
session_goodbye(struct session *s, Vigil__V1__Frame *f)
{
	char detail[WIRE_MAX_GOODBYE_DETAIL * 4 + 1];
	const Vigil__V1__Goodbye *g = f->goodbye;

	text_escape(detail, sizeof(detail), g->detail, strlen(g->detail));
	log_info("Agent %s from %s says goodbye: %s%s%s%s; it is off, not silent.", s->agent,
	    s->addr, goodbye_reason_name((int)g->reason), detail[0] != '\0' ? " (" : "", detail,
	    detail[0] != '\0' ? ")" : "");
	s->c->counters.goodbyes++;
	if (pending_add(s->c, STORE_GOODBYE, s, f, 0, s->pub.seen_us) != 0) {
		log_warnx("Out of memory; the goodbye of agent %s is lost: it will look silent.",
		    s->agent);
		frame_free(f);
	}
	session_close_soon(s);
	return -1;
}

/* Returns 0 to keep reading, -1 when the session is gone or closing. Takes f. */
int
session_frame(struct session *s, Vigil__V1__Frame *f, size_t bytes)
{
	char reason[WIRE_MAX_REASON * 4 + 1];
	int kind, clock_moved, rc;

	s->pub.seen_us = clock_now_us();
	switch (f->msg_case) {
	case VIGIL__V1__FRAME__MSG_HELLO:
		if (s->state != SS_HELLO) {
			frame_free(f);
			session_protocol_error(s, VIGIL_ERR_PROTO, "a second Hello");
			return -1;
		}
		return session_hello(s, f);
	case VIGIL__V1__FRAME__MSG_BATCH:
		if (s->state != SS_RUNNING) {
			frame_free(f);
			session_protocol_error(s, VIGIL_ERR_PROTO, "an EventBatch before Hello");
			return -1;
		}
		return session_batch(s, f, bytes);
	case VIGIL__V1__FRAME__MSG_HEARTBEAT:
		clock_moved = session_clock(s, f->heartbeat->time_us);
		if (s->state == SS_RUNNING &&
		    (f->heartbeat->posture != NULL || f->heartbeat->network != NULL))
			return session_posture(s, f, bytes);
		frame_free(f);
		if (s->state != SS_RUNNING) {
			session_protocol_error(s, VIGIL_ERR_PROTO, "a Heartbeat before Hello");
			return -1;
		}
		/* In memory at once; in the store at most once a minute per agent. */
		if (s->pub.seen_us - s->seen_stored_us >= COLLECTOR_SEEN_INTERVAL_US || clock_moved)
			session_write_seen(s);
		return 0;
	case VIGIL__V1__FRAME__MSG_GOODBYE:
		if (s->state != SS_RUNNING) {
			frame_free(f);
			session_protocol_error(s, VIGIL_ERR_PROTO, "a Goodbye before Hello");
			return -1;
		}
		return session_goodbye(s, f);
	case VIGIL__V1__FRAME__MSG_RENEW_REQUEST:
		if (s->state != SS_RUNNING) {
			frame_free(f);
			session_protocol_error(s, VIGIL_ERR_PROTO, "a RenewRequest before Hello");
			return -1;
		}
		rc = session_renew(s, f->renew_request->csr_pem);
		frame_free(f);
		return rc;
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
