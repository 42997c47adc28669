/*
 * Text that came from outside: UTF-8 validation, escaping for terminals and
 * JSON, and the duration, size and time notations of configs and vigilctl.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/text.h"
#include "vigil/utf8.h"

static const char hexdigits[] = "0123456789abcdef";

bool
text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;
	int n;

	while (i < len) {
		if (p[i] >= 0x01 && p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_decode(p + i, len - i, &cp);
		if (n <= 0 || cp == 0)
			return false;
		i += (size_t)n;
	}
	return true;
}

/*
 * How one character of outside text is written: the decoder's answer for
 * p[0..n) (n <= 0: a broken sequence of -n bytes, at least 1) becomes its
 * escaped form in esc (room for 16 bytes); returns the escaped length and
 * sets *used to the input bytes it stands for.
 */
typedef size_t escape_fn(const unsigned char *p, int n, uint32_t cp, char *esc, size_t *used);

/*
 * The one copying loop of this file: src through one escaper into dst,
 * NUL-terminated, stopping before a character whose escape does not fit whole.
 */
static size_t
escape_with(escape_fn *one, char *dst, size_t dstlen, const char *src, size_t srclen,
            size_t *consumed)
{
	const unsigned char *p = (const unsigned char *)src;
	char esc[16];
	size_t i = 0, o = 0, elen, used;
	uint32_t cp;
	int n;

	if (consumed != NULL)
		*consumed = 0;
	if (dstlen == 0)
		return 0;
	while (i < srclen) {
		n = utf8_decode(p + i, srclen - i, &cp);
		elen = one(p + i, n, cp, esc, &used);
		if (o + elen > dstlen - 1)
			break;
		memcpy(dst + o, esc, elen);
		o += elen;
		i += used;
	}
	dst[o] = '\0';
	if (consumed != NULL)
		*consumed = i;
	return o;
}

/* Valid characters as they are; a broken byte or NUL as U+FFFD, one each. */
static size_t
clean_one(const unsigned char *p, int n, uint32_t cp, char *esc, size_t *used)
{
	if (n <= 0 || cp == 0) {
		*used = 1;
		memcpy(esc, "\xef\xbf\xbd", 3);
		return 3;
	}
	*used = (size_t)n;
	memcpy(esc, p, (size_t)n);
	return (size_t)n;
}

size_t
text_utf8_clean(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return escape_with(clean_one, dst, dstlen, src, srclen, NULL);
}

/* A code point that moves a terminal's cursor or starts a control sequence. */
static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Unicode bidirectional embeddings, overrides and isolates. */
static int
is_bidi(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static size_t
terminal_one(const unsigned char *p, int n, uint32_t cp, char *esc, size_t *used)
{
	size_t elen = 0, k;

	if (n <= 0) {
		/* Each byte of a broken sequence is shown as itself. */
		n = 1;
		cp = UINT32_MAX;
	}
	*used = (size_t)n;
	if (cp == '\n' || cp == '\t' || cp == '\r' || cp == '\\') {
		esc[elen++] = '\\';
		esc[elen++] = cp == '\n' ? 'n' : cp == '\t' ? 't' : cp == '\r' ? 'r' : '\\';
	} else if (cp == UINT32_MAX || is_control(cp) || is_bidi(cp)) {
		/*
		 * C1 controls are shown byte by byte, as invalid bytes are; so are
		 * bidirectional overrides, which could make a hostile summary
		 * display in another order than it reads.
		 */
		for (k = 0; k < (size_t)n; k++) {
			esc[elen++] = '\\';
			esc[elen++] = 'x';
			esc[elen++] = hexdigits[p[k] >> 4];
			esc[elen++] = hexdigits[p[k] & 0x0f];
		}
	} else {
		memcpy(esc, p, (size_t)n);
		elen = (size_t)n;
	}
	return elen;
}

size_t
text_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return escape_with(terminal_one, dst, dstlen, src, srclen, NULL);
}

static size_t
json_one(const unsigned char *p, int n, uint32_t cp, char *esc, size_t *used)
{
	size_t elen = 0;

	if (n <= 0) {
		*used = (size_t)-n;
		memcpy(esc, "\xef\xbf\xbd", 3);
		return 3;
	}
	*used = (size_t)n;
	if (cp == '"' || cp == '\\') {
		esc[elen++] = '\\';
		esc[elen++] = (char)cp;
	} else if (is_control(cp)) {
		memcpy(esc, "\\u00", 4);
		elen = 4;
		esc[elen++] = hexdigits[cp >> 4];
		esc[elen++] = hexdigits[cp & 0x0f];
	} else {
		memcpy(esc, p, (size_t)n);
		elen = (size_t)n;
	}
	return elen;
}

size_t
text_json_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return escape_with(json_one, dst, dstlen, src, srclen, NULL);
}

size_t
text_json_escape_part(char *dst, size_t dstlen, const char *src, size_t srclen, size_t *used)
{
	return escape_with(json_one, dst, dstlen, src, srclen, used);
}

/*
 * Parse a non-negative decimal number at the start of s, without sign or
 * leading space, into *v; *end is set past it. Fails on overflow.
 */
static int
parse_digits(const char *s, long long *v, const char **end)
{
	long long acc = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return VIGIL_ERR_INVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (acc > (LLONG_MAX - (*p - '0')) / 10)
			return VIGIL_ERR_INVAL;
		acc = acc * 10 + (*p - '0');
	}
	*v = acc;
	*end = p;
	return 0;
}

static int
scale(long long v, long long mult, long long *out)
{
	if (v > LLONG_MAX / mult)
		return VIGIL_ERR_INVAL;
	*out = v * mult;
	return 0;
}

int
text_parse_duration_ms(const char *s, long long *ms)
{
	static const struct {
		const char *suffix;
		long long mult;
	} units[] = {
		{ "", 1000 },           /* a bare number counts seconds */
		{ "ms", 1 },
		{ "s", 1000 },
		{ "m", 60 * 1000 },
		{ "h", 60 * 60 * 1000 },
		{ "d", 24 * 60 * 60 * 1000 },
	};
	const char *end;
	long long v;
	size_t i;

	if (s == NULL || parse_digits(s, &v, &end) != 0)
		return VIGIL_ERR_INVAL;
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].suffix) == 0)
			return scale(v, units[i].mult, ms);
	return VIGIL_ERR_INVAL;
}

int
text_parse_size(const char *s, long long *bytes)
{
	const char *end;
	long long v, mult;

	if (s == NULL || parse_digits(s, &v, &end) != 0)
		return VIGIL_ERR_INVAL;
	switch (*end) {
	case '\0':
		mult = 1;
		break;
	case 'k': case 'K':
		mult = 1LL << 10;
		break;
	case 'm': case 'M':
		mult = 1LL << 20;
		break;
	case 'g': case 'G':
		mult = 1LL << 30;
		break;
	default:
		return VIGIL_ERR_INVAL;
	}
	if (*end != '\0' && end[1] != '\0')
		return VIGIL_ERR_INVAL;
	return scale(v, mult, bytes);
}

bool
text_same_word(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return *a == '\0' && *b == '\0';
}

const char *
text_find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	return text_find_by(hay, hlen, needle, nlen, 0);
}

const char *
text_find_by(const char *hay, size_t hlen, const char *needle, size_t nlen, size_t a)
{
	const char *p, *end;

	if (nlen == 0)
		return hay;
	if (hlen < nlen || a >= nlen)
		return NULL;
	/*
	 * memchr() (vectorised) skips to the few places that hold needle[a];
	 * glibc's memmem() walks every byte, which took four tenths of the
	 * agent's scan with the shipped rules.
	 */
	p = hay + a;
	end = hay + hlen - nlen + a + 1;
	while (p < end && (p = memchr(p, needle[a], (size_t)(end - p))) != NULL) {
		if (memcmp(p - a, needle, nlen) == 0)
			return p - a;
		p++;
	}
	return NULL;
}

/* Seconds since the epoch -> days and the second of the day, both floored. */
static void
split_day(long long sec, long long *days, int *tod)
{
	*days = sec / 86400;
	*tod = (int)(sec % 86400);
	if (*tod < 0) {
		*tod += 86400;
		(*days)--;
	}
}

size_t
text_time_rfc3339(char *dst, size_t dstlen, long long time_us)
{
	long long sec = time_us / 1000000, usec = time_us % 1000000, days;
	int n, y, mon, mday, tod;

	if (dstlen == 0)
		return 0;
	dst[0] = '\0';
	/* Floor, so that times before 1970 keep a positive fraction. */
	if (usec < 0) {
		usec += 1000000;
		sec--;
	}
	split_day(sec, &days, &tod);
	clock_civil_from_days(days, &y, &mon, &mday);
	/* RFC 3339 has four-digit years; outside them write nothing. */
	if (y < 0 || y > 9999)
		return 0;
	n = snprintf(dst, dstlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", y, mon, mday,
	    tod / 3600, tod / 60 % 60, tod % 60, usec);
	if (n < 0 || (size_t)n >= dstlen) {
		dst[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

int
text_parse_ll(const char *s, long long min, long long max, long long *v)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return VIGIL_ERR_INVAL;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v < min || *v > max)
		return VIGIL_ERR_INVAL;
	return 0;
}

size_t
text_zone_label(char *dst, size_t dstlen, int utc_offset_min)
{
	int off = utc_offset_min < 0 ? -utc_offset_min : utc_offset_min;
	int n;

	if (dstlen == 0)
		return 0;
	n = snprintf(dst, dstlen, "UTC%c%02d:%02d", utc_offset_min < 0 ? '-' : '+', off / 60,
	    off % 60);
	if (n < 0 || (size_t)n >= dstlen) {
		dst[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

size_t
text_time_people(char *dst, size_t dstlen, long long time_us, int utc_offset_min, int flags)
{
	char label[24];
	long long days;
	int n, y, mon, mday, tod;

	if (dstlen == 0)
		return 0;
	dst[0] = '\0';
	if (time_us <= 0)
		return 0;
	split_day(time_us / 1000000 + (long long)utc_offset_min * 60, &days, &tod);
	clock_civil_from_days(days, &y, &mon, &mday);
	if (y > 9999)
		return 0;
	label[0] = '\0';
	if (!(flags & TEXT_TIME_BARE)) {
		label[0] = ' ';
		label[1] = '(';
		text_zone_label(label + 2, sizeof(label) - 3, utc_offset_min);
		strcat(label, ")");
	}
	/* The order of a date is the language's, as its words are. */
	if (flags & TEXT_TIME_DMY)
		n = snprintf(dst, dstlen, "%02d/%02d/%04d %02d:%02d:%02d%s", mday, mon, y,
		    tod / 3600, tod / 60 % 60, tod % 60, label);
	else
		n = snprintf(dst, dstlen, "%04d-%02d-%02d %02d:%02d:%02d%s", y, mon, mday,
		    tod / 3600, tod / 60 % 60, tod % 60, label);
	if (n < 0 || (size_t)n >= dstlen) {
		dst[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

int
text_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
