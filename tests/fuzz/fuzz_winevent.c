/*
 * libFuzzer target: winevent_parse() on arbitrary bytes, read as the agent
 * reads a stream of rendered events (one after another, as wevtutil
 * prints them). What must hold for every event it accepts: each value kept
 * is valid UTF-8 within its cap, the System texts too, the struct's text
 * room is never overrun, and each event read moves the stream forward.
 * Each event then goes through event rules (conditions with globs, facts,
 * renamed fields, suppression and the three kinds of threshold), whose
 * events' fields must point into the event and fit the summary's size.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "vigil/text.h"
#include "vigil/winevent.h"
#include "../../agent/matcher.h"
#include "../../agent/rules.h"

static struct winevent ev, lazy;
static struct matcher *m;
static struct match_event evs[MATCH_MAX_EVENTS];

static const char rules[] =
    "[rule f]\ndescription = d\ncategory = auth\nseverity = low\nchannel = Security\n"
    "event_id = 4625 4771\nwhere = LogonType = 2|3|1*; IpAddress != 127.*|*::1\n"
    "fields = user=TargetUserName IpAddress computer record_id\nsuppress = 10s\n"
    "suppress_by = user\nsummary = {user} {IpAddress} {computer} {program} {source}\n"
    "[rule d]\ndescription = d\ncategory = antivirus\nseverity = high\n"
    "channel = Microsoft-Windows-Windows Defender/Operational\nevent_id = 1116 5001\n"
    "unless = agent.av_active != *Defender*\nfields = Threat_Name Data1 SubjectUserName\n"
    "summary = {Threat_Name}{Data1}{SubjectUserName}\n"
    "[rule u]\ndescription = d\ncategory = system\nseverity = high\nchannel = *\n"
    "event_id = 0 1 1102 2003\nfields = instance event_id channel provider time\n"
    "summary = {instance}\n"
    "[threshold a]\ndescription = d\nrules = f\ncount = 3\nwindow = 1m\n"
    "group_by = IpAddress\nevent_category = attack\nseverity = high\nsummary = {count}\n"
    "[threshold b]\ndescription = d\nrules = f\ncount = 2\nwindow = 1m\n"
    "group_by = IpAddress\ndistinct = user\nevent_category = attack\nseverity = high\n"
    "summary = {IpAddress}\n";

static void
init(void)
{
	struct ruleset *rs = rules_new();

	if (rs == NULL || rules_load_text(rs, "f.rules", rules, sizeof(rules) - 1, 0, NULL,
	    NULL) != 0)
		__builtin_trap();
	rules_finish(rs, NULL, NULL);
	if (rs->nerrors != 0 || (m = matcher_new(rs)) == NULL)
		__builtin_trap();
}

static void
check_text(const char *s, size_t n, size_t cap)
{
	if (n > cap || !text_utf8_valid(s, n) || memchr(s, '\0', n) != NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char err[256];
	size_t used, lused, at = 0, total = 0, i, n, k;

	if (m == NULL)
		init();
	matcher_set_fact(m, "av_active", size > 0 && (data[0] & 1) ? "ESET" : NULL);
	while (at < size) {
		int rc = winevent_parse(&ev, p + at, size - at, &used, err, sizeof(err));

		if (rc != 0 && strncmp(err, "byte ", 5) != 0)
			__builtin_trap();
		if (rc != 0)
			break;
		if (used == 0 || used > size - at)
			__builtin_trap();
		/* Read lazily, the same event is the same: <System> first, the rest to the same end. */
		if (winevent_parse_head(&lazy, p + at, used, err, sizeof(err)) != 0 ||
		    winevent_parse_tail(&lazy, &lused, err, sizeof(err)) != 0 || lused != used ||
		    lazy.nfields != ev.nfields || lazy.event_id != ev.event_id ||
		    lazy.textlen != ev.textlen || memcmp(lazy.text, ev.text, ev.textlen) != 0)
			__builtin_trap();
		at += used;
		check_text(ev.provider, strlen(ev.provider), WINEVENT_MAX_SYS - 1);
		check_text(ev.channel, strlen(ev.channel), WINEVENT_MAX_SYS - 1);
		check_text(ev.computer, strlen(ev.computer), WINEVENT_MAX_SYS - 1);
		if (ev.nfields > WINEVENT_MAX_FIELDS || ev.textlen > sizeof(ev.text))
			__builtin_trap();
		for (i = 0; i < ev.nfields; i++) {
			const struct winevent_field *f = &ev.fields[i];

			check_text(f->name, f->nlen, WINEVENT_MAX_NAME);
			check_text(f->value, f->vlen, WINEVENT_MAX_VALUE);
			if (f->nlen == 0 || f->name < ev.text || f->value + f->vlen > ev.text + ev.textlen)
				__builtin_trap();
			if (winevent_get(&ev, f->name, NULL) == NULL)
				__builtin_trap();
			total += f->vlen;
		}
		n = matcher_match_event(m, (data[0] & 2) ? "sec" : NULL, &ev, ev.time_us, evs,
		    MATCH_MAX_EVENTS);
		if (n > MATCH_MAX_EVENTS)
			__builtin_trap();
		for (i = 0; i < n; i++) {
			if (strlen(evs[i].summary) > MATCH_MAX_SUMMARY || evs[i].nfields > MATCH_MAX_FIELDS)
				__builtin_trap();
			for (k = 0; k < evs[i].nfields; k++)
				total += evs[i].fields[k].len;
		}
	}
	(void)total;
	return 0;
}
