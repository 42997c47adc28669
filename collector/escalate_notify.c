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

int
escalate_notify_now(struct collector *c, int64_t id, const char *who, const char *actor,
    int64_t now_us, struct escalate_told *told, size_t *ntold, char *err, size_t errlen)
{
	const struct escalate_conf *ec = escalate_run_conf(c);
	struct store_outbox_row rows[ESC_TOLD_MAX];
	struct store_audit_entry audit[ESC_TOLD_MAX];
	char details[ESC_TOLD_MAX][600];
	size_t who_ix[ESC_LEVEL_CONTACTS_MAX], nrows = 0;
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
	memset(rows, 0, sizeof(rows));
	memset(audit, 0, sizeof(audit));
	for (int k = 0; k < n; k++) {
		const struct escalate_contact *p = &ec->contacts[who_ix[k]];

		for (int ch = 0; ch < ESC_CHANNEL_COUNT && nrows < ESC_TOLD_MAX; ch++) {
			struct store_outbox_row *o = &rows[nrows];
			const char *t = target_of(p, (enum escalate_channel)ch);

			if (t[0] == '\0')
				continue;
			o->incident_id = id;
			o->created_us = o->due_us = now_us;
			o->route = who;
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
			    "asked by an operator (%s)", p->label, o->channel, t, who);
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
	/* Saved: each goes now, past any budget (an operator asked for it). */
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
