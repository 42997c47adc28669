/*
 * Who a session is, beyond its certificate's name (issue 15): the unit its
 * certificate carries (an id; the name is looked up here, so a renamed unit
 * is reported under its new name and the PC's configuration has no say),
 * and whether the agent is barred (revoked or retired), checked at every
 * handshake against the store, so a revocation holds across restarts. A
 * revocation also closes the agent's live sessions at once
 * (session_close_agent(), called by the control server beside the
 * pipeline: nothing behind the session calls it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>
#include <protobuf-c/protobuf-c.h>

#include "vigil/enroll.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/wire.h"

#include "collector.h"
#include "enroll.h"
#include "pki_rotate.h"
#include "session.h"
#include "session_int.h"
#include "store_enroll.h"

int
session_identity(struct session *s, SSL *ssl)
{
	struct collector *c = s->c;
	X509 *peer = SSL_get0_peer_certificate(ssl);
	char why[512], esc[sizeof(why) * 4];
	int64_t unit;
	int rc;

	s->unit_id = 0;
	rc = enroll_cert_unit(peer, &unit);
	if (rc == 0)
		s->unit_id = unit;
	else if (rc != VIGIL_ERR_NOTFOUND) {
		log_warnx("TLS peer %s: closing: agent %s's certificate names its unit wrongly.",
		    s->addr, s->agent);
		return -1;
	}
	rc = store_agent_barred(c->store, s->agent, why, sizeof(why));
	if (rc == 0)
		return 0;
	c->counters.agents_barred++;
	if (rc < 0) {
		log_warnx("Agent %s from %s: closing: whether it is revoked cannot be read: %s.",
		    s->agent, s->addr, store_errmsg(c->store));
		return -1;
	}
	text_escape(esc, sizeof(esc), why, strlen(why));
	if (rc == 1)
		log_warnx("Agent %s from %s refused: its certificate is revoked (%s).", s->agent,
		    s->addr, esc);
	else
		log_warnx("Agent %s from %s refused: it is retired.", s->agent, s->addr);
	return -1;
}

void
session_hello_unit(struct session *s, Vigil__V1__Hello *h)
{
	char name[STORE_UNIT_MAX];
	char *dup;

	if (s->unit_id == 0)
		return;
	if (store_unit_name(s->c->store, s->unit_id, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "unit-%lld", (long long)s->unit_id);
	if ((dup = strdup(name)) == NULL)
		return;
	/* The frame is protobuf-c's, freed with the system allocator; "" is its shared constant. */
	if (h->unit != NULL && h->unit != protobuf_c_empty_string)
		free(h->unit);
	h->unit = dup;
}

/* One renewal a minute per session: each costs a signature and an audit record. */
#define RENEW_MIN_INTERVAL_US (60LL * 1000000)

int
session_renew(struct session *s, const char *csr_pem)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__RenewResult r;
	char err[WIRE_MAX_REASON];
	char *cert = NULL;
	int64_t now = clock_now_us();
	int rc;

	vigil__v1__renew_result__init(&r);
	if (s->renewed_us != 0 && now - s->renewed_us < RENEW_MIN_INTERVAL_US) {
		s->c->counters.renewals_refused++;
		r.status = VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_FAILED;
		r.reason = (char *)(uintptr_t)"a renewal was asked less than a minute ago";
	} else {
		s->renewed_us = now;
		rc = enroll_renew(s->c, s->agent, s->unit_id, csr_pem, &cert, err, sizeof(err));
		if (rc == 0) {
			r.status = VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_OK;
			r.cert_pem = cert;
		} else {
			r.status = rc == VIGIL_ERR_INVAL ?
			    VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_BAD_REQUEST :
			    VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_FAILED;
			r.reason = err;
		}
	}
	f.msg_case = VIGIL__V1__FRAME__MSG_RENEW_RESULT;
	f.renew_result = &r;
	rc = session_send(s, &f);
	free(cert);
	if (rc != 0) {
		log_warnx("agent %s from %s: closing: cannot send its renewed certificate", s->agent,
		    s->addr);
		session_free(s);
		return -1;
	}
	return 0;
}

int
session_clone_check(struct session *s, const Vigil__V1__Hello *h)
{
	struct collector *c = s->c;
	struct session *o;
	struct session_news n;
	char facts[512];

	snprintf(s->machine_id, sizeof(s->machine_id), "%s", h->machine_id);
	text_escape(s->host, sizeof(s->host), h->hostname, strlen(h->hostname));
	if (s->machine_id[0] == '\0')
		return 0;
	TAILQ_FOREACH(o, &c->sessions->all, entry) {
		if (o == s || o->state != SS_RUNNING || strcmp(o->agent, s->agent) != 0 ||
		    o->machine_id[0] == '\0' || strcmp(o->machine_id, s->machine_id) == 0)
			continue;
		/*
		 * Another machine holds this identity's live session. Replacing it
		 * would let the two take turns (the flapping of a copied key);
		 * the established one stays and the newcomer is told why.
		 */
		c->counters.identity_clones++;
		snprintf(facts, sizeof(facts), "kept: host %s at %s, machine %.12s; refused: host %s at "
		    "%s, machine %.12s", o->host, o->addr, o->machine_id, s->host, s->addr,
		    s->machine_id);
		memset(&n, 0, sizeof(n));
		n.kind = NEWS_IDENTITY_CLONE;
		n.agent = s->agent;
		n.why = facts;
		n.recv_us = clock_now_us();
		c->forward(c->forward_arg, &n);
		session_protocol_error(s, VIGIL_ERR_TLS, "the identity %s is connected from another "
		    "machine; this machine must be enrolled as a new one (vigilctl agent "
		    "reenroll-newcomer %s)", s->agent, s->agent);
		return -1;
	}
	return 0;
}

size_t
session_close_agent(struct collector *c, const char *agent, const char *why)
{
	struct session *o, *next;
	size_t n = 0;

	if (c->sessions == NULL)
		return 0;
	TAILQ_FOREACH_SAFE(o, &c->sessions->all, entry, next) {
		if (strcmp(o->agent, agent) != 0 || o->state == SS_CLOSING ||
		    o->state == SS_QUEUED || o->state == SS_HANDSHAKE)
			continue;
		c->counters.sessions_revoked++;
		session_protocol_error(o, VIGIL_ERR_TLS, "%s", why);
		n++;
	}
	return n;
}

size_t
session_push_bundle(struct collector *c, const char *bundle_pem)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__CaBundle b;
	struct session *o, *next;
	size_t n = 0;

	if (c->sessions == NULL)
		return 0;
	vigil__v1__ca_bundle__init(&b);
	b.ca_bundle_pem = (char *)(uintptr_t)bundle_pem;
	f.msg_case = VIGIL__V1__FRAME__MSG_CA_BUNDLE;
	f.ca_bundle = &b;
	TAILQ_FOREACH_SAFE(o, &c->sessions->all, entry, next) {
		if (o->state != SS_RUNNING || o->peer_minor < WIRE_MINOR_CA_BUNDLE)
			continue;
		if (session_send(o, &f) != 0) {
			log_warnx("agent %s from %s: the new CA bundle cannot be sent; it gets it at "
			    "its next connection.", o->agent, o->addr);
			continue;
		}
		pki_rotate_welcome(c, o->agent, SSL_get0_peer_certificate(
		    bufferevent_openssl_get_ssl(o->bev)), 1);
		n++;
	}
	return n;
}
