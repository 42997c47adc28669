/*
 * Enrolment with tokens (issue 15), the parts both sides share: the token's
 * text, the CA fingerprint it carries, the agent's key and certificate
 * request, the agent's check of the collector's chain against that
 * fingerprint, and the unit id a collector-issued certificate carries.
 * Portable (ISO C and OpenSSL): the Windows agent links it too. The signing
 * is the collector's (collector/enroll_ca.c).
 *
 * A token is "v1.<CA fingerprint, 64 hex>.<secret, 32 base64url>". The
 * fingerprint is SHA-256 over the CA certificate's DER, so the agent trusts
 * exactly that CA and nothing on first use; the secret is 192 random bits,
 * of which the collector keeps only a SHA-256 hash.
 */
#ifndef VIGIL_ENROLL_H
#define VIGIL_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define ENROLL_FP_LEN 32                      /* SHA-256 */
#define ENROLL_FP_HEX (2 * ENROLL_FP_LEN + 1)
#define ENROLL_SECRET_CHARS 32                /* base64url of 24 random bytes */
#define ENROLL_TOKEN_MAX (3 + 64 + 1 + ENROLL_SECRET_CHARS + 1)
#define ENROLL_HASH_HEX 65                    /* SHA-256 of the secret, hex */
#define ENROLL_UNIT_PREFIX "unit-"            /* the certificate's OU: "unit-7" */
#define ENROLL_PORT_DEFAULT 7444

/* SHA-256 of x's DER. 0 or VIGIL_ERR_TLS. */
int enroll_fingerprint(X509 *x, uint8_t fp[ENROLL_FP_LEN]);
void enroll_hex(const uint8_t *b, size_t n, char *hex);

/* A new secret (ENROLL_SECRET_CHARS + 1). 0 or VIGIL_ERR_SYS (no randomness). */
int enroll_secret_new(char *secret, size_t cap);
/* The token for fp and secret into out[ENROLL_TOKEN_MAX]. */
void enroll_token_format(char *out, size_t cap, const uint8_t fp[ENROLL_FP_LEN],
    const char *secret);
/*
 * Split a token (spaces around it ignored) into its fingerprint and secret.
 * 0, or VIGIL_ERR_INVAL with a sentence in err.
 */
int enroll_token_parse(const char *token, uint8_t fp[ENROLL_FP_LEN], char *secret, size_t cap,
    char *err, size_t errlen);
/* SHA-256 hex of a secret: what the collector keeps. */
int enroll_secret_hash(const char *secret, char hex[ENROLL_HASH_HEX]);

/*
 * A new Ed25519 key (*key, the caller frees) and a certificate request for
 * it in PEM (*csr_pem, malloc'd). 0 or VIGIL_ERR_TLS with a sentence.
 */
int enroll_make_csr(EVP_PKEY **key, char **csr_pem, char *err, size_t errlen);
/* A request for a key the PC has already (re-enrolment proves it). As above. */
int enroll_csr_for(EVP_PKEY *key, char **csr_pem, char *err, size_t errlen);
/* key as PEM (malloc'd; the caller wipes and frees it). 0 or VIGIL_ERR_TLS. */
int enroll_key_pem(EVP_PKEY *key, char **pem, size_t *len);

/*
 * The agent's check of the collector: chain is what the TLS handshake
 * showed (leaf first). One certificate of it must have the fingerprint fp,
 * be a CA, and have signed the leaf; the leaf must be for a server. The
 * clock is not consulted (a PC's clock may be wrong; the fingerprint is the
 * trust). *ca gets a reference to that CA. 0, or VIGIL_ERR_TLS ("wrong CA")
 * with a sentence.
 */
int enroll_check_chain(STACK_OF(X509) *chain, const uint8_t fp[ENROLL_FP_LEN], X509 **ca,
    char *err, size_t errlen);

/*
 * The unit id a collector-issued certificate carries in its subject's OU
 * ("unit-7"). 0 with *unit set, VIGIL_ERR_NOTFOUND when it carries none (a
 * certificate of `vigilctl pki issue`), VIGIL_ERR_INVAL when it is malformed.
 */
int enroll_cert_unit(X509 *x, int64_t *unit);

/* PEM text of x (malloc'd). 0 or VIGIL_ERR_TLS. */
int enroll_cert_pem(X509 *x, char **pem);
/* Seconds since the epoch of an ASN1_TIME (no time zone); 0 when it cannot be read. */
int64_t enroll_asn1_epoch(const ASN1_TIME *t);

#endif
