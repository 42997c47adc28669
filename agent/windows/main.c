/*
 * vigil-agent.exe: the command line, the console or the service, and the
 * event loop around the portable agent (agent.h), which follows the logs,
 * turns what matters into events, keeps them in a durable spool and sends
 * them to the collector over mutual TLS, as on Linux.
 *
 *   vigil-agent.exe [-f FILE] [-d] [-n] [-v]     (FILE: %ProgramData%\Vigil\vigil-agent.conf)
 *   vigil-agent.exe --install-service [-f FILE]
 *   vigil-agent.exe --uninstall-service
 *   vigil-agent.exe --service [-f FILE] [-v]     (how the SCM starts it)
 *   vigil-agent.exe [-f FILE] --enroll HOST[:PORT] --token TOKEN
 *   vigil-agent.exe --configure COLLECTOR=... UNIT=... CA=... CERT=... KEY=... [PORT=...]
 *   vigil-agent.exe --configure COLLECTOR=... UNIT=... TOKEN=... [ENROLLPORT=...]
 *   vigil-agent.exe --selftest [--record DIR]
 *   vigil-agent.exe --list-usb
 *   vigil-agent.exe --test-rules [-f FILE] [-r DIR [-r DIR]] [--source NAME] < LINES
 *
 * Requests from other threads (the console's control handler, the service's
 * control handler) reach the loop as one byte on a socket pair: libevent is
 * not told about threads, and the loop alone touches the agent.
 */
#include <winsock2.h>
#include <windows.h>
#include <shlobj.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "vigil/dir.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../agent.h"
#include "../dirwatch.h"
#include "../enroll.h"
#include "winagent.h"
#include "winsensors.h"

#define NO_SOCKET ((evutil_socket_t)-1)
#include "../../common/windows/utf16.h"

struct win_agent {
	struct agent *a;
	struct event_base *base;
	struct dirwatch *dirwatch;
	evutil_socket_t ctl[2];
	struct event *ctl_ev;
	enum win_request req;        /* the stop being answered */
};

static volatile evutil_socket_t ctl_out = NO_SOCKET;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "%s", _("usage: vigil-agent.exe [-f FILE] [-d] [-n] [-v]\n"));
	fprintf(stderr, "%s", _("       vigil-agent.exe --install-service [-f FILE]\n"));
	fprintf(stderr, "%s", _("       vigil-agent.exe --uninstall-service\n"));
	fprintf(stderr, "%s", _("       vigil-agent.exe [-f FILE] --enroll HOST[:PORT] --token "
	    "TOKEN\n"));
	fprintf(stderr, "%s", _("       vigil-agent.exe --configure COLLECTOR=ADDRESS UNIT=UNIT "
	    "CA=FILE CERT=FILE KEY=FILE [PORT=PORT]\n"));
	fprintf(stderr, "%s", _("       vigil-agent.exe --configure COLLECTOR=ADDRESS UNIT=UNIT "
	    "TOKEN=TOKEN [ENROLLPORT=PORT] [AUDITPOLICY=set]\n"));
	fprintf(stderr, "%s", _("       vigil-agent.exe --selftest [--record DIR]\n"));
	fprintf(stderr, "%s", _("       vigil-agent.exe --list-usb\n"));
	fprintf(stderr, "%s", _("       vigil-agent --test-rules [-f FILE] [-r DIR [-r DIR]] "
	    "[--source NAME] < LINES\n"));
	exit(1);
}

int
win_data_dir(char *buf, size_t len)
{
	wchar_t w[MAX_PATH];
	DWORD n;
	char *u;

	/* The shell's answer first: a service's environment may lack ProgramData (Wine's does). */
	if (SHGetFolderPathW(NULL, CSIDL_COMMON_APPDATA, NULL, SHGFP_TYPE_CURRENT, w) != S_OK) {
		n = GetEnvironmentVariableW(L"ProgramData", w, MAX_PATH);
		if (n == 0 || n >= MAX_PATH)
			return -1;
	}
	if ((u = win_utf8(w)) == NULL)
		return -1;
	if ((size_t)snprintf(buf, len, "%s\\Vigil", u) >= len) {
		free(u);
		return -1;
	}
	free(u);
	return 0;
}

void
win_request_post(enum win_request r)
{
	char c = (char)r;
	evutil_socket_t s = ctl_out;

	if (s != NO_SOCKET)
		send(s, &c, 1, 0);
	else if (r == WIN_REQ_STOP || r == WIN_REQ_SHUTDOWN)
		win_enroll_stop();      /* before the loop: a put-off enrolment waiting */
}

static BOOL WINAPI
console_cb(DWORD type)
{
	switch (type) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
		win_request_post(WIN_REQ_STOP);
		return TRUE;
	case CTRL_SHUTDOWN_EVENT:
		win_request_post(WIN_REQ_SHUTDOWN);
		return TRUE;
	default:
		return FALSE;        /* a logoff is not ours to answer */
	}
}

/* Why this request stops the agent, for its goodbye: the same reasons as on Linux. */
static int
stop_reason(void *arg, const char **detail)
{
	struct win_agent *wa = arg;

	if (wa->req == WIN_REQ_SHUTDOWN) {
		*detail = "the system is shutting down (pre-shutdown)";
		return VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN;
	}
	*detail = "the agent was stopped";
	return VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED;
}

static void
ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct win_agent *wa = arg;
	char buf[16];
	int n, i;

	if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0)
		return;
	for (i = 0; i < n; i++) {
		switch (buf[i]) {
		case WIN_REQ_STOP:
			wa->req = WIN_REQ_STOP;
			agent_stop(wa->a, _("A stop request"), stop_reason, wa);
			break;
		case WIN_REQ_SHUTDOWN:
			wa->req = WIN_REQ_SHUTDOWN;
			agent_stop(wa->a, _("The system's shutdown"), stop_reason, wa);
			break;
		case WIN_REQ_SUSPEND:
			agent_power_down(wa->a, 0);
			break;
		case WIN_REQ_RESUME:
			agent_power_up(wa->a, 0);
			break;
		}
	}
}

static void
win_free(struct win_agent *wa)
{
	ctl_out = NO_SOCKET;
	if (wa->ctl_ev != NULL)
		event_free(wa->ctl_ev);
	if (wa->ctl[0] != NO_SOCKET)
		evutil_closesocket(wa->ctl[0]);
	if (wa->ctl[1] != NO_SOCKET)
		evutil_closesocket(wa->ctl[1]);
	dirwatch_free(wa->dirwatch);
	if (wa->base != NULL)
		event_base_free(wa->base);
}

/*
 * Every path the agent uses is the file's own: a built-in default is a
 * Linux path, which Windows reads as \var\lib\... on the current drive, a
 * folder any user may create. 0, or -1 with the key said in err.
 */
static int
paths_given(const struct agent_conf *c, char *err, size_t errlen)
{
	const struct { const char *key; const char *v; } p[] = {
		{ "[agent] state_dir", c->agent.state_dir },
		{ "[agent] rules_dir", c->agent.rules_dir },
		{ "[agent] local_rules_dir", c->agent.local_rules_dir },
		{ "[collector] ca", c->collector.ca },
		{ "[collector] cert", c->collector.cert },
		{ "[collector] key", c->collector.key },
	};
	size_t i;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (!dir_path_absolute(p[i].v)) {
			snprintf(err, errlen, _("%s must be given as a Windows path (C:\\...), "
			    "not left at '%s'."), p[i].key, p[i].v);
			return -1;
		}
	return 0;
}

struct agent *
win_load(const char *file, char *err, size_t errlen)
{
	struct agent *a;
	char why[512];

	if ((a = agent_load(file, err, errlen)) == NULL)
		return NULL;
	if (paths_given(agent_conf(a), why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", file, why);
		agent_free(a);
		return NULL;
	}
	return a;
}

static void
make_dir(const char *path)
{
	wchar_t *w;

	if ((w = win_wide(path)) == NULL)
		fatalx(_("Cannot create the state directory %s"), path);
	if (!CreateDirectoryW(w, NULL) && GetLastError() != ERROR_ALREADY_EXISTS)
		fatalx(_("Cannot create the state directory %s"), path);
	free(w);
}

/* Was the enrolment put off (KEY.token, no key)? */
static int
put_off(const struct agent_conf *conf)
{
	char path[AGENT_CONF_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s%s", conf->collector.key, ENROLL_DEFERRED_SUFFIX);
	return !win_file_exists(conf->collector.key) && win_file_exists(path);
}

int
win_run(const char *file, int service, int verbose, void (*started)(void))
{
	struct win_agent wa;
	const struct agent_conf *conf;
	char err[1024];

	log_init("vigil-agent", !service, verbose);
	memset(&wa, 0, sizeof(wa));
	wa.ctl[0] = wa.ctl[1] = NO_SOCKET;
	if ((wa.a = win_load(file, err, sizeof(err))) == NULL) {
		if (service)
			log_warnx("%s", err);
		else
			fprintf(stderr, "%s\n", err);
		return 1;
	}
	conf = agent_conf(wa.a);
	/*
	 * Installed on a disk image being made: wait for the first real start,
	 * then enrol. The service is running meanwhile (the SCM would give up
	 * on a start that waits), and a stop ends the wait.
	 */
	if (service && started != NULL && put_off(conf)) {
		started();
		started = NULL;
	}
	if (!service)
		SetConsoleCtrlHandler(console_cb, TRUE);
	if (win_enroll_deferred(file) != 0) {
		agent_free(wa.a);
		return 1;
	}
	/* The writers and the id before agent_prepare(): it may re-enrol (grace.h). */
	agent_set_identity_writer(wa.a, win_save_identity, NULL);
	agent_set_ca_writer(wa.a, win_save_ca, NULL);
	{
		char mid[72];

		win_machine_id(mid, sizeof(mid));
		agent_set_machine_id(wa.a, mid);
	}
	agent_prepare(wa.a);
	make_dir(conf->agent.state_dir);

	if ((wa.base = event_base_new()) == NULL)
		fatalx("%s", _("The event loop cannot be created."));
	if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, wa.ctl) != 0 ||
	    evutil_make_socket_nonblocking(wa.ctl[0]) != 0 ||
	    (wa.ctl_ev = event_new(wa.base, wa.ctl[0], EV_READ | EV_PERSIST, ctl_cb, &wa)) == NULL ||
	    event_add(wa.ctl_ev, NULL) != 0)
		fatalx("%s", _("The signal handlers cannot be installed."));
	ctl_out = wa.ctl[1];
	if ((wa.dirwatch = dirwatch_new(wa.base, err, sizeof(err))) == NULL)
		fatalx(_("The log sources cannot be watched: %s."), err);
	agent_start(wa.a, wa.base, wa.dirwatch);
	agent_go(wa.a);
	if (started != NULL)
		started();

	if (event_base_dispatch(wa.base) < 0)
		log_warnx("%s", _("The event loop failed."));
	if (!service)
		SetConsoleCtrlHandler(console_cb, FALSE);
	agent_free(wa.a);
	win_free(&wa);
	return 0;
}

/* vigil-agent --test-rules: lines on stdin, what fires on stdout. */
static int
test_rules_main(int argc, char *argv[])
{
	const char *dirs[2] = { NULL, NULL }, *file = NULL, *source = NULL;
	size_t ndirs = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc && ndirs < 2)
			dirs[ndirs++] = argv[++i];
		else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
			source = argv[++i];
		else
			usage();
	}
	log_init("vigil-agent", 1, 0);
	return agent_test_rules(file, dirs, ndirs, source, stdin, stdout);
}

/* %ProgramData%\Vigil\vigil-agent.conf, or NULL when the folder is not known. */
static const char *
default_conf(void)
{
	static char deffile[MAX_PATH + 32];

	if (win_data_dir(deffile, sizeof(deffile) - sizeof(WIN_CONF_NAME) - 1) != 0)
		return NULL;
	strcat(deffile, "\\" WIN_CONF_NAME);
	return deffile;
}

int
main(int argc, char *argv[])
{
	const char *file = NULL;
	int i, debug = 0, check = 0, verbose = 0, service = 0, install = 0, rc;
	WSADATA wsa;

	if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
		fprintf(stderr, "%s\n", _("Winsock cannot start."));
		return 1;
	}
	/* No openssl.cnf is ever read: not the build machine's path, nor one a user made. */
	OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
	if (argc >= 2 && strcmp(argv[1], "--test-rules") == 0)
		return test_rules_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "--configure") == 0)
		return win_configure_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "--list-usb") == 0)
		return win_usb_list_main(argc - 1, argv + 1, stdout);
	if (argc >= 2 && strcmp(argv[1], "--selftest") == 0)
		return win_selftest_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "--uninstall-service") == 0) {
		if (argc != 2)
			usage();
		return win_service_uninstall();
	}
	/* Enrolment (issue 15): a one-shot exchange before the agent ever runs. */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--enroll") == 0 || strncmp(argv[i], "--enroll=", 9) == 0)
			return win_enroll_main(argc, argv, default_conf());
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--service") == 0)
			service = 1;
		else if (strcmp(argv[i], "--install-service") == 0)
			install = 1;
		else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strcmp(argv[i], "-d") == 0)
			debug = 1;
		else if (strcmp(argv[i], "-n") == 0)
			check = 1;
		else if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "-nv") == 0 || strcmp(argv[i], "-vn") == 0) {
			check = 1;
			verbose++;
		} else
			usage();
	}
	if (file == NULL && (file = default_conf()) == NULL) {
		fprintf(stderr, "%s\n", _("The ProgramData folder is not known: give the file with -f."));
		return 1;
	}
	if (install)
		return win_service_install(file);
	if (service)
		return win_service_main(file, verbose);
	if (check) {
		struct agent *a;
		char err[1024];

		log_init("vigil-agent", 1, verbose);
		if ((a = win_load(file, err, sizeof(err))) == NULL) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		rc = agent_check(agent_conf(a), verbose, stdout);
		agent_free(a);
		return rc;
	}
	(void)debug;         /* the console is the foreground: -d is what Linux users type */
	return win_run(file, 0, verbose, NULL);
}
