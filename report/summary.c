/*
 * The periodic summary's figures. See summary.h for what each one means.
 *
 * The posture rows are sorted once by machine and time; each machine's rows
 * are then walked together with the days of the period, so the work is
 * O(rows log rows + machines × days), with at most SUMMARY_MAX_DAYS days and
 * SUMMARY_MAX_MACHINES machines.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "calendar.h"
#include "deadline.h"
#include "summary.h"

#define US_PER_DAY (86400LL * 1000000)

const char *const summary_category_names[SUMMARY_CATEGORIES] = {
    "auth",     "account",   "privilege", "usb",   "malware", "antivirus", "update",
    "software", "data_leak", "attack",    "fraud", "agent",   "system",
};
/* As the notifications name them (collector/template.c). */
const char *const summary_category_texts[SUMMARY_CATEGORIES] = {
    "Đăng nhập bất thường",
    "Thay đổi tài khoản",
    "Sử dụng quyền quản trị",
    "Thiết bị USB",
    "Mã độc",
    "Phần mềm phòng chống mã độc",
    "Cập nhật hệ điều hành",
    "Cài đặt phần mềm",
    "Lộ lọt dữ liệu",
    "Tấn công mạng",
    "Lừa đảo trực tuyến",
    "Tác tử giám sát",
    "Hệ thống",
};
const char *const summary_severity_names[SUMMARY_SEVERITIES] = {"info", "low", "medium", "high",
                                                                "critical"};
const char *const summary_severity_texts[SUMMARY_SEVERITIES] = {"Thông tin", "Thấp", "Trung bình",
                                                                "Cao", "Nghiêm trọng"};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
summary_percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t)ceil(p / 100.0 * (double)n - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static int
cmp_row(const void *a, const void *b, void *arg)
{
	const struct summary_posture *rows = arg;
	const struct summary_posture *x = &rows[*(const size_t *)a];
	const struct summary_posture *y = &rows[*(const size_t *)b];
	int c = strcmp(x->machine, y->machine);

	if (c != 0)
		return c;
	return x->time_us < y->time_us ? -1 : x->time_us > y->time_us;
}

void
summary_free(struct summary *s)
{
	free(s->daily);
	free(s->daily_count);
	free(s->never);
	free(s->never_reason);
	free(s->open);
	free(s->overdue);
	memset(s, 0, sizeof(*s));
}

static void
times(struct summary_times *t, double *v, size_t n)
{
	t->count = n;
	t->median_s = summary_percentile(v, n, 50);
	t->p90_s = summary_percentile(v, n, 90);
}

int
summary_compute(const struct summary_input *in, struct summary *s)
{
	int32_t first = deadline_local_day(in->from_us, in->utc_offset_min);
	int32_t end = deadline_local_day(in->to_us - 1, in->utc_offset_min) + 1;
	int64_t stop =
	    in->to_us < in->now_us ? in->to_us : in->now_us; /* the end of the period so far */
	size_t *order = NULL, nd;
	double *ack = NULL, *res = NULL;
	size_t nack = 0, nres = 0;
	int rc = VIGIL_ERR_NOMEM;

	memset(s, 0, sizeof(*s));
	if (in->to_us <= in->from_us || end - first > SUMMARY_MAX_DAYS ||
	    in->nmachines > SUMMARY_MAX_MACHINES)
		return VIGIL_ERR_INVAL;
	for (size_t i = 0; i < in->nincidents; i++)
		if ((unsigned)in->incidents[i].category >= SUMMARY_CATEGORIES ||
		    (unsigned)in->incidents[i].severity >= SUMMARY_SEVERITIES)
			return VIGIL_ERR_INVAL;
	s->first_day = first;
	s->enrolled = in->nmachines;
	s->base = in->inventory > 0 ? in->inventory : (long)in->nmachines;
	s->not_enrolled =
	    in->inventory > (long)in->nmachines ? (size_t)in->inventory - in->nmachines : 0;
	/* The days counted: those that have begun by now. */
	for (nd = 0; first + (int32_t)nd < end; nd++)
		if (deadline_day_start(first + (int32_t)nd, in->utc_offset_min) >= stop)
			break;
	s->ndays = nd;
	if ((s->daily = calloc(nd + 1, sizeof(*s->daily))) == NULL ||
	    (s->daily_count = calloc(nd + 1, sizeof(*s->daily_count))) == NULL ||
	    (s->never = calloc(in->nmachines + 1, sizeof(*s->never))) == NULL ||
	    (s->never_reason = calloc(in->nmachines + 1, sizeof(*s->never_reason))) == NULL ||
	    (order = malloc((in->nposture + 1) * sizeof(*order))) == NULL)
		goto out;

	/* Each machine's rows, in time order. */
	for (size_t i = 0; i < in->nposture; i++)
		order[i] = i;
	qsort_r(order, in->nposture, sizeof(*order), cmp_row, (void *)(uintptr_t)in->posture);
	for (size_t m = 0; m < in->nmachines; m++) {
		const char *name = in->machines[m];
		size_t lo = 0, hi = in->nposture, r;
		const struct summary_posture *last = NULL;
		int ever = 0;

		while (lo < hi) { /* the first row of this machine */
			size_t mid = (lo + hi) / 2;

			if (strcmp(in->posture[order[mid]].machine, name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		r = lo;
		/* Its state when the period begins. */
		while (r < in->nposture && strcmp(in->posture[order[r]].machine, name) == 0 &&
		       in->posture[order[r]].time_us <= in->from_us)
			last = &in->posture[order[r++]];
		ever = last != NULL && last->compliant;
		for (size_t d = 0; d < nd; d++) {
			int64_t sample =
			    deadline_day_start(first + (int32_t)d + 1, in->utc_offset_min) - 1;

			if (sample > stop)
				sample = stop;
			while (r < in->nposture &&
			       strcmp(in->posture[order[r]].machine, name) == 0 &&
			       in->posture[order[r]].time_us <= sample) {
				last = &in->posture[order[r++]];
				ever |= last->compliant;
			}
			if (last != NULL && last->compliant)
				s->daily_count[d]++;
		}
		if (!ever) {
			s->never[s->nnever] = m;
			s->never_reason[s->nnever++] = last != NULL ? last->reason : NULL;
		}
	}
	s->min = 100;
	for (size_t d = 0; d < nd; d++) {
		/* More machines than declared never make more than the inventory compliant. */
		if (s->base > 0 && s->daily_count[d] > (size_t)s->base)
			s->daily_count[d] = (size_t)s->base;
		s->daily[d] = s->base > 0 ? 100.0 * (double)s->daily_count[d] / (double)s->base : 0;
		s->mean += s->daily[d];
		if (s->daily[d] < s->min || d == 0) {
			s->min = s->daily[d];
			s->min_day = first + (int32_t)d;
		}
		if (s->daily[d] >= in->target - 1e-9)
			s->days_at_target++;
	}
	if (nd > 0) {
		s->mean /= (double)nd;
		s->last = s->daily[nd - 1];
	} else
		s->min = 0;

	/* Incidents of the period, and how fast they were taken up. */
	if ((ack = malloc((in->nincidents + 1) * sizeof(*ack))) == NULL ||
	    (res = malloc((in->nincidents + 1) * sizeof(*res))) == NULL ||
	    (s->open = malloc((in->nincidents + 1) * sizeof(*s->open))) == NULL ||
	    (s->overdue = malloc((in->ndeadlines + 1) * sizeof(*s->overdue))) == NULL)
		goto out;
	for (size_t i = 0; i < in->nincidents; i++) {
		const struct summary_incident *x = &in->incidents[i];

		if (x->opened_us < stop && (x->resolved_us == 0 || x->resolved_us > stop))
			s->open[s->nopen++] = i;
		if (x->opened_us < in->from_us || x->opened_us >= stop)
			continue;
		s->incidents++;
		s->by[x->category][x->severity]++;
		if (x->acked_us > 0 && x->acked_us <= stop)
			ack[nack++] = (double)(x->acked_us - x->opened_us) / 1e6;
		if (x->resolved_us > 0 && x->resolved_us <= stop)
			res[nres++] = (double)(x->resolved_us - x->opened_us) / 1e6;
	}
	times(&s->ack, ack, nack);
	times(&s->resolve, res, nres);
	for (size_t i = 0; i < in->ndeadlines; i++) {
		const struct summary_deadline *d = &in->deadlines[i];

		if (d->due_us < stop && (d->submitted_us == 0 || d->submitted_us > stop))
			s->overdue[s->noverdue++] = i;
	}
	rc = 0;
out:
	free(order);
	free(ack);
	free(res);
	if (rc != 0)
		summary_free(s);
	return rc;
}

int
summary_period(const char *s, int32_t *first, int32_t *end, char *label, size_t labellen)
{
	static const char *const roman[] = {"I", "II", "III", "IV"};
	int y, n = 0, k = 0;
	char c = 0;

	if (sscanf(s, "%4d%n", &y, &n) != 1 || n != 4 || y < 2000 || y > 2199)
		return VIGIL_ERR_INVAL;
	if (s[4] == '\0') {
		*first = cal_days(y, 1, 1);
		*end = cal_days(y + 1, 1, 1);
		snprintf(label, labellen, "Năm %d", y);
		return 0;
	}
	if (s[4] != '-')
		return VIGIL_ERR_INVAL;
	if (s[5] == 'Q' || s[5] == 'H') {
		c = s[5];
		if (sscanf(s + 6, "%1d%n", &k, &n) != 1 || s[6 + n] != '\0')
			return VIGIL_ERR_INVAL;
		if (c == 'Q' && k >= 1 && k <= 4) {
			*first = cal_days(y, 3 * k - 2, 1);
			*end = k == 4 ? cal_days(y + 1, 1, 1) : cal_days(y, 3 * k + 1, 1);
			snprintf(label, labellen, "Quý %s/%d", roman[k - 1], y);
			return 0;
		}
		if (c == 'H' && (k == 1 || k == 2)) {
			*first = cal_days(y, k == 1 ? 1 : 7, 1);
			*end = k == 1 ? cal_days(y, 7, 1) : cal_days(y + 1, 1, 1);
			snprintf(label, labellen, "6 tháng %s năm %d", k == 1 ? "đầu" : "cuối", y);
			return 0;
		}
		return VIGIL_ERR_INVAL;
	}
	if (sscanf(s + 5, "%2d%n", &k, &n) != 1 || n != 2 || s[7] != '\0' || k < 1 || k > 12)
		return VIGIL_ERR_INVAL;
	*first = cal_days(y, k, 1);
	*end = k == 12 ? cal_days(y + 1, 1, 1) : cal_days(y, k + 1, 1);
	snprintf(label, labellen, "Tháng %02d/%d", k, y);
	return 0;
}
