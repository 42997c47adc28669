/*
 * Compliance of one machine, from the last posture it reported while on and
 * when its agent was last heard from. A pure core: the facts, the limits and
 * the time are arguments; nothing here reads a clock, a file or the store.
 *
 * Off, not silent (DESIGN §5): a machine that is switched off, asleep or
 * silent is not non-compliant for that alone. It is judged on its last
 * state, as of the moment it was last heard from (the "as of" time): its
 * signatures' age and how long an update had waited then. A machine whose
 * agent is connected is judged as of now. Only a long absence counts by
 * itself: not seen for more than offline_after.
 *
 * A machine is compliant when all of these hold:
 *   - its agent has reported at all, and is on, or was seen within
 *     offline_after;
 *   - it has reported a posture at all;
 *   - an antivirus is named and running (Tristate YES);
 *   - the newest signature database has a known date younger than
 *     signature_max_age (as of);
 *   - no security update has waited longer than security_grace (as of; a
 *     count above 0 with a known start older than the grace, or with no
 *     known start).
 * An unknown update count (-1) is no violation by itself; it is noted as
 * "updates unknown" among the reasons. A Windows audit policy that lacks a
 * subcategory Vigil's rules need is noted too ("audit policy incomplete:
 * pnp(success)"): the machine is still judged compliant, but the rules that
 * need it cannot fire there.
 */
#ifndef VIGIL_COMPLIANCE_H
#define VIGIL_COMPLIANCE_H

#include <stddef.h>
#include <stdint.h>

#define COMPLIANCE_REASONS_MAX 512     /* the reasons, "; "-joined, with the NUL */

/* What compliance is computed from; times in microseconds since the epoch, 0 unknown. */
struct compliance_facts {
	int64_t last_seen_us;          /* 0: never */
	int on;                        /* its agent is connected: judged as of now */
	int has_posture;               /* 0: the rest is ignored */
	const char *av_product;        /* "" or NULL: no antivirus found */
	int av_running;                /* Vigil__V1__Tristate: 0 unknown, 1 yes, 2 no */
	int64_t av_signatures_us;
	int32_t security_updates_pending;   /* -1: unknown */
	int64_t security_pending_since_us;
	const char *audit_policy;      /* the posture's text (agent/auditpol.h); NULL or "": none */
};

/* Limits in microseconds. */
struct compliance_limits {
	int64_t offline_after_us;      /* not seen for longer (and not on): not compliant */
	int64_t signature_max_age_us;
	int64_t security_grace_us;
};

/* Each rule that failed is a bit of violations; notes do not make a machine non-compliant. */
enum compliance_rule {
	COMPLIANCE_NOT_SEEN = 1 << 0,  /* never reported, or not seen for offline_after */
	COMPLIANCE_NO_POSTURE = 1 << 1,
	COMPLIANCE_NO_AV = 1 << 2,
	COMPLIANCE_AV_STOPPED = 1 << 3,
	COMPLIANCE_AV_UNKNOWN = 1 << 4,
	COMPLIANCE_SIGS_UNKNOWN = 1 << 5,
	COMPLIANCE_SIGS_OLD = 1 << 6,
	COMPLIANCE_SECURITY_LATE = 1 << 7,
	COMPLIANCE_NOTE_UPDATES_UNKNOWN = 1 << 8,   /* a note, never a violation */
	COMPLIANCE_NOTE_AUDIT_INCOMPLETE = 1 << 9,  /* a note too */
};

struct compliance_result {
	int compliant;                 /* 1: no violation */
	unsigned violations;           /* enum compliance_rule bits */
	unsigned notes;                /* COMPLIANCE_NOTE_* bits */
	/* Every violation, then every note, as short sentences joined with "; ". */
	char reasons[COMPLIANCE_REASONS_MAX];
};

/* The time f is judged as of at now_us: now when on, else its last word (never later than now). */
int64_t compliance_as_of(const struct compliance_facts *f, int64_t now_us);

/*
 * Judge one machine at now_us, its reasons in the program's language
 * (i18n_set_language()). Returns 0, or VIGIL_ERR_INVAL for NULL arguments.
 */
int compliance_eval(const struct compliance_facts *f, const struct compliance_limits *l,
    int64_t now_us, struct compliance_result *r);
/* The same with the reasons in lang ("vi", "en"; NULL: the program's language). */
int compliance_eval_in(const char *lang, const struct compliance_facts *f,
    const struct compliance_limits *l, int64_t now_us, struct compliance_result *r);

/*
 * compliant of machines as a whole percentage, rounded to the nearest, but
 * 100 only when every machine is compliant and 0 only when none is: a unit
 * one machine short of the target never shows it met. 0 machines: 0.
 */
int compliance_percent(long long compliant, long long machines);

/* Whole days in age_us (0 for a negative age: a date ahead of our clock). */
long long compliance_age_days(int64_t age_us);

#endif
