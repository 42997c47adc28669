/*
 * The periodic summary written as members of a report's data. See
 * summary.h. Times are written as local ISO 8601 with their offset
 * (2026-11-05T14:30:00+07:00), which the templates' date filters read.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/jsonw.h"

#include "calendar.h"
#include "deadline.h"
#include "summary.h"

void
summary_time_iso(char *t, size_t len, int64_t us, int tz)
{
	int64_t local = us / 1000000 + (int64_t)tz * 60;
	int32_t day = (int32_t)(local >= 0 ? local / 86400 : -((-local + 86399) / 86400));
	int64_t sec = local - (int64_t)day * 86400;
	int y, m, d;

	cal_date(day, &y, &m, &d);
	snprintf(t, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d, (int)(sec / 3600),
	         (int)(sec / 60 % 60), (int)(sec % 60), tz < 0 ? '-' : '+',
	         (tz < 0 ? -tz : tz) / 60, (tz < 0 ? -tz : tz) % 60);
}

/* A local time with its offset, as a string member. */
static void
jtime(struct jsonw *w, const char *key, int64_t us, int tz)
{
	char t[64];

	summary_time_iso(t, sizeof(t), us, tz);
	jsonw_str(w, key, t);
}

static void
jday(struct jsonw *w, const char *key, int32_t day)
{
	char t[32];
	int y, m, d;

	cal_date(day, &y, &m, &d);
	snprintf(t, sizeof(t), "%04d-%02d-%02d", y, m, d);
	jsonw_str(w, key, t);
}

static void
times(struct jsonw *w, const char *name, const struct summary_times *t)
{
	jsonw_object(w, name);
	jsonw_uint(w, "count", t->count);
	jsonw_double(w, "median_s", t->median_s, 0);
	jsonw_double(w, "p90_s", t->p90_s, 0);
	jsonw_end(w);
}

static void
bar(struct jsonw *w, const char *label, double value)
{
	jsonw_object(w, NULL);
	jsonw_str(w, "label", label);
	jsonw_double(w, "value", value, 1);
	jsonw_end(w);
}

/* The chart: a bar a day for a month, a bar a month for longer periods. */
static void
chart(struct jsonw *w, const struct summary *s, double target)
{
	char label[32];
	int y, m, d;

	jsonw_object(w, "chart");
	jsonw_str(w, "title", s->ndays > 31 ? "Tỷ lệ máy tuân thủ trung bình theo tháng (%)"
	                                    : "Tỷ lệ máy tuân thủ theo ngày (%)");
	jsonw_str(w, "unit", "%");
	jsonw_int(w, "max", 100);
	jsonw_double(w, "target", target, -1);
	jsonw_array(w, "bars");
	if (s->ndays <= 31) {
		for (size_t i = 0; i < s->ndays; i++) {
			cal_date(s->first_day + (int32_t)i, &y, &m, &d);
			snprintf(label, sizeof(label), "%02d", d);
			bar(w, label, s->daily[i]);
		}
	} else {
		double sum = 0;
		size_t n = 0;
		int cur = -1;

		for (size_t i = 0; i <= s->ndays; i++) {
			if (i < s->ndays)
				cal_date(s->first_day + (int32_t)i, &y, &m, &d);
			if (n > 0 && (i == s->ndays || m != cur)) {
				snprintf(label, sizeof(label), "T%d", cur);
				bar(w, label, sum / (double)n);
				sum = 0;
				n = 0;
			}
			if (i < s->ndays) {
				cur = m;
				sum += s->daily[i];
				n++;
			}
		}
	}
	jsonw_end(w);
	jsonw_end(w);
}

static void
incident_head(struct jsonw *w, const struct summary_incident *x, const char *id_key)
{
	jsonw_object(w, NULL);
	jsonw_int(w, id_key, (long long)x->id);
	jsonw_str(w, "title", x->title);
}

int
summary_json(const struct summary *s, const struct summary_input *in, const char *period_label,
             const char *const *machine_units, struct jsonw *w)
{
	int32_t first = deadline_local_day(in->from_us, in->utc_offset_min);
	int32_t end = deadline_local_day(in->to_us - 1, in->utc_offset_min);
	int64_t stop = in->to_us < in->now_us ? in->to_us : in->now_us;
	int tz = in->utc_offset_min;

	jsonw_object(w, "period");
	jsonw_str(w, "label", period_label);
	jday(w, "from", first);
	jday(w, "to", end);
	jsonw_int(w, "days", end - first + 1);
	jsonw_uint(w, "days_counted", s->ndays);
	jtime(w, "generated_at", in->now_us, tz);
	jsonw_end(w);

	jsonw_object(w, "compliance");
	jsonw_double(w, "target", in->target, -1);
	jsonw_int(w, "inventory", in->inventory);
	jsonw_int(w, "base", s->base);
	jsonw_uint(w, "enrolled", s->enrolled);
	jsonw_uint(w, "not_enrolled", s->not_enrolled);
	jsonw_double(w, "mean", s->mean, 1);
	jsonw_double(w, "last", s->last, 1);
	jsonw_double(w, "min", s->min, 1);
	if (s->ndays > 0)
		jday(w, "min_day", s->min_day);
	else
		jsonw_null(w, "min_day");
	jsonw_uint(w, "days_at_target", s->days_at_target);
	jsonw_array(w, "days");
	for (size_t i = 0; i < s->ndays; i++) {
		jsonw_object(w, NULL);
		jday(w, "date", s->first_day + (int32_t)i);
		jsonw_uint(w, "compliant", s->daily_count[i]);
		jsonw_double(w, "percent", s->daily[i], 1);
		jsonw_end(w);
	}
	jsonw_end(w);
	chart(w, s, in->target);
	jsonw_end(w);

	jsonw_array(w, "never_compliant");
	for (size_t i = 0; i < s->nnever; i++) {
		jsonw_object(w, NULL);
		jsonw_str(w, "name", in->machines[s->never[i]]);
		if (machine_units != NULL && machine_units[s->never[i]] != NULL)
			jsonw_str(w, "unit", machine_units[s->never[i]]);
		jsonw_str(w, "reason",
		          s->never_reason[i] != NULL ? s->never_reason[i] : "chưa có dữ liệu tư thế");
		jsonw_end(w);
	}
	for (size_t i = 0; i < in->nabsent; i++) {
		jsonw_object(w, NULL);
		jsonw_str(w, "name", in->absent[i]);
		jsonw_str(w, "reason", "có trong danh mục nhưng chưa cài giám sát (không có agent)");
		jsonw_end(w);
	}
	jsonw_end(w);

	jsonw_object(w, "incidents");
	jsonw_uint(w, "total", s->incidents);
	jsonw_array(w, "by_category");
	for (int c = 0; c < SUMMARY_CATEGORIES; c++) {
		size_t total = 0;

		for (int v = 0; v < SUMMARY_SEVERITIES; v++)
			total += s->by[c][v];
		if (total == 0)
			continue;
		jsonw_object(w, NULL);
		jsonw_str(w, "category", summary_category_names[c]);
		jsonw_str(w, "text", summary_category_texts[c]);
		for (int v = 0; v < SUMMARY_SEVERITIES; v++)
			jsonw_uint(w, summary_severity_names[v], s->by[c][v]);
		jsonw_uint(w, "total", total);
		jsonw_end(w);
	}
	jsonw_end(w);
	jsonw_array(w, "by_severity");
	for (int v = SUMMARY_SEVERITIES - 1; v >= 0; v--) {
		size_t n = 0;

		for (int c = 0; c < SUMMARY_CATEGORIES; c++)
			n += s->by[c][v];
		jsonw_object(w, NULL);
		jsonw_str(w, "severity", summary_severity_names[v]);
		jsonw_str(w, "text", summary_severity_texts[v]);
		jsonw_uint(w, "count", n);
		jsonw_end(w);
	}
	jsonw_end(w);
	times(w, "ack", &s->ack);
	times(w, "resolve", &s->resolve);
	jsonw_array(w, "list");
	for (size_t i = 0; i < in->nincidents; i++) {
		const struct summary_incident *x = &in->incidents[i];

		if (x->opened_us < in->from_us || x->opened_us >= stop)
			continue;
		incident_head(w, x, "id");
		jsonw_str(w, "category_text", summary_category_texts[x->category]);
		jsonw_str(w, "severity_text", summary_severity_texts[x->severity]);
		jtime(w, "opened", x->opened_us, tz);
		jsonw_str(w, "status_text",
		          x->resolved_us > 0 && x->resolved_us <= stop ? "đã xử lý xong"
		          : x->acked_us > 0 && x->acked_us <= stop     ? "đang xử lý"
		                                                       : "chưa tiếp nhận");
		jsonw_end(w);
	}
	jsonw_end(w);
	jsonw_end(w);

	jsonw_array(w, "open_items");
	for (size_t i = 0; i < s->nopen; i++) {
		const struct summary_incident *x = &in->incidents[s->open[i]];

		incident_head(w, x, "id");
		jsonw_str(w, "severity_text", summary_severity_texts[x->severity]);
		jtime(w, "opened", x->opened_us, tz);
		jsonw_int(w, "age_s", (long long)((stop - x->opened_us) / 1000000));
		jsonw_end(w);
	}
	jsonw_end(w);
	jsonw_array(w, "overdue_items");
	for (size_t i = 0; i < s->noverdue; i++) {
		const struct summary_deadline *d = &in->deadlines[s->overdue[i]];

		jsonw_object(w, NULL);
		jsonw_int(w, "incident", (long long)d->incident);
		jsonw_str(w, "kind", deadline_kind_name((enum deadline_kind)d->kind));
		jsonw_str(w, "kind_text", deadline_kind_text((enum deadline_kind)d->kind));
		jtime(w, "due", d->due_us, tz);
		jsonw_end(w);
	}
	jsonw_end(w);
	return jsonw_error(w);
}
