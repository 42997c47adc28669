/*
 * The XML tokenizer. See vigil/xmltok.h. It does not resolve namespaces:
 * names are compared as written ("w:p"), which is how Word and LibreOffice
 * write WordprocessingML and how Windows renders an event.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"

#include "vigil/xmltok.h"

static int tfail(struct xml_reader *, int, const char *, ...) __attribute__((format(printf, 3, 4)));

static int
tfail(struct xml_reader *r, int rc, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "byte %zu: %s", r->pos, msg);
	return rc;
}

void
xml_init(struct xml_reader *r, const char *s, size_t len)
{
	/* Not the element stack (4 kB): only its first depth entries are ever read. */
	r->pos = 0;
	r->depth = 0;
	r->seen_root = 0;
	r->err[0] = '\0';
	r->s = s;
	r->len = len;
	/* A byte order mark before the declaration. */
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		r->pos = 3;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The bytes that end a name: spaces, > / = < " ' and NUL. */
static const unsigned char name_end[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['>'] = 1, ['/'] = 1, ['='] = 1,
	['<'] = 1, ['"'] = 1, ['\''] = 1, [0] = 1,
};

static int
is_name(char c)
{
	return !name_end[(unsigned char)c];
}

/* Where the text `end` first appears from pos on, or -1. */
static long
find(const struct xml_reader *r, size_t pos, const char *end)
{
	size_t n = strlen(end);

	for (size_t i = pos; i + n <= r->len; i++)
		if (memcmp(r->s + i, end, n) == 0)
			return (long)i;
	return -1;
}

static int
read_tag(struct xml_reader *r, struct xml_token *t)
{
	size_t p = r->pos + 1;
	int end = 0;

	if (p < r->len && r->s[p] == '/') {
		end = 1;
		p++;
	}
	t->name = r->s + p;
	while (p < r->len && is_name(r->s[p]))
		p++;
	t->nlen = (size_t)(r->s + p - t->name);
	if (t->nlen == 0)
		return tfail(r, VIGIL_ERR_INVAL, "a tag without a name.");
	for (;;) {
		struct xml_attr *a;
		char q;

		while (p < r->len && is_space(r->s[p]))
			p++;
		if (p >= r->len)
			return tfail(r, VIGIL_ERR_INVAL, "a tag is not closed.");
		if (r->s[p] == '>') {
			p++;
			t->type = end ? XML_END : XML_START;
			break;
		}
		if (r->s[p] == '/' && !end) {
			if (p + 1 >= r->len || r->s[p + 1] != '>')
				return tfail(r, VIGIL_ERR_INVAL, "'/' inside a tag.");
			p += 2;
			t->type = XML_EMPTY;
			break;
		}
		if (end)
			return tfail(r, VIGIL_ERR_INVAL, "an end tag with attributes.");
		if (t->nattrs == XML_MAX_ATTRS)
			return tfail(r, VIGIL_ERR_TOOBIG, "more than %d attributes in one tag.",
			             XML_MAX_ATTRS);
		a = &t->attrs[t->nattrs];
		a->name = r->s + p;
		while (p < r->len && is_name(r->s[p]))
			p++;
		a->nlen = (size_t)(r->s + p - a->name);
		while (p < r->len && is_space(r->s[p]))
			p++;
		if (a->nlen == 0 || p >= r->len || r->s[p] != '=')
			return tfail(r, VIGIL_ERR_INVAL, "an attribute without '='.");
		p++;
		while (p < r->len && is_space(r->s[p]))
			p++;
		if (p >= r->len || (r->s[p] != '"' && r->s[p] != '\''))
			return tfail(r, VIGIL_ERR_INVAL, "an attribute value not in quotes.");
		q = r->s[p++];
		a->val = r->s + p;
		{
			const char *qe = memchr(r->s + p, q, r->len - p);
			size_t vend = qe != NULL ? (size_t)(qe - r->s) : r->len;

			if (memchr(r->s + p, '<', vend - p) != NULL)
				return tfail(r, VIGIL_ERR_INVAL, "'<' inside an attribute value.");
			p = vend;
		}
		if (p >= r->len)
			return tfail(r, VIGIL_ERR_INVAL, "an attribute value is not closed.");
		a->vlen = (size_t)(r->s + p - a->val);
		p++;
		t->nattrs++;
	}
	t->len = p - r->pos;
	r->pos = p;
	return 0;
}

int
xml_next(struct xml_reader *r, struct xml_token *t)
{
	int rc;

	/* Not the attribute table (2 kB): only the first nattrs entries are ever read. */
	t->type = XML_EOF;
	t->len = 0;
	t->name = NULL;
	t->nlen = 0;
	t->nattrs = 0;
	t->off = r->pos;
	t->depth = r->depth;
	if (r->pos >= r->len) {
		if (r->depth > 0)
			return tfail(r, VIGIL_ERR_INVAL, "the element <%.*s> is never closed.",
			             (int)(r->stack[r->depth - 1].nlen > 40
			                       ? 40
			                       : r->stack[r->depth - 1].nlen),
			             r->stack[r->depth - 1].name);
		if (!r->seen_root)
			return tfail(r, VIGIL_ERR_INVAL, "no element at all.");
		t->type = XML_EOF;
		return 0;
	}
	if (r->s[r->pos] != '<') {
		const char *lt = memchr(r->s + r->pos, '<', r->len - r->pos);
		size_t p = lt != NULL ? (size_t)(lt - r->s) : r->len;

		t->type = XML_TEXT;
		t->len = p - r->pos;
		r->pos = p;
		if (r->depth == 0) {
			for (size_t i = t->off; i < p; i++)
				if (!is_space(r->s[i]))
					return tfail(r, VIGIL_ERR_INVAL,
					             "text outside the root element.");
		}
		return 0;
	}
	if (r->len - r->pos >= 2 && (r->s[r->pos + 1] == '?' || r->s[r->pos + 1] == '!')) {
		const char *end = "?>";
		long at;

		if (r->len - r->pos >= 4 && memcmp(r->s + r->pos, "<!--", 4) == 0)
			end = "-->";
		else if (r->len - r->pos >= 9 && memcmp(r->s + r->pos, "<![CDATA[", 9) == 0)
			end = "]]>";
		else if (r->s[r->pos + 1] == '!')
			return tfail(r, VIGIL_ERR_INVAL,
			             "a DOCTYPE or declaration, which is not allowed.");
		if ((at = find(r, r->pos + 2, end)) < 0)
			return tfail(r, VIGIL_ERR_INVAL, "an unterminated %s.",
			             end[0] == '?'   ? "processing instruction"
			             : end[0] == '-' ? "comment"
			                             : "CDATA");
		if (end[0] == ']' && r->depth == 0)
			return tfail(r, VIGIL_ERR_INVAL, "CDATA outside the root element.");
		t->type = XML_OTHER;
		t->len = (size_t)at + strlen(end) - r->pos;
		r->pos += t->len;
		return 0;
	}
	if ((rc = read_tag(r, t)) != 0)
		return rc;
	if (t->type == XML_END) {
		if (r->depth == 0)
			return tfail(r, VIGIL_ERR_INVAL, "an end tag without its start.");
		r->depth--;
		if (r->stack[r->depth].nlen != t->nlen ||
		    memcmp(r->stack[r->depth].name, t->name, t->nlen) != 0)
			return tfail(
			    r, VIGIL_ERR_INVAL, "</%.*s> does not close <%.*s>.",
			    (int)(t->nlen > 40 ? 40 : t->nlen), t->name,
			    (int)(r->stack[r->depth].nlen > 40 ? 40 : r->stack[r->depth].nlen),
			    r->stack[r->depth].name);
		t->depth = r->depth;
		return 0;
	}
	if (r->depth == 0) {
		if (r->seen_root)
			return tfail(r, VIGIL_ERR_INVAL, "a second root element.");
		r->seen_root = 1;
	}
	if (t->type == XML_START) {
		if (r->depth == XML_MAX_DEPTH)
			return tfail(r, VIGIL_ERR_TOOBIG, "elements nested deeper than %d.",
			             XML_MAX_DEPTH);
		r->stack[r->depth].name = t->name;
		r->stack[r->depth].nlen = t->nlen;
		r->depth++;
	}
	return 0;
}

int
xml_is(const struct xml_token *t, const char *name)
{
	return t->nlen == strlen(name) && memcmp(t->name, name, t->nlen) == 0;
}

const char *
xml_attr(const struct xml_token *t, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < t->nattrs; i++)
		if (t->attrs[i].nlen == n && memcmp(t->attrs[i].name, name, n) == 0) {
			if (vlen != NULL)
				*vlen = t->attrs[i].vlen;
			return t->attrs[i].val;
		}
	return NULL;
}

static int
put_cp(xml_put_fn put, void *arg, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		return put(arg, u, 1);
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		return put(arg, u, 2);
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return put(arg, u, 3);
	}
	u[0] = (char)(0xf0 | cp >> 18);
	u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return put(arg, u, 4);
}

int
xml_decode_to(const char *raw, size_t n, xml_put_fn put, void *arg)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
	size_t i = 0, from = 0;
	int rc;

	while (i < n) {
		size_t semi;

		if (raw[i] != '&') {
			i++;
			continue;
		}
		if ((rc = put(arg, raw + from, i - from)) != 0)
			return rc;
		for (semi = i + 1; semi < n && semi - i < 12 && raw[semi] != ';'; semi++)
			;
		if (semi >= n || raw[semi] != ';') { /* a bare '&': kept as it is */
			if ((rc = put(arg, "&", 1)) != 0)
				return rc;
			from = ++i;
			continue;
		}
		if (raw[i + 1] == '#') {
			uint32_t cp = 0;
			int hex = raw[i + 2] == 'x' || raw[i + 2] == 'X';

			for (size_t k = i + 2 + (size_t)hex; k < semi; k++) {
				char c = raw[k];
				int d = c >= '0' && c <= '9'          ? c - '0'
				        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
				        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
				                                      : -1;

				if (d < 0 || cp > 0x10ffff) {
					cp = 0xfffd;
					break;
				}
				cp = cp * (hex ? 16 : 10) + (uint32_t)d;
			}
			if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				cp = 0xfffd;
			rc = put_cp(put, arg, cp);
		} else {
			size_t k;

			for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
				if (strlen(named[k].name) == semi - i - 1 &&
				    memcmp(raw + i + 1, named[k].name, semi - i - 1) == 0)
					break;
			rc = k < sizeof(named) / sizeof(named[0])
			         ? put(arg, &named[k].c, 1)
			         : put(arg, raw + i, semi + 1 - i);
		}
		if (rc != 0)
			return rc;
		i = from = semi + 1;
	}
	return put(arg, raw + from, n - from);
}
