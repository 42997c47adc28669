/*
 * When new incidents get their escalation plan (issue 11). A commit that may
 * have opened an incident asks for a reconcile; at idle it runs at once (no
 * more often than every PACE_GAP_US, so a busy stream of commits costs at
 * most one query per gap), and only a flood — PACE_FLOOD_N new plans or more
 * within PACE_FLOOD_WINDOW_US — falls back to waiting PACE_FLOOD_DELAY_US, so
 * that the flood becomes a few large reconciles instead of many small ones.
 * Pure: the caller passes the clock.
 */
#ifndef VIGIL_PACE_H
#define VIGIL_PACE_H

#include <stddef.h>
#include <stdint.h>

#define PACE_GAP_US 20000             /* between two reconciles, at least */
#define PACE_FLOOD_DELAY_US 200000    /* in a flood, between two reconciles */
#define PACE_FLOOD_WINDOW_US 1000000  /* new plans are counted over this */
#define PACE_FLOOD_N 8                /* new plans within the window: a flood */

struct pace {
	int64_t last_us;        /* the last reconcile ran then; 0: never */
	int64_t window_us;      /* the current counting window began then */
	size_t nnew;            /* new plans in that window */
	uint64_t floods;        /* reconciles delayed as a flood (a counter) */
};

/* How long (µs, >= 0) a reconcile asked for at now_us waits. Counts flood delays. */
int64_t pace_wait(struct pace *p, int64_t now_us);

/* A reconcile ran at now_us and made nnew new plans. */
void pace_ran(struct pace *p, int64_t now_us, size_t nnew);

#endif
