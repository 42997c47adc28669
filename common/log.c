/*
 * Logging: stderr in the foreground (systemd takes it to the journal), the
 * system's log otherwise, which each platform supplies (log_system_*(),
 * common/linux/syslog.c: syslog(3)).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/log.h"

static int log_foreground = 1;
static int log_verbose;
static const char *log_ident = "vigil";

void
log_init(const char *ident, int foreground, int verbose)
{
	log_ident = ident;
	log_foreground = foreground;
	log_verbose = verbose;
	log_system_open(ident, foreground);
}

static void
vlog(enum log_level pri, const char *fmt, va_list ap, const char *err)
{
	char msg[2048];

	/* Quiet: a fuzz target's inputs would make warnings by the million. */
	if (log_verbose < 0 && pri != LOG_LEVEL_CRIT)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_foreground) {
		if (err != NULL)
			fprintf(stderr, "%s: %s: %s\n", log_ident, msg, err);
		else
			fprintf(stderr, "%s: %s\n", log_ident, msg);
		fflush(stderr);
	} else if (err != NULL) {
		/* The message and its cause in one line, as stderr has them. */
		size_t n = strlen(msg);

		snprintf(msg + n, sizeof(msg) - n, ": %s", err);
		log_system(pri, msg);
	} else {
		log_system(pri, msg);
	}
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERR, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERR, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose <= 0)
		return;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
