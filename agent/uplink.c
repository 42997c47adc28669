/*
 * The agent's connection to the collector (DESIGN §2.4, §3).
 *
 *   connect (TCP, TLS, name check) -> Hello -> Welcome{stored_seq}
 *   -> EventBatch ... <- Ack{up_to_seq}, Heartbeat every heartbeat_sec
 *
 * Events leave the spool only when the collector acknowledges them, so a
 * connection lost at any instant costs a resend, never an event. The
 * collector's stored_seq tells us where to resume after a reconnect.
 *
 * Reconnecting: when a collector restarts, every agent loses its connection
 * in the same instant. Were they all to come back at once, thousands of TLS
 * handshakes would pile up on it and time out (issue 9: 26.7 % of 10,000).
 * So the first attempt after a loss already waits a random time up to
 * reconnect_spread; later failures back off exponentially with jitter.
 *
 * Going away on purpose (stopped, shutdown, sleep): Goodbye{reason}, then the
 * collector closes the connection, which says it read it; then the uplink is
 * parked, with no reconnect, until uplink_resume(). Only a collector whose
 * Welcome says proto_minor >= 1 is told: an older one would take the frame for
 * a bad one, and would show the machine as silent anyway.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "vigil/i18n.h"
#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "vigil/clock.h"
#include "agent.h"
#include "neigh.h"
#include "platform.h"
#include "sensor.h"
#include "spool.h"
#include "tlsclock.h"
#include "uplink.h"

#define HEARTBEAT_DEFAULT_SEC 30

enum uplink_state {
	UPLINK_IDLE,         /* no connection; maybe a retry is scheduled */
	UPLINK_CONNECTING,   /* TCP and TLS under way */
	UPLINK_HELLO_SENT,   /* waiting for Welcome */
	UPLINK_READY,        /* sending batches */
	UPLINK_BYE,          /* Goodbye sent; waiting for the collector to close */
	UPLINK_PARKED,       /* gone on purpose: no reconnect until uplink_resume() */
};

struct uplink {
	struct event_base *base;
	SSL_CTX *ctx;
	struct spool *spool;
	struct uplink_opts o;
	char *address;
	char *server_name;
	char *unit;
	char machine_id[WIRE_MAX_MACHINE_ID + 1];
	char hostname[WIRE_MAX_HOSTNAME + 1];
	char os[WIRE_MAX_OS + 1];
	int ip_literal;
	struct evdns_base *dns;

	struct bufferevent *bev;
	enum uplink_state state;
	struct event *retry_ev;
	struct event *timeout_ev;
	struct event *heartbeat_ev;
	struct event *posture_ev;  /* a heartbeat at once: the posture changed */
	struct uplink_retry retry; /* from o: reconnect_min, _max, _spread */
	struct event *bye_ev;      /* the goodbye's deadline, or its end from the loop */
	uplink_bye_fn bye_done;    /* called once when the goodbye is over */
	void *bye_arg;
	int bye_heard;             /* the collector closed after the goodbye */
	uint32_t peer_minor;       /* the collector's protocol minor (Welcome) */
	unsigned attempt;          /* failures since the last Welcome */
	int quiet;                 /* the first failure of a series is logged, the rest at debug */

	size_t batch_max;          /* after Welcome's limits */
	size_t frame_max_out;
	uint64_t sent;             /* highest seq sent on this connection */
	uint64_t inflight[UPLINK_MAX_WINDOW];   /* last seq of each unacknowledged batch */
	size_t infirst, ninflight;
	struct tlsclock clock;     /* the collector's time, for its certificate's dates */
	int64_t network_sent_us;   /* our clock; 0: not yet on this session */
};

static void uplink_connect(struct uplink *u);
static void uplink_fill(struct uplink *u);
static void bye_finish(struct uplink *u, int heard);

uint64_t
uplink_backoff_ms(unsigned attempt, uint64_t min_ms, uint64_t max_ms, uint32_t rnd)
{
	uint64_t delay, lo;

	if (min_ms > max_ms)
		min_ms = max_ms;
	/* min_ms <= max_ms >> attempt means min_ms << attempt cannot pass max_ms. */
	if (attempt >= 64 || min_ms > (max_ms >> attempt))
		delay = max_ms;
	else
		delay = min_ms << attempt;
	lo = delay / 2;
	return lo + (uint64_t)rnd % (delay - lo + 1);
}

uint64_t
uplink_retry_ms(const struct uplink_retry *p, int lost, unsigned attempt, uint32_t rnd)
{
	uint64_t spread = p->spread_ms < UINT32_MAX ? p->spread_ms : UINT32_MAX;

	/* Uniform from 0: a loss shared by all agents says nothing about who should go first. */
	if (lost)
		return (uint64_t)rnd % (spread + 1);
	return uplink_backoff_ms(attempt, p->min_ms, p->max_ms, rnd);
}

static struct timeval
ms_tv(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (long)(ms % 1000) * 1000;
	return tv;
}

static const char *
peer_name(const struct uplink *u)
{
	return u->server_name != NULL ? u->server_name : u->address;
}

/* Drop the connection and everything that belongs to it. */
static void
uplink_close(struct uplink *u)
{
	if (u->bev != NULL) {
		bufferevent_free(u->bev);
		u->bev = NULL;
	}
	if (u->timeout_ev != NULL)
		evtimer_del(u->timeout_ev);
	if (u->heartbeat_ev != NULL)
		evtimer_del(u->heartbeat_ev);
	if (u->posture_ev != NULL)
		event_del(u->posture_ev);
	u->state = UPLINK_IDLE;
	u->ninflight = 0;
	u->infirst = 0;
}

/* The connection failed or was lost: say why, close it, retry after a backoff. */
static void VIGIL_PRINTF(2, 3)
uplink_fail(struct uplink *u, const char *fmt, ...)
{
	char why[512];
	struct timeval tv;
	uint64_t delay;
	uint32_t rnd;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);

	if (u->state == UPLINK_BYE) {
		log_debug("After the goodbye: %s.", why);
		bye_finish(u, 0);
		return;
	}
	/* libevent's generator: arc4random(3) is not every platform's. */
	evutil_secure_rng_get_bytes(&rnd, sizeof(rnd));
	delay = uplink_retry_ms(&u->retry, u->state == UPLINK_READY, u->attempt, rnd);
	if (u->state == UPLINK_READY) {
		/* The wording is matched by the agent.collector_lost rule: keep it. */
		log_warnx("The connection to the collector at %s:%d was lost: %s.", u->address,
		    u->o.port, why);
		log_debug("Reconnecting in %llu ms (spread over reconnect_spread).",
		    (unsigned long long)delay);
		u->quiet = 0;
	} else {
		if (!u->quiet) {
			log_warnx("Cannot connect to the collector at %s:%d: %s; events stay in "
			    "the spool and the agent keeps retrying.", u->address, u->o.port, why);
			u->quiet = 1;
		} else {
			log_debug("Connecting to the collector at %s:%d failed again: %s.",
			    u->address, u->o.port, why);
		}
		log_debug("Reconnecting in %llu ms (attempt %u).", (unsigned long long)delay,
		    u->attempt + 1);
		/* A lost connection is no failed attempt: the backoff starts after it. */
		if (u->attempt < 64)
			u->attempt++;
	}
	uplink_close(u);
	if (u->o.link_changed != NULL)
		u->o.link_changed(u->o.arg);
	tv = ms_tv(delay);
	evtimer_add(u->retry_ev, &tv);
}

static int
uplink_send(struct uplink *u, const Vigil__V1__Frame *f)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = frame_encode(f, u->frame_max_out, &buf, &len)) != 0)
		return rc;
	rc = bufferevent_write(u->bev, buf, len) == 0 ? 0 : VIGIL_ERR_NOMEM;
	free(buf);
	return rc;
}

static void
uplink_hello(struct uplink *u)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Hello h;
	int rc;

	/* The *__INIT macros of messages with strings cast away const. */
	vigil__v1__hello__init(&h);

	h.proto_major = WIRE_PROTO_MAJOR;
	h.proto_minor = WIRE_PROTO_MINOR;
	h.agent_version = (char *)(uintptr_t)AGENT_VERSION;
	h.hostname = u->hostname;
	h.os = u->os;
	h.unit = u->unit;
	h.machine_id = u->machine_id;
	h.spool_high_seq = spool_high_seq(u->spool);
	f.msg_case = VIGIL__V1__FRAME__MSG_HELLO;
	f.hello = &h;
	if ((rc = uplink_send(u, &f)) != 0) {
		uplink_fail(u, "the hello message cannot be sent (%s)", vigil_strerror(rc));
		return;
	}
	u->state = UPLINK_HELLO_SENT;
	log_debug("Connected to %s:%d with TLS; sent hello with spool high seq %llu.",
	    u->address, u->o.port, (unsigned long long)h.spool_high_seq);
}

/*
 * The network report, when it is due: hb->network points into the arrays
 * allocated here (freed with network_free()). NULL arrays: nothing to send.
 */
struct network_wire {
	Vigil__V1__NetworkReport r;
	Vigil__V1__Neighbour *e;
	Vigil__V1__Neighbour **ep;
	char **own;
};

static void
network_free(struct network_wire *nw)
{
	free(nw->e);
	free(nw->ep);
	free(nw->own);
}

static int
network_due(struct uplink *u, int64_t now_us)
{
	if (u->o.network == NULL)
		return 0;
	if (u->network_sent_us == 0 || now_us < u->network_sent_us)
		return 1;
	return (uint64_t)(now_us - u->network_sent_us) >= u->o.network_interval_ms * 1000;
}

static Vigil__V1__NetworkReport *
network_wire(struct uplink *u, struct network_wire *nw, int64_t now_us)
{
	const struct neigh_list *l;
	size_t i;

	memset(nw, 0, sizeof(*nw));
	if (!network_due(u, now_us) || (l = u->o.network(u->o.arg)) == NULL)
		return NULL;
	vigil__v1__network_report__init(&nw->r);
	if ((nw->e = calloc(l->n + 1, sizeof(*nw->e))) == NULL ||
	    (nw->ep = calloc(l->n + 1, sizeof(*nw->ep))) == NULL ||
	    (nw->own = calloc(l->nown + 1, sizeof(*nw->own))) == NULL) {
		network_free(nw);
		return NULL;
	}
	for (i = 0; i < l->n; i++) {
		vigil__v1__neighbour__init(&nw->e[i]);
		/* protobuf-c's fields are not const; packing only reads them. */
		nw->e[i].mac = (char *)(uintptr_t)l->e[i].mac;
		nw->e[i].ip = (char *)(uintptr_t)l->e[i].ip;
		nw->e[i].ifname = (char *)(uintptr_t)l->e[i].ifname;
		nw->ep[i] = &nw->e[i];
	}
	for (i = 0; i < l->nown; i++)
		nw->own[i] = (char *)(uintptr_t)l->own[i];
	nw->r.n_neighbours = l->n;
	nw->r.neighbours = l->n > 0 ? nw->ep : NULL;
	nw->r.n_own_macs = l->nown;
	nw->r.own_macs = l->nown > 0 ? nw->own : NULL;
	nw->r.neighbours_read = l->read != 0;
	u->network_sent_us = now_us != 0 ? now_us : 1;
	return &nw->r;
}

static void
heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink *u = arg;
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;
	Vigil__V1__Posture pos;
	char sigs[40] = "unknown";
	struct sensor_report rep;
	struct network_wire nw;
	Vigil__V1__SensorDown down[SENSOR_MAX_UNAVAILABLE], *downp[SENSOR_MAX_UNAVAILABLE];
	Vigil__V1__SensorCounter ctr[SENSOR_MAX_COUNTERS], *ctrp[SENSOR_MAX_COUNTERS];
	size_t i;
	int rc;

	if (u->state != UPLINK_READY)
		return;
	hb.time_us = clock_now_us();
	/* First: reading the network may mark it unavailable in this very report. */
	hb.network = network_wire(u, &nw, hb.time_us);
	hb.spool_depth = spool_depth(u->spool);
	hb.dropped = spool_dropped(u->spool);
	hb.lines_truncated = u->o.lines_truncated != NULL ? u->o.lines_truncated(u->o.arg) : 0;
	hb.events_rejected = u->o.events_rejected != NULL ? u->o.events_rejected(u->o.arg) : 0;
	hb.rule_evictions = u->o.rule_evictions != NULL ? u->o.rule_evictions(u->o.arg) : 0;
	hb.uevents_spoofed = u->o.uevents_spoofed != NULL ? u->o.uevents_spoofed(u->o.arg) : 0;
	hb.uevents_lost = u->o.uevents_lost != NULL ? u->o.uevents_lost(u->o.arg) : 0;
	memset(&rep, 0, sizeof(rep));
	if (u->o.sensor_report != NULL)
		u->o.sensor_report(u->o.arg, &rep);
	/* The spool's own: rows that could not go (the collector would refuse them). */
	if (spool_skipped(u->spool) > 0)
		sensor_report_counter(&rep, "spool.rows_skipped", spool_skipped(u->spool));
	if (u->clock.tolerated > 0)
		sensor_report_counter(&rep, "tls.time_tolerated", u->clock.tolerated);
	_Static_assert(SENSOR_MAX_UNAVAILABLE <= WIRE_MAX_SENSORS_DOWN, "fits the wire");
	_Static_assert(SENSOR_MAX_COUNTERS <= WIRE_MAX_SENSOR_COUNTERS, "fits the wire");
	_Static_assert(SENSOR_MAX_NAME - 1 <= WIRE_MAX_COUNTER_NAME, "fits the wire");
	_Static_assert(SENSOR_MAX_REASON - 1 <= WIRE_MAX_SENSOR_REASON, "fits the wire");
	for (i = 0; i < rep.nunavailable; i++) {
		vigil__v1__sensor_down__init(&down[i]);
		down[i].sensor = rep.unavailable[i].sensor;
		down[i].reason = rep.unavailable[i].reason;
		downp[i] = &down[i];
	}
	for (i = 0; i < rep.ncounters; i++) {
		vigil__v1__sensor_counter__init(&ctr[i]);
		ctr[i].name = rep.counters[i].name;
		ctr[i].value = rep.counters[i].value;
		ctrp[i] = &ctr[i];
	}
	hb.n_sensors_unavailable = rep.nunavailable;
	hb.sensors_unavailable = rep.nunavailable > 0 ? downp : NULL;
	hb.n_sensor_counters = rep.ncounters;
	hb.sensor_counters = rep.ncounters > 0 ? ctrp : NULL;
	/* Absent until a sensor has reported: "no data" is not "all unknown". */
	if (u->o.posture != NULL && posture_to_wire(posture_get(u->o.posture), &pos) == 1)
		hb.posture = &pos;
	f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
	f.heartbeat = &hb;
	rc = uplink_send(u, &f);
	if (hb.network != NULL)
		log_debug("Sent the network report: %zu own MACs, %zu neighbours.",
		    hb.network->n_own_macs, hb.network->n_neighbours);
	network_free(&nw);
	if (rc != 0) {
		uplink_fail(u, "a heartbeat cannot be sent (%s)", vigil_strerror(rc));
		return;
	}
	log_debug("Sent a heartbeat: spool depth %llu, dropped %llu, lines truncated %llu, "
	    "events rejected %llu, rule evictions %llu.", (unsigned long long)hb.spool_depth,
	    (unsigned long long)hb.dropped, (unsigned long long)hb.lines_truncated,
	    (unsigned long long)hb.events_rejected, (unsigned long long)hb.rule_evictions);
	if (hb.posture != NULL) {
		if (pos.av_signatures_us > 0)
			text_time_rfc3339(sigs, sizeof(sigs), pos.av_signatures_us);
		log_debug("Posture sent: antivirus \"%s\" running %s realtime %s version \"%s\" "
		    "signatures %s; updates pending %d, security %d since %lld; last update %lld, "
		    "last upgrade %lld; reboot required %s; os \"%s\"; usb blocked %u; "
		    "audit policy \"%s\".",
		    pos.av_product, tristate_name(pos.av_running),
		    tristate_name(pos.av_realtime), pos.av_version,
		    sigs, (int)pos.updates_pending, (int)pos.security_updates_pending,
		    (long long)pos.security_pending_since_us, (long long)pos.last_update_us,
		    (long long)pos.last_upgrade_us, tristate_name(pos.reboot_required), pos.os,
		    (unsigned)pos.usb_policy_blocked, pos.audit_policy);
	}
}

void
uplink_posture_changed(void *arg)
{
	struct uplink *u = arg;

	if (u != NULL && u->state == UPLINK_READY)
		event_active(u->posture_ev, EV_TIMEOUT, 0);
}

/* The offset learnt at the last Welcome, kept with the spool across restarts. */
static void
clock_load(struct uplink *u)
{
	char v[32];
	long long us;
	int neg;

	/* The offset may be negative: a PC ahead of the collector. */
	if (spool_cursor_get(u->spool, TLSCLOCK_SPOOL_KEY, v, sizeof(v)) == 0 &&
	    text_parse_ll(v + (neg = v[0] == '-'), 0, 200LL * 365 * 86400 * 1000000, &us) == 0) {
		u->clock.offset_us = neg ? -us : us;
		u->clock.known = 1;
	}
}

/*
 * The Welcome brought the collector's time: its chain must be valid then
 * (tlsclock.h), before any event goes out. 0, or -1 with the session closed.
 */
static int
clock_welcome(struct uplink *u, int64_t collector_us)
{
	char why[512], v[32];
	SSL *ssl = bufferevent_openssl_get_ssl(u->bev);

	if (collector_us <= 0)
		return 0;
	if (tlsclock_check_chain(ssl != NULL ? SSL_get_peer_cert_chain(ssl) : NULL,
	    collector_us / 1000000, why, sizeof(why)) != 0) {
		uplink_fail(u, "%s", why);
		return -1;
	}
	tlsclock_learn(&u->clock, collector_us);
	snprintf(v, sizeof(v), "%lld", (long long)u->clock.offset_us);
	if (spool_cursor_set(u->spool, TLSCLOCK_SPOOL_KEY, v) != 0)
		log_debug("The collector's clock offset cannot be kept in the spool.");
	return 0;
}

static int
uplink_welcome(struct uplink *u, const Vigil__V1__Welcome *w)
{
	uint64_t high, moved;
	unsigned hb_sec;
	struct timeval tv;
	int rc;

	evtimer_del(u->timeout_ev);
	if (clock_welcome(u, w->time_us) != 0)
		return -1;
	if ((rc = spool_anchor(u->spool, w->stored_seq, &moved)) != 0) {
		uplink_fail(u, "the spool cannot number its events after the collector's (%s)",
		    vigil_strerror(rc));
		return -1;
	}
	if (moved > 0)
		log_warnx(_("This spool is new and the collector already has events up to %llu from "
		    "this agent: the %llu events waiting are numbered after them."),
		    (unsigned long long)w->stored_seq, (unsigned long long)moved);
	high = spool_high_seq(u->spool);
	if ((rc = spool_ack(u->spool, w->stored_seq)) != 0) {
		uplink_fail(u, "the spool cannot drop the events the collector already has (%s)",
		    vigil_strerror(rc));
		return -1;
	}
	if (w->stored_seq > high) {
		/* The collector knows more than our spool: never reuse a number it has. */
		log_warnx("The collector has stored events up to %llu but this spool only "
		    "reached %llu; numbering continues after %llu.",
		    (unsigned long long)w->stored_seq, (unsigned long long)high,
		    (unsigned long long)w->stored_seq);
		if ((rc = spool_advance_seq(u->spool, w->stored_seq)) != 0) {
			uplink_fail(u, "the spool cannot advance its sequence (%s)",
			    vigil_strerror(rc));
			return -1;
		}
	}
	u->sent = w->stored_seq;
	u->peer_minor = w->proto_minor;
	u->batch_max = u->o.batch_max;
	if (w->max_batch != 0 && w->max_batch < u->batch_max)
		u->batch_max = w->max_batch;
	if (u->batch_max > WIRE_MAX_BATCH)
		u->batch_max = WIRE_MAX_BATCH;
	u->frame_max_out = u->o.max_frame;
	if (w->max_frame != 0 && w->max_frame < u->frame_max_out)
		u->frame_max_out = w->max_frame;
	hb_sec = w->heartbeat_sec != 0 ? w->heartbeat_sec : HEARTBEAT_DEFAULT_SEC;
	if (hb_sec > 86400)
		hb_sec = 86400;

	u->attempt = 0;
	u->quiet = 0;
	u->network_sent_us = 0;
	u->state = UPLINK_READY;
	log_info(_("Connected to the collector at %s:%d (version %s); it has stored events up "
	    "to %llu, %llu wait in the spool."), u->address, u->o.port, w->collector_version,
	    (unsigned long long)w->stored_seq, (unsigned long long)spool_depth(u->spool));
	tv.tv_sec = hb_sec;
	tv.tv_usec = 0;
	evtimer_add(u->heartbeat_ev, &tv);
	/* The collector learns the posture now, not one interval later. */
	event_active(u->posture_ev, EV_TIMEOUT, 0);
	if (u->o.link_changed != NULL)
		u->o.link_changed(u->o.arg);
	/* The bundle first: a renewal asked at the Welcome is then checked against it. */
	if (u->o.ca_bundle != NULL && w->ca_bundle_pem[0] != '\0')
		u->o.ca_bundle(u->o.arg, w->ca_bundle_pem);
	if (u->o.welcomed != NULL)
		u->o.welcomed(u->o.arg, w->time_us, w->renew_now);
	uplink_fill(u);
	return u->bev != NULL ? 0 : -1;
}

int
uplink_send_frame(struct uplink *u, const Vigil__V1__Frame *f)
{
	if (u == NULL || u->state != UPLINK_READY || u->bev == NULL)
		return -1;
	return uplink_send(u, f);
}

void
uplink_set_ctx(struct uplink *u, SSL_CTX *ctx)
{
	/* Borrowed, as at uplink_new(); a connection open now keeps its own reference. */
	u->ctx = ctx;
}

static int
uplink_ack(struct uplink *u, uint64_t up_to)
{
	int rc;

	if (up_to > u->sent) {
		uplink_fail(u, "the collector acknowledged seq %llu, beyond the %llu sent",
		    (unsigned long long)up_to, (unsigned long long)u->sent);
		return -1;
	}
	/* A failed delete costs a resend later, which the collector ignores. */
	if ((rc = spool_ack(u->spool, up_to)) != 0)
		log_warnx(_("The spool cannot drop the events acknowledged up to %llu: %s."),
		    (unsigned long long)up_to, vigil_strerror(rc));
	while (u->ninflight > 0 && u->inflight[u->infirst] <= up_to) {
		u->infirst = (u->infirst + 1) % UPLINK_MAX_WINDOW;
		u->ninflight--;
	}
	log_debug("The collector acknowledged events up to %llu; %zu batches in flight.",
	    (unsigned long long)up_to, u->ninflight);
	uplink_fill(u);
	return u->bev != NULL ? 0 : -1;
}

/* Handle one frame; returns -1 when the connection was closed. */
static int
uplink_frame(struct uplink *u, const Vigil__V1__Frame *f)
{
	switch (f->msg_case) {
	case VIGIL__V1__FRAME__MSG_WELCOME:
		if (u->state != UPLINK_HELLO_SENT)
			break;
		return uplink_welcome(u, f->welcome);
	case VIGIL__V1__FRAME__MSG_ACK:
		/* After the goodbye an ack still lets the spool drop what is stored. */
		if (u->state != UPLINK_READY && u->state != UPLINK_BYE)
			break;
		return uplink_ack(u, f->ack->up_to_seq);
	case VIGIL__V1__FRAME__MSG_ERROR:
		uplink_fail(u, "the collector sent an error: %s (code %u)", f->error->reason,
		    f->error->code);
		return -1;
	case VIGIL__V1__FRAME__MSG_HEARTBEAT:
		return 0;
	case VIGIL__V1__FRAME__MSG_CA_BUNDLE:
		if (u->state != UPLINK_READY)
			break;
		if (u->o.ca_bundle != NULL)
			u->o.ca_bundle(u->o.arg, f->ca_bundle->ca_bundle_pem);
		return 0;
	case VIGIL__V1__FRAME__MSG_RENEW_RESULT:
		if (u->state != UPLINK_READY)
			break;
		if (u->o.renew_result != NULL)
			u->o.renew_result(u->o.arg, f->renew_result);
		return 0;
	default:
		break;
	}
	uplink_fail(u, "the collector sent an unexpected message (kind %d)", (int)f->msg_case);
	return -1;
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct uplink *u = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	Vigil__V1__Frame *f;
	uint8_t hdr[FRAME_HDR_LEN], *p;
	size_t len;
	int rc;

	while (u->bev != NULL && evbuffer_get_length(in) >= FRAME_HDR_LEN) {
		evbuffer_copyout(in, hdr, FRAME_HDR_LEN);
		if ((rc = frame_header(hdr, u->o.max_frame, &len)) != 0) {
			uplink_fail(u, "the collector sent a bad frame length (%s)",
			    vigil_strerror(rc));
			return;
		}
		if (evbuffer_get_length(in) < FRAME_HDR_LEN + len)
			return;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)(FRAME_HDR_LEN + len))) == NULL) {
			uplink_fail(u, "out of memory for a frame of %zu bytes", len);
			return;
		}
		rc = frame_decode(p + FRAME_HDR_LEN, len, &f);
		evbuffer_drain(in, FRAME_HDR_LEN + len);
		if (rc != 0) {
			uplink_fail(u, "the collector sent a bad frame (%s)", vigil_strerror(rc));
			return;
		}
		rc = uplink_frame(u, f);
		frame_free(f);
		if (rc != 0)
			return;
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct uplink *u = arg;
	char why[384] = "", tls[256];
	unsigned long e;
	int err = EVUTIL_SOCKET_ERROR();
	long vr;

	if (what & BEV_EVENT_CONNECTED) {
		platform_keepalive(bufferevent_getfd(bev));
		uplink_hello(u);
		return;
	}
	/*
	 * The collector closes the connection once it has read our goodbye, with
	 * or without a TLS close: either is the answer. A reset or a TLS failure
	 * is not.
	 */
	if (u->state == UPLINK_BYE) {
		int heard = (what & BEV_EVENT_EOF) != 0;

		while ((e = bufferevent_get_openssl_error(bev)) != 0)
			if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
				heard = 1;
		bye_finish(u, heard);
		return;
	}
	/* Name resolution and TCP were tcp_event_cb()'s: here TLS or the connection broke. */
	if ((e = bufferevent_get_openssl_error(bev)) != 0 && ERR_GET_LIB(e) == 0) {
		/* libevent's stand-in for SSL_ERROR_SYSCALL: the socket failed. */
		while (bufferevent_get_openssl_error(bev) != 0)
			;
		snprintf(why, sizeof(why), "%s", platform_socket_error(bufferevent_getfd(bev), err));
	} else if (e != 0 && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		while (bufferevent_get_openssl_error(bev) != 0)
			;
		snprintf(why, sizeof(why), _("the collector closed the connection without a TLS "
		    "close (it may have crashed)"));
	} else if (e != 0) {
		int expired = ERR_GET_REASON(e) == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED;

		if (u->o.tls_failed != NULL)
			u->o.tls_failed(u->o.arg, expired, u->clock.known ?
			    (clock_now_us() + u->clock.offset_us) / 1000000 : 0);
		ERR_error_string_n(e, tls, sizeof(tls));
		vr = SSL_get_verify_result(bufferevent_openssl_get_ssl(bev));
		if (vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
		    vr == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
			/* The collector's CA was replaced while this PC was away (issue 15). */
			snprintf(why, sizeof(why), _("the collector's certificate is from a CA this "
			    "PC does not trust: if the collector's CA was replaced while this PC was "
			    "off, enrol it again with a new token (%s)"),
			    X509_verify_cert_error_string(vr));
		/* A date let through (tlsclock.h) is not why it failed. */
		else if (vr != X509_V_OK && !tlsclock_time_error((int)vr))
			snprintf(why, sizeof(why), _("TLS failed: %s (%s)"), tls,
			    X509_verify_cert_error_string(vr));
		else
			snprintf(why, sizeof(why), _("TLS failed: %s"), tls);
		while (bufferevent_get_openssl_error(bev) != 0)
			;
	} else if (what & BEV_EVENT_EOF) {
		snprintf(why, sizeof(why), _("the collector closed the connection"));
	} else {
		snprintf(why, sizeof(why), "%s", platform_socket_error(bufferevent_getfd(bev), err));
	}
	uplink_fail(u, "%s", why);
}

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink *u = arg;

	uplink_fail(u, "%s within %llu ms",
	    u->state == UPLINK_HELLO_SENT ? "no welcome came" : "TCP and TLS did not complete",
	    (unsigned long long)u->o.connect_timeout_ms);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	uplink_connect(arg);
}

/*
 * TLS on a connected socket. The session is made only now: a collector that
 * is down costs a refused connect, not a TLS session made and thrown away on
 * every retry (which maps back megabytes of libcrypto into an idle agent).
 */
static void
uplink_tls(struct uplink *u, evutil_socket_t fd)
{
	SSL *ssl;
	int ok;

	if ((ssl = SSL_new(u->ctx)) == NULL) {
		evutil_closesocket(fd);
		uplink_fail(u, "no TLS session (out of memory)");
		return;
	}
	tlsclock_prepare(ssl, &u->clock);
	/* Check the collector's certificate for the name we expect, not just the CA. */
	if (u->ip_literal)
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), peer_name(u)) == 1;
	else
		ok = SSL_set1_host(ssl, peer_name(u)) == 1 &&
		    SSL_set_tlsext_host_name(ssl, peer_name(u)) == 1;
	if (!ok) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		uplink_fail(u, "the collector's name %s cannot be checked", peer_name(u));
		return;
	}
	u->bev = bufferevent_openssl_socket_new(u->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (u->bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		uplink_fail(u, "no connection object (out of memory)");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(u->bev, 1);
	bufferevent_setcb(u->bev, read_cb, NULL, event_cb, u);
	bufferevent_enable(u->bev, EV_READ | EV_WRITE);
}

/* The TCP connection: on success its socket moves to a TLS bufferevent. */
static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct uplink *u = arg;
	evutil_socket_t fd;
	int dnserr, err = EVUTIL_SOCKET_ERROR();

	if (!(what & BEV_EVENT_CONNECTED)) {
		if ((dnserr = bufferevent_socket_get_dns_error(bev)) != 0)
			uplink_fail(u, "cannot resolve %s (%s)", u->address,
			    evutil_gai_strerror(dnserr));
		else
			uplink_fail(u, "%s", platform_socket_error(bufferevent_getfd(bev), err));
		return;
	}
	fd = bufferevent_getfd(bev);
	/* Let go of the socket first: freeing the plain bufferevent must not close it. */
	bufferevent_setfd(bev, -1);
	bufferevent_free(bev);
	u->bev = NULL;
	uplink_tls(u, fd);
}

static void
uplink_connect(struct uplink *u)
{
	struct timeval tv;

	if (u->bev != NULL)
		return;
	u->bev = bufferevent_socket_new(u->base, -1, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (u->bev == NULL) {
		uplink_fail(u, "no connection object (out of memory)");
		return;
	}
	bufferevent_setcb(u->bev, NULL, NULL, tcp_event_cb, u);
	u->state = UPLINK_CONNECTING;
	u->sent = 0;
	u->ninflight = 0;
	u->infirst = 0;
	u->frame_max_out = u->o.max_frame;
	tv = ms_tv(u->o.connect_timeout_ms);
	evtimer_add(u->timeout_ev, &tv);
	log_debug("Connecting to the collector at %s:%d.", u->address, u->o.port);
	if (bufferevent_socket_connect_hostname(u->bev, u->dns, AF_UNSPEC, u->address,
	    u->o.port) != 0)
		uplink_fail(u, "the connection cannot start (%s)",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* Send batches until the window is full or the spool has nothing more. */
static void
uplink_fill(struct uplink *u)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__EventBatch b = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__Event **evs;
	size_t n, total, slot;
	int rc;

	/* Nothing was spooled after the last batch sent: no query (an idle agent's case). */
	while (u->state == UPLINK_READY && u->ninflight < u->o.window &&
	    spool_high_seq(u->spool) > u->sent) {
		if ((rc = spool_read(u->spool, u->sent, u->batch_max, &evs, &total)) != 0) {
			log_warnx(_("The spool cannot be read after seq %llu: %s."),
			    (unsigned long long)u->sent, vigil_strerror(rc));
			return;
		}
		if (total == 0) {
			spool_events_free(evs, 0);
			return;
		}
		/* Send fewer events when they would not fit in one frame. */
		for (n = total;;) {
			b.n_events = n;
			b.events = evs;
			f.msg_case = VIGIL__V1__FRAME__MSG_BATCH;
			f.batch = &b;
			rc = uplink_send(u, &f);
			if (rc != VIGIL_ERR_TOOBIG || n == 1)
				break;
			n /= 2;
		}
		if (rc != 0) {
			uint64_t seq = evs[0]->seq;

			spool_events_free(evs, total);
			uplink_fail(u, "the batch starting at seq %llu cannot be sent (%s)",
			    (unsigned long long)seq, vigil_strerror(rc));
			return;
		}
		u->sent = evs[n - 1]->seq;
		slot = (u->infirst + u->ninflight) % UPLINK_MAX_WINDOW;
		u->inflight[slot] = u->sent;
		u->ninflight++;
		log_debug("Sent a batch of %zu events, seq %llu to %llu.", n,
		    (unsigned long long)evs[0]->seq, (unsigned long long)u->sent);
		spool_events_free(evs, total);
	}
}

/* ---- going away on purpose ---- */

/* The goodbye is over (heard or not): close, stay parked, tell the caller. */
static void
bye_finish(struct uplink *u, int heard)
{
	uplink_bye_fn done = u->bye_done;

	u->bye_heard = heard;
	uplink_close(u);
	evtimer_del(u->retry_ev);
	evtimer_del(u->bye_ev);
	u->state = UPLINK_PARKED;
	u->bye_done = NULL;
	if (heard)
		log_info(_("The collector has our goodbye."));
	if (done != NULL)
		done(u->bye_arg, heard);
}

static void
bye_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uplink *u = arg;

	(void)fd;
	(void)what;
	if (u->state == UPLINK_BYE)
		log_warnx(_("The collector did not close the connection within the goodbye's "
		    "wait; closing it."));
	bye_finish(u, 0);
}

void
uplink_goodbye(struct uplink *u, int reason, const char *detail, uint64_t wait_ms,
    uplink_bye_fn done, void *arg)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Goodbye g;
	struct timeval tv = { 0, 0 };
	int rc;

	u->bye_done = done;
	u->bye_arg = arg;
	if (u->state == UPLINK_BYE) {
		/* Already said: only the caller to tell has changed. */
		return;
	}
	if (u->state != UPLINK_READY) {
		/* Not connected: nobody to tell. The end still comes from the loop. */
		uplink_close(u);
		evtimer_del(u->retry_ev);
		u->state = UPLINK_PARKED;
		evtimer_add(u->bye_ev, &tv);
		return;
	}
	if (u->peer_minor < WIRE_MINOR_GOODBYE) {
		log_info(_("The collector at %s:%d predates goodbyes (protocol 1.%u); it will count "
		    "this machine as silent."), u->address, u->o.port, (unsigned)u->peer_minor);
		uplink_close(u);
		u->state = UPLINK_PARKED;
		evtimer_add(u->bye_ev, &tv);
		return;
	}
	vigil__v1__goodbye__init(&g);
	g.reason = (Vigil__V1__GoodbyeReason)reason;
	g.detail = (char *)(uintptr_t)(detail != NULL ? detail : "");
	g.time_us = clock_now_us();
	f.msg_case = VIGIL__V1__FRAME__MSG_GOODBYE;
	f.goodbye = &g;
	if ((rc = uplink_send(u, &f)) != 0) {
		log_warnx(_("The goodbye cannot be sent (%s)."), vigil_strerror(rc));
		uplink_close(u);
		u->state = UPLINK_PARKED;
		evtimer_add(u->bye_ev, &tv);
		return;
	}
	u->state = UPLINK_BYE;
	evtimer_del(u->heartbeat_ev);
	event_del(u->posture_ev);
	tv = ms_tv(wait_ms);
	evtimer_add(u->bye_ev, &tv);
	log_info(_("Said goodbye to the collector (%s%s%s); waiting up to %llu ms for it to close."),
	    goodbye_reason_name(reason), g.detail[0] != '\0' ? ": " : "", g.detail,
	    (unsigned long long)wait_ms);
}

void
uplink_resume(struct uplink *u)
{
	if (u == NULL || u->state != UPLINK_PARKED)
		return;
	log_info(_("Reconnecting to the collector at once."));
	u->state = UPLINK_IDLE;
	u->attempt = 0;
	u->quiet = 0;
	uplink_connect(u);
}

int
uplink_parked(const struct uplink *u)
{
	return u != NULL && u->state == UPLINK_PARKED;
}

void
uplink_kick(struct uplink *u)
{
	if (u != NULL && u->state == UPLINK_READY)
		uplink_fill(u);
}

void
uplink_start(struct uplink *u)
{
	uplink_connect(u);
}

static int
is_ip_literal(const char *s)
{
	unsigned char a[16];

	return evutil_inet_pton(AF_INET, s, a) == 1 || evutil_inet_pton(AF_INET6, s, a) == 1;
}

struct uplink *
uplink_new(struct event_base *base, SSL_CTX *ctx, struct spool *spool,
    const struct uplink_opts *opts)
{
	struct uplink *u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->base = base;
	u->ctx = ctx;
	u->spool = spool;
	u->o = *opts;
	if (u->o.window > UPLINK_MAX_WINDOW)
		u->o.window = UPLINK_MAX_WINDOW;
	if (u->o.window == 0)
		u->o.window = 1;
	if (u->o.batch_max == 0 || u->o.batch_max > WIRE_MAX_BATCH)
		u->o.batch_max = WIRE_MAX_BATCH;
	if (u->o.max_frame == 0)
		u->o.max_frame = FRAME_MAX_DEFAULT;
	u->address = strdup(opts->address);
	u->unit = strdup(opts->unit != NULL ? opts->unit : "");
	snprintf(u->machine_id, sizeof(u->machine_id), "%s",
	    opts->machine_id != NULL ? opts->machine_id : "");
	if (opts->server_name != NULL && opts->server_name[0] != '\0')
		u->server_name = strdup(opts->server_name);
	u->ip_literal = is_ip_literal(peer_name(u) != NULL ? peer_name(u) : "");
	u->retry_ev = evtimer_new(base, retry_cb, u);
	u->timeout_ev = evtimer_new(base, timeout_cb, u);
	u->heartbeat_ev = event_new(base, -1, EV_PERSIST, heartbeat_cb, u);
	u->posture_ev = event_new(base, -1, 0, heartbeat_cb, u);
	u->bye_ev = evtimer_new(base, bye_cb, u);
	clock_load(u);
	if (u->address == NULL || u->unit == NULL || u->posture_ev == NULL || u->bye_ev == NULL ||
	    (opts->server_name != NULL && opts->server_name[0] != '\0' &&
	    u->server_name == NULL) || u->retry_ev == NULL || u->timeout_ev == NULL ||
	    u->heartbeat_ev == NULL) {
		uplink_free(u);
		return NULL;
	}
	if (!is_ip_literal(u->address))
		/* NULL is fine too: libevent then resolves with a blocking getaddrinfo(). */
		u->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);

	platform_host(u->hostname, sizeof(u->hostname), u->os, sizeof(u->os));
	u->frame_max_out = u->o.max_frame;
	u->batch_max = u->o.batch_max;
	u->retry.min_ms = u->o.reconnect_min_ms;
	u->retry.max_ms = u->o.reconnect_max_ms;
	u->retry.spread_ms = u->o.reconnect_spread_ms;
	return u;
}

void
uplink_free(struct uplink *u)
{
	if (u == NULL)
		return;
	uplink_close(u);
	if (u->retry_ev != NULL)
		event_free(u->retry_ev);
	if (u->timeout_ev != NULL)
		event_free(u->timeout_ev);
	if (u->heartbeat_ev != NULL)
		event_free(u->heartbeat_ev);
	if (u->posture_ev != NULL)
		event_free(u->posture_ev);
	if (u->bye_ev != NULL)
		event_free(u->bye_ev);
	if (u->dns != NULL)
		evdns_base_free(u->dns, 0);
	free(u->address);
	free(u->server_name);
	free(u->unit);
	free(u);
}
