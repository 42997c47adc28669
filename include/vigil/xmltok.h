/*
 * xmltok.c: the one XML tokenizer of Vigil: start and end tags with their
 * attributes, text, and the rest (declaration, comments, processing
 * instructions, CDATA) as opaque tokens. It checks that tags nest and names
 * match, and keeps every token's place in the input, so that the report
 * renderer can rewrite a DOCX part by offsets (docx_prep.c) and walk it
 * (docx_html.c), and the agent can read a rendered Windows event
 * (winevent.c).
 *
 * It is written for hostile input: a DOCTYPE is refused (no entity can be
 * declared, so none can expand), nesting is capped at XML_MAX_DEPTH, a tag
 * holds at most XML_MAX_ATTRS attributes, and entity references are limited
 * to the five predefined ones and character references.
 */
#ifndef VIGIL_XMLTOK_H
#define VIGIL_XMLTOK_H

#include <stddef.h>

#define XML_MAX_DEPTH 256
#define XML_MAX_ATTRS 64

enum xml_type {
	XML_START, /* <name ...> */
	XML_EMPTY, /* <name .../> */
	XML_END,   /* </name> */
	XML_TEXT,  /* character data, raw (entities not decoded) */
	XML_OTHER, /* <?...?>, <!--...-->, <![CDATA[...]]> */
	XML_EOF,
};

struct xml_attr {
	const char *name, *val; /* val: raw, between the quotes */
	size_t nlen, vlen;
};

struct xml_token {
	enum xml_type type;
	size_t off, len; /* the whole token in the input */
	const char *name;
	size_t nlen;
	struct xml_attr attrs[XML_MAX_ATTRS];
	size_t nattrs;
	size_t depth; /* of the element: 0 for the root; TEXT and OTHER: of their parent + 1 */
};

struct xml_reader {
	const char *s;
	size_t len, pos;
	size_t depth;
	struct {
		const char *name;
		size_t nlen;
	} stack[XML_MAX_DEPTH];
	int seen_root;
	char err[160];
};

void xml_init(struct xml_reader *r, const char *s, size_t len);

/*
 * The next token. Returns 0, or VIGIL_ERR_INVAL / VIGIL_ERR_TOOBIG with
 * "byte N: what is wrong" in r->err. At the end, a token of type XML_EOF
 * (and only when every element was closed).
 */
int xml_next(struct xml_reader *r, struct xml_token *t);

/* Whether the token's name is exactly name. */
int xml_is(const struct xml_token *t, const char *name);

/* The raw value of the attribute called name, or NULL. */
const char *xml_attr(const struct xml_token *t, const char *name, size_t *vlen);

/*
 * Decode raw text or an attribute value (&amp; &#x1EA1; …), handing the
 * decoded bytes to put(arg, bytes, n) piece by piece; a character reference
 * to no character (0, a surrogate, past U+10FFFF, not a number) gives
 * U+FFFD, an unknown entity or a bare '&' is kept as written. Returns 0, or
 * the first non-zero return of put.
 */
typedef int (*xml_put_fn)(void *arg, const char *s, size_t n);
int xml_decode_to(const char *raw, size_t n, xml_put_fn put, void *arg);

#endif
