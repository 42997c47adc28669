/*
 * The Windows service: vigil-agent.exe --service under the Service Control
 * Manager (StartServiceCtrlDispatcherW), and --install-service /
 * --uninstall-service. The service accepts STOP, PRESHUTDOWN (Windows gives
 * it up to the pre-shutdown timeout to say goodbye before the machine goes
 * down, Fast Startup included) and POWEREVENT (PBT_APMSUSPEND: goodbye
 * "suspend"; resume: report again). Installing registers the service (auto
 * start, restart on failure), the event source "Vigil" of the Application
 * log, and protects %ProgramData%\Vigil and the key named by the
 * configuration: SYSTEM and Administrators only.
 */
#include <winsock2.h>
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../agent.h"
#include "winagent.h"
#include "../../common/windows/utf16.h"

#define EVENTLOG_KEY L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\Vigil"

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static const char *svc_file;
static int svc_verbose;
static int svc_rc;

static void
report(DWORD state, DWORD wait_ms)
{
	static DWORD checkpoint = 1;

	status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	status.dwCurrentState = state;
	status.dwWaitHint = wait_ms;
	status.dwControlsAccepted = state == SERVICE_RUNNING ?
	    SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_POWEREVENT : 0;
	status.dwCheckPoint = state == SERVICE_RUNNING || state == SERVICE_STOPPED ?
	    0 : checkpoint++;
	status.dwWin32ExitCode = state == SERVICE_STOPPED && svc_rc != 0 ?
	    ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
	status.dwServiceSpecificExitCode = (DWORD)svc_rc;
	SetServiceStatus(status_handle, &status);
}

static DWORD WINAPI
control_cb(DWORD control, DWORD type, LPVOID data, LPVOID ctx)
{
	switch (control) {
	case SERVICE_CONTROL_STOP:
		report(SERVICE_STOP_PENDING, 10000);
		win_request_post(WIN_REQ_STOP);
		return NO_ERROR;
	case SERVICE_CONTROL_PRESHUTDOWN:
	case SERVICE_CONTROL_SHUTDOWN:
		report(SERVICE_STOP_PENDING, 10000);
		win_request_post(WIN_REQ_SHUTDOWN);
		return NO_ERROR;
	case SERVICE_CONTROL_POWEREVENT:
		if (type == PBT_APMSUSPEND)
			win_request_post(WIN_REQ_SUSPEND);
		else if (type == PBT_APMRESUMEAUTOMATIC || type == PBT_APMRESUMESUSPEND)
			win_request_post(WIN_REQ_RESUME);
		return NO_ERROR;
	case SERVICE_CONTROL_INTERROGATE:
		return NO_ERROR;
	default:
		return ERROR_CALL_NOT_IMPLEMENTED;
	}
}

static void
running(void)
{
	report(SERVICE_RUNNING, 0);
}

static void WINAPI
service_main(DWORD argc, LPWSTR *argv)
{
	if ((status_handle = RegisterServiceCtrlHandlerExW(WIN_SERVICE_NAME, control_cb,
	    NULL)) == NULL)
		return;
	report(SERVICE_START_PENDING, 30000);
	svc_rc = win_run(svc_file, 1, svc_verbose, running);
	report(SERVICE_STOPPED, 0);
}

int
win_service_main(const char *file, int verbose)
{
	SERVICE_TABLE_ENTRYW table[] = {
		{ (LPWSTR)(uintptr_t)WIN_SERVICE_NAME, service_main },
		{ NULL, NULL },
	};

	svc_file = file;
	svc_verbose = verbose;
	if (!StartServiceCtrlDispatcherW(table)) {
		fprintf(stderr, _("vigil-agent.exe --service runs under the Service Control Manager "
		    "only (error %lu): run it without --service in a console.\n"),
		    (unsigned long)GetLastError());
		return 1;
	}
	return svc_rc;
}

unsigned long
win_restrict_acl(const char *path)
{
	PSECURITY_DESCRIPTOR sd = NULL;
	BOOL present = FALSE, defaulted = FALSE;
	PACL dacl = NULL;
	wchar_t *w;
	DWORD rc;

	/* Protected (P): nothing inherited; SYSTEM (SY) and Administrators (BA), inherited below. */
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
	    L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", SDDL_REVISION_1, &sd, NULL))
		return GetLastError();
	if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted)) {
		rc = GetLastError();
		LocalFree(sd);
		return rc;
	}
	if ((w = win_wide(path)) == NULL) {
		LocalFree(sd);
		return ERROR_INVALID_NAME;
	}
	rc = SetNamedSecurityInfoW(w, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, NULL, NULL, dacl, NULL);
	free(w);
	LocalFree(sd);
	return rc;
}

static int
register_event_source(const wchar_t *exe)
{
	HKEY k;
	DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
	LONG rc;

	if ((rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, EVENTLOG_KEY, 0, NULL, 0, KEY_SET_VALUE, NULL,
	    &k, NULL)) != ERROR_SUCCESS)
		return (int)rc;
	RegSetValueExW(k, L"TypesSupported", 0, REG_DWORD, (const BYTE *)&types, sizeof(types));
	RegCloseKey(k);
	(void)exe;
	return 0;
}

static void
say_error(const char *what, DWORD e)
{
	fprintf(stderr, _("%s failed: Windows error %lu.\n"), what, (unsigned long)e);
}

int
win_service_install(const char *file)
{
	SERVICE_DESCRIPTIONW desc = { (LPWSTR)(uintptr_t)L"Vigil security-incident agent: "
	    L"sends this PC's security events and posture to the unit's collector." };
	SERVICE_PRESHUTDOWN_INFO pre = { 20000 };
	SC_ACTION actions[3] = { { SC_ACTION_RESTART, 5000 }, { SC_ACTION_RESTART, 30000 },
	    { SC_ACTION_RESTART, 60000 } };
	SERVICE_FAILURE_ACTIONSW fail = { 86400, NULL, NULL, 3, actions };
	wchar_t exe[MAX_PATH], *wfile, *cmd;
	SC_HANDLE scm, svc;
	char dir[MAX_PATH + 16], err[1024];
	struct agent *a;
	unsigned long e;
	size_t len;

	/* The file must be right before the service is made: the SCM says nothing useful. */
	log_init("vigil-agent", 1, 0);
	if ((a = agent_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (GetModuleFileNameW(NULL, exe, MAX_PATH) == 0 || (wfile = win_wide(file)) == NULL) {
		agent_free(a);
		say_error("GetModuleFileNameW", GetLastError());
		return 1;
	}
	len = wcslen(exe) + wcslen(wfile) + 32;
	if ((cmd = calloc(len, sizeof(*cmd))) == NULL) {
		agent_free(a);
		free(wfile);
		return 1;
	}
	_snwprintf(cmd, len, L"\"%ls\" --service -f \"%ls\"", exe, wfile);
	free(wfile);
	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CREATE_SERVICE)) == NULL) {
		say_error("OpenSCManagerW", GetLastError());
		goto fail;
	}
	svc = CreateServiceW(scm, WIN_SERVICE_NAME, L"Vigil agent", SERVICE_ALL_ACCESS,
	    SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL,
	    L"Tcpip\0\0", NULL, NULL);
	if (svc == NULL) {
		say_error("CreateServiceW", GetLastError());
		CloseServiceHandle(scm);
		goto fail;
	}
	ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &desc);
	ChangeServiceConfig2W(svc, SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre);
	ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fail);
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	free(cmd);
	if ((e = (unsigned long)register_event_source(exe)) != 0)
		say_error("RegCreateKeyExW (event source)", e);
	/* The data directory and the key: SYSTEM and Administrators only. */
	if (win_data_dir(dir, sizeof(dir)) == 0) {
		wchar_t *wd = win_wide(dir);

		if (wd != NULL) {
			CreateDirectoryW(wd, NULL);
			free(wd);
		}
		if ((e = win_restrict_acl(dir)) != 0)
			say_error("SetNamedSecurityInfoW (data directory)", e);
	}
	if ((e = win_restrict_acl(agent_conf(a)->collector.key)) != 0)
		say_error("SetNamedSecurityInfoW (key)", e);
	agent_free(a);
	printf("%s\n", _("The service Vigil is installed."));
	return 0;
fail:
	agent_free(a);
	free(cmd);
	return 1;
}

int
win_service_uninstall(void)
{
	SERVICE_STATUS st;
	SC_HANDLE scm, svc;
	int i;

	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL) {
		say_error("OpenSCManagerW", GetLastError());
		return 1;
	}
	if ((svc = OpenServiceW(scm, WIN_SERVICE_NAME, SERVICE_STOP | SERVICE_QUERY_STATUS |
	    DELETE)) == NULL) {
		DWORD e = GetLastError();

		CloseServiceHandle(scm);
		if (e == ERROR_SERVICE_DOES_NOT_EXIST) {
			RegDeleteKeyW(HKEY_LOCAL_MACHINE, EVENTLOG_KEY);
			printf("%s\n", _("The service Vigil is not installed."));
			return 0;
		}
		say_error("OpenServiceW", e);
		return 1;
	}
	/* Stopped first, so that it says goodbye: uninstalling leaves nothing running. */
	if (ControlService(svc, SERVICE_CONTROL_STOP, &st))
		for (i = 0; i < 300 && QueryServiceStatus(svc, &st) &&
		    st.dwCurrentState != SERVICE_STOPPED; i++)
			Sleep(100);
	if (!DeleteService(svc)) {
		say_error("DeleteService", GetLastError());
		CloseServiceHandle(svc);
		CloseServiceHandle(scm);
		return 1;
	}
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	RegDeleteKeyW(HKEY_LOCAL_MACHINE, EVENTLOG_KEY);
	printf("%s\n", _("The service Vigil is uninstalled."));
	return 0;
}
