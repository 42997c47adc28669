/* calendar: the holiday file, day numbers and working days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"

#include "../../report/calendar.h"

static struct calendar *
parse_ok(const char *s)
{
	struct calendar *c = NULL;
	char err[256];

	if (calendar_parse(s, strlen(s), "t.conf", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return c;
}

static void
test_days(void **state)
{
	int y, m, d;

	assert_int_equal(cal_days(1970, 1, 1), 0);
	assert_int_equal(cal_days(2026, 2, 17) - cal_days(2026, 2, 14), 3);
	assert_int_equal(cal_weekday(cal_days(2026, 2, 17)), 2); /* a Tuesday */
	assert_int_equal(cal_weekday(cal_days(2027, 2, 6)), 6);  /* a Saturday */
	assert_int_equal(cal_weekday(cal_days(2000, 2, 29)), 2);
	for (int32_t z = cal_days(1999, 12, 25); z < cal_days(2032, 3, 5); z++) {
		cal_date(z, &y, &m, &d);
		assert_int_equal(cal_days(y, m, d), z);
	}
	cal_date(cal_days(2028, 2, 29), &y, &m, &d);
	assert_int_equal(y * 10000 + m * 100 + d, 20280229);
}

/* The shipped file parses, and says what the sources say of 2026. */
static void
test_shipped(void **state)
{
	struct calendar *c = NULL;
	struct cal_day cd;
	char err[256];

	if (calendar_load("deploy/reports/holidays.conf", &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	calendar_day(c, cal_days(2026, 2, 17), &cd);
	assert_true(cd.holiday);
	assert_false(cd.working);
	assert_true(cd.covered);
	assert_non_null(strstr(cd.name, "Tết Nguyên đán"));
	assert_false(calendar_is_working(c, cal_days(2026, 2, 14))); /* Saturday, Tết */
	assert_true(calendar_is_working(c, cal_days(2026, 2, 23)));  /* back to work */
	assert_true(calendar_is_working(c, cal_days(2026, 2, 13)));  /* the Friday before */
	calendar_day(c, cal_days(2026, 1, 10), &cd);                 /* a Saturday worked */
	assert_true(cd.working);
	assert_true(cd.makeup);
	assert_false(calendar_is_working(c, cal_days(2026, 1, 2)));
	assert_false(calendar_is_working(c, cal_days(2026, 4, 27)));
	assert_false(calendar_is_working(c, cal_days(2026, 9, 1)));
	calendar_day(c, cal_days(2027, 2, 8), &cd);
	assert_true(cd.holiday);
	assert_true(cd.provisional);
	calendar_day(c, cal_days(2028, 1, 3), &cd);
	assert_false(cd.covered);
	assert_true(cd.working);
	calendar_free(c);
}

static void
test_rules(void **state)
{
	struct calendar *c = parse_ok("# a comment\n\n  weekend fri sat\r\n"
	                              "holiday 2030-01-01..2030-01-03 provisional  Năm mới\n"
	                              "workday 2030-01-04 Làm bù\nyear 2030\n");
	struct cal_day cd;

	assert_true(calendar_is_working(c, cal_days(2030, 1, 6)));   /* a Sunday: works here */
	assert_false(calendar_is_working(c, cal_days(2030, 1, 11))); /* a Friday */
	calendar_day(c, cal_days(2030, 1, 2), &cd);
	assert_true(cd.provisional);
	assert_string_equal(cd.name, "Năm mới");
	calendar_day(c, cal_days(2030, 1, 4), &cd);
	assert_true(cd.working);
	assert_true(cd.makeup);
	calendar_free(c);
	/* An empty calendar: weekends only. */
	c = calendar_default();
	assert_false(calendar_is_working(c, cal_days(2026, 2, 14)));
	assert_true(calendar_is_working(c, cal_days(2026, 2, 17)));
	calendar_free(c);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
	    {"holiday 2026-02-30 x\n", "t.conf:1: expected a date"},
	    {"\nholiday 26-01-01\n", "t.conf:2: expected a date"},
	    {"holidays 2026-01-01\n", "unknown word \"holidays\""},
	    {"weekend sat sunday\n", "unknown day \"sunday\""},
	    {"weekend sat\nweekend sun\n", "t.conf:2: the weekend is given twice"},
	    {"holiday 2026-01-05..2026-01-01 x\n", "run forward"},
	    {"holiday 2026-01-01..2026-12-31 x\n", "at most 60 days"},
	    {"holiday 2026-01-01x\n", "a space after the date"},
	    {"year 26\n", "expected a year"},
	    {"holiday 2026-02-16 Tết\n\nworkday 2026-02-16 x\n",
	     "t.conf:3: 2026-02-16 is already listed at line 1"},
	    {"holiday 2026-02-14..2026-02-22 a\nholiday 2026-02-20 b\n", "t.conf:2: 2026-02-20"},
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct calendar *c = (struct calendar *)&c;

		err[0] = '\0';
		assert_int_equal(calendar_parse(bad[i].text, strlen(bad[i].text), "t.conf", &c, err,
		                                sizeof(err)),
		                 VIGIL_ERR_CONFIG);
		assert_null(c);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("%s: said \"%s\", not \"%s\"", bad[i].text, err, bad[i].says);
	}
	{
		struct calendar *c = NULL;

		assert_int_equal(calendar_load("/nonexistent/holidays.conf", &c, err, sizeof(err)),
		                 VIGIL_ERR_SYS);
		assert_null(c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_days),
	    cmocka_unit_test(test_shipped),
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
