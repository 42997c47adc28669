/*
 * Windows Security Center and Defender answers, decoded (see wsc.h).
 *
 * productState is not documented by Microsoft (its API is given to antivirus
 * vendors under NDA). It is read here as the public write-ups read it, which
 * agree with each other and with what PCs answer:
 *   - Microsoft's WSC_SECURITY_PROVIDER enumeration (iwscapi.h) is the third
 *     byte (0xFF0000): 0x04 antivirus, 0x02 auto-update settings, 0x08
 *     antispyware... (neophob.com, "WMI query Windows SecurityCenter2",
 *     2010-03; Stack Overflow question 4700897, values from 34 products on
 *     10,000 endpoints);
 *   - the second byte (0x00FF00): its high nibble the scanner, 0x1 on, 0x0
 *     off, 0x2 snoozed, 0x3 expired; its low nibble the owner, 0x1 Windows
 *     itself (Defender) (Idera PowerShell tip "Identifying antivirus engine
 *     state", 2020-09-07: masks 0xF000, 0x0F00, 0x00F0);
 *   - the first byte (0x0000FF): 0x00 signatures up to date, 0x10 out of date.
 * Examples: 397568 = 0x061100, Defender on and current; 393472 = 0x060100,
 * Defender off; 266240 = 0x041000, another product on and current; 266256 =
 * 0x041010, the same out of date.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/clock.h"
#include "vigil/text.h"
#include "vigil/utf8.h"
#include "wsc.h"

static void
copy_cut(char *dst, size_t cap, const char *s, size_t len)
{
	/* Cut at a character, never inside one: the wire takes UTF-8 only. */
	len = utf8_cut(s, len, cap - 1);
	memcpy(dst, s, len);
	dst[len] = '\0';
}

int
wmi_list_next(const char *text, size_t len, size_t *off, struct wmi_record *r)
{
	size_t i = *off, e, l;
	const char *eq;

	memset(r, 0, sizeof(*r));
	if (i == 0 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len) {
		for (e = i; e < len && text[e] != '\n'; e++)
			;
		l = e - i;
		/* CRLF, and the CR CR LF of wmic's output redirected by cmd. */
		while (l > 0 && text[i + l - 1] == '\r')
			l--;
		if (l == 0) {
			i = e + 1;
			if (r->n > 0)
				break;             /* a blank line ends a record */
			continue;
		}
		if ((eq = memchr(text + i, '=', l)) != NULL && eq > text + i &&
		    r->n < WMI_MAX_PROPS) {
			size_t nl = (size_t)(eq - (text + i));

			copy_cut(r->p[r->n].name, sizeof(r->p[r->n].name), text + i, nl);
			copy_cut(r->p[r->n].value, sizeof(r->p[r->n].value), eq + 1, l - nl - 1);
			r->n++;
		}
		i = e + 1;
	}
	*off = i < len ? i : len;
	return r->n > 0;
}

const char *
wmi_get(const struct wmi_record *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (text_same_word(r->p[i].name, name))
			return r->p[i].value;
	return NULL;
}

int
wsc_decode(uint32_t state, struct wsc_product *p)
{
	unsigned scanner = (state >> 12) & 0xfu, owner = (state >> 8) & 0xfu;
	unsigned sigs = state & 0xffu;

	p->state = state;
	p->providers = (state >> 16) & 0xffu;
	p->microsoft = owner == 1;
	p->scanner = WSC_SCANNER_UNKNOWN;
	p->sigs = WSC_SIGS_UNKNOWN;
	if (state > 0xffffffu || owner > 1 || scanner > 3 || (sigs != 0x00 && sigs != 0x10))
		return -1;
	p->scanner = scanner == 1 ? WSC_ON : scanner == 2 ? WSC_SNOOZED : scanner == 3 ?
	    WSC_EXPIRED : WSC_OFF;
	p->sigs = sigs == 0 ? WSC_SIGS_CURRENT : WSC_SIGS_OUTDATED;
	return 0;
}

static int
parse_u32(const char *s, uint32_t *v)
{
	unsigned long long n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || (n = n * 10 + (unsigned)(*s - '0')) > 0xffffffffull)
			return -1;
	}
	*v = (uint32_t)n;
	return 0;
}

size_t
wsc_parse(const char *text, size_t len, struct wsc_product *out, size_t max, size_t *bad)
{
	struct wmi_record *r;
	const char *name, *state;
	size_t off = 0, n = 0, nbad = 0;
	uint32_t v;

	if ((r = malloc(sizeof(*r))) == NULL)
		return 0;
	while (n < max && wmi_list_next(text, len, &off, r)) {
		name = wmi_get(r, "displayName");
		state = wmi_get(r, "productState");
		if (name == NULL || *name == '\0' || state == NULL || parse_u32(state, &v) != 0) {
			nbad++;
			continue;
		}
		memset(&out[n], 0, sizeof(out[n]));
		copy_cut(out[n].name, sizeof(out[n].name), name, strlen(name));
		if (wsc_decode(v, &out[n]) != 0)
			nbad++;                /* kept: its name is worth reporting */
		n++;
	}
	free(r);
	if (bad != NULL)
		*bad = nbad;
	return n;
}

static int
tristate_of(const char *v)
{
	if (v == NULL || *v == '\0')
		return VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN;
	if (text_same_word(v, "TRUE"))
		return VIGIL__V1__TRISTATE__TRISTATE_YES;
	if (text_same_word(v, "FALSE"))
		return VIGIL__V1__TRISTATE__TRISTATE_NO;
	return VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN;
}

static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
wmi_datetime_us(const char *s, int64_t *us)
{
	int y, mo, d, h, mi, sec, frac, tz;
	int64_t days;

	/* yyyymmddHHMMSS.mmmmmm+UUU: 25 characters. */
	if (strlen(s) != 25 || s[14] != '.' || (s[21] != '+' && s[21] != '-') ||
	    digits(s, 4, &y) || digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) ||
	    digits(s + 8, 2, &h) || digits(s + 10, 2, &mi) || digits(s + 12, 2, &sec) ||
	    digits(s + 15, 6, &frac) || digits(s + 22, 3, &tz))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    tz > 14 * 60)
		return -1;
	if (s[21] == '-')
		tz = -tz;
	days = clock_days_from_civil(y, mo, d);
	*us = ((days * 86400 + h * 3600 + mi * 60 + sec) - (int64_t)tz * 60) * 1000000 + frac;
	return 0;
}

int
mp_parse(const char *text, size_t len, struct mp_status *st)
{
	struct wmi_record *r;
	const char *v;
	size_t off = 0;
	int age;

	memset(st, 0, sizeof(*st));
	st->signature_age_days = -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		return -1;
	if (!wmi_list_next(text, len, &off, r)) {
		free(r);
		return -1;
	}
	st->found = 1;
	st->antivirus_enabled = tristate_of(wmi_get(r, "AntivirusEnabled"));
	st->realtime = tristate_of(wmi_get(r, "RealTimeProtectionEnabled"));
	/* 65535: Defender's own "never updated" (a new install, or a disabled engine). */
	if ((v = wmi_get(r, "AntivirusSignatureAge")) != NULL && strlen(v) <= 5 &&
	    digits(v, strlen(v), &age) == 0 && *v != '\0' && age < 65535)
		st->signature_age_days = age;
	if ((v = wmi_get(r, "AntivirusSignatureLastUpdated")) != NULL &&
	    wmi_datetime_us(v, &st->signatures_us) != 0)
		st->signatures_us = 0;
	if ((v = wmi_get(r, "AMProductVersion")) != NULL)
		copy_cut(st->version, sizeof(st->version), v, strlen(v));
	free(r);
	return 0;
}

static int
enabled(const struct wsc_product *p)
{
	return p->scanner == WSC_ON;
}

int
wsc_choose(const struct wsc_product *p, size_t n, const struct mp_status *mp,
    struct posture_av *av, const char **sig_note)
{
	const struct wsc_product *c = NULL;
	size_t i;

	memset(av, 0, sizeof(*av));
	*sig_note = "";
	for (i = 0; i < n && c == NULL; i++)
		if (enabled(&p[i]) && !p[i].microsoft)
			c = &p[i];
	for (i = 0; i < n && c == NULL; i++)
		if (enabled(&p[i]))
			c = &p[i];
	if (c == NULL && n > 0)
		c = &p[0];
	if (c == NULL)
		return -1;
	snprintf(av->product, sizeof(av->product), "%s", c->name);
	av->running = c->scanner == WSC_SCANNER_UNKNOWN ? VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN :
	    enabled(c) ? VIGIL__V1__TRISTATE__TRISTATE_YES : VIGIL__V1__TRISTATE__TRISTATE_NO;
	/* Security Center's "on" is the on-access scanner: real-time protection. */
	av->realtime = av->running;
	if (c->microsoft && mp != NULL && mp->found) {
		if (mp->realtime != VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN)
			av->realtime = mp->realtime;
		snprintf(av->version, sizeof(av->version), "%s", mp->version);
		av->signatures_us = mp->signatures_us;
		*sig_note = mp->signatures_us != 0 ? "" : "unknown";
	} else if (!c->microsoft)
		*sig_note = "unknown (vendor)";
	else
		*sig_note = "unknown";
	return 0;
}
