/*
 * Translations from the embedded GNU .mo catalogs (see i18n.h). A catalog is
 * checked once, the first time it is used: its header, and that every string
 * it points to lies inside it and ends with a NUL; a catalog that fails is
 * not used, and its program speaks English rather than read out of bounds.
 * Lookups are a binary search of the sorted original strings, as msgfmt
 * sorts them (byte order).
 *
 * Plural forms: the header's Plural-Forms is read for the two shapes our
 * languages have, "nplurals=1; plural=0;" (Vietnamese) and nplurals=2 with
 * "n != 1" (English) or "n > 1"; any other falls back to English's rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/i18n.h"

#define MO_MAGIC 0x950412deu
#define MO_HEADER 28

enum plural { PLURAL_ENGLISH, PLURAL_ONE, PLURAL_GT1 };

struct cat {
	const struct i18n_catalog *src;
	int checked;            /* 1 good, -1 refused */
	int big;                /* written by a big-endian msgfmt */
	uint32_t n, orig, trans;
	enum plural plural;
};

/* One entry per embedded catalog, filled on first use. */
#define MAX_CATALOGS 16
static struct cat cats[MAX_CATALOGS];
static const char *current = "en";

/* msgfmt writes its machine's byte order; the magic says which. */
static uint32_t
u32(const struct cat *c, const unsigned char *p)
{
	if (c->big)
		return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[0] << 24;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The i-th string of the table at off: NULL unless it lies whole in the catalog. */
static const char *
string_at(const struct cat *c, uint32_t table, uint32_t i, size_t *len)
{
	const unsigned char *mo = c->src->mo;
	uint64_t at = (uint64_t)table + (uint64_t)i * 8;
	uint32_t n, off;

	if (at + 8 > c->src->len)
		return NULL;
	n = u32(c, mo + at);
	off = u32(c, mo + at + 4);
	if ((uint64_t)off + n + 1 > c->src->len || mo[off + n] != '\0')
		return NULL;
	if (len != NULL)
		*len = n;
	return (const char *)mo + off;
}

static void
read_plural(struct cat *c)
{
	const char *h = string_at(c, c->trans, 0, NULL), *p;

	c->plural = PLURAL_ENGLISH;
	if (h == NULL || (p = strstr(h, "Plural-Forms:")) == NULL)
		return;
	if (strstr(p, "nplurals=1") != NULL)
		c->plural = PLURAL_ONE;
	else if (strstr(p, "n > 1") != NULL || strstr(p, "n>1") != NULL)
		c->plural = PLURAL_GT1;
}

static int
check(struct cat *c)
{
	const unsigned char *mo = c->src->mo;
	const char *prev = NULL, *s;
	uint32_t i;

	if (c->checked != 0)
		return c->checked > 0;
	c->checked = -1;
	if (c->src->len < MO_HEADER)
		return 0;
	c->big = u32(c, mo) != MO_MAGIC;
	if (u32(c, mo) != MO_MAGIC || u32(c, mo + 4) != 0)
		return 0;
	c->n = u32(c, mo + 8);
	c->orig = u32(c, mo + 12);
	c->trans = u32(c, mo + 16);
	for (i = 0; i < c->n; i++) {
		if ((s = string_at(c, c->orig, i, NULL)) == NULL ||
		    string_at(c, c->trans, i, NULL) == NULL)
			return 0;
		/* The search needs them sorted; a catalog that is not is not used. */
		if (prev != NULL && strcmp(prev, s) >= 0)
			return 0;
		prev = s;
	}
	read_plural(c);
	c->checked = 1;
	return 1;
}

static struct cat *
catalog(const char *lang)
{
	size_t i;

	if (lang == NULL)
		return NULL;
	for (i = 0; i < MAX_CATALOGS && i18n_catalogs[i].lang != NULL; i++) {
		if (strcmp(i18n_catalogs[i].lang, lang) != 0)
			continue;
		cats[i].src = &i18n_catalogs[i];
		return check(&cats[i]) ? &cats[i] : NULL;
	}
	return NULL;
}

/* The translation of msgid in c (all its plural forms, NUL-separated), or NULL. */
static const char *
find(const struct cat *c, const char *msgid, size_t *len)
{
	uint32_t lo = 0, hi = c->n, mid;
	const char *s;
	int cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		s = string_at(c, c->orig, mid, NULL);
		if ((cmp = strcmp(msgid, s)) == 0) {
			s = string_at(c, c->trans, mid, len);
			/* An empty translation is no translation. */
			return s != NULL && *len > 0 ? s : NULL;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *
i18n_text_in(const char *lang, const char *msgid)
{
	struct cat *c;
	const char *t;
	size_t len;

	/* The empty msgid is the catalog's header, never a sentence. */
	if (msgid == NULL || msgid[0] == '\0' || (c = catalog(lang)) == NULL)
		return msgid;
	return (t = find(c, msgid, &len)) != NULL ? t : msgid;
}

const char *
i18n_ntext_in(const char *lang, const char *one, const char *many, unsigned long n)
{
	struct cat *c;
	const char *t, *end;
	size_t len, form, i;

	if (one == NULL || one[0] == '\0' || (c = catalog(lang)) == NULL ||
	    (t = find(c, one, &len)) == NULL)
		return n == 1 ? one : many;
	form = c->plural == PLURAL_ONE ? 0 : c->plural == PLURAL_GT1 ? n > 1 : n != 1;
	end = t + len;
	for (i = 0; i < form; i++) {
		t += strlen(t) + 1;
		if (t >= end)
			return n == 1 ? one : many;
	}
	return t;
}

const char *
i18n_text(const char *msgid)
{
	return i18n_text_in(current, msgid);
}

const char *
i18n_ntext(const char *one, const char *many, unsigned long n)
{
	return i18n_ntext_in(current, one, many, n);
}

int
i18n_known(const char *lang)
{
	return lang != NULL && (strcmp(lang, "en") == 0 || catalog(lang) != NULL);
}

int
i18n_set_language(const char *lang)
{
	size_t i;

	current = "en";
	if (lang == NULL || lang[0] == '\0')
		return 0;
	if (!i18n_known(lang))
		return VIGIL_ERR_NOTFOUND;
	/* The catalog's own string: lang may be the caller's buffer. */
	for (i = 0; i18n_catalogs[i].lang != NULL; i++)
		if (strcmp(i18n_catalogs[i].lang, lang) == 0)
			current = i18n_catalogs[i].lang;
	return 0;
}

const char *
i18n_language(void)
{
	return current;
}

/* "vi" of "vi_VN.UTF-8@x" into buf, if a catalog has it. */
static const char *
known_prefix(const char *v, char *buf, size_t len)
{
	size_t n = strcspn(v, "_.@:");

	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return i18n_known(buf) ? buf : NULL;
}

const char *
i18n_env_language(void)
{
	static char buf[16];
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *v, *p, *r;
	size_t i;

	/* gettext reads LANGUAGE only when the locale is not "C". */
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((v = getenv(vars[i])) != NULL && v[0] != '\0')
			break;
	if (v == NULL || strcmp(v, "C") == 0 || strcmp(v, "POSIX") == 0)
		return "en";
	if ((p = getenv("LANGUAGE")) != NULL) {
		while (*p != '\0') {
			if ((r = known_prefix(p, buf, sizeof(buf))) != NULL)
				return r;
			p += strcspn(p, ":");
			p += *p == ':';
		}
	}
	return (r = known_prefix(v, buf, sizeof(buf))) != NULL ? r : "en";
}

size_t
i18n_entries(const char *lang)
{
	struct cat *c = catalog(lang);

	return c != NULL ? c->n : 0;
}

const char *
i18n_entry(const char *lang, size_t i)
{
	struct cat *c = catalog(lang);

	return c != NULL && i < c->n ? string_at(c, c->orig, (uint32_t)i, NULL) : NULL;
}
