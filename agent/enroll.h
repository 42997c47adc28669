/*
 * The agent's enrolment (issue 15): vigil-agent --enroll HOST[:PORT] --token T.
 * Portable core: the platform reads its machine id and host name and writes
 * the files (the key 0600 on Linux; ACLs on Windows), this talks to the
 * collector. The key is made here and never leaves the PC; only a
 * certificate request goes out, to a collector whose CA matches the token's
 * fingerprint (nothing is trusted on first use).
 */
#ifndef VIGIL_AGENT_ENROLL_H
#define VIGIL_AGENT_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "vigil/enroll.h"
#include "vigil.pb-c.h"

struct enroll_out {
	char agent[128];       /* the identity the collector assigned */
	char unit[128];        /* the unit's name at the collector */
	char *key_pem;         /* ours; wiped and freed by enroll_out_free() */
	size_t key_len;
	char *cert_pem;
	char *ca_pem;
};

/*
 * Enrol at hostport ("collector.local", "10.0.0.5:7444", "[::1]:7444") with
 * token. hostname is a label for the identity; machine_id the SHA-256 hex of
 * the machine's id; now_us our clock (the collector refuses a large skew).
 * 0 with *out filled, or -1 with a plain-words sentence in err (wrong CA,
 * expired, used, cancelled or unknown token, clock skew, unreachable).
 */
int agent_enroll(const char *hostport, const char *token, const char *hostname,
    const char *machine_id, int64_t now_us, struct enroll_out *out, char *err, size_t errlen);
void enroll_out_free(struct enroll_out *out);

#define ENROLL_EXCHANGE_SEC 15  /* connect, TLS, request and result, at most */

/*
 * The exchange both enrolment and re-enrolment (grace.c) make: connect to
 * hostport within ENROLL_EXCHANGE_SEC, check the chain against the CA
 * fingerprint fp, send ask's request, read one EnrollResult. 0 with *res (frame_free())
 * and *ca (the collector's CA, X509_free()), or -1 with a sentence in err.
 */
/* cert_pem is for key and signed by ca: 0, or -1 with a sentence in err. */
int enroll_check_cert(const char *cert_pem, EVP_PKEY *key, X509 *ca, char *err, size_t errlen);
struct enroll_ask {
	const char *token;         /* a first enrolment's secret, or NULL */
	const char *old_cert_pem;  /* a re-enrolment's expired certificate, or NULL */
	const char *csr_pem;
	const char *hostname;
	const char *machine_id;
	int64_t time_us;
};
int enroll_exchange(const char *hostport, const uint8_t fp[ENROLL_FP_LEN],
    const struct enroll_ask *ask, Vigil__V1__Frame **res, X509 **ca, char *err, size_t errlen);

#endif
