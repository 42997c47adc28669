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
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
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
#include <openssl/ssl.h>

#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/log.h"
#include "vigil/pki.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#define BENCH_MAX_AGENTS 10000
#define BENCH_MAX_WINDOW 64
#define BENCH_ID_MAX 64
#define BENCH_PATH_MAX 4096
#define BENCH_NFIELDS 3
#define BENCH_POOL 4096
#define BENCH_MAX_SAMPLES (64u * 1024 * 1024)

enum agent_state {
	AG_IDLE,          /* not connected yet */
	AG_HANDSHAKE,     /* TCP + TLS + Hello, waiting for Welcome */
	AG_READY,         /* welcomed, waiting for the start signal */
	AG_STREAMING,     /* sending events */
	AG_DONE,          /* every event acknowledged */
	AG_FAILED,
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
	uint64_t first_seq;   /* Welcome.stored_seq + 1 */
	uint64_t last_seq;    /* stored_seq + M */
	uint64_t next_seq;    /* next to send */
	uint64_t acked;       /* highest up_to_seq acknowledged */
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

	struct event_base *base;
	SSL_CTX *ctx;
	struct sockaddr_in addr;
	struct agent *agents;
	size_t next_connect;  /* agents[0..next_connect) have been started */
	size_t handshaking;
	size_t ready, done, failed;
	int started;
	size_t max_frame;
	unsigned heartbeat_sec;
	struct event *timeout_ev;
	struct event *heartbeat_ev;

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

static void agent_fail(struct agent *a, const char *why);
static void bench_maybe_finish(struct bench *b);
static void bench_connect_more(struct bench *b);

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
			agent_fail(a, "could not queue a batch");
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

static void
bench_start_streaming(struct bench *b)
{
	size_t i;

	b->started = 1;
	log_info("Streaming starts: %zu agents are welcomed, %zu failed.", b->ready, b->failed);
	for (i = 0; i < b->nagents; i++) {
		struct agent *a = &b->agents[i];

		if (a->state != AG_READY)
			continue;
		a->state = AG_STREAMING;
		if (a->first_seq > a->last_seq) {
			a->state = AG_DONE;
			b->done++;
			continue;
		}
		agent_pump(a);
	}
	bench_maybe_finish(b);
}

static void
agent_closed(struct agent *a)
{
	if (a->bev != NULL) {
		bufferevent_free(a->bev);
		a->bev = NULL;
	}
}

static void
agent_fail(struct agent *a, const char *why)
{
	struct bench *b = a->b;
	enum agent_state was = a->state;

	if (was == AG_FAILED || was == AG_DONE)
		return;
	log_warnx("Agent %s failed: %s.", a->id, why);
	a->state = AG_FAILED;
	b->failed++;
	agent_closed(a);
	if (was == AG_HANDSHAKE || was == AG_IDLE) {
		b->handshaking--;
		bench_connect_more(b);
	}
	bench_maybe_finish(b);
}

static void
on_welcome(struct agent *a, const Vigil__V1__Welcome *w)
{
	struct bench *b = a->b;

	if (a->state != AG_HANDSHAKE) {
		agent_fail(a, "a Welcome arrived out of turn");
		return;
	}
	a->first_seq = w->stored_seq + 1;
	a->last_seq = w->stored_seq + b->nevents;
	a->next_seq = a->first_seq;
	a->acked = w->stored_seq;
	if (w->max_batch > 0 && w->max_batch < b->batch) {
		log_info("The collector limits batches to %u events.", w->max_batch);
		b->batch = w->max_batch;
	}
	if (w->max_frame > 0 && w->max_frame < b->max_frame)
		b->max_frame = w->max_frame;
	if (w->heartbeat_sec > 0 && (b->heartbeat_sec == 0 || w->heartbeat_sec < b->heartbeat_sec))
		b->heartbeat_sec = w->heartbeat_sec;
	a->state = AG_READY;
	b->ready++;
	b->handshaking--;
	if (b->started) {
		a->state = AG_STREAMING;
		agent_pump(a);
	}
	bench_connect_more(b);
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
	if (a->acked >= a->last_seq) {
		a->state = AG_DONE;
		b->done++;
		bench_maybe_finish(b);
		return;
	}
	agent_pump(a);
}

static void
agent_readcb(struct bufferevent *bev, void *arg)
{
	struct agent *a = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (a->state != AG_FAILED) {
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
			snprintf(why, sizeof(why), "the collector sent Error %u: %s", f->error->code,
			    f->error->reason != NULL ? f->error->reason : "");
			agent_fail(a, why);
			break;
		default:
			break;
		}
		frame_free(f);
		if (a->state == AG_DONE || a->bev == NULL)
			return;
	}
}

static void
agent_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct agent *a = arg;
	char why[512], ebuf[256];

	if (what & BEV_EVENT_CONNECTED) {
		Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
		Vigil__V1__Hello h;
		evutil_socket_t fd = bufferevent_getfd(bev);
		int one = 1;

		vigil__v1__hello__init(&h);
		if (fd >= 0)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		h.proto_major = WIRE_PROTO_MAJOR;
		h.proto_minor = WIRE_PROTO_MINOR;
		h.agent_version = (char *)(uintptr_t)"vigil-bench";
		h.hostname = a->id;
		h.os = (char *)(uintptr_t)"Linux (benchmark)";
		h.unit = (char *)(uintptr_t)"bench";
		h.spool_high_seq = a->b->nevents;
		f.msg_case = VIGIL__V1__FRAME__MSG_HELLO;
		f.hello = &h;
		if (agent_send(a, &f) != 0)
			agent_fail(a, "could not queue Hello");
		return;
	}
	if (what & BEV_EVENT_EOF) {
		agent_fail(a, "the collector closed the connection");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(bev);

		/* libevent records SSL_ERROR_SYSCALL as a bare 5: a socket error. */
		if (e != 0 && ERR_GET_LIB(e) != 0 && ERR_GET_LIB(e) != ERR_LIB_SYS) {
			ERR_error_string_n(e, ebuf, sizeof(ebuf));
			snprintf(why, sizeof(why), "TLS error: %s", ebuf);
		} else if (EVUTIL_SOCKET_ERROR() != 0) {
			snprintf(why, sizeof(why), "socket error: %s",
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		} else {
			snprintf(why, sizeof(why), "connection error");
		}
		agent_fail(a, why);
	}
}

static int
agent_connect(struct agent *a)
{
	struct bench *b = a->b;
	char path[BENCH_PATH_MAX], kpath[BENCH_PATH_MAX];
	SSL *ssl;

	snprintf(path, sizeof(path), "%s/agents/%s.crt", b->pki, a->id);
	snprintf(kpath, sizeof(kpath), "%s/agents/%s.key", b->pki, a->id);
	if ((ssl = SSL_new(b->ctx)) == NULL)
		return VIGIL_ERR_NOMEM;
	/* One shared context; each connection carries its own agent's identity. */
	if (SSL_use_certificate_chain_file(ssl, path) != 1 ||
	    SSL_use_PrivateKey_file(ssl, kpath, SSL_FILETYPE_PEM) != 1 ||
	    SSL_check_private_key(ssl) != 1) {
		char ebuf[256];

		log_warnx("Agent %s: cannot load %s: %s.", a->id, path,
		    tls_errstr(ebuf, sizeof(ebuf)));
		SSL_free(ssl);
		return VIGIL_ERR_TLS;
	}
	a->bev = bufferevent_openssl_socket_new(b->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (a->bev == NULL)
		return VIGIL_ERR_NOMEM;     /* libevent frees ssl on this path (CLOSE_ON_FREE) */
	bufferevent_setcb(a->bev, agent_readcb, NULL, agent_eventcb, a);
	if (bufferevent_enable(a->bev, EV_READ | EV_WRITE) != 0)
		return VIGIL_ERR_SYS;
	a->state = AG_HANDSHAKE;
	if (bufferevent_socket_connect(a->bev, (struct sockaddr *)&b->addr,
	    sizeof(b->addr)) != 0)
		return VIGIL_ERR_SYS;
	return 0;
}

static void
bench_connect_more(struct bench *b)
{
	while (b->handshaking < b->ramp && b->next_connect < b->nagents) {
		struct agent *a = &b->agents[b->next_connect++];

		b->handshaking++;
		if (agent_connect(a) != 0)
			agent_fail(a, "could not start a connection");
	}
	if (!b->started && b->next_connect == b->nagents && b->handshaking == 0 &&
	    b->ready + b->failed == b->nagents)
		bench_start_streaming(b);
}

static void
bench_maybe_finish(struct bench *b)
{
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
			agent_fail(a, "could not queue a heartbeat");
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

static double
pct_ms(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

static void
bench_report(struct bench *b)
{
	double secs = b->t_last_ack > b->t_first_send ?
	    (double)(b->t_last_ack - b->t_first_send) / 1e9 : 0;

	qsort(b->lat_us, b->nlat, sizeof(b->lat_us[0]), cmp_u32);
	printf("agents:           %zu\n", b->nagents);
	printf("events per agent: %" PRIu64 "\n", b->nevents);
	printf("events acked:     %" PRIu64 "\n", b->events_acked);
	printf("batch, window:    %zu, %zu\n", b->batch, b->window);
	printf("seconds:          %.3f\n", secs);
	printf("events/s durable: %.0f\n", secs > 0 ? (double)b->events_acked / secs : 0.0);
	printf("ack latency ms:   p50 %.2f  p99 %.2f  max %.2f  (%zu batches)\n",
	    pct_ms(b->lat_us, b->nlat, 0.50), pct_ms(b->lat_us, b->nlat, 0.99),
	    b->nlat > 0 ? b->lat_us[b->nlat - 1] / 1000.0 : 0.0, b->nlat);
	printf("failed agents:    %zu\n", b->failed);
	fflush(stdout);
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
		log_info("Issued %zu agent certificates in %s.", made, b->pki);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vigil-bench --pki DIR --host ADDR --port PORT --agents N "
	    "--events M\n"
	    "\t[--batch B] [--window W] [--id-prefix P] [--timeout SECONDS] [--ramp R]\n"
	    "\t[--groups G] [--issue] [-v]\n");
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
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench bs, *b = &bs;
	struct tls_opts topts;
	char err[512], cert0[BENCH_PATH_MAX], key0[BENCH_PATH_MAX], ca[BENCH_PATH_MAX];
	struct timeval tv;
	int ch, verbose = 0, rc = 1;
	size_t i;

	memset(b, 0, sizeof(*b));
	b->host = "127.0.0.1";
	b->batch = 500;
	b->window = 4;
	b->prefix = "bench-";
	b->timeout = 300;
	b->ramp = 50;
	b->max_frame = FRAME_MAX_DEFAULT;
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
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (optind != argc || b->pki == NULL || b->port == 0 || b->nagents == 0)
		usage();
	log_init("vigil-bench", 1, verbose);

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
	 * batch size) grow the array up to BENCH_MAX_SAMPLES. */
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
	if (b->timeout_ev == NULL || b->heartbeat_ev == NULL)
		fatalx("Cannot create the timers.");
	tv.tv_sec = b->timeout;
	tv.tv_usec = 0;
	evtimer_add(b->timeout_ev, &tv);

	log_info("Connecting %zu agents to %s:%d, %zu at a time.", b->nagents, b->host, b->port,
	    b->ramp);
	bench_connect_more(b);
	if (b->done + b->failed < b->nagents) {
		/* Heartbeats start once the first Welcome told us the interval. */
		tv.tv_sec = 1;
		evtimer_add(b->heartbeat_ev, &tv);
		event_base_dispatch(b->base);
	}

	if (b->timed_out) {
		size_t hs = 0, st = 0;

		for (i = 0; i < b->nagents; i++) {
			hs += b->agents[i].state == AG_HANDSHAKE;
			st += b->agents[i].state == AG_STREAMING;
		}
		log_warnx("Timed out after %ld seconds: %zu agents done, %zu streaming, %zu in "
		    "handshake, %zu failed, %" PRIu64 " events acknowledged.", b->timeout, b->done,
		    st, hs, b->failed, b->events_acked);
		bench_report(b);
		goto out;
	}
	bench_report(b);
	rc = b->failed == 0 ? 0 : 1;
out:
	if (b->agents != NULL)
		for (i = 0; i < b->nagents; i++)
			agent_closed(&b->agents[i]);
	if (b->timeout_ev != NULL)
		event_free(b->timeout_ev);
	if (b->heartbeat_ev != NULL)
		event_free(b->heartbeat_ev);
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
