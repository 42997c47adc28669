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
 * matcher_match(); an event, read whole (winevent_parse(), as --test-rules
 * does; and apart, the parse alone) or as the agent reads it (<System>
 * first, winevent_parse_head(), the rest when a rule asks), and
 * matcher_match_event(). The agent's subscription asks Windows only for the
 * event ids the rules read (evtlog_query): its cost is measured on the
 * events that query lets through, and is also given per event logged, the
 * others costing the agent nothing. On Windows the agent renders values,
 * not XML (EvtRenderEventValues): the <System> values and the named values
 * the rules read, made UTF-8 from Windows' UTF-16 (those of the event id's
 * rules only, evtlog_mask), then evtlog_values_event() and the matcher; an
 * event that fires, or asks for a value not at hand, is made whole of all
 * of its <EventData> values named by its kind (evtlog_values_whole), the
 * XML read only for a kind never learned: the agent keeps the kinds in its
 * spool across restarts, so that is its first day (measured apart, every
 * round a first day) or a template an update changed. The evidence of an
 * event that fires is made as ingest_winevent() makes it (winevent_format;
 * a line is its own). Measured on the values recorded from each event's
 * XML (evtlog_values_record, _record_user) as UTF-16, EvtRender's own cost
 * left out (Wine's is a stub). Then like for like: lines and events that
 * fire a rule, and those that fire nothing, each measured apart, and a
 * Linux line at the Windows day's share of events that fire (a Linux log
 * fires less often, so its average line is cheaper). Prints ns per item
 * on one core (CPU time): every figure is the best of RUNS runs, and the
 * runs of all the figures take turns, so that a slow spell of a shared
 * machine does not fall on one figure only; and the ratios. Target (issue
 * 14): an event costs no more than a line.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/utf8.h"
#include "vigil/winevent.h"
#include "../../agent/evtlog_util.h"
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

enum how { LINES, WHOLE, PARSE_ONLY, HEAD, VALUES };

#define NVALS (EVTLOG_V_NAMED + EVTLOG_MAX_NAMED)

struct job;

/*
 * An event as EvtRender's values, recorded from its XML (Wine's EvtRender
 * is a stub): those of the render context (vals) and all of its
 * <EventData> (user, EvtRenderContextUser's), their texts in UTF-16 as
 * Windows gives them (wtext: evtlog_values_utf16), made UTF-8 in the run
 * as the sensor makes them.
 */
struct recorded {
	struct winevent rec;        /* the event read whole */
	struct evtlog_value vals[NVALS], user[WINEVENT_MAX_FIELDS];
	size_t nuser;
	uint16_t *wtext;
	const struct span *xml;
	struct job *job;
};

/*
 * One figure: items read and matched as how says, rounds times a run, by
 * a matcher of its own (thresholds count apart). The runs of every figure
 * take turns (run_jobs), so that a slow spell of the shared machine falls
 * on all of them alike; each figure is its best run.
 */
struct job {
	enum how how;
	const struct span *items;
	size_t n;
	long rounds;
	int keep_kinds;             /* the kinds learned kept from a round (a day) to the next */
	struct matcher *m;
	struct recorded *recs;      /* per item, for VALUES */
	struct evtlog_kinds kinds;  /* learned from the XML read, afresh every day */
	struct evtlog_masks masks;  /* the values each event id's rules read */
	uint64_t fired, xml_reads, user_reads;  /* in the first run */
	int runs;
	double best;                /* CPU s of the best run */
};

static const char *names[EVTLOG_MAX_NAMED];
static size_t nnames;
static int64_t now_us;              /* the time each item is matched at */

#define ALL (~(uint64_t)0)

/* Values in[0..n) of mask (bit i: in[i]) as the sensor's variant() gives them; the others NULL. */
static void
as_variants(const struct evtlog_value *in, size_t n, uint64_t mask, struct evtlog_value *out)
{
	for (size_t i = 0; i < n; i++)
		if (mask >> i & 1)
			out[i] = in[i];
		else
			out[i].type = EVTLOG_V_NULL;
}

/* The whole event, as the sensor reads it: from its kind's values, else from its XML. */
static int
read_whole(struct winevent *e, void *arg, char *err, size_t errlen)
{
	const struct recorded *r = arg;
	struct job *j = r->job;
	struct evtlog_value user[WINEVENT_MAX_FIELDS];
	const struct evtlog_kind *k = evtlog_kind_find(&j->kinds, e->provider, e->event_id,
	    e->version);
	int rc;

	if (k != NULL) {
		j->user_reads += j->runs == 0;
		as_variants(r->user, r->nuser, ALL, user);
		if (evtlog_values_whole(e, k, user, r->nuser) == 0)
			return 0;
	}
	j->xml_reads += j->runs == 0;
	/* Learned, and checked against the values (evtlog_kind_verify), as the sensor does. */
	if ((rc = winevent_parse(e, r->xml->p, r->xml->len, NULL, err, errlen)) == 0 &&
	    evtlog_kind_learn(&j->kinds, e) == 0) {
		as_variants(r->user, r->nuser, ALL, user);
		evtlog_kind_verify(&j->kinds, e, user, r->nuser);
	}
	return rc;
}

static size_t match_line(struct matcher *m, const struct span *line, int64_t t,
    struct match_event *evs);

/* One run of job j: CPU seconds. */
static double
run_once(struct job *j)
{
	static struct winevent ev;
	static char raw[4096];
	struct match_event evs[MATCH_MAX_EVENTS];
	struct evtlog_value vals[NVALS];
	const struct span *it;
	uint64_t mask, f = 0;
	char err[256];
	double t0 = cpu_now();
	size_t i, nf;
	long r;
	int rc;

	for (r = 0; r < j->rounds; r++) {
		/* A day: each kind learned from its first XML read (an office PC is off at night). */
		if (!j->keep_kinds)
			j->kinds.n = 0;
		for (i = 0; i < j->n; i++) {
			it = &j->items[i];
			if (j->how == LINES) {
				f += match_line(j->m, it, (now_us += 100000), evs);
				continue;
			}
			if (j->how == VALUES) {
				struct recorded *rec = &j->recs[i];

				as_variants(rec->vals, EVTLOG_V_NAMED, ALL, vals);
				mask = evtlog_mask(&j->masks, j->m,
				    (uint32_t)vals[EVTLOG_V_EVENTID].u, names, nnames);
				as_variants(rec->vals + EVTLOG_V_NAMED, nnames, mask,
				    vals + EVTLOG_V_NAMED);
				rc = evtlog_values_event(&ev, names, nnames, vals, mask);
				ev.whole = read_whole;
				ev.whole_arg = rec;
				snprintf(err, sizeof(err), "no event id");
			} else if (j->how == HEAD)
				rc = winevent_parse_head(&ev, it->p, it->len, err, sizeof(err));
			else
				rc = winevent_parse(&ev, it->p, it->len, NULL, err, sizeof(err));
			if (rc != 0) {
				fprintf(stderr, "vigil-winrules-bench: %s\n", err);
				exit(1);
			}
			if (j->how == PARSE_ONLY)
				continue;
			nf = matcher_match_event(j->m, NULL, &ev, (now_us += 100000), evs,
			    MATCH_MAX_EVENTS);
			/* The evidence, as ingest_winevent() makes it (a line is its own). */
			if (nf > 0)
				winevent_format(&ev, raw, sizeof(raw));
			f += nf;
		}
	}
	t0 = cpu_now() - t0;
	if (j->runs == 0)
		j->fired = f;
	j->runs++;
	return t0;
}

#define RUNS 15      /* runs of each figure, taking turns; each figure the best of them */
#define ITEMS 100000 /* items a run (a whole number of rounds: at least this many) */

/* Every job's runs, taking turns. */
static void
run_jobs(struct job *jobs, size_t n)
{
	double t;

	for (int k = 0; k < RUNS; k++)
		for (size_t i = 0; i < n; i++)
			if ((t = run_once(&jobs[i])) < jobs[i].best || k == 0)
				jobs[i].best = t;
}

/* CPU ns an item of j. */
static double
ns(const struct job *j)
{
	return j->best * 1e9 / ((double)j->rounds * (double)j->n);
}

/* Fired per item of j, in %, in its first run. */
static double
fired_pc(const struct job *j)
{
	return 100.0 * (double)j->fired / ((double)j->rounds * (double)j->n);
}

/* syslog_parse() and matcher_match() of one line at t, as ingest() does: rules fired. */
static size_t
match_line(struct matcher *m, const struct span *line, int64_t t, struct match_event *evs)
{
	struct syslog_line sl;
	struct match_input in;

	syslog_parse(line->p, line->len, &sl);
	memset(&in, 0, sizeof(in));
	in.program = sl.program;
	in.program_len = sl.program_len;
	in.msg = sl.msg;
	in.msg_len = sl.msg_len;
	in.time_us = t;
	return matcher_match(m, &in, evs, MATCH_MAX_EVENTS);
}

/*
 * Lines of lines[0..n) split by whether they fire a rule, read in order
 * through the rules of dir once (a threshold fires on the line that reaches
 * it): fire[0..*nf), rest[0..*nr).
 */
static void
split_lines(const char *dir, const struct span *lines, size_t n, struct span *fire,
    size_t *nf, struct span *rest, size_t *nr)
{
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher *m = load(dir);
	int64_t t = 0;

	*nf = *nr = 0;
	for (size_t i = 0; i < n; i++) {
		if (match_line(m, &lines[i], (t += 100000), evs) > 0)
			fire[(*nf)++] = lines[i];
		else
			rest[(*nr)++] = lines[i];
	}
	matcher_free(m);
}

/*
 * What the subscription's query lets through (evtlog_query): the events whose
 * id the rules of their channel read, as Windows filters them.
 */
static size_t
filter(struct matcher *m, const struct span *events, size_t n, struct span *out)
{
	static struct winevent ev;
	uint16_t ids[64];
	size_t i, k, nids, kept = 0;
	char err[256];

	for (i = 0; i < n; i++) {
		if (winevent_parse(&ev, events[i].p, events[i].len, NULL, err, sizeof(err)) != 0)
			continue;
		nids = matcher_event_ids(m, ev.channel, ids, 64);
		for (k = 0; k < nids && k < 64 && ids[k] != ev.event_id; k++)
			;
		if (nids > EVTLOG_QUERY_MAX_IDS || (nids > 0 && k < nids && k < 64))
			out[kept++] = events[i];
	}
	return kept;
}

#define WUNITS (WINEVENT_MAX_TEXT + WINEVENT_MAX_SYS * 3 + NVALS + WINEVENT_MAX_FIELDS)

/* The values EvtRender would give for each of events[0..n), for job j. */
static struct recorded *
record(struct job *j, const struct span *events, size_t n)
{
	struct recorded *recs;
	char err[256];
	size_t i, at;

	if ((recs = calloc(n + 1, sizeof(*recs))) == NULL) {
		fprintf(stderr, "vigil-winrules-bench: cannot record the values\n");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		if (winevent_parse(&recs[i].rec, events[i].p, events[i].len, NULL, err,
		    sizeof(err)) != 0)
			exit(1);
		evtlog_values_record(&recs[i].rec, events[i].p, events[i].len, names, nnames,
		    recs[i].vals);
		recs[i].nuser = evtlog_values_record_user(&recs[i].rec, recs[i].user,
		    WINEVENT_MAX_FIELDS);
		recs[i].xml = &events[i];
		recs[i].job = j;
		/* At most a UTF-16 unit a byte of text, and a NUL each. */
		if ((recs[i].wtext = malloc(2 * WUNITS * sizeof(uint16_t))) == NULL ||
		    evtlog_values_utf16(recs[i].vals, EVTLOG_V_NAMED + nnames, recs[i].wtext,
		    WUNITS, &at) != 0 || evtlog_values_utf16(recs[i].user, recs[i].nuser,
		    recs[i].wtext + at, 2 * WUNITS - at, &at) != 0) {
			fprintf(stderr, "vigil-winrules-bench: cannot record the values\n");
			exit(1);
		}
	}
	return recs;
}

/*
 * The events of events[0..n) split by whether they fire a rule, read whole
 * in order through the rules of dir once: quiet[0..*nq), fire[0..*nf).
 */
static void
split_events(const char *dir, const struct span *events, size_t n, struct span *quiet,
    size_t *nq, struct span *fire, size_t *nf)
{
	static struct winevent ev;
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher *m = load(dir);
	char err[256];

	*nq = *nf = 0;
	for (size_t i = 0; i < n; i++) {
		if (winevent_parse(&ev, events[i].p, events[i].len, NULL, err, sizeof(err)) != 0)
			continue;
		if (matcher_match_event(m, NULL, &ev, ev.time_us, evs, MATCH_MAX_EVENTS) == 0)
			quiet[(*nq)++] = events[i];
		else
			fire[(*nf)++] = events[i];
	}
	matcher_free(m);
}

enum { J_LINE, J_WHOLE, J_PARSE, J_HEAD, J_HEAD_DELIVERED, J_FIRST_DAY, J_VALUES, J_QUIET,
	J_EVENTS_FIRING, J_LINES_FIRING, J_LINES_QUIET, NJOBS };

int
main(int argc, char *argv[])
{
	static struct winevent ev;
	static struct job jobs[NJOBS];
	struct span *lines, *events, *delivered, *quiets, *wfires, *lfires, *lrests;
	size_t nlines = 0, nevents = 0, ndelivered, llen, xlen, at, used, lbytes = 0, xbytes = 0;
	size_t nquiet, nwfire, nlfire, nlrest, i;
	char *ltext, *xtext, err[256];
	const char *dir;
	long rounds = 0;
	double cl, cf, c1, cv, cq, p, clm;
	struct matcher *m;     /* the names of the values the rules read, and the query's filter */
	struct job *j;
	int c;

	while ((c = getopt(argc, argv, "r:")) != -1) {
		if (c != 'r')
			goto usage;
		rounds = strtol(optarg, NULL, 10);
	}
	if (argc - optind != 3)
		goto usage;
	dir = argv[optind];
	ltext = slurp(argv[optind + 1], &llen);
	xtext = slurp(argv[optind + 2], &xlen);
	lines = calloc(llen / 16 + 2, sizeof(*lines));
	lfires = calloc(llen / 16 + 2, sizeof(*lfires));
	lrests = calloc(llen / 16 + 2, sizeof(*lrests));
	events = calloc(xlen / 64 + 2, sizeof(*events));
	delivered = calloc(xlen / 64 + 2, sizeof(*delivered));
	quiets = calloc(xlen / 64 + 2, sizeof(*quiets));
	wfires = calloc(xlen / 64 + 2, sizeof(*wfires));
	if (lines == NULL || events == NULL || delivered == NULL || quiets == NULL ||
	    wfires == NULL || lfires == NULL || lrests == NULL)
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
	m = load(dir);
	if ((nnames = matcher_value_names(m, names, EVTLOG_MAX_NAMED)) > EVTLOG_MAX_NAMED) {
		fprintf(stderr, "vigil-winrules-bench: the rules read too many values\n");
		return 1;
	}
	ndelivered = filter(m, events, nevents, delivered);
	/* Those that fire no rule (once through a fresh matcher): what most of a day is. */
	split_events(dir, delivered, ndelivered, quiets, &nquiet, wfires, &nwfire);
	split_lines(dir, lines, nlines, lfires, &nlfire, lrests, &nlrest);

	jobs[J_LINE] = (struct job){ .how = LINES, .items = lines, .n = nlines };
	jobs[J_WHOLE] = (struct job){ .how = WHOLE, .items = events, .n = nevents };
	jobs[J_PARSE] = (struct job){ .how = PARSE_ONLY, .items = events, .n = nevents };
	jobs[J_HEAD] = (struct job){ .how = HEAD, .items = events, .n = nevents };
	jobs[J_HEAD_DELIVERED] = (struct job){ .how = HEAD, .items = delivered, .n = ndelivered };
	/* The agent's first day: every kind learned from its first XML read. */
	jobs[J_FIRST_DAY] = (struct job){ .how = VALUES, .items = delivered, .n = ndelivered };
	/* Every day after: the kinds kept in the spool. */
	jobs[J_VALUES] = (struct job){ .how = VALUES, .items = delivered, .n = ndelivered,
	    .keep_kinds = 1 };
	jobs[J_QUIET] = (struct job){ .how = VALUES, .items = quiets, .n = nquiet,
	    .keep_kinds = 1 };
	/*
	 * Like for like: the events that fire (kinds known, their thresholds
	 * counted on their own) against the lines that fire, and those that fire
	 * nothing; and a Linux line at the Windows day's share of events that fire.
	 */
	jobs[J_EVENTS_FIRING] = (struct job){ .how = VALUES, .items = wfires, .n = nwfire,
	    .keep_kinds = 1 };
	jobs[J_LINES_FIRING] = (struct job){ .how = LINES, .items = lfires, .n = nlfire };
	jobs[J_LINES_QUIET] = (struct job){ .how = LINES, .items = lrests, .n = nlrest };
	for (i = 0; i < NJOBS; i++) {
		j = &jobs[i];
		if (j->n == 0) {
			fprintf(stderr, "vigil-winrules-bench: no items for figure %zu\n", i);
			return 1;
		}
		j->m = load(dir);
		j->rounds = rounds > 0 ? rounds : (long)(ITEMS / j->n) + 1;
		if (j->how == VALUES)
			j->recs = record(j, j->items, j->n);
	}
	run_jobs(jobs, NJOBS);

	cl = ns(&jobs[J_LINE]);
	printf("linux lines:      %zu (%.0f bytes each), %.0f%% fire a rule\n", nlines,
	    (double)lbytes / (double)nlines, fired_pc(&jobs[J_LINE]));
	printf("windows events:   %zu (%.0f bytes each), %.0f%% fire a rule; %zu of them "
	    "through the subscription's query\n", nevents, (double)xbytes / (double)nevents,
	    fired_pc(&jobs[J_WHOLE]), ndelivered);
	printf("per linux line:                        %5.0f ns, %8.0f lines/s (parse + match)\n",
	    cl, 1e9 / cl);
	printf("per windows event, read whole:         %5.0f ns, %8.0f events/s (%.0f ns parse; "
	    "--test-rules)\n", ns(&jobs[J_WHOLE]), 1e9 / ns(&jobs[J_WHOLE]),
	    ns(&jobs[J_PARSE]));
	printf("per windows event, <System> first:     %5.0f ns, %8.0f events/s (no query)\n",
	    ns(&jobs[J_HEAD]), 1e9 / ns(&jobs[J_HEAD]));
	cf = ns(&jobs[J_HEAD_DELIVERED]);
	printf("per delivered event, <System> first:   %5.0f ns, %8.0f events/s\n", cf, 1e9 / cf);
	cf = cf * (double)ndelivered / (double)nevents;
	printf("per logged event, <System> first:      %5.0f ns, %8.0f events/s (the agent, "
	    "XML)\n", cf, 1e9 / cf);
	j = &jobs[J_FIRST_DAY];
	c1 = ns(j);
	printf("per delivered event, first day:        %5.0f ns, %8.0f events/s (values; %.1f%% "
	    "read the XML to learn a kind, %.1f%% all their values)\n", c1, 1e9 / c1,
	    100.0 * (double)j->xml_reads / ((double)j->rounds * (double)j->n),
	    100.0 * (double)j->user_reads / ((double)j->rounds * (double)j->n));
	cv = ns(&jobs[J_VALUES]);
	printf("per delivered event, values:           %5.0f ns, %8.0f events/s (the kinds kept: "
	    "every day after the first)\n", cv, 1e9 / cv);
	cq = ns(&jobs[J_QUIET]);
	printf("per delivered event firing nothing:    %5.0f ns, %8.0f events/s (values; %zu "
	    "events)\n", cq, 1e9 / cq, nquiet);
	c1 = c1 * (double)ndelivered / (double)nevents;
	printf("per logged event, first day:           %5.0f ns, %8.0f events/s\n", c1, 1e9 / c1);
	cv = cv * (double)ndelivered / (double)nevents;
	printf("per logged event, values:              %5.0f ns, %8.0f events/s (the agent on "
	    "Windows, the values measured recorded)\n", cv, 1e9 / cv);
	printf("event / line:     %.2f read whole, %.2f per logged event as XML, %.2f as values "
	    "(%.2f the agent's first day), %.2f firing nothing (target: <= 1.00)\n",
	    ns(&jobs[J_WHOLE]) / cl, cf / cl, cv / cl, c1 / cl, cq / cl);
	printf("like for like: a line firing a rule  %5.0f ns, an event %5.0f ns (%zu lines, %zu "
	    "events; %.0f%% and %.0f%% of them fired when measured apart)\n",
	    ns(&jobs[J_LINES_FIRING]), ns(&jobs[J_EVENTS_FIRING]), nlfire, nwfire,
	    fired_pc(&jobs[J_LINES_FIRING]), fired_pc(&jobs[J_EVENTS_FIRING]));
	printf("               a line firing nothing %5.0f ns, an event %5.0f ns\n",
	    ns(&jobs[J_LINES_QUIET]), cq);
	p = (double)nwfire / (double)ndelivered;
	clm = ns(&jobs[J_LINES_QUIET]) * (1 - p) + ns(&jobs[J_LINES_FIRING]) * p;
	printf("               a line at the day's %.0f%% firing %5.0f ns, an event %5.0f ns: "
	    "%.2f\n", 100.0 * p, clm, ns(&jobs[J_VALUES]), ns(&jobs[J_VALUES]) / clm);
	for (i = 0; i < NJOBS; i++) {
		j = &jobs[i];
		if (j->recs != NULL)
			for (size_t k = 0; k < j->n; k++)
				free(j->recs[k].wtext);
		free(j->recs);
		matcher_free(j->m);
	}
	matcher_free(m);       /* names point into it */
	free(delivered);
	free(quiets);
	free(wfires);
	free(lfires);
	free(lrests);
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
