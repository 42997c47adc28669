/*
 * What wakes the followers of files on Windows (see agent/dirwatch.h):
 * ReadDirectoryChangesW where it works, a poll where it does not.
 *
 * libevent's Windows backend is select(): it cannot wait on a directory
 * handle. So each armed registration gets a thread of its own that waits on
 * an overlapped ReadDirectoryChangesW (names created, renamed or removed,
 * sizes and write times changed) and on a stop event, and writes one byte to
 * a socket pair the loop watches; the loop then calls every armed
 * registration once, in the order they were added (a pass over a file that
 * did not change is a GetFileInformationByHandle and an open of its path,
 * agent/windows/tail.c, so telling them apart is not worth a protocol).
 *
 * A folder ReadDirectoryChangesW refuses (a network share without change
 * notification, a file system that has none) is polled every
 * DIRWATCH_POLL_MS instead: counted, and said once in the log. NTFS may report the size of a file its writer holds open only
 * when it flushes the directory entry, so the watched ones are also passed
 * over every DIRWATCH_SAFETY_MS: a line is late at most that long, never
 * lost.
 */
#include <winsock2.h>
#include <windows.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/util.h>

#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../dirwatch.h"
#include "../../common/windows/utf16.h"

#define DIRWATCH_POLL_MS 1000        /* folders without change notification */
#define NO_SOCKET ((evutil_socket_t)-1)
#define DIRWATCH_SAFETY_MS 10000     /* watched folders, for lazily updated sizes */
#define DIRWATCH_NOTIFY (FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_SIZE | \
	FILE_NOTIFY_CHANGE_LAST_WRITE)

struct dirwatch_reg {
	struct dirwatch_reg *next;
	struct dirwatch *dw;
	char *dir;
	int armed;
	int polled;                      /* armed without change notification */
	HANDLE thread, stop, ready;      /* the watching thread, its stop and started events */
	HANDLE dirh;
	DWORD err;                       /* the thread's first call failed: why */
	evutil_socket_t out;             /* the socket pair's writing end (shared) */
	dirwatch_fn fn;
	void *arg;
};

struct dirwatch {
	struct event_base *base;
	struct event *tick;
	struct event *wake;
	evutil_socket_t pair[2];
	long tick_ms;                    /* the timer's period now */
	struct dirwatch_reg *regs;
	unsigned long polled;            /* registrations ever armed by polling */
	int polled_said;
};

static void
call_all(struct dirwatch *dw)
{
	struct dirwatch_reg *r;

	for (r = dw->regs; r != NULL; r = r->next)
		if (r->armed)
			r->fn(r->arg);
}

/* The timer: DIRWATCH_POLL_MS while a folder is polled, else DIRWATCH_SAFETY_MS. */
static void
tick_set(struct dirwatch *dw)
{
	struct dirwatch_reg *r;
	struct timeval tv;
	long ms = DIRWATCH_SAFETY_MS;

	for (r = dw->regs; r != NULL; r = r->next)
		if (r->armed && r->polled)
			ms = DIRWATCH_POLL_MS;
	if (ms == dw->tick_ms)
		return;
	dw->tick_ms = ms;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(dw->tick, &tv);
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	call_all(arg);
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[256];

	/* Every byte is one notification; one pass answers all of them. */
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	call_all(arg);
}

struct dirwatch *
dirwatch_new(struct event_base *base, char *err, size_t errlen)
{
	struct dirwatch *dw;

	if ((dw = calloc(1, sizeof(*dw))) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return NULL;
	}
	dw->base = base;
	dw->pair[0] = dw->pair[1] = NO_SOCKET;
	if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, dw->pair) != 0 ||
	    evutil_make_socket_nonblocking(dw->pair[0]) != 0 ||
	    /* A full pair drops a byte, never blocks a thread: a wake is pending anyway. */
	    evutil_make_socket_nonblocking(dw->pair[1]) != 0 ||
	    (dw->wake = event_new(base, dw->pair[0], EV_READ | EV_PERSIST, wake_cb, dw)) == NULL ||
	    event_add(dw->wake, NULL) != 0 ||
	    (dw->tick = event_new(base, -1, EV_PERSIST, tick_cb, dw)) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		dirwatch_free(dw);
		return NULL;
	}
	tick_set(dw);
	return dw;
}

/* What a watching thread's pending call writes into: on the heap, see below. */
struct watch_io {
	OVERLAPPED ov;
	DWORD buf[1024];                 /* DWORD-aligned, as the call requires */
};

/*
 * One folder's watch: the first call's outcome goes to r->err and r->ready
 * (dirwatch_arm waits for it), then each change is one byte to the loop.
 * Stopped by r->stop: the pending call is cancelled; if its end is not seen
 * within 2 s, its buffer is left allocated rather than freed under it.
 */
static DWORD WINAPI
watch_thread(LPVOID arg)
{
	struct dirwatch_reg *r = arg;
	struct watch_io *io;
	HANDLE waits[2];
	DWORD got;
	int first = 1;
	char c = 'w';

	if ((io = calloc(1, sizeof(*io))) == NULL ||
	    (io->ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL) {
		r->err = ERROR_NOT_ENOUGH_MEMORY;
		free(io);
		SetEvent(r->ready);
		return 1;
	}
	waits[0] = r->stop;
	waits[1] = io->ov.hEvent;
	for (;;) {
		ResetEvent(io->ov.hEvent);
		if (!ReadDirectoryChangesW(r->dirh, io->buf, sizeof(io->buf), FALSE,
		    DIRWATCH_NOTIFY, NULL, &io->ov, NULL)) {
			if (first)
				r->err = GetLastError() != 0 ? GetLastError() : ERROR_NOT_SUPPORTED;
			break;
		}
		if (first) {
			first = 0;
			SetEvent(r->ready);
		}
		if (WaitForMultipleObjects(2, waits, FALSE, INFINITE) != WAIT_OBJECT_0 + 1) {
			CancelIo(r->dirh);
			if (WaitForSingleObject(io->ov.hEvent, 2000) != WAIT_OBJECT_0)
				io = NULL;       /* still pending: leave its memory to it */
			break;
		}
		/* got == 0: more changed than the buffer holds; a pass looks anyway. */
		GetOverlappedResult(r->dirh, &io->ov, &got, FALSE);
		send(r->out, &c, 1, 0);
	}
	if (first)
		SetEvent(r->ready);
	if (io != NULL) {
		CloseHandle(io->ov.hEvent);
		free(io);
	}
	return 0;
}

/* Stop and reap a registration's thread, if it has one. */
static void
watch_stop(struct dirwatch_reg *r)
{
	if (r->thread != NULL) {
		SetEvent(r->stop);
		WaitForSingleObject(r->thread, INFINITE);
		CloseHandle(r->thread);
		r->thread = NULL;
	}
	if (r->stop != NULL)
		CloseHandle(r->stop);
	if (r->ready != NULL)
		CloseHandle(r->ready);
	if (r->dirh != NULL)
		CloseHandle(r->dirh);
	r->stop = r->ready = r->dirh = NULL;
}

/* Start watching r's folder: 0, or the Windows error (the folder is polled then). */
static DWORD
watch_start(struct dirwatch_reg *r, const wchar_t *w)
{
	DWORD e;

	r->err = 0;
	r->out = r->dw->pair[1];
	r->dirh = CreateFileW(w, FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS |
	    FILE_FLAG_OVERLAPPED, NULL);
	if (r->dirh == INVALID_HANDLE_VALUE) {
		r->dirh = NULL;
		return GetLastError();
	}
	if ((r->stop = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL ||
	    (r->ready = CreateEventW(NULL, TRUE, FALSE, NULL)) == NULL ||
	    (r->thread = CreateThread(NULL, 0, watch_thread, r, 0, NULL)) == NULL) {
		e = GetLastError();
		watch_stop(r);
		return e;
	}
	/* A folder without change notification refuses the first call. */
	if (WaitForSingleObject(r->ready, 5000) != WAIT_OBJECT_0)
		r->err = ERROR_TIMEOUT;
	if ((e = r->err) != 0)
		watch_stop(r);
	return e;
}

static void
reg_free(struct dirwatch_reg *r)
{
	watch_stop(r);
	free(r->dir);
	free(r);
}

void
dirwatch_free(struct dirwatch *dw)
{
	struct dirwatch_reg *r;

	if (dw == NULL)
		return;
	while ((r = dw->regs) != NULL) {
		dw->regs = r->next;
		reg_free(r);
	}
	if (dw->tick != NULL)
		event_free(dw->tick);
	if (dw->wake != NULL)
		event_free(dw->wake);
	if (dw->pair[0] != NO_SOCKET)
		evutil_closesocket(dw->pair[0]);
	if (dw->pair[1] != NO_SOCKET)
		evutil_closesocket(dw->pair[1]);
	free(dw);
}

struct dirwatch_reg *
dirwatch_add(struct dirwatch *dw, const char *dir, uint32_t mask, const char *prefix,
    dirwatch_fn fn, void *arg)
{
	struct dirwatch_reg *r, **tail;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->dir = strdup(dir)) == NULL) {
		free(r);
		return NULL;
	}
	r->dw = dw;
	r->fn = fn;
	r->arg = arg;
	for (tail = &dw->regs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	return r;
}

struct dirwatch_reg *
dirwatch_add_file(struct dirwatch *dw, const char *path, dirwatch_fn fn, void *arg)
{
	struct dirwatch_reg *r;
	char *dir, *slash, *bslash;

	if ((dir = strdup(path)) == NULL)
		return NULL;
	slash = strrchr(dir, '/');
	bslash = strrchr(dir, '\\');
	if (bslash != NULL && (slash == NULL || bslash > slash))
		slash = bslash;
	if (slash != NULL && slash > dir && slash[-1] != ':')
		*slash = '\0';
	else if (slash != NULL)
		slash[1] = '\0';           /* C:\file: the root itself */
	r = dirwatch_add(dw, dir, 0, NULL, fn, arg);
	free(dir);
	return r;
}

int
dirwatch_arm(struct dirwatch_reg *r)
{
	wchar_t *w;
	DWORD attr, e;

	if (r->armed)
		return 0;
	if ((w = win_wide(r->dir)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	attr = GetFileAttributesW(w);
	if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY)) {
		free(w);
		errno = ENOENT;
		return -1;
	}
	if ((e = watch_start(r, w)) != 0) {
		r->polled = 1;
		r->dw->polled++;
		if (!r->dw->polled_said)
			log_info(_("%s cannot be watched for changes (Windows error %lu): it is "
			    "polled every second (%lu folder so far)."), r->dir, (unsigned long)e,
			    r->dw->polled);
		r->dw->polled_said = 1;
	}
	free(w);
	r->armed = 1;
	tick_set(r->dw);
	return 0;
}

void
dirwatch_del(struct dirwatch_reg *r)
{
	struct dirwatch_reg **p;
	struct dirwatch *dw;

	if (r == NULL)
		return;
	dw = r->dw;
	for (p = &dw->regs; *p != NULL; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	reg_free(r);
	tick_set(dw);
}

const char *
dirwatch_dir(const struct dirwatch_reg *r)
{
	return r->dir;
}
