/*
 * The one JSON writer. See jsonw.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vigil/buf.h"
#include "vigil/err.h"
#include "vigil/jsonw.h"
#include "vigil/sbuf.h"
#include "vigil/text.h"

static void
put_buf(void *sink, const char *s, size_t n)
{
	(void)buf_add(sink, s, n);
}

static void
put_sbuf(void *sink, const char *s, size_t n)
{
	sbuf_put(sink, s, n);
}

void
jsonw_init(struct jsonw *w, jsonw_put_fn *put, void *sink)
{
	memset(w, 0, sizeof(*w));
	w->put = put;
	w->sink = sink;
}

void
jsonw_buf(struct jsonw *w, struct buf *b)
{
	jsonw_init(w, put_buf, b);
}

void
jsonw_sbuf(struct jsonw *w, struct sbuf *b)
{
	jsonw_init(w, put_sbuf, b);
}

static void
put_str(struct jsonw *w, const char *s)
{
	w->put(w->sink, s, strlen(s));
}

/* The quoted, escaped string s[0..n), piece by piece through a small buffer. */
static void
put_quoted(struct jsonw *w, const char *s, size_t n)
{
	char tmp[512];
	size_t i = 0, o, used;

	w->put(w->sink, "\"", 1);
	while (i < n) {
		/* Printable ASCII needs no escape: put a run of it as it is. */
		for (o = i; o < n; o++) {
			unsigned char c = (unsigned char)s[o];

			if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
				break;
		}
		if (o > i) {
			w->put(w->sink, s + i, o - i);
			i = o;
			continue;
		}
		o = text_json_escape_part(tmp, sizeof(tmp), s + i, n - i, &used);
		if (used == 0)
			break;          /* cannot happen: one escape is at most 6 bytes */
		w->put(w->sink, tmp, o);
		i += used;
	}
	w->put(w->sink, "\"", 1);
}

/* What comes before a value: its comma, and its key inside an object. */
static void
begin_value(struct jsonw *w, const char *key)
{
	uint32_t bit = 1u << w->depth;

	if (w->more & bit)
		w->put(w->sink, ",", 1);
	w->more |= bit;
	if (key != NULL) {
		put_quoted(w, key, strlen(key));
		w->put(w->sink, ":", 1);
	}
}

/* Nesting past the limit writes nothing more and is an error (JSONW_DEPTH_MAX levels). */
static void
open_with(struct jsonw *w, const char *key, char open, char close)
{
	if (w->err != 0 || w->depth + 1 >= JSONW_DEPTH_MAX) {
		w->err = VIGIL_ERR_INVAL;
		return;
	}
	begin_value(w, key);
	w->put(w->sink, &open, 1);
	w->closer[w->depth] = close;
	w->depth++;
	w->more &= ~(1u << w->depth);
}

void
jsonw_object(struct jsonw *w, const char *key)
{
	open_with(w, key, '{', '}');
}

void
jsonw_array(struct jsonw *w, const char *key)
{
	open_with(w, key, '[', ']');
}

void
jsonw_end(struct jsonw *w)
{
	if (w->err != 0 || w->depth == 0) {
		w->err = VIGIL_ERR_INVAL;
		return;
	}
	w->depth--;
	w->put(w->sink, &w->closer[w->depth], 1);
}

/* A scalar: nothing is written once the nesting went wrong. */
static int
scalar(struct jsonw *w, const char *key)
{
	if (w->err != 0)
		return 0;
	begin_value(w, key);
	return 1;
}

void
jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n)
{
	if (scalar(w, key))
		put_quoted(w, s != NULL ? s : "", s != NULL ? n : 0);
}

void
jsonw_str(struct jsonw *w, const char *key, const char *s)
{
	jsonw_strn(w, key, s, s != NULL ? strlen(s) : 0);
}

static void
put_number(struct jsonw *w, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
put_number(struct jsonw *w, const char *key, const char *fmt, ...)
{
	char num[64];
	va_list ap;
	int n;

	if (!scalar(w, key))
		return;
	va_start(ap, fmt);
	n = vsnprintf(num, sizeof(num), fmt, ap);
	va_end(ap);
	w->put(w->sink, num, n > 0 && (size_t)n < sizeof(num) ? (size_t)n : 0);
}

void
jsonw_int(struct jsonw *w, const char *key, long long v)
{
	put_number(w, key, "%lld", v);
}

void
jsonw_uint(struct jsonw *w, const char *key, unsigned long long v)
{
	put_number(w, key, "%llu", v);
}

void
jsonw_double(struct jsonw *w, const char *key, double v, int decimals)
{
	if (!isfinite(v)) {
		jsonw_null(w, key);
		return;
	}
	if (decimals > 17)
		decimals = 17;
	/* %.*f of a huge number is long: %g keeps it within the buffer. */
	if (decimals < 0 || fabs(v) >= 1e15)
		put_number(w, key, "%.15g", v);
	else
		put_number(w, key, "%.*f", decimals, v);
}

void
jsonw_bool(struct jsonw *w, const char *key, int v)
{
	if (scalar(w, key))
		put_str(w, v ? "true" : "false");
}

void
jsonw_null(struct jsonw *w, const char *key)
{
	if (scalar(w, key))
		put_str(w, "null");
}

void
jsonw_raw(struct jsonw *w, const char *key, const char *json)
{
	if (scalar(w, key))
		put_str(w, json != NULL && json[0] != '\0' ? json : "null");
}

int
jsonw_error(const struct jsonw *w)
{
	return w->err;
}
