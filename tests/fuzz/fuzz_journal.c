/*
 * libFuzzer target: journald entries through the agent, as entry() in
 * agent/journal.c takes them: each field as sd_journal_get_data() returns
 * it ("NAME=value", any bytes, any length; the journal stores binary and
 * non-UTF-8 fields as they came), the program from SYSLOG_IDENTIFIER or
 * else _COMM (journal_field_value(), journal_program()), MESSAGE cut at
 * max_line, then ingest() through the shipped rules (deploy/rules.d, read
 * from the top of the tree as make test runs) into a real spool, in a
 * transaction rolled back after each input.
 *
 * Input: up to four entries, each three data separated by FUZZ_SEP (fuzz.h):
 * the SYSLOG_IDENTIFIER datum, the _COMM datum, the MESSAGE datum. An empty
 * datum is a field the entry lacks. One matcher for the process (it owns
 * the rules, whose compilation is too slow to repeat per input), and a clock
 * that advances a second per entry, as the agent's would: thresholds and
 * suppression see the entries in order, across inputs as a journal's run.
 *
 * What must hold: a field is only ever read from its own datum; the program
 * is a C string shorter than JOURNAL_PROGRAM_MAX; ingest() never fails and
 * no event it makes is refused by wire validation (a hostile log line must
 * not be able to hide the event it causes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "vigil/log.h"
#include "../../agent/ingest.h"
#include "../../agent/linux/journal.h"
#include "../../agent/matcher.h"
#include "../../agent/spool.h"
#include "../../agent/rules.h"

#define ENTRIES 4
#define MAX_LINE 16384                 /* the agent's default max_line */
#define T0 1764000000000000LL

static struct matcher *m;
static struct spool *spool;
static struct ingest *ing;
static char dir[64], path[96];

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_journal: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

static void
rules_error(void *arg, const char *msg)
{
	(void)arg;
	fail("the shipped rules", msg);
}

static void
cleanup(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[128];

	ingest_free(ing);
	spool_free(spool);
	matcher_free(m);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void
setup(void)
{
	struct ruleset *rs;
	char err[256];

	log_init("fuzz_journal", 1, -1);
	if ((rs = rules_new()) == NULL)
		fail("rules_new", "out of memory");
	rules_load_dir(rs, "deploy/rules.d", 0, rules_error, NULL);
	rules_finish(rs, rules_error, NULL);
	snprintf(dir, sizeof(dir), "%s/vigil-fuzz-journal.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL)
		fail("mkdtemp", dir);
	snprintf(path, sizeof(path), "%s/spool.db", dir);
	if ((spool = spool_open(path, 0, err, sizeof(err))) == NULL)
		fail("spool_open", err);
	if ((m = matcher_new(rs)) == NULL || (ing = ingest_new(spool, m)) == NULL)
		fail("matcher_new or ingest_new", "out of memory");
	atexit(cleanup);
}

/* journal_field_value(), and that what it hands out lies inside the datum. */
static int
value(const char *datum, size_t len, const char *name, const char **val, size_t *vlen)
{
	if (len == 0)
		return -1;                 /* the entry lacks the field */
	if (journal_field_value(datum, len, name, val, vlen) != 0)
		return -1;
	if (*val != datum + strlen(name) + 1 || *vlen != len - strlen(name) - 1)
		fail("journal_field_value", "a value outside its datum");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[3 * ENTRIES], program[JOURNAL_PROGRAM_MAX];
	size_t len[3 * ENTRIES], vlen;
	static int64_t clock = T0;
	struct ingest_input in;
	const char *val;
	uint64_t rejected;
	int rc;

	if (m == NULL)
		setup();
	fuzz_split(data, size, 3 * ENTRIES, parts, len);
	if (spool_begin(spool) != 0)
		fail("spool_begin", "failed");
	rejected = ingest_rejected(ing);
	for (size_t e = 0; e < ENTRIES; e++) {
		const char *ident = parts[3 * e], *comm = parts[3 * e + 1], *msg = parts[3 * e + 2];

		if (e > 0 && len[3 * e] + len[3 * e + 1] + len[3 * e + 2] == 0)
			break;
		program[0] = '\0';
		if (value(ident, len[3 * e], "SYSLOG_IDENTIFIER", &val, &vlen) == 0 ||
		    value(comm, len[3 * e + 1], "_COMM", &val, &vlen) == 0)
			journal_program(program, sizeof(program), val, vlen);
		if (strlen(program) >= JOURNAL_PROGRAM_MAX)
			fail("journal_program", "too long");
		if (value(msg, len[3 * e + 2], "MESSAGE", &val, &vlen) != 0)
			continue;
		if (vlen > MAX_LINE)
			vlen = MAX_LINE;
		memset(&in, 0, sizeof(in));
		in.source = "journal";
		in.line = val;
		in.len = vlen;
		in.program = program;
		in.time_us = clock += 1000000;
		if ((rc = ingest(ing, &in)) < 0)
			fail("ingest", "failed on a journal entry");
		if (ingest_rejected(ing) != rejected)
			fail("ingest", "an event of a journal entry failed wire validation");
	}
	if (spool_rollback(spool) != 0)
		fail("spool_rollback", "failed");
	fuzz_split_free(3 * ENTRIES, parts);
	return 0;
}
