/*
 * collector/escalate.c with an injected clock: the configuration and its
 * errors (file:line), route matching, chain timing around the ack deadline,
 * repeats, quiet hours across midnight, grouping, the state's save/restore
 * round trip mid-chain, manual escalation, and the what-if plan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "../../collector/escalate.h"
#include "../../report/deadline.h"

#define SEV_INFO VIGIL__V1__SEVERITY__SEVERITY_INFO
#define SEV_LOW VIGIL__V1__SEVERITY__SEVERITY_LOW
#define SEV_MEDIUM VIGIL__V1__SEVERITY__SEVERITY_MEDIUM
#define SEV_HIGH VIGIL__V1__SEVERITY__SEVERITY_HIGH
#define SEV_CRITICAL VIGIL__V1__SEVERITY__SEVERITY_CRITICAL
#define CAT_AUTH VIGIL__V1__CATEGORY__CATEGORY_AUTH
#define CAT_USB VIGIL__V1__CATEGORY__CATEGORY_USB
#define CAT_MALWARE VIGIL__V1__CATEGORY__CATEGORY_MALWARE
#define CAT_DATA_LEAK VIGIL__V1__CATEGORY__CATEGORY_DATA_LEAK
#define CAT_ATTACK VIGIL__V1__CATEGORY__CATEGORY_ATTACK
#define CAT_UPDATE VIGIL__V1__CATEGORY__CATEGORY_UPDATE

#define S 1000000LL
#define M (60 * S)
#define H (60 * M)
/* Monday 2026-01-05 10:00 in Hanoi (03:00 UTC), in microseconds. */
#define T0 (1767582000LL * S)
/* 21:50 the same evening in Hanoi. */
#define EVENING (T0 + 11 * H + 50 * M)

static char dir[64];
static char path[128];
static struct escalate_conf *conf;

/*
 * Contacts: it (email), head (email + webhook), office (command), police
 * (email), ops (email). Routes, in order: police (attack, data_leak: at once,
 * continue), usb (units ubnd-*, chain loop), grouped (malware: groups by
 * category and unit), default (medium and up: chain main).
 */
static const char base_conf[] =
    "[contact it]\nname = Cán bộ CNTT\nemail = it@x.example\n"
    "[contact head]\nemail = head@x.example boss@x.example\nwebhook = https://hook.example/h\n"
    "[contact office]\ncommand = /usr/bin/logger -t vigil\nlanguage = en\n"
    "[contact police]\nemail = police@x.example\n"
    "[contact ops]\nemail = ops@x.example\n"
    "[chain main]\nlevel1 = it\nlevel1_wait = 15m\nlevel2 = head\nlevel2_wait = 30m\n"
    "level3 = office\n"
    "[chain loop]\nlevel1 = ops\nlevel1_wait = 10m\nlevel2 = it head\nrepeat_last = yes\n"
    "repeat_interval = 1h\nrepeat_max = 2\n"
    "[route police]\ncategory = attack data_leak fraud\nmin_severity = low\n"
    "notify_now = police\ncontinue = yes\ngroup_by = incident\ngroup_wait = 0s\n"
    "[route usb]\ncategory = usb\nunit = ubnd-* cong-an\nchain = loop\ngroup_by = incident\n"
    "group_wait = 0s\n"
    "[route grouped]\ncategory = malware\nmin_severity = medium\nchain = main\n"
    "group_by = category unit\ngroup_wait = 30s\ngroup_interval = 5m\n"
    "[route default]\nmin_severity = medium\nchain = main\ngroup_by = incident\n"
    "group_wait = 0s\n"
    "[quiet_hours]\nstart = 22:00\nend = 07:00\n";

static void
write_conf(const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static int
setup(void **state)
{
	char err[512];

	snprintf(dir, sizeof dir, "/tmp/vigil-escalate.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/escalation.conf", dir);
	if ((conf = escalate_conf_new()) == NULL)
		return -1;
	write_conf(base_conf);
	if (escalate_conf_load(conf, path, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	escalate_conf_free(conf);
	unlink(path);
	rmdir(dir);
	return 0;
}

static struct escalate_incident
incident(int64_t id, int cat, int sev, const char *unit, const char *host, int64_t created)
{
	struct escalate_incident inc = { id, cat, sev, unit, host, "agent-1", "rule-1", created };

	return inc;
}

static size_t
contact(const char *label)
{
	size_t i;

	for (i = 0; i < conf->ncontacts; i++)
		if (strcmp(conf->contacts[i].label, label) == 0)
			return i;
	fail_msg("no contact %s", label);
	return 0;
}

/* The notes of one escalate_due() call. */
struct due {
	struct escalate_note notes[32];
	size_t n;
	int64_t wake;
};

static struct due *
run(struct escalate_state *st, size_t n, int64_t now)
{
	static struct due d;

	memset(&d, 0, sizeof d);
	assert_int_equal(escalate_due(conf, st, n, now, d.notes, 32, &d.n, &d.wake), 0);
	return &d;
}

/* How many notes go to label at level; channel -1: any. */
static size_t
count(const struct due *d, const char *label, int level, int channel)
{
	size_t i, n = 0, ci = contact(label);

	for (i = 0; i < d->n; i++)
		if (d->notes[i].contact == ci && d->notes[i].level == level &&
		    (channel < 0 || (int)d->notes[i].channel == channel))
			n++;
	return n;
}

/* ---- configuration ------------------------------------------------------------------ */

static void
test_example_loads(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	const struct escalate_chain *ch;
	char err[512];
	size_t i;

	assert_non_null(c);
	if (escalate_conf_load(c, "deploy/escalation.conf.example", err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->ncontacts, 6);
	assert_int_equal(c->nchains, 2);
	ch = &c->chains[0];
	assert_string_equal(ch->label, "default");
	assert_int_equal(ch->nlevels, 4);
	assert_int_equal(ch->wait[0], 15 * 60 * 1000);
	assert_int_equal(ch->wait[1], 30 * 60 * 1000);
	assert_int_equal(ch->wait[2], 60 * 60 * 1000);
	assert_int_equal(ch->ncontacts[3], 2);
	assert_true(ch->repeat_last);
	assert_int_equal(c->nroutes, 4);
	/* A personal-data leak starts its 72 hours and its notice by the route. */
	assert_string_equal(c->routes[0].label, "data-leak");
	assert_int_equal(c->routes[0].report_kinds, (1u << DL_BREACH) | (1u << DL_NOTICE));
	assert_true(c->routes[0].cont);
	assert_string_equal(c->routes[1].label, "police");
	assert_int_equal(c->routes[1].report_kinds, 0);
	assert_true(c->routes[1].cont);
	assert_int_equal(c->routes[1].chain_index, -1);
	assert_int_equal(c->routes[1].nnow, 1);
	assert_string_equal(c->contacts[c->routes[1].now[0]].label, "ward-police");
	assert_string_equal(c->contacts[c->routes[1].now[0]].name, "Công an phường");
	/* Unexpected silence: the IT officer alone, once. */
	assert_string_equal(c->routes[2].label, "agent-silence");
	assert_string_equal(c->routes[2].rule, "agent.silent");
	assert_int_equal(c->routes[2].severity, SEV_LOW);
	ch = &c->chains[c->routes[2].chain_index];
	assert_string_equal(ch->label, "it-only");
	assert_int_equal(ch->nlevels, 1);
	assert_int_equal(ch->ncontacts[0], 1);
	assert_string_equal(c->contacts[ch->contacts[0][0]].label, "it-officer");
	assert_false(ch->repeat_last);
	assert_string_equal(c->routes[3].label, "default");
	assert_int_equal(c->routes[3].chain_index, 0);
	assert_true(c->quiet.enabled);
	assert_int_equal(c->quiet.offset_ms, 7 * 3600 * 1000);
	assert_int_equal(c->quiet.defer_severity, SEV_MEDIUM);
	for (i = 0; i < c->ncontacts; i++)
		assert_string_equal(c->contacts[i].language, "vi");
	escalate_conf_free(c);
}

/* What -nv prints loads back to the same configuration. */
static void
test_print_loads_back(void **state)
{
	struct escalate_conf *a = escalate_conf_new(), *b = escalate_conf_new();
	char err[512];
	FILE *fp;

	assert_int_equal(escalate_conf_load(a, "deploy/escalation.conf.example", err,
	    sizeof err), 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	escalate_conf_print(fp, a);
	assert_int_equal(fclose(fp), 0);
	if (escalate_conf_load(b, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_memory_equal(a, b, sizeof *a);
	escalate_conf_free(a);
	escalate_conf_free(b);
	write_conf(base_conf);
}

/* [notify] allow_http = yes lets an http:// webhook through; without it, file:line. */
static void
test_allow_http(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	char err[512], prefix[160];

	(void)state;
	write_conf("[contact police]\nwebhook = http://10.0.0.5:8080/hook\n"
	    "[route r]\nnotify_now = police\n");
	assert_int_equal(escalate_conf_load_http(c, path, 1, err, sizeof err), 0);
	assert_string_equal(c->contacts[0].webhook, "http://10.0.0.5:8080/hook");
	assert_int_equal(escalate_conf_load_http(c, path, 0, err, sizeof err), VIGIL_ERR_CONFIG);
	snprintf(prefix, sizeof prefix, "%s:2: ", path);
	assert_memory_equal(err, prefix, strlen(prefix));
	assert_non_null(strstr(err, "allow_http = yes"));
	/* An http:// URL without a host stays wrong either way. */
	write_conf("[contact police]\nwebhook = http://\n[route r]\nnotify_now = police\n");
	assert_int_equal(escalate_conf_load_http(c, path, 1, err, sizeof err), VIGIL_ERR_CONFIG);
	escalate_conf_free(c);
	write_conf(base_conf);
}

/* Loading text fails with "PATH:LINE: " (or "PATH: " for line 0) and a message containing what. */
static void
expect_error(const char *text, int line, const char *what)
{
	struct escalate_conf *c = escalate_conf_new();
	char err[512], prefix[160];

	write_conf(text);
	assert_int_equal(escalate_conf_load(c, path, err, sizeof err), VIGIL_ERR_CONFIG);
	if (line > 0)
		snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof prefix, "%s: ", path);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, what) == NULL)
		fail_msg("expected \"%s...%s...\", got \"%s\"", prefix, what, err);
	escalate_conf_free(c);
}

#define C_IT "[contact it]\nemail = it@x.example\n"

static void
test_config_errors(void **state)
{
	/* Contacts. */
	expect_error("[contact it]\nname = IT\n", 1, "no email, webhook, command or phone");
	expect_error("[contact it]\nemail = it@x.example nobody\n", 2, "'nobody' is not an email");
	expect_error("[contact it]\n\nwebhook = http://x.example/h\n", 3, "allow_http = yes");
	expect_error("[contact it]\ncommand = sms-send +84\n", 2, "absolute path");
	expect_error(C_IT "language = fr\n", 3, "vi or en");
	expect_error(C_IT "phone = +84 90\n", 3, "is not a phone number");
	expect_error(C_IT "pager = 123\n", 3, "unknown key 'pager'");
	/* Chains. */
	expect_error(C_IT "[chain c]\nlevel1 = it\nlevel1_wait = 5m\nlevel2 = nobody\n", 6,
	    "contact 'nobody' in 'level2' is not defined");
	expect_error(C_IT "[chain c]\nlevel1 = it\nlevel1_wait = 5m\nlevel3 = it\n", 6,
	    "level3 is set but level2 is not");
	expect_error(C_IT "[chain c]\nrepeat_last = yes\n", 3, "has no level1");
	expect_error(C_IT "[chain c]\nlevel1 = it\nlevel2 = it\n", 3, "needs level1_wait");
	expect_error(C_IT "[chain c]\nlevel1 = it\nlevel1_wait = 5m\nlevel2 = it\n"
	    "level2_wait = 1h\n", 7, "level2_wait has no level3");
	expect_error(C_IT "[chain c]\nlevel1 = it\nlevel1_wait = soon\n", 5, "level1_wait");
	expect_error(C_IT "[chain c]\nlevel1 = it\nrepeat_interval = 10s\n", 5, "repeat_interval");
	/* Routes. */
	expect_error(C_IT "[route r]\ncategory = attack phishing\nnotify_now = it\n", 4,
	    "'phishing' is not a category");
	expect_error(C_IT "[route r]\nmin_severity = urgent\nnotify_now = it\n", 4,
	    "'urgent' is not a severity");
	expect_error(C_IT "[route r]\nchain = nowhere\n", 4, "chain 'nowhere' is not defined");
	expect_error(C_IT "[route r]\ncategory = usb\n", 3, "notifies nobody");
	expect_error(C_IT "[route r]\nnotify_now = it\ngroup_by = colour\n", 5,
	    "'colour' cannot group");
	expect_error(C_IT "[route r]\nnotify_now = it\nnotify_now = it\n", 5,
	    "duplicate key 'notify_now'");
	expect_error(C_IT "[route r]\nnotify_now = it\n[route r]\nnotify_now = it\n", 5,
	    "duplicate label 'r'");
	expect_error(C_IT "[route r]\nnotify_now = it\nreportable = breach,soon\n", 5,
	    "soon is not a report of an incident");
	expect_error(C_IT "[route r]\nnotify_now = it\n\nreportable = halfyear\n", 6,
	    "halfyear is not a report of an incident");
	/* Quiet hours. */
	expect_error("[quiet_hours]\nstart = 25:00\nend = 07:00\n", 2, "like 22:00");
	expect_error("[quiet_hours]\nstart = 22:00\n", 1, "both start and end");
	expect_error("[quiet_hours]\ntimezone = Europe/Paris\n", 2, "UTC+07:00");
	expect_error("[quiet_hours]\nstart = 22:00\nend = 22:00\n", 3, "same time");
	expect_error("[quiet_hours]\ndefer_up_to = loud\n", 2, "'loud' is not a severity");
	write_conf(base_conf);
}

/* reportable: the kinds a route's incidents owe, as a mask; none (the default) owes nothing. */
static void
test_route_reportable(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	char err[512];

	(void)state;
	write_conf(C_IT "[route a]\nnotify_now = it\nreportable = notice, initial\ncontinue = yes\n"
	    "[route b]\nnotify_now = it\nreportable = breach\ncontinue = yes\n"
	    "[route c]\nnotify_now = it\nreportable = none\ncontinue = yes\n"
	    "[route d]\nnotify_now = it\n");
	if (escalate_conf_load(c, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->routes[0].report_kinds, (1u << DL_NOTICE) | (1u << DL_INITIAL));
	assert_int_equal(c->routes[1].report_kinds, 1u << DL_BREACH);
	assert_int_equal(c->routes[2].report_kinds, 0);
	assert_int_equal(c->routes[3].report_kinds, 0);
	assert_string_equal(c->routes[3].reportable, "none");
	escalate_conf_free(c);
	write_conf(base_conf);
}

static void
test_config_values(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	char err[512];

	write_conf("[quiet_hours]\ntimezone = UTC-05:30\nstart = 09:15\nend = 17:45\n"
	    "defer_up_to = high\n");
	if (escalate_conf_load(c, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(c->quiet.offset_ms, -(5 * 3600 + 30 * 60) * 1000LL);
	assert_int_equal(c->quiet.start_ms, (9 * 3600 + 15 * 60) * 1000LL);
	assert_int_equal(c->quiet.end_ms, (17 * 3600 + 45 * 60) * 1000LL);
	assert_int_equal(c->quiet.defer_severity, SEV_HIGH);
	/* No quiet hours at all: an empty file. */
	write_conf("# nothing\n");
	assert_int_equal(escalate_conf_load(c, path, err, sizeof err), 0);
	assert_false(c->quiet.enabled);
	assert_int_equal(c->nroutes, 0);
	escalate_conf_free(c);
	write_conf(base_conf);
}

static void
test_split(void **state)
{
	char buf[64], *argv[4];

	assert_int_equal(escalate_split("  /bin/sms  -t\t+84 ", buf, sizeof buf, argv, 4), 3);
	assert_string_equal(argv[0], "/bin/sms");
	assert_string_equal(argv[1], "-t");
	assert_string_equal(argv[2], "+84");
	assert_null(argv[3]);
	assert_int_equal(escalate_split("a b c d", buf, sizeof buf, argv, 4), VIGIL_ERR_TOOBIG);
	assert_int_equal(escalate_split("", buf, sizeof buf, argv, 4), 0);
	assert_null(argv[0]);
}

/* ---- routing ----------------------------------------------------------------------------- */

static size_t
routes_of(struct escalate_incident inc, const char **names)
{
	size_t idx[8], n, i;

	n = escalate_match(conf, &inc, idx, 8);
	for (i = 0; i < n && i < 8; i++)
		names[i] = conf->routes[idx[i]].label;
	return n;
}

static void
test_match(void **state)
{
	const char *r[8];

	/* An attack: police, then on (continue) to the first match after it. */
	assert_int_equal(routes_of(incident(1, CAT_ATTACK, SEV_HIGH, "ubnd", "pc1", T0), r), 2);
	assert_string_equal(r[0], "police");
	assert_string_equal(r[1], "default");
	/* A low attack: police only (default needs medium). */
	assert_int_equal(routes_of(incident(1, CAT_ATTACK, SEV_LOW, "ubnd", "pc1", T0), r), 1);
	assert_string_equal(r[0], "police");
	/* Info is below police's min_severity. */
	assert_int_equal(routes_of(incident(1, CAT_DATA_LEAK, SEV_INFO, "u", "h", T0), r), 0);
	/* USB in a unit matching ubnd-*: first match usb, which does not continue. */
	assert_int_equal(routes_of(incident(1, CAT_USB, SEV_HIGH, "ubnd-phuong", "pc1", T0), r),
	    1);
	assert_string_equal(r[0], "usb");
	assert_int_equal(routes_of(incident(1, CAT_USB, SEV_HIGH, "cong-an", "pc1", T0), r), 1);
	assert_string_equal(r[0], "usb");
	/* USB elsewhere falls through to default. */
	assert_int_equal(routes_of(incident(1, CAT_USB, SEV_HIGH, "dang-uy", "pc1", T0), r), 1);
	assert_string_equal(r[0], "default");
	/* Malware: grouped. */
	assert_int_equal(routes_of(incident(1, CAT_MALWARE, SEV_MEDIUM, "u", "h", T0), r), 1);
	assert_string_equal(r[0], "grouped");
	/* Nothing takes a low update. */
	assert_int_equal(routes_of(incident(1, CAT_UPDATE, SEV_LOW, "u", "h", T0), r), 0);
	/* NULL strings read as empty and match no pattern. */
	assert_int_equal(routes_of(incident(1, CAT_USB, SEV_MEDIUM, NULL, NULL, T0), r), 1);
	assert_string_equal(r[0], "default");
}

static void
test_match_hosts(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	struct escalate_incident inc = incident(1, CAT_AUTH, SEV_LOW, "u", "pc-07", T0);
	size_t idx[4];
	char err[512];

	write_conf(C_IT "[route servers]\nhost = srv-* dc1\nnotify_now = it\n"
	    "[route crit]\nmin_severity = critical\nnotify_now = it\n");
	assert_int_equal(escalate_conf_load(c, path, err, sizeof err), 0);
	assert_int_equal(escalate_match(c, &inc, idx, 4), 0);
	inc.host = "srv-mail";
	assert_int_equal(escalate_match(c, &inc, idx, 4), 1);
	assert_int_equal(idx[0], 0);
	inc.host = "dc1";
	assert_int_equal(escalate_match(c, &inc, idx, 4), 1);
	inc.host = "dc10";
	assert_int_equal(escalate_match(c, &inc, idx, 4), 0);
	inc.severity = SEV_CRITICAL;
	assert_int_equal(escalate_match(c, &inc, idx, 4), 1);
	assert_int_equal(idx[0], 1);
	escalate_conf_free(c);
	write_conf(base_conf);
}

/* rule takes shell patterns on the rule id, like unit and host; empty takes every rule. */
static void
test_match_rules(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	struct escalate_incident inc = incident(1, VIGIL__V1__CATEGORY__CATEGORY_AGENT, SEV_LOW,
	    "phuong-7", "pc-07", T0);
	size_t idx[4];
	char err[512];

	write_conf(C_IT "[route silence]\nrule = agent.silent\nmin_severity = low\nnotify_now = it\n"
	    "[route agent]\nrule = agent.*\nmin_severity = medium\nnotify_now = it\n");
	assert_int_equal(escalate_conf_load(c, path, err, sizeof err), 0);
	inc.rule = "agent.silent";
	assert_int_equal(escalate_match(c, &inc, idx, 4), 1);
	assert_int_equal(idx[0], 0);
	/* An agent event of another rule, at high: not the silence route, the pattern's. */
	inc.rule = "agent.spool_dropped";
	inc.severity = SEV_HIGH;
	assert_int_equal(escalate_match(c, &inc, idx, 4), 1);
	assert_int_equal(idx[0], 1);
	inc.rule = "ssh.bruteforce";
	assert_int_equal(escalate_match(c, &inc, idx, 4), 0);
	inc.rule = NULL;
	assert_int_equal(escalate_match(c, &inc, idx, 4), 0);
	escalate_conf_free(c);
	write_conf(base_conf);
}

/*
 * The shipped chain: a unit's machines silent without a goodbye (low) reach the
 * IT officer once, never the head of unit or the Standing Committee, and a
 * silence at 23:00 waits for the morning; an agent's own high incident still
 * climbs the whole chain.
 */
static void
test_shipped_silence_route(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	struct escalate_incident inc = incident(1, VIGIL__V1__CATEGORY__CATEGORY_AGENT, SEV_LOW,
	    "phuong-7", "pc-07", T0);
	struct escalate_plan *plan = malloc(sizeof(*plan));
	char err[512];
	size_t i;

	assert_non_null(c);
	assert_non_null(plan);
	if (escalate_conf_load(c, "deploy/escalation.conf.example", err, sizeof err) != 0)
		fail_msg("%s", err);
	inc.rule = "agent.silent";
	assert_int_equal(escalate_plan(c, &inc, plan), 0);
	assert_int_equal(plan->nroutes, 1);
	assert_string_equal(c->routes[plan->routes[0]].label, "agent-silence");
	assert_int_equal(plan->nsteps, 1);
	assert_string_equal(c->contacts[plan->steps[0].contact].label, "it-officer");
	assert_int_equal(plan->steps[0].level, 1);
	/* Grouped: the unit's burst of machines is one message, 2 minutes on. */
	assert_int_equal(plan->steps[0].at_us, T0 + 2 * M);
	/* At 23:00 in Hanoi it waits for 07:00. */
	inc.created_us = EVENING + 70 * M;
	assert_int_equal(escalate_plan(c, &inc, plan), 0);
	assert_int_equal(plan->nsteps, 1);
	assert_int_equal(plan->steps[0].at_us, T0 + 21 * H);
	/* An agent incident of its own (the spool dropped events, high): the default chain. */
	inc.rule = "agent.spool_dropped";
	inc.severity = SEV_HIGH;
	inc.created_us = T0;
	assert_int_equal(escalate_plan(c, &inc, plan), 0);
	assert_int_equal(plan->nroutes, 1);
	assert_string_equal(c->routes[plan->routes[0]].label, "default");
	for (i = 0; i < plan->nsteps; i++)
		if (strcmp(c->contacts[plan->steps[i].contact].label, "standing-committee") == 0)
			break;
	assert_true(i < plan->nsteps);
	free(plan);
	escalate_conf_free(c);
}

/* ---- chain timing ---------------------------------------------------------------------------- */

/* A high brute force at T0: it at once, head at +15m, office at +45m, then nothing. */
static void
test_chain(void **state)
{
	struct escalate_incident inc = incident(7, CAT_AUTH, SEV_HIGH, "ubnd", "pc1", T0);
	struct escalate_state st;
	struct due *d;

	assert_int_equal(escalate_start(conf, &inc, &st), 0);
	assert_int_equal(st.ntracks, 1);
	assert_string_equal(st.tracks[0].route, "default");
	assert_string_equal(st.tracks[0].group, "incident=7");

	d = run(&st, 1, T0);
	assert_int_equal(d->n, 1);
	assert_int_equal(count(d, "it", 1, ESC_CHANNEL_EMAIL), 1);
	assert_int_equal(d->notes[0].nids, 1);
	assert_int_equal(d->notes[0].ids[0], 7);
	assert_int_equal(d->notes[0].due_us, T0);
	assert_int_equal(d->wake, T0 + 15 * M);
	assert_int_equal(st.tracks[0].next_us, T0 + 15 * M);

	/* Nothing a microsecond early; asking twice at the same time sends once. */
	assert_int_equal(run(&st, 1, T0 + 15 * M - 1)->n, 0);
	d = run(&st, 1, T0 + 15 * M);
	/* head has email and webhook: one note per channel. */
	assert_int_equal(d->n, 2);
	assert_int_equal(count(d, "head", 2, ESC_CHANNEL_EMAIL), 1);
	assert_int_equal(count(d, "head", 2, ESC_CHANNEL_WEBHOOK), 1);
	assert_int_equal(d->wake, T0 + 45 * M);
	assert_int_equal(run(&st, 1, T0 + 15 * M)->n, 0);

	d = run(&st, 1, T0 + 45 * M);
	assert_int_equal(d->n, 1);
	assert_int_equal(count(d, "office", 3, ESC_CHANNEL_COMMAND), 1);
	assert_int_equal(d->wake, 0);
	assert_int_equal(run(&st, 1, T0 + 10 * H)->n, 0);
}

/* A late timer: the step goes when asked, and the next wait counts from then. */
static void
test_late_timer(void **state)
{
	struct escalate_incident inc = incident(7, CAT_AUTH, SEV_HIGH, "ubnd", "pc1", T0);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	run(&st, 1, T0);
	d = run(&st, 1, T0 + 20 * M);
	assert_int_equal(count(d, "head", 2, -1), 2);
	assert_int_equal(d->notes[0].due_us, T0 + 15 * M);
	assert_int_equal(d->wake, T0 + 50 * M);
}

static void
ack_case(int64_t ack_at, int expect_level2)
{
	struct escalate_incident inc = incident(7, CAT_AUTH, SEV_HIGH, "ubnd", "pc1", T0);
	struct escalate_state st;
	int64_t deadline = T0 + 15 * M;
	struct due *d;

	escalate_start(conf, &inc, &st);
	run(&st, 1, T0);
	if (ack_at <= deadline)
		escalate_ack(&st, ack_at);
	d = run(&st, 1, deadline);
	assert_int_equal(count(d, "head", 2, -1), expect_level2 ? 2 : 0);
	if (ack_at > deadline) {
		escalate_ack(&st, ack_at);
		assert_int_equal(st.ack_us, ack_at);
	}
	/* Whatever happened at the deadline, the ack stops the rest of the climb. */
	assert_int_equal(st.tracks[0].next_us, expect_level2 ? T0 + 45 * M : 0);
	d = run(&st, 1, T0 + 45 * M);
	assert_int_equal(d->n, 0);
	assert_int_equal(d->wake, 0);
	assert_int_equal(st.tracks[0].next_us, 0);
}

static void
test_ack_before_deadline(void **state)
{
	ack_case(T0 + 15 * M - 1, 0);
}

/* An ack recorded at exactly the deadline wins: level 2 is not notified. */
static void
test_ack_at_deadline(void **state)
{
	ack_case(T0 + 15 * M, 0);
}

static void
test_ack_after_deadline(void **state)
{
	ack_case(T0 + 15 * M + 1, 1);
}

/* A second ack does not move the first. */
static void
test_ack_once(void **state)
{
	struct escalate_state st;
	struct escalate_incident inc = incident(7, CAT_AUTH, SEV_HIGH, "u", "h", T0);

	escalate_start(conf, &inc, &st);
	escalate_ack(&st, T0 + 5);
	escalate_ack(&st, T0 + 9);
	assert_int_equal(st.ack_us, T0 + 5);
}

/* Chain loop: ops, then it+head at +10m, then it+head again every hour, twice at most. */
static void
test_repeat(void **state)
{
	struct escalate_incident inc = incident(3, CAT_USB, SEV_HIGH, "ubnd-a", "pc1", T0);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	d = run(&st, 1, T0);
	assert_int_equal(count(d, "ops", 1, -1), 1);
	d = run(&st, 1, T0 + 10 * M);
	assert_int_equal(count(d, "it", 2, -1), 1);
	assert_int_equal(count(d, "head", 2, -1), 2);
	assert_int_equal(d->notes[0].repeat, 0);
	assert_int_equal(d->wake, T0 + 70 * M);
	d = run(&st, 1, T0 + 70 * M);
	assert_int_equal(d->n, 3);
	assert_int_equal(d->notes[0].level, 2);
	assert_int_equal(d->notes[0].repeat, 1);
	assert_int_equal(d->wake, T0 + 130 * M);
	d = run(&st, 1, T0 + 130 * M);
	assert_int_equal(d->n, 3);
	assert_int_equal(d->notes[0].repeat, 2);
	/* repeat_max = 2: done. */
	assert_int_equal(d->wake, 0);
	assert_int_equal(run(&st, 1, T0 + 24 * H)->n, 0);
}

/* An ack between repeats stops them. */
static void
test_repeat_ack(void **state)
{
	struct escalate_incident inc = incident(3, CAT_USB, SEV_HIGH, "ubnd-a", "pc1", T0);
	struct escalate_state st;

	escalate_start(conf, &inc, &st);
	run(&st, 1, T0);
	run(&st, 1, T0 + 10 * M);
	assert_int_equal(run(&st, 1, T0 + 70 * M)->n, 3);
	escalate_ack(&st, T0 + 80 * M);
	assert_int_equal(run(&st, 1, T0 + 130 * M)->n, 0);
}

/* A route's repeat_interval overrides the chain's. */
static void
test_repeat_route_override(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	struct escalate_incident inc = incident(3, CAT_AUTH, SEV_HIGH, "u", "h", T0);
	struct escalate_state st;
	struct escalate_note notes[8];
	size_t n;
	int64_t wake;
	char err[512];

	write_conf(C_IT "[chain c]\nlevel1 = it\nrepeat_last = yes\nrepeat_interval = 2h\n"
	    "[route r]\nchain = c\ngroup_wait = 0s\nrepeat_interval = 20m\n");
	assert_int_equal(escalate_conf_load(c, path, err, sizeof err), 0);
	escalate_start(c, &inc, &st);
	escalate_due(c, &st, 1, T0, notes, 8, &n, &wake);
	assert_int_equal(n, 1);
	assert_int_equal(wake, T0 + 20 * M);
	escalate_due(c, &st, 1, T0 + 20 * M, notes, 8, &n, &wake);
	assert_int_equal(n, 1);
	assert_int_equal(notes[0].repeat, 1);
	assert_int_equal(wake, T0 + 40 * M);
	escalate_conf_free(c);
	write_conf(base_conf);
}

/* ---- quiet hours ------------------------------------------------------------------------------ */

/*
 * Medium at 21:50: it at once (not quiet yet); head due 22:05 waits for 07:00
 * the next morning; office 30 minutes after that.
 */
static void
test_quiet_defers_medium(void **state)
{
	struct escalate_incident inc = incident(9, CAT_AUTH, SEV_MEDIUM, "u", "h", EVENING);
	int64_t morning = EVENING + 9 * H + 10 * M;      /* 07:00 next day */
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	d = run(&st, 1, EVENING);
	assert_int_equal(count(d, "it", 1, -1), 1);
	assert_int_equal(d->wake, morning);
	assert_int_equal(run(&st, 1, EVENING + 15 * M)->n, 0);
	assert_int_equal(run(&st, 1, morning - 1)->n, 0);
	d = run(&st, 1, morning);
	assert_int_equal(count(d, "head", 2, -1), 2);
	assert_int_equal(d->notes[0].due_us, morning);
	assert_int_equal(d->wake, morning + 30 * M);
}

/* High at 21:50 ignores quiet hours: head at 22:05 in the night. */
static void
test_quiet_ignores_high(void **state)
{
	struct escalate_incident inc = incident(9, CAT_AUTH, SEV_HIGH, "u", "h", EVENING);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	run(&st, 1, EVENING);
	d = run(&st, 1, EVENING + 15 * M);
	assert_int_equal(count(d, "head", 2, -1), 2);
	assert_int_equal(d->wake, EVENING + 45 * M);
}

/* Created inside the quiet period, on either side of midnight, and at its edges. */
static void
test_quiet_edges(void **state)
{
	static const struct {
		int64_t created, first;
	} cases[] = {
		{ EVENING + 10 * M - 1, EVENING + 10 * M - 1 },      /* 21:59:59.999999: at once */
		{ EVENING + 10 * M, EVENING + 9 * H + 10 * M },      /* 22:00: 07:00 */
		{ EVENING + 2 * H + 10 * M, EVENING + 9 * H + 10 * M },  /* 00:00 */
		{ EVENING + 9 * H + 9 * M, EVENING + 9 * H + 10 * M },   /* 06:59 */
		{ EVENING + 9 * H + 10 * M, EVENING + 9 * H + 10 * M },  /* 07:00: at once */
	};
	struct escalate_incident inc;
	struct escalate_state st;
	struct due *d;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		inc = incident(9, CAT_AUTH, SEV_MEDIUM, "u", "h", cases[i].created);
		escalate_start(conf, &inc, &st);
		d = run(&st, 1, cases[i].created);
		if (cases[i].first == cases[i].created) {
			assert_int_equal(d->n, 1);
		} else {
			assert_int_equal(d->n, 0);
			assert_int_equal(d->wake, cases[i].first);
			d = run(&st, 1, cases[i].first);
			assert_int_equal(count(d, "it", 1, -1), 1);
		}
	}
	/* High created at midnight goes at once. */
	inc = incident(9, CAT_AUTH, SEV_HIGH, "u", "h", EVENING + 2 * H + 10 * M);
	escalate_start(conf, &inc, &st);
	assert_int_equal(run(&st, 1, EVENING + 2 * H + 10 * M)->n, 1);
}

/* ---- grouping ---------------------------------------------------------------------------------- */

static void
test_grouping(void **state)
{
	struct escalate_state st[5];
	struct escalate_incident inc;
	struct due *d;
	size_t i, it = contact("it");

	/* Three malware incidents in unit a within group_wait (30s), one in unit b. */
	inc = incident(11, CAT_MALWARE, SEV_HIGH, "a", "pc1", T0);
	escalate_start(conf, &inc, &st[0]);
	assert_string_equal(st[0].tracks[0].group, "category=malware unit=a");
	inc = incident(12, CAT_MALWARE, SEV_HIGH, "a", "pc2", T0 + 10 * S);
	escalate_start(conf, &inc, &st[1]);
	inc = incident(13, CAT_MALWARE, SEV_CRITICAL, "a", "pc3", T0 + 29 * S);
	escalate_start(conf, &inc, &st[2]);
	inc = incident(14, CAT_MALWARE, SEV_HIGH, "b", "pc9", T0 + 20 * S);
	escalate_start(conf, &inc, &st[3]);

	d = run(st, 4, T0 + 29 * S);
	assert_int_equal(d->n, 0);
	assert_int_equal(d->wake, T0 + 30 * S);
	d = run(st, 4, T0 + 30 * S);
	/* One notification for unit a, listing the three. */
	assert_int_equal(d->n, 1);
	assert_int_equal(d->notes[0].contact, it);
	assert_string_equal(d->notes[0].group, "category=malware unit=a");
	assert_int_equal(d->notes[0].nids, 3);
	assert_int_equal(d->notes[0].ids[0], 11);
	assert_int_equal(d->notes[0].ids[1], 12);
	assert_int_equal(d->notes[0].ids[2], 13);
	assert_int_equal(d->wake, T0 + 50 * S);
	d = run(st, 4, T0 + 50 * S);
	assert_int_equal(d->n, 1);
	assert_int_equal(d->notes[0].nids, 1);
	assert_int_equal(d->notes[0].ids[0], 14);

	/* A fourth in unit a after the flush waits for the next group_interval tick. */
	inc = incident(15, CAT_MALWARE, SEV_HIGH, "a", "pc4", T0 + 2 * M);
	escalate_start(conf, &inc, &st[4]);
	d = run(st, 5, T0 + 2 * M);
	assert_int_equal(d->n, 0);
	assert_int_equal(st[4].tracks[0].next_us, T0 + 30 * S + 5 * M);

	/* Level 2 for the first three is one notification; 12 was acknowledged. */
	escalate_ack(&st[1], T0 + 3 * M);
	d = run(st, 5, T0 + 30 * S + 5 * M);
	assert_int_equal(d->n, 1);
	assert_int_equal(d->notes[0].ids[0], 15);
	assert_int_equal(d->notes[0].level, 1);
	d = run(st, 5, T0 + 15 * M + 30 * S);
	assert_int_equal(count(d, "head", 2, ESC_CHANNEL_EMAIL), 1);
	for (i = 0; i < d->n; i++) {
		assert_int_equal(d->notes[i].nids, 2);
		assert_int_equal(d->notes[i].ids[0], 11);
		assert_int_equal(d->notes[i].ids[1], 13);
	}
}

/* After every incident of a group is closed, a new one starts a fresh group_wait. */
static void
test_group_resets(void **state)
{
	struct escalate_state st[2];
	struct escalate_incident inc;
	struct due *d;

	inc = incident(21, CAT_MALWARE, SEV_HIGH, "a", "pc1", T0);
	escalate_start(conf, &inc, &st[0]);
	assert_int_equal(run(st, 1, T0 + 30 * S)->n, 1);
	escalate_close(&st[0], T0 + M);
	inc = incident(22, CAT_MALWARE, SEV_HIGH, "a", "pc1", T0 + 2 * M);
	escalate_start(conf, &inc, &st[1]);
	d = run(st, 2, T0 + 2 * M);
	assert_int_equal(d->n, 0);
	assert_int_equal(d->wake, T0 + 2 * M + 30 * S);
}

/* A burst larger than a note can list: the rest are counted. */
static void
test_group_more(void **state)
{
	struct escalate_state *st = calloc(40, sizeof *st);
	struct escalate_incident inc;
	struct due *d;
	size_t i;

	assert_non_null(st);
	for (i = 0; i < 40; i++) {
		inc = incident(100 + (int64_t)i, CAT_MALWARE, SEV_HIGH, "a", "pc", T0 + (int64_t)i);
		escalate_start(conf, &inc, &st[i]);
	}
	d = run(st, 40, T0 + 30 * S);
	assert_int_equal(d->n, 1);
	assert_int_equal(d->notes[0].nids, ESC_NOTE_IDS_MAX);
	assert_int_equal(d->notes[0].more, 40 - ESC_NOTE_IDS_MAX);
	free(st);
}

/* Notes full: what fits goes, the rest on the next call, nothing lost or doubled. */
static void
test_notes_full(void **state)
{
	struct escalate_state st[3];
	struct escalate_incident inc;
	struct escalate_note notes[2];
	size_t n, i;
	int64_t wake;

	for (i = 0; i < 3; i++) {
		inc = incident(30 + (int64_t)i, CAT_AUTH, SEV_HIGH, "u", "h", T0);
		escalate_start(conf, &inc, &st[i]);
	}
	escalate_due(conf, st, 3, T0, notes, 2, &n, &wake);
	assert_int_equal(n, 2);
	assert_int_equal(wake, T0);
	escalate_due(conf, st, 3, T0, notes, 2, &n, &wake);
	assert_int_equal(n, 1);
	assert_int_equal(notes[0].ids[0], 32);
	assert_int_equal(wake, T0 + 15 * M);
}

/* ---- the ward Police --------------------------------------------------------------------------- */

static void
test_police(void **state)
{
	struct escalate_incident inc = incident(5, CAT_DATA_LEAK, SEV_HIGH, "ubnd", "pc1", T0);
	struct escalate_state st;
	struct due *d;

	assert_int_equal(escalate_start(conf, &inc, &st), 0);
	assert_int_equal(st.ntracks, 2);
	d = run(&st, 1, T0);
	assert_int_equal(d->n, 2);
	assert_int_equal(count(d, "police", 0, ESC_CHANNEL_EMAIL), 1);
	assert_int_equal(count(d, "it", 1, ESC_CHANNEL_EMAIL), 1);
	/* The police are told once; the chain goes on. */
	d = run(&st, 1, T0 + 15 * M);
	assert_int_equal(count(d, "police", 0, -1), 0);
	assert_int_equal(count(d, "head", 2, -1), 2);
}

/* Acknowledged before the first notification: the police are still told, the chain is not. */
static void
test_police_despite_ack(void **state)
{
	struct escalate_incident inc = incident(5, CAT_ATTACK, SEV_HIGH, "ubnd", "pc1", T0);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	escalate_ack(&st, T0);
	d = run(&st, 1, T0);
	assert_int_equal(d->n, 1);
	assert_int_equal(count(d, "police", 0, -1), 1);
	assert_int_equal(d->wake, 0);
}

/* A low data leak at night: the police are told in the morning (low is deferred). */
static void
test_police_quiet(void **state)
{
	struct escalate_incident inc = incident(5, CAT_DATA_LEAK, SEV_LOW, "u", "h",
	    EVENING + H);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	d = run(&st, 1, EVENING + H);
	assert_int_equal(d->n, 0);
	assert_int_equal(d->wake, EVENING + 9 * H + 10 * M);
	d = run(&st, 1, d->wake);
	assert_int_equal(count(d, "police", 0, -1), 1);
}

/* ---- operator actions --------------------------------------------------------------------------- */

static void
test_close_and_reopen(void **state)
{
	struct escalate_incident inc = incident(7, CAT_AUTH, SEV_HIGH, "u", "h", T0);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	run(&st, 1, T0);
	escalate_close(&st, T0 + M);
	d = run(&st, 1, T0 + H);
	assert_int_equal(d->n, 0);
	assert_int_equal(d->wake, 0);
	escalate_ack(&st, T0 + 2 * M);
	escalate_reopen(&st, T0 + 2 * H);
	assert_int_equal(st.ack_us, 0);
	d = run(&st, 1, T0 + 2 * H);
	assert_int_equal(count(d, "it", 1, -1), 1);
	assert_int_equal(d->wake, T0 + 2 * H + 15 * M);
}

/* escalate 3: office now, ack or not; then the chain is at its end. */
static void
test_manual(void **state)
{
	struct escalate_incident inc = incident(7, CAT_AUTH, SEV_MEDIUM, "u", "h", T0);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	run(&st, 1, T0);
	escalate_ack(&st, T0 + M);
	assert_int_equal(escalate_manual(conf, &st, 4, T0 + 2 * M), VIGIL_ERR_NOTFOUND);
	assert_int_equal(escalate_manual(conf, &st, 0, T0 + 2 * M), VIGIL_ERR_NOTFOUND);
	/* At night too: an operator's request is never deferred. */
	assert_int_equal(escalate_manual(conf, &st, 3, EVENING + H), 0);
	d = run(&st, 1, EVENING + H);
	assert_int_equal(d->n, 1);
	assert_int_equal(count(d, "office", 3, ESC_CHANNEL_COMMAND), 1);
	assert_true(d->notes[0].manual);
	assert_int_equal(d->wake, 0);
	assert_int_equal(st.tracks[0].level, 3);
	escalate_close(&st, EVENING + 2 * H);
	assert_int_equal(escalate_manual(conf, &st, 1, EVENING + 2 * H), VIGIL_ERR_PROTO);
}

/* escalate 2 before anyone acked: level 2 now, and level 3 follows 30 minutes later. */
static void
test_manual_climb_goes_on(void **state)
{
	struct escalate_incident inc = incident(7, CAT_AUTH, SEV_HIGH, "u", "h", T0);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	run(&st, 1, T0);
	assert_int_equal(escalate_manual(conf, &st, 2, T0 + 5 * M), 0);
	d = run(&st, 1, T0 + 5 * M);
	assert_int_equal(count(d, "head", 2, -1), 2);
	assert_int_equal(d->wake, T0 + 35 * M);
}

/* ---- restart ------------------------------------------------------------------------------------- */

/*
 * Saved after level 1 with the collector going down: restored, level 2 goes
 * once at its time; saved again after level 2, restored late: level 3 once.
 */
static void
test_restart_round_trip(void **state)
{
	struct escalate_incident inc = incident(7, CAT_DATA_LEAK, SEV_HIGH, "ubnd phường",
	    "pc 1", T0);
	struct escalate_state st, back;
	char text[ESC_STATE_TEXT_MAX];
	struct due *d;
	int len;

	escalate_start(conf, &inc, &st);
	/* A group key with spaces and UTF-8 survives the text form. */
	snprintf(st.tracks[1].group, sizeof st.tracks[1].group, "unit=ubnd phường host=pc 1");
	run(&st, 1, T0);
	len = escalate_state_format(&st, text, sizeof text);
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(text));
	assert_null(strchr(text, '\n'));
	assert_int_equal(escalate_state_parse(text, &back), 0);
	/* next_us is informative and not saved; the rest is the same. */
	st.tracks[0].next_us = st.tracks[1].next_us = 0;
	assert_memory_equal(&st, &back, sizeof st);

	/* The restarted collector: nothing is repeated, level 2 at its time. */
	d = run(&back, 1, T0 + 5 * M);
	assert_int_equal(d->n, 0);
	assert_int_equal(d->wake, T0 + 15 * M);
	d = run(&back, 1, T0 + 15 * M);
	assert_int_equal(count(d, "head", 2, -1), 2);
	assert_int_equal(count(d, "police", 0, -1), 0);

	/* Down again before level 3, back an hour late: level 3 once, then nothing. */
	assert_true(escalate_state_format(&back, text, sizeof text) > 0);
	assert_int_equal(escalate_state_parse(text, &st), 0);
	d = run(&st, 1, T0 + 2 * H);
	assert_int_equal(d->n, 1);
	assert_int_equal(count(d, "office", 3, -1), 1);
	assert_int_equal(run(&st, 1, T0 + 2 * H)->n, 0);
	assert_true(escalate_state_format(&st, text, sizeof text) > 0);
	assert_int_equal(escalate_state_parse(text, &back), 0);
	assert_int_equal(run(&back, 1, T0 + 3 * H)->n, 0);
}

static void
test_state_parse_errors(void **state)
{
	struct escalate_state st;

	assert_int_equal(escalate_state_parse("", &st), VIGIL_ERR_DECODE);
	assert_int_equal(escalate_state_parse("v2 1 4 0 0 0 0", &st), VIGIL_ERR_VERSION);
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 0 0", &st), 0);
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 0 0 extra", &st), VIGIL_ERR_DECODE);
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 0 5", &st), VIGIL_ERR_DECODE);
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 2 0", &st), VIGIL_ERR_DECODE);
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 0 1 r %", &st), VIGIL_ERR_DECODE);
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 0 1 r % 0 1 0 0 0 5 6", &st), 0);
	assert_int_equal(st.tracks[0].first_us, 5);
	assert_string_equal(st.tracks[0].group, "");
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 0 1 r a%0 0 1 0 0 0 5 6", &st),
	    VIGIL_ERR_DECODE);
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 0 1 r a%00 0 1 0 0 0 5 6", &st),
	    VIGIL_ERR_DECODE);
	assert_int_equal(escalate_state_parse("v1 1 4 0 0 0 1 r a 0 9 0 0 0 5 6", &st),
	    VIGIL_ERR_DECODE);
	assert_int_equal(escalate_state_parse("v1 x 4 0 0 0 0", &st), VIGIL_ERR_DECODE);
}

/* A track whose route was removed by a reload goes quiet instead of failing. */
static void
test_route_removed(void **state)
{
	struct escalate_incident inc = incident(7, CAT_AUTH, SEV_HIGH, "u", "h", T0);
	struct escalate_state st;
	struct due *d;

	escalate_start(conf, &inc, &st);
	snprintf(st.tracks[0].route, sizeof st.tracks[0].route, "gone");
	d = run(&st, 1, T0);
	assert_int_equal(d->n, 0);
	assert_int_equal(d->wake, 0);
}

/* ---- what-if -------------------------------------------------------------------------------------- */

static void
test_plan(void **state)
{
	struct escalate_incident inc = incident(0, CAT_ATTACK, SEV_HIGH, "ubnd", "pc1", T0);
	struct escalate_plan plan;

	assert_int_equal(escalate_plan(conf, &inc, &plan), 0);
	assert_int_equal(plan.nroutes, 2);
	assert_string_equal(conf->routes[plan.routes[0]].label, "police");
	/* police, it, head (email), head (webhook), office. */
	assert_int_equal(plan.nsteps, 5);
	assert_int_equal(plan.steps[0].level, 0);
	assert_int_equal(plan.steps[0].at_us, T0);
	assert_int_equal(plan.steps[1].level, 1);
	assert_int_equal(plan.steps[2].at_us, T0 + 15 * M);
	assert_int_equal(plan.steps[4].level, 3);
	assert_int_equal(plan.steps[4].at_us, T0 + 45 * M);
	assert_int_equal(plan.truncated, 0);

	/* A repeating chain is shown with ESC_PLAN_REPEATS repeats. */
	inc = incident(0, CAT_USB, SEV_HIGH, "ubnd-a", "pc1", T0);
	assert_int_equal(escalate_plan(conf, &inc, &plan), 0);
	assert_int_equal(plan.nsteps, 1 + 3 * (1 + ESC_PLAN_REPEATS));
	assert_int_equal(plan.steps[plan.nsteps - 1].repeat, ESC_PLAN_REPEATS);
	assert_int_equal(plan.steps[plan.nsteps - 1].at_us, T0 + 10 * M + ESC_PLAN_REPEATS * H);
}

static char *
explain(struct escalate_incident inc)
{
	static char out[8192];
	FILE *fp = fmemopen(out, sizeof out, "w");

	assert_non_null(fp);
	assert_int_equal(escalate_explain(conf, &inc, fp), 0);
	assert_int_equal(fclose(fp), 0);
	return out;
}

static void
test_explain(void **state)
{
	char *out;

	out = explain(incident(0, CAT_ATTACK, SEV_HIGH, "ubnd", "pc1", T0));
	if (strstr(out, "Routes matched, in order: police, default.") == NULL ||
	    strstr(out, "+0s        10:00  route police       at once        police (police) by "
	    "email: police@x.example") == NULL ||
	    strstr(out, "+15m       10:15  route default      level 2        head (head) by "
	    "webhook: https://hook.example/h") == NULL ||
	    strstr(out, "+45m       10:45  route default      level 3        office (office) by "
	    "command: /usr/bin/logger -t vigil") == NULL ||
	    strstr(out, "Chain main stops after level 3.") == NULL ||
	    strstr(out, "severity high is not deferred") == NULL ||
	    strstr(out, "from 2026-01-05 10:00") == NULL)
		fail_msg("unexpected explanation:\n%s", out);

	out = explain(incident(0, CAT_AUTH, SEV_MEDIUM, "u", "h", EVENING + H));
	if (strstr(out, "severity medium waits for 07:00") == NULL ||
	    strstr(out, "+8h10m     07:00  route default      level 1        it (Cán bộ CNTT)") ==
	    NULL)
		fail_msg("unexpected explanation:\n%s", out);

	out = explain(incident(0, CAT_USB, SEV_HIGH, "ubnd-a", "pc1", T0));
	if (strstr(out, "level 2 again") == NULL ||
	    strstr(out, "Then level 2 of chain loop again every 1h, at most 2 times") == NULL)
		fail_msg("unexpected explanation:\n%s", out);

	out = explain(incident(0, CAT_UPDATE, SEV_LOW, "u", "h", T0));
	if (strstr(out, "No route matches: nobody would be notified.") == NULL)
		fail_msg("unexpected explanation:\n%s", out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_print_loads_back),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_route_reportable),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_hosts),
		cmocka_unit_test(test_match_rules),
		cmocka_unit_test(test_shipped_silence_route),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_late_timer),
		cmocka_unit_test(test_ack_before_deadline),
		cmocka_unit_test(test_ack_at_deadline),
		cmocka_unit_test(test_ack_after_deadline),
		cmocka_unit_test(test_ack_once),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_repeat_ack),
		cmocka_unit_test(test_repeat_route_override),
		cmocka_unit_test(test_quiet_defers_medium),
		cmocka_unit_test(test_quiet_ignores_high),
		cmocka_unit_test(test_quiet_edges),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_group_resets),
		cmocka_unit_test(test_group_more),
		cmocka_unit_test(test_notes_full),
		cmocka_unit_test(test_police),
		cmocka_unit_test(test_police_despite_ack),
		cmocka_unit_test(test_police_quiet),
		cmocka_unit_test(test_close_and_reopen),
		cmocka_unit_test(test_manual),
		cmocka_unit_test(test_manual_climb_goes_on),
		cmocka_unit_test(test_restart_round_trip),
		cmocka_unit_test(test_state_parse_errors),
		cmocka_unit_test(test_route_removed),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_allow_http),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
