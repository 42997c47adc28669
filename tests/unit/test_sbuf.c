/*
 * sbuf.c: the capped string builder. What fits is kept, a cut falls on a
 * character boundary, trunc says that something was left out, and the text
 * is always a C string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/sbuf.h"

static void
test_fits(void **state)
{
	char buf[32];
	struct sbuf b;

	sbuf_init(&b, buf, sizeof(buf));
	assert_string_equal(buf, "");
	sbuf_str(&b, "[Vigil]");
	sbuf_printf(&b, "[%s] #%d", "CAO", 12);
	sbuf_put(&b, "xyz", 2);
	assert_string_equal(buf, "[Vigil][CAO] #12xy");
	assert_int_equal(b.len, strlen(buf));
	assert_false(b.trunc);
}

static void
test_cut_on_boundary(void **state)
{
	char buf[6];
	struct sbuf b;

	sbuf_init(&b, buf, sizeof(buf));                /* room for 5 bytes */
	sbuf_str(&b, "ab");
	sbuf_str(&b, "\xe1\xbb\x87\xe1\xbb\x87");        /* ệệ: only one fits */
	assert_string_equal(buf, "ab\xe1\xbb\x87");
	assert_true(b.trunc);
	/* Full: nothing more goes in, and the text stays whole. */
	sbuf_str(&b, "c");
	assert_string_equal(buf, "ab\xe1\xbb\x87");

	sbuf_init(&b, buf, sizeof(buf));
	sbuf_str(&b, "abcd");
	sbuf_str(&b, "\xe1\xbb\x87");                   /* 3 bytes, 1 of room */
	assert_string_equal(buf, "abcd");
	assert_true(b.trunc);
	/* A shorter piece that fits is still taken. */
	sbuf_str(&b, "e");
	assert_string_equal(buf, "abcde");
}

static void
test_printf_long(void **state)
{
	char big[SBUF_PRINTF_MAX + 100], buf[4096];
	struct sbuf b;
	size_t i;

	/* A formatted piece past SBUF_PRINTF_MAX is cut, never in a character. */
	for (i = 0; i + 3 <= sizeof(big) - 1; i += 3)
		memcpy(big + i, "\xe1\xbb\x87", 3);
	big[i] = '\0';
	sbuf_init(&b, buf, sizeof(buf));
	sbuf_printf(&b, "x%s", big);
	assert_true(b.trunc);
	assert_true(b.len < SBUF_PRINTF_MAX);
	assert_int_equal((b.len - 1) % 3, 0);
}

static void
test_bytes(void **state)
{
	char buf[8];
	struct sbuf b;
	uint32_t n = 0xe1e1e1e1;

	/* A binary key is cut where the room ends, whatever its bytes. */
	sbuf_init(&b, buf, sizeof(buf));
	sbuf_bytes(&b, &n, sizeof(n));
	sbuf_bytes(&b, "\xe1\xbb\x87\xe1", 4);
	assert_int_equal(b.len, 7);
	assert_memory_equal(buf + 4, "\xe1\xbb\x87", 3);
	assert_true(b.trunc);
}

static void
test_empty(void **state)
{
	struct sbuf b;
	char one[1];

	sbuf_init(&b, NULL, 0);
	sbuf_str(&b, "x");
	assert_int_equal(b.len, 0);
	assert_true(b.trunc);
	sbuf_init(&b, one, 1);
	sbuf_str(&b, "");
	assert_false(b.trunc);
	sbuf_str(&b, "x");
	assert_string_equal(one, "");
	assert_true(b.trunc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_cut_on_boundary),
		cmocka_unit_test(test_printf_long),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
