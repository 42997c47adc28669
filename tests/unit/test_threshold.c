/* Threshold and suppression windows with an injected clock (agent/threshold.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
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

/* One event of key with value v (counting distinct values) at time now. */
static int
hit_value(struct threshold *t, const char *key, const char *v, int64_t now)
{
	return threshold_hit_ex(t, key, strlen(key), 0, v, strlen(v), now);
}

/* Password spraying: many user names from one address, not many tries of one. */
static void
test_distinct_counts_values(void **state)
{
	struct threshold *t = threshold_new_ex(3, S(60), 16, 1, 1);

	assert_non_null(t);
	/* One name tried again and again is one value. */
	assert_int_equal(hit_value(t, "203.0.113.7", "root", S(0)), 0);
	assert_int_equal(hit_value(t, "203.0.113.7", "root", S(1)), 0);
	assert_int_equal(hit_value(t, "203.0.113.7", "root", S(2)), 0);
	assert_int_equal(hit_value(t, "203.0.113.7", "admin", S(3)), 0);
	/* Another address has its own names. */
	assert_int_equal(hit_value(t, "198.51.100.9", "oracle", S(4)), 0);
	assert_int_equal(hit_value(t, "203.0.113.7", "oracle", S(5)), 1);
	/* Then it counts afresh: the names seen before count again. */
	assert_int_equal(hit_value(t, "203.0.113.7", "root", S(6)), 0);
	assert_int_equal(hit_value(t, "203.0.113.7", "admin", S(7)), 0);
	assert_int_equal(hit_value(t, "203.0.113.7", "admin", S(8)), 0);
	assert_int_equal(hit_value(t, "203.0.113.7", "guest", S(9)), 1);
	/* Values are bytes: "a\0b" and "a\0c" are two names. */
	assert_int_equal(threshold_hit_ex(t, "k", 1, 0, "a\0b", 3, S(10)), 0);
	assert_int_equal(threshold_hit_ex(t, "k", 1, 0, "a\0c", 3, S(11)), 0);
	assert_int_equal(threshold_hit_ex(t, "k", 1, 0, "", 0, S(12)), 1);
	threshold_free(t);
}

/*
 * The window holds each value's last time: a name tried again stays in it,
 * and the oldest other name slides out.
 */
static void
test_distinct_window_slides(void **state)
{
	struct threshold *t = threshold_new_ex(3, S(60), 16, 1, 1);

	assert_int_equal(hit_value(t, "k", "a", S(0)), 0);
	assert_int_equal(hit_value(t, "k", "b", S(10)), 0);
	assert_int_equal(hit_value(t, "k", "a", S(50)), 0);    /* a is now at 50 */
	/* b at 10 is 65 s before c: three names, but not within 60 s. */
	assert_int_equal(hit_value(t, "k", "c", S(75)), 0);
	/* d pushes b out: a at 50, c at 75, d at 76 are within 60 s. */
	assert_int_equal(hit_value(t, "k", "d", S(76)), 1);
	threshold_free(t);

	/* The same once the ring has wrapped: a repeat taken from its middle. */
	t = threshold_new_ex(3, S(5), 16, 1, 1);
	assert_int_equal(hit_value(t, "k", "a", S(0)), 0);
	assert_int_equal(hit_value(t, "k", "b", S(1)), 0);
	assert_int_equal(hit_value(t, "k", "c", S(10)), 0);
	assert_int_equal(hit_value(t, "k", "d", S(11)), 0);    /* a out: b c d */
	assert_int_equal(hit_value(t, "k", "c", S(12)), 0);    /* b d c, b at 1 */
	assert_int_equal(hit_value(t, "k", "e", S(13)), 1);    /* d c e within 5 s */
	threshold_free(t);
}

/* One event of key "k" in count group g at second sec. */
static int
hit_in(struct threshold *t, unsigned g, int sec)
{
	return threshold_hit_ex(t, "k", 1, g, NULL, 0, S(sec));
}

/*
 * Counts kept apart: each completes on its own. After an alarm, another
 * count completing within the window is the same attack in the other form;
 * the same count completing again is a second alarm, as with one form.
 */
static void
test_groups_count_apart(void **state)
{
	struct threshold *t = threshold_new_ex(3, S(60), 16, 2, 0);
	/* group, second, result */
	static const int steps[][3] = {
		{ 0, 0, 0 }, { 1, 1, 0 }, { 0, 2, 0 }, { 1, 3, 0 },
		{ 1, 4, 1 },    /* four events, but no count had three: a sum would have fired */
		{ 0, 5, 0 },    /* group 0 completes a second later: the other form of that alarm */
		{ 1, 6, 0 }, { 1, 7, 0 },
		{ 1, 8, 1 },    /* group 1 completes again: a second alarm */
		{ 0, 70, 0 }, { 0, 71, 0 },
		{ 0, 72, 1 },   /* past that alarm's window, group 0's own completion is one */
	};
	size_t i;

	assert_non_null(t);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (hit_in(t, (unsigned)steps[i][0], steps[i][1]) != steps[i][2])
			fail_msg("step %zu: group %d at %d s did not give %d", i, steps[i][0],
			    steps[i][1], steps[i][2]);
	/* Keys are apart too; a group out of range is refused. */
	assert_int_equal(threshold_hit_ex(t, "j", 1, 0, NULL, 0, S(73)), 0);
	assert_int_equal(hit_in(t, 2, 74), VIGIL_ERR_INVAL);
	threshold_free(t);
}

/*
 * Brute force seen in two forms: a modern sshd log writes PAM's line and
 * sshd's own for each attempt, an old or filtered log only one of them.
 * With a count per form, n attempts give the same alarms whichever lines
 * the log holds: no double counting when both are there.
 */
static void
test_groups_one_alarm_for_both_forms(void **state)
{
	static const int attempts[] = { 4, 5, 9, 10, 14, 15 }, want[] = { 0, 1, 1, 2, 2, 3 };
	int forms, i, a, alarms;

	for (a = 0; a < 6; a++) {
		for (forms = 1; forms <= 3; forms++) {
			struct threshold *t = threshold_new_ex(5, S(60), 16, 2, 0);

			alarms = 0;
			for (i = 0; i < attempts[a]; i++) {
				if (forms & 2)          /* pam_unix: authentication failure */
					alarms += threshold_hit_ex(t, "203.0.113.7", 11, 1, NULL,
					    0, S(i * 3));
				if (forms & 1)          /* sshd: Failed password */
					alarms += threshold_hit_ex(t, "203.0.113.7", 11, 0, NULL,
					    0, S(i * 3) + 1);
			}
			if (alarms != want[a])
				fail_msg("forms %d: %d alarms for %d attempts, %d expected", forms,
				    alarms, attempts[a], want[a]);
			threshold_free(t);
		}
	}
}

static void
test_ex_bad_arguments(void **state)
{
	assert_null(threshold_new_ex(2, S(1), 10, 0, 0));
	assert_null(threshold_new_ex(2, S(1), 10, THRESHOLD_MAX_GROUPS + 1, 0));
	assert_null(threshold_new_ex(0, S(1), 10, 1, 1));
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
		cmocka_unit_test(test_distinct_counts_values),
		cmocka_unit_test(test_distinct_window_slides),
		cmocka_unit_test(test_groups_count_apart),
		cmocka_unit_test(test_groups_one_alarm_for_both_forms),
		cmocka_unit_test(test_ex_bad_arguments),
		cmocka_unit_test(test_suppress_folds_and_counts),
		cmocka_unit_test(test_suppress_eviction_loses_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
