/*
 * The periodic summary mailed on a schedule ([report] summary_schedule):
 * report_mail.c says how. report_run.c owns it and calls its tick.
 */
#ifndef VIGIL_COLLECTOR_REPORT_MAIL_H
#define VIGIL_COLLECTOR_REPORT_MAIL_H

#include <stddef.h>
#include <stdint.h>

struct collector;
struct report_mail;

/*
 * The last period of schedule (monthly, quarterly, halfyearly) over at now_us:
 * on 5/12/2026 "2026-11", "2026-Q3", "2026-H1". -1 for "none" or anything else.
 */
int report_mail_due(const char *schedule, int64_t now_us, int utc_offset_min, char *period,
    size_t len);

/* NULL when no schedule is set (or without an event loop); err says why on failure. */
struct report_mail *report_mail_open(struct collector *c, char *err, size_t errlen);
void report_mail_free(struct report_mail *m);

/* The period just over is made and mailed once (kept in the store). */
void report_mail_tick(struct collector *c, struct report_mail *m, int64_t now_us);

#endif
