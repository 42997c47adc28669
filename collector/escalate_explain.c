/*
 * escalate_explain(): who would be told of a made-up incident, when and
 * through which channel, in words for the operator (vigilctl explain, -nv).
 * Sends nothing.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil.pb-c.h"
#include "vigil/config.h"
#include "vigil/err.h"
#include "vigil/names.h"

#include "escalate_int.h"


/* "+15m", "+1h30m", "+2d" */
static void
fmt_offset(char *buf, size_t len, int64_t us)
{
	long long s = us / 1000000, d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
	size_t n = 0;

	n += (size_t)snprintf(buf + n, len - n, "+");
	if (d > 0)
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "%lldd", d);
	if (h > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%lldh", h);
	if (m > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%lldm", m);
	if (s % 60 != 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%llds", s % 60);
	if (s == 0 && n < len)
		snprintf(buf + n, len - n, "0s");
}

/* "2026-11-25 22:10" in the quiet-hours zone. */
static void
fmt_local(char *buf, size_t len, const struct escalate_conf *c, int64_t us)
{
	long long ms = us / MS_US + c->quiet.offset_ms;
	long long days = ms >= 0 ? ms / DAY_MS : (ms - DAY_MS + 1) / DAY_MS;
	long long rem = ms - days * DAY_MS;
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	long long y = yoe + era * 400 + (m <= 2);

	/* Howard Hinnant's civil_from_days: no gmtime, no TZ. */
	snprintf(buf, len, "%04lld-%02lld-%02lld %02lld:%02lld", y, m, d, rem / HOUR_MS,
	    rem % HOUR_MS / MIN_MS);
}

static const char *
contact_address(const struct escalate_contact *p, enum escalate_channel ch)
{
	switch (ch) {
	case ESC_CHANNEL_EMAIL:
		return p->email;
	case ESC_CHANNEL_WEBHOOK:
		return p->webhook;
	case ESC_CHANNEL_SMS:
		return p->phone;
	default:
		return p->command;
	}
}

static void
print_offset_ms(FILE *fp, const char *prefix, long long ms)
{
	char buf[32];

	fmt_offset(buf, sizeof buf, ms * MS_US);
	fprintf(fp, "%s%s", prefix, buf + 1);
}

int
escalate_explain(const struct escalate_conf *c, const struct escalate_incident *inc, FILE *fp)
{
	const struct escalate_route *r;
	const struct escalate_chain *ch;
	const struct escalate_contact *p;
	const struct escalate_step *s;
	struct escalate_plan *plan;
	char off[32], at[64], lvl[32];
	long long interval;
	size_t i;
	int rc;

	if ((plan = malloc(sizeof *plan)) == NULL)
		return VIGIL_ERR_NOMEM;
	if ((rc = escalate_plan(c, inc, plan)) != 0)
		goto out;
	fprintf(fp, "Incident: category %s, severity %s, unit %s, host %s, rule %s.\n",
	    category_name(inc->category), severity_name(inc->severity),
	    esc_str(inc->unit)[0] != '\0' ? esc_str(inc->unit) : "-",
	    esc_str(inc->host)[0] != '\0' ? esc_str(inc->host) : "-",
	    esc_str(inc->rule)[0] != '\0' ? esc_str(inc->rule) : "-");
	if (plan->nroutes == 0) {
		fprintf(fp, "No route matches: nobody would be notified.\n");
		goto out;
	}
	fprintf(fp, "Routes matched, in order:");
	for (i = 0; i < plan->nroutes; i++) {
		r = &c->routes[plan->routes[i]];
		fprintf(fp, " %s%s", r->label, i + 1 < plan->nroutes ? "," : ".\n");
	}
	if (c->quiet.enabled) {
		if (inc->severity <= c->quiet.defer_severity)
			fprintf(fp, "Quiet hours %s-%s (%s): severity %s waits for %s.\n",
			    c->quiet.start, c->quiet.end, c->quiet.timezone,
			    severity_name(inc->severity), c->quiet.end);
		else
			fprintf(fp, "Quiet hours %s-%s (%s): severity %s is not deferred.\n",
			    c->quiet.start, c->quiet.end, c->quiet.timezone,
			    severity_name(inc->severity));
	}
	fmt_local(at, sizeof at, c, inc->created_us);
	fprintf(fp, "If nobody acknowledges (times in %s, from %s):\n", c->quiet.timezone, at);
	for (i = 0; i < plan->nsteps; i++) {
		s = &plan->steps[i];
		r = &c->routes[s->route];
		p = &c->contacts[s->contact];
		fmt_offset(off, sizeof off, s->at_us - inc->created_us);
		fmt_local(at, sizeof at, c, s->at_us);
		if (s->level == 0)
			snprintf(lvl, sizeof lvl, "at once");
		else if (s->repeat > 0)
			snprintf(lvl, sizeof lvl, "level %d again", s->level);
		else
			snprintf(lvl, sizeof lvl, "level %d", s->level);
		fprintf(fp, "  %-10s %s  route %-12s %-14s %s (%s) by %s: %s\n", off, at + 11,
		    r->label, lvl, p->label, p->name, escalate_channel_name(s->channel),
		    contact_address(p, s->channel));
	}
	if (plan->truncated)
		fprintf(fp, "  ... and more.\n");
	for (i = 0; i < plan->nroutes; i++) {
		r = &c->routes[plan->routes[i]];
		if ((ch = esc_track_chain(c, r)) == NULL)
			continue;
		if (ch->repeat_last) {
			interval = r->repeat_interval != 0 ? r->repeat_interval :
			    ch->repeat_interval;
			fprintf(fp, "Then level %zu of chain %s again every ", ch->nlevels,
			    ch->label);
			print_offset_ms(fp, "", interval);
			if (ch->repeat_max != 0)
				fprintf(fp, ", at most %lld times", ch->repeat_max);
			fprintf(fp, ", until acknowledged.\n");
		} else {
			fprintf(fp, "Chain %s stops after level %zu.\n", ch->label, ch->nlevels);
		}
	}
	fprintf(fp, "An acknowledgement stops the climb; contacts told at once are told "
	    "whether or not it is acknowledged.\n");
out:
	free(plan);
	return rc;
}
