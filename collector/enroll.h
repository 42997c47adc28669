/*
 * Enrolment (issue 15): the collector's side. enroll.c is the listener on
 * enroll_port (server-only TLS: an enrolling PC has no certificate yet; it
 * checks our chain against its token's CA fingerprint), one request and one
 * result per connection; enroll_ca.c signs the PC's request with the CA key.
 * The identity is ours to give (the PC's host name is a label in it), and the
 * certificate carries the unit's stable id: the session takes the unit from
 * the certificate, never from the PC's configuration.
 */
#ifndef VIGIL_COLLECTOR_ENROLL_H
#define VIGIL_COLLECTOR_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "vigil/enroll.h"
#include "vigil/tls.h"

struct collector;

/* ---- enroll_ca.c: the CA that signs ---- */
struct enroll_ca {
	X509 *ca;
	EVP_PKEY *key;
	uint8_t fp[ENROLL_FP_LEN];
	char *ca_pem;
};

struct enroll_ca *enroll_ca_load(const char *ca_path, const char *key_path, char *err,
    size_t errlen);
void enroll_ca_free(struct enroll_ca *ca);
/* The CA's fingerprint from its certificate file alone (the token's part). */
int enroll_ca_fingerprint(const char *ca_path, uint8_t fp[ENROLL_FP_LEN], char *err,
    size_t errlen);
/*
 * Sign csr_pem (its own signature checked) for agent in unit, valid from
 * now_us less an hour until now_us + lifetime_us. *cert_pem is malloc'd.
 * 0, or VIGIL_ERR_INVAL (a bad request) / VIGIL_ERR_TLS with a sentence.
 */
int enroll_ca_sign(const struct enroll_ca *ca, const char *csr_pem, const char *agent,
    int64_t unit, int64_t now_us, int64_t lifetime_us, char **cert_pem, char *err,
    size_t errlen);

/* ---- enroll_grace.c: re-enrolment with the old key, no token ---- */
enum grace_verdict {
	GRACE_OK,
	GRACE_BAD,             /* the old certificate or the request cannot be read */
	GRACE_OTHER_CA,        /* the old certificate is not ours */
	GRACE_WRONG_KEY,       /* the request is signed by another key */
	GRACE_PAST,            /* expired longer than the grace ago */
	GRACE_BARRED,          /* the identity is revoked or retired */
	GRACE_FAILED,          /* the collector could not tell */
};

struct enroll_grace {
	char agent[TLS_ID_MAX + 1];     /* the old certificate's identity */
	int64_t unit;                   /* its unit id; 0: it carries none */
	int64_t not_after_us;
};

/* Is agent barred? As store_agent_barred(): 0 no, 1 revoked (why), 2 retired, <0 error. */
typedef int (*enroll_barred_fn)(void *arg, const char *agent, char *why, size_t whylen);

/*
 * May the holder of old_pem's key re-enrol with csr_pem at now_us, grace_ms
 * after its expiry at most? GRACE_OK with *out naming the identity to issue
 * again, or another verdict with a plain-words sentence in why (past the
 * grace: "certificate expired on DATE, more than 30 days ago: ..."). Pure
 * but for barred().
 */
enum grace_verdict enroll_grace_check(const struct enroll_ca *ca, const char *old_pem,
    const char *csr_pem, int64_t now_us, int64_t grace_ms, enroll_barred_fn barred, void *arg,
    struct enroll_grace *out, char *why, size_t whylen);

/* ---- enroll.c: the listener ---- */
/* Start it when enroll_port is set (privileged: the key and the port). 0 or -1 with err. */
int enroll_open(struct collector *c, char *err, size_t errlen);
void enroll_free(struct collector *c);
/*
 * Renew agent's certificate over its session: csr_pem signed for the same
 * identity and unit (0: none), valid agent_cert_lifetime from now, audited.
 * *cert is malloc'd. 0, or an error with a sentence (renewal off: no ca_key).
 */
int enroll_renew(struct collector *c, const char *agent, int64_t unit, const char *csr,
    char **cert, char *err, size_t errlen);

/* The CA that signs now (NULL: no ca_key); during a CA rotation, the new one. */
struct enroll_ca *enroll_signer(const struct collector *c);
/* Sign with ca from now on (c has a signer); returns the one it replaces, for the caller. */
struct enroll_ca *enroll_set_signer(struct collector *c, struct enroll_ca *ca);
/* The enrolment port's TLS again from the configured files (a finished CA rotation). */
int enroll_reload_tls(struct collector *c, char *err, size_t errlen);

/* An agent id for hostname, "pc-ketoan-01-3f9a2c": the label, then random hex. */
void enroll_agent_id(const char *hostname, char *id, size_t cap);

#endif
