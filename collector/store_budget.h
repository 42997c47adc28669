/*
 * The noise budget in the store (digest.h): outbox rows "held" past their
 * contact's budget, then "digested" once their digest went (migration 8).
 */
#ifndef VIGIL_STORE_BUDGET_H
#define VIGIL_STORE_BUDGET_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct store_held {
	int64_t id, incident;
	char contact[128], channel[16], target[1024], language[8];
	int64_t held_us;
};

/* A pending row is held for the digest. 0 or VIGIL_ERR_DB. */
int store_budget_hold(struct store *st, int64_t outbox_id, int64_t now_us);
/* Its digest went. 0 or VIGIL_ERR_DB. */
int store_budget_digested(struct store *st, int64_t outbox_id, int64_t now_us);
/* Every held row, oldest first, in *out (malloc'd; the caller frees). */
int store_budget_held(struct store *st, struct store_held **out, size_t *n);

/*
 * The messages that went past the budget (outbox rows neither held nor
 * digested) created after since_us, oldest first: fn(arg, contact, created_us)
 * for each, so that a restart counts the hour already spent. 0 or VIGIL_ERR_DB.
 */
typedef void (*store_budget_sent_fn)(void *arg, const char *contact, int64_t created_us);
int store_budget_sent_since(struct store *st, int64_t since_us, store_budget_sent_fn fn,
    void *arg);

/*
 * The time each contact's last digest went (the latest digested row's
 * done_us, one call per contact that has one), so that a restart does not
 * send a digest sooner than digest_every after the last. 0 or VIGIL_ERR_DB.
 */
int store_budget_last_digests(struct store *st, store_budget_sent_fn fn, void *arg);

#endif
