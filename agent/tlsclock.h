/*
 * The agent's TLS check of the collector, by the collector's clock
 * (tlsclock.c, issue 15). A PC whose clock battery died thinks it is 2019
 * or 2031; by its clock the collector's certificate is "not yet valid" or
 * "expired", and if that refused the handshake the PC could never learn the
 * right time from the collector. So until this session's Welcome has said the
 * collector's time, the time errors alone are let through on the collector's
 * chain; every other error (another CA, another name) refuses it as before.
 * At the Welcome the chain is checked against the collector's time, and the
 * session is closed if it is not valid then.
 */
#ifndef VIGIL_AGENT_TLSCLOCK_H
#define VIGIL_AGENT_TLSCLOCK_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* The spool cursor the offset is kept under across restarts. */
#define TLSCLOCK_SPOOL_KEY "vigil:clock-offset"

struct tlsclock {
	int64_t offset_us;      /* the collector's clock minus ours, at the last Welcome */
	int known;              /* offset_us was learnt (or read back from the spool) */
	uint64_t tolerated;     /* handshakes that passed on a time error alone */
};

/* Is err one of the time errors let through before the Welcome? 1 or 0. Pure. */
int tlsclock_time_error(int err);
/*
 * The verify callback's decision for err (ok: OpenSSL's own verdict): 1
 * lets the handshake go on, 0 refuses it. Pure.
 */
int tlsclock_decide(int ok, int err);
/* Install the callback on an agent's client context. */
void tlsclock_install(SSL_CTX *ctx);
/*
 * Before a handshake: verify at our clock plus the offset, so that a known
 * offset leaves nothing to tolerate; tc is told of what is tolerated.
 */
void tlsclock_prepare(SSL *ssl, struct tlsclock *tc);
/*
 * Is every certificate of chain valid at collector_s (seconds since the
 * epoch)? 0, or -1 with a sentence in why. Pure but for OpenSSL.
 */
int tlsclock_check_chain(STACK_OF(X509) *chain, int64_t collector_s, char *why, size_t whylen);
/* Learn the offset from a Welcome's time_us (0: the collector did not say). */
void tlsclock_learn(struct tlsclock *tc, int64_t collector_us);

#endif
