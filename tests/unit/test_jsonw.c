/* jsonw: the one JSON writer, into a growing buf and into a caller's sbuf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/buf.h"
#include "vigil/err.h"
#include "vigil/json.h"
#include "vigil/jsonw.h"
#include "vigil/sbuf.h"

static void
test_shape(void **state)
{
	struct jsonw w;
	struct buf b;

	buf_init(&b, 4096);
	jsonw_buf(&w, &b);
	jsonw_object(&w, NULL);
	jsonw_int(&w, "id", -7);
	jsonw_uint(&w, "n", 18446744073709551615ull);
	jsonw_array(&w, "list");
	jsonw_bool(&w, NULL, 1);
	jsonw_null(&w, NULL);
	jsonw_object(&w, NULL);
	jsonw_end(&w);
	jsonw_array(&w, NULL);
	jsonw_end(&w);
	jsonw_str(&w, NULL, NULL);
	jsonw_end(&w);
	jsonw_double(&w, "pct", 66.6666, 1);
	jsonw_double(&w, "target", 100, -1);
	jsonw_double(&w, "nan", 0.0 / 0.0, 1);
	jsonw_raw(&w, "raw", "{\"a\":[1,2]}");
	jsonw_raw(&w, "none", "");
	jsonw_end(&w);
	assert_int_equal(jsonw_error(&w), 0);
	assert_int_equal(buf_error(&b), 0);
	assert_string_equal(b.p, "{\"id\":-7,\"n\":18446744073709551615,"
	                         "\"list\":[true,null,{},[],\"\"],\"pct\":66.7,\"target\":100,"
	                         "\"nan\":null,\"raw\":{\"a\":[1,2]},\"none\":null}");
	buf_free(&b);
}

/* Strings and keys escaped; a long text crosses the writer's pieces whole. */
static void
test_escaping(void **state)
{
	struct json_object *o = NULL;
	const struct json_member *m;
	struct jsonw w;
	struct buf b;
	char err[128], *big;
	size_t n = 3000;

	big = malloc(n + 1);
	assert_non_null(big);
	/* "ễ" is 3 bytes: 1000 of them put a character across every 512-byte piece. */
	for (size_t i = 0; i < n; i += 3)
		memcpy(big + i, "\xe1\xbb\x85", 3);
	big[n] = '\0';
	buf_init(&b, 1 << 16);
	jsonw_buf(&w, &b);
	jsonw_object(&w, NULL);
	jsonw_str(&w, "q\"k\n", "a\"b\\c\x01\x1b[31m\x7f");
	jsonw_strn(&w, "bad", "x\xff\xc3y", 4);
	jsonw_str(&w, "big", big);
	jsonw_end(&w);
	assert_int_equal(buf_error(&b), 0);
	assert_non_null(strstr(b.p, "\"q\\\"k\\u000a\":\"a\\\"b\\\\c\\u0001\\u001b[31m\\u007f\""));
	assert_non_null(strstr(b.p, "\"bad\":\"x\xef\xbf\xbd\xef\xbf\xbdy\""));
	assert_int_equal(json_parse(b.p, b.len, &o, err, sizeof(err)), 0);
	m = json_get(o, "big");
	assert_non_null(m);
	assert_int_equal(strlen(m->str), n);
	assert_memory_equal(m->str, big, n);
	json_free(o);
	buf_free(&b);
	free(big);
}

static void
test_nesting_errors(void **state)
{
	struct jsonw w;
	struct buf b;

	buf_init(&b, 4096);
	jsonw_buf(&w, &b);
	for (int i = 0; i < JSONW_DEPTH_MAX + 5; i++)
		jsonw_array(&w, NULL);
	assert_int_equal(jsonw_error(&w), VIGIL_ERR_INVAL);
	/* Nothing more is written once it went wrong. */
	size_t len = b.len;
	jsonw_int(&w, NULL, 1);
	assert_int_equal(b.len, len);
	buf_free(&b);

	buf_init(&b, 4096);
	jsonw_buf(&w, &b);
	jsonw_object(&w, NULL);
	jsonw_end(&w);
	assert_int_equal(jsonw_error(&w), 0);
	jsonw_end(&w);
	assert_int_equal(jsonw_error(&w), VIGIL_ERR_INVAL);
	buf_free(&b);
}

/* Into a fixed sbuf: what does not fit is cut and said (trunc); a buf's cap is refused. */
static void
test_sinks_full(void **state)
{
	struct jsonw w;
	struct sbuf sb;
	struct buf b;
	char small[16];

	sbuf_init(&sb, small, sizeof(small));
	jsonw_sbuf(&w, &sb);
	jsonw_object(&w, NULL);
	jsonw_str(&w, "title", "a long title that does not fit");
	jsonw_end(&w);
	assert_true(sb.trunc);
	assert_true(strlen(small) < sizeof(small));

	buf_init(&b, 10);
	jsonw_buf(&w, &b);
	jsonw_object(&w, NULL);
	jsonw_str(&w, "title", "a long title that does not fit");
	jsonw_end(&w);
	assert_int_equal(buf_error(&b), VIGIL_ERR_TOOBIG);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_nesting_errors),
		cmocka_unit_test(test_sinks_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
