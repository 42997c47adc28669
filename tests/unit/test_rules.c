/*
 * The rule engine: rule files -> rule set (agent/rules.c), and the matcher
 * that runs it (agent/matcher.c): every error path of the parser with its
 * exact message, captures -> fields, templates, local override and disable,
 * prefilters, suppression and thresholds, and the --test-rules golden file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/err.h"
#include "../../agent/matcher.h"
#include "../../agent/rules.h"
#include "../../agent/syslog.h"

#define MAXMSG 16

struct msgs {
	char m[MAXMSG][1100];
	size_t n;
};

static void
collect(void *arg, const char *msg)
{
	struct msgs *ms = arg;

	if (ms->n < MAXMSG)
		snprintf(ms->m[ms->n++], sizeof(ms->m[0]), "%s", msg);
}

/* Load text as layer 0 of a new set, finished; messages into *ms. */
static struct ruleset *
load(const char *text, struct msgs *ms)
{
	struct ruleset *rs = rules_new();

	assert_non_null(rs);
	memset(ms, 0, sizeof(*ms));
	assert_int_equal(rules_load_text(rs, "t.rules", text, strlen(text), 0, collect, ms), 0);
	rules_finish(rs, collect, ms);
	return rs;
}

/* The one message a bad text gives. */
static void
expect_error(const char *text, const char *want)
{
	struct msgs ms;
	struct ruleset *rs = load(text, &ms);

	if (ms.n != 1 || strcmp(ms.m[0], want) != 0)
		fail_msg("want '%s', got %zu messages, first '%s'", want, ms.n, ms.m[0]);
	assert_int_equal(rs->nerrors, 1);
	rules_free(rs);
}

#define RULE_HEAD "[rule r1]\ndescription = d\ncategory = auth\nseverity = low\n"
#define GOOD_RULE RULE_HEAD "pattern = ^x (?<user>\\S+)\nsummary = s {user}\n"
#define THR_HEAD "[threshold t1]\ndescription = d\nevent_category = attack\nseverity = high\n"

static const char *
field(const struct match_event *ev, const char *key)
{
	static char buf[1100];
	size_t i;

	for (i = 0; i < ev->nfields; i++) {
		if (strcmp(ev->fields[i].key, key) == 0) {
			snprintf(buf, sizeof(buf), "%.*s", (int)ev->fields[i].len,
			    ev->fields[i].value);
			return buf;
		}
	}
	return NULL;
}

/* Match a syslog line (or plain text) at time t seconds. */
static size_t
run(struct matcher *m, const char *source, const char *line, int64_t t,
    struct match_event *evs)
{
	struct match_input in;
	struct syslog_line sl;

	syslog_parse(line, strlen(line), &sl);
	memset(&in, 0, sizeof(in));
	in.source = source;
	in.program = sl.program;
	in.program_len = sl.program_len;
	in.msg = sl.msg;
	in.msg_len = sl.msg_len;
	in.time_us = t * 1000000;
	return matcher_match(m, &in, evs, MATCH_MAX_EVENTS);
}

static struct matcher *
matcher_of(const char *text)
{
	struct msgs ms;
	struct ruleset *rs = load(text, &ms);
	struct matcher *m;

	if (ms.n != 0)
		fail_msg("unexpected: %s", ms.m[0]);
	assert_non_null(m = matcher_new(rs));
	return m;
}

/* ---- parsing -------------------------------------------------------------- */

static void
test_good_file(void **state)
{
	struct msgs ms;
	struct ruleset *rs = load(
	    "# a comment\n"
	    "; another\n"
	    "\n"
	    "[rule ssh.failed_password]\n"
	    "description = A password was refused\n"
	    "program = sshd sshd-session\n"
	    "sources = auth\n"
	    "pattern = ^Failed password for (?<user>\\S+) from (?<src_ip>\\S+) port (?<port>\\d+)\n"
	    "category = auth\n"
	    "severity = low\n"
	    "summary = \"Failed for {user} from {src_ip}\"\n"
	    "suppress = 60s\n"
	    "suppress_by = user src_ip\n"
	    "enabled = yes\n"
	    THR_HEAD
	    "rules = ssh.failed_password\n"
	    "count = 5\nwindow = 2m\ngroup_by = src_ip\n"
	    "summary = brute force from {src_ip}: {count} in {window}\n", &ms);
	const struct rule *r, *t;

	assert_int_equal(ms.n, 0);
	assert_int_equal(rs->nrules, 1);
	assert_int_equal(rs->nthresholds, 1);
	r = rs->r[0];
	t = rs->r[1];
	assert_string_equal(r->id, "ssh.failed_password");
	assert_int_equal(r->line, 4);
	assert_int_equal(r->programs.n, 2);
	assert_string_equal(r->programs.item[1], "sshd-session");
	assert_string_equal(r->sources.item[0], "auth");
	assert_int_equal(r->ncaptures, 3);
	assert_string_equal(r->captures[0].name, "user");
	assert_string_equal(r->captures[2].name, "port");
	assert_string_equal(r->prefilter, "Failed password for ");
	assert_int_equal(r->suppress_us, 60000000);
	assert_int_equal(r->nsuppress_by, 2);
	assert_int_equal(r->suppress_by[1], 1);
	assert_int_equal(r->ncounted_by, 1);
	assert_int_equal(r->counted_by[0], 1);
	assert_int_equal(t->count, 5);
	assert_int_equal(t->window_us, 120000000);
	assert_string_equal(t->group_by[0], "src_ip");
	rules_free(rs);
}

static void
test_errors_outside_rules(void **state)
{
	expect_error("key = v\n", "t.rules:1: 'key = v' is outside of any [rule] or "
	    "[threshold] section");
	/* The keys of an unknown section are not reported again. */
	expect_error("[ruleset x]\na = b\nc = d\n", "t.rules:1: unknown section [ruleset]: a "
	    "rule file has [rule ID] and [threshold ID]");
	expect_error("[rule x\n", "t.rules:1: section header does not end with ']'");
}

static void
test_errors_syntax(void **state)
{
	expect_error("[rule bad/id]\n", "t.rules:1: rule bad/id: the id must be 1 to 64 "
	    "letters, digits, '.', '_' or '-'");
	expect_error("[rule]\n", "t.rules:1: rule : the id must be 1 to 64 letters, digits, "
	    "'.', '_' or '-'");
	expect_error("[rule "
	    "a123456789a123456789a123456789a123456789a123456789a123456789abcde]\n",
	    "t.rules:1: rule a123456789a123456789a123456789a123456789a123456789a123456789abcde: "
	    "the id must be 1 to 64 letters, digits, '.', '_' or '-'");
	expect_error(RULE_HEAD "pattern\n", "t.rules:5: rule r1: expected 'key = value'");
	expect_error(RULE_HEAD "count = 5\n", "t.rules:5: rule r1: unknown key 'count'");
	expect_error(THR_HEAD "pattern = x\n", "t.rules:5: threshold t1: unknown key 'pattern'");
	expect_error(RULE_HEAD "severity = high\n", "t.rules:5: rule r1: duplicate key "
	    "'severity' (first on line 4)");
	expect_error(RULE_HEAD "summary = \"abc\n", "t.rules:5: rule r1: quoted value has no "
	    "closing '\"'");
	expect_error(RULE_HEAD "summary = \"a\\nb\"\n", "t.rules:5: rule r1: only \\\" and "
	    "\\\\ may follow a backslash in a quoted value");
	expect_error(RULE_HEAD "summary = \"a\" b\n", "t.rules:5: rule r1: text after the "
	    "closing '\"' of a quoted value");
	expect_error(RULE_HEAD "summary = a\x01" "b\n", "t.rules:5: rule r1: the value of "
	    "'summary' contains a control character");
	expect_error(RULE_HEAD "summary = a\xff\n", "t.rules:5: rule r1: the value of "
	    "'summary' is not valid UTF-8");
	expect_error(RULE_HEAD "enabled = maybe\npattern = x\nsummary = s\n",
	    "t.rules:5: rule r1: 'enabled' must be yes or no, not 'maybe'");
}

static void
test_errors_lines(void **state)
{
	char *big = malloc(5000);
	struct msgs ms;
	struct ruleset *rs;
	static const char nul[] = RULE_HEAD "pattern = a\0b\nsummary = s\n";

	assert_non_null(big);
	snprintf(big, 5000, "%s", RULE_HEAD "summary = ");
	memset(big + strlen(big), 'x', 4200);
	big[4300] = '\0';
	strcat(big, "\npattern = x\n");
	expect_error(big, "t.rules:5: rule r1: line is longer than 4096 bytes");
	free(big);

	rs = rules_new();
	memset(&ms, 0, sizeof(ms));
	rules_load_text(rs, "t.rules", nul, sizeof(nul) - 1, 0, collect, &ms);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.m[0], "t.rules:5: rule r1: line contains a NUL byte");
	rules_free(rs);
}

static void
test_errors_rule_values(void **state)
{
	expect_error("[rule r1]\ndescription = d\n", "t.rules:1: rule r1: missing required "
	    "key 'pattern' (or, for a Windows event rule, 'channel' and 'event_id')");
	expect_error("[rule r1]\npattern = x\ncategory = auth\nseverity = low\nsummary = s\n",
	    "t.rules:1: rule r1: missing required key 'description'");
	expect_error(RULE_HEAD "description2 = x\n", "t.rules:5: rule r1: unknown key "
	    "'description2'");
	expect_error("[rule r1]\ndescription =\ncategory = auth\nseverity = low\n"
	    "pattern = x\nsummary = s\n", "t.rules:2: rule r1: 'description' is empty");
	expect_error("[rule r1]\ndescription = d\ncategory = nope\nseverity = low\n"
	    "pattern = x\nsummary = s\n", "t.rules:3: rule r1: unknown category 'nope'");
	expect_error("[rule r1]\ndescription = d\ncategory = unspecified\nseverity = low\n"
	    "pattern = x\nsummary = s\n", "t.rules:3: rule r1: unknown category 'unspecified'");
	expect_error("[rule r1]\ndescription = d\ncategory = auth\nseverity = huge\n"
	    "pattern = x\nsummary = s\n", "t.rules:4: rule r1: unknown severity 'huge' (info, "
	    "low, medium, high or critical)");
	expect_error(RULE_HEAD "pattern = (?<a>a)(\nsummary = s\n", "t.rules:5: rule r1: "
	    "pattern does not compile at offset 8: missing closing parenthesis");
	expect_error(RULE_HEAD "pattern = (?<repeat>a)\nsummary = s\n", "t.rules:5: rule r1: "
	    "the capture name 'repeat' is reserved");
	expect_error(RULE_HEAD "pattern = (?<a>a)(?<b>b)(?<c>c)(?<d>d)(?<e>e)(?<f>f)(?<g>g)"
	    "(?<h>h)(?<i>i)(?<j>j)(?<k>k)(?<l>l)(?<m>m)(?<n>n)(?<o>o)(?<p>p)(?<q>q)\n"
	    "summary = s\n", "t.rules:5: rule r1: pattern has more than 16 named captures");
	expect_error(RULE_HEAD "pattern = x\nprefilter = \"\"\nsummary = s\n",
	    "t.rules:6: rule r1: 'prefilter' must be 1 to 256 bytes");
	expect_error(RULE_HEAD "program = a b c d e f g h i j k l m n o p q\npattern = x\n"
	    "summary = s\n", "t.rules:5: rule r1: 'program' has more than 16 names");
	expect_error(RULE_HEAD "program = \"\"\npattern = x\nsummary = s\n",
	    "t.rules:5: rule r1: 'program' is empty");
	expect_error(RULE_HEAD "sources = \" \"\npattern = x\nsummary = s\n",
	    "t.rules:5: rule r1: 'sources' is empty");
}

static void
test_errors_templates(void **state)
{
	expect_error(RULE_HEAD "pattern = (?<user>x)\nsummary = for {usr}\n",
	    "t.rules:6: rule r1: summary uses {usr}, which is not a field of this rule");
	expect_error(RULE_HEAD "pattern = x\nsummary = a {count}\n",
	    "t.rules:6: rule r1: summary uses {count}, which is not a field of this rule");
	expect_error(RULE_HEAD "pattern = x\nsummary = a {user\n",
	    "t.rules:6: rule r1: summary has a '{' without its '}' (write '{{' for one)");
	expect_error(RULE_HEAD "pattern = x\nsummary = a } b\n",
	    "t.rules:6: rule r1: summary has a '}' without its '{' (write '}}' for one)");
	expect_error(RULE_HEAD "pattern = x\nsummary = a {a b}\n",
	    "t.rules:6: rule r1: summary has '{a b}', which is not a field name");
	expect_error(RULE_HEAD "pattern = x\nsummary = a {}\n",
	    "t.rules:6: rule r1: summary has '{}', which is not a field name");
}

static void
test_errors_suppress(void **state)
{
	expect_error(GOOD_RULE "suppress_by = user\n",
	    "t.rules:7: rule r1: 'suppress_by' needs 'suppress'");
	expect_error(GOOD_RULE "suppress = soon\n", "t.rules:7: rule r1: 'suppress' is not a "
	    "duration (like 500ms, 30s, 5m, 2h): 'soon'");
	expect_error(GOOD_RULE "suppress = 8d\n", "t.rules:7: rule r1: 'suppress' must be "
	    "between 1ms and 7d");
	expect_error(GOOD_RULE "suppress = 1m\nsuppress_by = host\n", "t.rules:8: rule r1: "
	    "'suppress_by' names 'host', which the pattern does not capture");
}

static void
test_errors_thresholds(void **state)
{
	expect_error(GOOD_RULE THR_HEAD "count = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:7: threshold t1: needs 'rules' or 'category': what it counts");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncategory = auth\ncount = 2\nwindow = 1m\n"
	    "summary = s\n", "t.rules:12: threshold t1: 'rules' and 'category' cannot both be "
	    "given");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 0\nwindow = 1m\nsummary = s\n",
	    "t.rules:12: threshold t1: 'count' must be a number from 1 to 1000");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 5x\nwindow = 1m\nsummary = s\n",
	    "t.rules:12: threshold t1: 'count' must be a number from 1 to 1000");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 2\nwindow = 0\nsummary = s\n",
	    "t.rules:13: threshold t1: 'window' must be between 1ms and 7d");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 2\nwindow = 1m\n"
	    "group_by = user user\nsummary = s\n",
	    "t.rules:14: threshold t1: 'group_by' names 'user' twice");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 2\nwindow = 1m\n"
	    "group_by = count\nsummary = s\n",
	    "t.rules:14: threshold t1: 'group_by' names 'count', which cannot be a field");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 2\nwindow = 1m\n"
	    "group_by = a b c d e\nsummary = s\n",
	    "t.rules:14: threshold t1: 'group_by' has more than 4 fields");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 2\nwindow = 1m\n"
	    "summary = {user}\n",
	    "t.rules:14: threshold t1: summary uses {user}, which is not a field of this "
	    "threshold");
	expect_error(GOOD_RULE "[threshold t1]\ndescription = d\nevent_category = nope\n"
	    "severity = high\nrules = r1\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:9: threshold t1: unknown category 'nope'");
	expect_error(GOOD_RULE THR_HEAD "category = weird\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:11: threshold t1: unknown category 'weird'");
	/* What it counts is checked when every file is read. */
	expect_error(GOOD_RULE THR_HEAD "rules = r1 r2\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:7: threshold t1: counts 'r2', which no rule defines");
	expect_error(GOOD_RULE THR_HEAD "rules = t0\ncount = 2\nwindow = 1m\nsummary = s\n"
	    "[threshold t0]\ndescription = d\nevent_category = attack\nseverity = high\n"
	    "rules = r1\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:7: threshold t1: counts 't0', which is a threshold");
	/* Counts kept apart: a '|' stands between two rules. */
	expect_error(GOOD_RULE THR_HEAD "rules = r1 |\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:11: threshold t1: 'rules' has a '|' with no rule on one side");
	expect_error(GOOD_RULE THR_HEAD "rules = | r1\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:11: threshold t1: 'rules' has a '|' with no rule on one side");
	expect_error(GOOD_RULE THR_HEAD "rules = r1 | | r2\ncount = 2\nwindow = 1m\n"
	    "summary = s\n", "t.rules:11: threshold t1: 'rules' has a '|' with no rule on one "
	    "side");
	expect_error(GOOD_RULE THR_HEAD "rules = r1 | r1\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:11: threshold t1: 'rules' names 'r1' twice");
	expect_error(GOOD_RULE THR_HEAD "rules = r1 | r9\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:7: threshold t1: counts 'r9', which no rule defines");
	/* distinct: one field, not one of group_by. */
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 2\nwindow = 1m\n"
	    "distinct = user name\nsummary = s\n",
	    "t.rules:14: threshold t1: 'distinct' names 'user name', which cannot be a field");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 2\nwindow = 1m\n"
	    "distinct = count\nsummary = s\n",
	    "t.rules:14: threshold t1: 'distinct' names 'count', which cannot be a field");
	expect_error(GOOD_RULE THR_HEAD "rules = r1\ncount = 2\nwindow = 1m\n"
	    "group_by = user\ndistinct = user\nsummary = s\n",
	    "t.rules:15: threshold t1: 'distinct' names 'user', which is in 'group_by': within "
	    "a group it has one value");
	expect_error(GOOD_RULE "distinct = user\n", "t.rules:7: rule r1: unknown key 'distinct'");
}

static void
test_errors_ids(void **state)
{
	expect_error(GOOD_RULE GOOD_RULE, "t.rules:7: rule r1: duplicate id (first at "
	    "t.rules:1)");
	expect_error(GOOD_RULE "[threshold r1]\ndescription = d\nevent_category = attack\n"
	    "severity = high\nrules = r1\ncount = 2\nwindow = 1m\nsummary = s\n",
	    "t.rules:7: threshold r1: duplicate id (first at t.rules:1)");
}

static void
test_bad_rule_does_not_stop_good_ones(void **state)
{
	struct msgs ms;
	struct ruleset *rs = load(
	    "[rule a]\ndescription = d\npattern = (\ncategory = auth\nseverity = low\n"
	    "summary = s\nmore = junk\n"
	    "[rule b]\ndescription = d\npattern = b\ncategory = auth\nseverity = low\n"
	    "summary = s\n"
	    "[rule c]\nnonsense\n"
	    "[rule d]\ndescription = d\npattern = d\ncategory = auth\nseverity = low\n"
	    "summary = s\n", &ms);

	/*
	 * One message per bad rule: the first problem found (the lines are read
	 * first, the pattern compiled at the end of the section); the rest of
	 * the rule is skipped.
	 */
	assert_int_equal(ms.n, 2);
	assert_string_equal(ms.m[0], "t.rules:7: rule a: unknown key 'more'");
	assert_string_equal(ms.m[1], "t.rules:15: rule c: expected 'key = value'");
	assert_int_equal(rs->nerrors, 2);
	assert_int_equal(rs->nrules, 2);
	assert_string_equal(rs->r[0]->id, "b");
	assert_string_equal(rs->r[1]->id, "d");
	rules_free(rs);
}

/* ---- directories, layers ---------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_dirs_override_and_disable(void **state)
{
	char dir[] = "/tmp/vigil-rules-XXXXXX", ship[64], local[64], path[256];
	struct match_event evs[MATCH_MAX_EVENTS];
	struct ruleset *rs;
	struct matcher *m;
	struct msgs ms;

	assert_non_null(mkdtemp(dir));
	snprintf(ship, sizeof(ship), "%s/ship", dir);
	snprintf(local, sizeof(local), "%s/local", dir);
	assert_int_equal(mkdir(ship, 0700), 0);
	assert_int_equal(mkdir(local, 0700), 0);
	snprintf(path, sizeof(path), "%s/20-b.rules", ship);
	write_file(path, "[rule b]\ndescription = d\npattern = ^b$\ncategory = auth\n"
	    "severity = low\nsummary = shipped b\n");
	snprintf(path, sizeof(path), "%s/10-a.rules", ship);
	write_file(path, "[rule a]\ndescription = d\npattern = ^a$\ncategory = auth\n"
	    "severity = low\nsummary = shipped a\n"
	    "[threshold t]\ndescription = d\nrules = a b\ncount = 2\nwindow = 1m\n"
	    "event_category = attack\nseverity = high\nsummary = two\n");
	snprintf(path, sizeof(path), "%s/notes.txt", ship);
	write_file(path, "this is not a rule file\n");
	snprintf(path, sizeof(path), "%s/local.rules", local);
	write_file(path, "[rule a]\ndescription = d\npattern = ^a$\ncategory = auth\n"
	    "severity = critical\nsummary = local a\n"
	    "[rule b]\nenabled = no\n");

	rs = rules_new();
	memset(&ms, 0, sizeof(ms));
	assert_int_equal(rules_load_dir(rs, ship, 0, collect, &ms), 0);
	assert_int_equal(rules_load_dir(rs, local, 1, collect, &ms), 0);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(rules_load_dir(rs, path, 1, collect, &ms), VIGIL_ERR_NOTFOUND);
	rules_finish(rs, collect, &ms);
	assert_int_equal(ms.n, 0);
	/* a replaced in place (file order kept), b disabled, t still counts a. */
	assert_int_equal(rs->nrules, 1);
	assert_int_equal(rs->nthresholds, 1);
	assert_non_null(m = matcher_new(rs));
	assert_int_equal(run(m, NULL, "a", 1, evs), 1);
	assert_string_equal(evs[0].summary, "local a");
	assert_int_equal(evs[0].severity, 5);
	assert_int_equal(run(m, NULL, "b", 2, evs), 0);
	assert_int_equal(run(m, NULL, "a", 3, evs), 2);
	assert_string_equal(evs[1].rule, "t");
	matcher_free(m);

	/* A local duplicate is an error; a rule cannot replace a threshold. */
	rs = rules_new();
	memset(&ms, 0, sizeof(ms));
	rules_load_dir(rs, ship, 0, collect, &ms);
	rules_load_text(rs, "/etc/vigil/rules.d/x.rules", "[rule t]\ndescription = d\n"
	    "pattern = x\ncategory = auth\nseverity = low\nsummary = s\n", 80, 1, collect, &ms);
	assert_int_equal(ms.n, 1);
	snprintf(path, sizeof(path), "/etc/vigil/rules.d/x.rules:1: rule t: %s/10-a.rules:7 "
	    "defines this id as a threshold; only a threshold can replace it", ship);
	assert_string_equal(ms.m[0], path);
	rules_free(rs);

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* ---- matching ---------------------------------------------------------------- */

static void
test_captures_to_fields(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\nprogram = sshd\n"
	    "pattern = ^(?<zeta>\\w+) (?<alpha>\\w+)(?: port (?<port>\\d+))?\n"
	    "category = auth\nseverity = low\nsummary = {alpha}/{zeta}/{port}\n"
	    "[rule dup]\ndescription = d\nprogram = dup\n"
	    "pattern = (?J)^(?:user (?<who>\\S+)|name (?<who>\\S+))$\n"
	    "category = auth\nseverity = low\nsummary = {who}\n");
	struct match_event evs[MATCH_MAX_EVENTS];

	assert_int_equal(run(m, "auth", "Nov  5 10:00:01 h sshd[1]: one two port 22", 1, evs),
	    1);
	assert_string_equal(evs[0].rule, "r");
	/* Fields in the order of the pattern, not of the names. */
	assert_int_equal(evs[0].nfields, 3);
	assert_string_equal(evs[0].fields[0].key, "zeta");
	assert_string_equal(evs[0].fields[1].key, "alpha");
	assert_string_equal(field(&evs[0], "port"), "22");
	assert_string_equal(evs[0].summary, "two/one/22");
	/* An optional group that took no part is no field, and "-" in a summary. */
	assert_int_equal(run(m, "auth", "Nov  5 10:00:01 h sshd[1]: one two", 2, evs), 1);
	assert_int_equal(evs[0].nfields, 2);
	assert_null(field(&evs[0], "port"));
	assert_string_equal(evs[0].summary, "two/one/-");
	/* Two groups of one name: whichever took part. */
	assert_int_equal(run(m, NULL, "Nov  5 10:00:01 h dup: name bob", 3, evs), 1);
	assert_int_equal(evs[0].nfields, 1);
	assert_string_equal(field(&evs[0], "who"), "bob");
	matcher_free(m);
}

static void
test_templates(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\n"
	    "pattern = ^(?<v>.*)$\n"
	    "category = auth\nseverity = low\nsummary = {{{v}}} by {program} on {source}\n");
	struct match_event evs[MATCH_MAX_EVENTS];
	char line[3000];
	size_t len;

	assert_int_equal(run(m, "auth", "Nov  5 10:00:01 h prog: x", 1, evs), 1);
	assert_string_equal(evs[0].summary, "{x} by prog on auth");
	assert_int_equal(run(m, NULL, "plain", 1, evs), 1);
	assert_string_equal(evs[0].summary, "{plain} by - on -");
	/* A long value is cut at the summary's size, on a character boundary. */
	memset(line, 0, sizeof(line));
	for (len = 0; len + 3 < 2900; len += 3)
		memcpy(line + len, "\xe1\xbb\x87", 3);        /* ệ */
	assert_int_equal(run(m, NULL, line, 1, evs), 1);
	len = strlen(evs[0].summary);
	assert_true(len <= MATCH_MAX_SUMMARY);
	assert_int_equal(len % 3, 1);                        /* "{" then whole characters */
	matcher_free(m);
}

/*
 * A NUL byte in the text (a journald MESSAGE may hold them) is U+FFFD in the
 * summary, as in fields: it once cut the summary there, and a summary cut
 * to nothing made the event invalid and lost (found by fuzz_journal).
 */
static void
test_template_nul_bytes(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\n"
	    "pattern = ^(?<user>.*) ran\n"
	    "category = auth\nseverity = low\nsummary = {user} ran with {program}\n");
	struct match_event evs[MATCH_MAX_EVENTS];
	struct match_input in;

	memset(&in, 0, sizeof(in));
	in.program = "su\0do";
	in.program_len = 5;
	in.msg = "\0\0bob\0 ran";
	in.msg_len = 10;
	assert_int_equal(matcher_match(m, &in, evs, MATCH_MAX_EVENTS), 1);
	assert_string_equal(evs[0].summary, "\xef\xbf\xbd\xef\xbf\xbd" "bob\xef\xbf\xbd ran with "
	    "su\xef\xbf\xbd" "do");
	matcher_free(m);
}

static void
test_template_parse_direct(void **state)
{
	const char *names[] = { "user", "src_ip" };
	struct tmpl t;
	char msg[256];

	assert_int_equal(rules_tmpl_parse(&t, "a {user} {{b}} {src_ip}{window}", names, 2, 1, msg,
	    sizeof(msg)), 0);
	/* Empty literals between two fields take no piece. */
	assert_int_equal(t.nparts, 5);
	assert_int_equal(t.parts[1].ref, 0);
	assert_int_equal(t.parts[3].ref, 1);
	assert_int_equal(t.parts[4].ref, TMPL_WINDOW);
	assert_int_equal(t.parts[2].ref, TMPL_LITERAL);
	assert_memory_equal(t.text + t.parts[2].off, " {b} ", 5);
	rules_tmpl_free(&t);
	assert_int_equal(rules_tmpl_parse(&t, "", names, 2, 0, msg, sizeof(msg)), 0);
	assert_int_equal(t.nparts, 0);
	rules_tmpl_free(&t);
}

static void
test_program_and_source_filters(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule ssh]\ndescription = d\nprogram = sshd\nsources = auth secure\n"
	    "pattern = hello\ncategory = auth\nseverity = low\nsummary = ssh\n"
	    "[rule any]\ndescription = d\npattern = hello\ncategory = auth\nseverity = low\n"
	    "summary = any\n");
	struct match_event evs[MATCH_MAX_EVENTS];

	assert_int_equal(run(m, "auth", "Nov  5 10:00:01 h sshd[1]: hello", 1, evs), 1);
	assert_string_equal(evs[0].summary, "ssh");
	assert_int_equal(run(m, "secure", "Nov  5 10:00:01 h sshd[1]: hello", 1, evs), 1);
	assert_string_equal(evs[0].summary, "ssh");
	/* Another source, another program, or no header: only the rule without filters. */
	assert_int_equal(run(m, "syslog", "Nov  5 10:00:01 h sshd[1]: hello", 1, evs), 1);
	assert_string_equal(evs[0].summary, "any");
	assert_int_equal(run(m, "auth", "Nov  5 10:00:01 h sudo[1]: hello", 1, evs), 1);
	assert_string_equal(evs[0].summary, "any");
	assert_int_equal(run(m, "auth", "sshd[1]: hello", 1, evs), 1);
	assert_string_equal(evs[0].summary, "any");
	assert_int_equal(run(m, "auth", "Nov  5 10:00:01 h sshd[1]: goodbye", 1, evs), 0);
	matcher_free(m);
}

static void
test_prefilter_and_counters(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\nprogram = sshd\n"
	    "pattern = ^Failed password for (?<user>\\S+)\ncategory = auth\nseverity = low\n"
	    "summary = s\n");
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher_stats st;

	run(m, "a", "Nov  5 10:00:01 h sshd[1]: Accepted password for bob", 1, evs);
	run(m, "a", "Nov  5 10:00:01 h CRON[1]: Failed password for bob", 1, evs);
	assert_int_equal(run(m, "a", "Nov  5 10:00:01 h sshd[1]: Failed password for x", 1,
	    evs), 1);
	matcher_stats(m, &st);
	assert_int_equal(st.lines, 3);
	/* The other program never reached the rule, the wrong text not its regex. */
	assert_int_equal(st.regex_runs, 1);
	assert_int_equal(st.matched, 1);
	assert_int_equal(st.rules, 1);
	matcher_free(m);
}

/*
 * The prefilter is found wherever it is: at either end, after a false
 * start on its rarest byte, and never across a NUL or past the message.
 * The regex matches anything, so an event is exactly "prefilter found".
 */
static void
test_prefilter_positions(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\nprefilter = q(x\npattern = (?s)^\ncategory = auth\n"
	    "severity = low\nsummary = s\n");
	static const struct {
		const char *msg;
		size_t len;
		size_t want;
	} cases[] = {
		{ "q(x", 3, 1 }, { "zzzq(x", 6, 1 }, { "q(xzzz", 6, 1 }, { "q(q(x", 5, 1 },
		{ "((q(x((", 7, 1 }, { "q(", 2, 0 }, { "(x", 2, 0 }, { "", 0, 0 },
		{ "q\0(x", 4, 0 }, { "zq(xz", 3, 0 }, { "Q(X", 3, 0 },
	};
	struct match_event evs[MATCH_MAX_EVENTS];
	struct match_input in;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&in, 0, sizeof(in));
		in.program = "";
		in.msg = cases[i].msg;
		in.msg_len = cases[i].len;
		if (matcher_match(m, &in, evs, MATCH_MAX_EVENTS) != cases[i].want)
			fail_msg("case %zu (\"%.*s\"): want %zu", i, (int)cases[i].len,
			    cases[i].msg, cases[i].want);
	}
	matcher_free(m);
}

static void
test_required_literal(void **state)
{
	char out[300];

	assert_int_equal(rules_required_literal("^Failed password for (?:invalid user )?(?<u>\\S+)",
	    out, sizeof(out)), 20);
	assert_string_equal(out, "Failed password for ");
	assert_int_equal(rules_required_literal("pam_unix\\(sshd:auth\\): authentication failure;",
	    out, sizeof(out)), 44);
	assert_string_equal(out, "pam_unix(sshd:auth): authentication failure;");
	/* A quantified character is not required. */
	rules_required_literal("abcdefs? x", out, sizeof(out));
	assert_string_equal(out, "abcdef");
	rules_required_literal("ab{2}cdefgh", out, sizeof(out));
	assert_string_equal(out, "cdefgh");
	/* Doubt gives nothing: alternation, options, short literals, \Q. */
	assert_int_equal(rules_required_literal("Failed password|Invalid user", out,
	    sizeof(out)), 0);
	assert_int_equal(rules_required_literal("(?i)failed password", out, sizeof(out)), 0);
	assert_int_equal(rules_required_literal("\\d+ab", out, sizeof(out)), 0);
	assert_int_equal(rules_required_literal("\\Qa.b\\E", out, sizeof(out)), 0);
	/* Inside groups and classes nothing is required; escapes with arguments are skipped. */
	rules_required_literal("(abcdefgh)?[xyzxyzxyz] tail\\x{41}41", out, sizeof(out));
	assert_string_equal(out, " tail");
	rules_required_literal("(a|b) user=(?<u>\\S+) done", out, sizeof(out));
	assert_string_equal(out, " user=");
}

static void
test_suppression_repeat(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\npattern = ^bad (?<ip>\\S+) (?<n>\\d+)\ncategory = auth\n"
	    "severity = low\nsummary = bad {ip}\nsuppress = 60s\nsuppress_by = ip\n");
	struct match_event evs[MATCH_MAX_EVENTS];
	struct matcher_stats st;

	assert_int_equal(run(m, NULL, "bad 1.1.1.1 1", 0, evs), 1);
	assert_null(field(&evs[0], "repeat"));
	assert_int_equal(run(m, NULL, "bad 1.1.1.1 2", 10, evs), 0);
	assert_int_equal(run(m, NULL, "bad 2.2.2.2 3", 20, evs), 1);
	assert_int_equal(run(m, NULL, "bad 1.1.1.1 4", 60, evs), 0);
	/* After the window: emitted, with the two folded in, after the captures. */
	assert_int_equal(run(m, NULL, "bad 1.1.1.1 5", 61, evs), 1);
	assert_string_equal(field(&evs[0], "repeat"), "2");
	assert_string_equal(evs[0].fields[evs[0].nfields - 1].key, "repeat");
	assert_string_equal(field(&evs[0], "n"), "5");
	matcher_stats(m, &st);
	assert_int_equal(st.suppressed, 2);
	matcher_free(m);
}

/*
 * suppress_by an optional capture the line left unset: such events share
 * one window (the value is ""), and the key is never built from stale
 * bytes (it was: an old-form PAM line without a service crashed the agent).
 */
static void
test_suppression_by_unset_capture(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\n"
	    "pattern = ^(?:pam_unix\\((?<service>[^:)]+):auth\\): )?check pass; user unknown$\n"
	    "category = auth\nseverity = low\nsummary = s\nsuppress = 1m\nsuppress_by = service\n");
	struct match_event evs[MATCH_MAX_EVENTS];

	assert_int_equal(run(m, NULL, "Jun 14 15:16:02 combo sshd(pam_unix)[1]: check pass; "
	    "user unknown", 0, evs), 1);
	assert_int_equal(run(m, NULL, "Jun 14 15:16:03 combo su(pam_unix)[2]: check pass; "
	    "user unknown", 1, evs), 0);
	assert_int_equal(run(m, NULL, "Jun 14 15:16:04 combo sshd[3]: pam_unix(sshd:auth): check "
	    "pass; user unknown", 2, evs), 1);
	assert_null(field(&evs[0], "repeat"));
	assert_int_equal(run(m, NULL, "Jun 14 15:17:05 combo login(pam_unix)[4]: check pass; "
	    "user unknown", 65, evs), 1);
	assert_string_equal(field(&evs[0], "repeat"), "1");
	matcher_free(m);
}

static void
test_threshold_events(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule fail]\ndescription = d\nprogram = sshd\n"
	    "pattern = ^Failed password for (?<user>\\S+) from (?<src_ip>\\S+)\n"
	    "category = auth\nseverity = low\nsummary = f {user}\nsuppress = 1h\n"
	    "[rule other]\ndescription = d\npattern = ^other (?<user>\\S+)\n"
	    "category = auth\nseverity = low\nsummary = o\n"
	    "[threshold brute]\ndescription = d\nrules = fail\ncount = 3\nwindow = 60s\n"
	    "group_by = src_ip\nevent_category = attack\nseverity = high\n"
	    "summary = brute force from {src_ip}: {count} in {window}\n"
	    "[threshold auths]\ndescription = d\ncategory = auth\ncount = 5\nwindow = 1h\n"
	    "group_by = user\nevent_category = auth\nseverity = medium\n"
	    "summary = {user} x{count}\n");
	struct match_event evs[MATCH_MAX_EVENTS];
	const char *l1 = "Nov  5 10:00:01 h sshd[1]: Failed password for bob from 10.0.0.1";
	const char *l2 = "Nov  5 10:00:01 h sshd[1]: Failed password for bob from 10.0.0.2";

	assert_int_equal(run(m, NULL, l1, 0, evs), 1);
	assert_int_equal(run(m, NULL, l2, 1, evs), 0);       /* suppressed, still counted */
	assert_int_equal(run(m, NULL, l1, 2, evs), 0);
	/* The third from 10.0.0.1: suppressed itself, the threshold fires. */
	assert_int_equal(run(m, NULL, l1, 60, evs), 1);
	assert_string_equal(evs[0].rule, "brute");
	assert_int_equal(evs[0].category, 10);
	assert_int_equal(evs[0].severity, 4);
	assert_string_equal(evs[0].summary, "brute force from 10.0.0.1: 3 in 60s");
	assert_int_equal(evs[0].nfields, 2);
	assert_string_equal(evs[0].fields[0].key, "src_ip");
	assert_string_equal(field(&evs[0], "src_ip"), "10.0.0.1");
	assert_string_equal(field(&evs[0], "count"), "3");
	/* The category threshold counts both rules by user: the 5th for bob. */
	assert_int_equal(run(m, NULL, "other bob", 61, evs), 2);
	assert_string_equal(evs[0].rule, "other");
	assert_string_equal(evs[1].rule, "auths");
	assert_string_equal(evs[1].summary, "bob x5");
	matcher_free(m);
}

static void
test_threshold_needs_group_by_field(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\npattern = ^x(?: (?<ip>\\S+))?\ncategory = auth\n"
	    "severity = low\nsummary = s\n"
	    "[threshold t]\ndescription = d\nrules = r\ncount = 2\nwindow = 60s\n"
	    "group_by = ip\nevent_category = attack\nseverity = high\nsummary = t\n");
	struct match_event evs[MATCH_MAX_EVENTS];

	/* Events without an ip are not counted. */
	assert_int_equal(run(m, NULL, "x", 1, evs), 1);
	assert_int_equal(run(m, NULL, "x", 2, evs), 1);
	assert_int_equal(run(m, NULL, "x 1.2.3.4", 3, evs), 1);
	assert_int_equal(run(m, NULL, "x 1.2.3.4", 4, evs), 2);
	matcher_free(m);
}

/*
 * distinct = user: password spraying is many names from one address, so
 * the same name tried again does not count, and an event without a user
 * (PAM's line for an unknown user) is not counted at all.
 */
static void
test_threshold_distinct(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule fail]\ndescription = d\nprogram = sshd\n"
	    "pattern = ^Failed password for (?:(?<user>\\S+) )?from (?<src_ip>\\S+)$\n"
	    "category = auth\nseverity = low\nsummary = f\n"
	    "[threshold spray]\ndescription = d\nrules = fail\ncount = 3\nwindow = 10m\n"
	    "group_by = src_ip\ndistinct = user\nevent_category = attack\nseverity = high\n"
	    "summary = {count} user names from {src_ip} in {window}\n");
	struct match_event evs[MATCH_MAX_EVENTS];
	static const char *const lines[] = {
	    "Nov  5 10:00:01 h sshd[1]: Failed password for root from 10.0.0.1",
	    "Nov  5 10:00:02 h sshd[1]: Failed password for root from 10.0.0.1",
	    "Nov  5 10:00:03 h sshd[1]: Failed password for from 10.0.0.1",
	    "Nov  5 10:00:04 h sshd[1]: Failed password for admin from 10.0.0.2",
	    "Nov  5 10:00:05 h sshd[1]: Failed password for admin from 10.0.0.1",
	    "Nov  5 10:00:06 h sshd[1]: Failed password for root from 10.0.0.1",
	};
	size_t i;

	/* root, root again, no name, another address, admin: two names from .1. */
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(run(m, NULL, lines[i], (int64_t)i, evs), 1);
	assert_int_equal(run(m, NULL, "Nov  5 10:00:07 h sshd[1]: Failed password for oracle "
	    "from 10.0.0.1", 7, evs), 2);
	assert_string_equal(evs[1].rule, "spray");
	assert_string_equal(evs[1].summary, "3 user names from 10.0.0.1 in 10m");
	assert_string_equal(field(&evs[1], "src_ip"), "10.0.0.1");
	assert_string_equal(field(&evs[1], "count"), "3");
	matcher_free(m);
}

/*
 * rules = a | b: two records of one thing (sshd's "Failed password" and
 * PAM's "authentication failure") counted apart, so a log holding both
 * gives one alarm where a sum would give two.
 */
static void
test_threshold_groups(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule sshd]\ndescription = d\npattern = ^Failed from (?<src_ip>\\S+)$\n"
	    "category = auth\nseverity = low\nsummary = s\n"
	    "[rule pam]\ndescription = d\npattern = ^authentication failure; rhost=(?<src_ip>\\S+)$\n"
	    "category = auth\nseverity = low\nsummary = p\n"
	    "[threshold brute]\ndescription = d\nrules = sshd | pam\ncount = 3\nwindow = 60s\n"
	    "group_by = src_ip\nevent_category = attack\nseverity = high\nsummary = b\n");
	struct match_event evs[MATCH_MAX_EVENTS];
	int t, alarms = 0;

	/* Both lines for each of six attempts: two alarms, not four. */
	for (t = 0; t < 6; t++) {
		alarms += (int)run(m, NULL, "authentication failure; rhost=10.0.0.1", t, evs) - 1;
		alarms += (int)run(m, NULL, "Failed from 10.0.0.1", t, evs) - 1;
	}
	assert_int_equal(alarms, 2);
	/* One form alone still completes its count. */
	assert_int_equal(run(m, NULL, "authentication failure; rhost=10.0.0.2", 10, evs), 1);
	assert_int_equal(run(m, NULL, "authentication failure; rhost=10.0.0.2", 11, evs), 1);
	assert_int_equal(run(m, NULL, "authentication failure; rhost=10.0.0.2", 12, evs), 2);
	assert_string_equal(evs[1].rule, "brute");
	matcher_free(m);
}

static void
test_empty_set(void **state)
{
	struct matcher *m = matcher_of("");
	struct match_event evs[MATCH_MAX_EVENTS];

	assert_int_equal(run(m, NULL, "anything", 1, evs), 0);
	assert_int_equal(run(m, NULL, "", 1, evs), 0);
	matcher_free(m);
	assert_null(matcher_new(NULL));
	matcher_free(NULL);
	rules_free(NULL);
}

/* ---- the syslog header --------------------------------------------------------- */

static void
test_syslog_parse(void **state)
{
	struct syslog_line sl;
	const char *l;

	l = "Nov 25 10:00:01 host sshd[123]: Failed password";
	assert_int_equal(syslog_parse(l, strlen(l), &sl), 1);
	assert_int_equal(sl.program_len, 4);
	assert_memory_equal(sl.program, "sshd", 4);
	assert_int_equal(sl.msg_len, 15);
	l = "Nov  5 00:00:01 host kernel: usb 1-1: new device";
	assert_int_equal(syslog_parse(l, strlen(l), &sl), 1);
	assert_memory_equal(sl.program, "kernel", 6);
	assert_memory_equal(sl.msg, "usb 1-1", 7);
	/* The older pam form keeps its parenthesis in the tag. */
	l = "Nov  5 00:00:01 host sshd(pam_unix)[99]: authentication failure";
	assert_int_equal(syslog_parse(l, strlen(l), &sl), 1);
	assert_int_equal(sl.program_len, 14);
	/* RFC 3339 with an offset: UTC inside. */
	l = "2026-11-25T10:00:01.5+07:00 host sudo[9]: x";
	assert_int_equal(syslog_parse(l, strlen(l), &sl), 1);
	l = "2026-11-25T03:00:01Z host sudo[9]: x";
	{
		struct syslog_line sz;

		assert_int_equal(syslog_parse(l, strlen(l), &sz), 1);
		assert_int_equal(sl.time_us - sz.time_us, 500000);
		assert_int_equal(sz.time_us, 1795575601LL * 1000000);
	}
	/* Traditional stamps count from 2000: a minute apart is 60 s apart. */
	l = "Jan  1 00:01:00 h p: x";
	assert_int_equal(syslog_parse(l, strlen(l), &sl), 1);
	assert_int_equal(sl.time_us, (946684800LL + 60) * 1000000);
	/* Not a header: the whole line, program "". */
	l = "2026-11-25 10:00:00 install foo:amd64 <none> 1.0";
	assert_int_equal(syslog_parse(l, strlen(l), &sl), 0);
	assert_int_equal(sl.program_len, 0);
	assert_int_equal(sl.msg_len, strlen(l));
	assert_int_equal(syslog_parse("Nov 25 10:00:01 host", 20, &sl), 0);
	assert_int_equal(syslog_parse("Nov 25 10:00:01 host sshd[12x]: m", 33, &sl), 0);
	assert_int_equal(syslog_parse("Foo 25 10:00:01 host sshd: m", 28, &sl), 0);
	assert_int_equal(syslog_parse("Nov 25 10:00:01 host sshd: m", 22, &sl), 0);   /* cut */
	assert_int_equal(syslog_parse(NULL, 0, &sl), 0);
}

/*
 * The ISO forms real logs carry besides RFC 3339: `journalctl -o short-iso`
 * writes the offset without its colon, some versions a space for the T, and
 * rsyslog's high-precision format has microseconds. Each is the same instant
 * (10:15:02 at +07:00 is 03:15:02 UTC) and gives the program and message.
 */
static void
test_syslog_iso_forms(void **state)
{
	static const char *const same[] = {
		"2026-12-04T10:15:02+0700 pc-ketoan sshd[4242]: Failed password",
		"2026-12-04 10:15:02+0700 pc-ketoan sshd[4242]: Failed password",
		"2026-12-04T10:15:02+07:00 pc-ketoan sshd[4242]: Failed password",
		"2026-12-04 10:15:02+07:00 pc-ketoan sshd[4242]: Failed password",
		"2026-12-04T03:15:02Z pc-ketoan sshd[4242]: Failed password",
		"2026-12-04T01:45:02-0130 pc-ketoan sshd[4242]: Failed password",
	};
	static const char *const not_headers[] = {
		"2026-12-04 10:15:02 pc-ketoan sshd[4242]: Failed password",
		"2026-12-04T10:15:02+07 pc-ketoan sshd[4242]: x",
		"2026-12-04T10:15:02+0760 pc-ketoan sshd[4242]: x",
		"2026-12-04T10:15:02+07:0 pc-ketoan sshd[4242]: x",
		"2026-12-04T10:15:02+0700",
		"2026-12-04_10:15:02+0700 pc-ketoan sshd[4242]: x",
	};
	struct syslog_line sl;
	const char *l;
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		if (syslog_parse(same[i], strlen(same[i]), &sl) != 1)
			fail_msg("not a header: %s", same[i]);
		assert_int_equal(sl.time_us, 1796354102LL * 1000000);
		assert_int_equal(sl.program_len, 4);
		assert_memory_equal(sl.program, "sshd", 4);
		assert_int_equal(sl.msg_len, 15);
	}
	/* rsyslog's high precision, and short-iso-precise: microseconds kept. */
	l = "2026-12-04T10:15:02.123456+07:00 ubnd-pc01 sshd-session[2231]: x";
	assert_int_equal(syslog_parse(l, strlen(l), &sl), 1);
	assert_int_equal(sl.time_us, 1796354102LL * 1000000 + 123456);
	assert_memory_equal(sl.program, "sshd-session", 12);
	l = "2026-12-04T10:15:02.123456+0700 ubnd-pc01 sudo[9]: x";
	assert_int_equal(syslog_parse(l, strlen(l), &sl), 1);
	assert_int_equal(sl.time_us, 1796354102LL * 1000000 + 123456);
	/*
	 * Not headers: a space instead of T with no zone (dpkg.log's plain
	 * text), offsets no writer produces or that are no offset, no host.
	 */
	for (i = 0; i < sizeof(not_headers) / sizeof(not_headers[0]); i++) {
		l = not_headers[i];
		if (syslog_parse(l, strlen(l), &sl) != 0 || sl.program_len != 0)
			fail_msg("read as a header: %s", l);
	}
}

/* ---- --test-rules golden file ---------------------------------------------------- */

static void
test_golden_test_rules(void **state)
{
	struct ruleset *rs = rules_new();
	struct matcher *m;
	struct msgs ms;
	FILE *in, *out, *want;
	char *got = NULL, *exp;
	size_t gotlen = 0, explen;

	memset(&ms, 0, sizeof(ms));
	assert_int_equal(rules_load_dir(rs, "tests/data/rules-engine", 0, collect, &ms), 0);
	rules_finish(rs, collect, &ms);
	assert_int_equal(ms.n, 0);
	assert_non_null(m = matcher_new(rs));
	assert_non_null(in = fopen("tests/data/golden/test-rules.in", "r"));
	assert_non_null(out = open_memstream(&got, &gotlen));
	assert_int_equal(matcher_test_stream(m, in, out, NULL), 0);
	fclose(out);
	fclose(in);
	assert_non_null(want = fopen("tests/data/golden/test-rules.out", "r"));
	exp = malloc(1 << 20);
	assert_non_null(exp);
	explen = fread(exp, 1, (1 << 20) - 1, want);
	exp[explen] = '\0';
	fclose(want);
	assert_string_equal(got, exp);
	free(exp);
	free(got);
	matcher_free(m);
}

/*
 * --test-rules reads lines as the agent does: a CRLF file gives the same
 * events as its LF copy (one CR dropped), so rules anchored with $ can be
 * tried on a log copied from a Windows machine.
 */
static void
test_test_rules_crlf(void **state)
{
	struct matcher *m = matcher_of(
	    "[rule r]\ndescription = d\nprogram = sshd\n"
	    "pattern = ^Failed password for (?<user>\\S+) from (?<src_ip>\\S+) port \\d+ ssh2$\n"
	    "category = auth\nseverity = low\nsummary = {user}\n");
	static const char input[] =
	    "Nov 25 10:00:01 pc sshd[1]: Failed password for root from 203.0.113.7 port 1 ssh2\r\n"
	    "Nov 25 10:00:02 pc sshd[1]: Failed password for bob from 203.0.113.7 port 2 ssh2\n"
	    "Nov 25 10:00:03 pc sshd[1]: Failed password for eve from 203.0.113.7 port 3 ssh2\r\r\n";
	char *got = NULL;
	size_t gotlen = 0;
	FILE *in, *out;

	assert_non_null(in = fmemopen((void *)(uintptr_t)input, sizeof(input) - 1, "r"));
	assert_non_null(out = open_memstream(&got, &gotlen));
	assert_int_equal(matcher_test_stream(m, in, out, NULL), 0);
	fclose(out);
	fclose(in);
	assert_string_equal(got,
	    "1\tr\tauth\tlow\troot\tuser=root src_ip=203.0.113.7\n"
	    "2\tr\tauth\tlow\tbob\tuser=bob src_ip=203.0.113.7\n"
	    "3\t-\n");
	free(got);
	matcher_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_errors_outside_rules),
		cmocka_unit_test(test_errors_syntax),
		cmocka_unit_test(test_errors_lines),
		cmocka_unit_test(test_errors_rule_values),
		cmocka_unit_test(test_errors_templates),
		cmocka_unit_test(test_errors_suppress),
		cmocka_unit_test(test_errors_thresholds),
		cmocka_unit_test(test_errors_ids),
		cmocka_unit_test(test_bad_rule_does_not_stop_good_ones),
		cmocka_unit_test(test_dirs_override_and_disable),
		cmocka_unit_test(test_captures_to_fields),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_template_nul_bytes),
		cmocka_unit_test(test_template_parse_direct),
		cmocka_unit_test(test_program_and_source_filters),
		cmocka_unit_test(test_prefilter_and_counters),
		cmocka_unit_test(test_prefilter_positions),
		cmocka_unit_test(test_required_literal),
		cmocka_unit_test(test_suppression_repeat),
		cmocka_unit_test(test_suppression_by_unset_capture),
		cmocka_unit_test(test_threshold_events),
		cmocka_unit_test(test_threshold_needs_group_by_field),
		cmocka_unit_test(test_threshold_distinct),
		cmocka_unit_test(test_threshold_groups),
		cmocka_unit_test(test_empty_set),
		cmocka_unit_test(test_syslog_parse),
		cmocka_unit_test(test_syslog_iso_forms),
		cmocka_unit_test(test_golden_test_rules),
		cmocka_unit_test(test_test_rules_crlf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
