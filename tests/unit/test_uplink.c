/*
 * The uplink's reconnect policy: after a lost connection the first attempt is
 * spread uniformly over [0, reconnect_spread]; after a failed attempt the
 * backoff is exponential, capped, jittered and never overflows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../agent/uplink.h"

/* With rnd at its extremes the jitter reaches both ends of [delay/2, delay]. */
static void
test_bounds(void **state)
{
	uint64_t d;
	uint32_t r;

	for (r = 0; r < 5000; r += 7) {
		d = uplink_backoff_ms(0, 1000, 60000, r);
		assert_in_range(d, 500, 1000);
	}
	assert_int_equal(uplink_backoff_ms(0, 1000, 60000, 0), 500);
	assert_int_equal(uplink_backoff_ms(0, 1000, 60000, 500), 1000);
	assert_int_equal(uplink_backoff_ms(0, 1000, 60000, 501), 500);
	assert_in_range(uplink_backoff_ms(0, 1000, 60000, UINT32_MAX), 500, 1000);
}

/* The upper end doubles with each attempt until the cap. */
static void
test_growth(void **state)
{
	uint64_t want = 100;
	unsigned a;

	for (a = 0; a < 10; a++, want *= 2) {
		/* rnd = delay - delay/2 picks the top of the range. */
		assert_int_equal(uplink_backoff_ms(a, 100, 1000000, (uint32_t)(want - want / 2)),
		    want);
		assert_int_equal(uplink_backoff_ms(a, 100, 1000000, 0), want / 2);
	}
}

static void
test_cap(void **state)
{
	unsigned a;

	/* 1 s * 2^6 = 64 s passes the 60 s cap. */
	assert_int_equal(uplink_backoff_ms(5, 1000, 60000, 16000), 32000);
	assert_int_equal(uplink_backoff_ms(6, 1000, 60000, 30000), 60000);
	assert_int_equal(uplink_backoff_ms(6, 1000, 60000, 0), 30000);
	for (a = 6; a < 70; a++)
		assert_in_range(uplink_backoff_ms(a, 1000, 60000, a * 7919u), 30000, 60000);
	/* min above max is clamped to max. */
	assert_in_range(uplink_backoff_ms(0, 5000, 1000, 12345), 500, 1000);
}

/* Every rnd lands in [delay/2, delay], and the jitter covers the range. */
static void
test_jitter_range(void **state)
{
	uint64_t d, lo = UINT64_MAX, hi = 0;
	uint32_t r;

	for (r = 0; r < 100000; r++) {
		d = uplink_backoff_ms(3, 250, 60000, r * 2654435761u);
		assert_in_range(d, 1000, 2000);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
	}
	assert_int_equal(lo, 1000);
	assert_int_equal(hi, 2000);
}

/* Shifts past the width of the type must not wrap to a tiny delay. */
static void
test_no_overflow(void **state)
{
	assert_in_range(uplink_backoff_ms(100, 1000, 60000, 0), 30000, 60000);
	assert_int_equal(uplink_backoff_ms(100, 1000, 60000, 30000), 60000);
	assert_in_range(uplink_backoff_ms(63, 3, UINT64_MAX, 0), UINT64_MAX / 2, UINT64_MAX);
	/* 3 << 62 still fits: the exact product, not the cap. */
	assert_int_equal(uplink_backoff_ms(62, 3, UINT64_MAX, 0), (uint64_t)3 << 61);
	assert_in_range(uplink_backoff_ms(1000, 1, 86400000, UINT32_MAX), 43200000, 86400000);
	assert_int_equal(uplink_backoff_ms(100, 0, 0, 99), 0);
}

static const struct uplink_retry defaults = { 1000, 60000, 30000 };

/* A lost connection waits anywhere in [0, spread], both ends included. */
static void
test_lost_spread_bounds(void **state)
{
	uint32_t r;

	assert_int_equal(uplink_retry_ms(&defaults, 1, 0, 0), 0);
	assert_int_equal(uplink_retry_ms(&defaults, 1, 0, 30000), 30000);
	assert_int_equal(uplink_retry_ms(&defaults, 1, 0, 30001), 0);
	for (r = 0; r < 200000; r += 13)
		assert_in_range(uplink_retry_ms(&defaults, 1, 0, r * 2654435761u), 0, 30000);
	/* The failure count plays no part in the first attempt after a loss. */
	assert_int_equal(uplink_retry_ms(&defaults, 1, 40, 12345), 12345);
}

/*
 * Spread means spread: 10,000 agents that lost the collector at once land
 * evenly over the window (no tenth of it holds more than 12 % of them),
 * where the old first retry put them all within [min/2, min].
 */
static void
test_lost_spread_even(void **state)
{
	unsigned bins[10] = { 0 }, i;
	uint64_t x = 88172645463325252ull, d;

	for (i = 0; i < 10000; i++) {
		/* xorshift64: a deterministic stand-in for arc4random(). */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = uplink_retry_ms(&defaults, 1, 0, (uint32_t)(x >> 32));
		bins[d * 10 / 30001]++;
	}
	for (i = 0; i < 10; i++)
		assert_in_range(bins[i], 800, 1200);
}

/* No spread: reconnect at once; a spread past 32 bits is cut, not wrapped. */
static void
test_lost_spread_edges(void **state)
{
	const struct uplink_retry none = { 1000, 60000, 0 };
	const struct uplink_retry huge = { 1000, 60000, UINT64_MAX };

	assert_int_equal(uplink_retry_ms(&none, 1, 0, UINT32_MAX), 0);
	assert_int_equal(uplink_retry_ms(&none, 1, 0, 777), 0);
	assert_int_equal(uplink_retry_ms(&huge, 1, 0, UINT32_MAX), UINT32_MAX);
	assert_int_equal(uplink_retry_ms(&huge, 1, 0, 5), 5);
}

/* After a failed attempt the policy is the backoff, whatever the spread. */
static void
test_failed_is_backoff(void **state)
{
	unsigned a;
	uint32_t r;

	for (a = 0; a < 70; a++)
		for (r = 0; r < 100000; r += 997)
			assert_int_equal(uplink_retry_ms(&defaults, 0, a, r),
			    uplink_backoff_ms(a, 1000, 60000, r));
	/* The first retry after a failure is within [min/2, min], as before. */
	assert_in_range(uplink_retry_ms(&defaults, 0, 0, 4242), 500, 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_jitter_range),
	    cmocka_unit_test(test_no_overflow),
	    cmocka_unit_test(test_lost_spread_bounds),
	    cmocka_unit_test(test_lost_spread_even),
	    cmocka_unit_test(test_lost_spread_edges),
	    cmocka_unit_test(test_failed_is_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
