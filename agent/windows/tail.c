/*
 * Following one log file on Windows (see agent/tail.h), as Linux's tail does
 * it: the file being followed is held open between passes, so that after a
 * rename it is still read to its end, and only then is the new file at the
 * path followed. The handle shares read, write and delete, so that a log
 * writer renaming its file never fails because of us. Files are told apart
 * by their identity (volume serial number and file index,
 * GetFileInformationByHandle). Each pass:
 *
 *   - reads the followed file from the offset to its end (a file shorter
 *     than the offset was truncated in place: from its start);
 *   - then opens the path: the same file, nothing more to do; another file
 *     (renamed away and created again): the old one is read once more to its
 *     end, closed, and the new one followed from its start; nothing at the
 *     path (renamed, not yet created again): the old handle is kept.
 *
 * A followed file someone deleted (delete pending, on Windows before 10
 * 1903 the name stays taken while a handle is open) is read to its end and
 * closed at once, so that a writer can create the name again.
 *
 * A restart with a position from the spool whose file is no longer at the
 * path (rotated while the agent was stopped) looks for it, by identity,
 * among the names in its folder that begin with the file's name
 * (auth.log.1), reads it to its end from the saved offset, then follows the
 * path. A copytruncate rotation loses what was written between the last
 * pass and the truncation (Linux reads those lines from the copy; here not
 * yet).
 *
 * The offset is always the start of a line: an incomplete last line is read
 * again by the next pass, once its newline is there. A line longer than
 * max_line is cut there and the rest of it skipped, as on Linux.
 */
#include <winsock2.h>
#include <windows.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "../tail.h"
#include "../../common/windows/utf16.h"

#define TAIL_CHUNK (64 * 1024)
#define TAIL_DEFAULT_LINE (16 * 1024)
#define TAIL_MAX_LINE (1024 * 1024)
#define TAIL_HEAD ((size_t)sizeof(((struct tail_pos *)0)->head))

struct tail {
	char *name;
	char *path;
	wchar_t *wpath;
	size_t max_line;
	struct tail_pos pos;     /* identity, offset (a line's start), head */
	HANDLE h;                /* the followed file, held between passes; NULL: none */
	int known;               /* pos names a file (from the spool or a pass) */
	int resumed;             /* a position from the spool was looked for */
	int skipping;            /* the line at the offset was cut: skip to its end */
	char *buf;
	size_t bufcap;
	uint64_t truncated;
};

static HANDLE
open_wide(const wchar_t *w, BY_HANDLE_FILE_INFORMATION *fi)
{
	HANDLE h;

	h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	if (!GetFileInformationByHandle(h, fi)) {
		CloseHandle(h);
		return NULL;
	}
	return h;
}

static HANDLE
open_path(const struct tail *t, BY_HANDLE_FILE_INFORMATION *fi)
{
	return open_wide(t->wpath, fi);
}

static uint64_t
file_index(const BY_HANDLE_FILE_INFORMATION *fi)
{
	return (uint64_t)fi->nFileIndexHigh << 32 | fi->nFileIndexLow;
}

static uint64_t
file_size(const BY_HANDLE_FILE_INFORMATION *fi)
{
	return (uint64_t)fi->nFileSizeHigh << 32 | fi->nFileSizeLow;
}

static int
same_file(const struct tail_pos *p, const BY_HANDLE_FILE_INFORMATION *fi)
{
	return p->dev == fi->dwVolumeSerialNumber && p->inode == file_index(fi);
}

/* Follow the file of h (identity fi) from its start. */
static void
follow_new(struct tail *t, HANDLE h, const BY_HANDLE_FILE_INFORMATION *fi)
{
	if (t->h != NULL)
		CloseHandle(t->h);
	t->h = h;
	t->pos.dev = fi->dwVolumeSerialNumber;
	t->pos.inode = file_index(fi);
	t->pos.offset = 0;
	t->pos.headlen = 0;
	t->skipping = 0;
	t->known = 1;
}

static void
take_head(struct tail *t, HANDLE h)
{
	OVERLAPPED ov;
	DWORD got = 0;

	memset(&ov, 0, sizeof(ov));
	if (ReadFile(h, t->pos.head, (DWORD)TAIL_HEAD, &got, &ov))
		t->pos.headlen = got;
	else
		t->pos.headlen = 0;
}

/* Deleted while we hold it (delete pending): the name stays taken until we close it. */
static int
delete_pending(HANDLE h)
{
	FILE_STANDARD_INFO si;

	if (!GetFileInformationByHandleEx(h, FileStandardInfo, &si, sizeof(si)))
		return 0;
	return si.DeletePending != 0;
}

/*
 * After a restart: the file of the saved position, looked for by identity
 * among the names in the path's folder that begin with the file's name (its
 * rotations). Its handle, or NULL.
 */
static HANDLE
find_rotated(const struct tail *t)
{
	BY_HANDLE_FILE_INFORMATION fi;
	WIN32_FIND_DATAW fd;
	wchar_t *pattern, *full, *slash;
	size_t dirlen, plen = wcslen(t->wpath);
	HANDLE found = NULL, f, h;

	if ((pattern = malloc((plen + 2) * sizeof(wchar_t))) == NULL)
		return NULL;
	memcpy(pattern, t->wpath, plen * sizeof(wchar_t));
	pattern[plen] = L'*';
	pattern[plen + 1] = L'\0';
	slash = wcsrchr(t->wpath, L'\\');
	if (wcsrchr(t->wpath, L'/') > slash)
		slash = wcsrchr(t->wpath, L'/');
	dirlen = slash != NULL ? (size_t)(slash - t->wpath) + 1 : 0;
	if ((f = FindFirstFileW(pattern, &fd)) == INVALID_HANDLE_VALUE) {
		free(pattern);
		return NULL;
	}
	do {
		size_t nlen = wcslen(fd.cFileName);

		if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
			continue;
		if ((full = malloc((dirlen + nlen + 1) * sizeof(wchar_t))) == NULL)
			break;
		memcpy(full, t->wpath, dirlen * sizeof(wchar_t));
		memcpy(full + dirlen, fd.cFileName, (nlen + 1) * sizeof(wchar_t));
		h = open_wide(full, &fi);
		free(full);
		if (h == NULL)
			continue;
		if (same_file(&t->pos, &fi)) {
			found = h;
			break;
		}
		CloseHandle(h);
	} while (FindNextFileW(f, &fd));
	FindClose(f);
	free(pattern);
	return found;
}

struct tail *
tail_new(const char *name, const char *path, size_t max_line, const struct tail_pos *pos)
{
	BY_HANDLE_FILE_INFORMATION fi;
	struct tail *t;
	HANDLE h;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (max_line == 0)
		max_line = TAIL_DEFAULT_LINE;
	if (max_line > TAIL_MAX_LINE)
		max_line = TAIL_MAX_LINE;
	t->max_line = max_line;
	t->bufcap = max_line + TAIL_CHUNK;
	if ((t->name = strdup(name)) == NULL || (t->path = strdup(path)) == NULL ||
	    (t->wpath = win_wide(path)) == NULL || (t->buf = malloc(t->bufcap)) == NULL) {
		tail_free(t);
		errno = ENOMEM;
		return NULL;
	}
	if (pos != NULL) {
		t->pos = *pos;
		t->known = 1;
	} else if ((h = open_path(t, &fi)) != NULL) {
		/* A new source: from the end of the file as it is now. */
		t->pos.dev = fi.dwVolumeSerialNumber;
		t->pos.inode = file_index(&fi);
		t->pos.offset = file_size(&fi);
		take_head(t, h);
		t->known = 1;
		t->resumed = 1;
		t->h = h;
	}
	return t;
}

void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	if (t->h != NULL)
		CloseHandle(t->h);
	free(t->name);
	free(t->path);
	free(t->wpath);
	free(t->buf);
	free(t);
}

/*
 * Read the followed file from the offset to its end, at most max_bytes more
 * than *done: 1 if there may be more, 0 at its end, negative on error.
 */
static int
drain(struct tail *t, size_t max_bytes, uint64_t *done, tail_line_fn fn, void *arg)
{
	BY_HANDLE_FILE_INFORMATION fi;
	LARGE_INTEGER at;
	uint64_t size;
	size_t have = 0, start, len;
	DWORD got;
	char *nl;

	if (!GetFileInformationByHandle(t->h, &fi)) {
		errno = EIO;
		return VIGIL_ERR_SYS;
	}
	size = file_size(&fi);
	if (size < t->pos.offset) {
		/* Truncated in place (copytruncate): from its start. */
		t->pos.offset = 0;
		t->pos.headlen = 0;
		t->skipping = 0;
	}
	if (t->pos.headlen < TAIL_HEAD)
		take_head(t, t->h);
	at.QuadPart = (LONGLONG)t->pos.offset;
	if (!SetFilePointerEx(t->h, at, NULL, FILE_BEGIN)) {
		errno = EIO;
		return VIGIL_ERR_SYS;
	}
	for (;;) {
		if (*done >= max_bytes)
			return t->pos.offset < size;
		if (!ReadFile(t->h, t->buf + have, (DWORD)(t->bufcap - have), &got, NULL)) {
			errno = EIO;
			return VIGIL_ERR_SYS;
		}
		if (got == 0)
			return 0;                  /* at the end: a partial line waits for its newline */
		have += got;
		*done += got;
		start = 0;
		while ((nl = memchr(t->buf + start, '\n', have - start)) != NULL) {
			len = (size_t)(nl - (t->buf + start));
			if (t->skipping)
				t->skipping = 0;
			else if (len > t->max_line) {
				fn(arg, t->buf + start, t->max_line);
				t->truncated++;
			} else
				fn(arg, t->buf + start, len);
			start += len + 1;
			t->pos.offset += len + 1;
		}
		/* What is left is a line without its newline yet. */
		if (have - start >= t->max_line && !t->skipping) {
			/* Too long already: cut it, skip the rest. */
			fn(arg, t->buf + start, t->max_line);
			t->truncated++;
			t->skipping = 1;
		}
		if (t->skipping && have > start) {
			/* Bytes of a cut line are consumed; the offset passes them. */
			t->pos.offset += have - start;
			start = have;
		}
		memmove(t->buf, t->buf + start, have - start);
		have -= start;
	}
}

int
tail_read(struct tail *t, size_t max_bytes, tail_line_fn fn, void *arg)
{
	BY_HANDLE_FILE_INFORMATION fi;
	uint64_t done = 0;
	HANDLE h;
	int rc;

	if (t->h == NULL && t->known && !t->resumed) {
		/* A saved position: its file at the path, or among its rotations. */
		t->resumed = 1;
		if ((h = open_path(t, &fi)) != NULL && same_file(&t->pos, &fi))
			t->h = h;
		else {
			if (h != NULL)
				CloseHandle(h);
			t->h = find_rotated(t);
		}
	}
	if (t->h == NULL) {
		if ((h = open_path(t, &fi)) == NULL)
			return 0;              /* not there (yet, or between rotations) */
		if (t->known && same_file(&t->pos, &fi))
			t->h = h;              /* the same file, open again: from the offset */
		else
			follow_new(t, h, &fi);
	}
	if ((rc = drain(t, max_bytes, &done, fn, arg)) != 0)
		return rc;
	/* The followed file is read to its end: has the path moved on? */
	if ((h = open_path(t, &fi)) == NULL) {
		/* Renamed, not yet created again; or deleted: let its name go. */
		if (delete_pending(t->h)) {
			CloseHandle(t->h);
			t->h = NULL;
		}
		return 0;
	}
	if (same_file(&t->pos, &fi)) {
		CloseHandle(h);
		return 0;
	}
	/* Another file at the path: what the old one got meanwhile first. */
	if ((rc = drain(t, max_bytes, &done, fn, arg)) != 0) {
		CloseHandle(h);
		return rc;
	}
	follow_new(t, h, &fi);
	return drain(t, max_bytes, &done, fn, arg);
}

void
tail_pos(const struct tail *t, struct tail_pos *pos)
{
	*pos = t->pos;
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
