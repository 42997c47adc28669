/*
 * The system's log on Windows (see vigil/log.h): the Application event log,
 * through the event source "Vigil" (registered by --install-service and the
 * MSI: HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\Vigil).
 * Messages are written as one UTF-16 string with event id 1; without a
 * message file the Event Viewer shows the text under a note that the
 * description is missing, which is what services without one do. In the
 * foreground log.c writes to stderr and nothing is opened here.
 */
#include <windows.h>

#include <stdlib.h>
#include <time.h>

#include "vigil/log.h"
#include "utf16.h"

static HANDLE source;

void
log_system_open(const char *ident, int foreground)
{
	if (!foreground && source == NULL)
		source = RegisterEventSourceW(NULL, L"Vigil");
	tzset();
}

void
log_system(enum log_level level, const char *msg)
{
	static const WORD type[] = {
		[LOG_LEVEL_CRIT] = EVENTLOG_ERROR_TYPE,
		[LOG_LEVEL_ERR] = EVENTLOG_WARNING_TYPE,
		[LOG_LEVEL_INFO] = EVENTLOG_INFORMATION_TYPE,
		[LOG_LEVEL_DEBUG] = EVENTLOG_INFORMATION_TYPE,
	};
	const wchar_t *strs[1];
	wchar_t *w;

	if (source == NULL || (w = win_wide(msg)) == NULL)
		return;
	strs[0] = w;
	ReportEventW(source, type[level], 0, 1, NULL, 1, 0, strs, NULL);
	free(w);
}
