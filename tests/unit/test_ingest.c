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

#include "vigil/err.h"
#include "../../agent/agent.h"
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

static int
setup(void **state)
{
	static const char rules[] =
	    "[rule local.only_fields]\n"
	    "description = A summary that is only a field\n"
	    "pattern = ^(?<msg>x*)y\n"
	    "category = system\nseverity = low\nsummary = {msg}\n"
	    "[rule local.failed_password]\n"
	    "description = A password was refused (anchored at the end, as shipped rules are)\n"
	    "program = sshd\n"
	    "pattern = ^Failed password for (?<user>\\S+) from (?<src_ip>\\S+) port \\d+ ssh2$\n"
	    "category = auth\nseverity = low\nsummary = Failed for {user}\n";
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
	rules_load_text(rs, "test.rules", rules, sizeof(rules) - 1, 1, rules_error, NULL);
	rules_finish(rs, rules_error, NULL);
	assert_non_null(f->m = matcher_new(rs));
	assert_non_null(f->ing = ingest_new(f->spool, f->m));
	*state = f;
	return 0;
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

/* Ingest one line of a log file (the syslog header read from it). */
static int
ingest_line(struct fixture *f, const char *line, size_t len, const char *program)
{
	struct ingest_input in;
	int n;

	memset(&in, 0, sizeof(in));
	in.source = "auth";
	in.line = line;
	in.len = len;
	in.program = program;
	in.time_us = 1764000000000000LL;
	assert_int_equal(spool_begin(f->spool), 0);
	n = ingest(f->ing, &in);
	assert_int_equal(spool_commit(f->spool), 0);
	return n;
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
	static const char msg[] = "Failed password for admin from 203.0.113.8 port 51023 ssh2\r";
	static const char two[] = "Failed password for x from 203.0.113.9 port 1 ssh2\r\r";
	struct fixture *f = *state;
	Vigil__V1__Event **evs;
	size_t n, k;
	int seen = 0;

	/* A file's line: the header is read from it. */
	assert_int_equal(ingest_line(f, file_line, sizeof(file_line) - 1, NULL), 1);
	/* A journal entry's MESSAGE, its identifier apart. */
	assert_int_equal(ingest_line(f, msg, sizeof(msg) - 1, "sshd"), 1);
	/* One CR only: a second is part of the message, and $ does not match. */
	assert_int_equal(ingest_line(f, two, sizeof(two) - 1, "sshd"), 0);
	assert_int_equal(spool_read(f->spool, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(evs[0]->rule, "local.failed_password");
	assert_string_equal(evs[0]->raw, "Nov 25 10:00:01 pc-ketoan sshd[4242]: Failed password "
	    "for root from 203.0.113.7 port 51022 ssh2");
	for (k = 0; k < evs[0]->n_fields; k++)
		if (strcmp(evs[0]->fields[k]->key, "src_ip") == 0) {
			assert_string_equal(evs[0]->fields[k]->value, "203.0.113.7");
			seen = 1;
		}
	assert_true(seen);
	assert_string_equal(evs[1]->summary, "Failed for admin");
	spool_events_free(evs, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trailing_cr, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
