/* collector/incident_fsm.c: every transition, allowed and refused, and the names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "../../collector/incident_fsm.h"

#define NEW INCIDENT_NEW
#define ACK INCIDENT_ACKNOWLEDGED
#define WIP INCIDENT_IN_PROGRESS
#define RES INCIDENT_RESOLVED
#define FP INCIDENT_FALSE_POSITIVE
#define REFUSED -1
#define SAME -2

/*
 * The whole table for every action but resolve: what each action does in
 * each status (REFUSED, SAME status, or the next status), and its effects.
 */
struct expect {
	enum incident_status from;
	enum incident_action act;
	int to;
	unsigned effects;
};

static const struct expect table[] = {
	{ NEW, INCIDENT_ACT_ACK, ACK, INCIDENT_EFFECT_STOP_CLIMB },
	{ NEW, INCIDENT_ACT_ASSIGN, WIP, INCIDENT_EFFECT_STOP_CLIMB },
	{ NEW, INCIDENT_ACT_NOTE, SAME, 0 },
	{ NEW, INCIDENT_ACT_REOPEN, REFUSED, 0 },
	{ NEW, INCIDENT_ACT_ESCALATE, SAME, INCIDENT_EFFECT_ESCALATE },

	{ ACK, INCIDENT_ACT_ACK, REFUSED, 0 },
	{ ACK, INCIDENT_ACT_ASSIGN, WIP, 0 },
	{ ACK, INCIDENT_ACT_NOTE, SAME, 0 },
	{ ACK, INCIDENT_ACT_REOPEN, REFUSED, 0 },
	{ ACK, INCIDENT_ACT_ESCALATE, SAME, INCIDENT_EFFECT_ESCALATE },

	{ WIP, INCIDENT_ACT_ACK, REFUSED, 0 },
	{ WIP, INCIDENT_ACT_ASSIGN, SAME, 0 },
	{ WIP, INCIDENT_ACT_NOTE, SAME, 0 },
	{ WIP, INCIDENT_ACT_REOPEN, REFUSED, 0 },
	{ WIP, INCIDENT_ACT_ESCALATE, SAME, INCIDENT_EFFECT_ESCALATE },

	{ RES, INCIDENT_ACT_ACK, REFUSED, 0 },
	{ RES, INCIDENT_ACT_ASSIGN, REFUSED, 0 },
	{ RES, INCIDENT_ACT_NOTE, SAME, 0 },
	{ RES, INCIDENT_ACT_REOPEN, NEW, INCIDENT_EFFECT_RESTART },
	{ RES, INCIDENT_ACT_ESCALATE, REFUSED, 0 },

	{ FP, INCIDENT_ACT_ACK, REFUSED, 0 },
	{ FP, INCIDENT_ACT_ASSIGN, REFUSED, 0 },
	{ FP, INCIDENT_ACT_NOTE, SAME, 0 },
	{ FP, INCIDENT_ACT_REOPEN, NEW, INCIDENT_EFFECT_RESTART },
	{ FP, INCIDENT_ACT_ESCALATE, REFUSED, 0 },
};

static void
test_table(void **state)
{
	struct incident_fsm cur, next;
	const char *why;
	unsigned eff;
	size_t i;
	int rc;

	for (i = 0; i < sizeof table / sizeof table[0]; i++) {
		cur.status = table[i].from;
		cur.resolution = incident_status_open(table[i].from) ? INCIDENT_RES_NONE :
		    table[i].from == FP ? INCIDENT_RES_FALSE_POSITIVE : INCIDENT_RES_BENIGN;
		memset(&next, 0x5a, sizeof next);
		eff = 0xdead;
		rc = incident_fsm_apply(&cur, table[i].act, INCIDENT_RES_NONE, &next, &eff, &why);
		if (table[i].to == REFUSED) {
			if (rc != VIGIL_ERR_PROTO || why == NULL || strlen(why) < 10)
				fail_msg("%s from %s should be refused with a reason (rc %d)",
				    incident_action_name(table[i].act),
				    incident_status_name(table[i].from), rc);
			/* A refusal leaves the output alone. */
			assert_int_equal(next.status, 0x5a5a5a5a);
			continue;
		}
		if (rc != 0)
			fail_msg("%s from %s refused: %s", incident_action_name(table[i].act),
			    incident_status_name(table[i].from), why);
		assert_null(why);
		assert_int_equal(next.status, table[i].to == SAME ? (int)table[i].from :
		    table[i].to);
		assert_int_equal(eff, table[i].effects);
		if (table[i].act == INCIDENT_ACT_REOPEN)
			assert_int_equal(next.resolution, INCIDENT_RES_NONE);
		else
			assert_int_equal(next.resolution, cur.resolution);
	}
}

/* resolve with each resolution from each status. */
static void
test_resolve(void **state)
{
	static const enum incident_status open[] = { NEW, ACK, WIP };
	static const enum incident_status closed[] = { RES, FP };
	struct incident_fsm cur = { NEW, INCIDENT_RES_NONE }, next;
	const char *why;
	unsigned eff;
	size_t i;
	int r;

	for (i = 0; i < 3; i++) {
		for (r = INCIDENT_RES_TRUE_POSITIVE; r < INCIDENT_RES_COUNT; r++) {
			cur.status = open[i];
			assert_int_equal(incident_fsm_apply(&cur, INCIDENT_ACT_RESOLVE,
			    (enum incident_resolution)r, &next, &eff, &why), 0);
			assert_int_equal(next.status, r == INCIDENT_RES_FALSE_POSITIVE ? FP : RES);
			assert_int_equal(next.resolution, r);
			assert_int_equal(eff, INCIDENT_EFFECT_CLOSE);
			assert_false(incident_status_open(next.status));
		}
		/* No resolution: refused as invalid, with the choices named. */
		assert_int_equal(incident_fsm_apply(&cur, INCIDENT_ACT_RESOLVE, INCIDENT_RES_NONE,
		    &next, &eff, &why), VIGIL_ERR_INVAL);
		assert_non_null(strstr(why, "benign"));
	}
	for (i = 0; i < 2; i++) {
		cur.status = closed[i];
		cur.resolution = INCIDENT_RES_TRUE_POSITIVE;
		for (r = INCIDENT_RES_TRUE_POSITIVE; r < INCIDENT_RES_COUNT; r++) {
			assert_int_equal(incident_fsm_apply(&cur, INCIDENT_ACT_RESOLVE,
			    (enum incident_resolution)r, &next, &eff, &why), VIGIL_ERR_PROTO);
			assert_non_null(strstr(why, "reopen"));
		}
	}
}

/* The whole life: new -> ack -> in progress -> resolved -> reopened -> false positive. */
static void
test_life(void **state)
{
	struct incident_fsm s = { NEW, INCIDENT_RES_NONE };

	assert_int_equal(incident_fsm_apply(&s, INCIDENT_ACT_ACK, 0, &s, NULL, NULL), 0);
	assert_int_equal(s.status, ACK);
	assert_int_equal(incident_fsm_apply(&s, INCIDENT_ACT_ASSIGN, 0, &s, NULL, NULL), 0);
	assert_int_equal(s.status, WIP);
	assert_int_equal(incident_fsm_apply(&s, INCIDENT_ACT_RESOLVE, INCIDENT_RES_DUPLICATE, &s,
	    NULL, NULL), 0);
	assert_int_equal(s.status, RES);
	assert_int_equal(s.resolution, INCIDENT_RES_DUPLICATE);
	assert_int_equal(incident_fsm_apply(&s, INCIDENT_ACT_REOPEN, 0, &s, NULL, NULL), 0);
	assert_int_equal(s.status, NEW);
	assert_int_equal(s.resolution, INCIDENT_RES_NONE);
	assert_int_equal(incident_fsm_apply(&s, INCIDENT_ACT_RESOLVE,
	    INCIDENT_RES_FALSE_POSITIVE, &s, NULL, NULL), 0);
	assert_int_equal(s.status, FP);
}

/* Out-of-range values and a resolution given to another action are refused as invalid. */
static void
test_invalid(void **state)
{
	struct incident_fsm s = { NEW, INCIDENT_RES_NONE }, bad = { (enum incident_status)9, 0 };
	const char *why = NULL;

	assert_int_equal(incident_fsm_apply(&bad, INCIDENT_ACT_ACK, 0, NULL, NULL, &why),
	    VIGIL_ERR_INVAL);
	assert_non_null(why);
	assert_int_equal(incident_fsm_apply(&s, (enum incident_action)42, 0, NULL, NULL, NULL),
	    VIGIL_ERR_INVAL);
	assert_int_equal(incident_fsm_apply(&s, INCIDENT_ACT_RESOLVE,
	    (enum incident_resolution)17, NULL, NULL, NULL), VIGIL_ERR_INVAL);
	assert_int_equal(incident_fsm_apply(&s, INCIDENT_ACT_ACK, INCIDENT_RES_BENIGN, NULL, NULL,
	    &why), VIGIL_ERR_INVAL);
	assert_non_null(strstr(why, "resolve"));
}

static void
test_names(void **state)
{
	int i;

	for (i = 0; i < INCIDENT_STATUS_COUNT; i++)
		assert_int_equal(incident_status_from_name(incident_status_name(i)), i);
	for (i = 1; i < INCIDENT_RES_COUNT; i++)
		assert_int_equal(incident_resolution_from_name(incident_resolution_name(i)), i);
	for (i = 0; i < INCIDENT_ACT_COUNT; i++)
		assert_int_equal(incident_action_from_name(incident_action_name(i)), i);
	assert_int_equal(incident_resolution_from_name("True-Positive"),
	    INCIDENT_RES_TRUE_POSITIVE);
	assert_int_equal(incident_resolution_from_name("false positive"),
	    INCIDENT_RES_FALSE_POSITIVE);
	assert_int_equal(incident_status_from_name("IN-PROGRESS"), INCIDENT_IN_PROGRESS);
	assert_int_equal(incident_resolution_from_name(""), -1);
	assert_int_equal(incident_resolution_from_name("true"), -1);
	assert_int_equal(incident_status_from_name("resolvedx"), -1);
	assert_int_equal(incident_action_from_name("acknowledge"), -1);
	assert_string_equal(incident_status_name((enum incident_status)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_life),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
