/*
 * Pacing of the escalation reconcile (pace.h). Before issue 11 every new
 * incident waited a fixed 200 ms timer for its plan, which was the p99 of the
 * whole path from a log line to the notifier at idle; now the timer is kept
 * only for floods. The flood test looks back at the plans the recent
 * reconciles made, not at commits: heartbeats commit all the time and say
 * nothing about new incidents.
 */
#include "pace.h"

static int
flooding(const struct pace *p, int64_t now_us)
{
	return now_us - p->window_us < PACE_FLOOD_WINDOW_US && p->nnew >= PACE_FLOOD_N;
}

int64_t
pace_wait(struct pace *p, int64_t now_us)
{
	int64_t gap = PACE_GAP_US, w;

	if (flooding(p, now_us)) {
		gap = PACE_FLOOD_DELAY_US;
		p->floods++;
	}
	if (p->last_us == 0)
		return 0;
	w = p->last_us + gap - now_us;
	if (w < 0)
		return 0;
	return w > gap ? gap : w;   /* a clock stepped back waits no longer than the gap */
}

void
pace_ran(struct pace *p, int64_t now_us, size_t nnew)
{
	p->last_us = now_us;
	if (now_us - p->window_us >= PACE_FLOOD_WINDOW_US || now_us < p->window_us) {
		p->window_us = now_us;
		p->nnew = 0;
	}
	p->nnew += nnew;
}
