/*
 * vigil-collector, private interfaces. Data flow:
 *   listener -> session (TLS, frames, Hello/Welcome) -> pending batches
 *   -> group commit on the writer thread (session_commit.c: store_commit(),
 *      one transaction, its own connection) -> Ack to each session
 *   -> the session's hook (struct session_news) -> incidents -> escalation
 *      -> notifiers
 *   control socket (control*.c) -> store queries (read connection) -> JSON lines
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

#include "vigil.pb-c.h"
#include "vigil/clock.h"

#include "conf.h"
#include "presence.h"
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
	/* the noise budget and acknowledgement from anywhere (issue 11) */
	uint64_t notifications_held;       /* past a contact's budget, into its digest */
	uint64_t digests_sent;
	uint64_t replies_acknowledged;     /* by mail or SMS */
	uint64_t replies_refused_stranger; /* the sender is no contact */
	uint64_t replies_refused_wrong_code;  /* no code, an unknown one, or another's */
	uint64_t replies_refused_used;     /* the incident was acknowledged or closed already */
	uint64_t replies_refused_other;    /* no XN in its own text; automatic replies */
	uint64_t links_acknowledged;
	uint64_t links_refused_expired;
	uint64_t links_refused_used;       /* used, or the incident acknowledged already */
	uint64_t links_refused_invalid;    /* unknown, altered, or cross-site */
	uint64_t imap_poll_failures;       /* the reply mailbox could not be read */
	uint64_t sms_poll_failures;        /* gammu-smsd's inbox could not be read */
	/* enrolment and identities (issue 15) */
	uint64_t enrolments;               /* certificates issued against a token */
	uint64_t enrolments_refused;       /* expired, used, cancelled, unknown, clock skew */
	uint64_t enroll_connections_refused;    /* over the enrolment listener's limit */
	uint64_t agents_barred;            /* connections of revoked or retired agents refused */
	uint64_t sessions_revoked;         /* live sessions closed by a revocation */
	uint64_t renewals;                 /* certificates renewed over a session */
	uint64_t renewals_refused;         /* renewal off, asked too often, a bad request */
	uint64_t reenrolments;             /* expired certificates replaced within renew_grace */
	uint64_t reenrolments_refused;     /* past the grace, barred, another key or CA */
	uint64_t identity_clones;          /* a second machine with a connected identity, refused */
};

/*
 * What the session layer hands forward, through one hook (main.c sets it to
 * incident.c's incident_hook before session_start()). The session is the top
 * of the pipeline session -> store -> incidents -> escalation -> notifiers:
 * it never learns who is behind the hook, and nothing behind it calls back
 * into session.c; "which agents are connected" is c->connected, which the
 * session publishes (presence.h).
 */
enum session_news_kind {
	NEWS_BATCH_STORED,     /* a batch of agent committed with new events */
	NEWS_COMMITTED,        /* a group commit ended; new incidents may want escalation */
	NEWS_STORE_FAILING,    /* commits have failed for store_alarm_after */
	NEWS_STORE_OK,         /* commits succeed again after such an alarm */
	NEWS_IDENTITY_CLONE,   /* one identity from two machines: the newcomer was refused */
};

struct session_news {
	enum session_news_kind kind;
	const char *agent;                      /* NEWS_BATCH_STORED */
	const Vigil__V1__EventBatch *batch;
	int64_t recv_us;
	int64_t since_us;                       /* NEWS_STORE_FAILING, NEWS_STORE_OK */
	const char *why;                        /* NEWS_STORE_FAILING; NEWS_IDENTITY_CLONE: the
	                                           facts of both machines */
	size_t waiting;
};

typedef void (*session_hook_fn)(void *arg, const struct session_news *n);

struct evbuffer;   /* libevent */
struct sessions;   /* session.c */
struct control;    /* control.c */
struct incidents;  /* incident.c */
struct escalate_run;

struct collector {
	struct conf conf;
	struct event_base *base;
	SSL_CTX *ssl_ctx;
	struct evconnlistener *listener;
	struct store *store;               /* main thread: reads; short incident/escalation
	                                      writes (incident.c says why) */
	struct store *wstore;              /* the writer thread's: every write */
	struct sessions *sessions;
	struct roster connected;           /* published by session.c: agents past Hello */
	struct control *control;
	struct incidents *incidents;       /* incident.c */
	struct escalate_run *esc;         /* escalate_run.c */
	session_hook_fn forward;           /* what the session feeds (incidents) */
	void *forward_arg;
	struct ack_rt *ack;                /* ack_reply.c: acknowledgement by reply */
	struct ack_http *ack_http;         /* ack_http.c: acknowledge by link */
	struct report_run *report;         /* report_run.c: deadlines of reportable incidents */
	struct enroll_srv *enroll;         /* enroll.c: the enrolment listener; NULL: off */
	struct rotation *rotation;         /* pki_rotate.c: a CA rotation under way; NULL: none */
	int64_t started_us;
	int stopping;                      /* a signal asked us to exit */
	struct collector_counters counters;
};


#endif
