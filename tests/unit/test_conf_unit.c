/* collector/conf_unit.c: the unit profile in the collector's configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil/err.h"

#include "../../collector/conf.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-confunit.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/collector.conf", dir);
	return 0;
}

static int
teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static int
load(const char *text, struct conf *c, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	memset(c, 0, sizeof(*c));
	return conf_load(path, c, err, errlen);
}

static const char full[] =
    "[collector]\n"
    "[unit]\n"
    "name = Ủy ban nhân dân phường Đông Hòa\n"
    "parent = Ủy ban nhân dân thành phố Dĩ An\n"
    "short = UBND\n"
    "place = Đông Hòa\n"
    "address = Số 1 đường Nguyễn Huệ\n"
    "head_name = Nguyễn Thị Hằng\n"
    "head_position = Chủ tịch\n"
    "it_name = Lê Quốc Việt\n"
    "it_position = Công chức\n"
    "it_phone = +84 274 3123 456\n"
    "it_email = cntt@donghoa.gov.vn\n"
    "format = party\n"
    "[system qlvb]\n"
    "name = Quản lý văn bản\n"
    "level = 2\n"
    "[system lan]\n"
    "name = Mạng LAN\n"
    "level = 1\n"
    "[recipient police]\n"
    "name = Công an phường\n";

static void
test_profile(void **state)
{
	struct conf c;
	char err[512];
	const char *p = NULL, *k = NULL;

	assert_int_equal(load(full, &c, err, sizeof(err)), 0);
	assert_string_equal(c.unit.name, "Ủy ban nhân dân phường Đông Hòa");
	assert_string_equal(c.unit.format, "party");
	assert_int_equal(c.unit.nsystems, 2);
	assert_string_equal(c.unit.systems[1].name, "Mạng LAN");
	assert_int_equal(c.unit.systems[0].level, 2);
	assert_int_equal(c.unit.nrecipients, 1);
	assert_int_equal(conf_unit_missing(&c.unit, &p, &k), 0);
	/* Loading again does not keep the systems of the first load. */
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.unit.nsystems, 2);
}

static void
test_missing(void **state)
{
	struct conf c;
	char err[512];
	const char *p = NULL, *k = NULL;

	assert_int_equal(load("[collector]\n[unit]\nname = UBND phường\nparent = UBND thành phố\n"
	    "short = UBND\nplace = Đông Hòa\naddress = Số 1\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.unit.format, "state");
	assert_int_equal(conf_unit_missing(&c.unit, &p, &k), 1);
	assert_string_equal(p, "unit.head.name");
	assert_string_equal(k, "[unit] head_name");
	/* No unit at all: the first field is named. */
	assert_int_equal(load("[collector]\n", &c, err, sizeof(err)), 0);
	assert_int_equal(conf_unit_missing(&c.unit, &p, &k), 1);
	assert_string_equal(p, "unit.name");
}

static void
expect(const char *text, int line, const char *what)
{
	struct conf c;
	char err[512], prefix[200];

	assert_int_equal(load(text, &c, err, sizeof(err)), VIGIL_ERR_CONFIG);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, what) == NULL)
		fail_msg("got \"%s\", want \"%s...%s\"", err, prefix, what);
}

static void
test_errors(void **state)
{
	expect("[collector]\n[unit]\nformat = nhà nước\n", 3, "must be state");
	expect("[collector]\n[unit]\n\nit_email = a@b\n", 4, "not an e-mail");
	expect("[collector]\n[unit]\nit_email = a b@c.vn\n", 3, "not an e-mail");
	expect("[collector]\n[unit]\nit_phone = 12345\n", 3, "not a telephone");
	expect("[collector]\n[unit]\nit_phone = 0274-abc\n", 3, "not a telephone");
	expect("[collector]\n[system a]\nname = X\nlevel = 0\n", 4, "between 1 and 5");
	expect("[collector]\n[system a]\nname = X\nlevel = 6\n", 4, "between 1 and 5");
	expect("[collector]\n[recipient a]\nname = X\nemail = x@y\n", 4, "not an e-mail");
	expect("[collector]\n[report]\nholidays = holidays.conf\n", 3, "absolute");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
