/*
 * SMS texts and gammu-smsd's spool files (issue 11), pure.
 *
 * One message is one part: a phone shows a long message in pieces, and a
 * modem bills and may lose each. A text that GSM 03.38's default alphabet
 * can say takes 160 septets (the extension characters ^{}[]~|\ and the euro
 * sign take two); anything else (Vietnamese letters) is sent as UCS-2, 70
 * UTF-16 units. sms_fit() cuts at a character boundary to whichever applies.
 *
 * gammu-smsd's FILES service (gammu-smsd-files(7)): outgoing messages are
 * files OUT<priority><date>_<time>_<serial>_<number>_<note>.txt in its
 * outbox, incoming ones IN<date>_<time>_<serial>_<number>_<part>.txt in its
 * inbox; with the default InboxFormat (unicode) a text file is UTF-16.
 */
#ifndef VIGIL_SMS_H
#define VIGIL_SMS_H

#include <stddef.h>
#include <stdint.h>

#define SMS_GSM7_MAX 160
#define SMS_UCS2_MAX 70
#define SMS_TEXT_MAX 400         /* bytes of one part's UTF-8, at most */
#define SMS_NUMBER_MAX 24
#define SMS_FILE_MAX 4096        /* bytes of one inbox file read */

/* 1 when every character of s is in the GSM 7-bit default alphabet (or its extension). */
int sms_is_gsm7(const char *s, size_t len);

/* The length in s's encoding: septets (GSM-7) or UTF-16 units (UCS-2). */
size_t sms_units(const char *s, size_t len, int gsm7);

/* The longest prefix of s (bytes) that fits one part, cut at a character boundary. */
size_t sms_fit(const char *s, size_t len);

/* "+84901234567" or "0901234567": '+' then 3..20 digits, or digits alone. */
int sms_number_ok(const char *s);

/* UTF-8 to UTF-16LE with a byte-order mark; returns bytes written or VIGIL_ERR_TOOBIG. */
int sms_utf16_encode(const char *s, size_t len, unsigned char *out, size_t outlen);

/*
 * A gammu-smsd text file to UTF-8: UTF-16 (with or without a BOM, either
 * order; unpaired surrogates become U+FFFD) when the file looks so, else
 * taken as UTF-8 and cleaned. Returns the length written (dst NUL-terminated).
 */
size_t sms_file_text(const unsigned char *in, size_t len, char *dst, size_t dstlen);

/* The sender of an inbox file name "IN20261205_101500_00_+84901234567_00.txt"; 0 or -1. */
int sms_inbox_sender(const char *name, char *number, size_t len);

#endif
