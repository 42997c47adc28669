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
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/text.h"

#include "collector.h"
#include "audit.h"
#include "escalate.h"
#include "escalation_rt.h"
#include "incident.h"
#include "incident_fsm.h"
#include "pace.h"
#include "presence.h"

#define CORR_HASH 1024                   /* buckets; power of two */
#define SILENT_HEARTBEATS 3              /* heartbeats missed before an agent is silent */
#define INCIDENT_TITLE_MAX 512
/*
 * A key that fired is written after the commit, and again as machines join at
 * most this often: a distributed attack makes every key fire for each machine
 * that joins, and one write per firing stalled the collector (make bench).
 */
#define CORR_REWRITE_US 5000000

/*
 * Room for one more of n elements of size in v, which holds *cap: v itself,
 * the array moved to twice the room (first when empty), or NULL without
 * memory (v is left as it was).
 */
static void *
grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *p;

	if (n < *cap)
		return v;
	if ((p = realloc(v, c * size)) != NULL)
		*cap = c;
	return p;
}

/* ---- pure: correlation ---------------------------------------------------------- */

struct corr_member {
	char agent[INCIDENT_AGENT_MAX];
	int64_t first_us, last_us;
	uint64_t seqs[INCIDENT_CORR_SEQS];   /* the newest events, to link */
	size_t nseqs;
	int handed;                          /* incident_corr_hit_of() gave this machine out */
	uint64_t handed_seq;                 /* ... and its events up to this seq */
};

struct corr_key {
	struct corr_key *hnext;
	enum incident_corr_kind kind;
	char key[INCIDENT_KEY_MAX];
	uint32_t hash;
	struct corr_member *m;
	size_t n, cap;
	int fired;                           /* past the threshold since it was last below */
	int64_t last_us;
	int dirty;                           /* fired since it was last written (the shell) */
	int64_t written_us;                  /* when the shell last wrote it; 0: never */
	struct corr_key *lprev, *lnext;      /* least recently touched first */
};

struct incident_corr {
	struct incident_corr_conf conf;
	struct corr_key *hash[CORR_HASH];
	size_t n;
	struct corr_key *lhead, *ltail;      /* eviction order, O(1) */
};

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

static struct corr_key *
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
incident_silence_title(char *buf, size_t len, const char *unit, size_t machines)
{
	snprintf(buf, len, "%zu machine%s of %s stopped reporting unexpectedly", machines,
	    machines == 1 ? "" : "s", unit != NULL && unit[0] != '\0' ? unit : "no unit");
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

/* ---- the shell ------------------------------------------------------------------ */

struct incidents {
	struct collector *c;
	struct incident_corr *corr;
	struct event *silence_ev;
	struct event *reconcile_ev;
	int reconcile_armed;
	struct pace pace;                    /* at once at idle, a timer in floods (pace.h) */
	struct incident_corr_hit hit;        /* scratch: large */
	int ndirty;                          /* keys marked dirty */
};

static void corr_flush(struct collector *c, int force);
static void corr_mark(struct collector *c, const struct incident_corr_hit *h);

static void silence_check(evutil_socket_t fd, short what, void *arg);
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

	(void)fd;
	(void)what;
	c->incidents->reconcile_armed = 0;
	pace_ran(&c->incidents->pace, clock_now_us(), escalation_rt_reconcile(c));
}

/*
 * At once when idle, and once for every commit in between: new incidents get
 * their plan. The event loop runs it (never this caller's stack), so a caller
 * in the middle of its own store work is not re-entered.
 */
static void
reconcile_soon(struct collector *c)
{
	struct incidents *in = c->incidents;
	struct timeval tv;
	int64_t w;

	if (in == NULL || in->reconcile_armed || !escalation_rt_enabled(c))
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
	struct store_made_incident mi;
	int rc;

	for (size_t i = 0; i < h->nagents; i++)
		agents[i] = h->agents[i];
	for (size_t i = 0; i < h->nevents; i++)
		ev_agents[i] = h->agents[h->ev_agent[i]];
	memset(&mi, 0, sizeof(mi));
	switch (h->kind) {
	case INCIDENT_CORR_SRC_IP:
		snprintf(title, sizeof(title), "Failed logins from %s on %zu machines", h->key,
		    h->machines);
		mi.category = VIGIL__V1__CATEGORY__CATEGORY_ATTACK;
		mi.severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
		break;
	case INCIDENT_CORR_USB_SERIAL:
		snprintf(title, sizeof(title), "One USB device (%s) on %zu machines", h->key,
		    h->machines);
		mi.category = VIGIL__V1__CATEGORY__CATEGORY_USB;
		mi.severity = VIGIL__V1__SEVERITY__SEVERITY_MEDIUM;
		break;
	default:
		snprintf(title, sizeof(title), "Malware found on %zu machines", h->machines);
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
static void
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
	pf.connected = session_agent_connected(sc->c, r->agent, &seen);
	pf.last_seen_us = pf.connected && seen > r->last_us ? seen : r->last_us;
	pf.off_us = r->off_us;
	pf.off_reason = r->off_reason;
	m->silent = presence_of(&pf, sc->now_us, incident_silent_after_us(sc->c),
	    &m->since_us) == PRESENCE_SILENT;
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
	incident_silence_title(title, sizeof(title), m[0].unit, g->n);
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

static void
silence_check(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;
	struct store_incident_filter f = { "open", -1, -1, NULL, NULL, NULL, "agent_silent", 0 };
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

	if (escalation_rt_enabled(c)) {
		if ((st = malloc(sizeof(*st))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return VIGIL_ERR_NOMEM;
		}
		change = escalation_rt_after(c, rq->id, effects, rq->level, now, st, err, errlen);
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
		escalation_rt_applied(c, rq->id, change, st);
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
	snprintf(title, sizeof(title), "The collector cannot store events since %s (%.200s); %zu "
	    "items wait, unacknowledged, and the agents keep them", when, reason, waiting);
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
	struct store_incident_filter f = { "open", -1, -1, NULL, NULL, NULL, "collector", 0 };
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
