/*
 * Rotating the collector's CA (issue 15): pki_rotate.c.
 *
 * `vigilctl pki rotate` makes a new CA beside the old one (ca.key.next,
 * ca.crt.next, and the collector's certificate again under it,
 * collector.crt.next). From then on, until --finish:
 *
 *   - client certificates from either CA are accepted;
 *   - every new certificate (enrolment, renewal) is signed by the new CA;
 *   - agents are given the bundle (old CA, then new) in their Welcome and in
 *     a CaBundle frame pushed to live sessions, and keep it as their CA file;
 *   - an agent whose certificate is the old CA's is told to renew now;
 *   - the collector keeps serving its old server certificate, which every
 *     agent trusts (the old CA is in both the old file and the bundle).
 *
 * --finish (refused while an agent known to this collector still holds an
 * old-CA certificate, unless forced) makes the new CA the only one: the
 * .next files replace ca.crt, ca.key and collector.crt (the old ones kept
 * as .old) and TLS is set up again from them. By then every agent trusts
 * the new CA through its bundle, so the switch of the server certificate
 * breaks none of them.
 *
 * The state lives in ca.crt.rotation beside ca.crt (when it began, when
 * its overlap ends, and each agent's progress), so a restart keeps it.
 */
#ifndef VIGIL_COLLECTOR_PKI_ROTATE_H
#define VIGIL_COLLECTOR_PKI_ROTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/x509.h>

#include "collector.h"

#define ROTATE_SUFFIX ".rotation"
#define ROTATE_AGENTS_MAX 20000        /* agents followed; more are counted (untracked) */
#define ROTATE_OVERLAP_DEFAULT_S (30LL * 86400)

#define ROTATE_NEW 1u                  /* its certificate is the new CA's */
#define ROTATE_BUNDLE 2u               /* it was given the bundle */

struct rotate_agent {
	char id[COLLECTOR_ID_MAX];
	unsigned flags;
};

struct rotation {
	int64_t started_us, overlap_end_us;
	struct rotate_agent *agents;
	size_t n, cap;
	uint64_t untracked;            /* agents past ROTATE_AGENTS_MAX */
	uint64_t pushed;               /* CaBundle frames sent to live sessions */
	/* while the collector runs */
	X509 *next_ca;
	char *bundle;                  /* the old CA's PEM, then the new one's */
};

/* ---- the state and its decisions (pure but for the file) ---- */
struct rotation *rotation_new(int64_t started_us, int64_t overlap_end_us);
void rotation_free(struct rotation *r);          /* NULL is a no-op */
/* Record flags for agent (added when new). 1 changed, 0 the same, -1 not followed (full). */
int rotation_mark(struct rotation *r, const char *agent, unsigned flags);
void rotation_counts(const struct rotation *r, size_t *old, size_t *fresh, size_t *bundled);
/*
 * May the rotation be finished? 0, or VIGIL_ERR_BUSY with a sentence naming
 * how many agents (and the first) still hold an old-CA certificate.
 */
int rotation_finish_check(const struct rotation *r, int force, char *why, size_t whylen);
/* The file's text; its parser ("file:line: message" errors). */
int rotation_write(const struct rotation *r, FILE *f);
int rotation_parse(struct rotation *r, const char *text, const char *file, char *err,
    size_t errlen);
/* path replaced atomically (0600); read back (VIGIL_ERR_NOTFOUND when there is none). */
int rotation_save(const struct rotation *r, const char *path, char *err, size_t errlen);
int rotation_load(const char *path, struct rotation **out, char *err, size_t errlen);

/* ---- the collector's side ---- */
/* At start-up, after TLS and enrolment: an unfinished rotation goes on. 0 or -1 with err. */
int pki_rotate_open(struct collector *c, char *err, size_t errlen);
void pki_rotate_free(struct collector *c);
int pki_rotate_start(struct collector *c, int64_t overlap_s, const char *who, char *err,
    size_t errlen);
int pki_rotate_finish(struct collector *c, int force, const char *who, char *err,
    size_t errlen);
/* The bundle agents are given; NULL when no rotation is under way. */
const char *pki_rotate_bundle(const struct collector *c);
/*
 * A Welcome to agent with certificate peer (bundled: the agent takes the
 * bundle): records it; 1 when its certificate is the old CA's (renew now).
 */
int pki_rotate_welcome(struct collector *c, const char *agent, X509 *peer, int bundled);
/* A certificate of the new CA went to agent (an enrolment, a renewal). */
void pki_rotate_issued(struct collector *c, const char *agent);

#endif
