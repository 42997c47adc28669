/*
 * Correlation across machines, pure (no clock, no I/O): events of one kind
 * and key (a source address, a file hash, a user) seen on several machines
 * within the window fire once past the threshold. Keys are bounded and the
 * least recently touched is evicted first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vigil/err.h"
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

/* ---- pure: correlation ---------------------------------------------------------- */

static void
lru_remove(struct incident_corr *c, struct corr_key *k)
{
	if (k->lprev != NULL)
		k->lprev->lnext = k->lnext;
	else
		c->lhead = k->lnext;
	if (k->lnext != NULL)
		k->lnext->lprev = k->lprev;
	else
		c->ltail = k->lprev;
	k->lprev = k->lnext = NULL;
}

static void
lru_append(struct incident_corr *c, struct corr_key *k)
{
	k->lprev = c->ltail;
	k->lnext = NULL;
	if (c->ltail != NULL)
		c->ltail->lnext = k;
	else
		c->lhead = k;
	c->ltail = k;
}

static const char *
field_of(const Vigil__V1__Event *ev, const char *key)
{
	for (size_t i = 0; i < ev->n_fields; i++) {
		const Vigil__V1__Field *f = ev->fields[i];

		if (f != NULL && f->key != NULL && strcmp(f->key, key) == 0)
			return f->value != NULL ? f->value : "";
	}
	return NULL;
}

static int
usable(const char *v)
{
	return v != NULL && v[0] != '\0' && strcmp(v, "-") != 0;
}

int
incident_corr_classify(const Vigil__V1__Event *ev, char *key, size_t keylen)
{
	const char *v, *vendor, *product, *rule;
	int cat, sev;

	if (ev == NULL || key == NULL || keylen == 0)
		return -1;
	cat = (int)ev->category;
	sev = (int)ev->severity;
	rule = ev->rule != NULL ? ev->rule : "";
	switch (cat) {
	case VIGIL__V1__CATEGORY__CATEGORY_AUTH:
		if (sev < VIGIL__V1__SEVERITY__SEVERITY_LOW)
			return -1;
		/* FALLTHROUGH */
	case VIGIL__V1__CATEGORY__CATEGORY_ATTACK:
		if (strstr(rule, "login") != NULL || strstr(rule, "accepted") != NULL)
			return -1;
		if (!usable(v = field_of(ev, "src_ip")))
			return -1;
		snprintf(key, keylen, "%s", v);
		return INCIDENT_CORR_SRC_IP;
	case VIGIL__V1__CATEGORY__CATEGORY_USB:
		if (!usable(v = field_of(ev, "serial")))
			return -1;
		vendor = field_of(ev, "vendor");
		product = field_of(ev, "product");
		snprintf(key, keylen, "%s:%s:%s", vendor != NULL ? vendor : "",
		    product != NULL ? product : "", v);
		return INCIDENT_CORR_USB_SERIAL;
	case VIGIL__V1__CATEGORY__CATEGORY_MALWARE:
		snprintf(key, keylen, "any");
		return INCIDENT_CORR_MALWARE;
	}
	return -1;
}

const char *
incident_corr_kind_name(enum incident_corr_kind k)
{
	switch (k) {
	case INCIDENT_CORR_SRC_IP:
		return "src_ip";
	case INCIDENT_CORR_USB_SERIAL:
		return "usb_serial";
	case INCIDENT_CORR_MALWARE:
		return "malware";
	case INCIDENT_CORR_KIND_COUNT:
		break;
	}
	return "unknown";
}

static uint32_t
corr_hash(enum incident_corr_kind kind, const char *key)
{
	uint32_t h = 2166136261u ^ (uint32_t)kind;

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

struct incident_corr *
incident_corr_new(const struct incident_corr_conf *conf)
{
	struct incident_corr *c;

	if (conf == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->conf = *conf;
	if (c->conf.src_ip_hosts < 2)
		c->conf.src_ip_hosts = 2;
	return c;
}

static void
corr_key_free(struct corr_key *k)
{
	free(k->m);
	free(k);
}

static void
corr_unlink(struct incident_corr *c, struct corr_key *k)
{
	struct corr_key **pp;

	for (pp = &c->hash[k->hash & (CORR_HASH - 1)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == k) {
			*pp = k->hnext;
			c->n--;
			lru_remove(c, k);
			return;
		}
	}
}

void
incident_corr_free(struct incident_corr *c)
{
	struct corr_key *k, *next;

	if (c == NULL)
		return;
	for (size_t i = 0; i < CORR_HASH; i++)
		for (k = c->hash[i]; k != NULL; k = next) {
			next = k->hnext;
			corr_key_free(k);
		}
	free(c);
}

size_t
incident_corr_count(const struct incident_corr *c)
{
	return c == NULL ? 0 : c->n;
}

/* Forget the machines not seen since before `since`; keeps their order. */
static void
corr_prune(struct corr_key *k, int64_t since)
{
	size_t j = 0;

	for (size_t i = 0; i < k->n; i++) {
		if (k->m[i].last_us < since)
			continue;
		if (j != i)
			k->m[j] = k->m[i];
		j++;
	}
	k->n = j;
}

void
incident_corr_expire(struct incident_corr *c, int64_t now_us)
{
	struct corr_key *k, *next;

	if (c == NULL)
		return;
	for (size_t i = 0; i < CORR_HASH; i++)
		for (k = c->hash[i]; k != NULL; k = next) {
			next = k->hnext;
			corr_prune(k, now_us - c->conf.window_us);
			if (k->n == 0) {
				corr_unlink(c, k);
				corr_key_free(k);
			}
		}
}

/* The key touched least recently goes when the table is full. */
static void
corr_evict(struct incident_corr *c)
{
	struct corr_key *old = c->lhead;

	if (old != NULL) {
		corr_unlink(c, old);
		corr_key_free(old);
	}
}

struct corr_key *
corr_find(struct incident_corr *c, enum incident_corr_kind kind, const char *key)
{
	uint32_t h = corr_hash(kind, key);
	struct corr_key *k;

	for (k = c->hash[h & (CORR_HASH - 1)]; k != NULL; k = k->hnext)
		if (k->hash == h && k->kind == kind && strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

static struct corr_key *
corr_get(struct incident_corr *c, enum incident_corr_kind kind, const char *key)
{
	uint32_t h = corr_hash(kind, key);
	struct corr_key *k;

	if ((k = corr_find(c, kind, key)) != NULL)
		return k;
	if (c->n >= INCIDENT_CORR_KEYS_MAX)
		corr_evict(c);
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->kind = kind;
	k->hash = h;
	snprintf(k->key, sizeof(k->key), "%s", key);
	k->hnext = c->hash[h & (CORR_HASH - 1)];
	c->hash[h & (CORR_HASH - 1)] = k;
	c->n++;
	lru_append(c, k);
	return k;
}

static void corr_fill(const struct corr_key *k, struct incident_corr_hit *hit);

/* Start hit on key k: no machine and no event in it yet. */
static void
hit_begin(const struct corr_key *k, struct incident_corr_hit *hit)
{
	hit->kind = k->kind;
	snprintf(hit->key, sizeof(hit->key), "%s", k->key);
	hit->machines = k->n;
	hit->nagents = 0;
	hit->nevents = 0;
	hit->first_us = 0;
	hit->last_us = 0;
}

/* Add machine m to hit, after its events. */
static void
hit_member(struct incident_corr_hit *hit, const struct corr_member *m)
{
	memcpy(hit->agents[hit->nagents], m->agent, sizeof(m->agent));
	if (hit->first_us == 0 || m->first_us < hit->first_us)
		hit->first_us = m->first_us;
	if (m->last_us > hit->last_us)
		hit->last_us = m->last_us;
	hit->nagents++;
}

int
incident_corr_hit_of(struct incident_corr *c, enum incident_corr_kind kind, const char *key,
    struct incident_corr_hit *hit)
{
	struct corr_key *k;

	if (c == NULL || key == NULL || hit == NULL || (k = corr_find(c, kind, key)) == NULL)
		return 0;
	hit_begin(k, hit);
	for (size_t i = 0; i < k->n; i++) {
		struct corr_member *m = &k->m[i];
		size_t before = hit->nevents;

		for (size_t s = 0; s < m->nseqs; s++) {
			if (m->handed && m->seqs[s] <= m->handed_seq)
				continue;
			hit->ev_agent[hit->nevents] = hit->nagents;
			hit->ev_seq[hit->nevents++] = m->seqs[s];
			if (m->seqs[s] > m->handed_seq)
				m->handed_seq = m->seqs[s];
		}
		if (m->handed && hit->nevents == before)
			continue;
		m->handed = 1;
		hit_member(hit, m);
	}
	return 1;
}

static void
corr_fill(const struct corr_key *k, struct incident_corr_hit *hit)
{
	hit_begin(k, hit);
	for (size_t i = 0; i < k->n; i++) {
		const struct corr_member *m = &k->m[i];

		for (size_t s = 0; s < m->nseqs; s++) {
			hit->ev_agent[hit->nevents] = hit->nagents;
			hit->ev_seq[hit->nevents++] = m->seqs[s];
		}
		hit_member(hit, m);
	}
}

int
incident_corr_observe(struct incident_corr *c, const char *agent, const Vigil__V1__Event *ev,
    int64_t t_us, struct incident_corr_hit *hit)
{
	char key[INCIDENT_KEY_MAX];
	struct corr_member *m = NULL, *nm;
	struct corr_key *k;
	size_t threshold;
	int kind, joined = 0;

	if (c == NULL || agent == NULL || ev == NULL || hit == NULL)
		return VIGIL_ERR_INVAL;
	if ((kind = incident_corr_classify(ev, key, sizeof(key))) < 0)
		return 0;
	if ((k = corr_get(c, (enum incident_corr_kind)kind, key)) == NULL)
		return VIGIL_ERR_NOMEM;
	corr_prune(k, t_us - c->conf.window_us);
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->m[i].agent, agent) == 0)
			m = &k->m[i];
	if (m == NULL) {
		/* Far past any threshold already: more machines add nothing to decide on. */
		if (k->n == INCIDENT_CORR_AGENTS_MAX)
			return 0;
		if ((nm = grow(k->m, &k->cap, k->n, sizeof(*nm), 4)) == NULL)
			return VIGIL_ERR_NOMEM;
		k->m = nm;
		m = &k->m[k->n++];
		memset(m, 0, sizeof(*m));
		snprintf(m->agent, sizeof(m->agent), "%s", agent);
		m->first_us = t_us;
		joined = 1;
	}
	if (t_us > m->last_us)
		m->last_us = t_us;
	if (t_us > k->last_us)
		k->last_us = t_us;
	if (c->ltail != k) {
		lru_remove(c, k);
		lru_append(c, k);
	}
	/* The newest few events, each once (a resent batch offers them again). */
	{
		size_t s;

		for (s = 0; s < m->nseqs && m->seqs[s] != ev->seq; s++)
			;
		if (s == m->nseqs) {
			if (m->nseqs == INCIDENT_CORR_SEQS) {
				memmove(m->seqs, m->seqs + 1, (INCIDENT_CORR_SEQS - 1) * sizeof(m->seqs[0]));
				m->nseqs--;
			}
			m->seqs[m->nseqs++] = ev->seq;
		}
	}
	threshold = kind == INCIDENT_CORR_SRC_IP ? c->conf.src_ip_hosts : 2;
	if (k->n < threshold) {
		k->fired = 0;
		return 0;
	}
	if (k->fired && !joined)
		return 0;
	k->fired = 1;
	corr_fill(k, hit);
	return 1;
}
