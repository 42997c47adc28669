/*
 * Following a log file across rotation (agent/tail.c), into the spool with
 * its position (agent/follow.c), woken by inotify (agent/dirwatch.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "vigil/err.h"
#include "../../agent/follow.h"
#include "../../agent/linux/tail.h"
#include "../../agent/spool.h"

#define MAX_LINES 256

struct fixture {
	char dir[256];
	char path[PATH_MAX];
	char path1[PATH_MAX];
	/* lines handed out, joined by '|' */
	char got[65536];
	size_t nlines;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-tail.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/auth.log", f->dir);
	snprintf(f->path1, sizeof(f->path1), "%s/auth.log.1", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	char gen[PATH_MAX + 8];

	unlink(f->path);
	unlink(f->path1);
	for (int k = 2; k <= 9; k++) {
		snprintf(gen, sizeof(gen), "%s.%d", f->path, k);
		unlink(gen);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
on_line(void *arg, const char *line, size_t len)
{
	struct fixture *f = arg;
	size_t used = strlen(f->got);

	assert_true(used + len + 2 < sizeof(f->got));
	if (f->nlines > 0)
		f->got[used++] = '|';
	memcpy(f->got + used, line, len);
	f->got[used + len] = '\0';
	f->nlines++;
}

/* Read until caught up; returns the lines handed out, then forgets them. */
static const char *
read_all(struct fixture *f, struct tail *t, size_t max_bytes)
{
	static char out[sizeof(f->got)];
	int r, rounds = 0;

	f->got[0] = '\0';
	f->nlines = 0;
	while ((r = tail_read(t, max_bytes, on_line, f)) == 1)
		assert_true(++rounds < 100000);
	assert_int_equal(r, 0);
	memcpy(out, f->got, sizeof(out));
	return out;
}

static void
put(const char *path, const char *data, int append)
{
	int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

/* What logrotate's copytruncate does: copy to path.1, then truncate path. */
static void
copytruncate(struct fixture *f)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	assert_true((in = open(f->path, O_RDONLY)) >= 0);
	assert_true((out = open(f->path1, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	assert_int_equal(truncate(f->path, 0), 0);
}

static void
test_decide(void **state)
{
	struct stat a, b;

	memset(&a, 0, sizeof(a));
	a.st_dev = 8;
	a.st_ino = 100;
	a.st_size = 500;
	b = a;
	assert_int_equal(tail_decide(&a, 500, &b), TAIL_READ);
	assert_int_equal(tail_decide(&a, 0, &b), TAIL_READ);
	assert_int_equal(tail_decide(&a, 501, &b), TAIL_TRUNCATED);
	assert_int_equal(tail_decide(&a, 501, NULL), TAIL_WAIT);
	assert_int_equal(tail_decide(&a, 10, NULL), TAIL_WAIT);
	assert_int_equal(tail_decide(NULL, 0, NULL), TAIL_WAIT);
	assert_int_equal(tail_decide(NULL, 0, &b), TAIL_REOPEN);
	b.st_ino = 101;
	assert_int_equal(tail_decide(&a, 10, &b), TAIL_REOPEN);
	assert_int_equal(tail_decide(&a, 501, &b), TAIL_REOPEN);
	b.st_ino = 100;
	b.st_dev = 9;
	assert_int_equal(tail_decide(&a, 10, &b), TAIL_REOPEN);
	/* The size at path does not matter, only what we hold. */
	b = a;
	b.st_size = 0;
	a.st_size = 600;
	assert_int_equal(tail_decide(&a, 550, &b), TAIL_READ);
}

static void
test_start_at_end(void **state)
{
	struct fixture *f = *state;
	struct tail_pos pos;
	struct tail *t;

	put(f->path, "old 1\nold 2\n", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	assert_string_equal(tail_name(t), "auth");
	assert_string_equal(tail_path(t), f->path);
	assert_string_equal(read_all(f, t, 4096), "");
	put(f->path, "new 1\nnew 2\n", 1);
	assert_string_equal(read_all(f, t, 4096), "new 1|new 2");
	assert_string_equal(read_all(f, t, 4096), "");

	tail_pos(t, &pos);
	assert_int_equal(pos.offset, 24);
	assert_int_equal(pos.headlen, 24);
	assert_memory_equal(pos.head, "old 1\nold 2\nnew 1\nnew 2\n", 24);
	tail_free(t);
	tail_free(NULL);
}

static void
test_missing_then_created(void **state)
{
	struct fixture *f = *state;
	struct tail *t;

	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	assert_string_equal(read_all(f, t, 4096), "");
	put(f->path, "first\n", 0);
	assert_string_equal(read_all(f, t, 4096), "first");
	tail_free(t);
}

static void
test_resume_from_pos(void **state)
{
	struct fixture *f = *state;
	struct tail_pos pos;
	struct tail *t;
	char head[80];

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	put(f->path, "line one\nline two\n", 1);
	assert_string_equal(read_all(f, t, 4096), "line one|line two");
	tail_pos(t, &pos);
	tail_free(t);

	/* Down for a while; more lines arrive. */
	put(f->path, "line three\n", 1);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096), "line three");

	/* The head grows until it holds 64 bytes, then stays. */
	put(f->path, "0123456789012345678901234567890123456789012345678901234567890\n", 1);
	assert_int_equal(strlen(read_all(f, t, 4096)), 61);
	tail_pos(t, &pos);
	assert_int_equal(pos.headlen, 64);
	snprintf(head, sizeof(head), "line one\nline two\nline three\n%s",
	    "0123456789012345678901234567890123456789");
	assert_memory_equal(pos.head, head, 64);
	tail_free(t);
}

static void
test_partial_line(void **state)
{
	struct fixture *f = *state;
	struct tail_pos pos;
	struct tail *t;

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	put(f->path, "done\nhalf a li", 1);
	assert_string_equal(read_all(f, t, 4096), "done");
	tail_pos(t, &pos);
	assert_int_equal(pos.offset, 5);        /* the start of the partial line */
	put(f->path, "ne", 1);
	assert_string_equal(read_all(f, t, 4096), "");
	put(f->path, "\n", 1);
	assert_string_equal(read_all(f, t, 4096), "half a line");
	tail_pos(t, &pos);
	assert_int_equal(pos.offset, 17);

	/* A restart in the middle of a partial line reads all of it. */
	put(f->path, "next ", 1);
	assert_string_equal(read_all(f, t, 4096), "");
	tail_pos(t, &pos);
	assert_int_equal(pos.offset, 17);
	tail_free(t);
	put(f->path, "line\n", 1);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096), "next line");
	tail_free(t);
}

static void
test_rename_create(void **state)
{
	struct fixture *f = *state;
	struct tail_pos pos;
	struct stat st;
	struct tail *t;

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	put(f->path, "1\n2\n", 1);
	assert_string_equal(read_all(f, t, 4096), "1|2");

	/* More lines, a partial one, then rotation; the writer adds to the old file. */
	put(f->path, "3\npar", 1);
	assert_int_equal(rename(f->path, f->path1), 0);
	put(f->path, "4\n", 0);
	put(f->path1, "tial\n5\nleft over", 1);
	assert_string_equal(read_all(f, t, 4096), "3|partial|5|left over|4");

	tail_pos(t, &pos);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(pos.inode, (uint64_t)st.st_ino);
	assert_int_equal(pos.offset, 2);
	put(f->path, "6\n", 1);
	assert_string_equal(read_all(f, t, 4096), "6");
	tail_free(t);
}

static void
test_copytruncate(void **state)
{
	struct fixture *f = *state;
	struct tail_pos pos;
	struct tail *t;

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	put(f->path, "1 first line of the file\n2 second\n", 1);
	assert_string_equal(read_all(f, t, 4096), "1 first line of the file|2 second");

	/* Written after our last read, then copied and truncated. */
	put(f->path, "3 third\n4 four", 1);
	copytruncate(f);
	put(f->path, "5 five\n", 1);
	assert_string_equal(read_all(f, t, 4096), "3 third|4 four|5 five");
	tail_pos(t, &pos);
	assert_int_equal(pos.offset, 7);

	/* Truncated and written past our offset before we looked: the head tells. */
	put(f->path, "6 six\n", 1);
	assert_string_equal(read_all(f, t, 4096), "6 six");
	copytruncate(f);
	put(f->path, "7 a line longer than everything before it\n", 1);
	assert_string_equal(read_all(f, t, 4096), "7 a line longer than everything before it");

	/* No copy at path.1 (compressed at once): read the new content from 0. */
	unlink(f->path1);
	put(f->path, "8 eight\n", 1);
	assert_string_equal(read_all(f, t, 4096), "8 eight");
	assert_int_equal(truncate(f->path, 0), 0);
	put(f->path, "9\n", 1);
	assert_string_equal(read_all(f, t, 4096), "9");
	tail_free(t);
}

/* logrotate's shift: path.(n-1) -> path.n ... path.1 -> path.2. */
static void
shift(struct fixture *f, int n)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 8];

	for (int k = n - 1; k >= 1; k--) {
		snprintf(from, sizeof(from), "%s.%d", f->path, k);
		snprintf(to, sizeof(to), "%s.%d", f->path, k + 1);
		if (access(from, F_OK) == 0)
			assert_int_equal(rename(from, to), 0);
	}
}

/* rename + create, keeping n generations */
static void
rotate_create(struct fixture *f, int n)
{
	shift(f, n);
	assert_int_equal(rename(f->path, f->path1), 0);
	put(f->path, "", 0);
}

/*
 * Three rotations, rename and copytruncate mixed, before the tail finished
 * its file: every generation is read, oldest first, nothing twice.
 */
static void
test_behind_by_rotations(void **state)
{
	struct fixture *f = *state;
	struct tail *t;

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	put(f->path, "a first\n", 1);
	assert_string_equal(read_all(f, t, 4096), "a first");

	put(f->path, "b in the file we hold\n", 1);
	rotate_create(f, 9);                /* ours is path.1 */
	put(f->path, "c before the copy\n", 1);
	shift(f, 9);                        /* ours is path.2 */
	copytruncate(f);                    /* path.1 holds c, path is empty */
	put(f->path, "d after the truncation\n", 1);
	rotate_create(f, 9);                /* ours is path.3 */
	put(f->path, "e in the newest file\n", 1);
	assert_string_equal(read_all(f, t, 4096),
	    "b in the file we hold|c before the copy|d after the truncation|e in the newest file");
	put(f->path, "f afterwards\n", 1);
	assert_string_equal(read_all(f, t, 4096), "f afterwards");
	tail_free(t);
}

/* Down across two rotations: the rest of our file, then each newer one. */
static void
test_down_across_rotations(void **state)
{
	struct fixture *f = *state;
	struct tail_pos pos;
	struct tail *t;

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	put(f->path, "1 read before the stop\n", 1);
	assert_string_equal(read_all(f, t, 4096), "1 read before the stop");
	tail_pos(t, &pos);
	tail_free(t);

	put(f->path, "2 written while down\n", 1);
	rotate_create(f, 9);
	put(f->path, "3 in the next file\n", 1);
	rotate_create(f, 9);
	put(f->path, "4 in the newest\n", 1);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096),
	    "2 written while down|3 in the next file|4 in the newest");
	tail_free(t);
}

static void
test_rotated_while_down(void **state)
{
	struct fixture *f = *state;
	struct tail_pos pos;
	struct tail *t;

	/* rename + create while the agent is down */
	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	put(f->path, "a1 the first line\na2\n", 1);
	assert_string_equal(read_all(f, t, 4096), "a1 the first line|a2");
	tail_pos(t, &pos);
	tail_free(t);
	put(f->path, "a3\n", 1);
	assert_int_equal(rename(f->path, f->path1), 0);
	put(f->path, "b1\n", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096), "a3|b1");
	tail_pos(t, &pos);
	tail_free(t);

	/* copytruncate while down, the new content shorter than our offset */
	put(f->path, "b2\n", 1);
	copytruncate(f);
	put(f->path, "c1\n", 1);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096), "b2|c1");
	tail_pos(t, &pos);
	tail_free(t);

	/* copytruncate while down, the new content past our offset */
	put(f->path, "c2\n", 1);
	copytruncate(f);
	put(f->path, "d1 a much longer line than before\n", 1);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096), "c2|d1 a much longer line than before");
	tail_pos(t, &pos);
	tail_free(t);

	/* replaced while down with nothing to finish from: the new file from 0 */
	unlink(f->path1);
	unlink(f->path);
	put(f->path, "e1\n", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096), "e1");
	tail_pos(t, &pos);
	tail_free(t);

	/* rotated while down and not yet recreated: finish .1, then wait */
	put(f->path, "e2\n", 1);
	assert_int_equal(rename(f->path, f->path1), 0);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096), "e2");
	put(f->path, "f1\n", 0);
	assert_string_equal(read_all(f, t, 4096), "f1");
	tail_free(t);
}

/* A restart in the middle of draining the rotated file. */
static void
test_restart_while_draining(void **state)
{
	struct fixture *f = *state;
	struct tail_pos pos;
	struct tail *t;
	int r;

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	put(f->path, "x1\nx2\nx3\nx4\n", 1);
	assert_int_equal(rename(f->path, f->path1), 0);
	put(f->path, "y1\n", 0);
	f->got[0] = '\0';
	f->nlines = 0;
	r = tail_read(t, 6, on_line, f);
	assert_int_equal(r, 1);
	assert_string_equal(f->got, "x1|x2");
	tail_pos(t, &pos);
	tail_free(t);
	assert_non_null(t = tail_new("auth", f->path, 100, &pos));
	assert_string_equal(read_all(f, t, 4096), "x3|x4|y1");
	tail_free(t);
}

static void
test_long_lines(void **state)
{
	struct fixture *f = *state;
	struct tail *t;

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 10, NULL));
	put(f->path, "0123456789\n0123456789ABCDEF\nshort\n", 1);
	assert_string_equal(read_all(f, t, 4096), "0123456789|0123456789|short");
	assert_int_equal(tail_truncated_lines(t), 1);

	/* Arriving in pieces: cut once, the rest skipped until its newline. */
	put(f->path, "abcdefghijKL", 1);
	assert_string_equal(read_all(f, t, 4096), "abcdefghij");
	assert_int_equal(tail_truncated_lines(t), 2);
	put(f->path, "MNOP", 1);
	assert_string_equal(read_all(f, t, 4096), "");
	put(f->path, "QR\nok\n", 1);
	assert_string_equal(read_all(f, t, 4096), "ok");
	assert_int_equal(tail_truncated_lines(t), 2);

	/* Read in small budgets the same lines come out. */
	put(f->path, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\nend\n", 1);
	assert_string_equal(read_all(f, t, 3), "zzzzzzzzzz|end");
	assert_int_equal(tail_truncated_lines(t), 3);
	tail_free(t);
}

static void
test_budget(void **state)
{
	struct fixture *f = *state;
	struct tail *t;
	char line[32], want[4096] = "";
	int i, r;

	put(f->path, "", 0);
	assert_non_null(t = tail_new("auth", f->path, 100, NULL));
	for (i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		if (i > 0)
			strcat(want, "|");
		strcat(want, line);
		strcat(line, "\n");
		put(f->path, line, 1);
	}
	/* One call reads at most max_bytes and says there is more. */
	f->got[0] = '\0';
	f->nlines = 0;
	r = tail_read(t, 50, on_line, f);
	assert_int_equal(r, 1);
	assert_true(f->nlines >= 5 && f->nlines <= 7);
	{
		char first[sizeof(f->got)];

		memcpy(first, f->got, sizeof(first));
		strcat(first, "|");
		strcat(first, read_all(f, t, 50));
		assert_string_equal(first, want);
	}
	tail_free(t);
}


/* ---- follow.c and dirwatch.c ---------------------------------------------- */

struct owner {
	struct fixture *f;
	const char *fail_on;       /* this line fails the spool, once */
	int count_only;            /* count the lines, do not keep them */
	int committed;
};

static int
owner_line(void *arg, const char *line, size_t len)
{
	struct owner *o = arg;

	if (o->fail_on != NULL && len == strlen(o->fail_on) && memcmp(line, o->fail_on, len) == 0) {
		o->fail_on = NULL;
		return VIGIL_ERR_DB;
	}
	if (o->count_only)
		o->f->nlines++;
	else
		on_line(o->f, line, len);
	return 1;
}

static void
owner_committed(void *arg)
{
	struct owner *o = arg;

	o->committed++;
}

static struct spool *
spool_in(struct fixture *f)
{
	char path[PATH_MAX + 16], err[256];
	struct spool *sp;

	snprintf(path, sizeof(path), "%s/spool.db", f->dir);
	assert_non_null(sp = spool_open(path, 64LL << 20, err, sizeof(err)));
	return sp;
}

static void
spool_gone(struct fixture *f, struct spool *sp)
{
	char path[PATH_MAX + 16];

	spool_free(sp);
	snprintf(path, sizeof(path), "%s/spool.db", f->dir);
	unlink(path);
	strcat(path, "-wal");
	unlink(path);
	path[strlen(path) - 4] = '\0';
	strcat(path, "-shm");
	unlink(path);
}

/*
 * A new source starts at the end; a pass commits its lines with the offset;
 * a spool failure in a pass rolls it back and the lines come again.
 */
static void
test_follow_commit_and_retry(void **state)
{
	struct fixture *f = *state;
	struct owner o = { f, NULL, 0, 0 };
	struct event_base *base;
	struct spool *sp = spool_in(f);
	struct follow *fw;
	struct tail_pos pos;

	assert_non_null(base = event_base_new());
	put(f->path, "old\n", 0);
	assert_non_null(fw = follow_new(base, sp, "auth", f->path, 100, owner_line,
	    owner_committed, &o));
	assert_int_equal(follow_open(fw), 0);
	follow_pass(fw);
	assert_int_equal(f->nlines, 0);
	assert_int_equal(o.committed, 0);
	assert_int_equal(spool_pos_get(sp, "auth", &pos), 0);
	assert_int_equal(pos.offset, 4);

	put(f->path, "one\ntwo\n", 1);
	follow_pass(fw);
	assert_string_equal(f->got, "one|two");
	assert_int_equal(o.committed, 1);
	assert_int_equal(spool_pos_get(sp, "auth", &pos), 0);
	assert_int_equal(pos.offset, 12);

	f->got[0] = '\0';
	f->nlines = 0;
	o.fail_on = "four";
	put(f->path, "three\nfour\n", 1);
	follow_pass(fw);
	assert_int_equal(o.committed, 1);
	assert_int_equal(spool_pos_get(sp, "auth", &pos), 0);
	assert_int_equal(pos.offset, 12);
	follow_pass(fw);
	assert_string_equal(f->got, "three|three|four");
	assert_int_equal(o.committed, 2);
	assert_int_equal(spool_pos_get(sp, "auth", &pos), 0);
	assert_int_equal(pos.offset, 23);

	follow_free(fw);
	spool_gone(f, sp);
	event_base_free(base);
}

/* A pass stops at its budget and the rest comes through the loop. */
static void
test_follow_budget(void **state)
{
	struct fixture *f = *state;
	struct owner o = { f, NULL, 1, 0 };
	struct event_base *base;
	struct spool *sp = spool_in(f);
	struct follow *fw;
	char *big;
	size_t n = FOLLOW_READ_MAX + FOLLOW_READ_MAX / 2, lines = n / 64;

	assert_non_null(base = event_base_new());
	assert_non_null(big = malloc(n + 1));
	memset(big, 'x', n);
	for (size_t i = 63; i < n; i += 64)
		big[i] = '\n';
	big[lines * 64] = '\0';
	put(f->path, "", 0);
	assert_non_null(fw = follow_new(base, sp, "auth", f->path, 100, owner_line,
	    owner_committed, &o));
	assert_int_equal(follow_open(fw), 0);
	put(f->path, big, 1);
	follow_pass(fw);
	assert_true(f->nlines > 0 && f->nlines < lines);
	/* 1: nothing is left to wait for once the queued pass has run. */
	assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
	assert_int_equal(f->nlines, lines);
	assert_int_equal(o.committed, 2);

	free(big);
	follow_free(fw);
	spool_gone(f, sp);
	event_base_free(base);
}

static void
count_cb(void *arg)
{
	(*(int *)arg)++;
}

/*
 * Registrations on one directory share its watch and see only their own
 * events; a directory that is not there can be armed once it is.
 */
static void
test_dirwatch(void **state)
{
	struct fixture *f = *state;
	struct event_base *base;
	struct dirwatch *dw;
	struct dirwatch_reg *any, *named, *later;
	char err[256], sub[PATH_MAX + 8], other[PATH_MAX + 16];
	int n_any = 0, n_named = 0, n_later = 0;

	assert_non_null(base = event_base_new());
	assert_non_null(dw = dirwatch_new(base, err, sizeof(err)));
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	snprintf(other, sizeof(other), "%s/other.log", f->dir);
	assert_non_null(any = dirwatch_add(dw, f->dir, IN_MODIFY | IN_CREATE, NULL, count_cb,
	    &n_any));
	assert_non_null(named = dirwatch_add(dw, f->dir, IN_CREATE, "auth.log", count_cb,
	    &n_named));
	assert_non_null(later = dirwatch_add(dw, sub, IN_CREATE, NULL, count_cb, &n_later));
	assert_int_equal(dirwatch_arm(any), 0);
	assert_int_equal(dirwatch_arm(named), 0);
	assert_int_equal(dirwatch_arm(later), -1);

	put(other, "x\n", 0);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(n_any, 1);
	assert_int_equal(n_named, 0);

	/* Created and written in one read: each registration is called once. */
	put(f->path, "x\n", 0);
	put(f->path, "y\n", 1);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(n_any, 2);
	assert_int_equal(n_named, 1);

	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(dirwatch_arm(later), 0);
	assert_int_equal(rmdir(sub), 0);
	/* The removal ends the watch: it can be armed again when the directory is back. */
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(dirwatch_arm(later), 0);
	put(other, "", 0);   /* the watch on f->dir is not disturbed */
	snprintf(other, sizeof(other), "%s/sub/new", f->dir);
	put(other, "", 0);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 0);
	assert_int_equal(n_later, 1);
	unlink(other);
	rmdir(sub);
	snprintf(other, sizeof(other), "%s/other.log", f->dir);
	unlink(other);

	dirwatch_del(named);
	dirwatch_free(dw);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test_setup_teardown(test_start_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_then_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_from_pos, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copytruncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotated_while_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_behind_by_rotations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_across_rotations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_while_draining, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_commit_and_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirwatch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
