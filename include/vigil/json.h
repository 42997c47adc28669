/*
 * A small, strict JSON reader for the control protocol's response lines
 * (ctl.h): one object whose values are strings, numbers, booleans, null, or
 * one level of nested object holding such scalars ("fields", "counters").
 * Arrays, deeper nesting, duplicate keys, raw control characters, invalid
 * UTF-8, lone surrogates and \u0000 are refused. Strings are decoded to
 * NUL-terminated UTF-8.
 */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H

#include <stddef.h>

#define JSON_MAX_INPUT (1u << 20) /* bytes in one object (one response line) */
#define JSON_MAX_MEMBERS 4096     /* members in one object, nested ones included */

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_OBJECT,
};

struct json_member {
	const char *key; /* decoded, NUL-terminated */
	enum json_type type;
	/*
	 * STRING: the decoded text; NUMBER: its literal text ("-1.5e3");
	 * BOOL: "true" or "false"; NULL: "null"; OBJECT: "".
	 */
	const char *str;
	size_t len;                        /* strlen(str) */
	const struct json_member *members; /* OBJECT: its members, in input order */
	size_t nmembers;
};

/* A parsed object; every pointer in it lives until json_free(). */
struct json_object;

/*
 * Parse s[0..len) (surrounding white space allowed) into *out. Returns 0,
 * VIGIL_ERR_TOOBIG over JSON_MAX_INPUT or JSON_MAX_MEMBERS, VIGIL_ERR_NOMEM,
 * or VIGIL_ERR_INVAL with a sentence naming the byte offset in err.
 */
int json_parse(const char *s, size_t len, struct json_object **out, char *err, size_t errlen);
void json_free(struct json_object *obj);

/* The top-level members, in input order. */
const struct json_member *json_members(const struct json_object *obj, size_t *n);
/* The top-level member named key, or NULL. */
const struct json_member *json_get(const struct json_object *obj, const char *key);
/* The member named key among members[0..n), or NULL. */
const struct json_member *json_find(const struct json_member *members, size_t n, const char *key);
/* An integer NUMBER member's value: 0, or VIGIL_ERR_INVAL / VIGIL_ERR_RANGE. */
int json_int(const struct json_member *m, long long *v);

#endif
