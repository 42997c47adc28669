/*
 * The noise budget (issue 11), pure: whether a message to a contact goes now
 * or is folded into that contact's next digest.
 *
 * - At most max_per_hour messages in any hour (Wazuh mails at most 12 an
 *   hour; 12 is the default, 0 means no limit); past it, messages wait for
 *   the digest.
 * - Incidents below the contact's urgent_min_severity never go at once: they
 *   wait for the digest (the ward Police: only high and critical at once,
 *   the rest once a day).
 * - A message an operator asked for (vigilctl incident escalate) always goes.
 * - A digest goes digest_every after the first message it holds (1 h by
 *   default, 24 h for the Police), and is one message, whatever it holds.
 * - It lists only the incidents nobody has acknowledged for digest_min_age
 *   (0 by default; 24 h for the Police: they hear of an attack below high
 *   only when the unit has not taken it in hand within a day); younger ones
 *   wait for the next digest, which never goes sooner than digest_every
 *   after the last one.
 *
 * The caller keeps one ledger per contact and passes the clock.
 */
#ifndef VIGIL_BUDGET_H
#define VIGIL_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#define BUDGET_WINDOW_US (3600LL * 1000000)
#define BUDGET_PER_HOUR_MAX 1000           /* the largest max_per_hour accepted */

struct budget_conf {
	int max_per_hour;                  /* 0: no limit */
	int urgent_min_severity;           /* proto severity; below it: the digest */
	int64_t digest_every_us;
	int64_t digest_min_age_us;         /* a digest lists incidents unacknowledged this long */
};

/* The times of the messages sent in the last hour, oldest first (a ring). */
struct budget_ledger {
	int64_t sent[BUDGET_PER_HOUR_MAX];
	size_t head, n;
	uint64_t held;                     /* messages folded into digests (a counter) */
};

enum budget_verdict { BUDGET_SEND = 0, BUDGET_HOLD };

/* Decide for one message about an incident of severity; a SEND is counted in l. */
enum budget_verdict budget_decide(const struct budget_conf *c, struct budget_ledger *l,
    int severity, int manual, int64_t now_us);

/*
 * A message that went at at_us, counted in l without a decision: the hour
 * read back from the store after a restart (oldest first).
 */
void budget_record(struct budget_ledger *l, int64_t at_us);

/* When the digest holding messages since first_held_us goes. */
int64_t budget_digest_at(const struct budget_conf *c, int64_t first_held_us);

/*
 * The same, when the last digest to that contact went at last_us (0: none
 * since the start): never sooner than digest_every after it.
 */
int64_t budget_digest_next(const struct budget_conf *c, int64_t first_held_us, int64_t last_us);

/* 1 when a message held at held_us about an incident still unacknowledged is listed at now. */
int budget_digest_lists(const struct budget_conf *c, int64_t held_us, int64_t now_us);

#endif
