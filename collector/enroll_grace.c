/*
 * Re-enrolment within a grace period (enroll.h, issue 15 point 2). A PC that
 * sat unused past its certificate's notAfter cannot open a session, so it
 * cannot renew over one; it comes to the enrolment listener with no token,
 * its old certificate, and a request signed by the SAME key. What proves it
 * is that PC: the old certificate was signed by our CA (a certificate from
 * another CA, or one altered, proves nothing), the request's signature proves
 * the key is held now, and the two public keys are one. It gets the same
 * identity and unit back, if that identity is not barred and its certificate
 * expired less than renew_grace ago. Past that, a stolen disk's key is worth
 * nothing: the PC enrols again with a new token.
 *
 * Pure but for OpenSSL: times are arguments, the barred check a callback,
 * so test_enroll.c decides every case without a store or a socket.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vigil/clock.h"
#include "vigil/enroll.h"
#include "vigil/err.h"
#include "vigil/tls.h"

#include "enroll.h"

#define DAY_MS (86400LL * 1000)

/* "30 days", "12 hours", "90 seconds": the grace as the operator wrote it, roughly. */
static void
grace_words(char *dst, size_t cap, long long ms)
{
	if (ms >= DAY_MS && ms % DAY_MS == 0)
		snprintf(dst, cap, "%lld day%s", ms / DAY_MS, ms == DAY_MS ? "" : "s");
	else if (ms >= 3600000 && ms % 3600000 == 0)
		snprintf(dst, cap, "%lld hour%s", ms / 3600000, ms == 3600000 ? "" : "s");
	else
		snprintf(dst, cap, "%lld second%s", ms / 1000, ms == 1000 ? "" : "s");
}

static X509 *
pem_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

static X509_REQ *
pem_req(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509_REQ *q = bio != NULL ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return q;
}

enum grace_verdict
enroll_grace_check(const struct enroll_ca *ca, const char *old_pem, const char *csr_pem,
    int64_t now_us, int64_t grace_ms, enroll_barred_fn barred, void *arg,
    struct enroll_grace *out, char *why, size_t whylen)
{
	enum grace_verdict v = GRACE_BAD;
	X509 *old = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *pub;
	int64_t na, past;
	char bwhy[256], gw[32];
	int y, m, d, b;

	memset(out, 0, sizeof(*out));
	if ((old = pem_cert(old_pem)) == NULL) {
		err_fmt(why, whylen, 0, "The old certificate cannot be read.");
		goto out;
	}
	if (X509_check_issued(ca->ca, old) != X509_V_OK ||
	    X509_verify(old, X509_get0_pubkey(ca->ca)) != 1) {
		v = GRACE_OTHER_CA;
		err_fmt(why, whylen, 0, "The old certificate was not issued by this collector's "
		    "CA: enrol with a token (vigilctl enroll create).");
		goto out;
	}
	if (tls_subject_id(X509_get_subject_name(old), out->agent, sizeof(out->agent)) != 0) {
		err_fmt(why, whylen, 0, "The old certificate names no agent.");
		goto out;
	}
	if (enroll_cert_unit(old, &out->unit) == VIGIL_ERR_INVAL) {
		err_fmt(why, whylen, 0, "The old certificate's unit cannot be read.");
		goto out;
	}
	if ((req = pem_req(csr_pem)) == NULL || (pub = X509_REQ_get0_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, pub) != 1) {
		err_fmt(why, whylen, 0, "The certificate request is not a valid, self-signed "
		    "PKCS#10 request.");
		goto out;
	}
	/* The request's signature proves the key; this, that it is the old one. */
	if (EVP_PKEY_eq(pub, X509_get0_pubkey(old)) != 1) {
		v = GRACE_WRONG_KEY;
		err_fmt(why, whylen, 0, "The request is not signed by the key of the old "
		    "certificate of %s: enrol with a token (vigilctl enroll create).", out->agent);
		goto out;
	}
	na = enroll_asn1_epoch(X509_get0_notAfter(old));
	out->not_after_us = na * 1000000;
	past = now_us - out->not_after_us;
	if (na == 0 || past > grace_ms * 1000) {
		clock_civil_from_days(na / 86400, &y, &m, &d);
		grace_words(gw, sizeof(gw), grace_ms);
		v = GRACE_PAST;
		err_fmt(why, whylen, 0, "certificate expired on %04d-%02d-%02d, more than %s ago: "
		    "enrol again with a new token (vigilctl enroll create)", y, m, d, gw);
		goto out;
	}
	if ((b = barred(arg, out->agent, bwhy, sizeof(bwhy))) < 0) {
		v = GRACE_FAILED;
		err_fmt(why, whylen, 0, "The collector cannot read whether %s is revoked; try "
		    "again later.", out->agent);
		goto out;
	}
	if (b > 0) {
		v = GRACE_BARRED;
		if (b == 1)
			err_fmt(why, whylen, 0, "Agent %s was revoked (%s): it cannot re-enrol.",
			    out->agent, bwhy);
		else
			err_fmt(why, whylen, 0, "Agent %s was retired: it cannot re-enrol.",
			    out->agent);
		goto out;
	}
	v = GRACE_OK;
out:
	ERR_clear_error();
	X509_REQ_free(req);
	X509_free(old);
	return v;
}
