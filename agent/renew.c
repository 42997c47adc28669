/*
 * Certificate renewal over the live session (issue 15). After each Welcome
 * the agent knows the collector's time; its certificate is renewed at two
 * thirds of its lifetime by THAT clock, never the PC's own (a PC with a dead
 * clock battery thinks it is 2000, or 2030): the delay is computed from the
 * difference between the certificate's dates and the collector's now, and
 * only the length of the wait is measured locally (a monotonic wait, which
 * a wrong wall clock does not change).
 *
 * At the renewal time, a new key and a request go over the session
 * (RenewRequest); the collector signs it for the same identity and unit
 * (RenewResult). The new key and certificate are written by the platform
 * (renew_opts.save: the key 0600 on Linux) and the TLS context is rebuilt
 * (renew_opts.reload) for the next connection; the session in use goes on,
 * so no event waits. Without a writer (a platform that has none yet) renewal
 * is off. A refusal is retried at the next session, or in an hour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <openssl/x509.h>

#include "vigil/clock.h"
#include "vigil/enroll.h"
#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"

#include "renew.h"
#include "uplink.h"

#define RETRY_SEC 3600
#define MAX_WAIT_SEC (7 * 86400)  /* re-checked at least weekly (a long session) */

struct renew {
	struct event_base *base;
	struct renew_opts o;
	struct event *timer;
	struct uplink *uplink;       /* the session to ask over; NULL between sessions */
	EVP_PKEY *pending;           /* the key of the request in flight */
	int64_t offset_us;           /* the collector's clock minus ours, at the last Welcome */
	uint64_t renewals;
};

struct renew *
renew_new(struct event_base *base, const struct renew_opts *o)
{
	struct renew *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->base = base;
	r->o = *o;
	return r;
}

void
renew_free(struct renew *r)
{
	if (r == NULL)
		return;
	if (r->timer != NULL)
		event_free(r->timer);
	EVP_PKEY_free(r->pending);
	free(r);
}

uint64_t
renew_count(const struct renew *r)
{
	return r != NULL ? r->renewals : 0;
}

int64_t
renew_delay_s(int64_t not_before, int64_t not_after, int64_t collector_now)
{
	int64_t at;

	if (not_after <= not_before)
		return 0;
	at = not_before + (not_after - not_before) * 2 / 3;
	return at > collector_now ? at - collector_now : 0;
}

static void
ask(evutil_socket_t fd, short what, void *arg)
{
	struct renew *r = arg;
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__RenewRequest q;
	char err[512], *csr = NULL;

	(void)fd;
	(void)what;
	if (r->uplink == NULL || r->pending != NULL)
		return;
	if (enroll_make_csr(&r->pending, &csr, err, sizeof(err)) != 0) {
		log_warnx(_("The certificate cannot be renewed: %s"), err);
		return;
	}
	vigil__v1__renew_request__init(&q);
	q.csr_pem = csr;
	f.msg_case = VIGIL__V1__FRAME__MSG_RENEW_REQUEST;
	f.renew_request = &q;
	if (uplink_send_frame(r->uplink, &f) != 0) {
		EVP_PKEY_free(r->pending);
		r->pending = NULL;
	} else
		log_info("%s", _("Asking the collector to renew this PC's certificate."));
	free(csr);
}

/* Arm the timer for cert, by the collector's clock as of the last Welcome. */
static void
schedule(struct renew *r, X509 *cert)
{
	struct timeval tv = { 0, 0 };
	int64_t delay;

	if (r->timer == NULL && (r->timer = evtimer_new(r->base, ask, r)) == NULL)
		return;
	delay = renew_delay_s(enroll_asn1_epoch(X509_get0_notBefore(cert)),
	    enroll_asn1_epoch(X509_get0_notAfter(cert)), (clock_now_us() + r->offset_us) / 1000000);
	if (delay > MAX_WAIT_SEC)
		delay = MAX_WAIT_SEC;
	tv.tv_sec = (time_t)delay;
	log_debug("The certificate is renewed in %lld s (by the collector's clock).",
	    (long long)delay);
	evtimer_add(r->timer, &tv);
}

void
renew_welcome(struct renew *r, struct uplink *u, int64_t collector_us, X509 *cert)
{
	if (r == NULL || r->o.save == NULL || cert == NULL)
		return;
	r->uplink = u;
	EVP_PKEY_free(r->pending);
	r->pending = NULL;
	/* A collector too old to say its time: our own clock is all there is. */
	r->offset_us = collector_us > 0 ? collector_us - clock_now_us() : 0;
	schedule(r, cert);
}

void
renew_now(struct renew *r)
{
	struct timeval now = { 0, 0 };

	if (r == NULL || r->o.save == NULL || r->uplink == NULL || r->pending != NULL)
		return;
	if (r->timer == NULL && (r->timer = evtimer_new(r->base, ask, r)) == NULL)
		return;
	log_info("%s", _("The collector's CA is being replaced: this PC's certificate is renewed "
	    "now."));
	evtimer_add(r->timer, &now);
}

int
renew_cert_from_newest(const char *bundle_pem, X509 *cert)
{
	X509 *x, *last = NULL;
	BIO *bio;
	int rc;

	if ((bio = BIO_new_mem_buf(bundle_pem, -1)) == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_free(last);
		last = x;
	}
	ERR_clear_error();
	BIO_free(bio);
	if (last == NULL)
		return -1;
	rc = cert != NULL && X509_check_issued(last, cert) == X509_V_OK;
	X509_free(last);
	return rc;
}

void
renew_link_lost(struct renew *r)
{
	if (r == NULL)
		return;
	r->uplink = NULL;
	EVP_PKEY_free(r->pending);
	r->pending = NULL;
	if (r->timer != NULL)
		evtimer_del(r->timer);
}

void
renew_result(struct renew *r, const Vigil__V1__RenewResult *res)
{
	struct timeval retry = { RETRY_SEC, 0 };
	char *key = NULL;
	size_t keylen = 0;
	BIO *bio;
	X509 *x = NULL;
	int ok;

	if (r == NULL || r->pending == NULL) {
		log_warnx("%s", _("The collector sent a renewed certificate nobody asked for; it "
		    "is ignored."));
		return;
	}
	if (res->status != VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_OK) {
		log_warnx(_("The collector did not renew this PC's certificate: %s. Trying again "
		    "in an hour."), res->reason[0] != '\0' ? res->reason : "-");
		goto retry;
	}
	if ((bio = BIO_new_mem_buf(res->cert_pem, -1)) != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ok = x != NULL && X509_check_private_key(x, r->pending) == 1;
	if (!ok) {
		log_warnx("%s", _("The renewed certificate is not for the key this PC made; it is "
		    "ignored."));
		goto retry;
	}
	if (enroll_key_pem(r->pending, &key, &keylen) != 0 ||
	    r->o.save(r->o.arg, key, keylen, res->cert_pem) != 0) {
		log_warnx("%s", _("The renewed certificate cannot be saved; the old one is kept."));
		goto retry;
	}
	r->renewals++;
	log_info(_("The certificate was renewed; it is valid until %lld (seconds since 1970, "
	    "the collector's clock)."), (long long)enroll_asn1_epoch(X509_get0_notAfter(x)));
	if (r->o.reload != NULL && r->o.reload(r->o.arg) != 0)
		log_warnx("%s", _("The renewed certificate is saved but cannot be loaded; it is "
		    "used after a restart."));
	EVP_PKEY_free(r->pending);
	r->pending = NULL;
	/* The next renewal, from the new certificate, on the same session. */
	schedule(r, x);
	goto out;
retry:
	EVP_PKEY_free(r->pending);
	r->pending = NULL;
	if (r->timer != NULL)
		evtimer_add(r->timer, &retry);
out:
	if (key != NULL) {
		OPENSSL_cleanse(key, keylen);
		free(key);
	}
	X509_free(x);
}
