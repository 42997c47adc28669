/*
 * The report renderer's side of libvigil's XML tokenizer (vigil/xmltok.h):
 * decoding text and attribute values into a capped report buffer.
 */
#ifndef VIGIL_REPORT_XMLTOK_H
#define VIGIL_REPORT_XMLTOK_H

#include <stddef.h>

#include "vigil/xmltok.h"

#include "vigil/buf.h"

/* Decode raw text or an attribute value (&amp; &#x1EA1; …) into out. */
int xml_decode(struct buf *out, const char *raw, size_t n);

#endif
