/*
 * The Windows agent's own parts around the portable agent (agent.h): the run
 * (main.c), the service (service.c: the Service Control Manager, install and
 * uninstall, the key's and the state's access control) and the posture
 * sources (posture_win.c, selftest.c).
 */
#ifndef VIGIL_AGENT_WINDOWS_WINAGENT_H
#define VIGIL_AGENT_WINDOWS_WINAGENT_H

#include <stddef.h>

#define WIN_SERVICE_NAME L"Vigil"
#define WIN_CONF_NAME "vigil-agent.conf"

/* What the Service Control Manager or the console asked; one byte on the control channel. */
enum win_request {
	WIN_REQ_STOP = 'S',          /* service stop, Ctrl+C, console closed */
	WIN_REQ_SHUTDOWN = 'D',      /* pre-shutdown, shutdown (Fast Startup too) */
	WIN_REQ_SUSPEND = 'Z',       /* PBT_APMSUSPEND */
	WIN_REQ_RESUME = 'R',        /* PBT_APMRESUMEAUTOMATIC / PBT_APMRESUMESUSPEND */
};

/* %ProgramData%\Vigil, in UTF-8, into buf: 0, or -1. */
int win_data_dir(char *buf, size_t len);

/*
 * Run the agent of file until asked to stop. service: under the SCM (the
 * event log; the requests come through win_request_post()); else in the
 * foreground on a console (stderr; Ctrl+C, Ctrl+Break and closing stop it).
 * started() is called once the agent is running (the service reports
 * SERVICE_RUNNING then). Returns the exit status.
 */
int win_run(const char *file, int service, int verbose, void (*started)(void));

/* Post a request from any thread (a console or service control handler). */
void win_request_post(enum win_request r);

/* vigil-agent.exe --service -f FILE: hand the process to the SCM. */
int win_service_main(const char *file, int verbose);
/* --install-service [-f FILE], --uninstall-service: exit status, said on stderr. */
int win_service_install(const char *file);
int win_service_uninstall(void);
/*
 * Give path a protected access list: full control to SYSTEM and to the
 * Administrators group, nothing to anyone else (inherited by what a
 * directory holds). 0, or a Windows error code.
 */
unsigned long win_restrict_acl(const char *path);

/* The agent of file, its paths checked (Windows paths, not Linux defaults); NULL with err. */
struct agent *win_load(const char *file, char *err, size_t errlen);

/* vigil-agent.exe [-f FILE] --enroll HOST[:PORT] --token T (enroll.c): exit status. */
int win_enroll_main(int argc, char *argv[], const char *default_file);
/* Enrol the PC of configuration file (--configure TOKEN=): exit status, said on stderr. */
int win_enroll_run(const char *file, const char *target, const char *token);
/*
 * A put-off enrolment (the MSI ran on a disk image being made) at the
 * service's start: enroll_deferred(); win_enroll_stop() ends its wait.
 */
int win_enroll_deferred(const char *file);
void win_enroll_stop(void);
/* The renewed key and certificate's writer (agent_identity_fn). */
int win_save_identity(void *arg, const char *key_path, const char *key_pem, size_t key_len,
    const char *cert_path, const char *cert_pem);
/* The collector's CA bundle's writer (agent_ca_fn): replaced atomically, the folder's list. */
int win_save_ca(void *arg, const char *ca_path, const char *pem);
/* path names a file or a folder (GetFileAttributesW). */
int win_file_exists(const char *path);
/* MachineGuid's SHA-256 hex into hex[cap >= 65]; "" when it cannot be read. */
void win_machine_id(char *hex, size_t cap);

/* vigil-agent.exe --configure NAME=VALUE... (configure.c): exit status. */
int win_configure_main(int argc, char *argv[]);

/* vigil-agent.exe --selftest [--record DIR]: exit status. */
int win_selftest_main(int argc, char *argv[]);

#endif
