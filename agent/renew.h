/*
 * Certificate renewal over the live session (renew.c): at two thirds of the
 * certificate's lifetime by the collector's clock, a new key and a request
 * over the session; the platform saves the result, the agent reloads TLS.
 */
#ifndef VIGIL_AGENT_RENEW_H
#define VIGIL_AGENT_RENEW_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/x509.h>

#include "vigil.pb-c.h"

struct uplink;

struct renew_opts {
	/* Save the new key (PEM, key_len bytes) and certificate; 0 or -1. NULL: renewal off. */
	int (*save)(void *arg, const char *key_pem, size_t key_len, const char *cert_pem);
	/* Rebuild the TLS context from the saved files for the next connection; 0 or -1. */
	int (*reload)(void *arg);
	void *arg;
};

struct renew;

struct renew *renew_new(struct event_base *base, const struct renew_opts *o);
void renew_free(struct renew *r);                 /* NULL is a no-op */
/* After a Welcome: the collector's clock (0: it did not say) and our certificate. */
void renew_welcome(struct renew *r, struct uplink *u, int64_t collector_us, X509 *cert);
/* Ask now (the collector said renew_now, or our certificate is from a CA being replaced). */
void renew_now(struct renew *r);
/*
 * Is cert signed by the newest CA of bundle_pem (its last certificate, as the
 * collector orders a rotation's bundle)? 1 yes, 0 no, -1 the bundle holds none.
 */
int renew_cert_from_newest(const char *bundle_pem, X509 *cert);
/* The session ended: nothing is asked until the next Welcome. */
void renew_link_lost(struct renew *r);
/* The collector's answer to our request. */
void renew_result(struct renew *r, const Vigil__V1__RenewResult *res);
/* Renewals done since the start. */
uint64_t renew_count(const struct renew *r);
/*
 * Seconds from collector_now until two thirds of [not_before, not_after]
 * (all seconds by the collector's clock); 0 when that is past. Pure.
 */
int64_t renew_delay_s(int64_t not_before, int64_t not_after, int64_t collector_now);

#endif
