/*
 * smoke.c: do the Windows builds of the agent's libraries work, on Windows
 * (Wine), for what the agent does with them?
 *
 * Cross-compiled by t21_windows_smoke.sh against the libraries of
 * deploy/windows/build-deps.sh (static, mingw-w64) and run under Wine, one
 * check each, in the agent's own ways:
 *
 *   - SQLite: a spool-like file in WAL mode, a transaction committed, the rows
 *     seen by a second connection (the WAL index is shared memory: a file
 *     mapping on Windows); the test then reads the same file on Linux;
 *   - libevent: the win32 backend, a timer that fires no earlier than asked;
 *   - PCRE2: a rule-like pattern with named captures, JIT-compiled;
 *   - protobuf-c: a Frame with an EventBatch packed and unpacked (proto/vigil.proto);
 *   - OpenSSL: a SHA-256 known answer, RAND_bytes, and mutual TLS 1.3 over
 *     Winsock to a real vigil-collector, made as the agent's uplink makes it
 *     (a plain bufferevent connects, its socket moves to a bufferevent_openssl):
 *     Hello (4-byte big-endian length + Frame), Welcome, then Goodbye, which
 *     the collector answers by recording the machine off and closing.
 *
 * This program is not the agent: it links none of Vigil's own code (the
 * portable core is issue 10's), only the libraries, and it frames by hand.
 *
 * usage: smoke.exe DIR ADDRESS PORT CA CERT KEY
 *   DIR is a writable directory (a Windows path, e.g. Z:/tmp/x); CA, CERT and
 *   KEY are what `vigilctl pki issue` made. One line per check ("ok  ..."),
 *   exit 0 when all pass, 1 at the first failure, with the reason.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/util.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>

#include "vigil.pb-c.h"

#define FRAME_HDR 4
#define FRAME_MAX (1024 * 1024)
#define TIMER_MS 100
#define DEADLINE_S 30

/*
 * mingw-w64's printf archetype is msvcrt's, which knows no %zu; with
 * __USE_MINGW_ANSI_STDIO=1 (vigil-windows.pc) printf is mingw's C99 one, and
 * gnu_printf is the format to check against.
 */
#define PRINTF_LIKE(f, a) __attribute__((format(gnu_printf, f, a)))

static void fail(const char *fmt, ...) PRINTF_LIKE(1, 2) __attribute__((noreturn));

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("FAIL ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	exit(1);
}

static void ok(const char *fmt, ...) PRINTF_LIKE(1, 2);

static void
ok(const char *fmt, ...)
{
	va_list ap;

	fputs("ok  ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static const char *
ssl_err(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "no OpenSSL error recorded";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/* ------------------------------------------------------------------ SQLite */

static sqlite3_int64
sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3_int64 v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail("sqlite: %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail("sqlite: %s: no row: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
check_sqlite(const char *dir)
{
	char path[MAX_PATH], wal[MAX_PATH + 4], mode[16] = "";
	sqlite3 *db, *db2;
	sqlite3_stmt *st;
	char *err = NULL;

	snprintf(path, sizeof(path), "%s/spool.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		fail("sqlite: cannot open %s: %s", path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		fail("sqlite: PRAGMA journal_mode: %s", sqlite3_errmsg(db));
	snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (strcmp(mode, "wal") != 0)
		fail("sqlite: journal_mode is %s, not wal", mode);
	/* As the spool does: durable commits, several rows in one transaction. */
	if (sqlite3_exec(db,
	        "PRAGMA synchronous=FULL;"
	        "CREATE TABLE spool (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);"
	        "BEGIN IMMEDIATE;"
	        "INSERT INTO spool VALUES (1, x'0801'), (2, x'0802'), (3, 'Tối mật');"
	        "COMMIT;",
	        NULL, NULL, &err) != SQLITE_OK)
		fail("sqlite: the transaction failed: %s", err);
	/* The WAL file is there while a connection is open. */
	if (GetFileAttributesA(wal) == INVALID_FILE_ATTRIBUTES)
		fail("sqlite: no WAL file %s after a commit", wal);
	if (sqlite3_open_v2(path, &db2, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail("sqlite: a second connection cannot open %s: %s", path, sqlite3_errmsg(db2));
	if (sql_int(db2, "SELECT count(*) FROM spool") != 3)
		fail("sqlite: a second connection does not see the 3 committed rows");
	sqlite3_close(db2);
	sqlite3_close(db);
	ok("sqlite %s: WAL file, 3 rows committed and seen by a second connection",
	    sqlite3_libversion());
}

/* ------------------------------------------------------------------ PCRE2 */

static void
check_pcre2(void)
{
	static const char pattern[] =
	    "Failed password for (?:invalid user )?(?<user>\\S+) from (?<src_ip>[0-9.]+)";
	static const char line[] =
	    "Nov 25 10:00:01 pc sshd[1000]: Failed password for invalid user admin from "
	    "10.0.0.7 port 4242 ssh2";
	PCRE2_UCHAR version[32], user[64];
	PCRE2_SIZE erroff, ulen = sizeof(user);
	pcre2_match_data *md;
	pcre2_code *re;
	uint32_t jit_built = 0;
	int errcode, rc, jit;

	pcre2_config(PCRE2_CONFIG_VERSION, version);
	pcre2_config(PCRE2_CONFIG_JIT, &jit_built);
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &errcode,
	    &erroff, NULL);
	if (re == NULL)
		fail("pcre2: the pattern does not compile (error %d at %zu)", errcode,
		    (size_t)erroff);
	/*
	 * The agent's rules ask for JIT and fall back to the interpreter; here
	 * a JIT that fails is a failure, since it is what the agent will run.
	 */
	jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	if (!jit_built || jit != 0)
		fail("pcre2: JIT %s (pcre2_jit_compile returned %d)",
		    jit_built ? "is built but failed" : "is not built in", jit);
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)line, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
	if (rc < 0)
		fail("pcre2: the line does not match (%d)", rc);
	if (pcre2_substring_copy_byname(md, (PCRE2_SPTR) "user", user, &ulen) != 0 ||
	    strcmp((char *)user, "admin") != 0)
		fail("pcre2: the named capture user is not \"admin\"");
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	ok("pcre2 %s: JIT-compiled rule matched, user=%s", (char *)version, (char *)user);
}

/* -------------------------------------------------------------- protobuf-c */

static void
check_protobuf(void)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT, *back;
	Vigil__V1__EventBatch b = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__Event ev = VIGIL__V1__EVENT__INIT, *evs[1] = { &ev };
	Vigil__V1__Field fl = VIGIL__V1__FIELD__INIT, *fls[1] = { &fl };
	uint8_t buf[512];
	size_t n;

	ev.seq = 42;
	ev.time_us = 1764000000000000;
	ev.source = "security";
	ev.category = VIGIL__V1__CATEGORY__CATEGORY_AUTH;
	ev.severity = VIGIL__V1__SEVERITY__SEVERITY_MEDIUM;
	ev.rule = "win.logon.failed";
	ev.summary = "Đăng nhập thất bại";
	fl.key = "user";
	fl.value = "ketoan";
	ev.n_fields = 1;
	ev.fields = fls;
	b.n_events = 1;
	b.events = evs;
	f.msg_case = VIGIL__V1__FRAME__MSG_BATCH;
	f.batch = &b;
	if ((n = vigil__v1__frame__get_packed_size(&f)) > sizeof(buf))
		fail("protobuf-c: a one-event frame takes %zu bytes", n);
	vigil__v1__frame__pack(&f, buf);
	if ((back = vigil__v1__frame__unpack(NULL, n, buf)) == NULL)
		fail("protobuf-c: the packed frame does not unpack");
	if (back->msg_case != VIGIL__V1__FRAME__MSG_BATCH || back->batch->n_events != 1 ||
	    back->batch->events[0]->seq != 42 ||
	    strcmp(back->batch->events[0]->summary, ev.summary) != 0 ||
	    back->batch->events[0]->n_fields != 1 ||
	    strcmp(back->batch->events[0]->fields[0]->value, "ketoan") != 0)
		fail("protobuf-c: the frame came back different");
	vigil__v1__frame__free_unpacked(back, NULL);
	ok("protobuf-c %s: EventBatch frame of %zu bytes packed and unpacked", protobuf_c_version(),
	    n);
}

/* ----------------------------------------------------------------- OpenSSL */

static void
check_crypto(void)
{
	static const uint8_t abc_sha256[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	uint8_t md[EVP_MAX_MD_SIZE], r1[32], r2[32];
	unsigned int mdlen = 0;

	if (EVP_Digest("abc", 3, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32 ||
	    memcmp(md, abc_sha256, 32) != 0)
		fail("openssl: SHA-256(\"abc\") is wrong");
	if (RAND_bytes(r1, sizeof(r1)) != 1 || RAND_bytes(r2, sizeof(r2)) != 1 ||
	    memcmp(r1, r2, sizeof(r1)) == 0)
		fail("openssl: RAND_bytes failed: %s", ssl_err());
	ok("%s: SHA-256 known answer, RAND_bytes", OpenSSL_version(OPENSSL_VERSION));
}

/* ------------------------------------------------- the event loop and TLS */

enum link_state { LINK_TCP, LINK_TLS, LINK_HELLO_SENT, LINK_BYE_SENT, LINK_DONE };

struct smoke {
	struct event_base *base;
	SSL_CTX *ctx;
	const char *addr;
	struct bufferevent *bev;
	enum link_state state;
	struct timeval timer_set;
	int timer_fired;
	long timer_ms;
};

static void
finish_if_done(struct smoke *s)
{
	if (s->state == LINK_DONE && s->timer_fired)
		event_base_loopexit(s->base, NULL);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smoke *s = arg;
	struct timeval now, d;

	evutil_gettimeofday(&now, NULL);
	evutil_timersub(&now, &s->timer_set, &d);
	s->timer_ms = (long)(d.tv_sec * 1000 + d.tv_usec / 1000);
	/* A millisecond of slack: the clocks round differently. */
	if (s->timer_ms < TIMER_MS - 1)
		fail("libevent: a %d ms timer fired after %ld ms", TIMER_MS, s->timer_ms);
	s->timer_fired = 1;
	finish_if_done(s);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smoke *s = arg;

	fail("tls: the exchange with the collector did not finish within %d s (state %d)",
	    DEADLINE_S, (int)s->state);
}

static void
send_frame(struct smoke *s, const Vigil__V1__Frame *f)
{
	size_t n = vigil__v1__frame__get_packed_size(f);
	uint8_t hdr[FRAME_HDR], *body;

	if (n > FRAME_MAX || (body = malloc(n > 0 ? n : 1)) == NULL)
		fail("tls: cannot encode a frame of %zu bytes", n);
	vigil__v1__frame__pack(f, body);
	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
	if (bufferevent_write(s->bev, hdr, sizeof(hdr)) != 0 ||
	    bufferevent_write(s->bev, body, n) != 0)
		fail("tls: cannot queue a frame");
	free(body);
}

static void
send_hello(struct smoke *s)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Hello h = VIGIL__V1__HELLO__INIT;
	char host[MAX_COMPUTERNAME_LENGTH + 1] = "unknown";
	DWORD hostlen = sizeof(host);

	GetComputerNameA(host, &hostlen);
	h.proto_major = 1;
	h.proto_minor = 1;
	h.agent_version = "windows-smoke";
	h.hostname = host;
	h.os = sizeof(void *) == 8 ? "Windows x86_64 (smoke test)" : "Windows i686 (smoke test)";
	h.unit = "test-unit";
	h.spool_high_seq = 0;
	f.msg_case = VIGIL__V1__FRAME__MSG_HELLO;
	f.hello = &h;
	send_frame(s, &f);
}

static void
send_goodbye(struct smoke *s)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Goodbye g = VIGIL__V1__GOODBYE__INIT;
	struct timeval now;

	evutil_gettimeofday(&now, NULL);
	g.reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED;
	g.detail = "smoke test done";
	g.time_us = (int64_t)now.tv_sec * 1000000 + now.tv_usec;
	f.msg_case = VIGIL__V1__FRAME__MSG_GOODBYE;
	f.goodbye = &g;
	send_frame(s, &f);
}

static void
tls_read_cb(struct bufferevent *bev, void *arg)
{
	struct smoke *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[FRAME_HDR], *body;
	Vigil__V1__Frame *f;
	size_t n;

	if (evbuffer_get_length(in) < FRAME_HDR)
		return;
	evbuffer_copyout(in, hdr, sizeof(hdr));
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (n > FRAME_MAX)
		fail("tls: the collector announced a frame of %zu bytes", n);
	if (evbuffer_get_length(in) < FRAME_HDR + n)
		return;
	evbuffer_drain(in, FRAME_HDR);
	if ((body = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL && n > 0)
		fail("tls: cannot read a frame of %zu bytes", n);
	f = vigil__v1__frame__unpack(NULL, n, body);
	evbuffer_drain(in, n);
	if (f == NULL)
		fail("tls: the collector's frame does not decode");
	if (s->state != LINK_HELLO_SENT || f->msg_case != VIGIL__V1__FRAME__MSG_WELCOME)
		fail("tls: expected a Welcome, got frame kind %d in state %d", (int)f->msg_case,
		    (int)s->state);
	if (f->welcome->heartbeat_sec == 0 || f->welcome->max_frame == 0 ||
	    f->welcome->collector_version[0] == '\0')
		fail("tls: the Welcome lacks its heartbeat, frame limit or version");
	ok("tls: Welcome from collector %s: stored_seq %llu, heartbeat %u s, max_frame %u, "
	   "proto_minor %u",
	    f->welcome->collector_version, (unsigned long long)f->welcome->stored_seq,
	    f->welcome->heartbeat_sec, f->welcome->max_frame, f->welcome->proto_minor);
	if (f->welcome->proto_minor < 1)
		fail("tls: this collector does not take a Goodbye");
	vigil__v1__frame__free_unpacked(f, NULL);
	send_goodbye(s);
	s->state = LINK_BYE_SENT;
}

static void
tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smoke *s = arg;
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e;
	char tls[256];
	long vr;

	if (what & BEV_EVENT_CONNECTED) {
		if (SSL_version(ssl) != TLS1_3_VERSION)
			fail("tls: negotiated %s, not TLS 1.3", SSL_get_version(ssl));
		if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK ||
		    SSL_get0_peer_certificate(ssl) == NULL)
			fail("tls: the collector's certificate was not verified: %s",
			    X509_verify_cert_error_string(vr));
		ok("tls: mutual TLS 1.3 with the collector, %s, group %s, collector certificate "
		   "verified for %s",
		    SSL_get_cipher_name(ssl), SSL_group_to_name(ssl, SSL_get_negotiated_group(ssl)),
		    s->addr);
		send_hello(s);
		s->state = LINK_HELLO_SENT;
		return;
	}
	/* After our Goodbye the collector closes, with or without a TLS close. */
	if (s->state == LINK_BYE_SENT) {
		int heard = (what & BEV_EVENT_EOF) != 0;

		while ((e = bufferevent_get_openssl_error(bev)) != 0)
			if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
				heard = 1;
		if (!heard)
			fail("tls: the connection broke after the Goodbye (events 0x%x)", what);
		ok("tls: Goodbye sent; the collector closed the connection");
		bufferevent_free(bev);
		s->bev = NULL;
		s->state = LINK_DONE;
		finish_if_done(s);
		return;
	}
	if ((e = bufferevent_get_openssl_error(bev)) != 0) {
		ERR_error_string_n(e, tls, sizeof(tls));
		fail("tls: failed in state %d: %s (verify: %s)", (int)s->state, tls,
		    X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
	}
	fail("tls: the connection ended in state %d (events 0x%x, socket error %d)",
	    (int)s->state, what, EVUTIL_SOCKET_ERROR());
}

/* TCP is up: its socket moves to a TLS bufferevent, as in the agent's uplink. */
static void
tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smoke *s = arg;
	evutil_socket_t fd;
	SSL *ssl;

	if (!(what & BEV_EVENT_CONNECTED))
		fail("tcp: cannot connect to %s (events 0x%x, socket error %d: %s)", s->addr, what,
		    EVUTIL_SOCKET_ERROR(), evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	fd = bufferevent_getfd(bev);
	bufferevent_setfd(bev, -1);
	bufferevent_free(bev);
	if ((ssl = SSL_new(s->ctx)) == NULL)
		fail("tls: SSL_new: %s", ssl_err());
	/* The collector's certificate must name the address we dialled. */
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), s->addr) != 1)
		fail("tls: cannot check the collector's address %s", s->addr);
	s->bev = bufferevent_openssl_socket_new(s->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (s->bev == NULL)
		fail("tls: bufferevent_openssl_socket_new failed");
	bufferevent_openssl_set_allow_dirty_shutdown(s->bev, 1);
	bufferevent_setcb(s->bev, tls_read_cb, NULL, tls_event_cb, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	s->state = LINK_TLS;
}

static SSL_CTX *
client_ctx(const char *ca, const char *cert, const char *key)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fail("tls: SSL_CTX_new: %s", ssl_err());
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
		fail("tls: cannot restrict to TLS 1.3: %s", ssl_err());
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		fail("tls: cannot load the CA %s: %s", ca, ssl_err());
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		fail("tls: cannot load the certificate %s: %s", cert, ssl_err());
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		fail("tls: cannot load the key %s: %s", key, ssl_err());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* The groups an OpenSSL 3.0 agent offers (X25519MLKEM768 needs 3.5). */
	if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1)
		fail("tls: cannot set the key-exchange groups: %s", ssl_err());
	return ctx;
}

static void
check_loop_and_tls(const char *addr, const char *port, const char *ca, const char *cert,
    const char *key)
{
	struct timeval tv = { 0, TIMER_MS * 1000 }, dl = { DEADLINE_S, 0 };
	struct sockaddr_in sin;
	struct event *timer, *deadline;
	struct bufferevent *tcp;
	struct smoke s;
	EVP_PKEY *pk;
	FILE *fp;

	memset(&s, 0, sizeof(s));
	s.addr = addr;
	if ((s.base = event_base_new()) == NULL)
		fail("libevent: event_base_new failed");
	/* The agent's loop on Windows is the win32 (select) backend. */
	if (strcmp(event_base_get_method(s.base), "win32") != 0)
		fail("libevent: the backend is %s, not win32", event_base_get_method(s.base));
	s.ctx = client_ctx(ca, cert, key);
	/* `vigilctl pki issue` makes Ed25519 agent keys: this is one. */
	if ((fp = fopen(key, "r")) == NULL || (pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) ==
	    NULL)
		fail("tls: cannot read the key %s again", key);
	fclose(fp);
	if (EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519)
		fail("tls: the agent key is %s, not Ed25519", OBJ_nid2sn(EVP_PKEY_get_id(pk)));
	EVP_PKEY_free(pk);

	timer = evtimer_new(s.base, timer_cb, &s);
	deadline = evtimer_new(s.base, deadline_cb, &s);
	evutil_gettimeofday(&s.timer_set, NULL);
	evtimer_add(timer, &tv);
	evtimer_add(deadline, &dl);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(port));
	if (evutil_inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		fail("tcp: %s is not an IPv4 address", addr);
	if ((tcp = bufferevent_socket_new(s.base, -1, 0)) == NULL)
		fail("libevent: bufferevent_socket_new failed");
	bufferevent_setcb(tcp, NULL, NULL, tcp_event_cb, &s);
	if (bufferevent_socket_connect(tcp, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		fail("tcp: connect to %s:%s failed at once: %s", addr, port,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	if (event_base_dispatch(s.base) != 0 || s.state != LINK_DONE || !s.timer_fired)
		fail("libevent: the loop ended before the exchange and the timer were done");
	ok("libevent %s: %s backend, a %d ms timer fired after %ld ms beside the TLS exchange",
	    event_get_version(), event_base_get_method(s.base), TIMER_MS, s.timer_ms);
	event_free(timer);
	event_free(deadline);
	SSL_CTX_free(s.ctx);
	event_base_free(s.base);
}

int
main(int argc, char **argv)
{
	WSADATA wsa;

	/* Every line reaches the test even when the program dies right after. */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 7) {
		fprintf(stderr, "usage: smoke.exe DIR ADDRESS PORT CA CERT KEY\n");
		return 2;
	}
	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
		fail("winsock: WSAStartup failed");
	/*
	 * No openssl.cnf is read: on Windows its directory is a fixed path, and
	 * what configures the agent's TLS is its own code (the agent should do
	 * the same).
	 */
	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
		fail("openssl: OPENSSL_init_ssl failed");
	printf("smoke: %s, _WIN32_WINNT 0x%04x\n",
	    sizeof(void *) == 8 ? "x86_64" : "i686", (unsigned)_WIN32_WINNT);
	check_sqlite(argv[1]);
	check_pcre2();
	check_protobuf();
	check_crypto();
	check_loop_and_tls(argv[2], argv[3], argv[4], argv[5], argv[6]);
	WSACleanup();
	printf("smoke: all checks passed\n");
	return 0;
}
