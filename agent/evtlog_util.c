/*
 * The Event Log sensor's pure parts (evtlog_util.h): the channels list, the
 * UTF-16 text Windows renders, the bookmark read back from the spool, the
 * subscription's query. Outside input every one: the configuration, what Windows
 * renders, and a file on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/sbuf.h"
#include "vigil/text.h"
#include "vigil/utf8.h"
#include "vigil/xmltok.h"
#include "evtlog_util.h"
#include "matcher.h"

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
evtlog_channels_parse(const char *list, struct evtlog_channel *out, size_t max, size_t *n,
    char *err, size_t errlen)
{
	const char *p = list, *b, *e;
	size_t len, i;

	*n = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (;;) {
		for (b = p; *p != '\0' && *p != ','; p++)
			;
		e = p;
		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
		len = (size_t)(e - b);
		/* "" alone is no channel at all; an empty entry between commas is a mistake. */
		if (len == 0 && (*p == ',' || *n > 0))
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s",
			    _("the channels list has an empty entry"));
		if (len > 0) {
			if (len >= EVTLOG_MAX_CHANNEL)
				return err_fmt(err, errlen, VIGIL_ERR_INVAL, _("channel \"%.40s...\" is "
				    "longer than %d bytes"), b, EVTLOG_MAX_CHANNEL - 1);
			for (i = 0; i < len; i++)
				if ((unsigned char)b[i] < 0x20 || b[i] == 0x7f)
					return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s",
					    _("a channel's name holds a control character"));
			if (*n >= max)
				return err_fmt(err, errlen, VIGIL_ERR_TOOBIG,
				    _("the channels list has more than %zu entries"), max);
			memcpy(out[*n].name, b, len);
			out[*n].name[len] = '\0';
			for (i = 0; i < *n; i++)
				if (text_same_word(out[i].name, out[*n].name))
					return err_fmt(err, errlen, VIGIL_ERR_INVAL,
					    _("channel \"%s\" is listed twice"), out[*n].name);
			(*n)++;
		}
		if (*p == '\0')
			return 0;
		p++;
	}
}

size_t
evtlog_utf16_to_utf8(const uint16_t *w, size_t wlen, char *out, size_t cap, int *cut)
{
	char enc[4];
	size_t i, o = 0, k;
	uint32_t cp;

	if (cut != NULL)
		*cut = 0;
	if (cap == 0)
		return 0;
	for (i = 0; i < wlen && w[i] != 0; i++) {
		cp = w[i];
		if (cp < 0x80) {
			/* A run of ASCII, most of what Windows writes: a byte each. */
			size_t lim = wlen - i < cap - 1 - o ? wlen - i : cap - 1 - o, a = 0;

			for (; a < lim && w[i + a] - 1u < 0x7fu; a++)
				out[o + a] = (char)w[i + a];
			o += a;
			i += a;
			if (o + 1 >= cap && i < wlen && w[i] != 0) {
				if (cut != NULL)
					*cut = 1;
				break;
			}
			i--;
			continue;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 1 < wlen && w[i + 1] >= 0xdc00 && w[i + 1] <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (uint32_t)(w[i + 1] - 0xdc00);
				i++;
			} else
				cp = 0xfffd;
		} else if (cp >= 0xdc00 && cp <= 0xdfff)
			cp = 0xfffd;
		k = utf8_encode(enc, cp);
		if (o + k >= cap) {
			if (cut != NULL)
				*cut = 1;
			break;
		}
		memcpy(out + o, enc, k);
		o += k;
	}
	out[o] = '\0';
	return o;
}

/* Put decoded attribute bytes into a small buffer; more than it holds fails. */
struct small {
	char *buf;
	size_t cap, len;
};

static int
small_put(void *arg, const char *s, size_t n)
{
	struct small *sm = arg;

	if (sm->len + n >= sm->cap)
		return -1;
	memcpy(sm->buf + sm->len, s, n);
	sm->len += n;
	sm->buf[sm->len] = '\0';
	return 0;
}

static int
attr_text(const struct xml_token *t, const char *name, char *buf, size_t cap)
{
	struct small sm = { buf, cap, 0 };
	const char *v;
	size_t vlen;

	buf[0] = '\0';
	if ((v = xml_attr(t, name, &vlen)) == NULL)
		return -1;
	return xml_decode_to(v, vlen, small_put, &sm) == 0 ? 0 : -1;
}

int
evtlog_bookmark_check(const char *xml, size_t len, const char *channel, uint64_t *record_id)
{
	struct xml_reader *r;
	struct xml_token *t;
	char ch[EVTLOG_MAX_CHANNEL], num[24];
	int rc = VIGIL_ERR_INVAL, list = 0, found = 0;
	long long v;

	*record_id = 0;
	if ((r = malloc(sizeof(*r))) == NULL || (t = malloc(sizeof(*t))) == NULL) {
		free(r);
		return VIGIL_ERR_NOMEM;
	}
	xml_init(r, xml, len);
	for (;;) {
		if (xml_next(r, t) != 0)
			goto out;
		if (t->type == XML_EOF)
			break;
		if (t->type == XML_START && t->depth == 0 && xml_is(t, "BookmarkList"))
			list = 1;
		else if ((t->type == XML_START || t->type == XML_EMPTY) && t->depth == 0)
			goto out;       /* another root: not a bookmark */
		else if ((t->type == XML_START || t->type == XML_EMPTY) && t->depth == 1 &&
		    xml_is(t, "Bookmark")) {
			if (attr_text(t, "Channel", ch, sizeof(ch)) != 0 ||
			    attr_text(t, "RecordId", num, sizeof(num)) != 0)
				goto out;
			if (!text_same_word(ch, channel))
				continue;
			if (text_parse_ll(num, 0, INT64_MAX, &v) != 0)
				goto out;
			*record_id = (uint64_t)v;
			found = 1;
		}
	}
	if (list && found)
		rc = 0;
out:
	if (rc != 0)
		*record_id = 0;
	free(t);
	free(r);
	return rc;
}

size_t
evtlog_query(const uint16_t *ids, size_t n, long long backlog_ms, char *buf, size_t cap)
{
	struct sbuf b;
	size_t i;

	if (n > EVTLOG_QUERY_MAX_IDS)
		n = 0;
	sbuf_init(&b, buf, cap);
	if (n == 0 && backlog_ms < 0)
		sbuf_str(&b, "*");
	else
		sbuf_str(&b, "*[System[");
	for (i = 0; i < n; i++)
		sbuf_printf(&b, "%s%sEventID=%u", i == 0 ? "(" : "", i > 0 ? " or " : "",
		    (unsigned)ids[i]);
	if (n > 0)
		sbuf_printf(&b, ")%s", backlog_ms >= 0 ? " and " : "");
	if (backlog_ms >= 0)
		sbuf_printf(&b, "TimeCreated[timediff(@SystemTime) <= %lld]", backlog_ms);
	if (n > 0 || backlog_ms >= 0)
		sbuf_str(&b, "]]");
	if (b.trunc) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	return b.len;
}

#define FILETIME_1970 116444736000000000ULL /* 1970-01-01 in 100 ns since 1601 */

static const char *const system_paths[EVTLOG_V_NAMED] = {
	"Event/System/Provider/@Name", "Event/System/EventID", "Event/System/EventRecordID",
	"Event/System/TimeCreated/@SystemTime", "Event/System/Channel", "Event/System/Computer",
	"Event/System/Version",
};

size_t
evtlog_value_path(size_t i, const char *const *names, char *buf, size_t cap)
{
	const char *name;
	int n;

	if (i < EVTLOG_V_NAMED)
		n = snprintf(buf, cap, "%s", system_paths[i]);
	else {
		name = names[i - EVTLOG_V_NAMED];
		/* "Data1" is a place ("Data[1]"), which a named <Data> may hold: not exact. */
		if (name[0] == '\0' || strpbrk(name, "_'\"[]") != NULL ||
		    (strncmp(name, "Data", 4) == 0 && name[4] >= '0' && name[4] <= '9'))
			return 0;
		for (const char *p = name; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				return 0;
		n = snprintf(buf, cap, "Event/EventData/Data[@Name='%s']", name);
	}
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/* v in decimal, at least width digits, into d; returns the digits written (snprintf is slow here). */
static size_t
put_digits(char *d, uint64_t v, size_t width)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || n < width);
	for (i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	return n;
}

/* v (< 100) as two digits into d: every event's time has five. */
static size_t
put2(char *d, unsigned v)
{
	d[0] = (char)('0' + v / 10);
	d[1] = (char)('0' + v % 10);
	return 2;
}

/* FILETIME -> "2026-12-04T01:00:16.1393678Z" (as the XML writes SystemTime) in buf[40]. */
static size_t
filetime_text(uint64_t ft, char *buf)
{
	uint64_t secs = ft / 10000000;
	unsigned rem = (unsigned)(secs % 86400);
	/* Days since 1601-01-01 -> a civil date (days from 0000-03-01, in 400-year eras). */
	int64_t z = (int64_t)(secs / 86400) - 134774 + 719468, era, doe, yoe, doy, mp, m, d;
	size_t n;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	n = put_digits(buf, (uint64_t)(yoe + era * 400 + (m <= 2)), 4);
	buf[n++] = '-';
	n += put2(buf + n, (unsigned)m);
	buf[n++] = '-';
	n += put2(buf + n, (unsigned)d);
	buf[n++] = 'T';
	n += put2(buf + n, rem / 3600);
	buf[n++] = ':';
	n += put2(buf + n, rem / 60 % 60);
	buf[n++] = ':';
	n += put2(buf + n, rem % 60);
	buf[n++] = '.';
	n += put_digits(buf + n, ft % 10000000, 7);
	buf[n++] = 'Z';
	buf[n] = '\0';
	return n;
}

/* A value's text as the XML holds it, into buf[48]; NULL when not made here. */
static const char *
value_text(const struct evtlog_value *v, char *buf, size_t cap, size_t *n)
{
	switch (v->type) {
	case EVTLOG_V_STRING:
		*n = v->n;
		return v->s;
	case EVTLOG_V_UINT:
		*n = put_digits(buf, v->u, 1);
		return buf;
	case EVTLOG_V_INT:
		buf[0] = '-';
		*n = v->i < 0 ? 1 + put_digits(buf + 1, 0 - (uint64_t)v->i, 1) :
		    put_digits(buf, (uint64_t)v->i, 1);
		return buf;
	default:
		return NULL;
	}
}

uint64_t
evtlog_mask(struct evtlog_masks *c, const struct matcher *m, uint32_t event_id,
    const char *const *names, size_t n)
{
	size_t h = event_id % EVTLOG_MASKS;

	if (c->key[h] != event_id + 1) {
		c->mask[h] = matcher_value_mask(m, event_id, names, n);
		c->key[h] = event_id + 1;
	}
	return c->mask[h];
}

/* A value Windows gave as UTF-16, made UTF-8 in its place (winevent_fill_fn). */
static size_t
utf16_fill(char *dst, size_t cap, const void *arg, int *cut)
{
	return evtlog_utf16_to_utf8(arg, (size_t)-1, dst, cap, cut);
}

/* Value v as field name[0..nlen) of ev, when it is text or a number. */
static void
add_value(struct winevent *ev, const char *name, size_t nlen, const struct evtlog_value *v)
{
	char buf[48];
	const char *t;
	size_t n;

	if (v->type == EVTLOG_V_UTF16)
		winevent_add_fill(ev, name, nlen, utf16_fill, v->w);
	else if (v->type == EVTLOG_V_NULL)
		winevent_add(ev, name, nlen, "", 0);
	else if ((t = value_text(v, buf, sizeof(buf), &n)) != NULL)
		winevent_add(ev, name, nlen, t, n);
}

int
evtlog_values_event(struct winevent *ev, const char *const *names, size_t nnames,
    const struct evtlog_value *vals, uint64_t mask)
{
	char buf[48], *sys[EVTLOG_V_NAMED];
	size_t caps[EVTLOG_V_NAMED], i, n;
	const char *t;
	int cut;

	winevent_clear(ev);
	if (vals[EVTLOG_V_EVENTID].type != EVTLOG_V_UINT || vals[EVTLOG_V_EVENTID].u > 65535)
		return VIGIL_ERR_MISSING;
	winevent_set_ids(ev, (uint32_t)vals[EVTLOG_V_EVENTID].u,
	    vals[EVTLOG_V_RECORDID].type == EVTLOG_V_UINT ? vals[EVTLOG_V_RECORDID].u : 0);
	if (vals[EVTLOG_V_VERSION].type == EVTLOG_V_UINT && vals[EVTLOG_V_VERSION].u <= 255)
		ev->version = (unsigned)vals[EVTLOG_V_VERSION].u;
	if (vals[EVTLOG_V_TIME].type == EVTLOG_V_FILETIME &&
	    vals[EVTLOG_V_TIME].u >= FILETIME_1970) {
		filetime_text(vals[EVTLOG_V_TIME].u, ev->time);
		ev->time_us = (int64_t)((vals[EVTLOG_V_TIME].u - FILETIME_1970) / 10);
	}
	sys[EVTLOG_V_PROVIDER] = ev->provider;
	sys[EVTLOG_V_CHANNEL] = ev->channel;
	sys[EVTLOG_V_COMPUTER] = ev->computer;
	caps[EVTLOG_V_PROVIDER] = sizeof(ev->provider);
	caps[EVTLOG_V_CHANNEL] = sizeof(ev->channel);
	caps[EVTLOG_V_COMPUTER] = sizeof(ev->computer);
	for (i = 0; i < EVTLOG_V_NAMED; i++) {
		if (i != EVTLOG_V_PROVIDER && i != EVTLOG_V_CHANNEL && i != EVTLOG_V_COMPUTER)
			continue;
		if (vals[i].type == EVTLOG_V_UTF16) {
			evtlog_utf16_to_utf8(vals[i].w, (size_t)-1, sys[i], caps[i], &cut);
			ev->values_cut += cut != 0;
		} else if ((t = value_text(&vals[i], buf, sizeof(buf), &n)) != NULL)
			winevent_set_text(ev, sys[i], caps[i], t, n);
	}
	ev->sys_cut = ev->values_cut;
	for (i = 0; i < nnames && i < 64; i++)
		if ((mask >> i & 1) && vals[EVTLOG_V_NAMED + i].type != EVTLOG_V_NULL)
			add_value(ev, names[i], strlen(names[i]), &vals[EVTLOG_V_NAMED + i]);
	/* Every other value, and those not at hand here, from the XML when asked for. */
	ev->tail = WINEVENT_TAIL_PENDING;
	return 0;
}

static void
text_value(struct evtlog_value *v, const char *s, size_t n)
{
	memset(v, 0, sizeof(*v));
	if (s == NULL || n == 0)
		return;
	v->type = EVTLOG_V_STRING;
	v->s = s;
	v->n = n;
}

void
evtlog_values_record(const struct winevent *whole, const char *xml, size_t len,
    const char *const *names, size_t nnames, struct evtlog_value *vals)
{
	char a[EVTLOG_MAX_PATH], b[EVTLOG_MAX_PATH];
	const char *v, *dot;
	uint64_t frac = 0;
	size_t i, n, k;

	text_value(&vals[EVTLOG_V_PROVIDER], whole->provider, strlen(whole->provider));
	text_value(&vals[EVTLOG_V_CHANNEL], whole->channel, strlen(whole->channel));
	text_value(&vals[EVTLOG_V_COMPUTER], whole->computer, strlen(whole->computer));
	text_value(&vals[EVTLOG_V_EVENTID], NULL, 0);
	vals[EVTLOG_V_EVENTID].type = EVTLOG_V_UINT;
	vals[EVTLOG_V_EVENTID].u = whole->event_id;
	text_value(&vals[EVTLOG_V_RECORDID], NULL, 0);
	if (whole->record_id != 0) {
		vals[EVTLOG_V_RECORDID].type = EVTLOG_V_UINT;
		vals[EVTLOG_V_RECORDID].u = whole->record_id;
	}
	/* Windows writes <Version> in every event (0 as often as not). */
	text_value(&vals[EVTLOG_V_VERSION], NULL, 0);
	vals[EVTLOG_V_VERSION].type = EVTLOG_V_UINT;
	vals[EVTLOG_V_VERSION].u = whole->version;
	text_value(&vals[EVTLOG_V_TIME], NULL, 0);
	if (whole->time_us > 0) {
		/* Ten-millionths, as written: the seventh digit time_us has not. */
		if ((dot = strchr(whole->time, '.')) != NULL)
			for (k = 1; k <= 7; k++)
				frac = frac * 10 + (dot[k] >= '0' && dot[k] <= '9' ?
				    (uint64_t)(dot[k] - '0') : 0);
		vals[EVTLOG_V_TIME].type = EVTLOG_V_FILETIME;
		vals[EVTLOG_V_TIME].u = FILETIME_1970 + (uint64_t)(whole->time_us / 1000000) *
		    10000000ULL + frac;
	}
	for (i = 0; i < nnames; i++) {
		snprintf(a, sizeof(a), "<Data Name='%s'>", names[i]);
		snprintf(b, sizeof(b), "<Data Name=\"%s\">", names[i]);
		v = NULL;
		n = 0;
		if (text_find(xml, len, a, strlen(a)) != NULL ||
		    text_find(xml, len, b, strlen(b)) != NULL)
			v = winevent_get(whole, names[i], &n);
		text_value(&vals[EVTLOG_V_NAMED + i], v, n);
	}
}

/* The place of a kind in ks, ks->n when not there. */
static size_t
kind_at(const struct evtlog_kinds *ks, const char *provider, uint32_t event_id, unsigned version)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->k[i].event_id == event_id && ks->k[i].version == version &&
		    strcmp(ks->k[i].provider, provider) == 0)
			break;
	return i;
}

const struct evtlog_kind *
evtlog_kind_find(const struct evtlog_kinds *ks, const char *provider, uint32_t event_id,
    unsigned version)
{
	size_t i = kind_at(ks, provider, event_id, version);

	return i < ks->n ? &ks->k[i] : NULL;
}

/* Kind (provider, event_id, version) with names[0..n) (nlens[i] bytes each, fitting) into ks. */
static int
kind_put(struct evtlog_kinds *ks, const char *provider, size_t plen, uint32_t event_id,
    unsigned version, const char *const *names, const size_t *nlens, size_t n)
{
	struct evtlog_kind *k;
	size_t i, at = 0;
	char p[WINEVENT_MAX_SYS];

	memcpy(p, provider, plen);
	p[plen] = '\0';
	i = kind_at(ks, p, event_id, version);
	k = i < ks->n ? &ks->k[i] : NULL;
	if (k != NULL && k->unusable)
		return VIGIL_ERR_INVAL;
	if (k != NULL && k->nnames == n) {
		for (i = 0; i < n && k->nlens[i] == nlens[i] && memcmp(k->names[i], names[i],
		    nlens[i]) == 0; i++)
			;
		if (i == n)
			return 0;       /* as learned: nothing new to keep */
	}
	if (k == NULL) {
		if (ks->n == EVTLOG_MAX_KINDS) {
			ks->full++;
			return VIGIL_ERR_TOOBIG;
		}
		k = &ks->k[ks->n++];
		k->event_id = event_id;
		k->version = version;
		k->unusable = 0;
		memcpy(k->provider, p, plen + 1);
	}
	for (i = 0; i < n; i++) {
		memcpy(k->text + at, names[i], nlens[i]);
		k->text[at + nlens[i]] = '\0';
		k->names[i] = k->text + at;
		k->nlens[i] = nlens[i];
		at += nlens[i] + 1;
	}
	k->nnames = n;
	ks->learned++;
	return 0;
}

int
evtlog_kind_learn(struct evtlog_kinds *ks, const struct winevent *whole)
{
	const char *names[WINEVENT_MAX_FIELDS];
	size_t nlens[WINEVENT_MAX_FIELDS], i;

	if (whole->tail != WINEVENT_TAIL_DONE || whole->userdata_nested || whole->fields_dropped > 0)
		return VIGIL_ERR_INVAL;
	/* At most WINEVENT_MAX_FIELDS names of at most WINEVENT_MAX_NAME bytes: they fit. */
	for (i = 0; i < whole->nfields; i++) {
		names[i] = whole->fields[i].name;
		nlens[i] = whole->fields[i].nlen;
	}
	return kind_put(ks, whole->provider, strlen(whole->provider), whole->event_id,
	    whole->version, names, nlens, whole->nfields);
}

int
evtlog_kind_verify(struct evtlog_kinds *ks, const struct winevent *whole,
    const struct evtlog_value *vals, size_t n)
{
	struct evtlog_kind *k;
	char buf[48], text[WINEVENT_MAX_VALUE + 1];
	const char *t;
	size_t i = kind_at(ks, whole->provider, whole->event_id, whole->version), len;
	int cut;

	if (i == ks->n)
		return VIGIL_ERR_NOTFOUND;
	k = &ks->k[i];
	if (n != k->nnames || n != whole->nfields)
		goto unusable;
	for (i = 0; i < n; i++) {
		if (vals[i].type == EVTLOG_V_UTF16) {
			len = evtlog_utf16_to_utf8(vals[i].w, (size_t)-1, text, sizeof(text), &cut);
			t = text;
		} else if (vals[i].type == EVTLOG_V_NULL) {
			t = "";
			len = 0;
		} else if ((t = value_text(&vals[i], buf, sizeof(buf), &len)) == NULL)
			goto unusable;
		if (len != whole->fields[i].vlen || memcmp(t, whole->fields[i].value, len) != 0)
			goto unusable;
	}
	return 0;
unusable:
	k->unusable = 1;
	return VIGIL_ERR_INVAL;
}

#define KINDS_HEADER "vigil-eventlog-kinds 2\n"

/* Whether s[0..n) can stand in the kept text: valid UTF-8, no control character. */
static int
keepable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return text_utf8_valid(s, n);
}

size_t
evtlog_kinds_save(const struct evtlog_kinds *ks, char *buf, size_t cap)
{
	struct sbuf b;
	const struct evtlog_kind *k;
	char id[24];
	size_t i, j, mark;

	sbuf_init(&b, buf, cap);
	sbuf_str(&b, KINDS_HEADER);
	for (i = 0; i < ks->n; i++) {
		k = &ks->k[i];
		if (k->unusable || !keepable(k->provider, strlen(k->provider)))
			continue;
		for (j = 0; j < k->nnames && keepable(k->names[j], k->nlens[j]); j++)
			;
		if (j < k->nnames)
			continue;
		mark = b.len;
		sbuf_str(&b, k->provider);
		snprintf(id, sizeof(id), "\t%u\t%u", (unsigned)k->event_id, k->version);
		sbuf_str(&b, id);
		for (j = 0; j < k->nnames; j++) {
			sbuf_put(&b, "\t", 1);
			sbuf_put(&b, k->names[j], k->nlens[j]);
		}
		sbuf_put(&b, "\n", 1);
		if (b.trunc) {
			/* A kind is whole or not there. */
			b.len = mark;
			b.p[mark] = '\0';
			break;
		}
	}
	return b.trunc && b.len < sizeof(KINDS_HEADER) - 1 ? 0 : b.len;
}

/*
 * The number 0..max in the field after *tab of a kept line ending at end:
 * 0 with *v set and *tab at the tab after it (NULL: it was the last), or -1.
 */
static int
kept_number(const char **tab, const char *end, long long max, long long *v)
{
	const char *f = *tab + 1;
	size_t len;
	char num[8];

	*tab = memchr(f, '\t', (size_t)(end - f));
	len = (size_t)((*tab != NULL ? *tab : end) - f);
	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, f, len);
	num[len] = '\0';
	return num[0] >= '0' && num[0] <= '9' && text_parse_ll(num, 0, max, v) == 0 ? 0 : -1;
}

/* One line of the kept text, line[0..n): 0 when it is a kind and was put into ks. */
static int
kind_line(struct evtlog_kinds *ks, const char *line, size_t n)
{
	const char *names[WINEVENT_MAX_FIELDS], *tab, *end = line + n, *f;
	size_t nlens[WINEVENT_MAX_FIELDS], nn = 0, plen;
	long long id, version;

	if ((tab = memchr(line, '\t', n)) == NULL || (plen = (size_t)(tab - line)) >=
	    WINEVENT_MAX_SYS || !keepable(line, plen) ||
	    kept_number(&tab, end, 65535, &id) != 0 || tab == NULL ||
	    kept_number(&tab, end, 255, &version) != 0)
		return -1;
	while (tab != NULL) {
		f = tab + 1;
		tab = memchr(f, '\t', (size_t)(end - f));
		if (nn == WINEVENT_MAX_FIELDS)
			return -1;
		names[nn] = f;
		nlens[nn] = (size_t)((tab != NULL ? tab : end) - f);
		/* As winevent.c names them: a space is '_' there. */
		if (nlens[nn] == 0 || nlens[nn] > WINEVENT_MAX_NAME || !keepable(f, nlens[nn]) ||
		    memchr(f, ' ', nlens[nn]) != NULL)
			return -1;
		nn++;
	}
	/* A full table is counted there (ks->full), not as a bad line. */
	return kind_put(ks, line, plen, (uint32_t)id, (unsigned)version, names, nlens, nn) ==
	    VIGIL_ERR_INVAL ? -1 : 0;
}

int
evtlog_kinds_load(struct evtlog_kinds *ks, const char *text, size_t len, size_t *bad)
{
	const char *p = text, *end = text + len, *nl;
	size_t hl = sizeof(KINDS_HEADER) - 1;

	*bad = 0;
	if (len < hl || memcmp(text, KINDS_HEADER, hl) != 0)
		return VIGIL_ERR_INVAL;
	for (p += hl; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (kind_line(ks, p, (size_t)(nl - p)) != 0)
			(*bad)++;
	}
	return 0;
}

int
evtlog_values_whole(struct winevent *ev, const struct evtlog_kind *k,
    const struct evtlog_value *vals, size_t n)
{
	size_t i;

	if (n != k->nnames || k->unusable)
		return VIGIL_ERR_MISSING;
	/* Those add_value() makes. */
	for (i = 0; i < n; i++)
		if (vals[i].type != EVTLOG_V_NULL && vals[i].type != EVTLOG_V_STRING &&
		    vals[i].type != EVTLOG_V_UTF16 && vals[i].type != EVTLOG_V_UINT &&
		    vals[i].type != EVTLOG_V_INT)
			return VIGIL_ERR_MISSING;
	/* The values at hand were those of some names: all of them now, in order, counted once. */
	ev->nfields = 0;
	ev->textlen = 0;
	ev->values_cut = ev->sys_cut;
	ev->fields_dropped = 0;
	for (i = 0; i < n; i++)
		add_value(ev, k->names[i], k->nlens[i], &vals[i]);
	ev->tail = WINEVENT_TAIL_DONE;
	return 0;
}

int
evtlog_values_utf16(struct evtlog_value *vals, size_t n, uint16_t *w, size_t wcap,
    size_t *used)
{
	const unsigned char *p;
	size_t i, k, at = 0, need = 0;
	uint32_t cp;
	int len;

	/* At most a unit a byte, and a NUL each. */
	for (i = 0; i < n; i++)
		if (vals[i].type == EVTLOG_V_STRING)
			need += vals[i].n + 1;
	*used = 0;
	if (need > wcap)
		return VIGIL_ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		if (vals[i].type != EVTLOG_V_STRING)
			continue;
		p = (const unsigned char *)vals[i].s;
		vals[i].w = w + at;
		for (k = 0; k < vals[i].n; k += (size_t)len) {
			if ((len = utf8_decode(p + k, vals[i].n - k, &cp)) <= 0) {
				len = len < 0 ? -len : 1;
				cp = 0xfffd;
			}
			if (cp >= 0x10000) {
				w[at++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
				w[at++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
			} else
				w[at++] = (uint16_t)cp;
		}
		w[at++] = 0;
		vals[i].type = EVTLOG_V_UTF16;
	}
	*used = at;
	return 0;
}

size_t
evtlog_values_record_user(const struct winevent *whole, struct evtlog_value *vals, size_t max)
{
	size_t i;

	for (i = 0; i < whole->nfields && i < max; i++)
		text_value(&vals[i], whole->fields[i].value, whole->fields[i].vlen);
	return i;
}
