/*
 * The journald source (agent/journal.c): the matches built from the
 * configuration, and reading real journal files made from journal export
 * format by systemd-journal-remote (no daemon): start at the end, resume
 * after the committed cursor, filters, the per-pass bound, a bad or vanished
 * cursor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-journal.h>

#include "vigil/err.h"
#include "vigil/log.h"

#include "../../agent/linux/journal.h"
#include "../../agent/matcher.h"
#include "../../agent/spool.h"
#include "../../agent/rules.h"

#define JOURNAL_REMOTE "/lib/systemd/systemd-journal-remote"
#define BOOT_ID "70b7532f07c841de84c02b929683a337"

/* sshd's failed password, as the shipped rule has it, for sshd only. */
static const char ssh_rule[] =
    "[rule ssh.failed_password]\n"
    "description = A password was refused for an SSH login\n"
    "program = sshd\n"
    "pattern = ^Failed password for (?<user>.*) from (?<src_ip>\\S+) port (?<port>\\d+) ssh2$\n"
    "category = auth\n"
    "severity = low\n"
    "summary = Failed SSH password for {user} from {src_ip}\n";

struct fixture {
	char dir[256];
	char jdir[512];            /* the journal directory the source reads */
	char db[PATH_MAX];
	char export[PATH_MAX];
	struct event_base *base;
	struct spool *spool;
	struct matcher *m;
	struct journal *jn;
	struct agent_conf_journal conf;
	int appended;              /* calls of the appended callback */
};

static void
rm_tree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) != 0)
			rm_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

static void
rule_error(void *arg, const char *msg)
{
	int *errors = arg;

	(*errors)++;
	print_error("%s\n", msg);
}

static struct matcher *
new_matcher(void)
{
	struct ruleset *rs;
	int errors = 0;

	if ((rs = rules_new()) == NULL)
		return NULL;
	if (rules_load_text(rs, "test.rules", ssh_rule, strlen(ssh_rule), 0, rule_error,
	    &errors) != 0 || errors > 0) {
		rules_free(rs);
		return NULL;
	}
	rules_finish(rs, rule_error, &errors);
	return matcher_new(rs);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-journal.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->jdir, sizeof(f->jdir), "%s/journal", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/spool.db", f->dir);
	snprintf(f->export, sizeof(f->export), "%s/export.txt", f->dir);
	if (mkdir(f->jdir, 0700) != 0)
		return -1;
	if ((f->base = event_base_new()) == NULL ||
	    (f->spool = spool_open(f->db, 0, err, sizeof(err))) == NULL ||
	    (f->m = new_matcher()) == NULL)
		return -1;
	snprintf(f->conf.name, sizeof(f->conf.name), "system");
	snprintf(f->conf.directory, sizeof(f->conf.directory), "%s", f->jdir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	journal_free(f->jn);
	matcher_free(f->m);
	spool_free(f->spool);
	event_base_free(f->base);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static void
skip_without_journal_remote(void)
{
	if (access(JOURNAL_REMOTE, X_OK) != 0) {
		print_message("skipped: %s is missing (Debian package systemd-journal-remote)\n",
		    JOURNAL_REMOTE);
		skip();
	}
}

/*
 * One entry in journal export format. Entry i has realtime and monotonic
 * stamps that grow with i, so that entries appended later sort later.
 */
static void
export_entry(FILE *fp, int i, const char *ident, const char *unit, const char *msg)
{
	fprintf(fp, "__REALTIME_TIMESTAMP=%lld\n", 1700000000000000LL + i);
	fprintf(fp, "__MONOTONIC_TIMESTAMP=%d\n", 1000000 + i);
	fprintf(fp, "_BOOT_ID=" BOOT_ID "\n_HOSTNAME=pc\n");
	if (ident != NULL)
		fprintf(fp, "SYSLOG_IDENTIFIER=%s\n", ident);
	if (unit != NULL)
		fprintf(fp, "_SYSTEMD_UNIT=%s\n", unit);
	if (msg != NULL)
		fprintf(fp, "MESSAGE=%s\n", msg);
	fprintf(fp, "\n");
}

/* Append the export file to the journal file `name` in the journal directory. */
static void
journal_remote(struct fixture *f, const char *name)
{
	char out[PATH_MAX + 64];
	int status, fd;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/%s", f->jdir, name);
	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0)
			dup2(fd, 2);
		execl(JOURNAL_REMOTE, JOURNAL_REMOTE, "--split-mode=none", "-o", out, f->export,
		    (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * Entries first..last: each is a failed SSH password for uNNNNNN from
 * SYSLOG_IDENTIFIER sshd (unit ssh.service), followed by a decoy of the same
 * shape for xNNNNNN from identifier "fakesshd" (unit fake.service), and an
 * entry of cron.service with no MESSAGE at all.
 */
static void
write_entries(struct fixture *f, const char *file, int first, int last)
{
	char msg[128];
	FILE *fp;
	int i;

	assert_non_null(fp = fopen(f->export, "w"));
	for (i = first; i <= last; i++) {
		snprintf(msg, sizeof(msg), "Failed password for u%06d from 10.0.0.1 port 22 ssh2",
		    i);
		export_entry(fp, 3 * i, "sshd", "ssh.service", msg);
		snprintf(msg, sizeof(msg), "Failed password for x%06d from 10.0.0.2 port 22 ssh2",
		    i);
		export_entry(fp, 3 * i + 1, "fakesshd", "fake.service", msg);
		export_entry(fp, 3 * i + 2, "cron", "cron.service", NULL);
	}
	assert_int_equal(fclose(fp), 0);
	journal_remote(f, file);
}

static void
appended_cb(void *arg)
{
	struct fixture *f = arg;

	f->appended++;
}

static void
start(struct fixture *f)
{
	char err[256] = "";

	journal_free(f->jn);
	f->jn = journal_new(f->base, f->spool, f->m, &f->conf, 1, 4096, appended_cb, f, err,
	    sizeof(err));
	if (f->jn == NULL)
		fail_msg("journal_new: %s", err);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	int *expired = arg;

	*expired = 1;
}

/* Run the loop until the source has read n entries; fail after 10 s. */
static void
run_until_read(struct fixture *f, uint64_t n)
{
	struct timeval tv = { 10, 0 };
	struct event *deadline;
	int expired = 0;

	assert_non_null(deadline = evtimer_new(f->base, deadline_cb, &expired));
	evtimer_add(deadline, &tv);
	while (journal_entries_read(f->jn) < n && !expired)
		event_base_loop(f->base, EVLOOP_ONCE);
	event_free(deadline);
	if (journal_entries_read(f->jn) < n)
		fail_msg("%llu entries read after 10 s, %llu expected",
		    (unsigned long long)journal_entries_read(f->jn), (unsigned long long)n);
	/* Anything still queued (a pass cut at its budget) runs now. */
	event_base_loop(f->base, EVLOOP_NONBLOCK);
}

/* The users of the spooled events, in seq order, joined by ' '. */
static void
spooled_users(struct fixture *f, char *out, size_t cap)
{
	Vigil__V1__Event **evs;
	size_t n, i, k, len = 0;

	out[0] = '\0';
	assert_int_equal(spool_read(f->spool, 0, 100000, &evs, &n), 0);
	for (i = 0; i < n; i++)
		for (k = 0; k < evs[i]->n_fields; k++)
			if (strcmp(evs[i]->fields[k]->key, "user") == 0 && len < cap)
				len += (size_t)snprintf(out + len, cap - len, "%s%s",
				    len > 0 ? " " : "", evs[i]->fields[k]->value);
	spool_events_free(evs, n);
}

static void
expect_users(struct fixture *f, int first, int last)
{
	char want[65536], got[65536];
	size_t len = 0;
	int i;

	want[0] = '\0';
	for (i = first; i <= last; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%su%06d",
		    len > 0 ? " " : "", i);
	spooled_users(f, got, sizeof(got));
	assert_string_equal(got, want);
}

static int
add_match(void *arg, const char *match)
{
	sd_journal *j = arg;

	assert_int_equal(sd_journal_add_match(j, match, 0), 0);
	assert_int_equal(sd_journal_add_disjunction(j), 0);
	return 0;
}

/* The cursor of the last entry the source's filter passes, read without the agent. */
static void
last_cursor(struct fixture *f, char *out, size_t cap)
{
	sd_journal *j;
	char *c = NULL;

	assert_int_equal(sd_journal_open_directory(&j, f->jdir, 0), 0);
	assert_int_equal(journal_matches(&f->conf, add_match, j), 0);
	assert_int_equal(sd_journal_seek_tail(j), 0);
	assert_int_equal(sd_journal_previous(j), 1);
	assert_int_equal(sd_journal_get_cursor(j, &c), 0);
	snprintf(out, cap, "%s", c);
	free(c);
	sd_journal_close(j);
}

static void
expect_cursor_at_end(struct fixture *f)
{
	char want[SPOOL_CURSOR_MAX + 1], got[SPOOL_CURSOR_MAX + 1];

	last_cursor(f, want, sizeof(want));
	assert_int_equal(spool_cursor_get(f->spool, "system", got, sizeof(got)), 0);
	assert_string_equal(got, want);
}

/* ---- the matches ---------------------------------------------------------- */

struct collected {
	char text[2048];
	int calls;
	int stop_at;
};

static int
collect(void *arg, const char *match)
{
	struct collected *c = arg;
	size_t len = strlen(c->text);

	c->calls++;
	snprintf(c->text + len, sizeof(c->text) - len, "%s%s", len > 0 ? "|" : "", match);
	return c->calls == c->stop_at ? 7 : 0;
}

static void
test_matches(void **state)
{
	struct agent_conf_journal jc;
	struct collected c;

	(void)state;
	memset(&jc, 0, sizeof(jc));
	memset(&c, 0, sizeof(c));
	assert_int_equal(journal_matches(&jc, collect, &c), 0);
	assert_int_equal(c.calls, 0);       /* no filter: every entry */

	snprintf(jc.units, sizeof(jc.units), "  ssh\tcron.service  getty@tty1.service ");
	snprintf(jc.identifiers, sizeof(jc.identifiers), "sshd su sudo");
	assert_int_equal(journal_matches(&jc, collect, &c), 0);
	assert_string_equal(c.text,
	    "_SYSTEMD_UNIT=ssh.service|_SYSTEMD_UNIT=cron.service|"
	    "_SYSTEMD_UNIT=getty@tty1.service|"
	    "SYSLOG_IDENTIFIER=sshd|SYSLOG_IDENTIFIER=su|SYSLOG_IDENTIFIER=sudo");

	/* Identifiers alone; a nonzero return stops the walk and is returned. */
	memset(&c, 0, sizeof(c));
	jc.units[0] = '\0';
	c.stop_at = 2;
	assert_int_equal(journal_matches(&jc, collect, &c), 7);
	assert_string_equal(c.text, "SYSLOG_IDENTIFIER=sshd|SYSLOG_IDENTIFIER=su");
}

/* ---- reading journal files ----------------------------------------------- */

/*
 * A new source starts after the last entry; entries appended later wake it
 * through the loop; a restart resumes after the committed cursor, reading
 * what was written while the agent was down, once.
 */
static void
test_follow_and_resume(void **state)
{
	struct fixture *f = *state;
	char cur[SPOOL_CURSOR_MAX + 1];

	skip_without_journal_remote();
	snprintf(f->conf.identifiers, sizeof(f->conf.identifiers), "sshd");
	write_entries(f, "a.journal", 1, 4);
	start(f);
	assert_int_equal(journal_entries_read(f->jn), 0);
	assert_int_equal(spool_depth(f->spool), 0);
	/* The starting point is committed at once, so a crash now loses nothing. */
	assert_int_equal(spool_cursor_get(f->spool, "system", cur, sizeof(cur)), 0);
	assert_true(strlen(cur) > 0);

	write_entries(f, "a.journal", 5, 12);
	run_until_read(f, 8);
	/* Only sshd's entries were read: the decoys and cron are filtered out. */
	assert_int_equal(journal_entries_read(f->jn), 8);
	expect_users(f, 5, 12);
	expect_cursor_at_end(f);
	assert_true(f->appended > 0);

	/* Down, entries written, up again: exactly those are read. */
	journal_free(f->jn);
	f->jn = NULL;
	write_entries(f, "a.journal", 13, 20);
	start(f);
	assert_int_equal(journal_entries_read(f->jn), 8);
	expect_users(f, 5, 20);
	expect_cursor_at_end(f);

	/* Nothing new: the entry at the cursor is not read again. */
	start(f);
	assert_int_equal(journal_entries_read(f->jn), 0);
	assert_int_equal(spool_depth(f->spool), 16);
}

/*
 * A MESSAGE that ends in CR (syslog relayed from a Windows machine or a
 * network device into the journal) still matches a rule anchored with $:
 * one trailing CR is not part of the message. Written in the export
 * format's binary form, the only one that may carry a CR.
 */
static void
test_message_with_cr(void **state)
{
	struct fixture *f = *state;
	static const char msg[] = "Failed password for u000007 from 10.0.0.1 port 22 ssh2\r";
	uint64_t n = sizeof(msg) - 1;
	unsigned char le[8];
	FILE *fp;
	int i;

	skip_without_journal_remote();
	snprintf(f->conf.identifiers, sizeof(f->conf.identifiers), "sshd");
	write_entries(f, "a.journal", 1, 1);
	start(f);
	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(n >> (8 * i));
	assert_non_null(fp = fopen(f->export, "w"));
	fprintf(fp, "__REALTIME_TIMESTAMP=%lld\n", 1700000000000000LL + 100);
	fprintf(fp, "__MONOTONIC_TIMESTAMP=%d\n", 1000000 + 100);
	fprintf(fp, "_BOOT_ID=" BOOT_ID "\n_HOSTNAME=pc\nSYSLOG_IDENTIFIER=sshd\n");
	fprintf(fp, "MESSAGE\n");
	assert_int_equal(fwrite(le, 1, 8, fp), 8);
	assert_int_equal(fwrite(msg, 1, n, fp), n);
	fprintf(fp, "\n\n");
	assert_int_equal(fclose(fp), 0);
	journal_remote(f, "a.journal");
	run_until_read(f, 1);
	expect_users(f, 7, 7);
}

/* Units OR identifiers: cron.service's entries and sshd's, not the decoys. */
static void
test_units_or_identifiers(void **state)
{
	struct fixture *f = *state;

	skip_without_journal_remote();
	snprintf(f->conf.units, sizeof(f->conf.units), "cron");
	snprintf(f->conf.identifiers, sizeof(f->conf.identifiers), "sshd");
	write_entries(f, "a.journal", 1, 1);
	start(f);
	write_entries(f, "a.journal", 2, 6);
	run_until_read(f, 10);
	assert_int_equal(journal_entries_read(f->jn), 10);
	expect_users(f, 2, 6);

	/* A unit alone. */
	f->conf.identifiers[0] = '\0';
	snprintf(f->conf.units, sizeof(f->conf.units), "fake.service");
	spool_cursor_set(f->spool, "system", "");
	start(f);
	assert_int_equal(journal_entries_read(f->jn), 6);      /* 1..6, from the start */
	expect_cursor_at_end(f);
}

/* No filter: every entry is read, with or without a MESSAGE. */
static void
test_everything(void **state)
{
	struct fixture *f = *state;

	skip_without_journal_remote();
	write_entries(f, "a.journal", 1, 1);
	start(f);
	write_entries(f, "a.journal", 2, 3);
	run_until_read(f, 6);
	assert_int_equal(journal_entries_read(f->jn), 6);
	/* The decoys do not match sshd's rule: their program is fakesshd. */
	expect_users(f, 2, 3);
}

/*
 * A journal that is empty when the source starts: everything that comes is
 * new, and that holds across a restart before the first entry.
 */
static void
test_empty_journal(void **state)
{
	struct fixture *f = *state;
	char cur[SPOOL_CURSOR_MAX + 1];

	skip_without_journal_remote();
	snprintf(f->conf.identifiers, sizeof(f->conf.identifiers), "sshd");
	start(f);
	assert_int_equal(spool_cursor_get(f->spool, "system", cur, sizeof(cur)), 0);
	assert_string_equal(cur, "");
	start(f);
	write_entries(f, "a.journal", 1, 3);
	run_until_read(f, 3);
	expect_users(f, 1, 3);
	expect_cursor_at_end(f);
}

/*
 * One pass reads at most JOURNAL_PASS_MAX entries; the rest follow through
 * the loop, each pass committed with its cursor.
 */
static void
test_pass_bound(void **state)
{
	struct fixture *f = *state;
	int n = 2 * JOURNAL_PASS_MAX + JOURNAL_PASS_MAX / 2;

	skip_without_journal_remote();
	snprintf(f->conf.identifiers, sizeof(f->conf.identifiers), "sshd");
	start(f);
	journal_free(f->jn);
	f->jn = NULL;
	write_entries(f, "a.journal", 1, n);
	start(f);
	assert_int_equal(journal_entries_read(f->jn), JOURNAL_PASS_MAX);
	assert_int_equal(spool_depth(f->spool), JOURNAL_PASS_MAX);
	run_until_read(f, (uint64_t)n);
	assert_int_equal(journal_entries_read(f->jn), (uint64_t)n);
	expect_users(f, 1, n);
	expect_cursor_at_end(f);
}

/* A cursor the journal does not accept: start again after the last entry. */
static void
test_bad_cursor(void **state)
{
	struct fixture *f = *state;

	skip_without_journal_remote();
	snprintf(f->conf.identifiers, sizeof(f->conf.identifiers), "sshd");
	write_entries(f, "a.journal", 1, 3);
	assert_int_equal(spool_cursor_set(f->spool, "system", "not a cursor"), 0);
	start(f);
	assert_int_equal(journal_entries_read(f->jn), 0);
	expect_cursor_at_end(f);
	write_entries(f, "a.journal", 4, 5);
	run_until_read(f, 2);
	expect_users(f, 4, 5);
}

/*
 * A cursor longer than the spool hands out (a damaged spool; fuzz_spool's
 * review found it): as a cursor the journal refuses. It once made
 * journal_new() fail, and the agent with it, at every start.
 */
static void
test_cursor_too_long(void **state)
{
	struct fixture *f = *state;
	char sql[SPOOL_CURSOR_MAX + 128];
	sqlite3 *db;

	skip_without_journal_remote();
	snprintf(f->conf.identifiers, sizeof(f->conf.identifiers), "sshd");
	write_entries(f, "a.journal", 1, 3);
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO cursors(source, cursor) VALUES "
	    "('system', '%0*d')", SPOOL_CURSOR_MAX + 1, 0);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	start(f);
	assert_int_equal(journal_entries_read(f->jn), 0);
	expect_cursor_at_end(f);
	write_entries(f, "a.journal", 4, 5);
	run_until_read(f, 2);
	expect_users(f, 4, 5);
}

/*
 * The file holding the cursor's entry is gone (rotated away and vacuumed):
 * the source resumes at the first later entry and reads it, not after it.
 */
static void
test_cursor_gone(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 32];

	skip_without_journal_remote();
	snprintf(f->conf.identifiers, sizeof(f->conf.identifiers), "sshd");
	write_entries(f, "a.journal", 1, 2);
	start(f);
	journal_free(f->jn);
	f->jn = NULL;
	snprintf(path, sizeof(path), "%s/a.journal", f->jdir);
	assert_int_equal(unlink(path), 0);
	write_entries(f, "b.journal", 3, 5);
	start(f);
	assert_int_equal(journal_entries_read(f->jn), 3);
	expect_users(f, 3, 5);
	expect_cursor_at_end(f);
}

static void
test_open_error(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";

	snprintf(f->conf.directory, sizeof(f->conf.directory), "%s/no/such/dir", f->dir);
	assert_null(journal_new(f->base, f->spool, f->m, &f->conf, 1, 4096, NULL, NULL, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "system"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test_setup_teardown(test_follow_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_units_or_identifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_with_cr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_error, setup, teardown),
	};

	/* The source's log lines, for a failing run. */
	log_init("test_journal", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
