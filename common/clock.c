/*
 * The daemons' clock (vigil/clock.h): one place for the time stamped on
 * everything, which a test can hold still or move forward.
 */
#include <string.h>
#include <time.h>

#include "vigil/clock.h"
#include "vigil/err.h"

static clock_fn injected;
static void *injected_arg;

int64_t
clock_now_us(void)
{
	struct timespec ts;

	if (injected != NULL)
		return injected(injected_arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
clock_inject(clock_fn fn, void *arg)
{
	injected = fn;
	injected_arg = arg;
}

int
clock_local_us(int year, int mon, int day, int hour, int min, int sec, int64_t *us)
{
	struct tm tm;
	time_t t;

	if (year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1 || day > 31 ||
	    hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
		return VIGIL_ERR_DECODE;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;    /* the zone's rules say whether summer time applies */
	if ((t = mktime(&tm)) == (time_t)-1 || t < 0)
		return VIGIL_ERR_DECODE;
	*us = (int64_t)t * 1000000;
	return 0;
}

int64_t
clock_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
clock_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}
