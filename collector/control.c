/*
 * The control socket (include/vigil/ctl.h): one request line in, JSON lines
 * out, then close. The caller is identified with SO_PEERCRED before anything
 * is read; commands live in one table.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
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

#define CTL_MAX_CONNS 64             /* requests served at once */
#define CTL_MAX_ARGS 16
#define CTL_READ_TIMEOUT_SEC 5
#define CTL_WRITE_TIMEOUT_SEC 30     /* without progress */
#define CTL_MAX_GROUPS 1024          /* of a peer, for the control_group check */

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn) entry;
	struct control *ctl;
	struct bufferevent *bev;
	uid_t uid;
	pid_t pid;
	int allowed;
};

TAILQ_HEAD(ctl_conn_list, ctl_conn);

struct control {
	struct collector *c;
	struct evconnlistener *listener;
	struct ctl_conn_list conns;
	size_t nconns;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int has_group;
	gid_t group;
	char *esc;                       /* scratch for JSON escaping */
	size_t esclen;
};

/* One response being built: JSON objects, one per line. */
struct jw {
	struct control *ctl;
	struct evbuffer *out;
	int n;                           /* members written in the current object */
	int depth;
};

struct ctl_arg {
	const char *key, *value;
};

struct ctl_cmd {
	const char *name;
	/* Appends its lines to w->out; on failure writes a sentence to err and returns -1. */
	int (*fn)(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
	    size_t errlen);
};

/* ---- JSON writing ------------------------------------------------------------ */

static void
jw_sep(struct jw *w, const char *key)
{
	evbuffer_add_printf(w->out, "%s\"%s\":", w->n++ ? "," : "", key);
}

static void
jw_begin(struct jw *w)
{
	evbuffer_add(w->out, "{", 1);
	w->n = 0;
	w->depth = 1;
}

static void
jw_end(struct jw *w)
{
	evbuffer_add(w->out, "}\n", 2);
	w->depth = 0;
}

static void
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

static void
jw_int(struct jw *w, const char *key, long long v)
{
	jw_sep(w, key);
	evbuffer_add_printf(w->out, "%lld", v);
}

static void
jw_uint(struct jw *w, const char *key, unsigned long long v)
{
	jw_sep(w, key);
	evbuffer_add_printf(w->out, "%llu", v);
}

static void
jw_bool(struct jw *w, const char *key, int v)
{
	jw_sep(w, key);
	evbuffer_add_printf(w->out, "%s", v ? "true" : "false");
}

static void
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

/* Already JSON (store.c escaped it). */
static void
jw_raw(struct jw *w, const char *key, const char *json)
{
	jw_sep(w, key);
	if (json == NULL || json[0] == '\0')
		json = "{}";
	evbuffer_add(w->out, json, strlen(json));
}

static void
jw_error(struct evbuffer *out, struct control *ctl, const char *msg)
{
	struct jw w = { ctl, out, 0, 0 };

	jw_begin(&w);
	jw_str(&w, "error", msg);
	jw_end(&w);
}

/* ---- arguments ------------------------------------------------------------- */

static const char *
arg_get(const struct ctl_arg *args, size_t nargs, const char *key)
{
	for (size_t i = 0; i < nargs; i++)
		if (strcmp(args[i].key, key) == 0)
			return args[i].value;
	return NULL;
}

/* Every argument must be one the command knows. */
static int
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

static int
parse_ll(const char *s, long long min, long long max, long long *v)
{
	char *end;

	if (s == NULL || *s == '\0' || *s == ' ')
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v < min || *v > max)
		return -1;
	return 0;
}

static void
bad_arg(char *err, size_t errlen, const char *key, const char *value, const char *want)
{
	char esc[128];

	text_escape(esc, sizeof(esc), value, strlen(value));
	snprintf(err, errlen, "bad value for %s: \"%s\" (expected %s)", key, esc, want);
}

/* ---- commands -------------------------------------------------------------- */

static const struct {
	const char *name;
	size_t off;
} counters[] = {
#define C(n) { #n, offsetof(struct collector_counters, n) }
	C(connections_accepted), C(connections_refused_limit), C(tls_handshake_failed),
	C(frames_bad), C(protocol_errors), C(sessions_replaced), C(batches_received),
	C(events_received), C(events_stored), C(events_duplicate), C(commits),
	C(commit_failures), C(control_requests), C(control_refused),
#undef C
};

static int
cmd_status(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen)
{
	static const char *const known[] = { NULL };
	struct collector *c = w->ctl->c;
	struct store_counts sc;
	const uint8_t *base = (const uint8_t *)&c->counters;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if (store_counts(c->store, &sc) != 0) {
		snprintf(err, errlen, "the store cannot count its rows");
		return -1;
	}
	jw_begin(w);
	jw_str(w, "version", COLLECTOR_VERSION);
	jw_int(w, "pid", (long long)getpid());
	jw_int(w, "uptime_s", (session_now_us() - c->started_us) / 1000000);
	jw_int(w, "agents_known", sc.agents);
	jw_uint(w, "agents_connected", session_agents_connected(c));
	jw_int(w, "events_stored", sc.events);
	jw_int(w, "incidents_open", sc.incidents_open);
	jw_sep(w, "counters");
	evbuffer_add(w->out, "{", 1);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t v;

		memcpy(&v, base + counters[i].off, sizeof(v));
		evbuffer_add_printf(w->out, "%s\"%s\":%llu", i ? "," : "", counters[i].name,
		    (unsigned long long)v);
	}
	evbuffer_add(w->out, "}", 1);
	jw_end(w);
	return 0;
}

static int
agent_row(void *arg, const struct store_agent_row *r)
{
	struct jw *w = arg;
	int64_t seen = 0, last = r->last_us;
	int connected = session_agent_connected(w->ctl->c, r->agent, &seen);

	/* Heartbeats reach the store at most once a minute; memory knows better. */
	if (connected && seen > last)
		last = seen;
	jw_begin(w);
	jw_str(w, "agent", r->agent);
	jw_str(w, "hostname", r->hostname);
	jw_str(w, "unit", r->unit);
	jw_str(w, "version", r->version);
	jw_str(w, "address", r->address);
	jw_time(w, "first_seen", r->first_us);
	jw_time(w, "last_seen", last);
	jw_uint(w, "last_seq", r->last_seq);
	jw_bool(w, "connected", connected);
	jw_end(w);
	return 0;
}

static int
cmd_agents(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen)
{
	static const char *const known[] = { NULL };

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if (store_query_agents(w->ctl->c->store, agent_row, w) != 0) {
		snprintf(err, errlen, "the store cannot list the agents");
		return -1;
	}
	return 0;
}

static int
event_row(void *arg, const struct store_event_row *r)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "agent", r->agent);
	jw_uint(w, "seq", r->seq);
	jw_time(w, "time", r->time_us);
	jw_time(w, "received", r->recv_us);
	jw_str(w, "source", r->source);
	jw_str(w, "category", category_name(r->category));
	jw_str(w, "severity", severity_name(r->severity));
	jw_str(w, "rule", r->rule);
	jw_str(w, "summary", r->summary);
	jw_str(w, "raw", r->raw);
	jw_raw(w, "fields", r->fields_json);
	jw_end(w);
	return 0;
}

static int
cmd_events(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen)
{
	static const char *const known[] = {
		"since", "until", "agent", "category", "severity", "limit", NULL,
	};
	struct store_event_filter f = { 0, 0, NULL, -1, -1, 100 };
	const char *v;
	long long n;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "since")) != NULL) {
		if (parse_ll(v, 0, LLONG_MAX, &n) != 0) {
			bad_arg(err, errlen, "since", v, "unix microseconds");
			return -1;
		}
		f.since_us = n;
	}
	if ((v = arg_get(args, nargs, "until")) != NULL) {
		if (parse_ll(v, 0, LLONG_MAX, &n) != 0) {
			bad_arg(err, errlen, "until", v, "unix microseconds");
			return -1;
		}
		f.until_us = n;
	}
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
	if ((v = arg_get(args, nargs, "limit")) != NULL) {
		if (parse_ll(v, 1, CTL_MAX_LIMIT, &n) != 0) {
			bad_arg(err, errlen, "limit", v, "a number from 1 to 100000");
			return -1;
		}
		f.limit = (long)n;
	}
	if (store_query_events(w->ctl->c->store, &f, event_row, w) != 0) {
		snprintf(err, errlen, "the store cannot list the events");
		return -1;
	}
	return 0;
}

static int
incident_row(void *arg, const struct store_incident_row *r)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_int(w, "id", r->id);
	jw_str(w, "agent", r->agent);
	jw_str(w, "rule", r->rule);
	jw_str(w, "category", category_name(r->category));
	jw_str(w, "severity", severity_name(r->severity));
	jw_str(w, "status", r->status);
	jw_str(w, "title", r->title);
	jw_time(w, "first_seen", r->first_us);
	jw_time(w, "last_seen", r->last_us);
	jw_int(w, "events", r->events);
	jw_end(w);
	return 0;
}

static int
cmd_incidents(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "status", NULL };
	const char *v;
	int open_only = 1;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "status")) != NULL) {
		if (strcmp(v, "open") == 0) {
			open_only = 1;
		} else if (strcmp(v, "all") == 0) {
			open_only = 0;
		} else {
			bad_arg(err, errlen, "status", v, "open or all");
			return -1;
		}
	}
	if (store_query_incidents(w->ctl->c->store, open_only, incident_row, w) != 0) {
		snprintf(err, errlen, "the store cannot list the incidents");
		return -1;
	}
	return 0;
}

static int
cmd_incident(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", NULL };
	const char *v;
	long long id;
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "id")) == NULL) {
		snprintf(err, errlen, "missing argument id");
		return -1;
	}
	if (parse_ll(v, 1, LLONG_MAX, &id) != 0) {
		bad_arg(err, errlen, "id", v, "an incident number");
		return -1;
	}
	rc = store_get_incident(w->ctl->c->store, id, incident_row, event_row, w);
	if (rc == VIGIL_ERR_NOTFOUND) {
		snprintf(err, errlen, "there is no incident %lld", id);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "the store cannot read incident %lld", id);
		return -1;
	}
	return 0;
}

static const struct ctl_cmd commands[] = {
	{ "status", cmd_status },
	{ "agents", cmd_agents },
	{ "events", cmd_events },
	{ "incidents", cmd_incidents },
	{ "incident", cmd_incident },
};

/* ---- connections ------------------------------------------------------------- */

static void
ctl_conn_free(struct ctl_conn *cc)
{
	struct control *ctl = cc->ctl;

	TAILQ_REMOVE(&ctl->conns, cc, entry);
	ctl->nconns--;
	bufferevent_free(cc->bev);
	free(cc);
}

static void
ctl_drained(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *cc = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		ctl_conn_free(cc);
}

static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn *cc = arg;

	if (what & BEV_EVENT_TIMEOUT)
		log_warnx("Control client uid %lu (pid %ld) was too slow; closing.",
		    (unsigned long)cc->uid, (long)cc->pid);
	ctl_conn_free(cc);
}

/* The response is queued: close once the client has it. */
static void
ctl_finish(struct ctl_conn *cc)
{
	bufferevent_disable(cc->bev, EV_READ);
	bufferevent_setcb(cc->bev, NULL, ctl_drained, ctl_event, cc);
	bufferevent_enable(cc->bev, EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(cc->bev)) == 0)
		ctl_conn_free(cc);
}

static void
ctl_request(struct ctl_conn *cc, char *line)
{
	struct control *ctl = cc->ctl;
	struct ctl_arg args[CTL_MAX_ARGS];
	struct evbuffer *resp;
	struct jw w;
	char err[512], esc[128], *cmd, *tok, *save = NULL, *eq;
	size_t nargs = 0, i;

	ctl->c->counters.control_requests++;
	if ((resp = evbuffer_new()) == NULL) {
		jw_error(bufferevent_get_output(cc->bev), ctl, "out of memory");
		return;
	}
	err[0] = '\0';
	if ((cmd = strtok_r(line, "\t", &save)) == NULL) {
		snprintf(err, sizeof(err), "empty request");
		goto out;
	}
	while ((tok = strtok_r(NULL, "\t", &save)) != NULL) {
		if (nargs == CTL_MAX_ARGS) {
			snprintf(err, sizeof(err), "more than %d arguments", CTL_MAX_ARGS);
			goto out;
		}
		if ((eq = strchr(tok, '=')) == NULL) {
			text_escape(esc, sizeof(esc), tok, strlen(tok));
			snprintf(err, sizeof(err), "argument %s is not key=value", esc);
			goto out;
		}
		*eq = '\0';
		args[nargs].key = tok;
		args[nargs].value = eq + 1;
		nargs++;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		text_escape(esc, sizeof(esc), cmd, strlen(cmd));
		snprintf(err, sizeof(err), "unknown command %s", esc);
		goto out;
	}
	log_debug("Control request %s from uid %lu (pid %ld).", commands[i].name,
	    (unsigned long)cc->uid, (long)cc->pid);
	w.ctl = ctl;
	w.out = resp;
	w.n = 0;
	w.depth = 0;
	if (commands[i].fn(&w, args, nargs, err, sizeof(err)) != 0 && err[0] == '\0')
		snprintf(err, sizeof(err), "%s failed", commands[i].name);
out:
	/* A failure replaces whatever part of the answer was already built. */
	if (err[0] != '\0')
		jw_error(bufferevent_get_output(cc->bev), ctl, err);
	else
		evbuffer_add_buffer(bufferevent_get_output(cc->bev), resp);
	evbuffer_free(resp);
}

static void
ctl_refuse(struct ctl_conn *cc)
{
	struct control *ctl = cc->ctl;
	char msg[512];

	ctl->c->counters.control_refused++;
	log_warnx("Refused a control request from uid %lu (pid %ld): it is not root, the "
	    "collector's user or a member of the control group.", (unsigned long)cc->uid,
	    (long)cc->pid);
	if (ctl->has_group)
		snprintf(msg, sizeof(msg), "permission denied: uid %lu is not root, the "
		    "collector's user or a member of group %s", (unsigned long)cc->uid,
		    ctl->c->conf.collector.control_group);
	else
		snprintf(msg, sizeof(msg), "permission denied: uid %lu is not root or the "
		    "collector's user", (unsigned long)cc->uid);
	jw_error(bufferevent_get_output(cc->bev), ctl, msg);
}

static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;
	char *line;

	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) >= CTL_MAX_REQUEST) {
			if (!cc->allowed)
				ctl_refuse(cc);
			else
				jw_error(bufferevent_get_output(bev), cc->ctl,
				    "the request is longer than 4096 bytes");
			ctl_finish(cc);
		}
		return;
	}
	if (!cc->allowed)
		ctl_refuse(cc);
	else if (n >= CTL_MAX_REQUEST)
		jw_error(bufferevent_get_output(bev), cc->ctl,
		    "the request is longer than 4096 bytes");
	else
		ctl_request(cc, line);
	free(line);
	ctl_finish(cc);
}

/* Root, our own user, or a member of control_group. */
static int
ctl_allowed(struct control *ctl, const struct ucred *cr)
{
	struct passwd pw, *pwp = NULL;
	gid_t groups[CTL_MAX_GROUPS];
	int ngroups = CTL_MAX_GROUPS;
	char buf[4096];

	if (cr->uid == 0 || cr->uid == getuid())
		return 1;
	if (!ctl->has_group)
		return 0;
	if (cr->gid == ctl->group)
		return 1;
	if (getpwuid_r(cr->uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		return 0;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ngroups) == -1)
		return 0;
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == ctl->group)
			return 1;
	return 0;
}

static void
ctl_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct control *ctl = arg;
	struct timeval rt = { CTL_READ_TIMEOUT_SEC, 0 }, wt = { CTL_WRITE_TIMEOUT_SEC, 0 };
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct ctl_conn *cc;

	if (ctl->nconns >= CTL_MAX_CONNS) {
		log_warnx("Too many control requests at once (%d); closing a new one.",
		    CTL_MAX_CONNS);
		evutil_closesocket(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == -1) {
		log_warn("Cannot identify a control client");
		evutil_closesocket(fd);
		return;
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (cc->bev = bufferevent_socket_new(ctl->c->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("Out of memory; dropping a control request.");
		free(cc);
		evutil_closesocket(fd);
		return;
	}
	cc->ctl = ctl;
	cc->uid = cr.uid;
	cc->pid = cr.pid;
	TAILQ_INSERT_TAIL(&ctl->conns, cc, entry);
	ctl->nconns++;
	bufferevent_set_timeouts(cc->bev, &rt, &wt);
	/* A refused caller still gets its request read, so the close does not reset the answer. */
	cc->allowed = ctl_allowed(ctl, &cr);
	/* The input never holds more than one request. */
	bufferevent_setwatermark(cc->bev, EV_READ, 0, CTL_MAX_REQUEST);
	bufferevent_setcb(cc->bev, ctl_read, NULL, ctl_event, cc);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
}

/* ---- the socket ---------------------------------------------------------------- */

/* A live daemon answers on the path; a stale socket refuses the connection. */
static int
ctl_in_use(const struct sockaddr_un *sun)
{
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return rc;
}

struct control *
control_open(struct collector *c, char *err, size_t errlen)
{
	const struct collector_conf *cc = &c->conf.collector;
	struct control *ctl;
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd = -1, rc;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctl->c = c;
	TAILQ_INIT(&ctl->conns);
	if (strlen(cc->control_socket) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "the control socket path %s is too long", cc->control_socket);
		goto fail;
	}
	snprintf(ctl->path, sizeof(ctl->path), "%s", cc->control_socket);
	if (cc->control_group[0] != '\0') {
		if ((rc = privdrop_group(cc->control_group, &ctl->group)) != 0) {
			snprintf(err, errlen, "control_group %s: %s", cc->control_group,
			    rc == VIGIL_ERR_NOTFOUND ? "no such group" : strerror(errno));
			goto fail;
		}
		ctl->has_group = 1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, ctl->path, strlen(ctl->path) + 1);
	if (lstat(ctl->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", ctl->path);
			goto fail;
		}
		if (ctl_in_use(&sun)) {
			snprintf(err, errlen, "another collector is listening on %s", ctl->path);
			goto fail;
		}
		if (unlink(ctl->path) == -1) {
			snprintf(err, errlen, "cannot remove the stale socket %s: %s", ctl->path,
			    strerror(errno));
			goto fail;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "cannot make a Unix socket: %s", strerror(errno));
		goto fail;
	}
	/* Never reachable by others, not even between bind() and chmod(). */
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1) {
		snprintf(err, errlen, "cannot bind %s: %s", ctl->path, strerror(errno));
		goto fail;
	}
	if (chmod(ctl->path, 0660) == -1) {
		snprintf(err, errlen, "cannot chmod %s: %s", ctl->path, strerror(errno));
		goto fail_unlink;
	}
	if (ctl->has_group && chown(ctl->path, getuid() == 0 ? 0 : (uid_t)-1, ctl->group) == -1) {
		snprintf(err, errlen, "cannot give %s to group %s: %s", ctl->path,
		    cc->control_group, strerror(errno));
		goto fail_unlink;
	}
	ctl->listener = evconnlistener_new(c->base, ctl_accept, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
	if (ctl->listener == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", ctl->path, strerror(errno));
		goto fail_unlink;
	}
	return ctl;
fail_unlink:
	unlink(ctl->path);
fail:
	if (fd != -1)
		close(fd);
	free(ctl);
	return NULL;
}

void
control_free(struct control *ctl)
{
	struct ctl_conn *cc;

	if (ctl == NULL)
		return;
	while ((cc = TAILQ_FIRST(&ctl->conns)) != NULL)
		ctl_conn_free(cc);
	if (ctl->listener != NULL) {
		evconnlistener_free(ctl->listener);
		/* After the drop the directory may not let us; the next start cleans up. */
		(void)unlink(ctl->path);
	}
	free(ctl->esc);
	free(ctl);
}
