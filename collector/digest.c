/*
 * The noise budget's runtime (digest.h). One timer: at the earliest digest
 * due; each run reads the held rows from the store (they are few: a contact
 * holds at most what its budget refused since its last digest), groups them
 * by contact, channel and target, and sends each group that is due as one
 * message through a notifier of its own (so that the digest's attempts do
 * not land on one of the rows it folds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/sbuf.h"

#include "collector.h"
#include "budget.h"
#include "digest.h"
#include "escalate.h"
#include "escalate_run.h"
#include "notify.h"
#include "store_budget.h"
#include "template.h"

#define T_(s) i18n_text_in(lang, s)
#define DIGEST_BODY_MAX 16384

struct digest {
	struct collector *c;
	const struct escalate_conf *conf;
	struct notify *notify;
	struct notify_conf nconf;
	struct budget_ledger *ledgers;       /* one per contact */
	int64_t *last_us;                    /* one per contact: its last digest; 0: none yet */
	struct event *timer;
	int64_t armed_us;                    /* 0: not armed */
	uint64_t digests;                    /* sent (a counter) */
};

static void tick(evutil_socket_t fd, short what, void *arg);

static void
arm(struct digest *d, int64_t at_us)
{
	int64_t w = at_us - clock_now_us();
	struct timeval tv;

	if (d->armed_us != 0 && d->armed_us <= at_us)
		return;
	if (w < 0)
		w = 0;
	tv.tv_sec = (time_t)(w / 1000000);
	tv.tv_usec = (suseconds_t)(w % 1000000);
	d->armed_us = at_us;
	evtimer_add(d->timer, &tv);
}

static const struct escalate_contact *
contact_by_label(const struct digest *d, const char *label)
{
	for (size_t i = 0; i < d->conf->ncontacts; i++)
		if (strcmp(d->conf->contacts[i].label, label) == 0)
			return &d->conf->contacts[i];
	return NULL;
}

static void
budget_of(const struct escalate_contact *p, struct budget_conf *b)
{
	b->max_per_hour = (int)p->max_per_hour;
	b->urgent_min_severity = p->urgent_severity;
	b->digest_every_us = p->digest_every * 1000;
	b->digest_min_age_us = p->digest_min_age * 1000;
}

int
digest_admit(struct digest *d, const struct store_outbox_row *row, size_t contact, int severity,
    int manual, int64_t now_us)
{
	struct budget_conf b;

	if (d == NULL || contact >= d->conf->ncontacts)
		return 1;
	budget_of(&d->conf->contacts[contact], &b);
	if (budget_decide(&b, &d->ledgers[contact], severity, manual, now_us) == BUDGET_SEND)
		return 1;
	if (store_budget_hold(d->c->store, row->id, now_us) != 0) {
		/* Better one message too many than one lost. */
		log_warnx("Cannot hold notification %lld for the digest: %s; it is sent.",
		    (long long)row->id, store_errmsg(d->c->store));
		return 1;
	}
	d->c->counters.notifications_held++;
	log_info("Notification %lld to %s waits for the digest (its budget: %d an hour, at once "
	    "from %s).", (long long)row->id, row->contact, b.max_per_hour,
	    d->conf->contacts[contact].urgent_min_severity);
	arm(d, budget_digest_next(&b, now_us, d->last_us[contact]));
	return 0;
}

struct facts {
	char title[TEMPLATE_FIELD_MAX], host[TEMPLATE_FIELD_MAX], status[32];
	int severity, category;
};

static int
facts_of(void *arg, const struct store_incident_row *r)
{
	struct facts *f = arg;

	snprintf(f->title, sizeof(f->title), "%s", r->title);
	snprintf(f->host, sizeof(f->host), "%s", r->agent);
	snprintf(f->status, sizeof(f->status), "%s", r->status);
	f->severity = r->severity;
	f->category = r->category;
	return 0;
}

/*
 * One digest: the rows held[from..to) share contact, channel and target.
 * Rows about incidents acknowledged since are done; rows younger than
 * digest_min_age stay held for the next digest. Returns when the oldest row
 * still held was held (0: none), and sets *sent_us when a digest went.
 */
static int64_t
send_digest(struct digest *d, const struct store_held *held, size_t from, size_t to, int64_t now,
    const struct budget_conf *bc, int64_t *sent_us)
{
	const char *lang = held[from].language[0] != '\0' ? held[from].language : "vi";
	int en = strcmp(lang, "en") == 0;
	char subject[256], *body, line[TEMPLATE_FIELD_MAX * 2 + 64];
	int64_t ids[DIGEST_LIST_MAX];
	size_t nids = 0, more = 0;
	struct notification n;
	struct notify_request rq;
	struct sbuf b;
	int64_t kept = 0;
	char *keep;
	int ch, rc;

	if ((keep = calloc(to - from, 1)) == NULL)
		return held[from].held_us;
	/*
	 * Each incident once, however many of its messages were held, and only
	 * those nobody has acknowledged yet: what the IT desk took in hand is not
	 * worth another message (the Police's digest then stays silent). An
	 * incident not yet unacknowledged for digest_min_age waits for the next.
	 */
	for (size_t i = from; i < to; i++) {
		struct facts f;
		size_t k;

		memset(&f, 0, sizeof(f));
		if (store_get_incident(d->c->store, held[i].incident, facts_of, NULL, &f) == 0 &&
		    strcmp(f.status, "new") != 0)
			continue;
		if (!budget_digest_lists(bc, held[i].held_us, now)) {
			keep[i - from] = 1;
			if (kept == 0 || held[i].held_us < kept)
				kept = held[i].held_us;
			continue;
		}
		for (k = 0; k < nids && ids[k] != held[i].incident; k++)
			;
		if (k < nids)
			continue;
		if (nids < DIGEST_LIST_MAX)
			ids[nids++] = held[i].incident;
		else
			more++;
	}
	if (nids + more == 0) {
		log_info("The digest to %s has nothing %s; it is not sent.", held[from].contact,
		    kept != 0 ? "old enough yet" : "left unacknowledged");
		for (size_t i = from; i < to; i++)
			if (!keep[i - from])
				(void)store_budget_digested(d->c->store, held[i].id, now);
		free(keep);
		return kept;
	}
	if ((body = malloc(DIGEST_BODY_MAX)) == NULL) {
		free(keep);
		return held[from].held_us;
	}
	snprintf(subject, sizeof(subject), T_("[Vigil] Digest: %zu incidents not sent one by one"),
	    nids + more);
	sbuf_init(&b, body, DIGEST_BODY_MAX);
	sbuf_printf(&b, T_("Vigil: %zu incidents were folded into this digest (the noise budget)."),
	    nids + more);
	sbuf_str(&b, "\n\n");
	for (size_t i = 0; i < nids; i++) {
		struct facts f;

		memset(&f, 0, sizeof(f));
		(void)store_get_incident(d->c->store, ids[i], facts_of, NULL, &f);
		template_clean_line(line, sizeof(line), f.title);
		sbuf_printf(&b, "  #%lld [%s] %s: %s", (long long)ids[i],
		    template_severity(f.severity, en), template_category(f.category, en), line);
		template_clean_line(line, sizeof(line), f.host);
		sbuf_printf(&b, " (%s)\n", line);
	}
	if (more > 0)
		sbuf_printf(&b, T_("  ... and %zu more\n"), more);
	sbuf_str(&b, T_("\nvigilctl incidents lists them; an operator can send one at once with "
	    "vigilctl incident escalate N LEVEL.\n"));
	if ((ch = notify_channel_find(held[from].channel)) < 0) {
		free(body);
		free(keep);
		return 0;
	}
	memset(&n, 0, sizeof(n));
	n.language = lang;
	n.reply_subject = subject;
	n.reply_body = body;
	memset(&rq, 0, sizeof(rq));
	rq.channel = (enum notify_channel)ch;
	rq.target = held[from].target;
	rq.n = &n;
	if ((rc = notify_send(d->notify, &rq, NULL)) != 0) {
		log_warnx("Cannot send the digest to %s: %s; it is tried again later.",
		    held[from].contact, vigil_strerror(rc));
		free(body);
		free(keep);
		return held[from].held_us;
	}
	d->digests++;
	d->c->counters.digests_sent++;
	log_info("Digest of %zu incidents to %s by %s.", nids + more, held[from].contact,
	    held[from].channel);
	*sent_us = now;
	for (size_t i = from; i < to; i++)
		if (!keep[i - from] && store_budget_digested(d->c->store, held[i].id, now) != 0)
			log_warnx("Cannot mark notification %lld as digested: %s.",
			    (long long)held[i].id, store_errmsg(d->c->store));
	free(body);
	free(keep);
	return kept;
}

static int
same_group(const struct store_held *a, const struct store_held *b)
{
	return strcmp(a->contact, b->contact) == 0 && strcmp(a->channel, b->channel) == 0 &&
	    strcmp(a->target, b->target) == 0;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct digest *d = arg;
	struct store_held *held = NULL;
	int64_t now = clock_now_us(), next = 0;
	size_t n = 0;
	char *done;

	(void)fd;
	(void)what;
	d->armed_us = 0;
	if (store_budget_held(d->c->store, &held, &n) != 0) {
		log_warnx("Cannot read the notifications held for digests: %s.",
		    store_errmsg(d->c->store));
		arm(d, now + 60 * 1000000LL);
		return;
	}
	if ((done = calloc(n > 0 ? n : 1, 1)) == NULL) {
		free(held);
		arm(d, now + 60 * 1000000LL);
		return;
	}
	/* Group the rows (any order in the table) by contact, channel and target. */
	for (size_t i = 0; i < n; i++) {
		const struct escalate_contact *p;
		struct budget_conf b;
		struct store_held *g;
		size_t k = 0, first = i;
		int64_t due, kept, unused = 0, *last = &unused;

		if (done[i])
			continue;
		if ((g = calloc(n - i, sizeof(*g))) == NULL)
			break;
		for (size_t j = i; j < n; j++) {
			if (done[j] || !same_group(&held[i], &held[j]))
				continue;
			done[j] = 1;
			g[k++] = held[j];
			if (held[j].held_us < held[first].held_us)
				first = j;
		}
		memset(&b, 0, sizeof(b));
		if ((p = contact_by_label(d, held[i].contact)) != NULL) {
			budget_of(p, &b);
			last = &d->last_us[p - d->conf->contacts];
		}                                   /* else a contact gone from the file: at once */
		due = budget_digest_next(&b, held[first].held_us, *last);
		if (due <= now && (kept = send_digest(d, g, 0, k, now, &b, last)) != 0)
			due = budget_digest_next(&b, kept, *last);
		if (due > now && (next == 0 || due < next))
			next = due;
		free(g);
	}
	free(done);
	free(held);
	if (next > 0)
		arm(d, next);
}

static void
on_attempt(const struct notify_attempt *a, void *arg)
{
	(void)arg;
	if (a->ok)
		log_info("Digest by %s to %s delivered (attempt %d).",
		    notify_channel_name(a->channel), a->target, a->attempt);
	else
		log_warnx("Digest by %s to %s: attempt %d failed: %s%s",
		    notify_channel_name(a->channel), a->target, a->attempt, a->error,
		    a->final ? "; giving up." : "; it will be retried.");
}

static void
recount_one(void *arg, const char *contact, int64_t created_us)
{
	struct digest *d = arg;
	const struct escalate_contact *p = contact_by_label(d, contact);

	if (p != NULL)
		budget_record(&d->ledgers[p - d->conf->contacts], created_us);
}

static void
last_digest(void *arg, const char *contact, int64_t done_us)
{
	struct digest *d = arg;
	const struct escalate_contact *p = contact_by_label(d, contact);

	if (p != NULL)
		d->last_us[p - d->conf->contacts] = done_us;
}

struct digest *
digest_new(struct collector *c, const struct escalate_conf *conf, struct notify *unused)
{
	struct digest *d;

	(void)unused;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->c = c;
	d->conf = conf;
	escalate_run_notify_conf(&c->conf, &d->nconf);
	d->ledgers = calloc(conf->ncontacts > 0 ? conf->ncontacts : 1, sizeof(*d->ledgers));
	d->last_us = calloc(conf->ncontacts > 0 ? conf->ncontacts : 1, sizeof(*d->last_us));
	d->timer = evtimer_new(c->base, tick, d);
	d->notify = notify_new(c->base, &d->nconf, on_attempt, d);
	if (d->ledgers == NULL || d->last_us == NULL || d->timer == NULL || d->notify == NULL) {
		digest_free(d);
		return NULL;
	}
	/*
	 * The hour already spent: a restart must not give a contact a fresh
	 * budget (the outbox keeps every message that went, with its time).
	 */
	if (store_budget_sent_since(c->store, clock_now_us() - BUDGET_WINDOW_US, recount_one, d) !=
	    0)
		log_warnx("Cannot read the last hour's notifications: %s; the noise budget starts "
		    "a fresh hour.", store_errmsg(c->store));
	/* And each contact's last digest: the next waits digest_every after it. */
	if (store_budget_last_digests(c->store, last_digest, d) != 0)
		log_warnx("Cannot read when the last digests went: %s; the next may come sooner "
		    "than digest_every.", store_errmsg(c->store));
	/* Rows held before a restart: their digests are still due. */
	arm(d, clock_now_us());
	return d;
}

void
digest_free(struct digest *d)
{
	if (d == NULL)
		return;
	notify_free(d->notify);
	if (d->timer != NULL)
		event_free(d->timer);
	free(d->ledgers);
	free(d->last_us);
	free(d);
}
