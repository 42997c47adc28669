/*
 * err.c: the codes' sentences and the error formatter, the one way a
 * sentence reaches a caller's buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"

static void
test_fmt(void **state)
{
	char err[16];

	assert_int_equal(err_fmt(err, sizeof(err), VIGIL_ERR_INVAL, "'%s' is bad", "x"),
	    VIGIL_ERR_INVAL);
	assert_string_equal(err, "'x' is bad");
	/* Cut to the buffer, always a C string. */
	assert_int_equal(err_fmt(err, sizeof(err), 0, "%s", "a sentence that is long"), 0);
	assert_string_equal(err, "a sentence that");
	/* No buffer: nothing written, the code still returned. */
	assert_int_equal(err_fmt(NULL, 0, VIGIL_ERR_NOMEM, "x"), VIGIL_ERR_NOMEM);
	err[0] = 'q';
	assert_int_equal(err_fmt(err, 0, VIGIL_ERR_TOOBIG, "x"), VIGIL_ERR_TOOBIG);
	assert_int_equal(err[0], 'q');
}

static void
test_at(void **state)
{
	char err[1024], big[ERR_MSG_MAX * 2];

	assert_int_equal(err_at(err, sizeof(err), VIGIL_ERR_CONFIG, "agent.conf", 12,
	    "unknown key '%s'", "prot"), VIGIL_ERR_CONFIG);
	assert_string_equal(err, "agent.conf:12: unknown key 'prot'");
	err_at(err, sizeof(err), VIGIL_ERR_SYS, "agent.conf", 0, "cannot open: %s", "No such file");
	assert_string_equal(err, "agent.conf: cannot open: No such file");
	/* The message is cut at ERR_MSG_MAX before the place goes in front. */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_at(err, sizeof(err), 0, "f", 1, "%s", big);
	assert_int_equal(strlen(err), strlen("f:1: ") + ERR_MSG_MAX - 1);
}

static void
test_strerror(void **state)
{
	assert_string_equal(vigil_strerror(VIGIL_OK), "success");
	assert_string_equal(vigil_strerror(VIGIL_ERR_CONFIG), "configuration error");
	assert_string_equal(vigil_strerror(-999), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_at),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
