/*
 * Replies in other charsets (issue 11). Vietnamese phones and Outlook send
 * windows-1258 or UTF-8 (often quoted-printable), older clients ISO-8859-1,
 * some UTF-16. ack.c undoes the transfer encoding (base64, quoted-printable,
 * RFC 2047 words); this turns the bytes into UTF-8 through glibc's iconv
 * before the words and the code are matched. An unknown charset or a byte
 * that is not in it is no reason to drop a reply: the bytes are kept, or
 * skipped, and the text is cleaned as UTF-8 afterwards.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ack.h"

static int
is_utf8(const char *cs)
{
	return cs == NULL || cs[0] == '\0' || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0;
}

/* UTF-16 without a byte-order mark: the unit of a skipped character is two bytes. */
static size_t
unit_of(const char *cs)
{
	return strncasecmp(cs, "utf-16", 6) == 0 || strncasecmp(cs, "ucs-2", 5) == 0 ? 2 : 1;
}

char *
ack_charset_utf8(const char *charset, const char *in, size_t len, size_t *outlen)
{
	size_t cap = len * 4 + 4, left_in = len, left_out, unit;
	char *out, *ip = (char *)(uintptr_t)in, *op;
	iconv_t cd = (iconv_t)-1;

	if (len > ACK_MAIL_MAX)
		len = left_in = ACK_MAIL_MAX;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	if (is_utf8(charset) || (cd = iconv_open("UTF-8", charset)) == (iconv_t)-1) {
		memcpy(out, in, len);
		out[len] = '\0';
		*outlen = len;
		return out;
	}
	unit = unit_of(charset);
	op = out;
	left_out = cap - 1;
	while (left_in > 0) {
		if (iconv(cd, &ip, &left_in, &op, &left_out) != (size_t)-1)
			break;
		if (errno == E2BIG)
			break;                      /* cannot happen: 4 bytes out for each in */
		/* EILSEQ or a truncated sequence: skip it, keep the rest. */
		if (left_in < unit)
			break;
		ip += unit;
		left_in -= unit;
	}
	iconv(cd, NULL, NULL, &op, &left_out);
	iconv_close(cd);
	*op = '\0';
	*outlen = (size_t)(op - out);
	return out;
}
