/*
 * The holiday calendar. See calendar.h. The listed days are kept sorted, one
 * entry per day, and found by binary search; a line that lists a range adds
 * one entry per day of it (at most CALENDAR_MAX_RANGE), so a lookup never
 * has to reason about ranges.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/clock.h"
#include "vigil/err.h"

#include "calendar.h"

#define LINE_MAX_LEN 1024
#define NAME_MAX_LEN 200
#define YEAR_MIN 2000
#define YEAR_MAX 2199

struct entry {
	int32_t day;
	int workday; /* 1: a working day listed; 0: a holiday */
	int provisional;
	size_t line; /* where it was listed, for messages */
	char *name;
};

struct calendar {
	int weekend[7]; /* by weekday */
	unsigned char covered[YEAR_MAX - YEAR_MIN + 1];
	struct entry *e;
	size_t n, cap;
};

int32_t
cal_days(int y, int m, int d)
{
	return (int32_t)clock_days_from_civil(y, m, d);
}

void
cal_date(int32_t z, int *y, int *m, int *d)
{
	clock_civil_from_days(z, y, m, d);
}

int
cal_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday. */
	return (int)(((day % 7) + 7 + 4) % 7);
}

struct calendar *
calendar_default(void)
{
	struct calendar *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->weekend[0] = c->weekend[6] = 1;
	return c;
}

void
calendar_free(struct calendar *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].name);
	free(c->e);
	free(c);
}

static int cfail(char *, size_t, const char *, size_t, const char *, ...)
    __attribute__((format(printf, 5, 6)));

static int
cfail(char *err, size_t errlen, const char *file, size_t line, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%zu: %s", file, line, msg);
	return VIGIL_ERR_CONFIG;
}

/* YYYY-MM-DD at s; advances s. */
static int
parse_date(const char **s, int32_t *day)
{
	int y, m, d, n = 0;

	if (sscanf(*s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return -1;
	if (y < YEAR_MIN || y > YEAR_MAX || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*day = cal_days(y, m, d);
	{
		int yy, mm, dd;

		cal_date(*day, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d) /* 2026-02-30 */
			return -1;
	}
	*s += n;
	return 0;
}

static int
find(const struct calendar *c, int32_t day)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->e[mid].day == day)
			return (int)mid;
		if (c->e[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->day < y->day ? -1 : x->day > y->day;
}

static const char *const weekday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

int
calendar_parse(const char *text, size_t len, const char *file, struct calendar **out, char *err,
               size_t errlen)
{
	struct calendar *c = calendar_default();
	size_t line = 0, pos = 0;
	int rc = 0, seen_weekend = 0;

	*out = NULL;
	if (c == NULL)
		return VIGIL_ERR_NOMEM;
	while (pos < len && rc == 0) {
		char buf[LINE_MAX_LEN + 2], word[16];
		const char *s, *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - text - pos) : len - pos;
		int32_t from, to;
		int provisional = 0, k = 0;

		line++;
		if (n > LINE_MAX_LEN) {
			rc = cfail(err, errlen, file, line, "a line longer than %d bytes.",
			           LINE_MAX_LEN);
			break;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + (nl != NULL);
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = '\0';
		if (memchr(buf, '\0', n) != NULL) {
			rc = cfail(err, errlen, file, line, "a NUL byte.");
			break;
		}
		s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (sscanf(s, "%15s%n", word, &k) != 1) {
			rc = cfail(err, errlen, file, line,
			           "expected weekend, year, holiday or workday.");
			break;
		}
		s += k;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strcmp(word, "weekend") == 0) {
			if (seen_weekend++) {
				rc = cfail(err, errlen, file, line, "the weekend is given twice.");
				break;
			}
			memset(c->weekend, 0, sizeof(c->weekend));
			while (*s != '\0' && rc == 0) {
				size_t i;

				if (sscanf(s, "%15s%n", word, &k) != 1)
					break;
				for (i = 0; i < 7 && strcmp(word, weekday_names[i]) != 0; i++)
					;
				if (i == 7)
					rc = cfail(err, errlen, file, line,
					           "unknown day \"%s\" (sun, mon, tue, wed, thu, "
					           "fri, sat).",
					           word);
				else
					c->weekend[i] = 1;
				s += k;
				while (*s == ' ' || *s == '\t')
					s++;
			}
			continue;
		}
		if (strcmp(word, "year") == 0) {
			char *end;
			long y;

			errno = 0;
			y = strtol(s, &end, 10);
			while (*end == ' ' || *end == '\t')
				end++;
			if (errno != 0 || end == s || *end != '\0' || y < YEAR_MIN || y > YEAR_MAX)
				rc = cfail(err, errlen, file, line,
				           "expected a year from %d to %d.", YEAR_MIN, YEAR_MAX);
			else
				c->covered[y - YEAR_MIN] = 1;
			continue;
		}
		if (strcmp(word, "holiday") != 0 && strcmp(word, "workday") != 0) {
			rc = cfail(
			    err, errlen, file, line,
			    "unknown word \"%s\": a line is weekend, year, holiday or workday.",
			    word);
			break;
		}
		if (parse_date(&s, &from) != 0) {
			rc = cfail(err, errlen, file, line,
			           "expected a date YYYY-MM-DD (from %d to %d).", YEAR_MIN,
			           YEAR_MAX);
			break;
		}
		to = from;
		if (s[0] == '.' && s[1] == '.') {
			s += 2;
			if (parse_date(&s, &to) != 0) {
				rc =
				    cfail(err, errlen, file, line, "expected a date after \"..\".");
				break;
			}
			if (to < from || to - from >= CALENDAR_MAX_RANGE) {
				rc = cfail(err, errlen, file, line,
				           "a range must run forward and hold at most %d days.",
				           CALENDAR_MAX_RANGE);
				break;
			}
		}
		if (*s != '\0' && *s != ' ' && *s != '\t') {
			rc = cfail(err, errlen, file, line, "expected a space after the date.");
			break;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "provisional", 11) == 0 &&
		    (s[11] == '\0' || s[11] == ' ' || s[11] == '\t')) {
			provisional = 1;
			s += 11;
			while (*s == ' ' || *s == '\t')
				s++;
		}
		if (strlen(s) > NAME_MAX_LEN) {
			rc = cfail(err, errlen, file, line, "a name longer than %d bytes.",
			           NAME_MAX_LEN);
			break;
		}
		for (int32_t d = from; d <= to && rc == 0; d++) {
			struct entry *e;

			if (c->n >= CALENDAR_MAX_DAYS) {
				cfail(err, errlen, file, line, "more than %d days listed.",
				      CALENDAR_MAX_DAYS);
				rc = VIGIL_ERR_TOOBIG;
				break;
			}
			if (c->n == c->cap) {
				size_t ncap = c->cap == 0 ? 64 : c->cap * 2;
				struct entry *q = realloc(c->e, ncap * sizeof(*q));

				if (q == NULL) {
					rc = VIGIL_ERR_NOMEM;
					break;
				}
				c->e = q;
				c->cap = ncap;
			}
			e = &c->e[c->n];
			e->day = d;
			e->workday = word[0] == 'w';
			e->provisional = provisional;
			e->line = line;
			if ((e->name = strdup(s)) == NULL) {
				rc = VIGIL_ERR_NOMEM;
				break;
			}
			c->n++;
		}
	}
	if (rc == 0 && c->n > 1) {
		qsort(c->e, c->n, sizeof(*c->e), cmp_entry);
		for (size_t i = 1; i < c->n; i++)
			if (c->e[i].day == c->e[i - 1].day) {
				int y, m, d;
				const struct entry *a = &c->e[i - 1], *b = &c->e[i];

				cal_date(b->day, &y, &m, &d);
				rc = cfail(err, errlen, file, a->line > b->line ? a->line : b->line,
				           "%04d-%02d-%02d is already listed at line %zu.", y, m, d,
				           a->line > b->line ? b->line : a->line);
				break;
			}
	}
	if (rc != 0) {
		calendar_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int
calendar_load(const char *path, struct calendar **out, char *err, size_t errlen)
{
	char *text;
	size_t n;
	FILE *fp;
	int rc;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if ((text = malloc((1u << 20) + 1)) == NULL) {
		fclose(fp);
		return VIGIL_ERR_NOMEM;
	}
	n = fread(text, 1, (1u << 20) + 1, fp);
	rc = ferror(fp) ? VIGIL_ERR_SYS : n > (1u << 20) ? VIGIL_ERR_TOOBIG : 0;
	fclose(fp);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path,
		         rc == VIGIL_ERR_SYS ? "cannot be read" : "larger than 1 MiB");
		free(text);
		return rc;
	}
	rc = calendar_parse(text, n, path, out, err, errlen);
	free(text);
	return rc;
}

void
calendar_day(const struct calendar *c, int32_t day, struct cal_day *out)
{
	int i = find(c, day), y, m, d;

	memset(out, 0, sizeof(*out));
	cal_date(day, &y, &m, &d);
	out->covered = y >= YEAR_MIN && y <= YEAR_MAX && c->covered[y - YEAR_MIN];
	out->name = "";
	if (i >= 0) {
		const struct entry *e = &c->e[i];

		out->holiday = !e->workday;
		out->makeup = e->workday && c->weekend[cal_weekday(day)];
		out->provisional = e->provisional;
		out->name = e->name;
		out->working = e->workday;
		return;
	}
	out->working = !c->weekend[cal_weekday(day)];
}

int
calendar_is_working(const struct calendar *c, int32_t day)
{
	struct cal_day cd;

	calendar_day(c, day, &cd);
	return cd.working;
}
