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
	long long connect_timeout;
	long long max_frame;                 /* bytes */
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

struct agent_conf {
	struct agent_conf_agent agent;
	struct agent_conf_collector collector;
	struct agent_conf_source sources[AGENT_MAX_SOURCES];
	size_t nsources;
	struct agent_conf_journal journals[AGENT_MAX_JOURNALS];
	size_t njournals;
};

extern const struct cfg_section agent_conf_sections[];

/*
 * Load path into *conf (which is wholly reset first) and check what spans
 * several keys. Returns 0, or VIGIL_ERR_CONFIG / VIGIL_ERR_SYS with
 * "file:line: message" or "file: message" in err. Touches no file but path.
 */
int agent_conf_load(const char *path, struct agent_conf *conf, char *err, size_t errlen);

/* The effective configuration in the file's own syntax (for -nv). */
void agent_conf_print(FILE *fp, const struct agent_conf *conf);

#endif
