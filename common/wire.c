/*
 * Validation of protocol v1 messages. protobuf-c accepts any integer for a
 * proto3 enum and any length for a string, so every limit of wire.h is
 * checked here, and each refusal names the field in a sentence.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/mac.h"
#include "vigil/text.h"
#include "vigil/wire.h"

#define SEVERITY_MAX VIGIL__V1__SEVERITY__SEVERITY_CRITICAL
#define CATEGORY_MAX VIGIL__V1__CATEGORY__CATEGORY_SYSTEM
#define GOODBYE_MAX VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART

/* A string field: at most max bytes of UTF-8; NULL counts as empty. */
static int
check_str(const char *s, const char *name, size_t max, int required, char *why, size_t whylen)
{
	size_t len = s == NULL ? 0 : strlen(s);

	if (len == 0 && required)
		return err_fmt(why, whylen, VIGIL_ERR_MISSING, "%s is missing.", name);
	if (len > max)
		return err_fmt(why, whylen, VIGIL_ERR_TOOBIG, "%s is longer than %zu bytes.", name,
		               max);
	if (len > 0 && !text_utf8_valid(s, len))
		return err_fmt(why, whylen, VIGIL_ERR_UTF8, "%s is not valid UTF-8.", name);
	return 0;
}

static int
check_hello(const Vigil__V1__Hello *h, char *why, size_t whylen)
{
	int rc;

	if (h->proto_major == 0)
		return err_fmt(why, whylen, VIGIL_ERR_MISSING, "hello: proto_major is missing.");
	if ((rc = check_str(h->agent_version, "hello: agent_version", WIRE_MAX_VERSION, 0, why,
	                    whylen)) != 0)
		return rc;
	if ((rc = check_str(h->hostname, "hello: hostname", WIRE_MAX_HOSTNAME, 0, why, whylen)) !=
	    0)
		return rc;
	if ((rc = check_str(h->os, "hello: os", WIRE_MAX_OS, 0, why, whylen)) != 0)
		return rc;
	if ((rc = check_str(h->machine_id, "hello: machine_id", WIRE_MAX_MACHINE_ID, 0, why,
	    whylen)) != 0)
		return rc;
	return check_str(h->unit, "hello: unit", WIRE_MAX_UNIT, 0, why, whylen);
}

static int
check_batch(const Vigil__V1__EventBatch *b, char *why, size_t whylen)
{
	const Vigil__V1__Event *ev;
	char sub[256];
	size_t i;
	int rc;

	if (b->n_events == 0)
		return err_fmt(why, whylen, VIGIL_ERR_EMPTY, "batch: it holds no event.");
	if (b->n_events > WIRE_MAX_BATCH)
		return err_fmt(why, whylen, VIGIL_ERR_TOOBIG,
		               "batch: it holds %zu events, more than %d.", b->n_events,
		               WIRE_MAX_BATCH);
	for (i = 0; i < b->n_events; i++) {
		/* Events are numbered from 1 in messages, as people count them. */
		if ((ev = b->events[i]) == NULL)
			return err_fmt(why, whylen, VIGIL_ERR_MISSING,
			               "batch: event %zu is missing.", i + 1);
		if ((rc = wire_validate_event(ev, sub, sizeof(sub))) != 0)
			return err_fmt(why, whylen, rc, "event %zu (seq %llu): %s", i + 1,
			               (unsigned long long)ev->seq, sub);
		if (i > 0 && ev->seq <= b->events[i - 1]->seq)
			return err_fmt(why, whylen, VIGIL_ERR_ORDER,
			               "event %zu: seq %llu does not follow seq %llu.", i + 1,
			               (unsigned long long)ev->seq,
			               (unsigned long long)b->events[i - 1]->seq);
	}
	return 0;
}

int
wire_validate_event(const Vigil__V1__Event *ev, char *why, size_t whylen)
{
	const Vigil__V1__Field *fl;
	char name[256];
	size_t i;
	int rc;

	if (ev == NULL)
		return err_fmt(why, whylen, VIGIL_ERR_MISSING, "The event is missing.");
	if (ev->seq == 0)
		return err_fmt(why, whylen, VIGIL_ERR_MISSING, "seq is missing.");
	/* Stores keep seq in a signed 64-bit integer (SQLite, PostgreSQL). */
	if (ev->seq > WIRE_MAX_SEQ)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "seq %llu is above %lld.",
		               (unsigned long long)ev->seq, (long long)WIRE_MAX_SEQ);
	if (ev->time_us == 0)
		return err_fmt(why, whylen, VIGIL_ERR_MISSING, "time_us is missing.");
	if (ev->time_us < 0)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "time_us %lld is before 1970.",
		               (long long)ev->time_us);
	if ((int)ev->category <= 0 || (int)ev->category > CATEGORY_MAX)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "category %d is not a known category.",
		               (int)ev->category);
	if ((int)ev->severity <= 0 || (int)ev->severity > SEVERITY_MAX)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "severity %d is not a known severity.",
		               (int)ev->severity);
	if ((rc = check_str(ev->source, "source", WIRE_MAX_SOURCE, 0, why, whylen)) != 0)
		return rc;
	if ((rc = check_str(ev->rule, "rule", WIRE_MAX_RULE, 1, why, whylen)) != 0)
		return rc;
	if ((rc = check_str(ev->summary, "summary", WIRE_MAX_SUMMARY, 1, why, whylen)) != 0)
		return rc;
	if ((rc = check_str(ev->raw, "raw", WIRE_MAX_RAW, 0, why, whylen)) != 0)
		return rc;
	if (ev->n_fields > WIRE_MAX_FIELDS)
		return err_fmt(why, whylen, VIGIL_ERR_TOOBIG, "it has %zu fields, more than %d.",
		               ev->n_fields, WIRE_MAX_FIELDS);
	for (i = 0; i < ev->n_fields; i++) {
		if ((fl = ev->fields[i]) == NULL)
			return err_fmt(why, whylen, VIGIL_ERR_MISSING, "field %zu is missing.",
			               i + 1);
		/* The field's number goes into the reason only when there is one: hot path. */
		if ((rc = check_str(fl->key, "key", WIRE_MAX_FIELD_KEY, 1, why, whylen)) != 0 ||
		    (rc = check_str(fl->value, "value", WIRE_MAX_FIELD_VALUE, 0, why, whylen)) != 0) {
			if (why != NULL && whylen > 0) {
				snprintf(name, sizeof(name), "%s", why);
				return err_fmt(why, whylen, rc, "field %zu %s", i + 1, name);
			}
			return rc;
		}
	}
	return 0;
}

static int
check_tristate(Vigil__V1__Tristate t, const char *name, char *why, size_t whylen)
{
	if ((int)t < 0 || (int)t > VIGIL__V1__TRISTATE__TRISTATE_NO)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "%s %d is not yes, no or unknown.",
		               name, (int)t);
	return 0;
}

/* Unknown counts are -1 and unknown times 0 (vigil.proto); nothing else below. */
static int
check_posture(const Vigil__V1__Posture *p, char *why, size_t whylen)
{
	int rc;

	if ((rc = check_str(p->av_product, "posture: av_product", WIRE_MAX_VERSION, 0, why,
	                    whylen)) != 0 ||
	    (rc = check_str(p->av_version, "posture: av_version", WIRE_MAX_VERSION, 0, why,
	                    whylen)) != 0 ||
	    (rc = check_str(p->os, "posture: os", WIRE_MAX_OS, 0, why, whylen)) != 0 ||
	    (rc = check_str(p->audit_policy, "posture: audit_policy", WIRE_MAX_AUDIT, 0, why,
	                    whylen)) != 0)
		return rc;
	if ((rc = check_tristate(p->av_running, "posture: av_running", why, whylen)) != 0 ||
	    (rc = check_tristate(p->av_realtime, "posture: av_realtime", why, whylen)) != 0 ||
	    (rc = check_tristate(p->reboot_required, "posture: reboot_required", why,
	                         whylen)) != 0)
		return rc;
	if (p->updates_pending < -1)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "posture: updates_pending %d is "
		               "negative.", (int)p->updates_pending);
	if (p->security_updates_pending < -1)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "posture: security_updates_pending "
		               "%d is negative.", (int)p->security_updates_pending);
	if (p->updates_pending >= 0 && p->security_updates_pending > p->updates_pending)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "posture: security_updates_pending "
		               "%d is more than updates_pending %d.",
		               (int)p->security_updates_pending, (int)p->updates_pending);
	if (p->av_signatures_us < 0 || p->security_pending_since_us < 0 ||
	    p->last_update_us < 0 || p->last_upgrade_us < 0)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "posture: a time is before 1970.");
	return 0;
}

/* A sensor's or counter's name: 1 to WIRE_MAX_COUNTER_NAME of [a-z0-9._]. */
static int
check_name(const char *s, const char *name, char *why, size_t whylen)
{
	size_t i, len = s == NULL ? 0 : strlen(s);

	if (len == 0 || len > WIRE_MAX_COUNTER_NAME)
		return err_fmt(why, whylen, VIGIL_ERR_INVAL, "%s is empty or longer than %d bytes.",
		               name, WIRE_MAX_COUNTER_NAME);
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_'))
			return err_fmt(why, whylen, VIGIL_ERR_INVAL, "%s holds a character other than "
			               "a-z, 0-9, '.' and '_'.", name);
	return 0;
}

static int
check_sensors(const Vigil__V1__Heartbeat *hb, char *why, size_t whylen)
{
	size_t i;
	int rc;

	if (hb->n_sensors_unavailable > WIRE_MAX_SENSORS_DOWN)
		return err_fmt(why, whylen, VIGIL_ERR_TOOBIG, "heartbeat: more than %d sensors "
		               "unavailable.", WIRE_MAX_SENSORS_DOWN);
	if (hb->n_sensor_counters > WIRE_MAX_SENSOR_COUNTERS)
		return err_fmt(why, whylen, VIGIL_ERR_TOOBIG, "heartbeat: more than %d sensor "
		               "counters.", WIRE_MAX_SENSOR_COUNTERS);
	for (i = 0; i < hb->n_sensors_unavailable; i++) {
		const Vigil__V1__SensorDown *d = hb->sensors_unavailable[i];

		if (d == NULL)
			return err_fmt(why, whylen, VIGIL_ERR_MISSING, "heartbeat: an empty sensor.");
		if ((rc = check_name(d->sensor, "heartbeat: a sensor's name", why, whylen)) != 0 ||
		    (rc = check_str(d->reason, "heartbeat: a sensor's reason",
		                    WIRE_MAX_SENSOR_REASON, 0, why, whylen)) != 0)
			return rc;
	}
	for (i = 0; i < hb->n_sensor_counters; i++) {
		const Vigil__V1__SensorCounter *c = hb->sensor_counters[i];

		if (c == NULL)
			return err_fmt(why, whylen, VIGIL_ERR_MISSING, "heartbeat: an empty counter.");
		if ((rc = check_name(c->name, "heartbeat: a counter's name", why, whylen)) != 0)
			return rc;
		if (c->value > INT64_MAX)
			return err_fmt(why, whylen, VIGIL_ERR_RANGE, "heartbeat: counter %s is past "
			               "2^63.", c->name);
	}
	return 0;
}

/* A MAC as the agent writes it: lower case, colons, one host's (mac.h). */
static int
check_mac(const char *s, const char *name, char *why, size_t whylen)
{
	unsigned char m[MAC_LEN];
	char canon[MAC_STR_LEN + 1];

	if (s == NULL || mac_parse(s, m) != 0 || (mac_format(m, canon), strcmp(canon, s) != 0))
		return err_fmt(why, whylen, VIGIL_ERR_INVAL, "%s is not a MAC written "
		               "aa:bb:cc:dd:ee:ff.", name);
	if (!mac_is_host(m))
		return err_fmt(why, whylen, VIGIL_ERR_INVAL, "%s %s is a group or empty address.",
		               name, s);
	return 0;
}

static int
check_network(const Vigil__V1__NetworkReport *n, char *why, size_t whylen)
{
	size_t i;
	int rc;

	if (n->n_own_macs > WIRE_MAX_OWN_MACS)
		return err_fmt(why, whylen, VIGIL_ERR_TOOBIG, "network: more than %d own MACs.",
		               WIRE_MAX_OWN_MACS);
	if (n->n_neighbours > WIRE_MAX_NEIGHBOURS)
		return err_fmt(why, whylen, VIGIL_ERR_TOOBIG, "network: more than %d neighbours.",
		               WIRE_MAX_NEIGHBOURS);
	for (i = 0; i < n->n_own_macs; i++)
		if ((rc = check_mac(n->own_macs[i], "network: an own MAC", why, whylen)) != 0)
			return rc;
	for (i = 0; i < n->n_neighbours; i++) {
		const Vigil__V1__Neighbour *e = n->neighbours[i];

		if (e == NULL)
			return err_fmt(why, whylen, VIGIL_ERR_MISSING, "network: an empty neighbour.");
		if ((rc = check_mac(e->mac, "network: a neighbour's MAC", why, whylen)) != 0 ||
		    (rc = check_str(e->ip, "network: a neighbour's ip", WIRE_MAX_IP, 1, why,
		                    whylen)) != 0 ||
		    (rc = check_str(e->ifname, "network: a neighbour's ifname", WIRE_MAX_IFNAME, 0,
		                    why, whylen)) != 0)
			return rc;
	}
	return 0;
}

static int
check_heartbeat(const Vigil__V1__Heartbeat *hb, char *why, size_t whylen)
{
	int rc;

	if (hb->time_us < 0)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "heartbeat: time_us %lld is before "
		               "1970.", (long long)hb->time_us);
	if ((rc = check_sensors(hb, why, whylen)) != 0)
		return rc;
	if (hb->network != NULL && (rc = check_network(hb->network, why, whylen)) != 0)
		return rc;
	if (hb->posture != NULL)
		return check_posture(hb->posture, why, whylen);
	return 0;
}

/* A reason this version does not know is refused like any other enum: a newer agent checks Welcome. */
static int
check_goodbye(const Vigil__V1__Goodbye *g, char *why, size_t whylen)
{
	if ((int)g->reason == 0)
		return err_fmt(why, whylen, VIGIL_ERR_MISSING, "goodbye: reason is missing.");
	if ((int)g->reason < 0 || (int)g->reason > GOODBYE_MAX)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "goodbye: reason %d is not a known "
		               "reason.", (int)g->reason);
	if (g->time_us < 0)
		return err_fmt(why, whylen, VIGIL_ERR_RANGE, "goodbye: time_us %lld is before "
		               "1970.", (long long)g->time_us);
	return check_str(g->detail, "goodbye: detail", WIRE_MAX_GOODBYE_DETAIL, 0, why, whylen);
}

static int
check_enroll_request(const Vigil__V1__EnrollRequest *e, char *why, size_t whylen)
{
	int rc;

	/* A re-enrolment proves the old key instead of a token. */
	if ((rc = check_str(e->old_cert_pem, "enroll: old_cert_pem", WIRE_MAX_PEM, 0, why,
	                    whylen)) != 0 ||
	    (rc = check_str(e->token, "enroll: token", WIRE_MAX_TOKEN, e->old_cert_pem == NULL ||
	                    e->old_cert_pem[0] == '\0',
	                    why, whylen)) != 0 ||
	    (rc = check_str(e->csr_pem, "enroll: csr_pem", WIRE_MAX_PEM, 1, why, whylen)) != 0 ||
	    (rc = check_str(e->hostname, "enroll: hostname", WIRE_MAX_HOSTNAME, 0, why,
	                    whylen)) != 0)
		return rc;
	return check_str(e->machine_id, "enroll: machine_id", WIRE_MAX_MACHINE_ID, 0, why, whylen);
}

static int
check_enroll_result(const Vigil__V1__EnrollResult *r, char *why, size_t whylen)
{
	int rc;

	if ((rc = check_str(r->reason, "enroll result: reason", WIRE_MAX_REASON, 0, why,
	                    whylen)) != 0 ||
	    (rc = check_str(r->agent_id, "enroll result: agent_id", WIRE_MAX_UNIT, 0, why,
	                    whylen)) != 0 ||
	    (rc = check_str(r->unit, "enroll result: unit", WIRE_MAX_UNIT, 0, why, whylen)) != 0 ||
	    (rc = check_str(r->cert_pem, "enroll result: cert_pem", WIRE_MAX_PEM, 0, why,
	                    whylen)) != 0)
		return rc;
	return check_str(r->ca_pem, "enroll result: ca_pem", WIRE_MAX_PEM, 0, why, whylen);
}

int
wire_validate(const Vigil__V1__Frame *f, char *why, size_t whylen)
{
	int rc;

	if (f == NULL)
		return err_fmt(why, whylen, VIGIL_ERR_INVAL, "There is no frame.");

	switch (f->msg_case) {
	case VIGIL__V1__FRAME__MSG__NOT_SET:
		return err_fmt(why, whylen, VIGIL_ERR_MISSING, "The frame carries no message.");
	case VIGIL__V1__FRAME__MSG_HELLO:
		if (f->hello == NULL)
			break;
		return check_hello(f->hello, why, whylen);
	case VIGIL__V1__FRAME__MSG_WELCOME:
		if (f->welcome == NULL)
			break;
		if ((rc = check_str(f->welcome->collector_version, "welcome: collector_version",
		                    WIRE_MAX_VERSION, 0, why, whylen)) != 0)
			return rc;
		return check_str(f->welcome->ca_bundle_pem, "welcome: ca_bundle_pem",
		                 WIRE_MAX_CA_BUNDLE, 0, why, whylen);
	case VIGIL__V1__FRAME__MSG_CA_BUNDLE:
		if (f->ca_bundle == NULL)
			break;
		return check_str(f->ca_bundle->ca_bundle_pem, "ca bundle: ca_bundle_pem",
		                 WIRE_MAX_CA_BUNDLE, 1, why, whylen);
	case VIGIL__V1__FRAME__MSG_BATCH:
		if (f->batch == NULL)
			break;
		return check_batch(f->batch, why, whylen);
	case VIGIL__V1__FRAME__MSG_ACK:
		if (f->ack == NULL)
			break;
		return 0;
	case VIGIL__V1__FRAME__MSG_HEARTBEAT:
		if (f->heartbeat == NULL)
			break;
		return check_heartbeat(f->heartbeat, why, whylen);
	case VIGIL__V1__FRAME__MSG_ERROR:
		if (f->error == NULL)
			break;
		return check_str(f->error->reason, "error: reason", WIRE_MAX_REASON, 0, why,
		                 whylen);
	case VIGIL__V1__FRAME__MSG_GOODBYE:
		if (f->goodbye == NULL)
			break;
		return check_goodbye(f->goodbye, why, whylen);
	case VIGIL__V1__FRAME__MSG_ENROLL_REQUEST:
		if (f->enroll_request == NULL)
			break;
		return check_enroll_request(f->enroll_request, why, whylen);
	case VIGIL__V1__FRAME__MSG_RENEW_REQUEST:
		if (f->renew_request == NULL)
			break;
		return check_str(f->renew_request->csr_pem, "renew: csr_pem", WIRE_MAX_PEM, 1, why,
		                 whylen);
	case VIGIL__V1__FRAME__MSG_RENEW_RESULT:
		if (f->renew_result == NULL)
			break;
		if (check_str(f->renew_result->reason, "renew result: reason", WIRE_MAX_REASON, 0,
		              why, whylen) != 0)
			return VIGIL_ERR_TOOBIG;
		return check_str(f->renew_result->cert_pem, "renew result: cert_pem", WIRE_MAX_PEM, 0,
		                 why, whylen);
	case VIGIL__V1__FRAME__MSG_ENROLL_RESULT:
		if (f->enroll_result == NULL)
			break;
		return check_enroll_result(f->enroll_result, why, whylen);
	default:
		return err_fmt(why, whylen, VIGIL_ERR_RANGE,
		               "The frame carries message kind %d, which is unknown.",
		               (int)f->msg_case);
	}
	return err_fmt(why, whylen, VIGIL_ERR_MISSING,
	               "The frame names message kind %d but carries none.", (int)f->msg_case);
}
