/*
 * libFuzzer target: json_parse() on arbitrary bytes, as vigilctl reads the
 * daemon's lines. Every member it hands out, nested ones included, must be
 * a NUL-terminated string of the length it claims.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "vigil/json.h"

static void
check_members(const struct json_member *m, size_t n, int depth)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].key == NULL || m[i].str == NULL || strlen(m[i].str) != m[i].len)
			__builtin_trap();
		if (m[i].type == JSON_OBJECT) {
			if (depth > 0 || (m[i].nmembers > 0 && m[i].members == NULL))
				__builtin_trap();
			check_members(m[i].members, m[i].nmembers, depth + 1);
			if (m[i].nmembers > 0 &&
			    json_find(m[i].members, m[i].nmembers, m[i].members[0].key) !=
			    &m[i].members[0])
				__builtin_trap();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *obj = NULL;
	const struct json_member *m;
	char err[128];
	size_t n;

	if (json_parse((const char *)data, size, &obj, err, sizeof(err)) == 0) {
		m = json_members(obj, &n);
		check_members(m, n, 0);
		for (size_t i = 0; i < n; i++)
			(void)json_get(obj, m[i].key);
		json_free(obj);
	}
	return 0;
}
