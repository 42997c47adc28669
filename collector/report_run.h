/*
 * The deadlines of reportable incidents, at run time (issue 17): marking an
 * incident reportable creates its deadlines (report/deadline.c counts them
 * over the unit's holiday calendar); a timer watches them; a deadline that
 * comes near, and one that passes, climbs the incident's chain through the
 * escalation engine, as an unacknowledged incident does (incident_act()'s
 * escalate, by "system", audited); a submitted report is recorded (who, when,
 * to whom, its reference), audited.
 *
 *   kind      counted from                 rule (deadline_rules[])
 *   notice    detection (opened)           5 days (or 5 working days)
 *   initial   the marking                  24 hours, near at once
 *   closing   resolution                   5 days (or 5 working days); made
 *                                          when a reportable incident is
 *                                          resolved
 *   breach    the first event              72 hours; made by itself for an
 *                                          incident of a category in [report]
 *                                          breach_categories (data_leak)
 *   any       as above                     made by itself for an incident a
 *                                          route with reportable = KINDS
 *                                          opened
 *
 * Near: the chain's first level is notified again; overdue: the second.
 * What was told is kept with the deadline (its stage), so that a restart
 * neither repeats a step nor forgets one. A file of no stage of the pipeline
 * (like control*.c): it calls the store, the incidents (incident_act) and
 * the escalation's state.
 */
#ifndef VIGIL_COLLECTOR_REPORT_RUN_H
#define VIGIL_COLLECTOR_REPORT_RUN_H

#include <stddef.h>
#include <stdint.h>

struct collector;
struct calendar;

#define REPORT_RUN_TICK_US (60LL * 1000 * 1000)

/*
 * Load the holiday calendar of [report] holidays (a missing file is an
 * error naming it) and, with a base, start the timer. 0 or a vigil_err with
 * a sentence in err.
 */
int report_run_open(struct collector *c, char *err, size_t errlen);
void report_run_free(struct collector *c);

/* The kinds as a mask: 1 << DL_NOTICE ...; from "notice,initial", or -1 (err says). */
int report_run_kinds(const char *list, unsigned *mask, char *err, size_t errlen);

/*
 * Mark incident id reportable: create the deadlines of kinds (a kind it has
 * already is kept). *added: how many are new. Runs a tick at once.
 */
int report_run_reportable(struct collector *c, int64_t id, unsigned kinds, const char *actor,
    size_t *added, char *err, size_t errlen);

/* Record the report kind of incident id submitted now, to `to`, with reference ref. */
int report_run_submitted(struct collector *c, int64_t id, const char *kind, const char *to,
    const char *ref, const char *actor, char *err, size_t errlen);

/*
 * One pass at now_us: closing deadlines of reportable incidents resolved
 * since, breach deadlines of incidents of the breach categories, then every
 * pending deadline's near and overdue steps. Returns the steps taken (tests
 * drive it with an injected clock).
 */
size_t report_run_tick(struct collector *c, int64_t now_us);

/*
 * Incidents opened since the last call owe the reports their routes ask for
 * (the escalation file's reportable key): their deadlines are made, audited
 * with the actor "route NAME". Called when new incidents got their plan.
 */
void report_run_routes(struct collector *c, int64_t now_us);

/* The calendar in use (never NULL once open). */
const struct calendar *report_run_calendar(const struct collector *c);

#endif
