/* buf: growing buffers with a hard cap, the output of every report stage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"

#include "vigil/buf.h"

static void
test_grow_and_cap(void **state)
{
	struct buf b;
	char *p;
	size_t n;

	buf_init(&b, 1000);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_printf(&b, "%03d|", i), 0);
	assert_int_equal(b.len, 400);
	assert_int_equal(strncmp(b.p, "000|001|", 8), 0);
	assert_true(b.alloc <= 1001);
	/* Over the cap: refused whole, remembered. */
	assert_int_equal(buf_add(&b, "x", 601), VIGIL_ERR_TOOBIG);
	assert_int_equal(b.len, 400);
	assert_int_equal(buf_error(&b), VIGIL_ERR_TOOBIG);
	assert_int_equal(buf_add(&b, "0123456789", 10), 0); /* what fits still goes in */
	buf_reset(&b);
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	/* A long printf goes through the second path. */
	{
		char big[700];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(buf_printf(&b, "<%s>", big), 0);
		assert_int_equal(b.len, 701);
		assert_int_equal(buf_printf(&b, "%s", big), VIGIL_ERR_TOOBIG);
	}
	p = buf_take(&b, &n);
	assert_int_equal(n, 701);
	assert_null(b.p);
	free(p);
	/* An empty buffer hands over "". */
	p = buf_take(&b, &n);
	assert_string_equal(p, "");
	free(p);
	buf_free(&b);
	/* No cap at all: SIZE_MAX does not wrap. */
	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_str(&b, "abc"), 0);
	assert_int_equal(buf_add(&b, "x", SIZE_MAX - 2), VIGIL_ERR_TOOBIG);
	assert_string_equal(b.p, "abc");
	buf_free(&b);
}

static void
test_base64(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},
	         {"f", "Zg=="},
	         {"fo", "Zm8="},
	         {"foo", "Zm9v"},
	         {"foob", "Zm9vYg=="},
	         {"fooba", "Zm9vYmE="},
	         {"foobar", "Zm9vYmFy"}};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b;

		buf_init(&b, 64);
		assert_int_equal(buf_base64(&b, (const unsigned char *)v[i].in, strlen(v[i].in)),
		                 0);
		assert_string_equal(b.p != NULL ? b.p : "", v[i].out);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grow_and_cap),
	    cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
