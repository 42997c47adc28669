/*
 * vigil-collector, private interfaces. Data flow:
 *   listener -> session (TLS, frames, Hello/Welcome) -> pending batches
 *   -> group commit on the writer thread (store.c, one transaction, its own
 *      connection) -> Ack to each session
 *   control socket (control.c) -> store queries (read connection) -> JSON lines
 *
 * One process, one event_base, and one writer thread that does nothing but
 * the group commit (see session.c for why). All state hangs off struct
 * collector; nothing is global.
 */
#ifndef VIGIL_COLLECTOR_H
#define VIGIL_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "vigil/clock.h"

#include "conf.h"
#include "roles.h"
#include "store.h"

#define COLLECTOR_VERSION "0.1.0"
#define COLLECTOR_ID_MAX 128           /* agent id (certificate CN) with its NUL */
#define COLLECTOR_ADDR_MAX 64          /* "[v6 address]:port" with its NUL */
#define COLLECTOR_SEEN_INTERVAL_US (60LL * 1000 * 1000)  /* last_seen written at most this often */

/* Everything that is dropped, refused or failed is counted here; `status` shows it. */
struct collector_counters {
	uint64_t connections_accepted;
	uint64_t connections_refused_limit;
	uint64_t tls_handshake_failed;
	uint64_t frames_bad;
	uint64_t protocol_errors;
	uint64_t sessions_replaced;
	uint64_t goodbyes;                 /* agents that went away on purpose: off, not silent */
	uint64_t batches_received;
	uint64_t events_received;
	uint64_t events_stored;
	uint64_t events_duplicate;
	uint64_t commits;
	uint64_t commit_failures;          /* whole commits: a full disk, an I/O error */
	uint64_t control_requests;
	uint64_t control_refused;
	/* hostile peers and a failing store */
	uint64_t connections_refused_address;   /* max_handshakes_per_address */
	uint64_t handshakes_queued;        /* had to wait for a slot (max_handshakes) */
	uint64_t handshake_timeouts;       /* no Welcome within handshake_timeout of accept */
	uint64_t frame_timeouts;           /* a frame not finished within frame_timeout */
	uint64_t idle_timeouts;            /* no whole frame within idle_timeout */
	uint64_t items_refused;            /* items the store refused for their own data */
	uint64_t events_clock_implausible; /* stored, flagged: far ahead of or behind arrival */
	uint64_t store_alarms;             /* commits failed for store_alarm_after */
};

struct evbuffer;   /* libevent */
struct sessions;   /* session.c */
struct control;    /* control.c */

struct collector {
	struct conf conf;
	struct event_base *base;
	SSL_CTX *ssl_ctx;
	struct evconnlistener *listener;
	struct store *store;               /* main thread: reads; short incident/escalation
	                                      writes (incident.c says why) */
	struct store *wstore;              /* the writer thread's: every write */
	struct sessions *sessions;
	struct control *control;
	struct incidents *incidents;       /* incident.c */
	struct escalation_rt *esc;         /* escalation_rt.c */
	struct ack_rt *ack;                /* ack_reply.c: acknowledgement by reply */
	struct ack_http *ack_http;         /* ack_http.c: acknowledge by link */
	int64_t started_us;
	int stopping;                      /* a signal asked us to exit */
	struct collector_counters counters;
};

/* ---- session.c: agent connections and the group commit ---------------------- */

/* "127.0.0.1:40412" or "[::1]:40412". */
void session_addr_str(const struct sockaddr *sa, char *buf, size_t len);

/* The session table and the commit timer. Returns 0 or VIGIL_ERR_NOMEM. */
int session_init(struct collector *c);
/*
 * Start the writer thread, which stores every group commit through wstore
 * (owned by the caller, freed only after session_free_all()). Call after the
 * privilege drop and any fork. Returns 0 or VIGIL_ERR_SYS (errno set).
 */
int session_start(struct collector *c, struct store *wstore);
/* evconnlistener callbacks; arg is the struct collector. */
void session_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg);
void session_accept_error(struct evconnlistener *l, void *arg);
/* Agents with a live session past Hello. */
size_t session_agents_connected(const struct collector *c);

/* What the sessions hold now, for `vigilctl status`. */
struct session_gauges {
	size_t connections, handshaking, queued;
	size_t awaiting_disk;              /* bytes of batches not yet committed */
	size_t receiving;                  /* bytes reserved by frames being received */
	int64_t store_failing_since_us;    /* 0: the last commit succeeded */
	char store_error[256];
};
void session_gauges(const struct collector *c, struct session_gauges *g);
/* 1 if agent has a live session past Hello (and its last_seen in memory), else 0. */
int session_agent_connected(const struct collector *c, const char *agent, int64_t *seen_us);
/*
 * Shutting down: stop reading, let the writer finish its commit, commit what
 * is pending and ack it, then close every session once its output has
 * drained; leaves the event loop when the last is gone.
 */
void session_shutdown(struct collector *c);
/*
 * After the loop has ended: wait for the writer's commit in flight, end the
 * thread, free every session, pending item and timer.
 */
void session_free_all(struct collector *c);

/* ---- reserve.c: disk space kept for the alarm of a full disk ---------------- */

/* Keep database_reserve bytes in DATABASE.reserve (a warning if the disk has not the room). */
void reserve_make(struct collector *c);
/* Give them up: the disk is full and the incident saying so needs the room. */
void reserve_release(struct collector *c);

/* ---- control.c: the control socket of include/vigil/ctl.h ------------------- */

/*
 * Unlink a stale socket, bind, chmod 0660, chown to root:control_group (when
 * set), listen. Returns NULL with a sentence in err on failure.
 */
struct control *control_open(struct collector *c, char *err, size_t errlen);
/* Stop listening, drop open requests, unlink the socket if we still can. NULL is a no-op. */
void control_free(struct control *ctl);
/*
 * Serve the bytes a client has sent so far (in) as the socket would, for a
 * caller of role (roles.h) named user: 1 when the answer is in out and the
 * connection would close, 0 while the request line is incomplete. The fuzz
 * target of the control protocol drives this; the socket goes through it too.
 */
int control_serve(struct control *ctl, enum role role, const char *user, struct evbuffer *in,
    struct evbuffer *out);

#endif
