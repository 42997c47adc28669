/*
 * The collector's CA at work (enroll.h): it signs the certificate requests of
 * enrolling PCs. The request's own signature proves the PC holds the key;
 * everything else in it (its name, its extensions) is ignored: the subject
 * is ours ("O=Vigil, OU=unit-ID, CN=agent id"), the extensions are those of
 * `vigilctl pki issue`'s agent certificates, the validity is our clock's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vigil/err.h"
#include "vigil/tls.h"

#include "enroll.h"

#define SKEW_S 3600            /* notBefore reaches back at most this far (our clock stepped) */
#define SERIAL_LEN 16

static int
fail(char *err, size_t errlen, const char *what)
{
	char reason[512];

	tls_errstr(reason, sizeof(reason));
	return err_fmt(err, errlen, VIGIL_ERR_TLS, "Cannot %s: %s.", what, reason);
}

static X509 *
read_cert(const char *path, char *err, size_t errlen)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (x == NULL) {
		char what[1100];

		snprintf(what, sizeof(what), "read the CA certificate %s", path);
		fail(err, errlen, what);
	}
	return x;
}

int
enroll_ca_fingerprint(const char *ca_path, uint8_t fp[ENROLL_FP_LEN], char *err, size_t errlen)
{
	X509 *x = read_cert(ca_path, err, errlen);
	int rc;

	if (x == NULL)
		return VIGIL_ERR_TLS;
	rc = enroll_fingerprint(x, fp);
	X509_free(x);
	return rc == 0 ? 0 : fail(err, errlen, "hash the CA certificate");
}

void
enroll_ca_free(struct enroll_ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->ca);
	EVP_PKEY_free(ca->key);
	free(ca->ca_pem);
	free(ca);
}

struct enroll_ca *
enroll_ca_load(const char *ca_path, const char *key_path, char *err, size_t errlen)
{
	struct enroll_ca *ca = calloc(1, sizeof(*ca));
	BIO *bio = NULL;

	if (ca == NULL) {
		err_fmt(err, errlen, VIGIL_ERR_NOMEM, "Out of memory.");
		return NULL;
	}
	if ((ca->ca = read_cert(ca_path, err, errlen)) == NULL)
		goto fail;
	if ((bio = BIO_new_file(key_path, "r")) == NULL ||
	    (ca->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		char what[1100];

		snprintf(what, sizeof(what), "read the CA key %s", key_path);
		fail(err, errlen, what);
		goto fail;
	}
	if (X509_check_private_key(ca->ca, ca->key) != 1) {
		ERR_clear_error();
		err_fmt(err, errlen, VIGIL_ERR_TLS, "The CA key %s does not match the CA "
		    "certificate %s.", key_path, ca_path);
		goto fail;
	}
	if (enroll_fingerprint(ca->ca, ca->fp) != 0 || enroll_cert_pem(ca->ca, &ca->ca_pem) != 0) {
		fail(err, errlen, "encode the CA certificate");
		goto fail;
	}
	BIO_free(bio);
	return ca;
fail:
	BIO_free(bio);
	enroll_ca_free(ca);
	return NULL;
}

static int
set_serial(X509 *x)
{
	unsigned char raw[SERIAL_LEN];
	BIGNUM *bn;
	int ok = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return 0;
	raw[0] = (unsigned char)((raw[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(raw, sizeof(raw), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		ok = 1;
	BN_free(bn);
	return ok;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok;

	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

int
enroll_ca_sign(const struct enroll_ca *ca, const char *csr_pem, const char *agent, int64_t unit,
    int64_t now_us, int64_t lifetime_us, char **cert_pem, char *err, size_t errlen)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pub;
	X509 *x = NULL;
	X509_NAME *name;
	X509V3_CTX ctx;
	BIO *bio;
	char ou[32];
	time_t now = (time_t)(now_us / 1000000);
	int rc = VIGIL_ERR_TLS, type;

	*cert_pem = NULL;
	if ((bio = BIO_new_mem_buf(csr_pem, -1)) != NULL)
		req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (req == NULL || (pub = X509_REQ_get0_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, pub) != 1) {
		ERR_clear_error();
		rc = err_fmt(err, errlen, VIGIL_ERR_INVAL, "The certificate request is not a valid, "
		    "self-signed PKCS#10 request.");
		goto out;
	}
	type = EVP_PKEY_get_base_id(pub);
	if (type != EVP_PKEY_ED25519 && type != EVP_PKEY_EC) {
		rc = err_fmt(err, errlen, VIGIL_ERR_INVAL, "The certificate request's key is "
		    "neither Ed25519 nor ECDSA.");
		goto out;
	}
	snprintf(ou, sizeof(ou), ENROLL_UNIT_PREFIX "%lld", (long long)unit);
	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) || !set_serial(x))
		goto sslfail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Vigil",
	    -1, -1, 0) ||
	    (unit > 0 && !X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
	    (const unsigned char *)ou, -1, -1, 0)) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)agent,
	    -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->ca)))
		goto sslfail;
	/* A tenth of the lifetime at most: the agent renews at two thirds of it. */
	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -(long)(lifetime_us / 10000000 < SKEW_S ?
	    lifetime_us / 10000000 : SKEW_S), &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, (long)(lifetime_us / 1000000), &now) ==
	    NULL || !X509_set_pubkey(x, pub))
		goto sslfail;
	X509V3_set_ctx(&ctx, ca->ca, x, NULL, NULL, 0);
	if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(x, &ctx, NID_ext_key_usage, "clientAuth") ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
		goto sslfail;
	if (X509_sign(x, ca->key, EVP_PKEY_get_base_id(ca->key) == EVP_PKEY_ED25519 ? NULL :
	    EVP_sha256()) <= 0)
		goto sslfail;
	if (enroll_cert_pem(x, cert_pem) != 0)
		goto sslfail;
	rc = 0;
	goto out;
sslfail:
	rc = fail(err, errlen, "sign the certificate");
out:
	X509_free(x);
	X509_REQ_free(req);
	return rc;
}
