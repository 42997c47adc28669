/*
 * The Windows Event Log bookmark in the spool: a channel's last record and
 * its bookmark text commit in the same transaction as the events read up to
 * it. A recorded channel (rendered events, as EvtRender gives them) is read
 * by a stand-in for the sensor in batches, as the sensor will; the agent
 * "dies" in the middle of a batch, after its events were appended but
 * before the commit, and again between batches; the restarted reader
 * resumes from the spool's bookmark. Every event becomes exactly one spool
 * event, in order: none lost, none repeated.
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

#include "vigil/err.h"
#include "vigil/winevent.h"
#include "../../agent/ingest.h"
#include "../../agent/matcher.h"
#include "../../agent/rules.h"
#include "../../agent/spool.h"

#define NEVENTS 40
#define FIRST_RECORD 7001

static const char rules[] =
    "[rule win.logon]\ndescription = d\ncategory = auth\nseverity = info\n"
    "channel = Security\nevent_id = 4624 4625\nfields = record_id TargetUserName\n"
    "summary = {record_id} {TargetUserName}\n";

/* The recorded channel: NEVENTS rendered events, one after another. */
static char *
recorded(size_t *len)
{
	size_t cap = NEVENTS * 1024, n = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	for (int i = 0; i < NEVENTS; i++)
		n += (size_t)snprintf(s + n, cap - n,
		    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
		    "<Provider Name='Microsoft-Windows-Security-Auditing' "
		    "Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>%d</EventID>"
		    "<TimeCreated SystemTime='2026-12-04T08:%02d:%02d.5000000Z'/>"
		    "<EventRecordID>%d</EventRecordID><Channel>Security</Channel>"
		    "<Computer>MAY-KE-TOAN-01</Computer></System><EventData>"
		    "<Data Name='TargetUserName'>Nguyễn Văn An</Data><Data Name='LogonType'>2</Data>"
		    "</EventData></Event>\r\n", i % 3 == 0 ? 4625 : 4624, i / 60, i % 60,
		    FIRST_RECORD + i);
	*len = n;
	return s;
}

struct agent {
	struct spool *spool;
	struct matcher *m;
	struct ingest *ing;
};

static void
start(struct agent *a, const char *path)
{
	struct ruleset *rs = rules_new();
	char err[256];

	assert_non_null(rs);
	assert_int_equal(rules_load_text(rs, "w.rules", rules, sizeof(rules) - 1, 0, NULL, NULL), 0);
	rules_finish(rs, NULL, NULL);
	assert_int_equal(rs->nerrors, 0);
	assert_non_null(a->m = matcher_new(rs));
	assert_non_null(a->spool = spool_open(path, 0, err, sizeof(err)));
	assert_non_null(a->ing = ingest_new(a->spool, a->m));
}

static void
stop(struct agent *a)
{
	ingest_free(a->ing);
	matcher_free(a->m);
	spool_free(a->spool);   /* an open transaction is rolled back, as at a crash */
}

/*
 * Read the channel after the spool's bookmark, batch events per
 * transaction; stop (without committing) once `die_after` events were
 * appended, or at the end. Returns the events read.
 */
static int
run(struct agent *a, const char *xml, size_t len, int batch, int die_after)
{
	struct winevent *ev = malloc(sizeof(*ev));
	char bm[SPOOL_BOOKMARK_MAX + 1], err[128];
	uint64_t last = 0;
	size_t at = 0, used;
	int rc, n = 0, in_batch = 0;

	assert_non_null(ev);
	rc = spool_bookmark_get(a->spool, "Security", &last, bm, sizeof(bm));
	assert_true(rc == 0 || rc == VIGIL_ERR_NOTFOUND);
	for (;;) {
		rc = winevent_parse(ev, xml + at, len - at, &used, err, sizeof(err));
		if (rc == VIGIL_ERR_EMPTY)
			break;
		assert_int_equal(rc, 0);
		at += used;
		/* EvtSubscribe from the bookmark gives the records after it: so does this. */
		if (ev->record_id <= last)
			continue;
		if (in_batch == 0)
			assert_int_equal(spool_begin(a->spool), 0);
		assert_int_equal(ingest_winevent(a->ing, "security", ev), 1);
		n++;
		snprintf(bm, sizeof(bm), "<BookmarkList>\r\n  <Bookmark Channel='Security' "
		    "RecordId='%llu' IsCurrent='true'/>\r\n</BookmarkList>",
		    (unsigned long long)ev->record_id);
		assert_int_equal(spool_bookmark_set(a->spool, "Security", ev->record_id, bm), 0);
		if (n == die_after)
			break;
		if (++in_batch == batch) {
			assert_int_equal(spool_commit(a->spool), 0);
			in_batch = 0;
		}
	}
	if (in_batch > 0 && n != die_after)
		assert_int_equal(spool_commit(a->spool), 0);
	free(ev);
	return n;
}

static void
test_restart(void **state)
{
	char dir[] = "/tmp/vigil-test-bookmark.XXXXXX", path[128], bm[SPOOL_BOOKMARK_MAX + 1];
	char big[SPOOL_BOOKMARK_MAX + 2];
	Vigil__V1__Event **evs;
	struct agent a;
	size_t len, n, i;
	uint64_t rec;
	char *xml = recorded(&len);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/spool.db", dir);

	/* Batches of 4; dies after the 10th event: 8 committed, 9 and 10 rolled back. */
	start(&a, path);
	assert_int_equal(spool_bookmark_get(a.spool, "Security", &rec, bm, sizeof(bm)),
	    VIGIL_ERR_NOTFOUND);
	assert_int_equal(run(&a, xml, len, 4, 10), 10);
	stop(&a);
	start(&a, path);
	assert_int_equal(spool_bookmark_get(a.spool, "Security", &rec, bm, sizeof(bm)), 0);
	assert_int_equal(rec, FIRST_RECORD + 7);
	assert_non_null(strstr(bm, "RecordId='7008'"));
	assert_int_equal(spool_depth(a.spool), 8);
	/* Dies right after a commit (event 8 of this run ends its second batch). */
	assert_int_equal(run(&a, xml, len, 4, 9), 9);
	stop(&a);
	start(&a, path);
	assert_int_equal(spool_depth(a.spool), 16);
	/* To the end, in batches of 5. */
	assert_int_equal(run(&a, xml, len, 5, -1), NEVENTS - 16);
	stop(&a);
	/* And once more: nothing new, nothing repeated. */
	start(&a, path);
	assert_int_equal(run(&a, xml, len, 5, -1), 0);

	assert_int_equal(spool_read(a.spool, 0, 1000, &evs, &n), 0);
	assert_int_equal(n, NEVENTS);
	for (i = 0; i < n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "%zu Nguyễn Văn An", FIRST_RECORD + i);
		assert_string_equal(evs[i]->summary, want);
		assert_string_equal(evs[i]->rule, "win.logon");
		assert_non_null(strstr(evs[i]->raw, "Security "));
		assert_int_equal(evs[i]->seq, i + 1);
	}
	spool_events_free(evs, n);
	assert_int_equal(spool_bookmark_get(a.spool, "Security", &rec, bm, sizeof(bm)), 0);
	assert_int_equal(rec, FIRST_RECORD + NEVENTS - 1);
	/* A bookmark that does not fit is said, not cut. */
	assert_int_equal(spool_bookmark_get(a.spool, "Security", &rec, bm, 8), VIGIL_ERR_TOOBIG);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(spool_bookmark_set(a.spool, "System", 1, big), VIGIL_ERR_TOOBIG);
	big[SPOOL_BOOKMARK_MAX] = '\0';
	assert_int_equal(spool_bookmark_set(a.spool, "System", 1, big), 0);
	stop(&a);

	free(xml);
	unlink(path);
	snprintf(path, sizeof(path), "%s/spool.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/spool.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
