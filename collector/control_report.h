/*
 * The control socket's report requests (control_report.c), for control.c's
 * table. Their arguments and answers are in control_report.c's first comment.
 */
#ifndef VIGIL_COLLECTOR_CONTROL_REPORT_H
#define VIGIL_COLLECTOR_CONTROL_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct jw;
struct ctl_arg;

int cmd_report_fill(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_report_data(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_report_reportable(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_report_submitted(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);

int cmd_report_summary(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);

/* incident show: a line {"type":"deadline",...} per deadline of incident id. */
int report_deadline_lines(struct jw *w, int64_t id);
/* The queue: "deadline", "deadline_due", "deadline_state" of its first pending deadline. */
void report_queue_members(struct jw *w, int64_t id);

#endif
