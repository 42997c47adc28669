/* value: the reader of a report's data (JSON with arrays and nesting), and its limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"

#include "../../report/value.h"

static struct value_doc *
parse_ok(const char *s)
{
	struct value_doc *d = NULL;
	char err[256];

	if (value_parse(s, strlen(s), NULL, &d, err, sizeof(err)) != 0)
		fail_msg("value_parse(%s): %s", s, err);
	return d;
}

static int
parse_err(const char *s, const struct value_limits *lim, char *err, size_t errlen)
{
	struct value_doc *d = (struct value_doc *)&d;
	int rc = value_parse(s, strlen(s), lim, &d, err, errlen);

	if (rc == 0)
		fail_msg("accepted: %s", s);
	assert_null(d);
	return rc;
}

static void
test_tree(void **state)
{
	struct value_doc *d =
	    parse_ok("{\"unit\":{\"name\":\"UBND phường 7\",\"head\":{\"name\":\"Trần Văn A\"}},"
	             "\"machines\":[{\"name\":\"pc-1\"},{\"name\":\"pc-2\"}],"
	             "\"n\":-1.5e2,\"ok\":true,\"none\":null,\"empty\":[]}");
	const struct value *r = value_root(d), *v;

	assert_int_equal(r->type, VALUE_OBJECT);
	assert_int_equal(r->n, 6);
	v = value_path(r, "unit.head.name");
	assert_non_null(v);
	assert_string_equal(v->str, "Trần Văn A");
	assert_int_equal(v->len, strlen("Trần Văn A"));
	v = value_path(r, "machines.1.name");
	assert_string_equal(v->str, "pc-2");
	assert_null(value_path(r, "machines.2.name"));
	assert_null(value_path(r, "machines.x"));
	assert_null(value_path(r, "unit.nothing"));
	v = value_get(r, "n");
	assert_int_equal(v->type, VALUE_NUMBER);
	assert_string_equal(v->str, "-1.5e2");
	assert_true(v->num == -150.0);
	assert_true(value_truthy(value_get(r, "ok")));
	assert_false(value_truthy(value_get(r, "none")));
	assert_false(value_truthy(value_get(r, "empty")));
	assert_true(value_truthy(value_get(r, "machines")));
	assert_false(value_truthy(NULL));
	value_doc_free(d);
}

static void
test_escapes(void **state)
{
	struct value_doc *d =
	    parse_ok("[\"a\\\"b\\\\c\\/d\\n\", \"\\u0110\\u1ea1i\", \"\\ud83d\\ude00\"]");
	const struct value *r = value_root(d);

	assert_string_equal(r->items[0].str, "a\"b\\c/d\n");
	assert_string_equal(r->items[1].str, "Đại");
	assert_string_equal(r->items[2].str, "\xf0\x9f\x98\x80");
	value_doc_free(d);
}

static void
test_refused(void **state)
{
	static const char *bad[] = {
	    "",
	    "{",
	    "[1,]",
	    "{\"a\":1,}",
	    "{\"a\" 1}",
	    "\"abc",
	    "[1 2]",
	    "{\"a\":1}x",
	    "01",
	    "1.",
	    "-",
	    "1e",
	    "tru",
	    "\"\\u0000\"",
	    "\"\\ud800\"",
	    "\"\\udc00x\"",
	    "\"\\x\"",
	    "\"a\x01\"",
	    "\"\xff\"",
	    "\"\xc0\xaf\"",
	    "1e999",
	    "{\"a\":1,\"a\":2}",
	    "[\"\xed\xa0\x80\"]",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse_err(bad[i], NULL, err, sizeof(err)), VIGIL_ERR_INVAL);
		assert_non_null(strstr(err, "line 1, column "));
	}
	/* The position names the line of a multi-line document. */
	parse_err("{\n  \"a\": [1,\n  2,,]\n}", NULL, err, sizeof(err));
	assert_non_null(strstr(err, "line 3, column "));
	parse_err("{\"x\":1,\"b\":2,\"x\":3}", NULL, err, sizeof(err));
	assert_non_null(strstr(err, "\"x\" appears twice"));
}

static void
test_limits(void **state)
{
	struct value_limits lim = {
	    .max_input = 64, .max_depth = 3, .max_nodes = 5, .max_string = 4};
	char err[256];

	assert_int_equal(parse_err("[[[[1]]]]", &lim, err, sizeof(err)), VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(err, "nested deeper than 3"));
	assert_int_equal(parse_err("[1,2,3,4,5]", &lim, err, sizeof(err)), VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(err, "more than 5 values"));
	assert_int_equal(parse_err("\"abcde\"", &lim, err, sizeof(err)), VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(err, "longer than 4 bytes"));
	assert_int_equal(parse_err("[\"\\u00e0\\u00e0\\u00e0\"]", &lim, err, sizeof(err)),
	                 VIGIL_ERR_TOOBIG);
	{
		char big[100];

		memset(big, ' ', sizeof(big) - 2);
		big[sizeof(big) - 2] = '1';
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(parse_err(big, &lim, err, sizeof(err)), VIGIL_ERR_TOOBIG);
		assert_non_null(strstr(err, "larger than 64 bytes"));
	}
	/* Just within every limit. */
	{
		struct value_doc *d = NULL;
		const char *ok = "[[\"abcd\"],1]";

		assert_int_equal(value_parse(ok, strlen(ok), &lim, &d, err, sizeof(err)), 0);
		value_doc_free(d);
	}
}

/* A hostile object with many members is checked for duplicates without n² work. */
static void
test_many_keys(void **state)
{
	size_t n = 50000, cap = n * 16 + 16, len = 0;
	char *s = malloc(cap);
	struct value_doc *d = NULL;
	char err[128];

	assert_non_null(s);
	s[len++] = '{';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	s[len++] = '}';
	assert_int_equal(value_parse(s, len, NULL, &d, err, sizeof(err)), 0);
	assert_int_equal(value_root(d)->n, n);
	assert_string_equal(value_get(value_root(d), "k49999")->str, "49999");
	value_doc_free(d);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree),      cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_refused),   cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
