/*
 * The control server's JSON lines (one object per line, names and escaping
 * as vigil/ctl.h says) and its request arguments (key=value, each checked).
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

/* ---- JSON writing ------------------------------------------------------------ */

void
jw_sep(struct jw *w, const char *key)
{
	evbuffer_add_printf(w->out, "%s\"%s\":", w->n++ ? "," : "", key);
}

void
jw_begin(struct jw *w)
{
	evbuffer_add(w->out, "{", 1);
	w->n = 0;
	w->depth = 1;
}

void
jw_end(struct jw *w)
{
	evbuffer_add(w->out, "}\n", 2);
	w->depth = 0;
}

void
jw_str(struct jw *w, const char *key, const char *s)
{
	struct control *ctl = w->ctl;
	size_t len, need, n;
	char *p;

	if (s == NULL)
		s = "";
	len = strlen(s);
	/* Each input byte becomes at most six ("\u00XX"). */
	need = len * 6 + 1;
	if (need > ctl->esclen) {
		if ((p = realloc(ctl->esc, need)) == NULL) {
			jw_sep(w, key);
			evbuffer_add(w->out, "\"\"", 2);
			return;
		}
		ctl->esc = p;
		ctl->esclen = need;
	}
	n = text_json_escape(ctl->esc, ctl->esclen, s, len);
	jw_sep(w, key);
	evbuffer_add(w->out, "\"", 1);
	evbuffer_add(w->out, ctl->esc, n);
	evbuffer_add(w->out, "\"", 1);
}

void
jw_int(struct jw *w, const char *key, long long v)
{
	jw_sep(w, key);
	evbuffer_add_printf(w->out, "%lld", v);
}

void
jw_uint(struct jw *w, const char *key, unsigned long long v)
{
	jw_sep(w, key);
	evbuffer_add_printf(w->out, "%llu", v);
}

void
jw_bool(struct jw *w, const char *key, int v)
{
	jw_sep(w, key);
	evbuffer_add_printf(w->out, "%s", v ? "true" : "false");
}

void
jw_time(struct jw *w, const char *key, int64_t us)
{
	char buf[64];

	if (us <= 0) {
		jw_sep(w, key);
		evbuffer_add(w->out, "null", 4);
		return;
	}
	text_time_rfc3339(buf, sizeof(buf), us);
	jw_str(w, key, buf);
}

/* Already JSON (store_commit.c escaped it). */
void
jw_raw(struct jw *w, const char *key, const char *json)
{
	jw_sep(w, key);
	if (json == NULL || json[0] == '\0')
		json = "{}";
	evbuffer_add(w->out, json, strlen(json));
}

void
jw_error(struct evbuffer *out, struct control *ctl, const char *msg)
{
	struct jw w = { ctl, out, 0, 0, NULL };

	jw_begin(&w);
	jw_str(&w, "error", msg);
	jw_end(&w);
}

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
		return -1;
	}
	if (text_parse_ll(v, 1, LLONG_MAX, id) != 0) {
		bad_arg(err, errlen, "id", v, "an incident number");
		return -1;
	}
	return 0;
}
