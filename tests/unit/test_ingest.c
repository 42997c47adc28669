/*
 * ingest.c: observations through the matcher into a real spool, and what
 * ingest_append() makes valid for the wire on the way.
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

#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/wire.h"
#include "../../agent/matcher.h"
#include "../../agent/spool.h"
#include "../../agent/ingest.h"
#include "../../agent/rules.h"

struct fixture {
	char dir[64];
	char path[128];
	struct spool *spool;
	struct matcher *m;
	struct ingest *ing;
};

static void
rules_error(void *arg, const char *msg)
{
	fail_msg("rules: %s", msg);
}

/* A spool in a new directory and a matcher of rules, for one test. */
static int
setup_rules(void **state, const char *rules)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ruleset *rs;
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-ingest.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/spool.db", f->dir);
	if ((f->spool = spool_open(f->path, 0, err, sizeof(err))) == NULL)
		fail_msg("spool_open: %s", err);
	assert_non_null(rs = rules_new());
	rules_load_text(rs, "test.rules", rules, strlen(rules), 1, rules_error, NULL);
	rules_finish(rs, rules_error, NULL);
	assert_non_null(f->m = matcher_new(rs));
	assert_non_null(f->ing = ingest_new(f->spool, f->m));
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	static const char rules[] =
	    "[rule local.only_fields]\n"
	    "description = A summary that is only a field\n"
	    "pattern = ^(?<msg>x*)y\n"
	    "category = system\nseverity = low\nsummary = {msg}\n";

	return setup_rules(state, rules);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	ingest_free(f->ing);
	matcher_free(f->m);
	spool_free(f->spool);
	snprintf(p, sizeof(p), "rm -rf '%s'", f->dir);
	assert_int_equal(system(p), 0);
	free(f);
	return 0;
}

/*
 * A summary made only of a field the line left empty: the event is still
 * appended, saying which rule fired, not refused by wire validation and lost.
 */
static void
test_empty_summary(void **state)
{
	struct fixture *f = *state;
	struct ingest_input in;
	Vigil__V1__Event **evs;
	size_t n;

	memset(&in, 0, sizeof(in));
	in.source = "test";
	in.line = "y";
	in.len = 1;
	in.program = "prog";
	in.time_us = 1764000000000000LL;
	assert_int_equal(spool_begin(f->spool), 0);
	assert_int_equal(ingest(f->ing, &in), 1);
	assert_int_equal(spool_commit(f->spool), 0);
	assert_int_equal(ingest_rejected(f->ing), 0);
	assert_int_equal(spool_read(f->spool, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(evs[0]->summary, "local.only_fields");
	assert_string_equal(evs[0]->rule, "local.only_fields");
	spool_events_free(evs, n);
}


/* ---- a fixture with an SSH rule, for the way of a line into the spool ---- */

static int
setup_ssh(void **state)
{
	static const char rules[] =
	    "[rule ssh.failed]\n"
	    "description = d\n"
	    "program = sshd\n"
	    "pattern = ^Failed password for (?<user>\\S+) from (?<src_ip>\\S+)\n"
	    "category = auth\nseverity = low\nsummary = Failed password for {user} from {src_ip}\n";

	return setup_rules(state, rules);
}

/* What the spool holds now, in order; the caller frees it. */
static Vigil__V1__Event **
spooled(struct fixture *f, size_t *n)
{
	Vigil__V1__Event **evs;

	assert_int_equal(spool_read(f->spool, 0, 100, &evs, n), 0);
	return evs;
}

static const char *
field_of(const Vigil__V1__Event *ev, const char *key)
{
	for (size_t i = 0; i < ev->n_fields; i++)
		if (strcmp(ev->fields[i]->key, key) == 0)
			return ev->fields[i]->value;
	return NULL;
}

static int
one_line(struct fixture *f, const char *source, const char *line, const char *program,
    int64_t time_us)
{
	struct ingest_input in = { source, line, strlen(line), program, time_us };
	int rc;

	assert_int_equal(spool_begin(f->spool), 0);
	rc = ingest(f->ing, &in);
	assert_int_equal(spool_commit(f->spool), 0);
	return rc;
}

/* A log line: the program from its syslog header, the fields, the raw line, the time. */
static void
test_line_to_event(void **state)
{
	static const char line[] =
	    "Nov 25 10:00:01 pc-ketoan sshd[4242]: Failed password for root from 203.0.113.7 "
	    "port 51022 ssh2";
	struct fixture *f = *state;
	Vigil__V1__Event **evs;
	size_t n;

	assert_int_equal(one_line(f, "auth", line, NULL, 1764000000000000LL), 1);
	evs = spooled(f, &n);
	assert_int_equal(n, 1);
	assert_string_equal(evs[0]->rule, "ssh.failed");
	assert_string_equal(evs[0]->source, "auth");
	assert_int_equal(evs[0]->category, VIGIL__V1__CATEGORY__CATEGORY_AUTH);
	assert_int_equal(evs[0]->severity, VIGIL__V1__SEVERITY__SEVERITY_LOW);
	assert_string_equal(evs[0]->summary, "Failed password for root from 203.0.113.7");
	assert_string_equal(evs[0]->raw, line);
	assert_int_equal(evs[0]->time_us, 1764000000000000LL);
	assert_string_equal(field_of(evs[0], "user"), "root");
	assert_string_equal(field_of(evs[0], "src_ip"), "203.0.113.7");
	assert_int_equal(evs[0]->seq, 1);
	spool_events_free(evs, n);

	/* Another program's line, and a line that fires nothing: no event. */
	assert_int_equal(one_line(f, "auth", "Nov 25 10:00:02 pc CRON[1]: Failed password for "
	    "root from 1.2.3.4", NULL, 0), 0);
	assert_int_equal(one_line(f, "auth", "Nov 25 10:00:03 pc sshd[1]: Accepted password",
	    NULL, 0), 0);
	evs = spooled(f, &n);
	assert_int_equal(n, 1);
	spool_events_free(evs, n);
}

/* A journal entry comes with its identifier apart: the message is not parsed for one. */
static void
test_program_given(void **state)
{
	struct fixture *f = *state;
	Vigil__V1__Event **evs;
	size_t n;

	assert_int_equal(one_line(f, "journal", "Failed password for an from 192.0.2.4 port 22",
	    "sshd", 1764000000000000LL), 1);
	/* A header inside the message is text, not the program. */
	assert_int_equal(one_line(f, "journal", "Nov 25 10:00:01 h sshd[1]: Failed password for "
	    "x from 192.0.2.5", "cron", 0), 0);
	evs = spooled(f, &n);
	assert_int_equal(n, 1);
	assert_string_equal(field_of(evs[0], "user"), "an");
	assert_string_equal(evs[0]->raw, "Failed password for an from 192.0.2.4 port 22");
	spool_events_free(evs, n);
}

static int64_t
still(void *arg)
{
	return *(const int64_t *)arg;
}

/* A sensor's event: its strings made valid UTF-8 and cut at the wire's limits, stamped now. */
static void
test_sensor_event_made_valid(void **state)
{
	struct fixture *f = *state;
	struct ingest_event ev;
	Vigil__V1__Event **evs;
	char raw[WIRE_MAX_RAW + 100], summary[64], value[WIRE_MAX_FIELD_VALUE + 50];
	int64_t now = 1796342400000000LL;
	uint64_t seq = 0;
	size_t n, i;

	memset(raw, 'r', sizeof(raw));
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	snprintf(summary, sizeof(summary), "USB \xff\xfe device \xe1\xbb\x87");
	ingest_event_init(&ev, "usb", VIGIL__V1__CATEGORY__CATEGORY_USB,
	    VIGIL__V1__SEVERITY__SEVERITY_MEDIUM, "usb.inserted", summary);
	ev.raw = raw;
	ev.rawlen = sizeof(raw);
	ingest_field(&ev, "serial", "\xc0\xaf");
	ingest_field(&ev, "long", value);
	ingest_field(&ev, "none", NULL);
	/* Past INGEST_MAX_FIELDS, fields are left out, not an overflow. */
	for (i = 0; i < INGEST_MAX_FIELDS + 5; i++)
		ingest_field(&ev, "more", "x");
	assert_int_equal(ev.nfields, INGEST_MAX_FIELDS);
	clock_inject(still, &now);
	assert_int_equal(spool_begin(f->spool), 0);
	assert_int_equal(ingest_append(f->ing, &ev, &seq), 1);
	assert_int_equal(spool_commit(f->spool), 0);
	clock_inject(NULL, NULL);
	assert_int_equal(seq, 1);

	evs = spooled(f, &n);
	assert_int_equal(n, 1);
	assert_string_equal(evs[0]->summary, "USB \xef\xbf\xbd\xef\xbf\xbd device \xe1\xbb\x87");
	assert_int_equal(evs[0]->time_us, now);
	assert_int_equal(strlen(evs[0]->raw), WIRE_MAX_RAW);
	assert_string_equal(field_of(evs[0], "serial"), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(strlen(field_of(evs[0], "long")), WIRE_MAX_FIELD_VALUE);
	assert_string_equal(field_of(evs[0], "none"), "");
	assert_int_equal(evs[0]->n_fields, INGEST_MAX_FIELDS);
	spool_events_free(evs, n);
	assert_int_equal(ingest_rejected(f->ing), 0);
}

/* An event the wire would refuse is counted and skipped, not an error of the spool. */
static void
test_invalid_event_rejected(void **state)
{
	struct fixture *f = *state;
	struct ingest_event ev;
	Vigil__V1__Event **evs;
	size_t n;

	ingest_event_init(&ev, "usb", 999, VIGIL__V1__SEVERITY__SEVERITY_LOW, "x.y", "s");
	assert_int_equal(spool_begin(f->spool), 0);
	assert_int_equal(ingest_append(f->ing, &ev, NULL), 0);
	ingest_event_init(&ev, "usb", VIGIL__V1__CATEGORY__CATEGORY_USB, 0, "x.y", "s");
	assert_int_equal(ingest_append(f->ing, &ev, NULL), 0);
	/* No summary and no rule to say instead. */
	ingest_event_init(&ev, "usb", VIGIL__V1__CATEGORY__CATEGORY_USB,
	    VIGIL__V1__SEVERITY__SEVERITY_LOW, NULL, NULL);
	assert_int_equal(ingest_append(f->ing, &ev, NULL), 0);
	assert_int_equal(spool_commit(f->spool), 0);
	assert_int_equal(ingest_rejected(f->ing), 3);
	evs = spooled(f, &n);
	assert_int_equal(n, 0);
	spool_events_free(evs, n);
}

/* An SSH rule anchored at the end of the line, as the shipped rules are. */
static int
setup_anchored(void **state)
{
	static const char rules[] =
	    "[rule local.failed_password]\n"
	    "description = A password was refused\n"
	    "program = sshd\n"
	    "pattern = ^Failed password for (?<user>\\S+) from (?<src_ip>\\S+) port \\d+ ssh2$\n"
	    "category = auth\nseverity = low\nsummary = Failed for {user}\n";

	return setup_rules(state, rules);
}

/*
 * A line ending in CR (a CRLF copy of auth.log, syslog relayed from Windows)
 * is the same line: one CR is dropped before the rules, so a pattern
 * anchored with $ matches, and the raw text kept is the line without it.
 * Before this, 1 of 519 failed passwords of a CRLF sshd log matched.
 */
static void
test_trailing_cr(void **state)
{
	static const char file_line[] = "Nov 25 10:00:01 pc-ketoan sshd[4242]: Failed password "
	    "for root from 203.0.113.7 port 51022 ssh2\r";
	struct fixture *f = *state;
	Vigil__V1__Event **evs;
	size_t n;

	/* A file's line: the header is read from it. */
	assert_int_equal(one_line(f, "auth", file_line, NULL, 1764000000000000LL), 1);
	/* A journal entry's MESSAGE, its identifier apart. */
	assert_int_equal(one_line(f, "auth", "Failed password for admin from 203.0.113.8 port "
	    "51023 ssh2\r", "sshd", 1764000000000000LL), 1);
	/* One CR only: a second is part of the message, and $ does not match. */
	assert_int_equal(one_line(f, "auth", "Failed password for x from 203.0.113.9 port 1 "
	    "ssh2\r\r", "sshd", 1764000000000000LL), 0);
	evs = spooled(f, &n);
	assert_int_equal(n, 2);
	assert_string_equal(evs[0]->rule, "local.failed_password");
	assert_string_equal(evs[0]->raw, "Nov 25 10:00:01 pc-ketoan sshd[4242]: Failed password "
	    "for root from 203.0.113.7 port 51022 ssh2");
	assert_string_equal(field_of(evs[0], "src_ip"), "203.0.113.7");
	assert_string_equal(evs[1]->summary, "Failed for admin");
	spool_events_free(evs, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_to_event, setup_ssh, teardown),
		cmocka_unit_test_setup_teardown(test_program_given, setup_ssh, teardown),
		cmocka_unit_test_setup_teardown(test_sensor_event_made_valid, setup_ssh, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_event_rejected, setup_ssh, teardown),
		cmocka_unit_test_setup_teardown(test_trailing_cr, setup_anchored, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
