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

/* A person's time: in the zone set without an offset, exactly with one; dd/mm/yyyy if asked. */
static void
test_parse(void **state)
{
	char err[256], wall[32];
	int64_t us;

	(void)state;
	assert_int_equal(tz_set("Asia/Ho_Chi_Minh", err, sizeof(err)), 0);
	assert_int_equal(tz_parse_time("2026-07-03 19:00", 0, &us, wall, sizeof(wall)), 0);
	assert_int_equal(us, JUL_2026);
	assert_string_equal(wall, "2026-07-03T19:00:00.000000");
	assert_int_equal(tz_parse_time("03/07/2026 19:00:00", 1, &us, wall, sizeof(wall)), 0);
	assert_int_equal(us, JUL_2026);
	assert_int_equal(tz_parse_time("03/07/2026", 0, &us, NULL, 0), -1);
	assert_int_equal(tz_parse_time("2026-07-03T12:00:00Z", 1, &us, wall, sizeof(wall)), 0);
	assert_int_equal(us, JUL_2026);
	assert_string_equal(wall, "");
	assert_int_equal(tz_parse_time("2026-07-03T14:00+0200", 0, &us, NULL, 0), 0);
	assert_int_equal(us, JUL_2026);
	assert_int_equal(tz_parse_time("2026-07-03T14:00:00.5+02:00", 0, &us, NULL, 0), 0);
	assert_int_equal(us, JUL_2026 + 500000);
	assert_int_equal(tz_set("-05:30", err, sizeof(err)), 0);
	assert_int_equal(tz_parse_time("2026-07-03 06:30", 0, &us, NULL, 0), 0);
	assert_int_equal(us, JUL_2026);
	assert_int_equal(tz_set("Europe/Paris", err, sizeof(err)), 0);
	assert_int_equal(tz_parse_time("2026-07-03 14:00", 0, &us, NULL, 0), 0);
	assert_int_equal(us, JUL_2026);
	assert_int_equal(tz_parse_time("2026-01-01 13:00", 0, &us, NULL, 0), 0);
	assert_int_equal(us, JAN_2026);
	assert_int_equal(tz_parse_time("2026-02-30", 0, &us, NULL, 0), -1);
	assert_int_equal(tz_parse_time("31/02/2026", 1, &us, NULL, 0), -1);
	assert_int_equal(tz_parse_time("2026-07-03 25:00", 0, &us, NULL, 0), -1);
	assert_int_equal(tz_parse_time("2026-07-03 14:00 x", 0, &us, NULL, 0), -1);
	assert_int_equal(tz_parse_time("2026-07-0", 0, &us, NULL, 0), -1);
}

/* Empty: the system's zone, TZ as the process found it, named as the system names it. */
static void
test_system(void **state)
{
	char err[256], name[64];

	(void)state;
	assert_int_equal(tz_set("+07:00", err, sizeof(err)), 0);
	tz_name(name, sizeof(name), JUL_2026);
	assert_string_equal(name, "+07:00");
	assert_int_equal(tz_set("", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JUL_2026), 330);
	tz_name(name, sizeof(name), JUL_2026);
	assert_string_equal(name, "Asia/Kolkata");
	assert_int_equal(tz_set("Europe/Paris", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JUL_2026), 120);
	tz_name(name, sizeof(name), JUL_2026);
	assert_string_equal(name, "Europe/Paris");
	assert_int_equal(tz_set("", err, sizeof(err)), 0);
	assert_int_equal(tz_offset_min(JUL_2026), 330);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_people),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_parse),
	};
	const struct CMUnitTest system[] = {
		cmocka_unit_test(test_system),
	};
	char err[256];

	/* the system's zone as this process starts: TZ, as a service manager sets it */
	if (setenv("TZ", "Asia/Kolkata", 1) != 0 || tz_set("", err, sizeof(err)) != 0)
		return 1;
	if (cmocka_run_group_tests(system, NULL, NULL) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
