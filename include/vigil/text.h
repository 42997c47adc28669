/* Text from outside: UTF-8 checks and escaping for display and JSON. */
#ifndef VIGIL_TEXT_H
#define VIGIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8 without NUL bytes or overlong forms. */
bool text_utf8_valid(const char *s, size_t len);

/*
 * Copy src into dst (capacity dstlen, always NUL-terminated) as valid UTF-8:
 * each invalid byte and each NUL becomes U+FFFD; the copy stops before a
 * character that would not fit whole. For text from logs going on the wire.
 * Returns the length written.
 */
size_t text_utf8_clean(char *dst, size_t dstlen, const char *src, size_t srclen);

/*
 * Copy src into dst (capacity dstlen, always NUL-terminated, truncated with no
 * partial escape) with control characters (C0, DEL, C1) and backslash escaped
 * as \n, \t, \r, \\ or \xHH, so log text can never move a terminal's cursor
 * or forge a line. Invalid UTF-8 bytes are escaped as \xHH too. Returns the
 * length written.
 */
size_t text_escape(char *dst, size_t dstlen, const char *src, size_t srclen);

/*
 * Write src as a JSON string body (without the quotes) to dst, escaping per
 * RFC 8259 (", \, and every control character as \u00XX, invalid UTF-8 as
 * U+FFFD). Returns the length written, truncating cleanly at dstlen - 1.
 */
size_t text_json_escape(char *dst, size_t dstlen, const char *src, size_t srclen);
/* The same, saying in *used how much of src went in: a long text escaped piece by piece. */
size_t text_json_escape_part(char *dst, size_t dstlen, const char *src, size_t srclen,
                             size_t *used);

/*
 * Parse "90", "90s", "15m", "2h", "7d", "500ms" into milliseconds. Returns 0
 * or VIGIL_ERR_INVAL.
 */
int text_parse_duration_ms(const char *s, long long *ms);
/* Parse "1048576", "64k", "1M", "2G" (powers of 1024) into bytes. */
int text_parse_size(const char *s, long long *bytes);
/*
 * A decimal number of digits only (no sign, no space) from min to max into
 * *v: 0, or VIGIL_ERR_INVAL (*v then undefined). The control socket's
 * arguments and vigilctl's both read numbers so.
 */
int text_parse_ll(const char *s, long long min, long long max, long long *v);

/*
 * Are a and b the same word but for the case of ASCII letters? strcasecmp(3)
 * for every platform and every locale: names in configurations read alike.
 */
bool text_same_word(const char *a, const char *b);

/* The value of the hexadecimal digit c (either case), or -1. */
int text_hex_digit(int c);

/*
 * The first place of needle[0..nlen) in hay[0..hlen), or NULL (nlen 0: hay).
 * memmem(3) for every platform: the rules' prefilter runs it on every line.
 */
const char *text_find(const char *hay, size_t hlen, const char *needle, size_t nlen);

/*
 * The same, looking first for needle[a] (a < nlen): the caller names the
 * needle's rarest byte, so that most haystacks are passed over by memchr().
 */
const char *text_find_by(const char *hay, size_t hlen, const char *needle, size_t nlen,
    size_t a);

/* Format a time in microseconds since the epoch as RFC 3339 UTC: 2026-11-25T10:00:00.123456Z */
size_t text_time_rfc3339(char *dst, size_t dstlen, long long time_us);

/* "UTC+07:00", "UTC-05:30": the label of a zone utc_offset_min minutes east of UTC. */
size_t text_zone_label(char *dst, size_t dstlen, int utc_offset_min);

#define TEXT_TIME_DMY 1  /* dd/mm/yyyy: the Vietnamese order */
#define TEXT_TIME_BARE 2 /* without the zone: a table's heading says it */

/*
 * A time for people, in the zone utc_offset_min minutes east of UTC, with the
 * zone said: "25/11/2026 17:00:03 (UTC+07:00)" (flags TEXT_TIME_DMY) or
 * "2026-11-25 17:00:03 (UTC+07:00)"; TEXT_TIME_BARE leaves " (UTC+07:00)"
 * out. Writes "" (returns 0) for a time not after the epoch or past year
 * 9999, or when dst is too small.
 */
size_t text_time_people(char *dst, size_t dstlen, long long time_us, int utc_offset_min, int flags);

#endif
