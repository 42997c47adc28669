/*
 * The posture: which facts differ, the wire form with its unknowns, the
 * change notification (only on a real change), and sensor events through
 * validation into a real spool.
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
#include "vigil/wire.h"
#include "../../agent/posture.h"

#define YES VIGIL__V1__TRISTATE__TRISTATE_YES
#define NO VIGIL__V1__TRISTATE__TRISTATE_NO

static void
test_diff(void **state)
{
	struct posture_snapshot a, b;

	memset(&a, 0, sizeof(a));
	b = a;
	assert_int_equal(posture_diff(&a, &b), 0);
	b.av.running = YES;
	assert_int_equal(posture_diff(&a, &b), POSTURE_DIFF_AV_RUNNING);
	b = a;
	snprintf(b.av.product, sizeof(b.av.product), "ClamAV");
	b.av.signatures_us = 1;
	assert_int_equal(posture_diff(&a, &b), POSTURE_DIFF_AV_PRODUCT | POSTURE_DIFF_AV_SIGS);
	b = a;
	b.updates.security_pending_since_us = 5;
	assert_int_equal(posture_diff(&a, &b), POSTURE_DIFF_SECURITY);
	b = a;
	b.updates.last_upgrade_us = 5;
	b.updates.reboot_required = YES;
	b.usb_policy_blocked = 1;
	b.parts = POSTURE_PART_USB;
	assert_int_equal(posture_diff(&a, &b), POSTURE_DIFF_LAST | POSTURE_DIFF_REBOOT |
	    POSTURE_DIFF_USB | POSTURE_DIFF_PARTS);
}

static void
test_wire(void **state)
{
	struct posture_snapshot s;
	Vigil__V1__Posture p;
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;

	memset(&s, 0, sizeof(s));
	s.updates.pending = -1;
	s.updates.security_pending = -1;
	/* Nothing reported yet: no posture at all. */
	assert_int_equal(posture_to_wire(&s, &p), 0);
	/* Only the antivirus: update counts stay unknown (-1), not "none pending". */
	s.parts = POSTURE_PART_AV;
	snprintf(s.av.product, sizeof(s.av.product), "ClamAV");
	s.av.running = NO;
	s.av.realtime = 42;                  /* not a tristate: sent as unknown */
	assert_int_equal(posture_to_wire(&s, &p), 1);
	assert_string_equal(p.av_product, "ClamAV");
	assert_int_equal(p.av_running, NO);
	assert_int_equal(p.av_realtime, 0);
	assert_int_equal(p.updates_pending, -1);
	assert_int_equal(p.security_updates_pending, -1);
	f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
	f.heartbeat = &hb;
	hb.posture = &p;
	assert_int_equal(wire_validate(&f, NULL, 0), 0);
	s.parts |= POSTURE_PART_UPDATES;
	s.updates.pending = 3;
	s.updates.security_pending = 1;
	s.updates.reboot_required = YES;
	snprintf(s.updates.os, sizeof(s.updates.os), "Debian GNU/Linux 12 (bookworm)");
	assert_int_equal(posture_to_wire(&s, &p), 1);
	assert_int_equal(p.updates_pending, 3);
	assert_int_equal(p.reboot_required, YES);
	assert_string_equal(p.os, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(p.audit_policy, "");   /* Linux reports no audit policy */
	assert_int_equal(wire_validate(&f, NULL, 0), 0);
}

static int changes;

static void
changed(void *arg)
{
	changes++;
}

static int appended;

static void
appended_cb(void *arg)
{
	appended++;
}

static void
test_change(void **state)
{
	struct posture *p = posture_new(NULL, NULL, NULL);
	struct posture_av av;
	struct posture_updates up;

	assert_non_null(p);
	posture_on_change(p, changed, NULL);
	changes = 0;
	memset(&av, 0, sizeof(av));
	snprintf(av.product, sizeof(av.product), "ClamAV");
	av.running = YES;
	posture_set_av(p, &av);
	assert_int_equal(changes, 1);
	assert_true(posture_get(p)->parts & POSTURE_PART_AV);
	/* The same report again: no heartbeat for nothing. */
	posture_set_av(p, &av);
	assert_int_equal(changes, 1);
	av.running = NO;
	posture_set_av(p, &av);
	assert_int_equal(changes, 2);
	assert_int_equal(posture_get(p)->av.running, NO);

	memset(&up, 0, sizeof(up));
	up.pending = -1;
	up.security_pending = -1;
	posture_set_updates(p, &up);         /* a new part is a change */
	assert_int_equal(changes, 3);
	posture_set_updates(p, &up);
	assert_int_equal(changes, 3);
	up.security_pending = 2;
	up.pending = 2;
	posture_set_updates(p, &up);
	assert_int_equal(changes, 4);
	posture_set_usb_blocked(p, 0);       /* the USB part appears */
	assert_int_equal(changes, 5);
	posture_set_usb_blocked(p, 0);
	assert_int_equal(changes, 5);
	posture_set_usb_blocked(p, 1);
	assert_int_equal(changes, 6);
	posture_set_audit(p, "complete");   /* the audit part appears (Windows) */
	assert_int_equal(changes, 7);
	posture_set_audit(p, "complete");
	assert_int_equal(changes, 7);
	posture_set_audit(p, "incomplete: pnp(success)");
	assert_int_equal(changes, 8);
	{
		Vigil__V1__Posture w;

		assert_int_equal(posture_to_wire(posture_get(p), &w), 1);
		assert_string_equal(w.audit_policy, "incomplete: pnp(success)");
	}
	/* The AV part is untouched by the others. */
	assert_string_equal(posture_get(p)->av.product, "ClamAV");
	posture_free(p);
	posture_free(NULL);
}

static void
test_events(void **state)
{
	char dir[] = "/tmp/vigil-posture.XXXXXX", path[64], err[256];
	struct ingest_event ev;
	struct spool *sp;
	struct posture *p;
	Vigil__V1__Event **evs;
	size_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/spool.db", dir);
	sp = spool_open(path, 64LL << 20, err, sizeof(err));
	assert_non_null(sp);
	p = posture_new(sp, appended_cb, NULL);
	assert_non_null(p);
	appended = 0;

	memset(&ev, 0, sizeof(ev));
	ev.source = "antivirus";
	ev.category = VIGIL__V1__CATEGORY__CATEGORY_MALWARE;
	ev.severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH;
	ev.rule = "malware.detected";
	ev.summary = "ClamAV found X in /tmp/\xff.";
	ev.raw = "raw\0line";
	ev.rawlen = 8;
	ingest_field(&ev, "signature", "X");
	ingest_field(&ev, "path", "/tmp/\xff");
	assert_int_equal(posture_event(p, &ev), 0);
	assert_int_equal(appended, 1);
	/* Invalid: no rule. Skipped and counted, nothing appended. */
	ev.rule = "";
	assert_int_equal(posture_event(p, &ev), 0);
	assert_int_equal(appended, 1);
	assert_int_equal(posture_events_rejected(p), 1);

	assert_int_equal(spool_read(sp, 0, 10, &evs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(evs[0]->rule, "malware.detected");
	assert_true(evs[0]->time_us > 0);
	/* Cleaned for the wire: U+FFFD for the bad byte and for the NUL. */
	assert_string_equal(evs[0]->summary, "ClamAV found X in /tmp/\xef\xbf\xbd.");
	assert_string_equal(evs[0]->raw, "raw\xef\xbf\xbdline");
	assert_int_equal(evs[0]->n_fields, 2);
	assert_string_equal(evs[0]->fields[1]->value, "/tmp/\xef\xbf\xbd");
	spool_events_free(evs, n);

	posture_free(p);
	spool_free(sp);
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
		cmocka_unit_test(test_diff),   cmocka_unit_test(test_wire),
		cmocka_unit_test(test_change), cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
