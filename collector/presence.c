/* On, off or silent (presence.h): one rule for the silence check, agents and status. */
#include <stddef.h>
#include <string.h>

#include "vigil.pb-c.h"
#include "presence.h"

enum presence
presence_of(const struct presence_facts *f, int64_t now_us, int64_t silent_after_us,
    int64_t *since_us)
{
	enum presence p = PRESENCE_ON;
	int64_t since = 0;

	if (f->connected) {
		/* A Hello wins over a goodbye not yet overwritten in the store. */
	} else if (f->off_us > 0 &&
	    (f->off_reason != VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART ||
	    now_us - f->off_us <= silent_after_us)) {
		p = PRESENCE_OFF;
		since = f->off_us;
	} else if (f->off_us > 0) {
		/* It promised to be back and is not: silent since it said so. */
		p = PRESENCE_SILENT;
		since = f->off_us;
	} else if (now_us - f->last_seen_us > silent_after_us) {
		p = PRESENCE_SILENT;
		since = f->last_seen_us;
	}
	if (since_us != NULL)
		*since_us = since;
	return p;
}

const char *
presence_name(enum presence p)
{
	switch (p) {
	case PRESENCE_ON:
		return "on";
	case PRESENCE_OFF:
		return "off";
	case PRESENCE_SILENT:
		return "silent";
	}
	return "unknown";
}

void
roster_init(struct roster *r)
{
	TAILQ_INIT(&r->head);
	r->n = 0;
}

void
roster_list(struct roster *r, struct roster_entry *e)
{
	if (e->listed)
		return;
	TAILQ_INSERT_TAIL(&r->head, e, link);
	e->listed = 1;
	r->n++;
}

void
roster_unlist(struct roster *r, struct roster_entry *e)
{
	if (!e->listed)
		return;
	TAILQ_REMOVE(&r->head, e, link);
	e->listed = 0;
	r->n--;
}

const struct roster_entry *
roster_find(const struct roster *r, const char *agent)
{
	const struct roster_entry *e;

	TAILQ_FOREACH(e, &r->head, link)
		if (strcmp(e->agent, agent) == 0)
			return e;
	return NULL;
}

size_t
roster_count(const struct roster *r)
{
	return r->n;
}

int
roster_connected(const struct roster *r, const char *agent, int64_t *seen_us)
{
	const struct roster_entry *e = roster_find(r, agent);

	if (e != NULL && seen_us != NULL)
		*seen_us = e->seen_us;
	return e != NULL;
}
