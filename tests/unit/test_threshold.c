/* Threshold and suppression windows with an injected clock (agent/threshold.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../agent/threshold.h"

#define S(x) ((int64_t)(x) * 1000000)    /* seconds in microseconds */

static int
hit(struct threshold *t, const char *key, int64_t now)
{
	return threshold_hit(t, key, strlen(key), now);
}

static void
test_fires_at_count_within_window(void **state)
{
	struct threshold *t = threshold_new(5, S(60), 16);

	assert_non_null(t);
	assert_int_equal(hit(t, "10.0.0.1", S(0)), 0);
	assert_int_equal(hit(t, "10.0.0.1", S(10)), 0);
	assert_int_equal(hit(t, "10.0.0.1", S(20)), 0);
	assert_int_equal(hit(t, "10.0.0.1", S(30)), 0);
	assert_int_equal(hit(t, "10.0.0.1", S(40)), 1);
	threshold_free(t);
}

static void
test_boundary_exactly_window_counts(void **state)
{
	struct threshold *t = threshold_new(3, S(60), 16);

	assert_int_equal(hit(t, "k", S(100)), 0);
	assert_int_equal(hit(t, "k", S(130)), 0);
	/* The first and the last exactly W apart: inclusive. */
	assert_int_equal(hit(t, "k", S(160)), 1);
	threshold_free(t);
}

static void
test_boundary_just_past_window(void **state)
{
	struct threshold *t = threshold_new(3, S(60), 16);

	assert_int_equal(hit(t, "k", S(100)), 0);
	assert_int_equal(hit(t, "k", S(130)), 0);
	assert_int_equal(hit(t, "k", S(160) + 1), 0);
	/* The oldest slid out: 130, 160+1, 170 are within 60 s. */
	assert_int_equal(hit(t, "k", S(170)), 1);
	threshold_free(t);
}

static void
test_restarts_after_firing(void **state)
{
	struct threshold *t = threshold_new(5, S(60), 16);
	int fired = 0, i;

	/* Ten failures in a minute fire twice at count 5. */
	for (i = 0; i < 10; i++)
		fired += hit(t, "10.0.0.1", S(i * 5));
	assert_int_equal(fired, 2);
	/* The eleventh starts a new count. */
	assert_int_equal(hit(t, "10.0.0.1", S(51)), 0);
	threshold_free(t);
}

static void
test_keys_are_separate(void **state)
{
	struct threshold *t = threshold_new(2, S(60), 16);

	assert_int_equal(hit(t, "a", S(0)), 0);
	assert_int_equal(hit(t, "b", S(1)), 0);
	assert_int_equal(hit(t, "a", S(2)), 1);
	assert_int_equal(hit(t, "b", S(3)), 1);
	/* A key is bytes, not a C string: "a\0x" and "a\0y" differ. */
	assert_int_equal(threshold_hit(t, "a\0x", 3, S(4)), 0);
	assert_int_equal(threshold_hit(t, "a\0y", 3, S(5)), 0);
	assert_int_equal(threshold_keys(t), 4);
	threshold_free(t);
}

static void
test_count_one_fires_every_time(void **state)
{
	struct threshold *t = threshold_new(1, S(1), 4);

	assert_int_equal(hit(t, "x", S(0)), 1);
	assert_int_equal(hit(t, "x", S(0)), 1);
	threshold_free(t);
}

static void
test_many_keys_and_eviction(void **state)
{
	struct threshold *t = threshold_new(2, S(60), 100);
	char key[32];
	int i;

	assert_non_null(t);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(hit(t, key, S(1)), 0);
	}
	/* The cap holds: 100 keys tracked, the 900 oldest evicted and counted. */
	assert_int_equal(threshold_keys(t), 100);
	assert_int_equal(threshold_evicted(t), 900);
	/* An evicted key starts again from nothing; a kept one completes. */
	assert_int_equal(hit(t, "10.0.0.0", S(2)), 0);
	assert_int_equal(hit(t, "10.0.3.231", S(2)), 1);      /* key 999, the newest */
	assert_int_equal(threshold_evicted(t), 901);
	threshold_free(t);
}

static void
test_eviction_is_least_recently_used(void **state)
{
	struct threshold *t = threshold_new(2, S(60), 2);

	assert_int_equal(hit(t, "a", S(0)), 0);
	assert_int_equal(hit(t, "b", S(1)), 0);
	assert_int_equal(threshold_hit(t, "a", 1, S(2)), 1);  /* a is touched: b is older */
	assert_int_equal(hit(t, "a", S(3)), 0);               /* a counts afresh: 1 */
	assert_int_equal(hit(t, "c", S(4)), 0);               /* evicts b */
	assert_int_equal(threshold_evicted(t), 1);
	assert_int_equal(hit(t, "a", S(5)), 1);               /* a survived */
	assert_int_equal(hit(t, "b", S(6)), 0);               /* b starts over */
	threshold_free(t);
}

static void
test_bad_arguments(void **state)
{
	assert_null(threshold_new(0, S(1), 10));
	assert_null(threshold_new(THRESHOLD_MAX_COUNT + 1, S(1), 10));
	assert_null(threshold_new(2, -1, 10));
	assert_null(threshold_new(2, S(1), 0));
	assert_null(suppress_new(-1, 10));
	threshold_free(NULL);
	suppress_free(NULL);
}

static void
test_suppress_folds_and_counts(void **state)
{
	struct suppress *s = suppress_new(S(60), 16);
	uint64_t rep = 99;

	assert_non_null(s);
	assert_int_equal(suppress_hit(s, "u", 1, S(0), &rep), 1);
	assert_int_equal(rep, 0);
	assert_int_equal(suppress_hit(s, "u", 1, S(10), &rep), 0);
	assert_int_equal(suppress_hit(s, "u", 1, S(20), &rep), 0);
	/* Exactly W after the one emitted: still inside. */
	assert_int_equal(suppress_hit(s, "u", 1, S(60), &rep), 0);
	/* Past it: emitted, carrying the three folded in. */
	assert_int_equal(suppress_hit(s, "u", 1, S(60) + 1, &rep), 1);
	assert_int_equal(rep, 3);
	/* That one opened a new window. */
	assert_int_equal(suppress_hit(s, "u", 1, S(100), &rep), 0);
	assert_int_equal(suppress_hit(s, "u", 1, S(200), &rep), 1);
	assert_int_equal(rep, 1);
	/* Another key has its own window. */
	assert_int_equal(suppress_hit(s, "v", 1, S(200), &rep), 1);
	assert_int_equal(rep, 0);
	suppress_free(s);
}

static void
test_suppress_eviction_loses_counted(void **state)
{
	struct suppress *s = suppress_new(S(60), 2);
	uint64_t rep;

	suppress_hit(s, "a", 1, S(0), &rep);
	suppress_hit(s, "a", 1, S(1), &rep);       /* folded: 1 */
	suppress_hit(s, "a", 1, S(2), &rep);       /* folded: 2 */
	suppress_hit(s, "b", 1, S(3), &rep);
	suppress_hit(s, "c", 1, S(4), &rep);       /* evicts a, with its 2 */
	assert_int_equal(suppress_keys(s), 2);
	assert_int_equal(suppress_evicted(s), 1);
	assert_int_equal(suppress_lost(s), 2);
	/* a comes back as new: emitted at once, no repeat. */
	assert_int_equal(suppress_hit(s, "a", 1, S(5), &rep), 1);
	assert_int_equal(rep, 0);
	suppress_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_at_count_within_window),
		cmocka_unit_test(test_boundary_exactly_window_counts),
		cmocka_unit_test(test_boundary_just_past_window),
		cmocka_unit_test(test_restarts_after_firing),
		cmocka_unit_test(test_keys_are_separate),
		cmocka_unit_test(test_count_one_fires_every_time),
		cmocka_unit_test(test_many_keys_and_eviction),
		cmocka_unit_test(test_eviction_is_least_recently_used),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_suppress_folds_and_counts),
		cmocka_unit_test(test_suppress_eviction_loses_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
