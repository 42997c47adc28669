/*
 * The syslog header of a line, read in place. Every line is hostile: it is
 * addressed as (pointer, length), never read past its length, and may hold
 * NULs, invalid UTF-8 and control characters.
 */
#include <string.h>

#include "vigil/clock.h"

#include "syslog.h"

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at p as a number, or -1. */
static int
digits(const char *p, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isdig(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int64_t
epoch_us(int y, int mo, int d, int h, int mi, int s)
{
	return ((clock_days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) * 1000000LL;
}

/* "hh:mm:ss" at p (8 bytes available). */
static int
clock_of(const char *p, int *h, int *mi, int *s)
{
	if (p[2] != ':' || p[5] != ':')
		return 0;
	*h = digits(p, 2);
	*mi = digits(p + 3, 2);
	*s = digits(p + 6, 2);
	return *h >= 0 && *h < 24 && *mi >= 0 && *mi < 60 && *s >= 0 && *s <= 60;
}

/* "Nov 25 10:00:01 " or "Nov  5 10:00:01 ": returns the length eaten, or 0. */
static size_t
traditional_time(const char *p, size_t len, int64_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	size_t i = 4;
	int mo, day, h, mi, s;

	if (len < 16 || p[3] != ' ')
		return 0;
	for (mo = 0; mo < 12; mo++)
		if (memcmp(p, months + 3 * mo, 3) == 0)
			break;
	if (mo == 12)
		return 0;
	if (p[i] == ' ')
		i++;
	if (!isdig(p[i]))
		return 0;
	day = p[i++] - '0';
	if (isdig(p[i]))
		day = day * 10 + (p[i++] - '0');
	if (day < 1 || day > 31 || p[i++] != ' ' || len < i + 9)
		return 0;
	if (!clock_of(p + i, &h, &mi, &s) || p[i + 8] != ' ')
		return 0;
	*t = epoch_us(2000, mo + 1, day, h, mi, s);
	return i + 9;
}

/*
 * "2026-11-25T10:00:01[.frac](Z|+07:00|+0700) ": returns the length eaten,
 * or 0. RFC 3339 (rsyslog's high-precision format) and what `journalctl -o
 * short-iso` writes (an offset without its colon; some versions put a space
 * for the T). A stamp without a zone is not a header: the lines of
 * dpkg.log ("2026-11-25 10:00:00 install ...") are plain text to the rules.
 */
static size_t
rfc3339_time(const char *p, size_t len, int64_t *t)
{
	int y, mo, d, h, mi, s, oh, om, sign;
	int64_t frac = 0, scale = 1000000;
	size_t i = 19;

	if (len < 21 || p[4] != '-' || p[7] != '-' ||
	    (p[10] != 'T' && p[10] != 't' && p[10] != ' '))
		return 0;
	y = digits(p, 4);
	mo = digits(p + 5, 2);
	d = digits(p + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || !clock_of(p + 11, &h, &mi, &s))
		return 0;
	if (p[i] == '.') {
		for (i++; i < len && isdig(p[i]); i++) {
			if (scale > 1) {
				scale /= 10;
				frac += (p[i] - '0') * scale;
			}
		}
	}
	if (i < len && (p[i] == 'Z' || p[i] == 'z')) {
		oh = om = 0;
		sign = 1;
		i++;
	} else if (i + 5 <= len && (p[i] == '+' || p[i] == '-')) {
		sign = p[i] == '-' ? -1 : 1;
		oh = digits(p + i + 1, 2);
		if (p[i + 3] == ':' && i + 6 <= len) {
			om = digits(p + i + 4, 2);
			i += 6;
		} else {
			om = digits(p + i + 3, 2);
			i += 5;
		}
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return 0;
	} else
		return 0;
	if (i >= len || p[i] != ' ')
		return 0;
	*t = epoch_us(y, mo, d, h, mi, s) + frac -
	    sign * ((int64_t)oh * 3600 + om * 60) * 1000000LL;
	return i + 1;
}

int
syslog_parse(const char *line, size_t len, struct syslog_line *out)
{
	const char *p, *end = line + len, *host, *tag;
	size_t n, i;
	int64_t t = 0;

	out->program = "";
	out->program_len = 0;
	out->msg = line;
	out->msg_len = len;
	out->time_us = 0;
	if (line == NULL)
		return 0;
	if ((n = traditional_time(line, len, &t)) == 0 && (n = rfc3339_time(line, len, &t)) == 0)
		return 0;
	host = p = line + n;
	while (p < end && *p != ' ')
		p++;
	if (p == host || (size_t)(p - host) > SYSLOG_MAX_HOST || p == end)
		return 0;
	tag = ++p;
	for (i = 0; tag + i < end && i <= SYSLOG_MAX_TAG; i++)
		if (tag[i] == '[' || tag[i] == ':' || tag[i] == ' ' || tag[i] == '\0')
			break;
	if (i == 0 || i > SYSLOG_MAX_TAG || tag + i == end)
		return 0;
	p = tag + i;
	if (*p == '[') {
		const char *pid = ++p;

		while (p < end && isdig(*p) && p - pid < 10)
			p++;
		if (p == pid || p == end || *p != ']')
			return 0;
		p++;
	}
	if (p == end || *p != ':')
		return 0;
	p++;
	if (p < end && *p == ' ')
		p++;
	out->program = tag;
	out->program_len = i;
	out->msg = p;
	out->msg_len = (size_t)(end - p);
	out->time_us = t;
	return 1;
}
