/*
 * The INI reader (see ini.h). A line is read whole into the reader's buffer
 * (the rest of an overlong one is skipped, not stored), trimmed, and split in
 * place; the item's strings point into that buffer. Nothing is allocated,
 * so a reader can live on the stack of whoever reads a file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vigil/ini.h"
#include "vigil/text.h"

void
ini_file(struct ini *r, FILE *fp)
{
	memset(r, 0, offsetof(struct ini, buf));
	r->fp = fp;
	r->buf[0] = r->copy[0] = '\0';
}

void
ini_text(struct ini *r, const char *text, size_t len)
{
	memset(r, 0, offsetof(struct ini, buf));
	r->src = text;
	r->srclen = len;
	r->buf[0] = r->copy[0] = '\0';
}

/* The next byte, or EOF at the end of the text or the file. */
static int
next_byte(struct ini *r)
{
	if (r->fp != NULL)
		return getc(r->fp);
	if (r->pos >= r->srclen)
		return EOF;
	return (unsigned char)r->src[r->pos++];
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static enum ini_what
error(struct ini_item *it, enum ini_error e, const char *why)
{
	it->what = INI_ERROR;
	it->error = e;
	it->why = why;
	return INI_ERROR;
}

/* A section header, "[name label]", in place. */
static enum ini_what
section(struct ini_item *it, char *line)
{
	char *end = line + strlen(line) - 1, *name, *label;

	if (*end != ']')
		return error(it, INI_ERR_HEADER, "section header does not end with ']'");
	*end = '\0';
	name = trim(line + 1);
	label = name + strcspn(name, " \t");
	if (*label != '\0') {
		*label++ = '\0';
		label = trim(label);
	}
	it->what = INI_SECTION;
	it->name = name;
	it->label = label;
	return INI_SECTION;
}

enum ini_what
ini_next(struct ini *r, struct ini_item *it)
{
	char *line, *eq;
	size_t len;
	int c, nul;

	memset(it, 0, sizeof(*it));
	for (;;) {
		if (r->done)
			return INI_END;
		len = 0;
		nul = 0;
		while ((c = next_byte(r)) != EOF && c != '\n') {
			if (c == '\0')
				nul = 1;
			if (len < INI_LINE_MAX)
				r->buf[len] = (char)c;
			len++;
		}
		if (r->fp != NULL && ferror(r->fp)) {
			r->done = 1;
			it->line = r->line;
			return error(it, INI_ERR_READ, strerror(errno));
		}
		if (c == EOF && len == 0) {
			r->done = 1;
			return INI_END;
		}
		it->line = ++r->line;
		if (len > INI_LINE_MAX)
			return error(it, INI_ERR_LONG, "line is longer than 4096 bytes");
		if (nul)
			return error(it, INI_ERR_NUL, "line contains a NUL byte");
		r->buf[len] = '\0';
		line = trim(r->buf);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		memcpy(r->copy, line, strlen(line) + 1);
		it->text = r->copy;
		if (*line == '[')
			return section(it, line);
		if ((eq = strchr(line, '=')) == NULL)
			return error(it, INI_ERR_NOEQ, "expected 'key = value'");
		*eq = '\0';
		it->what = INI_KEY;
		it->name = trim(line);
		it->value = trim(eq + 1);
		return INI_KEY;
	}
}

int
ini_unquote(char *v, const char **why)
{
	char *r = v + 1, *w = v;

	for (; *r != '"'; r++) {
		if (*r == '\0') {
			*why = "quoted value has no closing '\"'";
			return -1;
		}
		if (*r == '\\') {
			r++;
			if (*r != '"' && *r != '\\') {
				*why = "only \\\" and \\\\ may follow a backslash in a quoted value";
				return -1;
			}
		}
		*w++ = *r;
	}
	if (r[1] != '\0') {
		*why = "text after the closing '\"' of a quoted value";
		return -1;
	}
	*w = '\0';
	return 0;
}

int
ini_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (text_same_word(v, yes[i])) {
			*out = 1;
			return 0;
		}
		if (text_same_word(v, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}
