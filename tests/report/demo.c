/*
 * report-demo: the report data the integration tests render, written as the
 * collector will write it (README, "Reports": "The data"):
 *
 *   report-demo summary [SEED]   a unit's November 2026 (tests/report/gen.h)
 *
 * The incidents the forms are filled from are scripted in
 * tests/data/reports/; this program makes the one document that is computed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/jsonw.h"

#include "gen.h"

static const char unit_json[] =
    "{\"name\":\"Ủy ban nhân dân phường Đông Hòa\",\"parent\":\"Ủy ban nhân dân thành phố "
    "Dĩ An\","
    "\"short\":\"UBND\",\"place\":\"Đông Hòa\",\"address\":\"Số 1 đường Nguyễn Huệ, phường Đông "
    "Hòa\","
    "\"head\":{\"name\":\"Nguyễn Thị Hằng\",\"position\":\"Chủ tịch\"},\"sign_for\":\"TM. ỦY BAN "
    "NHÂN DÂN\","
    "\"it_contact\":{\"name\":\"Lê Quốc Việt\",\"position\":\"Công chức Văn phòng - Thống kê\","
    "\"phone\":\"0274 3 123 456\",\"email\":\"cntt@donghoa.gov.vn\"},"
    "\"recipients\":[{\"name\":\"Ban Thường vụ Đảng ủy phường\"},{\"name\":\"Ủy ban Kiểm tra Đảng "
    "ủy phường\"}]}";
static const char document_json[] = "{\"number\":\"27\",\"date\":\"2026-12-05\"}";
static const char fields_json[] =
    "{\"assessment\":\"Tỷ lệ máy đáp ứng yêu cầu còn thấp do ba máy chưa được khắc "
    "phục.\","
    "\"proposals\":\"Thay ổ cứng máy pc-04 và cài lại phần mềm diệt virus cho máy pc-18, "
    "pc-31.\"}";

int
main(int argc, char *argv[])
{
	struct summary s;
	struct gen g;
	struct jsonw w;
	struct buf b;

	if (argc < 2 || strcmp(argv[1], "summary") != 0) {
		fprintf(stderr, "usage: report-demo summary [SEED]\n");
		return 2;
	}
	gen_month(&g, argc > 2 ? strtoull(argv[2], NULL, 10) : 1, 0);
	if (summary_compute(&g.in, &s) != 0) {
		fprintf(stderr, "report-demo: summary_compute failed\n");
		return 1;
	}
	buf_init(&b, 1u << 22);
	jsonw_buf(&w, &b);
	jsonw_object(&w, NULL);
	jsonw_raw(&w, "unit", unit_json);
	jsonw_raw(&w, "document", document_json);
	jsonw_raw(&w, "fields", fields_json);
	if (summary_json(&s, &g.in, "Tháng 11/2026", g.units, &w) != 0 || buf_error(&b) != 0) {
		fprintf(stderr, "report-demo: summary_json failed\n");
		return 1;
	}
	jsonw_end(&w);
	buf_str(&b, "\n");
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
	summary_free(&s);
	return 0;
}
