/*
 * utf8.c: the one decoder, the encoder, and cutting and measuring text on
 * character boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/utf8.h"

static int
dec(const char *s, size_t len, uint32_t *cp)
{
	return utf8_decode((const unsigned char *)s, len, cp);
}

static void
test_decode(void **state)
{
	uint32_t cp = 0;

	assert_int_equal(dec("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(dec("\0", 1, &cp), 1);            /* NUL is a character: callers decide */
	assert_int_equal(cp, 0);
	assert_int_equal(dec("\xc3\xa9", 2, &cp), 2);      /* é */
	assert_int_equal(cp, 0xe9);
	assert_int_equal(dec("\xe1\xbb\x87", 3, &cp), 3);  /* ệ */
	assert_int_equal(cp, 0x1ec7);
	assert_int_equal(dec("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(dec("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	assert_int_equal(cp, 0x10ffff);

	/* Invalid: minus the maximal invalid subpart, so one U+FFFD replaces it. */
	assert_int_equal(dec("\x80", 1, &cp), -1);         /* lone continuation */
	assert_int_equal(dec("\xc0\x80", 2, &cp), -1);     /* overlong NUL */
	assert_int_equal(dec("\xe0\x80\x80", 3, &cp), -1); /* overlong 3-byte */
	assert_int_equal(dec("\xed\xa0\x80", 3, &cp), -1); /* a surrogate */
	assert_int_equal(dec("\xf4\x90\x80\x80", 4, &cp), -1); /* past U+10FFFF */
	assert_int_equal(dec("\xf5\x80\x80\x80", 4, &cp), -1);
	assert_int_equal(dec("\xe1\xbb", 2, &cp), -2);     /* cut short */
	assert_int_equal(dec("\xe1\xbb\x28", 3, &cp), -2); /* a bad third byte */
	assert_int_equal(dec("\xf0\x9f\x98", 3, &cp), -3);
}

static void
test_len(void **state)
{
	assert_int_equal(utf8_len("a", 1), 1);
	assert_int_equal(utf8_len("\xc3\xa9x", 3), 2);
	assert_int_equal(utf8_len("\xc3", 1), 0);
	assert_int_equal(utf8_len("\xed\xbf\xbf", 3), 0);
	assert_int_equal(utf8_len("\xff", 1), 0);
}

/* The next character as shown: a broken prefix is one U+FFFD over its bytes. */
static void
test_next(void **state)
{
	const unsigned char ok[] = "\xe1\xbb\x85x", cut[] = "\xe1\xbbx", stray[] = "\x80x";
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(utf8_next(ok, 4, &cp), 3);
	assert_int_equal(cp, 0x1ec5);          /* ễ */
	assert_int_equal(utf8_next(cut, 3, &cp), 2);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(utf8_next(stray, 2, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(utf8_next(ok, 2, &cp), 2);   /* the text ends inside it */
	assert_int_equal(cp, 0xfffd);
}

static void
test_encode(void **state)
{
	static const uint32_t cps[] = { 0, 0x41, 0x7f, 0x80, 0x7ff, 0x800, 0x1ec7, 0xd7ff, 0xe000,
	    0xffff, 0x10000, 0x1f600, 0x10ffff };
	char buf[4];
	uint32_t back;
	size_t i, n;

	for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		n = utf8_encode(buf, cps[i]);
		assert_int_equal(n, cps[i] < 0x80 ? 1 : cps[i] < 0x800 ? 2 : cps[i] < 0x10000 ?
		    3 : 4);
		/* What is encoded decodes back to itself, and nothing else. */
		assert_int_equal(dec(buf, n, &back), (int)n);
		assert_int_equal(back, cps[i]);
	}
	assert_int_equal(utf8_encode(buf, 0x1ec7), 3);
	assert_memory_equal(buf, "\xe1\xbb\x87", 3);
}

static void
test_cut(void **state)
{
	const char *s = "a\xe1\xbb\x87" "b";     /* a ệ b: 5 bytes */

	assert_int_equal(utf8_cut(s, 5, 9), 5);  /* all fits */
	assert_int_equal(utf8_cut(s, 5, 5), 5);
	assert_int_equal(utf8_cut(s, 5, 4), 4);  /* "aệ": s[4] starts 'b' */
	assert_int_equal(utf8_cut(s, 5, 3), 1);  /* inside ệ: back to its start */
	assert_int_equal(utf8_cut(s, 5, 2), 1);
	assert_int_equal(utf8_cut(s, 5, 1), 1);
	assert_int_equal(utf8_cut(s, 5, 0), 0);
	/* Continuation bytes all the way: nothing can be kept. */
	assert_int_equal(utf8_cut("\x80\x80\x80", 3, 2), 0);
}

static void
test_chars(void **state)
{
	const char *vi = "Tr\xe1\xba\xa1ng th\xc3\xa1i:";   /* "Trạng thái:" */

	assert_int_equal(utf8_chars("", 0), 0);
	assert_int_equal(utf8_chars("Status:", 7), 7);
	assert_int_equal(utf8_chars(vi, strlen(vi)), 11);
}

static void
test_width(void **state)
{
	const char *nfc = "Nguy\xe1\xbb\x85n";              /* "Nguyễn", precomposed */
	const char *nfd = "Nguye\xcc\x82\xcc\x83n";        /* e + circumflex + tilde */
	const char *han = "\xe4\xb8\xad\xe6\x96\x87";        /* two CJK ideographs */

	assert_int_equal(utf8_width("", 0), 0);
	assert_int_equal(utf8_width("pc-01", 5), 5);
	/* One column however Vietnamese is written: the marks take none. */
	assert_int_equal(utf8_width(nfc, strlen(nfc)), 6);
	assert_int_equal(utf8_width(nfd, strlen(nfd)), 6);
	assert_int_equal(utf8_width(han, strlen(han)), 4);
	/* An invalid byte is shown as one replacement character. */
	assert_int_equal(utf8_width("a\xff" "b", 3), 3);
	assert_int_equal(utf8_cp_width(0x0301), 0);
	assert_int_equal(utf8_cp_width(0x4e2d), 2);
	assert_int_equal(utf8_cp_width('x'), 1);
	/* A cut keeps a letter with its marks and never halves a wide character. */
	assert_int_equal(utf8_cut_width(nfd, strlen(nfd), 5), strlen(nfd) - 1);
	assert_int_equal(utf8_cut_width(nfd, strlen(nfd), 4), 4);   /* "Nguy" */
	assert_int_equal(utf8_cut_width(han, strlen(han), 3), 3);    /* one ideograph fits in 3 */
	assert_int_equal(utf8_cut_width(han, strlen(han), 1), 0);
}

/* Accents folded for searching: every Vietnamese letter, composed or decomposed. */
static void
test_fold(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Nguyễn Văn An", "nguyen van an" },
		{ "ĐẶNG THỊ HỒNG", "dang thi hong" },
		{ "Phường Đông Hòa", "phuong dong hoa" },
		/* Decomposed: e + U+0302 + U+0303, o + U+031B + U+0300. */
		{ "Nguye\xcc\x82\xcc\x83n Ho\xcc\x9b\xcc\x80", "nguyen ho" },
		{ "ăâêôơưđ ĂÂÊÔƠƯĐ", "aaeooud aaeooud" },
		{ "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
		  "aaaaaaaaaaaaeeeeeeeeiioooooooooooouuuuuuuyyyy" },
		{ "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝĩũĨŨ", "aaaaeeeiioooouuyaaaaeeeiioooouuyiuiu" },
		{ "Ñandú ÿ Ç", "nandu y c" },
		/* Not letters with diacritics: kept. */
		{ "× ÷ Æ 中文 €", "× ÷ Æ 中文 €" },
		{ "pc-04 203.0.113.7", "pc-04 203.0.113.7" },
		{ "a\xff" "b", "a\xff" "b" },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = utf8_fold(out, sizeof(out), cases[i].in, strlen(cases[i].in));

		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
	/* Cut at the room, never inside a character. */
	assert_int_equal(utf8_fold(out, 4, "ĐĐĐĐĐ", 10), 3);
	assert_string_equal(out, "ddd");
	assert_int_equal(utf8_fold(out, 3, "a中", 4), 1);
	assert_string_equal(out, "a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_len),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_chars),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
