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

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * A --since or --until argument: a duration before now, or a time; a time
 * without Z or an offset is the collector's wall clock, read in its zone.
 * dd/mm/yyyy in Vietnamese, the order vigilctl prints dates in.
 */
void
time_arg(const char *opt, const char *s, struct time_value *tv)
{
	long long ms;
	int64_t us;

	if (text_parse_duration_ms(s, &ms) == 0 && ms <= now_us() / 1000) {
		tv->given = 1;
		tv->us = now_us() - ms * 1000;
		tv->wall[0] = '\0';
		return;
	}
	if (tz_parse_time(s, strcmp(i18n_language(), "vi") == 0, &us, tv->wall,
	    sizeof(tv->wall)) == 0) {
		tv->given = 1;
		tv->us = us;
		return;
	}
	usage_error(_("%s wants a duration (90s, 15m, 2h, 7d) or a time (2026-11-25, "
	            "2026-11-25T10:00:00, \"2026-11-25 10:00\", optionally ending in Z or +HH:MM)."),
	            opt);
}

int
time_before(const struct time_value *until, const struct time_value *since)
{
	if (!until->given || !since->given || (until->wall[0] != '\0') != (since->wall[0] != '\0'))
		return 0;
	if (until->wall[0] != '\0')
		return strcmp(until->wall, since->wall) < 0;
	return until->us < since->us;
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
	int64_t us;

	if (tz_parse_time(rfc3339, 0, &us, NULL, 0) != 0 ||
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
