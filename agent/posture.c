/*
 * The sensors' report: the posture snapshot with its change notification,
 * and their events, validated and appended to the spool like a log line's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "posture.h"

/* One event being built; sized for the wire's limits. */
struct scratch {
	char source[WIRE_MAX_SOURCE + 1];
	char rule[WIRE_MAX_RULE + 1];
	char summary[WIRE_MAX_SUMMARY + 1];
	char raw[WIRE_MAX_RAW + 1];
	char keys[POSTURE_EVENT_FIELDS][WIRE_MAX_FIELD_KEY + 1];
	char values[POSTURE_EVENT_FIELDS][WIRE_MAX_FIELD_VALUE + 1];
	Vigil__V1__Field fields[POSTURE_EVENT_FIELDS];
	Vigil__V1__Field *fieldp[POSTURE_EVENT_FIELDS];
};

struct posture {
	struct spool *spool;
	void (*appended)(void *arg);
	void *arg;
	void (*changed)(void *arg);
	void *changed_arg;
	struct posture_snapshot snap;
	struct scratch sc;
	uint64_t rejected;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

unsigned
posture_diff(const struct posture_snapshot *a, const struct posture_snapshot *b)
{
	const struct posture_av *x = &a->av, *y = &b->av;
	const struct posture_updates *u = &a->updates, *v = &b->updates;
	unsigned d = 0;

	if (a->parts != b->parts)
		d |= POSTURE_DIFF_PARTS;
	if (strcmp(x->product, y->product) != 0)
		d |= POSTURE_DIFF_AV_PRODUCT;
	if (x->running != y->running)
		d |= POSTURE_DIFF_AV_RUNNING;
	if (x->realtime != y->realtime)
		d |= POSTURE_DIFF_AV_REALTIME;
	if (strcmp(x->version, y->version) != 0)
		d |= POSTURE_DIFF_AV_VERSION;
	if (x->signatures_us != y->signatures_us)
		d |= POSTURE_DIFF_AV_SIGS;
	if (u->pending != v->pending)
		d |= POSTURE_DIFF_UPDATES;
	if (u->security_pending != v->security_pending ||
	    u->security_pending_since_us != v->security_pending_since_us)
		d |= POSTURE_DIFF_SECURITY;
	if (u->last_update_us != v->last_update_us || u->last_upgrade_us != v->last_upgrade_us)
		d |= POSTURE_DIFF_LAST;
	if (u->reboot_required != v->reboot_required)
		d |= POSTURE_DIFF_REBOOT;
	if (strcmp(u->os, v->os) != 0)
		d |= POSTURE_DIFF_OS;
	if (a->usb_policy_blocked != b->usb_policy_blocked)
		d |= POSTURE_DIFF_USB;
	return d;
}

static Vigil__V1__Tristate
tristate(int t)
{
	switch (t) {
	case VIGIL__V1__TRISTATE__TRISTATE_YES:
		return VIGIL__V1__TRISTATE__TRISTATE_YES;
	case VIGIL__V1__TRISTATE__TRISTATE_NO:
		return VIGIL__V1__TRISTATE__TRISTATE_NO;
	default:
		return VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN;
	}
}

int
posture_to_wire(const struct posture_snapshot *s, Vigil__V1__Posture *out)
{
	vigil__v1__posture__init(out);
	/* Unknown counts are -1 on the wire, as vigil.proto says. */
	out->updates_pending = -1;
	out->security_updates_pending = -1;
	if (s->parts == 0)
		return 0;
	if (s->parts & POSTURE_PART_AV) {
		/* The snapshot outlives the message, which only borrows its strings. */
		out->av_product = (char *)(uintptr_t)s->av.product;
		out->av_running = tristate(s->av.running);
		out->av_realtime = tristate(s->av.realtime);
		out->av_version = (char *)(uintptr_t)s->av.version;
		out->av_signatures_us = s->av.signatures_us;
	}
	if (s->parts & POSTURE_PART_UPDATES) {
		out->updates_pending = s->updates.pending;
		out->security_updates_pending = s->updates.security_pending;
		out->security_pending_since_us = s->updates.security_pending_since_us;
		out->last_update_us = s->updates.last_update_us;
		out->last_upgrade_us = s->updates.last_upgrade_us;
		out->reboot_required = tristate(s->updates.reboot_required);
		out->os = (char *)(uintptr_t)s->updates.os;
	}
	out->usb_policy_blocked = s->usb_policy_blocked;
	return 1;
}

struct posture *
posture_new(struct spool *spool, void (*appended)(void *arg), void *arg)
{
	struct posture *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->spool = spool;
	p->appended = appended;
	p->arg = arg;
	p->snap.updates.pending = -1;
	p->snap.updates.security_pending = -1;
	return p;
}

void
posture_free(struct posture *p)
{
	free(p);
}

void
posture_on_change(struct posture *p, void (*changed)(void *arg), void *arg)
{
	p->changed = changed;
	p->changed_arg = arg;
}

const struct posture_snapshot *
posture_get(const struct posture *p)
{
	return &p->snap;
}

struct spool *
posture_spool(const struct posture *p)
{
	return p->spool;
}

uint64_t
posture_events_rejected(const struct posture *p)
{
	return p->rejected;
}

static void
posture_commit_snapshot(struct posture *p, const struct posture_snapshot *next)
{
	unsigned d = posture_diff(&p->snap, next);

	p->snap = *next;
	if (d == 0)
		return;
	log_debug("The posture changed (facts 0x%03x).", d);
	if (p->changed != NULL)
		p->changed(p->changed_arg);
}

void
posture_set_av(struct posture *p, const struct posture_av *av)
{
	struct posture_snapshot next = p->snap;

	next.av = *av;
	next.av.product[sizeof(next.av.product) - 1] = '\0';
	next.av.version[sizeof(next.av.version) - 1] = '\0';
	next.parts |= POSTURE_PART_AV;
	posture_commit_snapshot(p, &next);
}

void
posture_set_updates(struct posture *p, const struct posture_updates *up)
{
	struct posture_snapshot next = p->snap;

	next.updates = *up;
	next.updates.os[sizeof(next.updates.os) - 1] = '\0';
	next.parts |= POSTURE_PART_UPDATES;
	posture_commit_snapshot(p, &next);
}

void
posture_set_usb_blocked(struct posture *p, uint32_t blocked)
{
	struct posture_snapshot next = p->snap;

	next.usb_policy_blocked = blocked;
	next.parts |= POSTURE_PART_USB;
	posture_commit_snapshot(p, &next);
}

static char *
clean(char *dst, size_t cap, const char *src)
{
	if (src == NULL)
		src = "";
	text_utf8_clean(dst, cap, src, strnlen(src, cap * 2));
	return dst;
}

int
posture_event_append(struct posture *p, const struct sensor_event *se)
{
	struct scratch *sc = &p->sc;
	Vigil__V1__Event ev;
	char why[256];
	size_t i;
	int rc;

	vigil__v1__event__init(&ev);
	ev.seq = 1;     /* a placeholder for the checks; spool_append assigns the real one */
	ev.time_us = se->time_us != 0 ? se->time_us : now_us();
	ev.source = clean(sc->source, sizeof(sc->source), se->source);
	ev.category = (Vigil__V1__Category)se->category;
	ev.severity = (Vigil__V1__Severity)se->severity;
	ev.rule = clean(sc->rule, sizeof(sc->rule), se->rule);
	ev.summary = clean(sc->summary, sizeof(sc->summary), se->summary);
	sc->raw[0] = '\0';
	if (se->raw != NULL)
		text_utf8_clean(sc->raw, sizeof(sc->raw), se->raw, se->rawlen);
	ev.raw = sc->raw;
	for (i = 0; i < se->nfields && i < POSTURE_EVENT_FIELDS; i++) {
		vigil__v1__field__init(&sc->fields[i]);
		sc->fields[i].key = clean(sc->keys[i], sizeof(sc->keys[i]), se->fields[i].key);
		sc->fields[i].value = clean(sc->values[i], sizeof(sc->values[i]),
		    se->fields[i].value);
		sc->fieldp[i] = &sc->fields[i];
	}
	ev.n_fields = i;
	ev.fields = i > 0 ? sc->fieldp : NULL;

	if (wire_validate_event(&ev, why, sizeof(why)) != 0) {
		p->rejected++;
		log_warnx("An event of rule %s from sensor %s is invalid and skipped: %s",
		    ev.rule, ev.source, why);
		return 0;
	}
	if ((rc = spool_append(p->spool, &ev, NULL)) != 0) {
		log_warnx("The spool cannot take an event of rule %s from sensor %s: %s.",
		    ev.rule, ev.source, vigil_strerror(rc));
		return rc;
	}
	return 1;
}

void
posture_appended(struct posture *p)
{
	if (p->appended != NULL)
		p->appended(p->arg);
}

int
posture_event(struct posture *p, const struct sensor_event *ev)
{
	int rc, n;

	if ((rc = spool_begin(p->spool)) != 0) {
		log_warnx("The spool cannot start a transaction for an event of rule %s: %s.",
		    ev->rule, vigil_strerror(rc));
		return rc;
	}
	if ((n = posture_event_append(p, ev)) < 0) {
		spool_rollback(p->spool);
		return n;
	}
	if ((rc = spool_commit(p->spool)) != 0) {
		log_warnx("The spool cannot commit an event of rule %s: %s.", ev->rule,
		    vigil_strerror(rc));
		spool_rollback(p->spool);
		return rc;
	}
	if (n > 0) {
		log_debug("Sensor event %s spooled: %s", ev->rule, ev->summary);
		posture_appended(p);
	}
	return 0;
}
