/*
 * libFuzzer target: the agent's state, as it finds it at start-up. All of
 * it lives in the spool (agent/spool.c): the events waiting for the
 * collector, the tail positions of the log files, the journal cursors and,
 * among the cursors, the update sensor's facts. A damaged or hostile spool
 * must not crash the agent, and must not mislead it into sending what the
 * collector refuses (which would stall every later event) or into reading
 * a log from a place that is not in the file.
 *
 * Input, one of two:
 * - a whole database file ("SQLite format 3\0..."): the spool as it is on
 *   the disk, its bytes damaged;
 * - records written into a fresh spool's tables through a connection of the
 *   harness's own (as a damaged disk or another program would leave them):
 *     'E' seq:i64 len:u16 blob        an events row
 *     'P' n:u8 source dev:u64 inode:u64 offset:u64 n:u8 head
 *                                     a positions row; dev and inode 0 name
 *                                     the log file the harness follows
 *     'C' n:u8 source len:u16 text    a cursors row (any bytes)
 *     'S' seq:i64                     the events' AUTOINCREMENT counter
 *     'D' n:i64                       the dropped counter
 *     'V' n:i32                       PRAGMA user_version
 *     'X' n:u8                        drop table n % 4
 *   (integers big-endian), until the input ends or a record does not fit.
 *
 * Then the agent's start: spool_open() either refuses or gives a spool on
 * which, as the uplink reads it, every event is valid for the wire, in
 * strictly increasing seq, none above spool_high_seq(); each position
 * resumes a real tail_new() on a real file and its lines stay within
 * max_line; each cursor fits SPOOL_CURSOR_MAX; the update sensor's state
 * parses or is refused whole; then an append, an ack and an advance work or
 * fail cleanly, and what is left reads back consistently.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "vigil/log.h"
#include "vigil/wire.h"
#include "../../agent/tail.h"
#include "../../agent/linux/updates.h"
#include "../../agent/spool.h"

#define SPOOL_CAP (64 * 1024)          /* small, so that appends drop the oldest */
#define MAX_LINE 256
#define SOURCES_MAX 8
#define LOG_TEXT "Nov 25 09:15:02 pc sshd[811]: Failed password for root from " \
	"203.0.113.9 port 2222 ssh2\nNov 25 09:15:03 pc sshd[811]: Accepted password for " \
	"ketoan from 192.0.2.4 port 51234 ssh2\n" \
	"a line longer than max_line: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx end\nno newline yet"

static char dir[64], path[96], logpath[96];
static struct stat logst;
static uint8_t *template;              /* a fresh spool's bytes */
static size_t template_len;

struct rd {
	const uint8_t *p;
	size_t n;
};

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_spool: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

static void
remove_spool(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[128];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

static void
cleanup(void)
{
	remove_spool();
	unlink(logpath);
	rmdir(dir);
	free(template);
}

static void
write_file(const char *p, const void *data, size_t len)
{
	int fd;

	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len))
		fail("writing", p);
	close(fd);
}

static void
setup(void)
{
	struct spool *s;
	struct stat st;
	char err[256];
	FILE *fp;

	log_init("fuzz_spool", 1, -1);
	snprintf(dir, sizeof(dir), "%s/vigil-fuzz-spool.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		fail("mkdtemp", dir);
	snprintf(path, sizeof(path), "%s/spool.db", dir);
	snprintf(logpath, sizeof(logpath), "%s/auth.log", dir);
	atexit(cleanup);
	write_file(logpath, LOG_TEXT, strlen(LOG_TEXT));
	if (stat(logpath, &logst) != 0)
		fail("stat", logpath);
	/* A fresh spool, checkpointed into its one file, as the template of each input. */
	if ((s = spool_open(path, SPOOL_CAP, err, sizeof(err))) == NULL)
		fail("spool_open", err);
	spool_free(s);
	if (stat(path, &st) != 0 || (template = malloc((size_t)st.st_size)) == NULL ||
	    (fp = fopen(path, "rb")) == NULL ||
	    fread(template, 1, (size_t)st.st_size, fp) != (size_t)st.st_size)
		fail("reading the template spool", path);
	fclose(fp);
	template_len = (size_t)st.st_size;
}

static int
take(struct rd *r, void *out, size_t n)
{
	if (r->n < n)
		return -1;
	memcpy(out, r->p, n);
	r->p += n;
	r->n -= n;
	return 0;
}

static uint64_t
be(const uint8_t *b, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

static int
take_int(struct rd *r, size_t n, uint64_t *v)
{
	uint8_t b[8];

	if (take(r, b, n) != 0)
		return -1;
	*v = be(b, n);
	return 0;
}

/* A length-prefixed string into buf (NUL-terminated; may hold NULs). */
static int
take_str(struct rd *r, size_t lenbytes, char *buf, size_t cap, size_t *len)
{
	uint64_t n;

	if (take_int(r, lenbytes, &n) != 0 || n >= cap || take(r, buf, (size_t)n) != 0)
		return -1;
	buf[n] = '\0';
	*len = (size_t)n;
	return 0;
}

static void
run_sql(sqlite3 *db, const char *sql, int nbind, const uint64_t *ints, const void *blob,
    size_t bloblen, int blob_at, const char *text, size_t textlen, int text_at)
{
	sqlite3_stmt *st;

	/* What does not fit the schema (a dropped table, a constraint) just is not written. */
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	for (int i = 1; i <= nbind; i++) {
		if (i == blob_at)
			sqlite3_bind_blob(st, i, blob, (int)bloblen, SQLITE_STATIC);
		else if (i == text_at)
			sqlite3_bind_text(st, i, text, (int)textlen, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, i, (sqlite3_int64)ints[i - 1]);
	}
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
}

static void
run_text2(sqlite3 *db, const char *sql, const char *a, size_t la, const char *b, size_t lb)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, a, (int)la, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, (int)lb, SQLITE_STATIC);
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
}

/* The records of the input into the spool's tables; the sources named, into src. */
static size_t
apply_records(const uint8_t *data, size_t size, char src[SOURCES_MAX][256])
{
	static const char *const drops[] = { "DROP TABLE events", "DROP TABLE positions",
		"DROP TABLE cursors", "DROP TABLE meta" };
	struct rd r = { data, size };
	char a[256], b[2048], sql[64];
	uint64_t v[5];
	size_t la, lb, nsrc = 0;
	sqlite3 *db;
	uint8_t type;

	write_file(path, template, template_len);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		fail("sqlite3_open", path);
	while (take(&r, &type, 1) == 0) {
		switch (type) {
		case 'E':
			if (take_int(&r, 8, &v[0]) != 0 || take_str(&r, 2, b, sizeof(b), &lb) != 0)
				goto done;
			run_sql(db, "INSERT OR REPLACE INTO events(seq, ev) VALUES (?, ?)", 2, v, b,
			    lb, 2, NULL, 0, 0);
			break;
		case 'P':
			if (take_str(&r, 1, a, sizeof(a), &la) != 0 || take_int(&r, 8, &v[1]) != 0 ||
			    take_int(&r, 8, &v[2]) != 0 || take_int(&r, 8, &v[3]) != 0 ||
			    take_str(&r, 1, b, sizeof(b), &lb) != 0)
				goto done;
			if (v[1] == 0 && v[2] == 0) {
				v[1] = (uint64_t)logst.st_dev;
				v[2] = (uint64_t)logst.st_ino;
			}
			run_sql(db, "INSERT OR REPLACE INTO positions(source, dev, inode, offset, head)"
			    " VALUES (?, ?, ?, ?, ?)", 5, v, b, lb, 5, a, la, 1);
			if (nsrc < SOURCES_MAX)
				memcpy(src[nsrc++], a, la + 1);
			break;
		case 'C':
			if (take_str(&r, 1, a, sizeof(a), &la) != 0 ||
			    take_str(&r, 2, b, sizeof(b), &lb) != 0)
				goto done;
			/* As text of any bytes: SQLite keeps them as they are. */
			run_text2(db, "INSERT OR REPLACE INTO cursors(source, cursor) VALUES (?, ?)", a,
			    la, b, lb);
			if (nsrc < SOURCES_MAX)
				memcpy(src[nsrc++], a, la + 1);
			break;
		case 'S':
			if (take_int(&r, 8, &v[0]) != 0)
				goto done;
			run_sql(db, "INSERT OR REPLACE INTO sqlite_sequence(rowid, name, seq) VALUES "
			    "((SELECT rowid FROM sqlite_sequence WHERE name = 'events'), 'events', ?)",
			    1, v, NULL, 0, 0, NULL, 0, 0);
			break;
		case 'D':
			if (take_int(&r, 8, &v[0]) != 0)
				goto done;
			run_sql(db, "UPDATE meta SET value = ? WHERE key = 'dropped'", 1, v, NULL, 0, 0,
			    NULL, 0, 0);
			break;
		case 'V':
			if (take_int(&r, 4, &v[0]) != 0)
				goto done;
			/* A pragma takes no parameter; the number is formatted from an integer. */
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", (int)(int32_t)v[0]);
			sqlite3_exec(db, sql, NULL, NULL, NULL);
			break;
		case 'X':
			if (take(&r, &type, 1) != 0)
				goto done;
			sqlite3_exec(db, drops[type % 4], NULL, NULL, NULL);
			break;
		default:
			goto done;
		}
	}
done:
	sqlite3_close(db);
	return nsrc;
}

static void
tail_line(void *arg, const char *line, size_t len)
{
	size_t *lines = arg;

	(void)line;
	if (len > MAX_LINE)
		fail("tail_read", "a line longer than max_line");
	++*lines;
}

/* As the uplink reads: batches after the last seq sent, every event valid. */
static uint64_t
read_all(struct spool *s, uint64_t *count)
{
	uint64_t after = 0, high = spool_high_seq(s);
	Vigil__V1__Event **evs;
	char why[256];
	size_t n;

	*count = 0;
	for (int rounds = 0; rounds < 64; rounds++) {
		if (spool_read(s, after, 7, &evs, &n) != 0 || n == 0) {
			spool_events_free(evs, n);
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (evs[i]->seq <= after)
				fail("spool_read", "a seq not after the last one read");
			if (evs[i]->seq > high)
				fail("spool_read", "a seq above spool_high_seq()");
			if (wire_validate_event(evs[i], why, sizeof(why)) != 0)
				fail("spool_read handed out an event the collector refuses", why);
			after = evs[i]->seq;
		}
		*count += n;
		spool_events_free(evs, n);
	}
	return after;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char src[SOURCES_MAX + 2][256];      /* the input's, and two the agent always reads */
	char cursor[SPOOL_CURSOR_MAX + 1], err[256];
	Vigil__V1__Event ev = VIGIL__V1__EVENT__INIT;
	struct updates_state ust;
	struct tail_pos pos;
	struct spool *s;
	struct tail *t;
	uint64_t last, count, seq, high;
	size_t nsrc = 0, lines;
	int rc;

	if (template == NULL)
		setup();
	remove_spool();
	if (size >= 16 && memcmp(data, "SQLite format 3", 16) == 0)
		write_file(path, data, size);
	else
		nsrc = apply_records(data, size, src);
	memcpy(src[nsrc++], "auth.log", sizeof("auth.log"));
	memcpy(src[nsrc++], "sensor.updates", sizeof("sensor.updates"));

	if ((s = spool_open(path, SPOOL_CAP, err, sizeof(err))) == NULL)
		return 0;           /* refused whole, with a reason: the agent says why and stops */
	last = read_all(s, &count);
	if (count > spool_depth(s) && spool_depth(s) != 0)
		fail("spool_depth", "fewer than the events read");

	for (size_t i = 0; i < nsrc; i++) {
		if ((rc = spool_pos_get(s, src[i], &pos)) == 0) {
			if (pos.headlen > sizeof(pos.head))
				fail("spool_pos_get", "a head longer than its buffer");
			/* The agent resumes its tail from what it kept. */
			if ((t = tail_new(src[i], logpath, MAX_LINE, &pos)) != NULL) {
				lines = 0;
				while (tail_read(t, 1 << 16, tail_line, &lines) > 0 && lines < 1000)
					;
				tail_free(t);
			}
		}
		rc = spool_cursor_get(s, src[i], cursor, sizeof(cursor));
		if (rc == 0 && strlen(cursor) > SPOOL_CURSOR_MAX)
			fail("spool_cursor_get", "a cursor longer than SPOOL_CURSOR_MAX");
		if (rc == 0 && strcmp(src[i], "sensor.updates") == 0 &&
		    updates_state_parse(cursor, &ust) == 0 &&
		    (ust.security_pending_since_us < 0 || ust.last_update_us < 0 ||
		    ust.last_upgrade_us < 0))
			fail("updates_state_parse", "a time before 1970 taken");
	}

	/* The agent goes on: an event appended comes after every one there. */
	high = spool_high_seq(s);
	ev.time_us = 1764000000000000LL;
	ev.category = VIGIL__V1__CATEGORY__CATEGORY_AGENT;
	ev.severity = VIGIL__V1__SEVERITY__SEVERITY_INFO;
	ev.rule = (char *)"agent.started";
	ev.summary = (char *)"The agent started.";
	ev.source = (char *)"agent";
	if (spool_begin(s) == 0) {
		seq = 0;
		if (spool_append(s, &ev, &seq) == 0 && (seq <= high || seq <= last ||
		    seq > WIRE_MAX_SEQ))
			fail("spool_append", "a seq not after every one there");
		if (spool_commit(s) != 0)
			spool_rollback(s);
	}
	(void)spool_ack(s, last / 2);
	(void)spool_advance_seq(s, spool_high_seq(s) + 3);
	(void)read_all(s, &count);
	spool_free(s);
	return 0;
}
