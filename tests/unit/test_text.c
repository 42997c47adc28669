/* text.c: UTF-8 validation, escaping, durations, sizes and RFC 3339 times. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/text.h"

#define VALID(lit) assert_true(text_utf8_valid(lit, sizeof(lit) - 1))
#define INVALID(lit) assert_false(text_utf8_valid(lit, sizeof(lit) - 1))

static void
test_utf8_valid(void **state)
{
	VALID("");
	VALID("plain ascii\t\r\n\x7f");
	VALID("\xc3\xa9t\xc3\xa9");                 /* été */
	VALID("\xc2\x80");                          /* U+0080, smallest 2-byte */
	VALID("\xdf\xbf");                          /* U+07FF */
	VALID("\xe0\xa0\x80");                      /* U+0800, smallest 3-byte */
	VALID("\xe1\xbb\x87");                      /* ệ */
	VALID("\xed\x9f\xbf");                      /* U+D7FF, just below surrogates */
	VALID("\xee\x80\x80");                      /* U+E000, just above them */
	VALID("\xef\xbf\xbf");                      /* U+FFFF */
	VALID("\xf0\x90\x80\x80");                  /* U+10000, smallest 4-byte */
	VALID("\xf0\x9f\x98\x80");                  /* an emoji */
	VALID("\xf4\x8f\xbf\xbf");                  /* U+10FFFF, the largest */

	INVALID("\0");
	INVALID("ab\0cd");
	INVALID("\xc0\x80");                        /* overlong NUL */
	INVALID("\xc0\xaf");                        /* overlong '/' */
	INVALID("\xc1\xbf");                        /* overlong U+007F */
	INVALID("\xe0\x80\x80");                    /* overlong 3-byte */
	INVALID("\xe0\x9f\xbf");                    /* overlong U+07FF */
	INVALID("\xf0\x80\x80\x80");                /* overlong 4-byte */
	INVALID("\xf0\x8f\xbf\xbf");                /* overlong U+FFFF */
	INVALID("\xed\xa0\x80");                    /* U+D800 */
	INVALID("\xed\xbf\xbf");                    /* U+DFFF */
	INVALID("\xed\xa0\xbd\xed\xb8\x80");        /* a CESU-8 surrogate pair */
	INVALID("\xf4\x90\x80\x80");                /* U+110000 */
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xf8\x88\x80\x80\x80");            /* 5-byte form */
	INVALID("\xff");
	INVALID("\xfe");
	INVALID("\x80");                            /* lone continuation */
	INVALID("a\xbf");
	INVALID("\xc3");                            /* truncated 2-byte */
	INVALID("\xe1\xbb");                        /* truncated 3-byte */
	INVALID("\xf0\x9f\x98");                    /* truncated 4-byte */
	INVALID("\xc3\x28");                        /* bad continuation */
	INVALID("\xe1\x28\x87");

	/* Only len bytes count: the NUL after them is not looked at. */
	assert_true(text_utf8_valid("ab\0", 2));
	/* A sequence cut by len is invalid even if the buffer continues. */
	assert_false(text_utf8_valid("\xc3\xa9", 1));
}

static void
expect_escape(const char *src, size_t srclen, const char *want)
{
	char buf[256];
	size_t n;

	memset(buf, 'Z', sizeof buf);
	n = text_escape(buf, sizeof buf, src, srclen);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

#define ESCAPE(lit, want) expect_escape(lit, sizeof(lit) - 1, want)

static void
test_utf8_clean(void **state)
{
	char buf[16];

	assert_int_equal(text_utf8_clean(buf, sizeof buf, "ok \xc3\xa9", 5), 5);
	assert_string_equal(buf, "ok \xc3\xa9");
	/* Each invalid byte, and a NUL, becomes one U+FFFD. */
	text_utf8_clean(buf, sizeof buf, "a\xff\xfe" "b", 4);
	assert_string_equal(buf, "a\xef\xbf\xbd\xef\xbf\xbd" "b");
	text_utf8_clean(buf, sizeof buf, "a\0b", 3);
	assert_string_equal(buf, "a\xef\xbf\xbd" "b");
	/* A cut sequence at the end is invalid too. */
	text_utf8_clean(buf, sizeof buf, "x\xe1\xbb", 3);
	assert_string_equal(buf, "x\xef\xbf\xbd\xef\xbf\xbd");
	/* The copy stops before a character that does not fit. */
	assert_int_equal(text_utf8_clean(buf, 4, "ab\xc3\xa9", 4), 2);
	assert_string_equal(buf, "ab");
	assert_true(text_utf8_valid(buf, strlen(buf)));
}

static void
test_escape(void **state)
{
	ESCAPE("", "");
	ESCAPE("hello world", "hello world");
	ESCAPE("a\nb", "a\\nb");
	ESCAPE("a\rb", "a\\rb");
	ESCAPE("a\tb", "a\\tb");
	ESCAPE("C:\\dir", "C:\\\\dir");
	ESCAPE("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H");    /* ESC: clear the screen */
	ESCAPE("\x7f", "\\x7f");                        /* DEL */
	ESCAPE("\x01\x08\x0b\x0c\x1f", "\\x01\\x08\\x0b\\x0c\\x1f");
	ESCAPE("a\0b", "a\\x00b");
	/* C1 controls in UTF-8: CSI (U+009B), NEL (U+0085), U+0080 and U+009F. */
	ESCAPE("\xc2\x9b" "31m", "\\xc2\\x9b31m");
	ESCAPE("\xc2\x85", "\\xc2\\x85");
	ESCAPE("\xc2\x80\xc2\x9f", "\\xc2\\x80\\xc2\\x9f");
	/* U+00A0 and beyond are printable and kept. */
	ESCAPE("\xc2\xa0\xc3\xa9\xe1\xbb\x87\xf0\x9f\x98\x80",
	    "\xc2\xa0\xc3\xa9\xe1\xbb\x87\xf0\x9f\x98\x80");
	/* Invalid UTF-8 byte by byte, including raw C1 bytes. */
	ESCAPE("\xff\xfe", "\\xff\\xfe");
	ESCAPE("\x9b", "\\x9b");
	ESCAPE("\xc0\x8a", "\\xc0\\x8a");               /* overlong newline */
	ESCAPE("\xed\xa0\x80", "\\xed\\xa0\\x80");      /* surrogate */
	ESCAPE("ok\xe1\xbb", "ok\\xe1\\xbb");           /* truncated at the end */
	/* Bidirectional overrides (U+202E, U+2066) cannot reorder a summary. */
	ESCAPE("a\xe2\x80\xae" "b", "a\\xe2\\x80\\xaeb");
	ESCAPE("\xe2\x81\xa6" "x", "\\xe2\\x81\\xa6x");
	/* A forged log line stays on one line. */
	ESCAPE("user\n2026-01-01 sshd: Accepted password",
	    "user\\n2026-01-01 sshd: Accepted password");
}

static void
test_escape_truncation(void **state)
{
	/* Escapes and multi-byte characters of every length, back to back. */
	static const char src[] = "a\x1b\\\n\xc3\xa9\xc2\x9b\xff\xe1\xbb\x87z\xf0\x9f\x98\x80\r";
	char full[128], buf[128], pre[128];
	size_t fulllen, n, dstlen, k;
	int found;

	fulllen = text_escape(full, sizeof full, src, sizeof src - 1);
	assert_true(fulllen < sizeof full - 1);
	for (dstlen = 1; dstlen <= fulllen + 1; dstlen++) {
		memset(buf, 'Z', sizeof buf);
		n = text_escape(buf, dstlen, src, sizeof src - 1);
		assert_true(n < dstlen);
		assert_int_equal(buf[n], '\0');
		assert_int_equal(buf[dstlen], 'Z');     /* nothing past dstlen */
		assert_memory_equal(buf, full, n);
		/* The output is the whole escape of some prefix of the input. */
		found = 0;
		for (k = 0; k <= sizeof src - 1 && !found; k++) {
			text_escape(pre, sizeof pre, src, k);
			found = strcmp(pre, buf) == 0;
		}
		assert_true(found);
	}
	assert_int_equal(n, fulllen);

	/* Concretely: no half of "\x1b" and no half of "é". */
	assert_int_equal(text_escape(buf, 4, "ab\x1b", 3), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(text_escape(buf, 5, "ab\x1b", 3), 2);
	assert_int_equal(text_escape(buf, 7, "ab\x1b", 3), 6);
	assert_string_equal(buf, "ab\\x1b");
	assert_int_equal(text_escape(buf, 2, "a\xc3\xa9", 3), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(text_escape(buf, 3, "a\\", 2), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(text_escape(buf, 1, "abc", 3), 0);
	assert_string_equal(buf, "");
	/* dstlen 0 writes nothing at all. */
	buf[0] = 'Z';
	assert_int_equal(text_escape(buf, 0, "abc", 3), 0);
	assert_int_equal(buf[0], 'Z');
}

static void
expect_json(const char *src, size_t srclen, const char *want)
{
	char buf[256];
	size_t n;

	memset(buf, 'Z', sizeof buf);
	n = text_json_escape(buf, sizeof buf, src, srclen);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

#define JSON(lit, want) expect_json(lit, sizeof(lit) - 1, want)

static void
test_json_escape(void **state)
{
	JSON("", "");
	JSON("plain", "plain");
	JSON("say \"hi\"", "say \\\"hi\\\"");
	JSON("a\\b", "a\\\\b");
	JSON("/", "/");
	JSON("a\nb\tc\rd", "a\\u000ab\\u0009c\\u000dd");
	JSON("\x1b[0m", "\\u001b[0m");
	JSON("\x01\x1f", "\\u0001\\u001f");
	JSON("a\0b", "a\\u0000b");
	JSON("\x7f", "\\u007f");
	JSON("\xc2\x85\xc2\x9b", "\\u0085\\u009b");
	JSON("\xc3\xa9\xe1\xbb\x87\xf0\x9f\x98\x80", "\xc3\xa9\xe1\xbb\x87\xf0\x9f\x98\x80");
	/* Invalid UTF-8 becomes U+FFFD; a cut sequence is one replacement. */
	JSON("a\xff" "b", "a\xef\xbf\xbd" "b");
	JSON("\xe1\xbb" "x", "\xef\xbf\xbd" "x");
	JSON("\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd");
	JSON("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	JSON("\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void
test_json_escape_in_place(void **state)
{
	char buf[32];
	size_t pos = 0;

	/* Callers build a line piece by piece at buf + pos; dst need not hold a string. */
	memset(buf, 'Z', sizeof buf);
	buf[pos++] = '"';
	pos += text_json_escape(buf + pos, sizeof buf - pos, "a\"b", 3);
	assert_int_equal(pos, 5);
	buf[pos++] = '"';
	buf[pos] = '\0';
	assert_string_equal(buf, "\"a\\\"b\"");

	/* Old contents of dst are overwritten, not appended to. */
	strcpy(buf, "old text");
	assert_int_equal(text_json_escape(buf, sizeof buf, "new", 3), 3);
	assert_string_equal(buf, "new");
}

static void
test_json_escape_truncation(void **state)
{
	char buf[16];

	/* "ab" + "\u001b" needs 9 bytes: with 8 the escape is left out whole. */
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(text_json_escape(buf, 8, "ab\x1b", 3), 2);
	assert_string_equal(buf, "ab");
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(text_json_escape(buf, 9, "ab\x1b", 3), 8);
	assert_string_equal(buf, "ab\\u001b");
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(text_json_escape(buf, 3, "a\"", 2), 1);
	assert_string_equal(buf, "a");
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(text_json_escape(buf, 4, "a\xf0\x9f\x98\x80", 5), 1);
	assert_string_equal(buf, "a");
	memset(buf, 'Z', sizeof buf);
	assert_int_equal(text_json_escape(buf, 3, "a\xff", 2), 1);
	assert_string_equal(buf, "a");
	buf[0] = 'Z';
	assert_int_equal(text_json_escape(buf, 0, "a", 1), 0);
	assert_int_equal(buf[0], 'Z');
}

static void
expect_duration(const char *s, long long want)
{
	long long ms = -42;

	if (text_parse_duration_ms(s, &ms) != 0)
		fail_msg("duration '%s' was refused", s);
	if (ms != want)
		fail_msg("duration '%s' gave %lld, not %lld", s, ms, want);
}

static void
expect_bad_duration(const char *s)
{
	long long ms = -42;

	if (text_parse_duration_ms(s, &ms) != VIGIL_ERR_INVAL)
		fail_msg("duration '%s' was accepted", s);
	assert_int_equal(ms, -42);
}

static void
test_duration(void **state)
{
	expect_duration("90", 90000);
	expect_duration("90s", 90000);
	expect_duration("15m", 900000);
	expect_duration("2h", 7200000);
	expect_duration("7d", 604800000);
	expect_duration("500ms", 500);
	expect_duration("0", 0);
	expect_duration("0ms", 0);
	expect_duration("007s", 7000);
	expect_duration("9223372036854775807ms", LLONG_MAX);
	expect_duration("9223372036854775s", 9223372036854775000LL);
	expect_duration("106751991167d", 106751991167LL * 86400000);

	expect_bad_duration("");
	expect_bad_duration("s");
	expect_bad_duration("ms");
	expect_bad_duration("-1s");
	expect_bad_duration("+1s");
	expect_bad_duration(" 1s");
	expect_bad_duration("1s ");
	expect_bad_duration("1 s");
	expect_bad_duration("1.5s");
	expect_bad_duration("1x");
	expect_bad_duration("1S");
	expect_bad_duration("1sm");
	expect_bad_duration("1h30m");
	expect_bad_duration("0x10");
	/* Overflow of the number itself, and of the conversion to ms. */
	expect_bad_duration("9223372036854775808ms");
	expect_bad_duration("99999999999999999999999");
	expect_bad_duration("9223372036854776s");
	expect_bad_duration("9223372036854776");
	expect_bad_duration("106751991168d");
	assert_int_equal(text_parse_duration_ms(NULL, &(long long){ 0 }), VIGIL_ERR_INVAL);
}

static void
expect_size(const char *s, long long want)
{
	long long b = -42;

	if (text_parse_size(s, &b) != 0)
		fail_msg("size '%s' was refused", s);
	if (b != want)
		fail_msg("size '%s' gave %lld, not %lld", s, b, want);
}

static void
expect_bad_size(const char *s)
{
	long long b = -42;

	if (text_parse_size(s, &b) != VIGIL_ERR_INVAL)
		fail_msg("size '%s' was accepted", s);
	assert_int_equal(b, -42);
}

static void
test_size(void **state)
{
	expect_size("0", 0);
	expect_size("4096", 4096);
	expect_size("1048576", 1048576);
	expect_size("64k", 65536);
	expect_size("64K", 65536);
	expect_size("1M", 1048576);
	expect_size("1m", 1048576);
	expect_size("256M", 268435456);
	expect_size("2G", 2147483648LL);
	expect_size("9223372036854775807", LLONG_MAX);
	expect_size("8589934591G", 8589934591LL << 30);

	expect_bad_size("");
	expect_bad_size("k");
	expect_bad_size("-1");
	expect_bad_size("-1k");
	expect_bad_size("+1");
	expect_bad_size(" 1");
	expect_bad_size("1 ");
	expect_bad_size("1 k");
	expect_bad_size("1kb");
	expect_bad_size("1KiB");
	expect_bad_size("1T");
	expect_bad_size("1.5M");
	expect_bad_size("12abc");
	expect_bad_size("9223372036854775808");
	expect_bad_size("8589934592G");
	expect_bad_size("9007199254740992k");
	expect_bad_size("99999999999999999999999999");
	assert_int_equal(text_parse_size(NULL, &(long long){ 0 }), VIGIL_ERR_INVAL);
}

static void
expect_time(long long us, const char *want)
{
	char buf[64];

	assert_int_equal(text_time_rfc3339(buf, sizeof buf, us), strlen(want));
	assert_string_equal(buf, want);
}

static void
test_rfc3339(void **state)
{
	char buf[64];

	expect_time(0, "1970-01-01T00:00:00.000000Z");
	expect_time(1795600800123456LL, "2026-11-25T10:00:00.123456Z");
	expect_time(1795600800000001LL, "2026-11-25T10:00:00.000001Z");
	expect_time(951868799999999LL, "2000-02-29T23:59:59.999999Z");
	expect_time(-1, "1969-12-31T23:59:59.999999Z");
	expect_time(-1000000, "1969-12-31T23:59:59.000000Z");
	expect_time(253402300799999999LL, "9999-12-31T23:59:59.999999Z");

	/* Years RFC 3339 cannot write give an empty string. */
	buf[0] = 'Z';
	assert_int_equal(text_time_rfc3339(buf, sizeof buf, 253402300800000000LL), 0);
	assert_string_equal(buf, "");
	assert_int_equal(text_time_rfc3339(buf, sizeof buf, LLONG_MAX), 0);
	assert_int_equal(text_time_rfc3339(buf, sizeof buf, LLONG_MIN), 0);

	/* 27 characters need 28 bytes; with fewer nothing partial is written. */
	assert_int_equal(text_time_rfc3339(buf, 28, 0), 27);
	assert_int_equal(text_time_rfc3339(buf, 27, 0), 0);
	assert_string_equal(buf, "");
	buf[0] = 'Z';
	assert_int_equal(text_time_rfc3339(buf, 0, 0), 0);
	assert_int_equal(buf[0], 'Z');
}

static void
test_find(void **state)
{
	static const char line[] = "sshd[1]: Failed password for root from 203.0.113.7";
	size_t n = sizeof(line) - 1;

	assert_ptr_equal(text_find(line, n, "Failed password", 15), line + 9);
	assert_ptr_equal(text_find(line, n, "203.0.113.7", 11), line + n - 11);  /* at the end */
	assert_ptr_equal(text_find(line, n, "sshd", 4), line);
	assert_null(text_find(line, n, "Accepted", 8));
	assert_null(text_find(line, n, "203.0.113.77", 12));                   /* past the end */
	assert_null(text_find("ab", 2, "abc", 3));
	assert_ptr_equal(text_find(line, n, "", 0), line);
	/* Bytes, not C strings: a NUL in the text is a byte like another. */
	{
		static const char nul[] = "a\0b\0c";

		assert_ptr_equal(text_find(nul, 5, "\0c", 2), nul + 3);
		assert_ptr_equal(text_find(nul, 5, "b\0", 2), nul + 2);
	}
	/*
	 * From another of the needle's bytes: the same answers, at the start,
	 * at the end, and where that byte stands before the needle could begin
	 * or after it could end (the window is kept inside the text).
	 */
	for (size_t a = 0; a < 15; a++)
		assert_ptr_equal(text_find_by(line, n, "Failed password", 15, a), line + 9);
	assert_ptr_equal(text_find_by(line, n, "203.0.113.7", 11, 10), line + n - 11);
	assert_ptr_equal(text_find_by(line, n, "sshd", 4, 3), line);
	assert_null(text_find_by(line, n, "203.0.113.77", 12, 11));
	assert_null(text_find_by("xab", 3, "ab", 2, 5));                 /* a past the needle */
	assert_null(text_find_by("b ab", 2, "ab", 2, 1));                /* 'b' at 0, no room */
	{
		static const char bbab[] = "bbab";

		assert_ptr_equal(text_find_by(bbab, 4, "ab", 2, 1), bbab + 2);
	}
}

/* Dates far from 1970 on both sides: the calendar is computed, not asked of the C library. */
static void
test_rfc3339_calendar(void **state)
{
	char buf[64];

	text_time_rfc3339(buf, sizeof(buf), 951782400000000LL);       /* leap day 2000 */
	assert_string_equal(buf, "2000-02-29T00:00:00.000000Z");
	text_time_rfc3339(buf, sizeof(buf), 4107542399999999LL);
	assert_string_equal(buf, "2100-02-28T23:59:59.999999Z");
	text_time_rfc3339(buf, sizeof(buf), -1);
	assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
	text_time_rfc3339(buf, sizeof(buf), -62135596800000000LL);    /* the year 1 */
	assert_string_equal(buf, "0001-01-01T00:00:00.000000Z");
	text_time_rfc3339(buf, sizeof(buf), 253402300799000000LL);
	assert_string_equal(buf, "9999-12-31T23:59:59.000000Z");
	assert_int_equal(text_time_rfc3339(buf, sizeof(buf), 253402300800000000LL), 0);
}

/* Numbers of the control socket and of vigilctl: digits only, in range. */
static void
test_parse_ll(void **state)
{
	long long v = 0;

	assert_int_equal(text_parse_ll("42", 1, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(text_parse_ll("100", 1, 100, &v), 0);
	assert_int_equal(text_parse_ll("101", 1, 100, &v), VIGIL_ERR_INVAL);
	assert_int_equal(text_parse_ll("0", 1, 100, &v), VIGIL_ERR_INVAL);
	assert_int_equal(text_parse_ll("", 1, 100, &v), VIGIL_ERR_INVAL);
	assert_int_equal(text_parse_ll(NULL, 1, 100, &v), VIGIL_ERR_INVAL);
	assert_int_equal(text_parse_ll(" 5", 1, 100, &v), VIGIL_ERR_INVAL);
	assert_int_equal(text_parse_ll("+5", 1, 100, &v), VIGIL_ERR_INVAL);
	assert_int_equal(text_parse_ll("-5", -10, 100, &v), VIGIL_ERR_INVAL);
	assert_int_equal(text_parse_ll("5x", 1, 100, &v), VIGIL_ERR_INVAL);
	assert_int_equal(text_parse_ll("99999999999999999999", 1, LLONG_MAX, &v), VIGIL_ERR_INVAL);
}

/* Times for people: the zone applied and said, the date in the language's order. */
static void
test_time_people(void **state)
{
	char t[64];
	/* 2026-11-25T10:00:03Z */
	long long us = 1795600803LL * 1000000;

	assert_int_equal(text_time_people(t, sizeof(t), us, 420, 1), 31);
	assert_string_equal(t, "25/11/2026 17:00:03 (UTC+07:00)");
	text_time_people(t, sizeof(t), us, 420, 0);
	assert_string_equal(t, "2026-11-25 17:00:03 (UTC+07:00)");
	/* West of UTC, across midnight backwards. */
	text_time_people(t, sizeof(t), us - 9LL * 3600 * 1000000, -330, 1);
	assert_string_equal(t, "24/11/2026 19:30:03 (UTC-05:30)");
	/* Nothing for an unknown time or a buffer too small. */
	assert_int_equal(text_time_people(t, sizeof(t), 0, 420, 1), 0);
	assert_string_equal(t, "");
	assert_int_equal(text_time_people(t, 10, us, 420, 1), 0);
	assert_string_equal(t, "");
}

static void
test_hex_digit(void **state)
{
	const char *digits = "0123456789abcdef";
	int c;

	(void)state;
	for (c = 0; c < 16; c++) {
		assert_int_equal(text_hex_digit(digits[c]), c);
		if (c >= 10)
			assert_int_equal(text_hex_digit(digits[c] - 'a' + 'A'), c);
	}
	for (c = -128; c < 256; c++)
		if (strchr("0123456789abcdefABCDEF", c) == NULL || c == 0)
			assert_int_equal(text_hex_digit(c), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_clean),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_truncation),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_in_place),
		cmocka_unit_test(test_json_escape_truncation),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_rfc3339_calendar),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_parse_ll),
		cmocka_unit_test(test_time_people),
		cmocka_unit_test(test_hex_digit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
