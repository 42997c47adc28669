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
#include <unistd.h>

#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/text.h"
#include "vigil/tz.h"

#define TZ_NAME_MAX 64

static int tz_fixed;          /* 1: tz_minutes is the zone */
static int tz_minutes;
static char tz_spec[TZ_NAME_MAX];    /* the zone as set; "": the system's */
static char tz_sysname[TZ_NAME_MAX]; /* the system's, named when set ("": unnamed) */
static int tz_env_saved;             /* tz_env_orig holds TZ as the process started */
static char *tz_env_orig;            /* NULL: TZ was unset */

/* "+07:00", "-05:30", "+0700": minutes east of UTC, or -1 (out: *min). */
static void system_name(char *dst, size_t len);

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

	if (!tz_env_saved) {
		const char *e = getenv("TZ");

		if (e != NULL && (tz_env_orig = strdup(e)) == NULL)
			return err_fmt(err, errlen, VIGIL_ERR_NOMEM, "cannot keep TZ");
		tz_env_saved = 1;
	}
	if (spec == NULL || spec[0] == '\0') {
		/* the system's: TZ as the process found it, else /etc/localtime, read now */
		if ((tz_env_orig != NULL ? setenv("TZ", tz_env_orig, 1) : unsetenv("TZ")) != 0)
			return err_fmt(err, errlen, VIGIL_ERR_NOMEM, "cannot restore TZ");
		tzset();
		tz_fixed = 0;
		tz_spec[0] = '\0';
		system_name(tz_sysname, sizeof(tz_sysname));
		return 0;
	}
	if (strcmp(spec, "UTC") == 0 || strcmp(spec, "Z") == 0) {
		tz_fixed = 1;
		tz_minutes = 0;
		snprintf(tz_spec, sizeof(tz_spec), "UTC");
		return 0;
	}
	if (spec[0] == '+' || spec[0] == '-') {
		if (parse_offset(spec, &min) != 0)
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "timezone '%s' is not an offset "
			    "like +07:00 (at most 14 hours)", spec);
		tz_fixed = 1;
		tz_minutes = min;
		snprintf(tz_spec, sizeof(tz_spec), "%s", spec);
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
	snprintf(tz_spec, sizeof(tz_spec), "%s", spec);
	return 0;
}

/* A zone file's path as a name: what follows "zoneinfo/" ("" if nothing does). */
static void
name_from_path(char *dst, size_t len, const char *path)
{
	const char *z = strstr(path, "zoneinfo/");

	snprintf(dst, len, "%s", z != NULL && name_ok(z + 9) ? z + 9 : "");
}

/*
 * The system's zone as the system names it: TZ ("Asia/Ho_Chi_Minh", or a
 * file's path), else the zone file /etc/localtime links to, else
 * /etc/timezone; else "" (unnamed: the offset stands for it).
 */
static void
system_name(char *dst, size_t len)
{
	char buf[512];
	const char *e = tz_env_orig;
	ssize_t n;
	FILE *fp;

	dst[0] = '\0';
	if (e != NULL && e[0] != '\0') {
		if (e[0] == ':')
			e++;
		if (e[0] == '/')
			name_from_path(dst, len, e);
		else if (name_ok(e))
			snprintf(dst, len, "%s", e);
		return;
	}
	if ((n = readlink("/etc/localtime", buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		name_from_path(dst, len, buf);
		if (dst[0] != '\0')
			return;
	}
	if ((fp = fopen("/etc/timezone", "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) != NULL) {
			buf[strcspn(buf, " \t\r\n")] = '\0';
			if (name_ok(buf) && strlen(buf) < len)
				memcpy(dst, buf, strlen(buf) + 1);
		}
		fclose(fp);
	}
}

size_t
tz_name(char *dst, size_t len, int64_t us)
{
	int off, a;

	if (len == 0)
		return 0;
	snprintf(dst, len, "%s", tz_spec[0] != '\0' ? tz_spec : tz_sysname);
	if (dst[0] == '\0') {
		off = tz_offset_min(us);
		a = off < 0 ? -off : off;
		snprintf(dst, len, "%c%02d:%02d", off < 0 ? '-' : '+', a / 60, a % 60);
	}
	return strlen(dst);
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

/* n digits at *p into *v, *p past them; -1 when there are fewer. */
static int
digits(const char **p, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* The date: yyyy-mm-dd, or dd/mm/yyyy when dmy. */
static int
parse_date(const char **p, int dmy, int *y, int *mo, int *d)
{
	if (dmy && isdigit((unsigned char)(*p)[0]) && isdigit((unsigned char)(*p)[1]) &&
	    (*p)[2] == '/')
		return digits(p, 2, d) || *(*p)++ != '/' || digits(p, 2, mo) ||
		    *(*p)++ != '/' || digits(p, 4, y) ? -1 : 0;
	return digits(p, 4, y) || *(*p)++ != '-' || digits(p, 2, mo) || *(*p)++ != '-' ||
	    digits(p, 2, d) ? -1 : 0;
}

/* The wall clock y-mo-d h:mi:sec at UTC, as unix seconds. */
static time_t
utc_seconds(int y, int mo, int d, int h, int mi, int sec)
{
	return (time_t)(clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec);
}

/* The wall clock y-mo-d h:mi:sec in the zone set, as unix seconds (-1: none). */
static int
wall_seconds(int y, int mo, int d, int h, int mi, int sec, time_t *t)
{
	int64_t us;

	if (tz_fixed) {
		*t = utc_seconds(y, mo, d, h, mi, sec) - (time_t)tz_minutes * 60;
		return 0;
	}
	if (clock_local_us(y, mo, d, h, mi, sec, &us) != 0)
		return -1;
	*t = (time_t)(us / 1000000);
	return 0;
}

int
tz_parse_time(const char *s, int dmy, int64_t *us, char *wall, size_t wall_len)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, off = 0, zone = 0, nd, sign;
	long long frac = 0;
	time_t t;

	if (wall != NULL && wall_len > 0)
		wall[0] = '\0';
	if (parse_date(&p, dmy, &y, &mo, &d) != 0)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p != ':' || (p++, digits(&p, 2, &mi)))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.') {
				for (p++, nd = 0; isdigit((unsigned char)*p); p++, nd++)
					if (nd < 6)
						frac = frac * 10 + (*p - '0');
				if (nd == 0 || nd > 9)
					return -1;
				for (; nd < 6; nd++)
					frac *= 10;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			zone = 1;
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om) || oh > 14 || om > 59)
				return -1;
			zone = 1;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	if (zone) {
		t = utc_seconds(y, mo, d, h, mi, sec) - off;
	} else {
		if (wall_seconds(y, mo, d, h, mi, sec, &t) != 0)
			return -1;
		if (wall != NULL && wall_len > 0)
			snprintf(wall, wall_len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld", y, mo, d, h,
			    mi, sec, frac);
	}
	*us = (int64_t)t * 1000000 + frac;
	return 0;
}
