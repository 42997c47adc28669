/*
 * "Escalate to Police" (escalate_notify.h). The Police are told by a route
 * (notify_now), not by a chain level, so `incident escalate N LEVEL` cannot
 * reach them; this is the operator's way to. The messages are made exactly
 * as the engine makes its own (one outbox row per contact and channel, level
 * 0, manual), saved with their audit records first, then handed to the
 * notifiers without asking the noise budget.
 */
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/log.h"

#include "collector.h"
#include "escalate_int.h"
#include "escalate_notify.h"
#include "escalate_run.h"
#include "notify.h"

static int
contact_of(const struct escalate_conf *c, const char *label)
{
	for (size_t i = 0; i < c->ncontacts; i++)
		if (strcmp(c->contacts[i].label, label) == 0)
			return (int)i;
	return -1;
}

int
escalate_notify_who(const struct escalate_conf *c, const char *who, size_t *out, size_t max)
{
	const struct escalate_route *r;
	const struct escalate_chain *ch;
	size_t n = 0;
	int i;

	if ((i = esc_route_index(c, who)) >= 0) {
		r = &c->routes[i];
		if (r->nnow > 0) {
			for (size_t k = 0; k < r->nnow && n < max; k++)
				out[n++] = r->now[k];
		} else if ((ch = esc_track_chain(c, r)) != NULL && ch->nlevels > 0) {
			for (size_t k = 0; k < ch->ncontacts[0] && n < max; k++)
				out[n++] = ch->contacts[0][k];
		}
		return (int)n;
	}
	if ((i = contact_of(c, who)) >= 0) {
		if (max > 0)
			out[n++] = (size_t)i;
		return (int)n;
	}
	return VIGIL_ERR_NOTFOUND;
}

static const char *
target_of(const struct escalate_contact *p, enum escalate_channel ch)
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
exists(void *arg, const struct store_incident_row *r)
{
	(void)r;
	*(int *)arg = 1;
	return 0;
}

/*
 * Tell contacts who_ix[0..n) about incident id (each for routes[k]), as
 * actor at now_us: one outbox row per contact and channel, saved with its
 * audit record ("... told at once by CHANNEL (TARGET), WHY"), then sent past
 * any budget. The one path of every message not planned by the chain.
 */
static int
tell(struct collector *c, int64_t id, const size_t *who_ix, const char *const *routes, size_t n,
    const char *actor, const char *why, int64_t now_us, struct escalate_told *told,
    size_t *ntold, char *err, size_t errlen)
{
	const struct escalate_conf *ec = escalate_run_conf(c);
	struct store_outbox_row rows[ESC_TOLD_MAX];
	struct store_audit_entry audit[ESC_TOLD_MAX];
	char details[ESC_TOLD_MAX][600];
	size_t nrows = 0;

	memset(rows, 0, sizeof(rows));
	memset(audit, 0, sizeof(audit));
	for (size_t k = 0; k < n; k++) {
		const struct escalate_contact *p = &ec->contacts[who_ix[k]];

		for (int ch = 0; ch < ESC_CHANNEL_COUNT && nrows < ESC_TOLD_MAX; ch++) {
			struct store_outbox_row *o = &rows[nrows];
			const char *t = target_of(p, (enum escalate_channel)ch);

			if (t[0] == '\0')
				continue;
			o->incident_id = id;
			o->created_us = o->due_us = now_us;
			o->route = routes[k];
			o->contact = p->label;
			o->contact_name = p->name[0] != '\0' ? p->name : p->label;
			o->language = p->language[0] != '\0' ? p->language : "vi";
			o->channel = notify_channel_name((enum notify_channel)ch);
			o->target = t;
			o->group_key = "";
			o->level = 0;
			o->manual = 1;
			o->ids = &rows[nrows].incident_id;
			o->nids = 1;
			snprintf(details[nrows], sizeof(details[nrows]), "%s told at once by %s (%s), "
			    "%s", p->label, o->channel, t, why);
			audit[nrows].time_us = now_us;
			audit[nrows].actor = actor;
			audit[nrows].incident = id;
			audit[nrows].action = "notify";
			audit[nrows].detail = details[nrows];
			nrows++;
		}
	}
	if (store_escalation_save(c->store, NULL, 0, rows, nrows, audit, nrows) != 0) {
		snprintf(err, errlen, "the store cannot save the notifications: %s",
		    store_errmsg(c->store));
		return -1;
	}
	/* Saved: each goes now, past any budget. */
	for (size_t i = 0; i < nrows; i++) {
		log_info("Incident %lld: %s.", (long long)id, details[i]);
		escalate_run_send(c, &rows[i]);
		told[i].contact = rows[i].contact;
		told[i].name = rows[i].contact_name;
		told[i].channel = rows[i].channel;
		told[i].target = rows[i].target;
		told[i].outbox = rows[i].id;
	}
	*ntold = nrows;
	return 0;
}

int
escalate_notify_now(struct collector *c, int64_t id, const char *who, const char *actor,
    int64_t now_us, struct escalate_told *told, size_t *ntold, char *err, size_t errlen)
{
	const struct escalate_conf *ec = escalate_run_conf(c);
	size_t who_ix[ESC_LEVEL_CONTACTS_MAX];
	const char *routes[ESC_LEVEL_CONTACTS_MAX];
	char why[200];
	int n, found = 0, rc;

	*ntold = 0;
	if (ec == NULL) {
		snprintf(err, errlen, "escalation is not configured (escalation = FILE in "
		    "[collector]): there is nobody to notify");
		return -1;
	}
	rc = store_incident_by_id(c->store, id, exists, &found);
	if (rc == VIGIL_ERR_NOTFOUND || (rc == 0 && !found)) {
		snprintf(err, errlen, "there is no incident %lld", (long long)id);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "the store cannot read incident %lld", (long long)id);
		return -1;
	}
	if ((n = escalate_notify_who(ec, who, who_ix, NITEMS(who_ix))) < 0) {
		snprintf(err, errlen, "'%s' is neither a route nor a contact of the escalation "
		    "file (e.g. the route police, or the contact ward-police)", who);
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "route '%s' names nobody to notify", who);
		return -1;
	}
	for (int k = 0; k < n; k++)
		routes[k] = who;
	snprintf(why, sizeof(why), "asked by an operator (%s)", who);
	return tell(c, id, who_ix, routes, (size_t)n, actor, why, now_us, told, ntold, err, errlen);
}

/* Add contact to out[0..*n) for route, once: a contact of two routes is told once. */
static void
add_once(size_t contact, const char *route, size_t *out, const char **routes, size_t *n,
    size_t max)
{
	for (size_t i = 0; i < *n; i++)
		if (out[i] == contact)
			return;
	if (*n < max) {
		routes[*n] = route;
		out[(*n)++] = contact;
	}
}

int
escalate_notify_level_who(const struct escalate_conf *c, const struct escalate_incident *inc,
    int level, size_t *out, const char **routes, size_t max)
{
	size_t idx[ESC_TRACKS_MAX], nr, n = 0;

	nr = escalate_match(c, inc, idx, ESC_TRACKS_MAX);
	for (size_t i = 0; i < nr && i < ESC_TRACKS_MAX; i++) {
		const struct escalate_route *r = &c->routes[idx[i]];
		const struct escalate_chain *ch = esc_track_chain(c, r);
		int l = level;

		if (ch == NULL || ch->nlevels == 0) {
			for (size_t k = 0; k < r->nnow; k++)
				add_once(r->now[k], r->label, out, routes, &n, max);
			continue;
		}
		if (l < 1 || (size_t)l > ch->nlevels)
			l = 1;
		for (size_t k = 0; k < ch->ncontacts[l - 1]; k++)
			add_once(ch->contacts[l - 1][k], r->label, out, routes, &n, max);
	}
	return (int)n;
}

struct level_walk {
	const struct escalate_conf *ec;
	int level, found, n;
	size_t who_ix[ESC_TRACKS_MAX * ESC_LEVEL_CONTACTS_MAX];
	const char *routes[ESC_TRACKS_MAX * ESC_LEVEL_CONTACTS_MAX];
};

static int
level_of(void *arg, const struct store_incident_row *r)
{
	struct level_walk *w = arg;
	struct escalate_incident inc;

	w->found = 1;
	escalate_run_incident(r, &inc);
	w->n = escalate_notify_level_who(w->ec, &inc, w->level, w->who_ix, w->routes,
	    NITEMS(w->who_ix));
	return 0;
}

int
escalate_notify_level(struct collector *c, int64_t id, int level, const char *actor,
    const char *why, int64_t now_us, struct escalate_told *told, size_t *ntold, char *err,
    size_t errlen)
{
	struct level_walk w;
	int rc;

	*ntold = 0;
	memset(&w, 0, sizeof(w));
	if ((w.ec = escalate_run_conf(c)) == NULL) {
		snprintf(err, errlen, "escalation is not configured (escalation = FILE in "
		    "[collector]): there is nobody to notify");
		return -1;
	}
	w.level = level;
	rc = store_incident_by_id(c->store, id, level_of, &w);
	if (rc == VIGIL_ERR_NOTFOUND || (rc == 0 && !w.found)) {
		snprintf(err, errlen, "there is no incident %lld", (long long)id);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "the store cannot read incident %lld", (long long)id);
		return -1;
	}
	if (w.n == 0) {
		snprintf(err, errlen, "incident %lld matches no route that notifies anybody",
		    (long long)id);
		return -1;
	}
	return tell(c, id, w.who_ix, w.routes, (size_t)w.n, actor, why, now_us, told, ntold, err,
	    errlen);
}
