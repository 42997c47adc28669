/*
 * The control socket (include/vigil/ctl.h): one request line in, JSON lines
 * out, then close. The caller is identified with SO_PEERCRED before anything
 * is read; commands live in one table.
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
#include "compliance.h"
#include "audit.h"
#include "escalate.h"
#include "escalation_rt.h"
#include "incident.h"
#include "presence.h"
#include "roles.h"

#define CTL_MAX_CONNS 64             /* requests served at once */
#define CTL_MAX_ARGS 16
#define CTL_READ_TIMEOUT_SEC 5
#define CTL_WRITE_TIMEOUT_SEC 30     /* without progress */

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn) entry;
	struct control *ctl;
	struct bufferevent *bev;
	uid_t uid;
	pid_t pid;
	int allowed;
	enum role role;                  /* roles.h: from the groups of uid */
	char user[ROLES_USER_MAX];       /* the actor of the audit trail */
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
	const struct ctl_conn *conn;     /* the caller; NULL for an error line */
};

struct ctl_arg {
	const char *key, *value;
};

struct ctl_cmd {
	const char *name;
	/* Appends its lines to w->out; on failure writes a sentence to err and returns -1. */
	int (*fn)(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
	    size_t errlen);
	enum role need;                  /* roles.h; ROLE_NONE (unset) means ROLE_VIEWER */
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
	struct jw w = { ctl, out, 0, 0, NULL };

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

/* An optional number from min to max: *n is left as it is when key is absent. */
static int
num_arg(const struct ctl_arg *args, size_t nargs, const char *key, long long min,
    long long max, const char *want, long long *n, char *err, size_t errlen)
{
	const char *v;

	if ((v = arg_get(args, nargs, key)) == NULL)
		return 0;
	if (parse_ll(v, min, max, n) != 0) {
		bad_arg(err, errlen, key, v, want);
		return -1;
	}
	return 0;
}

/* ---- posture and compliance ---- */

#define COMPLIANCE_UNIT_MAX 256          /* bytes of a unit= argument */

static void
posture_null(struct jw *w, const char *key)
{
	jw_sep(w, key);
	evbuffer_add(w->out, "null", 4);
}

static void
posture_limits(const struct collector *c, struct compliance_limits *l)
{
	const struct collector_conf *cc = &c->conf.collector;

	l->offline_after_us = cc->compliance_offline_after * 1000;
	l->signature_max_age_us = cc->compliance_signature_max_age * 1000;
	l->security_grace_us = cc->compliance_security_grace * 1000;
}

/* Heartbeats reach the store at most once a minute; a live session knows better. */
static int64_t
posture_last_seen(struct collector *c, const char *agent, int64_t stored_us, int *connected)
{
	int64_t seen = 0;
	int on = session_agent_connected(c, agent, &seen);

	if (connected != NULL)
		*connected = on;
	return on && seen > stored_us ? seen : stored_us;
}

/*
 * Judge one agent's row now; last_us already corrected for a live session.
 * Returns the time it is judged as of (now when on, else its last word).
 */
static int64_t
posture_judge(const struct collector *c, const struct store_posture_row *r, int64_t last_us,
    int on, int64_t now_us, struct compliance_result *res)
{
	struct compliance_facts f;
	struct compliance_limits l;

	posture_limits(c, &l);
	memset(&f, 0, sizeof(f));
	f.last_seen_us = last_us;
	f.on = on;
	f.has_posture = r->has_posture;
	f.av_product = r->av_product;
	f.av_running = r->av_running;
	f.av_signatures_us = r->av_signatures_us;
	f.security_updates_pending = r->security_updates_pending;
	f.security_pending_since_us = r->security_pending_since_us;
	compliance_eval(&f, &l, now_us, res);
	return compliance_as_of(&f, now_us);
}

struct posture_glance {
	struct jw *w;
	int64_t last_us, now_us;
	int on;
	int written;
};

static int
posture_glance_row(void *arg, const struct store_posture_row *r)
{
	struct posture_glance *g = arg;
	struct jw *w = g->w;
	struct compliance_result res;
	char av[160];
	int64_t as_of;

	/* The signatures' age as compliance saw it: at the machine's last word when it is off. */
	as_of = posture_judge(w->ctl->c, r, g->last_us, g->on, g->now_us, &res);
	if (!r->has_posture)
		posture_null(w, "av");
	else if (r->av_product[0] == '\0')
		jw_str(w, "av", "none");
	else {
		snprintf(av, sizeof(av), "%s %s", r->av_product,
		    r->av_running == VIGIL__V1__TRISTATE__TRISTATE_YES ? "running" :
		    r->av_running == VIGIL__V1__TRISTATE__TRISTATE_NO ? "stopped" : "state unknown");
		jw_str(w, "av", av);
	}
	if (r->has_posture && r->av_signatures_us > 0)
		jw_int(w, "signatures_age_days", compliance_age_days(as_of - r->av_signatures_us));
	else
		posture_null(w, "signatures_age_days");
	if (r->has_posture && r->security_updates_pending >= 0)
		jw_int(w, "security_updates", r->security_updates_pending);
	else
		posture_null(w, "security_updates");
	if (r->has_posture && r->reboot_required != VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN)
		jw_bool(w, "reboot_required",
		    r->reboot_required == VIGIL__V1__TRISTATE__TRISTATE_YES);
	else
		posture_null(w, "reboot_required");
	jw_bool(w, "compliant", res.compliant);
	/* The agent's own counters: nothing it drops is silent. */
	if (r->has_posture) {
		jw_uint(w, "spool_depth", r->spool_depth);
		jw_uint(w, "dropped", r->dropped);
		jw_uint(w, "lines_truncated", r->lines_truncated);
		jw_uint(w, "events_rejected", r->events_rejected);
		jw_uint(w, "rule_evictions", r->rule_evictions);
		jw_uint(w, "uevents_spoofed", r->uevents_spoofed);
		jw_uint(w, "uevents_lost", r->uevents_lost);
	}
	g->written = 1;
	return 0;
}

/* The posture at a glance, as members of the agents line being written. */
static void
posture_glance(struct jw *w, const char *agent, int64_t last_us, int on)
{
	struct posture_glance g = { w, last_us, clock_now_us(), on, 0 };

	(void)store_get_posture(w->ctl->c->store, agent, posture_glance_row, &g);
	if (g.written)
		return;
	posture_null(w, "av");
	posture_null(w, "signatures_age_days");
	posture_null(w, "security_updates");
	posture_null(w, "reboot_required");
	jw_bool(w, "compliant", 0);
}

/*
 * compliance: the unit lines go out as the walk (ordered by unit) leaves
 * each unit; the non-compliant machines collect in a buffer of their own and
 * follow all the units.
 */
struct compliance_walk {
	struct jw *w;
	struct jw mw;                    /* machines, into their own buffer */
	int64_t now_us;
	char *unit;                      /* the unit being counted; NULL before the first */
	long long machines, compliant;
	int nomem;
};

static void
compliance_unit_line(struct compliance_walk *cw, const char *unit)
{
	struct jw *w = cw->w;

	jw_begin(w);
	jw_str(w, "unit", unit);
	jw_int(w, "machines", cw->machines);
	jw_int(w, "compliant", cw->compliant);
	jw_int(w, "percent", compliance_percent(cw->compliant, cw->machines));
	jw_int(w, "target", 100);
	jw_end(w);
}

static int
compliance_row(void *arg, const struct store_posture_row *r)
{
	struct compliance_walk *cw = arg;
	struct collector *c = cw->w->ctl->c;
	struct compliance_result res;
	int64_t last;
	int on;

	if (cw->unit == NULL || strcmp(cw->unit, r->unit) != 0) {
		if (cw->unit != NULL)
			compliance_unit_line(cw, cw->unit);
		free(cw->unit);
		if ((cw->unit = strdup(r->unit)) == NULL) {
			cw->nomem = 1;
			return -1;
		}
		cw->machines = cw->compliant = 0;
	}
	last = posture_last_seen(c, r->agent, r->last_seen_us, &on);
	(void)posture_judge(c, r, last, on, cw->now_us, &res);
	cw->machines++;
	if (res.compliant) {
		cw->compliant++;
		return 0;
	}
	jw_begin(&cw->mw);
	jw_str(&cw->mw, "agent", r->agent);
	jw_str(&cw->mw, "unit", r->unit);
	jw_str(&cw->mw, "hostname", r->hostname);
	/* The control protocol's JSON has no arrays: the reasons are one "; "-joined string. */
	jw_str(&cw->mw, "reasons", res.reasons);
	jw_end(&cw->mw);
	return 0;
}

static int
cmd_compliance(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "unit", NULL };
	struct compliance_walk cw;
	const char *unit;
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((unit = arg_get(args, nargs, "unit")) != NULL &&
	    (unit[0] == '\0' || strlen(unit) >= COMPLIANCE_UNIT_MAX)) {
		bad_arg(err, errlen, "unit", unit, "a unit name");
		return -1;
	}
	memset(&cw, 0, sizeof(cw));
	cw.w = w;
	cw.mw.ctl = w->ctl;
	cw.now_us = clock_now_us();
	if ((cw.mw.out = evbuffer_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = store_query_postures(w->ctl->c->store, unit, compliance_row, &cw);
	if (rc == 0) {
		/* A unit asked for by name gets its line even with no machine. */
		if (cw.unit != NULL)
			compliance_unit_line(&cw, cw.unit);
		else if (unit != NULL)
			compliance_unit_line(&cw, unit);
		evbuffer_add_buffer(w->out, cw.mw.out);
	} else if (cw.nomem)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "the store cannot list the agents' posture");
	free(cw.unit);
	evbuffer_free(cw.mw.out);
	return rc == 0 ? 0 : -1;
}

/* ---- commands -------------------------------------------------------------- */

static const struct {
	const char *name;
	size_t off;
} counters[] = {
#define C(n) { #n, offsetof(struct collector_counters, n) }
	C(connections_accepted), C(connections_refused_limit), C(tls_handshake_failed),
	C(frames_bad), C(protocol_errors), C(sessions_replaced), C(goodbyes), C(batches_received),
	C(events_received), C(events_stored), C(events_duplicate), C(commits),
	C(commit_failures), C(control_requests), C(control_refused),
	C(connections_refused_address), C(handshakes_queued), C(handshake_timeouts),
	C(frame_timeouts), C(idle_timeouts), C(items_refused), C(events_clock_implausible),
	C(store_alarms),
#undef C
};

/* On, off or silent now (presence.c), as the silence check decides it. */
static enum presence
agent_presence(struct collector *c, const struct store_agent_row *r, int64_t last,
    int connected, int64_t *since)
{
	struct presence_facts pf = { connected, last, r->off_us, r->off_reason };

	return presence_of(&pf, clock_now_us(), incident_silent_after_us(c), since);
}

struct presence_count {
	struct collector *c;
	long long n[PRESENCE_SILENT + 1];
};

static int
presence_count_row(void *arg, const struct store_agent_row *r)
{
	struct presence_count *pc = arg;
	int connected;
	int64_t last = posture_last_seen(pc->c, r->agent, r->last_us, &connected);

	pc->n[agent_presence(pc->c, r, last, connected, NULL)]++;
	return 0;
}

static int
cmd_status(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen)
{
	static const char *const known[] = { NULL };
	struct collector *c = w->ctl->c;
	struct store_counts sc;
	struct session_gauges g;
	struct presence_count pc;
	const uint8_t *base = (const uint8_t *)&c->counters;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	memset(&pc, 0, sizeof(pc));
	pc.c = c;
	if (store_counts(c->store, &sc) != 0 ||
	    store_query_agents(c->store, presence_count_row, &pc) != 0) {
		snprintf(err, errlen, "the store cannot count its rows");
		return -1;
	}
	jw_begin(w);
	jw_str(w, "version", COLLECTOR_VERSION);
	jw_int(w, "pid", (long long)getpid());
	jw_int(w, "uptime_s", (clock_now_us() - c->started_us) / 1000000);
	jw_int(w, "agents_known", sc.agents);
	jw_uint(w, "agents_connected", session_agents_connected(c));
	jw_int(w, "agents_on", pc.n[PRESENCE_ON]);
	jw_int(w, "agents_off", pc.n[PRESENCE_OFF]);
	jw_int(w, "agents_silent", pc.n[PRESENCE_SILENT]);
	jw_int(w, "events_stored", sc.events);
	jw_int(w, "incidents_open", sc.incidents_open);
	session_gauges(c, &g);
	jw_uint(w, "connections", g.connections);
	jw_uint(w, "handshakes_in_progress", g.handshaking);
	jw_uint(w, "handshakes_waiting", g.queued);
	jw_uint(w, "bytes_awaiting_disk", g.awaiting_disk);
	jw_uint(w, "bytes_being_received", g.receiving);
	if (g.store_failing_since_us != 0) {
		char store[sizeof(g.store_error) + 96], when[64];

		text_time_rfc3339(when, sizeof(when), g.store_failing_since_us);
		snprintf(store, sizeof(store), "failing since %s: %s", when, g.store_error);
		jw_str(w, "store", store);
	} else {
		jw_str(w, "store", "ok");
	}
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
	int connected;
	int64_t last = posture_last_seen(w->ctl->c, r->agent, r->last_us, &connected), since;
	enum presence p = agent_presence(w->ctl->c, r, last, connected, &since);
	int64_t ahead = w->ctl->c->conf.collector.clock_ahead_max * 1000;

	jw_begin(w);
	/* The identity is the certificate's; the host name is only what the agent says. */
	jw_str(w, "agent", r->agent);
	jw_str(w, "hostname", r->hostname);
	jw_str(w, "unit", r->unit);
	jw_str(w, "version", r->version);
	jw_str(w, "os", r->os);
	jw_str(w, "address", r->address);
	jw_int(w, "clock_offset_s", r->clock_offset_us / 1000000);
	jw_str(w, "clock", r->clock_offset_us > ahead ? "ahead" : r->clock_offset_us < -ahead ?
	    "behind" : "ok");
	jw_time(w, "first_seen", r->first_us);
	jw_time(w, "last_seen", last);
	jw_uint(w, "last_seq", r->last_seq);
	jw_bool(w, "connected", connected);
	/* Off is a machine switched off on purpose; silent, one that stopped without a word. */
	jw_str(w, "state", presence_name(p));
	jw_time(w, "state_since", since);
	if (p == PRESENCE_OFF) {
		jw_str(w, "off_reason", goodbye_reason_name(r->off_reason));
		jw_str(w, "off_detail", r->off_detail);
	} else {
		posture_null(w, "off_reason");
		posture_null(w, "off_detail");
	}
	posture_glance(w, r->agent, last, connected);
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

/* An event's members: a line of vigilctl events, or one of an incident's timeline. */
static void
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

static int
event_row(void *arg, const struct store_event_row *r)
{
	struct jw *w = arg;

	jw_begin(w);
	event_members(w, r);
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
	long long since = 0, until = 0, limit = 100;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    num_arg(args, nargs, "since", 0, LLONG_MAX, "unix microseconds", &since, err,
	    errlen) != 0 ||
	    num_arg(args, nargs, "until", 0, LLONG_MAX, "unix microseconds", &until, err,
	    errlen) != 0)
		return -1;
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
	/* incidents, audit, escalation */
	jw_str(w, "kind", r->kind);
	jw_str(w, "unit", r->unit);
	jw_str(w, "assignee", r->assignee);
	jw_str(w, "resolution", r->resolution);
	jw_time(w, "opened", r->opened_us);
	jw_time(w, "acknowledged", r->acked_us);
	jw_time(w, "resolved", r->resolved_us);
	jw_end(w);
	return 0;
}

/* ---- incidents, audit, escalation ---- */

#define CTL_NAME_MAX 256                 /* a unit, host or user argument */
#define CTL_NOTE_MAX 2048                /* a note's text */

/* A name argument: present, 1..CTL_NAME_MAX-1 bytes, no control characters. */
static int
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

static int
id_arg(const struct ctl_arg *args, size_t nargs, long long *id, char *err, size_t errlen)
{
	const char *v;

	if ((v = arg_get(args, nargs, "id")) == NULL) {
		snprintf(err, errlen, "missing argument id");
		return -1;
	}
	if (parse_ll(v, 1, LLONG_MAX, id) != 0) {
		bad_arg(err, errlen, "id", v, "an incident number");
		return -1;
	}
	return 0;
}

/* The queue: open first, by severity, then age; the filters of vigilctl incidents. */
static int
cmd_incidents(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "status", "severity", "category", "unit", "host",
	    "assignee", "mine", "kind", "limit", NULL };
	struct store_incident_filter f = { NULL, -1, -1, NULL, NULL, NULL, NULL, 0 };
	const char *v;
	long long limit = 0;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "status")) != NULL) {
		if (strcmp(v, "open") != 0 && strcmp(v, "all") != 0 &&
		    incident_status_from_name(v) < 0) {
			bad_arg(err, errlen, "status", v, "open, all, new, acknowledged, "
			    "in_progress, resolved or false_positive");
			return -1;
		}
		f.status = incident_status_from_name(v) >= 0 ?
		    incident_status_name(incident_status_from_name(v)) : v;
	}
	if ((v = arg_get(args, nargs, "severity")) != NULL &&
	    (f.min_severity = severity_from_name(v)) <= 0) {
		bad_arg(err, errlen, "severity", v, "info, low, medium, high or critical");
		return -1;
	}
	if ((v = arg_get(args, nargs, "category")) != NULL &&
	    (f.category = category_from_name(v)) <= 0) {
		bad_arg(err, errlen, "category", v, "a category name such as auth or attack");
		return -1;
	}
	if (name_arg(args, nargs, "unit", &f.unit, err, errlen) != 0 ||
	    name_arg(args, nargs, "host", &f.host, err, errlen) != 0 ||
	    name_arg(args, nargs, "assignee", &f.assignee, err, errlen) != 0 ||
	    name_arg(args, nargs, "kind", &f.kind, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "mine")) != NULL) {
		if (strcmp(v, "1") != 0) {
			bad_arg(err, errlen, "mine", v, "1");
			return -1;
		}
		f.assignee = w->conn != NULL ? w->conn->user : "";
	}
	if (num_arg(args, nargs, "limit", 1, CTL_MAX_LIMIT, "a number from 1 to 100000", &limit,
	    err, errlen) != 0)
		return -1;
	f.limit = (long)limit;
	if (store_query_incident_queue(w->ctl->c->store, &f, incident_row, w) != 0) {
		snprintf(err, errlen, "the store cannot list the incidents");
		return -1;
	}
	return 0;
}

/* ---- incident show: the incident, then its timeline ---- */

struct show_names {
	char buf[4096];
	size_t len;
};

static int
show_agent(void *arg, const char *name)
{
	struct show_names *sn = arg;
	int n = snprintf(sn->buf + sn->len, sizeof(sn->buf) - sn->len, "%s%s",
	    sn->len > 0 ? ", " : "", name);

	if (n > 0 && (size_t)n < sizeof(sn->buf) - sn->len)
		sn->len += (size_t)n;
	return 0;
}

static int
show_event(void *arg, const struct store_event_row *r)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "type", "event");
	event_members(w, r);
	jw_end(w);
	return 0;
}

static int
show_notification(void *arg, const struct store_outbox_row *o)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "type", "notification");
	jw_int(w, "notification", o->id);
	jw_time(w, "time", o->created_us);
	jw_time(w, "due", o->due_us);
	jw_int(w, "level", o->level);
	jw_int(w, "repeat", o->repeat);
	jw_bool(w, "manual", o->manual);
	jw_str(w, "route", o->route);
	jw_str(w, "contact", o->contact);
	jw_str(w, "channel", o->channel);
	jw_str(w, "target", o->target);
	jw_str(w, "status", o->status);
	jw_int(w, "attempts", o->attempts);
	jw_time(w, "done", o->done_us);
	jw_end(w);
	return 0;
}

static int
show_attempt(void *arg, const struct store_attempt *a)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "type", "attempt");
	jw_int(w, "notification", a->outbox_id);
	jw_int(w, "attempt", a->attempt);
	jw_time(w, "time", a->started_us);
	jw_time(w, "finished", a->finished_us);
	jw_bool(w, "ok", a->ok);
	jw_str(w, "failure", a->failure);
	jw_int(w, "code", a->code);
	/* Not "error": a line with that member is the daemon's refusal (ctl.h). */
	jw_str(w, "reason", a->error);
	jw_time(w, "next", a->next_us);
	jw_end(w);
	return 0;
}

static int
show_action(void *arg, const struct audit_record *r)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "type", "action");
	jw_int(w, "audit", r->id);
	jw_time(w, "time", r->time_us);
	jw_str(w, "actor", r->actor);
	jw_str(w, "action", r->action);
	jw_str(w, "detail", r->detail);
	jw_end(w);
	return 0;
}

static int
cmd_incident(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", NULL };
	struct store *st = w->ctl->c->store;
	struct show_names sn;
	long long id;
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0)
		return -1;
	rc = store_get_incident(st, id, incident_row, show_event, w);
	if (rc == VIGIL_ERR_NOTFOUND) {
		snprintf(err, errlen, "there is no incident %lld", id);
		return -1;
	}
	memset(&sn, 0, sizeof(sn));
	if (rc != 0 || store_incident_agents(st, id, show_agent, &sn) != 0 ||
	    store_incident_notifications(st, id, show_notification, show_attempt, w) != 0 ||
	    store_audit_walk(st, id, show_action, w) != 0) {
		snprintf(err, errlen, "the store cannot read incident %lld", id);
		return -1;
	}
	if (sn.len > 0) {
		jw_begin(w);
		jw_str(w, "type", "machines");
		jw_str(w, "agents", sn.buf);
		jw_end(w);
	}
	return 0;
}

/* ack|assign|note|resolve|reopen|escalate, through incident_fsm, audited. */
static int
cmd_incident_action(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", "action", "user", "text", "resolution",
	    "level", NULL };
	struct incident_request rq;
	const char *v;
	long long id, n;
	int a;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0)
		return -1;
	memset(&rq, 0, sizeof(rq));
	rq.id = id;
	rq.actor = w->conn != NULL ? w->conn->user : "unknown";
	if ((v = arg_get(args, nargs, "action")) == NULL || (a = incident_action_from_name(v)) < 0) {
		bad_arg(err, errlen, "action", v != NULL ? v : "", "ack, assign, note, resolve, "
		    "reopen or escalate");
		return -1;
	}
	rq.act = (enum incident_action)a;
	if (name_arg(args, nargs, "user", &rq.user, err, errlen) != 0)
		return -1;
	if ((rq.text = arg_get(args, nargs, "text")) != NULL &&
	    (rq.text[0] == '\0' || strlen(rq.text) >= CTL_NOTE_MAX)) {
		snprintf(err, errlen, "a note is 1 to %d bytes", CTL_NOTE_MAX - 1);
		return -1;
	}
	switch (rq.act) {
	case INCIDENT_ACT_ASSIGN:
		if (rq.user == NULL) {
			snprintf(err, errlen, "assign needs the user to assign to");
			return -1;
		}
		break;
	case INCIDENT_ACT_NOTE:
		if (rq.text == NULL) {
			snprintf(err, errlen, "note needs its text");
			return -1;
		}
		break;
	case INCIDENT_ACT_RESOLVE:
		if ((v = arg_get(args, nargs, "resolution")) == NULL ||
		    (a = incident_resolution_from_name(v)) <= 0) {
			bad_arg(err, errlen, "resolution", v != NULL ? v : "", "true_positive, "
			    "false_positive, duplicate or benign");
			return -1;
		}
		rq.res = (enum incident_resolution)a;
		break;
	case INCIDENT_ACT_ESCALATE:
		if ((v = arg_get(args, nargs, "level")) == NULL ||
		    parse_ll(v, 1, ESC_LEVELS_MAX, &n) != 0) {
			bad_arg(err, errlen, "level", v != NULL ? v : "", "a chain level from 1 to 8");
			return -1;
		}
		rq.level = (int)n;
		break;
	default:
		break;
	}
	if (incident_act(w->ctl->c, &rq, err, errlen) != 0)
		return -1;
	if (store_incident_by_id(w->ctl->c->store, id, incident_row, w) != 0) {
		snprintf(err, errlen, "the store cannot read incident %lld", id);
		return -1;
	}
	return 0;
}

struct verify_walk {
	struct audit_verifier v;
	int nomem;
};

static int
verify_one(void *arg, const struct audit_record *r)
{
	struct verify_walk *vw = arg;
	int rc = audit_verify_next(&vw->v, r);

	if (rc == VIGIL_ERR_NOMEM)
		vw->nomem = 1;
	/* The first fault is the one to name; later ones follow from it. */
	return rc != 0 ? 1 : 0;
}

static int
cmd_audit_verify(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { NULL };
	struct verify_walk vw;
	char head[AUDIT_HEX_LEN], why[512];
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	memset(&vw, 0, sizeof(vw));
	audit_verify_init(&vw.v);
	rc = store_audit_walk(w->ctl->c->store, 0, verify_one, &vw);
	if ((rc != 0 && rc != 1) || vw.nomem) {
		snprintf(err, errlen, "the store cannot read the audit trail");
		return -1;
	}
	audit_hex(vw.v.head, head);
	jw_begin(w);
	jw_bool(w, "ok", vw.v.fault.kind == AUDIT_OK);
	jw_int(w, "records", vw.v.count);
	jw_int(w, "last_id", vw.v.last_id);
	jw_str(w, "head", head);
	if (vw.v.fault.kind != AUDIT_OK) {
		audit_fault_describe(&vw.v.fault, why, sizeof(why));
		jw_int(w, "fault_id", vw.v.fault.id);
		jw_str(w, "fault", why);
	}
	jw_end(w);
	return 0;
}

static int
cmd_escalation_test(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "category", "severity", "unit", "host", "rule",
		NULL };
	const char *v, *unit, *host, *rule;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	int cat, sev, rc;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((v = arg_get(args, nargs, "category")) == NULL || (cat = category_from_name(v)) <= 0) {
		bad_arg(err, errlen, "category", v != NULL ? v : "", "a category name");
		return -1;
	}
	if ((v = arg_get(args, nargs, "severity")) == NULL || (sev = severity_from_name(v)) <= 0) {
		bad_arg(err, errlen, "severity", v != NULL ? v : "", "info, low, medium, high or "
		    "critical");
		return -1;
	}
	if (name_arg(args, nargs, "unit", &unit, err, errlen) != 0 ||
	    name_arg(args, nargs, "host", &host, err, errlen) != 0 ||
	    name_arg(args, nargs, "rule", &rule, err, errlen) != 0)
		return -1;
	if (!escalation_rt_enabled(w->ctl->c)) {
		snprintf(err, errlen, "escalation is not configured (escalation = FILE in "
		    "[collector]): nobody would be notified");
		return -1;
	}
	if ((fp = open_memstream(&text, &len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = escalation_rt_explain(w->ctl->c, cat, sev, unit, host, rule, fp);
	fclose(fp);
	if (rc != 0) {
		snprintf(err, errlen, "cannot explain the escalation: %s", vigil_strerror(rc));
		free(text);
		return -1;
	}
	jw_begin(w);
	jw_str(w, "text", text);
	jw_end(w);
	free(text);
	return 0;
}

static const struct ctl_cmd commands[] = {
	/* The role each command needs (roles.h): viewers read, operators change. */
	{ "status", cmd_status, ROLE_VIEWER },
	{ "agents", cmd_agents, ROLE_VIEWER },
	{ "events", cmd_events, ROLE_VIEWER },
	{ "incidents", cmd_incidents, ROLE_VIEWER },
	{ "incident", cmd_incident, ROLE_VIEWER },
	/* incidents, audit, escalation */
	{ "incident-action", cmd_incident_action, ROLE_OPERATOR },
	{ "audit-verify", cmd_audit_verify, ROLE_VIEWER },
	{ "escalation-test", cmd_escalation_test, ROLE_VIEWER },
	{ "compliance", cmd_compliance, ROLE_VIEWER },
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

/* One request line of the caller cc, answered into out. */
static void
ctl_request(const struct ctl_conn *cc, char *line, struct evbuffer *out)
{
	struct control *ctl = cc->ctl;
	struct ctl_arg args[CTL_MAX_ARGS];
	struct evbuffer *resp;
	struct jw w;
	char err[512], esc[128], *cmd, *tok, *save = NULL, *eq;
	size_t nargs = 0, i;

	ctl->c->counters.control_requests++;
	if ((resp = evbuffer_new()) == NULL) {
		jw_error(out, ctl, "out of memory");
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
	/* roles.h: viewers read, operators change incidents. */
	if (cc->role < (commands[i].need != ROLE_NONE ? commands[i].need : ROLE_VIEWER)) {
		ctl->c->counters.control_refused++;
		log_warnx("Refused %s to user %s (%s): it needs group %s.", commands[i].name,
		    cc->user, roles_name(cc->role), ctl->c->conf.collector.operators_group);
		snprintf(err, sizeof(err), "permission denied: user %.64s is a %s; only members "
		    "of group %.64s (or root) may change incidents", cc->user, roles_name(cc->role),
		    ctl->c->conf.collector.operators_group);
		goto out;
	}
	w.ctl = ctl;
	w.out = resp;
	w.n = 0;
	w.depth = 0;
	w.conn = cc;
	if (commands[i].fn(&w, args, nargs, err, sizeof(err)) != 0 && err[0] == '\0')
		snprintf(err, sizeof(err), "%s failed", commands[i].name);
out:
	/* A failure replaces whatever part of the answer was already built. */
	if (err[0] != '\0')
		jw_error(out, ctl, err);
	else
		evbuffer_add_buffer(out, resp);
	evbuffer_free(resp);
}

static void
ctl_refuse(const struct ctl_conn *cc, struct evbuffer *out)
{
	struct control *ctl = cc->ctl;
	const struct collector_conf *conf = &ctl->c->conf.collector;
	char msg[1024];

	ctl->c->counters.control_refused++;
	log_warnx("Refused a control request from user %s (uid %lu, pid %ld): not root and in "
	    "neither group %s nor group %s.", cc->user, (unsigned long)cc->uid, (long)cc->pid,
	    conf->operators_group, conf->viewers_group);
	snprintf(msg, sizeof(msg), "permission denied: user %s is not root and not a member of "
	    "group %s (may change incidents) or group %s (may read)", cc->user,
	    conf->operators_group, conf->viewers_group);
	jw_error(out, ctl, msg);
}

/*
 * What has arrived in `in` so far: 1 when the answer is in out (the
 * connection then closes after it), 0 while the request line is incomplete.
 */
static int
ctl_serve(struct ctl_conn *cc, struct evbuffer *in, struct evbuffer *out)
{
	size_t n;
	char *line;

	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) < CTL_MAX_REQUEST)
			return 0;
		if (!cc->allowed)
			ctl_refuse(cc, out);
		else
			jw_error(out, cc->ctl, "the request is longer than 4096 bytes");
		return 1;
	}
	if (!cc->allowed)
		ctl_refuse(cc, out);
	else if (n >= CTL_MAX_REQUEST)
		jw_error(out, cc->ctl, "the request is longer than 4096 bytes");
	else
		ctl_request(cc, line, out);
	free(line);
	return 1;
}

static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *cc = arg;

	if (ctl_serve(cc, bufferevent_get_input(bev), bufferevent_get_output(bev)))
		ctl_finish(cc);
}

int
control_serve(struct control *ctl, enum role role, const char *user, struct evbuffer *in,
    struct evbuffer *out)
{
	struct ctl_conn cc;

	memset(&cc, 0, sizeof(cc));
	cc.ctl = ctl;
	cc.role = role;
	cc.allowed = role != ROLE_NONE;
	snprintf(cc.user, sizeof(cc.user), "%s", user);
	return ctl_serve(&cc, in, out);
}

/*
 * Roles (roles.h) replace the old rule (root, our user, control_group): the
 * control_group only owns the socket file, which decides who can connect.
 */
static void
ctl_identify(struct ctl_conn *cc, const struct ucred *cr)
{
	const struct collector_conf *conf = &cc->ctl->c->conf.collector;

	cc->role = roles_of(cr->uid, cr->gid, getuid(), conf->operators_group,
	    conf->viewers_group, cc->user, sizeof(cc->user));
	cc->allowed = cc->role != ROLE_NONE;
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
	ctl_identify(cc, &cr);
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
