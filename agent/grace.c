/*
 * Re-enrolment with the old key (grace.h). The key on disk is read, never
 * rewritten: the request is made with it, so the collector can check that
 * the request and the expired certificate share one key. The trust is the CA
 * file the agent already has (its fingerprint, as a token carries one), not
 * the PC's clock: a PC whose clock is wrong re-enrols all the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vigil/enroll.h"
#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/i18n.h"

#include "enroll.h"
#include "grace.h"

int
grace_cert_expired(X509 *cert, int64_t now_s)
{
	time_t t = (time_t)now_s;

	return cert != NULL && X509_cmp_time(X509_get0_notAfter(cert), &t) < 0;
}

/* The whole of a small PEM file as a string (certificates: at most 64 KiB). */
static char *
read_small(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((s = malloc(64 * 1024 + 1)) != NULL) {
		n = fread(s, 1, 64 * 1024, f);
		if (ferror(f) || n == 0) {
			free(s);
			s = NULL;
		} else
			s[n] = '\0';
	}
	fclose(f);
	return s;
}

enum grace_outcome
grace_reenroll(const char *hostport, const char *ca_path, const char *cert_path,
    const char *key_path, const char *hostname, const char *machine_id, int64_t now_us,
    int timeout_s, char **cert_pem, char *err, size_t errlen)
{
	enum grace_outcome out = GRACE_UNREACHABLE;
	Vigil__V1__Frame *res = NULL;
	const Vigil__V1__EnrollResult *r;
	uint8_t fp[ENROLL_FP_LEN];
	char *old = NULL, *csr = NULL, why[512];
	EVP_PKEY *key = NULL;
	X509 *ours = NULL, *ca = NULL;
	BIO *bio = NULL;

	*cert_pem = NULL;
	if ((bio = BIO_new_file(ca_path, "r")) != NULL)
		ours = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if ((bio = BIO_new_file(key_path, "r")) != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (ours == NULL || enroll_fingerprint(ours, fp) != 0 || key == NULL ||
	    (old = read_small(cert_path)) == NULL) {
		err_fmt(err, errlen, -1, _("The CA %s, the key %s or the certificate %s cannot be "
		    "read."), ca_path, key_path, cert_path);
		goto out;
	}
	if (enroll_csr_for(key, &csr, why, sizeof(why)) != 0) {
		err_fmt(err, errlen, -1, "%s", why);
		goto out;
	}
	if (enroll_exchange(hostport, fp, &(struct enroll_ask){ NULL, old, csr, hostname,
	    machine_id, now_us, timeout_s }, &res, &ca, err, errlen) != 0)
		goto out;
	r = res->enroll_result;
	if (r->status != VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_OK) {
		out = GRACE_REFUSED;
		err_fmt(err, errlen, -1, "%s", r->reason[0] != '\0' ? r->reason :
		    _("The collector could not enrol this PC; its log says why."));
		goto out;
	}
	if (enroll_check_cert(r->cert_pem, key, ca, err, errlen) != 0)
		goto out;
	if ((*cert_pem = strdup(r->cert_pem)) == NULL) {
		err_fmt(err, errlen, -1, "%s", _("Out of memory."));
		goto out;
	}
	out = GRACE_RENEWED;
out:
	ERR_clear_error();
	frame_free(res);
	free(old);
	free(csr);
	X509_free(ours);
	X509_free(ca);
	EVP_PKEY_free(key);
	return out;
}
