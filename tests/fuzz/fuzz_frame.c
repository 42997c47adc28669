/* libFuzzer target: frame_parse() on arbitrary bytes, with the default limit. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "vigil/frame.h"
#include "vigil/wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Vigil__V1__Frame *f;
	size_t used;

	if (frame_parse(data, size, FRAME_MAX_DEFAULT, &f, &used) == 0) {
		/* Whatever frame_parse accepts must stand up to validation again. */
		if (used < FRAME_HDR_LEN || used > size || wire_validate(f, NULL, 0) != 0)
			__builtin_trap();
		frame_free(f);
	}
	return 0;
}
