/*
 * A small certificate authority for Vigil, through the OpenSSL API:
 * ECDSA P-256 keys written 0600, never overwritten.
 *
 *   DIR/ca.crt  DIR/ca.key                 the CA (CA:TRUE, keyCertSign)
 *   DIR/collector.crt  DIR/collector.key   serverAuth; SAN DNS:localhost,
 *                                          IP:127.0.0.1 and the given names
 *   DIR/agents/ID.crt  DIR/agents/ID.key   clientAuth; subject CN = ID
 */
#ifndef VIGIL_PKI_H
#define VIGIL_PKI_H

#include <stddef.h>

#define PKI_MAX_NAMES 32         /* extra names of the collector certificate */
#define PKI_NAME_MAX 253         /* a DNS name */
#define PKI_SAN_MAX (32 + PKI_MAX_NAMES * (PKI_NAME_MAX + 5))

/*
 * Make the CA and the collector certificate in dir (created 0700 if absent).
 * names: extra DNS names or IP addresses for the collector certificate
 * (nnames may be 0). Fails with VIGIL_ERR_INVAL if dir already holds a CA.
 */
int pki_init(const char *dir, const char *const *names, size_t nnames, int days, char *err,
    size_t errlen);

/*
 * Issue a certificate for agent `id` (tls_id_valid()) signed by dir's CA,
 * valid from now - backdate_days for `days` days (a test makes an expired
 * certificate with days=1, backdate_days=10). Fails if it already exists.
 */
int pki_issue(const char *dir, const char *id, int days, int backdate_days, char *err,
    size_t errlen);

/*
 * The collector certificate's subjectAltName, in OpenSSL's configuration
 * syntax, into san[cap]: "DNS:localhost,IP:127.0.0.1", then each name as
 * IP: (an IPv4 or IPv6 address) or DNS: (letters, digits, '-' and '.', at
 * most PKI_NAME_MAX), so that no name can add an entry of its own. Returns 0
 * or VIGIL_ERR_INVAL with a sentence in err. Pure; pki_init() uses it.
 */
int pki_san(char *san, size_t cap, const char *const *names, size_t nnames, char *err,
    size_t errlen);

/* The suffix of the files a CA rotation makes beside the ones they replace. */
#define PKI_NEXT ".next"

/*
 * A CA rotation's new files (issue 15), beside the current ones, never over
 * existing files: ca_key.next (a new P-256 CA key, 0600), ca_crt.next (its
 * self-signed certificate, named "Vigil CA label") and coll_crt.next (the
 * collector's certificate again, for its same key and names, signed by the
 * new CA). 0, or an error with a sentence in err.
 */
int pki_next(const char *ca_crt, const char *ca_key, const char *coll_crt, const char *label,
             char *err, size_t errlen);

#endif
