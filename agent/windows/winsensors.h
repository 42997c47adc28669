/*
 * The Windows sensors of issue 14: the Event Log (evtlog.c) and USB (usb.c),
 * each a sensor driver of agent/windows/drivers.c's table.
 */
#ifndef VIGIL_AGENT_WINDOWS_WINSENSORS_H
#define VIGIL_AGENT_WINDOWS_WINSENSORS_H

#include <stdio.h>

#include "../sensor.h"

extern const struct sensor_driver sensor_eventlog;     /* [eventlog] */
extern const struct sensor_driver sensor_winusb;       /* [usb] */

/* Whether this process runs under Wine (ntdll exports wine_get_version). */
int win_is_wine(void);

/* vigil-agent.exe --list-usb: the present devices as allow-list lines; exit status. */
int win_usb_list_main(int argc, char *argv[], FILE *out);

#endif
