/*
 * The notifiers against real receivers on 127.0.0.1, driven by
 * tests/integration/t12_notify.sh, which starts them and says where they are
 * in environment variables. Each test is skipped when its variables are
 * unset, so `make unit` passes this file through quickly.
 *
 *   VIGIL_SMTP_PORT, VIGIL_SMTP_CA          STARTTLS server (requires TLS, then AUTH)
 *   VIGIL_SMTP_USER, VIGIL_SMTP_PASSWORD
 *   VIGIL_SMTPS_PORT                        implicit-TLS server (same CA and login)
 *   VIGIL_WEBHOOK_URL, VIGIL_WEBHOOK_CA     HTTPS receiver
 *   VIGIL_WRONG_CA                          a CA that did not sign the receiver
 *   VIGIL_FLAKY_URL                         answers 500 twice, then 200
 *   VIGIL_DOWN_URL                          nothing listens
 *   VIGIL_LATE_URL                          nothing listens until the script sees
 *                                           "late: attempt 1 failed" on stdout
 *   VIGIL_EXEC_OUT, VIGIL_RECEIVERS         exec_sink.sh writes stdin to the file
 *
 * Every attempt is printed, one line each, for the script's log.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"

#include "../../collector/notify.h"

#define MAX_SEEN 16

static const char *const evidence[] = {
    "Nov 25 17:00:01 pc-ketoan sshd[812]: Failed password for root from 203.0.113.9 port 51234 "
    "ssh2",
    "Nov 25 17:00:02 pc-ketoan sshd[812]: Failed password for admin from 203.0.113.9 port 51240 "
    "ssh2",
};

static const struct notification note = {
    .incident = 42,
    .title = "Dò mật khẩu SSH",
    .category = VIGIL__V1__CATEGORY__CATEGORY_ATTACK,
    .severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH,
    .status = "new",
    .unit = "UBND phường X",
    .host = "pc-ketoan",
    .first_us = 1795600803000000LL,
    .last_us = 1795600898000000LL,
    .events = 17,
    .evidence = evidence,
    .nevidence = 2,
    .level = 1,
    .contact = "Cán bộ CNTT",
};

struct seen {
	struct event_base *base;
	const char *name;
	size_t n;
	struct notify_attempt a[MAX_SEEN];
	char error[MAX_SEEN][NOTIFY_ERROR_MAX];
	int final;
};

static void
on_attempt(const struct notify_attempt *a, void *arg)
{
	struct seen *s = arg;

	printf("%s: attempt %d %s%s%s (code %ld, %lld ms)%s\n", s->name, a->attempt,
	       a->ok ? "succeeded" : "failed", a->ok ? "" : ": ", a->error, a->code,
	       (long long)(a->finished_us - a->started_us) / 1000, a->final ? ", final" : "");
	fflush(stdout);
	assert_true(s->n < MAX_SEEN);
	s->a[s->n] = *a;
	snprintf(s->error[s->n], sizeof(s->error[s->n]), "%s", a->error);
	s->a[s->n].error = s->error[s->n];
	s->a[s->n].target = NULL;
	s->n++;
	if (a->final) {
		s->final = 1;
		event_base_loopbreak(s->base);
	}
}

static void
give_up(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static void
conf_init(struct notify_conf *c)
{
	notify_conf_defaults(c);
	c->max_attempts = 3;
	c->retry_base_ms = 100;
	c->retry_factor = 2;
	c->timeout_ms = 10000;
	c->exec_timeout_ms = 10000;
}

/* Send one message with conf c and run the loop until its final attempt (60 s at most). */
static void
deliver(struct seen *s, const char *name, const struct notify_conf *c,
        const struct notify_request *r)
{
	struct timeval tv = {60, 0};
	struct event *guard;
	struct notify *n;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->base = event_base_new();
	assert_non_null(s->base);
	n = notify_new(s->base, c, on_attempt, s);
	assert_non_null(n);
	assert_int_equal(notify_send(n, r, NULL), 0);
	guard = evtimer_new(s->base, give_up, s->base);
	evtimer_add(guard, &tv);
	event_base_dispatch(s->base);
	event_free(guard);
	assert_true(s->final);
	assert_int_equal(notify_pending(n), 0);
	notify_free(n);
	event_base_free(s->base);
}

static void
smtp_common(struct notify_conf *c, const char *port, int implicit)
{
	conf_init(c);
	snprintf(c->smtp_url, sizeof(c->smtp_url), "%s://127.0.0.1:%s", implicit ? "smtps" : "smtp",
	         port);
	snprintf(c->smtp_from, sizeof(c->smtp_from), "vigil@ubnd-phuong-x.example");
	snprintf(c->smtp_from_name, sizeof(c->smtp_from_name), "Vigil UBND phường X");
	snprintf(c->smtp_ca, sizeof(c->smtp_ca), "%s", env("VIGIL_SMTP_CA"));
	snprintf(c->smtp_user, sizeof(c->smtp_user), "%s", env("VIGIL_SMTP_USER"));
	snprintf(c->smtp_password, sizeof(c->smtp_password), "%s", env("VIGIL_SMTP_PASSWORD"));
}

static void
test_smtp_starttls(void **state)
{
	struct notify_request r = {
	    .channel = NOTIFY_EMAIL,
	    .target = "it-officer@ubnd-phuong-x.example, head@ubnd-phuong-x.example",
	    .n = &note};
	struct notify_conf c;
	struct seen s;

	if (env("VIGIL_SMTP_PORT") == NULL || env("VIGIL_SMTP_CA") == NULL ||
	    env("VIGIL_SMTP_USER") == NULL)
		skip();
	smtp_common(&c, env("VIGIL_SMTP_PORT"), 0);
	deliver(&s, "smtp", &c, &r);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].ok);
	assert_int_equal(s.a[0].code, 250);
}

static void
test_smtp_wrong_password(void **state)
{
	struct notify_request r = {
	    .channel = NOTIFY_EMAIL, .target = "it@ubnd-phuong-x.example", .n = &note};
	struct notify_conf c;
	struct seen s;

	if (env("VIGIL_SMTP_PORT") == NULL || env("VIGIL_SMTP_CA") == NULL ||
	    env("VIGIL_SMTP_USER") == NULL)
		skip();
	smtp_common(&c, env("VIGIL_SMTP_PORT"), 0);
	snprintf(c.smtp_password, sizeof(c.smtp_password), "wrong");
	c.max_attempts = 1;
	deliver(&s, "smtp-badpass", &c, &r);
	assert_int_equal(s.n, 1);
	assert_false(s.a[0].ok);
	assert_int_equal(s.a[0].failure, NOTIFY_FAIL_AUTH);
	assert_non_null(strstr(s.a[0].error, "Login refused"));
}

static void
test_smtps_implicit(void **state)
{
	struct notify_request r = {
	    .channel = NOTIFY_EMAIL, .target = "police@ca-phuong-x.example", .n = &note};
	struct notify_conf c;
	struct seen s;

	if (env("VIGIL_SMTPS_PORT") == NULL || env("VIGIL_SMTP_CA") == NULL ||
	    env("VIGIL_SMTP_USER") == NULL)
		skip();
	smtp_common(&c, env("VIGIL_SMTPS_PORT"), 1);
	deliver(&s, "smtps", &c, &r);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].ok);
}

static void
webhook_conf(struct notify_conf *c, const char *ca)
{
	conf_init(c);
	snprintf(c->webhook_ca, sizeof(c->webhook_ca), "%s", ca);
	snprintf(c->webhook_header, sizeof(c->webhook_header), "Authorization: Bearer t0ken-xyz");
}

static void
test_webhook(void **state)
{
	struct notify_request r = {.channel = NOTIFY_WEBHOOK, .n = &note};
	struct notify_conf c;
	struct seen s;

	if ((r.target = env("VIGIL_WEBHOOK_URL")) == NULL || env("VIGIL_WEBHOOK_CA") == NULL)
		skip();
	webhook_conf(&c, env("VIGIL_WEBHOOK_CA"));
	deliver(&s, "webhook", &c, &r);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].ok);
	assert_int_equal(s.a[0].code, 200);
}

static void
test_webhook_wrong_ca(void **state)
{
	struct notify_request r = {.channel = NOTIFY_WEBHOOK, .n = &note};
	struct notify_conf c;
	struct seen s;

	if ((r.target = env("VIGIL_WEBHOOK_URL")) == NULL || env("VIGIL_WRONG_CA") == NULL)
		skip();
	webhook_conf(&c, env("VIGIL_WRONG_CA"));
	c.max_attempts = 2;
	deliver(&s, "webhook-wrong-ca", &c, &r);
	assert_int_equal(s.n, 2);
	for (size_t i = 0; i < s.n; i++) {
		assert_false(s.a[i].ok);
		assert_int_equal(s.a[i].failure, NOTIFY_FAIL_TLS);
		assert_non_null(strstr(s.a[i].error, "TLS failed"));
		assert_non_null(strstr(s.a[i].error, "certificate"));
	}
	assert_true(s.a[1].final);
}

static void
test_webhook_fails_twice(void **state)
{
	struct notify_request r = {.channel = NOTIFY_WEBHOOK, .n = &note};
	struct notify_conf c;
	struct seen s;

	if ((r.target = env("VIGIL_FLAKY_URL")) == NULL || env("VIGIL_WEBHOOK_CA") == NULL)
		skip();
	webhook_conf(&c, env("VIGIL_WEBHOOK_CA"));
	c.max_attempts = 6;
	deliver(&s, "webhook-flaky", &c, &r);
	assert_int_equal(s.n, 3);
	for (int i = 0; i < 2; i++) {
		assert_false(s.a[i].ok);
		assert_false(s.a[i].final);
		assert_int_equal(s.a[i].failure, NOTIFY_FAIL_REFUSED);
		assert_int_equal(s.a[i].code, 500);
		assert_string_equal(s.a[i].error,
		                    "The webhook answered HTTP 500: receiver not ready.");
	}
	assert_true(s.a[2].ok);
	assert_true(s.a[2].final);
	assert_int_equal(s.a[2].attempt, 3);
}

static void
test_webhook_down(void **state)
{
	struct notify_request r = {.channel = NOTIFY_WEBHOOK, .n = &note};
	struct notify_conf c;
	struct seen s;

	if ((r.target = env("VIGIL_DOWN_URL")) == NULL || env("VIGIL_WEBHOOK_CA") == NULL)
		skip();
	webhook_conf(&c, env("VIGIL_WEBHOOK_CA"));
	c.max_attempts = 3;
	deliver(&s, "webhook-down", &c, &r);
	assert_int_equal(s.n, 3);
	for (size_t i = 0; i < s.n; i++) {
		assert_false(s.a[i].ok);
		assert_int_equal(s.a[i].failure, NOTIFY_FAIL_CONNECT);
		assert_non_null(strstr(s.a[i].error, "Cannot connect"));
		assert_int_equal(s.a[i].final, i == 2);
	}
}

static void
test_webhook_comes_up(void **state)
{
	struct notify_request r = {.channel = NOTIFY_WEBHOOK, .n = &note};
	struct notify_conf c;
	struct seen s;

	if ((r.target = env("VIGIL_LATE_URL")) == NULL || env("VIGIL_WEBHOOK_CA") == NULL)
		skip();
	/* Attempts at 0, 0.5, 1.5, 3.5, 7.5, 15.5 s: the script starts the receiver after the
	 * first. */
	webhook_conf(&c, env("VIGIL_WEBHOOK_CA"));
	c.max_attempts = 6;
	c.retry_base_ms = 500;
	deliver(&s, "late", &c, &r);
	assert_true(s.n >= 2);
	for (size_t i = 0; i + 1 < s.n; i++) {
		assert_int_equal(s.a[i].failure, NOTIFY_FAIL_CONNECT);
		assert_false(s.a[i].final);
	}
	assert_true(s.a[s.n - 1].ok);
	assert_true(s.a[s.n - 1].final);
}

static void
exec_target(char *buf, size_t len, const char *mode, const char *file)
{
	snprintf(buf, len, "/bin/sh %s/exec_sink.sh %s %s", env("VIGIL_RECEIVERS"), mode, file);
}

static void
test_exec(void **state)
{
	char target[NOTIFY_TARGET_MAX];
	struct notify_request r = {.channel = NOTIFY_EXEC, .target = target, .n = &note};
	struct notify_conf c;
	struct seen s;

	if (env("VIGIL_EXEC_OUT") == NULL || env("VIGIL_RECEIVERS") == NULL)
		skip();
	exec_target(target, sizeof(target), "write", env("VIGIL_EXEC_OUT"));
	conf_init(&c);
	deliver(&s, "exec", &c, &r);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].ok);
}

static void
test_exec_fails(void **state)
{
	char target[NOTIFY_TARGET_MAX];
	struct notify_request r = {.channel = NOTIFY_EXEC, .target = target, .n = &note};
	struct notify_conf c;
	struct seen s;

	if (env("VIGIL_EXEC_OUT") == NULL || env("VIGIL_RECEIVERS") == NULL)
		skip();
	exec_target(target, sizeof(target), "fail", "-");
	conf_init(&c);
	c.max_attempts = 2;
	deliver(&s, "exec-fail", &c, &r);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.a[1].failure, NOTIFY_FAIL_EXIT);
	assert_int_equal(s.a[1].code, 3);
	assert_string_equal(s.a[1].error,
	                    "The command exited with status 3: gateway down: no signal");
}

static void
test_exec_hangs(void **state)
{
	char target[NOTIFY_TARGET_MAX], pidfile[256], stat[64] = "";
	struct notify_request r = {.channel = NOTIFY_EXEC, .target = target, .n = &note};
	struct notify_conf c;
	struct seen s;
	FILE *fp;
	int pid = 0;

	if (env("VIGIL_EXEC_OUT") == NULL || env("VIGIL_RECEIVERS") == NULL)
		skip();
	snprintf(pidfile, sizeof(pidfile), "%s.hang-pid", env("VIGIL_EXEC_OUT"));
	exec_target(target, sizeof(target), "hang", pidfile);
	conf_init(&c);
	c.max_attempts = 1;
	c.exec_timeout_ms = 500;
	deliver(&s, "exec-hang", &c, &r);
	assert_int_equal(s.n, 1);
	assert_false(s.a[0].ok);
	assert_int_equal(s.a[0].failure, NOTIFY_FAIL_TIMEOUT);
	assert_string_equal(s.a[0].error,
	                    "The command did not finish within 500 ms and was killed.");
	/*
	 * The kill timer runs on libevent's monotonic clock, the recorded times
	 * are wall-clock: allow the two clocks a few milliseconds of drift.
	 */
	assert_true(s.a[0].finished_us - s.a[0].started_us >= 490000);
	/* The script's own child was in its process group and died with it. */
	fp = fopen(pidfile, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d", &pid), 1);
	fclose(fp);
	snprintf(pidfile, sizeof(pidfile), "/proc/%d/stat", pid);
	/* SIGKILL lands as soon as it is scheduled: poll (bounded) until it is gone or a zombie. */
	for (int i = 0; i < 500; i++) {
		struct timespec ts = {0, 10000000};

		stat[0] = '\0';
		if ((fp = fopen(pidfile, "r")) == NULL)
			break;
		if (fgets(stat, sizeof(stat), fp) == NULL)
			stat[0] = '\0';
		fclose(fp);
		if (strstr(stat, ") Z") != NULL || strstr(stat, ") X") != NULL)
			break;
		nanosleep(&ts, NULL);
	}
	if (stat[0] != '\0' && strstr(stat, ") Z") == NULL && strstr(stat, ") X") == NULL)
		fail_msg("The hung command's child %d is still alive: %s", pid, stat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_smtp_starttls),
	    cmocka_unit_test(test_smtp_wrong_password),
	    cmocka_unit_test(test_smtps_implicit),
	    cmocka_unit_test(test_webhook),
	    cmocka_unit_test(test_webhook_wrong_ca),
	    cmocka_unit_test(test_webhook_fails_twice),
	    cmocka_unit_test(test_webhook_down),
	    cmocka_unit_test(test_webhook_comes_up),
	    cmocka_unit_test(test_exec),
	    cmocka_unit_test(test_exec_fails),
	    cmocka_unit_test(test_exec_hangs),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
