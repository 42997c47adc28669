/* chart: the summary's bar chart as a PNG (cairo, pango), and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"

#include "../../report/chart.h"

static int
draw(const char *json, struct buf *png, char *err, size_t errlen)
{
	struct value_doc *doc = NULL;
	int rc;

	assert_int_equal(value_parse(json, strlen(json), NULL, &doc, err, errlen), 0);
	rc = chart_png(value_root(doc), png, err, errlen);
	value_doc_free(doc);
	return rc;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
test_png(void **state)
{
	struct buf png;
	char err[256], json[20000];
	size_t n;

	buf_init(&png, 8 << 20);
	assert_int_equal(
	    draw("{\"title\":\"Tỷ lệ máy tuân thủ theo ngày (%)\",\"unit\":\"%\",\"max\":100,"
	         "\"target\":100,\"bars\":[{\"label\":\"Thứ Hai\",\"value\":92.5},"
	         "{\"label\":\"Đêm\",\"value\":100},{\"value\":0}]}",
	         &png, err, sizeof(err)),
	    0);
	assert_true(png.len > 1000);
	assert_memory_equal(png.p, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal(be32((const unsigned char *)png.p + 16), CHART_WIDTH_PX);
	assert_int_equal(be32((const unsigned char *)png.p + 20), CHART_HEIGHT_PX);
	/* A month of bars, labels slanted, no values written. */
	n = (size_t)snprintf(json, sizeof(json), "{\"bars\":[");
	for (int i = 1; i <= 31; i++)
		n += (size_t)snprintf(json + n, sizeof(json) - n,
		                      "%s{\"label\":\"%02d\",\"value\":%d}", i > 1 ? "," : "", i,
		                      60 + i);
	snprintf(json + n, sizeof(json) - n, "]}");
	buf_reset(&png);
	assert_int_equal(draw(json, &png, err, sizeof(err)), 0);
	buf_free(&png);
}

static void
test_refused(void **state)
{
	static const struct {
		const char *json, *says;
	} bad[] = {
	    {"[]", "needs an object"},
	    {"{\"bars\":{}}", "needs an object with a list"},
	    {"{\"bars\":[{\"label\":\"a\"}]}", "bar 1 of the chart"},
	    {"{\"bars\":[{\"value\":1},{\"value\":\"2\"}]}", "bar 2 of the chart"},
	};
	struct buf png;
	char err[256], *json;
	size_t n;

	buf_init(&png, 8 << 20);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(draw(bad[i].json, &png, err, sizeof(err)), VIGIL_ERR_INVAL);
		assert_non_null(strstr(err, bad[i].says));
	}
	json = malloc(30 * (CHART_MAX_BARS + 2));
	n = (size_t)sprintf(json, "{\"bars\":[");
	for (int i = 0; i <= CHART_MAX_BARS; i++)
		n += (size_t)sprintf(json + n, "%s{\"value\":%d}", i ? "," : "", i);
	sprintf(json + n, "]}");
	assert_int_equal(draw(json, &png, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "more than 400 bars"));
	free(json);
	/* The PNG's own cap. */
	buf_free(&png);
	buf_init(&png, 100);
	assert_int_not_equal(draw("{\"bars\":[{\"value\":1}]}", &png, err, sizeof(err)), 0);
	buf_free(&png);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_png),
	    cmocka_unit_test(test_refused),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	chart_cleanup();
	return rc;
}
