/* dir.c (the Linux platform's): the names of a folder, filtered and in byte order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil/dir.h"
#include "vigil/err.h"

static void
touch(const char *dir, const char *name)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
}

static void
test_names(void **state)
{
	char dir[] = "/tmp/vigil-test-dir.XXXXXX", cmd[600];
	char **names;
	size_t n;

	assert_non_null(mkdtemp(dir));
	touch(dir, "b.rules");
	touch(dir, "Z.rules");          /* byte order: 'Z' before 'a' */
	touch(dir, "a.rules");
	touch(dir, ".hidden.rules");
	touch(dir, "notes.txt");
	touch(dir, ".rules");
	assert_int_equal(dir_names(dir, ".rules", &names, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "Z.rules");
	assert_string_equal(names[1], "a.rules");
	assert_string_equal(names[2], "b.rules");
	dir_names_free(names, n);

	snprintf(cmd, sizeof(cmd), "%s/none", dir);
	assert_int_equal(dir_names(cmd, ".rules", &names, &n), VIGIL_ERR_NOTFOUND);
	assert_int_equal(n, 0);
	for (n = 0; n < 6; n++) {
		static const char *const all[] = { "b.rules", "Z.rules", "a.rules",
		    ".hidden.rules", "notes.txt", ".rules" };

		snprintf(cmd, sizeof(cmd), "%s/%s", dir, all[n]);
		assert_int_equal(unlink(cmd), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
