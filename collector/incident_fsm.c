/* The incident state machine: one table of what each action does in each status. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "vigil/err.h"

#include "incident_fsm.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const status_names[] = {
	"new", "acknowledged", "in_progress", "resolved", "false_positive",
};
static const char *const resolution_names[] = {
	"", "true_positive", "false_positive", "duplicate", "benign",
};
static const char *const action_names[] = {
	"ack", "assign", "note", "resolve", "reopen", "escalate",
};

_Static_assert(NITEMS(status_names) == INCIDENT_STATUS_COUNT, "status names");
_Static_assert(NITEMS(resolution_names) == INCIDENT_RES_COUNT, "resolution names");
_Static_assert(NITEMS(action_names) == INCIDENT_ACT_COUNT, "action names");

/* A refused transition: the sentence the operator reads. */
#define REFUSE(s) { -1, 0, s }

struct rule {
	int to;               /* next status; -1: refused; -2: unchanged; -3: by resolution */
	unsigned effects;
	const char *why;      /* refused: the reason */
};

/* [status][action] */
static const struct rule rules[INCIDENT_STATUS_COUNT][INCIDENT_ACT_COUNT] = {
	[INCIDENT_NEW] = {
		[INCIDENT_ACT_ACK] = { INCIDENT_ACKNOWLEDGED, INCIDENT_EFFECT_STOP_CLIMB, NULL },
		[INCIDENT_ACT_ASSIGN] = { INCIDENT_IN_PROGRESS, INCIDENT_EFFECT_STOP_CLIMB, NULL },
		[INCIDENT_ACT_NOTE] = { -2, 0, NULL },
		[INCIDENT_ACT_RESOLVE] = { -3, INCIDENT_EFFECT_CLOSE, NULL },
		[INCIDENT_ACT_REOPEN] = REFUSE("The incident is open; only a resolved incident "
		    "can be reopened."),
		[INCIDENT_ACT_ESCALATE] = { -2, INCIDENT_EFFECT_ESCALATE, NULL },
	},
	[INCIDENT_ACKNOWLEDGED] = {
		[INCIDENT_ACT_ACK] = REFUSE("The incident is already acknowledged."),
		[INCIDENT_ACT_ASSIGN] = { INCIDENT_IN_PROGRESS, 0, NULL },
		[INCIDENT_ACT_NOTE] = { -2, 0, NULL },
		[INCIDENT_ACT_RESOLVE] = { -3, INCIDENT_EFFECT_CLOSE, NULL },
		[INCIDENT_ACT_REOPEN] = REFUSE("The incident is open; only a resolved incident "
		    "can be reopened."),
		[INCIDENT_ACT_ESCALATE] = { -2, INCIDENT_EFFECT_ESCALATE, NULL },
	},
	[INCIDENT_IN_PROGRESS] = {
		[INCIDENT_ACT_ACK] = REFUSE("The incident is already acknowledged and in progress."),
		[INCIDENT_ACT_ASSIGN] = { -2, 0, NULL },
		[INCIDENT_ACT_NOTE] = { -2, 0, NULL },
		[INCIDENT_ACT_RESOLVE] = { -3, INCIDENT_EFFECT_CLOSE, NULL },
		[INCIDENT_ACT_REOPEN] = REFUSE("The incident is open; only a resolved incident "
		    "can be reopened."),
		[INCIDENT_ACT_ESCALATE] = { -2, INCIDENT_EFFECT_ESCALATE, NULL },
	},
	[INCIDENT_RESOLVED] = {
		[INCIDENT_ACT_ACK] = REFUSE("The incident is resolved; reopen it first."),
		[INCIDENT_ACT_ASSIGN] = REFUSE("The incident is resolved; reopen it first."),
		[INCIDENT_ACT_NOTE] = { -2, 0, NULL },
		[INCIDENT_ACT_RESOLVE] = REFUSE("The incident is already resolved; reopen it "
		    "first to change the resolution."),
		[INCIDENT_ACT_REOPEN] = { INCIDENT_NEW, INCIDENT_EFFECT_RESTART, NULL },
		[INCIDENT_ACT_ESCALATE] = REFUSE("The incident is resolved; reopen it first."),
	},
	[INCIDENT_FALSE_POSITIVE] = {
		[INCIDENT_ACT_ACK] = REFUSE("The incident is closed as a false positive; reopen "
		    "it first."),
		[INCIDENT_ACT_ASSIGN] = REFUSE("The incident is closed as a false positive; "
		    "reopen it first."),
		[INCIDENT_ACT_NOTE] = { -2, 0, NULL },
		[INCIDENT_ACT_RESOLVE] = REFUSE("The incident is already closed as a false "
		    "positive; reopen it first to change the resolution."),
		[INCIDENT_ACT_REOPEN] = { INCIDENT_NEW, INCIDENT_EFFECT_RESTART, NULL },
		[INCIDENT_ACT_ESCALATE] = REFUSE("The incident is closed as a false positive; "
		    "reopen it first."),
	},
};

int
incident_fsm_apply(const struct incident_fsm *cur, enum incident_action act,
    enum incident_resolution res, struct incident_fsm *next, unsigned *effects,
    const char **why)
{
	const struct rule *r;
	struct incident_fsm n;

	if (why != NULL)
		*why = NULL;
	if ((unsigned)cur->status >= INCIDENT_STATUS_COUNT || (unsigned)act >= INCIDENT_ACT_COUNT ||
	    (unsigned)res >= INCIDENT_RES_COUNT) {
		if (why != NULL)
			*why = "The status, action or resolution is not one Vigil knows.";
		return VIGIL_ERR_INVAL;
	}
	if (act == INCIDENT_ACT_RESOLVE && res == INCIDENT_RES_NONE) {
		if (why != NULL)
			*why = "A resolution is required: true_positive, false_positive, "
			    "duplicate or benign.";
		return VIGIL_ERR_INVAL;
	}
	if (act != INCIDENT_ACT_RESOLVE && res != INCIDENT_RES_NONE) {
		if (why != NULL)
			*why = "Only resolve takes a resolution.";
		return VIGIL_ERR_INVAL;
	}
	r = &rules[cur->status][act];
	if (r->to == -1) {
		if (why != NULL)
			*why = r->why;
		return VIGIL_ERR_PROTO;
	}
	n = *cur;
	if (r->to == -3) {
		n.status = res == INCIDENT_RES_FALSE_POSITIVE ? INCIDENT_FALSE_POSITIVE :
		    INCIDENT_RESOLVED;
		n.resolution = res;
	} else if (r->to >= 0) {
		n.status = (enum incident_status)r->to;
		if (n.status == INCIDENT_NEW)
			n.resolution = INCIDENT_RES_NONE;
	}
	if (next != NULL)
		*next = n;
	if (effects != NULL)
		*effects = r->effects;
	return 0;
}

int
incident_status_open(enum incident_status s)
{
	return s == INCIDENT_NEW || s == INCIDENT_ACKNOWLEDGED || s == INCIDENT_IN_PROGRESS;
}

static const char *
name_of(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return "unknown";
	return names[v];
}

/* Case-insensitive, with '-' and ' ' equal to '_', so "true-positive" works on the command line. */
static int
value_of(const char *const *names, size_t n, size_t first, const char *name)
{
	size_t i, j;
	char c;

	for (i = first; i < n; i++) {
		for (j = 0; name[j] != '\0' && names[i][j] != '\0'; j++) {
			c = (char)tolower((unsigned char)name[j]);
			if (c == '-' || c == ' ')
				c = '_';
			if (c != names[i][j])
				break;
		}
		if (name[j] == '\0' && names[i][j] == '\0')
			return (int)i;
	}
	return -1;
}

const char *
incident_status_name(enum incident_status s)
{
	return name_of(status_names, NITEMS(status_names), (int)s);
}

const char *
incident_resolution_name(enum incident_resolution r)
{
	return name_of(resolution_names, NITEMS(resolution_names), (int)r);
}

const char *
incident_action_name(enum incident_action a)
{
	return name_of(action_names, NITEMS(action_names), (int)a);
}

int
incident_status_from_name(const char *name)
{
	return value_of(status_names, NITEMS(status_names), 0, name);
}

int
incident_resolution_from_name(const char *name)
{
	/* Index 0 is the empty "none", never a valid answer. */
	return value_of(resolution_names, NITEMS(resolution_names), 1, name);
}

int
incident_action_from_name(const char *name)
{
	return value_of(action_names, NITEMS(action_names), 0, name);
}
