/*
 * The escalation module's private header: what escalate_conf.c (the file),
 * escalate.c (the engine), escalate_explain.c and escalate_state.c share.
 * escalate.h is the module's public header.
 */
#ifndef VIGIL_ESCALATE_INT_H
#define VIGIL_ESCALATE_INT_H

#include "escalate.h"

#define SEC_MS 1000LL
#define MIN_MS (60 * SEC_MS)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
#define MS_US 1000LL

#define WORDS_MAX 64              /* words in one list value */
#define EMAILS_MAX 16
#define ARGV_MAX 32

/* Fields of group_by. */
#define ESC_GROUP_CATEGORY 0x01
#define ESC_GROUP_SEVERITY 0x02
#define ESC_GROUP_UNIT     0x04
#define ESC_GROUP_HOST     0x08
#define ESC_GROUP_AGENT    0x10
#define ESC_GROUP_RULE     0x20
#define ESC_GROUP_INCIDENT 0x40


#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static inline const char *
esc_str(const char *s)
{
	return s != NULL ? s : "";
}

/* escalate_conf.c: the index of a route by label, -1 if none. */
int esc_route_index(const struct escalate_conf *c, const char *label);
/* escalate.c: the chain a route names, NULL if none. */
const struct escalate_chain *esc_track_chain(const struct escalate_conf *c,
    const struct escalate_route *r);

#endif
