/*
 * updates.c: the OS-update sensor (Debian, Ubuntu). It counts pending and
 * security upgrades from a simulated upgrade (apt_command, run with
 * posix_spawn, its output bounded, never while apt or dpkg holds its lock),
 * reads the last upgrade from apt's history log, the last package-list
 * update from apt's success stamp, a required reboot from
 * /run/reboot-required, and the OS name from os-release, all under a
 * configurable root. It runs at start-up, every check_interval, and shortly
 * after dpkg or apt wrote their logs (inotify); reboot-required is noticed
 * at once. Events:
 *
 *   update.security_pending   security upgrades became pending
 *   update.reboot_required    a reboot became required
 *   software.installed, software.removed   (dpkg.log, package_events = yes)
 */
#ifndef VIGIL_AGENT_UPDATES_H
#define VIGIL_AGENT_UPDATES_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "../conf.h"
#include "../dirwatch.h"
#include "../posture.h"
#include "../sensor.h"

#define UPDATES_OUTPUT_MAX (4 * 1024 * 1024)  /* apt's output; past it the run is void */
#define UPDATES_RUN_TIMEOUT_S 600             /* a simulated upgrade taking longer is killed */
#define UPDATES_SETTLE_MS 30000               /* after dpkg or apt activity, wait this long */
#define UPDATES_HISTORY_MAX (1024 * 1024)     /* the tail of history.log that is read */

/* ---- pure parsers, for tests --------------------------------------------- */

struct updates_apt {
	int32_t pending;                 /* Inst lines */
	int32_t security;                /* of which from a security archive */
	char first_security[128];        /* the first security package's name */
};

/*
 * The output of `apt-get -s upgrade`: counts its Inst lines, and those whose
 * origins name a security archive ("Debian-Security:", "...-security").
 * Returns 0, or VIGIL_ERR_DECODE when the output has neither an Inst line
 * nor apt's "N upgraded, ..." summary (an error, or not apt at all).
 */
int updates_parse_apt(const char *text, size_t len, struct updates_apt *out);

/* "2026-05-09  07:28:46" (local time, as apt and dpkg write it) -> microseconds. */
int updates_parse_date(const char *s, size_t len, int64_t *us);

struct updates_history {
	int64_t last_upgrade_us;         /* End-Date of the last successful upgrade; 0 none */
	int64_t last_activity_us;        /* End-Date of the last entry of any kind; 0 none */
};

/*
 * apt's history.log: entries of Start-Date, Commandline, Install/Upgrade/
 * Remove..., Error, End-Date. An upgrade is an entry with an Upgrade line,
 * an End-Date and no Error, run as an upgrade (its Commandline names
 * upgrade, dist-upgrade or full-upgrade, or it has none: unattended-upgrades).
 * Pure; a torn first or last entry is ignored.
 */
void updates_parse_history(const char *text, size_t len, struct updates_history *out);

enum updates_dpkg_kind { UPDATES_DPKG_OTHER, UPDATES_DPKG_INSTALLED, UPDATES_DPKG_REMOVED };
struct updates_dpkg {
	char package[128];               /* with its architecture: "openssl:amd64" */
	char version[128];
	int64_t time_us;
};

/*
 * One dpkg.log line: "DATE TIME install PKG <none> VERSION" is an install,
 * "DATE TIME remove PKG VERSION <none>" a removal; anything else OTHER.
 */
enum updates_dpkg_kind updates_parse_dpkg(const char *line, size_t len, struct updates_dpkg *out);

/* PRETTY_NAME of an os-release text, unquoted, into out[cap]; 0 or VIGIL_ERR_NOTFOUND. */
int updates_parse_os_release(const char *text, size_t len, char *out, size_t cap);

/*
 * What the sensor keeps across restarts, in the spool (cursor
 * "sensor.updates"): "SINCE UPDATE UPGRADE REBOOT", four decimal numbers
 * separated by one space. Parsed into *st, times before 1970 as 0
 * (unknown); 0, or VIGIL_ERR_DECODE for anything else (then nothing is
 * taken from it).
 */
struct updates_state {
	int64_t security_pending_since_us;
	int64_t last_update_us;
	int64_t last_upgrade_us;
	int reboot_announced;
};
int updates_state_parse(const char *text, struct updates_state *st);

/* Does some process hold a lock on path (fcntl F_OFD_GETLK)? 1, 0, or -1 on error. */
int updates_lock_held(const char *path);

/* ---- the sensor ------------------------------------------------------------ */

struct updates;

/*
 * Start the sensor (enabled = no: NULL, err empty): reads the files and
 * starts the first simulated upgrade before it returns; dw wakes it when
 * dpkg, apt or a reboot-required file write. Borrows base, dw and p.
 */
struct updates *updates_new(struct event_base *base, struct dirwatch *dw, struct posture *p,
    const struct agent_conf_updates *conf, size_t max_line, char *err, size_t errlen);
void updates_free(struct updates *u);                      /* NULL is a no-op */

/* The sensor of [updates]. */
extern const struct sensor_driver sensor_updates;

#endif
