/*
 * Writes the seed corpus of fuzz_collect into corpus/collect/: streams of
 * frames as agents send them (Hello, batches, heartbeats with and without a
 * posture), for one agent and for several, so that incidents and each kind
 * of correlation open, and with the values at the edges of wire.h. Not part
 * of the build; run once from tests/fuzz/ after `make`:
 *
 *   cc -std=c11 -D_GNU_SOURCE -I../../include -I../../build/gen gen_collect.c \
 *       ../../build/libvigil.a -lprotobuf-c -o /tmp/gen_collect && /tmp/gen_collect
 *
 * libFuzzer then grows the corpus, and -merge=1 keeps it small.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/frame.h"
#include "vigil/wire.h"

#define DIR "corpus/collect/"
#define T0 1764000000000000LL

static uint8_t stream[1 << 20];
static size_t slen;

/* Append f, packed as it is (frame_encode() would refuse nothing here, but no check is wanted). */
static void
add(const Vigil__V1__Frame *f)
{
	size_t len = vigil__v1__frame__pack(f, stream + slen + 4);

	stream[slen] = (uint8_t)(len >> 24);
	stream[slen + 1] = (uint8_t)(len >> 16);
	stream[slen + 2] = (uint8_t)(len >> 8);
	stream[slen + 3] = (uint8_t)len;
	slen += len + 4;
}

static void
put(const char *name)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), DIR "%s", name);
	if ((fp = fopen(path, "wb")) == NULL || fwrite(stream, 1, slen, fp) != slen) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	slen = 0;
}

static void
hello(const char *host, const char *unit)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Hello h = VIGIL__V1__HELLO__INIT;

	h.proto_major = WIRE_PROTO_MAJOR;
	h.agent_version = (char *)"0.1.0";
	h.hostname = (char *)(uintptr_t)host;
	h.os = (char *)"Debian GNU/Linux 12 (bookworm)";
	h.unit = (char *)(uintptr_t)unit;
	h.spool_high_seq = 0;
	f.msg_case = VIGIL__V1__FRAME__MSG_HELLO;
	f.hello = &h;
	add(&f);
}

struct ev {
	uint64_t seq;
	int cat, sev;
	const char *rule, *summary, *raw;
	const char *k[3], *v[3];
};

static void
batch(const struct ev *evs, size_t n)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__EventBatch b = VIGIL__V1__EVENT_BATCH__INIT;
	Vigil__V1__Event e[8], *ep[8];
	Vigil__V1__Field fl[8][3], *flp[8][3];

	for (size_t i = 0; i < n; i++) {
		vigil__v1__event__init(&e[i]);
		e[i].seq = evs[i].seq;
		e[i].time_us = T0 + (int64_t)evs[i].seq * 1000000;
		e[i].source = (char *)"auth.log";
		e[i].category = (Vigil__V1__Category)evs[i].cat;
		e[i].severity = (Vigil__V1__Severity)evs[i].sev;
		e[i].rule = (char *)(uintptr_t)evs[i].rule;
		e[i].summary = (char *)(uintptr_t)evs[i].summary;
		e[i].raw = (char *)(uintptr_t)(evs[i].raw ? evs[i].raw : "");
		for (size_t k = 0; k < 3 && evs[i].k[k] != NULL; k++) {
			vigil__v1__field__init(&fl[i][k]);
			fl[i][k].key = (char *)(uintptr_t)evs[i].k[k];
			fl[i][k].value = (char *)(uintptr_t)evs[i].v[k];
			flp[i][k] = &fl[i][k];
			e[i].n_fields = k + 1;
		}
		e[i].fields = flp[i];
		ep[i] = &e[i];
	}
	b.n_events = n;
	b.events = ep;
	f.msg_case = VIGIL__V1__FRAME__MSG_BATCH;
	f.batch = &b;
	add(&f);
}

static void
heartbeat(int with_posture, int running, int64_t sigs, int32_t pending, int32_t security,
    uint64_t counters)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;
	Vigil__V1__Posture p = VIGIL__V1__POSTURE__INIT;

	hb.time_us = T0;
	hb.spool_depth = counters;
	hb.dropped = counters;
	hb.lines_truncated = counters;
	hb.events_rejected = counters;
	hb.uevents_spoofed = counters;
	if (with_posture) {
		p.av_product = (char *)"ClamAV";
		p.av_version = (char *)"1.4.6";
		p.av_running = (Vigil__V1__Tristate)running;
		p.av_realtime = VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN;
		p.av_signatures_us = sigs;
		p.updates_pending = pending;
		p.security_updates_pending = security;
		p.security_pending_since_us = security > 0 ? T0 - 10 * 86400 * 1000000LL : 0;
		p.last_update_us = T0 - 86400 * 1000000LL;
		p.reboot_required = VIGIL__V1__TRISTATE__TRISTATE_YES;
		p.os = (char *)"Debian GNU/Linux 12 (bookworm)";
		p.usb_policy_blocked = counters;
		hb.posture = &p;
	}
	f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
	f.heartbeat = &hb;
	add(&f);
}

#define AUTH VIGIL__V1__CATEGORY__CATEGORY_AUTH
#define USB VIGIL__V1__CATEGORY__CATEGORY_USB
#define MALWARE VIGIL__V1__CATEGORY__CATEGORY_MALWARE
#define ATTACK VIGIL__V1__CATEGORY__CATEGORY_ATTACK
#define LOW VIGIL__V1__SEVERITY__SEVERITY_LOW
#define MEDIUM VIGIL__V1__SEVERITY__SEVERITY_MEDIUM
#define HIGH VIGIL__V1__SEVERITY__SEVERITY_HIGH
#define CRITICAL VIGIL__V1__SEVERITY__SEVERITY_CRITICAL

static const struct ev failed = { 1, AUTH, LOW, "ssh.failed_password",
	"Failed SSH password for root from 203.0.113.9",
	"Nov 25 09:15:02 pc sshd[811]: Failed password for root from 203.0.113.9 port 2222 ssh2",
	{ "user", "src_ip", "port" }, { "root", "203.0.113.9", "2222" } };

int
main(void)
{
	struct ev e[4];
	char big[1025], huge_raw[4097];

	/* One agent: hello, a batch, a heartbeat without posture, one with. */
	hello("pc-ketoan-01", "UBND phường 7");
	put("hello");

	hello("pc-ketoan-01", "UBND phường 7");
	e[0] = failed;
	e[1] = failed;
	e[1].seq = 2;
	e[2] = (struct ev){ 3, ATTACK, HIGH, "ssh.bruteforce", "5 failed SSH logins from "
	    "203.0.113.9 in 60s", NULL, { "src_ip", "count" }, { "203.0.113.9", "5" } };
	batch(e, 3);
	heartbeat(0, 0, 0, 0, 0, 0);
	heartbeat(1, VIGIL__V1__TRISTATE__TRISTATE_YES, T0 - 86400 * 1000000LL, 3, 1, 7);
	put("one-agent-incident-posture");

	/* Three machines, one source address: the correlation of failed logins. */
	for (int a = 0; a < 3; a++) {
		hello(a == 0 ? "pc-01" : a == 1 ? "pc-02" : "pc-03", "phuong-7");
		batch(&failed, 1);
	}
	put("three-agents-one-address");

	/* One USB serial on two machines; malware on two machines. */
	e[0] = (struct ev){ 5, USB, MEDIUM, "usb.inserted", "USB storage device 0781:5567 "
	    "(SanDisk Cruzer) serial 4C530001 inserted", NULL,
	    { "vendor", "product", "serial" }, { "0781", "5567", "4C530001" } };
	e[1] = (struct ev){ 6, MALWARE, CRITICAL, "clamav.found", "Eicar-Test-Signature FOUND in "
	    "/home/a/eicar.com", NULL, { "signature", "path" },
	    { "Eicar-Test-Signature", "/home/a/eicar.com" } };
	hello("pc-01", "phuong-7");
	batch(e, 2);
	hello("pc-02", "phuong-7");
	batch(e, 2);
	put("usb-and-malware-on-two");

	/* Hostile text at the limits: JSON's specials, C1 controls, the longest values. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(huge_raw, '\\', sizeof(huge_raw) - 1);
	huge_raw[sizeof(huge_raw) - 1] = '\0';
	e[0] = (struct ev){ 9, AUTH, HIGH, "local.x\"y", "\"}\n{\"error\":\"forged\"} \xc2\x9b" "2J",
	    huge_raw, { "src_ip", "\"key\\", "a" }, { big, "\x1b[31m\xe2\x80\xae", "" } };
	e[1] = (struct ev){ INT64_MAX, ATTACK, CRITICAL, "r", "s", NULL, { "src_ip" }, { "-" } };
	hello("\xe1\xba\xa1\"\\\x7f", "");
	batch(e, 2);
	heartbeat(1, VIGIL__V1__TRISTATE__TRISTATE_NO, INT64_MAX, -1, -1, UINT64_MAX);
	put("hostile-text-and-limits");

	/* A second batch that does not follow the first: the session closes there. */
	hello("pc-01", "phuong-7");
	batch(&failed, 1);
	batch(&failed, 1);
	heartbeat(1, VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN, 0, 0, 0, 0);
	put("batch-out-of-order");

	/* Resent events after a reconnect: stored once, acked again. */
	hello("pc-01", "phuong-7");
	e[0] = failed;
	e[0].sev = MEDIUM;
	batch(e, 1);
	hello("pc-02", "phuong-7");
	hello("pc-03", "phuong-7");
	hello("pc-04", "phuong-7");
	hello("pc-01", "phuong-7");
	batch(e, 1);
	put("resend-after-reconnect");
	return 0;
}
