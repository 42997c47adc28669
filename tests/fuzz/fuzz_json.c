/* libFuzzer target: json_parse() on arbitrary bytes, as vigilctl reads the daemon's lines. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "vigil/json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *obj = NULL;
	const struct json_member *m;
	char err[128];
	size_t n;

	if (json_parse((const char *)data, size, &obj, err, sizeof(err)) == 0) {
		m = json_members(obj, &n);
		for (size_t i = 0; i < n; i++)
			(void)json_get(obj, m[i].key);
		json_free(obj);
	}
	return 0;
}
