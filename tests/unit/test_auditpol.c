/*
 * The audit policy's decoding (agent/auditpol.c) on answers in the record
 * form --selftest --record writes: a Windows 10 with its defaults, a
 * Windows 7 without the Plug and Play subcategory, an intruder's "all off",
 * Wine's stub, a stub that succeeds with zeroed records, and access denied.
 * Portable: runs on Linux and, built for Windows, under wine64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../agent/auditpol.h"

#define G(x) "guid={0cce92" x "-69ae-11d9-bed3-505054503030}"

/* Windows 10 22H2 out of the box (auditpol /get /category:* on a workgroup PC). */
static const char win10_default[] =
    "logon ok=1 error=0 " G("15") " info=0x3\r\n"
    "lockout ok=1 error=0 " G("17") " info=0x1\r\n"
    "user_accounts ok=1 error=0 " G("35") " info=0x1\r\n"
    "security_groups ok=1 error=0 " G("37") " info=0x1\r\n"
    "other_object_access ok=1 error=0 " G("27") " info=0x0\r\n"
    "audit_policy_change ok=1 error=0 " G("2f") " info=0x1\r\n"
    "pnp ok=1 error=0 " G("48") " info=0x0\r\n";

/* Windows 7: no Plug and Play Events subcategory; the rest switched on. */
static const char win7_set[] =
    "# Windows 7 SP1\n"
    "logon ok=1 error=0 " G("15") " info=0x3\n"
    "lockout ok=1 error=0 " G("17") " info=0x3\n"
    "user_accounts ok=1 error=0 " G("35") " info=0x3\n"
    "security_groups ok=1 error=0 " G("37") " info=0x1\n"
    "other_object_access ok=1 error=0 " G("27") " info=0x1\n"
    "audit_policy_change ok=1 error=0 " G("2f") " info=0x1\n"
    "pnp ok=0 error=87 guid={00000000-0000-0000-0000-000000000000} info=0x0\n";

static void
load(const char *text, struct auditpol_answer *a)
{
	assert_int_equal(auditpol_record_parse(text, strlen(text), a, auditpol_nneeds),
	    (int)auditpol_nneeds);
}

static void
decode_text(const struct auditpol_answer *a, struct auditpol_result *r, char *buf, size_t len)
{
	assert_int_equal(auditpol_decode(a, auditpol_nneeds, r), 0);
	auditpol_text(r, buf, len);
}

static void
test_table(void **state)
{
	char g[40];

	/* The GUIDs are ntsecapi.h's Audit_Logon_Logon and Audit_DetailedTracking_PnpActivity. */
	assert_true(auditpol_nneeds == 7);
	assert_int_equal(auditpol_guid_format(&auditpol_needs[0].guid, g, sizeof(g)), 38);
	assert_string_equal(g, "{0cce9215-69ae-11d9-bed3-505054503030}");
	assert_string_equal(auditpol_needs[6].name, "Plug and Play Events");
	assert_int_equal(auditpol_guid_format(&auditpol_needs[6].guid, g, sizeof(g)), 38);
	assert_string_equal(g, "{0cce9248-69ae-11d9-bed3-505054503030}");
	assert_int_equal(auditpol_guid_format(&auditpol_needs[6].guid, g, 38), -1);
}

static void
test_default_windows10(void **state)
{
	struct auditpol_answer a[AUDITPOL_MAX];
	struct auditpol_result r;
	char buf[AUDITPOL_TEXT_MAX];

	load(win10_default, a);
	decode_text(a, &r, buf, sizeof(buf));
	assert_int_equal(r.state, AUDITPOL_INCOMPLETE);
	assert_string_equal(buf, "incomplete: lockout(failure) other_object_access(success) "
	    "pnp(success)");
	/* Setting keeps what is on and adds what is missing. */
	assert_int_equal(auditpol_wanted(&r, 0), AUDITPOL_SUCCESS | AUDITPOL_FAILURE);
	assert_int_equal(auditpol_wanted(&r, 1), AUDITPOL_SUCCESS | AUDITPOL_FAILURE);
	assert_int_equal(auditpol_wanted(&r, 4), AUDITPOL_SUCCESS);
	assert_int_equal(auditpol_wanted(&r, 99), 0);
}

static void
test_windows7_absent(void **state)
{
	struct auditpol_answer a[AUDITPOL_MAX];
	struct auditpol_result r;
	char buf[AUDITPOL_TEXT_MAX];

	load(win7_set, a);
	decode_text(a, &r, buf, sizeof(buf));
	assert_int_equal(r.state, AUDITPOL_COMPLETE);
	assert_string_equal(buf, "complete");
	assert_int_equal(r.absent, 1u << 6);
}

static void
test_all_off_is_real(void **state)
{
	struct auditpol_answer a[AUDITPOL_MAX];
	struct auditpol_result r;
	char buf[AUDITPOL_TEXT_MAX];
	size_t i;

	/* Every GUID echoed, no bit set: someone switched auditing off. */
	for (i = 0; i < auditpol_nneeds; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].ok = 1;
		a[i].guid = auditpol_needs[i].guid;
		a[i].info = i == 2 ? AUDITPOL_NONE : 0;
	}
	decode_text(a, &r, buf, sizeof(buf));
	assert_int_equal(r.state, AUDITPOL_INCOMPLETE);
	assert_string_equal(buf, "incomplete: logon(success+failure) lockout(failure) "
	    "user_accounts(success) security_groups(success) other_object_access(success) "
	    "audit_policy_change(success) pnp(success)");
	/* A short buffer keeps whole entries only. */
	auditpol_text(&r, buf, 40);
	assert_string_equal(buf, "incomplete: logon(success+failure)");
}

static void
test_stubs_unavailable(void **state)
{
	struct auditpol_answer a[AUDITPOL_MAX];
	struct auditpol_result r;
	char buf[AUDITPOL_TEXT_MAX];
	size_t i;

	/* Wine 8: FALSE, ERROR_CALL_NOT_IMPLEMENTED. */
	memset(a, 0, sizeof(a));
	for (i = 0; i < auditpol_nneeds; i++)
		a[i].error = AUDITPOL_ERROR_CALL_NOT_IMPLEMENTED;
	decode_text(a, &r, buf, sizeof(buf));
	assert_int_equal(r.state, AUDITPOL_UNAVAILABLE);
	assert_string_equal(buf, "unavailable: not implemented (error 120)");

	/* FALSE without an error. */
	memset(a, 0, sizeof(a));
	decode_text(a, &r, buf, sizeof(buf));
	assert_string_equal(buf, "unavailable: not implemented");

	/* TRUE with zeroed records: no answer, not "all off". */
	for (i = 0; i < auditpol_nneeds; i++)
		a[i].ok = 1;
	decode_text(a, &r, buf, sizeof(buf));
	assert_int_equal(r.state, AUDITPOL_UNAVAILABLE);
	assert_string_equal(buf, "unavailable: an empty answer");

	/* A record of another subcategory. */
	load(win10_default, a);
	a[3].guid = auditpol_needs[2].guid;
	decode_text(a, &r, buf, sizeof(buf));
	assert_string_equal(buf, "unavailable: an answer for another subcategory");

	/* Bits that are not AuditingInformation's. */
	load(win10_default, a);
	a[0].info = 0x100;
	decode_text(a, &r, buf, sizeof(buf));
	assert_string_equal(buf, "unavailable: unknown bits 0x100");

	/* The agent without SeSecurityPrivilege. */
	load(win10_default, a);
	a[1].ok = 0;
	a[1].error = AUDITPOL_ERROR_PRIVILEGE_NOT_HELD;
	decode_text(a, &r, buf, sizeof(buf));
	assert_string_equal(buf, "unavailable: access denied (error 1314)");

	/* Not one subcategory known. */
	memset(a, 0, sizeof(a));
	for (i = 0; i < auditpol_nneeds; i++)
		a[i].error = AUDITPOL_ERROR_INVALID_PARAMETER;
	decode_text(a, &r, buf, sizeof(buf));
	assert_string_equal(buf, "unavailable: no subcategory known");

	assert_int_equal(auditpol_decode(a, auditpol_nneeds - 1, &r), -1);
	assert_int_equal(auditpol_decode(NULL, auditpol_nneeds, &r), -1);
}

static void
test_record_round_trip(void **state)
{
	struct auditpol_answer a[AUDITPOL_MAX], b[AUDITPOL_MAX];
	char text[2048], line[160];
	size_t i, at = 0;
	int w;

	load(win10_default, a);
	a[6].ok = 0;
	a[6].error = AUDITPOL_ERROR_INVALID_PARAMETER;
	for (i = 0; i < auditpol_nneeds; i++) {
		w = auditpol_record_line(i, &a[i], line, sizeof(line));
		assert_true(w > 0);
		memcpy(text + at, line, (size_t)w);
		at += (size_t)w;
	}
	assert_int_equal(auditpol_record_parse(text, at, b, auditpol_nneeds),
	    (int)auditpol_nneeds);
	assert_memory_equal(a, b, auditpol_nneeds * sizeof(a[0]));
	assert_int_equal(auditpol_record_line(0, &a[0], line, 20), -1);
	assert_int_equal(auditpol_record_line(auditpol_nneeds, &a[0], line, sizeof(line)), -1);
}

static void
test_record_bad(void **state)
{
	static const char *const bad[] = {
		"nosuch ok=1 error=0 " G("15") " info=0x3\n",
		"logon ok=2 error=0 " G("15") " info=0x3\n",
		"logon ok=1 error=0 guid={0cce9215-69ae-11d9-bed3-50505450303} info=0x3\n",
		"logon ok=1 error=0 guid=0cce9215-69ae-11d9-bed3-505054503030} info=0x3\n",
		"logon ok=1 error=0 guid={0cce9215x69ae-11d9-bed3-505054503030} info=0x3\n",
		"logon ok=1 error=0 " G("15") "\n",
		"logon ok=1 error=0 " G("15") " info=-1\n",
	};
	struct auditpol_answer a[AUDITPOL_MAX];
	struct auditpol_guid g;
	char longline[400];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(auditpol_record_parse(bad[i], strlen(bad[i]), a, auditpol_nneeds),
		    -1);
	memset(longline, 'x', sizeof(longline));
	assert_int_equal(auditpol_record_parse(longline, sizeof(longline), a, auditpol_nneeds),
	    -1);
	/* Blank lines and comments read nothing; a missing key stays a failed call. */
	assert_int_equal(auditpol_record_parse("\n# nothing\r\n  \n", 15, a, auditpol_nneeds), 0);
	assert_int_equal(a[0].ok, 0);
	assert_int_equal(a[0].error, 0);
	assert_int_equal(auditpol_guid_parse("0CCE9215-69AE-11D9-BED3-505054503030", &g), 0);
	assert_memory_equal(&g, &auditpol_needs[0].guid, sizeof(g));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_default_windows10),
		cmocka_unit_test(test_windows7_absent),
		cmocka_unit_test(test_all_off_is_real),
		cmocka_unit_test(test_stubs_unavailable),
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_record_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
