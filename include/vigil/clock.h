/*
 * The one clock of both daemons: the wall clock that events, sessions,
 * incidents and escalation steps are stamped with, in microseconds since the
 * epoch, and the local calendar times that logs (apt, dpkg, clamd) are written
 * in. Tests replace the wall clock with their own (clock_inject()) instead of
 * waiting for real time to pass.
 */
#ifndef VIGIL_CLOCK_H
#define VIGIL_CLOCK_H

#include <stdint.h>

/* CLOCK_REALTIME in microseconds, or the injected clock. */
int64_t clock_now_us(void);

/*
 * Replace the wall clock: clock_now_us() returns fn(arg) from now on. NULL
 * puts the system's clock back. For tests; a daemon never calls it.
 */
typedef int64_t (*clock_fn)(void *arg);
void clock_inject(clock_fn fn, void *arg);

/*
 * A local time (year, month 1-12, day 1-31, hour, minute, second up to a
 * leap 60) -> microseconds. Returns 0, or VIGIL_ERR_DECODE for a field out
 * of range or a time before 1970 or after 9999. Pure but for the time zone.
 */
int clock_local_us(int year, int mon, int day, int hour, int min, int sec, int64_t *us);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and the date of such a
 * day: calendar arithmetic with no gmtime() and no time zone (Howard
 * Hinnant's days_from_civil and civil_from_days). Pure.
 */
int64_t clock_days_from_civil(int64_t y, int m, int d);
void clock_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif
