/* The agent's configuration table: values, defaults, and errors at their line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/err.h"
#include "../../agent/conf.h"

struct fixture {
	char dir[64];
	char path[128];
	struct agent_conf *conf;
	char err[1024];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-agentconf.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/agent.conf", f->dir);
	assert_non_null(f->conf = malloc(sizeof(*f->conf)));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f->conf);
	free(f);
	return 0;
}

static int
load(struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	f->err[0] = '\0';
	return agent_conf_load(f->path, f->conf, f->err, sizeof(f->err));
}

/* The load fails and the message starts with "file:line: " and names `what`. */
static void
expect_error(struct fixture *f, const char *text, int line, const char *what)
{
	char prefix[256];

	assert_int_equal(load(f, text), VIGIL_ERR_CONFIG);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", f->path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", f->path);
	if (strncmp(f->err, prefix, strlen(prefix)) != 0)
		fail_msg("expected an error starting \"%s\", got \"%s\"", prefix, f->err);
	if (strstr(f->err, what) == NULL)
		fail_msg("expected \"%s\" in the error \"%s\"", what, f->err);
}

#define COLLECTOR \
	"[collector]\n" \
	"address = 127.0.0.1\n" \
	"ca = /etc/vigil/ca.crt\n" \
	"cert = /etc/vigil/agent.crt\n" \
	"key = /etc/vigil/agent.key\n"

static void
test_good_file(void **state)
{
	struct fixture *f = *state;
	const struct agent_conf *c = f->conf;

	assert_int_equal(load(f,
	    "# a comment\n"
	    "[agent]\n"
	    "state_dir = /var/tmp/agent\n"
	    "unit = ubnd-phuong\n"
	    "spool_max = 64M\n"
	    "max_line = 4k\n"
	    "\n"
	    "[collector]\n"
	    "address = vigil.ubnd.local\n"
	    "port = 9443\n"
	    "server_name = collector.ubnd.local\n"
	    "ca = /etc/vigil/pki/ca.crt\n"
	    "cert = /etc/vigil/pki/agent.crt\n"
	    "key = /etc/vigil/pki/agent.key\n"
	    "groups = X25519\n"
	    "batch_max = 1000\n"
	    "window = 64\n"
	    "reconnect_min = 250ms\n"
	    "reconnect_max = 2m\n"
	    "reconnect_spread = 0\n"
	    "connect_timeout = 5s\n"
	    "max_frame = 512k\n"
	    "\n"
	    "[source auth]\n"
	    "path = /var/log/auth.log\n"
	    "[source sys.log-2]\n"
	    "path = /var/log/syslog\n"), 0);
	assert_string_equal(c->agent.state_dir, "/var/tmp/agent");
	assert_string_equal(c->agent.unit, "ubnd-phuong");
	assert_int_equal(c->agent.spool_max, 64LL * 1024 * 1024);
	assert_int_equal(c->agent.max_line, 4096);
	assert_string_equal(c->collector.address, "vigil.ubnd.local");
	assert_int_equal(c->collector.port, 9443);
	assert_string_equal(c->collector.server_name, "collector.ubnd.local");
	assert_string_equal(c->collector.ca, "/etc/vigil/pki/ca.crt");
	assert_string_equal(c->collector.cert, "/etc/vigil/pki/agent.crt");
	assert_string_equal(c->collector.key, "/etc/vigil/pki/agent.key");
	assert_string_equal(c->collector.groups, "X25519");
	assert_int_equal(c->collector.batch_max, 1000);
	assert_int_equal(c->collector.window, 64);
	assert_int_equal(c->collector.reconnect_min, 250);
	assert_int_equal(c->collector.reconnect_max, 120000);
	assert_int_equal(c->collector.reconnect_spread, 0);
	assert_int_equal(c->collector.connect_timeout, 5000);
	assert_int_equal(c->collector.max_frame, 512 * 1024);
	assert_int_equal(c->nsources, 2);
	assert_string_equal(c->sources[0].name, "auth");
	assert_string_equal(c->sources[0].path, "/var/log/auth.log");
	assert_string_equal(c->sources[1].name, "sys.log-2");
	assert_string_equal(c->sources[1].path, "/var/log/syslog");
}

/* What the integration tests write: everything else takes its default. */
static void
test_defaults(void **state)
{
	struct fixture *f = *state;
	const struct agent_conf *c = f->conf;

	assert_int_equal(load(f, COLLECTOR "[source log1]\npath = /tmp/a.log\n"), 0);
	assert_string_equal(c->agent.state_dir, "/var/lib/vigil-agent");
	assert_string_equal(c->agent.unit, "");
	assert_int_equal(c->agent.spool_max, 256LL * 1024 * 1024);
	assert_int_equal(c->agent.max_line, 16 * 1024);
	assert_int_equal(c->collector.port, 7443);
	assert_string_equal(c->collector.server_name, "");
	assert_string_equal(c->collector.groups, "X25519MLKEM768:X25519:P-256");
	assert_int_equal(c->collector.batch_max, 500);
	assert_int_equal(c->collector.window, 4);
	assert_int_equal(c->collector.reconnect_min, 1000);
	assert_int_equal(c->collector.reconnect_max, 60000);
	assert_int_equal(c->collector.reconnect_spread, 30000);
	assert_int_equal(c->collector.connect_timeout, 10000);
	assert_int_equal(c->collector.max_frame, 1024 * 1024);
	assert_int_equal(c->nsources, 1);
}

/* The shipped example loads (make test runs from the top of the tree). */
static void
test_example(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(agent_conf_load("deploy/agent.conf.example", f->conf, f->err,
	    sizeof(f->err)), 0);
	/* Debian 12 has no auth.log: the example reads the whole system journal. */
	assert_int_equal(f->conf->nsources, 0);
	assert_int_equal(f->conf->njournals, 1);
	assert_string_equal(f->conf->journals[0].name, "system");
	assert_string_equal(f->conf->journals[0].directory, "");
	assert_string_equal(f->conf->journals[0].identifiers, "");
	assert_int_equal(f->conf->collector.port, 7443);
}

static void
test_unknown_key(void **state)
{
	expect_error(*state, COLLECTOR "colour = blue\n[source a]\npath = /tmp/a\n", 6,
	    "colour");
}

static void
test_bad_port(void **state)
{
	expect_error(*state, "[agent]\nunit = u\n\n" COLLECTOR "port = 70000\n"
	    "[source a]\npath = /tmp/a\n", 9, "port");
	expect_error(*state, COLLECTOR "port = https\n[source a]\npath = /tmp/a\n", 6, "port");
}

static void
test_batch_and_window_ranges(void **state)
{
	expect_error(*state, COLLECTOR "batch_max = 1001\n[source a]\npath = /tmp/a\n", 6,
	    "batch_max");
	expect_error(*state, COLLECTOR "window = 0\n[source a]\npath = /tmp/a\n", 6, "window");
	expect_error(*state, COLLECTOR "window = 65\n[source a]\npath = /tmp/a\n", 6, "window");
}

static void
test_source_without_path(void **state)
{
	expect_error(*state, COLLECTOR "[source a]\npath = /tmp/a\n\n[source b]\n# no path\n"
	    "[source c]\npath = /tmp/c\n", 9, "path");
}

static void
test_no_sources(void **state)
{
	expect_error(*state, "[agent]\nunit = u\n" COLLECTOR, 0, "source");
}

static void
test_reconnect_order(void **state)
{
	expect_error(*state, COLLECTOR "reconnect_min = 2m\nreconnect_max = 1m\n"
	    "[source a]\npath = /tmp/a\n", 6, "reconnect_min");
	/* Equal bounds are fine: a fixed delay, still jittered. */
	assert_int_equal(load(*state, COLLECTOR "reconnect_min = 5s\nreconnect_max = 5s\n"
	    "[source a]\npath = /tmp/a\n"), 0);
}

static void
test_same_path_twice(void **state)
{
	expect_error(*state, COLLECTOR "[source a]\npath = /tmp/a\n[source b]\n"
	    "path = /tmp/a\n", 9, "/tmp/a");
}

static void
test_relative_path(void **state)
{
	expect_error(*state, COLLECTOR "[source a]\npath = auth.log\n", 7, "path");
}

static void
test_missing_collector_key(void **state)
{
	expect_error(*state, "[collector]\naddress = 127.0.0.1\nca = /a\ncert = /b\n"
	    "[source a]\npath = /tmp/a\n", 1, "key");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_example, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_port, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_and_window_ranges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_source_without_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_sources, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reconnect_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_path_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_collector_key, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
