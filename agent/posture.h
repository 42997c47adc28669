/*
 * posture.c: what the sensors report. The posture snapshot (the facts
 * compliance is computed from: antivirus, updates, reboot, USB), kept
 * current by the sensors, with a "changed" notification so the uplink can
 * send a heartbeat at once; and the sink of the sensors' state-change
 * events, each appended to the spool in its own transaction.
 */
#ifndef VIGIL_AGENT_POSTURE_H
#define VIGIL_AGENT_POSTURE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/wire.h"
#include "spool.h"
#include "ingest.h"

#define POSTURE_MAX_PRODUCT 64

/* The parts of the snapshot; a part is absent until its sensor reports. */
#define POSTURE_PART_AV      0x1u
#define POSTURE_PART_UPDATES 0x2u
#define POSTURE_PART_USB     0x4u
#define POSTURE_PART_AUDIT   0x8u

/* Tristates are Vigil__V1__Tristate values: 0 unknown, 1 yes, 2 no. */
struct posture_av {
	char product[POSTURE_MAX_PRODUCT];   /* "": no antivirus found */
	int running;
	int realtime;
	char version[WIRE_MAX_VERSION + 1];  /* engine version */
	int64_t signatures_us;               /* date of the newest signatures; 0 unknown */
};

struct posture_updates {
	int32_t pending;                     /* -1 unknown */
	int32_t security_pending;            /* -1 unknown */
	int64_t security_pending_since_us;   /* 0: none pending (or unknown) */
	int64_t last_update_us;              /* last package-list update; 0 unknown */
	int64_t last_upgrade_us;             /* last upgrade; 0 unknown */
	int reboot_required;                 /* tristate */
	char os[WIRE_MAX_OS + 1];
};

struct posture_snapshot {
	unsigned parts;                      /* POSTURE_PART_* reported so far */
	struct posture_av av;
	struct posture_updates updates;
	uint32_t usb_policy_blocked;
	char audit_policy[WIRE_MAX_AUDIT + 1];   /* Windows (auditpol.h); "" not reported */
};

/* Bits of posture_diff(): which facts differ. */
#define POSTURE_DIFF_PARTS       0x001u
#define POSTURE_DIFF_AV_PRODUCT  0x002u
#define POSTURE_DIFF_AV_RUNNING  0x004u
#define POSTURE_DIFF_AV_REALTIME 0x008u
#define POSTURE_DIFF_AV_VERSION  0x010u
#define POSTURE_DIFF_AV_SIGS     0x020u
#define POSTURE_DIFF_UPDATES     0x040u
#define POSTURE_DIFF_SECURITY    0x080u
#define POSTURE_DIFF_LAST        0x100u
#define POSTURE_DIFF_REBOOT      0x200u
#define POSTURE_DIFF_OS          0x400u
#define POSTURE_DIFF_USB         0x800u
#define POSTURE_DIFF_AUDIT       0x1000u

/* Pure: the facts that differ between a and b (0: the same). */
unsigned posture_diff(const struct posture_snapshot *a, const struct posture_snapshot *b);

/*
 * Fill out (initialised here) from s, its strings pointing into s. Returns 0
 * when no part has been reported (send no Posture), 1 otherwise. Pure.
 */
int posture_to_wire(const struct posture_snapshot *s, Vigil__V1__Posture *out);

struct posture;

/*
 * A posture sink writing events to spool; appended(arg) runs after each
 * commit that added events (as for the log sources). Borrows spool.
 */
struct posture *posture_new(struct spool *spool, void (*appended)(void *arg), void *arg);
void posture_free(struct posture *p);                      /* NULL is a no-op */

/*
 * changed(arg) runs after a setter changed a fact (not for a report that
 * changed nothing). Set by whoever sends the posture (the uplink's owner).
 */
void posture_on_change(struct posture *p, void (*changed)(void *arg), void *arg);

/* The sensors' reports: each replaces its part of the snapshot. */
void posture_set_av(struct posture *p, const struct posture_av *av);
void posture_set_updates(struct posture *p, const struct posture_updates *up);
void posture_set_usb_blocked(struct posture *p, uint32_t blocked);
void posture_set_audit(struct posture *p, const char *audit_policy);

const struct posture_snapshot *posture_get(const struct posture *p);

/*
 * Append an event a sensor observed (ingest_append()) to the spool inside
 * the caller's transaction (the caller commits it with a position, then
 * calls posture_appended()). Returns 1 when appended, 0 when the event
 * failed validation (logged, counted, skipped), or a negative vigil_err when
 * the spool failed.
 */
int posture_event_append(struct posture *p, const struct ingest_event *ev);
/* After the caller's commit of appended events. */
void posture_appended(struct posture *p);
/* One event in its own transaction; 0 or a negative vigil_err (logged). */
int posture_event(struct posture *p, const struct ingest_event *ev);

uint64_t posture_events_rejected(const struct posture *p);
struct spool *posture_spool(const struct posture *p);

#endif
