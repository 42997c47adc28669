/*
 * The UTF-8 decoder (see utf8.h). One table-free decoder: each lead byte
 * gives the sequence length and the range its second byte must fall in,
 * which rules out overlong forms, surrogates and values past U+10FFFF in
 * one comparison, as the Unicode standard's table 3-7 lays it out.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vigil/utf8.h"

int
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t v;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;      /* overlong */
		else if (c == 0xed)
			hi = 0x9f;      /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;      /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;      /* above U+10FFFF */
	} else
		return -1;      /* continuation byte, C0, C1 or F5..FF */

	for (i = 1; i < n; i++) {
		if (i >= len)
			return -(int)i;
		if (s[i] < lo || s[i] > hi)
			return -(int)i;
		lo = 0x80;
		hi = 0xbf;
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return (int)n;
}

size_t
utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	int n = utf8_decode(s, len, cp);

	if (n > 0)
		return (size_t)n;
	*cp = 0xfffd;
	return (size_t)-n;
}

size_t
utf8_len(const char *s, size_t len)
{
	uint32_t cp;
	int n = utf8_decode((const unsigned char *)s, len, &cp);

	return n > 0 ? (size_t)n : 0;
}

size_t
utf8_encode(char *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | (cp >> 6));
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | (cp >> 12));
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | (cp >> 18));
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A byte that continues a character rather than starting one. */
static int
continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (max >= len)
		return len;
	while (max > 0 && continuation(s[max]))
		max--;
	return max;
}

size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (!continuation(s[i]))
			n++;
	return n;
}

/* Ranges of code points, inclusive, sorted. */
struct cp_range {
	uint32_t lo, hi;
};

/* Combining marks and zero-width characters: no column of their own. */
static const struct cp_range zero_width[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
	{ 0x064b, 0x065f }, { 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f }, { 0x202a, 0x202e },
	{ 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff },
};

/* East Asian wide and fullwidth: two columns. */
static const struct cp_range wide[] = {
	{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
	{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
	{ 0xfe30, 0xfe4f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
	{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static int
in_ranges(const struct cp_range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
utf8_cp_width(uint32_t cp)
{
	if (in_ranges(zero_width, sizeof(zero_width) / sizeof(zero_width[0]), cp))
		return 0;
	if (in_ranges(wide, sizeof(wide) / sizeof(wide[0]), cp))
		return 2;
	return 1;
}

/* Bytes of the next character of s[i..len) and its columns in *w. */
static size_t
next_width(const char *s, size_t len, size_t i, int *w)
{
	uint32_t cp;
	size_t n = utf8_next((const unsigned char *)s + i, len - i, &cp);

	*w = utf8_cp_width(cp);
	return n;
}

size_t
utf8_width(const char *s, size_t len)
{
	size_t i = 0, cols = 0;
	int w;

	while (i < len) {
		i += next_width(s, len, i, &w);
		cols += (size_t)w;
	}
	return cols;
}

size_t
utf8_cut_width(const char *s, size_t len, size_t maxw)
{
	size_t i = 0, cols = 0, n;
	int w;

	while (i < len) {
		n = next_width(s, len, i, &w);
		if (cols + (size_t)w > maxw)
			break;
		cols += (size_t)w;
		i += n;
	}
	return i;
}

/*
 * The base letter of a Latin letter with diacritics, lower case; 0 when cp is
 * not one this table knows. It knows every Vietnamese letter (the Latin-1
 * vowels, ă â đ ê ô ơ ư, and the Latin Extended Additional block U+1EA0 to
 * U+1EF9 of letters with tones) and the rest of Latin-1.
 */
static char
latin_base(uint32_t cp)
{
	/* U+00C0..U+00FF, upper and lower halves alike: "" where no letter. */
	static const char latin1[33] = "aaaaaa\0ceeeeiiiidnooooo\0ouuuuy\0\0";
	/* U+1EA0..U+1EF9 in runs: each run's first code point and its letter. */
	static const struct {
		uint32_t from;
		char base;
	} extra[] = {
		{ 0x1ea0, 'a' }, { 0x1eb8, 'e' }, { 0x1ec8, 'i' }, { 0x1ecc, 'o' },
		{ 0x1ee4, 'u' }, { 0x1ef2, 'y' }, { 0x1efa, 0 },
	};

	if (cp == 0xff)
		return 'y';
	if (cp >= 0xc0 && cp <= 0xff)
		return latin1[(cp - 0xc0) & 0x1f];
	switch (cp) {
	case 0x102: case 0x103: return 'a';     /* Ă ă */
	case 0x110: case 0x111: return 'd';     /* Đ đ */
	case 0x128: case 0x129: return 'i';     /* Ĩ ĩ */
	case 0x168: case 0x169: return 'u';     /* Ũ ũ */
	case 0x1a0: case 0x1a1: return 'o';     /* Ơ ơ */
	case 0x1af: case 0x1b0: return 'u';     /* Ư ư */
	default: break;
	}
	if (cp >= 0x1ea0 && cp < 0x1efa)
		for (size_t i = 0; extra[i].base != 0; i++)
			if (cp < extra[i + 1].from)
				return extra[i].base;
	return 0;
}

size_t
utf8_fold(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, o = 0, k;
	uint32_t cp;
	char base;
	int n;

	if (dstlen == 0)
		return 0;
	while (i < srclen) {
		n = utf8_decode(p + i, srclen - i, &cp);
		if (n <= 0) {
			/* A broken byte stays as it is: it can only match itself. */
			n = 1;
			cp = UINT32_MAX;
		}
		k = (size_t)n;
		if (cp >= 0x300 && cp <= 0x36f) {
			i += k;         /* a combining mark (decomposed text): dropped */
			continue;
		}
		if (cp < 0x80)
			base = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
		else
			base = latin_base(cp);
		if (base != 0) {
			if (o + 1 > dstlen - 1)
				break;
			dst[o++] = base;
		} else {
			if (o + k > dstlen - 1)
				break;
			memcpy(dst + o, p + i, k);
			o += k;
		}
		i += k;
	}
	dst[o] = '\0';
	return o;
}
