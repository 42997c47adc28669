/*
 * The report template engine, its first half: reading a template into a tree
 * of nodes (tmpl_int.h). See tmpl.h for the language.
 *
 * The tree holds pieces of literal text (offsets into the template's own
 * copy), fields with their filters, and blocks (#each, #if, #unless) with a
 * body and an else branch. Everything a hostile template could grow is
 * counted here: its size, its nodes, the nesting of its blocks, the length
 * of one tag.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "tmpl_int.h"

const struct tmpl_limits tmpl_default_limits = {
    .max_input = 16u << 20,
    .max_nodes = 200000,
    .max_depth = 16,
    .max_output = 64u << 20,
    .max_steps = 20000000,
};

static const struct {
	const char *name;
	enum ftype type;
	int arg; /* 0: none, 1: a string is required, 2: an optional number */
} filter_names[] = {
    {"date", F_DATE, 0},       {"time", F_TIME, 0},       {"datetime", F_DATETIME, 0},
    {"day", F_DAY, 0},         {"month", F_MONTH, 0},     {"year", F_YEAR, 0},
    {"upper", F_UPPER, 0},     {"number", F_NUMBER, 2},   {"duration", F_DURATION, 0},
    {"count", F_COUNT, 0},     {"join", F_JOIN, 1},       {"check", F_CHECK, 1},
    {"checked", F_CHECKED, 0}, {"default", F_DEFAULT, 1},
};

/* ---- parsing ---- */

struct parser {
	const char *s;
	size_t len, pos;
	const struct tmpl_limits *lim;
	size_t nodes;
	char *err;
	size_t errlen;
};

/* One tag as written. */
struct tag {
	enum { T_VAR, T_OPEN, T_ELSE, T_CLOSE, T_IMAGE, T_COMMENT } kind;
	enum ntype block; /* T_OPEN, T_CLOSE: which block */
	size_t off, len;  /* the whole tag, braces included */
	char path[PATH_MAX_LEN];
	char kindname[32]; /* T_IMAGE */
	int optional;
	struct filter filters[FILTERS_MAX];
	size_t nfilters;
};

static void
where(const char *s, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

static int fail_at(struct parser *, int, size_t, size_t, const char *, ...)
    __attribute__((format(printf, 5, 6)));

static int
fail_at(struct parser *p, int rc, size_t off, size_t len, const char *fmt, ...)
{
	size_t line, col;
	char msg[256];
	va_list ap;

	if (p->err == NULL || p->errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(p->s, off, &line, &col);
	if (len > 0)
		snprintf(p->err, p->errlen, "line %zu, column %zu: %.*s: %s", line, col,
		         (int)(len > 120 ? 120 : len), p->s + off, msg);
	else
		snprintf(p->err, p->errlen, "line %zu, column %zu: %s", line, col, msg);
	return rc;
}

static void
free_filters(struct filter *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].arg);
}

static void
free_nodes(struct node *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct node *x = &nodes[i];

		free(x->path);
		free(x->kind);
		free_filters(x->filters, x->nfilters);
		free(x->filters);
		free_nodes(x->body, x->nbody);
		free_nodes(x->alt, x->nalt);
	}
	free(nodes);
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free_nodes(t->nodes, t->n);
	free(t->text);
	free(t);
}

/* The length of an opening quote at s (", “ or ‘) and the closing one it wants. */
static size_t
open_quote(const char *s, size_t n, const char **close)
{
	if (n >= 1 && s[0] == '"') {
		*close = "\"";
		return 1;
	}
	if (n >= 1 && s[0] == '\'') {
		*close = "'";
		return 1;
	}
	if (n >= 3 && memcmp(s, "\xe2\x80\x9c", 3) == 0) { /* “ */
		*close = "\xe2\x80\x9d";
		return 3;
	}
	if (n >= 3 && memcmp(s, "\xe2\x80\x98", 3) == 0) { /* ‘ */
		*close = "\xe2\x80\x99";
		return 3;
	}
	return 0;
}

/* Where the tag that opens at s[off] ("{{") ends: the offset just after its "}}". */
static int
tag_end(struct parser *p, size_t off, size_t *end)
{
	size_t i = off + 2;
	/* A comment is free text: its quotes and apostrophes open nothing. */
	int comment = i < p->len && p->s[i] == '!';

	while (i + 1 < p->len) {
		const char *close;
		size_t q;

		if (i - off > TAG_MAX && !comment)
			return fail_at(
			    p, VIGIL_ERR_INVAL, off, 0,
			    "a tag longer than %d bytes, or a '{{' that is never closed.", TAG_MAX);
		if (p->s[i] == '}' && p->s[i + 1] == '}') {
			*end = i + 2;
			return 0;
		}
		if (!comment && (q = open_quote(p->s + i, p->len - i, &close)) > 0) {
			const char *c = NULL;

			i += q;
			for (size_t k = i; k + strlen(close) <= p->len && k - off <= TAG_MAX; k++)
				if (memcmp(p->s + k, close, strlen(close)) == 0) {
					c = p->s + k;
					break;
				}
			if (c == NULL)
				return fail_at(p, VIGIL_ERR_INVAL, off, 0,
				               "a quoted text in a tag is not closed.");
			i = (size_t)(c - p->s) + strlen(close);
			continue;
		}
		i++;
	}
	return fail_at(p, VIGIL_ERR_INVAL, off, 0, "a '{{' that is never closed.");
}

static int
is_name_char(int c)
{
	return isalnum(c) || c == '_';
}

/* A field path: this, ., @index, @first, @last, or name(.name|.digits)*. */
static int
read_path(struct parser *p, const struct tag *t, const char **s, const char *end, char *path)
{
	const char *a = *s, *b = *s;
	size_t n;

	if (b < end && *b == '@') {
		b++;
		while (b < end && is_name_char((unsigned char)*b))
			b++;
		n = (size_t)(b - a);
		if (!((n == 6 && memcmp(a, "@index", 6) == 0) ||
		      (n == 6 && memcmp(a, "@first", 6) == 0) ||
		      (n == 5 && memcmp(a, "@last", 5) == 0)))
			return fail_at(
			    p, VIGIL_ERR_INVAL, t->off, t->len,
			    "unknown name; only @index, @first and @last start with '@'.");
	} else if (b < end && *b == '.' && (b + 1 == end || !is_name_char((unsigned char)b[1]))) {
		b++;
	} else if (b < end && *b == '.') {
		/* .name: the loop item's own field, never one found further out. */
		int rc;

		*s = b + 1;
		if ((rc = read_path(p, t, s, end, path + 5)) != 0)
			return rc;
		if (strncmp(path + 5, "this", 4) == 0 && (path[9] == '\0' || path[9] == '.'))
			return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
			               "\".this\" is not a field.");
		memcpy(path, "this.", 5);
		return 0;
	} else {
		for (;;) {
			const char *seg = b;

			while (b < end && is_name_char((unsigned char)*b))
				b++;
			if (b == seg)
				return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
				               "expected a field name (letters, digits and '_', "
				               "parts joined by '.').");
			if (seg == a && isdigit((unsigned char)*seg))
				return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
				               "a field name cannot start with a digit.");
			if (b < end && *b == '.' && b + 1 < end &&
			    is_name_char((unsigned char)b[1])) {
				b++;
				continue;
			}
			break;
		}
	}
	n = (size_t)(b - a);
	if (n >= PATH_MAX_LEN - 5)
		return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
		               "a field path longer than %d bytes.", PATH_MAX_LEN - 6);
	memcpy(path, a, n);
	path[n] = '\0';
	if (strcmp(path, ".") == 0)
		strcpy(path, "this");
	*s = b;
	return 0;
}

static void
skip_spaces(const char **s, const char *end)
{
	while (*s < end && (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r'))
		(*s)++;
	/* A no-break space (U+00A0), which word processors put in freely. */
	while (end - *s >= 2 && (unsigned char)(*s)[0] == 0xc2 && (unsigned char)(*s)[1] == 0xa0) {
		*s += 2;
		skip_spaces(s, end);
	}
}

static int
read_filters(struct parser *p, struct tag *t, const char **s, const char *end)
{
	for (;;) {
		const char *name, *close;
		size_t n, k, q;

		skip_spaces(s, end);
		if (*s >= end)
			return 0;
		if (**s != '|')
			return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
			               "expected '|' and a filter, or the end of the tag.");
		(*s)++;
		skip_spaces(s, end);
		name = *s;
		while (*s < end && isalpha((unsigned char)**s))
			(*s)++;
		n = (size_t)(*s - name);
		for (k = 0; k < sizeof(filter_names) / sizeof(filter_names[0]); k++)
			if (strlen(filter_names[k].name) == n &&
			    memcmp(filter_names[k].name, name, n) == 0)
				break;
		if (k == sizeof(filter_names) / sizeof(filter_names[0]))
			return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
			               "unknown filter \"%.*s\" (date, time, datetime, day, month, "
			               "year, upper, "
			               "number, duration, count, join, check, checked, default).",
			               (int)(n > 32 ? 32 : n), name);
		if (t->nfilters == FILTERS_MAX)
			return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len, "more than %d filters.",
			               FILTERS_MAX);
		struct filter *f = &t->filters[t->nfilters++];

		f->type = filter_names[k].type;
		f->digits = -1;
		skip_spaces(s, end);
		if (*s < end && **s == ':') {
			(*s)++;
			skip_spaces(s, end);
			if (filter_names[k].arg == 2) {
				if (*s >= end || !isdigit((unsigned char)**s))
					return fail_at(
					    p, VIGIL_ERR_INVAL, t->off, t->len,
					    "number takes a count of decimals (number:1).");
				f->digits = **s - '0';
				(*s)++;
				continue;
			}
			if (filter_names[k].arg != 1)
				return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
				               "the filter %s takes no argument.",
				               filter_names[k].name);
			if ((q = open_quote(*s, (size_t)(end - *s), &close)) == 0)
				return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
				               "the argument of %s must be in quotes.",
				               filter_names[k].name);
			*s += q;
			const char *a = *s;

			while (*s < end && (size_t)(end - *s) >= strlen(close) &&
			       memcmp(*s, close, strlen(close)) != 0)
				(*s)++;
			if ((f->arg = strndup(a, (size_t)(*s - a))) == NULL)
				return VIGIL_ERR_NOMEM;
			*s += strlen(close);
		} else if (filter_names[k].arg == 1)
			return fail_at(p, VIGIL_ERR_INVAL, t->off, t->len,
			               "the filter %s needs an argument in quotes.",
			               filter_names[k].name);
	}
}

/* Read the tag s[off..end). */
static int
read_tag(struct parser *p, size_t off, size_t end, struct tag *t)
{
	const char *s = p->s + off + 2, *e = p->s + end - 2;
	int rc;

	memset(t, 0, sizeof(*t));
	t->off = off;
	t->len = end - off;
	skip_spaces(&s, e);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	if (s < e && *s == '!') {
		t->kind = T_COMMENT;
		return 0;
	}
	if (s < e && (*s == '#' || *s == '/')) {
		int open = *s == '#';
		const char *w = ++s;

		while (s < e && isalpha((unsigned char)*s))
			s++;
		if ((size_t)(s - w) == 4 && memcmp(w, "each", 4) == 0)
			t->block = N_EACH;
		else if ((size_t)(s - w) == 2 && memcmp(w, "if", 2) == 0)
			t->block = N_IF;
		else if ((size_t)(s - w) == 6 && memcmp(w, "unless", 6) == 0)
			t->block = N_UNLESS;
		else
			return fail_at(p, VIGIL_ERR_INVAL, off, t->len,
			               "unknown block; the blocks are #each, #if and #unless.");
		t->kind = open ? T_OPEN : T_CLOSE;
		skip_spaces(&s, e);
		if (!open) {
			if (s != e)
				return fail_at(p, VIGIL_ERR_INVAL, off, t->len,
				               "a closing tag holds only its block's name.");
			return 0;
		}
		if ((rc = read_path(p, t, &s, e, t->path)) != 0)
			return rc;
		skip_spaces(&s, e);
		if (s != e)
			return fail_at(p, VIGIL_ERR_INVAL, off, t->len,
			               "a block takes one field and no filters.");
		return 0;
	}
	if (s < e && *s == '%') {
		const char *w = ++s;

		while (s < e && isalpha((unsigned char)*s))
			s++;
		if ((size_t)(s - w) == 0 || (size_t)(s - w) >= sizeof(t->kindname))
			return fail_at(p, VIGIL_ERR_INVAL, off, t->len,
			               "a picture tag names its kind: {{%%chart FIELD}}.");
		memcpy(t->kindname, w, (size_t)(s - w));
		t->kind = T_IMAGE;
		skip_spaces(&s, e);
		if ((rc = read_path(p, t, &s, e, t->path)) != 0)
			return rc;
		skip_spaces(&s, e);
		if (s != e)
			return fail_at(p, VIGIL_ERR_INVAL, off, t->len,
			               "a picture tag takes one field.");
		return 0;
	}
	if ((size_t)(e - s) == 4 && memcmp(s, "else", 4) == 0) {
		t->kind = T_ELSE;
		return 0;
	}
	t->kind = T_VAR;
	if ((rc = read_path(p, t, &s, e, t->path)) != 0)
		return rc;
	if (s < e && *s == '?') {
		t->optional = 1;
		s++;
	}
	return read_filters(p, t, &s, e);
}

static int
add_node(struct parser *p, struct node **arr, size_t *n, size_t *cap, struct node **out)
{
	if (++p->nodes > p->lim->max_nodes)
		return fail_at(p, VIGIL_ERR_TOOBIG, p->pos, 0,
		               "more than %zu tags and text pieces.", p->lim->max_nodes);
	if (*n == *cap) {
		size_t ncap = *cap == 0 ? 8 : *cap * 2;
		struct node *q = realloc(*arr, ncap * sizeof(*q));

		if (q == NULL)
			return VIGIL_ERR_NOMEM;
		*arr = q;
		*cap = ncap;
	}
	*out = &(*arr)[(*n)++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static const char *
block_name(enum ntype b)
{
	return b == N_EACH ? "each" : b == N_IF ? "if" : "unless";
}

/*
 * Nodes up to the end of the text (closer NULL) or up to the closing tag of
 * the block *closer opens, which is consumed.
 */
static int
parse_list(struct parser *p, size_t depth, const struct tag *closer, struct node **arr, size_t *n,
           struct node **alt, size_t *nalt)
{
	size_t cap = 0, altcap = 0, *count = n;
	struct node **into = arr;
	size_t *intocap = &cap;
	int rc;

	*arr = NULL;
	*n = 0;
	if (alt != NULL) {
		*alt = NULL;
		*nalt = 0;
	}
	for (;;) {
		const char *open = NULL;
		struct node *x;
		struct tag t;
		size_t end = 0;

		for (size_t i = p->pos; i + 1 < p->len; i++)
			if (p->s[i] == '{' && p->s[i + 1] == '{') {
				open = p->s + i;
				break;
			}
		if (open == NULL || (size_t)(open - p->s) > p->pos) {
			size_t stop = open != NULL ? (size_t)(open - p->s) : p->len;

			if (stop > p->pos) {
				if ((rc = add_node(p, into, count, intocap, &x)) != 0)
					return rc;
				x->type = N_TEXT;
				x->off = p->pos;
				x->len = stop - p->pos;
				p->pos = stop;
			}
			if (open == NULL) {
				if (closer != NULL)
					return fail_at(p, VIGIL_ERR_INVAL, closer->off, closer->len,
					               "this block is never closed with {{/%s}}.",
					               block_name(closer->block));
				return 0;
			}
		}
		if ((rc = tag_end(p, p->pos, &end)) != 0)
			return rc;
		if ((rc = read_tag(p, p->pos, end, &t)) != 0) {
			free_filters(t.filters, t.nfilters);
			return rc;
		}
		p->pos = end;
		switch (t.kind) {
		case T_COMMENT:
			continue;
		case T_CLOSE:
			if (closer == NULL || closer->block != t.block)
				return fail_at(
				    p, VIGIL_ERR_INVAL, t.off, t.len,
				    closer == NULL
				        ? "a closing tag without its opening tag."
				        : "this does not close the block opened before it.");
			return 0;
		case T_ELSE:
			if (closer == NULL || alt == NULL || into == alt)
				return fail_at(
				    p, VIGIL_ERR_INVAL, t.off, t.len,
				    "{{else}} belongs inside #each, #if or #unless, once.");
			into = alt;
			count = nalt;
			intocap = &altcap;
			continue;
		default:
			break;
		}
		if ((rc = add_node(p, into, count, intocap, &x)) != 0) {
			free_filters(t.filters, t.nfilters);
			return rc;
		}
		x->off = t.off;
		x->len = t.len;
		if ((x->path = strdup(t.path)) == NULL) {
			free_filters(t.filters, t.nfilters);
			return VIGIL_ERR_NOMEM;
		}
		if (t.kind == T_VAR) {
			x->type = N_VAR;
			x->optional = t.optional;
			if (t.nfilters > 0) {
				if ((x->filters = malloc(t.nfilters * sizeof(*x->filters))) ==
				    NULL) {
					free_filters(t.filters, t.nfilters);
					return VIGIL_ERR_NOMEM;
				}
				memcpy(x->filters, t.filters, t.nfilters * sizeof(*x->filters));
				x->nfilters = t.nfilters;
			}
			continue;
		}
		if (t.kind == T_IMAGE) {
			x->type = N_IMAGE;
			if ((x->kind = strdup(t.kindname)) == NULL)
				return VIGIL_ERR_NOMEM;
			continue;
		}
		/* T_OPEN */
		x->type = t.block;
		if (depth + 1 > p->lim->max_depth)
			return fail_at(p, VIGIL_ERR_TOOBIG, t.off, t.len,
			               "blocks nested deeper than %zu.", p->lim->max_depth);
		{
			struct node *body, *alts;
			size_t nbody, nalts;

			/* The nested lists are arrays of their own: x stays where it is. */
			rc = parse_list(p, depth + 1, &t, &body, &nbody, &alts, &nalts);
			x->body = body;
			x->nbody = nbody;
			x->alt = alts;
			x->nalt = nalts;
			if (rc != 0)
				return rc;
		}
	}
}

int
tmpl_parse(const char *text, size_t len, const struct tmpl_limits *lim, struct tmpl **out,
           char *err, size_t errlen)
{
	struct parser p;
	struct tmpl *t;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (lim == NULL)
		lim = &tmpl_default_limits;
	if (len > lim->max_input) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "the template is larger than %zu bytes.",
			         lim->max_input);
		return VIGIL_ERR_TOOBIG;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->text = malloc(len + 1)) == NULL) {
		free(t);
		return VIGIL_ERR_NOMEM;
	}
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	t->lim = *lim;
	t->len = len;
	memset(&p, 0, sizeof(p));
	p.s = t->text;
	p.len = len;
	p.lim = lim;
	p.err = err;
	p.errlen = errlen;
	rc = parse_list(&p, 0, NULL, &t->nodes, &t->n, NULL, NULL);
	if (rc != 0) {
		if (rc == VIGIL_ERR_NOMEM && err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory.");
		tmpl_free(t);
		return rc;
	}
	*out = t;
	return 0;
}
