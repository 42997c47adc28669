/*
 * buf.c: a growing byte buffer with a hard cap, for documents built whole
 * (the report renderer's filled XML, HTML and CSV; JSON through jsonw.h).
 * Outside input decides how much is written, so each buffer is created with
 * the most it may ever hold; past that, appends fail with VIGIL_ERR_TOOBIG
 * and the buffer remembers it (full), so a caller may append freely and check
 * once at the end. A text that may be cut and still be sent (a mail subject)
 * is built with sbuf.h in the caller's own fixed buffer instead.
 */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;      /* NUL-terminated while len < cap; NULL before the first append */
	size_t len;   /* bytes held */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* the most it may hold */
	int full;     /* an append was refused: over cap, or out of memory (nomem) */
	int nomem;
};

/* An empty buffer that will never hold more than cap bytes. */
void buf_init(struct buf *b, size_t cap);
void buf_free(struct buf *b);
/* Forget the content, keep the memory and the cap. */
void buf_reset(struct buf *b);

/* 0, VIGIL_ERR_TOOBIG (nothing appended) or VIGIL_ERR_NOMEM. */
int buf_add(struct buf *b, const void *s, size_t n);
int buf_str(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Hand the bytes over (NUL-terminated; "" when empty) and leave b empty. Free them with free(). */
char *buf_take(struct buf *b, size_t *len);

/* The error the buffer holds: 0, VIGIL_ERR_TOOBIG or VIGIL_ERR_NOMEM. */
int buf_error(const struct buf *b);

/* Standard base64 of s[0..n) (for images in HTML). */
int buf_base64(struct buf *b, const unsigned char *s, size_t n);

#endif
