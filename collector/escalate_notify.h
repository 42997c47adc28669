/*
 * "Escalate to Police": an operator sends one incident at once to the
 * contacts of a route's notify_now (the ward Police, route "police") or to
 * one contact, whatever the chain, the acknowledgement or the noise budget
 * say (an operator asked for it). Every message is an outbox row with its
 * retries like any other, and an audit record with the operator's name, the
 * contact, the channel and the address.
 *
 * vigilctl incident notify N WHO   (WHO: a route label or a contact label)
 */
#ifndef VIGIL_ESCALATE_NOTIFY_H
#define VIGIL_ESCALATE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct collector;
struct escalate_conf;

#define ESC_TOLD_MAX 32   /* contacts x channels told by one request */

/* One message sent: to whom, how, where. Strings point into the configuration. */
struct escalate_told {
	const char *contact, *name, *channel, *target;
	int64_t outbox;
};

/*
 * The contacts who would be told for who, as indexes into c->contacts:
 * a route's notify_now contacts (or, when it has none, its chain's first
 * level), or the one contact of that label. Returns how many (0..max), or
 * VIGIL_ERR_NOTFOUND when who names neither. Pure.
 */
int escalate_notify_who(const struct escalate_conf *c, const char *who, size_t *out,
    size_t max);

/*
 * Tell incident id's WHO now, as actor (the operator), at now_us: save the
 * outbox rows and audit records in one transaction, then send. The messages
 * are in told[0..*ntold). 0, or -1 with a sentence in err (no such incident,
 * no such route or contact, escalation off, the store failed).
 */
int escalate_notify_now(struct collector *c, int64_t id, const char *who, const char *actor,
    int64_t now_us, struct escalate_told *told, size_t *ntold, char *err, size_t errlen);

/*
 * The chain of incident id at level (its first level when a route's chain
 * is shorter; a route without a chain: its notify_now), whatever its state:
 * also once it is resolved, when the escalation has stopped (a closing
 * report's deadline still needs people). Told as escalate_notify_now()
 * tells; why ends each audit record. 0, or -1 with a sentence in err.
 */
int escalate_notify_level(struct collector *c, int64_t id, int level, const char *actor,
    const char *why, int64_t now_us, struct escalate_told *told, size_t *ntold, char *err,
    size_t errlen);

/* The contacts of inc's routes at level, as above, and the route of each. Pure. */
struct escalate_incident;
int escalate_notify_level_who(const struct escalate_conf *c, const struct escalate_incident *inc,
    int level, size_t *out, const char **routes, size_t max);

#endif
