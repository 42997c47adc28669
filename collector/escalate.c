/*
 * The escalation engine, pure: route matching, the per-incident state (start,
 * ack, close, re-open, manual), and the timing that decides which step is due
 * and whom it notifies. No clock (now is an argument) and no I/O: the
 * collector's runtime (escalate_run.c) feeds it and sends what it plans.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil.pb-c.h"
#include "vigil/config.h"
#include "vigil/err.h"
#include "vigil/names.h"

#include "escalate_int.h"


/* ---- matching ----------------------------------------------------------------------- */

/* s matches one of the space-separated patterns (an empty list matches everything). */
static bool
match_list(const char *list, const char *s)
{
	char buf[ESC_LIST_MAX], *w[WORDS_MAX + 1];
	int n, i;

	if (list[0] == '\0')
		return true;
	if ((n = escalate_split(list, buf, sizeof buf, w, NITEMS(w))) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (fnmatch(w[i], s, 0) == 0)
			return true;
	return false;
}

static bool
route_matches(const struct escalate_route *r, const struct escalate_incident *inc)
{
	if (r->categories != 0 && (inc->category < 0 || inc->category > 31 ||
	    (r->categories & (1u << inc->category)) == 0))
		return false;
	if (inc->severity < r->severity)
		return false;
	return match_list(r->unit, esc_str(inc->unit)) && match_list(r->host, esc_str(inc->host)) &&
	    match_list(r->rule, esc_str(inc->rule));
}

size_t
escalate_match(const struct escalate_conf *c, const struct escalate_incident *inc,
    size_t *routes, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->nroutes; i++) {
		if (!route_matches(&c->routes[i], inc))
			continue;
		if (n < max)
			routes[n] = i;
		n++;
		if (!c->routes[i].cont)
			break;
	}
	return n;
}

static void
group_key(const struct escalate_route *r, const struct escalate_incident *inc, char *buf,
    size_t len)
{
	size_t used = 0;
	int w = 0;

	buf[0] = '\0';
#define ADD(bit, fmt, ...) do { \
	if ((r->group_fields & (bit)) && used < len) { \
		w = snprintf(buf + used, len - used, "%s" fmt, used > 0 ? " " : "", __VA_ARGS__); \
		used = w < 0 ? len : used + (size_t)w; \
	} \
} while (0)
	ADD(ESC_GROUP_CATEGORY, "category=%s", category_name(inc->category));
	ADD(ESC_GROUP_SEVERITY, "severity=%s", severity_name(inc->severity));
	ADD(ESC_GROUP_UNIT, "unit=%s", esc_str(inc->unit));
	ADD(ESC_GROUP_HOST, "host=%s", esc_str(inc->host));
	ADD(ESC_GROUP_AGENT, "agent=%s", esc_str(inc->agent));
	ADD(ESC_GROUP_RULE, "rule=%s", esc_str(inc->rule));
	ADD(ESC_GROUP_INCIDENT, "incident=%" PRId64, inc->id);
#undef ADD
}

/* ---- state changes ------------------------------------------------------------------- */

int
escalate_start(const struct escalate_conf *c, const struct escalate_incident *inc,
    struct escalate_state *st)
{
	size_t idx[ESC_TRACKS_MAX], n, i;
	struct escalate_track *t;

	memset(st, 0, sizeof *st);
	st->incident = inc->id;
	st->severity = inc->severity;
	st->start_us = inc->created_us;
	n = escalate_match(c, inc, idx, ESC_TRACKS_MAX);
	st->ntracks = n < ESC_TRACKS_MAX ? n : ESC_TRACKS_MAX;
	for (i = 0; i < st->ntracks; i++) {
		t = &st->tracks[i];
		snprintf(t->route, sizeof t->route, "%s", c->routes[idx[i]].label);
		group_key(&c->routes[idx[i]], inc, t->group, sizeof t->group);
	}
	return n > ESC_TRACKS_MAX ? VIGIL_ERR_TOOBIG : 0;
}

void
escalate_ack(struct escalate_state *st, int64_t now_us)
{
	if (st->ack_us == 0)
		st->ack_us = now_us > 0 ? now_us : 1;
}

void
escalate_close(struct escalate_state *st, int64_t now_us)
{
	(void)now_us;
	st->closed = 1;
}

void
escalate_reopen(struct escalate_state *st, int64_t now_us)
{
	struct escalate_track *t;
	size_t i;

	st->ack_us = 0;
	st->closed = 0;
	st->start_us = now_us;
	for (i = 0; i < st->ntracks; i++) {
		t = &st->tracks[i];
		t->now_sent = t->level = t->repeats = t->manual_level = 0;
		t->manual_us = t->first_us = t->last_us = t->next_us = 0;
	}
}

const struct escalate_chain *
esc_track_chain(const struct escalate_conf *c, const struct escalate_route *r)
{
	if (r == NULL || r->chain_index < 0 || (size_t)r->chain_index >= c->nchains)
		return NULL;
	return &c->chains[r->chain_index];
}

static const struct escalate_route *
track_route(const struct escalate_conf *c, const struct escalate_track *t)
{
	int i = esc_route_index(c, t->route);

	return i < 0 ? NULL : &c->routes[i];
}

int
escalate_manual(const struct escalate_conf *c, struct escalate_state *st, int level,
    int64_t now_us)
{
	const struct escalate_chain *ch;
	size_t i;
	int hit = 0;

	if (st->closed)
		return VIGIL_ERR_PROTO;
	for (i = 0; i < st->ntracks; i++) {
		ch = esc_track_chain(c, track_route(c, &st->tracks[i]));
		if (ch == NULL || level < 1 || (size_t)level > ch->nlevels)
			continue;
		st->tracks[i].manual_level = level;
		st->tracks[i].manual_us = now_us;
		hit = 1;
	}
	return hit ? 0 : VIGIL_ERR_NOTFOUND;
}

size_t
escalate_level_contacts(const struct escalate_conf *c, const struct escalate_state *st,
    int level, void (*fn)(void *arg, const char *route, const struct escalate_contact *p),
    void *arg)
{
	const struct escalate_chain *ch;
	size_t i, k, n = 0;

	for (i = 0; i < st->ntracks; i++) {
		ch = esc_track_chain(c, track_route(c, &st->tracks[i]));
		if (ch == NULL || level < 1 || (size_t)level > ch->nlevels)
			continue;
		for (k = 0; k < ch->ncontacts[level - 1]; k++) {
			fn(arg, st->tracks[i].route, &c->contacts[ch->contacts[level - 1][k]]);
			n++;
		}
	}
	return n;
}

void
escalate_contact_channels(const struct escalate_contact *p, char *buf, size_t len)
{
	const char *have[ESC_CHANNEL_COUNT];
	size_t n = 0, used = 0;

	if (p->email[0] != '\0')
		have[n++] = "email";
	if (p->webhook[0] != '\0')
		have[n++] = "webhook";
	if (p->command[0] != '\0')
		have[n++] = "command";
	if (p->phone[0] != '\0')
		have[n++] = "sms";
	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", have[i]);
}

/* ---- timing ------------------------------------------------------------------------- */

/* t, or the end of the quiet period t falls in. */
static int64_t
quiet_defer(const struct escalate_quiet *q, int64_t t_us)
{
	long long ms = t_us / MS_US, local, day, delta;
	bool in;

	if (!q->enabled)
		return t_us;
	local = ms + q->offset_ms;
	day = ((local % DAY_MS) + DAY_MS) % DAY_MS;
	if (q->start_ms < q->end_ms)
		in = day >= q->start_ms && day < q->end_ms;
	else
		in = day >= q->start_ms || day < q->end_ms;
	if (!in)
		return t_us;
	delta = day < q->end_ms ? q->end_ms - day : DAY_MS - day + q->end_ms;
	return (ms + delta) * MS_US;
}

static int64_t
defer(const struct escalate_conf *c, const struct escalate_state *st, int64_t t_us)
{
	if (st->severity > c->quiet.defer_severity)
		return t_us;
	return quiet_defer(&c->quiet, t_us);
}

/* The first notification of t still has someone to tell. */
static bool
first_pending(const struct escalate_conf *c, const struct escalate_state *st,
    const struct escalate_track *t, const struct escalate_route *r)
{
	if (st->closed || t->first_us != 0 || r == NULL)
		return false;
	return (r->nnow > 0 && !t->now_sent) || (esc_track_chain(c, r) != NULL && st->ack_us == 0);
}

/*
 * When the group of t flushes its first notification: group_wait after the
 * earliest waiting incident if the group has not notified yet, else the next
 * tick of group_interval after the group's last flush.
 */
static int64_t
group_due(const struct escalate_conf *c, const struct escalate_state *all, size_t n,
    const struct escalate_state *st, const struct escalate_track *t,
    const struct escalate_route *r)
{
	const struct escalate_track *u;
	int64_t last = 0, first = st->start_us, gi, k;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (all[i].closed)
			continue;
		for (j = 0; j < all[i].ntracks; j++) {
			u = &all[i].tracks[j];
			if (strcmp(u->route, t->route) != 0 || strcmp(u->group, t->group) != 0)
				continue;
			if (u->first_us != 0 && u->first_us > last)
				last = u->first_us;
			else if (first_pending(c, &all[i], u, r) && all[i].start_us < first)
				first = all[i].start_us;
		}
	}
	if (last == 0)
		return first + r->group_wait * MS_US;
	gi = r->group_interval * MS_US;
	k = st->start_us > last ? (st->start_us - last + gi - 1) / gi : 1;
	if (k < 1)
		k = 1;
	return last + k * gi;
}

/* When the next step of t is due (0: none); *manual says it is an operator's. */
static int64_t
track_next(const struct escalate_conf *c, const struct escalate_state *all, size_t n,
    const struct escalate_state *st, const struct escalate_track *t, int *manual)
{
	const struct escalate_route *r = track_route(c, t);
	const struct escalate_chain *ch = esc_track_chain(c, r);
	long long interval;

	*manual = 0;
	if (st->closed || r == NULL)
		return 0;
	if (t->manual_level > 0 && ch != NULL && (size_t)t->manual_level <= ch->nlevels) {
		*manual = 1;
		return t->manual_us > 0 ? t->manual_us : 1;
	}
	if (t->first_us == 0) {
		if (!first_pending(c, st, t, r))
			return 0;
		return defer(c, st, group_due(c, all, n, st, t, r));
	}
	if (st->ack_us != 0 || ch == NULL)
		return 0;
	if (t->level == 0)        /* a chain added by a reload after the first notification */
		return defer(c, st, t->first_us);
	if ((size_t)t->level < ch->nlevels)
		return defer(c, st, t->last_us + ch->wait[t->level - 1] * MS_US);
	if (!ch->repeat_last || (ch->repeat_max != 0 && t->repeats >= ch->repeat_max))
		return 0;
	interval = r->repeat_interval != 0 ? r->repeat_interval : ch->repeat_interval;
	return defer(c, st, t->last_us + interval * MS_US);
}

/* One (contact, channel) of a step. */
struct target {
	size_t contact;
	enum escalate_channel channel;
	int level;
	int repeat;
};

#define TARGETS_MAX (2 * ESC_LEVEL_CONTACTS_MAX * ESC_CHANNEL_COUNT)

static size_t
add_targets(const struct escalate_conf *c, const uint8_t *contacts, size_t ncontacts, int level,
    int repeat, struct target *out, size_t n)
{
	const struct escalate_contact *p;
	size_t i;

	for (i = 0; i < ncontacts && n + ESC_CHANNEL_COUNT <= TARGETS_MAX; i++) {
		p = &c->contacts[contacts[i]];
		if (p->email[0] != '\0')
			out[n++] = (struct target){ contacts[i], ESC_CHANNEL_EMAIL, level, repeat };
		if (p->webhook[0] != '\0')
			out[n++] = (struct target){ contacts[i], ESC_CHANNEL_WEBHOOK, level, repeat };
		if (p->command[0] != '\0')
			out[n++] = (struct target){ contacts[i], ESC_CHANNEL_COMMAND, level, repeat };
		if (p->phone[0] != '\0')
			out[n++] = (struct target){ contacts[i], ESC_CHANNEL_SMS, level, repeat };
	}
	return n;
}

static struct escalate_note *
find_note(struct escalate_note *notes, size_t nnotes, size_t route, const char *group,
    const struct target *tg, int manual)
{
	size_t i;

	for (i = 0; i < nnotes; i++) {
		if (notes[i].route == route && notes[i].contact == tg->contact &&
		    notes[i].channel == tg->channel && notes[i].level == tg->level &&
		    notes[i].manual == manual && strcmp(notes[i].group, group) == 0)
			return &notes[i];
	}
	return NULL;
}

/* What firing t now would send; the track itself is changed only by fire(). */
static size_t
step_targets(const struct escalate_conf *c, const struct escalate_state *st,
    const struct escalate_track *t, int manual, struct target *out)
{
	const struct escalate_route *r = track_route(c, t);
	const struct escalate_chain *ch = esc_track_chain(c, r);
	size_t n = 0, lv;

	if (r == NULL)
		return 0;
	if (t->first_us == 0 && !t->now_sent && r->nnow > 0)
		n = add_targets(c, r->now, r->nnow, 0, 0, out, n);
	if (ch == NULL)
		return n;
	if (manual) {
		lv = (size_t)t->manual_level;
		return add_targets(c, ch->contacts[lv - 1], ch->ncontacts[lv - 1], (int)lv, 0, out,
		    n);
	}
	if (st->ack_us != 0)
		return n;
	if (t->first_us == 0 || t->level == 0)
		return add_targets(c, ch->contacts[0], ch->ncontacts[0], 1, 0, out, n);
	if ((size_t)t->level < ch->nlevels)
		return add_targets(c, ch->contacts[t->level], ch->ncontacts[t->level],
		    t->level + 1, 0, out, n);
	lv = ch->nlevels;
	return add_targets(c, ch->contacts[lv - 1], ch->ncontacts[lv - 1], (int)lv,
	    t->repeats + 1, out, n);
}

/* Record that the step went at now. */
static void
fire(const struct escalate_conf *c, const struct escalate_state *st, struct escalate_track *t,
    int manual, int64_t now_us)
{
	const struct escalate_route *r = track_route(c, t);
	const struct escalate_chain *ch = esc_track_chain(c, r);

	if (t->first_us == 0 && r != NULL && r->nnow > 0)
		t->now_sent = 1;
	if (manual) {
		t->level = t->manual_level;
		t->repeats = 0;
		t->manual_level = 0;
		t->manual_us = 0;
		t->last_us = now_us;
	} else if (ch != NULL && st->ack_us == 0) {
		if (t->first_us == 0 || t->level == 0 || (size_t)t->level < ch->nlevels)
			t->level++;
		else
			t->repeats++;
		t->last_us = now_us;
	}
	if (t->first_us == 0)
		t->first_us = now_us;
}

/* Put the step's targets into notes[]; false (and nothing written) if they do not fit. */
static bool
emit(struct escalate_note *notes, size_t max, size_t *nnotes, size_t route, const char *group,
    const struct target *tg, size_t ntg, int manual, int64_t due_us, int64_t incident)
{
	struct escalate_note *p;
	size_t i, missing = 0;

	for (i = 0; i < ntg; i++)
		if (find_note(notes, *nnotes, route, group, &tg[i], manual) == NULL)
			missing++;
	if (*nnotes + missing > max)
		return false;
	for (i = 0; i < ntg; i++) {
		if ((p = find_note(notes, *nnotes, route, group, &tg[i], manual)) == NULL) {
			p = &notes[(*nnotes)++];
			memset(p, 0, sizeof *p);
			p->route = route;
			p->contact = tg[i].contact;
			p->channel = tg[i].channel;
			p->level = tg[i].level;
			p->manual = manual;
			p->due_us = due_us;
			snprintf(p->group, sizeof p->group, "%s", group);
		}
		if (tg[i].repeat > p->repeat)
			p->repeat = tg[i].repeat;
		if (due_us < p->due_us)
			p->due_us = due_us;
		/* A contact listed twice in one level must not list the incident twice. */
		if (p->nids > 0 && p->ids[p->nids - 1] == incident)
			continue;
		if (p->nids < ESC_NOTE_IDS_MAX)
			p->ids[p->nids++] = incident;
		else
			p->more++;
	}
	return true;
}

static void
plan_all(const struct escalate_conf *c, struct escalate_state *states, size_t n)
{
	struct escalate_track *t;
	size_t i, j;
	int manual;

	for (i = 0; i < n; i++) {
		for (j = 0; j < states[i].ntracks; j++) {
			t = &states[i].tracks[j];
			t->next_us = track_next(c, states, n, &states[i], t, &manual);
		}
	}
}

int
escalate_due(const struct escalate_conf *c, struct escalate_state *states, size_t n,
    int64_t now_us, struct escalate_note *notes, size_t max, size_t *nnotes, int64_t *wake_us)
{
	struct target tg[TARGETS_MAX];
	struct escalate_track *t;
	struct escalate_state *st;
	int64_t wake = 0, due;
	size_t i, j, ntg;
	int manual, full = 0;
	int ri;

	*nnotes = 0;
	/*
	 * Every due time is computed before any step is marked sent, so the
	 * members of a group that fall due together are flushed together.
	 */
	plan_all(c, states, n);
	for (i = 0; i < n && !full; i++) {
		st = &states[i];
		for (j = 0; j < st->ntracks; j++) {
			t = &st->tracks[j];
			due = t->next_us;
			if (due == 0 || due > now_us)
				continue;
			(void)track_next(c, states, n, st, t, &manual);
			ri = esc_route_index(c, t->route);
			ntg = step_targets(c, st, t, manual, tg);
			if (!emit(notes, max, nnotes, (size_t)ri, t->group, tg, ntg, manual, due,
			    st->incident)) {
				full = 1;
				break;
			}
			fire(c, st, t, manual, now_us);
		}
	}
	plan_all(c, states, n);
	for (i = 0; i < n; i++)
		for (j = 0; j < states[i].ntracks; j++) {
			due = states[i].tracks[j].next_us;
			if (due != 0 && (wake == 0 || due < wake))
				wake = due;
		}
	if (full || (wake != 0 && wake < now_us))
		wake = now_us;
	*wake_us = wake;
	return 0;
}

/* ---- what-if ----------------------------------------------------------------------------- */

int
escalate_plan(const struct escalate_conf *c, const struct escalate_incident *inc,
    struct escalate_plan *plan)
{
	struct escalate_note notes[16];
	struct escalate_state st;
	struct escalate_step *s;
	int64_t now, wake;
	size_t i, j, nn, iter;
	int rc;

	memset(plan, 0, sizeof *plan);
	rc = escalate_start(c, inc, &st);
	if (rc != 0 && rc != VIGIL_ERR_TOOBIG)
		return rc;
	plan->nroutes = st.ntracks;
	for (i = 0; i < st.ntracks; i++)
		plan->routes[i] = (size_t)esc_route_index(c, st.tracks[i].route);
	now = inc->created_us;
	for (iter = 0; iter < 1000; iter++) {
		escalate_due(c, &st, 1, now, notes, NITEMS(notes), &nn, &wake);
		for (i = 0; i < nn; i++) {
			if (plan->nsteps == ESC_PLAN_STEPS_MAX) {
				plan->truncated = 1;
				return 0;
			}
			s = &plan->steps[plan->nsteps++];
			s->at_us = now;
			s->route = notes[i].route;
			s->contact = notes[i].contact;
			s->channel = notes[i].channel;
			s->level = notes[i].level;
			s->repeat = notes[i].repeat;
		}
		/* A repeating level would go on for ever: stop its track after a few. */
		for (j = 0; j < st.ntracks; j++)
			if (st.tracks[j].repeats >= ESC_PLAN_REPEATS)
				st.tracks[j].route[0] = '\0';
		if (wake == 0)
			return 0;
		if (nn == 0 && wake <= now)
			break;
		now = wake;
		/* The tracks stopped above may have been the only thing left. */
		plan_all(c, &st, 1);
		for (j = 0, wake = 0; j < st.ntracks; j++)
			if (st.tracks[j].next_us != 0)
				wake = 1;
		if (wake == 0)
			return 0;
	}
	plan->truncated = 1;
	return 0;
}
