/*
 * Turning a WordprocessingML part into a template. See docx.h.
 *
 * Three passes. The first tokenizes the part and records its text nodes
 * (<w:t>), paragraphs and table rows with their offsets and parents. The
 * second finds the tags in each paragraph's text as a whole (so a tag split
 * over runs is found), pairs the block tags and decides where each pair
 * goes. The third writes the part out again as a list of edits at offsets:
 * new contents for the text nodes that hold tags, whole paragraphs replaced
 * by a block tag, block tags inserted around table rows. Edits never
 * overlap except inside a replaced paragraph, where they are dropped.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "docx.h"
#include "xmltok.h"

#define PREP_MAX_TEXTS 200000 /* <w:t> elements in one part */
#define PREP_MAX_TAGS 50000   /* tags in one part */
#define PREP_MAX_NEST 64      /* block tags open at once */

struct tnode {
	size_t tag_off, tag_len; /* the <w:t …> start tag */
	size_t off, len;         /* its raw content */
	size_t para;
	size_t
	    runparent; /* offset of the element holding the run: tags in one block must share it */
	int preserve;  /* has xml:space="preserve" */
};

struct para {
	size_t start, end; /* <w:p …> up to after </w:p> */
	size_t parent;     /* offset of the parent element's start tag */
	long row;          /* the innermost table row around it, or -1 */
	size_t first, n;   /* its text nodes */
};

struct row {
	size_t start, end, parent;
};

enum pkind { PT_VAR, PT_OPEN, PT_ELSE, PT_CLOSE };
enum place { PL_INLINE, PL_PARA, PL_ROW };

struct ptag {
	size_t para;
	size_t k, koff; /* the node where "{{" starts, and where in it */
	size_t m, mend; /* the node where "}}" ends, and just after it */
	char *text;     /* decoded */
	enum pkind kind;
	int alone; /* the paragraph holds nothing else */
	long pair; /* OPEN: its CLOSE; ELSE, CLOSE: their OPEN */
	enum place place;
};

struct cut {
	size_t node, start, end;
	const char *text; /* "" to remove */
};

struct edit {
	size_t start, end;
	const char *text;
	long order; /* among edits at one offset: smaller first */
};

struct prep {
	const char *s;
	size_t len;
	struct tnode *t;
	size_t nt, capt;
	struct para *p;
	size_t np, capp;
	struct row *r;
	size_t nr, capr;
	struct ptag *g;
	size_t ng, capg;
	struct cut *c;
	size_t nc, capc;
	struct edit *e;
	size_t ne, cape;
	char **texts; /* node contents built in the third pass */
	char *err;
	size_t errlen;
};

static int pfail(struct prep *, int, long, const char *, ...) __attribute__((format(printf, 4, 5)));

/* A paragraph's text, decoded and cut short, for a message. */
static void
para_text(const struct prep *pp, size_t pi, char *dst, size_t dstlen)
{
	const struct para *p = &pp->p[pi];
	struct buf b;
	size_t n;

	buf_init(&b, 4096);
	for (size_t i = p->first; i < p->first + p->n; i++)
		xml_decode(&b, pp->s + pp->t[i].off, pp->t[i].len);
	n = b.len;
	if (n > 70) { /* cut at a character boundary */
		n = 70;
		while (n > 0 && ((unsigned char)b.p[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(dst, dstlen, "%.*s%s", (int)n, b.p != NULL ? b.p : "", n < b.len ? "…" : "");
	buf_free(&b);
}

static int
pfail(struct prep *pp, int rc, long para, const char *fmt, ...)
{
	char msg[256], text[200];
	va_list ap;

	if (pp->err == NULL || pp->errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (para < 0) {
		snprintf(pp->err, pp->errlen, "%s", msg);
		return rc;
	}
	para_text(pp, (size_t)para, text, sizeof(text));
	snprintf(pp->err, pp->errlen, "paragraph %ld (\"%s\"): %s", para + 1, text, msg);
	return rc;
}

/* Room for one more element in *arr (n used of *cap, each size bytes), at most max. */
static int
grow(struct prep *pp, void *arr, size_t n, size_t *cap, size_t size, size_t max, const char *what)
{
	void **a = arr, *q;
	size_t ncap;

	if (n < *cap)
		return 0;
	if (n >= max)
		return pfail(pp, VIGIL_ERR_TOOBIG, -1, "more than %zu %s in one part.", max, what);
	ncap = *cap == 0 ? 64 : *cap * 2;
	if ((q = realloc(*a, ncap * size)) == NULL)
		return VIGIL_ERR_NOMEM;
	*a = q;
	*cap = ncap;
	return 0;
}

/* Pass 1: the text nodes, paragraphs and rows. */
static int
scan(struct prep *pp)
{
	size_t elem[XML_MAX_DEPTH + 1]; /* start offset of each open element */
	size_t pstack[XML_MAX_DEPTH], rstack[XML_MAX_DEPTH];
	size_t np = 0, nr = 0;
	struct xml_reader rd;
	struct xml_token tok;
	int rc;

	xml_init(&rd, pp->s, pp->len);
	for (;;) {
		if ((rc = xml_next(&rd, &tok)) != 0)
			return pfail(pp, rc, -1, "the XML is broken at %s", rd.err);
		if (tok.type == XML_EOF)
			return 0;
		if (tok.type == XML_START)
			elem[tok.depth] = tok.off;
		if ((tok.type == XML_START || tok.type == XML_EMPTY) && xml_is(&tok, "w:p")) {
			struct para *p;

			if ((rc = grow(pp, &pp->p, pp->np, &pp->capp, sizeof(*pp->p), SIZE_MAX / 64,
			               "paragraphs")) != 0)
				return rc;
			p = &pp->p[pp->np];
			memset(p, 0, sizeof(*p));
			p->start = tok.off;
			p->end = tok.off + tok.len;
			p->parent = tok.depth > 0 ? elem[tok.depth - 1] : 0;
			p->row = nr > 0 ? (long)rstack[nr - 1] : -1;
			p->first = pp->nt;
			if (tok.type == XML_START)
				pstack[np++] = pp->np;
			pp->np++;
		} else if (tok.type == XML_END && xml_is(&tok, "w:p")) {
			pp->p[pstack[--np]].end = tok.off + tok.len;
		} else if (tok.type == XML_START && xml_is(&tok, "w:tr")) {
			if ((rc = grow(pp, &pp->r, pp->nr, &pp->capr, sizeof(*pp->r), SIZE_MAX / 64,
			               "table rows")) != 0)
				return rc;
			pp->r[pp->nr].start = tok.off;
			pp->r[pp->nr].parent = tok.depth > 0 ? elem[tok.depth - 1] : 0;
			rstack[nr++] = pp->nr++;
		} else if (tok.type == XML_END && xml_is(&tok, "w:tr")) {
			pp->r[rstack[--nr]].end = tok.off + tok.len;
		} else if (tok.type == XML_START && xml_is(&tok, "w:t") && np > 0) {
			struct tnode *t;
			struct xml_token text;
			size_t vlen;
			const char *sp = xml_attr(&tok, "xml:space", &vlen);

			if ((rc = grow(pp, &pp->t, pp->nt, &pp->capt, sizeof(*pp->t),
			               PREP_MAX_TEXTS, "pieces of text")) != 0)
				return rc;
			t = &pp->t[pp->nt];
			t->tag_off = tok.off;
			t->tag_len = tok.len;
			t->off = tok.off + tok.len;
			t->len = 0;
			t->para = pstack[np - 1];
			t->runparent = tok.depth >= 2 ? elem[tok.depth - 2] : 0;
			t->preserve = sp != NULL && vlen == 8 && memcmp(sp, "preserve", 8) == 0;
			/* Its content: text (and nothing else, in WordprocessingML) up to </w:t>.
			 */
			if ((rc = xml_next(&rd, &text)) != 0)
				return pfail(pp, rc, -1, "the XML is broken at %s", rd.err);
			if (text.type == XML_TEXT) {
				t->len = text.len;
				if ((rc = xml_next(&rd, &text)) != 0)
					return pfail(pp, rc, -1, "the XML is broken at %s", rd.err);
			}
			if (text.type != XML_END || !xml_is(&text, "w:t"))
				return pfail(pp, VIGIL_ERR_INVAL, (long)t->para,
				             "a <w:t> holds something other than text.");
			pp->p[t->para].n = pp->nt + 1 - pp->p[t->para].first;
			pp->nt++;
		}
	}
}

static void
trim(const char **s, size_t *n)
{
	for (;;) {
		if (*n > 0 && ((*s)[0] == ' ' || (*s)[0] == '\t')) {
			(*s)++;
			(*n)--;
		} else if (*n >= 2 && (unsigned char)(*s)[0] == 0xc2 &&
		           (unsigned char)(*s)[1] == 0xa0) {
			*s += 2;
			*n -= 2;
		} else
			break;
	}
	for (;;) {
		if (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
			(*n)--;
		else if (*n >= 2 && (unsigned char)(*s)[*n - 2] == 0xc2 &&
		         (unsigned char)(*s)[*n - 1] == 0xa0)
			*n -= 2;
		else
			break;
	}
}

static enum pkind
kind_of(const char *tag)
{
	const char *s = tag + 2;
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '#')
		return PT_OPEN;
	if (*s == '/')
		return PT_CLOSE;
	n = strlen(s);
	if (n >= 6 && strncmp(s, "else", 4) == 0) {
		s += 4;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strcmp(s, "}}") == 0)
			return PT_ELSE;
	}
	return PT_VAR;
}

/* Pass 2a: the tags of one paragraph, found in the paragraph's raw text as a whole. */
static int
find_tags(struct prep *pp, size_t pi)
{
	const struct para *p = &pp->p[pi];
	struct buf raw, dec, ptext;
	size_t *at = NULL; /* where each node starts in raw */
	int rc = 0;

	if (p->n == 0)
		return 0;
	buf_init(&raw, SIZE_MAX);
	buf_init(&dec, 1u << 20);
	buf_init(&ptext, SIZE_MAX);
	if ((at = malloc((p->n + 1) * sizeof(*at))) == NULL)
		return VIGIL_ERR_NOMEM;
	for (size_t i = 0; i < p->n; i++) {
		at[i] = raw.len;
		if ((rc = buf_add(&raw, pp->s + pp->t[p->first + i].off,
		                  pp->t[p->first + i].len)) != 0)
			goto out;
	}
	at[p->n] = raw.len;
	if (raw.len == 0 || raw.p == NULL)
		goto out;
	if ((rc = xml_decode(&ptext, raw.p, raw.len)) != 0)
		goto out;
	for (size_t i = 0; i + 1 < raw.len; i++) {
		struct ptag *g;
		const char *close, *ps, *ts;
		size_t j, k, m, pn, tn;

		if (raw.p[i] != '{' || raw.p[i + 1] != '{')
			continue;
		close = strstr(raw.p + i + 2, "}}");
		if (close == NULL) {
			rc = pfail(pp, VIGIL_ERR_INVAL, (long)pi,
			           "a '{{' that is never closed with '}}'.");
			goto out;
		}
		j = (size_t)(close - raw.p) + 2; /* just after the tag */
		for (const char *q = raw.p + i + 2; q < close; q++)
			if (q[0] == '{' && q[1] == '{') {
				rc = pfail(pp, VIGIL_ERR_INVAL, (long)pi, "a '{{' inside a tag.");
				goto out;
			}
		for (k = 0; k + 1 < p->n && at[k + 1] <= i; k++)
			;
		for (m = k; m + 1 < p->n && at[m + 1] < j; m++)
			;
		if ((rc = grow(pp, &pp->g, pp->ng, &pp->capg, sizeof(*pp->g), PREP_MAX_TAGS,
		               "tags")) != 0)
			goto out;
		g = &pp->g[pp->ng];
		memset(g, 0, sizeof(*g));
		g->para = pi;
		g->k = p->first + k;
		g->koff = i - at[k];
		g->m = p->first + m;
		g->mend = j - at[m];
		g->pair = -1;
		buf_reset(&dec);
		if ((rc = xml_decode(&dec, raw.p + i, j - i)) != 0 ||
		    (g->text = strdup(dec.p)) == NULL) {
			rc = rc != 0 ? rc : VIGIL_ERR_NOMEM;
			goto out;
		}
		pp->ng++;
		g->kind = kind_of(g->text);
		ps = ptext.p;
		pn = ptext.len;
		ts = g->text;
		tn = strlen(g->text);
		trim(&ps, &pn);
		g->alone = pn == tn && memcmp(ps, ts, tn) == 0;
		i = j - 1;
	}
out:
	free(at);
	buf_free(&raw);
	buf_free(&dec);
	buf_free(&ptext);
	return rc;
}

/* Pass 2b: pair the block tags and decide where each pair goes. */
static int
place_tags(struct prep *pp)
{
	size_t stack[PREP_MAX_NEST], n = 0;

	for (size_t i = 0; i < pp->ng; i++) {
		struct ptag *g = &pp->g[i];

		if (g->kind == PT_OPEN) {
			if (n == PREP_MAX_NEST)
				return pfail(pp, VIGIL_ERR_TOOBIG, (long)g->para,
				             "blocks nested deeper than %d.", PREP_MAX_NEST);
			stack[n++] = i;
		} else if (g->kind == PT_ELSE) {
			if (n == 0)
				return pfail(pp, VIGIL_ERR_INVAL, (long)g->para,
				             "{{else}} outside a block.");
			g->pair = (long)stack[n - 1];
		} else if (g->kind == PT_CLOSE) {
			if (n == 0)
				return pfail(pp, VIGIL_ERR_INVAL, (long)g->para,
				             "%s closes no block.", g->text);
			g->pair = (long)stack[--n];
			pp->g[stack[n]].pair = (long)i;
		}
	}
	if (n > 0)
		return pfail(pp, VIGIL_ERR_INVAL, (long)pp->g[stack[n - 1]].para,
		             "%s is never closed.", pp->g[stack[n - 1]].text);
	for (size_t i = 0; i < pp->ng; i++) {
		struct ptag *o = &pp->g[i], *c;
		const struct para *po, *pc;

		if (o->kind != PT_OPEN)
			continue;
		c = &pp->g[o->pair];
		po = &pp->p[o->para];
		pc = &pp->p[c->para];
		if (o->para == c->para) {
			o->place = c->place = PL_INLINE;
			if (pp->t[o->k].runparent != pp->t[c->k].runparent)
				return pfail(pp, VIGIL_ERR_INVAL, (long)o->para,
				             "%s and its %s are in one paragraph but not at one "
				             "level (one is in a "
				             "link or a field): retype them as plain text.",
				             o->text, c->text);
		} else if (o->alone && c->alone && po->parent == pc->parent) {
			/* Paragraphs of one body, cell or box: those between them repeat. */
			o->place = c->place = PL_PARA;
		} else if (po->row >= 0 && pc->row >= 0 &&
		           pp->r[po->row].parent == pp->r[pc->row].parent) {
			/* In the rows of one table: the rows from the first to the last repeat. */
			o->place = c->place = PL_ROW;
		} else if (!o->alone || !c->alone) {
			return pfail(pp, VIGIL_ERR_INVAL, (long)(o->alone ? c->para : o->para),
			             "%s and %s are in different paragraphs, so each must stand "
			             "alone in its "
			             "own paragraph (or both be in the rows of one table).",
			             o->text, c->text);
		} else {
			return pfail(pp, VIGIL_ERR_INVAL, (long)c->para,
			             "%s is not in the same place as %s (one is in a table cell or "
			             "a box, the "
			             "other is not).",
			             c->text, o->text);
		}
		for (size_t k = i + 1; k < (size_t)o->pair; k++) {
			struct ptag *e = &pp->g[k];

			if (e->kind != PT_ELSE || e->pair != (long)i)
				continue;
			e->place = o->place;
			if (o->place == PL_ROW)
				return pfail(
				    pp, VIGIL_ERR_INVAL, (long)e->para,
				    "{{else}} cannot be used in a block that repeats table rows.");
			if (o->place == PL_INLINE && e->para != o->para)
				return pfail(pp, VIGIL_ERR_INVAL, (long)e->para,
				             "this {{else}} must be in the paragraph of %s.",
				             o->text);
			if (o->place == PL_PARA &&
			    (!e->alone || pp->p[e->para].parent != po->parent ||
			     e->para == o->para))
				return pfail(pp, VIGIL_ERR_INVAL, (long)e->para,
				             "this {{else}} must stand alone in its own paragraph, "
				             "beside those of %s.",
				             o->text);
		}
	}
	return 0;
}

static int
add_cut(struct prep *pp, size_t node, size_t start, size_t end, const char *text)
{
	int rc = grow(pp, &pp->c, pp->nc, &pp->capc, sizeof(*pp->c), SIZE_MAX / 64, "cuts");

	if (rc != 0)
		return rc;
	pp->c[pp->nc++] = (struct cut){node, start, end, text};
	return 0;
}

static int
add_edit(struct prep *pp, size_t start, size_t end, const char *text, long order)
{
	int rc = grow(pp, &pp->e, pp->ne, &pp->cape, sizeof(*pp->e), SIZE_MAX / 64, "edits");

	if (rc != 0)
		return rc;
	pp->e[pp->ne++] = (struct edit){start, end, text, order};
	return 0;
}

static int
cmp_cut(const void *a, const void *b)
{
	const struct cut *x = a, *y = b;

	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int
cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* At one offset: inserts (empty ranges) before a replacement, then by order. */
	if ((x->end == x->start) != (y->end == y->start))
		return x->end == x->start ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Copy s[0..n) of the part, writing a "{{" that is not a tag so the engine passes it by. */
static int
copy_plain(struct buf *out, const char *s, size_t n)
{
	size_t from = 0;
	int rc;

	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '{' && s[i + 1] == '{') {
			if ((rc = buf_add(out, s + from, i - from)) != 0 ||
			    (rc = buf_str(out, "&#123;")) != 0)
				return rc;
			from = i + 1;
		}
	return buf_add(out, s + from, n - from);
}

/* Pass 3: the edits, then the part written out through them. */
static int
write_out(struct prep *pp, struct buf *out)
{
	static const char preserve[] = "<w:t xml:space=\"preserve\">";
	size_t at = 0;
	int rc;

	for (size_t i = 0; i < pp->ng; i++) {
		const struct ptag *g = &pp->g[i];
		const char *keep = g->place == PL_ROW ? "" : g->text;

		if (g->place == PL_PARA) {
			if ((rc = add_edit(pp, pp->p[g->para].start, pp->p[g->para].end, g->text,
			                   0)) != 0)
				return rc;
			continue;
		}
		if (g->place == PL_ROW) {
			const struct ptag *o = g->kind == PT_OPEN ? g : &pp->g[g->pair];
			const struct ptag *c = g->kind == PT_OPEN ? &pp->g[g->pair] : g;
			long first = pp->p[o->para].row, last = pp->p[c->para].row;

			if (first >
			    last) { /* the close is in an earlier row: the block spans both */
				long x = first;

				first = last;
				last = x;
			}
			if (g->kind == PT_OPEN)
				rc = add_edit(pp, pp->r[first].start, pp->r[first].start, g->text,
				              (long)i);
			else
				rc = add_edit(pp, pp->r[last].end, pp->r[last].end, g->text,
				              -(long)i);
			if (rc != 0)
				return rc;
		}
		if (g->k == g->m)
			rc = add_cut(pp, g->k, g->koff, g->mend, keep);
		else {
			rc = add_cut(pp, g->k, g->koff, pp->t[g->k].len, keep);
			for (size_t n = g->k + 1; rc == 0 && n < g->m; n++)
				rc = add_cut(pp, n, 0, pp->t[n].len, "");
			if (rc == 0)
				rc = add_cut(pp, g->m, 0, g->mend, "");
		}
		if (rc != 0)
			return rc;
	}
	if (pp->nc > 0)
		qsort(pp->c, pp->nc, sizeof(*pp->c), cmp_cut);
	if (pp->nc > 0 && (pp->texts = calloc(pp->nt, sizeof(*pp->texts))) == NULL)
		return VIGIL_ERR_NOMEM;
	for (size_t i = 0; i < pp->nc;) {
		size_t node = pp->c[i].node, pos = 0;
		const struct tnode *t = &pp->t[node];
		struct buf b;

		buf_init(&b, SIZE_MAX);
		for (; i < pp->nc && pp->c[i].node == node; i++) {
			if ((rc = buf_add(&b, pp->s + t->off + pos, pp->c[i].start - pos)) != 0 ||
			    (rc = buf_str(&b, pp->c[i].text)) != 0) {
				buf_free(&b);
				return rc;
			}
			pos = pp->c[i].end;
		}
		if ((rc = buf_add(&b, pp->s + t->off + pos, t->len - pos)) != 0 ||
		    (pp->texts[node] = buf_take(&b, NULL)) == NULL) {
			buf_free(&b);
			return rc != 0 ? rc : VIGIL_ERR_NOMEM;
		}
		if ((rc = add_edit(pp, t->off, t->off + t->len, pp->texts[node], 0)) != 0)
			return rc;
		/*
		 * A value, or the text left after a tag was taken away, may begin or
		 * end with a space, which Word drops unless told to keep it.
		 */
		if (!t->preserve &&
		    (rc = add_edit(pp, t->tag_off, t->tag_off + t->tag_len, preserve, 0)) != 0)
			return rc;
	}
	if (pp->ne > 0)
		qsort(pp->e, pp->ne, sizeof(*pp->e), cmp_edit);
	for (size_t i = 0; i < pp->ne; i++) {
		const struct edit *e = &pp->e[i];

		if (e->start < at)
			continue; /* inside a paragraph already replaced */
		if ((rc = copy_plain(out, pp->s + at, e->start - at)) != 0 ||
		    (rc = buf_str(out, e->text)) != 0)
			return rc;
		at = e->end;
	}
	return copy_plain(out, pp->s + at, pp->len - at);
}

int
docx_prepare(const char *xml, size_t len, struct buf *out, char *err, size_t errlen)
{
	struct prep pp;
	int rc;

	memset(&pp, 0, sizeof(pp));
	pp.s = xml;
	pp.len = len;
	pp.err = err;
	pp.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((rc = scan(&pp)) == 0) {
		for (size_t i = 0; i < pp.np && rc == 0; i++)
			rc = find_tags(&pp, i);
		if (rc == 0 && (rc = place_tags(&pp)) == 0)
			rc = write_out(&pp, out);
	}
	if (rc == VIGIL_ERR_TOOBIG && buf_error(out) != 0)
		pfail(&pp, rc, -1, "the prepared template is larger than %zu bytes.", out->cap);
	else if (rc == VIGIL_ERR_NOMEM)
		pfail(&pp, rc, -1, "out of memory.");
	for (size_t i = 0; i < pp.ng; i++)
		free(pp.g[i].text);
	if (pp.texts != NULL)
		for (size_t i = 0; i < pp.nt; i++)
			free(pp.texts[i]);
	free(pp.texts);
	free(pp.t);
	free(pp.p);
	free(pp.r);
	free(pp.g);
	free(pp.c);
	free(pp.e);
	return rc;
}
