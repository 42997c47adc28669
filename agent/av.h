/*
 * av.c: the antivirus sensor, behind a provider interface. A provider says
 * whether the product runs, its engine version and the date of its
 * signatures (av_clamd.c: ClamAV through clamd's socket; av.c: a generic
 * provider for other products, by process name or systemd unit), and
 * recognises detections in the product's log. The sensor checks on a timer
 * (check_interval: with the update sensor's, the only timers of the agent),
 * follows the log with inotify, keeps the posture's antivirus part current
 * and turns state changes and detections into events:
 *
 *   av.stopped, av.started, av.signatures_old   (antivirus state)
 *   malware.detected                            (fields signature, path)
 */
#ifndef VIGIL_AGENT_AV_H
#define VIGIL_AGENT_AV_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "agent.h"
#include "conf.h"
#include "dirwatch.h"
#include "posture.h"

#define AV_REPLY_MAX 1024            /* the longest clamd reply we accept */
#define AV_CHECK_TIMEOUT_MS 5000     /* one clamd exchange: connect, command, reply */

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

/* ---- pure parsers (av_clamd.c), for tests ------------------------------- */

/*
 * One clamd reply to a z-command: the bytes up to the first NUL (clamd's
 * terminator), or all of them when the peer closed without one. Refuses
 * (VIGIL_ERR_DECODE) control characters and invalid UTF-8, and
 * (VIGIL_ERR_TOOBIG) a reply of AV_REPLY_MAX bytes or more. A trailing
 * newline is dropped. Copies the NUL-terminated text to out[cap].
 */
int av_clamd_reply(const char *buf, size_t len, char *out, size_t cap);

/*
 * The reply to VERSION: "ClamAV 1.4.6" or "ClamAV 1.4.6/27800/Thu Nov 12
 * 14:31:08 2026" -> version, database version and date (clamd's local time).
 * Returns 0 (fields unknown when absent) or VIGIL_ERR_DECODE.
 */
int av_clamd_version(const char *reply, struct av_status *st);

/* "Thu Nov 12 14:31:08 2026" (ctime, local time) -> microseconds; 0 or VIGIL_ERR_DECODE. */
int av_ctime_parse(const char *s, size_t len, int64_t *us);

/*
 * A clamd log line reporting a detection: "[TIME -> ]PATH: SIGNATURE FOUND".
 * Returns 1 and fills d, or 0 when the line is not one.
 */
int av_clamd_found(const char *line, size_t len, struct av_detection *d);

/* ---- the generic provider's pure parts (av.c) ---------------------------- */

/* Is comm (a /proc/PID/comm, maybe with its newline) the process `name`? */
int av_comm_matches(const char *comm, size_t len, const char *name);

/*
 * Does line contain the literal pattern? Then 1, and d holds what the line
 * says in clamd's shape when it has one, else signature "unknown" and the
 * line itself (cut) as path.
 */
int av_generic_found(const char *line, size_t len, const char *pattern,
    struct av_detection *d);

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

struct av_provider {
	const char *product;
	/* Start a check; done(arg, status) runs when it is known (maybe later, from the loop). */
	void (*check)(struct av_provider *pv, av_done_fn done, void *arg);
	/* Is this log line a detection? 1 and d filled, or 0. */
	int (*found)(struct av_provider *pv, const char *line, size_t len, struct av_detection *d);
	void (*free)(struct av_provider *pv);
};

/* ClamAV: clamd at sock (a Unix socket path or "127.0.0.1:PORT"); non-blocking, on base. */
struct av_provider *av_clamd_new(struct event_base *base, const char *sock);

/* Generic: process and/or unit must run (either suffices); pattern marks detections. */
struct av_provider *av_generic_new(const char *name, const char *process, const char *unit,
    const char *pattern);

/* Is a process called name running? (/proc/ * /comm) */
int av_process_running(const char *name);

/* ---- the sensor ------------------------------------------------------------ */

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

#endif
