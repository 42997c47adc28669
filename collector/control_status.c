/*
 * The machines, for the control socket: status (counters and gauges), agents
 * (presence and posture at a glance) and compliance per unit.
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
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/privdrop.h"
#include "vigil/text.h"

#include "collector.h"
#include "store_enroll.h"
#include "control.h"
#include "control_int.h"
#include "session.h"
#include "compliance.h"
#include "compliance_inv.h"
#include "audit.h"
#include "escalate.h"
#include "escalate_run.h"
#include "incident.h"
#include "presence.h"
#include "roles.h"

/* ---- posture and compliance ---- */

#define COMPLIANCE_UNIT_MAX 256          /* bytes of a unit= argument */

static void
posture_null(struct jw *w, const char *key)
{
	jsonw_null(&w->j, key);
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
	int on = roster_connected(&c->connected, agent, &seen);

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
    int on, int64_t now_us, const char *lang, struct compliance_result *res)
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
	f.audit_policy = r->audit_policy;
	f.security_updates_pending = r->security_updates_pending;
	f.security_pending_since_us = r->security_pending_since_us;
	compliance_eval_in(lang, &f, &l, now_us, res);
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
	as_of = posture_judge(w->ctl->c, r, g->last_us, g->on, g->now_us, NULL, &res);
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
	/* Windows only: what of the audit policy Vigil's rules need is in force. */
	if (r->has_posture && r->audit_policy[0] != '\0')
		jw_str(w, "audit_policy", r->audit_policy);
	else
		posture_null(w, "audit_policy");
	/* The agent's own counters: nothing it drops is silent. */
	if (r->has_posture) {
		jw_uint(w, "spool_depth", r->spool_depth);
		jw_uint(w, "dropped", r->dropped);
		jw_uint(w, "lines_truncated", r->lines_truncated);
		jw_uint(w, "events_rejected", r->events_rejected);
		jw_uint(w, "rule_evictions", r->rule_evictions);
		jw_uint(w, "uevents_spoofed", r->uevents_spoofed);
		jw_uint(w, "uevents_lost", r->uevents_lost);
		/* Written by the store from a validated heartbeat (store_posture.c). */
		if (r->sensors_unavailable != NULL && r->sensors_unavailable[0] == '{')
			jw_raw(w, "sensors_unavailable", r->sensors_unavailable);
		if (r->sensor_counters != NULL && r->sensor_counters[0] == '{')
			jw_raw(w, "sensor_counters", r->sensor_counters);
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
	posture_null(w, "audit_policy");
}

/*
 * compliance: the unit lines go out as the walk (ordered by unit) leaves
 * each unit; the non-compliant machines collect in a buffer of their own and
 * follow all the units.
 */
/* A machine of the unit being counted, for its inventory (issue 15). */
struct cw_machine {
	char *agent, *host;
	int compliant;
};

struct compliance_walk {
	struct jw *w;
	struct jw mw;                    /* machines, into their own buffer */
	int64_t now_us;
	const char *lang;                /* the reasons' language: the request's */
	char *unit;                      /* the unit being counted; NULL before the first */
	long long machines, compliant;
	struct cw_machine *m;            /* the unit's machines */
	size_t nm, capm;
	int nomem;
};

static void
cw_machines_free(struct compliance_walk *cw)
{
	for (size_t i = 0; i < cw->nm; i++) {
		free(cw->m[i].agent);
		free(cw->m[i].host);
	}
	cw->nm = 0;
}

/*
 * One machine line of the compliance answer. The control protocol's JSON
 * has no arrays: the reasons are one "; "-joined string.
 */
static void
machine_line(struct compliance_walk *cw, const char *agent, const char *unit, const char *host,
             const char *reasons, int compliant)
{
	jw_begin(&cw->mw);
	jw_str(&cw->mw, "type", "machine");
	jw_str(&cw->mw, "agent", agent);
	jw_str(&cw->mw, "unit", unit);
	jw_str(&cw->mw, "hostname", host);
	jw_str(&cw->mw, "reasons", reasons);
	jw_bool(&cw->mw, "compliant", compliant);
	jw_end(&cw->mw);
}

static void
not_enrolled(struct compliance_walk *cw, const char *unit, const char *host, const char *why)
{
	machine_line(cw, "", unit, host, why, 0);
}

/*
 * The unit's line: its denominator and numerator as compliance_inv.c counts
 * them (the summary counts alike); declared PCs with no agent and agents
 * not on the list are named.
 */
static void
compliance_unit_line(struct compliance_walk *cw, const char *unit)
{
	struct jw *w = cw->w;
	struct compliance_inv inv;
	struct compliance_inv_count n;
	const char **hosts = NULL;
	int *ok = NULL;
	unsigned char *counts = NULL, *taken = NULL;
	const char *lang = cw->lang != NULL ? cw->lang : i18n_language();
	char why[320];

	memset(&n, 0, sizeof(n));
	if (compliance_inv_read(w->ctl->c->store, unit, &inv) != 0 ||
	    (hosts = calloc(cw->nm + 1, sizeof(*hosts))) == NULL ||
	    (ok = calloc(cw->nm + 1, sizeof(*ok))) == NULL ||
	    (counts = calloc(cw->nm + 1, 1)) == NULL ||
	    (taken = calloc(inv.nnames + 1, 1)) == NULL) {
		/* Without its inventory the unit is counted on its machines. */
		compliance_inv_free(&inv);
		n.den = cw->machines;
		n.num = cw->compliant;
	} else {
		for (size_t i = 0; i < cw->nm; i++) {
			hosts[i] = cw->m[i].host;
			ok[i] = cw->m[i].compliant;
		}
		compliance_inv_count(&inv, hosts, ok, cw->nm, counts, taken, &n);
		for (size_t j = 0; inv.listed && j < inv.nnames; j++)
			if (!taken[j]) {
				snprintf(why, sizeof(why), i18n_text_in(lang, "not enrolled: %s"),
				    inv.names[j]);
				not_enrolled(cw, unit, inv.names[j], why);
			}
		for (size_t i = 0; i < cw->nm; i++)
			if (!counts[i])
				machine_line(cw, cw->m[i].agent, unit, cw->m[i].host,
				    i18n_text_in(lang, "not in the inventory"), 0);
		if (!inv.listed && n.no_agent > 0) {
			snprintf(why, sizeof(why), i18n_ntext_in(lang, "%lld declared PC has no "
			    "agent (not enrolled)", "%lld declared PCs have no agent (not enrolled)",
			    (unsigned long)n.no_agent), n.no_agent);
			not_enrolled(cw, unit, "", why);
		}
	}
	compliance_inv_free(&inv);
	free(hosts);
	free(ok);
	free(counts);
	free(taken);
	cw_machines_free(cw);
	jw_begin(w);
	jw_str(w, "type", "unit");
	jw_str(w, "unit", unit);
	jw_int(w, "machines", cw->machines);
	if (n.has_inventory)
		jw_int(w, "declared", n.den);
	jw_int(w, "compliant", n.num);
	jw_int(w, "percent", compliance_percent(n.num, n.den));
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
	(void)posture_judge(c, r, last, on, cw->now_us, cw->lang, &res);
	cw->machines++;
	if (cw->nm == cw->capm) {
		size_t cap = cw->capm ? cw->capm * 2 : 64;
		struct cw_machine *m = realloc(cw->m, cap * sizeof(*m));

		if (m == NULL) {
			cw->nomem = 1;
			return -1;
		}
		cw->m = m;
		cw->capm = cap;
	}
	cw->m[cw->nm].agent = strdup(r->agent);
	cw->m[cw->nm].host = strdup(r->hostname);
	cw->m[cw->nm].compliant = res.compliant;
	if (cw->m[cw->nm].agent == NULL || cw->m[cw->nm].host == NULL) {
		free(cw->m[cw->nm].agent);
		free(cw->m[cw->nm].host);
		cw->nomem = 1;
		return -1;
	}
	cw->nm++;
	if (res.compliant)
		cw->compliant++;
	/* A compliant machine is listed only for a note that needs someone's hand. */
	if (res.compliant && !(res.notes & COMPLIANCE_NOTE_AUDIT_INCOMPLETE))
		return 0;
	machine_line(cw, r->agent, r->unit, r->hostname, res.reasons, res.compliant);
	return 0;
}

int
cmd_compliance(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "unit", "lang", NULL };
	struct compliance_walk cw;
	const char *unit, *lang;
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if ((unit = arg_get(args, nargs, "unit")) != NULL &&
	    (unit[0] == '\0' || strlen(unit) >= COMPLIANCE_UNIT_MAX)) {
		bad_arg(err, errlen, "unit", unit, "a unit name");
		return -1;
	}
	/* vigilctl says its language; the reasons go in it when there is a catalog. */
	if ((lang = arg_get(args, nargs, "lang")) != NULL && !i18n_known(lang))
		lang = NULL;
	memset(&cw, 0, sizeof(cw));
	cw.lang = lang;
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
		if (compliance_unknown_hosts(w, unit) != 0) {
			snprintf(err, errlen, "the store cannot list the hosts seen on the network");
			rc = -1;
		}
	} else if (cw.nomem)
		snprintf(err, errlen, "out of memory");
	else
		snprintf(err, errlen, "the store cannot list the agents' posture");
	free(cw.unit);
	cw_machines_free(&cw);
	free(cw.m);
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
	C(store_alarms), C(notifications_held), C(digests_sent), C(replies_acknowledged),
	C(replies_refused_stranger), C(replies_refused_wrong_code), C(replies_refused_used),
	C(replies_refused_other), C(links_acknowledged), C(links_refused_expired),
	C(links_refused_used), C(links_refused_invalid), C(imap_poll_failures),
	C(sms_poll_failures),
	C(enrolments), C(enrolments_refused), C(enroll_connections_refused),
	C(agents_barred), C(sessions_revoked), C(renewals), C(renewals_refused),
	C(identity_clones), C(reenrolments), C(reenrolments_refused),
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

int
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
	zone_members(w);
	jw_int(w, "agents_known", sc.agents);
	jw_uint(w, "agents_connected", roster_count(&c->connected));
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
	jsonw_object(&w->j, "counters");
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t v;

		memcpy(&v, base + counters[i].off, sizeof(v));
		jsonw_uint(&w->j, counters[i].name, (unsigned long long)v);
	}
	jsonw_end(&w->j);
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
	int64_t ahead = w->ctl->c->conf.collector.clock_ahead_max * 1000, cert_until;

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
	/* The end of the certificate this collector issued last (none: a `pki issue` one). */
	if (store_identity_not_after(w->ctl->c->store, r->agent, &cert_until) != 0)
		cert_until = 0;
	jw_time(w, "cert_expires", cert_until);
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

int
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
