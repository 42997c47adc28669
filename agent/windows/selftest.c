/*
 * vigil-agent.exe --selftest [--record DIR]: every posture source asked once,
 * as the running agent asks it, and what the agent makes of each answer
 * printed. With --record, each raw answer is saved in DIR as the list text
 * the decoders read (os.txt, reboot.txt, securitycenter2-antivirusproduct.txt,
 * defender-mpcomputerstatus.txt, wua-search.txt, wua-history.txt,
 * audit-policy.txt in agent/auditpol.h's record form) and the
 * verdicts in selftest.txt, with the machine's and the user's names replaced
 * by PC-NAME and USER-NAME, so that a pilot PC's answers become test
 * fixtures (tests/unit/test_wsc.c's form). The Update Agent's search can
 * take minutes. Event Log and USB answers are issue 14's.
 */
#include <winsock2.h>
#include <windows.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "vigil/sbuf.h"
#include "../auditpol.h"
#include "../posture.h"
#include "../winupdate.h"
#include "../wsc.h"
#include "winagent.h"
#include "winposture.h"
#include "wmi.h"
#include "../../common/windows/utf16.h"

#define ANSWER_MAX (512 * 1024)

struct names {
	char *n[4];                    /* what is replaced, longest first */
	const char *by[4];
	size_t count;
};

static void
add_name(struct names *nm, const wchar_t *w, const char *by)
{
	char *u;

	if (nm->count == 4 || w == NULL || w[0] == L'\0' || (u = win_utf8(w)) == NULL)
		return;
	if (strlen(u) < 2) {           /* a one-letter name would rewrite everything */
		free(u);
		return;
	}
	nm->n[nm->count] = u;
	nm->by[nm->count++] = by;
}

static void
names_get(struct names *nm)
{
	wchar_t w[256];
	DWORD n;

	memset(nm, 0, sizeof(*nm));
	n = 256;
	if (GetComputerNameExW(ComputerNameDnsFullyQualified, w, &n))
		add_name(nm, w, "PC-NAME");
	n = 256;
	if (GetComputerNameExW(ComputerNameNetBIOS, w, &n))
		add_name(nm, w, "PC-NAME");
	n = 256;
	if (GetUserNameW(w, &n))
		add_name(nm, w, "USER-NAME");
}

/* s with every name replaced (ASCII case-insensitive), into out. */
static void
scrub(const struct names *nm, const char *s, size_t len, FILE *out)
{
	size_t i = 0, k, l;

	while (i < len) {
		for (k = 0; k < nm->count; k++) {
			l = strlen(nm->n[k]);
			if (l <= len - i && strncasecmp(s + i, nm->n[k], l) == 0)
				break;
		}
		if (k < nm->count) {
			fputs(nm->by[k], out);
			i += strlen(nm->n[k]);
		} else
			fputc(s[i++], out);
	}
}

static void
save(const char *dir, const char *name, const struct names *nm, const char *s, size_t len)
{
	char path[MAX_PATH + 64];
	wchar_t *w;
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s\\%s", dir, name);
	if ((w = win_wide(path)) == NULL || (f = _wfopen(w, L"wb")) == NULL) {
		fprintf(stderr, _("%s cannot be written.\n"), path);
		free(w);
		return;
	}
	free(w);
	scrub(nm, s, len, f);
	fclose(f);
}

/* One line of the verdicts, on stdout and into the record. */
static void
say(struct sbuf *v, const char *fmt, ...) VIGIL_PRINTF(2, 3);

static void
say(struct sbuf *v, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s\n", line);
	sbuf_str(v, line);
	sbuf_str(v, "\r\n");
}

static const char *
tri(int t)
{
	return t == VIGIL__V1__TRISTATE__TRISTATE_YES ? "yes" :
	    t == VIGIL__V1__TRISTATE__TRISTATE_NO ? "no" : "unknown";
}

/* The audit policy: each needed subcategory's answer, and the verdict. */
static void
audit_policy(const char *dir, const struct names *nm, struct sbuf *v)
{
	struct auditpol_answer a[AUDITPOL_MAX];
	struct auditpol_result r;
	char text[AUDITPOL_TEXT_MAX], line[256], rec[AUDITPOL_MAX * 128];
	struct sbuf b;
	size_t i;

	winaudit_query(a);
	auditpol_decode(a, auditpol_nneeds, &r);
	auditpol_text(&r, text, sizeof(text));
	say(v, "audit policy: %s", text);
	sbuf_init(&b, rec, sizeof(rec));
	for (i = 0; i < auditpol_nneeds; i++) {
		if (auditpol_record_line(i, &a[i], line, sizeof(line)) > 0)
			sbuf_str(&b, line);
		if (r.state == AUDITPOL_UNAVAILABLE)
			continue;
		if (r.absent & (1u << i))
			say(v, "  %s: not on this Windows", auditpol_needs[i].name);
		else
			say(v, "  %s: %s in force, %s needed", auditpol_needs[i].name,
			    auditpol_bits_name(r.have[i]), auditpol_bits_name(auditpol_needs[i].need));
	}
	save(dir, "audit-policy.txt", nm, b.p, b.len);
}

int
win_selftest_main(int argc, char *argv[])
{
	struct wsc_product prods[WSC_MAX_PRODUCTS];
	struct wua_counts wc;
	struct mp_status mp;
	struct posture_av av;
	struct names nm;
	struct sbuf b, v;
	const char *dir = NULL, *note;
	char why[256], line[256], *buf, *vbuf;
	int64_t last;
	size_t n = 0, i;
	int rc, have_mp = 0, wsc_ok = 0;
	wchar_t *w;

	if (argc == 3 && strcmp(argv[1], "--record") == 0)
		dir = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "%s", _("       vigil-agent.exe --selftest [--record DIR]\n"));
		return 1;
	}
	if (dir != NULL && (w = win_wide(dir)) != NULL) {
		CreateDirectoryW(w, NULL);
		free(w);
	}
	if ((buf = malloc(ANSWER_MAX)) == NULL || (vbuf = malloc(16384)) == NULL)
		return 1;
	names_get(&nm);
	sbuf_init(&v, vbuf, 16384);
	if (wincom_init(why, sizeof(why)) != 0)
		say(&v, "COM: %s", why);

	rc = winpost_os(line, sizeof(line));
	say(&v, "system: %s (%s)", line, rc == 1 ? "supported" : rc == 0 ? "NOT supported" :
	    "support unknown");
	save(dir, "os.txt", &nm, line, strlen(line));

	rc = winpost_reboot_pending(why, sizeof(why));
	say(&v, "pending reboot: %s (%s)", tri(rc), why);
	save(dir, "reboot.txt", &nm, why, strlen(why));

	audit_policy(dir, &nm, &v);

	sbuf_init(&b, buf, ANSWER_MAX);
	if ((rc = winpost_wsc_query(&b, why, sizeof(why))) < 0)
		say(&v, "Security Center: unavailable: %s", why);
	else {
		wsc_ok = 1;
		n = wsc_parse(b.p, b.len, prods, WSC_MAX_PRODUCTS, NULL);
		say(&v, "Security Center: %d products answered, %zu decoded", rc, n);
		for (i = 0; i < n; i++)
			say(&v, "  %s: productState %lu = 0x%06lx: scanner %s, signatures %s, "
			    "Windows' own %s", prods[i].name, (unsigned long)prods[i].state,
			    (unsigned long)prods[i].state, prods[i].scanner == WSC_ON ? "on" :
			    prods[i].scanner == WSC_OFF ? "off" : prods[i].scanner == WSC_SNOOZED ?
			    "snoozed" : prods[i].scanner == WSC_EXPIRED ? "expired" : "unknown",
			    prods[i].sigs == WSC_SIGS_CURRENT ? "current" : prods[i].sigs ==
			    WSC_SIGS_OUTDATED ? "out of date" : "unknown", prods[i].microsoft ?
			    "yes" : "no");
		save(dir, "securitycenter2-antivirusproduct.txt", &nm, b.p, b.len);
	}
	sbuf_init(&b, buf, ANSWER_MAX);
	if (winpost_mp_query(&b, why, sizeof(why)) < 0)
		say(&v, "Defender status: unavailable: %s", why);
	else if (mp_parse(b.p, b.len, &mp) != 0)
		say(&v, "Defender status: no record");
	else {
		have_mp = 1;
		say(&v, "Defender status: real-time %s, signatures %d days old, version %s",
		    tri(mp.realtime), mp.signature_age_days, mp.version);
		save(dir, "defender-mpcomputerstatus.txt", &nm, b.p, b.len);
	}
	if (wsc_choose(prods, n, have_mp ? &mp : NULL, &av, &note) == 0)
		say(&v, "antivirus reported: %s, running %s, real-time %s, signatures %s", av.product,
		    tri(av.running), tri(av.realtime), *note != '\0' ? note : "dated");
	else if (wsc_ok)
		say(&v, "antivirus reported: none known to Security Center");
	else
		say(&v, "antivirus reported: unknown (Security Center unavailable)");

	sbuf_init(&b, buf, ANSWER_MAX);
	printf("%s\n", _("Windows Update: searching (this can take minutes)..."));
	if (wua_search(&b, why, sizeof(why)) < 0)
		say(&v, "Windows Update: unavailable: %s", why);
	else {
		wua_count(b.p, b.len, &wc);
		say(&v, "Windows Update: %d pending, %d of them security", wc.pending, wc.security);
		save(dir, "wua-search.txt", &nm, b.p, b.len);
	}
	sbuf_init(&b, buf, ANSWER_MAX);
	if (wua_history(&b, why, sizeof(why)) < 0)
		say(&v, "update history: unavailable: %s", why);
	else {
		if (wua_last_install(b.p, b.len, &last) == 0)
			say(&v, "update history: last successful install at %lld (Unix time)",
			    (long long)(last / 1000000));
		else
			say(&v, "update history: no successful install");
		save(dir, "wua-history.txt", &nm, b.p, b.len);
	}
	save(dir, "selftest.txt", &nm, v.p, v.len);
	if (dir != NULL)
		printf(_("The answers are in %s, names replaced.\n"), dir);
	wincom_done();
	for (i = 0; i < nm.count; i++)
		free(nm.n[i]);
	free(buf);
	free(vbuf);
	return 0;
}
