/* SMS texts and gammu-smsd's spool files (sms.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/text.h"
#include "vigil/utf8.h"

#include "sms.h"

/* GSM 03.38's default alphabet beyond printable ASCII, and its extension table. */
static const char *const gsm7_extra =
    "£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà";
static const char gsm7_ext_ascii[] = "^{}\\[~]|";

/* 0: not GSM-7; else the septets it takes (1 or 2). */
static int
gsm7_cost(uint32_t cp)
{
	if (cp == '\n' || cp == '\r')
		return 1;
	if (cp < 0x20 || cp == 0x7f)
		return 0;
	if (cp < 0x80) {
		if (strchr(gsm7_ext_ascii, (int)cp) != NULL)
			return 2;
		if (cp == '`')
			return 0;
		return 1;
	}
	if (cp == 0x20ac)                /* the euro sign: extension table */
		return 2;
	for (const unsigned char *p = (const unsigned char *)gsm7_extra; *p != '\0';) {
		uint32_t c;
		int n = utf8_decode(p, strlen((const char *)p), &c);

		if (n <= 0)
			break;
		if (c == cp)
			return 1;
		p += n;
	}
	return 0;
}

int
sms_is_gsm7(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	while (len > 0) {
		uint32_t cp;
		int n = utf8_decode(p, len, &cp);

		if (n <= 0 || gsm7_cost(cp) == 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

/* What one character costs in a message: septets in GSM-7, UTF-16 units otherwise. */
static size_t
char_units(uint32_t cp, int gsm7)
{
	return gsm7 ? (size_t)gsm7_cost(cp) : cp > 0xffff ? 2 : 1;
}

size_t
sms_units(const char *s, size_t len, int gsm7)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t u = 0, off = 0;
	uint32_t cp;

	while (off < len) {
		off += utf8_next(p + off, len - off, &cp);
		u += char_units(cp, gsm7);
	}
	return u;
}

size_t
sms_fit(const char *s, size_t len)
{
	int gsm7 = sms_is_gsm7(s, len);
	size_t max = gsm7 ? SMS_GSM7_MAX : SMS_UCS2_MAX, u = 0, off = 0, n, c;
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (off < len) {
		n = utf8_next(p + off, len - off, &cp);
		c = char_units(cp, gsm7);
		if (u + c > max || off + n >= SMS_TEXT_MAX)
			break;
		u += c;
		off += n;
	}
	return off;
}

int
sms_number_ok(const char *s)
{
	size_t n = 0;

	if (*s == '+')
		s++;
	for (; *s != '\0'; s++, n++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return n >= 3 && n <= 20;
}

int
sms_utf16_encode(const char *s, size_t len, unsigned char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (outlen < 2)
		return VIGIL_ERR_TOOBIG;
	out[o++] = 0xff;
	out[o++] = 0xfe;
	while (len > 0) {
		uint32_t cp;
		size_t n = utf8_next(p, len, &cp);

		if (cp > 0xffff) {
			uint32_t v = cp - 0x10000;

			if (o + 4 > outlen)
				return VIGIL_ERR_TOOBIG;
			out[o++] = (unsigned char)((0xd800 | (v >> 10)) & 0xff);
			out[o++] = (unsigned char)((0xd800 | (v >> 10)) >> 8);
			out[o++] = (unsigned char)((0xdc00 | (v & 0x3ff)) & 0xff);
			out[o++] = (unsigned char)((0xdc00 | (v & 0x3ff)) >> 8);
		} else {
			if (o + 2 > outlen)
				return VIGIL_ERR_TOOBIG;
			out[o++] = (unsigned char)(cp & 0xff);
			out[o++] = (unsigned char)(cp >> 8);
		}
		p += n;
		len -= n;
	}
	return (int)o;
}

size_t
sms_file_text(const unsigned char *in, size_t len, char *dst, size_t dstlen)
{
	int le = -1;
	size_t o = 0, i = 0, zeros_even = 0, zeros_odd = 0;

	if (dstlen == 0)
		return 0;
	if (len >= 2 && in[0] == 0xff && in[1] == 0xfe)
		le = 1, i = 2;
	else if (len >= 2 && in[0] == 0xfe && in[1] == 0xff)
		le = 0, i = 2;
	else {
		for (size_t k = 0; k < len; k++)
			if (in[k] == 0 && k % 2)
				zeros_odd++;
			else if (in[k] == 0)
				zeros_even++;
		if (zeros_odd > 0 && zeros_odd >= len / 4)
			le = 1;
		else if (zeros_even > 0 && zeros_even >= len / 4)
			le = 0;
	}
	if (le < 0) {
		text_utf8_clean(dst, dstlen, (const char *)in, len);
		return strlen(dst);
	}
	for (; i + 1 < len; i += 2) {
		uint32_t u = le ? (uint32_t)(in[i] | in[i + 1] << 8) : (uint32_t)(in[i] << 8 | in[i + 1]);
		char enc[4];
		size_t n;

		if (u >= 0xd800 && u <= 0xdbff && i + 3 < len) {
			uint32_t lo = le ? (uint32_t)(in[i + 2] | in[i + 3] << 8) :
			    (uint32_t)(in[i + 2] << 8 | in[i + 3]);

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			} else {
				u = 0xfffd;
			}
		} else if (u >= 0xd800 && u <= 0xdfff) {
			u = 0xfffd;
		}
		if (u == 0)
			break;
		n = utf8_encode(enc, u);
		if (o + n + 1 > dstlen)
			break;
		memcpy(dst + o, enc, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}

int
sms_inbox_sender(const char *name, char *number, size_t len)
{
	const char *p = name;
	size_t n = 0;

	/* IN<date>_<time>_<serial>_<number>_<part>.<ext>: the fourth field. */
	if (strncmp(name, "IN", 2) != 0)
		return -1;
	for (int k = 0; k < 3; k++) {
		if ((p = strchr(p, '_')) == NULL)
			return -1;
		p++;
	}
	while (p[n] != '\0' && p[n] != '_')
		n++;
	if (p[n] != '_' || n == 0 || n >= len || n >= SMS_NUMBER_MAX)
		return -1;
	memcpy(number, p, n);
	number[n] = '\0';
	return sms_number_ok(number) ? 0 : -1;
}
