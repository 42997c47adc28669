/*
 * matcher.c: a rule set over observations. Which rule speaks for a line, the
 * subject PCRE2 sees when the line is not valid UTF-8, the cap on events of
 * one observation, the summaries' language, and the rule test mode's stream.
 * (test_rules.c covers loading, and the filters, suppression and thresholds
 * through the matcher.)
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
#include "../../agent/matcher.h"
#include "../../agent/rules.h"
#include "../../agent/syslog.h"

static void
no_errors(void *arg, const char *msg)
{
	fail_msg("rules: %s", msg);
}

static void
count_errors(void *arg, const char *msg)
{
	(*(int *)arg)++;
}

static struct matcher *
matcher_in(const char *lang, const char *text)
{
	struct ruleset *rs = rules_new();
	struct matcher *m;

	assert_non_null(rs);
	rules_language(rs, lang);
	assert_int_equal(rules_load_text(rs, "t.rules", text, strlen(text), 0, no_errors, NULL),
	    0);
	rules_finish(rs, no_errors, NULL);
	assert_non_null(m = matcher_new(rs));
	return m;
}

static size_t
run(struct matcher *m, const char *msg, size_t len, int64_t t, struct match_event *evs,
    size_t max)
{
	struct match_input in;

	memset(&in, 0, sizeof(in));
	in.program = "sshd";
	in.program_len = 4;
	in.msg = msg;
	in.msg_len = len;
	in.time_us = t * 1000000;
	return matcher_match(m, &in, evs, max);
}

static int
field_is(const struct match_event *ev, const char *key, const char *want)
{
	for (size_t i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].key, key) == 0)
			return ev->fields[i].len == strlen(want) &&
			    memcmp(ev->fields[i].value, want, ev->fields[i].len) == 0;
	return 0;
}

#define RULE(id, pat, sum) "[rule " id "]\ndescription = d\ncategory = auth\nseverity = low\n" \
	"pattern = " pat "\nsummary = " sum "\n"

/* The first rule that matches speaks for the line; the next are not run. */
static void
test_first_rule_speaks(void **state)
{
	struct matcher *m = matcher_in("en",
	    RULE("a", "^Failed (?<what>\\S+)", "first {what}")
	    RULE("b", "^Failed password", "second"));
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher_stats st;

	assert_int_equal(run(m, "Failed password", 15, 1, evs, MATCH_MAX_EVENTS), 1);
	assert_string_equal(evs[0].rule, "a");
	assert_string_equal(evs[0].summary, "first password");
	matcher_stats(m, &st);
	assert_int_equal(st.regex_runs, 1);
	assert_int_equal(st.matched, 1);
	matcher_free(m);
}

/*
 * A line that is not valid UTF-8 still matches: PCRE2 reads a copy with '?'
 * for each bad byte, of the same length, so that fields keep their places.
 */
static void
test_invalid_utf8(void **state)
{
	static const char line[] = "Failed password for \xff\xfeuser from 203.0.113.7 port 22";
	struct matcher *m = matcher_in("en",
	    RULE("r", "^Failed password for (?<user>\\S+) from (?<src_ip>\\S+)",
	        "{user} from {src_ip}"));
	struct match_event evs[MATCH_MAX_EVENTS];

	assert_int_equal(run(m, line, sizeof(line) - 1, 1, evs, MATCH_MAX_EVENTS), 1);
	assert_true(field_is(&evs[0], "user", "??user"));
	assert_true(field_is(&evs[0], "src_ip", "203.0.113.7"));
	assert_string_equal(evs[0].summary, "??user from 203.0.113.7");
	/* A valid line is matched in place: its fields point into it. */
	assert_int_equal(run(m, "Failed password for b\xc3\xa9 from 1.2.3.4", 34, 1, evs,
	    MATCH_MAX_EVENTS), 1);
	assert_true(field_is(&evs[0], "user", "b\xc3\xa9"));
	matcher_free(m);
}

/* One observation gives at most max events: the rule's, then its thresholds'. */
static void
test_events_capped(void **state)
{
	struct matcher *m = matcher_in("en",
	    RULE("r", "^x", "x")
	    "[threshold t1]\ndescription = d\nrules = r\ncount = 1\nwindow = 60s\n"
	    "event_category = attack\nseverity = high\nsummary = t1 {count}\n"
	    "[threshold t2]\ndescription = d\nrules = r\ncount = 1\nwindow = 60s\n"
	    "event_category = attack\nseverity = high\nsummary = t2 {count}\n");
	struct match_event evs[MATCH_MAX_EVENTS];

	assert_int_equal(run(m, "x", 1, 1, evs, MATCH_MAX_EVENTS), 3);
	assert_string_equal(evs[0].rule, "r");
	assert_string_equal(evs[1].summary, "t1 1");
	assert_string_equal(evs[2].summary, "t2 1");
	assert_int_equal(run(m, "x", 1, 100, evs, 2), 2);
	assert_string_equal(evs[0].rule, "r");
	assert_string_equal(evs[1].rule, "t1");
	matcher_free(m);
}

/* The set's language picks a rule's summary_vi; a rule without one speaks English. */
static void
test_summary_language(void **state)
{
	static const char rules[] =
	    RULE("ssh", "^Failed password for (?<user>\\S+)", "Failed password for {user}")
	    "summary_vi = Sai mật khẩu của {user}\n"
	    RULE("other", "^Other", "Something else");
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher *vi = matcher_in("vi", rules), *en = matcher_in("en", rules);
	struct ruleset *rs;
	int errors = 0;

	assert_int_equal(run(vi, "Failed password for an", 22, 1, evs, MATCH_MAX_EVENTS), 1);
	assert_string_equal(evs[0].summary, "Sai mật khẩu của an");
	assert_int_equal(run(en, "Failed password for an", 22, 1, evs, MATCH_MAX_EVENTS), 1);
	assert_string_equal(evs[0].summary, "Failed password for an");
	assert_int_equal(run(vi, "Other", 5, 1, evs, MATCH_MAX_EVENTS), 1);
	assert_string_equal(evs[0].summary, "Something else");
	matcher_free(vi);
	matcher_free(en);

	/* A summary_vi naming a field the pattern lacks is a bad rule in every language. */
	assert_non_null(rs = rules_new());
	rules_language(rs, "en");
	rules_load_text(rs, "t.rules", RULE("bad", "^x", "x") "summary_vi = {user}\n",
	    strlen(RULE("bad", "^x", "x") "summary_vi = {user}\n"), 0, count_errors, &errors);
	rules_finish(rs, count_errors, &errors);
	assert_int_equal(errors, 1);
	assert_int_equal(rs->nrules, 0);
	rules_free(rs);
}

/* --test-rules: one output line per event or "N\t-", long lines cut, the last line kept. */
static void
test_stream(void **state)
{
	struct matcher *m = matcher_in("en",
	    "[rule r]\ndescription = d\nprogram = sshd\ncategory = auth\nseverity = low\n"
	    "pattern = ^Failed password for (?<user>\\S+)\nsummary = bad {user}\n");
	FILE *in = tmpfile(), *out = tmpfile();
	char buf[4096], *big;
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	fputs("Nov 25 10:00:01 pc sshd[1]: Failed password for root\n", in);
	fputs("\n", in);
	assert_non_null(big = malloc(70000));
	memset(big, 'x', 70000);
	fwrite(big, 1, 70000, in);
	free(big);
	fputs("\nNov 25 10:00:02 pc sshd[2]: Failed password for an", in);   /* no newline */
	rewind(in);
	assert_int_equal(matcher_test_stream(m, in, out, NULL), 0);
	rewind(out);
	n = fread(buf, 1, sizeof(buf) - 1, out);
	buf[n] = '\0';
	assert_string_equal(buf,
	    "1\tr\tauth\tlow\tbad root\tuser=root\n"
	    "2\t-\n"
	    "3\t-\n"
	    "4\tr\tauth\tlow\tbad an\tuser=an\n");
	fclose(in);
	fclose(out);
	matcher_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_rule_speaks),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_events_capped),
		cmocka_unit_test(test_summary_language),
		cmocka_unit_test(test_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
