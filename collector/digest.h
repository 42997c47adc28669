/*
 * The noise budget's runtime (issue 11): each contact's ledger (budget.h),
 * the messages held past it (outbox rows with status "held"), and the digest
 * that folds them into one message per contact and channel when it is due.
 *
 * escalate_run.c asks digest_admit() before it sends an outbox row; a held
 * row waits in the store (a restart keeps it held, and the digest still
 * goes). The digest is sent through the escalation's own notifier, in the
 * contact's language, listing the incidents (at most DIGEST_LIST_MAX, then
 * how many more), and its rows become "digested".
 */
#ifndef VIGIL_DIGEST_H
#define VIGIL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct collector;
struct escalate_conf;
struct notify;
struct store_outbox_row;
struct digest;

#define DIGEST_LIST_MAX 50                  /* incidents listed in one digest */

/* The runtime for conf's contacts, sending through n; NULL when out of memory. */
struct digest *digest_new(struct collector *c, const struct escalate_conf *conf,
    struct notify *n);
void digest_free(struct digest *d);        /* NULL is a no-op */

/*
 * 1: send row now (counted in its contact's budget); 0: it is held (saved as
 * such) for the contact's digest. severity is the highest of its incidents.
 */
int digest_admit(struct digest *d, const struct store_outbox_row *row, size_t contact,
    int severity, int manual, int64_t now_us);

#endif
