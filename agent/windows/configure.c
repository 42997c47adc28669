/*
 * vigil-agent.exe --configure NAME=VALUE...: the agent's configuration made
 * on the PC, by the MSI (a deferred custom action, as SYSTEM) or by the
 * workgroup script: vigil-agent.conf written into %ProgramData%\Vigil,
 * checked by loading it, the folder given to SYSTEM and Administrators
 * alone, and the PC's identity: enrolled with a token (the key made here,
 * agent/windows/enroll.c), or the collector's CA, the PC's certificate and
 * key copied there.
 *
 *   COLLECTOR   the collector's address (required unless a file is there)
 *   PORT        its port (7443)
 *   UNIT        the unit (required with COLLECTOR)
 *   TOKEN       an enrolment token (vigilctl enroll create): enrol at
 *               COLLECTOR:ENROLLPORT; a PC with a key already keeps it
 *   ENROLLPORT  the collector's enrolment port (7444)
 *   CA CERT KEY the three files, without TOKEN
 *   AUDITPOLICY off, report or set: [windows] audit_policy (report)
 *   RULES       the shipped rules' folder (the exe's own rules.d)
 *
 * With no COLLECTOR and a configuration already there (a repair, an
 * upgrade), that one is kept. Then the service, when there is one, is started.
 */
#include <winsock2.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../agent.h"
#include "../enroll.h"
#include "winagent.h"
#include "../../common/windows/utf16.h"

struct conf_args {
	const char *collector, *port, *unit, *ca, *cert, *key, *rules, *token, *enrollport;
	const char *auditpolicy;
};

static const char *
arg_of(int argc, char *argv[], const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return "";
}

static int
copy_to(const char *src, const char *dir, const char *name, char *dst, size_t dstlen)
{
	wchar_t *ws, *wd;
	int ok;

	snprintf(dst, dstlen, "%s\\%s", dir, name);
	if ((ws = win_wide(src)) == NULL || (wd = win_wide(dst)) == NULL) {
		free(ws);
		return -1;
	}
	ok = CopyFileW(ws, wd, FALSE);
	if (!ok)
		fprintf(stderr, _("%s cannot be copied to %s: Windows error %lu.\n"), src, dst,
		    (unsigned long)GetLastError());
	free(ws);
	free(wd);
	return ok ? 0 : -1;
}

/* A value from the command line on one line of the file: no line breaks, no control characters. */
static int
clean(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20)
			return 0;
	return 1;
}

/*
 * The service the MSI installed: its command quoted (Windows Installer
 * quotes a path with spaces; Wine's does not, and "C:\\Program" is no
 * program), then started. Nothing when there is no service (the workgroup
 * script installs it after).
 */
static void
start_service(void)
{
	QUERY_SERVICE_CONFIGW *qc = NULL;
	SC_HANDLE scm, svc;
	wchar_t exe[MAX_PATH], cmd[MAX_PATH + 32];
	DWORD need = 0;

	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL)
		return;
	if ((svc = OpenServiceW(scm, WIN_SERVICE_NAME, SERVICE_CHANGE_CONFIG |
	    SERVICE_QUERY_CONFIG | SERVICE_START)) == NULL) {
		CloseServiceHandle(scm);
		return;
	}
	QueryServiceConfigW(svc, NULL, 0, &need);
	if (need > 0 && (qc = malloc(need)) != NULL &&
	    QueryServiceConfigW(svc, qc, need, &need) && qc->lpBinaryPathName != NULL &&
	    qc->lpBinaryPathName[0] != L'"' && GetModuleFileNameW(NULL, exe, MAX_PATH) > 0) {
		_snwprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"\"%ls\" --service", exe);
		cmd[sizeof(cmd) / sizeof(cmd[0]) - 1] = L'\0';
		ChangeServiceConfigW(svc, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE, SERVICE_NO_CHANGE,
		    cmd, NULL, NULL, NULL, NULL, NULL, NULL);
	}
	free(qc);
	if (StartServiceW(svc, 0, NULL) || GetLastError() == ERROR_SERVICE_ALREADY_RUNNING)
		printf("%s\n", _("The service Vigil is started."));
	else
		fprintf(stderr, _("%s failed: Windows error %lu.\n"), "StartServiceW",
		    (unsigned long)GetLastError());
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
}

static int
need_args(void)
{
	fprintf(stderr, "%s\n", _("COLLECTOR, UNIT and either TOKEN or CA, CERT and KEY must be "
	    "given: there is no configuration to keep."));
	return 1;
}

/* TOKEN: enrol at COLLECTOR:ENROLLPORT, unless the PC has its key (a repair, a second run). */
static int
enroll(const struct conf_args *a, const char *file, const char *key)
{
	char target[300];
	int rc, v6 = strchr(a->collector, ':') != NULL && a->collector[0] != '[';

	if (win_file_exists(key)) {
		printf(_("This PC is enrolled already: its key %s is kept.\n"), key);
		return 0;
	}
	/* No ENROLLPORT: the usual one (agent_enroll()); an IPv6 address in brackets. */
	snprintf(target, sizeof(target), "%s%s%s%s%s", v6 ? "[" : "", a->collector,
	    v6 ? "]" : "", *a->enrollport != '\0' ? ":" : "", a->enrollport);
	/* A disk image being made: the install goes on, the service enrols at the first start. */
	rc = win_enroll_run(file, target, a->token);
	return rc == ENROLL_RUN_IMAGE ? 0 : rc;
}

int
win_configure_main(int argc, char *argv[])
{
	struct conf_args a;
	char dir[MAX_PATH + 16], file[MAX_PATH + 64], ca[MAX_PATH + 64], cert[MAX_PATH + 64];
	char key[MAX_PATH + 64], rules[MAX_PATH + 16], err[1024];
	struct agent *ag;
	wchar_t *w;
	FILE *f;
	size_t n;
	unsigned long e;

	a.collector = arg_of(argc, argv, "COLLECTOR");
	a.port = arg_of(argc, argv, "PORT");
	a.unit = arg_of(argc, argv, "UNIT");
	a.ca = arg_of(argc, argv, "CA");
	a.cert = arg_of(argc, argv, "CERT");
	a.key = arg_of(argc, argv, "KEY");
	a.rules = arg_of(argc, argv, "RULES");
	a.token = arg_of(argc, argv, "TOKEN");
	a.enrollport = arg_of(argc, argv, "ENROLLPORT");
	a.auditpolicy = arg_of(argc, argv, "AUDITPOLICY");
	log_init("vigil-agent", 1, 0);
	if (win_data_dir(dir, sizeof(dir)) != 0) {
		fprintf(stderr, "%s\n", _("The ProgramData folder is not known: give the file with -f."));
		return 1;
	}
	snprintf(file, sizeof(file), "%s\\%s", dir, WIN_CONF_NAME);
	if (*a.collector == '\0') {
		if (win_file_exists(file)) {
			printf(_("%s is kept.\n"), file);
			start_service();
			return 0;
		}
		return need_args();
	}
	if (*a.unit == '\0' || (*a.token == '\0' && (*a.ca == '\0' || *a.cert == '\0' ||
	    *a.key == '\0')) || !clean(a.collector) || !clean(a.port) || !clean(a.unit) ||
	    !clean(a.rules) || !clean(a.enrollport))
		return need_args();
	if (*a.auditpolicy != '\0' && strcmp(a.auditpolicy, "off") != 0 &&
	    strcmp(a.auditpolicy, "report") != 0 && strcmp(a.auditpolicy, "set") != 0) {
		fprintf(stderr, _("AUDITPOLICY \"%.16s\" is not off, report or set.\n"),
		    a.auditpolicy);
		return 1;
	}
	if ((w = win_wide(dir)) == NULL)
		return 1;
	CreateDirectoryW(w, NULL);
	free(w);
	/* The folder first: the key is copied into a folder nobody else may read. */
	if ((e = win_restrict_acl(dir)) != 0)
		fprintf(stderr, _("%s failed: Windows error %lu.\n"), "SetNamedSecurityInfoW", e);
	if (*a.token != '\0') {
		/* Enrolment writes them, after the file (it names them) is there. */
		snprintf(ca, sizeof(ca), "%s\\ca.crt", dir);
		snprintf(cert, sizeof(cert), "%s\\agent.crt", dir);
		snprintf(key, sizeof(key), "%s\\agent.key", dir);
	} else {
		if (copy_to(a.ca, dir, "ca.crt", ca, sizeof(ca)) != 0 ||
		    copy_to(a.cert, dir, "agent.crt", cert, sizeof(cert)) != 0 ||
		    copy_to(a.key, dir, "agent.key", key, sizeof(key)) != 0)
			return 1;
		win_restrict_acl(key);
	}
	/* The shipped rules: given by the MSI (with its trailing backslash), else beside the exe. */
	snprintf(rules, sizeof(rules), "%s", a.rules);
	n = strlen(rules);
	/* "C:\\Program Files\\Vigil\\rules.d\\." (a trailing backslash would escape the quote). */
	while (n > 3 && (rules[n - 1] == '\\' || rules[n - 1] == '/' || rules[n - 1] == '.' ||
	    rules[n - 1] == '"'))
		rules[--n] = '\0';
	if ((w = win_wide(file)) == NULL || (f = _wfopen(w, L"w")) == NULL) {
		free(w);
		fprintf(stderr, _("%s cannot be written.\n"), file);
		return 1;
	}
	free(w);
	fprintf(f, "# Written by vigil-agent.exe --configure (the MSI or the workgroup script).\n"
	    "[agent]\nstate_dir = %s\\state\nunit = %s\n", dir, a.unit);
	if (*rules != '\0')
		fprintf(f, "rules_dir = %s\n", rules);
	fprintf(f, "local_rules_dir = %s\\rules.d\n\n[collector]\naddress = %s\nport = %s\n"
	    "ca = %s\ncert = %s\nkey = %s\n\n[updates]\nenabled = yes\n\n"
	    "[antivirus]\nprovider = securitycenter\n", dir, a.collector,
	    *a.port != '\0' ? a.port : "7443", ca, cert, key);
	if (*a.auditpolicy != '\0')
		fprintf(f, "\n[windows]\naudit_policy = %s\n", a.auditpolicy);
	if (fclose(f) != 0) {
		fprintf(stderr, _("%s cannot be written.\n"), file);
		return 1;
	}
	if ((ag = agent_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	agent_free(ag);
	printf(_("%s is written.\n"), file);
	if (*a.token != '\0' && enroll(&a, file, key) != 0)
		return 1;
	start_service();
	return 0;
}
