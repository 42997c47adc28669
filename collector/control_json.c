/*
 * The control server's JSON lines (one object per line, names and escaping
 * as vigil/ctl.h says) and its request arguments (key=value, each checked).
 */
#include <ctype.h>
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

#include "vigil/clock.h"
#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/privdrop.h"
#include "vigil/text.h"
#include "vigil/tz.h"

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

/* ---- JSON writing ------------------------------------------------------------ */

static void
put_evbuffer(void *sink, const char *s, size_t n)
{
	evbuffer_add(sink, s, n);
}

void
jw_begin(struct jw *w)
{
	jsonw_init(&w->j, put_evbuffer, w->out);
	jsonw_object(&w->j, NULL);
}

void
jw_end(struct jw *w)
{
	jsonw_end(&w->j);
	evbuffer_add(w->out, "\n", 1);
}

void
jw_str(struct jw *w, const char *key, const char *s)
{
	jsonw_str(&w->j, key, s);
}

void
jw_int(struct jw *w, const char *key, long long v)
{
	jsonw_int(&w->j, key, v);
}

void
jw_uint(struct jw *w, const char *key, unsigned long long v)
{
	jsonw_uint(&w->j, key, v);
}

void
jw_bool(struct jw *w, const char *key, int v)
{
	jsonw_bool(&w->j, key, v);
}

void
jw_time(struct jw *w, const char *key, int64_t us)
{
	char buf[64];

	if (us <= 0) {
		jsonw_null(&w->j, key);
		return;
	}
	text_time_rfc3339(buf, sizeof(buf), us);
	jsonw_str(&w->j, key, buf);
}

/* Already JSON (store_commit.c escaped it); nothing stored is an empty object. */
void
jw_raw(struct jw *w, const char *key, const char *json)
{
	jsonw_raw(&w->j, key, json == NULL || json[0] == '\0' ? "{}" : json);
}

void
jw_error(struct evbuffer *out, struct control *ctl, const char *msg)
{
	jw_error_kind(out, ctl, msg, NULL);
}

/*
 * The refusal with its kind (vigil/ctl.h): "usage" when the request itself
 * is wrong (a bad value, an unknown argument), so that vigilctl exits 2 as it
 * does when it notices the mistake itself.
 */
void
jw_error_kind(struct evbuffer *out, struct control *ctl, const char *msg, const char *kind)
{
	struct jw w = { .ctl = ctl, .out = out };

	jw_begin(&w);
	jw_str(&w, "error", msg);
	if (kind != NULL)
		jw_str(&w, "kind", kind);
	jw_end(&w);
}

/*
 * Set by every argument check that refuses a value: the request being served
 * (one at a time, on the event loop's thread) is a usage error.
 */
int ctl_usage_error;

/* ---- arguments ------------------------------------------------------------- */

const char *
arg_get(const struct ctl_arg *args, size_t nargs, const char *key)
{
	for (size_t i = 0; i < nargs; i++)
		if (strcmp(args[i].key, key) == 0)
			return args[i].value;
	return NULL;
}

/* Every argument must be one the command knows. */
int
args_check(const struct ctl_arg *args, size_t nargs, const char *const *known, char *err,
    size_t errlen)
{
	char esc[128];

	for (size_t i = 0; i < nargs; i++) {
		size_t k;

		for (k = 0; known[k] != NULL; k++)
			if (strcmp(args[i].key, known[k]) == 0)
				break;
		if (known[k] == NULL) {
			text_escape(esc, sizeof(esc), args[i].key, strlen(args[i].key));
			snprintf(err, errlen, "unknown argument %s", esc);
			ctl_usage_error = 1;
			return -1;
		}
	}
	return 0;
}

void
bad_arg(char *err, size_t errlen, const char *key, const char *value, const char *want)
{
	char esc[128];

	text_escape(esc, sizeof(esc), value, strlen(value));
	snprintf(err, errlen, "bad value for %s: \"%s\" (expected %s)", key, esc, want);
	ctl_usage_error = 1;
}

/* An optional number from min to max: *n is left as it is when key is absent. */
int
num_arg(const struct ctl_arg *args, size_t nargs, const char *key, long long min,
    long long max, const char *want, long long *n, char *err, size_t errlen)
{
	const char *v;

	if ((v = arg_get(args, nargs, key)) == NULL)
		return 0;
	if (text_parse_ll(v, min, max, n) != 0) {
		bad_arg(err, errlen, key, v, want);
		return -1;
	}
	return 0;
}

/*
 * since= or until=: unix microseconds, or a wall clock without a zone as
 * vigilctl sends a person's "2026-11-25 10:00", read in the one zone.
 */
int
time_num_arg(const struct ctl_arg *args, size_t nargs, const char *key, long long *us,
    char *err, size_t errlen)
{
	const char *v;
	int64_t t;

	if ((v = arg_get(args, nargs, key)) == NULL)
		return 0;
	if (text_parse_ll(v, 0, LLONG_MAX, us) == 0)
		return 0;
	if (tz_parse_time(v, 0, &t, NULL, 0) == 0 && t >= 0) {
		*us = t;
		return 0;
	}
	bad_arg(err, errlen, key, v, "unix microseconds or a time like 2026-11-25T10:00:00");
	return -1;
}

/* A name argument: present, 1..CTL_NAME_MAX-1 bytes, no control characters. */
int
name_arg(const struct ctl_arg *args, size_t nargs, const char *key, const char **out,
    char *err, size_t errlen)
{
	const char *v = arg_get(args, nargs, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (v[0] == '\0' || strlen(v) >= CTL_NAME_MAX) {
		bad_arg(err, errlen, key, v, "a name");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			bad_arg(err, errlen, key, v, "a name without control characters");
			return -1;
		}
	*out = v;
	return 0;
}

int
id_arg(const struct ctl_arg *args, size_t nargs, long long *id, char *err, size_t errlen)
{
	const char *v;

	if ((v = arg_get(args, nargs, "id")) == NULL) {
		snprintf(err, errlen, "missing argument id");
		ctl_usage_error = 1;
		return -1;
	}
	if (text_parse_ll(v, 1, LLONG_MAX, id) != 0) {
		bad_arg(err, errlen, "id", v, "an incident number");
		return -1;
	}
	return 0;
}

/*
 * field=KEY=VALUE: an event field equal to a value. The key is a field name
 * (letters, digits, '.', '_', '-': it goes into a JSON path), split off at
 * the first '=' into a copy that lives as long as the request's arguments.
 */
int
field_arg(const struct ctl_arg *args, size_t nargs, const char **key, const char **value,
    char *err, size_t errlen)
{
	static char k[CTL_NAME_MAX];
	const char *v = arg_get(args, nargs, "field"), *eq;
	size_t n;

	*key = *value = NULL;
	if (v == NULL)
		return 0;
	if ((eq = strchr(v, '=')) == NULL || (n = (size_t)(eq - v)) == 0 || n >= sizeof(k) ||
	    strlen(eq + 1) >= CTL_NAME_MAX) {
		bad_arg(err, errlen, "field", v, "KEY=VALUE, such as src_ip=203.0.113.7");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)v[i]) || v[i] == '.' || v[i] == '_' || v[i] == '-')) {
			bad_arg(err, errlen, "field", v, "a field name of letters, digits, '.', "
			    "'_' or '-', then =VALUE");
			return -1;
		}
	memcpy(k, v, n);
	k[n] = '\0';
	*key = k;
	*value = eq + 1;
	return 0;
}

/* grep=TEXT: 1 to CTL_NAME_MAX-1 bytes of text to find, accents folded by the store. */
int
grep_arg(const struct ctl_arg *args, size_t nargs, const char **text, char *err, size_t errlen)
{
	return name_arg(args, nargs, "grep", text, err, errlen);
}

/* The last line of a polled answer: {"type":"cursor","after":N}, for the next poll. */
void
cursor_line(struct jw *w, long long after)
{
	jw_begin(w);
	jw_str(w, "type", "cursor");
	jw_int(w, "after", after);
	jw_end(w);
}

/*
 * The zone times are shown in to people, as the mails have it (issue 16):
 * "timezone" is its name (tz_name(): [collector] timezone, or the system's
 * as the system names it), "utc_offset_min" its offset now. vigilctl shows
 * every time in it.
 */
void
zone_members(struct jw *w)
{
	int64_t now = clock_now_us();
	char name[128];

	tz_name(name, sizeof(name), now);
	jw_str(w, "timezone", name);
	jw_int(w, "utc_offset_min", tz_offset_min(now));
}

/* The first line when a request asks zone=1: {"type":"zone","timezone":…}. */
void
zone_line(struct jw *w)
{
	jw_begin(w);
	jw_str(w, "type", "zone");
	zone_members(w);
	jw_end(w);
}
