/*
 * Writes the seed corpus of fuzz_spool into corpus/spool/: a spool file the
 * agent's own code made, and record streams (fuzz_spool.c describes them)
 * for the states a damaged disk or another program could leave. Not part of
 * the build; run once from the top of the tree after `make`:
 *
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude -Ibuild/gen tests/fuzz/gen_spool.c \
 *       build/libagent.a build/libvigil.a -lprotobuf-c -lsqlite3 \
 *       -o /tmp/gen_spool && /tmp/gen_spool
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/log.h"
#include "vigil/wire.h"
#include "../../agent/spool.h"

#define DIR "tests/fuzz/corpus/spool/"

static uint8_t rec[1 << 16];
static size_t rlen;

static void
put(const char *name)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), DIR "%s", name);
	if ((fp = fopen(path, "wb")) == NULL || fwrite(rec, 1, rlen, fp) != rlen) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	rlen = 0;
}

static void
u(uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rec[rlen++] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void
bytes(const void *p, size_t n)
{
	memcpy(rec + rlen, p, n);
	rlen += n;
}

/* An events row: its blob packed as spool_append() packs it (seq 0 inside). */
static void
event(int64_t seq, int cat, const char *summary, size_t nfields)
{
	Vigil__V1__Event ev = VIGIL__V1__EVENT__INIT;
	Vigil__V1__Field f[40], *fp[40];
	uint8_t blob[8192];
	size_t len;

	ev.time_us = 1764000000000000LL;
	ev.source = (char *)"auth.log";
	ev.category = (Vigil__V1__Category)cat;
	ev.severity = VIGIL__V1__SEVERITY__SEVERITY_LOW;
	ev.rule = (char *)"ssh.failed_password";
	ev.summary = (char *)(uintptr_t)summary;
	ev.raw = (char *)"Nov 25 09:15:02 pc sshd[811]: Failed password for root";
	for (size_t i = 0; i < nfields; i++) {
		vigil__v1__field__init(&f[i]);
		f[i].key = (char *)"user";
		f[i].value = (char *)"root";
		fp[i] = &f[i];
	}
	ev.n_fields = nfields;
	ev.fields = fp;
	len = vigil__v1__event__pack(&ev, blob);
	rec[rlen++] = 'E';
	u((uint64_t)seq, 8);
	u(len, 2);
	bytes(blob, len);
}

static void
position(const char *source, uint64_t dev, uint64_t ino, uint64_t off, const char *head,
    size_t hlen)
{
	rec[rlen++] = 'P';
	u(strlen(source), 1);
	bytes(source, strlen(source));
	u(dev, 8);
	u(ino, 8);
	u(off, 8);
	u(hlen, 1);
	bytes(head, hlen);
}

static void
cursor(const char *source, const char *text, size_t len)
{
	rec[rlen++] = 'C';
	u(strlen(source), 1);
	bytes(source, strlen(source));
	u(len, 2);
	bytes(text, len);
}

int
main(void)
{
	static const char head[64] = "Nov 25 09:15:02 pc sshd[811]: Failed password for root from ";
	struct tail_pos pos;
	struct spool *s;
	char err[256], big[2000];
	uint8_t file[1 << 16];
	FILE *fp;
	size_t n;

	/* The agent's own spool: events, an ack, a position, cursors, the update state. */
	log_init("gen_spool", 1, 0);
	unlink("/tmp/gen_spool.db");
	if ((s = spool_open("/tmp/gen_spool.db", 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	spool_begin(s);
	for (int i = 0; i < 4; i++) {
		Vigil__V1__Event ev = VIGIL__V1__EVENT__INIT;

		ev.time_us = 1764000000000000LL + i;
		ev.category = VIGIL__V1__CATEGORY__CATEGORY_AUTH;
		ev.severity = VIGIL__V1__SEVERITY__SEVERITY_LOW;
		ev.rule = (char *)"ssh.failed_password";
		ev.summary = (char *)"Failed SSH password for root from 203.0.113.9";
		spool_append(s, &ev, NULL);
	}
	memset(&pos, 0, sizeof(pos));
	pos.dev = 2049;
	pos.inode = 131;
	pos.offset = 120;
	memcpy(pos.head, head, 64);
	pos.headlen = 64;
	spool_pos_set(s, "auth.log", &pos);
	spool_cursor_set(s, "journal", "s=0123456789abcdef0123456789abcdef;i=2f1;b=fedcba9876543210"
	    "fedcba9876543210;m=1a2b3c;t=5f1e2d3c4b5a6;x=1234abcd5678ef90");
	spool_cursor_set(s, "sensor.updates", "1764000000000000 1763000000000000 0 1");
	spool_commit(s);
	spool_ack(s, 1);
	spool_free(s);
	if ((fp = fopen("/tmp/gen_spool.db", "rb")) == NULL)
		return 1;
	n = fread(file, 1, sizeof(file), fp);
	fclose(fp);
	memcpy(rec, file, n);
	rlen = n;
	put("agent-made.db");

	event(1, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "Failed SSH password", 2);
	event(2, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "again", 0);
	position("auth.log", 0, 0, 62, head, 62);
	cursor("sensor.updates", "1764000000000000 0 0 0", 22);
	put("records-valid");

	/* Events the collector would refuse: no category, invalid UTF-8, too many fields. */
	event(3, 0, "no category", 1);
	event(4, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "bad \xff\xfe utf-8", 1);
	event(5, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "forty fields", 40);
	event(6, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "the last good one", 1);
	put("events-invalid");

	/* Seqs at the edges, and a counter behind the rows. */
	event(-5, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "negative", 0);
	event(0, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "zero", 0);
	event(9, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "nine", 0);
	rec[rlen++] = 'S';
	u(2, 8);
	put("sequence-behind");

	event(INT64_MAX, VIGIL__V1__CATEGORY__CATEGORY_AUTH, "the last seq there is", 0);
	rec[rlen++] = 'S';
	u(INT64_MAX, 8);
	rec[rlen++] = 'D';
	u((uint64_t)-1, 8);
	put("sequence-at-the-end");

	/* Garbage where an event should be. */
	rec[rlen++] = 'E';
	u(7, 8);
	u(5, 2);
	bytes("\x0a\xff\xff\xff\x0f", 5);
	put("event-garbage");

	/* Positions: past the end, a head that is not the file's, a head too long. */
	position("auth.log", 0, 0, (uint64_t)1 << 62, head, 10);
	position("syslog", 0, 0, 100, "not the file's first bytes", 26);
	position("kern.log", 0, 0, 5, head, 62);
	rlen -= 62 + 1;
	u(200, 1);
	memset(rec + rlen, 'h', 200);
	rlen += 200;
	put("positions-hostile");

	/* Cursors: too long, with a NUL, and update states out of range. */
	memset(big, 's', sizeof(big));
	cursor("journal", big, sizeof(big));
	cursor("journal2", "s=01\0;i=2", 9);
	cursor("sensor.updates", "99999999999999999999 -1 -1 7", 28);
	put("cursors-hostile");

	/* A schema from elsewhere: newer, older, tables gone. */
	rec[rlen++] = 'V';
	u(3, 4);
	put("version-newer");
	rec[rlen++] = 'V';
	u(1, 4);
	put("version-older");
	rec[rlen++] = 'X';
	rec[rlen++] = 0;
	rec[rlen++] = 'X';
	rec[rlen++] = 2;
	put("tables-dropped");
	return 0;
}
