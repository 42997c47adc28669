/*
 * The noise budget per role (collector/escalate_conf.c): a [role LABEL]
 * section gives max_per_hour, urgent_min_severity and digest_every to the
 * contacts with role = LABEL; a key the contact writes itself wins; a contact
 * without a role keeps the built-in defaults; bad values and unknown roles
 * are file:line errors.
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

#define SEV_INFO VIGIL__V1__SEVERITY__SEVERITY_INFO
#define SEV_MEDIUM VIGIL__V1__SEVERITY__SEVERITY_MEDIUM
#define SEV_HIGH VIGIL__V1__SEVERITY__SEVERITY_HIGH
#define HOUR_MS (3600 * 1000LL)

static char dir[64], path[128];

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
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/vigil-role.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/escalation.conf", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static const struct escalate_contact *
contact(const struct escalate_conf *c, const char *label)
{
	for (size_t i = 0; i < c->ncontacts; i++)
		if (strcmp(c->contacts[i].label, label) == 0)
			return &c->contacts[i];
	fail_msg("no contact %s", label);
	return NULL;
}

static const char conf_text[] =
    "[contact police-1]\nemail = p1@x.example\nrole = police\n\n"
    "[contact police-2]\nemail = p2@x.example\nrole = police\nmax_per_hour = 2\n\n"
    "[contact police-3]\nemail = p3@x.example\nrole = police\nurgent_min_severity = medium\n"
    "digest_every = 2h\nmax_per_hour = 0\n\n"
    "[contact it]\nemail = it@x.example\n\n"
    "[role police]\nmax_per_hour = 4\nurgent_min_severity = high\ndigest_every = 24h\n"
    "digest_min_age = 24h\n\n"
    "[route r]\nnotify_now = police-1 police-2 police-3 it\n";

/* The role's keys where the contact writes none; the contact's own win; no role: defaults. */
static void
test_inherit(void **state)
{
	struct escalate_conf *c = escalate_conf_new();
	const struct escalate_contact *p;
	char err[512];

	(void)state;
	write_conf(conf_text);
	if (escalate_conf_load(c, path, err, sizeof err) != 0)
		fail_msg("%s", err);
	p = contact(c, "police-1");
	assert_int_equal(p->max_per_hour, 4);
	assert_int_equal(p->urgent_severity, SEV_HIGH);
	assert_string_equal(p->urgent_min_severity, "high");
	assert_int_equal(p->digest_every, 24 * HOUR_MS);
	assert_int_equal(p->digest_min_age, 24 * HOUR_MS);
	p = contact(c, "police-2");
	assert_int_equal(p->max_per_hour, 2);
	assert_int_equal(p->urgent_severity, SEV_HIGH);
	assert_int_equal(p->digest_every, 24 * HOUR_MS);
	/* 0 written by the contact is its own "no limit", not "unset". */
	p = contact(c, "police-3");
	assert_int_equal(p->max_per_hour, 0);
	assert_int_equal(p->urgent_severity, SEV_MEDIUM);
	assert_int_equal(p->digest_every, 2 * HOUR_MS);
	p = contact(c, "it");
	assert_int_equal(p->max_per_hour, 12);
	assert_int_equal(p->urgent_severity, SEV_INFO);
	assert_int_equal(p->digest_every, HOUR_MS);
	assert_int_equal(p->digest_min_age, 0);
	escalate_conf_free(c);
}

/* The pure rule, without a file. */
static void
test_inherit_pure(void **state)
{
	struct escalate_contact p;
	struct escalate_role r;

	(void)state;
	memset(&p, 0, sizeof p);
	memset(&r, 0, sizeof r);
	p.max_per_hour = 12;
	p.digest_every = HOUR_MS;
	snprintf(p.urgent_min_severity, sizeof p.urgent_min_severity, "info");
	p.urgent_severity = SEV_INFO;
	r.max_per_hour = 3;
	r.digest_every = 4 * HOUR_MS;
	snprintf(r.urgent_min_severity, sizeof r.urgent_min_severity, "high");
	r.urgent_severity = SEV_HIGH;
	escalate_budget_inherit(&p, &r, ESC_BUDGET_DIGEST_EVERY);
	assert_int_equal(p.max_per_hour, 3);
	assert_int_equal(p.urgent_severity, SEV_HIGH);
	assert_int_equal(p.digest_every, HOUR_MS);
	escalate_budget_inherit(&p, NULL, 0);
	assert_int_equal(p.max_per_hour, 3);
}

static void
expect_error(const char *text, int line, const char *what)
{
	struct escalate_conf *c = escalate_conf_new();
	char err[512], prefix[160];

	write_conf(text);
	assert_int_equal(escalate_conf_load(c, path, err, sizeof err), VIGIL_ERR_CONFIG);
	snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, what) == NULL)
		fail_msg("expected \"%s...%s...\", got \"%s\"", prefix, what, err);
	escalate_conf_free(c);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("[contact it]\nemail = it@x.example\nrole = nobody\n", 3,
	    "role 'nobody' is not defined");
	expect_error("[role police]\n\nurgent_min_severity = loud\n", 3, "'loud' is not a severity");
	expect_error("[role police]\nmax_per_hour = -1\n", 2, "max_per_hour");
	expect_error("[role police]\nmax_per_hour = 1001\n", 2, "max_per_hour");
	expect_error("[role police]\ndigest_every = 1ms\n", 2, "digest_every");
	expect_error("[role police]\ncolour = blue\n", 2, "colour");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inherit),
		cmocka_unit_test(test_inherit_pure),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
