/*
 * The Windows agent's drivers: its sensors, in the order they start, and its
 * antivirus providers.
 */
#include <stddef.h>

#include "../av.h"
#include "../sensor.h"
#include "../watch.h"
#include "winposture.h"
#include "winsensors.h"

const struct sensor_driver *const sensor_drivers[] = {
	&sensor_logfile,        /* [source NAME]: log files (ReadDirectoryChangesW) */
	&sensor_eventlog,       /* [eventlog]: EvtSubscribe, bookmarks in the spool */
	&sensor_winusb,         /* [usb]: SetupAPI, device notifications */
	&sensor_antivirus,      /* [antivirus]: a provider below */
	&sensor_winupdates,     /* [updates]: Windows Update, pending reboot, support */
	&sensor_auditpol,       /* [windows] audit_policy: what the rules need, in force */
	NULL,
};

const struct av_provider_driver *const av_providers[] = {
	&av_provider_securitycenter,    /* Security Center (WMI), Defender's status */
	NULL,
};
