/* Framing: encode and decode every message kind, and refuse broken input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/wire.h"

/*
 * Storage for one frame of each kind, built without allocation. The
 * generated *__INIT macros of messages with strings cast away const, so the
 * generated init functions are used for those.
 */
struct sample {
	Vigil__V1__Frame frame;
	Vigil__V1__Hello hello;
	Vigil__V1__Welcome welcome;
	Vigil__V1__EventBatch batch;
	Vigil__V1__Event ev[3];
	Vigil__V1__Event *evp[3];
	Vigil__V1__Field field[2];
	Vigil__V1__Field *fieldp[2];
	Vigil__V1__Ack ack;
	Vigil__V1__Heartbeat hb;
	Vigil__V1__Error error;
};

static void
sample_init(struct sample *s, Vigil__V1__Frame__MsgCase kind)
{
	static const Vigil__V1__Frame frame_init = VIGIL__V1__FRAME__INIT;
	static const Vigil__V1__EventBatch batch_init = VIGIL__V1__EVENT_BATCH__INIT;
	static const Vigil__V1__Ack ack_init = VIGIL__V1__ACK__INIT;
	static const Vigil__V1__Heartbeat hb_init = VIGIL__V1__HEARTBEAT__INIT;
	size_t i;

	s->frame = frame_init;
	s->frame.msg_case = kind;
	switch (kind) {
	case VIGIL__V1__FRAME__MSG_HELLO:
		vigil__v1__hello__init(&s->hello);
		s->hello.proto_major = WIRE_PROTO_MAJOR;
		s->hello.proto_minor = WIRE_PROTO_MINOR;
		s->hello.agent_version = "0.1.0";
		s->hello.hostname = "pc-01";
		s->hello.os = "Debian GNU/Linux 12";
		s->hello.unit = "Phường Ba Đình";
		s->hello.spool_high_seq = 42;
		s->frame.hello = &s->hello;
		break;
	case VIGIL__V1__FRAME__MSG_WELCOME:
		vigil__v1__welcome__init(&s->welcome);
		s->welcome.collector_version = "0.1.0";
		s->welcome.stored_seq = 40;
		s->welcome.heartbeat_sec = 30;
		s->welcome.max_frame = FRAME_MAX_DEFAULT;
		s->welcome.max_batch = WIRE_MAX_BATCH;
		s->frame.welcome = &s->welcome;
		break;
	case VIGIL__V1__FRAME__MSG_BATCH:
		s->batch = batch_init;
		for (i = 0; i < 3; i++) {
			vigil__v1__event__init(&s->ev[i]);
			s->ev[i].seq = 10 + i;
			s->ev[i].time_us = 1764064800000000LL + (int64_t)i;
			s->ev[i].source = "/var/log/auth.log";
			s->ev[i].category = VIGIL__V1__CATEGORY__CATEGORY_AUTH;
			s->ev[i].severity = VIGIL__V1__SEVERITY__SEVERITY_MEDIUM;
			s->ev[i].rule = "sshd-failed-password";
			s->ev[i].summary = "Failed password for root from 10.0.0.5";
			s->ev[i].raw = "sshd[811]: Failed password for root from 10.0.0.5 port 22";
			s->evp[i] = &s->ev[i];
		}
		for (i = 0; i < 2; i++) {
			vigil__v1__field__init(&s->field[i]);
			s->fieldp[i] = &s->field[i];
		}
		s->field[0].key = "user";
		s->field[0].value = "root";
		s->field[1].key = "src_ip";
		s->field[1].value = "10.0.0.5";
		s->ev[1].n_fields = 2;
		s->ev[1].fields = s->fieldp;
		s->batch.n_events = 3;
		s->batch.events = s->evp;
		s->frame.batch = &s->batch;
		break;
	case VIGIL__V1__FRAME__MSG_ACK:
		s->ack = ack_init;
		s->ack.up_to_seq = 12;
		s->frame.ack = &s->ack;
		break;
	case VIGIL__V1__FRAME__MSG_HEARTBEAT:
		s->hb = hb_init;
		s->hb.time_us = 1764064800000000LL;
		s->hb.spool_depth = 7;
		s->hb.dropped = 1;
		s->hb.lines_truncated = 2;
		s->frame.heartbeat = &s->hb;
		break;
	case VIGIL__V1__FRAME__MSG_ERROR:
		vigil__v1__error__init(&s->error);
		s->error.code = 3;
		s->error.reason = "protocol version 2 is not supported";
		s->frame.error = &s->error;
		break;
	default:
		break;
	}
}

static void
encode(Vigil__V1__Frame__MsgCase kind, uint8_t **buf, size_t *len)
{
	struct sample s;

	sample_init(&s, kind);
	assert_int_equal(frame_encode(&s.frame, FRAME_MAX_DEFAULT, buf, len), 0);
}

static void
test_roundtrip_every_kind(void **state)
{
	static const Vigil__V1__Frame__MsgCase kinds[] = {
	    VIGIL__V1__FRAME__MSG_HELLO,     VIGIL__V1__FRAME__MSG_WELCOME,
	    VIGIL__V1__FRAME__MSG_BATCH,     VIGIL__V1__FRAME__MSG_ACK,
	    VIGIL__V1__FRAME__MSG_HEARTBEAT, VIGIL__V1__FRAME__MSG_ERROR,
	};
	Vigil__V1__Frame *f;
	struct sample s;
	uint8_t *buf;
	size_t i, len, used, n;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		sample_init(&s, kinds[i]);
		assert_int_equal(frame_encode(&s.frame, FRAME_MAX_DEFAULT, &buf, &len), 0);
		/* The prefix is the big-endian length of what follows. */
		n = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
		assert_int_equal(n, len - FRAME_HDR_LEN);
		assert_int_equal(frame_header(buf, FRAME_MAX_DEFAULT, &n), 0);
		assert_int_equal(n, len - FRAME_HDR_LEN);

		assert_int_equal(frame_parse(buf, len, FRAME_MAX_DEFAULT, &f, &used), 0);
		assert_int_equal(used, len);
		assert_non_null(f);
		assert_int_equal(f->msg_case, kinds[i]);
		switch (kinds[i]) {
		case VIGIL__V1__FRAME__MSG_HELLO:
			assert_int_equal(f->hello->proto_major, WIRE_PROTO_MAJOR);
			assert_string_equal(f->hello->hostname, "pc-01");
			assert_string_equal(f->hello->unit, "Phường Ba Đình");
			assert_int_equal(f->hello->spool_high_seq, 42);
			break;
		case VIGIL__V1__FRAME__MSG_WELCOME:
			assert_string_equal(f->welcome->collector_version, "0.1.0");
			assert_int_equal(f->welcome->stored_seq, 40);
			assert_int_equal(f->welcome->heartbeat_sec, 30);
			assert_int_equal(f->welcome->max_frame, FRAME_MAX_DEFAULT);
			assert_int_equal(f->welcome->max_batch, WIRE_MAX_BATCH);
			break;
		case VIGIL__V1__FRAME__MSG_BATCH:
			assert_int_equal(f->batch->n_events, 3);
			assert_int_equal(f->batch->events[2]->seq, 12);
			assert_int_equal(f->batch->events[2]->time_us, 1764064800000002LL);
			assert_int_equal(f->batch->events[0]->category,
			                 VIGIL__V1__CATEGORY__CATEGORY_AUTH);
			assert_int_equal(f->batch->events[0]->severity,
			                 VIGIL__V1__SEVERITY__SEVERITY_MEDIUM);
			assert_string_equal(f->batch->events[0]->rule, "sshd-failed-password");
			assert_string_equal(f->batch->events[0]->raw, s.ev[0].raw);
			assert_int_equal(f->batch->events[1]->n_fields, 2);
			assert_string_equal(f->batch->events[1]->fields[1]->key, "src_ip");
			assert_string_equal(f->batch->events[1]->fields[1]->value, "10.0.0.5");
			break;
		case VIGIL__V1__FRAME__MSG_ACK:
			assert_int_equal(f->ack->up_to_seq, 12);
			break;
		case VIGIL__V1__FRAME__MSG_HEARTBEAT:
			assert_int_equal(f->heartbeat->time_us, 1764064800000000LL);
			assert_int_equal(f->heartbeat->spool_depth, 7);
			assert_int_equal(f->heartbeat->dropped, 1);
			assert_int_equal(f->heartbeat->lines_truncated, 2);
			break;
		case VIGIL__V1__FRAME__MSG_ERROR:
			assert_int_equal(f->error->code, 3);
			assert_string_equal(f->error->reason, s.error.reason);
			break;
		default:
			fail();
		}
		frame_free(f);
		free(buf);
	}
}

static void
test_truncated_every_prefix(void **state)
{
	Vigil__V1__Frame *f;
	uint8_t *buf;
	size_t len, k, used;

	encode(VIGIL__V1__FRAME__MSG_BATCH, &buf, &len);
	for (k = 0; k < len; k++) {
		used = 99;
		assert_int_equal(frame_parse(buf, k, FRAME_MAX_DEFAULT, &f, &used),
		                 VIGIL_ERR_TRUNCATED);
		assert_int_equal(used, 0);
		assert_null(f);
	}
	/* A body cut anywhere is refused by the decoder too. */
	for (k = 1; k < len - FRAME_HDR_LEN; k++) {
		assert_int_not_equal(frame_decode(buf + FRAME_HDR_LEN, k, &f), 0);
		assert_null(f);
	}
	free(buf);
}

static void
test_zero_length(void **state)
{
	static const uint8_t zero[FRAME_HDR_LEN] = {0, 0, 0, 0};
	Vigil__V1__Frame *f;
	size_t len = 7, used;
	uint8_t *buf;

	assert_int_equal(frame_header(zero, FRAME_MAX_DEFAULT, &len), VIGIL_ERR_EMPTY);
	assert_int_equal(len, 7);
	assert_int_equal(frame_parse(zero, sizeof(zero), FRAME_MAX_DEFAULT, &f, &used),
	                 VIGIL_ERR_EMPTY);
	assert_null(f);
	assert_int_equal(frame_decode(zero, 0, &f), VIGIL_ERR_EMPTY);
	assert_null(f);

	/* A frame with no message packs to nothing, which is never sent. */
	{
		Vigil__V1__Frame empty = VIGIL__V1__FRAME__INIT;

		assert_int_equal(frame_encode(&empty, FRAME_MAX_DEFAULT, &buf, &len),
		                 VIGIL_ERR_EMPTY);
		assert_null(buf);
	}
}

static void
test_oversized(void **state)
{
	static const uint8_t over[FRAME_HDR_LEN] = {0x00, 0x10, 0x00, 0x01};
	static const uint8_t huge[FRAME_HDR_LEN] = {0xff, 0xff, 0xff, 0xff};
	static const uint8_t exact[FRAME_HDR_LEN] = {0x00, 0x10, 0x00, 0x00};
	Vigil__V1__Frame *f;
	struct sample s;
	size_t len, used;
	uint8_t *buf;

	assert_int_equal(frame_header(over, FRAME_MAX_DEFAULT, &len), VIGIL_ERR_TOOBIG);
	assert_int_equal(frame_header(huge, FRAME_MAX_DEFAULT, &len), VIGIL_ERR_TOOBIG);
	assert_int_equal(frame_header(exact, FRAME_MAX_DEFAULT, &len), 0);
	assert_int_equal(len, FRAME_MAX_DEFAULT);
	assert_int_equal(frame_header(exact, FRAME_MAX_DEFAULT - 1, &len), VIGIL_ERR_TOOBIG);

	/* The header alone decides: no body bytes are needed to refuse it. */
	assert_int_equal(frame_parse(huge, sizeof(huge), FRAME_MAX_DEFAULT, &f, &used),
	                 VIGIL_ERR_TOOBIG);
	assert_null(f);
	assert_int_equal(used, 0);

	/* The sender refuses to build what the receiver would refuse. */
	sample_init(&s, VIGIL__V1__FRAME__MSG_BATCH);
	assert_int_equal(frame_encode(&s.frame, 64, &buf, &len), VIGIL_ERR_TOOBIG);
	assert_null(buf);
}

static void
expect_decode(const uint8_t *body, size_t len, int want)
{
	Vigil__V1__Frame *f = (void *)1;

	assert_int_equal(frame_decode(body, len, &f), want);
	if (want != 0)
		assert_null(f);
	frame_free(f);
}

static void
test_garbage(void **state)
{
	/* Not protobuf at all: a runaway varint. */
	static const uint8_t ff[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                             0xff, 0xff, 0xff, 0xff, 0xff};
	/* Field 1 as a group (wire type 3). */
	static const uint8_t group[] = {0x0b, 0x08, 0x01, 0x0c};
	/* Field 0 does not exist. */
	static const uint8_t field0[] = {0x02, 0x00};
	/* hello whose length runs past the end. */
	static const uint8_t overrun[] = {0x0a, 0x7f, 0x08, 0x01};
	/* hello sent as a varint: the wrong wire type for a message. */
	static const uint8_t wrongtype[] = {0x08, 0x01};
	/* Only an unknown field: valid protobuf, but no message. */
	static const uint8_t unknown_only[] = {0x78, 0x01};
	/* hello{proto_major=1} followed by an unknown field 15: ignored. */
	static const uint8_t hello_unknown[] = {0x0a, 0x02, 0x08, 0x01, 0x78, 0x05};
	/* hello{proto_major=0}: the version is required. */
	static const uint8_t hello_v0[] = {0x0a, 0x00};
	/* ack{} : an empty message of a kind with nothing required. */
	static const uint8_t ack_empty[] = {0x22, 0x00};
	/* batch{} with no event. */
	static const uint8_t batch_empty[] = {0x1a, 0x00};
	/* error{reason="a\0b"}: a NUL hidden in a string. */
	static const uint8_t nul[] = {0x32, 0x05, 0x12, 0x03, 'a', 0x00, 'b'};
	/* error{reason="\xc3\x28"}: invalid UTF-8. */
	static const uint8_t badutf8[] = {0x32, 0x04, 0x12, 0x02, 0xc3, 0x28};
	uint8_t buf[512];
	uint32_t x = 2463534242u;
	size_t i, k;

	expect_decode(ff, sizeof(ff), VIGIL_ERR_DECODE);
	expect_decode(group, sizeof(group), VIGIL_ERR_DECODE);
	expect_decode(field0, sizeof(field0), VIGIL_ERR_DECODE);
	expect_decode(overrun, sizeof(overrun), VIGIL_ERR_DECODE);
	expect_decode(wrongtype, sizeof(wrongtype), VIGIL_ERR_DECODE);
	expect_decode(unknown_only, sizeof(unknown_only), VIGIL_ERR_MISSING);
	expect_decode(hello_unknown, sizeof(hello_unknown), 0);
	expect_decode(hello_v0, sizeof(hello_v0), VIGIL_ERR_MISSING);
	expect_decode(ack_empty, sizeof(ack_empty), 0);
	expect_decode(batch_empty, sizeof(batch_empty), VIGIL_ERR_EMPTY);
	expect_decode(nul, sizeof(nul), VIGIL_ERR_UTF8);
	expect_decode(badutf8, sizeof(badutf8), VIGIL_ERR_UTF8);

	/* Random bytes (a fixed xorshift sequence): refused or valid, never a crash. */
	for (i = 0; i < 2000; i++) {
		Vigil__V1__Frame *f;
		size_t n = 1 + i % sizeof(buf);

		for (k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[k] = (uint8_t)x;
		}
		if (frame_decode(buf, n, &f) == 0) {
			assert_int_equal(wire_validate(f, NULL, 0), 0);
			frame_free(f);
		} else
			assert_null(f);
	}
}

/*
 * Bodies that are tiny on the wire but would make protobuf-c allocate a
 * structure per element are refused before decoding.
 */
static void
test_amplification(void **state)
{
	uint8_t *body, *p;
	size_t n, i;

	/* batch{ 1001 x event{} }: 2 bytes per event on the wire. */
	n = 1001;
	body = malloc(8 + 2 * n);
	assert_non_null(body);
	p = body;
	*p++ = 0x1a;
	*p++ = (uint8_t)(0x80 | ((2 * n) & 0x7f));
	*p++ = (uint8_t)((2 * n) >> 7);
	for (i = 0; i < n; i++) {
		*p++ = 0x0a;
		*p++ = 0x00;
	}
	expect_decode(body, (size_t)(p - body), VIGIL_ERR_TOOBIG);

	/* 65 unknown fields in one message. */
	p = body;
	for (i = 0; i < 65; i++) {
		*p++ = 0x78;
		*p++ = 0x00;
	}
	expect_decode(body, (size_t)(p - body), VIGIL_ERR_TOOBIG);

	/* batch{event{ 33 x fields{} }}. */
	p = body;
	*p++ = 0x1a;
	*p++ = 2 + 66;
	*p++ = 0x0a;
	*p++ = 66;
	for (i = 0; i < 33; i++) {
		*p++ = 0x4a;
		*p++ = 0x00;
	}
	expect_decode(body, (size_t)(p - body), VIGIL_ERR_TOOBIG);
	free(body);
}

/* protobuf-c takes any integer for a proto3 enum; the validator does not. */
static void
test_decode_validates(void **state)
{
	Vigil__V1__Frame *f;
	struct sample s;
	size_t len, used;
	uint8_t *buf;

	sample_init(&s, VIGIL__V1__FRAME__MSG_BATCH);
	s.ev[0].category = (Vigil__V1__Category)99;
	assert_int_equal(frame_encode(&s.frame, FRAME_MAX_DEFAULT, &buf, &len), 0);
	assert_int_equal(frame_parse(buf, len, FRAME_MAX_DEFAULT, &f, &used), VIGIL_ERR_RANGE);
	assert_null(f);
	free(buf);

	sample_init(&s, VIGIL__V1__FRAME__MSG_BATCH);
	s.ev[2].seq = 5;
	assert_int_equal(frame_encode(&s.frame, FRAME_MAX_DEFAULT, &buf, &len), 0);
	assert_int_equal(frame_parse(buf, len, FRAME_MAX_DEFAULT, &f, &used), VIGIL_ERR_ORDER);
	free(buf);
}

static void
test_parse_back_to_back(void **state)
{
	uint8_t *a, *b, *c, *buf;
	size_t alen, blen, clen, len, used, off;
	Vigil__V1__Frame *f;

	encode(VIGIL__V1__FRAME__MSG_HELLO, &a, &alen);
	encode(VIGIL__V1__FRAME__MSG_BATCH, &b, &blen);
	encode(VIGIL__V1__FRAME__MSG_ACK, &c, &clen);
	len = alen + blen + clen - 1;
	buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen);
	memcpy(buf + alen + blen, c, clen - 1);

	off = 0;
	assert_int_equal(frame_parse(buf + off, len - off, FRAME_MAX_DEFAULT, &f, &used), 0);
	assert_int_equal(used, alen);
	assert_int_equal(f->msg_case, VIGIL__V1__FRAME__MSG_HELLO);
	frame_free(f);
	off += used;
	assert_int_equal(frame_parse(buf + off, len - off, FRAME_MAX_DEFAULT, &f, &used), 0);
	assert_int_equal(used, blen);
	assert_int_equal(f->msg_case, VIGIL__V1__FRAME__MSG_BATCH);
	assert_int_equal(f->batch->n_events, 3);
	frame_free(f);
	off += used;
	assert_int_equal(frame_parse(buf + off, len - off, FRAME_MAX_DEFAULT, &f, &used),
	                 VIGIL_ERR_TRUNCATED);
	assert_int_equal(used, 0);
	assert_null(f);

	frame_free(NULL);
	free(a);
	free(b);
	free(c);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_every_kind),
	    cmocka_unit_test(test_truncated_every_prefix),
	    cmocka_unit_test(test_zero_length),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_amplification),
	    cmocka_unit_test(test_decode_validates),
	    cmocka_unit_test(test_parse_back_to_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
