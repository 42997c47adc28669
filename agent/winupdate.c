/*
 * Windows Update and Windows versions, decoded (see winupdate.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/clock.h"
#include "vigil/text.h"
#include "winupdate.h"
#include "wsc.h"

void
wua_count(const char *text, size_t len, struct wua_counts *c)
{
	struct wmi_record *r;
	const char *v;
	size_t off = 0, i;
	int security;

	memset(c, 0, sizeof(*c));
	if ((r = malloc(sizeof(*r))) == NULL) {
		c->pending = c->security = -1;
		return;
	}
	while (wmi_list_next(text, len, &off, r)) {
		if ((v = wmi_get(r, "Title")) == NULL || *v == '\0') {
			c->bad++;
			continue;
		}
		c->pending++;
		security = (v = wmi_get(r, "MsrcSeverity")) != NULL && *v != '\0';
		/* An update may carry several classifications: any one that is Security. */
		for (i = 0; i < r->n && !security; i++)
			if (text_same_word(r->p[i].name, "ClassificationID") &&
			    text_same_word(r->p[i].value, WUA_CLASS_SECURITY))
				security = 1;
		if (security)
			c->security++;
	}
	free(r);
}

int
wua_last_install(const char *text, size_t len, int64_t *us)
{
	struct wmi_record *r;
	const char *op, *res, *date;
	size_t off = 0;
	int64_t t, best = 0;

	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	while (wmi_list_next(text, len, &off, r)) {
		op = wmi_get(r, "Operation");
		res = wmi_get(r, "ResultCode");
		date = wmi_get(r, "Date");
		if (op == NULL || res == NULL || date == NULL || strcmp(op, "1") != 0 ||
		    (strcmp(res, "2") != 0 && strcmp(res, "3") != 0) || wmi_datetime_us(date, &t) != 0)
			continue;
		if (t > best)
			best = t;
	}
	free(r);
	if (best == 0)
		return -1;
	*us = best;
	return 0;
}

struct winos {
	uint32_t major, minor, build_min;    /* the release, from its first build */
	const char *name;
	int end_y, end_m, end_d;             /* end of support (Home, Pro); 0: not announced */
};

/* Newest first within a version; a build at least build_min is that release. */
static const struct winos releases[] = {
	{ 10, 0, 26200, "Windows 11 25H2", 2027, 10, 12 },
	{ 10, 0, 26100, "Windows 11 24H2", 2026, 10, 13 },
	{ 10, 0, 22631, "Windows 11 23H2", 2025, 11, 11 },
	{ 10, 0, 22621, "Windows 11 22H2", 2024, 10, 8 },
	{ 10, 0, 22000, "Windows 11 21H2", 2023, 10, 10 },
	{ 10, 0, 19045, "Windows 10 22H2", 2025, 10, 14 },
	{ 10, 0, 19044, "Windows 10 21H2", 2023, 6, 13 },
	{ 10, 0, 0, "Windows 10 (before 21H2)", 2023, 6, 13 },
	{ 6, 3, 0, "Windows 8.1", 2023, 1, 10 },
	{ 6, 2, 0, "Windows 8", 2016, 1, 12 },
	{ 6, 1, 0, "Windows 7", 2020, 1, 14 },
	{ 6, 0, 0, "Windows Vista", 2017, 4, 11 },
};

int
winos_describe(uint32_t major, uint32_t minor, uint32_t build, int server, int64_t now_us,
    char *buf, size_t len)
{
	const struct winos *w = NULL;
	int64_t end_us;
	size_t i;

	if (server) {
		snprintf(buf, len, "Windows Server (%u.%u.%u), support not judged",
		    (unsigned)major, (unsigned)minor, (unsigned)build);
		return -1;
	}
	for (i = 0; i < sizeof(releases) / sizeof(releases[0]) && w == NULL; i++)
		if (releases[i].major == major && releases[i].minor == minor &&
		    build >= releases[i].build_min)
			w = &releases[i];
	if (w == NULL || (major == 10 && build > 26200 + 999)) {
		/* Not in the table: newer than it (supported, presumably) or unknown. */
		snprintf(buf, len, "Windows %u.%u.%u, support not known", (unsigned)major,
		    (unsigned)minor, (unsigned)build);
		return -1;
	}
	end_us = (clock_days_from_civil(w->end_y, w->end_m, w->end_d) + 1) * 86400 * INT64_C(1000000);
	if (now_us < end_us) {
		snprintf(buf, len, "%s (%u.%u.%u), supported until %04d-%02d-%02d", w->name,
		    (unsigned)major, (unsigned)minor, (unsigned)build, w->end_y, w->end_m, w->end_d);
		return 1;
	}
	snprintf(buf, len, "%s (%u.%u.%u), out of support since %04d-%02d-%02d", w->name,
	    (unsigned)major, (unsigned)minor, (unsigned)build, w->end_y, w->end_m, w->end_d);
	return 0;
}
