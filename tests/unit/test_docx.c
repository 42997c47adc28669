/* docx: DOCX files read, filled, written back and shown as HTML (libzip), and their limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zip.h>

#include "vigil/err.h"

#include "../../report/chart.h"
#include "../../report/docx.h"

static const char TYPES[] =
    "<?xml version=\"1.0\"?><Types "
    "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>";
static const char RELS[] = "<?xml version=\"1.0\"?><Relationships "
                           "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                           "</Relationships>";
static const char BODY[] = "<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>Số "
                           "{{doc.</w:t></w:r><w:r><w:t>n}}</w:t></w:r></w:p>"
                           "<w:p><w:r><w:t>{{%chart c}}</w:t></w:r></w:p></w:body></w:document>";
static const char HEADER[] =
    "<w:hdr xmlns:w=\"w\"><w:p><w:r><w:t>{{unit|upper}}</w:t></w:r></w:p></w:hdr>";
static const char DATA[] =
    "{\"doc\":{\"n\":\"27\"},\"unit\":\"phường Đông Hòa\",\"c\":{\"title\":\"Tỷ lệ\","
    "\"target\":100,\"bars\":[{\"label\":\"01\",\"value\":90},{\"label\":\"02\",\"value\":100}]}}";

static struct docx *
sample(void)
{
	struct docx *d = docx_new();

	assert_non_null(d);
	assert_int_equal(docx_add(d, "[Content_Types].xml", TYPES, strlen(TYPES)), 0);
	assert_int_equal(docx_add(d, "word/_rels/document.xml.rels", RELS, strlen(RELS)), 0);
	assert_int_equal(docx_add(d, "word/header1.xml", HEADER, strlen(HEADER)), 0);
	assert_int_equal(docx_add(d, "word/document.xml", BODY, strlen(BODY)), 0);
	return d;
}

static struct buf
written(const struct docx *d)
{
	struct buf b;
	char err[256];

	buf_init(&b, 1 << 24);
	assert_int_equal(docx_write(d, &b, err, sizeof(err)), 0);
	return b;
}

/* The text of a part of a DOCX in memory. */
static char *
part(const struct buf *z, const char *name)
{
	zip_source_t *src = zip_source_buffer_create(z->p, z->len, 0, NULL);
	zip_t *za = zip_open_from_source(src, ZIP_RDONLY, NULL);
	zip_stat_t st;
	zip_file_t *f;
	char *s = NULL;

	assert_non_null(za);
	if (zip_stat(za, name, 0, &st) == 0 && (f = zip_fopen(za, name, 0)) != NULL) {
		s = calloc(1, st.size + 1);
		assert_int_equal(zip_fread(f, s, st.size), (zip_int64_t)st.size);
		zip_fclose(f);
	}
	zip_discard(za);
	return s;
}

static void
test_roundtrip_and_fill(void **state)
{
	struct docx *d = sample(), *again = NULL;
	struct buf z = written(d), z2, html;
	struct value_doc *doc = NULL;
	char err[512], *s;
	size_t skipped;

	/* The same parts give the same bytes (fixed time stamps). */
	z2 = written(d);
	assert_int_equal(z.len, z2.len);
	assert_memory_equal(z.p, z2.p, z.len);
	buf_free(&z2);
	docx_free(d);

	assert_int_equal(docx_open(z.p, z.len, &again, err, sizeof(err)), 0);
	assert_int_equal(value_parse(DATA, strlen(DATA), NULL, &doc, err, sizeof(err)), 0);
	if (docx_fill(again, value_root(doc), NULL, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	buf_free(&z);
	z = written(again);
	s = part(&z, "word/document.xml");
	assert_non_null(strstr(s, "Số 27"));
	assert_non_null(strstr(s, "r:embed=\"rIdVigilChart1\""));
	free(s);
	s = part(&z, "word/header1.xml");
	assert_non_null(strstr(s, "PHƯỜNG ĐÔNG HÒA"));
	free(s);
	s = part(&z, "word/media/vigil-chart1.png");
	assert_non_null(s);
	assert_memory_equal(s, "\x89PNG", 4);
	free(s);
	s = part(&z, "word/_rels/document.xml.rels");
	assert_non_null(strstr(s, "Target=\"media/vigil-chart1.png\""));
	free(s);
	s = part(&z, "[Content_Types].xml");
	assert_non_null(strstr(s, "Extension=\"png\""));
	free(s);
	/* The HTML carries the chart inline. */
	buf_init(&html, 1 << 24);
	assert_int_equal(docx_html(again, "t", &html, &skipped, err, sizeof(err)), 0);
	assert_non_null(strstr(html.p, "Số 27"));
	assert_non_null(strstr(html.p, "src=\"data:image/png;base64,iVBORw0KGgo"));
	assert_int_equal(skipped, 0);
	buf_free(&html);
	buf_free(&z);
	docx_free(again);
	value_doc_free(doc);
}

static void
test_fill_errors(void **state)
{
	static const struct {
		const char *data;
		int rc;
		const char *says;
	} cases[] = {
	    {"{\"unit\":\"x\",\"c\":{\"bars\":[]}}", VIGIL_ERR_MISSING,
	     "word/document.xml: missing field \"doc.n\" (in {{doc.n}})"},
	    {"{\"doc\":{\"n\":1},\"unit\":\"x\",\"c\":{\"bars\":[{\"value\":-1}]}}",
	     VIGIL_ERR_INVAL, "bar 1 of the chart has no value of 0 or more"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct docx *d = sample();
		struct value_doc *doc = NULL;
		char err[512];

		assert_int_equal(
		    value_parse(cases[i].data, strlen(cases[i].data), NULL, &doc, err, sizeof(err)),
		    0);
		assert_int_equal(docx_fill(d, value_root(doc), NULL, err, sizeof(err)),
		                 cases[i].rc);
		if (strstr(err, cases[i].says) == NULL)
			fail_msg("said \"%s\", not \"%s\"", err, cases[i].says);
		value_doc_free(doc);
		docx_free(d);
	}
	/* A template that cannot be understood is the template's fault, not the data's. */
	{
		struct docx *d = docx_new();
		struct value_doc *doc = NULL;
		const char *bad = "<w:document><w:body><w:p><w:r><w:t>{{#each x}}</w:t></w:r></w:p>"
		                  "</w:body></w:document>";
		char err[512];

		docx_add(d, "word/document.xml", bad, strlen(bad));
		value_parse("{}", 2, NULL, &doc, err, sizeof(err));
		assert_int_equal(docx_fill(d, value_root(doc), NULL, err, sizeof(err)),
		                 VIGIL_ERR_CONFIG);
		assert_non_null(strstr(err, "word/document.xml: paragraph 1"));
		value_doc_free(doc);
		docx_free(d);
	}
}

/* A zip made here, with n entries of size bytes of zeros each. */
static struct buf
zip_of(int n, size_t size, int with_document)
{
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, NULL);
	zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, NULL);
	char *zeros = calloc(1, size + 1);
	struct buf b;
	zip_stat_t st;

	assert_non_null(za);
	zip_source_keep(src);
	for (int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), i == 0 && with_document ? "word/document.xml" : "f%d",
		         i);
		assert_true(zip_file_add(za, name, zip_source_buffer(za, zeros, size, 0), 0) >= 0);
	}
	if (with_document)
		zip_file_add(za, "[Content_Types].xml",
		             zip_source_buffer(za, TYPES, strlen(TYPES), 0), 0);
	assert_int_equal(zip_close(za), 0);
	free(zeros);
	assert_int_equal(zip_source_stat(src, &st), 0);
	buf_init(&b, SIZE_MAX);
	assert_int_equal(zip_source_open(src), 0);
	b.p = malloc(st.size + 1);
	b.len = (size_t)zip_source_read(src, b.p, st.size);
	zip_source_close(src);
	zip_source_free(src);
	return b;
}

static void
test_hostile_zips(void **state)
{
	struct docx *d = NULL;
	struct buf z;
	char err[512];

	assert_int_equal(docx_open("not a zip at all", 16, &d, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "not a DOCX (a zip file)"));
	assert_null(d);
	/* A zip, but no document. */
	z = zip_of(2, 10, 0);
	assert_int_equal(docx_open(z.p, z.len, &d, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "no word/document.xml"));
	free(z.p);
	/* A bomb: 40 MiB of zeros packs into a few kilobytes. */
	z = zip_of(1, 40u << 20, 1);
	assert_true(z.len < (1u << 20));
	assert_int_equal(docx_open(z.p, z.len, &d, err, sizeof(err)), VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(err, "unpacks to more than"));
	free(z.p);
	/* Too many files. */
	z = zip_of(DOCX_MAX_ENTRIES + 1, 1, 1);
	assert_int_equal(docx_open(z.p, z.len, &d, err, sizeof(err)), VIGIL_ERR_TOOBIG);
	free(z.p);
	/* A damaged copy of a good one. */
	d = sample();
	z = written(d);
	docx_free(d);
	d = NULL;
	for (size_t i = 40; i < 60 && i < z.len; i++)
		z.p[i] ^= 0x55;
	assert_int_equal(docx_open(z.p, z.len, &d, err, sizeof(err)), VIGIL_ERR_INVAL);
	buf_free(&z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_and_fill),
	    cmocka_unit_test(test_fill_errors),
	    cmocka_unit_test(test_hostile_zips),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	chart_cleanup();
	return rc;
}
