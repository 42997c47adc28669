/*
 * The periodic summary of a unit (issue 17): its data from the store, for
 * vigilctl report summary and for the scheduled mail (report_run.c). The
 * figures are report/summary.c's; this file gathers the rows.
 */
#ifndef VIGIL_COLLECTOR_REPORT_SUMMARY_H
#define VIGIL_COLLECTOR_REPORT_SUMMARY_H

#include <stddef.h>

struct buf;
struct collector;

/*
 * The data of the summary of unit (NULL or "": every machine) over period
 * (2026-11, 2026-Q4, 2026-H2, 2026) into out. 0, or a vigil_err with a
 * sentence in err (a period that is no period or has not begun, no machine,
 * a profile field missing).
 */
int report_summary_data(struct collector *c, const char *unit, const char *period,
    struct buf *out, char *err, size_t errlen);

#endif
