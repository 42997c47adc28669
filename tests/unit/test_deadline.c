/* deadline: report deadlines from an incident's times, the rules and the holiday calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/clock.h"
#include "vigil/err.h"

#include "../../report/deadline.h"

#define TZ VN_UTC_OFFSET_MIN
#define HOUR (3600LL * 1000000)

static struct calendar *shipped;

static int
setup(void **state)
{
	char err[256];

	if (calendar_load("deploy/reports/holidays.conf", &shipped, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return 0;
}

static int
teardown(void **state)
{
	calendar_free(shipped);
	return 0;
}

/* A Vietnamese local time as microseconds since the epoch. */
static int64_t
vn(int y, int mo, int d, int h, int mi)
{
	return deadline_day_start(cal_days(y, mo, d), TZ) + (int64_t)(h * 60 + mi) * 60 * 1000000;
}

static struct deadline
compute(const struct calendar *cal, enum deadline_kind k, int64_t start)
{
	struct deadline d;

	assert_int_equal(deadline_compute(cal, &deadline_rules[k], start, TZ, &d), 0);
	return d;
}

/* Notice within 5 days of detection: the last day falls in Tết and moves past it. */
static void
test_notice_across_tet(void **state)
{
	struct calendar *plain = calendar_default();
	struct deadline d = compute(shipped, DL_NOTICE, vn(2026, 2, 12, 10, 0));

	assert_true(d.due_us ==
	            vn(2026, 2, 24, 0, 0)); /* end of Monday 23/02, the first day back */
	assert_true(d.near_us ==
	            vn(2026, 2, 13, 0, 0)); /* the last 2 working days: 13/02 and 23/02 */
	assert_false(d.provisional);
	assert_false(d.uncovered);
	/* Without the holidays it would have been Tuesday 17/02, the first day of Tết. */
	d = compute(plain, DL_NOTICE, vn(2026, 2, 12, 10, 0));
	assert_true(d.due_us == vn(2026, 2, 18, 0, 0));
	assert_true(d.uncovered);
	calendar_free(plain);
}

/* Five working days from the Friday before Tết: the week after it. */
static void
test_working_days_across_tet(void **state)
{
	struct deadline_rule rule = {DL_WORKING_DAYS, 5, DL_WORKING_DAYS, 2};
	struct deadline d;

	assert_int_equal(deadline_compute(shipped, &rule, vn(2026, 2, 13, 15, 0), TZ, &d), 0);
	assert_true(d.due_us == vn(2026, 2, 28, 0, 0)); /* end of Friday 27/02 */
	assert_true(d.near_us == vn(2026, 2, 26, 0, 0));
	/* A Saturday worked to make up for 02/01 counts as a working day. */
	rule.amount = 3;
	assert_int_equal(deadline_compute(shipped, &rule, vn(2026, 1, 7, 9, 0), TZ, &d), 0);
	assert_true(d.due_us == vn(2026, 1, 11, 0, 0)); /* end of Saturday 10/01 */
	/* And a holiday on a working day does not: 01/01 and 02/01. */
	rule.amount = 1;
	assert_int_equal(deadline_compute(shipped, &rule, vn(2025, 12, 31, 9, 0), TZ, &d), 0);
	assert_true(d.due_us == vn(2026, 1, 6, 0, 0)); /* end of Monday 05/01 */
}

static void
test_closing_and_hours(void **state)
{
	struct deadline d;

	/* Resolved on Saturday 25/04: the fifth day is 30/04, a holiday, then 1/5 and a weekend. */
	d = compute(shipped, DL_CLOSING, vn(2026, 4, 25, 11, 0));
	assert_true(d.due_us == vn(2026, 5, 5, 0, 0)); /* end of Monday 04/05 */
	d = compute(shipped, DL_CLOSING, vn(2026, 4, 24, 23, 59));
	assert_true(d.due_us == vn(2026, 4, 30, 0, 0)); /* end of Wednesday 29/04 */
	/* 72 hours run through Tết as through any other day. */
	d = compute(shipped, DL_BREACH, vn(2026, 2, 14, 20, 0));
	assert_true(d.due_us == vn(2026, 2, 17, 20, 0));
	assert_true(d.near_us == vn(2026, 2, 16, 20, 0));
	/* "At once": near from the start. */
	d = compute(shipped, DL_INITIAL, vn(2026, 3, 2, 8, 0));
	assert_true(d.due_us == vn(2026, 3, 3, 8, 0));
	assert_true(d.near_us == vn(2026, 3, 2, 8, 0));
	/* Days count from the day after the event, however late in its day it came. */
	d = compute(shipped, DL_NOTICE, vn(2026, 3, 4, 23, 59));
	assert_true(d.due_us == vn(2026, 3, 10, 0, 0)); /* end of Monday 09/03 */
	d = compute(shipped, DL_NOTICE, vn(2026, 3, 5, 0, 0));
	assert_true(d.due_us == vn(2026, 3, 11, 0, 0));
	/* A last day on a weekend moves to the Monday. */
	d = compute(shipped, DL_NOTICE, vn(2026, 3, 2, 9, 0));
	assert_true(d.due_us == vn(2026, 3, 10, 0, 0)); /* 07/03 is a Saturday */
}

static void
test_periodic(void **state)
{
	struct deadline d;

	assert_int_equal(deadline_periodic(shipped, 2026, 1, TZ, &d), 0);
	assert_true(d.due_us == vn(2026, 6, 20, 0, 0));  /* before 20/06 */
	assert_true(d.near_us == vn(2026, 6, 15, 0, 0)); /* five working days: 15–19/06 */
	assert_int_equal(deadline_periodic(shipped, 2026, 2, TZ, &d), 0);
	assert_true(d.due_us == vn(2026, 12, 15, 0, 0));
	assert_true(d.near_us == vn(2026, 12, 8, 0, 0)); /* 08, 09, 10, 11, 14/12 */
	assert_int_equal(deadline_periodic(shipped, 2026, 3, TZ, &d), VIGIL_ERR_INVAL);
}

static void
test_calendar_doubts(void **state)
{
	struct deadline d;

	/* Across the provisional Tết of 2027: said so. */
	d = compute(shipped, DL_NOTICE, vn(2027, 2, 3, 9, 0));
	assert_true(d.provisional);
	assert_true(d.due_us == vn(2027, 2, 12, 0, 0)); /* 08/02 is off until 10/02: end of 11/02 */
	/* In a year the file does not cover. */
	d = compute(shipped, DL_NOTICE, vn(2028, 6, 1, 9, 0));
	assert_true(d.uncovered);
	/* Rules that make no sense. */
	{
		struct deadline_rule bad = {DL_CALENDAR_DAYS, -1, DL_HOURS, 0};

		assert_int_equal(deadline_compute(shipped, &bad, 0, TZ, &d), VIGIL_ERR_INVAL);
		bad = (struct deadline_rule){DL_BEFORE_DATE, 231, DL_HOURS, 0};
		assert_int_equal(deadline_compute(shipped, &bad, 0, TZ, &d), VIGIL_ERR_INVAL);
		bad = (struct deadline_rule){DL_BEFORE_DATE, 1301, DL_HOURS, 0};
		assert_int_equal(deadline_compute(shipped, &bad, 0, TZ, &d), VIGIL_ERR_INVAL);
	}
}

static int64_t fake_now;

static int64_t
fake_clock(void *arg)
{
	return fake_now;
}

/* Pending, near, overdue, submitted, with the clock the daemons use, injected. */
static void
test_states(void **state)
{
	struct deadline d = compute(shipped, DL_NOTICE, vn(2026, 2, 12, 10, 0));

	clock_inject(fake_clock, NULL);
	fake_now = vn(2026, 2, 12, 11, 0);
	assert_int_equal(deadline_state_now(&d, 0), DL_PENDING);
	fake_now = vn(2026, 2, 13, 0, 0);
	assert_int_equal(deadline_state_now(&d, 0), DL_NEAR);
	fake_now = vn(2026, 2, 20, 12, 0); /* in Tết: still near, not overdue */
	assert_int_equal(deadline_state_now(&d, 0), DL_NEAR);
	fake_now = vn(2026, 2, 23, 23, 59);
	assert_int_equal(deadline_state_now(&d, 0), DL_NEAR);
	fake_now = vn(2026, 2, 24, 0, 0);
	assert_int_equal(deadline_state_now(&d, 0), DL_OVERDUE);
	assert_int_equal(deadline_state_now(&d, vn(2026, 2, 23, 16, 30)), DL_SUBMITTED);
	assert_int_equal(deadline_state_now(&d, vn(2026, 2, 24, 8, 0)), DL_SUBMITTED_LATE);
	clock_inject(NULL, NULL);
	assert_string_equal(deadline_state_name(DL_OVERDUE), "overdue");
	assert_string_equal(deadline_state_name(DL_SUBMITTED_LATE), "submitted_late");
	assert_int_equal(deadline_kind_parse("breach"), DL_BREACH);
	assert_int_equal(deadline_kind_parse("nope"), -1);
	assert_string_equal(deadline_kind_name(DL_CLOSING), "closing");
}

/* What a store keeps (the start, the kind, the submission) gives the same deadline after a restart.
 */
static void
test_restart(void **state)
{
	struct deadline before = compute(shipped, DL_CLOSING, vn(2026, 8, 27, 16, 0)), after;
	struct calendar *reloaded = NULL;
	char err[256];

	assert_int_equal(calendar_load("deploy/reports/holidays.conf", &reloaded, err, sizeof(err)),
	                 0);
	after = compute(reloaded, DL_CLOSING, before.start_us);
	assert_memory_equal(&before, &after, sizeof(before));
	/* 27/08 + 5 = 01/09, a holiday, then 02/09: the Thursday 03/09. */
	assert_true(after.due_us == vn(2026, 9, 4, 0, 0));
	/* Its near day is counted back across 31/08, whose swap is provisional: said so. */
	assert_true(after.provisional);
	assert_true(after.near_us == vn(2026, 8, 28, 0, 0));
	calendar_free(reloaded);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notice_across_tet),
	    cmocka_unit_test(test_working_days_across_tet),
	    cmocka_unit_test(test_closing_and_hours),
	    cmocka_unit_test(test_periodic),
	    cmocka_unit_test(test_calendar_doubts),
	    cmocka_unit_test(test_states),
	    cmocka_unit_test(test_restart),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
