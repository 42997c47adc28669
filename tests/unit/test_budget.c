/* The noise budget (budget.h): a sliding hour, urgent severities, operators' asks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../collector/budget.h"

#define SEC 1000000LL
#define T0 1700000000000000LL
#define MEDIUM 3
#define HIGH 4

static struct budget_ledger *
ledger(void)
{
	struct budget_ledger *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	return l;
}

/* 12 in any hour: the 13th waits, and a message goes again an hour after the first. */
static void
test_sliding_hour(void **state)
{
	struct budget_conf c = { 12, 0, 3600 * SEC, 0 };
	struct budget_ledger *l = ledger();

	(void)state;
	for (int i = 0; i < 12; i++)
		assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0 + i * 60 * SEC), BUDGET_SEND);
	assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0 + 12 * 60 * SEC), BUDGET_HOLD);
	assert_int_equal(budget_decide(&c, l, HIGH, 0, T0 + 3599 * SEC), BUDGET_HOLD);
	assert_int_equal(l->held, 2);
	/* The first left the window: one more may go, not two. */
	assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0 + 3600 * SEC), BUDGET_SEND);
	assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0 + 3600 * SEC + 1), BUDGET_HOLD);
	/* No limit. */
	c.max_per_hour = 0;
	for (int i = 0; i < 2000; i++)
		assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0 + 4000 * SEC), BUDGET_SEND);
	free(l);
}

/* The Police: medium waits for the daily digest, high goes; an operator's ask always goes. */
static void
test_urgent_and_manual(void **state)
{
	struct budget_conf c = { 12, HIGH, 86400 * SEC, 0 };
	struct budget_ledger *l = ledger();

	(void)state;
	assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0), BUDGET_HOLD);
	assert_int_equal(budget_decide(&c, l, HIGH, 0, T0), BUDGET_SEND);
	assert_int_equal(budget_decide(&c, l, MEDIUM, 1, T0), BUDGET_SEND);
	assert_int_equal(budget_digest_at(&c, T0 + 5), T0 + 5 + 86400 * SEC);
	c.max_per_hour = 2;
	assert_int_equal(budget_decide(&c, l, HIGH, 0, T0 + 1), BUDGET_HOLD);
	assert_int_equal(budget_decide(&c, l, HIGH, 1, T0 + 1), BUDGET_SEND);
	free(l);
}

/* The hour read back after a restart: recorded sends fill the budget, old ones drop out. */
static void
test_record(void **state)
{
	struct budget_conf c = { 3, 0, 3600 * SEC, 0 };
	struct budget_ledger *l = ledger();

	(void)state;
	budget_record(l, T0 - 7200 * SEC);          /* two hours ago: gone by the next call */
	budget_record(l, T0 - 600 * SEC);
	budget_record(l, T0 - 300 * SEC);
	assert_int_equal(l->n, 2);
	assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0), BUDGET_SEND);
	assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0 + SEC), BUDGET_HOLD);
	/* Ten minutes after the first recorded one left the hour, one more may go. */
	assert_int_equal(budget_decide(&c, l, MEDIUM, 0, T0 + 3000 * SEC + 1), BUDGET_SEND);
	free(l);
}

/*
 * The Police's digest: a day after the first held message, listing what nobody took in
 * hand for a day; a younger one waits, and the next digest is a day after the last.
 */
static void
test_digest_min_age(void **state)
{
	struct budget_conf c = { 12, HIGH, 86400 * SEC, 86400 * SEC };

	(void)state;
	assert_int_equal(budget_digest_next(&c, T0, 0), T0 + 86400 * SEC);
	assert_true(budget_digest_lists(&c, T0, T0 + 86400 * SEC));
	assert_false(budget_digest_lists(&c, T0 + 3600 * SEC, T0 + 86400 * SEC));
	/* The one held an hour later is due an hour after the first digest: a day after it. */
	assert_int_equal(budget_digest_next(&c, T0 + 3600 * SEC, T0 + 86400 * SEC),
	    T0 + 2 * 86400 * SEC);
	/* digest_min_age 0: everything held is listed at once. */
	c.digest_min_age_us = 0;
	assert_true(budget_digest_lists(&c, T0 + 5, T0 + 5));
	assert_int_equal(budget_digest_next(&c, T0 + 5, 0), T0 + 5 + 86400 * SEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sliding_hour),
		cmocka_unit_test(test_urgent_and_manual),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_digest_min_age),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
