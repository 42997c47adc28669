/* Pacing of the escalation reconcile (pace.h): at once at idle, a timer in floods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../collector/pace.h"

#define T0 1700000000000000LL

/* Idle: the first ask and any ask a gap after the last run wait nothing. */
static void
test_idle_at_once(void **state)
{
	struct pace p = { 0 };

	(void)state;
	assert_int_equal(pace_wait(&p, T0), 0);
	pace_ran(&p, T0, 1);
	assert_int_equal(pace_wait(&p, T0 + PACE_GAP_US), 0);
	assert_int_equal(pace_wait(&p, T0 + 5 * PACE_FLOOD_WINDOW_US), 0);
	/* Within the gap: the rest of it, never more. */
	assert_int_equal(pace_wait(&p, T0 + 5000), PACE_GAP_US - 5000);
	assert_int_equal(pace_wait(&p, T0 - 10 * PACE_FLOOD_WINDOW_US), PACE_GAP_US);
	assert_int_equal(p.floods, 0);
}

/* Commits that open nothing never make a flood, however many. */
static void
test_commits_are_not_a_flood(void **state)
{
	struct pace p = { 0 };
	int64_t t = T0;

	(void)state;
	for (int i = 0; i < 1000; i++, t += PACE_GAP_US) {
		assert_int_equal(pace_wait(&p, t), 0);
		pace_ran(&p, t, 0);
	}
	assert_int_equal(p.floods, 0);
}

/* PACE_FLOOD_N new plans within the window: the timer, until the window passes. */
static void
test_flood_then_idle(void **state)
{
	struct pace p = { 0 };

	(void)state;
	pace_ran(&p, T0, PACE_FLOOD_N - 1);
	assert_int_equal(pace_wait(&p, T0 + PACE_GAP_US), 0);
	pace_ran(&p, T0 + PACE_GAP_US, 1);
	assert_int_equal(pace_wait(&p, T0 + 2 * PACE_GAP_US),
	    PACE_FLOOD_DELAY_US - PACE_GAP_US);
	assert_int_equal(p.floods, 1);
	/* The window is over: at once again. */
	assert_int_equal(pace_wait(&p, T0 + PACE_FLOOD_WINDOW_US), 0);
	pace_ran(&p, T0 + PACE_FLOOD_WINDOW_US, 0);
	assert_int_equal(pace_wait(&p, T0 + PACE_FLOOD_WINDOW_US + PACE_GAP_US), 0);
	assert_int_equal(p.floods, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_at_once),
		cmocka_unit_test(test_commits_are_not_a_flood),
		cmocka_unit_test(test_flood_then_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
