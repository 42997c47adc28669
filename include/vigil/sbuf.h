/*
 * sbuf.c: the capped string builder. Text is built into a buffer the caller
 * owns and sized; what does not fit is cut, at a UTF-8 character boundary,
 * and the builder remembers that it was (trunc), so that the caller decides
 * whether a cut text is still worth sending (a mail subject) or not (a JSON
 * document). The buffer is always NUL-terminated; nothing is allocated.
 *
 *	struct sbuf b;
 *	sbuf_init(&b, buf, sizeof(buf));
 *	sbuf_printf(&b, "[Vigil][%s] ", severity);
 *	sbuf_str(&b, title);
 *	return b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
 */
#ifndef VIGIL_SBUF_H
#define VIGIL_SBUF_H

#include <stddef.h>

#include "vigil/attr.h"

#define SBUF_PRINTF_MAX 1024    /* bytes one sbuf_printf() formats; more is cut */

struct sbuf {
	char *p;
	size_t len;         /* bytes written, without the NUL */
	size_t cap;         /* sizeof the buffer: at most cap - 1 bytes of text */
	int trunc;          /* something was cut or left out */
};

/* Start an empty text in p[cap] (cap 0: everything is cut). */
void sbuf_init(struct sbuf *b, char *p, size_t cap);

/* Append s[0..n), cut back to a character boundary when it does not all fit. */
void sbuf_put(struct sbuf *b, const char *s, size_t n);
void sbuf_str(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) VIGIL_PRINTF(2, 3);

/* Append bytes that are not text (a binary key): cut where the room ends. */
void sbuf_bytes(struct sbuf *b, const void *s, size_t n);

#endif
