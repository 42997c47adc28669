/*
 * Framing: a 4-byte big-endian length, then one vigil.v1.Frame.
 * Pure functions: bytes in, bytes or messages out; no sockets, no clocks.
 */
#ifndef VIGIL_FRAME_H
#define VIGIL_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "vigil.pb-c.h"

#define FRAME_HDR_LEN 4
#define FRAME_MAX_DEFAULT (1024 * 1024)

/*
 * Read the length prefix. Returns 0 and sets *len, VIGIL_ERR_EMPTY for a zero
 * length, VIGIL_ERR_TOOBIG when the length exceeds `max` (checked before anything
 * is allocated).
 */
int frame_header(const uint8_t hdr[FRAME_HDR_LEN], size_t max, size_t *len);

/*
 * Decode one frame body (without the prefix) and validate it with
 * wire_validate(). On success *out belongs to the caller (frame_free()).
 * Returns VIGIL_ERR_EMPTY, VIGIL_ERR_DECODE or a wire_validate() error.
 */
int frame_decode(const uint8_t *body, size_t len, Vigil__V1__Frame **out);
/* The same, with a sentence saying why in why (whylen bytes) when it fails. */
int frame_decode_why(const uint8_t *body, size_t len, Vigil__V1__Frame **out, char *why,
    size_t whylen);
void frame_free(Vigil__V1__Frame *f);     /* NULL is a no-op */

/*
 * Split a contiguous buffer: if buf holds a whole frame, decode it into *out,
 * set *used to the bytes consumed and return 0. Returns VIGIL_ERR_TRUNCATED
 * (with *used = 0) when more bytes are needed, or the error of frame_header()
 * / frame_decode().
 */
int frame_parse(const uint8_t *buf, size_t buflen, size_t max, Vigil__V1__Frame **out,
    size_t *used);

/*
 * Encode f with its length prefix into a new buffer (*out, free()). Returns
 * VIGIL_ERR_TOOBIG when the packed message exceeds max.
 */
int frame_encode(const Vigil__V1__Frame *f, size_t max, uint8_t **out, size_t *outlen);

#endif
