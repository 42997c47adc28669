/*
 * summary: the periodic summary's figures, on a small hand-made case whose
 * answers are worked out in the comments, and on a generated month
 * (tests/report/gen.h) checked against a second, brute-force computation
 * written here from the definitions in summary.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/jsonw.h"

#include "../report/gen.h"
#include "../../report/value.h"
#include "../../collector/compliance_inv.h"

#define HOUR (3600LL * 1000000)
#define DAY (24 * HOUR)
#define TZ VN_UTC_OFFSET_MIN

static int64_t
vn(int y, int mo, int d, int h)
{
	return deadline_day_start(cal_days(y, mo, d), TZ) + h * HOUR;
}

static void
test_percentile(void **state)
{
	double v[10];

	assert_true(summary_percentile(v, 0, 50) == 0);
	v[0] = 7;
	assert_true(summary_percentile(v, 1, 50) == 7);
	assert_true(summary_percentile(v, 1, 90) == 7);
	for (int i = 0; i < 10; i++)
		v[i] = 10 - i;                           /* 10 … 1, unsorted on purpose */
	assert_true(summary_percentile(v, 10, 50) == 5); /* rank ceil(5) = 5 */
	assert_true(summary_percentile(v, 10, 90) == 9); /* rank 9 */
	assert_true(summary_percentile(v, 4, 50) == 2);  /* 1 2 3 4: rank 2 */
	assert_true(summary_percentile(v, 3, 90) == 3);  /* rank ceil(2.7) = 3 */
}

static void
test_period(void **state)
{
	int32_t a, b;
	char label[64];

	assert_int_equal(summary_period("2026-11", &a, &b, label, sizeof(label)), 0);
	assert_int_equal(a, cal_days(2026, 11, 1));
	assert_int_equal(b, cal_days(2026, 12, 1));
	assert_string_equal(label, "Tháng 11/2026");
	assert_int_equal(summary_period("2026-Q4", &a, &b, label, sizeof(label)), 0);
	assert_int_equal(b - a, 92);
	assert_string_equal(label, "Quý IV/2026");
	assert_int_equal(summary_period("2026-H1", &a, &b, label, sizeof(label)), 0);
	assert_int_equal(b, cal_days(2026, 7, 1));
	assert_string_equal(label, "6 tháng đầu năm 2026");
	assert_int_equal(summary_period("2027", &a, &b, label, sizeof(label)), 0);
	assert_int_equal(b - a, 365);
	static const char *bad[] = {"2026-13", "2026-1",   "2026-Q5", "2026-H3",
	                            "26-11",   "2026-11x", "2026/11", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(summary_period(bad[i], &a, &b, label, sizeof(label)),
		                 VIGIL_ERR_INVAL);
}

/*
 * Three days (1–3 March 2026), four declared machines, three enrolled:
 *   a: compliant before the period, fails on the 2nd at 10:00, fixed on the 3rd at 09:00
 *   b: not compliant before, fixed on the 1st at 23:00
 *   c: never compliant
 * End of the 1st: a, b → 2/4 = 50 %; end of the 2nd: b → 25 %; end of the 3rd: a, b → 50 %.
 */
static void
test_small_case(void **state)
{
	static const char *const machines[] = {"a", "b", "c"};
	const struct summary_posture rows[] = {
	    {"a", vn(2026, 2, 20, 8), 1, NULL},
	    {"b", vn(2026, 2, 25, 8), 0, "old signatures"},
	    {"c", vn(2026, 2, 25, 8), 0, "antivirus stopped"},
	    {"a", vn(2026, 3, 2, 10), 0, "updates pending"},
	    {"b", vn(2026, 3, 1, 23), 1, NULL},
	    {"a", vn(2026, 3, 3, 9), 1, NULL},
	    {"zz", vn(2026, 3, 1, 9), 1, NULL}, /* not enrolled: ignored */
	};
	const struct summary_incident inc[] = {
	    /* acked in 30 min, resolved in 2 h */
	    {1, "one", 9, 3, vn(2026, 3, 1, 8), vn(2026, 3, 1, 8) + HOUR / 2, vn(2026, 3, 1, 10)},
	    /* acked in 2 h, still open */
	    {2, "two", 9, 4, vn(2026, 3, 2, 8), vn(2026, 3, 2, 10), 0},
	    /* never acked */
	    {3, "three", 4, 4, vn(2026, 3, 3, 8), 0, 0},
	    /* before the period, resolved inside it: not counted, not open */
	    {4, "four", 0, 1, vn(2026, 2, 27, 8), vn(2026, 2, 27, 9), vn(2026, 3, 2, 9)},
	    /* before the period and still open */
	    {5, "five", 0, 2, vn(2026, 2, 26, 8), 0, 0},
	};
	const struct summary_deadline dl[] = {
	    {2, DL_NOTICE, vn(2026, 3, 3, 0), 0},                 /* overdue */
	    {1, DL_NOTICE, vn(2026, 3, 3, 0), vn(2026, 3, 2, 9)}, /* submitted */
	    {3, DL_BREACH, vn(2026, 3, 5, 0), 0},                 /* not yet due */
	};
	struct summary_input in = {
	    .from_us = vn(2026, 3, 1, 0),
	    .to_us = vn(2026, 3, 4, 0),
	    .now_us = vn(2026, 3, 10, 0),
	    .utc_offset_min = TZ,
	    .target = 100,
	    .inventory = 4,
	    .machines = machines,
	    .nmachines = 3,
	    .posture = rows,
	    .nposture = 7,
	    .incidents = inc,
	    .nincidents = 5,
	    .deadlines = dl,
	    .ndeadlines = 3,
	};
	struct summary s;

	assert_int_equal(summary_compute(&in, &s), 0);
	assert_int_equal(s.ndays, 3);
	assert_int_equal(s.base, 4);
	assert_int_equal(s.not_enrolled, 1);
	assert_int_equal(s.daily_count[0], 2);
	assert_int_equal(s.daily_count[1], 1);
	assert_int_equal(s.daily_count[2], 2);
	assert_true(s.daily[1] == 25.0);
	assert_true(s.mean > 41.66 && s.mean < 41.67);
	assert_true(s.min == 25.0 && s.min_day == cal_days(2026, 3, 2));
	assert_true(s.last == 50.0);
	assert_int_equal(s.days_at_target, 0);
	assert_int_equal(s.nnever, 1);
	assert_string_equal(machines[s.never[0]], "c");
	assert_string_equal(s.never_reason[0], "antivirus stopped");
	assert_int_equal(s.incidents, 3);
	assert_int_equal(s.by[9][3], 1);
	assert_int_equal(s.by[9][4], 1);
	assert_int_equal(s.by[4][4], 1);
	assert_int_equal(s.ack.count, 2);
	assert_true(s.ack.median_s == 1800); /* 30 min, 2 h: rank 1 */
	assert_true(s.ack.p90_s == 7200);
	assert_int_equal(s.resolve.count, 1);
	assert_true(s.resolve.median_s == 7200);
	assert_int_equal(s.nopen, 3); /* two, three, five */
	assert_int_equal(s.noverdue, 1);
	assert_int_equal(s.overdue[0], 0);
	summary_free(&s);

	/* Seen on the 2nd at noon: two days counted, the second at its moment so far. */
	in.now_us = vn(2026, 3, 2, 12);
	assert_int_equal(summary_compute(&in, &s), 0);
	assert_int_equal(s.ndays, 2);
	assert_int_equal(s.daily_count[1], 1);
	assert_int_equal(s.incidents, 2);
	assert_int_equal(s.noverdue, 0);
	summary_free(&s);

	in.to_us = in.from_us;
	assert_int_equal(summary_compute(&in, &s), VIGIL_ERR_INVAL);
}

/* The brute-force state of machine m at t: the latest row at or before it. */
static int
state_at(const struct gen *g, const char *m, int64_t t, const struct summary_posture **row)
{
	const struct summary_posture *best = NULL;

	for (size_t i = 0; i < g->nrows; i++)
		if (strcmp(g->rows[i].machine, m) == 0 && g->rows[i].time_us <= t &&
		    (best == NULL || g->rows[i].time_us >= best->time_us))
			best = &g->rows[i];
	if (row != NULL)
		*row = best;
	return best != NULL && best->compliant;
}

/* Nearest rank by counting, not by summary_percentile's sort. */
static double
rank_value(const double *v, size_t n, int p)
{
	size_t rank = (size_t)(p * n + 99) / 100;

	for (size_t i = 0; i < n; i++) {
		size_t below = 0, equal = 0;

		for (size_t k = 0; k < n; k++) {
			below += v[k] < v[i];
			equal += v[k] == v[i];
		}
		if (below < rank && below + equal >= rank)
			return v[i];
	}
	return 0;
}

static void
check_month(uint64_t seed, int64_t now)
{
	static struct gen g;
	int64_t stop;
	struct summary s;
	double mean = 0, acks[GEN_INCIDENTS], res[GEN_INCIDENTS];
	size_t nack = 0, nres = 0, counted = 0, nnever = 0, nopen = 0, nover = 0;
	size_t by[SUMMARY_CATEGORIES][SUMMARY_SEVERITIES] = {{0}};

	gen_month(&g, seed, now);
	stop = g.in.to_us < g.in.now_us ? g.in.to_us : g.in.now_us;
	assert_int_equal(summary_compute(&g.in, &s), 0);
	for (int d = 0; d < 30; d++) {
		int64_t start = g.in.from_us + d * DAY, t = start + DAY - 1;
		size_t n = 0;

		if (start >= stop)
			break;
		if (t > stop)
			t = stop;
		for (int m = 0; m < GEN_MACHINES; m++)
			n += state_at(&g, g.machines[m], t, NULL);
		assert_int_equal(s.daily_count[d], n);
		assert_true(s.daily[d] == 100.0 * (double)n / GEN_INVENTORY);
		mean += 100.0 * (double)n / GEN_INVENTORY;
		counted++;
	}
	assert_int_equal(s.ndays, counted);
	mean /= (double)counted;
	assert_true(s.mean > mean - 1e-9 && s.mean < mean + 1e-9);
	for (int m = 0; m < GEN_MACHINES; m++) {
		int ever = state_at(&g, g.machines[m], g.in.from_us, NULL);

		for (size_t i = 0; i < g.nrows; i++)
			if (strcmp(g.rows[i].machine, g.machines[m]) == 0 && g.rows[i].compliant &&
			    g.rows[i].time_us > g.in.from_us && g.rows[i].time_us <= stop)
				ever = 1;
		if (!ever) {
			assert_true(nnever < s.nnever);
			assert_string_equal(g.machines[s.never[nnever]], g.machines[m]);
			nnever++;
		}
	}
	assert_int_equal(s.nnever, nnever);
	for (int i = 0; i < GEN_INCIDENTS; i++) {
		const struct summary_incident *x = &g.inc[i];

		if (x->opened_us < stop && (x->resolved_us == 0 || x->resolved_us > stop))
			nopen++;
		if (x->opened_us < g.in.from_us || x->opened_us >= stop)
			continue;
		by[x->category][x->severity]++;
		if (x->acked_us > 0 && x->acked_us <= stop)
			acks[nack++] = (double)(x->acked_us - x->opened_us) / 1e6;
		if (x->resolved_us > 0 && x->resolved_us <= stop)
			res[nres++] = (double)(x->resolved_us - x->opened_us) / 1e6;
	}
	assert_memory_equal(by, s.by, sizeof(by));
	assert_int_equal(s.ack.count, nack);
	assert_true(s.ack.median_s == rank_value(acks, nack, 50));
	assert_true(s.ack.p90_s == rank_value(acks, nack, 90));
	assert_int_equal(s.resolve.count, nres);
	assert_true(s.resolve.median_s == rank_value(res, nres, 50));
	assert_true(s.resolve.p90_s == rank_value(res, nres, 90));
	assert_int_equal(s.nopen, nopen);
	for (size_t i = 0; i < g.ndl; i++)
		nover += g.dl[i].due_us < stop &&
		         (g.dl[i].submitted_us == 0 || g.dl[i].submitted_us > stop);
	assert_int_equal(s.noverdue, nover);

	/* The JSON says the same, and parses. */
	{
		struct value_doc *doc = NULL;
		struct jsonw w;
		struct buf b;
		char err[256];
		const struct value *r;

		buf_init(&b, 1u << 22);
		jsonw_buf(&w, &b);
		jsonw_object(&w, NULL);
		assert_int_equal(summary_json(&s, &g.in, "Tháng 11/2026", g.units, &w), 0);
		jsonw_end(&w);
		assert_int_equal(buf_error(&b), 0);
		if (value_parse(b.p, b.len, NULL, &doc, err, sizeof(err)) != 0)
			fail_msg("summary_json: %s", err);
		r = value_root(doc);
		assert_int_equal(value_path(r, "compliance.days")->n, counted);
		assert_int_equal(value_path(r, "never_compliant")->n, nnever);
		assert_true(value_path(r, "incidents.ack.count")->num == (double)nack);
		assert_int_equal(value_path(r, "open_items")->n, nopen);
		assert_int_equal(value_path(r, "compliance.chart.bars")->n, counted);
		assert_string_equal(value_path(r, "period.from")->str, "2026-11-01");
		assert_string_equal(value_path(r, "period.to")->str, "2026-11-30");
		value_doc_free(doc);
		buf_free(&b);
	}
	summary_free(&s);
}

/*
 * The declared inventory as the denominator, counted by compliance_inv.c as
 * vigilctl compliance counts: a list of 30 PCs (pc-01 .. pc-30), 20 agents
 * on it and 2 not; agent k (1..22) becomes compliant on day k of November
 * (at noon) and stays so. Each day's figure is worked out here from that
 * rule alone: the listed agents compliant by the end of the day, over 30.
 */
static void
test_inventory(void **state)
{
	char names[30][8], hosts[22][8], agents[22][8];
	char *namev[30];
	const char *hostv[22];
	int ok[22] = {0};
	unsigned char counts[22], taken[30];
	struct summary_posture rows[22];
	const char *machines[22], *absent[30];
	struct compliance_inv inv = {0};
	struct compliance_inv_count n;
	struct summary_input in;
	struct summary s;
	size_t nm = 0, na = 0;

	(void)state;
	for (int i = 0; i < 30; i++) {
		snprintf(names[i], sizeof(names[i]), "pc-%02d", i + 1);
		namev[i] = names[i];
	}
	for (int k = 0; k < 22; k++) {
		/* 20 on the list (any case), then two machines it does not name. */
		snprintf(hosts[k], sizeof(hosts[k]), k < 20 ? "PC-%02d" : "lap-%02d", k + 1);
		snprintf(agents[k], sizeof(agents[k]), "ag%02d", k + 1);
		hostv[k] = hosts[k];
		rows[k] = (struct summary_posture){agents[k], vn(2026, 11, k + 1, 12), 1, NULL};
	}
	inv.declared = 30;
	inv.listed = 1;
	inv.names = namev;
	inv.nnames = 30;
	compliance_inv_count(&inv, hostv, ok, 22, counts, taken, &n);
	assert_true(n.has_inventory);
	assert_int_equal(n.den, 30);
	assert_int_equal(n.no_agent, 10);
	for (int k = 0; k < 22; k++)
		if (counts[k])
			machines[nm++] = agents[k];
	for (int i = 0; i < 30; i++)
		if (!taken[i])
			absent[na++] = names[i];
	assert_int_equal(nm, 20);
	assert_int_equal(na, 10);
	assert_string_equal(absent[0], "pc-21");

	memset(&in, 0, sizeof(in));
	in.from_us = vn(2026, 11, 1, 0);
	in.to_us = vn(2026, 12, 1, 0);
	in.now_us = vn(2026, 12, 5, 0);
	in.utc_offset_min = TZ;
	in.target = 100;
	in.inventory = (long)n.den;
	in.machines = machines;
	in.nmachines = nm;
	in.absent = absent;
	in.nabsent = na;
	in.posture = rows;
	in.nposture = 22;
	assert_int_equal(summary_compute(&in, &s), 0);
	assert_int_equal(s.base, 30);
	assert_int_equal(s.not_enrolled, 10);
	for (size_t d = 0; d < 30; d++) {
		size_t want = d + 1 < 20 ? d + 1 : 20;   /* the listed agents by day d + 1 */

		assert_int_equal(s.daily_count[d], want);
		assert_true(s.daily[d] > 100.0 * want / 30 - 1e-9 &&
		    s.daily[d] < 100.0 * want / 30 + 1e-9);
	}
	/* 20 of 30 at most: never the 100 % of the 20 that report. */
	assert_true(s.last > 66.66 && s.last < 66.67);
	assert_int_equal(s.days_at_target, 0);
	{
		struct value_doc *doc = NULL;
		const struct value *r, *nc;
		struct jsonw w;
		struct buf b;
		char err[256];

		buf_init(&b, 1u << 20);
		jsonw_buf(&w, &b);
		jsonw_object(&w, NULL);
		assert_int_equal(summary_json(&s, &in, "Tháng 11/2026", NULL, &w), 0);
		jsonw_end(&w);
		if (value_parse(b.p, b.len, NULL, &doc, err, sizeof(err)) != 0)
			fail_msg("summary_json: %s", err);
		r = value_root(doc);
		/* The 10 declared PCs no agent reports for are never compliant. */
		nc = value_path(r, "never_compliant");
		assert_int_equal(nc->n, 10);
		assert_true(value_path(r, "compliance.base")->num == 30);
		assert_true(value_path(r, "compliance.not_enrolled")->num == 10);
		value_doc_free(doc);
		buf_free(&b);
	}
	summary_free(&s);

	/* A count of 15 with the 20 listed agents all compliant: 15 of 15, not 20. */
	inv.listed = 0;
	inv.declared = 15;
	for (int k = 0; k < 22; k++)
		ok[k] = 1;
	compliance_inv_count(&inv, hostv, ok, 22, counts, NULL, &n);
	assert_int_equal(n.den, 15);
	assert_int_equal(n.num, 15);
	assert_int_equal(n.no_agent, 0);
	in.inventory = 15;
	in.nabsent = 0;
	in.now_us = vn(2026, 11, 25, 13);
	assert_int_equal(summary_compute(&in, &s), 0);
	assert_int_equal(s.daily_count[24], 15);
	assert_true(s.last == 100.0);
	summary_free(&s);
	/* No inventory: the machines that report. */
	memset(&inv, 0, sizeof(inv));
	compliance_inv_count(&inv, hostv, ok, 22, NULL, NULL, &n);
	assert_false(n.has_inventory);
	assert_int_equal(n.den, 22);
	assert_int_equal(n.num, 22);
}

static void
test_generated_month(void **state)
{
	for (uint64_t seed = 1; seed <= 5; seed++)
		check_month(seed, 0);
	/* A month still going on. */
	check_month(7, deadline_day_start(cal_days(2026, 11, 17), TZ) + 15 * HOUR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_percentile),
	    cmocka_unit_test(test_period),
	    cmocka_unit_test(test_small_case),
	    cmocka_unit_test(test_generated_month),
	    cmocka_unit_test(test_inventory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
