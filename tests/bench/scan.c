/*
 * vigil-scan-bench: lines per second through tail + rules.
 *
 *   vigil-scan-bench [--lines N] [--input FILE] [--keep FILE] RULES_DIR [LOCAL_DIR]
 *
 * Writes a realistic auth.log of N lines (default 1,000,000; the mix of a
 * Debian workstation's auth.log: CRON and systemd-logind sessions, sshd
 * logins, disconnects and failures, sudo sessions and commands, su, kernel
 * noise; about 5 % of the lines fire a rule), or reads FILE, then follows it
 * with tail_read() from its first byte and runs every line through the
 * syslog header parser and the matcher, as the agent does, minus the spool.
 * Prints lines/s (wall and CPU), the events by rule and the peak RSS.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/err.h"
#include "../../agent/tail.h"
#include "../../agent/matcher.h"
#include "../../agent/rules.h"
#include "../../agent/syslog.h"

#define MAX_LINE 16384

struct scan {
	struct matcher *m;
	struct match_event evs[MATCH_MAX_EVENTS];
	uint64_t lines, events, bytes;
	struct {
		const char *rule;
		uint64_t n;
	} by_rule[256];
	size_t nrules;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

static const char *users[] = { "an", "binh", "chi", "dung", "giang", "hoa", "khanh", "lan" };
static const char *bad_users[] = { "admin", "oracle", "test", "ubuntu", "pi", "postgres",
    "git", "user" };

static void
ip(char *buf, size_t len, int hostile)
{
	if (hostile)
		snprintf(buf, len, "203.0.113.%u", 1 + rnd(40));
	else
		snprintf(buf, len, "192.168.1.%u", 10 + rnd(30));
}

/* One line of the mix at time t (seconds since the start of the day). */
static int
gen_line(char *out, size_t len, unsigned t)
{
	static const char *mon = "Nov";
	char hdr[64], a[32];
	unsigned pid = 1000 + rnd(60000), r = rnd(10000), sess = rnd(5000);
	const char *u = users[rnd(8)];

	snprintf(hdr, sizeof(hdr), "%s %2u %02u:%02u:%02u ws-ketoan-01", mon, 25 + t / 86400,
	    (t / 3600) % 24, (t / 60) % 60, t % 60);
	if (r < 2000)
		return snprintf(out, len, "%s CRON[%u]: pam_unix(cron:session): session opened for "
		    "user root(uid=0) by (uid=0)", hdr, pid);
	if (r < 4000)
		return snprintf(out, len, "%s CRON[%u]: pam_unix(cron:session): session closed for "
		    "user root", hdr, pid);
	if (r < 4500)
		return snprintf(out, len, "%s CRON[%u]: (root) CMD (command -v debian-sa1 > "
		    "/dev/null && debian-sa1 1 1)", hdr, pid);
	if (r < 5100)
		return snprintf(out, len, "%s systemd-logind[612]: New session %u of user %s.", hdr,
		    sess, u);
	if (r < 5700)
		return snprintf(out, len, "%s systemd-logind[612]: Session %u logged out. Waiting "
		    "for processes to exit.", hdr, sess);
	if (r < 6300)
		return snprintf(out, len, "%s systemd-logind[612]: Removed session %u.", hdr, sess);
	if (r < 6600)
		return snprintf(out, len, "%s systemd: pam_unix(systemd-user:session): session "
		    "opened for user %s(uid=1000) by (uid=0)", hdr, u);
	if (r < 6700) {
		ip(a, sizeof(a), 0);
		return snprintf(out, len, "%s sshd[%u]: Accepted publickey for %s from %s port %u "
		    "ssh2: ED25519 SHA256:3q2+7w8fJ0bXlq1dQd5s2pD1t0cV2yY8cR9hZ3kPn4E", hdr, pid,
		    u, a, 30000 + rnd(30000));
	}
	if (r < 7000)
		return snprintf(out, len, "%s sshd[%u]: pam_unix(sshd:session): session opened for "
		    "user %s(uid=1000) by (uid=0)", hdr, pid, u);
	if (r < 7300)
		return snprintf(out, len, "%s sshd[%u]: pam_unix(sshd:session): session closed for "
		    "user %s", hdr, pid, u);
	if (r < 7600) {
		ip(a, sizeof(a), rnd(2));
		return snprintf(out, len, "%s sshd[%u]: Received disconnect from %s port %u:11: "
		    "disconnected by user", hdr, pid, a, 30000 + rnd(30000));
	}
	if (r < 7900) {
		ip(a, sizeof(a), rnd(2));
		return snprintf(out, len, "%s sshd[%u]: Disconnected from user %s %s port %u", hdr,
		    pid, u, a, 30000 + rnd(30000));
	}
	if (r < 8100) {
		ip(a, sizeof(a), 1);
		return snprintf(out, len, "%s sshd[%u]: Connection closed by authenticating user "
		    "root %s port %u [preauth]", hdr, pid, a, 30000 + rnd(30000));
	}
	if (r < 8200) {
		ip(a, sizeof(a), 1);
		return snprintf(out, len, "%s sshd[%u]: Failed password for %s%s from %s port %u "
		    "ssh2", hdr, pid, rnd(2) ? "invalid user " : "", bad_users[rnd(8)], a,
		    30000 + rnd(30000));
	}
	if (r < 8250) {
		ip(a, sizeof(a), 1);
		return snprintf(out, len, "%s sshd[%u]: Invalid user %s from %s port %u", hdr, pid,
		    bad_users[rnd(8)], a, 30000 + rnd(30000));
	}
	if (r < 8280) {
		ip(a, sizeof(a), 1);
		return snprintf(out, len, "%s sshd[%u]: pam_unix(sshd:auth): authentication failure; "
		    "logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=root", hdr, pid, a);
	}
	if (r < 8430)
		return snprintf(out, len, "%s sudo[%u]:       %s : TTY=pts/%u ; PWD=/home/%s ; "
		    "USER=root ; COMMAND=/usr/bin/apt list --upgradable", hdr, pid, u, rnd(5), u);
	if (r < 9000)
		return snprintf(out, len, "%s sudo[%u]: pam_unix(sudo:session): session %s for user "
		    "root%s", hdr, pid, rnd(2) ? "opened" : "closed", rnd(2) ? "(uid=0) by an(uid=1000)"
		    : "");
	if (r < 9020)
		return snprintf(out, len, "%s sudo[%u]: pam_unix(sudo:auth): authentication failure; "
		    "logname=%s uid=1000 euid=0 tty=/dev/pts/0 ruser=%s rhost=  user=%s", hdr, pid,
		    u, u, u);
	if (r < 9030)
		return snprintf(out, len, "%s sudo[%u]:       %s : 3 incorrect password attempts ; "
		    "TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/su", hdr, pid, u, u);
	if (r < 9060)
		return snprintf(out, len, "%s su[%u]: (to root) %s on pts/1", hdr, pid, u);
	if (r < 9110)
		return snprintf(out, len, "%s su[%u]: pam_unix(su-l:session): session opened for "
		    "user root(uid=0) by %s(uid=1000)", hdr, pid, u);
	if (r < 9125)
		return snprintf(out, len, "%s su[%u]: FAILED SU (to root) %s on pts/1", hdr, pid, u);
	if (r < 9550)
		return snprintf(out, len, "%s kernel: [%u.%06u] audit: type=1400 audit(1732500000."
		    "123:%u): apparmor=\"DENIED\" operation=\"open\" profile=\"snap.firefox\" "
		    "name=\"/proc/%u/mountinfo\" pid=%u comm=\"firefox\" requested_mask=\"r\" "
		    "denied_mask=\"r\" fsuid=1000 ouid=0", hdr, t, rnd(1000000), rnd(100000), pid,
		    pid);
	if (r < 9800)
		return snprintf(out, len, "%s kernel: [%u.%06u] [UFW BLOCK] IN=wlp2s0 OUT= "
		    "MAC=01:00:5e:00:00:01 SRC=192.168.1.1 DST=224.0.0.1 LEN=36 TOS=0x00 PROC=0x00 "
		    "TTL=1 ID=0 DF PROTO=2", hdr, t, rnd(1000000));
	if (r < 9940)
		return snprintf(out, len, "%s polkitd[700]: Registered Authentication Agent for "
		    "unix-session:%u (system bus name :1.%u [/usr/bin/gnome-shell], object path "
		    "/org/freedesktop/PolicyKit1/AuthenticationAgent, locale vi_VN.UTF-8)", hdr,
		    sess, rnd(500));
	if (r < 9990)
		return snprintf(out, len, "%s gdm-password][%u]: pam_unix(gdm-password:session): "
		    "session opened for user %s(uid=1000) by (uid=0)", hdr, pid, u);
	if (r < 9995)
		return snprintf(out, len, "%s useradd[%u]: new user: name=tmp%u, UID=%u, GID=%u, "
		    "home=/home/tmp%u, shell=/bin/bash, from=/dev/pts/0", hdr, pid, sess, 1001 + sess,
		    1001 + sess, sess);
	return snprintf(out, len, "%s groupadd[%u]: new group: name=grp%u, GID=%u", hdr, pid,
	    sess, 2000 + sess);
}

static int
generate(const char *path, uint64_t n)
{
	char line[MAX_LINE];
	FILE *fp;
	uint64_t i;
	int len;

	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		/* About 12 lines a second, as a busy workstation day. */
		len = gen_line(line, sizeof(line), (unsigned)(i / 12));
		if (len < 0 || (size_t)len >= sizeof(line))
			len = 0;
		line[len] = '\n';
		fwrite(line, 1, (size_t)len + 1, fp);
	}
	if (fclose(fp) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

static void
line_cb(void *arg, const char *line, size_t len)
{
	struct scan *s = arg;
	struct match_input in;
	struct syslog_line sl;
	size_t n, i, k;

	s->lines++;
	s->bytes += len + 1;
	syslog_parse(line, len, &sl);
	in.source = "auth";
	in.program = sl.program;
	in.program_len = sl.program_len;
	in.msg = sl.msg;
	in.msg_len = sl.msg_len;
	in.time_us = sl.time_us;
	n = matcher_match(s->m, &in, s->evs, MATCH_MAX_EVENTS);
	s->events += n;
	for (i = 0; i < n; i++) {
		for (k = 0; k < s->nrules; k++)
			if (s->by_rule[k].rule == s->evs[i].rule)
				break;
		if (k == s->nrules && k < sizeof(s->by_rule) / sizeof(s->by_rule[0])) {
			s->by_rule[k].rule = s->evs[i].rule;
			s->nrules++;
		}
		if (k < s->nrules)
			s->by_rule[k].n++;
	}
}

static void
print_error(void *arg, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static double
secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static double
cpu_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vigil-scan-bench [--lines N] [--input FILE] [--keep FILE] "
	    "RULES_DIR [LOCAL_DIR]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "lines", required_argument, NULL, 'l' },
		{ "input", required_argument, NULL, 'i' },
		{ "keep", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan *s;
	struct ruleset *rs;
	struct matcher_stats st;
	struct tail_pos pos;
	struct tail *t;
	struct stat sb;
	struct timespec t0, t1;
	struct rusage ru;
	char tmp[] = "/tmp/vigil-scan-XXXXXX";
	const char *input = NULL, *keep = NULL, *path;
	uint64_t nlines = 1000000;
	double wall, cpu0, cpu;
	size_t i;
	int ch, rc, fd;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			nlines = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			input = optarg;
			break;
		case 'k':
			keep = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		usage();

	if ((rs = rules_new()) == NULL)
		return 1;
	if (rules_load_dir(rs, argv[optind], 0, print_error, NULL) != 0) {
		fprintf(stderr, "%s: cannot read the rules directory\n", argv[optind]);
		return 1;
	}
	if (argc - optind == 2)
		rules_load_dir(rs, argv[optind + 1], 1, print_error, NULL);
	rules_finish(rs, print_error, NULL);
	if (rs->nerrors > 0) {
		fprintf(stderr, "scan: %zu bad rules\n", rs->nerrors);
		return 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->m = matcher_new(rs)) == NULL)
		return 1;

	if (input != NULL) {
		path = input;
	} else {
		if (keep != NULL) {
			path = keep;
		} else {
			if ((fd = mkstemp(tmp)) < 0) {
				perror("mkstemp");
				return 1;
			}
			close(fd);
			path = tmp;
		}
		if (generate(path, nlines) != 0)
			return 1;
	}
	if (stat(path, &sb) != 0) {
		perror(path);
		return 1;
	}
	/* From the first byte: a position at offset 0 of this very file. */
	memset(&pos, 0, sizeof(pos));
	pos.dev = (uint64_t)sb.st_dev;
	pos.inode = (uint64_t)sb.st_ino;
	if ((t = tail_new("auth", path, MAX_LINE, &pos)) == NULL) {
		fprintf(stderr, "%s: cannot follow\n", path);
		return 1;
	}
	cpu0 = cpu_secs();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rc = tail_read(t, 256 * 1024, line_cb, s)) > 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cpu = cpu_secs() - cpu0;
	wall = secs(&t0, &t1);
	if (rc < 0) {
		fprintf(stderr, "%s: tail_read failed: %s\n", path, vigil_strerror(rc));
		return 1;
	}
	matcher_stats(s->m, &st);
	getrusage(RUSAGE_SELF, &ru);

	printf("rules:            %zu rules, %zu thresholds from %s\n", st.rules, st.thresholds,
	    argv[optind]);
	printf("input:            %s, %llu lines, %.1f MiB\n", input != NULL ? input :
	    "generated auth.log", (unsigned long long)s->lines, (double)s->bytes / 1048576.0);
	printf("scan:             %.3f s wall, %.3f s CPU\n", wall, cpu);
	printf("lines/s:          %.0f (wall), %.0f (CPU)\n", (double)s->lines / wall,
	    cpu > 0 ? (double)s->lines / cpu : 0.0);
	printf("MiB/s:            %.1f\n", (double)s->bytes / 1048576.0 / wall);
	printf("regex runs:       %llu (%.1f%% of lines)\n", (unsigned long long)st.regex_runs,
	    s->lines ? 100.0 * (double)st.regex_runs / (double)s->lines : 0.0);
	printf("rules matched:    %llu (%.1f%% of lines), suppressed %llu\n",
	    (unsigned long long)st.matched, s->lines ? 100.0 * (double)st.matched /
	    (double)s->lines : 0.0, (unsigned long long)st.suppressed);
	printf("events emitted:   %llu (thresholds %llu)\n", (unsigned long long)s->events,
	    (unsigned long long)st.fired);
	for (i = 0; i < s->nrules; i++)
		printf("  %-32s %llu\n", s->by_rule[i].rule, (unsigned long long)s->by_rule[i].n);
	printf("peak RSS:         %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);

	tail_free(t);
	matcher_free(s->m);
	free(s);
	if (input == NULL && keep == NULL)
		unlink(tmp);
	return 0;
}
