/*
 * The noise budget (budget.h). A ring of send times per contact: the budget
 * is a sliding hour, not a clock hour, so 12 messages at 10:59 and 12 more at
 * 11:01 cannot happen.
 */
#include "budget.h"

static void
prune(struct budget_ledger *l, int64_t now_us)
{
	while (l->n > 0 && l->sent[l->head] <= now_us - BUDGET_WINDOW_US) {
		l->head = (l->head + 1) % BUDGET_PER_HOUR_MAX;
		l->n--;
	}
}

static void
record(struct budget_ledger *l, int64_t now_us)
{
	if (l->n == BUDGET_PER_HOUR_MAX) {           /* no limit: only the newest are kept */
		l->head = (l->head + 1) % BUDGET_PER_HOUR_MAX;
		l->n--;
	}
	l->sent[(l->head + l->n) % BUDGET_PER_HOUR_MAX] = now_us;
	l->n++;
}

enum budget_verdict
budget_decide(const struct budget_conf *c, struct budget_ledger *l, int severity, int manual,
    int64_t now_us)
{
	prune(l, now_us);
	if (!manual && severity < c->urgent_min_severity) {
		l->held++;
		return BUDGET_HOLD;
	}
	if (!manual && c->max_per_hour > 0 && l->n >= (size_t)c->max_per_hour) {
		l->held++;
		return BUDGET_HOLD;
	}
	record(l, now_us);
	return BUDGET_SEND;
}

void
budget_record(struct budget_ledger *l, int64_t at_us)
{
	prune(l, at_us);
	record(l, at_us);
}

int64_t
budget_digest_at(const struct budget_conf *c, int64_t first_held_us)
{
	return first_held_us + c->digest_every_us;
}

int64_t
budget_digest_next(const struct budget_conf *c, int64_t first_held_us, int64_t last_us)
{
	int64_t at = budget_digest_at(c, first_held_us);

	if (last_us > 0 && at < last_us + c->digest_every_us)
		at = last_us + c->digest_every_us;
	return at;
}

int
budget_digest_lists(const struct budget_conf *c, int64_t held_us, int64_t now_us)
{
	return held_us <= now_us - c->digest_min_age_us;
}
