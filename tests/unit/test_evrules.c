/*
 * Event rules: rules over rendered Windows events (rules.c's channel,
 * event_id, provider, where, unless and fields; matcher.c's
 * matcher_match_event and agent facts). What a mistake in the keys says,
 * which rule takes which event, and the thresholds by named values
 * (guessing by address, by user; spraying by distinct user names).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/winevent.h"
#include "../../agent/evtlog_util.h"
#include "../../agent/matcher.h"
#include "../../agent/rules.h"

static void
no_errors(void *arg, const char *msg)
{
	fail_msg("rules: %s", msg);
}

static void
keep_error(void *arg, const char *msg)
{
	snprintf(arg, 512, "%s", msg);
}

static struct matcher *
matcher_in(const char *text)
{
	struct ruleset *rs = rules_new();
	struct matcher *m;

	assert_non_null(rs);
	assert_int_equal(rules_load_text(rs, "w.rules", text, strlen(text), 0, no_errors, NULL),
	    0);
	rules_finish(rs, no_errors, NULL);
	assert_non_null(m = matcher_new(rs));
	return m;
}

/* The one error a rule text gives. */
static void
expect_error(const char *text, const char *want)
{
	struct ruleset *rs = rules_new();
	char msg[512] = "";

	assert_non_null(rs);
	rules_load_text(rs, "w.rules", text, strlen(text), 0, keep_error, msg);
	rules_finish(rs, keep_error, msg);
	if (strcmp(msg, want) != 0)
		fail_msg("got \"%s\"\nwant \"%s\"", msg, want);
	assert_int_equal(rs->nerrors, 1);
	assert_int_equal(rs->nrules, 0);
	rules_free(rs);
}

static struct winevent ev;

/* A 4625 (or any id) on channel Security with the given values. */
static struct winevent *
event(unsigned id, const char *channel, const char *user, const char *ip, const char *type)
{
	char xml[2048], err[128];

	snprintf(xml, sizeof(xml),
	    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
	    "<Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>%u</EventID>"
	    "<Channel>%s</Channel><Computer>MAY-KE-TOAN-01</Computer></System><EventData>"
	    "<Data Name='TargetUserName'>%s</Data><Data Name='IpAddress'>%s</Data>"
	    "<Data Name='LogonType'>%s</Data><Data Name='Threat Name'>Virus:DOS/EICAR</Data>"
	    "</EventData></Event>", id, channel, user, ip, type);
	assert_int_equal(winevent_parse(&ev, xml, strlen(xml), NULL, err, sizeof(err)), 0);
	return &ev;
}

static int
field_is(const struct match_event *e, const char *key, const char *want)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (strcmp(e->fields[i].key, key) == 0)
			return e->fields[i].len == strlen(want) &&
			    memcmp(e->fields[i].value, want, e->fields[i].len) == 0;
	return 0;
}

#define HEAD(id) "[rule " id "]\ndescription = d\ncategory = auth\nseverity = low\nsummary = s\n"

static void
test_key_errors(void **state)
{
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\npattern = x\n",
	    "w.rules:6: rule a: 'channel' is for an event rule (channel, event_id), and this is "
	    "a log-line rule (pattern): a rule is one or the other");
	expect_error(HEAD("a") "program = sshd\npattern = x\nwhere = LogonType = 10\n",
	    "w.rules:8: rule a: 'where' is for an event rule (channel, event_id), and this is a "
	    "log-line rule (pattern): a rule is one or the other");
	expect_error(HEAD("a") "event_id = 4625\n",
	    "w.rules:1: rule a: an event rule needs both 'channel' and 'event_id'");
	expect_error(HEAD("a"),
	    "w.rules:1: rule a: missing required key 'pattern' (or, for a Windows event rule, "
	    "'channel' and 'event_id')");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625 70000\n",
	    "w.rules:7: rule a: 'event_id' must be numbers from 0 to 65535 (several: separated "
	    "by spaces), not '4625 70000'");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\nwhere = LogonType 10\n",
	    "w.rules:8: rule a: 'where' has 'LogonType 10', which is not NAME = VALUE or "
	    "NAME != VALUE (several: separated by ';')");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\nwhere = Logon Type = 10\n",
	    "w.rules:8: rule a: 'where' names 'Logon Type', which is not the name of a Windows "
	    "event's value (letters, digits, '_' for a space, '-')");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\nunless = LogonType = 3||7\n",
	    "w.rules:8: rule a: 'unless': the condition on 'LogonType' has an empty value "
	    "(around a '|')");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\nwhere = LogonType =\n",
	    "w.rules:8: rule a: 'where': the condition on 'LogonType' has no value");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\nfields = user=Target.User\n",
	    "w.rules:8: rule a: 'fields' has 'Target.User', which is not the name of a Windows "
	    "event's value (letters, digits, '_' for a space, '-')");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\nfields = us-er=User\n",
	    "w.rules:8: rule a: 'fields' has 'us-er=User': a field's name is 1 to 32 letters, "
	    "digits or '_' (write NAME=WindowsName to rename one)");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\nfields = a=X a=Y\n",
	    "w.rules:8: rule a: 'fields' names 'a' twice");
	expect_error("[rule a]\ndescription = d\ncategory = auth\nseverity = low\n"
	    "summary = {TargetUserName}\nchannel = Security\nevent_id = 4625\n",
	    "w.rules:5: rule a: summary uses {TargetUserName}, which is not a field of this rule");
	expect_error(HEAD("a") "channel = Security\nevent_id = 4625\nfields = IpAddress\n"
	    "suppress = 1m\nsuppress_by = TargetUserName\n",
	    "w.rules:10: rule a: 'suppress_by' names 'TargetUserName', which the rule's 'fields' "
	    "do not name");
}

static void
test_which_rule(void **state)
{
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher *m = matcher_in(
	    HEAD("rdp") "channel = security\nevent_id = 4624 4625\nwhere = LogonType = 10\n"
	    "fields = user=TargetUserName IpAddress\n"
	    HEAD("net") "channel = Security\nevent_id = 4625\nwhere = LogonType = 3; "
	    "IpAddress != 10.* | 127.0.0.1\nfields = TargetUserName threat=Threat_Name event_id\n"
	    HEAD("other") "channel = Security\nevent_id = 4625\nprovider = Someone-Else\n"
	    "[rule line]\ndescription = d\ncategory = auth\nseverity = low\nsummary = s\n"
	    "pattern = .\n");

	/* Channel without regard to case; the value is the rule's own name for it. */
	assert_int_equal(matcher_match_event(m, NULL, event(4625, "Security", "Nguyễn Văn An",
	    "203.0.113.7", "10"), 1, evs, MATCH_MAX_EVENTS), 1);
	assert_string_equal(evs[0].rule, "rdp");
	assert_true(field_is(&evs[0], "user", "Nguyễn Văn An"));
	assert_true(field_is(&evs[0], "IpAddress", "203.0.113.7"));
	/* The same values on another channel or id: no rule. */
	assert_int_equal(matcher_match_event(m, NULL, event(4625, "System", "a", "1.2.3.4", "10"),
	    1, evs, MATCH_MAX_EVENTS), 0);
	assert_int_equal(matcher_match_event(m, NULL, event(4626, "Security", "a", "1.2.3.4",
	    "10"), 1, evs, MATCH_MAX_EVENTS), 0);
	/* != with a glob: none of the alternatives. */
	assert_int_equal(matcher_match_event(m, NULL, event(4625, "Security", "a", "10.0.0.9",
	    "3"), 1, evs, MATCH_MAX_EVENTS), 0);
	assert_int_equal(matcher_match_event(m, NULL, event(4625, "Security", "a", "127.0.0.1",
	    "3"), 1, evs, MATCH_MAX_EVENTS), 0);
	assert_int_equal(matcher_match_event(m, NULL, event(4625, "Security", "a", "192.0.2.1",
	    "3"), 1, evs, MATCH_MAX_EVENTS), 1);
	assert_string_equal(evs[0].rule, "net");
	assert_true(field_is(&evs[0], "threat", "Virus:DOS/EICAR"));
	assert_true(field_is(&evs[0], "event_id", "4625"));
	/* A condition on a value the event lacks is not met; the provider must match. */
	assert_int_equal(matcher_match_event(m, NULL, event(4625, "Security", "a", "192.0.2.1",
	    "2"), 1, evs, MATCH_MAX_EVENTS), 0);
	matcher_free(m);
}

static void
test_facts(void **state)
{
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher *m = matcher_in(HEAD("rtp") "channel = Security\nevent_id = 5001\n"
	    "unless = agent.av_active != Windows Defender|Microsoft Defender*\n");
	struct winevent *e = event(5001, "Security", "a", "b", "c");

	/* Unknown: raised. Defender active: raised. Another antivirus active: quiet. */
	assert_int_equal(matcher_match_event(m, NULL, e, 1, evs, MATCH_MAX_EVENTS), 1);
	assert_int_equal(matcher_set_fact(m, "av_active", "Microsoft Defender Antivirus"), 0);
	assert_int_equal(matcher_match_event(m, NULL, e, 2, evs, MATCH_MAX_EVENTS), 1);
	assert_int_equal(matcher_set_fact(m, "av_active", "ESET Security"), 0);
	assert_int_equal(matcher_match_event(m, NULL, e, 3, evs, MATCH_MAX_EVENTS), 0);
	assert_int_equal(matcher_set_fact(m, "av_active", NULL), 0);
	assert_int_equal(matcher_match_event(m, NULL, e, 4, evs, MATCH_MAX_EVENTS), 1);
	for (int i = 0; i < RULES_MAX_FACTS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(matcher_set_fact(m, name, "x"), 0);
	}
	assert_int_equal(matcher_set_fact(m, "one_more", "x"), VIGIL_ERR_TOOBIG);
	matcher_free(m);
}

static void
test_thresholds(void **state)
{
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher *m = matcher_in(
	    HEAD("fail") "channel = Security\nevent_id = 4625\n"
	    "fields = TargetUserName IpAddress\n"
	    "[threshold by_ip]\ndescription = d\nrules = fail\ncount = 5\nwindow = 2m\n"
	    "group_by = IpAddress\nevent_category = attack\nseverity = high\n"
	    "summary = {count} from {IpAddress}\n"
	    "[threshold by_user]\ndescription = d\nrules = fail\ncount = 4\nwindow = 10m\n"
	    "group_by = TargetUserName\nevent_category = attack\nseverity = high\n"
	    "summary = {count} for {TargetUserName}\n"
	    "[threshold spray]\ndescription = d\nrules = fail\ncount = 3\nwindow = 30m\n"
	    "group_by = IpAddress\ndistinct = TargetUserName\nevent_category = attack\n"
	    "severity = high\nsummary = {count} names from {IpAddress}\n");
	const char *names[] = { "an", "binh", "chi" };
	size_t n;
	int t = 0, fired_ip = 0, fired_user = 0, fired_spray = 0;

	/* One address, one user, five times: guessing (by address, then by user at 4). */
	for (int i = 0; i < 5; i++) {
		n = matcher_match_event(m, NULL, event(4625, "Security", "Nguyễn Văn An",
		    "203.0.113.7", "3"), (int64_t)++t * 1000000, evs, MATCH_MAX_EVENTS);
		for (size_t k = 1; k < n; k++) {
			fired_ip += strcmp(evs[k].rule, "by_ip") == 0;
			fired_user += strcmp(evs[k].rule, "by_user") == 0;
			fired_spray += strcmp(evs[k].rule, "spray") == 0;
		}
		if (i == 3)
			assert_true(n == 2 && strcmp(evs[1].rule, "by_user") == 0 &&
			    field_is(&evs[1], "TargetUserName", "Nguyễn Văn An"));
		if (i == 4)
			assert_true(n == 2 && strcmp(evs[1].rule, "by_ip") == 0 &&
			    field_is(&evs[1], "IpAddress", "203.0.113.7"));
	}
	assert_int_equal(fired_ip, 1);
	assert_int_equal(fired_user, 1);
	assert_int_equal(fired_spray, 0);
	/* Another address, three different names once each: spraying. */
	for (int i = 0; i < 3; i++) {
		n = matcher_match_event(m, NULL, event(4625, "Security", names[i], "198.51.100.9",
		    "3"), (int64_t)++t * 1000000, evs, MATCH_MAX_EVENTS);
		assert_int_equal(n, i == 2 ? 2 : 1);
	}
	assert_string_equal(evs[1].rule, "spray");
	assert_true(field_is(&evs[1], "IpAddress", "198.51.100.9"));
	matcher_free(m);
}

static struct matcher *
shipped_rules(void)
{
	struct ruleset *rs = rules_new();
	struct matcher *m;

	assert_non_null(rs);
	assert_int_equal(rules_load_dir(rs, "deploy/rules.d", 0, no_errors, NULL), 0);
	rules_finish(rs, no_errors, NULL);
	assert_non_null(m = matcher_new(rs));
	return m;
}

enum how { WHOLE, HEAD, VALUES, KINDS };

/* The event's XML, read whole when a value is not at hand (as the sensor renders it). */
struct xml_span {
	const char *p;
	size_t len;
};

static int
read_whole(struct winevent *e, void *arg, char *err, size_t errlen)
{
	const struct xml_span *x = arg;

	return winevent_parse(e, x->p, x->len, NULL, err, errlen);
}

/* The sensor's: all of the event's values named by its kind, else its XML, and learn. */
static struct evtlog_kinds kinds;
static struct evtlog_value user[WINEVENT_MAX_FIELDS];
static size_t nuser, xml_reads, user_reads;

static int
read_kind(struct winevent *e, void *arg, char *err, size_t errlen)
{
	const struct evtlog_kind *k = evtlog_kind_find(&kinds, e->provider, e->event_id,
	    e->version);
	int rc;

	if (k != NULL && evtlog_values_whole(e, k, user, nuser) == 0) {
		user_reads++;
		return 0;
	}
	xml_reads++;
	/* Learned and checked against the values, as the sensor does: every kind of the day passes. */
	if ((rc = read_whole(e, arg, err, errlen)) == 0 && evtlog_kind_learn(&kinds, e) == 0)
		assert_int_equal(evtlog_kind_verify(&kinds, e, user, nuser), 0);
	return rc;
}

/* What event ev gives, read as how says, as one comparable line per event fired. */
static size_t
day_result(struct matcher *m, enum how how, const char *xml, size_t len, char *out,
    size_t cap)
{
	static struct winevent dev, rec;
	static uint16_t wvals[WINEVENT_MAX_TEXT + 4 * WINEVENT_MAX_SYS], wuser[WINEVENT_MAX_TEXT + WINEVENT_MAX_FIELDS];
	struct evtlog_value vals[EVTLOG_V_NAMED + EVTLOG_MAX_NAMED];
	struct match_event evs[MATCH_MAX_EVENTS];
	const char *names[EVTLOG_MAX_NAMED];
	struct xml_span x = { xml, len };
	size_t n, i, k, o = 0, nnames;
	char err[160];

	if (how == WHOLE)
		assert_int_equal(winevent_parse(&dev, xml, len, NULL, err, sizeof(err)), 0);
	else if (how == HEAD)
		assert_int_equal(winevent_parse_head(&dev, xml, len, err, sizeof(err)), 0);
	else {
		/* The values EvtRender would give, recorded from the XML. */
		nnames = matcher_value_names(m, names, EVTLOG_MAX_NAMED);
		assert_true(nnames < EVTLOG_MAX_NAMED);
		assert_int_equal(winevent_parse(&rec, xml, len, NULL, err, sizeof(err)), 0);
		evtlog_values_record(&rec, xml, len, names, nnames, vals);
		/* Strings as Windows gives them: UTF-16, made UTF-8 in the event. */
		assert_int_equal(evtlog_values_utf16(vals, EVTLOG_V_NAMED + nnames, wvals,
		    sizeof(wvals) / sizeof(wvals[0]), &n), 0);
		assert_int_equal(evtlog_values_event(&dev, names, nnames, vals,
		    matcher_value_mask(m, rec.event_id, names, nnames)), 0);
		dev.whole = how == KINDS ? read_kind : read_whole;
		dev.whole_arg = &x;
		nuser = evtlog_values_record_user(&rec, user, WINEVENT_MAX_FIELDS);
		assert_int_equal(evtlog_values_utf16(user, nuser, wuser,
		    sizeof(wuser) / sizeof(wuser[0]), &n), 0);
	}
	n = matcher_match_event(m, "eventlog", &dev, dev.time_us, evs, MATCH_MAX_EVENTS);
	for (i = 0; i < n; i++) {
		o += (size_t)snprintf(out + o, cap - o, "%s %d %d %s:", evs[i].rule,
		    evs[i].category, evs[i].severity, evs[i].summary);
		for (k = 0; k < evs[i].nfields; k++)
			o += (size_t)snprintf(out + o, cap - o, " %s=%.*s", evs[i].fields[k].key,
			    (int)evs[i].fields[k].len, evs[i].fields[k].value);
		o += (size_t)snprintf(out + o, cap - o, "\n");
		assert_true(o < cap);
	}
	/* The evidence, as ingest_winevent() makes it: the whole event. */
	if (n > 0) {
		char raw[4096];

		winevent_format(&dev, raw, sizeof(raw));
		o += (size_t)snprintf(out + o, cap - o, "%s\n", raw);
		assert_true(o < cap);
	}
	return n;
}

/*
 * The recorded day (tests/data/winevents/day.xml) through the shipped rules,
 * each event read whole, read lazily (<System> first), and made of the
 * values EvtRender would give (recorded from its XML: Wine's EvtRender is a
 * stub), the XML read only for a value not at hand: the same events fire,
 * with the same summaries and fields, thresholds included.
 */
static void
test_day_lazy(void **state)
{
	static char xml[1 << 20], want[8192], got[8192];
	struct matcher *whole = shipped_rules(), *lazy = shipped_rules(), *values = shipped_rules();
	struct matcher *kind = shipped_rules();
	size_t len, at = 0, used, n, fired = 0, events = 0;
	char err[160], name[64], value[128];
	FILE *fp;

	assert_non_null(fp = fopen("tests/data/winevents/day.xml", "rb"));
	len = fread(xml, 1, sizeof(xml) - 1, fp);
	fclose(fp);
	assert_true(len > 0 && len < sizeof(xml) - 1);
	for (;;) {
		while (at < len && strchr(" \t\r\n", xml[at]) != NULL)
			at++;
		if (at == len)
			break;
		if (sscanf(xml + at, "<?vigil-fact %63[^=]=%127[^?]?>", name, value) == 2) {
			matcher_set_fact(whole, name, value);
			matcher_set_fact(lazy, name, value);
			matcher_set_fact(values, name, value);
			matcher_set_fact(kind, name, value);
			at = (size_t)(strstr(xml + at, "?>") + 2 - xml);
			continue;
		}
		assert_int_equal(winevent_parse(&ev, xml + at, len - at, &used, err, sizeof(err)),
		    0);
		n = day_result(whole, WHOLE, xml + at, used, want, sizeof(want));
		assert_int_equal(day_result(lazy, HEAD, xml + at, used, got, sizeof(got)), n);
		assert_string_equal(got, want);
		assert_int_equal(day_result(values, VALUES, xml + at, used, got, sizeof(got)), n);
		assert_string_equal(got, want);
		assert_int_equal(day_result(kind, KINDS, xml + at, used, got, sizeof(got)), n);
		assert_string_equal(got, want);
		fired += n;
		events++;
		at += used;
	}
	assert_int_equal(events, 251);
	assert_true(fired > 30);
	/*
	 * The XML read once per kind, <UserData> ones too (14 times), the others
	 * (18: events that fire, and 1033/1034 whose Data4 no path reaches)
	 * made whole of their values.
	 */
	assert_int_equal(xml_reads, 14);
	assert_int_equal(user_reads, 18);
	matcher_free(kind);
	matcher_free(whole);
	matcher_free(lazy);
	matcher_free(values);
}

/* What a subscription asks Windows for: the ids each channel's rules read. */
static void
test_event_ids(void **state)
{
	struct matcher *m = shipped_rules();
	const uint16_t sec[] = { 1102, 4624, 4625, 4698, 4720, 4722, 4728, 4732, 4740, 4756,
	    6416 };
	uint16_t ids[32];
	size_t n;

	n = matcher_event_ids(m, "security", ids, 32);
	assert_int_equal(n, sizeof(sec) / sizeof(sec[0]));
	assert_memory_equal(ids, sec, sizeof(sec));
	assert_int_equal(matcher_event_ids(m, "System", ids, 32), 2);
	assert_int_equal(ids[0], 104);
	assert_int_equal(ids[1], 7045);
	/* More than max: counted, max written. */
	assert_int_equal(matcher_event_ids(m, "Security", ids, 2), n);
	assert_int_equal(ids[1], 4624);
	assert_int_equal(matcher_event_ids(m, "Setup", ids, 32), 0);
	matcher_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_errors),
	    cmocka_unit_test(test_which_rule),
	    cmocka_unit_test(test_facts),
	    cmocka_unit_test(test_thresholds),
	    cmocka_unit_test(test_day_lazy),
	    cmocka_unit_test(test_event_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
