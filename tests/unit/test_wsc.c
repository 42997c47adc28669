/*
 * The Windows posture decoders (agent/wsc.c, agent/winupdate.c) on answers
 * recorded in the form Windows gives them: `wmic /namespace:\\root\...
 * path CLASS get /format:list` (CR CR LF lines when redirected by cmd, CRLF
 * from the agent's own rendering), from PCs in Vietnamese and in English.
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

#include "vigil/clock.h"
#include "../../agent/winupdate.h"
#include "../../agent/wsc.h"

#define YES VIGIL__V1__TRISTATE__TRISTATE_YES
#define NO VIGIL__V1__TRISTATE__TRISTATE_NO
#define UNKNOWN VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN

/* Windows 10 22H2 in Vietnamese, Defender alone (wmic, redirected by cmd: CR CR LF). */
static const char wsc_defender[] =
    "\r\r\n\r\r\n"
    "displayName=Windows Defender\r\r\n"
    "instanceGuid={D68DDC3A-831F-4fae-9E44-DA132C1ACF46}\r\r\n"
    "pathToSignedProductExe=windowsdefender://\r\r\n"
    "pathToSignedReportingExe=%ProgramFiles%\\Windows Defender\\MsMpeng.exe\r\r\n"
    "productState=397568\r\r\n"
    "timestamp=Thu, 04 Dec 2026 01:30:12 GMT\r\r\n"
    "\r\r\n\r\r\n";

/* Bkav Pro registered and on: Defender steps aside (off, owner Windows). */
static const char wsc_bkav[] =
    "displayName=Bkav Pro\r\n"
    "instanceGuid={6A2B5D4E-1F3C-4A0B-9C8D-7E6F5A4B3C2D}\r\n"
    "pathToSignedProductExe=C:\\Program Files (x86)\\BkavPro\\BkavPro.exe\r\n"
    "productState=266240\r\n"
    "\r\n"
    "displayName=Windows Defender\r\n"
    "productState=393472\r\n"
    "\r\n";

/* Kaspersky with old signatures, and a record without a state. */
static const char wsc_kaspersky[] =
    "displayName=Kaspersky Endpoint Security cho Windows\n"
    "productState=266256\n"
    "\n"
    "displayName=Phần mềm lạ\n"
    "\n";

/* Defender's own status (MSFT_MpComputerStatus), Vietnamese PC at UTC+7. */
static const char mp_status[] =
    "AMProductVersion=4.18.24090.11\r\n"
    "AMServiceEnabled=TRUE\r\n"
    "AntivirusEnabled=TRUE\r\n"
    "AntivirusSignatureAge=1\r\n"
    "AntivirusSignatureLastUpdated=20261204083012.000000+420\r\n"
    "AntivirusSignatureVersion=1.421.1234.0\r\n"
    "RealTimeProtectionEnabled=FALSE\r\n"
    "\r\n";

/* The Update Agent's search on a Vietnamese PC: the names are Vietnamese, the GUIDs are not. */
static const char wua_search_vi[] =
    "Title=Bản cập nhật tích lũy 2026-11 cho Windows 10 Version 22H2 cho các hệ thống "
    "dựa trên x64 (KB5046613)\r\n"
    "MsrcSeverity=Important\r\n"
    "ClassificationID=0FA1201D-4330-4FA8-8AE9-B877473B6441\r\n"
    "Classification=Bản cập nhật bảo mật\r\n"
    "\r\n"
    "Title=Bản cập nhật định nghĩa bảo mật cho Microsoft Defender Antivirus - KB2267602 "
    "(Phiên bản 1.421.1240.0)\r\n"
    "MsrcSeverity=\r\n"
    "ClassificationID=e0789628-ce08-4437-be74-2495b842f43b\r\n"
    "Classification=Bản cập nhật định nghĩa\r\n"
    "\r\n"
    "Title=Intel - System - 10.1.19.4\r\n"
    "MsrcSeverity=\r\n"
    "ClassificationID=ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0\r\n"
    "Classification=Trình điều khiển\r\n"
    "\r\n"
    "Title=Bản cập nhật bảo mật cho Microsoft Office 2016 (KB5002623) Phiên bản 32-Bit\r\n"
    "MsrcSeverity=\r\n"
    "ClassificationID=0fa1201d-4330-4fa8-8ae9-b877473b6441\r\n"
    "Classification=Bản cập nhật bảo mật\r\n"
    "\r\n"
    "MsrcSeverity=Critical\r\n"
    "\r\n";

static const char wua_history[] =
    "Title=2026-10 Cumulative Update for Windows 10 Version 22H2 (KB5044273)\r\n"
    "Operation=1\r\nResultCode=2\r\nDate=20261010031500.000000+000\r\n\r\n"
    "Title=2026-11 Cumulative Update for Windows 10 Version 22H2 (KB5046613)\r\n"
    "Operation=1\r\nResultCode=4\r\nDate=20261115020000.000000+000\r\n\r\n"
    "Title=Security Intelligence Update (KB2267602)\r\n"
    "Operation=1\r\nResultCode=3\r\nDate=20261120080000.000000+000\r\n\r\n"
    "Title=Something uninstalled\r\n"
    "Operation=2\r\nResultCode=2\r\nDate=20261125080000.000000+000\r\n\r\n";

static int64_t
utc_us(int y, int m, int d, int hh, int mm, int ss)
{
	return (clock_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss) * INT64_C(1000000);
}

static void
test_decode(void **state)
{
	struct wsc_product p;

	/* The examples of the write-ups the decoding follows. */
	assert_int_equal(wsc_decode(397568, &p), 0);          /* 0x061100 */
	assert_int_equal(p.scanner, WSC_ON);
	assert_int_equal(p.sigs, WSC_SIGS_CURRENT);
	assert_true(p.microsoft);
	assert_int_equal(p.providers, WSC_PROVIDER_ANTIVIRUS | WSC_PROVIDER_AUTOUPDATE);
	assert_int_equal(wsc_decode(393472, &p), 0);          /* 0x060100: Defender off */
	assert_int_equal(p.scanner, WSC_OFF);
	assert_int_equal(wsc_decode(266240, &p), 0);          /* 0x041000 */
	assert_int_equal(p.scanner, WSC_ON);
	assert_false(p.microsoft);
	assert_int_equal(p.providers, WSC_PROVIDER_ANTIVIRUS);
	assert_int_equal(wsc_decode(266256, &p), 0);          /* 0x041010: out of date */
	assert_int_equal(p.sigs, WSC_SIGS_OUTDATED);
	assert_int_equal(wsc_decode(0x062100, &p), 0);        /* snoozed */
	assert_int_equal(p.scanner, WSC_SNOOZED);
	assert_int_equal(wsc_decode(0x063100, &p), 0);        /* expired */
	assert_int_equal(p.scanner, WSC_EXPIRED);
	/* Bits never seen: not guessed. */
	assert_int_equal(wsc_decode(0x1061100, &p), -1);
	assert_int_equal(p.scanner, WSC_SCANNER_UNKNOWN);
	assert_int_equal(wsc_decode(0x064100, &p), -1);
	assert_int_equal(wsc_decode(0x061105, &p), -1);
	assert_int_equal(p.sigs, WSC_SIGS_UNKNOWN);
}

static void
test_defender(void **state)
{
	struct wsc_product p[WSC_MAX_PRODUCTS];
	struct posture_av av;
	struct mp_status mp;
	const char *note;
	size_t bad = 9;

	assert_int_equal(wsc_parse(wsc_defender, sizeof(wsc_defender) - 1, p, WSC_MAX_PRODUCTS,
	    &bad), 1);
	assert_int_equal(bad, 0);
	assert_string_equal(p[0].name, "Windows Defender");
	assert_int_equal(mp_parse(mp_status, sizeof(mp_status) - 1, &mp), 0);
	assert_int_equal(mp.realtime, NO);
	assert_int_equal(mp.antivirus_enabled, YES);
	assert_int_equal(mp.signature_age_days, 1);
	/* 08:30:12 at UTC+7 is 01:30:12 UTC. */
	assert_true(mp.signatures_us == utc_us(2026, 12, 4, 1, 30, 12));
	assert_string_equal(mp.version, "4.18.24090.11");
	assert_int_equal(wsc_choose(p, 1, &mp, &av, &note), 0);
	assert_string_equal(av.product, "Windows Defender");
	assert_int_equal(av.running, YES);
	/* Defender's own word on real-time protection wins over Security Center's "on". */
	assert_int_equal(av.realtime, NO);
	assert_true(av.signatures_us == mp.signatures_us);
	assert_string_equal(note, "");
	/* Without Defender's status, its date is unknown, not vendor's. */
	assert_int_equal(wsc_choose(p, 1, NULL, &av, &note), 0);
	assert_true(av.signatures_us == 0);
	assert_string_equal(note, "unknown");
}

static void
test_vendor(void **state)
{
	struct wsc_product p[WSC_MAX_PRODUCTS];
	struct posture_av av;
	struct mp_status mp;
	const char *note;
	size_t n, bad;

	n = wsc_parse(wsc_bkav, sizeof(wsc_bkav) - 1, p, WSC_MAX_PRODUCTS, &bad);
	assert_int_equal(n, 2);
	assert_int_equal(mp_parse(mp_status, sizeof(mp_status) - 1, &mp), 0);
	assert_int_equal(wsc_choose(p, n, &mp, &av, &note), 0);
	/* The vendor's product is the one on; its signatures have no age Windows knows. */
	assert_string_equal(av.product, "Bkav Pro");
	assert_int_equal(av.running, YES);
	assert_int_equal(av.realtime, YES);
	assert_true(av.signatures_us == 0);
	assert_string_equal(note, "unknown (vendor)");

	n = wsc_parse(wsc_kaspersky, sizeof(wsc_kaspersky) - 1, p, WSC_MAX_PRODUCTS, &bad);
	assert_int_equal(n, 1);
	assert_int_equal(bad, 1);
	assert_string_equal(p[0].name, "Kaspersky Endpoint Security cho Windows");
	assert_int_equal(p[0].sigs, WSC_SIGS_OUTDATED);
	assert_int_equal(wsc_choose(p, n, NULL, &av, &note), 0);
	assert_string_equal(note, "unknown (vendor)");

	/* Nothing registered: no product, not a product called "". */
	assert_int_equal(wsc_parse("", 0, p, WSC_MAX_PRODUCTS, &bad), 0);
	assert_int_equal(wsc_choose(p, 0, NULL, &av, &note), -1);
}

static void
test_list(void **state)
{
	static const char utf8_name[] = "\xef\xbb\xbf" "displayName=Bkav Pro\nproductState=266240\n";
	char long_name[600];
	struct wsc_product p[2];
	struct wmi_record r;
	size_t off = 0;

	/* A byte-order mark, no trailing blank line. */
	assert_int_equal(wsc_parse(utf8_name, sizeof(utf8_name) - 1, p, 2, NULL), 1);
	assert_string_equal(p[0].name, "Bkav Pro");
	/* A name longer than the posture holds is cut at a character: "ạ" is 3 bytes. */
	memset(long_name, 0, sizeof(long_name));
	strcpy(long_name, "displayName=");
	while (strlen(long_name) < 12 + 62)
		strcat(long_name, "a");
	strcat(long_name, "\xe1\xba\xa1\xe1\xba\xa1\nproductState=266240\n");
	assert_int_equal(wsc_parse(long_name, strlen(long_name), p, 2, NULL), 1);
	assert_int_equal(strlen(p[0].name), 62);
	/* Lines that are not Name=value are skipped; a value may hold '='. */
	assert_int_equal(wmi_list_next("junk\n=x\nA=b=c\n", 14, &off, &r), 1);
	assert_int_equal(r.n, 1);
	assert_string_equal(wmi_get(&r, "a"), "b=c");
	assert_null(wmi_get(&r, "B"));
	assert_int_equal(wmi_list_next("junk\n=x\nA=b=c\n", 14, &off, &r), 0);
}

static void
test_datetime(void **state)
{
	int64_t us;

	assert_int_equal(wmi_datetime_us("20261204083012.000000+420", &us), 0);
	assert_true(us == utc_us(2026, 12, 4, 1, 30, 12));
	assert_int_equal(wmi_datetime_us("20261204083012.500000-060", &us), 0);
	assert_true(us == utc_us(2026, 12, 4, 9, 30, 12) + 500000);
	assert_int_equal(wmi_datetime_us("20261204083012.000000", &us), -1);
	assert_int_equal(wmi_datetime_us("2026120408301x.000000+420", &us), -1);
	assert_int_equal(wmi_datetime_us("20261304083012.000000+420", &us), -1);
	assert_int_equal(wmi_datetime_us("", &us), -1);
}

static void
test_updates(void **state)
{
	struct wua_counts c;
	int64_t us;

	wua_count(wua_search_vi, sizeof(wua_search_vi) - 1, &c);
	/* Four updates; the cumulative one (rated) and Office's (classified) are security. */
	assert_int_equal(c.pending, 4);
	assert_int_equal(c.security, 2);
	assert_int_equal(c.bad, 1);
	wua_count("", 0, &c);
	assert_int_equal(c.pending, 0);
	assert_int_equal(c.security, 0);

	/* Succeeded (2) or with errors (3), installs only: 20 Nov, not the failed 15 Nov. */
	assert_int_equal(wua_last_install(wua_history, sizeof(wua_history) - 1, &us), 0);
	assert_true(us == utc_us(2026, 11, 20, 8, 0, 0));
	assert_int_equal(wua_last_install("Operation=1\nResultCode=4\n", 25, &us), -1);
}

static void
test_os(void **state)
{
	int64_t now = utc_us(2026, 12, 5, 0, 0, 0);
	char buf[128];

	assert_int_equal(winos_describe(6, 1, 7601, 0, now, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Windows 7 (6.1.7601), out of support since 2020-01-14");
	assert_int_equal(winos_describe(6, 3, 9600, 0, now, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Windows 8.1 (6.3.9600), out of support since 2023-01-10");
	assert_int_equal(winos_describe(10, 0, 19045, 0, now, buf, sizeof(buf)), 0);
	assert_int_equal(winos_describe(10, 0, 19045, 0, utc_us(2025, 10, 14, 12, 0, 0), buf,
	    sizeof(buf)), 1);
	assert_string_equal(buf, "Windows 10 22H2 (10.0.19045), supported until 2025-10-14");
	assert_int_equal(winos_describe(10, 0, 26100, 0, now, buf, sizeof(buf)), 0);
	assert_int_equal(winos_describe(10, 0, 26200, 0, now, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "Windows 11 25H2 (10.0.26200), supported until 2027-10-12");
	assert_int_equal(winos_describe(10, 0, 20348, 1, now, buf, sizeof(buf)), -1);
	assert_int_equal(winos_describe(5, 1, 2600, 0, now, buf, sizeof(buf)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_defender),
		cmocka_unit_test(test_vendor),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_updates),
		cmocka_unit_test(test_os),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
