/*
 * The audit policy on Windows: the sensor "auditpol" reads the subcategories
 * Vigil's rules need (agent/auditpol.c's table) with AuditQuerySystemPolicy,
 * one per call, every [windows] audit_check_interval, and reports the
 * decoded text in the posture (audit_policy). With audit_policy = set it
 * switches on, with AuditSetSystemPolicy, what is off (success and/or
 * failure as the rules need; nothing is ever switched off), then reads
 * again, so that the posture says what is in force, not what was asked.
 *
 * Both calls need SeSecurityPrivilege, which the service's LocalSystem
 * account holds but not enabled: it is enabled first. A Windows without the
 * API's answer (Wine's stub: FALSE, ERROR_CALL_NOT_IMPLEMENTED) is
 * "unavailable", said once in the log; the agent goes on.
 */
#include <winsock2.h>
#include <windows.h>
#include <ntsecapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../auditpol.h"
#include "../conf.h"
#include "../posture.h"
#include "../sensor.h"
#include "winposture.h"

struct winaudit {
	struct posture *p;
	struct event *tick;
	long long interval_ms;
	int set;                         /* audit_policy = set */
	char last[AUDITPOL_TEXT_MAX];    /* the text reported last, said when it changes */
	int set_failed_said;
};

static GUID
to_guid(const struct auditpol_guid *g)
{
	GUID w;

	w.Data1 = g->d1;
	w.Data2 = g->d2;
	w.Data3 = g->d3;
	memcpy(w.Data4, g->d4, sizeof(w.Data4));
	return w;
}

static struct auditpol_guid
from_guid(const GUID *w)
{
	struct auditpol_guid g;

	g.d1 = (uint32_t)w->Data1;
	g.d2 = w->Data2;
	g.d3 = w->Data3;
	memcpy(g.d4, w->Data4, sizeof(g.d4));
	return g;
}

/* SeSecurityPrivilege on in the process token: 0, or the Windows error. */
static DWORD
security_privilege(void)
{
	TOKEN_PRIVILEGES tp;
	HANDLE tok;
	DWORD e = 0;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok))
		return GetLastError();
	memset(&tp, 0, sizeof(tp));
	tp.PrivilegeCount = 1;
	tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
	/* After a successful adjustment, ERROR_NOT_ALL_ASSIGNED says it is not held. */
	SetLastError(0);
	if (!LookupPrivilegeValueW(NULL, L"SeSecurityPrivilege", &tp.Privileges[0].Luid) ||
	    !AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL) || GetLastError() != 0)
		e = GetLastError();
	CloseHandle(tok);
	return e;
}

void
winaudit_query(struct auditpol_answer *a)
{
	AUDIT_POLICY_INFORMATION *info;
	GUID g;
	size_t i;

	(void)security_privilege();
	for (i = 0; i < auditpol_nneeds; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		g = to_guid(&auditpol_needs[i].guid);
		info = NULL;
		SetLastError(0);
		if (!AuditQuerySystemPolicy(&g, 1, &info)) {
			a[i].error = (uint32_t)GetLastError();
			continue;
		}
		a[i].ok = 1;
		if (info == NULL)
			continue;        /* success without a record: decoded as an empty answer */
		a[i].guid = from_guid(&info->AuditSubCategoryGuid);
		a[i].info = (uint32_t)info->AuditingInformation;
		AuditFree(info);
	}
}

/*
 * Switch on what r says is missing; each change logged. Returns how many
 * subcategories were set, or -1 with the Windows error in *error.
 */
int
winaudit_set(const struct auditpol_result *r, unsigned long *error)
{
	AUDIT_POLICY_INFORMATION api;
	size_t i;
	int n = 0;

	*error = 0;
	for (i = 0; i < auditpol_nneeds; i++) {
		if (r->missing[i] == 0)
			continue;
		memset(&api, 0, sizeof(api));
		api.AuditSubCategoryGuid = to_guid(&auditpol_needs[i].guid);
		api.AuditingInformation = auditpol_wanted(r, i);
		SetLastError(0);
		if (!AuditSetSystemPolicy(&api, 1)) {
			*error = GetLastError();
			return -1;
		}
		log_info(_("Audit policy: %s switched on for %s (%s), which %s need."),
		    auditpol_needs[i].name, auditpol_bits_name(r->missing[i]),
		    auditpol_bits_name(auditpol_wanted(r, i)), auditpol_needs[i].rules);
		n++;
	}
	return n;
}

static void
audit_check(struct winaudit *a)
{
	struct auditpol_answer ans[AUDITPOL_MAX];
	struct auditpol_result r;
	char text[AUDITPOL_TEXT_MAX];
	unsigned long error;

	winaudit_query(ans);
	auditpol_decode(ans, auditpol_nneeds, &r);
	if (a->set && r.state == AUDITPOL_INCOMPLETE) {
		if (winaudit_set(&r, &error) < 0) {
			if (!a->set_failed_said)
				log_warnx(_("The audit policy cannot be set (Windows error %lu): it "
				    "stays as it is, and is reported so."), error);
			a->set_failed_said = 1;
		} else {
			a->set_failed_said = 0;
			winaudit_query(ans);         /* report what is in force now */
			auditpol_decode(ans, auditpol_nneeds, &r);
		}
	}
	auditpol_text(&r, text, sizeof(text));
	if (strcmp(text, a->last) != 0) {
		if (r.state == AUDITPOL_COMPLETE)
			log_info("%s", _("The audit policy has every subcategory Vigil's rules need."));
		else if (r.state == AUDITPOL_INCOMPLETE)
			log_info(_("The audit policy lacks what some rules need (%s); [windows] "
			    "audit_policy = set switches it on."), text + strlen("incomplete: "));
		else
			log_info(_("Windows does not tell its audit policy (%s): it is reported "
			    "unavailable."), r.why);
		snprintf(a->last, sizeof(a->last), "%s", text);
	}
	posture_set_audit(a->p, text);
}

static void
audit_tick(evutil_socket_t fd, short what, void *arg)
{
	struct winaudit *a = arg;
	struct timeval tv = { (long)(a->interval_ms / 1000), (long)(a->interval_ms % 1000) * 1000 };

	audit_check(a);
	event_add(a->tick, &tv);
}

static void *
audit_start(const struct sensor_env *env, char *err, size_t errlen)
{
	const struct agent_conf_windows *c = &env->conf->windows;
	struct winaudit *a;

	if (strcmp(c->audit_policy, "off") == 0)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->tick = evtimer_new(env->base, audit_tick, a)) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		free(a);
		return NULL;
	}
	a->p = env->posture;
	a->interval_ms = c->audit_check_interval;
	a->set = strcmp(c->audit_policy, "set") == 0;
	audit_tick(-1, 0, a);
	return a;
}

static void
audit_stop(void *state)
{
	struct winaudit *a = state;

	if (a == NULL)
		return;
	event_free(a->tick);
	free(a);
}

const struct sensor_driver sensor_auditpol = {
	.name = "auditpol",
	.failure = N_("The audit policy sensor cannot start"),
	.start = audit_start,
	.stop = audit_stop,
};
