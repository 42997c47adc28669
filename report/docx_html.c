/*
 * A filled WordprocessingML document as one HTML page. See docx.h.
 *
 * One pass over the tokens, writing as it goes, except for tables: a table
 * is collected as rows of cells (each cell's HTML in a buffer of its own)
 * and written when it closes, because a cell merged downwards needs to know
 * how many rows it spans. A stack of open tables handles tables in cells.
 * Page size and margins come from the body's section properties, found by a
 * first quick pass, because they go into the page's <style>.
 *
 * Everything written is counted against out's cap, cell buffers included,
 * so a hostile document cannot grow memory past it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "docx.h"
#include "tmpl.h"
#include "xmltok.h"

#define TABLE_DEPTH 8 /* tables inside table cells */
#define MAX_COLS 64   /* grid columns of one table */

struct hcell {
	struct buf html;
	int colspan, vmerge; /* vmerge: 0 none, 1 starts a merge, 2 continues one */
	const char *valign;
};

struct hrow {
	struct hcell *cells;
	size_t n, cap;
};

struct htable {
	struct hrow *rows;
	size_t n, cap;
	int borders, center;
	long grid[MAX_COLS];
	size_t ngrid;
};

struct rprops {
	int b, i, u, caps, strike, sup, sub;
	int halfpts; /* 0: the default size */
};

struct conv {
	struct xml_reader rd;
	struct buf *out;
	size_t total; /* bytes held in out and every cell */
	struct htable tables[TABLE_DEPTH];
	size_t ntables;
	/* the paragraph being written */
	int in_p, p_started;
	char pstyle[256];
	/* the run */
	int in_r, span_open;
	struct rprops rp;
	const struct docx_media *media;
	size_t skipped;
	struct buf text; /* one decoded w:t */
	char *err;
	size_t errlen;
};

static int hfail(struct conv *, int, const char *, ...) __attribute__((format(printf, 3, 4)));

static int
hfail(struct conv *c, int rc, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static struct buf *
cur(struct conv *c)
{
	struct htable *t;
	struct hrow *r;

	if (c->ntables == 0)
		return c->out;
	t = &c->tables[c->ntables - 1];
	if (t->n == 0)
		return c->out;
	r = &t->rows[t->n - 1];
	return r->n > 0 ? &r->cells[r->n - 1].html : c->out;
}

static int
emit(struct conv *c, const char *s, size_t n)
{
	if (n > c->out->cap - c->total) {
		c->out->full = 1;
		return VIGIL_ERR_TOOBIG;
	}
	c->total += n;
	return buf_add(cur(c), s, n);
}

static int
emits(struct conv *c, const char *s)
{
	return emit(c, s, strlen(s));
}

static int emitf(struct conv *, const char *, ...) __attribute__((format(printf, 2, 3)));

static int
emitf(struct conv *c, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return VIGIL_ERR_INVAL;
	return emit(c, tmp, (size_t)n);
}

static long
attr_long(const struct xml_token *t, const char *name, long def)
{
	size_t n;
	const char *v = xml_attr(t, name, &n);
	char tmp[24];

	if (v == NULL || n == 0 || n >= sizeof(tmp))
		return def;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	return strtol(tmp, NULL, 10);
}

static int
attr_is(const struct xml_token *t, const char *name, const char *val)
{
	size_t n;
	const char *v = xml_attr(t, name, &n);

	return v != NULL && n == strlen(val) && memcmp(v, val, n) == 0;
}

/* <w:b/>, <w:b w:val="true"/>: on; w:val="false", "0", "off", "none": off. */
static int
toggle(const struct xml_token *t)
{
	return !(attr_is(t, "w:val", "false") || attr_is(t, "w:val", "0") ||
	         attr_is(t, "w:val", "off") || attr_is(t, "w:val", "none"));
}

/*
 * The next token inside the element `in` opened: 1 with it in *t, 0 at the
 * element's end tag, or an error (what ends early is named by `what`).
 */
static int
child(struct conv *c, const struct xml_token *in, struct xml_token *t, const char *what)
{
	int rc;

	if ((rc = xml_next(&c->rd, t)) != 0)
		return hfail(c, rc, "the document's XML is broken at %s", c->rd.err);
	if (t->type == XML_EOF)
		return hfail(c, VIGIL_ERR_INVAL, "the document ends inside %s", what);
	return !(t->type == XML_END && t->depth == in->depth);
}

/* Skip the rest of the element t opened (its end tag included). */
static int
skip(struct conv *c, const struct xml_token *t)
{
	struct xml_token x;
	int rc;

	if (t->type != XML_START)
		return 0;
	while ((rc = child(c, t, &x, "an element")) > 0)
		;
	return rc;
}

static int
start_p(struct conv *c)
{
	if (c->p_started)
		return 0;
	c->p_started = 1;
	return c->pstyle[0] != '\0' ? emitf(c, "<p style=\"%s\">", c->pstyle) : emits(c, "<p>");
}

static int
open_span(struct conv *c)
{
	char st[200] = "";
	size_t n = 0;
	int rc;

	if ((rc = start_p(c)) != 0 || c->span_open)
		return rc;
#define ADD(...) n += (size_t)snprintf(st + n, sizeof(st) - n, __VA_ARGS__)
	if (c->rp.b)
		ADD("font-weight:bold;");
	if (c->rp.i)
		ADD("font-style:italic;");
	if (c->rp.u || c->rp.strike)
		ADD("text-decoration:%s%s;", c->rp.u ? "underline " : "",
		    c->rp.strike ? "line-through" : "");
	if (c->rp.caps)
		ADD("text-transform:uppercase;");
	if (c->rp.halfpts > 0)
		ADD("font-size:%d.%dpt;", c->rp.halfpts / 2, c->rp.halfpts % 2 ? 5 : 0);
	if (c->rp.sup || c->rp.sub)
		ADD("vertical-align:%s;font-size:smaller;", c->rp.sup ? "super" : "sub");
#undef ADD
	if (n == 0)
		return 0;
	c->span_open = 1;
	return emitf(c, "<span style=\"%s\">", st);
}

static int
close_span(struct conv *c)
{
	if (!c->span_open)
		return 0;
	c->span_open = 0;
	return emits(c, "</span>");
}

/* Twentieths of a point (twips) as millimetres, for CSS. */
static double
mm(long twips)
{
	return (double)twips * 25.4 / 1440.0;
}

/* The paragraph properties, up to </w:pPr>. */
static int
read_ppr(struct conv *c, const struct xml_token *ppr)
{
	struct xml_token t;
	size_t n = 0;
	int rc;

	c->pstyle[0] = '\0';
	if (ppr->type != XML_START)
		return 0;
#define ADD(...) n += (size_t)snprintf(c->pstyle + n, sizeof(c->pstyle) - n, __VA_ARGS__)
	while ((rc = child(c, ppr, &t, "a paragraph")) > 0) {
		if (t.type != XML_START && t.type != XML_EMPTY)
			continue;
		if (xml_is(&t, "w:jc")) {
			ADD("text-align:%s;",
			    attr_is(&t, "w:val", "center") ? "center"
			    : attr_is(&t, "w:val", "right") || attr_is(&t, "w:val", "end") ? "right"
			    : attr_is(&t, "w:val", "both") || attr_is(&t, "w:val", "distribute")
			        ? "justify"
			        : "left");
		} else if (xml_is(&t, "w:ind")) {
			long left = attr_long(&t, "w:left", attr_long(&t, "w:start", 0));
			long right = attr_long(&t, "w:right", attr_long(&t, "w:end", 0));
			long first =
			    attr_long(&t, "w:firstLine", 0) - attr_long(&t, "w:hanging", 0);

			if (left != 0)
				ADD("margin-left:%.1fmm;", mm(left));
			if (right != 0)
				ADD("margin-right:%.1fmm;", mm(right));
			if (first != 0)
				ADD("text-indent:%.1fmm;", mm(first));
		} else if (xml_is(&t, "w:spacing")) {
			long before = attr_long(&t, "w:before", 0),
			     after = attr_long(&t, "w:after", 0);
			long line = attr_long(&t, "w:line", 0);

			if (before > 0)
				ADD("margin-top:%.1fpt;", (double)before / 20);
			if (after > 0)
				ADD("margin-bottom:%.1fpt;", (double)after / 20);
			if (line > 0 && (attr_is(&t, "w:lineRule", "auto") ||
			                 xml_attr(&t, "w:lineRule", NULL) == NULL))
				ADD("line-height:%.2f;", (double)line / 240 * 1.15);
		} else if (xml_is(&t, "w:pageBreakBefore") && toggle(&t)) {
			ADD("break-before:page;");
		} else if (xml_is(&t, "w:numPr")) {
			c->skipped++; /* list numbering lives in numbering.xml: not shown */
		}
		if (t.type == XML_START && (rc = skip(c, &t)) != 0)
			return rc;
	}
#undef ADD
	return rc;
}

static int
read_rpr(struct conv *c, const struct xml_token *rpr)
{
	struct xml_token t;
	int rc;

	memset(&c->rp, 0, sizeof(c->rp));
	if (rpr->type != XML_START)
		return 0;
	while ((rc = child(c, rpr, &t, "a run")) > 0) {
		if (t.type != XML_START && t.type != XML_EMPTY)
			continue;
		if (xml_is(&t, "w:b"))
			c->rp.b = toggle(&t);
		else if (xml_is(&t, "w:i"))
			c->rp.i = toggle(&t);
		else if (xml_is(&t, "w:u"))
			c->rp.u = toggle(&t);
		else if (xml_is(&t, "w:caps"))
			c->rp.caps = toggle(&t);
		else if (xml_is(&t, "w:strike"))
			c->rp.strike = toggle(&t);
		else if (xml_is(&t, "w:sz")) {
			long v = attr_long(&t, "w:val", 0);

			c->rp.halfpts = v > 0 && v < 400 ? (int)v : 0;
		} else if (xml_is(&t, "w:vertAlign")) {
			c->rp.sup = attr_is(&t, "w:val", "superscript");
			c->rp.sub = attr_is(&t, "w:val", "subscript");
		}
		if (t.type == XML_START && (rc = skip(c, &t)) != 0)
			return rc;
	}
	return rc;
}

/* A picture: its size from wp:extent, its bytes from the relationship a:blip names. */
static int
drawing(struct conv *c, const struct xml_token *d)
{
	char rid[64] = "";
	long cx = 0, cy = 0;
	struct xml_token t;
	const unsigned char *data;
	const char *mime;
	size_t len;
	int rc;

	if (d->type != XML_START)
		return 0;
	while ((rc = child(c, d, &t, "a picture")) > 0) {
		if (xml_is(&t, "wp:extent")) {
			cx = attr_long(&t, "cx", 0);
			cy = attr_long(&t, "cy", 0);
		} else if (xml_is(&t, "a:blip")) {
			size_t n;
			const char *v = xml_attr(&t, "r:embed", &n);

			if (v != NULL && n < sizeof(rid)) {
				memcpy(rid, v, n);
				rid[n] = '\0';
			}
		}
	}
	if (rc < 0)
		return rc;
	if (rid[0] == '\0' || c->media == NULL || c->media->get == NULL ||
	    c->media->get(c->media->arg, rid, &data, &len, &mime) != 0) {
		c->skipped++;
		return 0;
	}
	if ((rc = open_span(c)) != 0)
		return rc;
	if ((rc = emitf(c, "<img alt=\"\" style=\"width:%ldpx;height:%ldpx\" src=\"data:%s;base64,",
	                cx / 9525, cy / 9525, mime)) != 0)
		return rc;
	{
		struct buf b64;

		buf_init(&b64, (len + 2) / 3 * 4 + 1);
		rc = buf_base64(&b64, data, len);
		if (rc == 0)
			rc = emit(c, b64.p != NULL ? b64.p : "", b64.len);
		buf_free(&b64);
	}
	return rc != 0 ? rc : emits(c, "\">");
}

static int
text(struct conv *c, const struct xml_token *t)
{
	struct xml_token x;
	int rc;

	if (t->type != XML_START)
		return 0;
	if ((rc = xml_next(&c->rd, &x)) != 0)
		return hfail(c, rc, "the document's XML is broken at %s", c->rd.err);
	if (x.type == XML_TEXT) {
		struct buf esc;

		buf_reset(&c->text);
		if ((rc = xml_decode(&c->text, c->rd.s + x.off, x.len)) != 0)
			return rc;
		if ((rc = open_span(c)) != 0)
			return rc;
		buf_init(&esc, SIZE_MAX);
		rc = tmpl_escape_html(NULL, &esc, c->text.p != NULL ? c->text.p : "", c->text.len,
		                      0);
		if (rc == 0)
			rc = emit(c, esc.p != NULL ? esc.p : "", esc.len);
		buf_free(&esc);
		if (rc != 0)
			return rc;
		if ((rc = xml_next(&c->rd, &x)) != 0)
			return hfail(c, rc, "the document's XML is broken at %s", c->rd.err);
	}
	if (x.type != XML_END)
		return hfail(c, VIGIL_ERR_INVAL, "a <w:t> holds more than text");
	return 0;
}

static int
table_open(struct conv *c)
{
	struct htable *t;

	if (c->ntables == TABLE_DEPTH)
		return hfail(c, VIGIL_ERR_TOOBIG, "tables nested deeper than %d", TABLE_DEPTH);
	t = &c->tables[c->ntables++];
	memset(t, 0, sizeof(*t));
	return 0;
}

static void
table_free(struct htable *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->rows[i].n; k++)
			buf_free(&t->rows[i].cells[k].html);
		free(t->rows[i].cells);
	}
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

static int
row_open(struct conv *c)
{
	struct htable *t = &c->tables[c->ntables - 1];

	if (t->n == t->cap) {
		size_t ncap = t->cap == 0 ? 8 : t->cap * 2;
		struct hrow *q = realloc(t->rows, ncap * sizeof(*q));

		if (q == NULL)
			return VIGIL_ERR_NOMEM;
		t->rows = q;
		t->cap = ncap;
	}
	memset(&t->rows[t->n++], 0, sizeof(struct hrow));
	return 0;
}

static int
cell_open(struct conv *c)
{
	struct htable *t = &c->tables[c->ntables - 1];
	struct hrow *r;
	struct hcell *x;

	if (t->n == 0)
		return hfail(c, VIGIL_ERR_INVAL, "a table cell outside a row");
	r = &t->rows[t->n - 1];
	if (r->n == r->cap) {
		size_t ncap = r->cap == 0 ? 4 : r->cap * 2;
		struct hcell *q = realloc(r->cells, ncap * sizeof(*q));

		if (q == NULL)
			return VIGIL_ERR_NOMEM;
		r->cells = q;
		r->cap = ncap;
	}
	x = &r->cells[r->n++];
	memset(x, 0, sizeof(*x));
	buf_init(&x->html, SIZE_MAX);
	x->colspan = 1;
	return 0;
}

/* The table's properties and grid, or a cell's, up to the end of t. */
static int
read_tprops(struct conv *c, const struct xml_token *p)
{
	struct htable *tb = &c->tables[c->ntables - 1];
	struct hcell *cell = NULL;
	struct xml_token t;
	int rc;

	if (xml_is(p, "w:tcPr") && tb->n > 0 && tb->rows[tb->n - 1].n > 0)
		cell = &tb->rows[tb->n - 1].cells[tb->rows[tb->n - 1].n - 1];
	if (p->type != XML_START)
		return 0;
	while ((rc = child(c, p, &t, "a table")) > 0) {
		if (t.type != XML_START && t.type != XML_EMPTY)
			continue;
		if (xml_is(&t, "w:gridCol") && tb->ngrid < MAX_COLS)
			tb->grid[tb->ngrid++] = attr_long(&t, "w:w", 0);
		else if (xml_is(&t, "w:jc") && cell == NULL)
			tb->center = attr_is(&t, "w:val", "center");
		else if (cell == NULL && (xml_is(&t, "w:insideH") || xml_is(&t, "w:insideV") ||
		                          xml_is(&t, "w:top") || xml_is(&t, "w:left")))
			tb->borders |=
			    !(attr_is(&t, "w:val", "none") || attr_is(&t, "w:val", "nil"));
		else if (cell != NULL && xml_is(&t, "w:gridSpan")) {
			long v = attr_long(&t, "w:val", 1);

			cell->colspan = v >= 1 && v <= MAX_COLS ? (int)v : 1;
		} else if (cell != NULL && xml_is(&t, "w:vMerge"))
			cell->vmerge = attr_is(&t, "w:val", "restart") ? 1 : 2;
		else if (cell != NULL && xml_is(&t, "w:vAlign"))
			cell->valign = attr_is(&t, "w:val", "center")   ? "middle"
			               : attr_is(&t, "w:val", "bottom") ? "bottom"
			                                                : NULL;
	}
	return rc;
}

/* Write the table that just closed into what holds it. */
static int
table_close(struct conv *c)
{
	struct htable t = c->tables[c->ntables - 1];
	long total = 0;
	int rc = 0;

	c->ntables--;
	/* Its cells' bytes are counted again as they are copied out. */
	for (size_t i = 0; i < t.n; i++)
		for (size_t k = 0; k < t.rows[i].n; k++)
			c->total -= t.rows[i].cells[k].html.len;
	for (size_t i = 0; i < t.ngrid; i++)
		total += t.grid[i] > 0 ? t.grid[i] : 0;
	rc = emitf(c, "<table%s%s>", t.borders ? " class=\"b\"" : "",
	           t.center ? " style=\"margin:0 auto\"" : "");
	if (rc == 0 && total > 0) {
		rc = emits(c, "<colgroup>");
		for (size_t i = 0; rc == 0 && i < t.ngrid; i++)
			rc = emitf(c, "<col style=\"width:%.1f%%\">",
			           100.0 * (double)(t.grid[i] > 0 ? t.grid[i] : 0) / (double)total);
		if (rc == 0)
			rc = emits(c, "</colgroup>");
	}
	for (size_t i = 0; rc == 0 && i < t.n; i++) {
		const struct hrow *r = &t.rows[i];
		int col = 0;

		rc = emits(c, "<tr>");
		for (size_t k = 0; rc == 0 && k < r->n; k++) {
			const struct hcell *x = &r->cells[k];
			int span = 1;

			if (x->vmerge == 2) { /* covered by the cell above */
				col += x->colspan;
				continue;
			}
			if (x->vmerge == 1) /* count the rows below that continue it */
				for (size_t j = i + 1; j < t.n; j++) {
					int cc = 0, found = 0;

					for (size_t q = 0; q < t.rows[j].n; q++) {
						if (cc == col) {
							found = t.rows[j].cells[q].vmerge == 2;
							break;
						}
						cc += t.rows[j].cells[q].colspan;
					}
					if (!found)
						break;
					span++;
				}
			rc = emits(c, "<td");
			if (rc == 0 && x->colspan > 1)
				rc = emitf(c, " colspan=\"%d\"", x->colspan);
			if (rc == 0 && span > 1)
				rc = emitf(c, " rowspan=\"%d\"", span);
			if (rc == 0 && x->valign != NULL)
				rc = emitf(c, " style=\"vertical-align:%s\"", x->valign);
			if (rc == 0)
				rc = emits(c, ">");
			if (rc == 0)
				rc = emit(c, x->html.p != NULL ? x->html.p : "", x->html.len);
			if (rc == 0)
				rc = emits(c, "</td>");
			col += x->colspan;
		}
		if (rc == 0)
			rc = emits(c, "</tr>");
	}
	if (rc == 0)
		rc = emits(c, "</table>");
	table_free(&t);
	return rc;
}

static int
end_p(struct conv *c)
{
	int rc;

	if (!c->in_p)
		return 0;
	c->in_p = 0;
	if ((rc = close_span(c)) != 0)
		return rc;
	if (!c->p_started) { /* an empty paragraph still takes a line */
		if ((rc = start_p(c)) != 0)
			return rc;
		if ((rc = emits(c, "<br>")) != 0)
			return rc;
	}
	c->p_started = 0;
	return emits(c, "</p>\n");
}

static int
walk(struct conv *c)
{
	struct xml_token t;
	int rc;

	for (;;) {
		if ((rc = xml_next(&c->rd, &t)) != 0)
			return hfail(c, rc, "the document's XML is broken at %s", c->rd.err);
		if (t.type == XML_EOF)
			return 0;
		if (t.type == XML_END) {
			if (xml_is(&t, "w:p"))
				rc = end_p(c);
			else if (xml_is(&t, "w:r")) {
				c->in_r = 0;
				memset(&c->rp, 0, sizeof(c->rp));
				rc = close_span(c);
			} else if (xml_is(&t, "w:tbl") && c->ntables > 0)
				rc = table_close(c);
			if (rc != 0)
				return rc;
			continue;
		}
		if (t.type != XML_START && t.type != XML_EMPTY)
			continue;
		if (xml_is(&t, "w:p")) {
			c->in_p = 1;
			c->p_started = 0;
			c->pstyle[0] = '\0';
			if (t.type == XML_EMPTY)
				rc = end_p(c);
		} else if (xml_is(&t, "w:pPr")) {
			rc = read_ppr(c, &t);
		} else if (xml_is(&t, "w:r")) {
			c->in_r = 1;
			memset(&c->rp, 0, sizeof(c->rp));
		} else if (xml_is(&t, "w:rPr")) {
			rc = c->in_r ? read_rpr(c, &t) : skip(c, &t);
		} else if (xml_is(&t, "w:t")) {
			rc = text(c, &t);
		} else if (xml_is(&t, "w:tab") && c->in_r) {
			if ((rc = open_span(c)) == 0)
				rc = emits(c, "<span class=\"tab\"></span>");
		} else if (xml_is(&t, "w:br") || xml_is(&t, "w:cr")) {
			if ((rc = open_span(c)) == 0)
				rc = emits(c, attr_is(&t, "w:type", "page") ? "<br class=\"pb\">"
				                                            : "<br>");
		} else if (xml_is(&t, "w:drawing")) {
			rc = drawing(c, &t);
		} else if (xml_is(&t, "w:tbl")) {
			rc = table_open(c);
		} else if (xml_is(&t, "w:tblPr") || xml_is(&t, "w:tblGrid") ||
		           xml_is(&t, "w:tcPr")) {
			rc = c->ntables > 0 ? read_tprops(c, &t) : skip(c, &t);
		} else if (xml_is(&t, "w:tr") && t.type == XML_START) {
			rc = c->ntables > 0
			         ? row_open(c)
			         : hfail(c, VIGIL_ERR_INVAL, "a table row outside a table");
		} else if (xml_is(&t, "w:tc") && t.type == XML_START) {
			rc = c->ntables > 0
			         ? cell_open(c)
			         : hfail(c, VIGIL_ERR_INVAL, "a table cell outside a table");
		} else if (xml_is(&t, "w:sectPr") || xml_is(&t, "w:instrText") ||
		           xml_is(&t, "w:delText") || xml_is(&t, "w:del") || xml_is(&t, "w:trPr") ||
		           xml_is(&t, "w:tblPrEx")) {
			rc = skip(c, &t); /* page setup (read before), field codes, deleted text */
		} else if (xml_is(&t, "w:txbxContent") || xml_is(&t, "w:pict") ||
		           xml_is(&t, "w:object") || xml_is(&t, "mc:AlternateContent") ||
		           xml_is(&t, "w:footnoteReference") || xml_is(&t, "w:endnoteReference")) {
			c->skipped++;
			rc = skip(c, &t);
		}
		if (rc != 0)
			return rc;
	}
}

/* The body's page size and margins, in twips, from its last <w:sectPr>. */
static void
page_setup(const char *xml, size_t len, long pg[6])
{
	struct xml_reader rd;
	struct xml_token t;

	/* A4 portrait, the margins of NĐ 30/2020 until the document says otherwise. */
	pg[0] = 11906;
	pg[1] = 16838;
	pg[2] = 1134;
	pg[3] = 1134;
	pg[4] = 1134;
	pg[5] = 1701;
	xml_init(&rd, xml, len);
	while (xml_next(&rd, &t) == 0 && t.type != XML_EOF) {
		if (xml_is(&t, "w:pgSz")) {
			pg[0] = attr_long(&t, "w:w", pg[0]);
			pg[1] = attr_long(&t, "w:h", pg[1]);
		} else if (xml_is(&t, "w:pgMar")) {
			pg[2] = attr_long(&t, "w:top", pg[2]);
			pg[3] = attr_long(&t, "w:right", pg[3]);
			pg[4] = attr_long(&t, "w:bottom", pg[4]);
			pg[5] = attr_long(&t, "w:left", pg[5]);
		}
	}
	for (int i = 0; i < 6; i++) /* nothing absurd reaches the style sheet */
		if (pg[i] < 0 || pg[i] > 31680)
			pg[i] = i < 2 ? (i == 0 ? 11906 : 16838) : 1134;
}

int
docx_to_html(const char *xml, size_t len, const char *title, const struct docx_media *media,
             struct buf *out, size_t *skipped, char *err, size_t errlen)
{
	struct conv c;
	struct buf esc;
	long pg[6];
	int rc;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.total = out->len;
	c.media = media;
	c.err = err;
	c.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	buf_init(&c.text, 1u << 22);
	buf_init(&esc, 4096);
	tmpl_escape_html(NULL, &esc, title, strlen(title), 0);
	page_setup(xml, len, pg);
	rc = emitf(&c, "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
	               "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	if (rc == 0)
		rc = emit(&c, esc.p != NULL ? esc.p : "", esc.len);
	if (rc == 0)
		rc = emitf(&c,
		           "</title>\n<style>\n"
		           "@page{size:%.0fmm %.0fmm;margin:%.0fmm %.0fmm %.0fmm %.0fmm}\n"
		           "body{font-family:\"Times New Roman\",\"Liberation Serif\",\"DejaVu "
		           "Serif\",serif;"
		           "font-size:14pt;line-height:1.3;color:#000;background:#fff;max-width:%."
		           "0fmm;margin:0 auto}\n",
		           mm(pg[0]), mm(pg[1]), mm(pg[2]), mm(pg[3]), mm(pg[4]), mm(pg[5]),
		           mm(pg[0] - pg[3] - pg[5]));
	if (rc == 0)
		rc = emitf(&c, "@media screen{body{padding:%.0fmm %.0fmm %.0fmm %.0fmm}}\n",
		           mm(pg[2]), mm(pg[3]), mm(pg[4]), mm(pg[5]));
	if (rc == 0)
		rc = emits(
		    &c, "p{margin:0}\ntable{border-collapse:collapse;width:100%}\n"
		        "td{vertical-align:top;padding:0 4pt}\ntable.b td{border:1px solid #000}\n"
		        ".tab{display:inline-block;width:12.7mm}\nbr.pb{break-after:page}\n"
		        "img{max-width:100%}\n</style>\n</head>\n<body>\n");
	buf_free(&esc);
	if (rc == 0) {
		xml_init(&c.rd, xml, len);
		rc = walk(&c);
	}
	if (rc == 0)
		rc = emits(&c, "</body>\n</html>\n");
	while (c.ntables > 0)
		table_free(&c.tables[--c.ntables]);
	buf_free(&c.text);
	if (rc == VIGIL_ERR_TOOBIG && buf_error(out) != 0)
		hfail(&c, rc, "the HTML is larger than %zu bytes", out->cap);
	else if (rc == VIGIL_ERR_NOMEM)
		hfail(&c, rc, "out of memory");
	if (skipped != NULL)
		*skipped = c.skipped;
	return rc;
}
