/*
 * uplink.c: the agent's connection to the collector. It sends spooled events
 * in batches over mutual TLS, keeps a bounded window of unacknowledged
 * batches, deletes events from the spool only when the collector acks them,
 * sends heartbeats, and reconnects with exponential backoff and jitter.
 *
 * The reconnect policy is a pure function (uplink_retry_ms) that vigil-bench
 * links too, so that the benchmark's agents come back after a collector
 * restart exactly as real ones do.
 */
#ifndef VIGIL_AGENT_UPLINK_H
#define VIGIL_AGENT_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "spool.h"
#include "posture.h"

struct sensor_report;
struct neigh_list;

struct uplink_opts {
	const char *address;          /* host name or IP literal */
	int port;
	const char *server_name;      /* the name the certificate must carry; NULL or "": address */
	const char *unit;
	const char *machine_id;       /* SHA-256 hex of the machine's id; NULL or "": none */
	size_t batch_max;             /* events per batch, 1..WIRE_MAX_BATCH */
	size_t window;                /* batches in flight, 1..UPLINK_MAX_WINDOW */
	uint64_t reconnect_min_ms;
	uint64_t reconnect_max_ms;
	uint64_t reconnect_spread_ms; /* the first attempt after a loss waits [0, this] */
	uint64_t connect_timeout_ms;  /* TCP + TLS + Welcome */
	size_t max_frame;             /* bytes, both directions */
	/* For heartbeats: log lines cut at max_line so far (may be NULL). */
	uint64_t (*lines_truncated)(void *arg);
	void *arg;
	/* For heartbeats (each may be NULL): events that failed validation, rule keys evicted. */
	uint64_t (*events_rejected)(void *arg);
	uint64_t (*rule_evictions)(void *arg);
	uint64_t (*uevents_spoofed)(void *arg);
	uint64_t (*uevents_lost)(void *arg);
	/* The sensors' own report: unavailable ones, named counters (may be NULL). */
	void (*sensor_report)(void *arg, struct sensor_report *r);
	/* Called (with arg) after each Welcome and each failure (may be NULL). */
	void (*link_changed)(void *arg);
	/*
	 * Renewal (issue 15; each may be NULL): after each Welcome, with the
	 * collector's clock (0: it did not say); the collector's RenewResult.
	 */
	void (*welcomed)(void *arg, int64_t collector_us, int renew_now);
	/*
	 * A CA rotation (protocol 1.2): the collector's CA bundle, from a
	 * Welcome or pushed to the session; bounded by wire_validate().
	 */
	void (*ca_bundle)(void *arg, const char *pem);
	void (*renew_result)(void *arg, const Vigil__V1__RenewResult *r);
	/*
	 * A TLS handshake failed (may be NULL): expired_alert, the collector said
	 * our certificate expired; collector_s, its clock by the last offset
	 * learnt (0: unknown). The agent may re-enrol (grace.h) before the retry.
	 */
	void (*tls_failed)(void *arg, int expired_alert, int64_t collector_s);
	/*
	 * The network report (issue 15; may be NULL): asked for on the first
	 * heartbeat of each session, then every network_interval_ms; returns
	 * the list to send (borrowed until the next call), or NULL for none.
	 */
	const struct neigh_list *(*network)(void *arg);
	uint64_t network_interval_ms;
	/* The posture every heartbeat carries (NULL: none); borrowed. */
	const struct posture *posture;
};

#define UPLINK_MAX_WINDOW 64

struct uplink;

/*
 * A new uplink on base, sending what is in spool. ctx is the client context
 * (tls_client_ctx()); the uplink borrows base, spool and ctx, and copies
 * the strings of opts. Nothing happens until uplink_start().
 */
struct uplink *uplink_new(struct event_base *base, SSL_CTX *ctx, struct spool *spool,
    const struct uplink_opts *opts);
void uplink_free(struct uplink *u);            /* closes the connection; NULL is a no-op */

/* Connect now; after a failure the uplink keeps reconnecting by itself. */
void uplink_start(struct uplink *u);
/* Send f on the live session (after Welcome): 0, or -1 when there is none. */
int uplink_send_frame(struct uplink *u, const Vigil__V1__Frame *f);
/* The TLS context of the next connection (renewed credentials); borrowed. */
void uplink_set_ctx(struct uplink *u, SSL_CTX *ctx);

/*
 * The posture changed: send a heartbeat at once (once per loop pass however
 * many facts changed), if connected. A posture_on_change() callback.
 */
void uplink_posture_changed(void *u);

/* The end of a goodbye: heard is 1 when the collector closed the connection after it. */
typedef void (*uplink_bye_fn)(void *arg, int heard);

/*
 * Go away on purpose: send Goodbye{reason (Vigil__V1__GoodbyeReason), detail}
 * when connected to a collector that understands it, wait until the collector
 * closes the connection or wait_ms pass, then close and stay closed: no
 * reconnect until uplink_resume(). done(arg, heard) is called once, always
 * from the event loop (never before this returns). A second call while the
 * goodbye is under way only replaces done.
 */
void uplink_goodbye(struct uplink *u, int reason, const char *detail, uint64_t wait_ms,
    uplink_bye_fn done, void *arg);
/* The machine is back (resumed, shutdown cancelled): connect again at once. */
void uplink_resume(struct uplink *u);
/* 1 after a goodbye, until uplink_resume(). */
int uplink_parked(const struct uplink *u);

/* New events are in the spool: send them if the connection and the window allow. */
void uplink_kick(struct uplink *u);

/*
 * The delay before reconnect attempt `attempt` (0 for the first retry):
 * min(max_ms, min_ms * 2^attempt), jittered to [delay/2, delay] by rnd.
 * Pure; never overflows.
 */
uint64_t uplink_backoff_ms(unsigned attempt, uint64_t min_ms, uint64_t max_ms, uint32_t rnd);

/* The reconnect policy's bounds (agent.conf: reconnect_min, _max, _spread). */
struct uplink_retry {
	uint64_t min_ms;
	uint64_t max_ms;
	uint64_t spread_ms;
};

/*
 * The delay before the next connection attempt, rnd being uniform over
 * uint32_t. lost: a welcomed connection has just been lost, and the first
 * attempt waits uniformly in [0, spread_ms] (spread_ms at most UINT32_MAX):
 * the agents of a collector that restarted come back over spread_ms instead
 * of all in the same second. Otherwise an attempt failed, and the delay is
 * uplink_backoff_ms(attempt, min_ms, max_ms, rnd), attempt counting the
 * failures before this one since the last Welcome. The first start of the
 * agent does not wait. Pure.
 */
uint64_t uplink_retry_ms(const struct uplink_retry *p, int lost, unsigned attempt, uint32_t rnd);

#endif
