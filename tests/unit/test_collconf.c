/* collector/conf.c: the collector's config table, its errors as file:line, and -nv. */
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

#include "../../collector/conf.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-collconf.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/collector.conf", dir);
	return 0;
}

static int
teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static void
write_conf(const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Loading `text` fails, and the message starts with exactly "PATH:LINE: " and contains `what`. */
static void
expect_error(const char *text, int line, const char *what)
{
	struct conf c;
	char err[512], prefix[160];

	write_conf(text);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), VIGIL_ERR_CONFIG);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, what) == NULL)
		fail_msg("expected \"%s...%s...\", got \"%s\"", prefix, what, err);
}

static void
test_example(void **state)
{
	struct conf c;
	char err[512];

	assert_int_equal(conf_load("deploy/collector.conf.example", &c, err, sizeof(err)), 0);
	assert_string_equal(c.collector.listen, "0.0.0.0");
	assert_int_equal(c.collector.port, 7443);
	assert_string_equal(c.collector.ca, "/etc/vigil/pki/ca.crt");
	assert_string_equal(c.collector.cert, "/etc/vigil/pki/collector.crt");
	assert_string_equal(c.collector.key, "/etc/vigil/pki/collector.key");
	assert_string_equal(c.collector.groups, "X25519MLKEM768:X25519:P-256");
	assert_string_equal(c.collector.database, "/var/lib/vigil/vigil.db");
	assert_string_equal(c.collector.control_socket, "/run/vigil/control.sock");
	assert_string_equal(c.collector.control_group, "vigil");
	assert_string_equal(c.collector.user, "vigil");
	assert_int_equal(c.collector.max_connections, 1000);
	assert_int_equal(c.collector.handshake_timeout, 10000);
	assert_int_equal(c.collector.idle_timeout, 90000);
	assert_int_equal(c.collector.heartbeat, 30000);
	assert_int_equal(c.collector.max_frame, 1024 * 1024);
	assert_int_equal(c.collector.max_pending, 4 * 1024 * 1024);
	assert_int_equal(c.collector.max_pending_total, 16 * 1024 * 1024);
}

/* Only the section header: every key at its default, the optional ones empty. */
static void
test_defaults(void **state)
{
	struct conf c;
	char err[512];

	write_conf("[collector]\n");
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.collector.listen, "0.0.0.0");
	assert_int_equal(c.collector.port, 7443);
	assert_string_equal(c.collector.control_socket, "/run/vigil/control.sock");
	assert_string_equal(c.collector.control_group, "");
	assert_string_equal(c.collector.user, "");
	assert_int_equal(c.collector.idle_timeout, 90000);
	assert_int_equal(c.collector.max_frame, 1024 * 1024);
	assert_int_equal(c.collector.max_pending_total, 16 * 1024 * 1024);
}

/* What the tests use: port 0 (any free port), paths under /tmp, short timers. */
static void
test_test_values(void **state)
{
	struct conf c;
	char err[512];

	write_conf("[collector]\nlisten = 127.0.0.1\nport = 0\ndatabase = /tmp/x/vigil.db\n"
	    "control_socket = /tmp/x/control.sock\nhandshake_timeout = 500ms\n"
	    "idle_timeout = 3s\nheartbeat = 1s\nmax_frame = 64k\nmax_pending = 128k\n"
	    "max_pending_total = 2M\n");
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.collector.port, 0);
	assert_int_equal(c.collector.handshake_timeout, 500);
	assert_int_equal(c.collector.idle_timeout, 3000);
	assert_int_equal(c.collector.heartbeat, 1000);
	assert_int_equal(c.collector.max_frame, 65536);
	assert_int_equal(c.collector.max_pending, 131072);
	assert_int_equal(c.collector.max_pending_total, 2 * 1024 * 1024);
}

static void
test_errors(void **state)
{
	expect_error("[collector]\nport = 65536\n", 2, "port");
	expect_error("[collector]\nport = -1\n", 2, "port");
	expect_error("[collector]\n\nport = http\n", 3, "port");
	expect_error("[collector]\n# comment\nlisten = 127.0.0.1\nbogus = 1\n", 4, "bogus");
	expect_error("[collector]\ndatabase = vigil.db\n", 2, "database");
	expect_error("[collector]\nca = pki/ca.crt\n", 2, "ca");
	/* sun_path holds 108 bytes: a longer socket path is refused at its line. */
	expect_error("[collector]\ncontrol_socket = /tmp/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "/control.sock\n", 2, "control_socket");
	expect_error("[collector]\nmax_connections = 0\n", 2, "max_connections");
	expect_error("[collector]\nmax_connections = 100001\n", 2, "max_connections");
	expect_error("[collector]\nhandshake_timeout = 50ms\n", 2, "handshake_timeout");
	expect_error("[collector]\nidle_timeout = soon\n", 2, "idle_timeout");
	expect_error("[collector]\nheartbeat = 2h\n", 2, "heartbeat");
	expect_error("[collector]\nmax_frame = 1X\n", 2, "max_frame");
	expect_error("[collector]\nmax_frame = 1k\n", 2, "max_frame");
	expect_error("[collector]\nmax_pending = 2G\n", 2, "max_pending");
	expect_error("[collector]\nmax_pending_total = 512k\n", 2, "max_pending_total");
	expect_error("[collector]\nmax_pending_total = 65G\n", 2, "max_pending_total");
	expect_error("[collector]\nport = 1\nport = 2\n", 3, "port");
	expect_error("[collector]\nport\n", 2, "");
	expect_error("[collector]\n[colector]\n", 2, "colector");
	expect_error("port = 1\n", 1, "port");
	/* No single line to blame: the file, then the two keys. */
	expect_error("", 0, "collector");
	expect_error("[collector]\nidle_timeout = 30s\nheartbeat = 30s\n", 0,
	    "idle_timeout (30s) must be longer than heartbeat (30s)");
	expect_error("[collector]\nidle_timeout = 1500ms\n", 0,
	    "idle_timeout (1500ms) must be longer than heartbeat (30s)");
	expect_error("[collector]\nlisten =\n", 0, "listen must not be empty");
}

static void
test_missing_file(void **state)
{
	struct conf c;
	char err[512];

	assert_int_equal(conf_load("/nonexistent/collector.conf", &c, err, sizeof(err)),
	    VIGIL_ERR_SYS);
	assert_non_null(strstr(err, "/nonexistent/collector.conf"));
}

static char *
slurp(FILE *fp, size_t *len)
{
	char *buf;
	long n;

	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* -nv prints the golden file for the shipped example, and what it prints loads back the same. */
static void
test_print(void **state)
{
	struct conf c, back;
	char err[512], *got, *want;
	size_t glen, wlen;
	FILE *fp, *gf;

	memset(&c, 0, sizeof(c));
	assert_int_equal(conf_load("deploy/collector.conf.example", &c, err, sizeof(err)), 0);
	fp = fopen(path, "w+");
	assert_non_null(fp);
	conf_print(fp, &c);
	fflush(fp);
	got = slurp(fp, &glen);
	fclose(fp);
	gf = fopen("tests/data/golden/collector-nv.conf", "r");
	assert_non_null(gf);
	want = slurp(gf, &wlen);
	fclose(gf);
	assert_string_equal(got, want);
	free(got);
	free(want);

	memset(&back, 0, sizeof(back));
	assert_int_equal(conf_load(path, &back, err, sizeof(err)), 0);
	assert_memory_equal(&c, &back, sizeof(c));
}

/* ---- posture and compliance ---- */

/* Collects the warnings of conf_load_warn(). */
struct warnings {
	char text[4][512];
	size_t n;
};

static void
collect_warning(void *arg, const char *msg)
{
	struct warnings *w = arg;

	if (w->n < 4)
		snprintf(w->text[w->n], sizeof(w->text[0]), "%s", msg);
	w->n++;
}

/* The compliance keys: defaults, durations, ranges. */
static void
test_compliance_keys(void **state)
{
	struct conf c;
	char err[512];

	conf_defaults(&c);
	assert_int_equal(c.collector.compliance_offline_after, 7 * 86400 * 1000LL);
	assert_int_equal(c.collector.compliance_signature_max_age, 3 * 86400 * 1000LL);
	assert_int_equal(c.collector.compliance_security_grace, 7 * 86400 * 1000LL);
	write_conf("[collector]\nheartbeat = 2s\ncompliance_offline_after = 14d\n"
	    "compliance_signature_max_age = 12h\ncompliance_security_grace = 0s\n");
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.collector.compliance_offline_after, 14 * 86400 * 1000LL);
	assert_int_equal(c.collector.compliance_signature_max_age, 12 * 3600 * 1000LL);
	assert_int_equal(c.collector.compliance_security_grace, 0);
	expect_error("[collector]\ncompliance_signature_max_age = 30m\n", 2,
	    "compliance_signature_max_age");
	expect_error("[collector]\n\ncompliance_security_grace = 400d\n", 3,
	    "compliance_security_grace");
	expect_error("[collector]\ncompliance_offline_after = soon\n", 2,
	    "compliance_offline_after");
	expect_error("[collector]\ncompliance_offline_after = 400d\n", 2,
	    "'compliance_offline_after' must be between 1s and 365d");
}

/*
 * compliance_silent_after is retired, not removed: a file that still sets it
 * loads (any value, even one shorter than a heartbeat, as it used to refuse),
 * with a warning at its line saying what to use instead; -nv no longer
 * prints it.
 */
static void
test_retired_silent_after(void **state)
{
	struct warnings w;
	struct conf c;
	char err[512], *out = NULL;
	size_t len = 0;
	FILE *fp;

	memset(&w, 0, sizeof(w));
	write_conf("[collector]\nheartbeat = 30s\ncompliance_silent_after = 10s\n");
	assert_int_equal(conf_load_warn(path, &c, err, sizeof(err), collect_warning, &w), 0);
	assert_int_equal(w.n, 1);
	if (strncmp(w.text[0], path, strlen(path)) != 0 ||
	    strncmp(w.text[0] + strlen(path), ":3: warning: 'compliance_silent_after' is no longer "
	    "used", 54) != 0 || strstr(w.text[0], "compliance_offline_after") == NULL)
		fail_msg("warning: %s", w.text[0]);
	/* Any value: it is not read. Without a callback the warning is dropped. */
	write_conf("[collector]\ncompliance_silent_after = whenever\n");
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	/* Still one key: twice is an error like any other. */
	expect_error("[collector]\ncompliance_silent_after = 90s\ncompliance_silent_after = 1m\n",
	    3, "duplicate key 'compliance_silent_after'");
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	conf_print(fp, &c);
	fclose(fp);
	assert_null(strstr(out, "compliance_silent_after"));
	assert_non_null(strstr(out, "compliance_offline_after = 7d"));
	free(out);
}

/* ---- incidents, audit, escalation ---- */

/* Roles, re-open, correlation, escalation keys and the [notify] section. */
static void
test_incident_keys(void **state)
{
	struct conf c;
	char err[512];

	conf_defaults(&c);
	assert_string_equal(c.collector.operators_group, "vigil-operators");
	assert_string_equal(c.collector.viewers_group, "vigil-viewers");
	assert_int_equal(c.collector.reopen_window, 24 * 3600 * 1000LL);
	assert_int_equal(c.collector.correlate_window, 600 * 1000LL);
	assert_int_equal(c.collector.correlate_hosts, 3);
	assert_string_equal(c.collector.escalation, "");
	assert_int_equal(c.notify.smtp_starttls, 1);
	assert_int_equal(c.notify.tls_verify, 1);
	assert_int_equal(c.notify.allow_http, 0);
	assert_int_equal(c.notify.max_attempts, 6);
	assert_int_equal(c.notify.retry_base, 30 * 1000LL);
	write_conf("[collector]\noperators_group = ops\nviewers_group = view\nreopen_window = 0\n"
	    "correlate_window = 90s\ncorrelate_hosts = 5\nescalation = /etc/vigil/esc.conf\n"
	    "[notify]\nsmtp_url = smtps://mail.example:465\nsmtp_starttls = no\n"
	    "smtp_from = vigil@example.org\nretry_base = 1s\nretry_factor = 2\n"
	    "max_attempts = 3\nutc_offset = -300\n");
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.collector.operators_group, "ops");
	assert_int_equal(c.collector.reopen_window, 0);
	assert_int_equal(c.collector.correlate_hosts, 5);
	assert_string_equal(c.collector.escalation, "/etc/vigil/esc.conf");
	assert_string_equal(c.notify.smtp_url, "smtps://mail.example:465");
	assert_int_equal(c.notify.smtp_starttls, 0);
	assert_int_equal(c.notify.retry_factor, 2);
	assert_int_equal(c.notify.utc_offset, -300);
	/* deprecated (the zone is [collector] timezone): unset unless the file says it */
	write_conf("[collector]\n[notify]\nmax_attempts = 3\n");
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.notify.utc_offset, CONF_UTC_OFFSET_UNSET);
	expect_error("[collector]\ncorrelate_hosts = 1\n", 2, "correlate_hosts");
	expect_error("[collector]\nescalation = esc.conf\n", 2, "escalation");
	expect_error("[notify]\nmax_attempts = 0\n", 2, "max_attempts");
	expect_error("[notify]\n\nsmtp_port = 25\n", 3, "smtp_port");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compliance_keys),
		cmocka_unit_test(test_retired_silent_after),
		cmocka_unit_test(test_incident_keys),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
