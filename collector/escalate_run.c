/*
 * The escalation runtime (escalate_run.h): states in memory and in the
 * store, one timer at the engine's wake time, the outbox, the notifiers.
 * Writes go through the main thread's connection in short transactions;
 * incident.c says why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/tz.h"

#include "collector.h"
#include "escalate.h"
#include "digest.h"
#include "escalate_run.h"
#include "notify.h"
#include "store_ack.h"
#include "template.h"

#define ESC_NOTES_MAX 256                /* notifications made by one tick */
#define ESC_RETRY_US (5LL * 1000 * 1000) /* after a failed save */
#define ESC_TEXT_FIELD 512               /* title, unit... copied for a message */

struct escalate_run {
	struct collector *c;
	struct escalate_conf *conf;
	struct notify *notify;
	struct notify_conf nconf;
	struct digest *digest;               /* the noise budget (digest.h) */
	struct event *timer;
	struct escalate_state *states;       /* open incidents that have a plan */
	size_t n, cap;
	struct escalate_note *notes;         /* scratch of one tick */
	char (*before)[ESC_STATE_TEXT_MAX];  /* scratch: the states before a tick */
	size_t nbefore;
};

static void esc_tick(evutil_socket_t fd, short what, void *arg);

/* ---- configuration ------------------------------------------------------------- */

int
escalate_run_load(const struct conf *conf, struct escalate_conf **out, char *err, size_t errlen)
{
	struct escalate_conf *ec;
	int rc;

	*out = NULL;
	if (conf->collector.escalation[0] == '\0')
		return 0;
	if ((ec = escalate_conf_new()) == NULL) {
		snprintf(err, errlen, "out of memory for the escalation configuration");
		return VIGIL_ERR_NOMEM;
	}
	if ((rc = escalate_conf_load_http(ec, conf->collector.escalation, conf->notify.allow_http,
	    err, errlen)) != 0) {
		escalate_conf_free(ec);
		return rc;
	}
	*out = ec;
	return 0;
}

void
escalate_run_notify_conf(const struct conf *conf, struct notify_conf *nc)
{
	const struct conf_notify *n = &conf->notify;

	notify_conf_defaults(nc);
	snprintf(nc->smtp_url, sizeof(nc->smtp_url), "%s", n->smtp_url);
	nc->smtp_starttls = n->smtp_starttls;
	snprintf(nc->smtp_user, sizeof(nc->smtp_user), "%s", n->smtp_user);
	snprintf(nc->smtp_password, sizeof(nc->smtp_password), "%s", n->smtp_password);
	snprintf(nc->smtp_from, sizeof(nc->smtp_from), "%s", n->smtp_from);
	snprintf(nc->smtp_from_name, sizeof(nc->smtp_from_name), "%s", n->smtp_from_name);
	/* Replies acknowledge only when they reach the mailbox [ack_mail] reads. */
	if (conf->ack_mail.url[0] != '\0')
		snprintf(nc->smtp_reply_to, sizeof(nc->smtp_reply_to), "%s",
		    conf->ack_mail.address[0] != '\0' ? conf->ack_mail.address : n->smtp_from);
	snprintf(nc->smtp_ca, sizeof(nc->smtp_ca), "%s", n->smtp_ca);
	snprintf(nc->webhook_ca, sizeof(nc->webhook_ca), "%s", n->webhook_ca);
	snprintf(nc->webhook_header, sizeof(nc->webhook_header), "%s", n->webhook_header);
	nc->allow_http = n->allow_http;
	snprintf(nc->sms_outbox, sizeof(nc->sms_outbox), "%s", conf->sms.outbox);
	nc->tls_verify = n->tls_verify;
	nc->timeout_ms = n->timeout;
	nc->exec_timeout_ms = n->exec_timeout;
	nc->max_attempts = (int)n->max_attempts;
	nc->retry_base_ms = n->retry_base;
	nc->retry_factor = (int)n->retry_factor;
	nc->retry_max_ms = n->retry_max;
	/* the one zone (vigil/tz.h: applied at load) */
	nc->zone = 1;
}

const struct escalate_conf *
escalate_run_conf(const struct collector *c)
{
	return escalate_run_enabled(c) ? c->esc->conf : NULL;
}

int
escalate_run_enabled(const struct collector *c)
{
	return c->esc != NULL && c->esc->conf != NULL;
}

/* ---- states in memory ------------------------------------------------------------ */

static struct escalate_state *
state_find(struct escalate_run *rt, int64_t id)
{
	for (size_t i = 0; i < rt->n; i++)
		if (rt->states[i].incident == id)
			return &rt->states[i];
	return NULL;
}

static void
state_remove(struct escalate_run *rt, int64_t id)
{
	struct escalate_state *s = state_find(rt, id);

	if (s == NULL)
		return;
	*s = rt->states[--rt->n];
}

/* Keep st (replacing the one of its incident). Only states with a route are kept. */
static int
state_put(struct escalate_run *rt, const struct escalate_state *st)
{
	struct escalate_state *s;

	if (st->closed || st->ntracks == 0) {
		state_remove(rt, st->incident);
		return 0;
	}
	if ((s = state_find(rt, st->incident)) != NULL) {
		*s = *st;
		return 0;
	}
	if (rt->n == rt->cap) {
		size_t cap = rt->cap ? rt->cap * 2 : 64;

		if ((s = realloc(rt->states, cap * sizeof(*s))) == NULL)
			return VIGIL_ERR_NOMEM;
		rt->states = s;
		rt->cap = cap;
	}
	rt->states[rt->n++] = *st;
	return 0;
}

void
escalate_run_incident(const struct store_incident_row *r, struct escalate_incident *inc)
{
	memset(inc, 0, sizeof(*inc));
	inc->id = r->id;
	inc->category = r->category;
	inc->severity = r->severity;
	inc->unit = r->unit;
	inc->host = r->agent;
	inc->agent = r->agent;
	inc->rule = r->rule;
	inc->created_us = r->opened_us > 0 ? r->opened_us : r->first_us;
}

static int
load_state(void *arg, const struct store_incident_row *inc, const char *text)
{
	struct escalate_run *rt = arg;
	struct escalate_state st;

	if (escalate_state_parse(text, &st) != 0 || st.incident != inc->id) {
		log_warnx("The saved escalation state of incident %lld is unreadable; it is "
		    "ignored.", (long long)inc->id);
		return 0;
	}
	if (state_put(rt, &st) != 0)
		return VIGIL_ERR_NOMEM;
	return 0;
}

/* Read every state again, after a save failed (escalate_due() had changed them). */
static int
reload_states(struct escalate_run *rt)
{
	rt->n = 0;
	return store_escalation_states(rt->c->store, load_state, rt);
}

static void
arm(struct escalate_run *rt, int64_t at_us)
{
	int64_t d = at_us - clock_now_us();
	struct timeval tv;

	if (d < 0)
		d = 0;
	tv.tv_sec = (time_t)(d / 1000000);
	tv.tv_usec = (suseconds_t)(d % 1000000);
	evtimer_add(rt->timer, &tv);
}

/* ---- sending ------------------------------------------------------------------- */

struct msg_facts {
	struct collector *c;
	char title[ESC_TEXT_FIELD], status[32], unit[ESC_TEXT_FIELD], host[ESC_TEXT_FIELD];
	int category, severity;
	int64_t first_us, last_us, events;
	char *evidence[TEMPLATE_EVIDENCE_MAX];
	size_t nevidence;
};

static int
facts_incident(void *arg, const struct store_incident_row *r)
{
	struct msg_facts *f = arg;

	snprintf(f->title, sizeof(f->title), "%s", r->title);
	snprintf(f->status, sizeof(f->status), "%s", r->status);
	snprintf(f->unit, sizeof(f->unit), "%s", r->unit);
	snprintf(f->host, sizeof(f->host), "%s", strcmp(r->kind, "correlation") == 0 ? "" :
	    r->agent);
	f->category = r->category;
	f->severity = r->severity;
	f->first_us = r->first_us;
	f->last_us = r->last_us;
	f->events = r->events;
	return 0;
}

static int
facts_event(void *arg, const struct store_event_row *e)
{
	struct msg_facts *f = arg;

	if (f->nevidence == TEMPLATE_EVIDENCE_MAX)
		return 1;
	/* a sensor's event has no raw line: its summary and facts stand for it */
	if ((f->evidence[f->nevidence] = template_evidence(e->raw, e->summary,
	    e->fields_json)) != NULL)
		f->nevidence++;
	return 0;
}

/* Hand one outbox row to the notifiers, the incident as it is now. */
static void
send_row(struct escalate_run *rt, const struct store_outbox_row *o, const int64_t *ids,
    size_t nids)
{
	struct msg_facts *f;
	struct notification n;
	struct notify_request rq;
	char ack_code[ACK_CODE_TEXT], ack_token[ACK_TOKEN_LEN + 1];
	char link_token[ACK_LINK_TOKEN_LEN + 1], link[1100];
	int ch, rc;

	/* The notifiers' own table names the channels (notify_drivers.c). */
	if ((ch = notify_channel_find(o->channel)) < 0) {
		log_warnx("Outbox row %lld names an unknown channel %s; it is skipped.",
		    (long long)o->id, o->channel);
		return;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_warnx("Out of memory; notification %lld waits for the next start.",
		    (long long)o->id);
		return;
	}
	rc = store_get_incident(rt->c->store, o->incident_id, facts_incident, facts_event, f);
	if (rc != 0 && rc != 1) {
		log_warnx("Cannot read incident %lld for notification %lld; it waits for the next "
		    "start.", (long long)o->incident_id, (long long)o->id);
		goto out;
	}
	memset(&n, 0, sizeof(n));
	n.incident = o->incident_id;
	n.title = f->title;
	n.category = f->category;
	n.severity = f->severity;
	n.status = f->status;
	n.unit = f->unit;
	n.host = f->host;
	n.first_us = f->first_us;
	n.last_us = f->last_us;
	n.events = f->events;
	n.evidence = (const char *const *)f->evidence;
	n.nevidence = f->nevidence;
	n.level = o->level;
	n.contact = o->contact_name;
	n.language = o->language;
	/* The incidents grouped with the first, when known (not after a restart). */
	n.related = nids > 1 ? ids + 1 : NULL;
	n.nrelated = nids > 1 ? nids - 1 : 0;
	n.short_text = ch == NOTIFY_SMS;
	/* acknowledgement by reply (store_ack.h): when a mailbox reads the replies */
	if ((rt->c->conf.ack_mail.url[0] != '\0' || rt->c->conf.sms.inbox[0] != '\0') &&
	    store_ack_stamp(rt->c->store, o->incident_id, o->contact, clock_now_us(), ack_code,
	    sizeof(ack_code), ack_token) == 0) {
		n.ack_code = ack_code;
		n.ack_token = ack_token;
	}
	/* acknowledge by link (ack_http.c): one single-use link per message, not for SMS */
	if (rt->c->conf.ack_link.url[0] != '\0' && ch != NOTIFY_SMS &&
	    store_ack_link_new(rt->c->store, o->incident_id, o->contact, clock_now_us(),
	    rt->c->conf.ack_link.ttl * 1000, link_token) == 0) {
		snprintf(link, sizeof(link), "%s/a/%s", rt->c->conf.ack_link.url, link_token);
		n.ack_link = link;
	}
	memset(&rq, 0, sizeof(rq));
	rq.channel = (enum notify_channel)ch;
	rq.target = o->target;
	rq.n = &n;
	rq.tag = o->id;
	rq.attempts_done = o->attempts;
	rq.not_before_us = o->next_us;
	if ((rc = notify_send(rt->notify, &rq, NULL)) == VIGIL_ERR_INVAL) {
		/* A bad target or no mail server configured: no retry can help. */
		struct store_attempt sa;
		int64_t now = clock_now_us();

		memset(&sa, 0, sizeof(sa));
		sa.outbox_id = o->id;
		sa.attempt = o->attempts + 1;
		sa.started_us = sa.finished_us = now;
		sa.final = 1;
		sa.failure = notify_failure_name(NOTIFY_FAIL_INVALID);
		sa.error = ch == NOTIFY_EMAIL ? "the target is not valid, or [notify] has no "
		    "smtp_url or smtp_from" : "the target is not valid";
		log_warnx("Notification %lld to %s by %s cannot be sent: %s.", (long long)o->id,
		    o->contact, o->channel, sa.error);
		if (store_outbox_attempt(rt->c->store, &sa) != 0)
			log_warnx("Cannot record that notification %lld failed: %s.",
			    (long long)o->id, store_errmsg(rt->c->store));
	} else if (rc != 0) {
		log_warnx("Cannot queue notification %lld to %s by %s: %s; it waits for the next "
		    "start.", (long long)o->id, o->contact, o->channel, vigil_strerror(rc));
	}
out:
	for (size_t i = 0; i < f->nevidence; i++)
		free(f->evidence[i]);
	free(f);
}

/* Every attempt is recorded; the row is sent or given up on the final one. */
static void
on_attempt(const struct notify_attempt *a, void *arg)
{
	struct escalate_run *rt = arg;
	struct store_attempt sa;

	memset(&sa, 0, sizeof(sa));
	sa.outbox_id = a->tag;
	sa.attempt = a->attempt;
	sa.started_us = a->started_us;
	sa.finished_us = a->finished_us;
	sa.ok = a->ok;
	sa.final = a->final;
	sa.failure = notify_failure_name(a->failure);
	sa.error = a->error;
	sa.code = a->code;
	sa.next_us = a->next_us;
	if (a->ok)
		log_info("Notification %lld by %s to %s delivered (attempt %d).", (long long)a->tag,
		    notify_channel_name(a->channel), a->target, a->attempt);
	else
		log_warnx("Notification %lld by %s to %s: attempt %d failed: %s%s",
		    (long long)a->tag, notify_channel_name(a->channel), a->target, a->attempt,
		    a->error, a->final ? "; giving up." : "; it will be retried.");
	if (store_outbox_attempt(rt->c->store, &sa) != 0)
		log_warnx("Cannot record attempt %d of notification %lld: %s.", a->attempt,
		    (long long)a->tag, store_errmsg(rt->c->store));
}

void
escalate_run_send(struct collector *c, const struct store_outbox_row *o)
{
	struct escalate_run *rt = c->esc;

	if (!escalate_run_enabled(c))
		return;
	/* Counted in the contact's hour like every message an operator asked for; never held. */
	for (size_t i = 0; i < rt->conf->ncontacts; i++)
		if (strcmp(rt->conf->contacts[i].label, o->contact) == 0)
			(void)digest_admit(rt->digest, o, i, 0, 1, clock_now_us());
	send_row(rt, o, &o->incident_id, 1);
}

static int
resend_pending(void *arg, const struct store_outbox_row *o)
{
	send_row(arg, o, NULL, 0);
	return 0;
}

/* ---- the tick ------------------------------------------------------------------- */

static const char *
contact_target(const struct escalate_contact *p, enum escalate_channel ch)
{
	switch (ch) {
	case ESC_CHANNEL_EMAIL:
		return p->email;
	case ESC_CHANNEL_WEBHOOK:
		return p->webhook;
	case ESC_CHANNEL_COMMAND:
		return p->command;
	case ESC_CHANNEL_SMS:
		return p->phone;
	case ESC_CHANNEL_COUNT:
		break;
	}
	return "";
}

static int
before_room(struct escalate_run *rt)
{
	char (*b)[ESC_STATE_TEXT_MAX];

	if (rt->n <= rt->nbefore)
		return 0;
	if ((b = realloc(rt->before, rt->n * sizeof(*b))) == NULL)
		return VIGIL_ERR_NOMEM;
	rt->before = b;
	rt->nbefore = rt->n;
	return 0;
}

/* The highest severity of the incidents a message is about. */
static int
note_severity(struct escalate_run *rt, const struct escalate_note *no)
{
	const struct escalate_state *s;
	int sev = 0;

	for (size_t i = 0; i < no->nids; i++)
		if ((s = state_find(rt, no->ids[i])) != NULL && s->severity > sev)
			sev = s->severity;
	return sev;
}

static void
esc_tick(evutil_socket_t fd, short what, void *arg)
{
	struct escalate_run *rt = arg;
	const struct escalate_conf *ec = rt->conf;
	struct store_outbox_row *rows = NULL;
	struct store_audit_entry *audit = NULL;
	struct store_esc_state *saves = NULL;
	char (*texts)[ESC_STATE_TEXT_MAX] = NULL, (*details)[512] = NULL;
	size_t nn = 0, nsaves = 0;
	int64_t now = clock_now_us(), wake = 0;
	int rc;

	(void)fd;
	(void)what;
	if (rt->n == 0)
		return;
	if (before_room(rt) != 0)
		goto retry;
	for (size_t i = 0; i < rt->n; i++)
		escalate_state_format(&rt->states[i], rt->before[i], ESC_STATE_TEXT_MAX);
	escalate_due(ec, rt->states, rt->n, now, rt->notes, ESC_NOTES_MAX, &nn, &wake);

	saves = calloc(rt->n, sizeof(*saves));
	texts = calloc(rt->n, sizeof(*texts));
	rows = calloc(nn > 0 ? nn : 1, sizeof(*rows));
	audit = calloc(nn > 0 ? nn : 1, sizeof(*audit));
	details = calloc(nn > 0 ? nn : 1, sizeof(*details));
	if (saves == NULL || texts == NULL || rows == NULL || audit == NULL || details == NULL)
		goto retry;
	for (size_t i = 0; i < rt->n; i++) {
		if (escalate_state_format(&rt->states[i], texts[nsaves], ESC_STATE_TEXT_MAX) < 0 ||
		    strcmp(texts[nsaves], rt->before[i]) == 0)
			continue;
		saves[nsaves].incident = rt->states[i].incident;
		saves[nsaves].text = texts[nsaves];
		nsaves++;
	}
	for (size_t i = 0; i < nn; i++) {
		const struct escalate_note *no = &rt->notes[i];
		const struct escalate_contact *p = &ec->contacts[no->contact];
		struct store_outbox_row *o = &rows[i];

		o->incident_id = no->ids[0];
		o->created_us = now;
		o->due_us = no->due_us;
		o->route = ec->routes[no->route].label;
		o->contact = p->label;
		o->contact_name = p->name[0] != '\0' ? p->name : p->label;
		o->language = p->language[0] != '\0' ? p->language : "vi";
		o->channel = notify_channel_name((enum notify_channel)no->channel);
		o->target = contact_target(p, no->channel);
		o->group_key = no->group;
		o->level = no->level;
		o->repeat = no->repeat;
		o->manual = no->manual;
		o->ids = no->ids;
		o->nids = no->nids;
		o->more = (int64_t)no->more;
		if (no->level == 0)
			snprintf(details[i], sizeof(details[i]), "route %s: %s told at once by %s",
			    o->route, p->label, o->channel);
		else
			snprintf(details[i], sizeof(details[i]), "route %s: level %d%s%s to %s by %s",
			    o->route, no->level, no->repeat ? " repeated" : "",
			    no->manual ? " (asked by an operator)" : "", p->label, o->channel);
		audit[i].time_us = now;
		audit[i].actor = "system";
		audit[i].incident = no->ids[0];
		audit[i].action = "notify";
		audit[i].detail = details[i];
	}
	if (nsaves > 0 || nn > 0) {
		rc = store_escalation_save(rt->c->store, saves, nsaves, rows, nn, audit, nn);
		if (rc != 0) {
			log_warnx("Cannot save an escalation step (%s); retrying in %lld s.",
			    store_errmsg(rt->c->store), ESC_RETRY_US / 1000000);
			goto retry;
		}
	}
	/* Saved: now, and only now, the messages may go; past a budget, into the digest. */
	for (size_t i = 0; i < nn; i++) {
		log_info("Incident %lld: %s.", (long long)rows[i].incident_id, details[i]);
		if (!digest_admit(rt->digest, &rows[i], rt->notes[i].contact,
		    note_severity(rt, &rt->notes[i]), rt->notes[i].manual, now))
			continue;
		send_row(rt, &rows[i], rt->notes[i].ids, rt->notes[i].nids);
	}
	/* Closed ones have nothing more to do. */
	for (size_t i = rt->n; i-- > 0;)
		if (rt->states[i].closed)
			rt->states[i] = rt->states[--rt->n];
	if (wake > 0)
		arm(rt, wake);
	goto out;
retry:
	if (reload_states(rt) != 0)
		log_warnx("Cannot read the escalation states back: %s.", store_errmsg(rt->c->store));
	arm(rt, now + ESC_RETRY_US);
out:
	free(saves);
	free(texts);
	free(rows);
	free(audit);
	free(details);
}

/* ---- new incidents ------------------------------------------------------------------ */

struct missing {
	struct escalate_run *rt;
	struct escalate_state *st;
	size_t n, cap;
	int nomem;
};

static int
missing_one(void *arg, const struct store_incident_row *r)
{
	struct missing *m = arg;
	struct escalate_incident inc;
	struct escalate_state *p;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;

		if ((p = realloc(m->st, cap * sizeof(*p))) == NULL) {
			m->nomem = 1;
			return 1;
		}
		m->st = p;
		m->cap = cap;
	}
	escalate_run_incident(r, &inc);
	if (escalate_start(m->rt->conf, &inc, &m->st[m->n]) == VIGIL_ERR_TOOBIG)
		log_warnx("Incident %lld matches more than %d routes; the first ones are used.",
		    (long long)r->id, ESC_TRACKS_MAX);
	m->n++;
	return 0;
}

size_t
escalate_run_reconcile(struct collector *c)
{
	struct escalate_run *rt = c->esc;
	struct missing m;
	struct store_esc_state *saves = NULL;
	char (*texts)[ESC_STATE_TEXT_MAX] = NULL;
	size_t made = 0;

	if (!escalate_run_enabled(c))
		return 0;
	memset(&m, 0, sizeof(m));
	m.rt = rt;
	if (store_escalation_missing(c->store, missing_one, &m) != 0 || m.nomem) {
		log_warnx("Cannot find the incidents that need an escalation plan.");
		goto out;
	}
	if (m.n == 0)
		goto out;
	saves = calloc(m.n, sizeof(*saves));
	texts = calloc(m.n, sizeof(*texts));
	if (saves == NULL || texts == NULL)
		goto out;
	for (size_t i = 0; i < m.n; i++) {
		escalate_state_format(&m.st[i], texts[i], ESC_STATE_TEXT_MAX);
		saves[i].incident = m.st[i].incident;
		saves[i].text = texts[i];
		saves[i].insert = 1;
	}
	if (store_escalation_save(c->store, saves, m.n, NULL, 0, NULL, 0) != 0) {
		log_warnx("Cannot save the escalation plans of %zu new incidents: %s.", m.n,
		    store_errmsg(c->store));
		goto out;
	}
	for (size_t i = 0; i < m.n; i++) {
		if (m.st[i].ntracks == 0)
			log_info("Incident %lld matches no escalation route; nobody is notified.",
			    (long long)m.st[i].incident);
		if (state_put(rt, &m.st[i]) != 0)
			log_warnx("Out of memory for the escalation of incident %lld.",
			    (long long)m.st[i].incident);
	}
	arm(rt, 0);
	made = m.n;
out:
	free(m.st);
	free(saves);
	free(texts);
	return made;
}

/* ---- operator actions -------------------------------------------------------------- */

int
escalate_run_after(struct collector *c, int64_t id, unsigned effects, int level,
    int64_t now_us, struct escalate_state *st, char *err, size_t errlen)
{
	struct escalate_run *rt = c->esc;
	const struct escalate_state *cur;

	if (!escalate_run_enabled(c))
		return ESC_RT_NONE;
	if (effects & (INCIDENT_EFFECT_CLOSE | INCIDENT_EFFECT_RESTART))
		return ESC_RT_DELETE;
	if ((cur = state_find(rt, id)) == NULL) {
		if (effects & INCIDENT_EFFECT_ESCALATE) {
			snprintf(err, errlen, "incident %lld matches no escalation route", (long long)id);
			return VIGIL_ERR_NOTFOUND;
		}
		return ESC_RT_NONE;
	}
	*st = *cur;
	if (effects & INCIDENT_EFFECT_STOP_CLIMB)
		escalate_ack(st, now_us);
	if ((effects & INCIDENT_EFFECT_ESCALATE) &&
	    escalate_manual(rt->conf, st, level, now_us) != 0) {
		snprintf(err, errlen, "no escalation chain of incident %lld has level %d",
		    (long long)id, level);
		/* a value the request got wrong: vigilctl's usage error */
		return VIGIL_ERR_RANGE;
	}
	return (effects & (INCIDENT_EFFECT_STOP_CLIMB | INCIDENT_EFFECT_ESCALATE)) ? ESC_RT_SAVE :
	    ESC_RT_NONE;
}

void
escalate_run_applied(struct collector *c, int64_t id, int change,
    const struct escalate_state *st)
{
	struct escalate_run *rt = c->esc;

	if (!escalate_run_enabled(c))
		return;
	if (change == ESC_RT_DELETE)
		state_remove(rt, id);
	else if (change == ESC_RT_SAVE && state_put(rt, st) != 0)
		log_warnx("Out of memory for the escalation of incident %lld.", (long long)id);
	arm(rt, 0);
}

size_t
escalate_run_who(struct collector *c, int64_t id, int level,
    void (*fn)(void *arg, const char *route, const struct escalate_contact *p), void *arg)
{
	const struct escalate_state *st;

	if (!escalate_run_enabled(c) || (st = state_find(c->esc, id)) == NULL)
		return 0;
	return escalate_level_contacts(c->esc->conf, st, level, fn, arg);
}

size_t
escalate_run_reportable(struct collector *c, const struct store_incident_row *r,
    const char **route, unsigned *kinds)
{
	const struct escalate_conf *ec;
	struct escalate_incident inc;
	size_t idx[ESC_TRACKS_MAX], n, k = 0;

	if (!escalate_run_enabled(c))
		return 0;
	ec = c->esc->conf;
	escalate_run_incident(r, &inc);
	n = escalate_match(ec, &inc, idx, ESC_TRACKS_MAX);
	for (size_t i = 0; i < n && i < ESC_TRACKS_MAX; i++)
		if (ec->routes[idx[i]].report_kinds != 0) {
			route[k] = ec->routes[idx[i]].label;
			kinds[k++] = ec->routes[idx[i]].report_kinds;
		}
	return k;
}

int
escalate_run_explain(struct collector *c, int category, int severity, const char *unit,
    const char *host, const char *rule, FILE *fp)
{
	struct escalate_incident inc;

	if (!escalate_run_enabled(c))
		return VIGIL_ERR_NOTFOUND;
	memset(&inc, 0, sizeof(inc));
	inc.category = category;
	inc.severity = severity;
	inc.unit = unit;
	inc.host = host;
	inc.agent = host;
	inc.rule = rule;
	inc.created_us = clock_now_us();
	return escalate_explain(c->esc->conf, &inc, fp);
}

/* ---- life ------------------------------------------------------------------------ */

int
escalate_run_open(struct collector *c, struct escalate_conf *ec, char *err, size_t errlen)
{
	struct escalate_run *rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		escalate_conf_free(ec);
		snprintf(err, errlen, "out of memory");
		return VIGIL_ERR_NOMEM;
	}
	rt->c = c;
	rt->conf = ec;
	c->esc = rt;
	if (ec == NULL)
		return 0;
	escalate_run_notify_conf(&c->conf, &rt->nconf);
	if ((rt->notes = calloc(ESC_NOTES_MAX, sizeof(*rt->notes))) == NULL ||
	    (rt->timer = evtimer_new(c->base, esc_tick, rt)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rt->notify = notify_new(c->base, &rt->nconf, on_attempt, rt)) == NULL) {
		snprintf(err, errlen, "cannot start the notifiers");
		goto fail;
	}
	if ((rt->digest = digest_new(c, ec, rt->notify)) == NULL) {
		snprintf(err, errlen, "out of memory for the noise budget");
		goto fail;
	}
	if (reload_states(rt) != 0) {
		snprintf(err, errlen, "cannot read the escalation states: %s", store_errmsg(c->store));
		goto fail;
	}
	/* What was saved but not delivered before the last stop goes on where it was. */
	if (store_outbox_pending(c->store, resend_pending, rt) != 0) {
		snprintf(err, errlen, "cannot read the notification outbox: %s",
		    store_errmsg(c->store));
		goto fail;
	}
	log_info("Escalation from %s: %zu contacts, %zu chains, %zu routes; %zu incidents climbing.",
	    c->conf.collector.escalation, ec->ncontacts, ec->nchains, ec->nroutes, rt->n);
	escalate_run_reconcile(c);
	arm(rt, 0);
	return 0;
fail:
	escalate_run_free(c);
	return VIGIL_ERR_SYS;
}

void
escalate_run_free(struct collector *c)
{
	struct escalate_run *rt = c->esc;

	if (rt == NULL)
		return;
	digest_free(rt->digest);
	notify_free(rt->notify);
	if (rt->timer != NULL)
		event_free(rt->timer);
	escalate_conf_free(rt->conf);
	free(rt->states);
	free(rt->notes);
	free(rt->before);
	free(rt);
	c->esc = NULL;
}
