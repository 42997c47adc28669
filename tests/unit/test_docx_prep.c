/*
 * docx_prepare: WordprocessingML as a word processor writes it (tags split
 * over runs, spelling marks between them) made into a template that fills
 * into well-formed XML; block tags moved to paragraphs and table rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"

#include "../../report/docx.h"
#include "../../report/xmltok.h"

#define DOC(body) "<w:document xmlns:w=\"w\"><w:body>" body "</w:body></w:document>"
#define R(t) "<w:r><w:t>" t "</w:t></w:r>"
#define P(runs) "<w:p>" runs "</w:p>"

static const char *DATA =
    "{\"a\":\"A\",\"n\":12,\"list\":[{\"x\":\"one\"},{\"x\":\"two\"},{\"x\":\"three\"}],"
    "\"none\":[],\"yes\":true,\"q\":\"\\\"<&>\\\"\"}";

/*
 * Prepare, parse, fill; check the result is well-formed XML; return its text
 * as paragraphs "p1|p2|" with "#" between table rows. NULL and a message in
 * err when any step fails.
 */
static char *
fill(const char *xml, char *err, size_t errlen)
{
	struct tmpl_output o = {tmpl_escape_wordml, NULL, NULL};
	struct value_doc *doc = NULL;
	struct buf prep, out, text;
	struct tmpl *t = NULL;
	struct xml_reader r;
	struct xml_token tok;
	int rc, in_t = 0;

	buf_init(&prep, 1 << 20);
	buf_init(&out, 1 << 20);
	buf_init(&text, 1 << 20);
	assert_int_equal(value_parse(DATA, strlen(DATA), NULL, &doc, err, errlen), 0);
	rc = docx_prepare(xml, strlen(xml), &prep, err, errlen);
	if (rc == 0)
		rc = tmpl_parse(prep.p, prep.len, NULL, &t, err, errlen);
	if (rc == 0)
		rc = tmpl_render(t, value_root(doc), &o, &out, err, errlen);
	tmpl_free(t);
	value_doc_free(doc);
	buf_free(&prep);
	if (rc != 0) {
		buf_free(&out);
		buf_free(&text);
		return NULL;
	}
	xml_init(&r, out.p, out.len);
	for (;;) {
		if (xml_next(&r, &tok) != 0)
			fail_msg("not well-formed: %s\n%s", r.err, out.p);
		if (tok.type == XML_EOF)
			break;
		if (tok.type == XML_START && xml_is(&tok, "w:t"))
			in_t = 1;
		else if (tok.type == XML_END && xml_is(&tok, "w:t"))
			in_t = 0;
		else if (tok.type == XML_TEXT && in_t)
			xml_decode(&text, out.p + tok.off, tok.len);
		else if (tok.type == XML_END && xml_is(&tok, "w:p"))
			buf_str(&text, "|");
		else if (tok.type == XML_END && xml_is(&tok, "w:tr"))
			buf_str(&text, "#");
		else if (tok.type == XML_EMPTY && xml_is(&tok, "w:br"))
			buf_str(&text, "\\n");
	}
	buf_free(&out);
	return buf_take(&text, NULL);
}

static void
check(const char *xml, const char *want)
{
	char err[512];
	char *got = fill(xml, err, sizeof(err));

	if (got == NULL)
		fail_msg("%s\nfailed: %s", xml, err);
	if (strcmp(got, want) != 0)
		fail_msg("%s\ngave \"%s\"\nwant \"%s\"", xml, got, want);
	free(got);
}

static void
check_err(const char *xml, const char *says)
{
	char err[512] = "";
	char *got = fill(xml, err, sizeof(err));

	if (got != NULL)
		fail_msg("%s\nwas accepted: %s", xml, got);
	if (strstr(err, says) == NULL)
		fail_msg("%s\nsaid \"%s\", not \"%s\"", xml, err, says);
}

/* Word splits a tag wherever formatting or the spelling checker changes. */
static void
test_split_runs(void **state)
{
	const char *xml =
	    DOC(P(R("Số {{") "<w:proofErr w:type=\"spellStart\"/>"
	                     "<w:r><w:rPr><w:b/></w:rPr><w:t>a</w:t></w:r>"
	                     "<w:proofErr w:type=\"spellEnd\"/>" R("}} và {{ n }}") R(" xong")));
	struct buf prep;
	char err[256];

	check(xml, "Số A và 12 xong|");
	buf_init(&prep, 1 << 16);
	assert_int_equal(docx_prepare(xml, strlen(xml), &prep, err, sizeof(err)), 0);
	/* Gathered whole into the run where it starts, which now keeps spaces. */
	assert_non_null(strstr(prep.p, "<w:t xml:space=\"preserve\">Số {{a}}</w:t>"));
	assert_non_null(strstr(prep.p, "<w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\"></w:t>"));
	assert_non_null(strstr(prep.p, "<w:t xml:space=\"preserve\"> và {{ n }}</w:t>"));
	buf_free(&prep);
	/* Entities and curly quotes, as a word processor writes them. */
	check(DOC(P(R("{{yes|check:&quot;x&quot;}}{{ a | default:“—” }}{{q}}"))), "☐A\"<&>\"|");
	/* A "{{" that is not text (an attribute) is not read as a tag. */
	check(DOC("<w:p w:x=\"{{nope}}\">" R("{{a}}") "</w:p>"), "A|");
}

static void
test_paragraph_blocks(void **state)
{
	check(DOC(P(R("head")) P(R("{{#each list}}")) P(R("- {{.x}}")) P(R("  {{/each}} "))
	              P(R("tail"))),
	      "head|- one|- two|- three|tail|");
	/* The tags may themselves be split. */
	check(DOC(P(R("{{#ea") R("ch none}}")) P(R("x")) P(R("{{el") R("se}}")) P(R("empty"))
	              P(R("{{/each}}"))),
	      "empty|");
	check(DOC(P(R("{{#if yes}}")) P(R("shown")) P(R("{{/if}}")) P(R("{{#unless yes}}"))
	              P(R("hidden")) P(R("{{/unless}}"))),
	      "shown|");
	/* Inside one table cell (a signature block's list). */
	check(DOC("<w:tbl><w:tr><w:tc>" P(R("Nơi nhận:")) P(R("{{#each list}}")) P(R("{{.x}};"))
	              P(R("{{/each}}")) "</w:tc><w:tc>" P(R("sign")) "</w:tc></w:tr></w:tbl>"),
	      "Nơi nhận:|one;|two;|three;|sign|#");
}

static void
test_row_blocks(void **state)
{
	/* Open in the first cell, close in the last: the row repeats. */
	check(DOC("<w:tbl>"
	          "<w:tr><w:tc>" P(R("No")) "</w:tc><w:tc>" P(
	              R("Name")) "</w:tc></w:tr>"
	                         "<w:tr><w:tc>" P(R("{{#each list}}{{@index}}")) "</w:tc><w:tc>" P(
	                             R("{{.x}}{{/each}}")) "</w:tc></w:tr></w:tbl>"),
	      "No|Name|#1|one|#2|two|#3|three|#");
	/* No items: the row is gone, the table still well-formed. */
	check(DOC("<w:tbl>"
	          "<w:tr><w:tc>" P(R("No")) "</w:tc><w:tc>" P(
	              R("Name")) "</w:tc></w:tr>"
	                         "<w:tr><w:tc>" P(R("{{#each none}}{{@index}}")) "</w:tc><w:tc>" P(
	                             R("{{.x}}{{/each}}")) "</w:tc></w:tr></w:tbl>"),
	      "No|Name|#");
	/* Two rows repeat together. */
	check(
	    DOC("<w:tbl><w:tr><w:tc>" P(R(
	        "{{#each list}}{{.x}}")) "</w:tc></w:tr>"
	                                 "<w:tr><w:tc>" P(R(
	                                     "sub {{@index}}{{/each}}")) "</w:tc></w:tr></w:tbl>"),
	    "one|#sub 1|#two|#sub 2|#three|#sub 3|#");
	/* An {{else}} has no row to go in. */
	check_err(DOC("<w:tbl><w:tr><w:tc>" P(R("{{#each list}}")) "</w:tc><w:tc>" P(
	              R("{{else}}x")) "</w:tc><w:tc>" P(R("{{/each}}")) "</w:tc></w:tr></w:tbl>"),
	          "{{else}} cannot be used in a block that repeats table rows");
}

static void
test_inline_blocks(void **state)
{
	/* Inside one paragraph the block may cross runs. */
	check(DOC(P(R("[{{#each list}}") "<w:r><w:rPr><w:i/></w:rPr><w:t>{{.x}}</w:t></w:r>" R(
	          "{{#unless @last}}, {{/unless}}{{/each}}]"))),
	      "[one, two, three]|");
	check(DOC(P(R("{{#if yes}}a{{else}}b{{/if}}"))), "a|");
}

static void
test_errors(void **state)
{
	check_err(
	    DOC(P(R("x")) P(R("Số {{#each list}}")) P(R("{{/each}}"))),
	    "paragraph 2 (\"Số {{#each list}}\"): {{#each list}} and {{/each}} are in different "
	    "paragraphs, so each must stand alone");
	check_err(DOC(P(R("{{#each list}}")) "<w:tbl><w:tr><w:tc>" P(
	              R("{{/each}}")) "</w:tc></w:tr></w:tbl>"),
	          "is not in the same place as");
	check_err(DOC(P(R("{{a")) P(R("}}"))),
	          "paragraph 1 (\"{{a\"): a '{{' that is never closed");
	check_err(DOC(P(R("{{#each list}}"))), "{{#each list}} is never closed");
	check_err(DOC(P(R("{{/if}}"))), "{{/if}} closes no block");
	check_err(DOC(P(R("{{else}}"))), "{{else}} outside a block");
	check_err(DOC(P(R("{{ {{a}} }}"))), "a '{{' inside a tag");
	check_err(DOC(P("<w:hyperlink>" R("{{#if yes}}") "</w:hyperlink>" R("{{/if}}"))),
	          "not at one level");
	check_err(DOC(P(R("{{nothing}}"))), "missing field \"nothing\"");
	check_err(DOC(P("<w:r><w:t><x/></w:t></w:r>")), "holds something other than text");
	check_err("<w:document><w:body>", "the XML is broken");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_runs), cmocka_unit_test(test_paragraph_blocks),
	    cmocka_unit_test(test_row_blocks), cmocka_unit_test(test_inline_blocks),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
