/* Codes, tokens and reading replies (ack.h): what acknowledges, and what must not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "../../collector/ack.h"

static const unsigned char secret[ACK_SECRET_LEN] = "0123456789abcdef0123456789abcdef";

static void
test_code_and_token(void **state)
{
	char code[ACK_CODE_TEXT], t1[ACK_TOKEN_LEN + 1], t2[ACK_TOKEN_LEN + 1];
	char t3[ACK_TOKEN_LEN + 1];

	(void)state;
	ack_code_format(4821, code, sizeof(code));
	assert_string_equal(code, "V-4821");
	assert_int_equal(ack_token(secret, sizeof(secret), 12, "it-officer", t1), 0);
	assert_int_equal(ack_token(secret, sizeof(secret), 12, "it-officer", t2), 0);
	assert_string_equal(t1, t2);
	assert_int_equal(strlen(t1), ACK_TOKEN_LEN);
	assert_true(strspn(t1, "abcdefghijkmnpqrstuvwxyz23456789") == ACK_TOKEN_LEN);
	/* Bound to the contact and to the incident. */
	assert_int_equal(ack_token(secret, sizeof(secret), 12, "head-of-unit", t2), 0);
	assert_int_equal(ack_token(secret, sizeof(secret), 13, "it-officer", t3), 0);
	assert_false(ack_token_equal(t1, t2));
	assert_false(ack_token_equal(t1, t3));
	assert_true(ack_token_equal(t1, t1));
	assert_false(ack_token_equal(t1, "short"));
}

static void
test_fold(void **state)
{
	char out[64];

	(void)state;
	ack_fold(out, sizeof(out), "Xác Nhận!", strlen("Xác Nhận!"));
	assert_string_equal(out, "xac nhan ");
	/* Decomposed: a base letter and combining marks. */
	ack_fold(out, sizeof(out), "xa\xcc\x81""c", 5);
	assert_string_equal(out, "xac");
	ack_fold(out, sizeof(out), "ĐỒNG Ý", strlen("ĐỒNG Ý"));
	assert_string_equal(out, "dong y");
	ack_fold(out, sizeof(out), "\xff\xfeok", 4);
	assert_string_equal(out, "  ok");
}

static void
test_scan_words(void **state)
{
	struct ack_found f;
	const char *subj = "Re: [Vigil][CAO] Tấn công mạng [V-4821 #k7f3q2p9]";

	(void)state;
	ack_scan(subj, "XN", 0, &f);
	assert_true(f.word);
	assert_int_equal(f.code, 4821);
	assert_int_equal(f.ntokens, 1);
	assert_string_equal(f.tokens[0], "k7f3q2p9");
	ack_scan(subj, "  xác nhận, cảm ơn", 0, &f);
	assert_true(f.word);
	ack_scan(subj, "Ok.", 0, &f);
	assert_true(f.word);
	ack_scan(subj, "ACK\r\n", 0, &f);
	assert_true(f.word);
	/* Words inside others do not count. */
	ack_scan(subj, "token broken, xnxx, acknowledge later", 0, &f);
	assert_false(f.word);
	/* The quoted notification says XN: not the official's word. */
	ack_scan(subj, "đang xem\n\n> XN V-4821 #k7f3q2p9\n", 0, &f);
	assert_false(f.word);
	assert_int_equal(f.code, 4821);
	ack_scan(subj, "chưa\n\nOn Mon, Vigil wrote:\nXN V-4821 #k7f3q2p9\n", 0, &f);
	assert_false(f.word);
	ack_scan(subj, "nothing\n-----Original Message-----\nXN\n", 0, &f);
	assert_false(f.word);
}

static void
test_scan_codes(void **state)
{
	struct ack_found f;

	(void)state;
	ack_scan(NULL, "XN 4821", 1, &f);          /* SMS */
	assert_true(f.word);
	assert_int_equal(f.code, 4821);
	ack_scan(NULL, "XN 4821", 0, &f);          /* mail: a bare number is not a code */
	assert_int_equal(f.code, 0);
	ack_scan(NULL, "ok v4821", 0, &f);
	assert_int_equal(f.code, 4821);
	ack_scan(NULL, "ok V-48211 V-999 AV-1234", 0, &f);
	assert_int_equal(f.code, 0);
	ack_scan(NULL, "ok 12345 0999 xn 2026", 1, &f);
	assert_int_equal(f.code, 2026);
	/* Tokens: '#' and exactly eight letters of the alphabet; at most ACK_TOKENS_MAX. */
	ack_scan("#abcdefgh #abcdefgh #abcdefghi #abcdefg1 #aaaaaaaa #bbbbbbbb #cccccccc "
	    "#dddddddd", NULL, 0, &f);
	assert_int_equal(f.ntokens, ACK_TOKENS_MAX);
	assert_string_equal(f.tokens[0], "abcdefgh");
	assert_string_equal(f.tokens[1], "aaaaaaaa");
}

static void
test_mail_parse(void **state)
{
	struct ack_mail m;
	const char *qp =
	    "From: =?UTF-8?B?Q8OhbiBi4buZ?= <IT@Unit.Example>\r\n"
	    "Subject: =?UTF-8?B?UmU6IFtWaWdpbF0gVOG6pW4gY8O0bmc=?=\r\n"
	    " =?UTF-8?Q?_[V-4821_#k7f3q2p9]?=\r\n"
	    "Message-ID: <a@b>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"XX\"\r\n"
	    "\r\n"
	    "--XX\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "\r\n"
	    "<p>html</p>\r\n"
	    "--XX\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "X=C3=A1c nh=E1=BA=ADn=\r\n"
	    " ngay\r\n"
	    "--XX--\r\n";
	const char *b64 =
	    "From: head@unit.example\n"
	    "Subject: hi\n"
	    "Auto-Submitted: auto-replied\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "WE4gVi00ODIx\n";

	(void)state;
	assert_int_equal(ack_mail_parse(qp, strlen(qp), &m), 0);
	assert_string_equal(m.from, "it@unit.example");
	assert_string_equal(m.subject, "Re: [Vigil] Tấn công [V-4821 #k7f3q2p9]");
	assert_string_equal(m.msgid, "<a@b>");
	assert_string_equal(m.text, "Xác nhận ngay \n");  /* CR is a control character */
	assert_false(m.auto_reply);
	ack_mail_clear(&m);
	assert_int_equal(ack_mail_parse(b64, strlen(b64), &m), 0);
	assert_string_equal(m.text, "XN V-4821");
	assert_true(m.auto_reply);
	ack_mail_clear(&m);
	/* Not a mail; too big. */
	assert_int_equal(ack_mail_parse("hello\n", 6, &m), VIGIL_ERR_DECODE);
	assert_int_equal(ack_mail_parse(b64, ACK_MAIL_MAX + 1, &m), VIGIL_ERR_TOOBIG);
	/* A From that is no address gives none. */
	assert_int_equal(ack_mail_parse("From: <a b@c>\n\nXN", 17, &m), 0);
	assert_string_equal(m.from, "");
	ack_mail_clear(&m);
}

static void
test_imap_answers(void **state)
{
	const char fetch[] = "* 1 FETCH (UID 7 BODY[] {5}\r\nhello)\r\n";
	const char search[] = "* FLAGS (\\Seen)\r\n* SEARCH 3 14 x 99999999999\r\n";
	uint32_t uids[4];
	size_t n;
	const char *lit;

	(void)state;
	lit = ack_imap_literal(fetch, sizeof(fetch) - 1, &n);
	assert_non_null(lit);
	assert_int_equal(n, 5);
	assert_memory_equal(lit, "hello", 5);
	assert_null(ack_imap_literal(fetch, 30, &n));      /* cut short */
	assert_null(ack_imap_literal("{99999999999}\r\n", 15, &n));
	assert_int_equal(ack_imap_search(search, sizeof(search) - 1, uids, 4), 2);
	assert_int_equal(uids[0], 3);
	assert_int_equal(uids[1], 14);
	assert_int_equal(ack_imap_search("* SEARCH\r\n", 10, uids, 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_and_token),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_scan_words),
		cmocka_unit_test(test_scan_codes),
		cmocka_unit_test(test_mail_parse),
		cmocka_unit_test(test_imap_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
