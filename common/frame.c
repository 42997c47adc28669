/*
 * Framing: a 4-byte big-endian length, then one vigil.v1.Frame.
 *
 * protobuf-c allocates one structure per repeated element and keeps every
 * unknown field, so a 1 MiB body of two-byte elements would cost tens of
 * megabytes. Before unpacking, a cheap walk over the wire format counts the
 * elements of each message against the limits of wire.h and looks for NUL
 * bytes in strings (protobuf-c would hide them behind the terminator it
 * adds). Only then is anything allocated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/log.h"
#include "vigil/wire.h"

/* Fields a message may carry beyond its one repeated field (known or not). */
#define SCAN_MAX_TAGS 64

enum scan_kind {
	SK_NONE = 0, /* a scalar, a string or an unknown field */
	SK_FRAME,
	SK_HELLO,
	SK_WELCOME,
	SK_BATCH,
	SK_EVENT,
	SK_FIELD,
	SK_ACK,
	SK_HEARTBEAT,
	SK_ERROR,
};

#define SCAN_FIELDS 10

/* What the pre-scan knows of each message of proto/vigil.proto. */
struct scan_schema {
	uint32_t strings;                /* bit n: field n is a string */
	enum scan_kind sub[SCAN_FIELDS]; /* field n is a message of this kind */
	uint32_t repeated;               /* the field number of its repeated message */
	size_t repeated_max;
};

static const struct scan_schema scan_schema[] = {
    [SK_FRAME] = {.sub = {[1] = SK_HELLO,
                          [2] = SK_WELCOME,
                          [3] = SK_BATCH,
                          [4] = SK_ACK,
                          [5] = SK_HEARTBEAT,
                          [6] = SK_ERROR}},
    [SK_HELLO] = {.strings = 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6},
    [SK_WELCOME] = {.strings = 1u << 1},
    [SK_BATCH] = {.sub = {[1] = SK_EVENT}, .repeated = 1, .repeated_max = WIRE_MAX_BATCH},
    [SK_EVENT] = {.strings = 1u << 3 | 1u << 6 | 1u << 7 | 1u << 8,
                  .sub = {[9] = SK_FIELD},
                  .repeated = 9,
                  .repeated_max = WIRE_MAX_FIELDS},
    [SK_FIELD] = {.strings = 1u << 1 | 1u << 2},
    [SK_ERROR] = {.strings = 1u << 2},
};

static int
scan_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	int shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return VIGIL_ERR_DECODE;
		x |= (uint64_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return VIGIL_ERR_DECODE;
}

/*
 * Walk one message of the given kind. *batch_events sums the events of every
 * EventBatch occurrence, because protobuf-c merges repeated occurrences of a
 * singular message field into one.
 */
static int
scan_message(const uint8_t *p, size_t len, enum scan_kind kind, size_t *batch_events)
{
	const struct scan_schema *s = &scan_schema[kind];
	const uint8_t *end = p + len;
	size_t tags = 0, repeated = 0;
	uint64_t key, n;
	uint32_t field;
	int rc;

	while (p < end) {
		if ((rc = scan_varint(&p, end, &key)) != 0)
			return rc;
		if ((key >> 3) == 0 || (key >> 3) > UINT32_MAX)
			return VIGIL_ERR_DECODE;
		field = (uint32_t)(key >> 3);
		if (s->repeated != 0 && field == s->repeated) {
			if (kind == SK_BATCH) {
				if (++*batch_events > s->repeated_max)
					return VIGIL_ERR_TOOBIG;
			} else if (++repeated > s->repeated_max)
				return VIGIL_ERR_TOOBIG;
		} else if (++tags > SCAN_MAX_TAGS)
			return VIGIL_ERR_TOOBIG;

		switch (key & 7) {
		case 0:
			if ((rc = scan_varint(&p, end, &n)) != 0)
				return rc;
			break;
		case 1:
			if (end - p < 8)
				return VIGIL_ERR_DECODE;
			p += 8;
			break;
		case 5:
			if (end - p < 4)
				return VIGIL_ERR_DECODE;
			p += 4;
			break;
		case 2:
			if ((rc = scan_varint(&p, end, &n)) != 0)
				return rc;
			if (n > (uint64_t)(end - p))
				return VIGIL_ERR_DECODE;
			if (field < SCAN_FIELDS && s->sub[field] != SK_NONE) {
				rc = scan_message(p, (size_t)n, s->sub[field], batch_events);
				if (rc != 0)
					return rc;
			} else if (field < 32 && (s->strings & (1u << field)) != 0 &&
			           memchr(p, '\0', (size_t)n) != NULL)
				return VIGIL_ERR_UTF8;
			p += n;
			break;
		default:
			/* Groups are long deprecated and protobuf-c refuses them too. */
			return VIGIL_ERR_DECODE;
		}
	}
	return 0;
}

int
frame_header(const uint8_t hdr[FRAME_HDR_LEN], size_t max, size_t *len)
{
	uint32_t n;

	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 |
	    (uint32_t)hdr[3];
	if (n == 0)
		return VIGIL_ERR_EMPTY;
	if (n > max)
		return VIGIL_ERR_TOOBIG;
	*len = n;
	return 0;
}

int
frame_decode(const uint8_t *body, size_t len, Vigil__V1__Frame **out)
{
	return frame_decode_why(body, len, out, NULL, 0);
}

int
frame_decode_why(const uint8_t *body, size_t len, Vigil__V1__Frame **out, char *why,
    size_t whylen)
{
	Vigil__V1__Frame *f;
	size_t events = 0;
	char buf[256];
	int rc;

	*out = NULL;
	if (why == NULL || whylen == 0) {
		why = buf;
		whylen = sizeof(buf);
	}
	why[0] = '\0';
	if (len == 0) {
		snprintf(why, whylen, "The frame is empty.");
		return VIGIL_ERR_EMPTY;
	}
	if (body == NULL)
		return VIGIL_ERR_INVAL;
	if ((rc = scan_message(body, len, SK_FRAME, &events)) != 0) {
		snprintf(why, whylen, "The frame is not a protocol message (%s).",
		         vigil_strerror(rc));
		log_debug("A frame of %zu bytes was refused before decoding: %s.", len,
		          vigil_strerror(rc));
		return rc;
	}
	if ((f = vigil__v1__frame__unpack(NULL, len, body)) == NULL) {
		snprintf(why, whylen, "The frame is not a protocol message.");
		return VIGIL_ERR_DECODE;
	}
	if ((rc = wire_validate(f, why, whylen)) != 0) {
		log_debug("A frame of %zu bytes is invalid: %s", len, why);
		vigil__v1__frame__free_unpacked(f, NULL);
		return rc;
	}
	*out = f;
	return 0;
}

void
frame_free(Vigil__V1__Frame *f)
{
	if (f != NULL)
		vigil__v1__frame__free_unpacked(f, NULL);
}

int
frame_parse(const uint8_t *buf, size_t buflen, size_t max, Vigil__V1__Frame **out, size_t *used)
{
	size_t len;
	int rc;

	*out = NULL;
	*used = 0;
	if (buflen < FRAME_HDR_LEN)
		return VIGIL_ERR_TRUNCATED;
	if ((rc = frame_header(buf, max, &len)) != 0)
		return rc;
	if (buflen - FRAME_HDR_LEN < len)
		return VIGIL_ERR_TRUNCATED;
	if ((rc = frame_decode(buf + FRAME_HDR_LEN, len, out)) != 0)
		return rc;
	*used = FRAME_HDR_LEN + len;
	return 0;
}

int
frame_encode(const Vigil__V1__Frame *f, size_t max, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t len;

	*out = NULL;
	*outlen = 0;
	if (f == NULL)
		return VIGIL_ERR_INVAL;
	len = vigil__v1__frame__get_packed_size(f);
	/* The receiver refuses an empty body, so do not send one. */
	if (len == 0)
		return VIGIL_ERR_EMPTY;
	if (len > max || len > UINT32_MAX)
		return VIGIL_ERR_TOOBIG;
	if ((buf = malloc(FRAME_HDR_LEN + len)) == NULL)
		return VIGIL_ERR_NOMEM;
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	if (vigil__v1__frame__pack(f, buf + FRAME_HDR_LEN) != len) {
		free(buf);
		return VIGIL_ERR_INVAL;
	}
	*out = buf;
	*outlen = FRAME_HDR_LEN + len;
	return 0;
}
