/*
 * i18n.c: the embedded catalogs (po/vi.po and po/en.po as msgfmt compiled
 * them), lookups in the program's language and in a language of one's own,
 * plurals, and the language an environment asks for.
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
#include "vigil/i18n.h"

static void
test_lookups(void **state)
{
	/* A notification's words, as po/vi.po has them. */
	assert_string_equal(i18n_text_in("vi", "HIGH"), "CAO");
	assert_string_equal(i18n_text_in("vi", "Data leak"), "Lộ lọt dữ liệu");
	assert_string_equal(i18n_text_in("en", "HIGH"), "HIGH");
	/* A sentence no catalog has is itself; so is any sentence of a language without one. */
	assert_string_equal(i18n_text_in("vi", "No catalog has this sentence."),
	    "No catalog has this sentence.");
	assert_string_equal(i18n_text_in("fr", "HIGH"), "HIGH");
	assert_string_equal(i18n_text_in(NULL, "HIGH"), "HIGH");
	/* The empty msgid is the catalog's header, never returned as a translation. */
	assert_string_equal(i18n_text_in("vi", ""), "");
	assert_null(i18n_text_in("vi", NULL));
}

static void
test_language(void **state)
{
	assert_string_equal(i18n_language(), "en");
	assert_string_equal(_("Data leak"), "Data leak");
	assert_int_equal(i18n_set_language("vi"), 0);
	assert_string_equal(i18n_language(), "vi");
	assert_string_equal(_("Data leak"), "Lộ lọt dữ liệu");
	/* A language without a catalog: English, and said so. */
	assert_int_equal(i18n_set_language("xx"), VIGIL_ERR_NOTFOUND);
	assert_string_equal(i18n_language(), "en");
	assert_string_equal(_("Data leak"), "Data leak");
	assert_int_equal(i18n_set_language(NULL), 0);
	assert_true(i18n_known("vi"));
	assert_true(i18n_known("en"));
	assert_false(i18n_known("de"));
	assert_false(i18n_known(NULL));
}

static void
test_plurals(void **state)
{
	const char *one = "%zu allow-list entry", *many = "%zu allow-list entries";

	/* English has two forms, Vietnamese one. */
	assert_string_equal(i18n_ntext_in("en", one, many, 1), one);
	assert_string_equal(i18n_ntext_in("en", one, many, 2), many);
	assert_string_equal(i18n_ntext_in("en", one, many, 0), many);
	assert_string_equal(i18n_ntext_in("vi", one, many, 1), "%zu mục trong danh sách cho phép");
	assert_string_equal(i18n_ntext_in("vi", one, many, 7), "%zu mục trong danh sách cho phép");
	/* Without an entry, English's rule. */
	assert_string_equal(i18n_ntext_in("vi", "a cat", "cats", 1), "a cat");
	assert_string_equal(i18n_ntext_in("vi", "a cat", "cats", 3), "cats");
}

static void
env(const char *language, const char *lc_all, const char *lc_messages, const char *lang)
{
	const char *names[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *values[] = { language, lc_all, lc_messages, lang };

	for (size_t i = 0; i < 4; i++) {
		if (values[i] != NULL)
			setenv(names[i], values[i], 1);
		else
			unsetenv(names[i]);
	}
}

static void
test_env_language(void **state)
{
	env(NULL, NULL, NULL, "vi_VN.UTF-8");
	assert_string_equal(i18n_env_language(), "vi");
	env(NULL, NULL, NULL, "fr_FR.UTF-8");
	assert_string_equal(i18n_env_language(), "en");
	/* LC_ALL before LC_MESSAGES before LANG. */
	env(NULL, "en_US.UTF-8", NULL, "vi_VN.UTF-8");
	assert_string_equal(i18n_env_language(), "en");
	env(NULL, NULL, "vi", "en_US.UTF-8");
	assert_string_equal(i18n_env_language(), "vi");
	/* LANGUAGE's list, first known first, but only when the locale is not C. */
	env("fr:vi:en", NULL, NULL, "en_US.UTF-8");
	assert_string_equal(i18n_env_language(), "vi");
	env("vi", "C", NULL, NULL);
	assert_string_equal(i18n_env_language(), "en");
	env(NULL, NULL, NULL, NULL);
	assert_string_equal(i18n_env_language(), "en");
}

/* Each catalog checks out, and every Vietnamese sentence has its English entry too. */
static void
test_catalogs(void **state)
{
	size_t n = i18n_entries("vi"), i;
	const char *id;

	assert_true(n > 200);
	assert_int_equal(i18n_entries("en"), n);
	assert_int_equal(i18n_entries("xx"), 0);
	for (i = 0; i < n; i++) {
		assert_non_null(id = i18n_entry("vi", i));
		assert_string_equal(id, i18n_entry("en", i));
	}
	assert_null(i18n_entry("vi", n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_plurals),
		cmocka_unit_test(test_env_language),
		cmocka_unit_test(test_catalogs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
