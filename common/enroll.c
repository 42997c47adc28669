/*
 * Enrolment tokens, the agent's key and request, the check of the collector
 * against the token's fingerprint, and the unit a certificate carries
 * (vigil/enroll.h). Pure apart from OpenSSL's randomness: no files, no
 * sockets, no clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vigil/clock.h"
#include "vigil/enroll.h"
#include "vigil/err.h"
#include "vigil/text.h"
#include "vigil/tls.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
enroll_hex(const uint8_t *b, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[2 * n] = '\0';
}

int
enroll_fingerprint(X509 *x, uint8_t fp[ENROLL_FP_LEN])
{
	unsigned int n = 0;

	if (x == NULL || X509_digest(x, EVP_sha256(), fp, &n) != 1 || n != ENROLL_FP_LEN)
		return VIGIL_ERR_TLS;
	return 0;
}

int
enroll_secret_new(char *secret, size_t cap)
{
	unsigned char raw[ENROLL_SECRET_CHARS * 3 / 4];

	if (cap < ENROLL_SECRET_CHARS + 1 || RAND_bytes(raw, sizeof(raw)) != 1)
		return VIGIL_ERR_SYS;
	for (size_t i = 0; i < sizeof(raw); i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
		char *o = secret + i / 3 * 4;

		o[0] = b64url[(v >> 18) & 63];
		o[1] = b64url[(v >> 12) & 63];
		o[2] = b64url[(v >> 6) & 63];
		o[3] = b64url[v & 63];
	}
	secret[ENROLL_SECRET_CHARS] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

void
enroll_token_format(char *out, size_t cap, const uint8_t fp[ENROLL_FP_LEN], const char *secret)
{
	char hex[ENROLL_FP_HEX];

	enroll_hex(fp, ENROLL_FP_LEN, hex);
	snprintf(out, cap, "v1.%s.%s", hex, secret);
}

int
enroll_token_parse(const char *token, uint8_t fp[ENROLL_FP_LEN], char *secret, size_t cap,
    char *err, size_t errlen)
{
	const char *p = token, *end;
	size_t len;

	if (token == NULL)
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "No enrolment token was given.");
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
	    end[-1] == '\r'))
		end--;
	len = (size_t)(end - p);
	if (len != 3 + 2 * ENROLL_FP_LEN + 1 + ENROLL_SECRET_CHARS || strncmp(p, "v1.", 3) != 0 ||
	    p[3 + 2 * ENROLL_FP_LEN] != '.')
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "This is not an enrolment token: one "
		    "looks like v1.<64 hex digits>.<32 letters>, as \"vigilctl enroll create\" "
		    "prints it.");
	for (size_t i = 0; i < ENROLL_FP_LEN; i++) {
		int hi = text_hex_digit(p[3 + 2 * i]), lo = text_hex_digit(p[4 + 2 * i]);

		if (hi < 0 || lo < 0)
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "The token's CA fingerprint "
			    "is not hexadecimal: the token was copied wrong.");
		fp[i] = (uint8_t)(hi << 4 | lo);
	}
	p += 3 + 2 * ENROLL_FP_LEN + 1;
	for (size_t i = 0; i < ENROLL_SECRET_CHARS; i++)
		if (strchr(b64url, p[i]) == NULL || p[i] == '\0')
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "The token's secret holds a "
			    "character tokens never have: the token was copied wrong.");
	if (cap < ENROLL_SECRET_CHARS + 1)
		return VIGIL_ERR_INVAL;
	memcpy(secret, p, ENROLL_SECRET_CHARS);
	secret[ENROLL_SECRET_CHARS] = '\0';
	return 0;
}

int
enroll_secret_hash(const char *secret, char hex[ENROLL_HASH_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(secret, strlen(secret), md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return VIGIL_ERR_TLS;
	enroll_hex(md, n, hex);
	return 0;
}

static int
ossl_fail(char *err, size_t errlen, const char *what)
{
	char reason[512];

	tls_errstr(reason, sizeof(reason));
	return err_fmt(err, errlen, VIGIL_ERR_TLS, "Cannot %s: %s.", what, reason);
}

/* The BIO's bytes as a NUL-terminated malloc'd string. */
static char *
bio_string(BIO *bio, size_t *len)
{
	BUF_MEM *bm = NULL;
	char *s;

	if (BIO_get_mem_ptr(bio, &bm) <= 0 || bm == NULL || (s = malloc(bm->length + 1)) == NULL)
		return NULL;
	memcpy(s, bm->data, bm->length);
	s[bm->length] = '\0';
	if (len != NULL)
		*len = bm->length;
	return s;
}

int
enroll_make_csr(EVP_PKEY **key, char **csr_pem, char *err, size_t errlen)
{
	int rc;

	*key = NULL;
	*csr_pem = NULL;
	/* Ed25519, as `vigilctl pki issue` makes: small for the collector to keep per session. */
	if ((*key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		return ossl_fail(err, errlen, "generate an Ed25519 key");
	if ((rc = enroll_csr_for(*key, csr_pem, err, errlen)) != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return rc;
}

int
enroll_csr_for(EVP_PKEY *key, char **csr_pem, char *err, size_t errlen)
{
	X509_REQ *req = NULL;
	BIO *bio = NULL;
	int rc = VIGIL_ERR_TLS;

	*csr_pem = NULL;
	/* The name is the collector's to give: the request names none. */
	if ((req = X509_REQ_new()) == NULL || !X509_REQ_set_version(req, 0) ||
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "O", MBSTRING_UTF8,
	        (const unsigned char *)"Vigil", -1, -1, 0) ||
	    !X509_REQ_set_pubkey(req, key) || X509_REQ_sign(req, key,
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) <= 0) {
		rc = ossl_fail(err, errlen, "make a certificate request");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509_REQ(bio, req) ||
	    (*csr_pem = bio_string(bio, NULL)) == NULL) {
		rc = ossl_fail(err, errlen, "encode a certificate request");
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	X509_REQ_free(req);
	return rc;
}

int
enroll_key_pem(EVP_PKEY *key, char **pem, size_t *len)
{
	BIO *bio;

	*pem = NULL;
	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return VIGIL_ERR_TLS;
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		*pem = bio_string(bio, len);
	BIO_free(bio);
	return *pem != NULL ? 0 : VIGIL_ERR_TLS;
}

int
enroll_cert_pem(X509 *x, char **pem)
{
	BIO *bio;

	*pem = NULL;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return VIGIL_ERR_TLS;
	if (PEM_write_bio_X509(bio, x))
		*pem = bio_string(bio, NULL);
	BIO_free(bio);
	return *pem != NULL ? 0 : VIGIL_ERR_TLS;
}

int
enroll_check_chain(STACK_OF(X509) *chain, const uint8_t fp[ENROLL_FP_LEN], X509 **ca,
    char *err, size_t errlen)
{
	X509 *leaf, *anchor = NULL;
	EVP_PKEY *pub;
	uint8_t got[ENROLL_FP_LEN];
	char want[ENROLL_FP_HEX], seen[ENROLL_FP_HEX] = "";
	int n = chain != NULL ? sk_X509_num(chain) : 0, ok;

	*ca = NULL;
	if (n < 1)
		return err_fmt(err, errlen, VIGIL_ERR_TLS, "The collector showed no certificate.");
	leaf = sk_X509_value(chain, 0);
	for (int i = 0; i < n && anchor == NULL; i++) {
		X509 *x = sk_X509_value(chain, i);

		if (enroll_fingerprint(x, got) != 0)
			continue;
		if (memcmp(got, fp, ENROLL_FP_LEN) == 0)
			anchor = x;
		else if (seen[0] == '\0' && X509_check_ca(x) > 0)
			enroll_hex(got, ENROLL_FP_LEN, seen);
	}
	enroll_hex(fp, ENROLL_FP_LEN, want);
	if (anchor == NULL)
		return err_fmt(err, errlen, VIGIL_ERR_TLS, "Wrong CA: this collector's certificate "
		    "authority is not the one the token was made for (the token names %.16s…, the "
		    "collector shows %.16s…). The token belongs to another collector, or something "
		    "stands between this PC and the collector.", want, seen[0] ? seen : "none");
	if (X509_check_ca(anchor) <= 0)
		return err_fmt(err, errlen, VIGIL_ERR_TLS, "Wrong CA: the certificate with the "
		    "token's fingerprint is not a certificate authority.");
	/* The leaf must be signed by the anchor (the clock is not consulted, on purpose). */
	if ((pub = X509_get0_pubkey(anchor)) == NULL || X509_verify(leaf, pub) != 1 ||
	    X509_check_issued(anchor, leaf) != X509_V_OK) {
		ERR_clear_error();
		return err_fmt(err, errlen, VIGIL_ERR_TLS, "Wrong CA: the collector's certificate "
		    "is not signed by the certificate authority the token names.");
	}
	ok = X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0);
	ERR_clear_error();
	if (ok != 1)
		return err_fmt(err, errlen, VIGIL_ERR_TLS, "The collector's certificate is not "
		    "meant for a server.");
	X509_up_ref(anchor);
	*ca = anchor;
	return 0;
}

int
enroll_cert_unit(X509 *x, int64_t *unit)
{
	X509_NAME *name = x != NULL ? X509_get_subject_name(x) : NULL;
	const ASN1_STRING *s;
	const unsigned char *d;
	int i, len;
	int64_t v = 0;
	size_t pl = strlen(ENROLL_UNIT_PREFIX);

	if (name == NULL || (i = X509_NAME_get_index_by_NID(name, NID_organizationalUnitName,
	    -1)) < 0)
		return VIGIL_ERR_NOTFOUND;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	d = ASN1_STRING_get0_data(s);
	len = ASN1_STRING_length(s);
	if (d == NULL || len <= (int)pl || len > (int)pl + 18 ||
	    memcmp(d, ENROLL_UNIT_PREFIX, pl) != 0)
		return VIGIL_ERR_INVAL;
	for (int k = (int)pl; k < len; k++) {
		if (d[k] < '0' || d[k] > '9')
			return VIGIL_ERR_INVAL;
		v = v * 10 + (d[k] - '0');
	}
	if (v < 1)
		return VIGIL_ERR_INVAL;
	*unit = v;
	return 0;
}

int64_t
enroll_asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return clock_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}
