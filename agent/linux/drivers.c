/*
 * The Linux agent's drivers: its sensors, in the order they start, and its
 * antivirus providers. A new sensor or provider is a file and a line here;
 * the engines (sensor.c, av.c) never name one.
 */
#include <stddef.h>

#include "../av.h"
#include "../sensor.h"
#include "av_clamd.h"
#include "av_generic.h"
#include "journal.h"
#include "updates.h"
#include "usb.h"
#include "../watch.h"

const struct sensor_driver *const sensor_drivers[] = {
	&sensor_logfile,        /* [source NAME]: log files, inotify */
	&sensor_journal,        /* [journal NAME]: sd-journal */
	&sensor_usb,            /* [usb]: netlink uevents, sysfs */
	&sensor_antivirus,      /* [antivirus]: a provider below */
	&sensor_updates,        /* [updates]: apt and dpkg */
	NULL,
};

const struct av_provider_driver *const av_providers[] = {
	&av_provider_clamav,    /* clamd's socket */
	&av_provider_generic,   /* a process or unit, a log pattern */
	NULL,
};
