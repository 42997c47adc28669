/*
 * libFuzzer target: a holiday calendar file (calendar.h), then deadlines
 * counted over it (deadline.h) from a start taken from the input. A file
 * that parses gives deadlines that are never before their start and never
 * near after they are due.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "../../report/deadline.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct calendar *c = NULL;
	char err[512];
	int64_t start = 1767225600LL * 1000000; /* 2026-01-01 */

	if (size >= 4)
		start += (int64_t)((uint32_t)data[0] | (uint32_t)data[1] << 8 |
		                   (uint32_t)data[2] << 16) *
		         60 * 1000000;
	if (calendar_parse((const char *)data, size, "fuzz", &c, err, sizeof(err)) != 0)
		return 0;
	for (int k = 0; k < DL_KINDS; k++) {
		struct deadline d;

		if (deadline_compute(c, &deadline_rules[k], start, VN_UTC_OFFSET_MIN, &d) != 0)
			__builtin_trap();
		if (d.due_us < d.start_us || d.near_us > d.due_us || d.near_us < d.start_us)
			__builtin_trap();
	}
	for (int half = 1; half <= 2; half++) {
		struct deadline d;

		if (deadline_periodic(c, 2026, half, VN_UTC_OFFSET_MIN, &d) != 0)
			__builtin_trap();
	}
	calendar_free(c);
	return 0;
}
