/*
 * The report template engine, its second half: filling a parsed template
 * from the data (tmpl_render), with the filters, and listing the fields a
 * template reads (tmpl_fields).
 *
 * Rendering walks the tree with a stack of contexts, one per loop level, so
 * that a name inside a loop is found in the item first and then outward, as
 * in Mustache. Literal text is copied as it is (it is the template's own
 * markup); only what comes from the data goes through the caller's escaper.
 * The nodes evaluated are counted (max_steps), which bounds nested loops over
 * large lists, and the output is bounded by the caller's buffer.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "tmpl_int.h"

/* ---- rendering ---- */

struct frame {
	const struct value *v;
	size_t index, count; /* in a loop: the item's index and the list's length */
	const char *loop;    /* the loop's path, "" at the top */
};

struct render {
	const struct tmpl *t;
	const struct tmpl_output *o;
	struct buf *out;
	struct frame *stack;
	size_t depth, maxdepth;
	size_t steps, maxsteps;
	struct buf tmp, tmp2; /* a field's text between filters */
	char *err;
	size_t errlen;
};

static int rfail(struct render *, int, const struct node *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static int
rfail(struct render *r, int rc, const struct node *x, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	if (r->err == NULL || r->errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x != NULL)
		snprintf(r->err, r->errlen, "%s (in %.*s)", msg, (int)(x->len > 120 ? 120 : x->len),
		         r->t->text + x->off);
	else
		snprintf(r->err, r->errlen, "%s", msg);
	return rc;
}

static int
out_error(struct render *r, int rc, const struct node *x)
{
	if (rc == VIGIL_ERR_TOOBIG)
		return rfail(r, rc, x, "the output is larger than %zu bytes.", r->out->cap);
	if (rc == VIGIL_ERR_NOMEM)
		return rfail(r, rc, x, "out of memory.");
	return rc;
}

/* Look a path up: the first name in the innermost context that has it, then the rest. */
static const struct value *
lookup(struct render *r, const char *path)
{
	char first[PATH_MAX_LEN];
	const char *dot = strchr(path, '.');
	size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);

	memcpy(first, path, n);
	first[n] = '\0';
	if (strcmp(first, "this") == 0)
		return dot != NULL ? value_path(r->stack[r->depth].v, dot + 1)
		                   : r->stack[r->depth].v;
	for (size_t i = r->depth + 1; i-- > 0;) {
		const struct value *m = value_get(r->stack[i].v, first);

		if (m != NULL)
			return dot != NULL ? value_path(m, dot + 1) : m;
	}
	return NULL;
}

static int
missing(const struct value *v)
{
	return v == NULL || v->type == VALUE_NULL;
}

/* A date or date-time as written: 2026-12-05, 2026-12-05T14:30, …:05+07:00. */
struct when {
	int y, mo, d, h, mi, s, has_time;
};

static int
parse_when(const char *s, size_t n, struct when *w)
{
	char buf[40];
	int consumed = 0;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(w, 0, sizeof(*w));
	if (sscanf(buf, "%4d-%2d-%2d%n", &w->y, &w->mo, &w->d, &consumed) != 3 || consumed != 10)
		return -1;
	if (w->y < 1900 || w->y > 9999 || w->mo < 1 || w->mo > 12 || w->d < 1 || w->d > 31)
		return -1;
	if (buf[10] == '\0')
		return 0;
	if (buf[10] != 'T' && buf[10] != ' ')
		return -1;
	consumed = 0;
	if (sscanf(buf + 11, "%2d:%2d%n", &w->h, &w->mi, &consumed) != 2 || consumed != 5)
		return -1;
	if (w->h > 23 || w->mi > 59 || w->h < 0 || w->mi < 0)
		return -1;
	w->has_time = 1;
	return 0;
}

static int
fmt_number(struct buf *b, double v, int digits)
{
	char raw[64], *dot, *p;
	size_t intlen;
	int rc;

	if (digits >= 0 && digits <= 6) { /* half away from zero, as people round: 92,5 -> 93 */
		double k = pow(10, digits);

		v = round(v * k) / k;
	}
	if (digits < 0) {
		digits = v == floor(v) ? 0 : 2;
		snprintf(raw, sizeof(raw), "%.*f", digits, v);
		if (digits > 0) { /* 92.50 -> 92.5 */
			p = raw + strlen(raw) - 1;
			while (*p == '0')
				*p-- = '\0';
			if (*p == '.')
				*p = '\0';
		}
	} else
		snprintf(raw, sizeof(raw), "%.*f", digits, v);
	p = raw;
	if (*p == '-') {
		if ((rc = buf_add(b, "-", 1)) != 0)
			return rc;
		p++;
	}
	dot = strchr(p, '.');
	intlen = dot != NULL ? (size_t)(dot - p) : strlen(p);
	/* Vietnamese: 1.234.567,5 */
	for (size_t i = 0; i < intlen; i++) {
		if (i > 0 && (intlen - i) % 3 == 0 && (rc = buf_add(b, ".", 1)) != 0)
			return rc;
		if ((rc = buf_add(b, p + i, 1)) != 0)
			return rc;
	}
	if (dot != NULL) {
		if ((rc = buf_add(b, ",", 1)) != 0)
			return rc;
		return buf_str(b, dot + 1);
	}
	return 0;
}

static int
fmt_duration(struct buf *b, double secs)
{
	long long s = secs < 0 ? 0 : (long long)(secs + 0.5);
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

	if (d > 0)
		return h > 0 ? buf_printf(b, "%lld ngày %lld giờ", d, h)
		             : buf_printf(b, "%lld ngày", d);
	if (h > 0)
		return m > 0 ? buf_printf(b, "%lld giờ %lld phút", h, m)
		             : buf_printf(b, "%lld giờ", h);
	if (m > 0)
		return buf_printf(b, "%lld phút", m);
	return buf_printf(b, "%lld giây", s);
}

/* The text of a scalar: strings as they are, numbers as written, booleans in words. */
static int
scalar_text(struct render *r, const struct node *x, const struct value *v, const char **s,
            size_t *n, int *number)
{
	*number = 0;
	switch (v->type) {
	case VALUE_STRING:
		*s = v->str;
		*n = v->len;
		return 0;
	case VALUE_NUMBER:
		*s = v->str;
		*n = v->len;
		*number = 1;
		return 0;
	case VALUE_BOOL:
		*s = v->num != 0 ? "Có" : "Không";
		*n = strlen(*s);
		return 0;
	case VALUE_ARRAY:
		return rfail(r, VIGIL_ERR_INVAL, x, "the field \"%s\" is a list, not a value",
		             x->path);
	case VALUE_OBJECT:
		return rfail(r, VIGIL_ERR_INVAL, x,
		             "the field \"%s\" is a group of fields, not a value", x->path);
	default:
		return rfail(r, VIGIL_ERR_MISSING, x, "missing field \"%s\"", x->path);
	}
}

static int
apply_filter(struct render *r, const struct node *x, const struct filter *f, const struct value *v,
             const char *s, size_t n, int number, struct buf *to, int *tonumber)
{
	struct when w;

	*tonumber = 0;
	switch (f->type) {
	case F_DATE:
	case F_TIME:
	case F_DATETIME:
	case F_DAY:
	case F_MONTH:
	case F_YEAR:
		if (parse_when(s, n, &w) != 0)
			return rfail(r, VIGIL_ERR_INVAL, x, "the field \"%s\" is not a date (%.*s)",
			             x->path, (int)(n > 40 ? 40 : n), s);
		if ((f->type == F_TIME || f->type == F_DATETIME) && !w.has_time)
			return rfail(r, VIGIL_ERR_INVAL, x, "the field \"%s\" has no time of day",
			             x->path);
		switch (f->type) {
		case F_DATE:
			return buf_printf(to, "%02d/%02d/%04d", w.d, w.mo, w.y);
		case F_TIME:
			return buf_printf(to, "%02d:%02d", w.h, w.mi);
		case F_DATETIME:
			return buf_printf(to, "%02d:%02d ngày %02d/%02d/%04d", w.h, w.mi, w.d, w.mo,
			                  w.y);
		case F_DAY:
			return buf_printf(to, "%02d", w.d);
		case F_MONTH:
			return buf_printf(to, "%02d", w.mo);
		default:
			return buf_printf(to, "%04d", w.y);
		}
	case F_UPPER:
		*tonumber = number;
		return tmpl_upper(to, s, n);
	case F_NUMBER:
	case F_DURATION: {
		char lit[72];
		char *end;
		double d;

		if (!number || n >= sizeof(lit))
			return rfail(r, VIGIL_ERR_INVAL, x, "the field \"%s\" is not a number",
			             x->path);
		memcpy(lit, s, n);
		lit[n] = '\0';
		d = strtod(lit, &end);
		return f->type == F_NUMBER ? fmt_number(to, d, f->digits) : fmt_duration(to, d);
	}
	case F_COUNT:
		if (v == NULL || v->type != VALUE_ARRAY)
			return rfail(r, VIGIL_ERR_INVAL, x, "the field \"%s\" is not a list",
			             x->path);
		*tonumber = 1;
		return buf_printf(to, "%zu", v->n);
	case F_JOIN:
		if (v == NULL || v->type != VALUE_ARRAY)
			return rfail(r, VIGIL_ERR_INVAL, x, "the field \"%s\" is not a list",
			             x->path);
		for (size_t i = 0; i < v->n; i++) {
			const char *is;
			size_t in;
			int inum, rc;

			if (v->items[i].type == VALUE_NULL)
				continue;
			if ((rc = scalar_text(r, x, &v->items[i], &is, &in, &inum)) != 0)
				return rc;
			if (to->len > 0 && (rc = buf_str(to, f->arg)) != 0)
				return rc;
			if ((rc = buf_add(to, is, in)) != 0)
				return rc;
		}
		return 0;
	default:
		return 0;
	}
}

static int
has_filter(const struct node *x, enum ftype type, const struct filter **f)
{
	for (size_t i = 0; i < x->nfilters; i++)
		if (x->filters[i].type == type) {
			if (f != NULL)
				*f = &x->filters[i];
			return 1;
		}
	return 0;
}

static int
emit_text(struct render *r, const struct node *x, const char *s, size_t n, int number)
{
	int rc = r->o->text(r->o->arg, r->out, s, n, number);

	return rc != 0 ? out_error(r, rc, x) : 0;
}

static int
render_var(struct render *r, const struct node *x)
{
	const struct filter *f = NULL;
	const struct value *v;
	const char *s;
	size_t n;
	int number, rc;

	if (x->path[0] == '@') {
		const struct frame *fr = &r->stack[r->depth];
		char num[32];

		if (r->depth == 0)
			return rfail(r, VIGIL_ERR_INVAL, x, "%s is only known inside {{#each}}",
			             x->path);
		if (strcmp(x->path, "@index") == 0) {
			snprintf(num, sizeof(num), "%zu", fr->index + 1);
			return emit_text(r, x, num, strlen(num), 1);
		}
		s = strcmp(x->path, "@first") == 0 ? (fr->index == 0 ? "Có" : "")
		                                   : (fr->index + 1 == fr->count ? "Có" : "");
		return emit_text(r, x, s, strlen(s), 0);
	}
	v = lookup(r, x->path);
	if (has_filter(x, F_CHECK, &f) || has_filter(x, F_CHECKED, NULL)) {
		int on;

		if (f != NULL) {
			on = v != NULL && (v->type == VALUE_STRING || v->type == VALUE_NUMBER) &&
			     strcmp(v->str, f->arg) == 0;
			if (!on && v != NULL &&
			    v->type == VALUE_ARRAY) /* a list of chosen values */
				for (size_t i = 0; i < v->n && !on; i++)
					on = v->items[i].type == VALUE_STRING &&
					     strcmp(v->items[i].str, f->arg) == 0;
		} else
			on = value_truthy(v);
		s = on ? "\xe2\x98\x92" : "\xe2\x98\x90"; /* ☒ ☐ */
		return emit_text(r, x, s, strlen(s), 0);
	}
	if (missing(v) || (v->type == VALUE_STRING && v->len == 0)) {
		if (has_filter(x, F_DEFAULT, &f))
			return emit_text(r, x, f->arg, strlen(f->arg), 0);
		if (x->optional)
			return 0;
		if (missing(v))
			return rfail(r, VIGIL_ERR_MISSING, x, "missing field \"%s\"", x->path);
	}
	if (x->nfilters > 0 && (x->filters[0].type == F_COUNT || x->filters[0].type == F_JOIN)) {
		s = NULL;
		n = 0;
		number = 0;
	} else if ((rc = scalar_text(r, x, v, &s, &n, &number)) != 0)
		return rc;
	for (size_t i = 0; i < x->nfilters; i++) {
		struct buf *to = i % 2 == 0 ? &r->tmp : &r->tmp2;
		int tonumber;

		if (x->filters[i].type == F_DEFAULT)
			continue;
		buf_reset(to);
		if ((rc = apply_filter(r, x, &x->filters[i], v, s, n, number, to, &tonumber)) != 0)
			return buf_error(to) != 0 ? out_error(r, buf_error(to), x) : rc;
		if (buf_error(to) != 0)
			return out_error(r, buf_error(to), x);
		s = to->p != NULL ? to->p : "";
		n = to->len;
		number = tonumber;
		v = NULL;
	}
	return emit_text(r, x, s != NULL ? s : "", n, number);
}

static int render_list(struct render *r, const struct node *nodes, size_t n);

/* @first and @last as conditions: true on the first or last item of the innermost loop. */
static int
loop_flag(const struct render *r, const char *path)
{
	const struct frame *fr = &r->stack[r->depth];

	if (r->depth == 0)
		return 0;
	if (strcmp(path, "@first") == 0)
		return fr->index == 0;
	if (strcmp(path, "@last") == 0)
		return fr->index + 1 == fr->count;
	return 1; /* @index counts from 1: always true */
}

static int
render_block(struct render *r, const struct node *x)
{
	const struct value *v = lookup(r, x->path);
	int rc;

	if (x->type == N_IF || x->type == N_UNLESS) {
		int truth = x->path[0] == '@' ? loop_flag(r, x->path) : value_truthy(v);
		int yes = truth != (x->type == N_UNLESS);

		return yes ? render_list(r, x->body, x->nbody) : render_list(r, x->alt, x->nalt);
	}
	if (missing(v)) {
		if (x->nalt > 0)
			return render_list(r, x->alt, x->nalt);
		return rfail(r, VIGIL_ERR_MISSING, x, "missing field \"%s\"", x->path);
	}
	if (v->type != VALUE_ARRAY)
		return rfail(r, VIGIL_ERR_INVAL, x, "the field \"%s\" is not a list", x->path);
	if (v->n == 0)
		return render_list(r, x->alt, x->nalt);
	if (r->depth + 1 >= r->maxdepth)
		return rfail(r, VIGIL_ERR_TOOBIG, x, "loops nested too deep");
	r->depth++;
	for (size_t i = 0; i < v->n; i++) {
		r->stack[r->depth].v = &v->items[i];
		r->stack[r->depth].index = i;
		r->stack[r->depth].count = v->n;
		r->stack[r->depth].loop = x->path;
		if ((rc = render_list(r, x->body, x->nbody)) != 0) {
			r->depth--;
			return rc;
		}
	}
	r->depth--;
	return 0;
}

static int
render_list(struct render *r, const struct node *nodes, size_t n)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct node *x = &nodes[i];

		if (++r->steps > r->maxsteps)
			return rfail(
			    r, VIGIL_ERR_TOOBIG, x,
			    "the template takes more than %zu steps to fill (loops inside loops?)",
			    r->maxsteps);
		switch (x->type) {
		case N_TEXT:
			if ((rc = buf_add(r->out, r->t->text + x->off, x->len)) != 0)
				return out_error(r, rc, x);
			break;
		case N_VAR:
			if ((rc = render_var(r, x)) != 0)
				return rc;
			break;
		case N_IMAGE: {
			const struct value *v = lookup(r, x->path);
			char ierr[256] = "";

			if (missing(v))
				return rfail(r, VIGIL_ERR_MISSING, x, "missing field \"%s\"",
				             x->path);
			if (r->o->image == NULL)
				return rfail(r, VIGIL_ERR_INVAL, x,
				             "pictures cannot be made in this format");
			if ((rc = r->o->image(r->o->arg, r->out, x->kind, v, ierr, sizeof(ierr))) !=
			    0)
				return buf_error(r->out) != 0 ? out_error(r, buf_error(r->out), x)
				                              : rfail(r, rc, x, "%s", ierr);
			break;
		}
		default:
			if ((rc = render_block(r, x)) != 0)
				return rc;
			break;
		}
	}
	return 0;
}

int
tmpl_render(const struct tmpl *t, const struct value *data, const struct tmpl_output *o,
            struct buf *out, char *err, size_t errlen)
{
	struct render r;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.o = o;
	r.out = out;
	r.err = err;
	r.errlen = errlen;
	r.maxdepth = t->lim.max_depth + 2;
	r.maxsteps = t->lim.max_steps;
	if ((r.stack = calloc(r.maxdepth, sizeof(*r.stack))) == NULL)
		return VIGIL_ERR_NOMEM;
	r.stack[0].v = data;
	r.stack[0].loop = "";
	buf_init(&r.tmp, 1u << 20);
	buf_init(&r.tmp2, 1u << 20);
	rc = render_list(&r, t->nodes, t->n);
	buf_free(&r.tmp);
	buf_free(&r.tmp2);
	free(r.stack);
	return rc;
}

/* ---- the fields a template reads ---- */

struct seen {
	char **keys;
	size_t n, cap;
};

static int
seen_add(struct seen *s, const char *path, const char *loop)
{
	char *k;

	for (size_t i = 0; i < s->n; i++) {
		const char *q = s->keys[i];

		if (strcmp(q, path) == 0 && strcmp(q + strlen(q) + 1, loop) == 0)
			return 0;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap == 0 ? 32 : s->cap * 2;
		char **q = realloc(s->keys, ncap * sizeof(*q));

		if (q == NULL)
			return 0;
		s->keys = q;
		s->cap = ncap;
	}
	if ((k = malloc(strlen(path) + strlen(loop) + 2)) == NULL)
		return 0;
	strcpy(k, path);
	strcpy(k + strlen(path) + 1, loop);
	s->keys[s->n++] = k;
	return 1;
}

static void
walk_fields(const struct node *nodes, size_t n, const char *loop, struct seen *s,
            void (*fn)(void *, const char *, int, const char *), void *arg)
{
	for (size_t i = 0; i < n; i++) {
		const struct node *x = &nodes[i];
		int required;

		if (x->type == N_TEXT || x->path[0] == '@')
			continue;
		required = x->type == N_EACH || x->type == N_IMAGE ||
		           (x->type == N_VAR && !x->optional && !has_filter(x, F_DEFAULT, NULL) &&
		            !has_filter(x, F_CHECK, NULL) && !has_filter(x, F_CHECKED, NULL));
		if (x->type == N_EACH && x->nalt > 0)
			required = 0;
		/* As written: {{.ip}} is kept as "this.ip". */
		if (seen_add(s, x->path, loop))
			fn(arg, strncmp(x->path, "this.", 5) == 0 ? x->path + 4 : x->path, required,
			   loop);
		walk_fields(x->body, x->nbody, x->type == N_EACH ? x->path : loop, s, fn, arg);
		walk_fields(x->alt, x->nalt, loop, s, fn, arg);
	}
}

void
tmpl_fields(const struct tmpl *t,
            void (*fn)(void *arg, const char *path, int required, const char *loop), void *arg)
{
	struct seen s = {0};

	walk_fields(t->nodes, t->n, "", &s, fn, arg);
	for (size_t i = 0; i < s.n; i++)
		free(s.keys[i]);
	free(s.keys);
}
