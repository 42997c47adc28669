/*
 * The incident engine around the store (incident.h): correlation across
 * machines, agents that stopped reporting, and operator actions.
 *
 * Which connection writes. The writer thread owns wstore and does nothing but
 * the group commit; this file runs on the main thread and writes through the
 * main thread's own connection (c->store) in short BEGIN IMMEDIATE
 * transactions, with the store's busy timeout. SQLite in WAL mode admits one
 * writer at a time: when the writer's commit holds the lock, the main thread
 * waits for it (a commit is one fsync, milliseconds), and the other way
 * round. Neither waits for anything else while it holds the lock, so there is
 * no deadlock, and BEGIN IMMEDIATE takes the lock before the first read, so
 * no transaction has to upgrade. The alternative, making these writes items
 * of the group commit, would run operator actions and escalation steps behind
 * whatever batches are queued and give each of them an asynchronous answer;
 * they are rare (an operator's command, a correlation crossing its threshold,
 * a silence check per heartbeat interval), so the simple short transaction
 * wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/text.h"

#include "collector.h"
#include "audit.h"
#include "escalate.h"
#include "escalate_run.h"
#include "incident.h"
#include "incident_int.h"
#include "incident_fsm.h"
#include "pace.h"
#include "presence.h"
#include "report_run.h"


static void corr_mark(struct collector *c, const struct incident_corr_hit *h);

static void reconcile_cb(evutil_socket_t fd, short what, void *arg);

int64_t
incident_silent_after_us(const struct collector *c)
{
	return SILENT_HEARTBEATS * c->conf.collector.heartbeat * 1000;
}

int
incident_init(struct collector *c)
{
	const struct collector_conf *cc = &c->conf.collector;
	struct incident_corr_conf cf;
	struct incidents *in;
	struct timeval every = { cc->heartbeat / 1000, (cc->heartbeat % 1000) * 1000 };

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return VIGIL_ERR_NOMEM;
	in->c = c;
	cf.window_us = cc->correlate_window * 1000;
	cf.src_ip_hosts = (size_t)cc->correlate_hosts;
	if ((in->corr = incident_corr_new(&cf)) == NULL)
		goto fail;
	in->silence_ev = event_new(c->base, -1, EV_PERSIST, silence_check, c);
	in->reconcile_ev = evtimer_new(c->base, reconcile_cb, c);
	if (in->silence_ev == NULL || in->reconcile_ev == NULL ||
	    event_add(in->silence_ev, &every) == -1)
		goto fail;
	c->incidents = in;
	return 0;
fail:
	if (in->silence_ev != NULL)
		event_free(in->silence_ev);
	if (in->reconcile_ev != NULL)
		event_free(in->reconcile_ev);
	incident_corr_free(in->corr);
	free(in);
	return VIGIL_ERR_NOMEM;
}

void
incident_free(struct collector *c)
{
	struct incidents *in = c->incidents;

	if (in == NULL)
		return;
	event_free(in->silence_ev);
	event_free(in->reconcile_ev);
	incident_corr_free(in->corr);
	free(in);
	c->incidents = NULL;
}

static void
reconcile_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;
	size_t made;

	(void)fd;
	(void)what;
	c->incidents->reconcile_armed = 0;
	made = escalate_run_reconcile(c);
	pace_ran(&c->incidents->pace, clock_now_us(), made);
	/* A new incident of a route with reportable = KINDS owes its reports from now. */
	if (made > 0)
		report_run_routes(c, clock_now_us());
}

/*
 * At once when idle, and once for every commit in between: new incidents get
 * their plan. The event loop runs it (never this caller's stack), so a caller
 * in the middle of its own store work is not re-entered.
 */
void
reconcile_soon(struct collector *c)
{
	struct incidents *in = c->incidents;
	struct timeval tv;
	int64_t w;

	if (in == NULL || in->reconcile_armed || !escalate_run_enabled(c))
		return;
	in->reconcile_armed = 1;
	if ((w = pace_wait(&in->pace, clock_now_us())) == 0) {
		event_active(in->reconcile_ev, EV_TIMEOUT, 1);
		return;
	}
	tv.tv_sec = 0;
	tv.tv_usec = (suseconds_t)w;
	evtimer_add(in->reconcile_ev, &tv);
}

void
incident_committed(struct collector *c)
{
	corr_flush(c, 0);
	reconcile_soon(c);
}

static void
corr_incident(struct collector *c, const struct incident_corr_hit *h, int64_t now_us)
{
	const char *agents[INCIDENT_CORR_AGENTS_MAX];
	const char *ev_agents[INCIDENT_CORR_AGENTS_MAX * INCIDENT_CORR_SEQS];
	char title[INCIDENT_TITLE_MAX], dedup[INCIDENT_KEY_MAX + 32], rule[64];
	const char *lang = c->conf.collector.language;
	struct store_made_incident mi;
	int rc;

	for (size_t i = 0; i < h->nagents; i++)
		agents[i] = h->agents[i];
	for (size_t i = 0; i < h->nevents; i++)
		ev_agents[i] = h->agents[h->ev_agent[i]];
	memset(&mi, 0, sizeof(mi));
	switch (h->kind) {
	case INCIDENT_CORR_SRC_IP:
		snprintf(title, sizeof(title), i18n_text_in(lang, "Failed logins from %s on %zu "
		    "machines"), h->key, h->machines);
		mi.category = VIGIL__V1__CATEGORY__CATEGORY_ATTACK;
		mi.severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
		break;
	case INCIDENT_CORR_USB_SERIAL:
		snprintf(title, sizeof(title), i18n_text_in(lang, "One USB device (%s) on %zu "
		    "machines"), h->key, h->machines);
		mi.category = VIGIL__V1__CATEGORY__CATEGORY_USB;
		mi.severity = VIGIL__V1__SEVERITY__SEVERITY_MEDIUM;
		break;
	default:
		snprintf(title, sizeof(title), i18n_text_in(lang, "Malware found on %zu machines"),
		    h->machines);
		mi.category = VIGIL__V1__CATEGORY__CATEGORY_MALWARE;
		mi.severity = VIGIL__V1__SEVERITY__SEVERITY_CRITICAL;
		break;
	}
	snprintf(dedup, sizeof(dedup), "corr:%s:%s", incident_corr_kind_name(h->kind), h->key);
	snprintf(rule, sizeof(rule), "correlate.%s", incident_corr_kind_name(h->kind));
	mi.kind = "correlation";
	mi.dedup_key = dedup;
	mi.agent = h->agents[0];
	mi.rule = rule;
	mi.title = title;
	mi.time_us = h->last_us;
	mi.now_us = now_us;
	mi.agents = agents;
	mi.nagents = h->nagents;
	mi.ev_agents = ev_agents;
	mi.ev_seqs = h->ev_seq;
	mi.nevents = h->nevents;
	if ((rc = store_incident_make(c->store, &mi)) != 0) {
		log_warnx("Cannot store the correlation incident \"%s\": %s.", title,
		    store_errmsg(c->store));
		return;
	}
	log_info("Incident %lld: %s (%s).", (long long)mi.id, title,
	    mi.opened ? "opened" : "more machines");
	if (mi.opened)
		reconcile_soon(c);
}

void
incident_observe(struct collector *c, const char *agent, const Vigil__V1__EventBatch *b,
    int64_t recv_us)
{
	struct incidents *in = c->incidents;
	int rc;

	if (in == NULL || b == NULL)
		return;
	/* Arrival time: an agent's clock, or its spool replaying yesterday, does not skew the window. */
	for (size_t i = 0; i < b->n_events; i++) {
		if (b->events[i] == NULL)
			continue;
		rc = incident_corr_observe(in->corr, agent, b->events[i], recv_us, &in->hit);
		if (rc == VIGIL_ERR_NOMEM)
			log_warnx("Out of memory in the correlator; an event of agent %s is not "
			    "correlated.", agent);
		else if (rc == 1)
			corr_mark(c, &in->hit);
	}
}

/* Remember a key that fired; corr_flush() writes it. */
static void
corr_mark(struct collector *c, const struct incident_corr_hit *h)
{
	struct corr_key *k = corr_find(c->incidents->corr, h->kind, h->key);

	if (k != NULL && !k->dirty) {
		k->dirty = 1;
		c->incidents->ndirty++;
	}
}

/*
 * Write the keys that fired, each once, in one transaction: a key opening
 * its incident at once, a key already written at most every CORR_REWRITE_US
 * (force: all of them, from the silence timer).
 */
void
corr_flush(struct collector *c, int force)
{
	struct incidents *in = c->incidents;
	struct incident_corr *corr;
	struct corr_key *k;
	int64_t now = clock_now_us();
	int outer = -1;

	if (in == NULL || in->ndirty == 0)
		return;
	corr = in->corr;
	for (size_t b = 0; b < CORR_HASH; b++) {
		for (k = corr->hash[b]; k != NULL; k = k->hnext) {
			if (!k->dirty || (!force && k->written_us != 0 &&
			    now - k->written_us < CORR_REWRITE_US))
				continue;
			if (outer < 0 && (outer = store_outer_begin(c->store)) != 0)
				log_warnx("Correlation incidents are written one by one: %s.",
				    store_errmsg(c->store));
			k->dirty = 0;
			in->ndirty--;
			k->written_us = now;
			if (incident_corr_hit_of(corr, k->kind, k->key, &in->hit) &&
			    in->hit.nagents > 0)
				corr_incident(c, &in->hit, now);
		}
	}
	if (outer == 0 && store_outer_end(c->store) != 0)
		log_warnx("The correlation incidents of this commit are lost: %s.",
		    store_errmsg(c->store));
}

/* ---- operator actions ---------------------------------------------------------- */

struct cur_incident {
	char status[32], resolution[32], assignee[256];
	int64_t opened_us, acked_us, resolved_us;
};

static int
cur_take(void *arg, const struct store_incident_row *r)
{
	struct cur_incident *cur = arg;

	snprintf(cur->status, sizeof(cur->status), "%s", r->status);
	snprintf(cur->resolution, sizeof(cur->resolution), "%s", r->resolution);
	snprintf(cur->assignee, sizeof(cur->assignee), "%s", r->assignee);
	cur->opened_us = r->opened_us;
	cur->acked_us = r->acked_us;
	cur->resolved_us = r->resolved_us;
	return 0;
}

int
incident_act(struct collector *c, const struct incident_request *rq, char *err, size_t errlen)
{
	struct cur_incident cur;
	struct incident_fsm fsm, next;
	struct store_incident_change ch;
	struct store_esc_state esc;
	struct escalate_state *st = NULL;
	char detail[AUDIT_DETAIL_MAX], text[ESC_STATE_TEXT_MAX];
	const char *why = NULL;
	unsigned effects = 0;
	int64_t now = clock_now_us();
	int s, r, change = ESC_RT_NONE, rc;

	memset(&cur, 0, sizeof(cur));
	rc = store_incident_by_id(c->store, rq->id, cur_take, &cur);
	if (rc == VIGIL_ERR_NOTFOUND) {
		snprintf(err, errlen, "there is no incident %lld", (long long)rq->id);
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "the store cannot read incident %lld", (long long)rq->id);
		return rc;
	}
	s = incident_status_from_name(cur.status);
	r = cur.resolution[0] != '\0' ? incident_resolution_from_name(cur.resolution) :
	    INCIDENT_RES_NONE;
	if (s < 0 || r < 0) {
		snprintf(err, errlen, "incident %lld has an unknown status", (long long)rq->id);
		return VIGIL_ERR_INVAL;
	}
	fsm.status = (enum incident_status)s;
	fsm.resolution = (enum incident_resolution)r;
	if ((rc = incident_fsm_apply(&fsm, rq->act, rq->res, &next, &effects, &why)) != 0) {
		snprintf(err, errlen, "cannot %s incident %lld (%s): %s",
		    incident_action_name(rq->act), (long long)rq->id, cur.status,
		    why != NULL ? why : "not allowed.");
		return rc;
	}

	memset(&ch, 0, sizeof(ch));
	ch.id = rq->id;
	ch.old_status = cur.status;
	ch.status = incident_status_name(next.status);
	ch.resolution = incident_resolution_name(next.resolution);
	ch.assignee = rq->act == INCIDENT_ACT_ASSIGN ? rq->user : cur.assignee;
	ch.opened_us = cur.opened_us;
	ch.acked_us = cur.acked_us;
	ch.resolved_us = cur.resolved_us;
	if ((effects & INCIDENT_EFFECT_STOP_CLIMB) && ch.acked_us == 0)
		ch.acked_us = now;
	if (effects & INCIDENT_EFFECT_CLOSE)
		ch.resolved_us = now;
	if (effects & INCIDENT_EFFECT_RESTART) {
		ch.opened_us = now;
		ch.acked_us = 0;
		ch.resolved_us = 0;
	}
	switch (rq->act) {
	case INCIDENT_ACT_ASSIGN:
		snprintf(detail, sizeof(detail), "to %s", rq->user != NULL ? rq->user : "");
		break;
	case INCIDENT_ACT_NOTE:
		ch.note = rq->text != NULL ? rq->text : "";
		snprintf(detail, sizeof(detail), "%s", ch.note);
		break;
	case INCIDENT_ACT_RESOLVE:
		snprintf(detail, sizeof(detail), "as %s%s%s", ch.resolution,
		    rq->text != NULL ? ": " : "", rq->text != NULL ? rq->text : "");
		break;
	case INCIDENT_ACT_ESCALATE:
		snprintf(detail, sizeof(detail), "to level %d", rq->level);
		break;
	case INCIDENT_ACT_ACK:
		/* how, when it was not the control socket (ack_reply.c) */
		snprintf(detail, sizeof(detail), "%s", rq->text != NULL ? rq->text : "");
		break;
	default:
		detail[0] = '\0';
		break;
	}
	ch.audit.time_us = now;
	ch.audit.actor = rq->actor;
	ch.audit.incident = rq->id;
	ch.audit.action = incident_action_name(rq->act);
	ch.audit.detail = detail;

	if (escalate_run_enabled(c)) {
		if ((st = malloc(sizeof(*st))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return VIGIL_ERR_NOMEM;
		}
		change = escalate_run_after(c, rq->id, effects, rq->level, now, st, err, errlen);
		if (change < 0) {
			free(st);
			return change;
		}
		if (change == ESC_RT_SAVE) {
			if (escalate_state_format(st, text, sizeof(text)) < 0) {
				snprintf(err, errlen, "the escalation state does not fit");
				free(st);
				return VIGIL_ERR_TOOBIG;
			}
			esc.text = text;
		} else {
			esc.text = NULL;
		}
		esc.incident = rq->id;
		esc.insert = 0;
		if (change != ESC_RT_NONE)
			ch.esc = &esc;
	} else if (rq->act == INCIDENT_ACT_ESCALATE) {
		snprintf(err, errlen, "escalation is not configured (escalation = FILE in "
		    "[collector])");
		return VIGIL_ERR_NOTFOUND;
	}
	if ((rc = store_incident_change(c->store, &ch)) != 0) {
		if (rc == VIGIL_ERR_PROTO)
			snprintf(err, errlen, "incident %lld changed meanwhile; look at it again",
			    (long long)rq->id);
		else
			snprintf(err, errlen, "the store cannot change incident %lld: %s",
			    (long long)rq->id, store_errmsg(c->store));
		free(st);
		return rc;
	}
	log_info("Incident %lld: %s %s%s%s (now %s).", (long long)rq->id, rq->actor,
	    ch.audit.action, detail[0] != '\0' ? " " : "", detail, ch.status);
	if (change != ESC_RT_NONE)
		escalate_run_applied(c, rq->id, change, st);
	if (effects & INCIDENT_EFFECT_RESTART)
		reconcile_soon(c);
	free(st);
	return 0;
}

/* ---- the collector's own: a store that cannot write ------------------------------ */

#define STORE_DEDUP "collector:store"

void
incident_store_failing(struct collector *c, int64_t since_us, const char *why, size_t waiting)
{
	char title[INCIDENT_TITLE_MAX], when[64], reason[200];
	struct store_made_incident mi;
	int64_t now = clock_now_us();

	text_time_rfc3339(when, sizeof(when), since_us);
	text_escape(reason, sizeof(reason), why, strlen(why));
	/* A short reason: the title is read on a phone. */
	snprintf(title, sizeof(title), i18n_text_in(c->conf.collector.language, "The collector "
	    "cannot store events since %s (%.200s); %zu items wait, unacknowledged, and the agents "
	    "keep them"), when, reason, waiting);
	memset(&mi, 0, sizeof(mi));
	mi.kind = "collector";
	mi.dedup_key = STORE_DEDUP;
	mi.agent = "";
	mi.rule = "collector.store_failing";
	mi.title = title;
	mi.category = VIGIL__V1__CATEGORY__CATEGORY_SYSTEM;
	mi.severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
	mi.time_us = since_us;
	mi.now_us = now;
	if (store_incident_make(c->store, &mi) != 0) {
		log_warnx("Cannot store the incident that the store cannot write: %s.",
		    store_errmsg(c->store));
		return;
	}
	log_warnx("Incident %lld: %s.", (long long)mi.id, title);
	if (mi.opened)
		reconcile_soon(c);
}

struct store_open_incident {
	int64_t id;
};

static int
store_incident_take(void *arg, const struct store_incident_row *r)
{
	struct store_open_incident *o = arg;

	if (strcmp(r->dedup_key, STORE_DEDUP) == 0)
		o->id = r->id;
	return 0;
}

void
incident_store_ok(struct collector *c, int64_t since_us)
{
	struct store_incident_filter f = { "open", -1, -1, NULL, NULL, NULL, "collector",
	    0, NULL, NULL, NULL, 0, 0, NULL };
	struct store_open_incident o = { 0 };
	char err[256], text[128];
	struct incident_request rq = { 0, INCIDENT_ACT_RESOLVE, INCIDENT_RES_TRUE_POSITIVE, NULL,
	    text, 0, "system" };

	if (store_query_incident_queue(c->store, &f, store_incident_take, &o) != 0 || o.id == 0)
		return;
	snprintf(text, sizeof(text), "the store accepts writes again after %lld s",
	    (long long)((clock_now_us() - since_us) / 1000000));
	rq.id = o.id;
	if (incident_act(c, &rq, err, sizeof(err)) != 0)
		log_warnx("Cannot close incident %lld (the store writes again): %s.",
		    (long long)o.id, err);
	else
		log_info("Incident %lld closed: %s.", (long long)o.id, text);
}

void
incident_hook(void *arg, const struct session_news *n)
{
	struct collector *c = arg;

	switch (n->kind) {
	case NEWS_BATCH_STORED:
		incident_observe(c, n->agent, n->batch, n->recv_us);
		break;
	case NEWS_COMMITTED:
		incident_committed(c);
		break;
	case NEWS_STORE_FAILING:
		incident_store_failing(c, n->since_us, n->why, n->waiting);
		break;
	case NEWS_STORE_OK:
		incident_store_ok(c, n->since_us);
		break;
	case NEWS_IDENTITY_CLONE:
		incident_clone(c, n->agent, n->why, n->recv_us);
		break;
	}
}
