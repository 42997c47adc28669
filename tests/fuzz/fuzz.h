/*
 * The libFuzzer entry point each tests/fuzz/fuzz_*.c defines, and a helper
 * for targets whose input is several strings.
 */
#ifndef VIGIL_FUZZ_H
#define VIGIL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The separator of fuzz_split(): two bytes that are never UTF-8, so that a
 * part can hold any text and any single byte (each .dict lists it).
 */
#define FUZZ_SEP "\xfe\xfe"

/*
 * Split data at FUZZ_SEP into n parts, each a NUL-terminated copy in
 * parts[i] (len[i] bytes, which may hold NULs), "" for the parts the input
 * does not reach. Free with fuzz_split_free(). Aborts when out of memory.
 */
static inline void
fuzz_split(const uint8_t *data, size_t size, size_t n, char **parts, size_t *len)
{
	size_t at = 0;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *sep = NULL;
		size_t l;

		for (size_t k = at; k + 1 < size; k++)
			if (data[k] == 0xfe && data[k + 1] == 0xfe) {
				sep = data + k;
				break;
			}
		l = at >= size ? 0 : sep != NULL && i + 1 < n ? (size_t)(sep - (data + at)) : size - at;
		if ((parts[i] = malloc(l + 1)) == NULL)
			abort();
		if (l > 0)
			memcpy(parts[i], data + at, l);
		parts[i][l] = '\0';
		if (len != NULL)
			len[i] = l;
		at += l + 2;
	}
}

static inline void
fuzz_split_free(size_t n, char **parts)
{
	for (size_t i = 0; i < n; i++)
		free(parts[i]);
}

#endif
