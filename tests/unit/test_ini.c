/*
 * ini.c: the one INI reader under the configurations and the rule files.
 * Items, places and the problems every INI file can have; going on after a
 * problem is the caller's choice, so the reader must allow it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/ini.h"

static struct ini r;

static void
expect_section(const char *name, const char *label, unsigned line)
{
	struct ini_item it;

	assert_int_equal(ini_next(&r, &it), INI_SECTION);
	assert_string_equal(it.name, name);
	assert_string_equal(it.label, label);
	assert_int_equal(it.line, line);
}

static void
expect_key(const char *key, const char *value, unsigned line)
{
	struct ini_item it;

	assert_int_equal(ini_next(&r, &it), INI_KEY);
	assert_string_equal(it.name, key);
	assert_string_equal(it.value, value);
	assert_int_equal(it.line, line);
}

static void
expect_error(enum ini_error e, unsigned line)
{
	struct ini_item it;

	assert_int_equal(ini_next(&r, &it), INI_ERROR);
	assert_int_equal(it.error, e);
	assert_int_equal(it.line, line);
	assert_non_null(it.why);
}

static void
test_items(void **state)
{
	static const char text[] =
	    "# a comment\n"
	    "; another\n"
	    "\n"
	    "[agent]\n"
	    "  unit = UBND phuong X  \n"
	    "empty =\n"
	    "[source  auth.log ]\n"
	    "path=/var/log/auth.log\n"
	    "quoted = \"  a \\\" b  \"\n"
	    "x = # not a comment here\n"
	    "last = no newline";

	ini_text(&r, text, sizeof(text) - 1);
	expect_section("agent", "", 4);
	expect_key("unit", "UBND phuong X", 5);
	expect_key("empty", "", 6);
	expect_section("source", "auth.log", 7);
	expect_key("path", "/var/log/auth.log", 8);
	expect_key("quoted", "\"  a \\\" b  \"", 9);
	expect_key("x", "# not a comment here", 10);
	expect_key("last", "no newline", 11);
	assert_int_equal(ini_next(&r, &(struct ini_item){ 0 }), INI_END);
	assert_int_equal(ini_next(&r, &(struct ini_item){ 0 }), INI_END);
}

static void
test_errors_go_on(void **state)
{
	char text[INI_LINE_MAX + 200];
	struct ini_item it;
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "[broken\nno equals sign\n");
	memcpy(text + n, "bad\0nul\n", 8);
	n += 8;
	memset(text + n, 'x', INI_LINE_MAX + 1);
	n += INI_LINE_MAX + 1;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nk = v\n");
	ini_text(&r, text, n);
	expect_error(INI_ERR_HEADER, 1);
	assert_int_equal(ini_next(&r, &it), INI_ERROR);
	assert_int_equal(it.error, INI_ERR_NOEQ);
	assert_string_equal(it.text, "no equals sign");
	expect_error(INI_ERR_NUL, 3);
	expect_error(INI_ERR_LONG, 4);
	/* The line after an overlong one is read whole, and in its place. */
	expect_key("k", "v", 5);
	assert_int_equal(ini_next(&r, &it), INI_END);

	/* Exactly INI_LINE_MAX bytes is a line, not too long. */
	memset(text, 'k', INI_LINE_MAX - 2);
	memcpy(text + INI_LINE_MAX - 2, "=v", 2);
	ini_text(&r, text, INI_LINE_MAX);
	assert_int_equal(ini_next(&r, &it), INI_KEY);
	assert_string_equal(it.value, "v");
}

static void
test_file(void **state)
{
	struct ini_item it;
	FILE *fp = tmpfile();

	assert_non_null(fp);
	fputs("[rule ssh.x]\r\npattern = ^a$\r\n", fp);
	rewind(fp);
	ini_file(&r, fp);
	/* CR LF line ends: the CR is trimmed like any space. */
	expect_section("rule", "ssh.x", 1);
	expect_key("pattern", "^a$", 2);
	assert_int_equal(ini_next(&r, &it), INI_END);
	fclose(fp);
}

static void
test_unquote(void **state)
{
	char a[] = "\"a \\\"b\\\" \\\\ c\"", b[] = "\"open", c[] = "\"x\" y", d[] = "\"\\n\"";
	const char *why = NULL;

	assert_int_equal(ini_unquote(a, &why), 0);
	assert_string_equal(a, "a \"b\" \\ c");
	assert_int_equal(ini_unquote(b, &why), -1);
	assert_string_equal(why, "quoted value has no closing '\"'");
	assert_int_equal(ini_unquote(c, &why), -1);
	assert_string_equal(why, "text after the closing '\"' of a quoted value");
	assert_int_equal(ini_unquote(d, &why), -1);
}

static void
test_bool(void **state)
{
	int v = -1;

	assert_int_equal(ini_bool("YES", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ini_bool("Off", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ini_bool("1", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ini_bool("false", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ini_bool("yess", &v), -1);
	assert_int_equal(ini_bool("", &v), -1);
	assert_int_equal(ini_bool("2", &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_errors_go_on),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_unquote),
		cmocka_unit_test(test_bool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
