/*
 * The enrolment listener (enroll.h). A PC with a token connects to
 * enroll_port over TLS 1.3; we show our certificate and the CA's (the PC
 * checks them against the fingerprint in its token) and ask for none. It
 * sends one EnrollRequest (the token's secret, a certificate request for a
 * key it made itself, a host name as a label, its machine id, its clock); we
 * answer one EnrollResult and close.
 *
 * Why a listener of its own rather than a message on the agents' port: that
 * port refuses any connection without a client certificate at the TLS layer
 * (SSL_VERIFY_FAIL_IF_NO_PEER_CERT), which is the agents' first defence;
 * loosening it for enrolment would put every session behind a check in code.
 * Here nothing is trusted but the token, the request is small and bounded
 * (ENROLL_FRAME_MAX), the work is one signature, and connections are few and
 * short (ENROLL_MAX_CONNS, ENROLL_TIMEOUT_SEC; both limits are counted).
 *
 * Every answer is audited: an enrolment with its identity, unit, token and
 * machine; a refusal with its reason.
 */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#include "collector.h"
#include "enroll.h"
#include "pki_rotate.h"
#include "session.h"
#include "store_enroll.h"

#define ENROLL_MAX_CONNS 32
#define ENROLL_TIMEOUT_SEC 10
#define ENROLL_FRAME_MAX (16 * 1024)
#define ENROLL_RESULT_MAX (32 * 1024)
#define ENROLL_ID_TRIES 8

struct enroll_conn {
	TAILQ_ENTRY(enroll_conn) entry;
	struct enroll_srv *srv;
	struct bufferevent *bev;
	int done;                          /* our answer is queued: close once it drains */
	char addr[COLLECTOR_ADDR_MAX];
};

TAILQ_HEAD(enroll_conns, enroll_conn);

struct enroll_srv {
	struct collector *c;
	SSL_CTX *ctx;
	struct evconnlistener *listener;
	struct enroll_ca *ca;
	struct enroll_conns conns;
	size_t nconns;
};

static void
conn_free(struct enroll_conn *ec)
{
	TAILQ_REMOVE(&ec->srv->conns, ec, entry);
	ec->srv->nconns--;
	bufferevent_free(ec->bev);
	free(ec);
}

void
enroll_agent_id(const char *hostname, char *id, size_t cap)
{
	unsigned char r[3];
	char label[41];
	size_t n = 0;

	/* The host name's first label, cut to what an id allows; "pc" when nothing is left. */
	for (const char *p = hostname; p != NULL && *p != '\0' && *p != '.' &&
	     n < sizeof(label) - 1; p++) {
		char ch = *p;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			label[n++] = ch;
		else if ((ch == '-' || ch == '_') && n > 0)
			label[n++] = '-';
	}
	while (n > 0 && label[n - 1] == '-')
		n--;
	label[n] = '\0';
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	snprintf(id, cap, "%s-%02x%02x%02x", n > 0 ? label : "pc", r[0], r[1], r[2]);
}

static void
audit(struct enroll_srv *srv, int64_t now, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
audit(struct enroll_srv *srv, int64_t now, const char *action, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (store_audit_append(srv->c->store, &(struct store_audit_entry){ now, "enrolment", 0,
	    action, detail }) != 0)
		log_warnx("The audit record of an enrolment (%s: %s) cannot be written: %s.",
		    action, detail, store_errmsg(srv->c->store));
}

static const char *
token_words(enum store_token_state st)
{
	switch (st) {
	case TOKEN_EXPIRED:
		return "This token has expired: ask the IT officer for a new one.";
	case TOKEN_USED:
		return "This token has been used already (as many times as it allows): ask the "
		    "IT officer for a new one.";
	case TOKEN_CANCELLED:
		return "This token was cancelled by the IT officer.";
	case TOKEN_UNKNOWN:
		return "This collector does not know this token: it was never made here, or it "
		    "was copied wrong.";
	case TOKEN_OK:
		break;
	}
	return "";
}

static Vigil__V1__EnrollStatus
token_status(enum store_token_state st)
{
	switch (st) {
	case TOKEN_EXPIRED:
		return VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_EXPIRED;
	case TOKEN_USED:
		return VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_USED;
	case TOKEN_CANCELLED:
		return VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_CANCELLED;
	default:
		return VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_UNKNOWN_TOKEN;
	}
}

static int
barred(void *arg, const char *agent, char *why, size_t whylen)
{
	struct collector *c = arg;

	return store_agent_barred(c->store, agent, why, whylen);
}

/*
 * A new certificate for agent, issued at now_us: its identity's end date
 * follows (vigilctl agents shows it). A `pki issue` agent has no identity
 * here, and nothing to follow.
 */
static void
identity_extended(struct collector *c, const char *agent, int64_t now_us)
{
	int rc = store_identity_renewed(c->store, agent, now_us +
	    c->conf.collector.agent_cert_lifetime * 1000);

	if (rc != 0 && rc != VIGIL_ERR_NOTFOUND)
		log_warnx("The new end date of agent %s's certificate cannot be recorded: %s.",
		    agent, store_errmsg(c->store));
}

/*
 * A re-enrolment (enroll_grace.c): no token, the old certificate and a
 * request by its key; the same identity and unit again. Into r as handle().
 */
static void
regrant(struct enroll_conn *ec, const Vigil__V1__EnrollRequest *q, Vigil__V1__EnrollResult *r,
    char *reason, size_t reasonlen, char *agent, size_t agentlen, char *unit, size_t unitlen,
    char **cert)
{
	struct enroll_srv *srv = ec->srv;
	struct collector *c = srv->c;
	const struct collector_conf *cc = &c->conf.collector;
	struct enroll_grace g;
	enum grace_verdict v;
	int64_t now = clock_now_us();
	char err[512];

	r->time_us = now;
	if (cc->renew_grace == 0) {
		v = GRACE_PAST;
		snprintf(reason, reasonlen, "Re-enrolment without a token is off on this "
		    "collector (renew_grace = 0): enrol again with a new token (vigilctl enroll "
		    "create).");
		memset(&g, 0, sizeof(g));
	} else
		v = enroll_grace_check(srv->ca, q->old_cert_pem, q->csr_pem, now, cc->renew_grace,
		    barred, c, &g, reason, reasonlen);
	if (v == GRACE_OK && enroll_ca_sign(srv->ca, q->csr_pem, g.agent, g.unit, now,
	    cc->agent_cert_lifetime * 1000, cert, err, sizeof(err)) != 0) {
		v = GRACE_FAILED;
		snprintf(reason, reasonlen, "%s", err);
	}
	if (v != GRACE_OK) {
		r->status = v == GRACE_FAILED ? VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_FAILED :
		    VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_BAD_REQUEST;
		r->reason = reason;
		c->counters.reenrolments_refused++;
		log_warnx("Re-enrolment of %s from %s refused: %s", g.agent[0] != '\0' ? g.agent :
		    "an unknown agent", ec->addr, reason);
		audit(srv, now, "re-enrol-refused", "agent %s from %s: %s", g.agent[0] != '\0' ?
		    g.agent : "-", ec->addr, reason);
		return;
	}
	if (g.unit == 0 || store_unit_name(c->store, g.unit, unit, unitlen) != 0)
		snprintf(unit, unitlen, "unit %lld", (long long)g.unit);
	r->status = VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_OK;
	snprintf(agent, agentlen, "%s", g.agent);
	r->agent_id = agent;
	r->unit = unit;
	r->cert_pem = *cert;
	r->ca_pem = srv->ca->ca_pem;
	c->counters.reenrolments++;
	identity_extended(c, g.agent, now);
	log_info("Re-enrolled %s (unit %s) from %s with its old key; its certificate had "
	    "expired %lld s before.", g.agent, unit, ec->addr,
	    (long long)((now - g.not_after_us) / 1000000));
	audit(srv, now, "re-enrol", "re-enrolment: agent %s, unit %s (id %lld), old certificate "
	    "expired %lld s before, from %s", g.agent, unit, (long long)g.unit,
	    (long long)((now - g.not_after_us) / 1000000), ec->addr);
}

/* The answer to one request, into r (strings malloc'd where noted: *cert). */
static void
handle(struct enroll_conn *ec, const Vigil__V1__EnrollRequest *q, Vigil__V1__EnrollResult *r,
    char *reason, size_t reasonlen, char *agent, size_t agentlen, char *unit, size_t unitlen,
    char **cert)
{
	struct enroll_srv *srv = ec->srv;
	struct collector *c = srv->c;
	const struct collector_conf *cc = &c->conf.collector;
	int64_t now = clock_now_us(), skew, token_id = 0, unit_id = 0;
	enum store_token_state st;
	char hash[ENROLL_HASH_HEX], host[WIRE_MAX_HOSTNAME * 4 + 1], err[512];
	int rc = -1;

	text_escape(host, sizeof(host), q->hostname, strlen(q->hostname));
	r->time_us = now;
	skew = q->time_us - now;
	if (enroll_secret_hash(q->token, hash) != 0) {
		r->status = VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_FAILED;
		snprintf(reason, reasonlen, "The collector cannot hash the token.");
		goto refused;
	}
	if (store_token_use(c->store, hash, now, &st, &token_id, &unit_id) != 0) {
		r->status = VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_FAILED;
		snprintf(reason, reasonlen, "The collector cannot read its tokens; try again later.");
		log_warnx("Enrolment from %s: the tokens cannot be read: %s.", ec->addr,
		    store_errmsg(c->store));
		goto refused;
	}
	if (st != TOKEN_OK) {
		r->status = token_status(st);
		snprintf(reason, reasonlen, "%s", token_words(st));
		goto refused;
	}
	/* After the token (an unknown one learns nothing), before a use is spent. */
	if (q->time_us > 0 && (skew > cc->enroll_clock_max * 1000 ||
	    -skew > cc->enroll_clock_max * 1000)) {
		r->status = VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_CLOCK_SKEW;
		snprintf(reason, reasonlen, "clock skew: this PC's clock is %lld minutes %s the "
		    "collector's", (long long)(((skew < 0 ? -skew : skew) + 30000000) / 60000000),
		    skew < 0 ? "behind" : "ahead of");
		store_token_unuse(c->store, token_id);
		goto refused;
	}
	if (store_unit_name(c->store, unit_id, unit, unitlen) != 0)
		snprintf(unit, unitlen, "unit %lld", (long long)unit_id);
	for (int i = 0; i < ENROLL_ID_TRIES; i++) {
		enroll_agent_id(q->hostname, agent, agentlen);
		if ((rc = store_identity_add(c->store, agent, unit_id, token_id, q->hostname,
		    q->machine_id, now + cc->agent_cert_lifetime * 1000, now)) != VIGIL_ERR_INVAL)
			break;
	}
	if (rc == 0 && (rc = enroll_ca_sign(srv->ca, q->csr_pem, agent, unit_id, now,
	    cc->agent_cert_lifetime * 1000, cert, err, sizeof(err))) != 0) {
		r->status = rc == VIGIL_ERR_INVAL ? VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_BAD_REQUEST :
		    VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_FAILED;
		snprintf(reason, reasonlen, "%s", err);
		store_agent_bar(c->store, agent, "never issued: the request was refused", now);
		store_token_unuse(c->store, token_id);
		goto refused;
	}
	if (rc != 0) {
		r->status = VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_FAILED;
		snprintf(reason, reasonlen, "The collector cannot record the new identity; try "
		    "again later.");
		log_warnx("Enrolment from %s: the identity cannot be recorded: %s.", ec->addr,
		    store_errmsg(c->store));
		store_token_unuse(c->store, token_id);
		goto refused;
	}
	r->status = VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_OK;
	r->agent_id = agent;
	r->unit = unit;
	r->cert_pem = *cert;
	r->ca_pem = srv->ca->ca_pem;
	c->counters.enrolments++;
	pki_rotate_issued(c, agent);
	log_info("Enrolled %s (host %s, unit %s) from %s with token %lld.", agent, host, unit,
	    ec->addr, (long long)token_id);
	audit(srv, now, "enrol", "agent %s, host %s, unit %s (id %lld), token %lld, machine %.16s, "
	    "from %s", agent, host, unit, (long long)unit_id, (long long)token_id,
	    q->machine_id, ec->addr);
	return;
refused:
	/* The agent has its own words for a token's state; a reason adds to the others. */
	if (r->status != VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_EXPIRED &&
	    r->status != VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_USED &&
	    r->status != VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_CANCELLED &&
	    r->status != VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_UNKNOWN_TOKEN)
		r->reason = reason;
	c->counters.enrolments_refused++;
	log_warnx("Enrolment of host %s from %s refused: %s", host, ec->addr, reason);
	audit(srv, now, "enrol-refused", "host %s from %s, token %lld: %s", host, ec->addr,
	    (long long)token_id, reason);
}

static void
answer(struct enroll_conn *ec, const Vigil__V1__Frame *req)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__EnrollResult r;
	char reason[WIRE_MAX_REASON], agent[COLLECTOR_ID_MAX] = "", unit[STORE_UNIT_MAX] = "";
	char *cert = NULL;
	uint8_t *buf = NULL;
	size_t len;

	vigil__v1__enroll_result__init(&r);
	reason[0] = '\0';
	if (req->enroll_request->old_cert_pem[0] != '\0')
		regrant(ec, req->enroll_request, &r, reason, sizeof(reason), agent, sizeof(agent),
		    unit, sizeof(unit), &cert);
	else
		handle(ec, req->enroll_request, &r, reason, sizeof(reason), agent, sizeof(agent),
		    unit, sizeof(unit), &cert);
	f.msg_case = VIGIL__V1__FRAME__MSG_ENROLL_RESULT;
	f.enroll_result = &r;
	if (frame_encode(&f, ENROLL_RESULT_MAX, &buf, &len) == 0)
		bufferevent_write(ec->bev, buf, len);
	free(buf);
	free(cert);
}

static void conn_event(struct bufferevent *bev, short what, void *arg);

static void
conn_drained(struct bufferevent *bev, void *arg)
{
	struct enroll_conn *ec = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(ec);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct enroll_conn *ec = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t avail = evbuffer_get_length(in), used = 0;
	Vigil__V1__Frame *f = NULL;
	char why[256];
	uint8_t *p;
	int rc;

	if (ec->done)
		return;
	if (avail < FRAME_HDR_LEN || (p = evbuffer_pullup(in, (ssize_t)avail)) == NULL)
		return;
	rc = frame_parse(p, avail, ENROLL_FRAME_MAX, &f, &used);
	if (rc == VIGIL_ERR_TRUNCATED)
		return;
	if (rc == 0 && wire_validate(f, why, sizeof(why)) != 0)
		rc = VIGIL_ERR_INVAL;
	else if (rc == 0 && f->msg_case != VIGIL__V1__FRAME__MSG_ENROLL_REQUEST) {
		snprintf(why, sizeof(why), "a message of kind %d, not an enrolment request",
		    (int)f->msg_case);
		rc = VIGIL_ERR_PROTO;
	} else if (rc != 0)
		snprintf(why, sizeof(why), "%s", vigil_strerror(rc));
	if (rc != 0) {
		log_warnx("Enrolment connection from %s: closing: %s.", ec->addr, why);
		ec->srv->c->counters.frames_bad++;
		frame_free(f);
		conn_free(ec);
		return;
	}
	evbuffer_drain(in, used);
	ec->done = 1;
	answer(ec, f);
	frame_free(f);
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, conn_drained, conn_event, ec);
	conn_drained(bev, ec);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct enroll_conn *ec = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		log_warnx("Enrolment connection from %s: closing: timed out.", ec->addr);
	else if ((what & BEV_EVENT_ERROR) && !ec->done)
		log_info("Enrolment connection from %s closed: %s.", ec->addr,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	conn_free(ec);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct enroll_srv *srv = arg;
	struct timeval tv = { ENROLL_TIMEOUT_SEC, 0 };
	struct enroll_conn *ec;
	SSL *ssl;

	(void)l;
	(void)salen;
	if (srv->nconns >= ENROLL_MAX_CONNS) {
		srv->c->counters.enroll_connections_refused++;
		evutil_closesocket(fd);
		return;
	}
	if ((ec = calloc(1, sizeof(*ec))) == NULL || (ssl = SSL_new(srv->ctx)) == NULL) {
		free(ec);
		evutil_closesocket(fd);
		return;
	}
	session_addr_str(sa, ec->addr, sizeof(ec->addr));
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	ec->bev = bufferevent_openssl_socket_new(srv->c->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
	if (ec->bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		free(ec);
		return;
	}
	ec->srv = srv;
	TAILQ_INSERT_TAIL(&srv->conns, ec, entry);
	srv->nconns++;
	bufferevent_openssl_set_allow_dirty_shutdown(ec->bev, 1);
	bufferevent_setwatermark(ec->bev, EV_READ, 0, ENROLL_FRAME_MAX + FRAME_HDR_LEN);
	bufferevent_set_timeouts(ec->bev, &tv, &tv);
	bufferevent_setcb(ec->bev, conn_read, NULL, conn_event, ec);
	bufferevent_enable(ec->bev, EV_READ | EV_WRITE);
}

/* The enrolment port's TLS: our certificate and the chain to the signing CA. */
static SSL_CTX *
enroll_tls(struct collector *c, char *err, size_t errlen)
{
	const struct collector_conf *cc = &c->conf.collector;
	struct tls_opts topts = { cc->ca, cc->cert, cc->key, cc->groups };
	SSL_CTX *ctx;

	if ((ctx = tls_server_ctx(&topts, err, errlen)) == NULL)
		return NULL;
	/* No client certificate: the token is the credential. Our chain includes the CA. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_add1_chain_cert(ctx, c->enroll->ca->ca) != 1) {
		SSL_CTX_free(ctx);
		err_fmt(err, errlen, -1, "cannot add the CA to the enrolment chain");
		return NULL;
	}
	return ctx;
}

int
enroll_open(struct collector *c, char *err, size_t errlen)
{
	const struct collector_conf *cc = &c->conf.collector;
	struct addrinfo hints, *res;
	struct enroll_srv *srv;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char port[16], addr[COLLECTOR_ADDR_MAX];
	int rc;

	if (cc->enroll_port == 0 && cc->ca_key[0] == '\0')
		return 0;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return err_fmt(err, errlen, -1, "out of memory");
	srv->c = c;
	TAILQ_INIT(&srv->conns);
	c->enroll = srv;
	if ((srv->ca = enroll_ca_load(cc->ca, cc->ca_key, err, errlen)) == NULL)
		return -1;
	/* Renewal needs only the CA; enrolment also the port. */
	if (cc->enroll_port == 0)
		return 0;
	if ((srv->ctx = enroll_tls(c, err, errlen)) == NULL)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%lld", cc->enroll_port);
	if ((rc = getaddrinfo(cc->listen, port, &hints, &res)) != 0)
		return err_fmt(err, errlen, -1, "cannot resolve %s: %s", cc->listen,
		    gai_strerror(rc));
	srv->listener = evconnlistener_new_bind(c->base, on_accept, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 16, res->ai_addr,
	    (int)res->ai_addrlen);
	freeaddrinfo(res);
	if (srv->listener == NULL)
		return err_fmt(err, errlen, -1, "cannot listen on %s port %lld", cc->listen,
		    cc->enroll_port);
	if (getsockname(evconnlistener_get_fd(srv->listener), (struct sockaddr *)&ss,
	    &sslen) == 0) {
		session_addr_str((struct sockaddr *)&ss, addr, sizeof(addr));
		log_info("Enrolment is served on %s.", addr);
	}
	return 0;
}

int
enroll_renew(struct collector *c, const char *agent, int64_t unit, const char *csr,
    char **cert, char *err, size_t errlen)
{
	struct enroll_srv *srv = c->enroll;
	int64_t now = clock_now_us();
	char detail[256];
	int rc;

	*cert = NULL;
	if (srv == NULL || srv->ca == NULL) {
		c->counters.renewals_refused++;
		return err_fmt(err, errlen, VIGIL_ERR_NOTFOUND, "renewal is off on this collector "
		    "(it has no ca_key)");
	}
	rc = enroll_ca_sign(srv->ca, csr, agent, unit, now,
	    c->conf.collector.agent_cert_lifetime * 1000, cert, err, errlen);
	if (rc != 0) {
		c->counters.renewals_refused++;
		log_warnx("The certificate of agent %s cannot be renewed: %s", agent, err);
		return rc;
	}
	c->counters.renewals++;
	identity_extended(c, agent, now);
	pki_rotate_issued(c, agent);
	snprintf(detail, sizeof(detail), "agent %s, unit id %lld, valid %lld s", agent,
	    (long long)unit, c->conf.collector.agent_cert_lifetime / 1000);
	if (store_audit_append(c->store, &(struct store_audit_entry){ now, "enrolment", 0,
	    "renew", detail }) != 0)
		log_warnx("The audit record of a renewal (%s) cannot be written: %s.", detail,
		    store_errmsg(c->store));
	log_info("Renewed the certificate of agent %s.", agent);
	return 0;
}

struct enroll_ca *
enroll_signer(const struct collector *c)
{
	return c->enroll != NULL ? c->enroll->ca : NULL;
}

struct enroll_ca *
enroll_set_signer(struct collector *c, struct enroll_ca *ca)
{
	struct enroll_ca *old = c->enroll->ca;

	c->enroll->ca = ca;
	return old;
}

int
enroll_reload_tls(struct collector *c, char *err, size_t errlen)
{
	struct enroll_srv *srv = c->enroll;
	SSL_CTX *ctx;

	if (srv == NULL || srv->ctx == NULL)
		return 0;
	if ((ctx = enroll_tls(c, err, errlen)) == NULL)
		return -1;
	/* Connections in flight hold their own reference to the old context. */
	SSL_CTX_free(srv->ctx);
	srv->ctx = ctx;
	return 0;
}

void
enroll_free(struct collector *c)
{
	struct enroll_srv *srv = c->enroll;
	struct enroll_conn *ec;

	if (srv == NULL)
		return;
	while ((ec = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_free(ec);
	if (srv->listener != NULL)
		evconnlistener_free(srv->listener);
	if (srv->ctx != NULL)
		SSL_CTX_free(srv->ctx);
	enroll_ca_free(srv->ca);
	free(srv);
	c->enroll = NULL;
}
