/*
 * The sensors' report: the posture snapshot with its change notification,
 * and their events, validated and appended to the spool like a log line's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/wire.h"
#include "posture.h"

struct posture {
	struct spool *spool;
	void (*appended)(void *arg);
	void *arg;
	void (*changed)(void *arg);
	void *changed_arg;
	struct posture_snapshot snap;
	struct ingest *ing;
};

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
	if (strcmp(a->audit_policy, b->audit_policy) != 0)
		d |= POSTURE_DIFF_AUDIT;
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
	if (s->parts & POSTURE_PART_AUDIT)
		out->audit_policy = (char *)(uintptr_t)s->audit_policy;
	return 1;
}

struct posture *
posture_new(struct spool *spool, void (*appended)(void *arg), void *arg)
{
	struct posture *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->ing = ingest_new(spool, NULL)) == NULL) {
		free(p);
		return NULL;
	}
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
	if (p == NULL)
		return;
	ingest_free(p->ing);
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
	return ingest_rejected(p->ing);
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

void
posture_set_audit(struct posture *p, const char *audit_policy)
{
	struct posture_snapshot next = p->snap;

	snprintf(next.audit_policy, sizeof(next.audit_policy), "%s", audit_policy);
	next.parts |= POSTURE_PART_AUDIT;
	posture_commit_snapshot(p, &next);
}

int
posture_event_append(struct posture *p, const struct ingest_event *ev)
{
	return ingest_append(p->ing, ev, NULL);
}

void
posture_appended(struct posture *p)
{
	if (p->appended != NULL)
		p->appended(p->arg);
}

int
posture_event(struct posture *p, const struct ingest_event *ev)
{
	int rc, n;

	if ((rc = spool_begin(p->spool)) != 0) {
		log_warnx(_("The spool cannot start a transaction for an event of rule %s: %s."),
		    ev->rule, vigil_strerror(rc));
		return rc;
	}
	if ((n = posture_event_append(p, ev)) < 0) {
		spool_rollback(p->spool);
		return n;
	}
	if ((rc = spool_commit(p->spool)) != 0) {
		log_warnx(_("The spool cannot commit an event of rule %s: %s."), ev->rule,
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
