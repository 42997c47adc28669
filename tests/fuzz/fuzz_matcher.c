/* libFuzzer target: the built-in matcher on one arbitrary log line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "../../agent/agent.h"
#include "vigil/text.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct matcher *m;
	struct match_event ev;

	if (m == NULL && (m = matcher_new_builtin()) == NULL)
		__builtin_trap();
	if (matcher_match(m, "fuzz", (const char *)data, size, &ev) == 1) {
		/* Whatever the matcher extracts goes on the wire: it must be clean. */
		if (!text_utf8_valid(ev.summary, strlen(ev.summary)) || ev.nfields > MATCH_MAX_FIELDS)
			__builtin_trap();
		for (size_t i = 0; i < ev.nfields; i++)
			if (!text_utf8_valid(ev.fields[i].value, strlen(ev.fields[i].value)))
				__builtin_trap();
	}
	return 0;
}
