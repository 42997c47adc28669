/* The update sensor's parsers: apt's simulated upgrade, history.log, dpkg.log, os-release. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "../../agent/linux/updates.h"

#define DATA "tests/data/updates/"

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static int
utc(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static void
apt_file(const char *name, int rc, int pending, int security, const char *first)
{
	struct updates_apt a;
	size_t len;
	char *text = slurp(name, &len);

	assert_int_equal(updates_parse_apt(text, len, &a), rc);
	if (rc == 0) {
		assert_int_equal(a.pending, pending);
		assert_int_equal(a.security, security);
		assert_string_equal(a.first_security, first);
	}
	free(text);
}

static void
test_apt_outputs(void **state)
{
	/* A real Debian 12 run: Debian-Security origins, some beside the point release. */
	apt_file(DATA "apt-upgrade-debian-security.txt", 0, 124, 79, "libgcrypt20-dev");
	apt_file(DATA "apt-upgrade-debian-nosecurity.txt", 0, 4, 0, "");
	apt_file(DATA "apt-upgrade-none.txt", 0, 0, 0, "");
	/* jammy-security counts; a package merely named "-security" does not. */
	apt_file(DATA "apt-upgrade-ubuntu.txt", 0, 4, 2, "libc6");
	/* An error, not "nothing pending". */
	apt_file(DATA "apt-error.txt", VIGIL_ERR_DECODE, 0, 0, "");
}

static void
test_apt_hostile(void **state)
{
	struct updates_apt a;
	char big[300];
	const char *t;

	assert_int_equal(updates_parse_apt("", 0, &a), VIGIL_ERR_DECODE);
	/* No parenthesis: pending, not security, whatever the rest says. */
	t = "Inst evil-Debian-Security:-security\n";
	assert_int_equal(updates_parse_apt(t, strlen(t), &a), 0);
	assert_int_equal(a.pending, 1);
	assert_int_equal(a.security, 0);
	/* No final newline, a CR, a NUL in the middle: lines still count. */
	t = "Inst a [1] (2 Debian-Security:12/stable-security [amd64])\r\nInst b";
	assert_int_equal(updates_parse_apt(t, strlen(t), &a), 0);
	assert_int_equal(a.pending, 2);
	assert_int_equal(a.security, 1);
	assert_string_equal(a.first_security, "a");
	/* A NUL is no line break: one line, cut by nothing. */
	assert_int_equal(updates_parse_apt("Inst x\0Inst y (z-security)\n", 27, &a), 0);
	assert_int_equal(a.pending, 1);
	assert_int_equal(a.security, 1);
	/* A name longer than the field is cut, still NUL-terminated. */
	memset(big, 'n', sizeof(big));
	memcpy(big, "Inst ", 5);
	memcpy(big + 250, " (1 -security)", 14);
	assert_int_equal(updates_parse_apt(big, 264, &a), 0);
	assert_int_equal(a.security, 1);
	assert_true(strlen(a.first_security) < sizeof(a.first_security));
}

static void
test_date(void **state)
{
	int64_t us;

	assert_int_equal(updates_parse_date("2026-11-05  08:00:42", 20, &us), 0);
	assert_int_equal(us, 1793865642LL * 1000000);
	assert_int_equal(updates_parse_date(" 2026-11-05 08:00:42 ", 21, &us), 0);
	assert_int_equal(us, 1793865642LL * 1000000);
	assert_int_equal(updates_parse_date("2026-13-05  08:00:42", 20, &us), VIGIL_ERR_DECODE);
	assert_int_equal(updates_parse_date("2026-11-05", 10, &us), VIGIL_ERR_DECODE);
	assert_int_equal(updates_parse_date("2026-11-05  08:00:42x", 21, &us), VIGIL_ERR_DECODE);
	assert_int_equal(updates_parse_date("", 0, &us), VIGIL_ERR_DECODE);
}

static void
test_history(void **state)
{
	struct updates_history h;
	int64_t want;
	size_t len;
	char *text = slurp(DATA "history.log", &len);

	updates_parse_history(text, len, &h);
	/*
	 * Not the install of 11-02, not tzdata pulled in by an install (11-10),
	 * not the failed dist-upgrade (11-12), not the torn full-upgrade (11-13):
	 * the unattended upgrade of 11-06 (no Commandline).
	 */
	assert_int_equal(updates_parse_date("2026-11-06  06:25:07", 20, &want), 0);
	assert_int_equal(h.last_upgrade_us, want);
	assert_int_equal(updates_parse_date("2026-11-12  10:02:10", 20, &want), 0);
	assert_int_equal(h.last_activity_us, want);
	free(text);

	/* Only the part after a cut: the torn entry at the start is skipped. */
	updates_parse_history("Upgrade: x\nEnd-Date: 2026-11-05  08:00:42\n", 42, &h);
	assert_int_equal(h.last_upgrade_us, 0);
	updates_parse_history("", 0, &h);
	assert_int_equal(h.last_upgrade_us, 0);
	assert_int_equal(h.last_activity_us, 0);
}

static void
test_dpkg(void **state)
{
	struct updates_dpkg d;
	size_t len, off = 0, n;
	char *text = slurp(DATA "dpkg.log", &len), *nl;
	int installed = 0, removed = 0;
	enum updates_dpkg_kind k;

	while (off < len && (nl = memchr(text + off, '\n', len - off)) != NULL) {
		n = (size_t)(nl - (text + off));
		k = updates_parse_dpkg(text + off, n, &d);
		if (k == UPDATES_DPKG_INSTALLED) {
			installed++;
			assert_string_equal(d.package, "clamav-freshclam:amd64");
			assert_string_equal(d.version, "1.4.3+dfsg-0+deb12u1");
		} else if (k == UPDATES_DPKG_REMOVED) {
			removed++;
			assert_string_equal(d.package, "telnet:amd64");
			assert_string_equal(d.version, "0.17+2.4-2");
		}
		off += n + 1;
	}
	/* An upgrade, a purge after the remove and status lines are not events. */
	assert_int_equal(installed, 1);
	assert_int_equal(removed, 1);
	free(text);
	assert_int_equal(updates_parse_dpkg("garbage install x <none> 1", 26, &d),
	    UPDATES_DPKG_OTHER);
	assert_int_equal(updates_parse_dpkg("2026-11-25 18:29:21 install", 27, &d),
	    UPDATES_DPKG_OTHER);
}

static void
test_os_release(void **state)
{
	const char *t = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
	char out[64];

	assert_int_equal(updates_parse_os_release(t, strlen(t), out, sizeof(out)), 0);
	assert_string_equal(out, "Debian GNU/Linux 12 (bookworm)");
	t = "PRETTY_NAME=Plain\n";
	assert_int_equal(updates_parse_os_release(t, strlen(t), out, sizeof(out)), 0);
	assert_string_equal(out, "Plain");
	t = "NAME=x\n";
	assert_int_equal(updates_parse_os_release(t, strlen(t), out, sizeof(out)),
	    VIGIL_ERR_NOTFOUND);
}

static void
test_lock(void **state)
{
	char path[] = "/tmp/vigil-lock.XXXXXX";
	struct flock fl;
	int fd, p[2];
	pid_t pid;
	char c;

	assert_int_equal(updates_lock_held("/nonexistent/lock-frontend"), 0);
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(updates_lock_held(path), 0);
	/* Another process holds a classic POSIX lock, as apt does. */
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) != 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(updates_lock_held(path), 1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(updates_lock_held(path), 0);
	close(fd);
	close(p[0]);
	close(p[1]);
	unlink(path);
}

/*
 * The state kept in the spool across restarts is read back strictly: a
 * corrupted one is ignored whole rather than half taken, and a number out
 * of range (undefined behaviour in sscanf, which read it once) is refused.
 */
static void
test_state(void **state)
{
	struct updates_state st;

	assert_int_equal(updates_state_parse("1764000000000000 1763000000000000 0 1", &st), 0);
	assert_int_equal(st.security_pending_since_us, 1764000000000000LL);
	assert_int_equal(st.last_update_us, 1763000000000000LL);
	assert_int_equal(st.last_upgrade_us, 0);
	assert_int_equal(st.reboot_announced, 1);
	assert_int_equal(updates_state_parse("-5 -9223372036854775808 9223372036854775807 0", &st),
	    0);
	assert_int_equal(st.security_pending_since_us, 0);
	assert_int_equal(st.last_update_us, 0);
	assert_int_equal(st.last_upgrade_us, 9223372036854775807LL);
	assert_int_equal(st.reboot_announced, 0);
	assert_int_equal(updates_state_parse("99999999999999999999 0 0 0", &st), VIGIL_ERR_DECODE);
	assert_int_equal(updates_state_parse("1 2 3", &st), VIGIL_ERR_DECODE);
	assert_int_equal(updates_state_parse("1 2 3 4 5", &st), VIGIL_ERR_DECODE);
	assert_int_equal(updates_state_parse("1 2 3 4x", &st), VIGIL_ERR_DECODE);
	assert_int_equal(updates_state_parse("", &st), VIGIL_ERR_DECODE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apt_outputs), cmocka_unit_test(test_apt_hostile),
		cmocka_unit_test(test_date),        cmocka_unit_test(test_history),
		cmocka_unit_test(test_dpkg),        cmocka_unit_test(test_os_release),
		cmocka_unit_test(test_lock),        cmocka_unit_test(test_state),
	};

	return cmocka_run_group_tests(tests, utc, NULL);
}
