/*
 * The incident state machine, pure: a status, an operator (or system) action,
 * and the status that follows, or a sentence saying why the action is refused.
 *
 *   new --ack--> acknowledged --assign--> in_progress
 *   new --assign--> in_progress                 (taking it implies the ack)
 *   new | acknowledged | in_progress --resolve R--> resolved        (R: true_positive,
 *                                                                    duplicate, benign)
 *   new | acknowledged | in_progress --resolve false_positive--> false_positive
 *   resolved | false_positive --reopen--> new   (an operator, or matching events within
 *                                                the re-open window)
 *   note: any status, unchanged;  escalate N: open statuses, unchanged;
 *   assign in in_progress: a hand-over, stays in_progress.
 *
 * Everything else is refused: ack of an incident already acknowledged or
 * closed, resolve of a closed incident (reopen first), reopen of an open one,
 * escalate of a closed one, resolve without a resolution.
 */
#ifndef VIGIL_INCIDENT_FSM_H
#define VIGIL_INCIDENT_FSM_H

#include "escalate.h"   /* INCIDENT_EFFECT_*: what an action asks of escalation */

enum incident_status {
	INCIDENT_NEW = 0,
	INCIDENT_ACKNOWLEDGED,
	INCIDENT_IN_PROGRESS,
	INCIDENT_RESOLVED,
	INCIDENT_FALSE_POSITIVE,
	INCIDENT_STATUS_COUNT
};

enum incident_resolution {
	INCIDENT_RES_NONE = 0,
	INCIDENT_RES_TRUE_POSITIVE,
	INCIDENT_RES_FALSE_POSITIVE,
	INCIDENT_RES_DUPLICATE,
	INCIDENT_RES_BENIGN,
	INCIDENT_RES_COUNT
};

enum incident_action {
	INCIDENT_ACT_ACK = 0,
	INCIDENT_ACT_ASSIGN,
	INCIDENT_ACT_NOTE,
	INCIDENT_ACT_RESOLVE,
	INCIDENT_ACT_REOPEN,
	INCIDENT_ACT_ESCALATE,
	INCIDENT_ACT_COUNT
};

struct incident_fsm {
	enum incident_status status;
	enum incident_resolution resolution;   /* INCIDENT_RES_NONE while open */
};

/*
 * Apply act (with res for INCIDENT_ACT_RESOLVE, else INCIDENT_RES_NONE) to
 * *cur. On success writes the next state to *next and the INCIDENT_EFFECT_*
 * bits to *effects (either may be NULL) and returns 0. When refused returns
 * VIGIL_ERR_PROTO (or VIGIL_ERR_INVAL for a value out of range) and points
 * *why (may be NULL) at a static sentence for the operator; *next is untouched.
 */
int incident_fsm_apply(const struct incident_fsm *cur, enum incident_action act,
    enum incident_resolution res, struct incident_fsm *next, unsigned *effects,
    const char **why);

/* 1 for new, acknowledged and in_progress; 0 for the closed statuses. */
int incident_status_open(enum incident_status s);

/* "new", "acknowledged", "in_progress", "resolved", "false_positive"; "unknown". */
const char *incident_status_name(enum incident_status s);
/* "true_positive", "false_positive", "duplicate", "benign"; "" for none. */
const char *incident_resolution_name(enum incident_resolution r);
/* "ack", "assign", "note", "resolve", "reopen", "escalate". */
const char *incident_action_name(enum incident_action a);

/* From a name, case-insensitive, '-' and ' ' taken as '_'; -1 if unknown. */
int incident_status_from_name(const char *name);
int incident_resolution_from_name(const char *name);
int incident_action_from_name(const char *name);

#endif
