/* xmltok: the XML tokenizer under the DOCX layer, on good and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"

#include "../../report/xmltok.h"

/* The token types of s, one letter each: S E / T O, or the error. */
static int
kinds(const char *s, char *out, size_t outlen, char *err, size_t errlen)
{
	struct xml_reader r;
	struct xml_token t;
	size_t n = 0;
	int rc;

	xml_init(&r, s, strlen(s));
	for (;;) {
		if ((rc = xml_next(&r, &t)) != 0) {
			snprintf(err, errlen, "%s", r.err);
			out[n] = '\0';
			return rc;
		}
		if (t.type == XML_EOF)
			break;
		if (n + 1 < outlen)
			out[n++] = "SE/TO"[t.type];
	}
	out[n] = '\0';
	return 0;
}

static void
test_tokens(void **state)
{
	const char *doc =
	    "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<w:document a='1' b = \"x>y\">"
	    "<w:p><w:r><w:t xml:space=\"preserve\"> A &amp; B </w:t></w:r><w:br/></w:p>"
	    "<!-- note --><![CDATA[<raw>]]></w:document>\n";
	struct xml_reader r;
	struct xml_token t;
	char k[64], err[160];
	size_t vlen;
	const char *v;

	assert_int_equal(kinds(doc, k, sizeof(k), err, sizeof(err)), 0);
	assert_string_equal(k, "OTSSSST//E/OO/T"); /* S start, E empty, / end, T text, O other */
	xml_init(&r, doc, strlen(doc));
	do
		assert_int_equal(xml_next(&r, &t), 0);
	while (t.type != XML_START);
	assert_true(xml_is(&t, "w:document"));
	assert_int_equal(t.nattrs, 2);
	v = xml_attr(&t, "b", &vlen);
	assert_int_equal(vlen, 3);
	assert_memory_equal(v, "x>y", 3);
	assert_null(xml_attr(&t, "c", NULL));
	assert_int_equal(t.depth, 0);
}

static void
test_decode(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
	    {"a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;", "a & b <c> \"d\" 'e'"},
	    {"&#273;&#x1EA1;&#X110;", "đạĐ"},
	    {"&#0; &#xD800; &#x110000; &#12x;",
	     "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd"},
	    {"AT&T and &unknown; &", "AT&T and &unknown; &"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b;

		buf_init(&b, 256);
		assert_int_equal(xml_decode(&b, v[i].in, strlen(v[i].in)), 0);
		assert_string_equal(b.p, v[i].out);
		buf_free(&b);
	}
}

static void
test_refused(void **state)
{
	static const struct {
		const char *in, *says;
	} bad[] = {
	    {"", "no element"},
	    {"<a>", "never closed"},
	    {"<a></b>", "</b> does not close <a>"},
	    {"</a>", "end tag without its start"},
	    {"<a/><b/>", "second root"},
	    {"x<a/>", "text outside the root"},
	    {"<!DOCTYPE a [<!ENTITY x \"y\">]><a/>", "DOCTYPE"},
	    {"<a b=c/>", "not in quotes"},
	    {"<a b/>", "without '='"},
	    {"<a b=\"<\"/>", "'<' inside an attribute"},
	    {"<a><!-- open </a>", "unterminated comment"},
	    {"<a", "not closed"},
	    {"<>", "without a name"},
	    {"<a></a x=\"1\">", "end tag with attributes"},
	};
	char k[64], err[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_not_equal(kinds(bad[i].in, k, sizeof(k), err, sizeof(err)), 0);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("%s: said \"%s\", not \"%s\"", bad[i].in, err, bad[i].says);
	}
}

/* Deep nesting and many attributes stop at their limits. */
static void
test_limits(void **state)
{
	char *s = malloc(XML_MAX_DEPTH * 3 + 16), k[8], err[160];
	size_t n = 0;

	assert_non_null(s);
	for (int i = 0; i <= XML_MAX_DEPTH; i++)
		n += (size_t)sprintf(s + n, "<a>");
	assert_int_equal(kinds(s, k, sizeof(k), err, sizeof(err)), VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(err, "nested deeper"));
	free(s);
	s = malloc(XML_MAX_ATTRS * 8 + 16);
	assert_non_null(s);
	n = (size_t)sprintf(s, "<a");
	for (int i = 0; i <= XML_MAX_ATTRS; i++)
		n += (size_t)sprintf(s + n, " a%d=''", i);
	sprintf(s + n, "/>");
	assert_int_equal(kinds(s, k, sizeof(k), err, sizeof(err)), VIGIL_ERR_TOOBIG);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
