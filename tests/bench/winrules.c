/*
 * vigil-winrules-bench: the rules engine's cost per Windows event against
 * its cost per Linux log line, with the shipped rule set.
 *
 *   vigil-winrules-bench [--rounds N] RULES_DIR LINES_FILE EVENTS_FILE
 *
 * LINES_FILE is an auth.log (vigil-scan-bench --keep writes a realistic
 * one); EVENTS_FILE rendered Windows events one after another
 * (tests/data/winevents/day.xml, a recorded day). Each is read into memory
 * once, then run through what the agent does with it, N rounds (default:
 * enough for about a second each): a line, syslog_parse() and
 * matcher_match(); an event, winevent_parse() and matcher_match_event()
 * (and apart, the parse alone). Prints ns per item on one core (CPU time),
 * and the ratio. Target (issue 14): an event costs no more than a line.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/winevent.h"
#include "../../agent/matcher.h"
#include "../../agent/rules.h"
#include "../../agent/syslog.h"

struct span {
	const char *p;
	size_t len;
};

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(fp);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void
rule_error(void *arg, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	(*(int *)arg)++;
}

static struct matcher *
load(const char *dir)
{
	struct ruleset *rs = rules_new();
	struct matcher *m;
	int bad = 0;

	if (rs == NULL || rules_load_dir(rs, dir, 0, rule_error, &bad) != 0) {
		fprintf(stderr, "%s: the rules cannot be read\n", dir);
		exit(1);
	}
	rules_finish(rs, rule_error, &bad);
	if (bad > 0 || (m = matcher_new(rs)) == NULL) {
		fprintf(stderr, "%s: bad rules\n", dir);
		exit(1);
	}
	return m;
}

int
main(int argc, char *argv[])
{
	static struct winevent ev;
	struct match_event evs[MATCH_MAX_EVENTS];
	struct span *lines, *events;
	size_t nlines = 0, nevents = 0, llen, xlen, i, at, used, lbytes = 0, xbytes = 0;
	uint64_t fired_l = 0, fired_w = 0;
	char *ltext, *xtext, err[256];
	long rounds = 0;
	int64_t t = 0;
	double t0, cl, cw, cp;
	struct matcher *ml, *mw;
	struct syslog_line sl;
	struct match_input in;
	long r;
	int c;

	while ((c = getopt(argc, argv, "r:")) != -1) {
		if (c != 'r')
			goto usage;
		rounds = strtol(optarg, NULL, 10);
	}
	if (argc - optind != 3)
		goto usage;
	ml = load(argv[optind]);
	mw = load(argv[optind]);
	ltext = slurp(argv[optind + 1], &llen);
	xtext = slurp(argv[optind + 2], &xlen);
	lines = calloc(llen / 16 + 2, sizeof(*lines));
	events = calloc(xlen / 64 + 2, sizeof(*events));
	if (lines == NULL || events == NULL)
		return 1;
	for (at = 0; at < llen;) {
		char *nl = memchr(ltext + at, '\n', llen - at);
		size_t n = nl != NULL ? (size_t)(nl - (ltext + at)) : llen - at;

		lines[nlines].p = ltext + at;
		lines[nlines++].len = n;
		lbytes += n;
		at += n + 1;
	}
	for (at = 0; at < xlen; at += used) {
		while (at < xlen && (xtext[at] == '\r' || xtext[at] == '\n' || xtext[at] == ' '))
			at++;
		if (winevent_parse(&ev, xtext + at, xlen - at, &used, err, sizeof(err)) != 0)
			break;
		events[nevents].p = xtext + at;
		events[nevents++].len = used;
		xbytes += used;
	}
	if (nlines == 0 || nevents == 0) {
		fprintf(stderr, "vigil-winrules-bench: no lines or no events read\n");
		return 1;
	}
	/* About a million items of each, unless told. */
	long lrounds = rounds > 0 ? rounds : (long)(1000000 / nlines) + 1;
	long wrounds = rounds > 0 ? rounds : (long)(1000000 / nevents) + 1;

	t0 = cpu_now();
	for (r = 0; r < lrounds; r++) {
		for (i = 0; i < nlines; i++) {
			syslog_parse(lines[i].p, lines[i].len, &sl);
			memset(&in, 0, sizeof(in));
			in.program = sl.program;
			in.program_len = sl.program_len;
			in.msg = sl.msg;
			in.msg_len = sl.msg_len;
			in.time_us = (t += 100000);
			fired_l += matcher_match(ml, &in, evs, MATCH_MAX_EVENTS);
		}
	}
	cl = (cpu_now() - t0) * 1e9 / ((double)lrounds * (double)nlines);

	t0 = cpu_now();
	for (r = 0; r < wrounds; r++) {
		for (i = 0; i < nevents; i++) {
			if (winevent_parse(&ev, events[i].p, events[i].len, NULL, err, sizeof(err)) != 0)
				return 1;
			fired_w += matcher_match_event(mw, NULL, &ev, (t += 100000), evs,
			    MATCH_MAX_EVENTS);
		}
	}
	cw = (cpu_now() - t0) * 1e9 / ((double)wrounds * (double)nevents);

	t0 = cpu_now();
	for (r = 0; r < wrounds; r++)
		for (i = 0; i < nevents; i++)
			winevent_parse(&ev, events[i].p, events[i].len, NULL, err, sizeof(err));
	cp = (cpu_now() - t0) * 1e9 / ((double)wrounds * (double)nevents);

	printf("linux lines:      %zu (%.0f bytes each), %.0f%% fire a rule\n", nlines,
	    (double)lbytes / (double)nlines, 100.0 * (double)fired_l /
	    ((double)lrounds * (double)nlines));
	printf("windows events:   %zu (%.0f bytes each), %.0f%% fire a rule\n", nevents,
	    (double)xbytes / (double)nevents, 100.0 * (double)fired_w /
	    ((double)wrounds * (double)nevents));
	printf("per linux line:   %.0f ns (parse + match), %.0f lines/s\n", cl, 1e9 / cl);
	printf("per windows event: %.0f ns (parse + match: %.0f ns parse, %.0f ns match), "
	    "%.0f events/s\n", cw, cp, cw - cp, 1e9 / cw);
	printf("per byte:         %.2f ns a line's, %.2f ns an event's\n", cl * (double)nlines /
	    (double)lbytes, cw * (double)nevents / (double)xbytes);
	printf("event / line:     %.2f (target: <= 1.00); matching alone: %.2f\n", cw / cl,
	    (cw - cp) / cl);
	matcher_free(ml);
	matcher_free(mw);
	free(lines);
	free(events);
	free(ltext);
	free(xtext);
	return 0;
usage:
	fprintf(stderr, "usage: vigil-winrules-bench [-r ROUNDS] RULES_DIR LINES_FILE "
	    "EVENTS_FILE\n");
	return 2;
}
