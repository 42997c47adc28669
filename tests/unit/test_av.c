/*
 * The antivirus sensor: clamd's replies (well-formed and hostile), VERSION
 * and its date, FOUND lines, the generic provider's matching, the state
 * changes, and the clamd client itself against a fake clamd on a socket.
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
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "../../agent/av.h"
#include "../../agent/linux/av_clamd.h"
#include "../../agent/linux/av_generic.h"

#define YES VIGIL__V1__TRISTATE__TRISTATE_YES
#define NO VIGIL__V1__TRISTATE__TRISTATE_NO
#define DAY_US (86400LL * 1000000)

static int
utc(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void
test_reply(void **state)
{
	char out[AV_REPLY_MAX], big[AV_REPLY_MAX + 10];

	assert_int_equal(av_clamd_reply("PONG", 5, out, sizeof(out)), 0);
	assert_string_equal(out, "PONG");
	/* n-commands end with a newline; a peer that closes without a NUL still counts. */
	assert_int_equal(av_clamd_reply("PONG\n", 5, out, sizeof(out)), 0);
	assert_string_equal(out, "PONG");
	/* Only up to the first NUL. */
	assert_int_equal(av_clamd_reply("PONG\0garbage", 12, out, sizeof(out)), 0);
	assert_string_equal(out, "PONG");
	assert_int_equal(av_clamd_reply("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Hostile: terminal escapes, invalid UTF-8, too long, no room. */
	assert_int_equal(av_clamd_reply("PO\033[2JNG", 9, out, sizeof(out)), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_reply("PONG\nPONG", 9, out, sizeof(out)), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_reply("\xff\xfe", 2, out, sizeof(out)), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_reply("\xc0\xaf", 2, out, sizeof(out)), VIGIL_ERR_DECODE);
	memset(big, 'A', sizeof(big));
	assert_int_equal(av_clamd_reply(big, sizeof(big), out, sizeof(out)), VIGIL_ERR_TOOBIG);
	assert_int_equal(av_clamd_reply(big, AV_REPLY_MAX, out, sizeof(out)), VIGIL_ERR_TOOBIG);
	assert_int_equal(av_clamd_reply("PONG", 4, out, 4), VIGIL_ERR_TOOBIG);
}

static void
test_ctime(void **state)
{
	int64_t us;
	const char *s;

	s = "Thu Nov 12 14:31:08 2026";
	assert_int_equal(av_ctime_parse(s, strlen(s), &us), 0);
	assert_int_equal(us, 1794493868LL * 1000000);
	/* ctime pads a one-digit day with a space. */
	s = "Mon Nov  2 01:02:03 2026";
	assert_int_equal(av_ctime_parse(s, strlen(s), &us), 0);
	assert_int_equal(us, 1793581323LL * 1000000);
	s = "Thu Foo 12 14:31:08 2026";
	assert_int_equal(av_ctime_parse(s, strlen(s), &us), VIGIL_ERR_DECODE);
	s = "Thu Nov 12 25:31:08 2026";
	assert_int_equal(av_ctime_parse(s, strlen(s), &us), VIGIL_ERR_DECODE);
	s = "Thu Nov 12 14:31:08 2026 extra";
	assert_int_equal(av_ctime_parse(s, strlen(s), &us), VIGIL_ERR_DECODE);
	s = "Thu ovN 12 14:31:08 2026";
	assert_int_equal(av_ctime_parse(s, strlen(s), &us), VIGIL_ERR_DECODE);
	s = "Thu Nov 12 14:31:08 1969";
	assert_int_equal(av_ctime_parse(s, strlen(s), &us), VIGIL_ERR_DECODE);
	assert_int_equal(av_ctime_parse("", 0, &us), VIGIL_ERR_DECODE);
}

static void
test_version(void **state)
{
	struct av_status st;

	memset(&st, 0, sizeof(st));
	assert_int_equal(av_clamd_version("ClamAV 1.4.6/27800/Thu Nov 12 14:31:08 2026", &st), 0);
	assert_string_equal(st.version, "1.4.6");
	assert_int_equal(st.db_version, 27800);
	assert_int_equal(st.signatures_us, 1794493868LL * 1000000);
	/* Only a custom database: no daily, no date. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(av_clamd_version("ClamAV 1.4.6", &st), 0);
	assert_string_equal(st.version, "1.4.6");
	assert_int_equal(st.db_version, 0);
	assert_int_equal(st.signatures_us, 0);
	/* Hostile or broken: nothing is taken. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(av_clamd_version("clamav 1.4.6", &st), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_version("ClamAV ", &st), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_version("ClamAV 1.4.6 <script>", &st), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_version("ClamAV 1.4.6/", &st), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_version("ClamAV 1.4.6/99999999999/Thu Nov 12 14:31:08 2026",
	    &st), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_version("ClamAV 1.4.6/27800", &st), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_version("ClamAV 1.4.6/27800/yesterday", &st), VIGIL_ERR_DECODE);
	assert_int_equal(av_clamd_version("ClamAV 1111111111111111111111111111111111111111111111"
	    "11111111111111111111", &st), VIGIL_ERR_DECODE);
	assert_string_equal(st.version, "");
}

static void
test_found(void **state)
{
	struct av_detection d;
	const char *l;

	l = "Wed Nov 25 18:30:39 2026 -> /tmp/av-scratch/testfile: testfile.UNOFFICIAL FOUND";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 1);
	assert_string_equal(d.path, "/tmp/av-scratch/testfile");
	assert_string_equal(d.signature, "testfile.UNOFFICIAL");
	/* LogTime no; a path with ": " in it; a CR. */
	l = "/home/an/a: b/eicar.com: Win.Test.EICAR_HDB-1 FOUND\r";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 1);
	assert_string_equal(d.path, "/home/an/a: b/eicar.com");
	assert_string_equal(d.signature, "Win.Test.EICAR_HDB-1");
	/* A stream scan. */
	l = "Wed Nov 25 18:30:39 2026 -> fd[10]: Eicar-Signature FOUND";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 1);
	assert_string_equal(d.path, "fd[10]");
	/* Not detections. */
	l = "Wed Nov 25 18:30:39 2026 -> Loaded 1 signatures.";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 0);
	l = "Wed Nov 25 18:30:39 2026 -> /tmp/x: OK";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 0);
	l = "FOUND";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 0);
	l = ": Sig FOUND";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 0);
	l = "/x:  FOUND";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 0);
	l = "/x: two words FOUND";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 0);
	/* Invalid UTF-8 in a path comes out clean. */
	l = "/tmp/\xff\xfe: Sig FOUND";
	assert_int_equal(av_clamd_found(l, strlen(l), &d), 1);
	assert_string_equal(d.path, "/tmp/\xef\xbf\xbd\xef\xbf\xbd");
}

static void
test_generic(void **state)
{
	struct av_detection d;
	const char *l;

	assert_true(av_comm_matches("clamd\n", 6, "clamd"));
	assert_false(av_comm_matches("clamd-x\n", 8, "clamd"));
	assert_false(av_comm_matches("clam\n", 5, "clamd"));
	assert_false(av_comm_matches("clamd\n", 6, ""));
	/* The kernel cut the name at 15 bytes. */
	assert_true(av_comm_matches("kesl-supervisor\n", 16, "kesl-supervisord"));
	assert_false(av_comm_matches("kesl-superviso\n", 15, "kesl-supervisord"));

	l = "2026-11-25 10:00:01 THREAT DETECTED /home/an/x.exe";
	assert_int_equal(av_generic_found(l, strlen(l), "THREAT DETECTED", &d), 1);
	assert_string_equal(d.signature, "unknown");
	assert_string_equal(d.path, l);
	assert_int_equal(av_generic_found(l, strlen(l), "threat detected", &d), 0);
	assert_int_equal(av_generic_found(l, strlen(l), "", &d), 0);
	/* A product that logs in clamd's shape gives signature and path. */
	l = "/home/an/x.exe: Trojan.Foo FOUND";
	assert_int_equal(av_generic_found(l, strlen(l), "FOUND", &d), 1);
	assert_string_equal(d.signature, "Trojan.Foo");
	assert_string_equal(d.path, "/home/an/x.exe");

	/* This process runs; a made-up one does not. */
	assert_true(av_process_running("test_av"));
	assert_false(av_process_running("no-such-av-xyz"));
}

static void
test_assess(void **state)
{
	struct av_state st = { 0, 0 };
	struct av_status s;
	int64_t now = 1794493868LL * 1000000, max = 3 * DAY_US;

	memset(&s, 0, sizeof(s));
	/* First check, running with fresh signatures: nothing to say. */
	s.running = YES;
	s.signatures_us = now - DAY_US;
	assert_int_equal(av_assess(&st, &s, now, max), 0);
	/* Stopped: once. A stopped clamd tells no date: no signature event. */
	s.running = NO;
	s.signatures_us = 0;
	assert_int_equal(av_assess(&st, &s, now, max), AV_EV_STOPPED);
	assert_int_equal(av_assess(&st, &s, now, max), 0);
	/* Back, with signatures now too old: both. */
	s.running = YES;
	s.signatures_us = now - 4 * DAY_US;
	assert_int_equal(av_assess(&st, &s, now, max), AV_EV_STARTED | AV_EV_SIGS_OLD);
	/* Still old: said once. */
	assert_int_equal(av_assess(&st, &s, now + DAY_US, max), 0);
	/* Fresh again, then old again: said again. */
	s.signatures_us = now;
	assert_int_equal(av_assess(&st, &s, now, max), 0);
	assert_int_equal(av_assess(&st, &s, now + 4 * DAY_US, max), AV_EV_SIGS_OLD);

	/* Not running at the agent's start is worth saying. */
	memset(&st, 0, sizeof(st));
	s.running = NO;
	assert_int_equal(av_assess(&st, &s, now, max), AV_EV_STOPPED);
	/* Unknown states change nothing. */
	s.running = 0;
	s.signatures_us = 0;
	assert_int_equal(av_assess(&st, &s, now, max), 0);
	assert_int_equal(st.running, NO);
}

/* ---- the client against a fake clamd ---------------------------------------- */

struct result {
	int done;
	struct av_status st;
	struct event_base *base;
};

static void
done_cb(void *arg, const struct av_status *st)
{
	struct result *r = arg;

	r->done++;
	r->st = *st;
	event_base_loopbreak(r->base);
}

/*
 * A fake clamd at path: for each connection in turn, read the command and
 * write replies[i] (len lens[i]; a negative length: say nothing and keep
 * the connection open). Returns the child's pid.
 */
static pid_t
fake_clamd(const char *path, const char *const *replies, const int *lens, int n)
{
	struct sockaddr_un sun;
	char cmd[64];
	pid_t pid;
	int l, c, i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(l, 8), 0);
	if ((pid = fork()) == 0) {
		for (i = 0; i < n; i++) {
			if ((c = accept(l, NULL, NULL)) < 0)
				_exit(1);
			if (read(c, cmd, sizeof(cmd)) <= 0)
				_exit(1);
			if (lens[i] < 0) {
				pause();
				_exit(0);
			}
			if (write(c, replies[i], (size_t)lens[i]) != lens[i])
				_exit(1);
			close(c);
		}
		_exit(0);
	}
	close(l);
	return pid;
}

static void
run_check(const char *sock, struct result *r)
{
	struct av_provider *pv;
	struct timeval tv = { 10, 0 };

	memset(r, 0, sizeof(*r));
	r->base = event_base_new();
	assert_non_null(r->base);
	pv = av_clamd_new(r->base, sock);
	assert_non_null(pv);
	assert_string_equal(pv->product, "ClamAV");
	pv->check(pv, done_cb, r);
	/* A second check while one is under way adds nothing. */
	pv->check(pv, done_cb, r);
	event_base_loopexit(r->base, &tv);
	event_base_dispatch(r->base);
	pv->free(pv);
	event_base_free(r->base);
	assert_int_equal(r->done, 1);
}

static void
test_client(void **state)
{
	char path[64];
	struct result r;
	pid_t pid;
	const char *ok[] = { "PONG", "ClamAV 1.4.6/27800/Thu Nov 12 14:31:08 2026" };
	const int oklen[] = { 5, 44 };
	const char *nodate[] = { "PONG\n", "ClamAV 1.4.6" };
	const int nodatelen[] = { 5, 12 };
	const char *notclamd[] = { "HTTP/1.1 400 Bad Request\r\n\r\n" };
	const int notclamdlen[] = { 28 };
	const char *escape[] = { "PO\033]0;pwned\007NG" };
	const int escapelen[] = { 15 };
	const char *badversion[] = { "PONG", "ClamAV \033[2J" };
	const int badversionlen[] = { 5, 12 };
	static char flood[AV_REPLY_MAX * 4];
	const char *floods[] = { flood };
	const int floodlen[] = { (int)sizeof(flood) };
	const char *silent[] = { "" };
	const int silentlen[] = { -1 };

	snprintf(path, sizeof(path), "/tmp/vigil-clamd.%ld.sock", (long)getpid());
	signal(SIGPIPE, SIG_IGN);

	pid = fake_clamd(path, ok, oklen, 2);
	run_check(path, &r);
	waitpid(pid, NULL, 0);
	assert_int_equal(r.st.running, YES);
	assert_string_equal(r.st.version, "1.4.6");
	assert_int_equal(r.st.db_version, 27800);
	assert_int_equal(r.st.signatures_us, 1794493868LL * 1000000);

	pid = fake_clamd(path, nodate, nodatelen, 2);
	run_check(path, &r);
	waitpid(pid, NULL, 0);
	assert_int_equal(r.st.running, YES);
	assert_string_equal(r.st.version, "1.4.6");
	assert_int_equal(r.st.signatures_us, 0);

	/* Something else listens there, closing without a NUL. */
	pid = fake_clamd(path, notclamd, notclamdlen, 1);
	run_check(path, &r);
	waitpid(pid, NULL, 0);
	assert_int_equal(r.st.running, NO);
	assert_non_null(strstr(r.st.why, "answered PING with \"HTTP/1.1"));

	pid = fake_clamd(path, escape, escapelen, 1);
	run_check(path, &r);
	waitpid(pid, NULL, 0);
	assert_int_equal(r.st.running, NO);

	/* PONG, then a VERSION that is not one: running, version unknown. */
	pid = fake_clamd(path, badversion, badversionlen, 2);
	run_check(path, &r);
	waitpid(pid, NULL, 0);
	assert_int_equal(r.st.running, YES);
	assert_string_equal(r.st.version, "");

	/* An endless reply is cut at AV_REPLY_MAX. */
	memset(flood, 'P', sizeof(flood));
	pid = fake_clamd(path, floods, floodlen, 1);
	run_check(path, &r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(r.st.running, NO);

	/* A clamd that accepts and never answers: the deadline. */
	pid = fake_clamd(path, silent, silentlen, 1);
	run_check(path, &r);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(r.st.running, NO);
	assert_non_null(strstr(r.st.why, "did not answer"));

	/* Nobody there: the socket file is left behind, or gone. */
	run_check(path, &r);
	assert_int_equal(r.st.running, NO);
	unlink(path);
	run_check(path, &r);
	assert_int_equal(r.st.running, NO);
	assert_non_null(strstr(r.st.why, "cannot"));

	/* TCP on the loopback, where nothing listens on port 1. */
	run_check("127.0.0.1:1", &r);
	assert_int_equal(r.st.running, NO);

	assert_null(av_clamd_new(NULL, "clamd.ctl"));
	assert_null(av_clamd_new(NULL, "127.0.0.1:99999"));
	assert_null(av_clamd_new(NULL, "10.0.0.1:3310"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply),   cmocka_unit_test(test_ctime),
		cmocka_unit_test(test_version), cmocka_unit_test(test_found),
		cmocka_unit_test(test_generic), cmocka_unit_test(test_assess),
		cmocka_unit_test(test_client),
	};

	return cmocka_run_group_tests(tests, utc, NULL);
}
