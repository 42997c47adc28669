/*
 * The control socket's events request: stored events, oldest first, with
 * their typed fields.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/privdrop.h"
#include "vigil/text.h"

#include "collector.h"
#include "control.h"
#include "control_int.h"
#include "session.h"
#include "compliance.h"
#include "audit.h"
#include "escalate.h"
#include "escalate_run.h"
#include "incident.h"
#include "presence.h"
#include "roles.h"

/* An event's members: a line of vigilctl events, or one of an incident's timeline. */
void
event_members(struct jw *w, const struct store_event_row *r)
{
	jw_str(w, "agent", r->agent);
	jw_uint(w, "seq", r->seq);
	jw_time(w, "time", r->time_us);
	jw_time(w, "received", r->recv_us);
	/* The time is the agent's, kept as sent; "ahead"/"behind": implausible. */
	jw_str(w, "clock", r->clock == STORE_CLOCK_AHEAD ? "ahead" :
	    r->clock == STORE_CLOCK_BEHIND ? "behind" : "ok");
	jw_str(w, "source", r->source);
	jw_str(w, "category", category_name(r->category));
	jw_str(w, "severity", severity_name(r->severity));
	jw_str(w, "rule", r->rule);
	jw_str(w, "summary", r->summary);
	jw_str(w, "raw", r->raw);
	jw_raw(w, "fields", r->fields_json);
}

struct event_walk {
	struct jw *w;
	int64_t cursor;        /* the highest row id listed */
};

static int
event_row(void *arg, const struct store_event_row *r)
{
	struct event_walk *ew = arg;

	jw_begin(ew->w);
	event_members(ew->w, r);
	jw_end(ew->w);
	if (r->id > ew->cursor)
		ew->cursor = r->id;
	return 0;
}

int
cmd_events(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen)
{
	static const char *const known[] = {
		"since", "until", "agent", "category", "severity", "limit", "field", "grep", "after",
		NULL,
	};
	struct store_event_filter f = { 0, 0, NULL, -1, -1, 100, NULL, NULL, NULL, 0 };
	struct event_walk ew = { w, 0 };
	const char *v;
	long long since = 0, until = 0, limit = 100, after = -1;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    time_num_arg(args, nargs, "since", &since, err, errlen) != 0 ||
	    time_num_arg(args, nargs, "until", &until, err, errlen) != 0)
		return -1;
	if (since > 0 && until > 0 && until < since) {
		ctl_usage_error = 1;
		snprintf(err, errlen, "until is before since");
		return -1;
	}
	f.since_us = since;
	f.until_us = until;
	if ((v = arg_get(args, nargs, "agent")) != NULL) {
		if (v[0] == '\0' || strlen(v) >= COLLECTOR_ID_MAX) {
			bad_arg(err, errlen, "agent", v, "an agent id");
			return -1;
		}
		f.agent = v;
	}
	if ((v = arg_get(args, nargs, "category")) != NULL) {
		if ((f.category = category_from_name(v)) <= 0) {
			bad_arg(err, errlen, "category", v, "a category name such as auth or usb");
			return -1;
		}
	}
	if ((v = arg_get(args, nargs, "severity")) != NULL) {
		if ((f.min_severity = severity_from_name(v)) <= 0) {
			bad_arg(err, errlen, "severity", v, "info, low, medium, high or critical");
			return -1;
		}
	}
	if (num_arg(args, nargs, "limit", 1, CTL_MAX_LIMIT, "a number from 1 to 100000", &limit,
	    err, errlen) != 0)
		return -1;
	f.limit = (long)limit;
	if (field_arg(args, nargs, &f.field_key, &f.field_value, err, errlen) != 0 ||
	    grep_arg(args, nargs, &f.grep, err, errlen) != 0 ||
	    num_arg(args, nargs, "after", 0, LLONG_MAX, "a cursor", &after, err, errlen) != 0)
		return -1;
	f.after_id = after > 0 ? after : 0;
	ew.cursor = f.after_id;
	if (store_query_events(w->ctl->c->store, &f, event_row, &ew) != 0) {
		snprintf(err, errlen, "the store cannot list the events");
		return -1;
	}
	/* --follow: where the next poll starts (vigil/ctl.h) */
	if (after >= 0)
		cursor_line(w, ew.cursor);
	return 0;
}
