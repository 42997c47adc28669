/*
 * The control protocol's requests and the role each needs (vigil/ctl.h):
 * viewers read, operators change incidents. The collector's server and
 * vigilctl's command table both read this table, so the role a command needs
 * is written once.
 */
#include <stddef.h>
#include <string.h>

#include "vigil/ctl.h"

static const struct ctl_request_def requests[] = {
	{ "status", CTL_ROLE_VIEWER },
	{ "agents", CTL_ROLE_VIEWER },
	{ "events", CTL_ROLE_VIEWER },
	{ "incidents", CTL_ROLE_VIEWER },
	{ "incident", CTL_ROLE_VIEWER },
	{ "incident-action", CTL_ROLE_OPERATOR },
	{ "incident-notify", CTL_ROLE_OPERATOR },
	{ "audit-verify", CTL_ROLE_VIEWER },
	{ "escalation-test", CTL_ROLE_VIEWER },
	{ "compliance", CTL_ROLE_VIEWER },
	{ "report-fill", CTL_ROLE_OPERATOR },
	{ "report-data", CTL_ROLE_VIEWER },
	{ "report-reportable", CTL_ROLE_OPERATOR },
	{ "report-submitted", CTL_ROLE_OPERATOR },
	{ "report-summary", CTL_ROLE_VIEWER },
	/* enrolment and identities: who may let a PC in, or cut one off */
	{ "enroll-create", CTL_ROLE_ADMIN },
	{ "enroll-list", CTL_ROLE_OPERATOR },
	{ "enroll-cancel", CTL_ROLE_ADMIN },
	{ "agent-revoke", CTL_ROLE_ADMIN },
	{ "agent-retire", CTL_ROLE_ADMIN },
	/* the inventory: the compliance denominator */
	{ "inventory-set", CTL_ROLE_OPERATOR },
	{ "inventory-pc", CTL_ROLE_OPERATOR },
	{ "inventory-ignore", CTL_ROLE_OPERATOR },
	{ "inventory-ignored", CTL_ROLE_VIEWER },
	{ "backup", CTL_ROLE_ADMIN },
	{ "agent-reenroll", CTL_ROLE_ADMIN },
	/* the collector's CA rotation: who may change what every PC trusts */
	{ "pki-rotate", CTL_ROLE_ADMIN },
	{ "pki-rotate-status", CTL_ROLE_OPERATOR },
	{ "pki-rotate-finish", CTL_ROLE_ADMIN },
};

const struct ctl_request_def *
ctl_request_find(const char *name)
{
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (strcmp(requests[i].name, name) == 0)
			return &requests[i];
	return NULL;
}

const char *
ctl_role_name(enum ctl_role r)
{
	switch (r) {
	case CTL_ROLE_NONE:
		return "none";
	case CTL_ROLE_VIEWER:
		return "viewer";
	case CTL_ROLE_OPERATOR:
		return "operator";
	case CTL_ROLE_ADMIN:
		return "admin";
	}
	return "none";
}
