/*
 * collector/audit.c: a chain sealed record by record verifies; an edited,
 * deleted, inserted, duplicated or reordered record is named; the
 * serialisation leaves no field boundary ambiguous.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "../../collector/audit.h"

#define N 8
#define T0 1767225600000000LL
#define KNOWN_RECORD1 "dec6e66b4cca49c77c78ad1826d6bd7343b4fe02b9385172675f96f6d5c58a2e"

static char details[N][64];
static struct audit_record chain[N];

/* Eight records, sealed as the store would append them. */
static int
setup(void **state)
{
	static const char *const actions[] = { "ack", "note", "notify", "assign" };
	size_t i;

	memset(chain, 0, sizeof chain);
	for (i = 0; i < N; i++) {
		snprintf(details[i], sizeof details[i], "step %zu of the incident", i);
		chain[i].id = (int64_t)i + 1;
		chain[i].time_us = T0 + (int64_t)i * 1000000;
		chain[i].actor = i % 2 ? "nguyenvana" : "vigil";
		chain[i].incident = 42;
		chain[i].action = actions[i % 4];
		chain[i].detail = details[i];
		if (audit_seal(&chain[i], i > 0 ? chain[i - 1].hash : NULL) != 0)
			return -1;
	}
	return 0;
}

static void
expect_fault(const struct audit_record *recs, size_t n, enum audit_fault_kind kind, int64_t id,
    int64_t expected, const char *words)
{
	struct audit_verifier v;
	char msg[256];

	assert_int_equal(audit_verify(recs, n, &v), VIGIL_ERR_ORDER);
	audit_fault_describe(&v.fault, msg, sizeof msg);
	if (v.fault.kind != kind || v.fault.id != id || v.fault.expected != expected ||
	    strstr(msg, words) == NULL)
		fail_msg("expected fault %d at %lld (%lld) \"...%s...\", got %d at %lld (%lld): %s",
		    kind, (long long)id, (long long)expected, words, v.fault.kind,
		    (long long)v.fault.id, (long long)v.fault.expected, msg);
}

static void
test_intact(void **state)
{
	struct audit_verifier v;
	char msg[128];
	size_t i;

	assert_int_equal(audit_verify(chain, N, &v), 0);
	assert_int_equal(v.count, N);
	assert_int_equal(v.last_id, N);
	assert_memory_equal(v.head, chain[N - 1].hash, AUDIT_HASH_LEN);
	audit_fault_describe(&v.fault, msg, sizeof msg);
	assert_string_equal(msg, "The audit chain is intact.");
	/* Record 1 links to all zeros; each other to the hash before it. */
	for (i = 0; i < AUDIT_HASH_LEN; i++)
		assert_int_equal(chain[0].prev_hash[i], 0);
	for (i = 1; i < N; i++)
		assert_memory_equal(chain[i].prev_hash, chain[i - 1].hash, AUDIT_HASH_LEN);
	/* Empty is intact too. */
	assert_int_equal(audit_verify(chain, 0, &v), 0);
	assert_int_equal(v.count, 0);
}

/* Each field, changed in record 4 alone, is found. */
static void
test_edited(void **state)
{
	struct audit_record copy[N];

	memcpy(copy, chain, sizeof copy);
	copy[3].detail = "nothing happened";
	expect_fault(copy, N, AUDIT_EDITED, 4, 4, "record 4 was edited");

	memcpy(copy, chain, sizeof copy);
	copy[3].actor = "attacker";
	expect_fault(copy, N, AUDIT_EDITED, 4, 4, "record 4 was edited");

	memcpy(copy, chain, sizeof copy);
	copy[3].time_us++;
	expect_fault(copy, N, AUDIT_EDITED, 4, 4, "record 4 was edited");

	memcpy(copy, chain, sizeof copy);
	copy[3].incident = 43;
	expect_fault(copy, N, AUDIT_EDITED, 4, 4, "record 4 was edited");

	memcpy(copy, chain, sizeof copy);
	copy[3].action = "resolve";
	expect_fault(copy, N, AUDIT_EDITED, 4, 4, "record 4 was edited");

	memcpy(copy, chain, sizeof copy);
	copy[3].hash[5] ^= 1;
	expect_fault(copy, N, AUDIT_EDITED, 4, 4, "record 4 was edited");
}

/* Edited and re-hashed: the next record's link names it. */
static void
test_rehashed(void **state)
{
	struct audit_record copy[N];

	memcpy(copy, chain, sizeof copy);
	copy[3].detail = "nothing happened";
	assert_int_equal(audit_seal(&copy[3], copy[2].hash), 0);
	expect_fault(copy, N, AUDIT_LINK, 5, 4, "record 4 was rewritten");
}

static void
test_deleted(void **state)
{
	struct audit_record copy[N];

	/* Record 4 gone: 3 then 5. */
	memcpy(copy, chain, 3 * sizeof copy[0]);
	memcpy(copy + 3, chain + 4, (N - 4) * sizeof copy[0]);
	expect_fault(copy, N - 1, AUDIT_GAP, 5, 4, "record 4 was deleted");

	/* Records 3 to 5. */
	memcpy(copy, chain, 2 * sizeof copy[0]);
	memcpy(copy + 2, chain + 5, (N - 5) * sizeof copy[0]);
	expect_fault(copy, N - 3, AUDIT_GAP, 6, 3, "records 3 to 5 were deleted");

	/* The first record. */
	expect_fault(chain + 1, N - 1, AUDIT_GAP, 2, 1, "record 1 was deleted");
}

static void
test_inserted_and_reordered(void **state)
{
	struct audit_record copy[N + 1];

	/* A forged record with a duplicate id between 4 and 5. */
	memcpy(copy, chain, 4 * sizeof copy[0]);
	copy[4] = chain[3];
	copy[4].detail = "forged";
	assert_int_equal(audit_seal(&copy[4], chain[3].hash), 0);
	memcpy(copy + 5, chain + 4, (N - 4) * sizeof copy[0]);
	expect_fault(copy, N + 1, AUDIT_ORDER, 4, 5, "inserted");

	/* A forged record 5 sealed onto 4: the real 5 no longer follows it. */
	memcpy(copy, chain, sizeof chain);
	copy[4].detail = "forged";
	assert_int_equal(audit_seal(&copy[4], chain[3].hash), 0);
	expect_fault(copy, N, AUDIT_LINK, 6, 5, "record 5 was rewritten");

	/* Records 3 and 4 swapped. */
	memcpy(copy, chain, sizeof chain);
	copy[2] = chain[3];
	copy[3] = chain[2];
	expect_fault(copy, N, AUDIT_GAP, 4, 3, "record 3 was deleted");
	/* Swapped with their ids rewritten to look in order: the content no longer matches. */
	copy[2].id = 3;
	copy[3].id = 4;
	expect_fault(copy, N, AUDIT_EDITED, 3, 3, "record 3 was edited");
	/* The last two swapped: 8 then 7. */
	memcpy(copy, chain, sizeof chain);
	copy[N - 2] = chain[N - 1];
	copy[N - 1] = chain[N - 2];
	expect_fault(copy, N, AUDIT_GAP, 8, 7, "record 7 was deleted");
}

/* The verifier takes records one at a time and stays on the first fault. */
static void
test_streaming(void **state)
{
	struct audit_verifier v;
	struct audit_record bad = chain[2];
	size_t i;

	audit_verify_init(&v);
	for (i = 0; i < 2; i++)
		assert_int_equal(audit_verify_next(&v, &chain[i]), 0);
	bad.detail = "x";
	assert_int_equal(audit_verify_next(&v, &bad), VIGIL_ERR_ORDER);
	assert_int_equal(audit_verify_next(&v, &chain[3]), VIGIL_ERR_ORDER);
	assert_int_equal(v.fault.kind, AUDIT_EDITED);
	assert_int_equal(v.fault.id, 3);
	assert_int_equal(v.count, 2);
}

/* Length prefixes: moving bytes between fields changes the hash. */
static void
test_unambiguous(void **state)
{
	struct audit_record a = { .id = 1, .time_us = T0, .actor = "ab", .incident = 1,
	    .action = "c", .detail = "" };
	struct audit_record b = a;
	uint8_t ha[AUDIT_HASH_LEN], hb[AUDIT_HASH_LEN];

	b.actor = "a";
	b.action = "bc";
	assert_int_equal(audit_hash(&a, ha), 0);
	assert_int_equal(audit_hash(&b, hb), 0);
	assert_memory_not_equal(ha, hb, AUDIT_HASH_LEN);
	b = a;
	b.action = "c";
	b.detail = NULL;       /* NULL and "" are the same empty field */
	assert_int_equal(audit_hash(&b, hb), 0);
	assert_memory_equal(ha, hb, AUDIT_HASH_LEN);
	b.detail = "x";
	assert_int_equal(audit_hash(&b, hb), 0);
	assert_memory_not_equal(ha, hb, AUDIT_HASH_LEN);
}

/* A known answer, so that a change of serialisation cannot pass unnoticed. */
static void
test_known_answer(void **state)
{
	char hex[AUDIT_HEX_LEN];
	uint8_t back[AUDIT_HASH_LEN];

	audit_hex(chain[0].hash, hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(audit_unhex(hex, back), 0);
	assert_memory_equal(back, chain[0].hash, AUDIT_HASH_LEN);
	assert_int_equal(audit_unhex("zz", back), VIGIL_ERR_INVAL);
	hex[10] = 'g';
	assert_int_equal(audit_unhex(hex, back), VIGIL_ERR_INVAL);
	audit_hex(chain[0].hash, hex);
	/* sha256 over the documented layout of record 1, computed independently (Python hashlib). */
	assert_string_equal(hex, KNOWN_RECORD1);
}

static void
test_seal_limits(void **state)
{
	static char big[AUDIT_DETAIL_MAX + 2];
	struct audit_record r = { .id = 1, .time_us = T0, .actor = "root", .action = "note" };

	memset(big, 'x', sizeof big - 1);
	r.detail = big;
	assert_int_equal(audit_seal(&r, NULL), VIGIL_ERR_TOOBIG);
	big[AUDIT_DETAIL_MAX] = '\0';
	assert_int_equal(audit_seal(&r, NULL), 0);
	r.action = "";
	assert_int_equal(audit_seal(&r, NULL), VIGIL_ERR_INVAL);
	r.action = "note";
	r.id = 0;
	assert_int_equal(audit_seal(&r, NULL), VIGIL_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_edited),
		cmocka_unit_test(test_rehashed),
		cmocka_unit_test(test_deleted),
		cmocka_unit_test(test_inserted_and_reordered),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_unambiguous),
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_seal_limits),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
