/* The spool: durable queue of events and tail offsets (agent/spool.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vigil/err.h"

#include "../../agent/spool.h"

struct fixture {
	char dir[256];
	char db[PATH_MAX];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-spool.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/spool.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(f->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct spool *
open_spool(const struct fixture *f, long long max_bytes)
{
	char err[256] = "";
	struct spool *s = spool_open(f->db, max_bytes, err, sizeof(err));

	if (s == NULL)
		fail_msg("spool_open: %s", err);
	return s;
}

/* Append an event whose summary is "event N" padded to pad bytes; 0 on error. */
static uint64_t
append_raw(struct spool *s, int n, size_t pad)
{
	Vigil__V1__Event ev;
	Vigil__V1__Field fld;
	Vigil__V1__Field *fields[1] = { &fld };
	char summary[4096], num[32];
	uint64_t seq = 0;

	vigil__v1__event__init(&ev);
	vigil__v1__field__init(&fld);
	snprintf(summary, sizeof(summary), "event %d", n);
	if (pad > strlen(summary) && pad < sizeof(summary)) {
		memset(summary + strlen(summary), '.', pad - strlen(summary));
		summary[pad] = '\0';
	}
	snprintf(num, sizeof(num), "%d", n);
	fld.key = (char *)(uintptr_t)"n";
	fld.value = num;
	ev.seq = 999999;        /* ignored: the spool assigns it */
	ev.time_us = 1700000000000000LL + n;
	ev.source = (char *)(uintptr_t)"auth";
	ev.category = VIGIL__V1__CATEGORY__CATEGORY_AUTH;
	ev.severity = VIGIL__V1__SEVERITY__SEVERITY_MEDIUM;
	ev.rule = (char *)(uintptr_t)"ssh.failed_password";
	ev.summary = summary;
	ev.n_fields = 1;
	ev.fields = fields;
	if (spool_append(s, &ev, &seq) != 0)
		return 0;
	return seq;
}

static uint64_t
append(struct spool *s, int n, size_t pad)
{
	uint64_t seq = append_raw(s, n, pad);

	assert_true(seq > 0);
	return seq;
}

/* The seq of the first waiting event (0: none). */
static uint64_t
first_seq(struct spool *s)
{
	Vigil__V1__Event **evs;
	uint64_t seq;
	size_t n;

	assert_int_equal(spool_read(s, 0, 1, &evs, &n), 0);
	seq = n > 0 ? evs[0]->seq : 0;
	spool_events_free(evs, n);
	return seq;
}

/* In a forked child, where a cmocka assertion must not run. */
static struct spool *
child_open(const struct fixture *f)
{
	char err[256];
	struct spool *s = spool_open(f->db, 0, err, sizeof(err));

	if (s == NULL)
		_exit(3);
	return s;
}

static void
child_append(struct spool *s, int n)
{
	if (append_raw(s, n, 0) == 0)
		_exit(2);
}

/* The number in the event's "n" field. */
static int
event_n(const Vigil__V1__Event *ev)
{
	assert_int_equal(ev->n_fields, 1);
	assert_string_equal(ev->fields[0]->key, "n");
	return atoi(ev->fields[0]->value);
}

static void
test_append_read_ack(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);
	Vigil__V1__Event **evs;
	size_t n;

	assert_int_equal(spool_depth(s), 0);
	assert_int_equal(spool_high_seq(s), 0);
	assert_int_equal(append(s, 1, 0), 1);
	assert_int_equal(append(s, 2, 0), 2);
	assert_int_equal(append(s, 3, 0), 3);
	assert_int_equal(spool_depth(s), 3);
	assert_int_equal(spool_high_seq(s), 3);

	assert_int_equal(spool_read(s, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(evs[0]->seq, 1);
	assert_int_equal(evs[2]->seq, 3);
	assert_int_equal(event_n(evs[1]), 2);
	assert_string_equal(evs[0]->summary, "event 1");
	assert_string_equal(evs[0]->rule, "ssh.failed_password");
	assert_string_equal(evs[0]->source, "auth");
	assert_int_equal(evs[0]->time_us, 1700000000000001LL);
	assert_int_equal(evs[0]->category, VIGIL__V1__CATEGORY__CATEGORY_AUTH);
	spool_events_free(evs, n);

	/* after and max bound the read */
	assert_int_equal(spool_read(s, 1, 1, &evs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(evs[0]->seq, 2);
	spool_events_free(evs, n);

	assert_int_equal(spool_ack(s, 2), 0);
	assert_int_equal(spool_depth(s), 1);
	assert_int_equal(spool_read(s, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(evs[0]->seq, 3);
	spool_events_free(evs, n);

	assert_int_equal(spool_ack(s, 3), 0);
	assert_int_equal(spool_depth(s), 0);
	assert_int_equal(spool_read(s, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 0);
	spool_events_free(evs, n);
	assert_int_equal(spool_high_seq(s), 3);
	spool_free(s);
	spool_free(NULL);
}

static void
test_seq_never_reused(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);

	append(s, 1, 0);
	append(s, 2, 0);
	assert_int_equal(spool_ack(s, 2), 0);
	assert_int_equal(append(s, 3, 0), 3);
	assert_int_equal(spool_ack(s, 3), 0);
	spool_free(s);

	s = open_spool(f, 0);
	assert_int_equal(spool_depth(s), 0);
	assert_int_equal(spool_high_seq(s), 3);
	assert_int_equal(append(s, 4, 0), 4);
	spool_free(s);

	s = open_spool(f, 0);
	assert_int_equal(spool_depth(s), 1);
	assert_int_equal(spool_high_seq(s), 4);
	spool_free(s);
}

static void
test_advance_seq(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);

	/* On an empty spool, before sqlite_sequence has a row. */
	assert_int_equal(spool_advance_seq(s, 100), 0);
	assert_int_equal(spool_high_seq(s), 100);
	spool_free(s);

	s = open_spool(f, 0);
	assert_int_equal(spool_high_seq(s), 100);
	assert_int_equal(append(s, 1, 0), 101);
	/* Never backwards. */
	assert_int_equal(spool_advance_seq(s, 50), 0);
	assert_int_equal(spool_high_seq(s), 101);
	assert_int_equal(append(s, 2, 0), 102);
	assert_int_equal(spool_advance_seq(s, 200), 0);
	assert_int_equal(append(s, 3, 0), 201);
	spool_free(s);

	s = open_spool(f, 0);
	assert_int_equal(spool_high_seq(s), 201);
	assert_int_equal(spool_depth(s), 3);
	spool_free(s);
}

static void
test_cap_drops_oldest(void **state)
{
	struct fixture *f = *state;
	struct spool *s;
	Vigil__V1__Event **evs;
	uint64_t depth, dropped;
	size_t n;
	int i;

	/* Each event packs to a little over 1000 bytes: about 4 fit in 4500. */
	s = open_spool(f, 4500);
	for (i = 1; i <= 10; i++)
		assert_int_equal(append(s, i, 1000), (uint64_t)i);
	depth = spool_depth(s);
	dropped = spool_dropped(s);
	assert_int_equal(depth, 4);
	assert_int_equal(dropped, 6);
	assert_int_equal(depth + dropped, 10);
	assert_int_equal(spool_high_seq(s), 10);

	/* The oldest went first: what is left is the newest, in order. */
	assert_int_equal(spool_read(s, 0, 100, &evs, &n), 0);
	assert_int_equal(n, depth);
	assert_int_equal(evs[0]->seq, 7);
	assert_int_equal(event_n(evs[0]), 7);
	assert_int_equal(evs[n - 1]->seq, 10);
	spool_events_free(evs, n);
	spool_free(s);

	/* The counter and the size survive a reopen. */
	s = open_spool(f, 4500);
	assert_int_equal(spool_dropped(s), 6);
	assert_int_equal(spool_depth(s), 4);
	append(s, 11, 1000);
	assert_int_equal(spool_dropped(s), 7);
	assert_int_equal(spool_depth(s), 4);

	/* Drops inside a rolled-back transaction are undone with it. */
	assert_int_equal(spool_begin(s), 0);
	append(s, 12, 1000);
	append(s, 13, 1000);
	assert_int_equal(spool_dropped(s), 9);
	assert_int_equal(spool_rollback(s), 0);
	assert_int_equal(spool_dropped(s), 7);
	assert_int_equal(spool_depth(s), 4);
	spool_free(s);

	s = open_spool(f, 4500);
	assert_int_equal(spool_dropped(s), 7);
	assert_int_equal(spool_depth(s), 4);
	assert_int_equal(spool_high_seq(s), 11);
	spool_free(s);
}

static void
test_positions(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);
	struct tail_pos in, out;

	assert_int_equal(spool_pos_get(s, "auth", &out), VIGIL_ERR_NOTFOUND);

	memset(&in, 0, sizeof(in));
	in.dev = 0x803;
	in.inode = 0xfedcba9876543210ULL;       /* the whole 64-bit range round-trips */
	in.offset = 123456789012ULL;
	memcpy(in.head, "Nov 25 10:00:01 host sshd[1]: x\n", 32);
	in.headlen = 32;
	assert_int_equal(spool_pos_set(s, "auth", &in), 0);
	spool_free(s);

	s = open_spool(f, 0);
	assert_int_equal(spool_pos_get(s, "auth", &out), 0);
	assert_int_equal(out.dev, in.dev);
	assert_int_equal(out.inode, in.inode);
	assert_int_equal(out.offset, in.offset);
	assert_int_equal(out.headlen, 32);
	assert_memory_equal(out.head, in.head, 32);

	/* Overwrite; an empty head; another source is separate. */
	in.offset = 7;
	in.headlen = 0;
	assert_int_equal(spool_pos_set(s, "auth", &in), 0);
	assert_int_equal(spool_pos_get(s, "auth", &out), 0);
	assert_int_equal(out.offset, 7);
	assert_int_equal(out.headlen, 0);
	assert_int_equal(spool_pos_get(s, "syslog", &out), VIGIL_ERR_NOTFOUND);
	spool_free(s);
}

static void
test_rollback(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);
	Vigil__V1__Event **evs;
	struct tail_pos pos, out;
	size_t n;

	memset(&pos, 0, sizeof(pos));
	pos.inode = 42;
	pos.offset = 1000;
	assert_int_equal(spool_begin(s), 0);
	assert_int_equal(spool_begin(s), VIGIL_ERR_PROTO);
	append(s, 1, 0);
	append(s, 2, 0);
	assert_int_equal(spool_pos_set(s, "auth", &pos), 0);
	assert_int_equal(spool_depth(s), 2);
	assert_int_equal(spool_rollback(s), 0);

	assert_int_equal(spool_depth(s), 0);
	assert_int_equal(spool_high_seq(s), 0);
	assert_int_equal(spool_pos_get(s, "auth", &out), VIGIL_ERR_NOTFOUND);
	assert_int_equal(spool_read(s, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 0);
	spool_events_free(evs, n);
	assert_int_equal(spool_commit(s), VIGIL_ERR_PROTO);

	/* A committed transaction keeps both. */
	assert_int_equal(spool_begin(s), 0);
	assert_int_equal(append(s, 3, 0), 1);
	assert_int_equal(spool_pos_set(s, "auth", &pos), 0);
	assert_int_equal(spool_commit(s), 0);
	spool_free(s);

	s = open_spool(f, 0);
	assert_int_equal(spool_depth(s), 1);
	assert_int_equal(spool_pos_get(s, "auth", &out), 0);
	assert_int_equal(out.offset, 1000);
	spool_free(s);
}

/*
 * A child commits events 1..2 with a position, then appends 3..5 in a
 * transaction it never commits, and dies: by _exit(0) without closing, or
 * by SIGKILL from the parent once the child says it is there.
 */
static void
unclean_stop(const struct fixture *f, int kill_it)
{
	struct spool *s;
	struct tail_pos pos, out;
	Vigil__V1__Event **evs;
	int p[2], status;
	size_t n;
	pid_t pid;
	char c;

	assert_int_equal(pipe(p), 0);
	memset(&pos, 0, sizeof(pos));
	pos.inode = 7;
	pos.offset = 4096;
	if ((pid = fork()) == 0) {
		close(p[0]);
		s = child_open(f);
		if (spool_begin(s) != 0)
			_exit(2);
		child_append(s, 1);
		child_append(s, 2);
		if (spool_pos_set(s, "auth", &pos) != 0 || spool_commit(s) != 0)
			_exit(2);
		if (spool_begin(s) != 0)
			_exit(2);
		child_append(s, 3);
		child_append(s, 4);
		child_append(s, 5);
		pos.offset = 9999;
		if (spool_pos_set(s, "auth", &pos) != 0)
			_exit(2);
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		if (kill_it)
			pause();
		_exit(0);
	}
	assert_true(pid > 0);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	if (kill_it)
		assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (kill_it)
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	else
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	s = open_spool(f, 0);
	assert_int_equal(spool_depth(s), 2);
	assert_int_equal(spool_high_seq(s), 2);
	assert_int_equal(spool_read(s, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(event_n(evs[0]), 1);
	assert_int_equal(event_n(evs[1]), 2);
	spool_events_free(evs, n);
	assert_int_equal(spool_pos_get(s, "auth", &out), 0);
	assert_int_equal(out.offset, 4096);
	/* The uncommitted seqs were never handed out for good. */
	assert_int_equal(append(s, 6, 0), 3);
	spool_free(s);
}

static void
test_unclean_exit(void **state)
{
	unclean_stop(*state, 0);
}

static void
test_unclean_sigkill(void **state)
{
	unclean_stop(*state, 1);
}

static void
test_open_error(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 32], err[256] = "";

	snprintf(path, sizeof(path), "%s/no/such/dir/spool.db", f->dir);
	assert_null(spool_open(path, 0, err, sizeof(err)));
	assert_true(strlen(err) > 0);
}

/*
 * A text the spool keeps by key (cursor, sensor state) and its cap: max
 * bytes fit; one more does not, and the kept text stays; nor a short buffer.
 */
static void
text_caps(struct spool *s, int (*set)(struct spool *, const char *, const char *),
    int (*get)(struct spool *, const char *, char *, size_t), const char *key, size_t max)
{
	char *big = malloc(max + 2), *got = malloc(max + 1), small[8];

	assert_non_null(big);
	assert_non_null(got);
	memset(big, 'c', max);
	big[max] = '\0';
	assert_int_equal(set(s, key, big), 0);
	assert_int_equal(get(s, key, got, max + 1), 0);
	assert_int_equal(strlen(got), max);
	assert_int_equal(get(s, key, small, sizeof(small)), VIGIL_ERR_TOOBIG);
	big[max] = 'c';
	big[max + 1] = '\0';
	assert_int_equal(set(s, key, big), VIGIL_ERR_TOOBIG);
	assert_int_equal(get(s, key, got, max + 1), 0);
	assert_int_equal(strlen(got), max);
	free(big);
	free(got);
}

static void
test_cursors(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);
	char cur[SPOOL_CURSOR_MAX + 1];
	struct tail_pos pos;
	const char *c1 = "s=8604c6abedd943dc9d9628172d853319;i=157;"
	    "b=70b7532f07c841de84c02b929683a337;m=6ae51731;t=6611dff6e5f10;x=8e6d8e12a6695867";

	assert_int_equal(spool_cursor_get(s, "system", cur, sizeof(cur)), VIGIL_ERR_NOTFOUND);
	assert_string_equal(cur, "");
	assert_int_equal(spool_cursor_set(s, "system", c1), 0);
	spool_free(s);

	/* It survives a reopen; overwrite; the empty cursor is a value. */
	s = open_spool(f, 0);
	assert_int_equal(spool_cursor_get(s, "system", cur, sizeof(cur)), 0);
	assert_string_equal(cur, c1);
	assert_int_equal(spool_cursor_set(s, "system", "x"), 0);
	assert_int_equal(spool_cursor_get(s, "system", cur, sizeof(cur)), 0);
	assert_string_equal(cur, "x");
	assert_int_equal(spool_cursor_set(s, "other", ""), 0);
	assert_int_equal(spool_cursor_get(s, "other", cur, sizeof(cur)), 0);
	assert_string_equal(cur, "");

	/* Cursors and tail offsets are separate, even under one name. */
	assert_int_equal(spool_pos_get(s, "system", &pos), VIGIL_ERR_NOTFOUND);

	text_caps(s, spool_cursor_set, spool_cursor_get, "system", SPOOL_CURSOR_MAX);
	spool_free(s);
}

/* A sensor's kept state (the Event Log's kinds): by name, across a reopen, capped. */
static void
test_state(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);
	static char got[SPOOL_STATE_MAX + 1];
	char small[8];

	assert_int_equal(spool_state_get(s, "eventlog.kinds", got, sizeof(got)),
	    VIGIL_ERR_NOTFOUND);
	assert_string_equal(got, "");
	assert_int_equal(spool_state_set(s, "eventlog.kinds", "vigil-eventlog-kinds 2\nP\t1\n"),
	    0);
	spool_free(s);
	s = open_spool(f, 0);
	assert_int_equal(spool_state_get(s, "eventlog.kinds", got, sizeof(got)), 0);
	assert_string_equal(got, "vigil-eventlog-kinds 2\nP\t1\n");
	assert_int_equal(spool_state_get(s, "other", got, sizeof(got)), VIGIL_ERR_NOTFOUND);
	assert_int_equal(spool_state_get(s, "eventlog.kinds", small, sizeof(small)),
	    VIGIL_ERR_TOOBIG);

	/* Inside a transaction: gone with its rollback. */
	assert_int_equal(spool_begin(s), 0);
	assert_int_equal(spool_state_set(s, "eventlog.kinds", "new"), 0);
	assert_int_equal(spool_rollback(s), 0);
	assert_int_equal(spool_state_get(s, "eventlog.kinds", got, sizeof(got)), 0);
	assert_string_equal(got, "vigil-eventlog-kinds 2\nP\t1\n");

	text_caps(s, spool_state_set, spool_state_get, "eventlog.kinds", SPOOL_STATE_MAX);
	spool_free(s);
}

/* The events of a journal pass and its cursor commit or roll back together. */
static void
test_cursor_transaction(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);
	char cur[SPOOL_CURSOR_MAX + 1];

	assert_int_equal(spool_cursor_set(s, "system", "c0"), 0);

	assert_int_equal(spool_begin(s), 0);
	append(s, 1, 0);
	append(s, 2, 0);
	assert_int_equal(spool_cursor_set(s, "system", "c2"), 0);
	assert_int_equal(spool_rollback(s), 0);
	assert_int_equal(spool_depth(s), 0);
	assert_int_equal(spool_cursor_get(s, "system", cur, sizeof(cur)), 0);
	assert_string_equal(cur, "c0");

	assert_int_equal(spool_begin(s), 0);
	append(s, 1, 0);
	append(s, 2, 0);
	assert_int_equal(spool_cursor_set(s, "system", "c2"), 0);
	assert_int_equal(spool_commit(s), 0);
	spool_free(s);

	s = open_spool(f, 0);
	assert_int_equal(spool_depth(s), 2);
	assert_int_equal(spool_cursor_get(s, "system", cur, sizeof(cur)), 0);
	assert_string_equal(cur, "c2");
	spool_free(s);
}

static void
exec_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A spool of the first schema (before journal cursors) is upgraded in place. */
static void
test_schema_upgrade(void **state)
{
	struct fixture *f = *state;
	struct spool *s;
	struct tail_pos pos;
	char cur[SPOOL_CURSOR_MAX + 1], err[256] = "";
	uint64_t moved = 99;

	exec_sql(f->db,
	    "PRAGMA journal_mode = WAL;"
	    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, ev BLOB NOT NULL);"
	    "CREATE TABLE positions (source TEXT PRIMARY KEY, dev INTEGER NOT NULL,"
	    " inode INTEGER NOT NULL, offset INTEGER NOT NULL, head BLOB NOT NULL);"
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	    "INSERT INTO meta(key, value) VALUES ('dropped', 3);"
	    "INSERT INTO positions VALUES ('auth', 1, 2, 42, x'');"
	    "PRAGMA user_version = 1;");
	s = open_spool(f, 0);
	assert_int_equal(spool_dropped(s), 3);
	assert_int_equal(spool_pos_get(s, "auth", &pos), 0);
	assert_int_equal(pos.offset, 42);
	assert_int_equal(spool_cursor_get(s, "system", cur, sizeof(cur)), VIGIL_ERR_NOTFOUND);
	assert_int_equal(spool_cursor_set(s, "system", "c1"), 0);
	assert_int_equal(append(s, 1, 0), 1);
	spool_free(s);

	s = open_spool(f, 0);
	assert_int_equal(spool_cursor_get(s, "system", cur, sizeof(cur)), 0);
	assert_string_equal(cur, "c1");
	/* It gained the newer tables, the sensors' kept state too. */
	assert_int_equal(spool_state_set(s, "eventlog.kinds", "k"), 0);
	/* A spool from before the anchoring step has talked to its collector: kept as is. */
	assert_int_equal(spool_anchor(s, 100, &moved), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(first_seq(s), 1);
	spool_free(s);

	/* A spool from a newer agent is refused, not misread. */
	exec_sql(f->db, "PRAGMA user_version = 99;");
	assert_null(spool_open(f->db, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
}

/*
 * A damaged spool (found by fuzz_spool): rows the collector would refuse
 * are skipped as undecodable ones are, so that they cannot stall every
 * later event; a batch read goes on past them; and the highest seq covers
 * every row even when the AUTOINCREMENT counter lags behind.
 */
static void
test_damaged_rows(void **state)
{
	struct fixture *f = *state;
	Vigil__V1__Event **evs;
	struct spool *s;
	size_t n;

	s = open_spool(f, 0);
	for (int i = 1; i <= 6; i++)
		append(s, i, 0);
	spool_free(s);
	/* Rows 2..4: no category (0x20 = field 4, 0), garbage, and an empty blob. */
	exec_sql(f->db,
	    "UPDATE events SET ev = x'2000320472756c65' WHERE seq = 2;"
	    "UPDATE events SET ev = x'0affffff0f' WHERE seq = 3;"
	    "UPDATE events SET ev = x'' WHERE seq = 4;"
	    "UPDATE sqlite_sequence SET seq = 2 WHERE name = 'events';");
	s = open_spool(f, 0);
	assert_int_equal(spool_high_seq(s), 6);
	assert_int_equal(spool_read(s, 0, 3, &evs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(evs[0]->seq, 1);
	assert_int_equal(evs[1]->seq, 5);
	assert_int_equal(evs[2]->seq, 6);
	assert_int_equal(event_n(evs[2]), 6);
	spool_events_free(evs, n);
	/* Counted for the heartbeat, once though read again (a reconnect before the ack). */
	assert_int_equal(spool_skipped(s), 3);
	assert_int_equal(spool_read(s, 0, 3, &evs, &n), 0);
	spool_events_free(evs, n);
	assert_int_equal(spool_skipped(s), 3);
	/* The next row numbered comes after all of them. */
	assert_int_equal(append(s, 7, 0), 7);
	spool_free(s);
}


/*
 * A new spool (a reinstall) numbers its waiting events after what the
 * collector has stored from this agent, once: the ack of the stored seq
 * must not delete events the collector never saw.
 */
static void
test_anchor(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);
	Vigil__V1__Event **evs;
	uint64_t moved = 0;
	size_t n;

	append(s, 1, 0);
	append(s, 2, 0);
	append(s, 3, 0);
	assert_int_equal(spool_anchor(s, 500, &moved), 0);
	assert_int_equal(moved, 3);
	assert_int_equal(spool_high_seq(s), 503);
	assert_int_equal(spool_depth(s), 3);
	/* What the Welcome's ack then deletes: nothing of ours. */
	assert_int_equal(spool_ack(s, 500), 0);
	assert_int_equal(spool_read(s, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(evs[0]->seq, 501);
	assert_int_equal(event_n(evs[0]), 1);
	assert_int_equal(evs[2]->seq, 503);
	assert_int_equal(event_n(evs[2]), 3);
	spool_events_free(evs, n);
	assert_int_equal(append(s, 4, 0), 504);
	spool_free(s);

	/* Once only, across a restart. */
	s = open_spool(f, 0);
	assert_int_equal(spool_anchor(s, 900, &moved), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(first_seq(s), 501);
	assert_int_equal(spool_high_seq(s), 504);
	spool_free(s);
}

/* A collector that has nothing from this agent: the numbers stay. */
static void
test_anchor_new_agent(void **state)
{
	struct fixture *f = *state;
	struct spool *s = open_spool(f, 0);
	uint64_t moved = 9;

	append(s, 1, 0);
	assert_int_equal(spool_anchor(s, 0, &moved), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(first_seq(s), 1);
	spool_free(s);
	/* Anchored now: a later, larger stored seq is the uplink's business. */
	s = open_spool(f, 0);
	assert_int_equal(spool_anchor(s, 50, &moved), 0);
	assert_int_equal(moved, 0);
	assert_int_equal(first_seq(s), 1);
	spool_free(s);
}

/* A file that is not a database: set aside, a new spool in its place. */
static void
test_damaged_file(void **state)
{
	struct fixture *f = *state;
	char junk[8192], path[PATH_MAX + 64];
	struct dirent *de;
	struct spool *s;
	uint64_t moved = 0;
	int aside = 0;
	FILE *fp;
	DIR *d;

	memset(junk, 'x', sizeof(junk));
	assert_non_null(fp = fopen(f->db, "wb"));
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	s = open_spool(f, 0);
	assert_int_equal(spool_depth(s), 0);
	assert_int_equal(append(s, 1, 0), 1);
	/* Made afresh: its numbering waits for the collector's word. */
	assert_int_equal(spool_anchor(s, 10, &moved), 0);
	assert_int_equal(moved, 1);
	assert_int_equal(first_seq(s), 11);
	spool_free(s);

	assert_non_null(d = opendir(f->dir));
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "spool.db.damaged-", 17) != 0)
			continue;
		aside++;
		snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
		assert_non_null(fp = fopen(path, "rb"));
		assert_int_equal(fread(junk, 1, sizeof(junk), fp), sizeof(junk));
		assert_int_equal(junk[0], 'x');
		fclose(fp);
	}
	closedir(d);
	assert_int_equal(aside, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_read_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_advance_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclean_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unclean_sigkill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_upgrade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_anchor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_anchor_new_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
