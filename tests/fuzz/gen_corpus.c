/*
 * Writes the seed corpus of fuzz_frame into corpus/frame/. Not part of the
 * build; run once from tests/fuzz/ after `make`:
 *
 *   cc -std=c11 -D_GNU_SOURCE -I../../include -I../../build/gen gen_corpus.c \
 *       ../../build/libvigil.a -lprotobuf-c -o /tmp/gen_corpus && /tmp/gen_corpus
 *
 * Valid frames of each kind, then truncated and hostile ones. Encoding does
 * not validate, so invalid messages are packed as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/frame.h"
#include "vigil/wire.h"

#define DIR "corpus/frame/"

static void
put(const char *name, const uint8_t *buf, size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), DIR "%s", name);
	if ((fp = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, fp) != len) {
		perror(path);
		exit(1);
	}
	fclose(fp);
}

/* Pack f with a length prefix, bypassing frame_encode()'s checks. */
static size_t
pack(const Vigil__V1__Frame *f, uint8_t *buf)
{
	size_t len = vigil__v1__frame__pack(f, buf + 4);

	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	return len + 4;
}

static uint8_t buf[1 << 16], buf2[1 << 16];

int
main(void)
{
	Vigil__V1__Frame f;
	Vigil__V1__Hello hello;
	Vigil__V1__Goodbye goodbye;
	Vigil__V1__Welcome welcome;
	Vigil__V1__EventBatch batch;
	Vigil__V1__Event ev[3], *evp[3];
	Vigil__V1__Field field[2], *fieldp[2];
	Vigil__V1__Ack ack;
	Vigil__V1__Heartbeat hb;
	Vigil__V1__Error error;
	size_t len, len2, i;

	vigil__v1__frame__init(&f);
	vigil__v1__hello__init(&hello);
	hello.proto_major = 1;
	hello.agent_version = "0.1.0";
	hello.hostname = "pc-01";
	hello.os = "Debian GNU/Linux 12 (bookworm)";
	hello.unit = "UBND phường Ba Đình";
	hello.spool_high_seq = 1234;
	f.msg_case = VIGIL__V1__FRAME__MSG_HELLO;
	f.hello = &hello;
	len = pack(&f, buf);
	put("hello", buf, len);

	vigil__v1__welcome__init(&welcome);
	welcome.collector_version = "0.1.0";
	welcome.stored_seq = 1200;
	welcome.heartbeat_sec = 30;
	welcome.max_frame = FRAME_MAX_DEFAULT;
	welcome.max_batch = WIRE_MAX_BATCH;
	f.msg_case = VIGIL__V1__FRAME__MSG_WELCOME;
	f.welcome = &welcome;
	put("welcome", buf2, pack(&f, buf2));

	vigil__v1__event_batch__init(&batch);
	for (i = 0; i < 3; i++) {
		vigil__v1__event__init(&ev[i]);
		ev[i].seq = 1201 + i;
		ev[i].time_us = 1764064800000000LL + (long long)i * 1000;
		ev[i].source = "/var/log/auth.log";
		ev[i].category = VIGIL__V1__CATEGORY__CATEGORY_AUTH;
		ev[i].severity = VIGIL__V1__SEVERITY__SEVERITY_MEDIUM;
		ev[i].rule = "sshd-failed-password";
		ev[i].summary = "Failed password for root from 203.0.113.9";
		ev[i].raw = "Nov 25 10:00:00 pc-01 sshd[811]: Failed password for root "
		            "from 203.0.113.9 port 50022 ssh2";
		evp[i] = &ev[i];
	}
	for (i = 0; i < 2; i++) {
		vigil__v1__field__init(&field[i]);
		fieldp[i] = &field[i];
	}
	field[0].key = "user";
	field[0].value = "root";
	field[1].key = "src_ip";
	field[1].value = "203.0.113.9";
	ev[1].n_fields = 2;
	ev[1].fields = fieldp;
	batch.n_events = 3;
	batch.events = evp;
	f.msg_case = VIGIL__V1__FRAME__MSG_BATCH;
	f.batch = &batch;
	len2 = pack(&f, buf2);
	put("batch", buf2, len2);
	/* Truncated in the middle of the second event. */
	put("batch-truncated", buf2, len2 / 2);

	/* Hostile variants of the batch. */
	ev[2].seq = 1201;
	put("batch-seq-repeated", buf, pack(&f, buf));
	ev[2].seq = 1203;
	ev[0].category = (Vigil__V1__Category)99;
	put("batch-bad-category", buf, pack(&f, buf));
	ev[0].category = VIGIL__V1__CATEGORY__CATEGORY_AUTH;
	ev[1].summary = "Failed password for r\xc3\x28t";
	put("batch-bad-utf8", buf, pack(&f, buf));
	ev[1].summary = "ok";
	batch.n_events = 0;
	put("batch-empty", buf, pack(&f, buf));
	batch.n_events = 3;

	vigil__v1__ack__init(&ack);
	ack.up_to_seq = 1203;
	f.msg_case = VIGIL__V1__FRAME__MSG_ACK;
	f.ack = &ack;
	len2 = pack(&f, buf2);
	put("ack", buf2, len2);
	/* Two frames back to back: the parser takes the first. */
	f.msg_case = VIGIL__V1__FRAME__MSG_HELLO;
	f.hello = &hello;
	len = pack(&f, buf);
	memcpy(buf + len, buf2, len2);
	put("hello-then-ack", buf, len + len2);

	vigil__v1__heartbeat__init(&hb);
	hb.time_us = 1764064830000000LL;
	hb.spool_depth = 3;
	hb.dropped = 0;
	hb.lines_truncated = 1;
	f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
	f.heartbeat = &hb;
	put("heartbeat", buf, pack(&f, buf));

	vigil__v1__error__init(&error);
	error.code = 2;
	error.reason = "protocol version 2 is not supported";
	f.msg_case = VIGIL__V1__FRAME__MSG_ERROR;
	f.error = &error;
	put("error", buf, pack(&f, buf));

	vigil__v1__goodbye__init(&goodbye);
	goodbye.reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN;
	goodbye.detail = "the system is shutting down";
	goodbye.time_us = 1764064860000000LL;
	f.msg_case = VIGIL__V1__FRAME__MSG_GOODBYE;
	f.goodbye = &goodbye;
	put("goodbye", buf, pack(&f, buf));
	goodbye.reason = (Vigil__V1__GoodbyeReason)9;
	put("goodbye-bad-reason", buf, pack(&f, buf));
	goodbye.reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED;
	goodbye.detail = "SIGTERM\xc3";
	put("goodbye-bad-utf8", buf, pack(&f, buf));

	{
		static const uint8_t zero[] = {0, 0, 0, 0};
		static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0a, 0x00};
		static const uint8_t header_only[] = {0, 0, 0, 100};
		/* error{reason="a\0b"} */
		static const uint8_t nul[] = {0, 0, 0, 7, 0x32, 0x05, 0x12, 0x03, 'a', 0, 'b'};
		/* field 1 as a group */
		static const uint8_t group[] = {0, 0, 0, 4, 0x0b, 0x08, 0x01, 0x0c};
		/* only an unknown field */
		static const uint8_t unknown[] = {0, 0, 0, 2, 0x78, 0x01};
		uint8_t *big;
		size_t n;

		put("zero-length", zero, sizeof(zero));
		put("huge-length", huge, sizeof(huge));
		put("header-only", header_only, sizeof(header_only));
		put("nul-in-string", nul, sizeof(nul));
		put("group", group, sizeof(group));
		put("no-message", unknown, sizeof(unknown));

		/* batch{ 1001 x event{} }: refused before decoding. */
		n = 1001;
		big = malloc(4 + 3 + 2 * n);
		big[0] = 0;
		big[1] = 0;
		big[2] = (uint8_t)((3 + 2 * n) >> 8);
		big[3] = (uint8_t)(3 + 2 * n);
		big[4] = 0x1a;
		big[5] = (uint8_t)(0x80 | ((2 * n) & 0x7f));
		big[6] = (uint8_t)((2 * n) >> 7);
		for (i = 0; i < n; i++) {
			big[7 + 2 * i] = 0x0a;
			big[8 + 2 * i] = 0x00;
		}
		put("batch-1001-empty-events", big, 4 + 3 + 2 * n);
		free(big);
	}
	return 0;
}
