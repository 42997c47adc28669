/*
 * The audit trail as a hash chain, pure (no store, no clock): every record
 * carries the SHA-256 of the one before it, so an edited, deleted, inserted
 * or reordered row is found and named by audit_verify_next().
 *
 * A record's hash is SHA-256 over an unambiguous serialisation:
 *
 *   "vigil-audit-v1" 0x00
 *   id        int64, big-endian (8 bytes)
 *   time_us   int64, big-endian
 *   actor     uint32 big-endian length, then the bytes
 *   incident  int64, big-endian (0: not about one incident)
 *   action    uint32 length, bytes
 *   detail    uint32 length, bytes
 *   prev_hash 32 bytes (all zero for record 1)
 *
 * Ids start at 1 and go up by one; the store assigns them. A plain hash chain
 * proves that the rows were not changed by anyone who did not recompute every
 * later hash; keeping the head (audit_verifier.head) somewhere else — a
 * printed report, the evidence bundle — is what catches that, and a deleted
 * tail.
 */
#ifndef VIGIL_AUDIT_H
#define VIGIL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN 32
#define AUDIT_HEX_LEN (2 * AUDIT_HASH_LEN + 1)
#define AUDIT_ACTOR_MAX 256       /* bytes, for audit_seal() */
#define AUDIT_ACTION_MAX 64
#define AUDIT_DETAIL_MAX 8192

/* Strings are borrowed (the store's row buffers); NULL reads as "". */
struct audit_record {
	int64_t id;
	int64_t time_us;
	const char *actor;       /* the Unix user behind the socket, or "vigil" for the daemon */
	int64_t incident;        /* 0: none */
	const char *action;      /* "ack", "assign", "resolve", "notify", ... */
	const char *detail;
	uint8_t prev_hash[AUDIT_HASH_LEN];
	uint8_t hash[AUDIT_HASH_LEN];
};

/* Compute SHA-256 of r's serialisation (r->hash is not read). 0 or VIGIL_ERR_NOMEM. */
int audit_hash(const struct audit_record *r, uint8_t out[AUDIT_HASH_LEN]);

/*
 * Before appending: copy prev (NULL for the first record: all zero) into
 * r->prev_hash and fill r->hash. Refuses (VIGIL_ERR_TOOBIG) an actor, action
 * or detail over its maximum, VIGIL_ERR_INVAL an id < 1 or an empty action.
 */
int audit_seal(struct audit_record *r, const uint8_t prev[AUDIT_HASH_LEN]);

enum audit_fault_kind {
	AUDIT_OK = 0,
	AUDIT_EDITED,     /* the record's hash does not match its content */
	AUDIT_GAP,        /* ids expected..id-1 are missing: deleted */
	AUDIT_ORDER,      /* id not above the previous one: inserted, duplicated or reordered */
	AUDIT_LINK,       /* prev_hash is not the previous record's hash: that record was rewritten */
};

struct audit_fault {
	enum audit_fault_kind kind;
	int64_t id;          /* the record where the chain breaks */
	int64_t expected;    /* GAP, ORDER: the id that should have come; LINK: the previous id */
};

/* Walk the records in id order, one call each, as the store reads them. */
struct audit_verifier {
	int64_t count;                 /* records accepted so far */
	int64_t last_id;               /* 0 before the first */
	uint8_t head[AUDIT_HASH_LEN];  /* the hash of the last accepted record */
	struct audit_fault fault;      /* the first fault, kind AUDIT_OK while none */
};

void audit_verify_init(struct audit_verifier *v);
/*
 * Check r after everything before it. Returns 0 when r extends the chain,
 * VIGIL_ERR_ORDER with v->fault set at the first fault (later calls return it
 * again without looking), VIGIL_ERR_NOMEM.
 */
int audit_verify_next(struct audit_verifier *v, const struct audit_record *r);
/* The same over an array. */
int audit_verify(const struct audit_record *recs, size_t n, struct audit_verifier *v);

/* One sentence for the operator: "record 17 was edited: ..." (buf always terminated). */
void audit_fault_describe(const struct audit_fault *f, char *buf, size_t len);

/* Lower-case hex of a hash into buf; audit_unhex() reads it back: 0 or VIGIL_ERR_INVAL. */
void audit_hex(const uint8_t hash[AUDIT_HASH_LEN], char buf[AUDIT_HEX_LEN]);
int audit_unhex(const char *hex, uint8_t hash[AUDIT_HASH_LEN]);

#endif
