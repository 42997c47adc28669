/*
 * The periodic summary of a unit, as pure code over rows the caller reads
 * from the store: how far the unit is from 100 % compliance over a month,
 * a quarter or a half-year, what incidents it had and how fast they were
 * acknowledged and resolved, and what is still open or overdue.
 *
 * Definitions (README, "Reports", repeats them for the reader of a report):
 *
 *   - A machine's state at a moment is that of its last posture row at or
 *     before it (compliant or not); a machine with no row yet is not
 *     compliant.
 *   - The compliance of a day is the number of machines compliant at the end
 *     of that day (or now, for today), at most the declared inventory,
 *     divided by the declared inventory (the enrolled machines when the unit
 *     declared none): collector/compliance_inv.h, as vigilctl compliance
 *     counts. The caller gives only the machines the inventory counts. The period's figure is
 *     the mean of its days so far; its lowest day and the days at the target
 *     are given too.
 *   - A machine never compliant in the period is one not compliant at its
 *     start and with no compliant row inside it; a declared machine no agent
 *     reports for (absent) is never compliant.
 *   - Incidents are those opened in the period. Times to acknowledge and to
 *     resolve are measured for those acknowledged (resolved) by the end of
 *     the period; the median and the 90th percentile use the nearest-rank
 *     method: the smallest value with at least P % of the values at or below
 *     it.
 *   - Open items: incidents opened before the end of the period and not
 *     resolved by then. Overdue items: report deadlines due before the end
 *     of the period and not submitted by then.
 *
 * "The end of the period" is the period's end, or now when that is earlier.
 */
#ifndef VIGIL_REPORT_SUMMARY_H
#define VIGIL_REPORT_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"

#define SUMMARY_MAX_DAYS 366
#define SUMMARY_MAX_MACHINES 100000
#define SUMMARY_CATEGORIES 13 /* the event categories of vigil.proto, in their order */
#define SUMMARY_SEVERITIES 5  /* info, low, medium, high, critical */

struct summary_posture {
	const char *machine;
	int64_t time_us;
	int compliant;
	const char *reason; /* why not, or NULL */
};

struct summary_incident {
	int64_t id;
	const char *title;
	int category;                             /* 0 .. SUMMARY_CATEGORIES - 1 */
	int severity;                             /* 0 .. SUMMARY_SEVERITIES - 1 */
	int64_t opened_us, acked_us, resolved_us; /* 0: not (yet) */
};

struct summary_deadline {
	int64_t incident;
	int kind; /* enum deadline_kind */
	int64_t due_us, submitted_us;
};

struct summary_input {
	int64_t from_us, to_us; /* the period [from, to) */
	int64_t now_us;
	int utc_offset_min;
	double target;               /* percent, 100 */
	long inventory;              /* declared machines; 0: count the enrolled ones */
	const char *const *machines; /* enrolled machines (those the inventory counts) */
	size_t nmachines;
	const char *const *absent;   /* declared machines no agent reports for (by name) */
	size_t nabsent;
	const struct summary_posture *posture; /* any order */
	size_t nposture;
	const struct summary_incident *incidents;
	size_t nincidents;
	const struct summary_deadline *deadlines;
	size_t ndeadlines;
};

struct summary_times {
	size_t count;
	double median_s, p90_s;
};

struct summary {
	long base; /* the denominator: declared inventory, or enrolled */
	size_t enrolled, not_enrolled;
	size_t ndays;        /* days of the period counted so far */
	int32_t first_day;   /* local day number of the first */
	double *daily;       /* percent compliant, per day */
	size_t *daily_count; /* machines compliant, per day */
	double mean, last, min;
	int32_t min_day;
	size_t days_at_target;
	size_t *never; /* indexes into machines of those never compliant */
	size_t nnever;
	const char **never_reason; /* their last reason, or NULL */
	size_t incidents;
	size_t by[SUMMARY_CATEGORIES][SUMMARY_SEVERITIES];
	struct summary_times ack, resolve;
	size_t *open; /* indexes into incidents */
	size_t nopen;
	size_t *overdue; /* indexes into deadlines */
	size_t noverdue;
};

/* Compute s from in. Returns 0, VIGIL_ERR_INVAL (an empty or too long period, a bad row) or
 * VIGIL_ERR_NOMEM. */
int summary_compute(const struct summary_input *in, struct summary *s);
void summary_free(struct summary *s);

/*
 * The nearest-rank percentile p (0 < p <= 100) of v[0..n), which it sorts.
 * 0 when n is 0.
 */
double summary_percentile(double *v, size_t n, double p);

/*
 * A period written as 2026-11 (a month), 2026-Q4 (a quarter), 2026-H2 (a
 * half-year) or 2026 (a year): its first day and the day after its last
 * (calendar.h day numbers), and a label in Vietnamese ("Tháng 11/2026",
 * "Quý IV/2026", "6 tháng cuối năm 2026", "Năm 2026"). 0 or VIGIL_ERR_INVAL.
 */
int summary_period(const char *s, int32_t *first, int32_t *end, char *label, size_t labellen);

/*
 * The summary as JSON members for a report's data, written into the object
 * w has open (the caller puts them beside "unit" and "fields"): "period", "compliance" (with its
 * "chart"), "never_compliant", "incidents" (by category and severity, times,
 * "list"), "open_items", "overdue_items". Names of categories, severities and
 * report kinds are given in Vietnamese. Returns jsonw_error(); the sink's own
 * error (a full buf) is the caller's to check.
 */
struct jsonw;
int summary_json(const struct summary *s, const struct summary_input *in, const char *period_label,
                 const char *const *machine_units, struct jsonw *w);

/* A moment as local ISO 8601 with its offset (2026-12-03T22:41:09+07:00), as the templates'
 * date filters read it. */
void summary_time_iso(char *t, size_t len, int64_t us, int utc_offset_min);

extern const char *const summary_category_names[SUMMARY_CATEGORIES];
extern const char *const summary_category_texts[SUMMARY_CATEGORIES];
extern const char *const summary_severity_names[SUMMARY_SEVERITIES];
extern const char *const summary_severity_texts[SUMMARY_SEVERITIES];

#endif
