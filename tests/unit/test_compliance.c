/*
 * collector/compliance.c: every rule alone and at its boundary, several
 * reasons at once, unknown facts, machines off or silent judged on their
 * last state, and the percentage against the target.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "../../collector/compliance.h"

#define S 1000000LL
#define MIN (60 * S)
#define H (60 * MIN)
#define DAY (24 * H)
#define NOW (1764000000LL * S)   /* 2025-11-24 */

static const struct compliance_limits limits = { 7 * DAY, 3 * DAY, 7 * DAY };

/* A machine, on, that meets every rule at NOW. */
static struct compliance_facts
good(void)
{
	struct compliance_facts f = {
		.last_seen_us = NOW - 5 * S,
		.on = 1,
		.has_posture = 1,
		.av_product = "ClamAV",
		.av_running = 1,
		.av_signatures_us = NOW - 1 * DAY,
		.security_updates_pending = 0,
		.security_pending_since_us = 0,
	};

	return f;
}

static struct compliance_result
judge(const struct compliance_facts *f)
{
	struct compliance_result r;

	assert_int_equal(compliance_eval(f, &limits, NOW, &r), 0);
	assert_int_equal(r.compliant, r.violations == 0);
	return r;
}

static void
test_good(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r = judge(&f);

	(void)state;
	assert_true(r.compliant);
	assert_int_equal(r.violations, 0);
	assert_int_equal(r.notes, 0);
	assert_string_equal(r.reasons, "");
	/* Pending security updates within the grace are fine. */
	f.security_updates_pending = 4;
	f.security_pending_since_us = NOW - 6 * DAY;
	r = judge(&f);
	assert_true(r.compliant);
	assert_string_equal(r.reasons, "");
}

/*
 * Off or silent is no fault by itself; not seen for more than offline_after
 * is, with its own reason. An agent that never reported is not compliant.
 */
static void
test_not_seen(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.on = 0;
	f.last_seen_us = NOW - 3 * H;           /* switched off this evening */
	r = judge(&f);
	assert_true(r.compliant);
	f.last_seen_us = NOW - 7 * DAY;         /* exactly the limit: still fine */
	f.av_signatures_us = f.last_seen_us - DAY;
	r = judge(&f);
	assert_true(r.compliant);
	f.last_seen_us = NOW - 7 * DAY - 1;
	f.av_signatures_us = f.last_seen_us - DAY;
	r = judge(&f);
	assert_false(r.compliant);
	assert_int_equal(r.violations, COMPLIANCE_NOT_SEEN);
	assert_string_equal(r.reasons, "not seen for 7 days (limit 7 days)");
	f.last_seen_us = NOW - 12 * DAY - 3 * H;
	f.av_signatures_us = f.last_seen_us - DAY;
	r = judge(&f);
	assert_string_equal(r.reasons, "not seen for 12 days (limit 7 days)");
	/* On is on, whatever the stored last word says (a live session knows better). */
	f.on = 1;
	f.av_signatures_us = NOW - DAY;
	r = judge(&f);
	assert_true(r.compliant);
	f.last_seen_us = 0;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_NOT_SEEN);
	assert_string_equal(r.reasons, "agent never reported");
	/* A clock behind the agent's last report is not an absence. */
	f.on = 0;
	f.last_seen_us = NOW + 10 * S;
	r = judge(&f);
	assert_true(r.compliant);
}

/*
 * A machine off (or silent) is judged as of its last word: signatures a day
 * old when it was switched off five days ago are a day old, not six; an
 * update that had waited 6 days then has not waited 11. The same facts on a
 * machine that is on are judged now.
 */
static void
test_last_state(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.on = 0;
	f.last_seen_us = NOW - 5 * DAY;
	f.av_signatures_us = f.last_seen_us - DAY;
	f.security_updates_pending = 2;
	f.security_pending_since_us = f.last_seen_us - 6 * DAY;
	assert_int_equal(compliance_as_of(&f, NOW), NOW - 5 * DAY);
	r = judge(&f);
	assert_true(r.compliant);
	assert_string_equal(r.reasons, "");
	/* What was already wrong when it went off stays wrong. */
	f.av_signatures_us = f.last_seen_us - 4 * DAY;
	f.security_pending_since_us = f.last_seen_us - 8 * DAY;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_SIGS_OLD | COMPLIANCE_SECURITY_LATE);
	assert_string_equal(r.reasons, "signatures 4 days old (limit 3 days); "
	    "2 security updates pending for 8 days (grace 7 days)");
	/* Switched on again with the same (now stale) facts: judged now. */
	f.on = 1;
	f.av_signatures_us = NOW - 6 * DAY;
	f.security_pending_since_us = NOW - 11 * DAY;
	assert_int_equal(compliance_as_of(&f, NOW), NOW);
	r = judge(&f);
	assert_string_equal(r.reasons, "signatures 6 days old (limit 3 days); "
	    "2 security updates pending for 11 days (grace 7 days)");
	/* Off so long that nobody knows: only that reason is new. */
	f.on = 0;
	f.last_seen_us = NOW - 30 * DAY;
	f.av_signatures_us = f.last_seen_us - DAY;
	f.security_pending_since_us = f.last_seen_us - DAY;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_NOT_SEEN);
	assert_string_equal(r.reasons, "not seen for 30 days (limit 7 days)");
}

static void
test_no_posture(void **state)
{
	struct compliance_facts f = { .last_seen_us = NOW - S, .has_posture = 0,
	    .av_running = 1, .security_updates_pending = -1 };
	struct compliance_result r = judge(&f);

	(void)state;
	assert_false(r.compliant);
	assert_int_equal(r.violations, COMPLIANCE_NO_POSTURE);
	assert_int_equal(r.notes, 0);
	assert_string_equal(r.reasons, "no posture reported");
	f.last_seen_us = 0;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_NOT_SEEN | COMPLIANCE_NO_POSTURE);
	assert_string_equal(r.reasons, "agent never reported; no posture reported");
}

static void
test_antivirus(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.av_running = 2;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_AV_STOPPED);
	assert_string_equal(r.reasons, "antivirus ClamAV not running");
	f.av_running = 0;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_AV_UNKNOWN);
	assert_string_equal(r.reasons, "antivirus ClamAV state unknown");
	/* No product: one reason, not a pile about its signatures. */
	f = good();
	f.av_product = "";
	f.av_running = 0;
	f.av_signatures_us = 0;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_NO_AV);
	assert_string_equal(r.reasons, "no antivirus found");
	f.av_product = NULL;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_NO_AV);
}

static void
test_signatures(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.av_signatures_us = NOW - 3 * DAY + 1;   /* just younger than the limit */
	r = judge(&f);
	assert_true(r.compliant);
	f.av_signatures_us = NOW - 3 * DAY;       /* as old as the limit: too old */
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_SIGS_OLD);
	assert_string_equal(r.reasons, "signatures 3 days old (limit 3 days)");
	f.av_signatures_us = NOW - 10 * DAY - 5 * H;
	r = judge(&f);
	assert_string_equal(r.reasons, "signatures 10 days old (limit 3 days)");
	f.av_signatures_us = 0;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_SIGS_UNKNOWN);
	assert_string_equal(r.reasons, "signature date unknown");
	/* A date ahead of the collector's clock counts as fresh. */
	f.av_signatures_us = NOW + DAY;
	r = judge(&f);
	assert_true(r.compliant);
}

static void
test_security(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.security_updates_pending = 79;
	f.security_pending_since_us = NOW - 7 * DAY;        /* exactly the grace */
	r = judge(&f);
	assert_true(r.compliant);
	f.security_pending_since_us = NOW - 7 * DAY - 1;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_SECURITY_LATE);
	assert_string_equal(r.reasons, "79 security updates pending for 7 days (grace 7 days)");
	f.security_updates_pending = 1;
	f.security_pending_since_us = NOW - 9 * DAY;
	r = judge(&f);
	assert_string_equal(r.reasons, "1 security update pending for 9 days (grace 7 days)");
	f.security_pending_since_us = 0;
	r = judge(&f);
	assert_int_equal(r.violations, COMPLIANCE_SECURITY_LATE);
	assert_string_equal(r.reasons,
	    "1 security update pending since an unknown time (grace 7 days)");
	/* None pending: an old date left over means nothing. */
	f.security_updates_pending = 0;
	f.security_pending_since_us = NOW - 100 * DAY;
	r = judge(&f);
	assert_true(r.compliant);
}

static void
test_updates_unknown(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.security_updates_pending = -1;
	f.security_pending_since_us = NOW - 100 * DAY;
	r = judge(&f);
	assert_true(r.compliant);
	assert_int_equal(r.violations, 0);
	assert_int_equal(r.notes, COMPLIANCE_NOTE_UPDATES_UNKNOWN);
	assert_string_equal(r.reasons, "updates unknown");
	/* With a violation, the note comes after it. */
	f.av_running = 2;
	r = judge(&f);
	assert_false(r.compliant);
	assert_string_equal(r.reasons, "antivirus ClamAV not running; updates unknown");
}

/* Windows: an audit policy that lacks what the rules need is a note, never a violation. */
static void
test_audit_note(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.audit_policy = "complete";
	r = judge(&f);
	assert_int_equal(r.notes, 0);
	f.audit_policy = "unavailable: not implemented (error 120)";
	r = judge(&f);
	assert_int_equal(r.notes, 0);
	assert_string_equal(r.reasons, "");
	f.audit_policy = "incomplete: other_object_access(success) pnp(success)";
	r = judge(&f);
	assert_true(r.compliant);
	assert_int_equal(r.notes, COMPLIANCE_NOTE_AUDIT_INCOMPLETE);
	assert_string_equal(r.reasons,
	    "audit policy incomplete: other_object_access(success) pnp(success)");
	f.av_running = 2;
	r = judge(&f);
	assert_false(r.compliant);
	assert_string_equal(r.reasons, "antivirus ClamAV not running; audit policy incomplete: "
	    "other_object_access(success) pnp(success)");
}

static void
test_many(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.on = 0;
	f.last_seen_us = NOW - 9 * DAY;
	f.av_running = 2;
	f.av_signatures_us = NOW - 39 * DAY;
	f.security_updates_pending = 12;
	f.security_pending_since_us = NOW - 29 * DAY;
	r = judge(&f);
	assert_false(r.compliant);
	assert_int_equal(r.violations, COMPLIANCE_NOT_SEEN | COMPLIANCE_AV_STOPPED |
	    COMPLIANCE_SIGS_OLD | COMPLIANCE_SECURITY_LATE);
	assert_string_equal(r.reasons, "not seen for 9 days (limit 7 days); "
	    "antivirus ClamAV not running; signatures 30 days old (limit 3 days); "
	    "12 security updates pending for 20 days (grace 7 days)");
	f.av_product = "An antivirus whose name is long enough to be cut short in the list";
	r = judge(&f);
	assert_non_null(strstr(r.reasons, "antivirus An antivirus whose name is long enough t "
	    "not running"));
	assert_true(strlen(r.reasons) < COMPLIANCE_REASONS_MAX);
}

/* The reasons in Vietnamese: asked for by language, or the program's language once set. */
static void
test_vietnamese(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	f.av_running = 2;
	f.security_updates_pending = 3;
	f.security_pending_since_us = NOW - 9 * DAY;
	assert_int_equal(compliance_eval_in("vi", &f, &limits, NOW, &r), 0);
	assert_string_equal(r.reasons, "phần mềm phòng chống mã độc ClamAV không chạy; "
	    "3 bản cập nhật bảo mật đã chờ 9 ngày (hạn 7 ngày)");
	/* The program's language once set; English when asked, whatever it speaks. */
	assert_int_equal(i18n_set_language("vi"), 0);
	r = judge(&f);
	assert_string_equal(r.reasons, "phần mềm phòng chống mã độc ClamAV không chạy; "
	    "3 bản cập nhật bảo mật đã chờ 9 ngày (hạn 7 ngày)");
	assert_int_equal(compliance_eval_in("en", &f, &limits, NOW, &r), 0);
	assert_string_equal(r.reasons, "antivirus ClamAV not running; "
	    "3 security updates pending for 9 days (grace 7 days)");
	f = good();
	f.last_seen_us = 0;
	f.has_posture = 0;
	r = judge(&f);
	assert_string_equal(r.reasons, "agent chưa từng báo cáo; chưa báo cáo tình trạng an toàn");
	assert_int_equal(i18n_set_language("en"), 0);
}

static void
test_invalid(void **state)
{
	struct compliance_facts f = good();
	struct compliance_result r;

	(void)state;
	assert_int_equal(compliance_eval(NULL, &limits, NOW, &r), VIGIL_ERR_INVAL);
	assert_int_equal(compliance_eval(&f, NULL, NOW, &r), VIGIL_ERR_INVAL);
	assert_int_equal(compliance_eval(&f, &limits, NOW, NULL), VIGIL_ERR_INVAL);
}

static void
test_percent(void **state)
{
	(void)state;
	assert_int_equal(compliance_percent(1, 3), 33);
	assert_int_equal(compliance_percent(2, 3), 67);
	assert_int_equal(compliance_percent(3, 3), 100);
	assert_int_equal(compliance_percent(0, 3), 0);
	assert_int_equal(compliance_percent(0, 0), 0);
	assert_int_equal(compliance_percent(1, 2), 50);
	/* Never 100 while one machine is short, never 0 while one is compliant. */
	assert_int_equal(compliance_percent(999, 1000), 99);
	assert_int_equal(compliance_percent(1, 1000), 1);
	assert_int_equal(compliance_percent(5, 3), 100);
}

static void
test_age_days(void **state)
{
	(void)state;
	assert_int_equal(compliance_age_days(10 * DAY + 23 * H), 10);
	assert_int_equal(compliance_age_days(DAY - 1), 0);
	assert_int_equal(compliance_age_days(-5 * DAY), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_not_seen),
		cmocka_unit_test(test_last_state),
		cmocka_unit_test(test_no_posture),
		cmocka_unit_test(test_antivirus),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_security),
		cmocka_unit_test(test_updates_unknown),
		cmocka_unit_test(test_audit_note),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_vietnamese),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_age_days),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
