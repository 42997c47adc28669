/*
 * Working days in Vietnam: weekends, public holidays, Tết, and the Saturdays
 * worked to make up for a bridged day, read from a data file the unit can
 * edit (deploy/reports/holidays.conf is shipped, with its sources):
 *
 *   weekend sat sun
 *   year 2026                          the file lists every day off of 2026
 *   holiday 2026-02-14..2026-02-22 Tết Nguyên đán Bính Ngọ
 *   workday 2026-01-10 Làm bù cho thứ Sáu 02/01/2026
 *   holiday 2027-02-04..2027-02-10 provisional Tết Nguyên đán (dự kiến)
 *
 * A day is a working day when it is listed as a workday, or is neither a
 * weekend day nor a holiday. "provisional" marks days the Government has not
 * yet fixed; "year Y" says the file is complete for Y, so that a deadline
 * counted across a year the file does not cover can say so instead of
 * silently treating its holidays as working days.
 *
 * Days are numbered from 1970-01-01 (day 0), proleptic Gregorian, local
 * dates. Pure: no clock, no time zone.
 */
#ifndef VIGIL_REPORT_CALENDAR_H
#define VIGIL_REPORT_CALENDAR_H

#include <stdint.h>
#include <stddef.h>

#define CALENDAR_MAX_DAYS 20000 /* days listed in one file */
#define CALENDAR_MAX_RANGE 60   /* days in one holiday or workday line */

struct calendar;

/*
 * Read a calendar from text[0..len); file names it in messages. Returns 0, or
 * VIGIL_ERR_CONFIG with "file:line: message" in err (a bad date, an unknown
 * word, a day listed twice), VIGIL_ERR_TOOBIG, VIGIL_ERR_NOMEM.
 */
int calendar_parse(const char *text, size_t len, const char *file, struct calendar **out, char *err,
                   size_t errlen);
/* calendar_parse() of a file (at most 1 MiB). VIGIL_ERR_SYS when it cannot be read. */
int calendar_load(const char *path, struct calendar **out, char *err, size_t errlen);
/* An empty calendar: Saturdays and Sundays off, no holidays, no year covered. */
struct calendar *calendar_default(void);
void calendar_free(struct calendar *c);

int32_t cal_days(int y, int m, int d);
void cal_date(int32_t day, int *y, int *m, int *d);
/* 0 Sunday … 6 Saturday. */
int cal_weekday(int32_t day);

struct cal_day {
	int working;      /* a working day */
	int holiday;      /* listed as a holiday */
	int makeup;       /* a weekend day listed as a working day */
	int provisional;  /* the listing is provisional */
	int covered;      /* its year is declared complete */
	const char *name; /* the holiday or workday's name, or "" */
};

void calendar_day(const struct calendar *c, int32_t day, struct cal_day *out);
int calendar_is_working(const struct calendar *c, int32_t day);

#endif
