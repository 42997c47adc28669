/*
 * Following one log file on Windows (see agent/tail.h). No handle is held
 * between passes: Windows refuses to rename or delete a file another process
 * holds open unless every opener shares deletion, and a log writer rotating
 * its file must never fail because of us. Each pass opens the file (sharing
 * read, write and delete), compares its identity (volume serial number and
 * file index, GetFileInformationByHandle) and size with what was followed,
 * reads from the offset and closes it again:
 *
 *   - another file at the path (renamed away and created again): it is read
 *     from its start; what the old file got after our last pass is not read
 *     (Linux's tail drains it first; on Windows the old name is not known);
 *   - a file shorter than the offset (truncated in place): from its start;
 *   - the same file: from the offset.
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
	int known;               /* pos names a file (from the spool or a pass) */
	int skipping;            /* the line at the offset was cut: skip to its end */
	char *buf;
	size_t bufcap;
	uint64_t truncated;
};

static HANDLE
open_path(const struct tail *t, BY_HANDLE_FILE_INFORMATION *fi)
{
	HANDLE h;

	h = CreateFileW(t->wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	if (!GetFileInformationByHandle(h, fi)) {
		CloseHandle(h);
		return NULL;
	}
	return h;
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
		CloseHandle(h);
	}
	return t;
}

void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->path);
	free(t->wpath);
	free(t->buf);
	free(t);
}

int
tail_read(struct tail *t, size_t max_bytes, tail_line_fn fn, void *arg)
{
	BY_HANDLE_FILE_INFORMATION fi;
	LARGE_INTEGER at;
	uint64_t size, done = 0;
	size_t have = 0, start, len;
	HANDLE h;
	DWORD got;
	char *nl;
	int rc = 0;

	if ((h = open_path(t, &fi)) == NULL)
		return 0;                      /* not there (yet, or between rotations) */
	size = file_size(&fi);
	if (!t->known || t->pos.dev != fi.dwVolumeSerialNumber ||
	    t->pos.inode != file_index(&fi) || size < t->pos.offset) {
		/* Another file at the path, or this one truncated: from its start. */
		if (t->known)
			t->skipping = 0;
		t->pos.dev = fi.dwVolumeSerialNumber;
		t->pos.inode = file_index(&fi);
		t->pos.offset = 0;
		t->known = 1;
	}
	if (t->pos.headlen < TAIL_HEAD)
		take_head(t, h);
	at.QuadPart = (LONGLONG)t->pos.offset;
	if (!SetFilePointerEx(h, at, NULL, FILE_BEGIN)) {
		CloseHandle(h);
		errno = EIO;
		return VIGIL_ERR_SYS;
	}
	for (;;) {
		if (done >= max_bytes) {
			rc = t->pos.offset < size;
			break;
		}
		if (!ReadFile(h, t->buf + have, (DWORD)(t->bufcap - have), &got, NULL)) {
			errno = EIO;
			rc = VIGIL_ERR_SYS;
			break;
		}
		if (got == 0)
			break;                     /* at the end: a partial line waits for its newline */
		have += got;
		done += got;
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
	CloseHandle(h);
	return rc;
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
