/*
 * One identity on two machines (issue 15): the session kept the established
 * connection and refused the newcomer; this opens one incident per identity
 * (its dedup key), with both machines' facts in its title, joined again by
 * every later refusal rather than opening more. The operator's answer is
 * `vigilctl agent reenroll-newcomer ID`: a one-use token for the unit, for
 * the newcomer to enrol as a new machine (a cloned disk image), or `agent
 * revoke` when the key was stolen.
 */
#include <stdio.h>
#include <string.h>

#include "vigil.pb-c.h"
#include "vigil/i18n.h"
#include "vigil/log.h"

#include "collector.h"
#include "incident.h"
#include "incident_int.h"

#define CLONE_RULE "vigil.identity_clone"

void
incident_clone(struct collector *c, const char *agent, const char *facts, int64_t now_us)
{
	struct store_made_incident mi;
	char title[INCIDENT_TITLE_MAX], dedup[INCIDENT_KEY_MAX];
	const char *agents[1] = { agent };

	snprintf(dedup, sizeof(dedup), "identity-clone:%s", agent);
	snprintf(title, sizeof(title), i18n_text_in(c->conf.collector.language, "The identity %s is "
	    "used by two machines (%s)"), agent, facts);
	memset(&mi, 0, sizeof(mi));
	mi.kind = "collector";
	mi.dedup_key = dedup;
	mi.agent = agent;
	mi.rule = CLONE_RULE;
	mi.title = title;
	mi.category = VIGIL__V1__CATEGORY__CATEGORY_AGENT;
	mi.severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
	mi.time_us = now_us;
	mi.now_us = now_us;
	mi.agents = agents;
	mi.nagents = 1;
	if (store_incident_make(c->store, &mi) != 0) {
		log_warnx("Cannot store that %s: %s.", title, store_errmsg(c->store));
		return;
	}
	if (mi.opened) {
		log_warnx("Incident %lld: %s.", (long long)mi.id, title);
		reconcile_soon(c);
	}
}
