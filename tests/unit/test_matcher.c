/* The built-in matcher: syslog lines -> events (agent/matcher.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"

static struct matcher *m;

static int
group_setup(void **state)
{
	return (m = matcher_new_builtin()) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	matcher_free(m);
	return 0;
}

/*
 * Match len bytes of line from a buffer of exactly that size (no NUL after
 * it), so that a read past len is caught by the address sanitizer.
 */
static int
match_n(const char *line, size_t len, struct match_event *ev)
{
	char *copy = malloc(len > 0 ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, line, len);
	r = matcher_match(m, "auth", copy, len, ev);
	free(copy);
	return r;
}

static int
match(const char *line, struct match_event *ev)
{
	return match_n(line, strlen(line), ev);
}

static const char *
field(const struct match_event *ev, const char *key)
{
	size_t i;

	for (i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].key, key) == 0)
			return ev->fields[i].value;
	return NULL;
}

/* Is s valid UTF-8 without control characters? */
static int
clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n, i;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80)
			n = 1;
		else if ((*p & 0xe0) == 0xc0)
			n = 2;
		else if ((*p & 0xf0) == 0xe0)
			n = 3;
		else if ((*p & 0xf8) == 0xf0)
			n = 4;
		else
			return 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static void
assert_event(const struct match_event *ev, const char *rule, int category, const char *summary)
{
	assert_string_equal(ev->rule, rule);
	assert_int_equal(ev->category, category);
	assert_int_equal(ev->severity, VIGIL__V1__SEVERITY__SEVERITY_MEDIUM);
	if (summary != NULL)
		assert_string_equal(ev->summary, summary);
	assert_true(clean_utf8(ev->summary));
}

#define TRAD "Nov 25 10:00:01 ws-01 "
#define RFC "2026-11-25T10:00:01.123456+07:00 ws-01 "
#define AUTH VIGIL__V1__CATEGORY__CATEGORY_AUTH
#define PRIV VIGIL__V1__CATEGORY__CATEGORY_PRIVILEGE
#define ACCT VIGIL__V1__CATEGORY__CATEGORY_ACCOUNT

static void
test_ssh_failed_password(void **state)
{
	static const char *const lines[] = {
		TRAD "sshd[1234]: Failed password for alice from 203.0.113.5 port 52144 ssh2",
		RFC "sshd[1234]: Failed password for alice from 203.0.113.5 port 52144 ssh2",
		"Nov  5 10:00:01 ws-01 sshd[1]: Failed password for alice from 203.0.113.5 port 52144 ssh2",
		"2026-11-25T03:00:01Z ws-01 sshd-session[9]: Failed password for alice from 203.0.113.5 port 52144 ssh2",
	};
	struct match_event ev;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(match(lines[i], &ev), 1);
		assert_event(&ev, "ssh.failed_password", AUTH,
		    "Failed SSH password for alice from 203.0.113.5");
		assert_int_equal(ev.nfields, 3);
		assert_string_equal(field(&ev, "user"), "alice");
		assert_string_equal(field(&ev, "src_ip"), "203.0.113.5");
		assert_string_equal(field(&ev, "port"), "52144");
	}

	assert_int_equal(match(RFC "sshd[77]: Failed password for invalid user bob "
	    "from 2001:db8::7 port 22 ssh2", &ev), 1);
	assert_event(&ev, "ssh.failed_password", AUTH,
	    "Failed SSH password for bob from 2001:db8::7");
	assert_string_equal(field(&ev, "user"), "bob");
	assert_string_equal(field(&ev, "src_ip"), "2001:db8::7");
	assert_string_equal(field(&ev, "port"), "22");
}

static void
test_ssh_invalid_user(void **state)
{
	struct match_event ev;

	assert_int_equal(match(TRAD "sshd[5]: Invalid user oracle from 198.51.100.9 port 40022",
	    &ev), 1);
	assert_event(&ev, "ssh.invalid_user", AUTH, "Invalid SSH user oracle from 198.51.100.9");
	assert_int_equal(ev.nfields, 2);
	assert_string_equal(field(&ev, "user"), "oracle");
	assert_string_equal(field(&ev, "src_ip"), "198.51.100.9");

	assert_int_equal(match(RFC "sshd[5]: Invalid user oracle from 198.51.100.9 port 40022",
	    &ev), 1);
	assert_string_equal(field(&ev, "user"), "oracle");
	/* Older sshd does not log the port. */
	assert_int_equal(match(TRAD "sshd[5]: Invalid user admin from 198.51.100.9", &ev), 1);
	assert_string_equal(field(&ev, "user"), "admin");
}

static void
test_sudo(void **state)
{
	struct match_event ev;

	assert_int_equal(match(TRAD "sudo: pam_unix(sudo:auth): authentication failure; "
	    "logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice",
	    &ev), 1);
	assert_event(&ev, "sudo.auth_failure", PRIV, "sudo authentication failure for alice");
	assert_int_equal(ev.nfields, 1);
	assert_string_equal(field(&ev, "user"), "alice");

	assert_int_equal(match(RFC "sudo[812]: pam_unix(sudo:auth): authentication failure; "
	    "logname=carol uid=1001 euid=0 tty=/dev/pts/1 ruser=carol rhost=  user=carol",
	    &ev), 1);
	assert_string_equal(field(&ev, "user"), "carol");

	assert_int_equal(match(TRAD "sudo:    alice : 3 incorrect password attempts ; "
	    "TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow",
	    &ev), 1);
	assert_event(&ev, "sudo.auth_failure", PRIV,
	    "sudo authentication failure for alice running /usr/bin/cat /etc/shadow");
	assert_int_equal(ev.nfields, 2);
	assert_string_equal(field(&ev, "user"), "alice");
	assert_string_equal(field(&ev, "command"), "/usr/bin/cat /etc/shadow");

	assert_int_equal(match(RFC "sudo[9]:    dave : 1 incorrect password attempt ; "
	    "TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh", &ev), 1);
	assert_string_equal(field(&ev, "user"), "dave");
	assert_string_equal(field(&ev, "command"), "/bin/sh");

	/* Without a COMMAND: the user only. */
	assert_int_equal(match(TRAD "sudo: erin : 2 incorrect password attempts ; TTY=pts/0",
	    &ev), 1);
	assert_int_equal(ev.nfields, 1);
	assert_string_equal(ev.summary, "sudo authentication failure for erin");
}

static void
test_su(void **state)
{
	struct match_event ev;

	assert_int_equal(match(TRAD "su[4321]: FAILED SU (to root) alice on pts/0", &ev), 1);
	assert_event(&ev, "su.failure", PRIV, "su to root failed for alice");
	assert_int_equal(ev.nfields, 2);
	assert_string_equal(field(&ev, "user"), "alice");
	assert_string_equal(field(&ev, "target"), "root");

	assert_int_equal(match(RFC "su[4321]: FAILED SU (to postgres) bob on pts/3", &ev), 1);
	assert_string_equal(field(&ev, "user"), "bob");
	assert_string_equal(field(&ev, "target"), "postgres");

	assert_int_equal(match(TRAD "su[4321]: pam_unix(su:auth): authentication failure; "
	    "logname=alice uid=1000 euid=0 tty=pts/0 ruser=alice rhost=  user=root", &ev), 1);
	assert_event(&ev, "su.failure", PRIV, "su to root failed for alice");
	assert_string_equal(field(&ev, "user"), "alice");
	assert_string_equal(field(&ev, "target"), "root");

	/* su -l, and an empty ruser falls back to the login name. */
	assert_int_equal(match(RFC "su[1]: pam_unix(su-l:auth): authentication failure; "
	    "logname=frank uid=1002 euid=0 tty=pts/0 ruser= rhost=  user=root", &ev), 1);
	assert_string_equal(field(&ev, "user"), "frank");
	assert_string_equal(field(&ev, "target"), "root");
}

static void
test_accounts(void **state)
{
	struct match_event ev;

	assert_int_equal(match(TRAD "useradd[2001]: new user: name=mallory, UID=1005, GID=1005, "
	    "home=/home/mallory, shell=/bin/bash, from=/dev/pts/0", &ev), 1);
	assert_event(&ev, "account.useradd", ACCT, "New user account mallory created");
	assert_int_equal(ev.nfields, 2);
	assert_string_equal(field(&ev, "user"), "mallory");
	assert_string_equal(field(&ev, "uid"), "1005");

	assert_int_equal(match(RFC "useradd[2001]: new user: name=trent, UID=0, GID=0, "
	    "home=/root, shell=/bin/sh", &ev), 1);
	assert_string_equal(field(&ev, "user"), "trent");
	assert_string_equal(field(&ev, "uid"), "0");

	assert_int_equal(match(TRAD "groupadd[2000]: new group: name=admins, GID=1006", &ev), 1);
	assert_event(&ev, "account.groupadd", ACCT, "New group admins created");
	assert_int_equal(ev.nfields, 2);
	assert_string_equal(field(&ev, "group"), "admins");
	assert_string_equal(field(&ev, "gid"), "1006");

	assert_int_equal(match(RFC "groupadd[2000]: new group: name=wheel, GID=10", &ev), 1);
	assert_string_equal(field(&ev, "group"), "wheel");
	assert_string_equal(field(&ev, "gid"), "10");
}

static void
test_negatives(void **state)
{
	static const char *const lines[] = {
		"",
		"Failed password for alice from 203.0.113.5 port 52144 ssh2",
		TRAD "sshd[1]: Accepted password for alice from 203.0.113.5 port 52144 ssh2",
		TRAD "sshd[1]: Failed publickey for alice from 203.0.113.5 port 52144 ssh2",
		/* the right words from the wrong program */
		TRAD "cron[1]: Failed password for alice from 203.0.113.5 port 52144 ssh2",
		TRAD "sshd-evil[1]: Failed password for alice from 203.0.113.5 port 52144 ssh2",
		TRAD "logger: FAILED SU (to root) alice on pts/0",
		/* damaged endings */
		TRAD "sshd[1]: Failed password for alice from 203.0.113.5 port 99999 ssh2",
		TRAD "sshd[1]: Failed password for alice from 203.0.113.5 port ssh2",
		TRAD "sshd[1]: Failed password for alice from 203.0.113.5",
		TRAD "sshd[1]: Failed password for alice from evil;rm port 22 ssh2",
		TRAD "sshd[1]: Failed password for alice from 203.0.113.5 port 22 ssh2 trailing",
		TRAD "sshd[1]: Invalid user",
		TRAD "sudo: pam_unix(sudo:session): session opened for user root",
		TRAD "sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls",
		TRAD "sudo: alice : x incorrect password attempts ; TTY=pts/0",
		TRAD "su[1]: FAILED SU (to root)",
		TRAD "su[1]: pam_unix(su:auth): authentication failure; logname= uid=0 euid=0",
		TRAD "useradd[1]: new user: name=eve, UID=abc, GID=1, home=/, shell=/bin/sh",
		TRAD "useradd[1]: new user: name=, UID=1, GID=1",
		TRAD "groupadd[1]: new group: name=devs",
		TRAD "groupadd[1]: new group: name=devs, GID=",
		/* not syslog */
		"Nov 25 10:00:01",
		"Nov 25 10:00:01 ws-01",
		"Nov 25 10:00:01 ws-01 sshd[1] Failed password for a from 1.2.3.4 port 1 ssh2",
		"Nov 25 1000:01 ws-01 sshd[1]: Failed password for a from 1.2.3.4 port 1 ssh2",
		"2026-11-25 10:00:01 ws-01 sshd[1]: Failed password for a from 1.2.3.4 port 1 ssh2",
		"Nov 25 10:00:01 ws-01 sshd[12x]: Failed password for a from 1.2.3.4 port 1 ssh2",
		"Nov 25 10:00:01 ws-01 sshd[12: Failed password for a from 1.2.3.4 port 1 ssh2",
	};
	struct match_event ev;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (match(lines[i], &ev) != 0)
			fail_msg("matched: %s", lines[i]);
		assert_int_equal(ev.nfields, 0);
	}
	assert_int_equal(matcher_match(m, "auth", NULL, 0, &ev), 0);
}

/* A user name made to look like the end of the message. */
static void
test_spoofed_suffix(void **state)
{
	struct match_event ev;

	assert_int_equal(match(TRAD "sshd[1]: Failed password for invalid user x from 6.6.6.6 "
	    "port 1 ssh2 from 203.0.113.5 port 22 ssh2", &ev), 1);
	assert_string_equal(field(&ev, "user"), "x from 6.6.6.6 port 1 ssh2");
	assert_string_equal(field(&ev, "src_ip"), "203.0.113.5");
	assert_string_equal(field(&ev, "port"), "22");
}

static void
test_len_is_the_end(void **state)
{
	static const char line[] =
	    TRAD "sshd[1]: Failed password for alice from 203.0.113.5 port 222 ssh2";
	struct match_event ev;

	/* The port ends where len ends, even though the buffer goes on. */
	assert_int_equal(match_n(line, strlen(line) - 6, &ev), 1);
	assert_string_equal(field(&ev, "port"), "22");
	assert_int_equal(match_n(TRAD "sshd[1]: Invalid user bob from 1.2.3.4 port 2222",
	    strlen(TRAD "sshd[1]: Invalid user bob from 1.2.3.4 port 22"), &ev), 1);
	assert_string_equal(field(&ev, "user"), "bob");
	/* Every prefix of a matching line is handled within its length. */
	for (size_t n = 0; n < strlen(line); n++)
		match_n(line, n, &ev);
}

static void
test_hostile(void **state)
{
	static const char pre[] = TRAD "sshd[1]: Failed password for ";
	static const char post[] = " from 203.0.113.5 port 22 ssh2";
	struct match_event ev;
	char *buf;
	size_t ulen = 100000, len, i;

	/* A very long user name is cut at the field size. */
	len = strlen(pre) + ulen + strlen(post);
	assert_non_null(buf = malloc(len));
	memcpy(buf, pre, strlen(pre));
	memset(buf + strlen(pre), 'a', ulen);
	memcpy(buf + strlen(pre) + ulen, post, strlen(post));
	assert_int_equal(match_n(buf, len, &ev), 1);
	assert_int_equal(strlen(field(&ev, "user")), sizeof(ev.fields[0].value) - 1);
	assert_string_equal(field(&ev, "src_ip"), "203.0.113.5");
	assert_true(strlen(ev.summary) < sizeof(ev.summary));
	assert_true(clean_utf8(ev.summary));

	/* Two-byte characters are never cut in half. */
	for (i = 0; i + 1 < ulen; i += 2)
		memcpy(buf + strlen(pre) + i, "\xc3\xa9", 2);
	assert_int_equal(match_n(buf, len, &ev), 1);
	assert_int_equal(strlen(field(&ev, "user")), sizeof(ev.fields[0].value) - 2);
	assert_true(clean_utf8(field(&ev, "user")));
	assert_true(clean_utf8(ev.summary));

	/* A long line that matches nothing. */
	memset(buf, 'x', len);
	assert_int_equal(match_n(buf, len, &ev), 0);
	memset(buf, ':', len);
	assert_int_equal(match_n(buf, len, &ev), 0);
	memset(buf, '\0', len);
	assert_int_equal(match_n(buf, len, &ev), 0);
	free(buf);

	/* An embedded NUL within len, control characters, invalid UTF-8. */
	{
		static const char nul[] = TRAD "sshd[1]: Failed password for al\0ice from "
		    "203.0.113.5 port 22 ssh2";
		static const char ctl[] = TRAD "sshd[1]: Invalid user bob\x1b[31m\r\n\x7f "
		    "from 203.0.113.5 port 22";
		static const char bad[] = TRAD "sshd[1]: Invalid user \xff\xc3(\xe2\x82 "
		    "from 203.0.113.5 port 22";
		static const char c1[] = TRAD "sshd[1]: Invalid user a\xc2\x9b" "b "
		    "from 203.0.113.5 port 22";
		static const char vn[] = TRAD "sshd[1]: Invalid user nguy\xe1\xbb\x85n "
		    "from 203.0.113.5 port 22";

		assert_int_equal(match_n(nul, sizeof(nul) - 1, &ev), 1);
		assert_string_equal(field(&ev, "user"), "al?ice");
		assert_string_equal(ev.summary, "Failed SSH password for al?ice from 203.0.113.5");
		assert_int_equal(match_n(ctl, sizeof(ctl) - 1, &ev), 1);
		assert_string_equal(field(&ev, "user"), "bob?[31m???");
		assert_int_equal(match_n(bad, sizeof(bad) - 1, &ev), 1);
		assert_string_equal(field(&ev, "user"), "?\?(?\?");
		assert_int_equal(match_n(c1, sizeof(c1) - 1, &ev), 1);
		assert_string_equal(field(&ev, "user"), "a?b");
		assert_int_equal(match_n(vn, sizeof(vn) - 1, &ev), 1);
		assert_string_equal(field(&ev, "user"), "nguy\xe1\xbb\x85n");
	}

	/* No colon after the tag, a NUL in the header, a tag too long. */
	{
		static const char nocolon[] = TRAD "sshd Failed password for a from 1.2.3.4 "
		    "port 1 ssh2";
		static const char nulhdr[] = "Nov 25 10:00:01 ws\0-01 sshd[1]: Failed password "
		    "for a from 1.2.3.4 port 1 ssh2";
		char longtag[512];

		assert_int_equal(match_n(nocolon, sizeof(nocolon) - 1, &ev), 0);
		/* A NUL is just another byte of the host name. */
		assert_int_equal(match_n(nulhdr, sizeof(nulhdr) - 1, &ev), 1);
		memset(longtag, 0, sizeof(longtag));
		memcpy(longtag, TRAD, strlen(TRAD));
		memset(longtag + strlen(TRAD), 's', 300);
		strcat(longtag, ": Failed password for a from 1.2.3.4 port 1 ssh2");
		assert_int_equal(match(longtag, &ev), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssh_failed_password),
		cmocka_unit_test(test_ssh_invalid_user),
		cmocka_unit_test(test_sudo),
		cmocka_unit_test(test_su),
		cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_negatives),
		cmocka_unit_test(test_spoofed_suffix),
		cmocka_unit_test(test_len_is_the_end),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
