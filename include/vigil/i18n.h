/*
 * i18n.c: text for people goes through GNU gettext's catalogs. Sources mark
 * each sentence for translation, xgettext collects them into a template,
 * po/vi.po and po/en.po translate them, msgfmt compiles the catalogs at build
 * time and the build embeds them in libvigil, so that every program, test and
 * fuzz target has them without installing a file (make check-catalogs fails
 * when a marked sentence has no Vietnamese entry).
 *
 *   log_info(_("%zu rules loaded."), n);        translated where it is used
 *   static const char *const x = N_("...");     marked, translated later: _(x)
 *   i18n_text_in("vi", N_("Severity:"))         in a language of its own
 *                                               (a notification's contact)
 *   i18n_ntext("%zu source", "%zu sources", n)  with a plural
 *
 * How a program picks its language: a daemon from its configuration
 * (vigil-agent: [agent] language), a command-line tool from its environment
 * as gettext programs do (i18n_env_language(): LANGUAGE, LC_ALL,
 * LC_MESSAGES, LANG); either then calls i18n_set_language(). Until then, and
 * for a language without a catalog, a program speaks English, the language
 * of the sources: the msgid is the English text.
 *
 * The catalogs are read in place (GNU .mo format: sorted tables, found by
 * binary search); nothing is allocated and no locale needs to be installed,
 * which Debian's minimal systems do not have for Vietnamese, and which a
 * Windows build has no libintl for.
 */
#ifndef VIGIL_I18N_H
#define VIGIL_I18N_H

#include <stddef.h>

/* Marks a sentence for translation where it is written and translates it at once. */
#define _(s) i18n_text(s)
/* Marks a sentence for translation without translating it (tables, initialisers). */
#define N_(s) (s)

/*
 * msgid in the program's language; msgid itself when the catalog has no
 * entry. format_arg: a translated format string is checked against the
 * arguments as the English one is (and msgfmt --check holds the catalogs to
 * the same conversions).
 */
const char *i18n_text(const char *msgid) __attribute__((format_arg(1)));
/* The form of one/many for n in the program's language. */
const char *i18n_ntext(const char *one, const char *many, unsigned long n)
    __attribute__((format_arg(1), format_arg(2)));

/* The same in language lang ("vi", "en"; NULL or unknown: English). */
const char *i18n_text_in(const char *lang, const char *msgid) __attribute__((format_arg(2)));
const char *i18n_ntext_in(const char *lang, const char *one, const char *many, unsigned long n)
    __attribute__((format_arg(2), format_arg(3)));

/*
 * Speak lang from now on: 0, or VIGIL_ERR_NOTFOUND when there is no catalog
 * for it (then English). NULL or "" is English.
 */
int i18n_set_language(const char *lang);
/* The language spoken: "en" until i18n_set_language() chose another. */
const char *i18n_language(void);
/* Is there a catalog for lang? 1 or 0 ("en" always has one). */
int i18n_known(const char *lang);

/*
 * The language the environment asks for, as gettext reads it (the first of
 * LANGUAGE's list that has a catalog, else LC_ALL, LC_MESSAGES, LANG: "vi" of
 * "vi_VN.UTF-8"), or "en".
 */
const char *i18n_env_language(void);

/*
 * The catalog of lang, as tests and tools read it: how many sentences it has
 * (0: no catalog, or one that failed its checks), and the i-th in English.
 */
size_t i18n_entries(const char *lang);
const char *i18n_entry(const char *lang, size_t i);

/* ---- the catalogs, embedded by the build (build/gen/catalogs.c) ---------- */

struct i18n_catalog {
	const char *lang;                    /* "vi" */
	const unsigned char *mo;             /* msgfmt's output, as it is */
	size_t len;
};
extern const struct i18n_catalog i18n_catalogs[];   /* ends with lang NULL */

#endif
