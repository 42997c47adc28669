/* Message validation: every rule of wire.h, accepted and refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/names.h"
#include "vigil/wire.h"

#define NEV 4

struct batch {
	Vigil__V1__Frame frame;
	Vigil__V1__EventBatch batch;
	Vigil__V1__Event ev[NEV];
	Vigil__V1__Event *evp[NEV];
	Vigil__V1__Field field[WIRE_MAX_FIELDS + 1];
	Vigil__V1__Field *fieldp[WIRE_MAX_FIELDS + 1];
};

static void
event_init(Vigil__V1__Event *ev, uint64_t seq)
{
	vigil__v1__event__init(ev);
	ev->seq = seq;
	ev->time_us = 1764064800000000LL;
	ev->source = "/var/log/auth.log";
	ev->category = VIGIL__V1__CATEGORY__CATEGORY_PRIVILEGE;
	ev->severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
	ev->rule = "sudo-auth-failure";
	ev->summary = "sudo: authentication failure for user an";
}

static void
batch_init(struct batch *b, size_t nev)
{
	static const Vigil__V1__Frame frame_init = VIGIL__V1__FRAME__INIT;
	static const Vigil__V1__EventBatch batch_init = VIGIL__V1__EVENT_BATCH__INIT;
	size_t i;

	b->frame = frame_init;
	b->batch = batch_init;
	for (i = 0; i < NEV; i++) {
		event_init(&b->ev[i], 100 + i);
		b->evp[i] = &b->ev[i];
	}
	for (i = 0; i < WIRE_MAX_FIELDS + 1; i++) {
		vigil__v1__field__init(&b->field[i]);
		b->field[i].key = "user";
		b->field[i].value = "an";
		b->fieldp[i] = &b->field[i];
	}
	b->batch.n_events = nev;
	b->batch.events = b->evp;
	b->frame.msg_case = VIGIL__V1__FRAME__MSG_BATCH;
	b->frame.batch = &b->batch;
}

/* Validate b's frame; expect `want` and, when refused, `words` in the reason. */
static void
expect(const Vigil__V1__Frame *f, int want, const char *words)
{
	char why[256] = "";

	assert_int_equal(wire_validate(f, why, sizeof(why)), want);
	if (want != 0) {
		if (strstr(why, words) == NULL)
			fail_msg("The reason \"%s\" does not mention \"%s\".", why, words);
		/* A reason is a sentence. */
		assert_true(strlen(why) > 0 && why[strlen(why) - 1] == '.');
	}
	/* A NULL buffer is allowed. */
	assert_int_equal(wire_validate(f, NULL, 0), want);
}

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_valid_batch(void **state)
{
	struct batch b;

	batch_init(&b, NEV);
	b.ev[1].n_fields = WIRE_MAX_FIELDS;
	b.ev[1].fields = b.fieldp;
	b.ev[2].source = "";
	b.ev[2].raw = NULL; /* NULL strings count as empty */
	b.ev[3].summary = "Đăng nhập thất bại";
	b.ev[3].seq = 1000000; /* gaps are fine, order is what counts */
	expect(&b.frame, 0, NULL);
}

static void
test_no_message(void **state)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;

	expect(&f, VIGIL_ERR_MISSING, "no message");
	f.msg_case = VIGIL__V1__FRAME__MSG_ACK; /* a kind but no message */
	expect(&f, VIGIL_ERR_MISSING, "carries none");
	f.msg_case = (Vigil__V1__Frame__MsgCase)100; /* a kind no version has */
	expect(&f, VIGIL_ERR_RANGE, "unknown");
	assert_int_equal(wire_validate(NULL, NULL, 0), VIGIL_ERR_INVAL);
}

static void
test_batch_size(void **state)
{
	Vigil__V1__Event **many;
	struct batch b;
	size_t i;

	batch_init(&b, 0);
	expect(&b.frame, VIGIL_ERR_EMPTY, "no event");

	many = calloc(WIRE_MAX_BATCH + 1, sizeof(*many));
	assert_non_null(many);
	for (i = 0; i < WIRE_MAX_BATCH + 1; i++) {
		many[i] = malloc(sizeof(**many));
		assert_non_null(many[i]);
		event_init(many[i], i + 1);
	}
	b.batch.events = many;
	b.batch.n_events = WIRE_MAX_BATCH;
	expect(&b.frame, 0, NULL);
	b.batch.n_events = WIRE_MAX_BATCH + 1;
	expect(&b.frame, VIGIL_ERR_TOOBIG, "1001 events");
	for (i = 0; i < WIRE_MAX_BATCH + 1; i++)
		free(many[i]);
	free(many);

	batch_init(&b, 2);
	b.evp[1] = NULL;
	expect(&b.frame, VIGIL_ERR_MISSING, "event 2");
}

static void
test_seq_order(void **state)
{
	struct batch b;

	batch_init(&b, NEV);
	b.ev[2].seq = b.ev[1].seq;
	expect(&b.frame, VIGIL_ERR_ORDER, "event 3: seq 101 does not follow seq 101");
	batch_init(&b, NEV);
	b.ev[3].seq = 50;
	expect(&b.frame, VIGIL_ERR_ORDER, "event 4");
	batch_init(&b, NEV);
	b.ev[0].seq = 0;
	expect(&b.frame, VIGIL_ERR_MISSING, "event 1 (seq 0): seq is missing");
	/* Above 2^63-1 no store can keep it: refused here, not by a failing commit. */
	batch_init(&b, NEV);
	b.ev[NEV - 1].seq = (uint64_t)INT64_MAX + 1;
	expect(&b.frame, VIGIL_ERR_RANGE, "seq 9223372036854775808 is above 9223372036854775807");
	batch_init(&b, NEV);
	b.ev[NEV - 1].seq = INT64_MAX;
	assert_int_equal(wire_validate(&b.frame, NULL, 0), 0);
}

static void
test_event_required(void **state)
{
	struct batch b;

	batch_init(&b, NEV);
	b.ev[1].time_us = 0;
	expect(&b.frame, VIGIL_ERR_MISSING, "event 2 (seq 101): time_us is missing");
	batch_init(&b, NEV);
	b.ev[1].time_us = -5;
	expect(&b.frame, VIGIL_ERR_RANGE, "time_us");
	batch_init(&b, NEV);
	b.ev[1].rule = "";
	expect(&b.frame, VIGIL_ERR_MISSING, "rule is missing");
	batch_init(&b, NEV);
	b.ev[1].rule = NULL;
	expect(&b.frame, VIGIL_ERR_MISSING, "rule is missing");
	batch_init(&b, NEV);
	b.ev[1].summary = "";
	expect(&b.frame, VIGIL_ERR_MISSING, "summary is missing");
}

static void
test_enums(void **state)
{
	struct batch b;

	batch_init(&b, 1);
	b.ev[0].category = VIGIL__V1__CATEGORY__CATEGORY_UNSPECIFIED;
	expect(&b.frame, VIGIL_ERR_RANGE, "category 0");
	b.ev[0].category = (Vigil__V1__Category)14;
	expect(&b.frame, VIGIL_ERR_RANGE, "category 14");
	b.ev[0].category = (Vigil__V1__Category)-1;
	expect(&b.frame, VIGIL_ERR_RANGE, "category -1");
	b.ev[0].category = VIGIL__V1__CATEGORY__CATEGORY_SYSTEM;
	expect(&b.frame, 0, NULL);
	b.ev[0].category = VIGIL__V1__CATEGORY__CATEGORY_AUTH;
	expect(&b.frame, 0, NULL);

	b.ev[0].severity = VIGIL__V1__SEVERITY__SEVERITY_UNSPECIFIED;
	expect(&b.frame, VIGIL_ERR_RANGE, "severity 0");
	b.ev[0].severity = (Vigil__V1__Severity)6;
	expect(&b.frame, VIGIL_ERR_RANGE, "severity 6");
	b.ev[0].severity = VIGIL__V1__SEVERITY__SEVERITY_CRITICAL;
	expect(&b.frame, 0, NULL);
	b.ev[0].severity = VIGIL__V1__SEVERITY__SEVERITY_INFO;
	expect(&b.frame, 0, NULL);
}

/* Each string of an event: at its limit accepted, one byte more refused. */
static void
test_event_strings(void **state)
{
	static const struct {
		size_t off;
		size_t max;
		const char *name;
	} strs[] = {
	    {offsetof(Vigil__V1__Event, source), WIRE_MAX_SOURCE, "source"},
	    {offsetof(Vigil__V1__Event, rule), WIRE_MAX_RULE, "rule"},
	    {offsetof(Vigil__V1__Event, summary), WIRE_MAX_SUMMARY, "summary"},
	    {offsetof(Vigil__V1__Event, raw), WIRE_MAX_RAW, "raw"},
	};
	char why[256], want[128];
	struct batch b;
	size_t i;
	char *s;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		batch_init(&b, NEV);
		s = repeat('x', strs[i].max);
		memcpy((char *)&b.ev[2] + strs[i].off, &s, sizeof(s));
		expect(&b.frame, 0, NULL);
		free(s);
		s = repeat('x', strs[i].max + 1);
		memcpy((char *)&b.ev[2] + strs[i].off, &s, sizeof(s));
		snprintf(want, sizeof(want), "event 3 (seq 102): %s is longer than %zu bytes.",
		         strs[i].name, strs[i].max);
		expect(&b.frame, VIGIL_ERR_TOOBIG, want);
		assert_int_equal(wire_validate_event(&b.ev[2], why, sizeof(why)), VIGIL_ERR_TOOBIG);
		free(s);

		/* Invalid UTF-8: a lone continuation byte, an overlong '/', a surrogate. */
		s = "abc\x80";
		memcpy((char *)&b.ev[2] + strs[i].off, &s, sizeof(s));
		snprintf(want, sizeof(want), "%s is not valid UTF-8", strs[i].name);
		expect(&b.frame, VIGIL_ERR_UTF8, want);
		s = "\xc0\xaf";
		memcpy((char *)&b.ev[2] + strs[i].off, &s, sizeof(s));
		expect(&b.frame, VIGIL_ERR_UTF8, want);
		s = "\xed\xa0\x80";
		memcpy((char *)&b.ev[2] + strs[i].off, &s, sizeof(s));
		expect(&b.frame, VIGIL_ERR_UTF8, want);
	}
	/* The limits count bytes: 512 two-byte characters fill a summary. */
	batch_init(&b, 1);
	s = malloc(2 * 512 + 3);
	assert_non_null(s);
	for (i = 0; i < 512; i++)
		memcpy(s + 2 * i, "\xc4\x91", 2); /* đ */
	s[1024] = '\0';
	b.ev[0].summary = s;
	expect(&b.frame, 0, NULL);
	memcpy(s + 1024, "\xc4\x91", 3);
	expect(&b.frame, VIGIL_ERR_TOOBIG, "summary");
	free(s);
}

static void
test_fields(void **state)
{
	struct batch b;
	char *s;

	batch_init(&b, 1);
	b.ev[0].fields = b.fieldp;
	b.ev[0].n_fields = WIRE_MAX_FIELDS + 1;
	expect(&b.frame, VIGIL_ERR_TOOBIG, "33 fields, more than 32");
	b.ev[0].n_fields = 3;
	expect(&b.frame, 0, NULL);

	b.field[1].key = "";
	expect(&b.frame, VIGIL_ERR_MISSING, "field 2 key is missing");
	b.field[1].key = "user";
	b.field[2].value = ""; /* an empty value is a value */
	expect(&b.frame, 0, NULL);

	s = repeat('k', WIRE_MAX_FIELD_KEY);
	b.field[0].key = s;
	expect(&b.frame, 0, NULL);
	free(s);
	s = repeat('k', WIRE_MAX_FIELD_KEY + 1);
	b.field[0].key = s;
	expect(&b.frame, VIGIL_ERR_TOOBIG, "field 1 key is longer than 64 bytes");
	free(s);
	b.field[0].key = "user";

	s = repeat('v', WIRE_MAX_FIELD_VALUE);
	b.field[2].value = s;
	expect(&b.frame, 0, NULL);
	free(s);
	s = repeat('v', WIRE_MAX_FIELD_VALUE + 1);
	b.field[2].value = s;
	expect(&b.frame, VIGIL_ERR_TOOBIG, "field 3 value is longer than 1024 bytes");
	free(s);

	b.field[2].value = "\xff";
	expect(&b.frame, VIGIL_ERR_UTF8, "field 3 value is not valid UTF-8");
	b.field[2].value = "ok";
	b.fieldp[1] = NULL;
	expect(&b.frame, VIGIL_ERR_MISSING, "field 2 is missing");
}

static void
test_hello(void **state)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Hello h;
	char *s;

	vigil__v1__hello__init(&h);
	f.msg_case = VIGIL__V1__FRAME__MSG_HELLO;
	f.hello = &h;
	expect(&f, VIGIL_ERR_MISSING, "proto_major");
	h.proto_major = WIRE_PROTO_MAJOR;
	expect(&f, 0, NULL);
	/* A later major version is the session's to refuse, with its own reason. */
	h.proto_major = 2;
	expect(&f, 0, NULL);
	h.hostname = "pc-01";
	h.unit = "UBND phường Ba Đình";
	expect(&f, 0, NULL);

	s = repeat('h', WIRE_MAX_HOSTNAME + 1);
	h.hostname = s;
	expect(&f, VIGIL_ERR_TOOBIG, "hello: hostname is longer than 255 bytes");
	free(s);
	h.hostname = "pc-01";
	s = repeat('v', WIRE_MAX_VERSION + 1);
	h.agent_version = s;
	expect(&f, VIGIL_ERR_TOOBIG, "hello: agent_version");
	free(s);
	h.agent_version = "0.1";
	s = repeat('o', WIRE_MAX_OS + 1);
	h.os = s;
	expect(&f, VIGIL_ERR_TOOBIG, "hello: os");
	free(s);
	h.os = "\xc3";
	expect(&f, VIGIL_ERR_UTF8, "hello: os is not valid UTF-8");
	h.os = "Debian";
	s = repeat('u', WIRE_MAX_UNIT + 1);
	h.unit = s;
	expect(&f, VIGIL_ERR_TOOBIG, "hello: unit");
	free(s);
}

static void
test_other_kinds(void **state)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Welcome w;
	Vigil__V1__Ack a = VIGIL__V1__ACK__INIT;
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;
	Vigil__V1__Error e;
	char *s;

	vigil__v1__welcome__init(&w);
	vigil__v1__error__init(&e);

	f.msg_case = VIGIL__V1__FRAME__MSG_WELCOME;
	f.welcome = &w;
	expect(&f, 0, NULL);
	s = repeat('v', WIRE_MAX_VERSION + 1);
	w.collector_version = s;
	expect(&f, VIGIL_ERR_TOOBIG, "welcome: collector_version");
	free(s);
	w.collector_version = "\xe2\x82";
	expect(&f, VIGIL_ERR_UTF8, "welcome: collector_version");

	f.msg_case = VIGIL__V1__FRAME__MSG_ACK;
	f.ack = &a;
	expect(&f, 0, NULL);
	f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
	f.heartbeat = &hb;
	expect(&f, 0, NULL);

	f.msg_case = VIGIL__V1__FRAME__MSG_ERROR;
	f.error = &e;
	e.reason = "protocol version 2 is not supported";
	expect(&f, 0, NULL);
	s = repeat('r', WIRE_MAX_REASON + 1);
	e.reason = s;
	expect(&f, VIGIL_ERR_TOOBIG, "error: reason is longer than 512 bytes");
	free(s);
	e.reason = "bad\xc0";
	expect(&f, VIGIL_ERR_UTF8, "error: reason");
}

/* Posture in a heartbeat: strings as everywhere, tristates, -1 / 0 for unknown. */
static void
test_posture(void **state)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;
	Vigil__V1__Posture p;
	char *s;

	vigil__v1__posture__init(&p);
	f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
	f.heartbeat = &hb;
	hb.posture = &p;
	/* All unknown is valid, as is a full report. */
	p.updates_pending = -1;
	p.security_updates_pending = -1;
	expect(&f, 0, NULL);
	p.av_product = "ClamAV";
	p.av_running = VIGIL__V1__TRISTATE__TRISTATE_YES;
	p.av_realtime = VIGIL__V1__TRISTATE__TRISTATE_NO;
	p.av_version = "1.4.6";
	p.av_signatures_us = 1794493868000000LL;
	p.updates_pending = 124;
	p.security_updates_pending = 79;
	p.security_pending_since_us = 1794493868000000LL;
	p.last_update_us = 1794493868000000LL;
	p.last_upgrade_us = 1794493868000000LL;
	p.reboot_required = VIGIL__V1__TRISTATE__TRISTATE_YES;
	p.os = "Debian GNU/Linux 12 (bookworm)";
	p.usb_policy_blocked = 3;
	p.audit_policy = "incomplete: pnp(success)";
	expect(&f, 0, NULL);
	s = repeat('a', WIRE_MAX_AUDIT + 1);
	p.audit_policy = s;
	expect(&f, VIGIL_ERR_TOOBIG, "posture: audit_policy");
	free(s);
	p.audit_policy = "incomplete: \xc3";
	expect(&f, VIGIL_ERR_UTF8, "posture: audit_policy");
	p.audit_policy = "";

	s = repeat('p', WIRE_MAX_VERSION + 1);
	p.av_product = s;
	expect(&f, VIGIL_ERR_TOOBIG, "posture: av_product");
	p.av_product = "Clam\xc3";
	expect(&f, VIGIL_ERR_UTF8, "posture: av_product");
	p.av_product = "ClamAV";
	p.av_version = s;
	expect(&f, VIGIL_ERR_TOOBIG, "posture: av_version");
	free(s);
	p.av_version = "1.4.6";
	s = repeat('o', WIRE_MAX_OS + 1);
	p.os = s;
	expect(&f, VIGIL_ERR_TOOBIG, "posture: os");
	free(s);
	p.os = "\xed\xa0\x80";       /* a surrogate */
	expect(&f, VIGIL_ERR_UTF8, "posture: os");
	p.os = "";

	p.av_running = (Vigil__V1__Tristate)3;
	expect(&f, VIGIL_ERR_RANGE, "posture: av_running 3");
	p.av_running = (Vigil__V1__Tristate)-1;
	expect(&f, VIGIL_ERR_RANGE, "posture: av_running");
	p.av_running = VIGIL__V1__TRISTATE__TRISTATE_NO;
	p.av_realtime = (Vigil__V1__Tristate)7;
	expect(&f, VIGIL_ERR_RANGE, "posture: av_realtime");
	p.av_realtime = 0;
	p.reboot_required = (Vigil__V1__Tristate)99;
	expect(&f, VIGIL_ERR_RANGE, "posture: reboot_required");
	p.reboot_required = 0;

	p.updates_pending = -2;
	expect(&f, VIGIL_ERR_RANGE, "posture: updates_pending");
	p.updates_pending = 10;
	p.security_updates_pending = -5;
	expect(&f, VIGIL_ERR_RANGE, "posture: security_updates_pending");
	p.security_updates_pending = 11;
	expect(&f, VIGIL_ERR_RANGE, "more than updates_pending");
	/* Security counted, the total not: allowed. */
	p.updates_pending = -1;
	expect(&f, 0, NULL);
	p.security_updates_pending = 0;
	p.av_signatures_us = -1;
	expect(&f, VIGIL_ERR_RANGE, "posture: a time");
	p.av_signatures_us = 0;
	p.last_upgrade_us = -5;
	expect(&f, VIGIL_ERR_RANGE, "posture: a time");
	p.last_upgrade_us = 0;
	hb.time_us = -1;
	expect(&f, VIGIL_ERR_RANGE, "heartbeat: time_us");
	hb.time_us = 0;
	expect(&f, 0, NULL);
}

/* What sensors say of themselves: names of [a-z0-9._], bounded reasons and counts. */
static void
test_sensors(void **state)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;
	Vigil__V1__SensorDown d = VIGIL__V1__SENSOR_DOWN__INIT, *dp[WIRE_MAX_SENSORS_DOWN + 1];
	Vigil__V1__SensorCounter c = VIGIL__V1__SENSOR_COUNTER__INIT;
	Vigil__V1__SensorCounter *cp[WIRE_MAX_SENSOR_COUNTERS + 1];
	char big[WIRE_MAX_SENSOR_REASON + 2];
	size_t i;

	for (i = 0; i < WIRE_MAX_SENSORS_DOWN + 1; i++)
		dp[i] = &d;
	for (i = 0; i < WIRE_MAX_SENSOR_COUNTERS + 1; i++)
		cp[i] = &c;
	f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
	f.heartbeat = &hb;
	d.sensor = "eventlog";
	d.reason = "EvtSubscribe is a stub under Wine";
	c.name = "winevent.values_cut";
	c.value = 7;
	hb.sensors_unavailable = dp;
	hb.n_sensors_unavailable = 1;
	hb.sensor_counters = cp;
	hb.n_sensor_counters = 1;
	expect(&f, 0, NULL);
	hb.n_sensors_unavailable = WIRE_MAX_SENSORS_DOWN + 1;
	expect(&f, VIGIL_ERR_TOOBIG, "sensors unavailable");
	hb.n_sensors_unavailable = 1;
	hb.n_sensor_counters = WIRE_MAX_SENSOR_COUNTERS + 1;
	expect(&f, VIGIL_ERR_TOOBIG, "sensor counters");
	hb.n_sensor_counters = 1;
	d.sensor = "Event Log";
	expect(&f, VIGIL_ERR_INVAL, "a sensor's name");
	d.sensor = "";
	expect(&f, VIGIL_ERR_INVAL, "a sensor's name");
	d.sensor = "eventlog";
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	d.reason = big;
	expect(&f, VIGIL_ERR_TOOBIG, "reason");
	d.reason = "\xff";
	expect(&f, VIGIL_ERR_UTF8, "reason");
	d.reason = "";
	c.name = "values\x1b[2J";
	expect(&f, VIGIL_ERR_INVAL, "a counter's name");
	c.name = "x";
	c.value = (uint64_t)INT64_MAX + 1;
	expect(&f, VIGIL_ERR_RANGE, "past 2^63");
	c.value = 0;
	dp[0] = NULL;
	expect(&f, VIGIL_ERR_MISSING, "empty sensor");
	dp[0] = &d;
	expect(&f, 0, NULL);
}

/* Goodbye: a known reason, a bounded detail, no time before 1970. */
static void
test_goodbye(void **state)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Goodbye g;
	char *s;

	vigil__v1__goodbye__init(&g);
	f.msg_case = VIGIL__V1__FRAME__MSG_GOODBYE;
	expect(&f, VIGIL_ERR_MISSING, "names message kind");
	f.goodbye = &g;
	expect(&f, VIGIL_ERR_MISSING, "goodbye: reason is missing");
	for (int r = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED;
	    r <= VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART; r++) {
		g.reason = (Vigil__V1__GoodbyeReason)r;
		expect(&f, 0, NULL);
	}
	g.reason = (Vigil__V1__GoodbyeReason)5;
	expect(&f, VIGIL_ERR_RANGE, "goodbye: reason 5 is not a known reason");
	g.reason = (Vigil__V1__GoodbyeReason)-1;
	expect(&f, VIGIL_ERR_RANGE, "goodbye: reason -1");
	g.reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN;
	g.detail = "the system is shutting down";
	g.time_us = 1794493868000000LL;
	expect(&f, 0, NULL);
	s = repeat('d', WIRE_MAX_GOODBYE_DETAIL);
	g.detail = s;
	expect(&f, 0, NULL);
	free(s);
	s = repeat('d', WIRE_MAX_GOODBYE_DETAIL + 1);
	g.detail = s;
	expect(&f, VIGIL_ERR_TOOBIG, "goodbye: detail is longer than 256 bytes");
	free(s);
	g.detail = "SIG\xffTERM";
	expect(&f, VIGIL_ERR_UTF8, "goodbye: detail");
	g.detail = "";
	g.time_us = -1;
	expect(&f, VIGIL_ERR_RANGE, "goodbye: time_us -1 is before 1970");
}

/* The names people and the store see, both ways. */
static void
test_goodbye_names(void **state)
{
	static const char *const names[] = { "stopped", "shutdown", "suspend", "restart" };

	for (int r = 1; r <= 4; r++) {
		assert_string_equal(goodbye_reason_name(r), names[r - 1]);
		assert_int_equal(goodbye_reason_from_name(names[r - 1]), r);
	}
	assert_string_equal(goodbye_reason_name(0), "unspecified");
	assert_string_equal(goodbye_reason_name(5), "unknown");
	assert_string_equal(goodbye_reason_name(-1), "unknown");
	assert_int_equal(goodbye_reason_from_name("SHUTDOWN"), 2);
	assert_int_equal(goodbye_reason_from_name("reboot"), -1);
	/* A tristate in the agent's log is a word, never the enum's number. */
	assert_string_equal(tristate_name(VIGIL__V1__TRISTATE__TRISTATE_YES), "yes");
	assert_string_equal(tristate_name(VIGIL__V1__TRISTATE__TRISTATE_NO), "no");
	assert_string_equal(tristate_name(VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN), "unknown");
	assert_string_equal(tristate_name(7), "unknown");
}

static void
test_single_event(void **state)
{
	Vigil__V1__Event ev;
	char why[128];

	event_init(&ev, 1);
	assert_int_equal(wire_validate_event(&ev, why, sizeof(why)), 0);
	ev.severity = (Vigil__V1__Severity)99;
	assert_int_equal(wire_validate_event(&ev, why, sizeof(why)), VIGIL_ERR_RANGE);
	assert_string_equal(why, "severity 99 is not a known severity.");
	/* A small buffer truncates the reason but stays terminated. */
	assert_int_equal(wire_validate_event(&ev, why, 5), VIGIL_ERR_RANGE);
	assert_string_equal(why, "seve");
	assert_int_equal(wire_validate_event(NULL, why, sizeof(why)), VIGIL_ERR_MISSING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_batch),    cmocka_unit_test(test_no_message),
	    cmocka_unit_test(test_batch_size),     cmocka_unit_test(test_seq_order),
	    cmocka_unit_test(test_event_required), cmocka_unit_test(test_enums),
	    cmocka_unit_test(test_event_strings),  cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_hello),          cmocka_unit_test(test_other_kinds),
	    cmocka_unit_test(test_single_event),   cmocka_unit_test(test_posture),
	    cmocka_unit_test(test_sensors),
	    cmocka_unit_test(test_goodbye),        cmocka_unit_test(test_goodbye_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
