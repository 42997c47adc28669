/*
 * Bounded growing buffers. See buf.h. The allocation doubles from 256 bytes
 * and never exceeds cap + 1 (room for the terminating NUL).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "vigil/buf.h"

void
buf_init(struct buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->alloc = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->full = b->nomem = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static int
grow(struct buf *b, size_t need)
{
	size_t n;
	char *p;

	if (need > b->cap || need == SIZE_MAX) {
		b->full = 1;
		return VIGIL_ERR_TOOBIG;
	}
	if (need + 1 <= b->alloc)
		return 0;
	n = b->alloc < 256 ? 256 : b->alloc;
	while (n < need + 1)
		n = n > SIZE_MAX / 2 ? need + 1 : n * 2;
	if (b->cap < SIZE_MAX && n > b->cap + 1)
		n = b->cap + 1;
	if ((p = realloc(b->p, n)) == NULL) {
		b->full = b->nomem = 1;
		return VIGIL_ERR_NOMEM;
	}
	b->p = p;
	b->alloc = n;
	return 0;
}

int
buf_add(struct buf *b, const void *s, size_t n)
{
	int rc;

	if (n > SIZE_MAX - b->len - 1) {
		b->full = 1;
		return VIGIL_ERR_TOOBIG;
	}
	if ((rc = grow(b, b->len + n)) != 0)
		return rc;
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return VIGIL_ERR_INVAL;
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);
	if ((rc = grow(b, b->len + (size_t)n)) != 0)
		return rc;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *
buf_take(struct buf *b, size_t *len)
{
	char *p = b->p;

	if (p == NULL && (p = calloc(1, 1)) == NULL)
		return NULL;
	if (len != NULL)
		*len = b->len;
	b->p = NULL;
	b->len = b->alloc = 0;
	return p;
}

int
buf_error(const struct buf *b)
{
	if (b->nomem)
		return VIGIL_ERR_NOMEM;
	return b->full ? VIGIL_ERR_TOOBIG : 0;
}

int
buf_base64(struct buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;
	int rc;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		if ((rc = buf_add(b, q, 4)) != 0)
			return rc;
	}
	return 0;
}
