/*
 * xml_decode() into a report buffer: libvigil's decoder (xml_decode_to)
 * with buf_add() as its sink, so that the tokenizer exists once.
 */
#include <stddef.h>

#include "xmltok.h"

static int
put_buf(void *arg, const char *s, size_t n)
{
	return buf_add(arg, s, n);
}

int
xml_decode(struct buf *out, const char *raw, size_t n)
{
	return xml_decode_to(raw, n, put_buf, out);
}
