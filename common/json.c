#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/json.h"
#include "vigil/utf8.h"

#define NUMBER_MAX 64 /* characters in one number literal */

struct json_object {
	struct json_member *top; /* top-level members */
	size_t ntop, captop;
	struct json_member *nested; /* members of nested objects, one run per object */
	size_t nnested, capnested;
	char *arena; /* decoded keys, strings and number literals */
	size_t arenalen, arenacap;
};

struct parser {
	const unsigned char *s;
	size_t len, pos;
	struct json_object *obj;
	char *err;
	size_t errlen;
};

static int fail(struct parser *, const char *, ...) VIGIL_PRINTF(2, 3);

static int
fail(struct parser *p, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return VIGIL_ERR_INVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "at byte %zu: %s", p->pos, msg);
	return VIGIL_ERR_INVAL;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	                           p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int
peek(const struct parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : -1;
}

/* The arena is sized so that it cannot overflow (see json_parse); this is a guard. */
static char *
arena_put(struct parser *p, size_t n)
{
	struct json_object *o = p->obj;
	char *at;

	if (n > o->arenacap - o->arenalen)
		return NULL;
	at = o->arena + o->arenalen;
	o->arenalen += n;
	return at;
}

static int
hex4(struct parser *p, unsigned *v)
{
	unsigned x = 0;
	int c;

	for (int i = 0; i < 4; i++) {
		c = peek(p);
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "a \\u escape needs four hexadecimal digits.");
		p->pos++;
	}
	*v = x;
	return 0;
}

/* A string token at p->pos, decoded into the arena. */
static int
parse_string(struct parser *p, const char **out, size_t *outlen)
{
	char *start, *d;
	unsigned cp, lo;
	size_t n;
	int c, rc;

	if (peek(p) != '"')
		return fail(p, "expected a string.");
	p->pos++;
	/* The decoded text is never longer than its source. */
	if (p->len - p->pos > p->obj->arenacap - p->obj->arenalen)
		return fail(p, "the string does not fit the decode buffer.");
	start = d = p->obj->arena + p->obj->arenalen;
	for (;;) {
		c = peek(p);
		if (c < 0)
			return fail(p, "the input ends inside a string.");
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20)
			return fail(p, "a raw control character (0x%02x) inside a string.", c);
		if (c != '\\') {
			n = utf8_len((const char *)p->s + p->pos, p->len - p->pos);
			if (n == 0)
				return fail(p, "invalid UTF-8 inside a string.");
			memcpy(d, p->s + p->pos, n);
			d += n;
			p->pos += n;
			continue;
		}
		p->pos++;
		c = peek(p);
		p->pos++;
		switch (c) {
		case '"':
			*d++ = '"';
			continue;
		case '\\':
			*d++ = '\\';
			continue;
		case '/':
			*d++ = '/';
			continue;
		case 'b':
			*d++ = '\b';
			continue;
		case 'f':
			*d++ = '\f';
			continue;
		case 'n':
			*d++ = '\n';
			continue;
		case 'r':
			*d++ = '\r';
			continue;
		case 't':
			*d++ = '\t';
			continue;
		case 'u':
			break;
		case -1:
			p->pos--;
			return fail(p, "the input ends inside an escape.");
		default:
			p->pos--;
			return fail(p, "an unknown escape \\%c.", c >= 0x20 && c < 0x7f ? c : '?');
		}
		if ((rc = hex4(p, &cp)) != 0)
			return rc;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return fail(p, "a low surrogate \\u%04x without a high one before it.", cp);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (peek(p) != '\\' || p->pos + 1 >= p->len || p->s[p->pos + 1] != 'u')
				return fail(
				    p, "a high surrogate \\u%04x without a low one after it.", cp);
			p->pos += 2;
			if ((rc = hex4(p, &lo)) != 0)
				return rc;
			if (lo < 0xdc00 || lo > 0xdfff)
				return fail(p, "a high surrogate \\u%04x followed by \\u%04x.", cp,
				            lo);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp == 0)
			return fail(p, "a NUL character (\\u0000) inside a string.");
		d += utf8_encode(d, cp);
	}
	*d++ = '\0';
	n = (size_t)(d - start);
	if (arena_put(p, n) != start)
		return fail(p, "the string does not fit the decode buffer.");
	*out = start;
	*outlen = n - 1;
	return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
parse_number(struct parser *p, const char **out, size_t *outlen)
{
	size_t begin = p->pos, n;
	char *d;
	int c;

	if (peek(p) == '-')
		p->pos++;
	c = peek(p);
	if (c == '0')
		p->pos++;
	else if (c >= '1' && c <= '9')
		while ((c = peek(p)) >= '0' && c <= '9')
			p->pos++;
	else
		return fail(p, "a number needs digits.");
	if (peek(p) == '.') {
		p->pos++;
		if (!((c = peek(p)) >= '0' && c <= '9'))
			return fail(p, "a number needs digits after its decimal point.");
		while ((c = peek(p)) >= '0' && c <= '9')
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!((c = peek(p)) >= '0' && c <= '9'))
			return fail(p, "a number needs digits in its exponent.");
		while ((c = peek(p)) >= '0' && c <= '9')
			p->pos++;
	}
	n = p->pos - begin;
	if (n > NUMBER_MAX)
		return fail(p, "a number longer than %d characters.", NUMBER_MAX);
	if ((d = arena_put(p, n + 1)) == NULL)
		return fail(p, "the number does not fit the decode buffer.");
	memcpy(d, p->s + begin, n);
	d[n] = '\0';
	*out = d;
	*outlen = n;
	return 0;
}

static int
parse_literal(struct parser *p, const char *word, enum json_type type, struct json_member *m)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "expected a value.");
	p->pos += n;
	m->type = type;
	m->str = word;
	m->len = n;
	return 0;
}

static struct json_member *
new_member(struct parser *p, int depth)
{
	struct json_object *o = p->obj;
	struct json_member **arr = depth == 0 ? &o->top : &o->nested;
	size_t *n = depth == 0 ? &o->ntop : &o->nnested;
	size_t *cap = depth == 0 ? &o->captop : &o->capnested;
	struct json_member *m;
	size_t ncap;

	if (o->ntop + o->nnested >= JSON_MAX_MEMBERS)
		return NULL;
	if (*n == *cap) {
		ncap = *cap ? *cap * 2 : 16;
		if ((m = reallocarray(*arr, ncap, sizeof(*m))) == NULL)
			return NULL;
		*arr = m;
		*cap = ncap;
	}
	m = &(*arr)[(*n)++];
	memset(m, 0, sizeof(*m));
	return m;
}

/*
 * An object at p->pos. Its members go to the top array (depth 0) or the
 * nested array (depth 1); one nested object is parsed at a time, so the
 * members of each form one run there. The run's index is set in json_parse.
 */
static int
parse_object(struct parser *p, int depth, size_t *count)
{
	struct json_member *arr, *m;
	const char *key;
	size_t keylen, first, i;
	int rc, c;

	first = depth == 0 ? p->obj->ntop : p->obj->nnested;
	*count = 0;
	if (peek(p) != '{')
		return fail(p, "expected '{'.");
	p->pos++;
	skip_ws(p);
	if (peek(p) == '}') {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if ((rc = parse_string(p, &key, &keylen)) != 0)
			return rc;
		arr = depth == 0 ? p->obj->top : p->obj->nested;
		for (i = first; i < first + *count; i++)
			if (strcmp(arr[i].key, key) == 0)
				return fail(p, "a duplicate key \"%.40s\".", key);
		skip_ws(p);
		if (peek(p) != ':')
			return fail(p, "expected ':' after a key.");
		p->pos++;
		skip_ws(p);
		if ((m = new_member(p, depth)) == NULL) {
			if (p->obj->ntop + p->obj->nnested >= JSON_MAX_MEMBERS) {
				fail(p, "more than %d members.", JSON_MAX_MEMBERS);
				return VIGIL_ERR_TOOBIG;
			}
			return VIGIL_ERR_NOMEM;
		}
		m->key = key;
		(*count)++;
		c = peek(p);
		if (c == '"') {
			m->type = JSON_STRING;
			rc = parse_string(p, &m->str, &m->len);
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			m->type = JSON_NUMBER;
			rc = parse_number(p, &m->str, &m->len);
		} else if (c == 't')
			rc = parse_literal(p, "true", JSON_BOOL, m);
		else if (c == 'f')
			rc = parse_literal(p, "false", JSON_BOOL, m);
		else if (c == 'n')
			rc = parse_literal(p, "null", JSON_NULL, m);
		else if (c == '{') {
			if (depth > 0)
				return fail(
				    p, "objects nested deeper than one level are not accepted.");
			m->type = JSON_OBJECT;
			m->str = "";
			rc = parse_object(p, depth + 1, &m->nmembers);
		} else if (c == '[')
			return fail(p, "arrays are not accepted.");
		else if (c < 0)
			return fail(p, "the input ends where a value should be.");
		else
			return fail(p, "expected a value.");
		if (rc != 0)
			return rc;
		skip_ws(p);
		c = peek(p);
		if (c == ',') {
			p->pos++;
			continue;
		}
		if (c == '}') {
			p->pos++;
			return 0;
		}
		if (c < 0)
			return fail(p, "the input ends inside an object.");
		return fail(p, "expected ',' or '}' after a value.");
	}
}

int
json_parse(const char *s, size_t len, struct json_object **out, char *err, size_t errlen)
{
	struct parser p = {.s = (const unsigned char *)s, .len = len, .err = err, .errlen = errlen};
	struct json_object *o;
	size_t n, run, i;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > JSON_MAX_INPUT) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "an object of %zu bytes is over the limit of %u.",
			         len, JSON_MAX_INPUT);
		return VIGIL_ERR_TOOBIG;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return VIGIL_ERR_NOMEM;
	/*
	 * A decoded string takes at most its token's length (the quotes pay
	 * for the NUL); a number takes its length plus a NUL, paid for by the
	 * separator after it. So len + 1 bytes always suffice.
	 */
	o->arenacap = len + 1;
	if ((o->arena = malloc(o->arenacap)) == NULL) {
		free(o);
		return VIGIL_ERR_NOMEM;
	}
	p.obj = o;
	skip_ws(&p);
	if ((rc = parse_object(&p, 0, &n)) != 0)
		goto out;
	skip_ws(&p);
	if (p.pos != p.len) {
		rc = fail(&p, "unexpected characters after the object.");
		goto out;
	}
	for (i = 0, run = 0; i < o->ntop; i++) {
		if (o->top[i].type != JSON_OBJECT)
			continue;
		/* An empty object has no run; nested may then be NULL, and NULL + 0 is undefined. */
		o->top[i].members = o->top[i].nmembers > 0 ? o->nested + run : NULL;
		run += o->top[i].nmembers;
	}
	*out = o;
	return 0;
out:
	json_free(o);
	return rc;
}

void
json_free(struct json_object *obj)
{
	if (obj == NULL)
		return;
	free(obj->top);
	free(obj->nested);
	free(obj->arena);
	free(obj);
}

const struct json_member *
json_members(const struct json_object *obj, size_t *n)
{
	*n = obj->ntop;
	return obj->top;
}

const struct json_member *
json_find(const struct json_member *members, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(members[i].key, key) == 0)
			return &members[i];
	return NULL;
}

const struct json_member *
json_get(const struct json_object *obj, const char *key)
{
	return json_find(obj->top, obj->ntop, key);
}

int
json_int(const struct json_member *m, long long *v)
{
	char *end;
	long long x;

	if (m == NULL || m->type != JSON_NUMBER || strpbrk(m->str, ".eE") != NULL)
		return VIGIL_ERR_INVAL;
	errno = 0;
	x = strtoll(m->str, &end, 10);
	if (errno == ERANGE)
		return VIGIL_ERR_RANGE;
	if (*end != '\0')
		return VIGIL_ERR_INVAL;
	*v = x;
	return 0;
}
