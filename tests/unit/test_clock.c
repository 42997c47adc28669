/*
 * clock.c: the daemons' one clock, held still by a test, and local calendar
 * times as logs write them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "vigil/clock.h"
#include "vigil/err.h"

static int64_t
still(void *arg)
{
	return *(const int64_t *)arg;
}

static void
test_inject(void **state)
{
	int64_t t = 1796405059000000, before, after;
	struct timespec ts;

	clock_inject(still, &t);
	assert_int_equal(clock_now_us(), t);
	t += 90 * 1000000LL;            /* the test moves time, not the machine */
	assert_int_equal(clock_now_us(), 1796405149000000);
	clock_inject(NULL, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	before = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	after = clock_now_us();
	assert_true(after >= before && after - before < 5000000);
}

static void
test_local(void **state)
{
	int64_t us;

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	assert_int_equal(clock_local_us(2026, 12, 4, 7, 0, 0, &us), 0);
	assert_int_equal(us, 1796342400000000);     /* 2026-12-04 00:00:00 UTC */
	assert_int_equal(clock_local_us(2026, 13, 1, 0, 0, 0, &us), VIGIL_ERR_DECODE);
	assert_int_equal(clock_local_us(1969, 12, 31, 23, 59, 59, &us), VIGIL_ERR_DECODE);
	assert_int_equal(clock_local_us(2026, 2, 1, 24, 0, 0, &us), VIGIL_ERR_DECODE);
	assert_int_equal(clock_local_us(2026, 6, 30, 23, 59, 60, &us), 0);  /* a leap second */
}

/* The civil calendar without a time zone: both ways, leap days included. */
static void
test_civil(void **state)
{
	int y, m, d;

	assert_int_equal(clock_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(clock_days_from_civil(2000, 3, 1) - clock_days_from_civil(2000, 2, 28), 2);
	assert_int_equal(clock_days_from_civil(2100, 3, 1) - clock_days_from_civil(2100, 2, 28), 1);
	assert_int_equal(clock_days_from_civil(1969, 12, 31), -1);
	for (int64_t z = clock_days_from_civil(1999, 1, 1); z < clock_days_from_civil(2031, 1, 1); z++) {
		clock_civil_from_days(z, &y, &m, &d);
		assert_int_equal(clock_days_from_civil(y, m, d), z);
	}
	clock_civil_from_days(clock_days_from_civil(2026, 2, 17), &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20260217);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inject),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_civil),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
