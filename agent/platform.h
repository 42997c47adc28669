/*
 * platform.h: what each platform supplies to the agent's portable core,
 * besides its sensors (sensor.h) and antivirus providers (av.h), which are
 * tables. The core (everything directly under agent/, and common/) calls
 * these and nothing platform-specific; agent/linux/platform.c has them for
 * Linux, and a Windows build replaces agent/linux and common/linux by its own
 * folders. Other platform services have their own headers: the directory
 * watcher (dirwatch.h), a followed file (follow.h), memory trimming
 * (vigil/memtrim.h), directory listings (vigil/dir.h), the system log
 * (vigil/log.h) and the wall clock (vigil/clock.h).
 */
#ifndef VIGIL_AGENT_PLATFORM_H
#define VIGIL_AGENT_PLATFORM_H

#include <stddef.h>

#include <event2/util.h>

/* The machine's name, and its system as "sysname release", for the collector's Hello. */
void platform_host(char *host, size_t hostlen, char *os, size_t oslen);

/* Keepalive on a connected TCP socket: a silent network must not hold it open forever. */
void platform_keepalive(evutil_socket_t fd);

/* Why a socket failed: its pending error, else err (the errno its callback saw), as words. */
const char *platform_socket_error(evutil_socket_t fd, int err);

#endif
