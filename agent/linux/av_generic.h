/*
 * av_generic.c (Linux platform code): the generic provider of the antivirus
 * sensor (av.h), for products without a protocol: a process name (from
 * /proc) or a systemd unit that must run, and a literal pattern that marks a
 * detection line in their log.
 */
#ifndef VIGIL_AGENT_AV_GENERIC_H
#define VIGIL_AGENT_AV_GENERIC_H

#include <stddef.h>

#include "../av.h"

/* ---- pure parts, for tests ----------------------------------------------- */

/* Is comm (a /proc/PID/comm, maybe with its newline) the process `name`? */
int av_comm_matches(const char *comm, size_t len, const char *name);

/*
 * Does line contain the literal pattern? Then 1, and d holds what the line
 * says in clamd's shape when it has one, else signature "unknown" and the
 * line itself (cut) as path.
 */
int av_generic_found(const char *line, size_t len, const char *pattern,
    struct av_detection *d);

/* Generic: process and/or unit must run (either suffices); pattern marks detections. */
struct av_provider *av_generic_new(const char *name, const char *process, const char *unit,
    const char *pattern);

/* Is a process called name running? (/proc/ * /comm) */
int av_process_running(const char *name);

/* [antivirus] provider = generic */
extern const struct av_provider_driver av_provider_generic;

#endif
