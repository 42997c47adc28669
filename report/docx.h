/*
 * DOCX templates. A DOCX is a zip of XML parts; the text a person types is
 * in <w:t> elements of word/document.xml (and headers, footers), split into
 * runs wherever the formatting, the spelling checker or the editing history
 * changes. A template tag ({{incident.title}}) typed in Word or LibreOffice
 * therefore often arrives in pieces:
 *
 *   <w:r><w:t>{{incident.</w:t></w:r><w:proofErr/><w:r><w:rPr><w:b/></w:rPr><w:t>title}}</w:t></w:r>
 *
 * docx_prepare() turns such a part into a template for tmpl.h: each tag is
 * gathered whole into the run where it starts (keeping that run's
 * formatting) and removed from the others, and the block tags that must not
 * cut through the XML are moved to where they can repeat or drop whole
 * elements:
 *
 *   - {{#each}}/{{#if}} and their {{/…}} in one paragraph: they stay inline;
 *   - each alone in its own paragraph, both in one body, cell or box: those
 *     paragraphs give way to the tags, so that the paragraphs between repeat;
 *   - otherwise, in two rows of one table (or two cells of one row): the rows
 *     from the first to the last are what repeats (or shows), as in a list
 *     of machines.
 *
 * Anything else that would cut the XML is an error naming the paragraph. The
 * rest of the part is copied as it is, except that a "{{" outside the text
 * (in an attribute, say) is written "&#123;{" so the engine does not read it.
 *
 * docx_to_html() turns a filled document.xml into one HTML page, for mail and
 * the web (docx_html.c). docx_fill(), docx_pack() and the zip handling are in
 * docx.c, which needs libzip and is part of the renderer only.
 */
#ifndef VIGIL_REPORT_DOCX_H
#define VIGIL_REPORT_DOCX_H

#include <stddef.h>

#include "vigil/buf.h"
#include "tmpl.h"

/*
 * Prepare the WordprocessingML part xml[0..len) as a template into out.
 * Returns 0, or VIGIL_ERR_INVAL / VIGIL_ERR_TOOBIG with a sentence in err
 * (for the tags: 'paragraph N ("its text"): …').
 */
int docx_prepare(const char *xml, size_t len, struct buf *out, char *err, size_t errlen);

/* A picture the HTML refers to by its relationship id (r:embed="rId5"). */
struct docx_media {
	/* Find the bytes of the picture with relationship id rid (PNG or JPEG), or return -1. */
	int (*get)(void *arg, const char *rid, const unsigned char **data, size_t *len,
	           const char **mime);
	void *arg;
};

/*
 * Write the filled document part xml[0..len) as a standalone HTML page into
 * out: paragraphs with their alignment, indentation and spacing, runs with
 * bold, italic, underline, size and capitals, tables with their widths,
 * merged cells and borders, line and page breaks, tabs, and pictures (from
 * media, as data: URLs). What it does not render (text boxes, fields'
 * codes, deleted text) it leaves out, and it counts in *skipped. title is
 * the page's <title>. Returns 0, VIGIL_ERR_INVAL (err says where), or
 * VIGIL_ERR_TOOBIG.
 */
int docx_to_html(const char *xml, size_t len, const char *title, const struct docx_media *media,
                 struct buf *out, size_t *skipped, char *err, size_t errlen);

/* ---- docx.c: the zip side, in the renderer only (libzip) ---- */

#include "value.h"

#define DOCX_MAX_ENTRIES 1000      /* files in one DOCX */
#define DOCX_MAX_PART (32u << 20)  /* bytes of one file, unpacked */
#define DOCX_MAX_TOTAL (96u << 20) /* bytes of all files, unpacked */

struct docx;

/* An empty DOCX to add parts to (for the build's packer). */
struct docx *docx_new(void);
/* Add a part (copied). Returns 0, VIGIL_ERR_TOOBIG or VIGIL_ERR_NOMEM. */
int docx_add(struct docx *d, const char *name, const void *data, size_t len);

/*
 * Read a DOCX from memory, every part unpacked (within the limits above).
 * Returns 0, VIGIL_ERR_INVAL (not a zip, not a DOCX: err says), or
 * VIGIL_ERR_TOOBIG.
 */
int docx_open(const void *data, size_t len, struct docx **out, char *err, size_t errlen);
void docx_free(struct docx *d);

/*
 * Fill the document, its headers and footers from data. Each part goes
 * through docx_prepare(), tmpl_parse() and tmpl_render(); {{%chart FIELD}}
 * in the document becomes a picture (chart.h). Errors name the part:
 * "word/document.xml: missing field …". Returns VIGIL_ERR_CONFIG when the
 * template cannot be understood (a broken tag, a block that cuts the XML),
 * otherwise what tmpl_render() returns (VIGIL_ERR_MISSING, VIGIL_ERR_INVAL:
 * the data; VIGIL_ERR_TOOBIG: a limit).
 */
int docx_fill(struct docx *d, const struct value *data, const struct tmpl_limits *lim, char *err,
              size_t errlen);

/* Every field the template's parts read (tmpl_fields), for --list-fields. */
int docx_fields(struct docx *d,
                void (*fn)(void *arg, const char *path, int required, const char *loop), void *arg,
                char *err, size_t errlen);

/* The DOCX as a zip into out (deflated, with a fixed time stamp so equal input gives equal bytes).
 */
int docx_write(const struct docx *d, struct buf *out, char *err, size_t errlen);

/* The document as HTML (docx_to_html with the DOCX's pictures). */
int docx_html(const struct docx *d, const char *title, struct buf *out, size_t *skipped, char *err,
              size_t errlen);

#endif
