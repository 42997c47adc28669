/*
 * vigil-bench-winpost: the cost per call of the Windows posture decoders
 * (agent/wsc.c, agent/winupdate.c) on answers shaped as a PC gives them, run
 * on Linux by make bench. A check decodes one answer of each kind every
 * check_interval (minutes): the figure shows the decoding is not the cost.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vigil/clock.h"
#include "../../agent/winupdate.h"
#include "../../agent/wsc.h"

static const char wsc[] =
    "displayName=Bkav Pro\r\nproductState=266240\r\n\r\n"
    "displayName=Windows Defender\r\ninstanceGuid={D68DDC3A-831F-4fae-9E44-DA132C1ACF46}\r\n"
    "pathToSignedProductExe=windowsdefender://\r\nproductState=393472\r\n\r\n";
static const char mp[] =
    "AMProductVersion=4.18.24090.11\r\nAMServiceEnabled=TRUE\r\nAntivirusEnabled=TRUE\r\n"
    "AntivirusSignatureAge=1\r\nAntivirusSignatureLastUpdated=20261204083012.000000+420\r\n"
    "RealTimeProtectionEnabled=TRUE\r\n\r\n";
static const char wua[] =
    "Title=Bản cập nhật tích lũy 2026-11 cho Windows 10 Version 22H2 (KB5046613)\r\n"
    "MsrcSeverity=Important\r\nClassificationID=0fa1201d-4330-4fa8-8ae9-b877473b6441\r\n"
    "Classification=Bản cập nhật bảo mật\r\n\r\n"
    "Title=Bản cập nhật định nghĩa bảo mật cho Microsoft Defender Antivirus - KB2267602\r\n"
    "MsrcSeverity=\r\nClassificationID=e0789628-ce08-4437-be74-2495b842f43b\r\n\r\n"
    "Title=Intel - System - 10.1.19.4\r\nMsrcSeverity=\r\n"
    "ClassificationID=ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0\r\n\r\n";

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int
main(void)
{
	struct wsc_product p[WSC_MAX_PRODUCTS];
	struct posture_av av;
	struct mp_status st;
	struct wua_counts c;
	const char *note;
	char buf[128];
	double t0;
	volatile size_t sink = 0;
	int i, n = 20000;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		size_t k = wsc_parse(wsc, sizeof(wsc) - 1, p, WSC_MAX_PRODUCTS, NULL);

		sink += k + (size_t)wsc_choose(p, k, NULL, &av, &note);
	}
	printf("  BENCH   Security Center answer (2 products), parsed and chosen: %.0f ns a call\n",
	    (now_ns() - t0) / n);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		sink += (size_t)mp_parse(mp, sizeof(mp) - 1, &st);
	printf("  BENCH   Defender status (MSFT_MpComputerStatus): %.0f ns a call\n",
	    (now_ns() - t0) / n);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		wua_count(wua, sizeof(wua) - 1, &c);
		sink += (size_t)c.pending;
	}
	printf("  BENCH   Windows Update search (3 updates), counted: %.0f ns a call\n",
	    (now_ns() - t0) / n);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		sink += (size_t)winos_describe(10, 0, 19045, 0, 1796428800000000, buf, sizeof(buf));
	printf("  BENCH   Windows version described: %.0f ns a call\n", (now_ns() - t0) / n);
	return sink == 0;
}
