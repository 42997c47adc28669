/*
 * The deadlines of the reports the law asks for, as pure code: from an
 * incident's times, a rule and the holiday calendar, when each report is due,
 * when it becomes "near", and what state it is in at a given moment.
 *
 * Days are counted as the Civil Code counts them (Bộ luật Dân sự 2015,
 * Articles 147 and 148): the day of the event is not counted; a period of
 * days ends at 24:00 of its last day; when that day is a weekend day or a
 * holiday, it ends at 24:00 of the next working day. A period of hours runs
 * from the moment itself. Local dates are taken at a fixed offset from UTC
 * (Vietnam: +07:00, no daylight saving), given by the caller.
 *
 * The rules (deadline_rules[], README "Reports" gives the sources):
 *
 *   notice    5 days after detection, the last day moved off holidays
 *             (TT 20/2017/TT-BTTTT, Article 9)
 *   initial   at once when an incident is beyond the unit's capacity; Vigil
 *             counts it as due within 24 hours, and near from the start
 *   closing   5 days after the incident is resolved (TT 20/2017, Article 9)
 *   breach    72 hours after the personal-data violation (NĐ 13/2023,
 *             Article 23, form 03)
 *   halfyear  before 20 June (the half-year report) and 15 December (the
 *             year's): TT 20/2017, Article 6
 *
 * A unit may count in working days instead (a rule with DL_WORKING_DAYS).
 */
#ifndef VIGIL_REPORT_DEADLINE_H
#define VIGIL_REPORT_DEADLINE_H

#include <stdint.h>

#include "calendar.h"

#define VN_UTC_OFFSET_MIN 420 /* Asia/Ho_Chi_Minh */

enum deadline_kind {
	DL_NOTICE,
	DL_INITIAL,
	DL_CLOSING,
	DL_BREACH,
	DL_HALFYEAR,
	DL_KINDS,
};

enum deadline_unit {
	DL_CALENDAR_DAYS, /* days, the last one moved to the next working day when it is off */
	DL_WORKING_DAYS,  /* working days after the start day */
	DL_HOURS,         /* hours from the start */
	DL_BEFORE_DATE,   /* before a day of the year: amount = month * 100 + day */
};

struct deadline_rule {
	enum deadline_unit unit;
	int amount;
	enum deadline_unit near_unit; /* DL_WORKING_DAYS or DL_HOURS */
	int near_amount;              /* near this long before it is due (working days: the
	                                 last N working days, the due day counted) */
};

/* The rules above, by kind. */
extern const struct deadline_rule deadline_rules[DL_KINDS];

struct deadline {
	int64_t start_us; /* what it is counted from */
	int64_t due_us;   /* it must be submitted before this moment */
	int64_t near_us;  /* from this moment it is near */
	int provisional;  /* a day counted is provisional in the calendar */
	int uncovered;    /* a day counted is in a year the calendar does not cover */
};

/*
 * The deadline of rule counted from start_us. For DL_BEFORE_DATE, the first
 * such date after the start. Returns 0, or VIGIL_ERR_INVAL for a rule that
 * makes no sense (a negative amount, a day of the year that does not exist).
 */
int deadline_compute(const struct calendar *cal, const struct deadline_rule *rule, int64_t start_us,
                     int utc_offset_min, struct deadline *out);

/*
 * The periodic report of a year: half 1 is the half-year report (the period
 * starts on 1 January, due before 20 June), half 2 the year's report (from 1
 * July, due before 15 December), near from 5 working days before.
 */
int deadline_periodic(const struct calendar *cal, int year, int half, int utc_offset_min,
                      struct deadline *out);

enum deadline_state {
	DL_PENDING,        /* not yet near */
	DL_NEAR,           /* due soon: the reporting chain is reminded */
	DL_OVERDUE,        /* past due and not submitted: it climbs the chain */
	DL_SUBMITTED,      /* submitted in time */
	DL_SUBMITTED_LATE, /* submitted after it was due */
};

/* The state at now_us; submitted_us is 0 while it has not been submitted. */
enum deadline_state deadline_state(const struct deadline *d, int64_t now_us, int64_t submitted_us);
/* deadline_state() at the collector's clock (vigil/clock.h, which tests inject). */
enum deadline_state deadline_state_now(const struct deadline *d, int64_t submitted_us);

const char *deadline_state_name(enum deadline_state s); /* "pending", "near", … */
const char *deadline_kind_name(enum deadline_kind k);   /* "notice", … */
/* The kind named s, or -1. */
int deadline_kind_parse(const char *s);
/* "Thông báo sự cố", … */
const char *deadline_kind_text(enum deadline_kind k);

/* The local day number (calendar.h) of a moment. */
int32_t deadline_local_day(int64_t us, int utc_offset_min);
/* The moment a local day begins. */
int64_t deadline_day_start(int32_t day, int utc_offset_min);

#endif
