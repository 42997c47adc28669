/* The audit hash chain: sealing a record and walking a chain to its first break. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "vigil/err.h"
#include "vigil/text.h"

#include "audit.h"

/* Domain separation, with its NUL, so no other SHA-256 in Vigil can collide with a record. */
static const char audit_tag[] = "vigil-audit-v1";

static int
put_u64(EVP_MD_CTX *ctx, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
	return EVP_DigestUpdate(ctx, b, sizeof b);
}

/* Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently. */
static int
put_str(EVP_MD_CTX *ctx, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;
	uint8_t b[4];

	b[0] = (uint8_t)(len >> 24);
	b[1] = (uint8_t)(len >> 16);
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	if (EVP_DigestUpdate(ctx, b, sizeof b) != 1)
		return 0;
	return len == 0 || EVP_DigestUpdate(ctx, s, len) == 1;
}

int
audit_hash(const struct audit_record *r, uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int rc = VIGIL_ERR_NOMEM;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return VIGIL_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, audit_tag, sizeof audit_tag) != 1 ||
	    put_u64(ctx, (uint64_t)r->id) != 1 ||
	    put_u64(ctx, (uint64_t)r->time_us) != 1 ||
	    !put_str(ctx, r->actor) ||
	    put_u64(ctx, (uint64_t)r->incident) != 1 ||
	    !put_str(ctx, r->action) ||
	    !put_str(ctx, r->detail) ||
	    EVP_DigestUpdate(ctx, r->prev_hash, AUDIT_HASH_LEN) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != AUDIT_HASH_LEN)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

int
audit_seal(struct audit_record *r, const uint8_t prev[AUDIT_HASH_LEN])
{
	if (r->id < 1 || slen(r->action) == 0)
		return VIGIL_ERR_INVAL;
	if (slen(r->actor) > AUDIT_ACTOR_MAX || slen(r->action) > AUDIT_ACTION_MAX ||
	    slen(r->detail) > AUDIT_DETAIL_MAX)
		return VIGIL_ERR_TOOBIG;
	if (prev != NULL)
		memcpy(r->prev_hash, prev, AUDIT_HASH_LEN);
	else
		memset(r->prev_hash, 0, AUDIT_HASH_LEN);
	return audit_hash(r, r->hash);
}

void
audit_verify_init(struct audit_verifier *v)
{
	memset(v, 0, sizeof *v);
}

static int
fault(struct audit_verifier *v, enum audit_fault_kind kind, int64_t id, int64_t expected)
{
	v->fault.kind = kind;
	v->fault.id = id;
	v->fault.expected = expected;
	return VIGIL_ERR_ORDER;
}

int
audit_verify_next(struct audit_verifier *v, const struct audit_record *r)
{
	uint8_t h[AUDIT_HASH_LEN];
	int rc;

	if (v->fault.kind != AUDIT_OK)
		return VIGIL_ERR_ORDER;
	/* Position first: a missing or misplaced row explains a broken link better. */
	if (r->id <= v->last_id)
		return fault(v, AUDIT_ORDER, r->id, v->last_id + 1);
	if (r->id != v->last_id + 1)
		return fault(v, AUDIT_GAP, r->id, v->last_id + 1);
	if ((rc = audit_hash(r, h)) != 0)
		return rc;
	if (memcmp(h, r->hash, AUDIT_HASH_LEN) != 0)
		return fault(v, AUDIT_EDITED, r->id, r->id);
	if (memcmp(r->prev_hash, v->head, AUDIT_HASH_LEN) != 0)
		return fault(v, AUDIT_LINK, r->id, v->last_id);
	memcpy(v->head, r->hash, AUDIT_HASH_LEN);
	v->last_id = r->id;
	v->count++;
	return 0;
}

int
audit_verify(const struct audit_record *recs, size_t n, struct audit_verifier *v)
{
	size_t i;
	int rc;

	audit_verify_init(v);
	for (i = 0; i < n; i++)
		if ((rc = audit_verify_next(v, &recs[i])) != 0)
			return rc;
	return 0;
}

void
audit_fault_describe(const struct audit_fault *f, char *buf, size_t len)
{
	if (len == 0)
		return;
	switch (f->kind) {
	case AUDIT_OK:
		snprintf(buf, len, "The audit chain is intact.");
		break;
	case AUDIT_EDITED:
		snprintf(buf, len, "Audit record %" PRId64 " was edited: its content does not "
		    "match its hash.", f->id);
		break;
	case AUDIT_GAP:
		if (f->expected == 1 && f->id == 2)
			snprintf(buf, len, "Audit record 1 was deleted: the chain starts at "
			    "record 2.");
		else if (f->expected == 1)
			snprintf(buf, len, "Audit records 1 to %" PRId64 " were deleted: the chain "
			    "starts at record %" PRId64 ".", f->id - 1, f->id);
		else if (f->id - 1 == f->expected)
			snprintf(buf, len, "Audit record %" PRId64 " was deleted: the chain goes "
			    "from %" PRId64 " to %" PRId64 ".", f->expected, f->expected - 1,
			    f->id);
		else
			snprintf(buf, len, "Audit records %" PRId64 " to %" PRId64 " were deleted: "
			    "the chain goes from %" PRId64 " to %" PRId64 ".", f->expected,
			    f->id - 1, f->expected - 1, f->id);
		break;
	case AUDIT_ORDER:
		snprintf(buf, len, "Audit record %" PRId64 " is out of place where record %"
		    PRId64 " should be: a record was inserted, duplicated or moved.", f->id,
		    f->expected);
		break;
	case AUDIT_LINK:
		snprintf(buf, len, "Audit record %" PRId64 " does not follow from record %" PRId64
		    ": record %" PRId64 " was rewritten with a new hash, or %" PRId64
		    " was forged.", f->id, f->expected, f->expected, f->id);
		break;
	default:
		snprintf(buf, len, "The audit chain has an unknown fault.");
		break;
	}
}

void
audit_hex(const uint8_t hash[AUDIT_HASH_LEN], char buf[AUDIT_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < AUDIT_HASH_LEN; i++) {
		buf[2 * i] = digits[hash[i] >> 4];
		buf[2 * i + 1] = digits[hash[i] & 0xf];
	}
	buf[2 * AUDIT_HASH_LEN] = '\0';
}

int
audit_unhex(const char *hex, uint8_t hash[AUDIT_HASH_LEN])
{
	size_t i;
	int hi, lo;

	if (strlen(hex) != 2 * AUDIT_HASH_LEN)
		return VIGIL_ERR_INVAL;
	for (i = 0; i < AUDIT_HASH_LEN; i++) {
		if ((hi = text_hex_digit(hex[2 * i])) < 0 || (lo = text_hex_digit(hex[2 * i + 1])) < 0)
			return VIGIL_ERR_INVAL;
		hash[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
