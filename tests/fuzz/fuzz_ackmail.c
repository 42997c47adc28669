/*
 * libFuzzer target: a reply read from the mailbox (collector/ack.c) or from
 * gammu-smsd's inbox (collector/sms.c), on arbitrary bytes.
 *
 * What must hold: ack_mail_parse() never reads past its input and refuses
 * more than ACK_MAIL_MAX; what it keeps is clean: the From address is empty
 * or lower-case printable ASCII with an '@', the subject one line of valid
 * UTF-8 without control characters, the text valid UTF-8 whose only control
 * characters are '\n' and '\t'; ack_scan() finds a code only in its range
 * and tokens only of the token alphabet; an SMS file decodes to valid UTF-8;
 * the IMAP answer helpers stay inside the answer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "vigil/utf8.h"

#include "../../collector/ack.h"
#include "../../collector/sms.h"

static int
valid_utf8(const char *s, int allow_nl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	while (len > 0) {
		uint32_t cp;
		int n = utf8_decode(p, len, &cp);

		if (n <= 0)
			return 0;
		if ((cp < 0x20 && !(allow_nl && (cp == '\n' || cp == '\t'))) || cp == 0x7f)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ack_mail m;
	struct ack_found f;
	char text[SMS_FILE_MAX * 2];
	uint32_t uids[8];
	size_t lit;
	const char *l;

	if (ack_mail_parse((const char *)data, size, &m) == 0) {
		for (const char *p = m.from; *p != '\0'; p++)
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
			    (*p >= 'A' && *p <= 'Z'))
				__builtin_trap();
		if ((m.from[0] != '\0' && strchr(m.from, '@') == NULL) ||
		    !valid_utf8(m.subject, 0) || !valid_utf8(m.text, 1))
			__builtin_trap();
		ack_scan(m.subject, m.text, size > 0 && (data[0] & 1), &f);
		if (f.code != 0 && (f.code < ACK_CODE_MIN || f.code > ACK_CODE_MAX))
			__builtin_trap();
		for (size_t i = 0; i < f.ntokens; i++)
			if (strlen(f.tokens[i]) != ACK_TOKEN_LEN ||
			    strspn(f.tokens[i], "abcdefghijkmnpqrstuvwxyz23456789") != ACK_TOKEN_LEN)
				__builtin_trap();
		ack_mail_clear(&m);
	}
	/* An SMS file: whatever its bytes, UTF-8 that decodes (controls may stay: not shown). */
	sms_file_text(data, size < SMS_FILE_MAX ? size : SMS_FILE_MAX, text, sizeof(text));
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';) {
		uint32_t cp;
		int n = utf8_decode(p, strlen((const char *)p), &cp);

		if (n <= 0)
			__builtin_trap();
		p += n;
	}
	if ((l = ack_imap_literal((const char *)data, size, &lit)) != NULL &&
	    (l < (const char *)data || l + lit > (const char *)data + size))
		__builtin_trap();
	(void)ack_imap_search((const char *)data, size, uids, 8);
	return 0;
}
