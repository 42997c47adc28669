/*
 * The collector's configuration: one [collector] section, described by a
 * table in conf.c (name, type, default, range, field). Durations are in
 * milliseconds, sizes in bytes.
 */
#ifndef VIGIL_COLLECTOR_CONF_H
#define VIGIL_COLLECTOR_CONF_H

#include <stddef.h>
#include <stdio.h>

#define CONF_PATH_MAX 1024
#define CONF_NAME_MAX 256
#define CONF_SOCKET_MAX 108      /* sizeof(sun_path) */

struct collector_conf {
	char listen[CONF_NAME_MAX];
	long long port;                      /* 0: any free port */
	char ca[CONF_PATH_MAX];
	char cert[CONF_PATH_MAX];
	char key[CONF_PATH_MAX];
	char groups[CONF_NAME_MAX];
	char database[CONF_PATH_MAX];
	char control_socket[CONF_SOCKET_MAX];
	char control_group[CONF_NAME_MAX];   /* "": none */
	char user[CONF_NAME_MAX];            /* "": keep the starting user */
	long long max_connections;
	long long handshake_timeout;         /* ms */
	long long idle_timeout;              /* ms */
	long long heartbeat;                 /* ms */
	long long max_frame;                 /* bytes */
	long long max_pending;               /* bytes */
	long long max_pending_total;         /* bytes */
};

struct conf {
	struct collector_conf collector;
};

/* Every key at its default. */
void conf_defaults(struct conf *c);

/*
 * Read path into c (defaults first). Touches no file but path itself: the
 * files the configuration names need not exist. Returns 0, or VIGIL_ERR_CONFIG
 * / VIGIL_ERR_SYS with "file:line: message" (or "file: message") in err.
 */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);

/* Print the effective configuration, for -nv. */
void conf_print(FILE *fp, const struct conf *c);

#endif
