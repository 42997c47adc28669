/*
 * The periodic summary written as members of a report's data. See
 * summary.h. Times are written as local ISO 8601 with their offset
 * (2026-11-05T14:30:00+07:00), which the templates' date filters read.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"

#include "calendar.h"
#include "deadline.h"
#include "summary.h"

/* A JSON string: quotes, backslashes and control characters escaped. */
static int
jstr(struct buf *b, const char *s)
{
	int rc = buf_add(b, "\"", 1);

	for (; rc == 0 && s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			rc = buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			rc = buf_printf(b, "\\u%04x", c);
		else
			rc = buf_add(b, s, 1);
	}
	return rc != 0 ? rc : buf_add(b, "\"", 1);
}

static int
jtime(struct buf *b, int64_t us, int tz)
{
	int64_t local = us / 1000000 + (int64_t)tz * 60;
	int32_t day = (int32_t)(local >= 0 ? local / 86400 : -((-local + 86399) / 86400));
	int64_t sec = local - (int64_t)day * 86400;
	int y, m, d;

	cal_date(day, &y, &m, &d);
	return buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d\"", y, m, d,
	                  (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60),
	                  tz < 0 ? '-' : '+', (tz < 0 ? -tz : tz) / 60, (tz < 0 ? -tz : tz) % 60);
}

static int
jday(struct buf *b, int32_t day)
{
	int y, m, d;

	cal_date(day, &y, &m, &d);
	return buf_printf(b, "\"%04d-%02d-%02d\"", y, m, d);
}

static int
times(struct buf *b, const char *name, const struct summary_times *t)
{
	return buf_printf(b, "\"%s\":{\"count\":%zu,\"median_s\":%.0f,\"p90_s\":%.0f}", name,
	                  t->count, t->median_s, t->p90_s);
}

/* The chart: a bar a day for a month, a bar a month for longer periods. */
static int
chart(struct buf *b, const struct summary *s, double target)
{
	int y, m, d, rc;

	rc = buf_printf(b,
	                "\"chart\":{\"title\":\"Tỷ lệ máy tuân thủ %s (%%)\",\"unit\":\"%%\","
	                "\"max\":100,\"target\":%g,\"bars\":[",
	                s->ndays > 31 ? "trung bình theo tháng" : "theo ngày", target);
	if (s->ndays <= 31) {
		for (size_t i = 0; rc == 0 && i < s->ndays; i++) {
			cal_date(s->first_day + (int32_t)i, &y, &m, &d);
			rc = buf_printf(b, "%s{\"label\":\"%02d\",\"value\":%.1f}", i ? "," : "", d,
			                s->daily[i]);
		}
	} else {
		double sum = 0;
		size_t n = 0, bars = 0;
		int cur = -1;

		for (size_t i = 0; rc == 0 && i <= s->ndays; i++) {
			if (i < s->ndays)
				cal_date(s->first_day + (int32_t)i, &y, &m, &d);
			if (n > 0 && (i == s->ndays || m != cur)) {
				rc = buf_printf(b, "%s{\"label\":\"T%d\",\"value\":%.1f}",
				                bars++ ? "," : "", cur, sum / (double)n);
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
	return rc != 0 ? rc : buf_str(b, "]}");
}

int
summary_json(const struct summary *s, const struct summary_input *in, const char *period_label,
             const char *const *machine_units, struct buf *b)
{
	int32_t first = deadline_local_day(in->from_us, in->utc_offset_min);
	int32_t end = deadline_local_day(in->to_us - 1, in->utc_offset_min);
	int tz = in->utc_offset_min;
	size_t k;

	buf_str(b, "\"period\":{\"label\":");
	jstr(b, period_label);
	buf_str(b, ",\"from\":");
	jday(b, first);
	buf_str(b, ",\"to\":");
	jday(b, end);
	buf_printf(b, ",\"days\":%d,\"days_counted\":%zu,\"generated_at\":", end - first + 1,
	           s->ndays);
	jtime(b, in->now_us, tz);
	buf_printf(
	    b,
	    "},\"compliance\":{\"target\":%g,\"inventory\":%ld,\"base\":%ld,\"enrolled\":%zu,"
	    "\"not_enrolled\":%zu,\"mean\":%.1f,\"last\":%.1f,\"min\":%.1f,\"min_day\":",
	    in->target, in->inventory, s->base, s->enrolled, s->not_enrolled, s->mean, s->last,
	    s->min);
	if (s->ndays > 0)
		jday(b, s->min_day);
	else
		buf_str(b, "null");
	buf_printf(b, ",\"days_at_target\":%zu,\"days\":[", s->days_at_target);
	for (size_t i = 0; i < s->ndays; i++) {
		buf_str(b, i ? ",{\"date\":" : "{\"date\":");
		jday(b, s->first_day + (int32_t)i);
		buf_printf(b, ",\"compliant\":%zu,\"percent\":%.1f}", s->daily_count[i],
		           s->daily[i]);
	}
	buf_str(b, "],");
	chart(b, s, in->target);
	buf_str(b, "},\"never_compliant\":[");
	for (size_t i = 0; i < s->nnever; i++) {
		buf_str(b, i ? ",{\"name\":" : "{\"name\":");
		jstr(b, in->machines[s->never[i]]);
		if (machine_units != NULL && machine_units[s->never[i]] != NULL) {
			buf_str(b, ",\"unit\":");
			jstr(b, machine_units[s->never[i]]);
		}
		buf_str(b, ",\"reason\":");
		jstr(b, s->never_reason[i] != NULL ? s->never_reason[i] : "chưa có dữ liệu tư thế");
		buf_str(b, "}");
	}
	buf_printf(b, "],\"incidents\":{\"total\":%zu,\"by_category\":[", s->incidents);
	k = 0;
	for (int c = 0; c < SUMMARY_CATEGORIES; c++) {
		size_t total = 0;

		for (int v = 0; v < SUMMARY_SEVERITIES; v++)
			total += s->by[c][v];
		if (total == 0)
			continue;
		buf_printf(b, "%s{\"category\":\"%s\",\"text\":", k++ ? "," : "",
		           summary_category_names[c]);
		jstr(b, summary_category_texts[c]);
		for (int v = 0; v < SUMMARY_SEVERITIES; v++)
			buf_printf(b, ",\"%s\":%zu", summary_severity_names[v], s->by[c][v]);
		buf_printf(b, ",\"total\":%zu}", total);
	}
	buf_str(b, "],\"by_severity\":[");
	for (int v = SUMMARY_SEVERITIES - 1; v >= 0; v--) {
		size_t n = 0;

		for (int c = 0; c < SUMMARY_CATEGORIES; c++)
			n += s->by[c][v];
		buf_printf(b, "%s{\"severity\":\"%s\",\"text\":\"%s\",\"count\":%zu}",
		           v < SUMMARY_SEVERITIES - 1 ? "," : "", summary_severity_names[v],
		           summary_severity_texts[v], n);
	}
	buf_str(b, "],");
	times(b, "ack", &s->ack);
	buf_str(b, ",");
	times(b, "resolve", &s->resolve);
	buf_str(b, ",\"list\":[");
	k = 0;
	for (size_t i = 0; i < in->nincidents; i++) {
		const struct summary_incident *x = &in->incidents[i];
		int64_t stop = in->to_us < in->now_us ? in->to_us : in->now_us;

		if (x->opened_us < in->from_us || x->opened_us >= stop)
			continue;
		buf_printf(b, "%s{\"id\":%lld,\"title\":", k++ ? "," : "", (long long)x->id);
		jstr(b, x->title);
		buf_printf(b, ",\"category_text\":\"%s\",\"severity_text\":\"%s\",\"opened\":",
		           summary_category_texts[x->category],
		           summary_severity_texts[x->severity]);
		jtime(b, x->opened_us, tz);
		buf_printf(b, ",\"status_text\":\"%s\"}",
		           x->resolved_us > 0 && x->resolved_us <= stop ? "đã xử lý xong"
		           : x->acked_us > 0 && x->acked_us <= stop     ? "đang xử lý"
		                                                        : "chưa tiếp nhận");
	}
	buf_str(b, "]},\"open_items\":[");
	for (size_t i = 0; i < s->nopen; i++) {
		const struct summary_incident *x = &in->incidents[s->open[i]];
		int64_t stop = in->to_us < in->now_us ? in->to_us : in->now_us;

		buf_printf(b, "%s{\"id\":%lld,\"title\":", i ? "," : "", (long long)x->id);
		jstr(b, x->title);
		buf_printf(b, ",\"severity_text\":\"%s\",\"opened\":",
		           summary_severity_texts[x->severity]);
		jtime(b, x->opened_us, tz);
		buf_printf(b, ",\"age_s\":%lld}", (long long)((stop - x->opened_us) / 1000000));
	}
	buf_str(b, "],\"overdue_items\":[");
	for (size_t i = 0; i < s->noverdue; i++) {
		const struct summary_deadline *d = &in->deadlines[s->overdue[i]];

		buf_printf(b, "%s{\"incident\":%lld,\"kind\":\"%s\",\"kind_text\":\"%s\",\"due\":",
		           i ? "," : "", (long long)d->incident,
		           deadline_kind_name((enum deadline_kind)d->kind),
		           deadline_kind_text((enum deadline_kind)d->kind));
		jtime(b, d->due_us, tz);
		buf_str(b, "}");
	}
	buf_str(b, "]");
	return buf_error(b);
}
