/*
 * ini.c: the one reader of Vigil's INI files, the daemons' configurations
 * (config.c) and the agent's rule files (rules.c) alike. It splits a file
 * into items and checks what every INI file must be; what a section or a key
 * means, and whether reading goes on after a mistake, is the caller's.
 *
 *   # comment            ; comment           (only at the start of a line)
 *   [name]               [name label]        a section, with its label
 *   key = value          the rest of the line, trimmed; "..." quoted values
 *                        with \" and \\ are unquoted by ini_unquote()
 *
 * Lines are at most INI_LINE_MAX bytes and hold no NUL byte; the reader says
 * so and goes on with the next line.
 */
#ifndef VIGIL_INI_H
#define VIGIL_INI_H

#include <stddef.h>
#include <stdio.h>

#define INI_LINE_MAX 4096

enum ini_what {
	INI_END = 0,        /* no more lines */
	INI_SECTION,        /* name, label ("" when none) */
	INI_KEY,            /* name (maybe ""), value (maybe quoted) */
	INI_ERROR,          /* error, why */
};

enum ini_error {
	INI_ERR_READ = 1,   /* the file cannot be read (errno); INI_END follows */
	INI_ERR_LONG,       /* a line longer than INI_LINE_MAX */
	INI_ERR_NUL,        /* a line holding a NUL byte */
	INI_ERR_HEADER,     /* "[..." without its closing ']' */
	INI_ERR_NOEQ,       /* neither a section nor "key = value" */
};

struct ini_item {
	enum ini_what what;
	unsigned line;           /* its line number, from 1 */
	char *name;              /* SECTION, KEY: inside the reader, until the next item */
	char *label;
	char *value;
	const char *text;        /* the line as read, trimmed (not for LONG, NUL, READ) */
	enum ini_error error;
	const char *why;         /* ERROR: a sentence without the place ("line contains...") */
};

/* A reader of one file or text; all its memory is inside. */
struct ini {
	FILE *fp;                /* or */
	const char *src;
	size_t srclen, pos;
	unsigned line;
	int done;
	char buf[INI_LINE_MAX + 1];
	char copy[INI_LINE_MAX + 1];
};

/* Read from fp (borrowed), or from text[0..len) (borrowed, any bytes). */
void ini_file(struct ini *r, FILE *fp);
void ini_text(struct ini *r, const char *text, size_t len);

/* The next item into *it; returns it->what. Comments and blank lines are skipped. */
enum ini_what ini_next(struct ini *r, struct ini_item *it);

/*
 * Remove the quotes of a value that starts with '"' and the escapes inside,
 * in place. Returns 0, or -1 with a sentence in *why.
 */
int ini_unquote(char *v, const char **why);

/* yes/true/on/1 and no/false/off/0, in any case: 0 with *out set, or -1. */
int ini_bool(const char *v, int *out);

#endif
