/*
 * The time zone for people (vigil/tz.h). A fixed offset is kept as a number;
 * a name goes to TZ and the C library's zone database answers for each time,
 * so that a zone with summer time is right on both sides of the change. The
 * system's zone is the C library's default (TZ unset: /etc/localtime).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vigil/err.h"
#include "vigil/text.h"
#include "vigil/tz.h"

#define TZ_NAME_MAX 64

static int tz_fixed;          /* 1: tz_minutes is the zone */
static int tz_minutes;

/* "+07:00", "-05:30", "+0700": minutes east of UTC, or -1 (out: *min). */
static int
parse_offset(const char *s, int *min)
{
	int sign, h, m;

	if ((s[0] != '+' && s[0] != '-') || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]))
		return -1;
	sign = s[0] == '-' ? -1 : 1;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	s += 3;
	if (*s == ':')
		s++;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != '\0')
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (h > 14 || m > 59 || h * 60 + m > 14 * 60)
		return -1;
	*min = sign * (h * 60 + m);
	return 0;
}

/* A zone name as the database spells them: Area/City, letters, digits, '_', '-', '+'. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= TZ_NAME_MAX || s[0] == '/' || strstr(s, "..") != NULL)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("/_-+", *s) == NULL)
			return 0;
	return 1;
}

int
tz_set(const char *spec, char *err, size_t errlen)
{
	char path[256];
	const char *dir;
	struct stat sb;
	int min;

	if (spec == NULL || spec[0] == '\0') {
		tz_fixed = 0;
		return 0;
	}
	if (strcmp(spec, "UTC") == 0 || strcmp(spec, "Z") == 0) {
		tz_fixed = 1;
		tz_minutes = 0;
		return 0;
	}
	if (spec[0] == '+' || spec[0] == '-') {
		if (parse_offset(spec, &min) != 0)
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "timezone '%s' is not an offset "
			    "like +07:00 (at most 14 hours)", spec);
		tz_fixed = 1;
		tz_minutes = min;
		return 0;
	}
	if (!name_ok(spec))
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "timezone '%s' is not a zone name "
		    "like Asia/Ho_Chi_Minh or an offset like +07:00", spec);
	dir = getenv("TZDIR");
	snprintf(path, sizeof(path), "%s/%s", dir != NULL && dir[0] != '\0' ? dir :
	    "/usr/share/zoneinfo", spec);
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "timezone '%s' is not in the zone "
		    "database (%s)", spec, path);
	if (setenv("TZ", spec, 1) != 0)
		return err_fmt(err, errlen, VIGIL_ERR_NOMEM, "cannot set the time zone %s", spec);
	tzset();
	tz_fixed = 0;
	return 0;
}

int
tz_offset_min(int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (tz_fixed)
		return tz_minutes;
	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

size_t
tz_time_people(char *dst, size_t len, int64_t us, int dmy, int64_t heading_us)
{
	int off = tz_offset_min(us), flags = dmy ? TEXT_TIME_DMY : 0;

	if (heading_us != 0 && off == tz_offset_min(heading_us))
		flags |= TEXT_TIME_BARE;
	return text_time_people(dst, len, us, off, flags);
}

size_t
tz_label(char *dst, size_t len, int64_t us)
{
	return text_zone_label(dst, len, tz_offset_min(us));
}
