/*
 * The agent's configuration: the table of its keys (for cfg_load() and
 * cfg_print()) and the checks that span several keys.
 */
#ifndef VIGIL_AGENT_CONF_H
#define VIGIL_AGENT_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "vigil/config.h"
#include "vigil/wire.h"

#define AGENT_CONF_PATH_MAX 1024
#define AGENT_MAX_SOURCES 64
#define AGENT_MAX_JOURNALS 16

struct agent_conf_agent {
	char state_dir[AGENT_CONF_PATH_MAX];
	char unit[WIRE_MAX_UNIT + 1];
	long long spool_max;                 /* bytes */
	long long max_line;                  /* bytes */
	char rules_dir[AGENT_CONF_PATH_MAX];       /* the shipped rules */
	char local_rules_dir[AGENT_CONF_PATH_MAX]; /* local rules: override or disable by id */
	char language[8];                    /* of messages and summaries: "en", "vi" */
};

struct agent_conf_collector {
	char address[256];
	long long port;
	char server_name[256];               /* "": the address */
	char ca[AGENT_CONF_PATH_MAX];
	char cert[AGENT_CONF_PATH_MAX];
	char key[AGENT_CONF_PATH_MAX];
	char groups[256];
	long long batch_max;                 /* events per batch */
	long long window;                    /* batches in flight */
	long long reconnect_min;             /* milliseconds */
	long long reconnect_max;
	long long reconnect_spread;          /* the first attempt after a loss: [0, this] */
	long long connect_timeout;
	long long max_frame;                 /* bytes */
	long long enroll_port;               /* re-enrolment with the old key; 0: off */
};

struct agent_conf_source {
	char name[256];                      /* the section's label, at most WIRE_MAX_SOURCE */
	char path[AGENT_CONF_PATH_MAX];
};

/* [journal NAME]: entries of the systemd journal. */
struct agent_conf_journal {
	char name[256];                      /* the section's label, at most WIRE_MAX_SOURCE */
	char directory[AGENT_CONF_PATH_MAX]; /* "": the system journal */
	char units[1024];                    /* systemd units, space-separated; "": any */
	char identifiers[1024];              /* SYSLOG_IDENTIFIERs, space-separated; "": any */
};

/* [antivirus]: the antivirus sensor (agent/av.c). */
struct agent_conf_antivirus {
	char provider[16];                   /* clamav, generic or none */
	char clamd_socket[AGENT_CONF_PATH_MAX];  /* a Unix socket path or 127.0.0.1:PORT */
	char clamd_log[AGENT_CONF_PATH_MAX];
	long long signature_max_age;         /* milliseconds */
	long long check_interval;            /* milliseconds */
	char name[64];                       /* generic: the product's name */
	char process[64];                    /* generic: a process that must run */
	char unit[256];                      /* generic: a systemd unit that must be active */
	char log[AGENT_CONF_PATH_MAX];       /* generic: its detection log */
	char pattern[256];                   /* generic: a literal marking a detection line */
};

/* [updates]: the OS-update sensor (agent/linux/updates.c). */
struct agent_conf_updates {
	int enabled;
	char root[AGENT_CONF_PATH_MAX];      /* "/" but in tests */
	long long check_interval;            /* milliseconds */
	int apt_simulate;
	char apt_command[1024];              /* run with /bin/sh -c */
	int package_events;                  /* software.installed/removed from dpkg.log */
};

/* [usb]: the USB sensor and policy (agent/linux/usb.c). */
#define AGENT_USB_ALLOW_MAX 4000
struct agent_conf_usb {
	int enabled;
	char policy[16];                     /* off, alert or block */
	char sysfs_root[AGENT_CONF_PATH_MAX];
	char allow[AGENT_USB_ALLOW_MAX];     /* "vendor:product[:serial]", space-separated */
	int block_hid;                       /* keyboards and mice may be blocked too */
	int insecure_accept_test_sender;     /* tests only: believe any local uevent sender */
};

/* [windows]: the Windows agent's own settings (agent/windows/auditpol_win.c). */
struct agent_conf_windows {
	char audit_policy[16];               /* off, report or set */
	long long audit_check_interval;      /* milliseconds */
};

/* [eventlog]: the Windows Event Log sensor (agent/windows/evtlog.c). */
struct agent_conf_eventlog {
	int enabled;
	char channels[2048];                 /* comma-separated (evtlog_util.h) */
	long long backlog;                   /* ms read back on a channel's first run; 0: none */
};

/* [network]: what the agent sees of its network segment (agent/neigh.c, issue 15). */
struct agent_conf_network {
	int neighbours;                      /* report the neighbour table (ARP, IPv6 ND) */
	long long report_interval;           /* milliseconds */
};

struct agent_conf {
	struct agent_conf_agent agent;
	struct agent_conf_collector collector;
	size_t nsources;
	size_t njournals;
	struct agent_conf_antivirus antivirus;
	struct agent_conf_updates updates;
	struct agent_conf_usb usb;
	struct agent_conf_windows windows;
	struct agent_conf_eventlog eventlog;
	struct agent_conf_network network;
	/*
	 * The tables come last: the loader zeroes what is before them and each
	 * entry as its section appears, so the pages of unused entries (most of
	 * 150 kB) are never touched and never resident.
	 */
	struct agent_conf_source sources[AGENT_MAX_SOURCES];
	struct agent_conf_journal journals[AGENT_MAX_JOURNALS];
};

extern const struct cfg_section agent_conf_sections[];

/*
 * Load path into *conf (reset first; a table entry when its section appears)
 * and check what spans several keys. Returns 0, or VIGIL_ERR_CONFIG / VIGIL_ERR_SYS with
 * "file:line: message" or "file: message" in err. Touches no file but path.
 */
int agent_conf_load(const char *path, struct agent_conf *conf, char *err, size_t errlen);

/*
 * The line of key in section [section label] of path (key NULL: of the
 * section's header; label NULL: any label for a header, none for a key), or
 * 0: for the checks of a configuration cfg_load() has read, sensors' too.
 */
unsigned agent_conf_line(const char *path, const char *section, const char *label,
    const char *key);

/* The effective configuration in the file's own syntax (for -nv). */
void agent_conf_print(FILE *fp, const struct agent_conf *conf);

#endif
