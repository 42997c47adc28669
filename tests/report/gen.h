/*
 * A generated month of a unit's posture history and incidents, the same
 * from the same seed: what test_summary checks summary.c against and what
 * the integration test renders (tests/report/demo.c). Header-only, so both
 * use one generator.
 */
#ifndef VIGIL_TESTS_REPORT_GEN_H
#define VIGIL_TESTS_REPORT_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../report/calendar.h"
#include "../../report/deadline.h"
#include "../../report/summary.h"

#define GEN_MACHINES 40
#define GEN_INVENTORY 42
#define GEN_INCIDENTS 30
#define GEN_MAX_ROWS (GEN_MACHINES * 8)

struct gen {
	uint64_t rng;
	char names[GEN_MACHINES][16];
	const char *machines[GEN_MACHINES];
	const char *units[GEN_MACHINES];
	struct summary_posture rows[GEN_MAX_ROWS];
	size_t nrows;
	struct summary_incident inc[GEN_INCIDENTS];
	char titles[GEN_INCIDENTS][64];
	struct summary_deadline dl[GEN_INCIDENTS];
	size_t ndl;
	struct summary_input in;
};

static inline uint64_t
gen_next(struct gen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 2685821657736338717ULL;
}

static inline int64_t
gen_range(struct gen *g, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(gen_next(g) % (uint64_t)(hi - lo));
}

/*
 * November 2026 in Vietnam, seen from now_us (pass 0 for 5 December 2026):
 * 40 enrolled machines of 42 declared, state changes before and during the
 * month, 30 incidents, a deadline for each of the serious ones.
 */
static inline void
gen_month(struct gen *g, uint64_t seed, int64_t now_us)
{
	static const char *const reasons[] = {"phần mềm diệt virus không chạy",
	                                      "mẫu nhận diện virus cũ hơn 3 ngày",
	                                      "bản vá bảo mật chờ quá 7 ngày"};
	static const char *const units[] = {"Văn phòng", "Kế toán", "Địa chính"};
	int64_t from = deadline_day_start(cal_days(2026, 11, 1), VN_UTC_OFFSET_MIN);
	int64_t to = deadline_day_start(cal_days(2026, 12, 1), VN_UTC_OFFSET_MIN);
	int64_t hour = 3600LL * 1000000, day = 24 * hour;

	memset(g, 0, sizeof(*g));
	g->rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (int m = 0; m < GEN_MACHINES; m++) {
		int episodes = (int)gen_range(g, 0, 3), state;

		snprintf(g->names[m], sizeof(g->names[m]), "pc-%02d", m + 1);
		g->machines[m] = g->names[m];
		g->units[m] = units[m % 3];
		/* Two machines never report at all; three are never fixed; the rest vary. */
		if (m == 7 || m == 21)
			continue;
		state = m == 3 || m == 17 || m == 30 ? 0 : (int)gen_range(g, 0, 8) != 0;
		g->rows[g->nrows++] =
		    (struct summary_posture){g->names[m], from - gen_range(g, day, 20 * day), state,
		                             state ? NULL : reasons[m % 3]};
		if (!state && m != 3 && m != 17 && m != 30) /* fixed some time around the start */
			g->rows[g->nrows++] = (struct summary_posture){
			    g->names[m], from + gen_range(g, -day, 6 * day), 1, NULL};
		/* Episodes of falling out of compliance: from two hours to four days. */
		for (int c = 0; c < episodes; c++) {
			int64_t t = gen_range(g, from - 2 * day, to + 3 * day);

			g->rows[g->nrows++] =
			    (struct summary_posture){g->names[m], t, 0, reasons[(m + c) % 3]};
			if (m != 3 && m != 17 && m != 30)
				g->rows[g->nrows++] = (struct summary_posture){
				    g->names[m], t + gen_range(g, 2 * hour, 4 * day), 1, NULL};
		}
	}
	for (int i = 0; i < GEN_INCIDENTS; i++) {
		struct summary_incident *x = &g->inc[i];

		x->id = 100 + i;
		x->category = (int)gen_range(g, 0, SUMMARY_CATEGORIES);
		x->severity = (int)gen_range(g, 1, SUMMARY_SEVERITIES);
		/* Most in the month, a few from October still open, one after the period. */
		x->opened_us = i < 3     ? from - gen_range(g, day, 10 * day)
		               : i == 29 ? to + hour
		                         : gen_range(g, from, to);
		snprintf(g->titles[i], sizeof(g->titles[i]), "Sự cố thử số %d: %s", i + 1,
		         summary_category_texts[x->category]);
		x->title = g->titles[i];
		if (gen_range(g, 0, 10) < 8)
			x->acked_us = x->opened_us + gen_range(g, 60LL * 1000000, 6 * hour);
		if (x->acked_us > 0 && gen_range(g, 0, 10) < 7)
			x->resolved_us = x->acked_us + gen_range(g, hour, 5 * day);
		if (x->severity >= 3) {
			struct summary_deadline *d = &g->dl[g->ndl++];

			d->incident = x->id;
			d->kind = DL_NOTICE;
			d->due_us = x->opened_us + 5 * day;
			if (gen_range(g, 0, 3) > 0)
				d->submitted_us = x->opened_us + gen_range(g, hour, 8 * day);
		}
	}
	g->in.from_us = from;
	g->in.to_us = to;
	g->in.now_us =
	    now_us != 0 ? now_us : deadline_day_start(cal_days(2026, 12, 5), VN_UTC_OFFSET_MIN);
	g->in.utc_offset_min = VN_UTC_OFFSET_MIN;
	g->in.target = 100;
	g->in.inventory = GEN_INVENTORY;
	g->in.machines = g->machines;
	g->in.nmachines = GEN_MACHINES;
	g->in.posture = g->rows;
	g->in.nposture = g->nrows;
	g->in.incidents = g->inc;
	g->in.nincidents = GEN_INCIDENTS;
	g->in.deadlines = g->dl;
	g->in.ndeadlines = g->ndl;
}

#endif
