/*
 * The collector's certificate checked by the collector's clock (tlsclock.h).
 *
 * OpenSSL checks each certificate's dates at the verify parameter's time
 * (our clock plus the offset learnt at the last Welcome: a PC whose clock is
 * years off but has talked to the collector once verifies at the right time).
 * When the dates fail all the same (the first contact, or the PC's clock was
 * changed since), the callback lets ONLY the time errors through: the CA, the
 * signatures, the name and the purpose are checked as always. The session is
 * then on probation until the Welcome, which brings the collector's time;
 * uplink.c calls tlsclock_check_chain() there, before a single event goes
 * out, and closes the session if the chain is not valid at that time. Nothing
 * but a Hello (our version and host facts) is sent to a collector whose
 * certificate has not yet passed the date check.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "vigil/clock.h"
#include "vigil/i18n.h"
#include "vigil/log.h"

#include "tlsclock.h"

static int tc_index = -1;

int
tlsclock_time_error(int err)
{
	switch (err) {
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED:
		return 1;
	default:
		return 0;
	}
}

int
tlsclock_decide(int ok, int err)
{
	return ok || tlsclock_time_error(err);
}

static int
verify_cb(int ok, X509_STORE_CTX *x)
{
	int err = X509_STORE_CTX_get_error(x);
	SSL *ssl;
	struct tlsclock *tc;

	if (ok || !tlsclock_decide(ok, err))
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl != NULL && tc_index >= 0 && (tc = SSL_get_ex_data(ssl, tc_index)) != NULL &&
	    X509_STORE_CTX_get_error_depth(x) == 0)
		tc->tolerated++;
	log_debug("The collector's certificate (depth %d) is let through on a time error until "
	    "the collector says its time: %s.", X509_STORE_CTX_get_error_depth(x),
	    X509_verify_cert_error_string(err));
	return 1;
}

void
tlsclock_install(SSL_CTX *ctx)
{
	if (tc_index < 0)
		tc_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), verify_cb);
}

void
tlsclock_prepare(SSL *ssl, struct tlsclock *tc)
{
	int64_t now = clock_now_us() + (tc->known ? tc->offset_us : 0);

	if (tc_index >= 0)
		SSL_set_ex_data(ssl, tc_index, tc);
	X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), (time_t)(now / 1000000));
}

int
tlsclock_check_chain(STACK_OF(X509) *chain, int64_t collector_s, char *why, size_t whylen)
{
	time_t t = (time_t)collector_s;

	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		char name[256];

		X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
		if (X509_cmp_time(X509_get0_notBefore(x), &t) > 0) {
			snprintf(why, whylen, _("the collector's certificate %s is not yet valid at "
			    "the collector's own time"), name);
			return -1;
		}
		if (X509_cmp_time(X509_get0_notAfter(x), &t) < 0) {
			snprintf(why, whylen, _("the collector's certificate %s has expired at the "
			    "collector's own time"), name);
			return -1;
		}
	}
	return 0;
}

void
tlsclock_learn(struct tlsclock *tc, int64_t collector_us)
{
	if (collector_us <= 0)
		return;
	tc->offset_us = collector_us - clock_now_us();
	tc->known = 1;
}
