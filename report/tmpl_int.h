/*
 * What the parts of the template engine share (tmpl.c parses, tmpl_render.c
 * fills, tmpl_escape.c writes values out): the parsed tree. Not for use
 * outside report/tmpl*.c.
 */
#ifndef VIGIL_REPORT_TMPL_INT_H
#define VIGIL_REPORT_TMPL_INT_H

#include <stddef.h>

#include "tmpl.h"

#define TAG_MAX 1024     /* bytes between {{ and }} */
#define PATH_MAX_LEN 256 /* bytes of one field path */
#define FILTERS_MAX 8    /* filters on one field */

enum ntype { N_TEXT, N_VAR, N_EACH, N_IF, N_UNLESS, N_IMAGE };

enum ftype {
	F_DATE,
	F_TIME,
	F_DATETIME,
	F_DAY,
	F_MONTH,
	F_YEAR,
	F_UPPER,
	F_NUMBER,
	F_DURATION,
	F_COUNT,
	F_JOIN,
	F_CHECK,
	F_CHECKED,
	F_DEFAULT,
};

struct filter {
	enum ftype type;
	char *arg;  /* string argument, or NULL */
	int digits; /* number: decimals, -1 when not given */
};

struct node {
	enum ntype type;
	size_t off, len; /* TEXT: the piece of text; others: the tag's source, for messages */
	char *path;      /* VAR, EACH, IF, UNLESS, IMAGE */
	char *kind;      /* IMAGE */
	int optional;    /* VAR: "?" */
	struct filter *filters;
	size_t nfilters;
	struct node *body, *alt; /* blocks: the body and the else branch */
	size_t nbody, nalt;
};

struct tmpl {
	struct tmpl_limits lim;
	char *text;
	size_t len;
	struct node *nodes;
	size_t n;
};

#endif
