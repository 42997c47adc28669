/*
 * vigil-bench: a load generator that speaks the real protocol as N agents in
 * one process and one event_base. Each agent has its own certificate and TLS
 * connection, says Hello, waits for Welcome, then streams M events as
 * EventBatches of B with at most W batches unacknowledged, and records how
 * long each batch waited for the Ack that covered it (acked = committed
 * durably by the collector).
 *
 * Connections are opened at most --ramp at a time so that a thousand
 * handshakes do not pile up; no agent sends an event before every agent has
 * been welcomed, so the figures measure the store with all sessions open.
 *
 * Every agent behaves as vigil-agent does when a connection fails: a refused,
 * reset or timed-out attempt (connect_timeout covers TCP, TLS and Welcome; a
 * timeout is counted by the step it stopped in) is counted by its reason and
 * retried after the agent's own backoff, and a
 * welcomed connection that is lost is retried after the agent's spread. The
 * delays come from uplink_retry_ms(), the function vigil-agent uses, so the
 * bench measures what real agents do. Only a protocol violation (a frame the
 * agent would refuse) ends an agent for good. The deadline (--timeout) bounds
 * every phase.
 *
 * --storm measures a collector restart: once all N agents are welcomed the
 * bench says so (stdout, --ready-file) and waits; the caller stops the
 * collector and starts it again on the same port and database, and sends
 * SIGUSR1 when the new one listens. Every agent reconnects as a real one
 * would; the bench ends when all N are welcomed again and reports the time,
 * the attempts and why they failed.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/log.h"
#include "vigil/pki.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#include "../../agent/uplink.h"

#define BENCH_MAX_AGENTS 100000    /* the collector's own max_connections bound */
#define BENCH_MAX_WINDOW 64
#define BENCH_ID_MAX 64
#define BENCH_PATH_MAX 4096
#define BENCH_NFIELDS 3
#define BENCH_POOL 4096
#define BENCH_MAX_SAMPLES (64u * 1024 * 1024)
#define BENCH_FD_SPARE 64          /* descriptors besides one per agent */
#define BENCH_MAX_SOURCES 65000    /* source addresses 127.0.0.1 upwards */

enum agent_state {
	AG_IDLE,          /* not connected; maybe a retry is scheduled */
	AG_TCP,           /* TCP connect under way */
	AG_TLS,           /* TLS handshake under way */
	AG_HELLO,         /* Hello sent, waiting for Welcome */
	AG_READY,         /* welcomed, waiting for the start signal */
	AG_STREAMING,     /* sending events */
	AG_DONE,          /* every event acknowledged */
	AG_FAILED,        /* broke the protocol: not retried */
};

/* Why an attempt failed, as an agent sees it. */
enum reason {
	R_REFUSED,        /* ECONNREFUSED: nobody listening, or the backlog refused */
	R_RESET,          /* ECONNRESET, EPIPE */
	R_TIMEOUT_TCP,    /* connect_timeout passed: in the TCP connect */
	R_TIMEOUT_TLS,    /*   in the TLS handshake */
	R_TIMEOUT_HELLO,  /*   waiting for Welcome after Hello */
	R_CLOSED,         /* the collector closed it before Welcome (its handshake_timeout, a limit) */
	R_TLS,            /* a TLS alert or verification failure */
	R_ERROR,          /* the collector sent an Error frame */
	R_LOCAL,          /* no local socket or port (descriptors, ephemeral ports) */
	R_OTHER,
	R_COUNT,
};

static const char *const reason_name[R_COUNT] = {
	"refused", "reset", "timed out in TCP", "timed out in TLS", "timed out waiting for Welcome",
	"closed before Welcome", "TLS error",
	"Error from the collector", "no local socket", "other",
};

/* Before the storm (the first connections, the stream) and during it. */
enum { T_BEFORE, T_STORM, T_COUNT };

struct tally {
	uint64_t attempts;
	uint64_t failed[R_COUNT];
	uint64_t lost;            /* welcomed connections that ended */
	uint64_t welcomes;
};

enum phase {
	PH_CONNECT,       /* the first connections (and, without --storm, the stream) */
	PH_WAIT_LOSS,     /* --storm: all welcomed, waiting for the collector to stop */
	PH_STORM,         /* --storm: reconnecting */
};

struct inflight {
	uint64_t up_to;       /* highest seq of the batch */
	uint64_t sent_ns;
};

struct bench;

struct tmpl {
	char user[16];
	char src_ip[16];
	char src_port[8];
	char summary[80];
	char raw[160];
};

struct agent {
	struct bench *b;
	size_t idx;
	char id[BENCH_ID_MAX];
	enum agent_state state;
	struct bufferevent *bev;
	struct event *timer;      /* the retry delay, or the connect_timeout deadline */
	X509 *cert;               /* loaded once, as an agent loads its own */
	EVP_PKEY *key;
	struct in_addr src;       /* source address (--sources) */
	unsigned attempt;         /* failed attempts since the last Welcome */
	int welcomed_once;
	int storm_lost;           /* lost its connection since the storm began */
	int back;                 /* welcomed again since it was lost in the storm */
	enum reason last;         /* why its last attempt failed */
	int has_last;
	uint64_t t_back;
	uint64_t first_seq;       /* Welcome.stored_seq + 1 */
	uint64_t last_seq;        /* stored_seq + M, fixed at the first Welcome */
	uint64_t next_seq;        /* next to send */
	uint64_t acked;           /* highest up_to_seq acknowledged */
	struct inflight win[BENCH_MAX_WINDOW];
	size_t win_head, win_len;
};

struct bench {
	/* options */
	const char *pki;
	const char *host;
	int port;
	size_t nagents;
	uint64_t nevents;
	size_t batch;
	size_t window;
	const char *prefix;
	long timeout;
	size_t ramp;
	int issue;
	const char *groups;
	int storm;
	const char *ready_file;
	size_t nsources;
	struct uplink_retry retry;      /* the agent's reconnect policy and its bounds */
	uint64_t connect_timeout_ms;

	struct event_base *base;
	SSL_CTX *ctx;
	struct sockaddr_in addr;
	struct agent *agents;
	size_t next_connect;  /* agents[0..next_connect) have been started */
	size_t connecting;    /* attempts under way (TCP or TLS) */
	size_t welcomed;      /* agents with a welcomed connection now */
	size_t done, failed;
	int started;
	enum phase phase;
	size_t max_frame;
	unsigned heartbeat_sec;
	struct event *timeout_ev;
	struct event *heartbeat_ev;
	struct event *usr1_ev;
	struct event *more_ev;    /* bench_connect_more() from the loop, never recursively */

	struct tally tally[T_COUNT];
	uint64_t t_begin, t_all_welcomed;
	uint64_t t_first_loss, t_last_loss, t_restart, t_all_back;
	double cpu_at_loss;       /* this process's CPU seconds when the storm began */
	size_t storm_lost, back, lost_again;

	uint64_t t_first_send, t_last_ack;
	uint32_t *lat_us;     /* one sample per acknowledged batch */
	size_t nlat, latcap;
	uint64_t events_acked;
	int timed_out;

	/* scratch for building one batch; pointed to by the protobuf structs */
	Vigil__V1__Event *evs;
	Vigil__V1__Event **evp;
	Vigil__V1__Field *fields;     /* BENCH_NFIELDS per event */
	Vigil__V1__Field **fieldp;
	struct tmpl *pool;            /* BENCH_POOL event texts */
};

static const char *const users[] = {
	"root", "admin", "ubuntu", "test", "oracle", "postgres", "guest", "user",
	"ftpuser", "pi", "nagios", "git", "deploy", "support", "backup", "ketoan",
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* CPU seconds this process has used: one thread does all of the agents' TLS. */
static double
cpu_secs(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double
secs(uint64_t from, uint64_t to)
{
	return to > from ? (double)(to - from) / 1e9 : 0.0;
}

static struct timeval
ms_tv(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

static void agent_fail(struct agent *a, const char *why);
static void agent_attempt_failed(struct agent *a, enum reason r, const char *why);
static void agent_lost(struct agent *a, const char *why);
static void bench_maybe_finish(struct bench *b);
static void bench_connect_more(struct bench *b);
static void bench_kick(struct bench *b);
static void bench_deadline(struct bench *b);
static void print_tally(const char *label, const struct tally *t);

static struct tally *
tally_now(struct bench *b)
{
	return &b->tally[b->phase == PH_STORM ? T_STORM : T_BEFORE];
}

static int
agent_send(struct agent *a, const Vigil__V1__Frame *f)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = frame_encode(f, a->b->max_frame, &buf, &len)) != 0) {
		log_warnx("Agent %s could not encode a frame: %s.", a->id, vigil_strerror(rc));
		return rc;
	}
	rc = bufferevent_write(a->bev, buf, len);
	free(buf);
	return rc == 0 ? 0 : VIGIL_ERR_NOMEM;
}

/*
 * Build the pool of event texts once: formatting every event with snprintf
 * would cost the benchmark more CPU than the collector spends storing it.
 */
static void
bench_make_pool(struct bench *b)
{
	size_t i;

	for (i = 0; i < BENCH_POOL; i++) {
		struct tmpl *t = &b->pool[i];
		uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull;
		const char *user = users[(h >> 7) % (sizeof(users) / sizeof(users[0]))];

		snprintf(t->user, sizeof(t->user), "%s", user);
		snprintf(t->src_ip, sizeof(t->src_ip), "203.0.%u.%u", (unsigned)(h >> 20) & 0xff,
		    (unsigned)(h >> 28) & 0xff);
		snprintf(t->src_port, sizeof(t->src_port), "%u",
		    1024 + (unsigned)((h >> 36) % 64000));
		snprintf(t->summary, sizeof(t->summary), "Failed SSH password for %s from %s.",
		    t->user, t->src_ip);
		snprintf(t->raw, sizeof(t->raw), "Nov 25 10:%02u:%02u pc-%02u sshd[%u]: Failed "
		    "password for %s from %s port %s ssh2", (unsigned)(i / 60) % 60,
		    (unsigned)i % 60, (unsigned)(h >> 50) % 100, 1000 + (unsigned)(h % 30000),
		    t->user, t->src_ip, t->src_port);
	}
}

static void
fill_event(struct bench *b, size_t i, const struct agent *a, uint64_t seq, int64_t t_us)
{
	Vigil__V1__Event *ev = &b->evs[i];
	/* A cheap deterministic mix so texts and severities vary per agent. */
	uint64_t h = (seq * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)a->idx * 0xC2B2AE3D27D4EB4Full);
	struct tmpl *t = &b->pool[(h >> 17) % BENCH_POOL];
	Vigil__V1__Field **fp = &b->fieldp[i * BENCH_NFIELDS];

	ev->seq = seq;
	ev->time_us = t_us;
	ev->severity = (h >> 40) % 100 < 5 ? VIGIL__V1__SEVERITY__SEVERITY_MEDIUM :
	    VIGIL__V1__SEVERITY__SEVERITY_LOW;
	ev->summary = t->summary;
	ev->raw = t->raw;
	fp[0]->value = t->user;
	fp[1]->value = t->src_ip;
	fp[2]->value = t->src_port;
}

/* Send batches while the window has room and events remain. */
static void
agent_pump(struct agent *a)
{
	struct bench *b = a->b;

	while (a->state == AG_STREAMING && a->win_len < b->window && a->next_seq <= a->last_seq) {
		Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
		Vigil__V1__EventBatch eb = VIGIL__V1__EVENT_BATCH__INIT;
		uint64_t left = a->last_seq - a->next_seq + 1;
		size_t n = left < b->batch ? (size_t)left : b->batch, i;
		int64_t t_us = wall_us();
		struct inflight *w;

		for (i = 0; i < n; i++)
			fill_event(b, i, a, a->next_seq + i, t_us);
		eb.n_events = n;
		eb.events = b->evp;
		f.msg_case = VIGIL__V1__FRAME__MSG_BATCH;
		f.batch = &eb;
		if (agent_send(a, &f) != 0) {
			agent_lost(a, "could not queue a batch");
			return;
		}
		w = &a->win[(a->win_head + a->win_len) % BENCH_MAX_WINDOW];
		w->up_to = a->next_seq + n - 1;
		w->sent_ns = now_ns();
		if (b->t_first_send == 0)
			b->t_first_send = w->sent_ns;
		a->win_len++;
		a->next_seq += n;
	}
}

/* The agent has everything acknowledged: it is done, connected or not. */
static void
agent_check_done(struct agent *a)
{
	struct bench *b = a->b;

	if (a->state != AG_STREAMING || a->acked < a->last_seq)
		return;
	a->state = AG_DONE;
	b->done++;
	bench_maybe_finish(b);
}

static void
bench_start_streaming(struct bench *b)
{
	size_t i;

	b->started = 1;
	log_info("Streaming starts: %zu agents are welcomed, %zu failed.", b->welcomed,
	    b->failed);
	for (i = 0; i < b->nagents; i++) {
		struct agent *a = &b->agents[i];

		if (a->state != AG_READY)
			continue;
		a->state = AG_STREAMING;
		agent_check_done(a);
		agent_pump(a);
	}
	bench_maybe_finish(b);
}

/* Close whatever connection the agent has; its timer too. */
static void
agent_close(struct agent *a)
{
	if (a->bev != NULL) {
		bufferevent_free(a->bev);
		a->bev = NULL;
	}
	if (a->timer != NULL)
		evtimer_del(a->timer);
}

/* The state the agent leaves: keep the counters of attempts and welcomes right. */
static void
agent_leave(struct agent *a)
{
	struct bench *b = a->b;

	if (a->state == AG_TCP || a->state == AG_TLS || a->state == AG_HELLO)
		b->connecting--;
	else if (a->state == AG_READY || a->state == AG_STREAMING || a->state == AG_DONE)
		b->welcomed--;
}

/* The agent broke the protocol (or the bench cannot go on with it): never retried. */
static void
agent_fail(struct agent *a, const char *why)
{
	struct bench *b = a->b;

	if (a->state == AG_FAILED || a->state == AG_DONE)
		return;
	log_warnx("Agent %s failed: %s.", a->id, why);
	agent_leave(a);
	agent_close(a);
	a->state = AG_FAILED;
	b->failed++;
	if (a->back) {
		a->back = 0;
		b->back--;
	}
	bench_kick(b);
	bench_maybe_finish(b);
}

static void
agent_retry_in(struct agent *a, uint64_t ms)
{
	struct timeval tv = ms_tv(ms);

	a->state = AG_IDLE;
	evtimer_add(a->timer, &tv);
}

/* An attempt failed before Welcome: count why, back off as vigil-agent does. */
static void
agent_attempt_failed(struct agent *a, enum reason r, const char *why)
{
	struct bench *b = a->b;
	uint64_t delay;

	tally_now(b)->failed[r]++;
	a->last = r;
	a->has_last = 1;
	agent_leave(a);
	agent_close(a);
	delay = uplink_retry_ms(&b->retry, 0, a->attempt, arc4random());
	log_debug("Agent %s: attempt %u failed (%s): %s; retrying in %" PRIu64 " ms.", a->id,
	    a->attempt + 1, reason_name[r], why, delay);
	if (a->attempt < 64)
		a->attempt++;
	agent_retry_in(a, delay);
	bench_kick(b);
}

/* A welcomed connection ended: the agent's spread, then a new attempt. */
static void
agent_lost(struct agent *a, const char *why)
{
	struct bench *b = a->b;
	uint64_t t = now_ns(), delay;

	if (a->state == AG_DONE) {
		/* Its events are all stored: nothing to reconnect for. */
		agent_leave(a);
		agent_close(a);
		return;
	}
	if (b->phase == PH_WAIT_LOSS) {
		b->phase = PH_STORM;
		b->t_first_loss = t;
		b->cpu_at_loss = cpu_secs();
		log_info("The storm begins: agent %s lost its connection (%s).", a->id, why);
		bench_deadline(b);
	}
	tally_now(b)->lost++;
	if (b->phase == PH_STORM) {
		if (!a->storm_lost) {
			a->storm_lost = 1;
			b->storm_lost++;
			b->t_last_loss = t;
		}
		if (a->back) {
			a->back = 0;
			b->back--;
			b->lost_again++;
		}
	}
	agent_leave(a);
	agent_close(a);
	a->win_len = 0;
	a->win_head = 0;
	a->attempt = 0;
	delay = uplink_retry_ms(&b->retry, 1, 0, arc4random());
	log_debug("Agent %s lost its connection (%s); reconnecting in %" PRIu64 " ms.", a->id,
	    why, delay);
	agent_retry_in(a, delay);
}

/* Lost before or after Welcome: the two are counted apart, as the agent treats them. */
static void
agent_broke(struct agent *a, enum reason r, const char *why)
{
	if (a->state == AG_TCP || a->state == AG_TLS || a->state == AG_HELLO)
		agent_attempt_failed(a, r, why);
	else
		agent_lost(a, why);
}

static void
bench_enter_wait(struct bench *b)
{
	int fd;

	b->phase = PH_WAIT_LOSS;
	b->t_all_welcomed = now_ns();
	printf("welcomed:         %zu agents in %.1f s\n", b->nagents,
	    secs(b->t_begin, b->t_all_welcomed));
	print_tally("connect attempts: ", &b->tally[T_BEFORE]);
	fflush(stdout);
	log_info("All %zu agents are welcomed; waiting for the collector to stop.", b->nagents);
	if (b->ready_file != NULL) {
		if ((fd = open(b->ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
			log_warn("Cannot create %s", b->ready_file);
		else
			close(fd);
	}
	bench_deadline(b);
}

static void
on_welcome(struct agent *a, const Vigil__V1__Welcome *w)
{
	struct bench *b = a->b;

	if (a->state != AG_HELLO) {
		agent_fail(a, "a Welcome arrived out of turn");
		return;
	}
	evtimer_del(a->timer);
	b->connecting--;
	b->welcomed++;
	tally_now(b)->welcomes++;
	a->attempt = 0;
	if (!a->welcomed_once) {
		a->welcomed_once = 1;
		a->first_seq = w->stored_seq + 1;
		a->last_seq = w->stored_seq + b->nevents;
	}
	/* As the agent does: resume after what the collector has stored. */
	a->next_seq = w->stored_seq + 1;
	a->acked = w->stored_seq;
	a->win_len = 0;
	a->win_head = 0;
	if (w->max_batch > 0 && w->max_batch < b->batch) {
		log_info("The collector limits batches to %u events.", w->max_batch);
		b->batch = w->max_batch;
	}
	if (w->max_frame > 0 && w->max_frame < b->max_frame)
		b->max_frame = w->max_frame;
	if (w->heartbeat_sec > 0 && (b->heartbeat_sec == 0 || w->heartbeat_sec < b->heartbeat_sec))
		b->heartbeat_sec = w->heartbeat_sec;
	a->state = AG_READY;
	if (b->phase == PH_STORM && a->storm_lost && !a->back) {
		a->back = 1;
		a->t_back = now_ns();
		b->back++;
		bench_maybe_finish(b);
	}
	if (b->started) {
		a->state = AG_STREAMING;
		agent_check_done(a);
		agent_pump(a);
	}
	bench_kick(b);
}

static void
on_ack(struct agent *a, const Vigil__V1__Ack *ack)
{
	struct bench *b = a->b;
	uint64_t t = now_ns();

	if (a->state == AG_DONE || (a->state == AG_READY && ack->up_to_seq == a->acked))
		return;
	if (a->state != AG_STREAMING) {
		agent_fail(a, "an Ack arrived out of turn");
		return;
	}
	if (ack->up_to_seq < a->acked || ack->up_to_seq >= a->next_seq) {
		agent_fail(a, "an Ack named a sequence number never sent");
		return;
	}
	b->events_acked += ack->up_to_seq - a->acked;
	a->acked = ack->up_to_seq;
	while (a->win_len > 0 && a->win[a->win_head].up_to <= a->acked) {
		uint64_t us = (t - a->win[a->win_head].sent_ns) / 1000;

		if (b->nlat == b->latcap && b->latcap < BENCH_MAX_SAMPLES) {
			uint32_t *n = realloc(b->lat_us, 2 * b->latcap * sizeof(*n));

			if (n != NULL) {
				b->lat_us = n;
				b->latcap *= 2;
			}
		}
		if (b->nlat < b->latcap)
			b->lat_us[b->nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
		a->win_head = (a->win_head + 1) % BENCH_MAX_WINDOW;
		a->win_len--;
	}
	b->t_last_ack = t;
	agent_check_done(a);
	if (a->state == AG_STREAMING)
		agent_pump(a);
}

static void
agent_readcb(struct bufferevent *bev, void *arg)
{
	struct agent *a = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (a->bev == bev) {
		uint8_t hdr[FRAME_HDR_LEN];
		Vigil__V1__Frame *f = NULL;
		uint8_t *body;
		size_t len;
		char why[256];
		int rc;

		if (evbuffer_copyout(in, hdr, sizeof(hdr)) < (ssize_t)sizeof(hdr))
			return;
		if ((rc = frame_header(hdr, FRAME_MAX_DEFAULT, &len)) != 0) {
			snprintf(why, sizeof(why), "bad frame header (%s)", vigil_strerror(rc));
			agent_fail(a, why);
			return;
		}
		if (evbuffer_get_length(in) < FRAME_HDR_LEN + len)
			return;
		body = evbuffer_pullup(in, (ssize_t)(FRAME_HDR_LEN + len));
		if (body == NULL) {
			agent_fail(a, "out of memory");
			return;
		}
		rc = frame_decode(body + FRAME_HDR_LEN, len, &f);
		evbuffer_drain(in, FRAME_HDR_LEN + len);
		if (rc != 0) {
			snprintf(why, sizeof(why), "undecodable frame (%s)", vigil_strerror(rc));
			agent_fail(a, why);
			return;
		}
		switch (f->msg_case) {
		case VIGIL__V1__FRAME__MSG_WELCOME:
			on_welcome(a, f->welcome);
			break;
		case VIGIL__V1__FRAME__MSG_ACK:
			on_ack(a, f->ack);
			break;
		case VIGIL__V1__FRAME__MSG_ERROR:
			/* vigil-agent retries after an Error too. */
			snprintf(why, sizeof(why), "the collector sent Error %u: %s", f->error->code,
			    f->error->reason != NULL ? f->error->reason : "");
			agent_broke(a, R_ERROR, why);
			break;
		default:
			break;
		}
		frame_free(f);
	}
}

/* Sort a socket error into the reasons an agent can tell apart. */
static enum reason
errno_reason(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return R_REFUSED;
	case ECONNRESET:
	case EPIPE:
	case ECONNABORTED:
		return R_RESET;
	case ETIMEDOUT:
		return R_TIMEOUT_TCP;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL:
	case EADDRINUSE:
		return R_LOCAL;
	default:
		return R_OTHER;
	}
}

/* The socket's pending error, else the errno the callback saw. */
static int
sock_errno(struct bufferevent *bev, int err)
{
	evutil_socket_t fd = bufferevent_getfd(bev);
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr != 0)
		return soerr;
	return err;
}

static void
agent_tls_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct agent *a = arg;
	char why[512], ebuf[256];
	unsigned long e;
	int err = EVUTIL_SOCKET_ERROR();
	enum reason r;

	if (what & BEV_EVENT_CONNECTED) {
		Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
		Vigil__V1__Hello h;

		vigil__v1__hello__init(&h);
		h.proto_major = WIRE_PROTO_MAJOR;
		h.proto_minor = WIRE_PROTO_MINOR;
		h.agent_version = (char *)(uintptr_t)"vigil-bench";
		h.hostname = a->id;
		h.os = (char *)(uintptr_t)"Linux (benchmark)";
		h.unit = (char *)(uintptr_t)"bench";
		h.spool_high_seq = a->welcomed_once ? a->last_seq : a->b->nevents;
		f.msg_case = VIGIL__V1__FRAME__MSG_HELLO;
		f.hello = &h;
		if (agent_send(a, &f) != 0)
			agent_attempt_failed(a, R_OTHER, "could not queue Hello");
		else
			a->state = AG_HELLO;
		return;
	}
	e = bufferevent_get_openssl_error(bev);
	if (e != 0 && ERR_GET_LIB(e) == 0) {
		/* libevent's stand-in for SSL_ERROR_SYSCALL: the socket failed. */
		err = sock_errno(bev, err);
		r = err != 0 ? errno_reason(err) : R_CLOSED;
		snprintf(why, sizeof(why), "socket error: %s",
		    err != 0 ? strerror(err) : "end of stream");
	} else if (e != 0 && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		r = R_CLOSED;
		snprintf(why, sizeof(why), "the collector closed the connection");
	} else if (e != 0) {
		r = R_TLS;
		ERR_error_string_n(e, ebuf, sizeof(ebuf));
		snprintf(why, sizeof(why), "TLS error: %s", ebuf);
	} else if (what & BEV_EVENT_EOF) {
		r = R_CLOSED;
		snprintf(why, sizeof(why), "the collector closed the connection");
	} else {
		err = sock_errno(bev, err);
		r = errno_reason(err);
		snprintf(why, sizeof(why), "socket error: %s",
		    err != 0 ? strerror(err) : "unknown");
	}
	while (bufferevent_get_openssl_error(bev) != 0)
		;
	agent_broke(a, r, why);
}

/* TCP is up: TLS on the same socket, as vigil-agent does it (uplink_tls). */
static void
agent_tcp_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct agent *a = arg;
	struct bench *b = a->b;
	evutil_socket_t fd;
	int err = EVUTIL_SOCKET_ERROR();
	char why[256];
	SSL *ssl;

	if (!(what & BEV_EVENT_CONNECTED)) {
		err = sock_errno(bev, err);
		snprintf(why, sizeof(why), "connect: %s", err != 0 ? strerror(err) : "failed");
		agent_attempt_failed(a, err != 0 ? errno_reason(err) : R_OTHER, why);
		return;
	}
	fd = bufferevent_getfd(bev);
	bufferevent_setfd(bev, -1);
	bufferevent_free(bev);
	a->bev = NULL;
	if ((ssl = SSL_new(b->ctx)) == NULL || SSL_use_certificate(ssl, a->cert) != 1 ||
	    SSL_use_PrivateKey(ssl, a->key) != 1) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		agent_fail(a, "cannot set up its TLS session");
		return;
	}
	/* Ten thousand idle sessions need no TLS buffers while nothing moves. */
	SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
	a->bev = bufferevent_openssl_socket_new(b->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (a->bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		agent_attempt_failed(a, R_LOCAL, "no connection object");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(a->bev, 1);
	bufferevent_setcb(a->bev, agent_readcb, NULL, agent_tls_eventcb, a);
	bufferevent_enable(a->bev, EV_READ | EV_WRITE);
	a->state = AG_TLS;
}

/* The agent's certificate and key, read once like vigil-agent reads its own. */
static int
agent_load(struct agent *a)
{
	char path[BENCH_PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/agents/%s.crt", a->b->pki, a->id);
	if ((f = fopen(path, "r")) == NULL)
		return VIGIL_ERR_SYS;
	a->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/agents/%s.key", a->b->pki, a->id);
	if ((f = fopen(path, "r")) == NULL)
		return VIGIL_ERR_SYS;
	a->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (a->cert == NULL || a->key == NULL || X509_check_private_key(a->cert, a->key) != 1)
		return VIGIL_ERR_TLS;
	return 0;
}

/* One connection attempt: a TCP socket (from its source address), then TLS. */
static void
agent_attempt(struct agent *a)
{
	struct bench *b = a->b;
	struct timeval tv;
	struct sockaddr_in src;
	char why[256];
	int fd, one = 1;

	if (a->cert == NULL && agent_load(a) != 0) {
		char ebuf[256];

		snprintf(why, sizeof(why), "cannot load its certificate and key from %s/agents (%s)",
		    b->pki, tls_errstr(ebuf, sizeof(ebuf)));
		agent_fail(a, why);
		return;
	}
	tally_now(b)->attempts++;
	b->connecting++;
	a->state = AG_TCP;
	tv = ms_tv(b->connect_timeout_ms);
	evtimer_add(a->timer, &tv);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		agent_attempt_failed(a, errno_reason(errno), why);
		return;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (b->nsources > 1) {
		/* The port is picked at connect(): bind() alone would reserve one per socket. */
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr = a->src;
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			snprintf(why, sizeof(why), "bind: %s", strerror(errno));
			close(fd);
			agent_attempt_failed(a, errno_reason(errno), why);
			return;
		}
	}
	if ((a->bev = bufferevent_socket_new(b->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		agent_attempt_failed(a, R_LOCAL, "no connection object");
		return;
	}
	bufferevent_setcb(a->bev, NULL, NULL, agent_tcp_eventcb, a);
	if (bufferevent_socket_connect(a->bev, (struct sockaddr *)&b->addr,
	    sizeof(b->addr)) != 0) {
		int err = EVUTIL_SOCKET_ERROR();

		snprintf(why, sizeof(why), "connect: %s", strerror(err));
		agent_attempt_failed(a, errno_reason(err), why);
	}
}

static void
agent_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	char why[128];

	if (a->state == AG_IDLE) {
		agent_attempt(a);
		return;
	}
	if (a->state == AG_TCP || a->state == AG_TLS || a->state == AG_HELLO) {
		snprintf(why, sizeof(why), "%s within connect_timeout (%" PRIu64 " ms)",
		    a->state == AG_TCP ? "TCP did not connect" : a->state == AG_TLS ?
		    "the TLS handshake did not finish" : "no Welcome came", a->b->connect_timeout_ms);
		agent_attempt_failed(a, a->state == AG_TCP ? R_TIMEOUT_TCP : a->state == AG_TLS ?
		    R_TIMEOUT_TLS : R_TIMEOUT_HELLO, why);
	}
}

static void
bench_connect_more(struct bench *b)
{
	/* Attempts that fail at once come back through bench_kick(), not here. */
	while (b->connecting < b->ramp && b->next_connect < b->nagents)
		agent_attempt(&b->agents[b->next_connect++]);
	if (b->phase != PH_CONNECT || b->next_connect < b->nagents)
		return;
	if (b->storm) {
		if (b->welcomed == b->nagents)
			bench_enter_wait(b);
	} else if (!b->started && b->welcomed + b->failed == b->nagents) {
		bench_start_streaming(b);
	}
}

static void
more_cb(evutil_socket_t fd, short what, void *arg)
{
	bench_connect_more(arg);
}

/*
 * Start more agents once the current callback is over: an attempt that fails
 * at once must not start the next one from inside itself (10,000 deep).
 */
static void
bench_kick(struct bench *b)
{
	event_active(b->more_ev, EV_TIMEOUT, 0);
}

static void
bench_maybe_finish(struct bench *b)
{
	if (b->storm) {
		if (b->phase != PH_STORM || b->back + b->failed < b->nagents)
			return;
		if (b->back == b->nagents)
			b->t_all_back = now_ns();
		event_base_loopbreak(b->base);
		return;
	}
	if (b->done + b->failed == b->nagents)
		event_base_loopbreak(b->base);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;

	b->timed_out = 1;
	event_base_loopbreak(b->base);
}

/* Every phase has the whole --timeout to reach its goal. */
static void
bench_deadline(struct bench *b)
{
	struct timeval tv = { b->timeout, 0 };

	evtimer_add(b->timeout_ev, &tv);
}

/* The caller's word that the new collector listens: the storm's clock starts. */
static void
on_usr1(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;

	b->t_restart = now_ns();
	log_info("The collector was restarted.");
}

static void
on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	struct timeval tv;
	size_t i;

	for (i = 0; i < b->nagents && b->heartbeat_sec > 0; i++) {
		struct agent *a = &b->agents[i];
		Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
		Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;

		if (a->state != AG_READY && a->state != AG_STREAMING)
			continue;
		hb.time_us = wall_us();
		hb.spool_depth = a->last_seq >= a->acked ? a->last_seq - a->acked : 0;
		f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
		f.heartbeat = &hb;
		if (agent_send(a, &f) != 0)
			agent_lost(a, "could not queue a heartbeat");
	}
	/* Until a Welcome names the interval, look again every second. */
	tv.tv_sec = b->heartbeat_sec > 0 ? (time_t)b->heartbeat_sec : 1;
	tv.tv_usec = 0;
	evtimer_add(b->heartbeat_ev, &tv);
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;

	return a < c ? -1 : a > c;
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;

	return a < c ? -1 : a > c;
}

static double
pct_ms(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

/* "N (refused a, timed out b)": the reasons that occurred. */
static void
print_tally(const char *label, const struct tally *t)
{
	uint64_t failed = 0;
	int r, first = 1;

	for (r = 0; r < R_COUNT; r++)
		failed += t->failed[r];
	printf("%s%" PRIu64 ", %" PRIu64 " failed", label, t->attempts, failed);
	for (r = 0; r < R_COUNT; r++) {
		if (t->failed[r] == 0)
			continue;
		printf("%s%s %" PRIu64, first ? " (" : ", ", reason_name[r], t->failed[r]);
		first = 0;
	}
	printf("%s\n", first ? "" : ")");
}

static void
bench_report(struct bench *b)
{
	double s = secs(b->t_first_send, b->t_last_ack);

	qsort(b->lat_us, b->nlat, sizeof(b->lat_us[0]), cmp_u32);
	printf("agents:           %zu\n", b->nagents);
	printf("events per agent: %" PRIu64 "\n", b->nevents);
	printf("events acked:     %" PRIu64 "\n", b->events_acked);
	printf("batch, window:    %zu, %zu\n", b->batch, b->window);
	printf("seconds:          %.3f\n", s);
	printf("events/s durable: %.0f\n", s > 0 ? (double)b->events_acked / s : 0.0);
	printf("ack latency ms:   p50 %.2f  p99 %.2f  max %.2f  (%zu batches)\n",
	    pct_ms(b->lat_us, b->nlat, 0.50), pct_ms(b->lat_us, b->nlat, 0.99),
	    b->nlat > 0 ? b->lat_us[b->nlat - 1] / 1000.0 : 0.0, b->nlat);
	print_tally("connect attempts: ", &b->tally[T_BEFORE]);
	printf("connections lost: %" PRIu64 "\n", b->tally[T_BEFORE].lost);
	printf("failed agents:    %zu\n", b->failed);
	fflush(stdout);
}

/* The storm's figures; the agents not back are listed by their last failure. */
static void
bench_report_storm(struct bench *b)
{
	uint64_t *back = NULL, end = b->t_all_back ? b->t_all_back : now_ns();
	size_t nback = 0, why[R_COUNT] = { 0 }, nowhy = 0, notlost = 0, i;
	int r;

	if ((back = calloc(b->nagents, sizeof(*back))) == NULL)
		fatal("Cannot allocate the report");
	for (i = 0; i < b->nagents; i++) {
		const struct agent *a = &b->agents[i];

		if (a->back)
			back[nback++] = a->t_back - b->t_first_loss;
		else if (!a->storm_lost)
			notlost++;
		else if (a->has_last)
			why[a->last]++;
		else
			nowhy++;
	}
	qsort(back, nback, sizeof(*back), cmp_u64);
	printf("storm agents:     %zu\n", b->nagents);
	printf("lost at the stop: %zu, over %.1f s\n", b->storm_lost,
	    secs(b->t_first_loss, b->t_last_loss));
	if (b->t_restart != 0)
		printf("restart to all:   %.1f s%s\n", secs(b->t_restart, end),
		    b->t_all_back ? "" : " (not all back)");
	printf("first loss to all: %.1f s%s\n", secs(b->t_first_loss, end),
	    b->t_all_back ? "" : " (not all back)");
	if (nback > 0)
		printf("back after loss:  p50 %.1f s  p90 %.1f s  max %.1f s\n",
		    back[(nback - 1) / 2] / 1e9, back[(size_t)((double)(nback - 1) * 0.9)] / 1e9,
		    back[nback - 1] / 1e9);
	print_tally("reconnect attempts: ", &b->tally[T_STORM]);
	printf("agents back:      %zu of %zu\n", b->back, b->nagents);
	/* Near 1.0 the bench itself, not the collector, set the pace. */
	printf("bench CPU:        %.1f s in %.1f s of storm (one thread)\n",
	    cpu_secs() - b->cpu_at_loss, secs(b->t_first_loss, end));
	printf("lost again:       %zu (after being welcomed back)\n", b->lost_again);
	if (b->back < b->nagents) {
		printf("not back:         %zu", b->nagents - b->back);
		printf(" (never lost %zu, failed for good %zu", notlost, b->failed);
		for (r = 0; r < R_COUNT; r++)
			if (why[r] > 0)
				printf(", last %s %zu", reason_name[r], why[r]);
		if (nowhy > 0)
			printf(", not tried yet (waiting out the spread) %zu", nowhy);
		printf(")\n");
	}
	fflush(stdout);
	free(back);
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int
bench_issue(struct bench *b)
{
	char path[BENCH_PATH_MAX], err[512];
	size_t i, made = 0;
	uint64_t t = now_ns();
	int rc;

	for (i = 0; i < b->nagents; i++) {
		snprintf(path, sizeof(path), "%s/agents/%s.crt", b->pki, b->agents[i].id);
		if (file_exists(path))
			continue;
		if ((rc = pki_issue(b->pki, b->agents[i].id, 30, 0, err, sizeof(err))) != 0) {
			log_warnx("Cannot issue a certificate for %s: %s.", b->agents[i].id, err);
			return rc;
		}
		made++;
	}
	if (made > 0)
		log_info("Issued %zu agent certificates in %s in %.1f s.", made, b->pki,
		    secs(t, now_ns()));
	return 0;
}

/*
 * One descriptor per agent plus a few (the event loop, stdio, files read at
 * start): raise the soft limit as far as the hard one allows, or say why not.
 */
static int
bench_nofile(size_t nagents)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)nagents + BENCH_FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want :
		    rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			return 0;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		fprintf(stderr, "vigil-bench: %zu agents need %llu descriptors; the limit is %llu "
		    "(hard %llu).\n", nagents, (unsigned long long)want,
		    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
		return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vigil-bench --pki DIR --host ADDR --port PORT --agents N "
	    "--events M\n"
	    "\t[--batch B] [--window W] [--id-prefix P] [--timeout SECONDS] [--ramp R]\n"
	    "\t[--groups G] [--issue] [--storm] [--ready-file PATH] [--sources K]\n"
	    "\t[--reconnect-min MS] [--reconnect-max MS] [--reconnect-spread MS]\n"
	    "\t[--connect-timeout MS] [-v]\n");
	exit(2);
}

static long long
num_arg(const char *name, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "vigil-bench: --%s must be a number from %lld to %lld.\n", name,
		    min, max);
		exit(2);
	}
	return v;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "pki", required_argument, NULL, 'P' },
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "agents", required_argument, NULL, 'n' },
		{ "events", required_argument, NULL, 'm' },
		{ "batch", required_argument, NULL, 'b' },
		{ "window", required_argument, NULL, 'w' },
		{ "id-prefix", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "ramp", required_argument, NULL, 'r' },
		{ "groups", required_argument, NULL, 'g' },
		{ "issue", no_argument, NULL, 'I' },
		{ "storm", no_argument, NULL, 'S' },
		{ "ready-file", required_argument, NULL, 'R' },
		{ "sources", required_argument, NULL, 's' },
		{ "reconnect-min", required_argument, NULL, '1' },
		{ "reconnect-max", required_argument, NULL, '2' },
		{ "reconnect-spread", required_argument, NULL, '3' },
		{ "connect-timeout", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench bs, *b = &bs;
	struct tls_opts topts;
	char err[512], cert0[BENCH_PATH_MAX], key0[BENCH_PATH_MAX], ca[BENCH_PATH_MAX];
	int ch, verbose = 0, rc = 1;
	size_t i;

	memset(b, 0, sizeof(*b));
	b->host = "127.0.0.1";
	b->batch = 500;
	b->window = 4;
	b->prefix = "bench-";
	b->timeout = 300;
	b->ramp = 50;
	b->nsources = 1;
	b->max_frame = FRAME_MAX_DEFAULT;
	/* vigil-agent's defaults (agent/conf.c): the bench reconnects as agents do. */
	b->retry.min_ms = 1000;
	b->retry.max_ms = 60000;
	b->retry.spread_ms = 30000;
	b->connect_timeout_ms = 10000;
	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'P': b->pki = optarg; break;
		case 'h': b->host = optarg; break;
		case 'p': b->port = (int)num_arg("port", optarg, 1, 65535); break;
		case 'n': b->nagents = (size_t)num_arg("agents", optarg, 1, BENCH_MAX_AGENTS); break;
		case 'm': b->nevents = (uint64_t)num_arg("events", optarg, 0, 1000000000); break;
		case 'b': b->batch = (size_t)num_arg("batch", optarg, 1, WIRE_MAX_BATCH); break;
		case 'w': b->window = (size_t)num_arg("window", optarg, 1, BENCH_MAX_WINDOW); break;
		case 'i': b->prefix = optarg; break;
		case 't': b->timeout = (long)num_arg("timeout", optarg, 1, 86400); break;
		case 'r': b->ramp = (size_t)num_arg("ramp", optarg, 1, BENCH_MAX_AGENTS); break;
		case 'g': b->groups = optarg; break;
		case 'I': b->issue = 1; break;
		case 'S': b->storm = 1; break;
		case 'R': b->ready_file = optarg; break;
		case 's':
			b->nsources = (size_t)num_arg("sources", optarg, 1, BENCH_MAX_SOURCES);
			break;
		case '1':
			b->retry.min_ms = (uint64_t)num_arg("reconnect-min", optarg, 10, 3600000);
			break;
		case '2':
			b->retry.max_ms = (uint64_t)num_arg("reconnect-max", optarg, 10, 86400000);
			break;
		case '3':
			b->retry.spread_ms = (uint64_t)num_arg("reconnect-spread", optarg, 0,
			    3600000);
			break;
		case 'c':
			b->connect_timeout_ms = (uint64_t)num_arg("connect-timeout", optarg, 100,
			    600000);
			break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (optind != argc || b->pki == NULL || b->port == 0 || b->nagents == 0)
		usage();
	if (b->storm && b->nevents != 0) {
		fprintf(stderr, "vigil-bench: --storm measures connections: use --events 0.\n");
		return 2;
	}
	log_init("vigil-bench", 1, verbose);
	/* A collector that goes away mid-write must cost a counted error, not the process. */
	signal(SIGPIPE, SIG_IGN);
	if (bench_nofile(b->nagents) != 0)
		return 2;

	memset(&b->addr, 0, sizeof(b->addr));
	b->addr.sin_family = AF_INET;
	b->addr.sin_port = htons((uint16_t)b->port);
	if (inet_pton(AF_INET, b->host, &b->addr.sin_addr) != 1) {
		fprintf(stderr, "vigil-bench: --host must be an IPv4 address.\n");
		return 2;
	}

	if ((b->agents = calloc(b->nagents, sizeof(*b->agents))) == NULL)
		fatal("Cannot allocate the agents");
	for (i = 0; i < b->nagents; i++) {
		struct agent *a = &b->agents[i];

		a->b = b;
		a->idx = i;
		/* 127.0.0.1 upwards: every address of 127/8 is the loopback. */
		a->src.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)(i % b->nsources));
		if ((size_t)snprintf(a->id, sizeof(a->id), "%s%zu", b->prefix, i) >= sizeof(a->id) ||
		    tls_id_valid(a->id) != 0)
			fatalx("The agent id %s is not a valid certificate name.", a->id);
	}
	if (b->issue && bench_issue(b) != 0)
		goto out;

	/* Per-batch scratch: protobuf structs pointing into the pool of texts. */
	b->evs = calloc(WIRE_MAX_BATCH, sizeof(*b->evs));
	b->evp = calloc(WIRE_MAX_BATCH, sizeof(*b->evp));
	b->fields = calloc((size_t)WIRE_MAX_BATCH * BENCH_NFIELDS, sizeof(*b->fields));
	b->fieldp = calloc((size_t)WIRE_MAX_BATCH * BENCH_NFIELDS, sizeof(*b->fieldp));
	b->pool = calloc(BENCH_POOL, sizeof(*b->pool));
	if (b->evs == NULL || b->evp == NULL || b->fields == NULL || b->fieldp == NULL ||
	    b->pool == NULL)
		fatal("Cannot allocate the batch buffers");
	for (i = 0; i < WIRE_MAX_BATCH; i++) {
		static const char *const keys[BENCH_NFIELDS] = { "user", "src_ip", "src_port" };
		Vigil__V1__Event *ev = &b->evs[i];
		size_t k;

		vigil__v1__event__init(ev);
		ev->source = (char *)(uintptr_t)"/var/log/auth.log";
		ev->category = VIGIL__V1__CATEGORY__CATEGORY_AUTH;
		ev->rule = (char *)(uintptr_t)"sshd.failed_password";
		ev->n_fields = BENCH_NFIELDS;
		ev->fields = &b->fieldp[i * BENCH_NFIELDS];
		for (k = 0; k < BENCH_NFIELDS; k++) {
			Vigil__V1__Field *fl = &b->fields[i * BENCH_NFIELDS + k];

			vigil__v1__field__init(fl);
			fl->key = (char *)(uintptr_t)keys[k];
			b->fieldp[i * BENCH_NFIELDS + k] = fl;
		}
		b->evp[i] = ev;
	}
	bench_make_pool(b);
	/* One sample per batch; more batches than planned (a collector that limits
	 * batch size, resends after a reconnect) grow the array up to BENCH_MAX_SAMPLES. */
	b->latcap = b->nagents * (size_t)((b->nevents + b->batch - 1) / b->batch) + 1;
	if (b->latcap > BENCH_MAX_SAMPLES)
		b->latcap = BENCH_MAX_SAMPLES;
	if ((b->lat_us = calloc(b->latcap, sizeof(*b->lat_us))) == NULL)
		fatal("Cannot allocate the latency samples");

	/* The shared client context starts with agent 0's identity; each SSL replaces it. */
	snprintf(ca, sizeof(ca), "%s/ca.crt", b->pki);
	snprintf(cert0, sizeof(cert0), "%s/agents/%s.crt", b->pki, b->agents[0].id);
	snprintf(key0, sizeof(key0), "%s/agents/%s.key", b->pki, b->agents[0].id);
	memset(&topts, 0, sizeof(topts));
	topts.ca = ca;
	topts.cert = cert0;
	topts.key = key0;
	topts.groups = b->groups;
	if ((b->ctx = tls_client_ctx(&topts, err, sizeof(err))) == NULL) {
		log_warnx("Cannot set up TLS: %s", err);
		goto out;
	}

	if ((b->base = event_base_new()) == NULL)
		fatalx("Cannot create the event base.");
	b->timeout_ev = evtimer_new(b->base, on_timeout, b);
	b->heartbeat_ev = evtimer_new(b->base, on_heartbeat, b);
	b->usr1_ev = evsignal_new(b->base, SIGUSR1, on_usr1, b);
	b->more_ev = event_new(b->base, -1, 0, more_cb, b);
	if (b->timeout_ev == NULL || b->heartbeat_ev == NULL || b->usr1_ev == NULL ||
	    b->more_ev == NULL ||
	    evsignal_add(b->usr1_ev, NULL) != 0)
		fatalx("Cannot create the timers.");
	for (i = 0; i < b->nagents; i++)
		if ((b->agents[i].timer = evtimer_new(b->base, agent_timer_cb, &b->agents[i])) ==
		    NULL)
			fatalx("Cannot create the agents' timers.");
	bench_deadline(b);

	log_info("Connecting %zu agents to %s:%d, %zu at a time, from %zu source address(es).",
	    b->nagents, b->host, b->port, b->ramp, b->nsources);
	b->t_begin = now_ns();
	bench_connect_more(b);
	{
		/* Heartbeats start once the first Welcome told us the interval. */
		struct timeval tv = { 1, 0 };

		evtimer_add(b->heartbeat_ev, &tv);
	}
	event_base_dispatch(b->base);

	if (b->timed_out) {
		size_t st = 0, hs = 0, idle = 0;

		for (i = 0; i < b->nagents; i++) {
			st += b->agents[i].state == AG_STREAMING;
			hs += b->agents[i].state == AG_TCP || b->agents[i].state == AG_TLS ||
			    b->agents[i].state == AG_HELLO;
			idle += b->agents[i].state == AG_IDLE;
		}
		log_warnx("Timed out after %ld seconds in the %s phase: %zu agents welcomed, %zu done, "
		    "%zu streaming, %zu connecting, %zu waiting to retry, %zu failed, %" PRIu64
		    " events acknowledged.", b->timeout, b->phase == PH_CONNECT ? "connect" :
		    b->phase == PH_WAIT_LOSS ? "wait-for-the-stop" : "storm", b->welcomed, b->done,
		    st, hs, idle, b->failed, b->events_acked);
	}
	if (b->storm) {
		if (b->phase == PH_CONNECT)
			bench_report(b);
		else
			bench_report_storm(b);
		rc = !b->timed_out && b->phase == PH_STORM && b->back == b->nagents ? 0 : 1;
	} else {
		bench_report(b);
		rc = !b->timed_out && b->failed == 0 ? 0 : 1;
	}
out:
	if (b->agents != NULL)
		for (i = 0; i < b->nagents; i++) {
			agent_close(&b->agents[i]);
			if (b->agents[i].timer != NULL)
				event_free(b->agents[i].timer);
			X509_free(b->agents[i].cert);
			EVP_PKEY_free(b->agents[i].key);
		}
	if (b->timeout_ev != NULL)
		event_free(b->timeout_ev);
	if (b->heartbeat_ev != NULL)
		event_free(b->heartbeat_ev);
	if (b->usr1_ev != NULL)
		event_free(b->usr1_ev);
	if (b->more_ev != NULL)
		event_free(b->more_ev);
	if (b->base != NULL)
		event_base_free(b->base);
	SSL_CTX_free(b->ctx);
	free(b->agents);
	free(b->evs);
	free(b->evp);
	free(b->fields);
	free(b->fieldp);
	free(b->pool);
	free(b->lat_us);
	return rc;
}
