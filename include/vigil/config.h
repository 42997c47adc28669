/*
 * Table-driven INI configuration. Each key has a name, a type, a default, a
 * range and the field it sets; errors read "file:line: message".
 *
 *   # comment            ; comment
 *   [agent]              a section
 *   [source auth]        a labelled section (may repeat with other labels)
 *   key = value          value: rest of line, trimmed; "..." quotes allowed
 *
 * Comments start a line; elsewhere # is part of the value. A bare number as a
 * duration is seconds. Labels are 1..128 characters of [A-Za-z0-9_.-].
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum cfg_type {
	CFG_STRING,    /* char[len] */
	CFG_PATH,      /* char[len]; must be absolute */
	CFG_INT,       /* long long, within [min, max] */
	CFG_BOOL,      /* int: yes/no, true/false, on/off, 1/0 */
	CFG_DURATION,  /* long long milliseconds: "500ms", "30s", "5m", "2h", "7d"; [min, max] in ms */
	CFG_SIZE,      /* long long bytes: "4096", "64k", "1M", "2G"; [min, max] */
	CFG_SECRET,    /* char[len], as CFG_STRING; cfg_print() shows "********" */
	/*
	 * A key that is no longer used: accepted with any value, so that an
	 * existing file keeps loading, but ignored (no field), never printed,
	 * and reported as a warning whose reason is the key's help.
	 */
	CFG_RETIRED,
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *def;      /* default, as it would be written; NULL: none */
	long long min, max;   /* for INT, DURATION, SIZE; min == max == 0: no range */
	size_t off;           /* offsetof the field in the section struct */
	size_t len;           /* STRING, PATH: sizeof the char array */
	int required;         /* must be given when the section is present */
	const char *help;     /* one line, printed by -nv as a comment */
};

struct cfg_section {
	const char *name;
	int labelled;                         /* "[name LABEL]", may repeat */
	const struct cfg_key *keys;           /* terminated by { NULL } */
	size_t off;                           /* unlabelled: offsetof the struct in conf */
	/* labelled: room for one more section labelled `label`; NULL when full */
	void *(*add)(void *conf, const char *label);
	/* labelled: the i-th section and its label, NULL past the end (for -nv) */
	void *(*get)(const void *conf, size_t i, const char **label);
	int required;                         /* the section must appear */
};

/* Set every key of every unlabelled section to its default. */
void cfg_defaults(const struct cfg_section *secs, void *conf);

/*
 * Apply defaults, then read path. Errors: unknown section or key, duplicate
 * key in one section, duplicate label, a missing "=", a bad or out-of-range
 * value, a relative path, a missing required key or section, a line over 4096
 * bytes. On error returns VIGIL_ERR_CONFIG (or VIGIL_ERR_SYS if the file cannot
 * be read) and writes "file:line: message" (or "file: message") to err.
 * Labelled sections get their defaults when add() returns them.
 */
int cfg_load(const char *path, const struct cfg_section *secs, void *conf, char *err,
    size_t errlen);

/* A warning, "file:line: warning: message", for the caller to show. */
typedef void (*cfg_warn_fn)(void *arg, const char *msg);

/* cfg_load(), handing each warning (a retired key) to warn(arg, ...); NULL drops them. */
int cfg_load_warn(const char *path, const struct cfg_section *secs, void *conf, char *err,
    size_t errlen, cfg_warn_fn warn, void *arg);

/* Print the effective configuration in the same syntax, for -nv. */
void cfg_print(FILE *fp, const struct cfg_section *secs, const void *conf);

#endif
