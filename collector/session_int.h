/*
 * The session layer's private header: session.c (connections, handshakes,
 * reading frames, deadlines, backpressure), session_frame.c (Hello, batches,
 * heartbeats, goodbye) and session_commit.c (the pending list, the writer
 * thread and the group commit, the acks) share these.
 */
#ifndef VIGIL_SESSION_INT_H
#define VIGIL_SESSION_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "collector.h"

/* glibc's sys/queue.h lacks the _SAFE walk. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar) \
	for ((var) = TAILQ_FIRST(head); \
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1); (var) = (tvar))
#endif

#define SESSION_HASH 1024                  /* buckets of the id table; power of two */
#define ADDR_HASH 1024                     /* buckets of the per-address table; power of two */
#define HELLO_FRAME_MAX 4096               /* a Hello is under 1 kB: nothing larger before it */
#define SWEEP_MIN_MS 50
#define SWEEP_MAX_MS 1000
#define COMMIT_RETRY_SEC 1
#define STORE_ALARM_RETRY_SEC 5            /* after the alarm: room for its notification first */
#define ACCEPT_PAUSE_SEC 1
#define CLOSE_DRAIN_SEC 5                  /* time a closing session has to take our last frame */
#define MALLOC_OVERHEAD 16                 /* glibc's header and rounding per allocation */

enum session_state {
	SS_QUEUED,       /* accepted; waits for a handshake slot (max_handshakes) */
	SS_HANDSHAKE,    /* TLS handshake under way */
	SS_HELLO,        /* authenticated; waiting for Hello */
	SS_RUNNING,      /* Welcome sent; batches and heartbeats */
	SS_CLOSING,      /* our last frame is draining; nothing more is read */
};

/* The connections from one address that have shown no certificate yet. */
struct addr_count {
	struct addr_count *next;
	size_t n;
	size_t keylen;
	unsigned char key[16];             /* the address's bytes (4 or 16) */
};

struct session {
	TAILQ_ENTRY(session) entry;
	TAILQ_ENTRY(session) qentry;       /* in the handshake queue while SS_QUEUED */
	struct session *hnext;             /* id hash chain */
	struct collector *c;
	uint64_t id;
	struct bufferevent *bev;           /* NULL while SS_QUEUED */
	evutil_socket_t fd;                /* SS_QUEUED: the socket, not yet wrapped */
	struct addr_count *precert;        /* counted against its address until the certificate */
	enum session_state state;
	int64_t accepted_us;               /* the deadline to Welcome runs from here */
	int64_t frame_us;                  /* first byte of the frame being received; 0: none */
	int64_t live_us;                   /* last whole frame (or resumption after our pause) */
	size_t reserved;                   /* that frame's bytes counted against the total */
	int64_t clock_offset_us;           /* its clock minus ours at its last heartbeat */
	int has_clock;
	int clock_warned;                  /* an implausible event time was logged */
	char addr[COLLECTOR_ADDR_MAX];
	char agent[COLLECTOR_ID_MAX];      /* from the certificate; "" before the handshake */
	int64_t unit_id;                   /* from the certificate (enrolled); 0: none */
	int64_t renewed_us;                /* the last renewal asked on this session */
	uint32_t peer_minor;               /* its Hello's proto_minor (2: it takes a CaBundle) */
	char machine_id[WIRE_MAX_MACHINE_ID + 1];   /* from its Hello; "": not said */
	char host[64];                     /* from its Hello, escaped and cut: for a clone's facts */
	uint64_t high_seq;                 /* highest seq received in this session */
	uint64_t ack_to;                   /* highest seq stored for this session */
	size_t pending_bytes;              /* memory of its batches not yet committed */
	int paused;                        /* over max_pending: not read from */
	int to_ack;                        /* gets an Ack after the running commit */
	struct roster_entry pub;           /* published while SS_RUNNING; pub.seen_us: last frame */
	int64_t seen_stored_us;            /* last_seen as last written to the store */
	struct pending *posture;           /* its STORE_POSTURE item not yet handed over */
};

/* One item of the next group commit (enum store_item_kind says which). */
struct pending {
	TAILQ_ENTRY(pending) entry;
	enum store_item_kind kind;
	uint64_t session_id;
	char agent[COLLECTOR_ID_MAX];
	char addr[COLLECTOR_ADDR_MAX];     /* STORE_HELLO */
	Vigil__V1__Frame *frame;           /* owns the batch or the Hello; NULL for STORE_SEEN */
	size_t bytes;                      /* memory counted against the limits */
	int64_t recv_us;
	int64_t agent_clock_us;            /* STORE_SEEN: the agent's clock at recv_us; 0 */
};

TAILQ_HEAD(session_list, session);
TAILQ_HEAD(pending_list, pending);

/*
 * The writer thread and its hand-over. The main thread fills items, then sets
 * work under mu; from then until it has taken done under mu it touches
 * neither the items nor the frames they point at. The writer reports back by
 * setting done under mu and writing to wakefd, an eventfd the event loop
 * watches. Only store_commit() and store_errmsg() run on the writer.
 */
struct writer {
	pthread_t thread;
	int running;                       /* main thread only: the thread exists */
	int wakefd;
	struct event *wake_ev;
	struct store *store;               /* the writer's own connection */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	struct store_batch *items;
	size_t n;
	int work;                          /* items handed over, not yet stored */
	int done;                          /* stored (or failed): rc and errmsg await */
	int quit;
	int rc;
	char errmsg[256];
};

/* A session whose events the store refused: closed once the acks are out. */
struct refusal {
	uint64_t session_id;
	char why[WIRE_MAX_REASON];
};

struct sessions {
	struct session_list all;
	struct session *hash[SESSION_HASH];
	size_t n;                          /* every live connection */
	size_t nrunning;                   /* past Hello */
	uint64_t next_id;

	struct session_list queue;         /* waiting for a handshake slot, oldest first */
	size_t nqueued, nhandshaking;
	int starting;                      /* handshake_next() is running */
	struct addr_count *addrs[ADDR_HASH];
	struct event *sweep_ev;            /* deadlines */
	struct event *next_ev;             /* handshake_next() on the next turn of the loop */
	int sweep_armed;
	int64_t sweep_us;
	time_t refused_addr_logged;
	uint64_t refused_addr_unlogged;
	size_t reserved_total;             /* frames being received (session.reserved) */

	struct pending_list pending;       /* waiting for the next commit */
	struct pending_list inflight;      /* handed to the writer */
	size_t npending, ninflight;
	size_t total_bytes;                /* memory of both lists */
	int paused_all;                    /* over max_pending_total: no session is read */
	int busy;                          /* the writer has the inflight list */
	unsigned fail_streak;              /* commits failed in a row */
	int64_t fail_since_us;             /* the first of them */
	char fail_why[256];
	int alarmed;                       /* the failing store has its incident */
	struct refusal *refusals;
	size_t nrefusals, caprefusals;
	struct event *commit_ev;
	int commit_armed;                  /* the commit timer is pending (now or a retry) */
	struct store_batch *batches;       /* the items handed to the writer */
	struct session **acks;             /* scratch: sessions to ack */
	size_t cap;
	struct writer w;

	struct event *accept_ev;           /* re-enables the listener after EMFILE */
	time_t refused_logged;             /* rate limit of the refusal log */
	uint64_t refused_unlogged;
};

/* session.c */
struct session *session_by_id(struct sessions *t, uint64_t id);
void session_forward(struct collector *c, const struct session_news *n);
void session_close_soon(struct session *s);
void session_protocol_error(struct session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void session_resume(struct session *s);
void resume_check(struct collector *c);
void session_ack(struct session *s);
void session_set_state(struct session *s, enum session_state st);
void session_write_seen(struct session *s);
void session_free(struct session *s);
int session_send(struct session *s, const Vigil__V1__Frame *f);
int session_may_read(const struct session *s);
void session_pause(struct session *s);
void pause_all(struct collector *c);

/* session_ident.c */
int session_identity(struct session *s, SSL *ssl);
void session_hello_unit(struct session *s, Vigil__V1__Hello *h);
int session_renew(struct session *s, const char *csr_pem);
int session_clone_check(struct session *s, const Vigil__V1__Hello *h);

/* session_frame.c */
int session_frame(struct session *s, Vigil__V1__Frame *f, size_t bytes);
/* session_commit.c */
int pending_add(struct collector *c, enum store_item_kind kind, const struct session *s,
    Vigil__V1__Frame *f, size_t bytes, int64_t recv_us);
void pending_free_list(struct pending_list *l);
void *writer_main(void *arg);
void commit_start(struct collector *c);
void shutdown_close(struct collector *c);
void writer_wake(evutil_socket_t fd, short what, void *arg);
void commit_cb(evutil_socket_t fd, short what, void *arg);
void commit_arm(struct collector *c);
void writer_stop(struct writer *w);

#endif
