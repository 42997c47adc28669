/*
 * libFuzzer target: a WordprocessingML part as the renderer meets it in a
 * DOCX template (docx.h): docx_prepare() turns it into a template, which is
 * parsed and filled from fixed data; the result, and the input itself, go
 * through docx_to_html(). A prepared template that parses must fill into
 * well-formed XML whenever the input was well-formed, since that is what
 * docx_prepare() promises Word and LibreOffice.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "../../report/docx.h"
#include "../../report/xmltok.h"

static const char DATA[] =
    "{\"a\":\"A & <b>\",\"n\":1,\"l\":[{\"x\":\"1\"},{\"x\":\"2\"}],\"e\":[],"
    "\"t\":\"2026-12-05T14:30:00+07:00\",\"y\":true}";

static int
well_formed(const char *s, size_t n)
{
	struct xml_reader r;
	struct xml_token t;

	xml_init(&r, s, n);
	do
		if (xml_next(&r, &t) != 0)
			return 0;
	while (t.type != XML_EOF);
	return 1;
}

static int
media(void *arg, const char *rid, const unsigned char **data, size_t *len, const char **mime)
{
	static const unsigned char png[] = "\x89PNG\r\n\x1a\n";

	*data = png;
	*len = sizeof(png) - 1;
	*mime = "image/png";
	return rid[0] == 'r' ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_output o = {tmpl_escape_wordml, NULL, NULL};
	struct docx_media m = {media, NULL};
	struct value_doc *doc = NULL;
	struct buf prep, out, html;
	struct tmpl *t = NULL;
	char err[512];
	size_t skipped;
	int ok = well_formed((const char *)data, size);

	buf_init(&prep, 1 << 22);
	buf_init(&out, 1 << 22);
	buf_init(&html, 1 << 22);
	if (value_parse(DATA, sizeof(DATA) - 1, NULL, &doc, err, sizeof(err)) != 0)
		__builtin_trap();
	if (docx_prepare((const char *)data, size, &prep, err, sizeof(err)) == 0) {
		if (!ok)
			__builtin_trap(); /* it reads the XML first: broken XML is refused */
		if (tmpl_parse(prep.p != NULL ? prep.p : "", prep.len, NULL, &t, err,
		               sizeof(err)) == 0) {
			if (tmpl_render(t, value_root(doc), &o, &out, err, sizeof(err)) == 0) {
				if (!well_formed(out.p != NULL ? out.p : "", out.len))
					__builtin_trap();
				docx_to_html(out.p != NULL ? out.p : "", out.len, "t", &m, &html,
				             &skipped, err, sizeof(err));
			}
			tmpl_free(t);
		}
	}
	buf_reset(&html);
	docx_to_html((const char *)data, size, "t", &m, &html, &skipped, err, sizeof(err));
	value_doc_free(doc);
	buf_free(&prep);
	buf_free(&out);
	buf_free(&html);
	return 0;
}
