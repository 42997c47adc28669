/*
 * How values are written into a report: escaped for WordprocessingML text,
 * HTML or CSV, and put in upper case the Vietnamese way. See tmpl.h.
 */
#include <stdint.h>
#include <string.h>

#include "tmpl.h"

/* ---- escapers ---- */

int
tmpl_escape_wordml(void *arg, struct buf *out, const char *s, size_t n, int number)
{
	static const char brk[] = "</w:t><w:br/><w:t xml:space=\"preserve\">";
	static const char tab[] = "</w:t><w:tab/><w:t xml:space=\"preserve\">";
	size_t i, from = 0;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		size_t skip = 1;

		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '\n')
			rep = brk;
		else if (c == '\t')
			rep = tab;
		else if (c < 0x20 || c == 0x7f)
			rep = ""; /* not allowed in XML 1.0 */
		else if (c == 0xef && i + 2 < n && (unsigned char)s[i + 1] == 0xbf &&
		         ((unsigned char)s[i + 2] == 0xbe || (unsigned char)s[i + 2] == 0xbf)) {
			rep = ""; /* U+FFFE, U+FFFF: not characters XML allows */
			skip = 3;
		}
		if (rep == NULL)
			continue;
		if ((rc = buf_add(out, s + from, i - from)) == 0)
			rc = buf_str(out, rep);
		i += skip - 1;
		from = i + 1;
	}
	return rc != 0 ? rc : buf_add(out, s + from, n - from);
}

int
tmpl_escape_html(void *arg, struct buf *out, const char *s, size_t n, int number)
{
	size_t i, from = 0;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		const char *rep;

		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\n':
			rep = "<br>";
			break;
		default:
			continue;
		}
		if ((rc = buf_add(out, s + from, i - from)) == 0)
			rc = buf_str(out, rep);
		from = i + 1;
	}
	return rc != 0 ? rc : buf_add(out, s + from, n - from);
}

/*
 * A CSV field: numbers bare, text quoted. Text that a spreadsheet would take
 * for a formula (= + - @, a tab or CR first) gets a leading apostrophe, so a
 * hostile host name cannot run a formula in the Standing Committee's Excel.
 */
int
tmpl_escape_csv(void *arg, struct buf *out, const char *s, size_t n, int number)
{
	int rc;

	if (number)
		return buf_add(out, s, n);
	if ((rc = buf_add(out, "\"", 1)) != 0)
		return rc;
	if (n > 0 && strchr("=+-@\t\r", s[0]) != NULL && (rc = buf_add(out, "'", 1)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = buf_add(out, s + i, 1)) != 0 ||
		    (s[i] == '"' && (rc = buf_add(out, "\"", 1)) != 0))
			return rc;
	return buf_add(out, "\"", 1);
}

int
tmpl_escape_none(void *arg, struct buf *out, const char *s, size_t n, int number)
{
	return buf_add(out, s, n);
}

/* The upper case of one code point, for the scripts Vietnamese documents use. */
static uint32_t
upper_cp(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return c - 32;
	if (c >= 0x100 && c <= 0x137)
		return c & ~1u;
	if (c >= 0x139 && c <= 0x148)
		return (c & 1) ? c : c - 1;
	if (c >= 0x14a && c <= 0x177)
		return c & ~1u;
	if (c >= 0x179 && c <= 0x17e)
		return (c & 1) ? c : c - 1;
	if (c == 0x1a1 || c == 0x1b0) /* ơ ư */
		return c - 1;
	if (c >= 0x1ea0 && c <= 0x1ef9) /* the Vietnamese letters with tone marks */
		return c & ~1u;
	return c;
}

int
tmpl_upper(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int rc;

	while (i < n) {
		uint32_t c;
		size_t k;
		char u[4];

		if (p[i] < 0x80) {
			c = p[i];
			k = 1;
		} else if ((p[i] & 0xe0) == 0xc0 && i + 1 < n) {
			c = (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f);
			k = 2;
		} else if ((p[i] & 0xf0) == 0xe0 && i + 2 < n) {
			c = (uint32_t)(p[i] & 0x0f) << 12 | (uint32_t)(p[i + 1] & 0x3f) << 6 |
			    (p[i + 2] & 0x3f);
			k = 3;
		} else { /* four-byte sequences have no case here: copied as they are */
			k = (p[i] & 0xf8) == 0xf0 && i + 3 < n ? 4 : 1;
			if ((rc = buf_add(out, s + i, k)) != 0)
				return rc;
			i += k;
			continue;
		}
		c = upper_cp(c);
		if (c < 0x80) {
			u[0] = (char)c;
			rc = buf_add(out, u, 1);
		} else if (c < 0x800) {
			u[0] = (char)(0xc0 | c >> 6);
			u[1] = (char)(0x80 | (c & 0x3f));
			rc = buf_add(out, u, 2);
		} else {
			u[0] = (char)(0xe0 | c >> 12);
			u[1] = (char)(0x80 | (c >> 6 & 0x3f));
			u[2] = (char)(0x80 | (c & 0x3f));
			rc = buf_add(out, u, 3);
		}
		if (rc != 0)
			return rc;
		i += k;
	}
	return 0;
}
