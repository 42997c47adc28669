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
 * XML read only for a kind not learned yet (once a day here: the kinds are
 * forgotten every round, as an office PC switched off at night forgets
 * them; also given with the kinds known) or <UserData>. The evidence of an
 * event that fires is made as ingest_winevent() makes it (winevent_format;
 * a line is its own). Measured on the values recorded from each event's
 * XML (evtlog_values_record, _record_user) as UTF-16, EvtRender's own cost
 * left out (Wine's is a stub). Then like for like: lines and events that
 * fire a rule, and those that fire nothing, each measured apart, and a
 * Linux line at the Windows day's share of events that fire (a Linux log
 * fires less often, so its average line is cheaper). Prints ns per item on one core (CPU time,
 * the best of REPEATS runs), and the ratio. Target (issue 14): an event
 * costs no more than a line.
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

enum how { WHOLE, PARSE_ONLY, HEAD, VALUES };

#define NVALS (EVTLOG_V_NAMED + EVTLOG_MAX_NAMED)

/*
 * An event as EvtRender's values, recorded from its XML (Wine's EvtRender
 * is a stub): those of the render context (vals) and all of its
 * <EventData> (user, EvtRenderContextUser's), their texts in UTF-16 as
 * Windows gives them (wtext), made UTF-8 in the run as the sensor does.
 */
struct recorded {
	struct winevent rec;        /* the event read whole */
	struct evtlog_value vals[NVALS], user[WINEVENT_MAX_FIELDS];
	size_t nuser;
	size_t woff[NVALS + WINEVENT_MAX_FIELDS]; /* each text's place in wtext */
	uint16_t *wtext;
	const struct span *xml;
};

static const char *names[EVTLOG_MAX_NAMED];
static size_t nnames;
static struct recorded *recs;       /* per event of the run, for VALUES */
static uint64_t xml_reads;          /* the XML read (rendered, on Windows) */
static uint64_t user_reads;         /* all <EventData> values rendered instead */
static struct evtlog_kinds kinds;   /* learned from the XML read, afresh every day */
static struct evtlog_masks masks;   /* the values each event id's rules read (of mv) */
static char vtext[64 * 1024];       /* the values' texts as UTF-8 (the sensor's vtext) */
static size_t vat;
static int keep_kinds;              /* the kinds learned kept from a round (a day) to the next */

#define ALL (~(uint64_t)0)

/*
 * Values vals[0..n) of mask (bit i: vals[i]) as the sensor's variant()
 * makes them: UTF-16 texts into UTF-8; the others not made.
 */
static void
from_utf16(const struct recorded *r, const struct evtlog_value *in, const size_t *woff,
    size_t n, uint64_t mask, struct evtlog_value *out)
{
	int cut;

	for (size_t i = 0; i < n; i++) {
		if (!(mask >> i & 1)) {
			out[i].type = EVTLOG_V_NULL;
			continue;
		}
		out[i] = in[i];
		if (in[i].type != EVTLOG_V_STRING)
			continue;
		out[i].s = vtext + vat;
		out[i].n = evtlog_utf16_to_utf8(r->wtext + woff[i], (size_t)-1, vtext + vat,
		    sizeof(vtext) - vat, &cut);
		vat += out[i].n + 1;
	}
}

/* The whole event, as the sensor reads it: from its kind's values, else from its XML. */
static int
read_whole(struct winevent *e, void *arg, char *err, size_t errlen)
{
	const struct recorded *r = arg;
	struct evtlog_value user[WINEVENT_MAX_FIELDS];
	const struct evtlog_kind *k = evtlog_kind_find(&kinds, e->provider, e->event_id);
	int rc;

	if (k != NULL) {
		user_reads++;
		from_utf16(r, r->user, r->woff + NVALS, r->nuser, ALL, user);
		if (evtlog_values_whole(e, k, user, r->nuser) == 0)
			return 0;
	}
	xml_reads++;
	if ((rc = winevent_parse(e, r->xml->p, r->xml->len, NULL, err, errlen)) == 0)
		evtlog_kind_learn(&kinds, e);
	return rc;
}

#define REPEATS 5 /* each figure the best of so many runs: the machine is shared */

/* CPU ns per event of events[0..n), rounds times, read and matched as how says. */
static double
per_event(struct matcher *m, const struct span *events, size_t n, long rounds, enum how how,
    int64_t *t, uint64_t *fired)
{
	static struct winevent ev;
	static char raw[4096];
	struct match_event evs[MATCH_MAX_EVENTS];
	struct evtlog_value vals[NVALS];
	uint64_t mask;
	char err[256];
	double t0, best = 0;
	uint64_t f = 0;
	size_t i, nf;
	long r;
	int k, rc;

	for (k = 0; k < REPEATS; k++) {
		t0 = cpu_now();
		for (r = 0; r < rounds; r++) {
			/* A day: each kind learned from its first XML read (an office PC is off at night). */
			if (!keep_kinds)
				kinds.n = 0;
			for (i = 0; i < n; i++) {
				if (how == VALUES) {
					vat = 0;
					from_utf16(&recs[i], recs[i].vals, recs[i].woff,
					    EVTLOG_V_NAMED, ALL, vals);
					mask = evtlog_mask(&masks, m,
					    (uint32_t)vals[EVTLOG_V_EVENTID].u, names, nnames);
					from_utf16(&recs[i], recs[i].vals + EVTLOG_V_NAMED,
					    recs[i].woff + EVTLOG_V_NAMED, nnames, mask,
					    vals + EVTLOG_V_NAMED);
					rc = evtlog_values_event(&ev, names, nnames, vals, mask);
					ev.whole = read_whole;
					ev.whole_arg = &recs[i];
					snprintf(err, sizeof(err), "no event id");
				} else if (how == HEAD)
					rc = winevent_parse_head(&ev, events[i].p, events[i].len,
					    err, sizeof(err));
				else
					rc = winevent_parse(&ev, events[i].p, events[i].len, NULL,
					    err, sizeof(err));
				if (rc != 0) {
					fprintf(stderr, "vigil-winrules-bench: %s\n", err);
					exit(1);
				}
				if (how == PARSE_ONLY)
					continue;
				nf = matcher_match_event(m, NULL, &ev, (*t += 100000), evs,
				    MATCH_MAX_EVENTS);
				/* The evidence, as ingest_winevent() makes it (a line is its own). */
				if (nf > 0)
					winevent_format(&ev, raw, sizeof(raw));
				f += nf;
			}
		}
		t0 = cpu_now() - t0;
		if (k == 0 || t0 < best)
			best = t0;
	}
	if (fired != NULL)
		*fired = f / REPEATS;
	return best * 1e9 / ((double)rounds * (double)n);
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

/* CPU ns per line of lines[0..n), rounds times (0: about a million lines). */
static double
per_line(struct matcher *m, const struct span *lines, size_t n, long rounds, int64_t *t,
    uint64_t *fired)
{
	struct match_event evs[MATCH_MAX_EVENTS];
	double t0, best = 0;
	uint64_t f = 0;
	size_t i;
	long r;
	int k;

	if (rounds <= 0)
		rounds = (long)(1000000 / REPEATS / n) + 1;
	for (k = 0; k < REPEATS; k++) {
		t0 = cpu_now();
		for (r = 0; r < rounds; r++)
			for (i = 0; i < n; i++)
				f += match_line(m, &lines[i], (*t += 100000), evs);
		t0 = cpu_now() - t0;
		if (k == 0 || t0 < best)
			best = t0;
	}
	*fired = f / REPEATS;
	return best * 1e9 / ((double)rounds * (double)n);
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

/* Texts of vals[0..n) in UTF-16 onto r->wtext from *at (r->wtext has room). */
static void
to_utf16(struct recorded *r, const struct evtlog_value *vals, size_t *woff, size_t n,
    size_t *at)
{
	const unsigned char *p;
	uint32_t cp;
	size_t i, k;
	int len;

	for (i = 0; i < n; i++) {
		woff[i] = *at;
		if (vals[i].type != EVTLOG_V_STRING)
			continue;
		p = (const unsigned char *)vals[i].s;
		for (k = 0; k < vals[i].n; k += (size_t)len) {
			if ((len = utf8_decode(p + k, vals[i].n - k, &cp)) <= 0) {
				len = 1;
				cp = 0xfffd;
			}
			if (cp >= 0x10000) {
				r->wtext[(*at)++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
				r->wtext[(*at)++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
			} else
				r->wtext[(*at)++] = (uint16_t)cp;
		}
		r->wtext[(*at)++] = 0;
	}
}

/* The values EvtRender would give for each of events[0..n), and the names m reads. */
static void
record(struct matcher *m, const struct span *events, size_t n)
{
	char err[256];
	size_t i, at;

	if ((nnames = matcher_value_names(m, names, EVTLOG_MAX_NAMED)) > EVTLOG_MAX_NAMED ||
	    (recs = calloc(n + 1, sizeof(*recs))) == NULL) {
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
		/* At most a UTF-16 unit a byte of text, and a NUL each. */
		if ((recs[i].wtext = malloc(2 * (WINEVENT_MAX_TEXT + WINEVENT_MAX_SYS * 3 + NVALS +
		    WINEVENT_MAX_FIELDS))) == NULL)
			exit(1);
		at = 0;
		to_utf16(&recs[i], recs[i].vals, recs[i].woff, EVTLOG_V_NAMED + nnames, &at);
		to_utf16(&recs[i], recs[i].user, recs[i].woff + NVALS, recs[i].nuser, &at);
	}
}

static void
unrecord(size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(recs[i].wtext);
	free(recs);
	recs = NULL;
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

int
main(int argc, char *argv[])
{
	static struct winevent ev;
	struct span *lines, *events, *delivered;
	size_t nlines = 0, nevents = 0, ndelivered, llen, xlen, at, used, lbytes = 0, xbytes = 0;
	uint64_t fired_l = 0, fired_w = 0;
	char *ltext, *xtext, err[256];
	long rounds = 0;
	int64_t t = 0;
	double cl, cw, cp, ch, cf, cv, cq, ck;
	struct matcher *ml, *mw, *mh, *mf, *mv;
	struct span *quiets, *wfires, *lfires, *lrests;
	size_t nquiet, nwfire, nlfire, nlrest;
	uint64_t fired_lf, fired_lr, fired_wf;
	double clf, clr, cwf, p, clm;
	uint64_t reads, ureads;
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
	mh = load(argv[optind]);
	mf = load(argv[optind]);
	mv = load(argv[optind]);
	ltext = slurp(argv[optind + 1], &llen);
	xtext = slurp(argv[optind + 2], &xlen);
	lines = calloc(llen / 16 + 2, sizeof(*lines));
	events = calloc(xlen / 64 + 2, sizeof(*events));
	delivered = calloc(xlen / 64 + 2, sizeof(*delivered));
	quiets = calloc(xlen / 64 + 2, sizeof(*quiets));
	wfires = calloc(xlen / 64 + 2, sizeof(*wfires));
	lfires = calloc(llen / 16 + 2, sizeof(*lfires));
	lrests = calloc(llen / 16 + 2, sizeof(*lrests));
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
	/* About a million items of each, unless told; each measured REPEATS times. */
	long lrounds = rounds > 0 ? rounds : (long)(1000000 / REPEATS / nlines) + 1;
	long wrounds = rounds > 0 ? rounds : (long)(1000000 / REPEATS / nevents) + 1;

	ndelivered = filter(mw, events, nevents, delivered);
	cl = per_line(ml, lines, nlines, lrounds, &t, &fired_l);
	cw = per_event(mw, events, nevents, wrounds, WHOLE, &t, &fired_w);
	cp = per_event(mw, events, nevents, wrounds, PARSE_ONLY, &t, NULL);
	ch = per_event(mh, events, nevents, wrounds, HEAD, &t, NULL);
	cf = per_event(mf, delivered, ndelivered, wrounds, HEAD, &t, NULL);
	record(mv, delivered, ndelivered);
	xml_reads = user_reads = 0;
	cv = per_event(mv, delivered, ndelivered, wrounds, VALUES, &t, NULL);
	reads = xml_reads;
	ureads = user_reads;
	/* The agent running for days: every kind learned already. */
	keep_kinds = 1;
	ck = per_event(mv, delivered, ndelivered, wrounds, VALUES, &t, NULL);
	keep_kinds = 0;
	/* Those that fire no rule (once through a fresh matcher): what most of a day is. */
	split_events(argv[optind], delivered, ndelivered, quiets, &nquiet, wfires, &nwfire);
	unrecord(ndelivered);
	record(mv, quiets, nquiet);
	cq = per_event(mv, quiets, nquiet, wrounds, VALUES, &t, NULL);
	unrecord(nquiet);
	/*
	 * Like for like: the events that fire (kinds known, their thresholds
	 * counted on their own) against the lines that fire, and a Linux line at
	 * the Windows day's share of events that fire.
	 */
	record(mv, wfires, nwfire);
	keep_kinds = 1;
	cwf = per_event(mv, wfires, nwfire, wrounds, VALUES, &t, &fired_wf);
	keep_kinds = 0;
	unrecord(nwfire);
	split_lines(argv[optind], lines, nlines, lfires, &nlfire, lrests, &nlrest);
	matcher_free(ml);
	ml = load(argv[optind]);
	clf = per_line(ml, lfires, nlfire, rounds, &t, &fired_lf);
	matcher_free(ml);
	ml = load(argv[optind]);
	clr = per_line(ml, lrests, nlrest, rounds, &t, &fired_lr);
	p = (double)nwfire / (double)ndelivered;
	clm = clr * (1 - p) + clf * p;

	printf("linux lines:      %zu (%.0f bytes each), %.0f%% fire a rule\n", nlines,
	    (double)lbytes / (double)nlines, 100.0 * (double)fired_l /
	    ((double)lrounds * (double)nlines));
	printf("windows events:   %zu (%.0f bytes each), %.0f%% fire a rule; %zu of them "
	    "through the subscription's query\n", nevents, (double)xbytes / (double)nevents,
	    100.0 * (double)fired_w / ((double)wrounds * (double)nevents), ndelivered);
	printf("per linux line:                        %5.0f ns, %8.0f lines/s (parse + match)\n",
	    cl, 1e9 / cl);
	printf("per windows event, read whole:         %5.0f ns, %8.0f events/s (%.0f ns parse; "
	    "--test-rules)\n", cw, 1e9 / cw, cp);
	printf("per windows event, <System> first:     %5.0f ns, %8.0f events/s (no query)\n",
	    ch, 1e9 / ch);
	printf("per delivered event, <System> first:   %5.0f ns, %8.0f events/s\n", cf, 1e9 / cf);
	cf = cf * (double)ndelivered / (double)nevents;
	printf("per logged event, <System> first:      %5.0f ns, %8.0f events/s (the agent, "
	    "XML)\n", cf, 1e9 / cf);
	printf("per delivered event, values:           %5.0f ns, %8.0f events/s (%.1f%% read the "
	    "XML too, %.1f%% all their values)\n", cv, 1e9 / cv, 100.0 * (double)reads /
	    ((double)REPEATS * (double)wrounds * (double)ndelivered), 100.0 * (double)ureads /
	    ((double)REPEATS * (double)wrounds * (double)ndelivered));
	printf("per delivered event, kinds known:      %5.0f ns, %8.0f events/s (values; the agent "
	    "running for days)\n", ck, 1e9 / ck);
	printf("per delivered event firing nothing:    %5.0f ns, %8.0f events/s (values; %zu "
	    "events)\n", cq, 1e9 / cq, nquiet);
	cv = cv * (double)ndelivered / (double)nevents;
	printf("per logged event, values:              %5.0f ns, %8.0f events/s (the agent on "
	    "Windows, the values measured recorded)\n", cv, 1e9 / cv);
	ck = ck * (double)ndelivered / (double)nevents;
	printf("per logged event, values, kinds known: %5.0f ns, %8.0f events/s\n", ck, 1e9 / ck);
	printf("event / line:     %.2f read whole, %.2f per logged event as XML, %.2f as values "
	    "(%.2f kinds known), %.2f firing nothing (target: <= 1.00)\n", cw / cl, cf / cl,
	    cv / cl, ck / cl, cq / cl);
	printf("like for like: a line firing a rule  %5.0f ns, an event %5.0f ns (%zu lines, %zu "
	    "events, kinds known; %.0f%% and %.0f%% of them fired when measured apart)\n", clf, cwf,
	    nlfire, nwfire, 100.0 * (double)fired_lf / ((double)nlfire * (double)(rounds > 0 ?
	    rounds : (long)(1000000 / REPEATS / nlfire) + 1)), 100.0 * (double)fired_wf /
	    ((double)nwfire * (double)wrounds));
	printf("               a line firing nothing %5.0f ns, an event %5.0f ns\n", clr, cq);
	printf("               a line at the day's %.0f%% firing %5.0f ns, an event %5.0f ns "
	    "(kinds known): %.2f\n", 100.0 * p, clm, ck * (double)nevents / (double)ndelivered,
	    ck * (double)nevents / (double)ndelivered / clm);
	matcher_free(ml);
	matcher_free(mw);
	matcher_free(mh);
	matcher_free(mf);
	matcher_free(mv);
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
