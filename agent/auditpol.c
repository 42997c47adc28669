/*
 * The audit policy Vigil's Windows rules need (see auditpol.h). The table is
 * the README's "what Windows must record" column for the Security-channel
 * rules of deploy/rules.d/windows-security.rules; the GUIDs are the
 * subcategories' fixed identifiers (ntsecapi.h's Audit_* names), the same on
 * every Windows language, unlike the names auditpol prints.
 *
 * Why a stub is told from "all off": Wine's AuditQuerySystemPolicy returns
 * FALSE with ERROR_CALL_NOT_IMPLEMENTED, and a stub that "succeeds" tends to
 * hand back zeroed records. A real Windows echoes the subcategory's GUID in
 * its record. A record whose GUID is not the one asked for is therefore no
 * answer; a record with the right GUID and no bit set is a real "off" (an
 * administrator, or an intruder, switched it off), which is exactly what the
 * posture must show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/text.h"

#include "auditpol.h"

#define SUBCAT(x) { 0x0cce9200u + (x), 0x69ae, 0x11d9, \
	{ 0xbe, 0xd3, 0x50, 0x50, 0x54, 0x50, 0x30, 0x30 } }

const struct auditpol_need auditpol_needs[] = {
	{ "logon", "Logon", SUBCAT(0x15), AUDITPOL_SUCCESS | AUDITPOL_FAILURE,
	    "win.logon_failed and its thresholds (4625), win.rdp_logon (4624)" },
	{ "lockout", "Account Lockout", SUBCAT(0x17), AUDITPOL_FAILURE,
	    "win.logon_failed: logons refused to a locked-out account (4625)" },
	{ "user_accounts", "User Account Management", SUBCAT(0x35), AUDITPOL_SUCCESS,
	    "win.account_created, win.account_enabled, win.account_locked (4720, 4722, 4740)" },
	{ "security_groups", "Security Group Management", SUBCAT(0x37), AUDITPOL_SUCCESS,
	    "win.admin_group_add (4728, 4732, 4756)" },
	{ "other_object_access", "Other Object Access Events", SUBCAT(0x27), AUDITPOL_SUCCESS,
	    "win.task_created (4698)" },
	{ "audit_policy_change", "Audit Policy Change", SUBCAT(0x2f), AUDITPOL_SUCCESS,
	    "changes of this policy itself (4719)" },
	{ "pnp", "Plug and Play Events", SUBCAT(0x48), AUDITPOL_SUCCESS,
	    "win.usb_storage_recognized (6416)" },
};
const size_t auditpol_nneeds = sizeof(auditpol_needs) / sizeof(auditpol_needs[0]);

_Static_assert(sizeof(auditpol_needs) / sizeof(auditpol_needs[0]) <= AUDITPOL_MAX,
    "AUDITPOL_MAX is too small for the table");

static int
guid_eq(const struct auditpol_guid *a, const struct auditpol_guid *b)
{
	return a->d1 == b->d1 && a->d2 == b->d2 && a->d3 == b->d3 &&
	    memcmp(a->d4, b->d4, sizeof(a->d4)) == 0;
}

static int
guid_zero(const struct auditpol_guid *g)
{
	static const struct auditpol_guid z;

	return guid_eq(g, &z);
}

static int
unavailable(struct auditpol_result *r, const char *why, uint32_t error)
{
	r->state = AUDITPOL_UNAVAILABLE;
	if (error != 0)
		snprintf(r->why, sizeof(r->why), "%s (error %lu)", why, (unsigned long)error);
	else
		snprintf(r->why, sizeof(r->why), "%s", why);
	return 0;
}

int
auditpol_decode(const struct auditpol_answer *a, size_t n, struct auditpol_result *r)
{
	size_t i, known = 0;
	int off = 0;

	if (a == NULL || r == NULL || n != auditpol_nneeds)
		return -1;
	memset(r, 0, sizeof(*r));
	for (i = 0; i < n; i++) {
		const struct auditpol_answer *x = &a[i];

		if (!x->ok) {
			switch (x->error) {
			case 0:
			case AUDITPOL_ERROR_CALL_NOT_IMPLEMENTED:
				return unavailable(r, "not implemented", x->error);
			case AUDITPOL_ERROR_ACCESS_DENIED:
			case AUDITPOL_ERROR_PRIVILEGE_NOT_HELD:
				return unavailable(r, "access denied", x->error);
			case AUDITPOL_ERROR_INVALID_PARAMETER:
			case AUDITPOL_ERROR_FILE_NOT_FOUND:
				r->absent |= 1u << i;  /* an older Windows */
				continue;
			default:
				return unavailable(r, "the query failed", x->error);
			}
		}
		if (guid_zero(&x->guid) && x->info == 0)
			return unavailable(r, "an empty answer", 0);
		if (!guid_eq(&x->guid, &auditpol_needs[i].guid))
			return unavailable(r, "an answer for another subcategory", 0);
		if (x->info & ~(AUDITPOL_SUCCESS | AUDITPOL_FAILURE | AUDITPOL_NONE)) {
			snprintf(r->why, sizeof(r->why), "unknown bits 0x%lx",
			    (unsigned long)x->info);
			r->state = AUDITPOL_UNAVAILABLE;
			return 0;
		}
		known++;
		r->have[i] = x->info & (AUDITPOL_SUCCESS | AUDITPOL_FAILURE);
		r->missing[i] = auditpol_needs[i].need & ~r->have[i];
		if (r->missing[i] != 0)
			off = 1;
	}
	if (known == 0)
		return unavailable(r, "no subcategory known", 0);
	r->state = off ? AUDITPOL_INCOMPLETE : AUDITPOL_COMPLETE;
	return 0;
}

const char *
auditpol_bits_name(unsigned bits)
{
	switch (bits & (AUDITPOL_SUCCESS | AUDITPOL_FAILURE)) {
	case AUDITPOL_SUCCESS:
		return "success";
	case AUDITPOL_FAILURE:
		return "failure";
	case AUDITPOL_SUCCESS | AUDITPOL_FAILURE:
		return "success and failure";
	default:
		return "none";
	}
}

size_t
auditpol_text(const struct auditpol_result *r, char *buf, size_t len)
{
	size_t i, at;
	int w;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (r->state == AUDITPOL_COMPLETE) {
		snprintf(buf, len, "complete");
		return strlen(buf);
	}
	if (r->state != AUDITPOL_INCOMPLETE) {
		snprintf(buf, len, "unavailable: %s", r->why);
		return strlen(buf);
	}
	w = snprintf(buf, len, "incomplete:");
	at = w < 0 ? 0 : (size_t)w;
	for (i = 0; i < auditpol_nneeds && at < len; i++) {
		if (r->missing[i] == 0)
			continue;
		w = snprintf(buf + at, len - at, " %s(%s)", auditpol_needs[i].key,
		    r->missing[i] == (AUDITPOL_SUCCESS | AUDITPOL_FAILURE) ? "success+failure" :
		    auditpol_bits_name(r->missing[i]));
		if (w < 0 || (size_t)w >= len - at) {
			buf[at] = '\0';       /* whole entries only */
			break;
		}
		at += (size_t)w;
	}
	return strlen(buf);
}

uint32_t
auditpol_wanted(const struct auditpol_result *r, size_t i)
{
	if (i >= auditpol_nneeds)
		return 0;
	return r->have[i] | r->missing[i];
}

int
auditpol_guid_format(const struct auditpol_guid *g, char *buf, size_t len)
{
	if (len < 39)
		return -1;
	return snprintf(buf, len, "{%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}",
	    (unsigned long)g->d1, g->d2, g->d3, g->d4[0], g->d4[1], g->d4[2], g->d4[3],
	    g->d4[4], g->d4[5], g->d4[6], g->d4[7]);
}

/* n hex digits at s into *v: 0, or -1. */
static int
hexn(const char *s, int n, uint32_t *v)
{
	int i, d;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((d = text_hex_digit((unsigned char)s[i])) < 0)
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

int
auditpol_guid_parse(const char *s, struct auditpol_guid *g)
{
	/* Positions of the groups in "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
	uint32_t v;
	int brace = s[0] == '{', i;

	s += brace;
	if (strlen(s) < 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return -1;
	if (brace ? (s[36] != '}' || s[37] != '\0') : s[36] != '\0')
		return -1;
	if (hexn(s, 8, &g->d1) != 0)
		return -1;
	if (hexn(s + 9, 4, &v) != 0)
		return -1;
	g->d2 = (uint16_t)v;
	if (hexn(s + 14, 4, &v) != 0)
		return -1;
	g->d3 = (uint16_t)v;
	for (i = 0; i < 8; i++) {
		if (hexn(s + (i < 2 ? 19 + 2 * i : 24 + 2 * (i - 2)), 2, &v) != 0)
			return -1;
		g->d4[i] = (uint8_t)v;
	}
	return 0;
}

int
auditpol_record_line(size_t i, const struct auditpol_answer *a, char *buf, size_t len)
{
	char g[40];
	int w;

	if (i >= auditpol_nneeds || auditpol_guid_format(&a->guid, g, sizeof(g)) < 0)
		return -1;
	w = snprintf(buf, len, "%s ok=%d error=%lu guid=%s info=0x%lx\n", auditpol_needs[i].key,
	    a->ok ? 1 : 0, (unsigned long)a->error, g, (unsigned long)a->info);
	return w < 0 || (size_t)w >= len ? -1 : w;
}

/* One record line (NUL-terminated, no newline) into a[]: 1 read, 0 blank, -1 bad. */
static int
record_one(char *line, struct auditpol_answer *a, size_t n)
{
	char key[32], g[48];
	unsigned long err;
	long long info;
	int ok;
	size_t i;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	if (sscanf(line, "%31s ok=%d error=%lu guid=%47s info=%lli", key, &ok, &err, g,
	    &info) != 5 || (ok != 0 && ok != 1) || info < 0 || info > 0xffffffffLL)
		return -1;
	for (i = 0; i < n && i < auditpol_nneeds; i++)
		if (strcmp(key, auditpol_needs[i].key) == 0)
			break;
	if (i == n || i == auditpol_nneeds)
		return -1;
	if (auditpol_guid_parse(g, &a[i].guid) != 0)
		return -1;
	a[i].ok = ok;
	a[i].error = (uint32_t)err;
	a[i].info = (uint32_t)info;
	return 1;
}

int
auditpol_record_parse(const char *text, size_t len, struct auditpol_answer *a, size_t n)
{
	char line[256];
	size_t at = 0, l;
	const char *nl;
	int got = 0, rc;

	memset(a, 0, n * sizeof(*a));
	while (at < len) {
		nl = memchr(text + at, '\n', len - at);
		l = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
		if (l >= sizeof(line))
			return -1;
		memcpy(line, text + at, l);
		line[l] = '\0';
		while (l > 0 && line[l - 1] == '\r')
			line[--l] = '\0';
		at = nl != NULL ? (size_t)(nl - text) + 1 : len;
		if ((rc = record_one(line, a, n)) < 0)
			return -1;
		got += rc;
	}
	return got;
}
