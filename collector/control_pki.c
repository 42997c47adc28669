/*
 * The control requests of a CA rotation (issue 15; pki_rotate.h says how it
 * works): pki-rotate, pki-rotate-status, pki-rotate-finish. Each step is
 * audited by pki_rotate.c with the caller's name.
 */
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "vigil/err.h"

#include "control_int.h"
#include "pki_rotate.h"

#define OVERLAP_MIN_S 3600LL
#define OVERLAP_MAX_S (365LL * 86400)

static const char *
caller(const struct jw *w)
{
	return w->conn != NULL ? w->conn->user : "unknown";
}

static void
status_members(struct jw *w, const struct rotation *r)
{
	size_t old, fresh, bundled;

	rotation_counts(r, &old, &fresh, &bundled);
	jw_time(w, "started", r->started_us);
	jw_time(w, "overlap_end", r->overlap_end_us);
	jw_bool(w, "overlap_over", clock_now_us() >= r->overlap_end_us);
	jw_uint(w, "agents_old_ca", old);
	jw_uint(w, "agents_new_ca", fresh);
	jw_uint(w, "agents_with_bundle", bundled);
	jw_uint(w, "agents_untracked", r->untracked);
	jw_uint(w, "bundles_pushed", r->pushed);
}

int
cmd_pki_rotate(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "overlap", NULL };
	struct collector *c = w->ctl->c;
	long long overlap = ROTATE_OVERLAP_DEFAULT_S;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    num_arg(args, nargs, "overlap", OVERLAP_MIN_S, OVERLAP_MAX_S,
	        "seconds, from an hour to a year", &overlap, err, errlen) != 0)
		return -1;
	if (pki_rotate_start(c, overlap, caller(w), err, errlen) != 0)
		return -1;
	jw_begin(w);
	jw_str(w, "state", "rotating");
	status_members(w, c->rotation);
	jw_end(w);
	return 0;
}

int
cmd_pki_rotate_status(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { NULL };
	struct collector *c = w->ctl->c;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	jw_begin(w);
	jw_str(w, "state", c->rotation != NULL ? "rotating" : "none");
	if (c->rotation != NULL)
		status_members(w, c->rotation);
	jw_end(w);
	return 0;
}

int
cmd_pki_rotate_finish(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "force", NULL };
	struct collector *c = w->ctl->c;
	long long force = 0;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    num_arg(args, nargs, "force", 0, 1, "0 or 1", &force, err, errlen) != 0)
		return -1;
	if (pki_rotate_finish(c, (int)force, caller(w), err, errlen) != 0)
		return -1;
	jw_begin(w);
	jw_str(w, "state", "finished");
	jw_str(w, "ca", c->conf.collector.ca);
	jw_end(w);
	return 0;
}
