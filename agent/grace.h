/*
 * Re-enrolment within the collector's grace period (grace.c, issue 15). A
 * PC that sat unused past its certificate's expiry cannot open a session,
 * so it cannot renew over one. It goes to the collector's enrolment port
 * instead, with no token: its expired certificate and a request signed by
 * the same key prove it is that PC. The collector gives the same identity
 * a new certificate (within renew_grace) or says, in plain words, why not.
 * Portable core: the platform writes the certificate (agent_identity_fn).
 */
#ifndef VIGIL_AGENT_GRACE_H
#define VIGIL_AGENT_GRACE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

enum grace_outcome {
	GRACE_RENEWED,          /* *cert_pem is the new certificate for the same key */
	GRACE_REFUSED,          /* the collector said no: err has its words */
	GRACE_UNREACHABLE,      /* no answer, or an answer that cannot be trusted */
};

/*
 * Has cert expired at now_s (seconds since the epoch, by the collector's
 * clock when it is known)? 1 or 0. Pure.
 */
int grace_cert_expired(X509 *cert, int64_t now_s);

/*
 * Re-enrol at hostport ("host:port") with the certificate at cert_path and
 * its key at key_path; the collector's chain must lead to the CA at ca_path
 * (its fingerprint is the trust, as a token's). The exchange takes
 * timeout_s at most (it blocks). *cert_pem is malloc'd on GRACE_RENEWED;
 * otherwise err says why.
 */
enum grace_outcome grace_reenroll(const char *hostport, const char *ca_path,
    const char *cert_path, const char *key_path, const char *hostname, const char *machine_id,
    int64_t now_us, int timeout_s, char **cert_pem, char *err, size_t errlen);

#endif
