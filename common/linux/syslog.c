/*
 * The system's log on Linux (see vigil/log.h): syslog(3), whose socket the
 * journal reads. The time zone is read now, while the files that hold it
 * are still there to read (before a privilege drop or a sandbox).
 */
#include <syslog.h>
#include <time.h>

#include "vigil/log.h"

void
log_system_open(const char *ident, int foreground)
{
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_system(enum log_level level, const char *msg)
{
	static const int pri[] = {
		[LOG_LEVEL_CRIT] = LOG_CRIT,
		[LOG_LEVEL_ERR] = LOG_ERR,
		[LOG_LEVEL_INFO] = LOG_INFO,
		[LOG_LEVEL_DEBUG] = LOG_DEBUG,
	};

	syslog(pri[level], "%s", msg);
}
