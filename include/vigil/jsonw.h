/*
 * jsonw.c: the one JSON writer. Members and elements are written in order
 * into a sink (a growing buf, a caller's sbuf, or any function that takes
 * bytes, such as the control socket's evbuffer); the writer puts the commas,
 * escapes every string (RFC 8259: quote, backslash and control characters as
 * \u00XX, invalid UTF-8 as U+FFFD) and keys too, and counts the nesting.
 *
 *	struct buf b;
 *	struct jsonw w;
 *	buf_init(&b, 1 << 20);
 *	jsonw_buf(&w, &b);
 *	jsonw_object(&w, NULL);
 *	jsonw_str(&w, "host", host);
 *	jsonw_array(&w, "related");
 *	jsonw_int(&w, NULL, 17);
 *	jsonw_end(&w);
 *	jsonw_end(&w);
 *	rc = jsonw_error(&w) ? ... : buf_error(&b);
 *
 * key is the member's name inside an object and NULL elsewhere (an array's
 * element, the top value).
 */
#ifndef VIGIL_JSONW_H
#define VIGIL_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct sbuf;

#define JSONW_DEPTH_MAX 32

typedef void jsonw_put_fn(void *sink, const char *s, size_t n);

struct jsonw {
	jsonw_put_fn *put;
	void *sink;
	unsigned depth;           /* open objects and arrays */
	uint32_t more;            /* bit d: level d holds a value already */
	char closer[JSONW_DEPTH_MAX]; /* '}' or ']' of each open level */
	int err;                  /* nesting over JSONW_DEPTH_MAX, or an end too many */
};

void jsonw_init(struct jsonw *w, jsonw_put_fn *put, void *sink);
void jsonw_buf(struct jsonw *w, struct buf *b);
void jsonw_sbuf(struct jsonw *w, struct sbuf *b);

void jsonw_object(struct jsonw *w, const char *key);
void jsonw_array(struct jsonw *w, const char *key);
void jsonw_end(struct jsonw *w);

void jsonw_str(struct jsonw *w, const char *key, const char *s);      /* NULL: "" */
void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n);
void jsonw_int(struct jsonw *w, const char *key, long long v);
void jsonw_uint(struct jsonw *w, const char *key, unsigned long long v);
/*
 * A number with `decimals` digits after the point, or (decimals < 0) as short
 * as %.15g writes it; NaN and infinities are null.
 */
void jsonw_double(struct jsonw *w, const char *key, double v, int decimals);
void jsonw_bool(struct jsonw *w, const char *key, int v);
void jsonw_null(struct jsonw *w, const char *key);
/* A value that is JSON already (NULL or "": null). */
void jsonw_raw(struct jsonw *w, const char *key, const char *json);

/* VIGIL_ERR_INVAL when the nesting went wrong, else 0 (the sink keeps its own errors). */
int jsonw_error(const struct jsonw *w);

#endif
