/* On, off or silent: every rule of presence.h, at its boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vigil.pb-c.h"
#include "../../collector/presence.h"

#define SEC 1000000LL
#define T0 1700000000000000LL
#define WIN (6 * SEC)
#define BYE(x) VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_##x

static enum presence
of(int connected, int64_t last, int64_t off, int reason, int64_t now, int64_t *since)
{
	struct presence_facts f = { connected, last, off, reason };

	return presence_of(&f, now, WIN, since);
}

/* No goodbye: on within the window, silent strictly after it, since the last word. */
static void
test_silence_window(void **state)
{
	int64_t since = -1;

	(void)state;
	assert_int_equal(of(0, T0, 0, 0, T0 + WIN, &since), PRESENCE_ON);
	assert_int_equal(since, 0);
	assert_int_equal(of(0, T0, 0, 0, T0 + WIN + 1, &since), PRESENCE_SILENT);
	assert_int_equal(since, T0);
	/* Connected is on, however old the stored last word. */
	assert_int_equal(of(1, T0, 0, 0, T0 + 1000 * SEC, &since), PRESENCE_ON);
	assert_int_equal(of(0, 0, 0, 0, T0, NULL), PRESENCE_SILENT);
}

/* A goodbye: off since it, for as long as it takes, whatever the reason but restart. */
static void
test_goodbye(void **state)
{
	int64_t since = -1;
	int reasons[] = { BYE(STOPPED), BYE(SHUTDOWN), BYE(SUSPEND) };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(of(0, T0 + 1, T0, reasons[i], T0 + 30 * 86400 * SEC, &since),
		    PRESENCE_OFF);
		assert_int_equal(since, T0);
	}
	/* A restart is off for the window, then silent since the goodbye. */
	assert_int_equal(of(0, T0, T0, BYE(RESTART), T0 + WIN, &since), PRESENCE_OFF);
	assert_int_equal(of(0, T0, T0, BYE(RESTART), T0 + WIN + 1, &since), PRESENCE_SILENT);
	assert_int_equal(since, T0);
	/* Back: its Hello (a live session) wins over the goodbye not yet cleared. */
	assert_int_equal(of(1, T0, T0, BYE(SHUTDOWN), T0 + 100 * SEC, &since), PRESENCE_ON);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(presence_name(PRESENCE_ON), "on");
	assert_string_equal(presence_name(PRESENCE_OFF), "off");
	assert_string_equal(presence_name(PRESENCE_SILENT), "silent");
	assert_string_equal(presence_name((enum presence)9), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silence_window),
		cmocka_unit_test(test_goodbye),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
