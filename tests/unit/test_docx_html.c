/* docx_to_html: a filled document as one HTML page for mail and the web. */
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

static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};

static int
media(void *arg, const char *rid, const unsigned char **data, size_t *len, const char **mime)
{
	if (strcmp(rid, "rId7") != 0)
		return -1;
	*data = png;
	*len = sizeof(png);
	*mime = "image/png";
	return 0;
}

static const char *DOC =
    "<w:document xmlns:w=\"w\"><w:body>"
    "<w:p><w:pPr><w:jc w:val=\"center\"/><w:spacing w:before=\"120\"/></w:pPr>"
    "<w:r><w:rPr><w:b/><w:sz w:val=\"30\"/></w:rPr><w:t>THÔNG BÁO</w:t></w:r></w:p>"
    "<w:p><w:pPr><w:ind w:firstLine=\"567\"/><w:jc w:val=\"both\"/></w:pPr>"
    "<w:r><w:rPr><w:i/><w:b w:val=\"0\"/></w:rPr><w:t>a &lt;b&gt; &amp; c</w:t></w:r>"
    "<w:r><w:tab/><w:t>d</w:t><w:br/><w:t>e</w:t><w:br w:type=\"page\"/></w:r></w:p>"
    "<w:p/>"
    "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/></w:numPr></w:pPr><w:r><w:t>listed</w:t></w:r>"
    "<w:r><w:instrText> PAGE "
    "</w:instrText></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>"
    "<w:tbl><w:tblPr><w:tblBorders><w:top w:val=\"single\"/></w:tblBorders></w:tblPr>"
    "<w:tblGrid><w:gridCol w:w=\"1000\"/><w:gridCol w:w=\"3000\"/></w:tblGrid>"
    "<w:tr><w:tc><w:tcPr><w:gridSpan "
    "w:val=\"2\"/></w:tcPr><w:p><w:r><w:t>wide</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:tcPr><w:vMerge "
    "w:val=\"restart\"/></w:tcPr><w:p><w:r><w:t>tall</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>r2</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>r3</w:t></w:r></w:p>"
    "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>inner</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc></w:tr>"
    "</w:tbl>"
    "<w:p><w:r><w:drawing><wp:inline><wp:extent cx=\"952500\" cy=\"476250\"/><a:graphic><a:blip "
    "r:embed=\"rId7\"/>"
    "</a:graphic></wp:inline></w:drawing></w:r><w:r><w:drawing><a:blip "
    "r:embed=\"rId9\"/></w:drawing></w:r></w:p>"
    "<w:p><w:r><w:pict><w:txbxContent><w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></"
    "w:pict></w:r></w:p>"
    "<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"850\" "
    "w:bottom=\"1134\""
    " w:left=\"1701\"/></w:sectPr></w:body></w:document>";

static void
has(const char *html, const char *s)
{
	if (strstr(html, s) == NULL)
		fail_msg("no \"%s\" in:\n%s", s, html);
}

static void
test_html(void **state)
{
	struct docx_media m = {media, NULL};
	struct buf out;
	size_t skipped = 0;
	char err[256];

	buf_init(&out, 1 << 20);
	assert_int_equal(
	    docx_to_html(DOC, strlen(DOC), "Báo cáo <số 1>", &m, &out, &skipped, err, sizeof(err)),
	    0);
	has(out.p, "<title>Báo cáo &lt;số 1&gt;</title>");
	has(out.p, "@page{size:210mm 297mm;margin:20mm 15mm 20mm 30mm}");
	has(out.p,
	    "<p style=\"text-align:center;margin-top:6.0pt;\"><span style=\"font-weight:bold;"
	    "font-size:15.0pt;\">THÔNG BÁO</span></p>");
	has(out.p,
	    "<p style=\"text-indent:10.0mm;text-align:justify;\"><span "
	    "style=\"font-style:italic;\">"
	    "a &lt;b&gt; &amp; c</span><span class=\"tab\"></span>d<br>e<br class=\"pb\"></p>");
	has(out.p, "<p><br></p>");
	has(out.p, "<p>listed</p>"); /* the field code and the deleted text are gone */
	assert_null(strstr(out.p, "PAGE"));
	assert_null(strstr(out.p, "gone"));
	assert_null(strstr(out.p, "boxed"));
	has(out.p,
	    "<table class=\"b\"><colgroup><col style=\"width:25.0%\"><col style=\"width:75.0%\">"
	    "</colgroup><tr><td colspan=\"2\"><p>wide</p>\n</td></tr><tr><td "
	    "rowspan=\"2\"><p>tall</p>\n"
	    "</td><td><p>r2</p>\n</td></tr><tr><td><p>r3</p>\n<table><tr><td><p>inner</p>\n</td></"
	    "tr>"
	    "</table></td></tr></table>");
	has(out.p, "<img alt=\"\" style=\"width:100px;height:50px\" "
	           "src=\"data:image/png;base64,iVBORw0KGgoAAA==\">");
	/* Skipped: the list number, the unknown picture rId9, the text box. */
	assert_int_equal(skipped, 3);
	buf_free(&out);

	/* The cap holds, cells included. */
	buf_init(&out, 1000);
	assert_int_equal(docx_to_html(DOC, strlen(DOC), "t", &m, &out, &skipped, err, sizeof(err)),
	                 VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(err, "larger than 1000 bytes"));
	buf_free(&out);

	/* Broken XML is an error, not a page. */
	buf_init(&out, 1 << 20);
	assert_int_equal(
	    docx_to_html("<w:document><w:p>", 18, "t", &m, &out, &skipped, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "broken"));
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
