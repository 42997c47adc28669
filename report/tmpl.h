/*
 * Report templates: text (the XML inside a DOCX, or a CSV) with tags that
 * name fields of the report's data (value.h). The tags:
 *
 *   {{incident.title}}            a field; missing or null is an error naming it
 *   {{fields.harm?}}              optional: nothing when missing
 *   {{x | date}}                  filters: date, time, datetime, day, month, year,
 *                                 upper, number[:DIGITS], duration, count,
 *                                 join:", ", check:"VALUE", checked, default:"TEXT"
 *   {{#each incident.machines}}…{{else}}…{{/each}}   a loop; inside, {{.name}} is
 *                                 the item's field, a plain {{name}} is looked up
 *                                 in the item first, then outward (so an item
 *                                 without "unit" would show the report's unit:
 *                                 write {{.unit}});
 *                                 {{this}}, {{@index}} (from 1), {{@first}}, {{@last}}
 *   {{#if x}}…{{else}}…{{/if}}    {{#unless x}}…{{/unless}}: missing is false
 *   {{%chart summary.chart}}      a picture made by the caller (output->image)
 *   {{! a comment }}
 *
 * A string argument may be written "…", “…” or ‘…’, because word processors
 * turn straight quotes into curly ones. The template itself is trusted no
 * more than the data: its size, its tags, their nesting, the output and the
 * work of one rendering are all capped (struct tmpl_limits), so a hostile
 * template ends with VIGIL_ERR_TOOBIG, never with a hang or an exhausted
 * memory.
 */
#ifndef VIGIL_REPORT_TMPL_H
#define VIGIL_REPORT_TMPL_H

#include <stddef.h>

#include "vigil/buf.h"
#include "value.h"

struct tmpl_limits {
	size_t max_input;  /* bytes of template text */
	size_t max_nodes;  /* tags and text pieces */
	size_t max_depth;  /* nesting of #each and #if */
	size_t max_output; /* bytes one rendering may produce (the caller's buf cap) */
	size_t max_steps;  /* nodes evaluated by one rendering, loops included */
};

/* 16 MiB of template, 200,000 nodes, depth 16, 64 MiB out, 20 million steps. */
extern const struct tmpl_limits tmpl_default_limits;

/* How a value is written into the output, and how a picture is made. */
struct tmpl_output {
	/* Append s[0..n) escaped for the output; number: it came from a JSON number. */
	int (*text)(void *arg, struct buf *out, const char *s, size_t n, int number);
	/* {{%kind path}}: append the markup of a picture of v. NULL: pictures are refused. */
	int (*image)(void *arg, struct buf *out, const char *kind, const struct value *v, char *err,
	             size_t errlen);
	void *arg;
};

struct tmpl;

/*
 * Parse text[0..len). Returns 0, VIGIL_ERR_TOOBIG, VIGIL_ERR_NOMEM, or
 * VIGIL_ERR_INVAL with "line L, column C: {{tag}}: what is wrong" in err.
 */
int tmpl_parse(const char *text, size_t len, const struct tmpl_limits *lim, struct tmpl **out,
               char *err, size_t errlen);
void tmpl_free(struct tmpl *t);

/*
 * Fill the template from data into out. Returns 0, or VIGIL_ERR_MISSING with
 * 'missing field "PATH" (in {{tag}})' in err, VIGIL_ERR_INVAL (a field of the
 * wrong kind, a bad date), VIGIL_ERR_TOOBIG (output or steps over the
 * limits) or VIGIL_ERR_NOMEM.
 */
int tmpl_render(const struct tmpl *t, const struct value *data, const struct tmpl_output *o,
                struct buf *out, char *err, size_t errlen);

/*
 * Every field the template reads, in order, once each: the path as written,
 * whether a missing value is an error (required), and the loop it is read in
 * ("" at the top). For a list of what an operator must fill.
 */
void tmpl_fields(const struct tmpl *t,
                 void (*fn)(void *arg, const char *path, int required, const char *loop),
                 void *arg);

/* Escapers for struct tmpl_output.text: XML for WordprocessingML text, HTML, CSV, none. */
int tmpl_escape_wordml(void *arg, struct buf *out, const char *s, size_t n, int number);
int tmpl_escape_html(void *arg, struct buf *out, const char *s, size_t n, int number);
int tmpl_escape_csv(void *arg, struct buf *out, const char *s, size_t n, int number);
int tmpl_escape_none(void *arg, struct buf *out, const char *s, size_t n, int number);

/* Vietnamese-aware upper case of UTF-8 text (ư → Ư, đ → Đ, ặ → Ặ). */
int tmpl_upper(struct buf *out, const char *s, size_t n);

#endif
