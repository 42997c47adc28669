/*
 * libFuzzer target: a report template and the data it is filled from
 * (tmpl.h, value.h), split at FUZZ_SEP: template, data. Parsing either may
 * fail; what parses is filled through every escaper and its fields listed.
 * Nothing may crash, hang or grow past the limits, and a filled document
 * must stay within the output buffer's cap.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "../../report/tmpl.h"

static void
field(void *arg, const char *path, int required, const char *loop)
{
	if (path == NULL || loop == NULL || path[0] == '\0')
		__builtin_trap();
	++*(size_t *)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int (*const esc[])(void *, struct buf *, const char *, size_t, int) = {
	    tmpl_escape_wordml,
	    tmpl_escape_html,
	    tmpl_escape_csv,
	    tmpl_escape_none,
	};
	struct tmpl_limits lim = tmpl_default_limits;
	struct value_doc *doc = NULL;
	struct tmpl *t = NULL;
	char *part[2], err[512];
	size_t len[2], nfields = 0;

	fuzz_split(data, size, 2, part, len);
	lim.max_steps = 200000; /* a fuzzer's nested loops finish quickly */
	if (tmpl_parse(part[0], len[0], &lim, &t, err, sizeof(err)) == 0) {
		tmpl_fields(t, field, &nfields);
		if (value_parse(part[1], len[1], NULL, &doc, err, sizeof(err)) == 0) {
			for (size_t i = 0; i < sizeof(esc) / sizeof(esc[0]); i++) {
				struct tmpl_output o = {esc[i], NULL, NULL};
				struct buf out;

				buf_init(&out, 1 << 20);
				tmpl_render(t, value_root(doc), &o, &out, err, sizeof(err));
				if (out.len > out.cap || strlen(err) >= sizeof(err))
					__builtin_trap();
				buf_free(&out);
			}
			value_doc_free(doc);
		}
		tmpl_free(t);
	}
	fuzz_split_free(2, part);
	return 0;
}
