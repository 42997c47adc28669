/*
 * Agents that stopped reporting (DESIGN §5, "Off, not silent"): the pure
 * grouping per unit, and the timer of the shell that opens one low-severity
 * incident per unit, updates it as machines come and go, and closes it when
 * all are back. Presence comes from presence.c and the roster the session
 * publishes, never from a call into the session.
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
#include "presence.h"
#include "store_enroll.h"

/* ---- pure: silence and re-opening ---------------------------------------------- */

/* Silent machines first within a unit, so that a unit's are one run. */
static int
silence_cmp(const void *a, const void *b)
{
	const struct incident_silence_machine *x = a, *y = b;
	int r;

	if ((r = strcmp(x->unit, y->unit)) != 0)
		return r;
	if (x->silent != y->silent)
		return x->silent ? -1 : 1;
	return strcmp(x->agent, y->agent);
}

size_t
incident_silence_groups(struct incident_silence_machine *m, size_t n,
    struct incident_silence_group *g, size_t maxg)
{
	size_t ng = 0, i = 0;

	if (m == NULL || n == 0)
		return 0;
	qsort(m, n, sizeof(*m), silence_cmp);
	while (i < n) {
		size_t j = i;

		while (j < n && strcmp(m[j].unit, m[i].unit) == 0)
			j++;
		if (m[i].silent && ng < maxg) {
			struct incident_silence_group *gr = &g[ng++];

			gr->first = i;
			gr->n = 0;
			gr->first_since_us = gr->last_since_us = m[i].since_us;
			for (size_t k = i; k < j && m[k].silent; k++) {
				gr->n++;
				if (m[k].since_us < gr->first_since_us)
					gr->first_since_us = m[k].since_us;
				if (m[k].since_us > gr->last_since_us)
					gr->last_since_us = m[k].since_us;
			}
		}
		i = j;
	}
	return ng;
}

int
incident_silence_over(const char *const *agents, size_t nagents,
    const struct incident_silence_machine *m, size_t n)
{
	for (size_t i = 0; i < nagents; i++)
		for (size_t k = 0; k < n; k++)
			if (m[k].silent && strcmp(m[k].agent, agents[i]) == 0)
				return 0;
	return 1;
}

void
incident_silence_title(char *buf, size_t len, const char *lang, const char *unit,
    size_t machines)
{
	/* TRANSLATORS: an incident's title: how many machines of a unit stopped reporting. */
	snprintf(buf, len, i18n_ntext_in(lang, "%zu machine of %s stopped reporting unexpectedly",
	    "%zu machines of %s stopped reporting unexpectedly", machines), machines,
	    unit != NULL && unit[0] != '\0' ? unit : i18n_text_in(lang, "no unit"));
}

void
incident_silence_key(char *buf, size_t len, const char *unit)
{
	snprintf(buf, len, "silent-unit:%s", unit != NULL ? unit : "");
}

int
incident_reopens(int64_t resolved_us, int64_t now_us, int64_t window_us)
{
	return window_us > 0 && resolved_us > 0 && now_us >= resolved_us &&
	    now_us - resolved_us <= window_us;
}

/* ---- agents that stopped reporting ---------------------------------------------- */

/*
 * Silence, not "off": every heartbeat interval each machine's presence is
 * decided (presence.c). Machines switched off on purpose (a goodbye) are
 * nobody's concern. Machines silent without a goodbye make one incident per
 * unit, of low severity, linking them: "3 machines of phuong-7 stopped
 * reporting unexpectedly"; the title follows how many are silent now, and
 * machines join it as they fall silent. The system closes it when none of
 * its machines is silent any more (each reports again, or says goodbye).
 */

struct silence_scan {
	struct collector *c;
	int64_t now_us;
	struct incident_silence_machine *m;
	size_t nm, capm;
	struct silence_open *inc;
	size_t ninc, capinc;
	int nomem;
};

/* An open silence incident and the machines it links. */
struct silence_open {
	int64_t id;
	char dedup[INCIDENT_KEY_MAX];
	char title[INCIDENT_TITLE_MAX];
	char **agents;
	size_t nagents, capagents;
};

static char *
str_dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static int
silence_agent(void *arg, const struct store_agent_row *r)
{
	struct silence_scan *sc = arg;
	struct incident_silence_machine *m;
	struct presence_facts pf;
	int64_t seen = 0;

	if ((m = grow(sc->m, &sc->capm, sc->nm, sizeof(*m), 64)) == NULL) {
		sc->nomem = 1;
		return 1;
	}
	sc->m = m;
	m = &sc->m[sc->nm];
	memset(m, 0, sizeof(*m));
	if ((m->agent = str_dup(r->agent)) == NULL || (m->unit = str_dup(r->unit)) == NULL) {
		free(m->agent);
		sc->nomem = 1;
		return 1;
	}
	sc->nm++;
	pf.connected = roster_connected(&sc->c->connected, r->agent, &seen);
	pf.last_seen_us = pf.connected && seen > r->last_us ? seen : r->last_us;
	pf.off_us = r->off_us;
	pf.off_reason = r->off_reason;
	m->silent = presence_of(&pf, sc->now_us, incident_silent_after_us(sc->c),
	    &m->since_us) == PRESENCE_SILENT;
	/* A revoked or retired machine is silent because we cut it off: no incident. */
	if (m->silent && store_agent_barred(sc->c->store, r->agent, NULL, 0) > 0)
		m->silent = 0;
	return 0;
}

static int
silence_link(void *arg, const char *name)
{
	struct silence_open *o = arg;
	char **a;

	if ((a = grow(o->agents, &o->capagents, o->nagents, sizeof(*a), 8)) == NULL)
		return 1;
	o->agents = a;
	if ((o->agents[o->nagents] = str_dup(name)) == NULL)
		return 1;
	o->nagents++;
	return 0;
}

static int
silence_incident(void *arg, const struct store_incident_row *r)
{
	struct silence_scan *sc = arg;
	struct silence_open *o;

	if ((o = grow(sc->inc, &sc->capinc, sc->ninc, sizeof(*o), 16)) == NULL) {
		sc->nomem = 1;
		return 1;
	}
	sc->inc = o;
	o = &sc->inc[sc->ninc++];
	memset(o, 0, sizeof(*o));
	o->id = r->id;
	snprintf(o->dedup, sizeof(o->dedup), "%s", r->dedup_key);
	snprintf(o->title, sizeof(o->title), "%s", r->title);
	return 0;
}

static void
silence_scan_free(struct silence_scan *sc)
{
	for (size_t i = 0; i < sc->nm; i++) {
		free(sc->m[i].agent);
		free(sc->m[i].unit);
	}
	for (size_t i = 0; i < sc->ninc; i++) {
		for (size_t k = 0; k < sc->inc[i].nagents; k++)
			free(sc->inc[i].agents[k]);
		free(sc->inc[i].agents);
	}
	free(sc->m);
	free(sc->inc);
}

static int
linked(const struct silence_open *o, const char *agent)
{
	for (size_t k = 0; k < o->nagents; k++)
		if (strcmp(o->agents[k], agent) == 0)
			return 1;
	return 0;
}

/* Open or extend the unit's incident when a machine joined or the count changed. */
static void
silence_unit(struct collector *c, struct silence_scan *sc, const struct incident_silence_group *g)
{
	const struct incident_silence_machine *m = &sc->m[g->first];
	const char **agents;
	char title[INCIDENT_TITLE_MAX], dedup[INCIDENT_KEY_MAX], who[256];
	struct store_made_incident mi;
	const struct silence_open *o = NULL;
	size_t n = g->n, off = 0;
	int join = 0;

	incident_silence_key(dedup, sizeof(dedup), m[0].unit);
	incident_silence_title(title, sizeof(title), c->conf.collector.language, m[0].unit, g->n);
	for (size_t i = 0; i < sc->ninc && o == NULL; i++)
		if (strcmp(sc->inc[i].dedup, dedup) == 0)
			o = &sc->inc[i];
	for (size_t i = 0; i < n && !join; i++)
		if (o == NULL || !linked(o, m[i].agent))
			join = 1;
	if (!join && strcmp(o->title, title) == 0)
		return;
	if ((agents = calloc(n, sizeof(*agents))) == NULL) {
		log_warnx("Out of memory; cannot record that %s.", title);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		agents[i] = m[i].agent;
		if (off < sizeof(who))
			off += (size_t)snprintf(who + off, sizeof(who) - off, "%s%s",
			    i > 0 ? ", " : "", m[i].agent);
	}
	memset(&mi, 0, sizeof(mi));
	mi.kind = "agent_silent";
	mi.dedup_key = dedup;
	mi.agent = m[0].agent;
	mi.rule = INCIDENT_SILENCE_RULE;
	mi.title = title;
	mi.category = VIGIL__V1__CATEGORY__CATEGORY_AGENT;
	mi.severity = VIGIL__V1__SEVERITY__SEVERITY_LOW;
	mi.time_us = g->last_since_us;
	mi.now_us = sc->now_us;
	mi.agents = agents;
	mi.nagents = n;
	if (store_incident_make(c->store, &mi) != 0) {
		log_warnx("Cannot store that %s: %s.", title, store_errmsg(c->store));
		free(agents);
		return;
	}
	free(agents);
	log_warnx("Incident %lld: %s (%s%s).", (long long)mi.id, title, who,
	    off >= sizeof(who) ? "..." : "");
	if (mi.opened)
		reconcile_soon(c);
}

void
silence_check(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;
	struct store_incident_filter f = { "open", -1, -1, NULL, NULL, NULL, "agent_silent",
	    0, NULL, NULL, NULL, 0, 0, NULL };
	struct incident_silence_group *groups = NULL;
	struct silence_scan sc;
	char err[256];
	size_t ng;
	int64_t now = clock_now_us();

	(void)fd;
	(void)what;
	corr_flush(c, 1);
	incident_corr_expire(c->incidents->corr, now);
	/* Just started: agents have not had the time to come back yet. */
	if (c->stopping || now - c->started_us <= incident_silent_after_us(c))
		return;
	memset(&sc, 0, sizeof(sc));
	sc.c = c;
	sc.now_us = now;
	if (store_query_agents(c->store, silence_agent, &sc) != 0 ||
	    store_query_incident_queue(c->store, &f, silence_incident, &sc) != 0 || sc.nomem)
		goto fail;
	for (size_t i = 0; i < sc.ninc; i++)
		if (store_incident_agents(c->store, sc.inc[i].id, silence_link, &sc.inc[i]) != 0)
			goto fail;
	if (sc.nm > 0 && (groups = calloc(sc.nm, sizeof(*groups))) == NULL)
		goto fail;
	ng = incident_silence_groups(sc.m, sc.nm, groups, sc.nm);
	for (size_t i = 0; i < ng; i++)
		silence_unit(c, &sc, &groups[i]);
	/* Over: none of its machines is silent now (a legacy per-agent one alike). */
	for (size_t i = 0; i < sc.ninc; i++) {
		struct silence_open *o = &sc.inc[i];
		struct incident_request rq = { o->id, INCIDENT_ACT_RESOLVE,
		    INCIDENT_RES_TRUE_POSITIVE, NULL, "every machine reports again or was "
		    "switched off properly", 0, "system" };

		if (!incident_silence_over((const char *const *)o->agents, o->nagents, sc.m,
		    sc.nm))
			continue;
		if (incident_act(c, &rq, err, sizeof(err)) != 0)
			log_warnx("Cannot close incident %lld (%s): %s.", (long long)o->id,
			    o->title, err);
		else
			log_info("Incident %lld closed: its machines report again or were switched "
			    "off properly.", (long long)o->id);
	}
	goto out;
fail:
	log_warnx("Cannot check which agents stopped reporting: %s.",
	    sc.nomem || (sc.nm > 0 && groups == NULL) ? "out of memory" :
	    "the store cannot list them");
out:
	free(groups);
	silence_scan_free(&sc);
}
