/*
 * Replies in other charsets (collector/ack_charset.c through ack_mail_parse):
 * recorded shapes of what Vietnamese phones, Outlook and older clients send —
 * windows-1258 quoted-printable (tone marks as combining characters),
 * ISO-8859-1 base64, UTF-16 base64 with a byte-order mark, an RFC 2047
 * subject in windows-1258 — are matched like UTF-8; an unknown charset and
 * bytes outside the charset keep the rest of the reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "../../collector/ack.h"

/* Parse raw, then judge it as the reply judge does: the word and the code. */
static void
judge(const char *raw, size_t len, struct ack_mail *m, struct ack_found *f)
{
	assert_int_equal(ack_mail_parse(raw, len, m), 0);
	ack_scan(m->subject, m->text, 0, f);
}

static void
test_windows_1258_qp(void **state)
{
	/* "Xác nhận rồi" as a Vietnamese phone writes it: â + combining dot below (0xF2). */
	static const char raw[] =
	    "From: Head <head@unit.example>\r\n"
	    "Subject: =?windows-1258?Q?Re:_[Vigil]_T=E2=ECn_c=F4ng_[V-4821_#k7f3q2p9]?=\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=\"windows-1258\"\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "X=E1c nh=E2=F2n=\r\n"
	    " r=F4=CCi\r\n";
	struct ack_mail m;
	struct ack_found f;

	(void)state;
	judge(raw, sizeof(raw) - 1, &m, &f);
	/* glibc's windows-1258 composes a letter and its tone mark: "Tấn công", "Xác nhận rồi". */
	assert_string_equal(m.subject, "Re: [Vigil] T\xe1\xba\xa5n c\xc3\xb4ng [V-4821 #k7f3q2p9]");
	assert_non_null(strstr(m.text, "X\xc3\xa1" "c nh\xe1\xba\xadn r\xe1\xbb\x93i"));
	assert_true(f.word);
	assert_int_equal(f.code, 4821);
	assert_int_equal(f.ntokens, 1);
	assert_string_equal(f.tokens[0], "k7f3q2p9");
	ack_mail_clear(&m);
}

static void
test_latin1_base64(void **state)
{
	/* "ACK V-4821 re\xe7u" in ISO-8859-1, base64. */
	static const char raw[] =
	    "From: it@unit.example\r\n"
	    "Subject: Re: [Vigil] [V-4821 #k7f3q2p9]\r\n"
	    "Content-Type: text/plain; charset=ISO-8859-1\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "QUNLIFYtNDgyMSByZed1\r\n";
	struct ack_mail m;
	struct ack_found f;

	(void)state;
	judge(raw, sizeof(raw) - 1, &m, &f);
	assert_string_equal(m.text, "ACK V-4821 re\xc3\xa7u");
	assert_true(f.word);
	assert_int_equal(f.code, 4821);
	ack_mail_clear(&m);
}

static void
test_utf16_base64(void **state)
{
	/* "XN V-4821" in UTF-16LE with a byte-order mark, as Outlook may send it, in a multipart. */
	static const char raw[] =
	    "From: it@unit.example\r\n"
	    "Subject: Re: [Vigil]\r\n"
	    "Content-Type: multipart/alternative; boundary=\"b1\"\r\n"
	    "\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain; charset=utf-16\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "\r\n"
	    "//5YAE4AIABWAC0ANAA4ADIAMQA=\r\n"
	    "--b1--\r\n";
	struct ack_mail m;
	struct ack_found f;

	(void)state;
	judge(raw, sizeof(raw) - 1, &m, &f);
	assert_string_equal(m.text, "XN V-4821");
	assert_true(f.word);
	assert_int_equal(f.code, 4821);
	ack_mail_clear(&m);
}

/* A charset iconv does not know: the bytes as they are; a byte outside the charset: skipped. */
static void
test_unknown_and_bad(void **state)
{
	static const char unknown[] =
	    "From: it@unit.example\r\n"
	    "Content-Type: text/plain; charset=x-no-such-charset\r\n"
	    "\r\n"
	    "XN V-4821\r\n";
	/* 0x81 is no character in windows-1258 ... as in UTF-16 an odd last byte is none. */
	static const char bad[] =
	    "From: it@unit.example\r\n"
	    "Content-Type: text/plain; charset=windows-1258\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "XN=81 V-4821\r\n";
	struct ack_mail m;
	struct ack_found f;
	size_t n;
	char *s;

	(void)state;
	judge(unknown, sizeof(unknown) - 1, &m, &f);
	assert_true(f.word);
	assert_int_equal(f.code, 4821);
	ack_mail_clear(&m);
	judge(bad, sizeof(bad) - 1, &m, &f);
	assert_int_equal(f.code, 4821);
	ack_mail_clear(&m);
	s = ack_charset_utf8("utf-16le", "X\0N\0!", 5, &n);
	assert_non_null(s);
	assert_int_equal(n, 2);
	assert_string_equal(s, "XN");
	free(s);
	s = ack_charset_utf8("windows-1258", "a\x81" "b", 3, &n);
	assert_non_null(s);
	assert_string_equal(s, "ab");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows_1258_qp),
		cmocka_unit_test(test_latin1_base64),
		cmocka_unit_test(test_utf16_base64),
		cmocka_unit_test(test_unknown_and_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
