/*
 * av.c: the antivirus sensor and its providers. A provider says whether the
 * product runs, its engine version and the date of its signatures, and
 * recognises detections in the product's log; providers are drivers, named
 * tables of functions found by the [antivirus] provider key, as OpenSMTPD's
 * table backends are (agent/linux/drivers.c lists Linux's: clamav in
 * av_clamd.c, generic in av_generic.c). The sensor checks on a timer
 * (check_interval: with the update sensor's, the only timers of the agent),
 * follows the detection log through the platform's file follower
 * (follow.h), keeps the posture's antivirus part current and turns state
 * changes and detections into events:
 *
 *   av.stopped, av.started, av.signatures_old   (antivirus state)
 *   malware.detected                            (fields signature, path)
 *
 * This file names no provider: a new one is a file and a line in its
 * platform's table.
 */
#ifndef VIGIL_AGENT_AV_H
#define VIGIL_AGENT_AV_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "vigil/wire.h"
#include "conf.h"
#include "dirwatch.h"
#include "posture.h"
#include "sensor.h"

/* What one check found. Tristates as in posture.h. */
struct av_status {
	int running;
	int realtime;
	char version[WIRE_MAX_VERSION + 1];
	uint32_t db_version;                 /* 0 unknown */
	int64_t signatures_us;               /* 0 unknown */
	char why[256];                       /* not running: why, as a phrase */
};

struct av_detection {
	char signature[256];
	char path[WIRE_MAX_FIELD_VALUE + 1];
};

/* ---- the state changes, pure --------------------------------------------- */

#define AV_EV_STOPPED   0x1u
#define AV_EV_STARTED   0x2u
#define AV_EV_SIGS_OLD  0x4u

struct av_state {
	int running;     /* tristate, as last seen; unknown before the first check */
	int sigs_old;    /* 1 while signatures are older than the maximum age */
};

/*
 * Fold one check into st and return the events due: stopped when it was
 * running or unknown and is not now; started when it was stopped and runs;
 * signatures old once when the signatures pass max_age_us (again only after
 * they were fresh in between). Unknown dates raise nothing.
 */
unsigned av_assess(struct av_state *st, const struct av_status *now, int64_t now_us,
    int64_t max_age_us);

/* ---- providers ----------------------------------------------------------- */

typedef void (*av_done_fn)(void *arg, const struct av_status *st);

/* One provider at work: a product being watched. */
struct av_provider {
	const char *product;
	/* Start a check; done(arg, status) runs when it is known (maybe later, from the loop). */
	void (*check)(struct av_provider *pv, av_done_fn done, void *arg);
	/* Is this log line a detection? 1 and d filled, or 0. */
	int (*found)(struct av_provider *pv, const char *line, size_t len, struct av_detection *d);
	void (*free)(struct av_provider *pv);
};

/* A kind of provider, found by its name in [antivirus] provider = NAME. */
struct av_provider_driver {
	const char *name;
	/*
	 * The configuration's own checks for this provider: 0, or a sentence in
	 * err and in *key the key at fault (NULL: the section), for its line.
	 */
	int (*check)(const struct agent_conf_antivirus *conf, const char **key, char *err,
	    size_t errlen);
	/*
	 * A provider for conf on base, and in *log the detection log it reads
	 * ("": none). NULL with a sentence in err.
	 */
	struct av_provider *(*open)(struct event_base *base,
	    const struct agent_conf_antivirus *conf, const char **log, char *err, size_t errlen);
};

/* The platform's providers (agent/linux/drivers.c), NULL-terminated. */
extern const struct av_provider_driver *const av_providers[];

/* The provider called name, or NULL ("none" is no provider at all). */
const struct av_provider_driver *av_provider_find(const char *name);

/*
 * "clamav, generic or none": the names a configuration may give, for the
 * message that refuses another, into buf.
 */
void av_provider_names(char *buf, size_t len);

/* ---- the sensor ------------------------------------------------------------ */

#define AV_REPLY_MAX 1024            /* the longest reply a provider takes from its product */

struct av_sensor;

/*
 * Start the sensor of conf (provider "none": NULL without an error, err
 * empty). Checks once at once, then every check_interval; follows the
 * detection log from the position the spool holds (from its end the first
 * time), woken by dw, its directory watched again by the check when it was
 * not there. Borrows base, dw and p. Returns NULL with a sentence in err.
 */
struct av_sensor *av_new(struct event_base *base, struct dirwatch *dw, struct posture *p,
    const struct agent_conf_antivirus *conf, size_t max_line, char *err, size_t errlen);
void av_free(struct av_sensor *s);                       /* NULL is a no-op */

/* The sensor's driver: [antivirus]. */
extern const struct sensor_driver sensor_antivirus;

#endif
