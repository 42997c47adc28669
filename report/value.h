/*
 * The data a report is filled from: one JSON document (the unit profile, the
 * incident or the period, what the operator added) read into a tree. Unlike
 * libvigil's json.h, which reads the control protocol's flat lines, this
 * reader takes arrays and nesting, because a report lists machines, events
 * and actions.
 *
 * The document comes from another process and is treated as hostile: its
 * size, nesting, node count and string lengths are capped (struct
 * value_limits), strings must be valid UTF-8 without NUL (\u0000 and lone
 * surrogates are refused), duplicate keys are refused, and numbers must be
 * finite. Every pointer in the tree lives until value_doc_free().
 */
#ifndef VIGIL_REPORT_VALUE_H
#define VIGIL_REPORT_VALUE_H

#include <stddef.h>

enum value_type {
	VALUE_NULL,
	VALUE_BOOL,
	VALUE_NUMBER,
	VALUE_STRING,
	VALUE_ARRAY,
	VALUE_OBJECT,
};

struct value {
	enum value_type type;
	const char *key; /* the member's name when in an object, else NULL */
	/*
	 * STRING: the decoded text; NUMBER: its literal ("-1.5e3"); BOOL:
	 * "true"/"false"; NULL: "null"; ARRAY, OBJECT: "".
	 */
	const char *str;
	size_t len;          /* strlen(str) */
	double num;          /* NUMBER */
	struct value *items; /* ARRAY: elements; OBJECT: members, in input order */
	size_t n;
};

struct value_limits {
	size_t max_input;  /* bytes of the document */
	size_t max_depth;  /* nesting of arrays and objects */
	size_t max_nodes;  /* values in the whole tree */
	size_t max_string; /* bytes of one decoded string */
};

/* 8 MiB, depth 32, 500,000 values, 1 MiB strings. */
extern const struct value_limits value_default_limits;

struct value_doc;

/*
 * Parse s[0..len) into *out. lim NULL means value_default_limits. Returns 0,
 * VIGIL_ERR_TOOBIG (a limit; err names it), VIGIL_ERR_NOMEM, or
 * VIGIL_ERR_INVAL with "line L, column C: what is wrong" in err.
 */
int value_parse(const char *s, size_t len, const struct value_limits *lim, struct value_doc **out,
                char *err, size_t errlen);
void value_doc_free(struct value_doc *doc);
const struct value *value_root(const struct value_doc *doc);

/* The member named key of an object, or NULL (also when v is not an object). */
const struct value *value_get(const struct value *v, const char *key);

/*
 * Follow a dotted path from v: "unit.head.name", "machines.0.name" (a number
 * indexes an array). Returns NULL when any step is missing.
 */
const struct value *value_path(const struct value *v, const char *path);

/* False for null, false, 0, "", [] and {}; true otherwise. */
int value_truthy(const struct value *v);

#endif
