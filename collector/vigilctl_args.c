/*
 * vigilctl's arguments: times (RFC 3339, local, durations before now),
 * numbers in range, names for the daemon, the shared filters; a bad value is
 * a usage error.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/json.h"
#include "vigil/names.h"
#include "vigil/pki.h"
#include "vigil/text.h"
#include "vigil/tls.h"
#include "vigil/tz.h"

#include "vigilctl.h"

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		die(EXIT_DAEMON, _("Out of memory."));
	return p;
}

/* s made safe for a terminal: control characters and bad UTF-8 escaped. */
char *
escaped(const char *s, size_t len)
{
	char *d;

	if (len > (SIZE_MAX - 1) / 4)
		die(EXIT_DAEMON, _("Out of memory."));
	d = xreallocarray(NULL, len * 4 + 1, 1);
	text_escape(d, len * 4 + 1, s, len);
	return d;
}

/* ---- times ---- */

int
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

/*
 * "2026-11-25", "2026-11-25T10:00", "2026-11-25 10:00:00.5", each with an
 * optional "Z" or "+HH:MM" after the time; local time without a zone.
 */
static int
parse_time_us(const char *s, long long *us)
{
	struct tm tm;
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, off = 0, zone = 0, nd, sign;
	long long frac = 0;
	time_t t;

	if (digits(&p, 4, &y) || *p != '-' || (p++, digits(&p, 2, &mo)) || *p != '-' ||
	    (p++, digits(&p, 2, &d)))
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
			if (digits(&p, 2, &oh) || *p != ':' || (p++, digits(&p, 2, &om)) ||
			    oh > 23 || om > 59)
				return -1;
			zone = 1;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (zone)
		t = timegm(&tm) - off;
	else {
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return -1;
	}
	*us = (long long)t * 1000000 + frac;
	return 0;
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A --since or --until argument: a duration before now, or a time. */
long long
time_arg(const char *opt, const char *s)
{
	long long ms, us;

	if (text_parse_duration_ms(s, &ms) == 0 && ms <= now_us() / 1000)
		return now_us() - ms * 1000;
	if (parse_time_us(s, &us) == 0)
		return us;
	usage_error(_("%s wants a duration (90s, 15m, 2h, 7d) or a time (2026-11-25, "
	            "2026-11-25T10:00:00, \"2026-11-25 10:00\", optionally ending in Z or +HH:MM)."),
	            opt);
}

/*
 * The collector's zone line (vigil/ctl.h, zone=1) makes its zone ours: the
 * name when this machine's zone database has it (summer time then right at
 * every time), else the offset it had at the collector's now.
 */
void
zone_take(const struct json_object *obj)
{
	const struct json_member *m = json_get(obj, "utc_offset_min");
	char err[256], fixed[16];
	long long off;

	if (tz_set(val(obj, "timezone"), err, sizeof(err)) == 0)
		return;
	if (m == NULL || json_int(m, &off) != 0 || off < -840 || off > 840)
		die(EXIT_DAEMON, _("The collector sent a time zone this machine cannot use."));
	snprintf(fixed, sizeof(fixed), "%c%02lld:%02lld", off < 0 ? '-' : '+',
	    (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
	if (tz_set(fixed, err, sizeof(err)) != 0)
		die(EXIT_DAEMON, _("The collector sent a time zone this machine cannot use."));
}

/*
 * The one form of a time for people (issue 16): an RFC 3339 time from the
 * daemon in the collector's zone, dd/mm/yyyy in Vietnamese, yyyy-mm-dd
 * otherwise and in CSV. labelled: "(UTC+07:00)" after it; else a table's
 * heading says the zone (zone_heading()). The text itself if it is not a time.
 */
void
people_time(char *dst, size_t len, const char *rfc3339, int labelled)
{
	int dmy = !output_csv && strcmp(i18n_language(), "vi") == 0;
	long long us;

	if (parse_time_us(rfc3339, &us) != 0 ||
	    tz_time_people(dst, len, us, dmy, labelled ? 0 : now_us()) == 0)
		snprintf(dst, len, "%s", rfc3339);
}

/* A heading over times: "TIME (UTC+07:00)", the zone now. */
void
zone_heading(char *dst, size_t len, const char *head)
{
	char label[32];

	tz_label(label, sizeof(label), now_us());
	snprintf(dst, len, "%s (%s)", head, label);
}

void
bad_name(const char *what, const char *given, const char *(*name)(int))
{
	char list[512];
	size_t used = 0;
	char *g = escaped(given, strlen(given));

	list[0] = '\0';
	for (int i = 1; strcmp(name(i), "unknown") != 0 && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		                         i > 1 ? ", " : "", name(i));
	usage_error(_("Unknown %s \"%s\"; use one of: %s."), _(what), g, list);
}

/* A name for the daemon: no TAB or newline (the request's separators), bounded. */
const char *
name_opt(const char *opt, const char *v)
{
	if (v[0] == '\0' || strlen(v) > 255 || strpbrk(v, "\t\r\n") != NULL)
		usage_error(_("%s wants a name of 1 to 255 bytes without tabs or newlines."), opt);
	return v;
}


/* Take option c if it is one of the filters; usage_error() if its value is bad. */
void
filter_opt(struct filter *f, int c, const char *arg)
{
	switch (c) {
	case 'c':
		if ((f->cat = category_from_name(arg)) < 1)
			bad_name(N_("category"), arg, category_name);
		break;
	case 'S':
		if ((f->sev = severity_from_name(arg)) < 1)
			bad_name(N_("severity"), arg, severity_name);
		break;
	case 'u':
		f->unit = name_opt("--unit", arg);
		break;
	case 'H':
		f->host = name_opt("--host", arg);
		break;
	case 'l':
		if (text_parse_ll(arg, 1, CTL_MAX_LIMIT, &f->limit) != 0)
			usage_error(_("--limit wants a number from 1 to %d."), CTL_MAX_LIMIT);
		break;
	case 'F':
		name_opt("--field", arg);
		if (strchr(arg, '=') == NULL || arg[0] == '=')
			usage_error(_("--field wants KEY=VALUE, such as src_ip=203.0.113.7."));
		f->field = arg;
		break;
	case 'g':
		f->grep = name_opt("--grep", arg);
		break;
	}
}

int
days_opt(const char *s, const char *opt, int min)
{
	long long v;

	if (text_parse_ll(s, min, 36500, &v) != 0)
		usage_error(_("%s wants a number of days from %d to 36500."), opt, min);
	return (int)v;
}
