/*
 * walltime.c: the wall clock of the agent's events and posture, and the
 * local calendar times that apt, dpkg and clamd write, in microseconds since
 * the epoch.
 */
#ifndef VIGIL_AGENT_WALLTIME_H
#define VIGIL_AGENT_WALLTIME_H

#include <stdint.h>

/* CLOCK_REALTIME in microseconds. */
int64_t walltime_now_us(void);

/*
 * A local time (year, month 1-12, day 1-31, hour, minute, second up to a
 * leap 60) -> microseconds. Returns 0, or VIGIL_ERR_DECODE for a field out
 * of range or a time before 1970 or after 9999. Pure but for the time zone.
 */
int walltime_local_us(int year, int mon, int day, int hour, int min, int sec, int64_t *us);

#endif
