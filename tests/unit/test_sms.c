/* SMS parts and gammu-smsd's files (sms.h): how a text is cut, how a file is read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../collector/sms.h"

static void
test_alphabet(void **state)
{
	(void)state;
	assert_true(sms_is_gsm7("XN 4821 ok @$_!", 15));
	assert_true(sms_is_gsm7("é à ü £", strlen("é à ü £")));
	assert_false(sms_is_gsm7("Xác nhận", strlen("Xác nhận")));
	assert_false(sms_is_gsm7("`", 1));
	/* The extension table takes two septets. */
	assert_int_equal(sms_units("a{b}", 4, 1), 6);
	assert_int_equal(sms_units("Xác", strlen("Xác"), 0), 3);
	assert_int_equal(sms_units("\xf0\x9f\x98\x80", 4, 0), 2);   /* a surrogate pair */
}

static void
test_fit(void **state)
{
	char s[400];
	size_t n;

	(void)state;
	memset(s, 'a', 200);
	s[200] = '\0';
	assert_int_equal(sms_fit(s, 200), SMS_GSM7_MAX);
	memset(s, '[', 200);
	assert_int_equal(sms_fit(s, 200), SMS_GSM7_MAX / 2);
	/* One Vietnamese letter: the whole text is UCS-2, 70 characters. */
	strcpy(s, "ậ");
	memset(s + 3, 'b', 100);
	s[103] = '\0';
	n = sms_fit(s, strlen(s));
	assert_int_equal(n, 3 + 69);
	/* Never inside a character. */
	for (int i = 0; i < 40; i++)
		memcpy(s + 3 * i, "ệ", 3);
	s[120] = '\0';
	n = sms_fit(s, 120);
	assert_int_equal(n, 120);
	for (int i = 0; i < 80; i++)
		memcpy(s + 3 * i, "ệ", 3);
	s[240] = '\0';
	n = sms_fit(s, 240);
	assert_int_equal(n, 3 * SMS_UCS2_MAX);
}

static void
test_files(void **state)
{
	unsigned char buf[64];
	char out[64], num[SMS_NUMBER_MAX];
	int n;

	(void)state;
	n = sms_utf16_encode("XN ậ", strlen("XN ậ"), buf, sizeof(buf));
	assert_int_equal(n, 2 + 2 * 4);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[1], 0xfe);
	sms_file_text(buf, (size_t)n, out, sizeof(out));
	assert_string_equal(out, "XN ậ");
	/* Without a BOM, little-endian; big-endian with its BOM; plain text as UTF-8. */
	sms_file_text((const unsigned char *)"X\0N\0 \0" "4\0", 8, out, sizeof(out));
	assert_string_equal(out, "XN 4");
	sms_file_text((const unsigned char *)"\xfe\xff\0X\0N", 6, out, sizeof(out));
	assert_string_equal(out, "XN");
	sms_file_text((const unsigned char *)"XN 4821", 7, out, sizeof(out));
	assert_string_equal(out, "XN 4821");
	/* An unpaired surrogate is U+FFFD, not a crash. */
	sms_file_text((const unsigned char *)"\xff\xfe\x00\xd8X\0", 6, out, sizeof(out));
	assert_string_equal(out, "\xef\xbf\xbdX");
	assert_int_equal(sms_utf16_encode("abc", 3, buf, 4), -5);

	assert_int_equal(sms_inbox_sender("IN20261205_101500_00_+84901234567_00.txt", num,
	    sizeof(num)), 0);
	assert_string_equal(num, "+84901234567");
	assert_int_equal(sms_inbox_sender("IN20261205_101500_00_../etc_00.txt", num, sizeof(num)),
	    -1);
	assert_int_equal(sms_inbox_sender("OUT+84901234567.txt", num, sizeof(num)), -1);
	assert_int_equal(sms_inbox_sender("IN1_2_3", num, sizeof(num)), -1);
	assert_true(sms_number_ok("+84901234567"));
	assert_true(sms_number_ok("0901234567"));
	assert_false(sms_number_ok("+84 901"));
	assert_false(sms_number_ok("+"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alphabet),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
