/*
 * Report deadlines. See deadline.h. Everything is a function of its
 * arguments: a deadline is recomputed from what the store keeps (the start,
 * the rule, the submission) after a restart and comes out the same.
 */
#include <string.h>

#include "vigil/clock.h"
#include "vigil/err.h"

#include "deadline.h"

#define US_PER_DAY (86400LL * 1000000)
#define US_PER_HOUR (3600LL * 1000000)
#define MAX_DAYS 3660 /* how far a rule may count: ten years */

const struct deadline_rule deadline_rules[DL_KINDS] = {
    [DL_NOTICE] = {DL_CALENDAR_DAYS, 5, DL_WORKING_DAYS, 2},
    [DL_INITIAL] = {DL_HOURS, 24, DL_HOURS, 24},
    [DL_CLOSING] = {DL_CALENDAR_DAYS, 5, DL_WORKING_DAYS, 2},
    [DL_BREACH] = {DL_HOURS, 72, DL_HOURS, 24},
    [DL_HALFYEAR] = {DL_BEFORE_DATE, 620, DL_WORKING_DAYS, 5},
};

static const char *const kind_names[DL_KINDS] = {"notice", "initial", "closing", "breach",
                                                 "halfyear"};
static const char *const kind_texts[DL_KINDS] = {
    "Thông báo sự cố",
    "Báo cáo ban đầu sự cố",
    "Báo cáo kết thúc ứng cứu sự cố",
    "Thông báo vi phạm quy định bảo vệ dữ liệu cá nhân",
    "Báo cáo định kỳ 6 tháng",
};

int32_t
deadline_local_day(int64_t us, int utc_offset_min)
{
	int64_t local = us + (int64_t)utc_offset_min * 60 * 1000000;

	return (int32_t)(local >= 0 ? local / US_PER_DAY
	                            : -((-local + US_PER_DAY - 1) / US_PER_DAY));
}

int64_t
deadline_day_start(int32_t day, int utc_offset_min)
{
	return (int64_t)day * US_PER_DAY - (int64_t)utc_offset_min * 60 * 1000000;
}

/* Note what the calendar says of a day counted. */
static int
working(const struct calendar *cal, int32_t day, struct deadline *d)
{
	struct cal_day cd;

	calendar_day(cal, day, &cd);
	d->provisional |= cd.provisional;
	d->uncovered |= !cd.covered;
	return cd.working;
}

int
deadline_compute(const struct calendar *cal, const struct deadline_rule *rule, int64_t start_us,
                 int utc_offset_min, struct deadline *out)
{
	int32_t start = deadline_local_day(start_us, utc_offset_min), last = start;
	int n;

	memset(out, 0, sizeof(*out));
	out->start_us = start_us;
	if (rule->amount < 0 || rule->near_amount < 0)
		return VIGIL_ERR_INVAL;
	switch (rule->unit) {
	case DL_HOURS:
		if (rule->amount > MAX_DAYS * 24)
			return VIGIL_ERR_INVAL;
		out->due_us = start_us + rule->amount * US_PER_HOUR;
		break;
	case DL_CALENDAR_DAYS:
		if (rule->amount > MAX_DAYS)
			return VIGIL_ERR_INVAL;
		/* Art. 147: the day of the event is not counted. */
		last = start + rule->amount;
		for (int i = 0; i < MAX_DAYS && !working(cal, last, out); i++) /* Art. 148 */
			last++;
		out->due_us = deadline_day_start(last + 1, utc_offset_min);
		break;
	case DL_WORKING_DAYS:
		if (rule->amount > MAX_DAYS)
			return VIGIL_ERR_INVAL;
		for (n = 0; n < rule->amount && last - start < MAX_DAYS * 2;)
			n += working(cal, ++last, out);
		out->due_us = deadline_day_start(last + 1, utc_offset_min);
		break;
	case DL_BEFORE_DATE: {
		int y, m, d, month = rule->amount / 100, day = rule->amount % 100;
		int32_t due;

		if (month < 1 || month > 12 || day < 1 || day > 31)
			return VIGIL_ERR_INVAL;
		cal_date(start, &y, &m, &d);
		due = cal_days(y, month, day);
		{
			int yy, mm, dd;

			cal_date(due, &yy, &mm, &dd);
			if (mm != month)
				return VIGIL_ERR_INVAL;
		}
		if (due <= start)
			due = cal_days(y + 1, month, day);
		last = due - 1;
		out->due_us = deadline_day_start(due, utc_offset_min);
		break;
	}
	default:
		return VIGIL_ERR_INVAL;
	}
	/* Near: a number of hours before, or from the start of the last working days. */
	if (rule->near_unit == DL_HOURS || rule->unit == DL_HOURS)
		out->near_us =
		    out->due_us - (int64_t)rule->near_amount *
		                      (rule->near_unit == DL_HOURS ? US_PER_HOUR : US_PER_DAY);
	else {
		int32_t near = last + 1;

		for (n = 0; n < rule->near_amount && near > start;)
			n += working(cal, --near, out);
		out->near_us = n == 0 ? out->due_us : deadline_day_start(near, utc_offset_min);
	}
	if (out->near_us < start_us)
		out->near_us = start_us;
	return 0;
}

int
deadline_periodic(const struct calendar *cal, int year, int half, int utc_offset_min,
                  struct deadline *out)
{
	struct deadline_rule rule = deadline_rules[DL_HALFYEAR];

	if (half != 1 && half != 2)
		return VIGIL_ERR_INVAL;
	if (half == 2)
		rule.amount = 1215;
	return deadline_compute(
	    cal, &rule, deadline_day_start(cal_days(year, half == 1 ? 1 : 7, 1), utc_offset_min),
	    utc_offset_min, out);
}

enum deadline_state
deadline_state(const struct deadline *d, int64_t now_us, int64_t submitted_us)
{
	if (submitted_us > 0)
		return submitted_us < d->due_us ? DL_SUBMITTED : DL_SUBMITTED_LATE;
	if (now_us >= d->due_us)
		return DL_OVERDUE;
	return now_us >= d->near_us ? DL_NEAR : DL_PENDING;
}

enum deadline_state
deadline_state_now(const struct deadline *d, int64_t submitted_us)
{
	return deadline_state(d, clock_now_us(), submitted_us);
}

const char *
deadline_state_name(enum deadline_state s)
{
	static const char *const names[] = {"pending", "near", "overdue", "submitted",
	                                    "submitted_late"};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *
deadline_kind_name(enum deadline_kind k)
{
	return (unsigned)k < DL_KINDS ? kind_names[k] : "?";
}

const char *
deadline_kind_text(enum deadline_kind k)
{
	return (unsigned)k < DL_KINDS ? kind_texts[k] : "?";
}

int
deadline_kind_parse(const char *s)
{
	for (int k = 0; k < DL_KINDS; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}
