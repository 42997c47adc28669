/*
 * Logging in the OpenBSD shape: stderr in the foreground, syslog otherwise.
 * Messages are full sentences written at the call site.
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdarg.h>

#include "vigil/attr.h"

/*
 * Start logging as `ident`; `foreground` sends messages to stderr. verbose 0
 * logs all but debug, more adds debug, below 0 only fatal (fuzz targets).
 */
void log_init(const char *ident, int foreground, int verbose);

void log_warn(const char *fmt, ...) VIGIL_PRINTF(1, 2);  /* adds strerror */
void log_warnx(const char *fmt, ...) VIGIL_PRINTF(1, 2);
void log_info(const char *fmt, ...) VIGIL_PRINTF(1, 2);
void log_debug(const char *fmt, ...) VIGIL_PRINTF(1, 2);
void fatal(const char *fmt, ...) VIGIL_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) VIGIL_PRINTF(1, 2) __attribute__((noreturn));

/* ---- the system's log, which each platform supplies (common/linux/syslog.c) ---- */

enum log_level { LOG_LEVEL_CRIT, LOG_LEVEL_ERR, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Called by log_init(): open the system's log as ident unless in the foreground. */
void log_system_open(const char *ident, int foreground);
/* One complete message (no newline) at level. */
void log_system(enum log_level level, const char *msg);

#endif
