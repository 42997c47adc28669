/* The uplink's reconnect backoff: exponential, capped, jittered, never overflowing. */
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_jitter_range),
	    cmocka_unit_test(test_no_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
