/*
 * Follow one log file across rotation, line by line.
 *
 * The caller calls tail_read() when inotify says the file or its directory
 * changed; nothing here polls. The file is read with read() from a held
 * descriptor, so a renamed file is still ours to finish.
 *
 * Positions: `offset` is the first byte not yet handed out (the start of a
 * partial line); `rpos` is where read() continues; the bytes between them
 * are the partial line held in `buf`. While a line longer than max_line is
 * being skipped nothing is held and offset == rpos.
 *
 * Rotation:
 *  - rename + create: the path names a new inode. The old descriptor is read
 *    to its end, its trailing partial line is handed out, then the new file
 *    is read from 0.
 *  - copytruncate: our file shrank below rpos, or its first bytes changed.
 *    The copy at path + ".1", recognised by its first bytes (the head), holds
 *    what was written before the truncation: it is read from rpos to its end,
 *    then the truncated file from 0.
 *  - several rotations before we finished our file (a slow pass, or the agent
 *    down): ours is now path.K. Each newer generation, path.(K-1) down to
 *    path.1, is read from 0 before path, oldest first. Rotated files that are
 *    compressed or gone cannot be read.
 *  - while the agent was down: tail_new() recognises the same cases from the
 *    saved position (dev, inode, offset, head).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/err.h"

#include "tail.h"

#define TAIL_CHUNK (64 * 1024)          /* read() size beyond the partial line */
#define TAIL_DEFAULT_LINE (16 * 1024)   /* max_line 0 */
#define TAIL_MAX_LINE (1024 * 1024)     /* hard cap on max_line */
#define TAIL_HEAD ((size_t)sizeof(((struct tail_pos *)0)->head))
#define TAIL_GENERATIONS 9              /* path.1 .. path.9 are looked at */

struct tail {
	char *name;
	char *path;
	char *pathk;                    /* room for path + ".K", K the rotated generation */
	size_t pathk_size;
	size_t max_line;
	int fd;                         /* the file being read; -1 when none */
	struct stat st;                 /* of fd, taken when it was opened */
	int next_fd;                    /* read from 0 once fd is at its end; -1: none */
	uint64_t offset;                /* first byte not yet handed out */
	uint64_t rpos;                  /* where read() continues */
	uint8_t head[TAIL_HEAD];        /* the first bytes of fd's file */
	size_t headlen;
	char *buf;                      /* the partial line, then room to read */
	size_t buflen;
	size_t bufcap;
	int skipping;                   /* inside a line already cut at max_line */
	uint64_t truncated;
};

enum tail_action
tail_decide(const struct stat *fd_st, uint64_t offset, const struct stat *path_st)
{
	if (fd_st == NULL)
		return path_st != NULL ? TAIL_REOPEN : TAIL_WAIT;
	if (path_st == NULL)
		return TAIL_WAIT;
	if (fd_st->st_dev != path_st->st_dev || fd_st->st_ino != path_st->st_ino)
		return TAIL_REOPEN;
	if (fd_st->st_size < 0 || (uint64_t)fd_st->st_size < offset)
		return TAIL_TRUNCATED;
	return TAIL_READ;
}

/* Open a regular file for reading; -1 with errno set on failure. */
static int
tail_open_file(const char *path, struct stat *st)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -1;
	if (fstat(fd, st) == -1) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static int
same_file(const struct stat *a, uint64_t dev, uint64_t ino)
{
	return (uint64_t)a->st_dev == dev && (uint64_t)a->st_ino == ino;
}

/* path + "." + k, in t->pathk (valid until the next call). */
static const char *
gen_path(struct tail *t, int k)
{
	snprintf(t->pathk, t->pathk_size, "%s.%d", t->path, k);
	return t->pathk;
}

/* Which rotated generation, path.1 .. path.TAIL_GENERATIONS, is the file (dev, ino)? 0: none. */
static int
tail_generation(struct tail *t, uint64_t dev, uint64_t ino)
{
	struct stat st;
	int k;

	for (k = 1; k <= TAIL_GENERATIONS; k++)
		if (stat(gen_path(t, k), &st) == 0 && same_file(&st, dev, ino))
			return k;
	return 0;
}

/*
 * The file to read after ours, which path no longer names: when ours is
 * path.K, the newest of path.(K-1) .. path.1 that is there, oldest first;
 * else path. -1 with errno set when there is none yet.
 */
static int
tail_open_next(struct tail *t, struct stat *st)
{
	uint64_t dev = (uint64_t)t->st.st_dev, ino = (uint64_t)t->st.st_ino;
	int k = tail_generation(t, dev, ino), fd;

	while (--k >= 1) {
		if ((fd = tail_open_file(gen_path(t, k), st)) == -1)
			continue;
		if (!same_file(st, dev, ino))
			return fd;
		close(fd);
	}
	return tail_open_file(t->path, st);
}

/*
 * Does the file at fd begin with head? Strict: it must hold all of head
 * (a rotated copy does). Lenient: a file shorter than head must match as far
 * as it goes (our own file, whose size is checked separately).
 */
static int
head_matches(int fd, const uint8_t *head, size_t headlen, int strict)
{
	uint8_t cur[TAIL_HEAD];
	ssize_t n;

	if (headlen > sizeof(cur))
		headlen = sizeof(cur);
	if ((n = pread(fd, cur, sizeof(cur), 0)) < 0)
		return 0;
	if (strict)
		return headlen > 0 && (size_t)n >= headlen && memcmp(cur, head, headlen) == 0;
	return memcmp(cur, head, (size_t)n < headlen ? (size_t)n : headlen) == 0;
}

/* Record the first bytes of the file once it has them. */
static void
tail_refresh_head(struct tail *t)
{
	ssize_t n;

	if (t->fd < 0 || t->headlen >= TAIL_HEAD)
		return;
	if ((n = pread(t->fd, t->head, TAIL_HEAD, 0)) > 0 && (size_t)n > t->headlen)
		t->headlen = (size_t)n;
}

/* Make fd the file being read, from `at`, with no partial line held. */
static int
tail_use(struct tail *t, int fd, const struct stat *st, uint64_t at)
{
	t->fd = fd;
	t->st = *st;
	t->offset = t->rpos = at;
	t->buflen = 0;
	t->skipping = 0;
	t->headlen = 0;
	if (lseek(fd, (off_t)at, SEEK_SET) == (off_t)-1)
		return VIGIL_ERR_SYS;
	tail_refresh_head(t);
	return 0;
}

/* Make fd the file being read from pos, whose head it keeps. */
static int
tail_use_pos(struct tail *t, int fd, const struct stat *st, const struct tail_pos *pos)
{
	int r;

	if ((r = tail_use(t, fd, st, pos->offset)) != 0)
		return r;
	memcpy(t->head, pos->head, pos->headlen);
	t->headlen = pos->headlen;
	tail_refresh_head(t);
	return 0;
}

/* Pick up where pos left off: see the comment at the top for the cases. */
static int
tail_resume(struct tail *t, int fd, const struct stat *st, const struct tail_pos *pos)
{
	struct stat st1;
	int fd1, k;

	if (fd >= 0 && same_file(st, pos->dev, pos->inode) &&
	    (uint64_t)st->st_size >= pos->offset &&
	    head_matches(fd, pos->head, pos->headlen, 0))
		return tail_use_pos(t, fd, st, pos);
	/*
	 * The file we were reading is now at path + ".1" (renamed, or copied
	 * before a truncation): finish it from the offset, then path from 0.
	 */
	fd1 = tail_open_file(gen_path(t, 1), &st1);
	if (fd1 >= 0 && !(fd >= 0 && same_file(&st1, (uint64_t)st->st_dev,
	    (uint64_t)st->st_ino)) && (same_file(&st1, pos->dev, pos->inode) ||
	    ((uint64_t)st1.st_size >= pos->offset &&
	    head_matches(fd1, pos->head, pos->headlen, 1)))) {
		/* Set first so that tail_free() closes both should this fail. */
		t->next_fd = fd;
		return tail_use_pos(t, fd1, &st1, pos);
	}
	if (fd1 >= 0)
		close(fd1);
	/*
	 * Further back, after several rotations: finish it from the offset; the
	 * newer generations follow (tail_open_next()), then path.
	 */
	if ((k = tail_generation(t, pos->dev, pos->inode)) >= 2 &&
	    (fd1 = tail_open_file(gen_path(t, k), &st1)) >= 0) {
		if (same_file(&st1, pos->dev, pos->inode) && (uint64_t)st1.st_size >= pos->offset) {
			if (fd >= 0)
				close(fd);
			return tail_use_pos(t, fd1, &st1, pos);
		}
		close(fd1);
	}
	/* Nothing to finish from: the file at path is new to us. */
	if (fd >= 0)
		return tail_use(t, fd, st, 0);
	return 0;
}

struct tail *
tail_new(const char *name, const char *path, size_t max_line, const struct tail_pos *pos)
{
	struct tail *t;
	struct stat st;
	size_t plen;
	int fd, r, saved;

	if (max_line == 0)
		max_line = TAIL_DEFAULT_LINE;
	if (max_line > TAIL_MAX_LINE)
		max_line = TAIL_MAX_LINE;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->fd = t->next_fd = -1;
	t->max_line = max_line;
	t->bufcap = max_line + TAIL_CHUNK;
	plen = strlen(path);
	if ((t->name = strdup(name)) == NULL || (t->path = strdup(path)) == NULL ||
	    (t->buf = malloc(t->bufcap)) == NULL || (t->pathk = malloc(plen + 4)) == NULL)
		goto fail;
	t->pathk_size = plen + 4;

	/* A file that is not there yet is read from 0 when it appears. */
	if ((fd = tail_open_file(path, &st)) == -1 && errno != ENOENT)
		goto fail;
	if (pos == NULL) {
		r = fd >= 0 ? tail_use(t, fd, &st, (uint64_t)st.st_size) : 0;
	} else if (pos->headlen > TAIL_HEAD) {
		if (fd >= 0)
			close(fd);
		errno = EINVAL;
		goto fail;
	} else
		r = tail_resume(t, fd, &st, pos);
	if (r != 0)
		goto fail;
	return t;
fail:
	saved = errno;
	tail_free(t);
	errno = saved;
	return NULL;
}

void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	if (t->next_fd >= 0 && t->next_fd != t->fd)
		close(t->next_fd);
	if (t->fd >= 0)
		close(t->fd);
	free(t->name);
	free(t->path);
	free(t->pathk);
	free(t->buf);
	free(t);
}

static void
tail_emit(struct tail *t, const char *line, size_t len, tail_line_fn fn, void *arg)
{
	if (len > t->max_line) {
		len = t->max_line;
		t->truncated++;
	}
	fn(arg, line, len);
}

/* Hand out the complete lines among the n bytes just read into buf. */
static void
tail_scan(struct tail *t, size_t n, tail_line_fn fn, void *arg)
{
	size_t start = 0, scan = t->buflen, rest;
	char *nl;

	t->buflen += n;
	if (t->skipping) {
		if ((nl = memchr(t->buf, '\n', t->buflen)) == NULL) {
			t->buflen = 0;
			t->offset = t->rpos;
			return;
		}
		t->skipping = 0;
		start = scan = (size_t)(nl - t->buf) + 1;
	}
	while ((nl = memchr(t->buf + scan, '\n', t->buflen - scan)) != NULL) {
		tail_emit(t, t->buf + start, (size_t)(nl - t->buf) - start, fn, arg);
		start = scan = (size_t)(nl - t->buf) + 1;
	}
	rest = t->buflen - start;
	if (rest > t->max_line) {
		/* Hand out the first max_line bytes now; skip the rest to its newline. */
		tail_emit(t, t->buf + start, rest, fn, arg);
		t->skipping = 1;
		rest = 0;
		start = t->buflen;
	}
	if (start > 0 && rest > 0)
		memmove(t->buf, t->buf + start, rest);
	t->buflen = rest;
	t->offset = t->rpos - rest;
}

/* Read fd to its end or until the budget is spent (returns 1 then). */
static int
tail_drain(struct tail *t, size_t *budget, tail_line_fn fn, void *arg)
{
	size_t want;
	ssize_t n;
	int first = 1;

	while (*budget > 0) {
		want = t->bufcap - t->buflen;
		if (want > *budget)
			want = *budget;
		n = read(t->fd, t->buf + t->buflen, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return VIGIL_ERR_SYS;
		if (n == 0)
			return 0;
		*budget -= (size_t)n;
		t->rpos += (uint64_t)n;
		tail_scan(t, (size_t)n, fn, arg);
		if (first && t->headlen < TAIL_HEAD)
			tail_refresh_head(t);
		first = 0;
	}
	return 1;
}

/* Leave the finished file for next_fd, read from 0. */
static int
tail_leave(struct tail *t, tail_line_fn fn, void *arg)
{
	struct stat st;
	int fd = t->next_fd;

	/* The old file will not grow any more: its partial line is a line. */
	if (!t->skipping && t->buflen > 0)
		tail_emit(t, t->buf, t->buflen, fn, arg);
	close(t->fd);
	t->fd = -1;
	t->next_fd = -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return VIGIL_ERR_SYS;
	}
	return tail_use(t, fd, &st, 0);
}

/*
 * Our file shrank below rpos or its first bytes changed: copytruncate.
 * Finish from the copy at path + ".1" when it is ours, then read from 0.
 */
static int
tail_truncated(struct tail *t, tail_line_fn fn, void *arg)
{
	struct stat st1;
	int fd1;

	fd1 = tail_open_file(gen_path(t, 1), &st1);
	if (fd1 >= 0 && !same_file(&st1, (uint64_t)t->st.st_dev, (uint64_t)t->st.st_ino) &&
	    (uint64_t)st1.st_size >= t->rpos && head_matches(fd1, t->head, t->headlen, 1) &&
	    lseek(fd1, (off_t)t->rpos, SEEK_SET) != (off_t)-1) {
		/* The copy holds the same bytes: keep the partial line and go on. */
		t->next_fd = t->fd;
		t->fd = fd1;
		t->st = st1;
		return 0;
	}
	if (fd1 >= 0)
		close(fd1);
	/* No copy: what was written after our last read went with it. */
	if (!t->skipping && t->buflen > 0)
		tail_emit(t, t->buf, t->buflen, fn, arg);
	if (fstat(t->fd, &st1) == -1)
		return VIGIL_ERR_SYS;
	return tail_use(t, t->fd, &st1, 0);
}

/* Has the file we hold been truncated (or rewritten) under us? */
static int
tail_is_truncated(struct tail *t)
{
	struct stat st;

	if (fstat(t->fd, &st) == -1)
		return VIGIL_ERR_SYS;
	if (tail_decide(&st, t->rpos, &st) == TAIL_TRUNCATED)
		return 1;
	return t->headlen > 0 && !head_matches(t->fd, t->head, t->headlen, 0);
}

int
tail_read(struct tail *t, size_t max_bytes, tail_line_fn fn, void *arg)
{
	size_t budget = max_bytes;
	struct stat fst, pst, nst;
	int r, fd, have_path;

	for (;;) {
		if (t->fd < 0) {
			if ((fd = tail_open_file(t->path, &nst)) == -1)
				return errno == ENOENT ? 0 : VIGIL_ERR_SYS;
			if ((r = tail_use(t, fd, &nst, 0)) != 0) {
				close(fd);
				t->fd = -1;
				return r;
			}
		}
		if (t->next_fd < 0) {
			if ((r = tail_is_truncated(t)) < 0)
				return r;
			if (r == 1 && (r = tail_truncated(t, fn, arg)) != 0)
				return r;
		}
		if ((r = tail_drain(t, &budget, fn, arg)) != 0)
			return r;
		if (t->next_fd >= 0) {
			if ((r = tail_leave(t, fn, arg)) != 0)
				return r;
			continue;
		}
		/* At the end of our file: has path moved on? */
		if (fstat(t->fd, &fst) == -1)
			return VIGIL_ERR_SYS;
		have_path = stat(t->path, &pst) == 0;
		switch (tail_decide(&fst, t->rpos, have_path ? &pst : NULL)) {
		case TAIL_READ:
			if ((uint64_t)fst.st_size > t->rpos)
				continue;       /* written since the read above */
			return 0;
		case TAIL_WAIT:
			return 0;
		case TAIL_TRUNCATED:
			continue;               /* handled at the top */
		case TAIL_REOPEN:
			if ((fd = tail_open_next(t, &nst)) == -1)
				return errno == ENOENT ? 0 : VIGIL_ERR_SYS;
			/* Drain the old file once more: its writer may not have let go. */
			t->next_fd = fd;
			continue;
		}
	}
}

void
tail_pos(const struct tail *t, struct tail_pos *pos)
{
	memset(pos, 0, sizeof(*pos));
	if (t->fd < 0)
		return;
	pos->dev = (uint64_t)t->st.st_dev;
	pos->inode = (uint64_t)t->st.st_ino;
	pos->offset = t->offset;
	memcpy(pos->head, t->head, t->headlen);
	pos->headlen = t->headlen;
}

const char *
tail_name(const struct tail *t)
{
	return t->name;
}

const char *
tail_path(const struct tail *t)
{
	return t->path;
}

uint64_t
tail_truncated_lines(const struct tail *t)
{
	return t->truncated;
}
