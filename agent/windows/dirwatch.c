/*
 * What wakes the followers of files on Windows (see agent/dirwatch.h): a
 * timer. Every DIRWATCH_POLL_MS each armed registration is called once, in
 * the order they were added; a pass over a file that did not change costs an
 * open, a GetFileInformationByHandle and a close (agent/windows/tail.c).
 * ReadDirectoryChangesW would need a thread or an I/O completion port beside
 * libevent's select() backend: a later step, when a benchmark asks for it.
 */
#include <winsock2.h>
#include <windows.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "../dirwatch.h"
#include "../../common/windows/utf16.h"

#define DIRWATCH_POLL_MS 1000

struct dirwatch_reg {
	struct dirwatch_reg *next;
	struct dirwatch *dw;
	char *dir;
	int armed;
	dirwatch_fn fn;
	void *arg;
};

struct dirwatch {
	struct event *tick;
	struct dirwatch_reg *regs;
};

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dirwatch *dw = arg;
	struct dirwatch_reg *r;

	for (r = dw->regs; r != NULL; r = r->next)
		if (r->armed)
			r->fn(r->arg);
}

struct dirwatch *
dirwatch_new(struct event_base *base, char *err, size_t errlen)
{
	struct timeval tv = { DIRWATCH_POLL_MS / 1000, (DIRWATCH_POLL_MS % 1000) * 1000 };
	struct dirwatch *dw;

	if ((dw = calloc(1, sizeof(*dw))) == NULL ||
	    (dw->tick = event_new(base, -1, EV_PERSIST, tick_cb, dw)) == NULL ||
	    event_add(dw->tick, &tv) != 0) {
		snprintf(err, errlen, "%s", _("out of memory"));
		dirwatch_free(dw);
		return NULL;
	}
	return dw;
}

static void
reg_free(struct dirwatch_reg *r)
{
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
	DWORD attr;

	if (r->armed)
		return 0;
	if ((w = win_wide(r->dir)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	attr = GetFileAttributesW(w);
	free(w);
	if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY)) {
		errno = ENOENT;
		return -1;
	}
	r->armed = 1;
	return 0;
}

void
dirwatch_del(struct dirwatch_reg *r)
{
	struct dirwatch_reg **p;

	if (r == NULL)
		return;
	for (p = &r->dw->regs; *p != NULL; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	reg_free(r);
}

const char *
dirwatch_dir(const struct dirwatch_reg *r)
{
	return r->dir;
}
