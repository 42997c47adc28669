/*
 * The capped string builder (see sbuf.h). Once a piece was cut the text is
 * complete: later pieces may still fit (a shorter one), and are appended, so
 * a caller that ignores trunc gets the longest prefix-respecting text; the
 * callers that cannot use a cut text test trunc.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vigil/sbuf.h"
#include "vigil/utf8.h"

void
sbuf_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->trunc = cap == 0;
	if (cap > 0)
		p[0] = '\0';
}

/* Append s[0..n): what fits, cut at a character boundary when it is text. */
static void
append(struct sbuf *b, const char *s, size_t n, int text)
{
	size_t room;

	if (b->cap == 0)
		return;
	room = b->cap - 1 - b->len;
	if (n > room) {
		n = text ? utf8_cut(s, n, room) : room;
		b->trunc = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
sbuf_put(struct sbuf *b, const char *s, size_t n)
{
	append(b, s, n, 1);
}

void
sbuf_str(struct sbuf *b, const char *s)
{
	append(b, s, strlen(s), 1);
}

void
sbuf_bytes(struct sbuf *b, const void *s, size_t n)
{
	append(b, s, n, 0);
}

/* n less a character that vsnprintf() cut short at the end of s[0..n). */
static size_t
whole(const char *s, size_t n)
{
	size_t lead = n;

	while (lead > 0 && n - lead < 3 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead > 0 && (unsigned char)s[lead - 1] >= 0xc0 && utf8_len(s + lead - 1,
	    n - lead + 1) == 0)
		return lead - 1;
	return n;
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[SBUF_PRINTF_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp)) {
		n = (int)whole(tmp, sizeof(tmp) - 1);
		b->trunc = 1;
	}
	append(b, tmp, (size_t)n, 1);
}
