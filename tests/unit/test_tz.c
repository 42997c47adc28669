/* tz.c: the one time zone for people, by offset or by name, with summer time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/text.h"
#include "vigil/tz.h"

#define JAN_2026 1767268800000000LL /* 2026-01-01T12:00:00Z */
#define JUL_2026 1783080000000000LL /* 2026-07-03T12:00:00Z */

static void
test_offsets(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(tz_set("+07:00", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JAN_2026), 420);
	assert_int_equal(tz_set("-05:30", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JUL_2026), -330);
	assert_int_equal(tz_set("+0545", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JUL_2026), 345);
	assert_int_equal(tz_set("UTC", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JUL_2026), 0);
}

static void
test_names(void **state)
{
	char err[256], buf[64];

	(void)state;
	assert_int_equal(tz_set("Asia/Ho_Chi_Minh", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JAN_2026), 420);
	assert_int_equal(tz_offset_min(JUL_2026), 420);
	/* The same time, labelled, in the Vietnamese order. */
	text_time_people(buf, sizeof(buf), JAN_2026, tz_offset_min(JAN_2026), 1);
	assert_string_equal(buf, "01/01/2026 19:00:00 (UTC+07:00)");
	/* A zone with summer time is right on both sides of the change. */
	assert_int_equal(tz_set("Europe/Paris", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JAN_2026), 60);
	assert_int_equal(tz_offset_min(JUL_2026), 120);
}

/* vigilctl's one form for people: the order by language, the label once. */
static void
test_people(void **state)
{
	char err[256], buf[64];

	(void)state;
	assert_int_equal(tz_set("+07:00", err, sizeof(err)), 0);
	tz_time_people(buf, sizeof(buf), JAN_2026, 1, 0);
	assert_string_equal(buf, "01/01/2026 19:00:00 (UTC+07:00)");
	tz_time_people(buf, sizeof(buf), JAN_2026, 0, 0);
	assert_string_equal(buf, "2026-01-01 19:00:00 (UTC+07:00)");
	/* In a table the heading carries the zone. */
	tz_time_people(buf, sizeof(buf), JAN_2026, 1, JUL_2026);
	assert_string_equal(buf, "01/01/2026 19:00:00");
	tz_label(buf, sizeof(buf), JAN_2026);
	assert_string_equal(buf, "UTC+07:00");
	assert_int_equal(tz_set("UTC", err, sizeof(err)), 0);
	tz_time_people(buf, sizeof(buf), JAN_2026, 0, 0);
	assert_string_equal(buf, "2026-01-01 12:00:00 (UTC+00:00)");
	/* West of UTC the day can be the one before. */
	assert_int_equal(tz_set("-05:30", err, sizeof(err)), 0);
	tz_time_people(buf, sizeof(buf), JAN_2026 - 7LL * 3600 * 1000000, 1, 0);
	assert_string_equal(buf, "31/12/2025 23:30:00 (UTC-05:30)");
	tz_label(buf, sizeof(buf), JUL_2026);
	assert_string_equal(buf, "UTC-05:30");
	/* A time whose summer-time offset is not the heading's keeps its own label. */
	assert_int_equal(tz_set("Europe/Paris", err, sizeof(err)), 0);
	tz_time_people(buf, sizeof(buf), JUL_2026, 0, JAN_2026);
	assert_string_equal(buf, "2026-07-03 14:00:00 (UTC+02:00)");
	tz_time_people(buf, sizeof(buf), JAN_2026, 0, JAN_2026);
	assert_string_equal(buf, "2026-01-01 13:00:00");
	/* Not a time: nothing, as text_time_people(). */
	assert_int_equal(tz_time_people(buf, sizeof(buf), 0, 1, 0), 0);
	assert_string_equal(buf, "");
}

static void
test_refused(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(tz_set("+25:00", err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "+07:00"));
	assert_int_equal(tz_set("+7", err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_int_equal(tz_set("Asia/../../etc/passwd", err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_int_equal(tz_set("Nowhere/Atlantis", err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "zone database"));
	assert_int_equal(tz_set("Asia Saigon", err, sizeof(err)), VIGIL_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_people),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
