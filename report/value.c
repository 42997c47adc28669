/*
 * The report data reader. See value.h.
 *
 * A recursive-descent parser whose recursion is bounded by max_depth. Each
 * array or object collects its children in an array that doubles as it
 * grows; decoded strings, keys and number literals go into an arena of
 * blocks owned by the document, so freeing is a walk over the containers and
 * a walk over the blocks. Duplicate keys are found by sorting the keys of
 * each object once it is complete, not by comparing every pair, so a
 * hostile object of 100,000 members costs n log n.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/text.h"

#include "value.h"

#define NUMBER_MAX 64           /* characters of one number literal */
#define ARENA_BLOCK (64 * 1024) /* the usual arena block; a longer string gets its own */

const struct value_limits value_default_limits = {
    .max_input = 8u << 20,
    .max_depth = 32,
    .max_nodes = 500000,
    .max_string = 1u << 20,
};

struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

struct value_doc {
	struct value root;
	struct block *blocks;
};

struct parser {
	const unsigned char *s;
	size_t len, pos;
	const struct value_limits *lim;
	size_t nodes;
	struct value_doc *doc;
	char *err;
	size_t errlen;
	char *scratch; /* one decoded string before it is copied into the arena */
	size_t scratchcap;
};

static int fail(struct parser *, int, const char *, ...) __attribute__((format(printf, 3, 4)));

/* Report what is wrong at the current position, as a line and a column. */
static int
fail(struct parser *p, int rc, const char *fmt, ...)
{
	size_t line = 1, col = 1, i;
	char msg[200];
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return rc;
	for (i = 0; i < p->pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "line %zu, column %zu: %s", line, col, msg);
	return rc;
}

static char *
arena_copy(struct value_doc *doc, const char *s, size_t n)
{
	struct block *b = doc->blocks;
	char *at;

	if (b == NULL || b->size - b->used < n + 1) {
		size_t size = n + 1 > ARENA_BLOCK ? n + 1 : ARENA_BLOCK;

		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = doc->blocks;
		doc->blocks = b;
	}
	at = b->data + b->used;
	memcpy(at, s, n);
	at[n] = '\0';
	b->used += n + 1;
	return at;
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	                           p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int
literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, VIGIL_ERR_INVAL, "expected a value.");
	p->pos += n;
	return 0;
}

static int
scratch_put(struct parser *p, size_t at, const char *s, size_t n)
{
	if (at + n > p->lim->max_string)
		return fail(p, VIGIL_ERR_TOOBIG, "a string is longer than %zu bytes.",
		            p->lim->max_string);
	if (at + n + 1 > p->scratchcap) {
		size_t cap = p->scratchcap < 256 ? 256 : p->scratchcap;
		char *q;

		while (cap < at + n + 1)
			cap *= 2;
		if ((q = realloc(p->scratch, cap)) == NULL)
			return fail(p, VIGIL_ERR_NOMEM, "out of memory.");
		p->scratch = q;
		p->scratchcap = cap;
	}
	memcpy(p->scratch + at, s, n);
	return 0;
}

static int
hex4(struct parser *p, unsigned *v)
{
	unsigned x = 0;

	if (p->len - p->pos < 4)
		return fail(p, VIGIL_ERR_INVAL, "a \\u escape needs four hex digits.");
	for (int i = 0; i < 4; i++) {
		int c = p->s[p->pos + i];

		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, VIGIL_ERR_INVAL, "a \\u escape needs four hex digits.");
	}
	p->pos += 4;
	*v = x;
	return 0;
}

/* A string at p->pos (on its opening quote), decoded into the arena. */
static int
string(struct parser *p, const char **out, size_t *outlen)
{
	size_t n = 0, start;
	int rc;

	p->pos++;
	for (;;) {
		unsigned char c;

		start = p->pos;
		while (p->pos < p->len && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
		       p->s[p->pos] >= 0x20)
			p->pos++;
		if ((rc = scratch_put(p, n, (const char *)p->s + start, p->pos - start)) != 0)
			return rc;
		n += p->pos - start;
		if (p->pos >= p->len)
			return fail(p, VIGIL_ERR_INVAL, "a string is not closed.");
		c = p->s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, VIGIL_ERR_INVAL, "a control character inside a string.");
		/* A backslash escape. */
		if (++p->pos >= p->len)
			return fail(p, VIGIL_ERR_INVAL, "a string is not closed.");
		c = p->s[p->pos++];
		if (c == 'u') {
			unsigned cp, lo;
			char u[4];
			size_t k;

			if ((rc = hex4(p, &cp)) != 0)
				return rc;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(p, VIGIL_ERR_INVAL, "a lone low surrogate \\u%04x.",
				            cp);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u')
					return fail(p, VIGIL_ERR_INVAL,
					            "a lone high surrogate \\u%04x.", cp);
				p->pos += 2;
				if ((rc = hex4(p, &lo)) != 0)
					return rc;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(p, VIGIL_ERR_INVAL,
					            "a lone high surrogate \\u%04x.", cp);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0)
				return fail(p, VIGIL_ERR_INVAL,
				            "\\u0000 is not allowed in a string.");
			if (cp < 0x80) {
				u[0] = (char)cp;
				k = 1;
			} else if (cp < 0x800) {
				u[0] = (char)(0xc0 | cp >> 6);
				u[1] = (char)(0x80 | (cp & 0x3f));
				k = 2;
			} else if (cp < 0x10000) {
				u[0] = (char)(0xe0 | cp >> 12);
				u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
				u[2] = (char)(0x80 | (cp & 0x3f));
				k = 3;
			} else {
				u[0] = (char)(0xf0 | cp >> 18);
				u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
				u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
				u[3] = (char)(0x80 | (cp & 0x3f));
				k = 4;
			}
			if ((rc = scratch_put(p, n, u, k)) != 0)
				return rc;
			n += k;
			continue;
		}
		{
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			const char *at = c != '\0' ? strchr(from, c) : NULL;

			if (at == NULL)
				return fail(p, VIGIL_ERR_INVAL, "an unknown escape in a string.");
			if ((rc = scratch_put(p, n, to + (at - from), 1)) != 0)
				return rc;
			n++;
		}
	}
	p->pos++; /* the closing quote */
	if (n > 0 && !text_utf8_valid(p->scratch, n))
		return fail(p, VIGIL_ERR_INVAL, "a string is not valid UTF-8.");
	if ((*out = arena_copy(p->doc, n > 0 ? p->scratch : "", n)) == NULL)
		return fail(p, VIGIL_ERR_NOMEM, "out of memory.");
	*outlen = n;
	return 0;
}

static int
number(struct parser *p, struct value *v)
{
	size_t start = p->pos;
	char lit[NUMBER_MAX + 1];
	char *end;

	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return fail(p, VIGIL_ERR_INVAL, "expected a value.");
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, VIGIL_ERR_INVAL, "a number needs a digit after its point.");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, VIGIL_ERR_INVAL, "a number needs a digit in its exponent.");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos - start > NUMBER_MAX)
		return fail(p, VIGIL_ERR_INVAL, "a number is longer than %d characters.",
		            NUMBER_MAX);
	memcpy(lit, p->s + start, p->pos - start);
	lit[p->pos - start] = '\0';
	errno = 0;
	v->num = strtod(lit, &end);
	if (!isfinite(v->num))
		return fail(p, VIGIL_ERR_INVAL, "a number is out of range.");
	v->len = p->pos - start;
	if ((v->str = arena_copy(p->doc, lit, v->len)) == NULL)
		return fail(p, VIGIL_ERR_NOMEM, "out of memory.");
	v->type = VALUE_NUMBER;
	return 0;
}

static int value(struct parser *p, struct value *v, size_t depth);

static int
keycmp(const void *a, const void *b)
{
	const struct value *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* Duplicate keys make a report depend on which one a reader picks: refuse them. */
static int
check_keys(struct parser *p, struct value *obj)
{
	const struct value **sorted;
	int rc = 0;

	if (obj->n < 2)
		return 0;
	if ((sorted = malloc(obj->n * sizeof(*sorted))) == NULL)
		return fail(p, VIGIL_ERR_NOMEM, "out of memory.");
	for (size_t i = 0; i < obj->n; i++)
		sorted[i] = &obj->items[i];
	qsort(sorted, obj->n, sizeof(*sorted), keycmp);
	for (size_t i = 1; i < obj->n; i++)
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0) {
			rc = fail(p, VIGIL_ERR_INVAL,
			          "the key \"%.64s\" appears twice in one object.", sorted[i]->key);
			break;
		}
	free(sorted);
	return rc;
}

/* An array or an object at p->pos (on its opening bracket). */
static int
container(struct parser *p, struct value *v, size_t depth)
{
	int object = p->s[p->pos] == '{';
	char close = object ? '}' : ']';
	size_t cap = 0;
	int rc;

	if (depth >= p->lim->max_depth)
		return fail(p, VIGIL_ERR_TOOBIG, "nested deeper than %zu levels.",
		            p->lim->max_depth);
	v->type = object ? VALUE_OBJECT : VALUE_ARRAY;
	v->str = "";
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		struct value *item;

		if (v->n == cap) {
			size_t ncap = cap == 0 ? 4 : cap * 2;
			struct value *q = realloc(v->items, ncap * sizeof(*q));

			if (q == NULL)
				return fail(p, VIGIL_ERR_NOMEM, "out of memory.");
			v->items = q;
			cap = ncap;
		}
		item = &v->items[v->n];
		memset(item, 0, sizeof(*item));
		v->n++; /* counted before it is filled, so a failure frees what it holds */
		skip_ws(p);
		if (object) {
			size_t klen;

			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, VIGIL_ERR_INVAL, "expected a key in quotes.");
			if ((rc = string(p, &item->key, &klen)) != 0)
				return rc;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, VIGIL_ERR_INVAL, "expected ':' after a key.");
			p->pos++;
		}
		if ((rc = value(p, item, depth + 1)) != 0)
			return rc;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == (unsigned char)close) {
			p->pos++;
			break;
		}
		return fail(p, VIGIL_ERR_INVAL, "expected ',' or '%c'.", close);
	}
	return object ? check_keys(p, v) : 0;
}

static int
value(struct parser *p, struct value *v, size_t depth)
{
	int c;

	if (++p->nodes > p->lim->max_nodes)
		return fail(p, VIGIL_ERR_TOOBIG, "more than %zu values.", p->lim->max_nodes);
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, VIGIL_ERR_INVAL, "the document ends where a value should be.");
	c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		return container(p, v, depth);
	case '"':
		v->type = VALUE_STRING;
		return string(p, &v->str, &v->len);
	case 't':
		v->type = VALUE_BOOL;
		v->str = "true";
		v->len = 4;
		v->num = 1;
		return literal(p, "true");
	case 'f':
		v->type = VALUE_BOOL;
		v->str = "false";
		v->len = 5;
		return literal(p, "false");
	case 'n':
		v->type = VALUE_NULL;
		v->str = "null";
		v->len = 4;
		return literal(p, "null");
	default:
		return number(p, v);
	}
}

static void
free_items(struct value *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i].type == VALUE_ARRAY || v->items[i].type == VALUE_OBJECT)
			free_items(&v->items[i]);
	free(v->items);
	v->items = NULL;
	v->n = 0;
}

void
value_doc_free(struct value_doc *doc)
{
	struct block *b, *next;

	if (doc == NULL)
		return;
	free_items(&doc->root);
	for (b = doc->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(doc);
}

int
value_parse(const char *s, size_t len, const struct value_limits *lim, struct value_doc **out,
            char *err, size_t errlen)
{
	struct parser p;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&p, 0, sizeof(p));
	p.s = (const unsigned char *)s;
	p.len = len;
	p.lim = lim != NULL ? lim : &value_default_limits;
	p.err = err;
	p.errlen = errlen;
	if (len > p.lim->max_input) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "the data is larger than %zu bytes.",
			         p.lim->max_input);
		return VIGIL_ERR_TOOBIG;
	}
	if ((p.doc = calloc(1, sizeof(*p.doc))) == NULL)
		return VIGIL_ERR_NOMEM;
	rc = value(&p, &p.doc->root, 0);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos < p.len)
			rc = fail(&p, VIGIL_ERR_INVAL, "something follows the document.");
	}
	free(p.scratch);
	if (rc != 0) {
		value_doc_free(p.doc);
		return rc;
	}
	*out = p.doc;
	return 0;
}

const struct value *
value_root(const struct value_doc *doc)
{
	return &doc->root;
}

const struct value *
value_get(const struct value *v, const char *key)
{
	if (v == NULL || v->type != VALUE_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->items[i].key, key) == 0)
			return &v->items[i];
	return NULL;
}

const struct value *
value_path(const struct value *v, const char *path)
{
	char seg[256];
	const char *dot;

	while (v != NULL && *path != '\0') {
		size_t n;

		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, path, n);
		seg[n] = '\0';
		if (v->type == VALUE_ARRAY) {
			char *end;
			unsigned long i;

			errno = 0;
			i = strtoul(seg, &end, 10);
			if (*end != '\0' || seg[0] < '0' || seg[0] > '9' || errno != 0 || i >= v->n)
				return NULL;
			v = &v->items[i];
		} else
			v = value_get(v, seg);
		path += n;
		if (*path == '.')
			path++;
	}
	return v;
}

int
value_truthy(const struct value *v)
{
	if (v == NULL)
		return 0;
	switch (v->type) {
	case VALUE_NULL:
		return 0;
	case VALUE_BOOL:
		return v->num != 0;
	case VALUE_NUMBER:
		return v->num != 0;
	case VALUE_STRING:
		return v->len > 0;
	case VALUE_ARRAY:
	case VALUE_OBJECT:
		return v->n > 0;
	}
	return 0;
}
