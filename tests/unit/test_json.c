/* json: the strict reader of control-protocol response lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/json.h"

static struct json_object *
parse_ok(const char *s)
{
	struct json_object *o = NULL;
	char err[256];
	int rc;

	rc = json_parse(s, strlen(s), &o, err, sizeof(err));
	if (rc != 0)
		fail_msg("json_parse(%s) failed: %s", s, err);
	assert_non_null(o);
	return o;
}

static int
parse_rc(const char *s, size_t len, char *err, size_t errlen)
{
	struct json_object *o = (struct json_object *)&o;
	int rc;

	rc = json_parse(s, len, &o, err, errlen);
	if (rc == 0)
		json_free(o);
	else
		assert_null(o);
	return rc;
}

/* Assert s is refused as malformed, with a reason naming a byte offset. */
static void
refused(const char *s)
{
	char err[256] = "";

	if (parse_rc(s, strlen(s), err, sizeof(err)) != VIGIL_ERR_INVAL)
		fail_msg("accepted malformed input: %s", s);
	assert_non_null(strstr(err, "at byte "));
}

static const char *
str_of(const struct json_object *o, const char *key)
{
	const struct json_member *m = json_get(o, key);

	assert_non_null(m);
	assert_int_equal(m->type, JSON_STRING);
	return m->str;
}

static void
test_event_line(void **state)
{
	const char *line =
	    "{\"agent\":\"pc-1\",\"seq\":42,\"time\":\"2026-11-25T10:00:00.000001Z\","
	    "\"category\":\"auth\",\"severity\":\"medium\",\"rule\":\"sshd.failed\","
	    "\"summary\":\"Failed password for root\",\"raw\":null,\"ok\":true,\"no\":false,"
	    "\"fields\":{\"user\":\"root\",\"src_ip\":\"10.0.0.9\"}}";
	const struct json_member *m, *all;
	struct json_object *o = parse_ok(line);
	long long v;
	size_t n;

	all = json_members(o, &n);
	assert_int_equal(n, 11);
	assert_string_equal(all[0].key, "agent");
	assert_string_equal(all[10].key, "fields");
	assert_string_equal(str_of(o, "agent"), "pc-1");
	assert_string_equal(str_of(o, "summary"), "Failed password for root");
	m = json_get(o, "seq");
	assert_int_equal(m->type, JSON_NUMBER);
	assert_string_equal(m->str, "42");
	assert_int_equal(json_int(m, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(json_get(o, "raw")->type, JSON_NULL);
	assert_int_equal(json_get(o, "ok")->type, JSON_BOOL);
	assert_string_equal(json_get(o, "ok")->str, "true");
	assert_string_equal(json_get(o, "no")->str, "false");
	assert_null(json_get(o, "missing"));

	m = json_get(o, "fields");
	assert_int_equal(m->type, JSON_OBJECT);
	assert_int_equal(m->nmembers, 2);
	assert_string_equal(m->members[0].key, "user");
	assert_string_equal(m->members[0].str, "root");
	assert_string_equal(json_find(m->members, m->nmembers, "src_ip")->str, "10.0.0.9");
	json_free(o);
}

static void
test_two_nested_objects_and_white_space(void **state)
{
	const char *line = " \t{ \"a\" : { \"x\" : 1 , \"y\" : -2.5e+3 } ,\r\n \"b\" : \"s\", "
	                   "\"c\" : { } , \"d\" : { \"z\" : \"q\" } }\n";
	struct json_object *o = parse_ok(line);
	const struct json_member *a, *c, *d;
	long long v;

	a = json_get(o, "a");
	c = json_get(o, "c");
	d = json_get(o, "d");
	assert_int_equal(a->nmembers, 2);
	assert_string_equal(a->members[1].key, "y");
	assert_string_equal(a->members[1].str, "-2.5e+3");
	assert_int_equal(json_int(&a->members[1], &v), VIGIL_ERR_INVAL);
	assert_int_equal(c->nmembers, 0);
	assert_int_equal(d->nmembers, 1);
	assert_string_equal(d->members[0].key, "z");
	assert_string_equal(d->members[0].str, "q");
	json_free(o);

	o = parse_ok("{}");
	json_members(o, &(size_t){0});
	json_free(o);
}

/*
 * An empty nested object as the only one: there is no run of nested members,
 * and the parser once pointed it at NULL + 0 (undefined; clang's UBSan stops
 * on it, see the fuzz_json corpus).
 */
static void
test_only_an_empty_nested_object(void **state)
{
	struct json_object *o = parse_ok("{\"a\":{}}");
	const struct json_member *a = json_get(o, "a");

	assert_non_null(a);
	assert_int_equal(a->type, JSON_OBJECT);
	assert_int_equal(a->nmembers, 0);
	assert_null(json_find(a->members, a->nmembers, "x"));
	json_free(o);
}

static void
test_every_escape(void **state)
{
	struct json_object *o;

	o = parse_ok("{\"s\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t end\"}");
	assert_string_equal(str_of(o, "s"), "q\" b\\ s/ \b\f\n\r\t end");
	json_free(o);

	/* \u escapes of one, two and three UTF-8 bytes, and a surrogate pair. */
	o = parse_ok("{\"s\":\"\\u0041\\u00e9\\u1EA1\\u001b[2J\\ud83d\\ude00\\uDBFF\\uDFFF\"}");
	assert_string_equal(str_of(o, "s"),
	                    "A\xc3\xa9\xe1\xba\xa1\x1b[2J\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	assert_int_equal(json_get(o, "s")->len, 18);
	json_free(o);

	/* Escapes in keys decode too. */
	o = parse_ok("{\"k\\u0065y\":\"v\"}");
	assert_string_equal(str_of(o, "key"), "v");
	json_free(o);

	/* Raw UTF-8 (Vietnamese) passes unchanged. */
	o = parse_ok("{\"s\":\"M\xe1\xba\xacT \xc4\x91\xc6\xb0\xe1\xbb\xa3"
	             "c\"}");
	assert_string_equal(str_of(o, "s"), "M\xe1\xba\xacT \xc4\x91\xc6\xb0\xe1\xbb\xa3"
	                                    "c");
	json_free(o);
}

static void
test_numbers(void **state)
{
	struct json_object *o;
	long long v;

	o = parse_ok("{\"a\":0,\"b\":-0,\"c\":9223372036854775807,\"d\":9223372036854775808,"
	             "\"e\":1.5,\"f\":1E9}");
	assert_int_equal(json_int(json_get(o, "a"), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(json_int(json_get(o, "c"), &v), 0);
	assert_true(v == 9223372036854775807LL);
	assert_int_equal(json_int(json_get(o, "d"), &v), VIGIL_ERR_RANGE);
	assert_int_equal(json_int(json_get(o, "e"), &v), VIGIL_ERR_INVAL);
	assert_int_equal(json_int(json_get(o, "f"), &v), VIGIL_ERR_INVAL);
	assert_int_equal(json_int(NULL, &v), VIGIL_ERR_INVAL);
	json_free(o);

	refused("{\"a\":01}");
	refused("{\"a\":-}");
	refused("{\"a\":1.}");
	refused("{\"a\":.5}");
	refused("{\"a\":1e}");
	refused("{\"a\":+1}");
	refused("{\"a\":0x10}");
	refused("{\"a\":NaN}");
	refused("{\"a\":1111111111111111111111111111111111111111111111111111111111111111111}");
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    " ",
	    "{",
	    "{\"a\"",
	    "{\"a\":",
	    "{\"a\":\"b",
	    "{\"a\":\"b\"",
	    "{\"a\":\"b\",}",
	    "{\"a\":\"b\"}}",
	    "{\"a\":\"b\"} x",
	    "{\"a\":\"b\"}{}",
	    "{a:\"b\"}",
	    "{'a':'b'}",
	    "{\"a\" \"b\"}",
	    "{\"a\":\"b\" \"c\":\"d\"}",
	    "{,}",
	    "[]",
	    "\"s\"",
	    "42",
	    "null",
	    "{\"a\":tru}",
	    "{\"a\":nul}",
	    "{\"a\":True}",
	    "{\"a\":[1,2]}",
	    "{\"a\":{\"b\":1}",
	    "{\"a\":\"b\",\"a\":\"c\"}",
	    "{\"a\":{\"x\":1,\"x\":2}}",
	    "{\"a\":\"\\x41\"}",
	    "{\"a\":\"\\u12\"}",
	    "{\"a\":\"\\u12G4\"}",
	    "{\"a\":\"\\\"}",
	    "{\"a\":\"\\",
	    "{\"a\":\"\\'\"}",
	    "{\"a\":\"\\ud83d\"}",
	    "{\"a\":\"\\ud83dx\"}",
	    "{\"a\":\"\\ud83d\\u0041\"}",
	    "{\"a\":\"\\ude00\"}",
	    "{\"a\":\"\\u0000\"}",
	    "{\"a\":\"\\U0041\"}",
	    "{\"a\":\"b\"},",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i]);
}

static void
test_deep_nesting_refused(void **state)
{
	char deep[4096];
	size_t n = 0;
	char err[256];

	refused("{\"a\":{\"b\":{\"c\":1}}}");
	refused("{\"a\":{\"b\":{}}}");
	/* A long run of opening braces is refused at the second level, not recursed into. */
	n += (size_t)snprintf(deep, sizeof(deep), "{\"a\":");
	while (n < sizeof(deep) - 8)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"a\":");
	assert_int_equal(parse_rc(deep, n, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "deeper"));
}

static void
test_hostile_strings(void **state)
{
	char err[256];

	/* Raw control characters, DEL aside, are not JSON. */
	refused("{\"a\":\"line\nbreak\"}");
	refused("{\"a\":\"esc\x1b[2J\"}");
	refused("{\"a\":\"tab\there\"}");
	/* Invalid UTF-8: a stray continuation, an overlong '/', a surrogate, past U+10FFFF, cut
	 * short. */
	refused("{\"a\":\"\x80\"}");
	refused("{\"a\":\"\xc0\xaf\"}");
	refused("{\"a\":\"\xe0\x80\xaf\"}");
	refused("{\"a\":\"\xed\xa0\x80\"}");
	refused("{\"a\":\"\xf4\x90\x80\x80\"}");
	refused("{\"a\":\"\xe2\x82\"}");
	refused("{\"a\":\"\xff\"}");
	refused("{\"\xc3\":1}");
	/* A NUL byte inside the input ends nothing early: it is refused where it stands. */
	assert_int_equal(parse_rc("{\"a\":\"x\0y\"}", 11, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_int_equal(parse_rc("{\"a\":1}\0", 8, err, sizeof(err)), VIGIL_ERR_INVAL);
	/* Escaped control characters are accepted; showing them safely is the printer's job. */
	struct json_object *o = parse_ok("{\"a\":\"\\u001b]0;pwned\\u0007\\r\\n\\u007f\\u009b\"}");
	assert_string_equal(str_of(o, "a"), "\x1b]0;pwned\x07\r\n\x7f\xc2\x9b");
	json_free(o);
}

static void
test_limits(void **state)
{
	char err[256];
	size_t cap = JSON_MAX_INPUT + 16, n;
	char *big = malloc(cap);

	assert_non_null(big);
	/* One string of exactly the maximum size is accepted... */
	memset(big, 'x', JSON_MAX_INPUT);
	memcpy(big, "{\"a\":\"", 6);
	memcpy(big + JSON_MAX_INPUT - 2, "\"}", 2);
	assert_int_equal(parse_rc(big, JSON_MAX_INPUT, err, sizeof(err)), 0);
	/* ...one byte more is not. */
	assert_int_equal(parse_rc(big, JSON_MAX_INPUT + 1, err, sizeof(err)), VIGIL_ERR_TOOBIG);

	/* Too many members. */
	n = (size_t)snprintf(big, cap, "{");
	for (int i = 0; i <= JSON_MAX_MEMBERS; i++)
		n += (size_t)snprintf(big + n, cap - n, "%s\"k%d\":1", i ? "," : "", i);
	n += (size_t)snprintf(big + n, cap - n, "}");
	assert_int_equal(parse_rc(big, n, err, sizeof(err)), VIGIL_ERR_TOOBIG);
	free(big);

	/* No error buffer is fine. */
	assert_int_equal(parse_rc("{", 1, NULL, 0), VIGIL_ERR_INVAL);
	json_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_event_line),
	    cmocka_unit_test(test_two_nested_objects_and_white_space),
	    cmocka_unit_test(test_only_an_empty_nested_object),
	    cmocka_unit_test(test_every_escape),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_deep_nesting_refused),
	    cmocka_unit_test(test_hostile_strings),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
