/*
 * utf8.c: the one UTF-8 decoder of Vigil. Text from outside (log lines,
 * device strings, JSON, configuration values) is decoded here, by the rules
 * of RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
 * Everything that validates, cleans, escapes, measures or cuts UTF-8 (text.c,
 * json.c, the matcher, the notification texts) stands on these functions.
 */
#ifndef VIGIL_UTF8_H
#define VIGIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode one sequence at s[0..len), len > 0. Returns its length (1 to 4) with
 * *cp set when it is a valid scalar value (NUL included: callers decide).
 * Otherwise returns minus the length of the maximal invalid subpart (at least
 * 1), so that a caller replaces the whole broken prefix with one U+FFFD.
 */
int utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/*
 * The next character of s[0..len) (len > 0) as text is shown: returns the
 * bytes it takes, with *cp its value, or U+FFFD for a broken sequence (its
 * maximal invalid subpart, as utf8_decode() measures it).
 */
size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/* The length of the valid sequence at s[0..len) (len > 0), or 0 when it is not one. */
size_t utf8_len(const char *s, size_t len);

/* Encode the scalar value cp (at most U+10FFFF) into d[0..4); returns its length. */
size_t utf8_encode(char *d, uint32_t cp);

/*
 * The longest prefix of s[0..len) of at most max bytes that does not end in
 * the middle of a character: max itself unless s[max] (when max < len) is a
 * continuation byte, else the start of that character. Never more than len.
 */
size_t utf8_cut(const char *s, size_t len, size_t max);

/* Characters (lead bytes) in s[0..len): the width of valid text in a fixed-width font. */
size_t utf8_chars(const char *s, size_t len);

/*
 * Columns s[0..len) takes on a terminal: combining marks (Vietnamese
 * written decomposed, "Nguye\u0302\u0303n") and zero-width characters take
 * none, East Asian wide and fullwidth characters two, the rest one; an
 * invalid sequence counts as one (it is shown as U+FFFD).
 */
size_t utf8_width(const char *s, size_t len);
/* The longest prefix of s[0..len), in bytes, that takes at most maxw columns. */
size_t utf8_cut_width(const char *s, size_t len, size_t maxw);
/* Columns of one code point: 0, 1 or 2. */
int utf8_cp_width(uint32_t cp);

/*
 * Text folded for searching: ASCII letters in lower case, Latin letters with
 * diacritics (every Vietnamese letter: "Nguyễn Đức" -> "nguyen duc") as their
 * base letter, combining marks dropped; anything else copied as it is. Written
 * to dst (capacity dstlen, NUL-terminated, never cut inside a character);
 * returns the length written. The folded text is never longer than src.
 */
size_t utf8_fold(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
