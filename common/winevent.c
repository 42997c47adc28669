/*
 * A rendered Windows event -> struct winevent. See vigil/winevent.h.
 *
 * One pass over the tokens of vigil/xmltok.h, with the element's place
 * deciding what its text is: under <System>, the few elements Vigil keeps;
 * under <EventData>, each <Data Name="X"> (an unnamed one, as MsiInstaller
 * writes, is "Data1", "Data2"... by its place); under <UserData>, the
 * attributes of its one child and every leaf element below it by its name
 * without a namespace prefix. Anything else (<RenderingInfo>, <Binary>,
 * <Security>, elements Vigil does not know) is skipped with what it holds.
 *
 * A value's text is decoded into a scratch of WINEVENT_MAX_VALUE bytes and
 * a little more, then made valid UTF-8 into the struct: the caps hold
 * whatever the input is, and nothing is allocated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/sbuf.h"
#include "vigil/utf8.h"
#include "vigil/winevent.h"
#include "vigil/xmltok.h"

enum section { S_NONE, S_SYSTEM, S_DATA, S_USER, S_SKIP };

enum target { T_NONE, T_FIELD, T_EVENTID, T_CHANNEL, T_COMPUTER, T_RECORDID, T_VERSION };

/* The value being read: its decoded bytes, not yet valid UTF-8. */
struct value {
	char buf[WINEVENT_MAX_VALUE + 8];
	size_t len;
	int over; /* more text than buf holds: it is cut */
};

struct parser {
	struct winevent *ev;
	enum section sec;
	enum target target;    /* what the text of the open element is */
	size_t target_depth;   /* the depth of that element */
	char name[WINEVENT_MAX_NAME + 1];
	size_t nlen;
	int name_bad;          /* longer than WINEVENT_MAX_NAME */
	unsigned ndata;        /* <Data> elements seen */
	int have_id;
	struct value v;
	struct xml_reader r;
	struct xml_token t;
};

static int
put_value(void *arg, const char *s, size_t n)
{
	struct value *v = arg;
	size_t room = sizeof(v->buf) - v->len;

	if (n > room) {
		n = room;
		v->over = 1;
	}
	memcpy(v->buf + v->len, s, n);
	v->len += n;
	return 0;
}

/*
 * src[0..n) as valid UTF-8 into dst[0..cap) (NUL-terminated), each invalid
 * sequence and NUL as U+FFFD, cut at a character boundary. Returns the
 * length; *cut is set when something did not fit.
 */
static size_t
clean(struct winevent *ev, char *dst, size_t cap, const char *src, size_t n, int *cut)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, o = 0;
	uint32_t cp;
	int k;

	while (i < n) {
		if (p[i] - 1u < 0x7fu) {
			/* A run of ASCII (no NUL) is copied as it is. */
			size_t run = i + 1;

			while (run < n && p[run] - 1u < 0x7fu)
				run++;
			if (o + (run - i) >= cap)
				run = i + (cap - 1 - o);
			memcpy(dst + o, src + i, run - i);
			o += run - i;
			i = run;
			if (o + 1 >= cap)
				break;
			continue;
		}
		k = utf8_decode(p + i, n - i, &cp);
		if (k <= 0 || cp == 0) {
			if (k <= 0)
				ev->invalid_utf8++;
			if (o + 3 >= cap)
				break;
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += k <= 0 ? (size_t)-k : (size_t)k;
			continue;
		}
		if (o + (size_t)k >= cap)
			break;
		memcpy(dst + o, src + i, (size_t)k);
		o += (size_t)k;
		i += (size_t)k;
	}
	if (i < n)
		*cut = 1;
	dst[o] = '\0';
	return o;
}

/* The value into a System text of the struct. */
static void
set_sys(struct parser *ps, char *dst, size_t cap, const char *src, size_t n, int over)
{
	int cut = over;

	clean(ps->ev, dst, cap, src, n, &cut);
	if (cut)
		ps->ev->values_cut++;
}

/*
 * Text already valid UTF-8 holding no NUL (winevent_add) into dst[cap]:
 * copied as it is, cut at a character boundary as clean() cuts.
 */
static size_t
copy_valid(char *dst, size_t cap, const char *src, size_t n, int *cut)
{
	if (n >= cap) {
		n = utf8_cut(src, n, cap - 1);
		*cut = 1;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

/*
 * Room for a named value after its name in the struct: the field, its
 * value's place *d and room *cap (at most WINEVENT_MAX_VALUE + 1, for the
 * NUL); NULL (counted as left out) when there is none. field_end() keeps it.
 */
static struct winevent_field *
field_begin(struct winevent *ev, const char *name, size_t nlen, char **d, size_t *cap)
{
	struct winevent_field *f;
	size_t room = sizeof(ev->text) - ev->textlen;

	if (ev->nfields == WINEVENT_MAX_FIELDS || nlen == 0 || nlen > WINEVENT_MAX_NAME ||
	    room < nlen + 2) {
		ev->fields_dropped++;
		return NULL;
	}
	f = &ev->fields[ev->nfields];
	*d = ev->text + ev->textlen;
	memcpy(*d, name, nlen);
	(*d)[nlen] = '\0';
	f->name = *d;
	f->nlen = nlen;
	*d += nlen + 1;
	*cap = room - nlen - 1;
	if (*cap > WINEVENT_MAX_VALUE + 1)
		*cap = WINEVENT_MAX_VALUE + 1;
	f->value = *d;
	return f;
}

static void
field_end(struct winevent *ev, struct winevent_field *f, size_t vlen, int cut)
{
	f->vlen = vlen;
	if (cut)
		ev->values_cut++;
	ev->textlen += f->nlen + 1 + vlen + 1;
	ev->nfields++;
}

/* A named value into the struct (valid: as copy_valid() takes it), or counted as left out. */
static void
add_field(struct winevent *ev, const char *name, size_t nlen, const char *val, size_t vlen,
    int over, int valid)
{
	struct winevent_field *f;
	size_t cap, n;
	char *d;
	int cut = over;

	if ((f = field_begin(ev, name, nlen, &d, &cap)) == NULL)
		return;
	n = valid ? copy_valid(d, cap, val, vlen, &cut) : clean(ev, d, cap, val, vlen, &cut);
	field_end(ev, f, n, cut);
}

/* A name from a tag or an attribute: without a namespace prefix, decoded, valid UTF-8. */
static void
take_name(struct parser *ps, const char *raw, size_t n, int decode)
{
	const char *colon = memchr(raw, ':', n);
	struct value tmp;
	int cut = 0;

	if (!decode && colon != NULL) {
		n -= (size_t)(colon + 1 - raw);
		raw = colon + 1;
	}
	tmp.len = 0;
	tmp.over = 0;
	if (decode)
		xml_decode_to(raw, n, put_value, &tmp);
	else
		put_value(&tmp, raw, n);
	ps->nlen = clean(ps->ev, ps->name, sizeof(ps->name), tmp.buf, tmp.len, &cut);
	ps->name_bad = cut || tmp.over;
	/* Defender's names have spaces ("Threat Name"): a rule writes Threat_Name. */
	for (size_t i = 0; i < ps->nlen; i++)
		if (ps->name[i] == ' ')
			ps->name[i] = '_';
}

static void
begin(struct parser *ps, enum target target)
{
	ps->target = target;
	ps->target_depth = ps->t.depth;
	ps->v.len = 0;
	ps->v.over = 0;
}

static int
fail(struct parser *ps, int rc, const char *what, char *err, size_t errlen)
{
	return err_fmt(err, errlen, rc, "byte %zu: %s", ps->r.pos, what);
}

/* The open element's text is complete. */
static int
finish(struct parser *ps, char *err, size_t errlen)
{
	struct winevent *ev = ps->ev;
	struct value *v = &ps->v;
	unsigned long long n = 0;
	size_t i = 0, e = v->len;

	switch (ps->target) {
	case T_FIELD:
		if (ps->name_bad)
			ev->fields_dropped++;
		else
			add_field(ps->ev, ps->name, ps->nlen, v->buf, v->len, v->over, 0);
		break;
	case T_CHANNEL:
		set_sys(ps, ev->channel, sizeof(ev->channel), v->buf, v->len, v->over);
		break;
	case T_COMPUTER:
		set_sys(ps, ev->computer, sizeof(ev->computer), v->buf, v->len, v->over);
		break;
	case T_VERSION:
		/* The template's version (a byte): read leniently, 0 when it is none. */
		while (i < e && (v->buf[i] == ' ' || v->buf[i] == '\n' || v->buf[i] == '\r' ||
		    v->buf[i] == '\t'))
			i++;
		for (; i < e && v->buf[i] >= '0' && v->buf[i] <= '9' && n <= 255; i++)
			n = n * 10 + (unsigned)(v->buf[i] - '0');
		ev->version = n <= 255 ? (unsigned)n : 0;
		break;
	case T_EVENTID:
	case T_RECORDID:
		while (i < e && (v->buf[i] == ' ' || v->buf[i] == '\n' || v->buf[i] == '\r' ||
		    v->buf[i] == '\t'))
			i++;
		while (e > i && (v->buf[e - 1] == ' ' || v->buf[e - 1] == '\n' ||
		    v->buf[e - 1] == '\r' || v->buf[e - 1] == '\t'))
			e--;
		if (i == e || e - i > 20)
			return fail(ps, VIGIL_ERR_INVAL, ps->target == T_EVENTID ?
			    "EventID is not a number." : "EventRecordID is not a number.", err,
			    errlen);
		for (; i < e; i++) {
			if (v->buf[i] < '0' || v->buf[i] > '9' || n > UINT64_MAX / 10 - 1)
				return fail(ps, VIGIL_ERR_INVAL, ps->target == T_EVENTID ?
				    "EventID is not a number." : "EventRecordID is not a number.",
				    err, errlen);
			n = n * 10 + (unsigned)(v->buf[i] - '0');
		}
		if (ps->target == T_EVENTID) {
			if (n > 65535)
				return fail(ps, VIGIL_ERR_INVAL, "EventID is over 65535.", err, errlen);
			winevent_set_ids(ev, (uint32_t)n, ev->record_id);
			ps->have_id = 1;
		} else {
			winevent_set_ids(ev, ev->event_id, n);
		}
		break;
	default:
		break;
	}
	ps->target = T_NONE;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "2026-12-04T02:15:31.1234567Z" (any number of fraction digits) -> µs, or 0. */
static int64_t
parse_systime(const char *s)
{
	unsigned y, mo, d, h, mi, se, us = 0, scale = 100000;
	size_t n = strlen(s), i = 19;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) ||
	    y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return 0;
	if (s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			us += (unsigned)(s[i] - '0') * scale;
			scale /= 10;
		}
	if (i + 1 != n || s[i] != 'Z')
		return 0;
	return ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 + se) * 1000000LL + us;
}

/* An attribute's value, decoded, as a System text. */
static void
sys_attr(struct parser *ps, const char *name, char *dst, size_t cap)
{
	const char *raw;
	size_t n;

	if ((raw = xml_attr(&ps->t, name, &n)) == NULL)
		return;
	ps->v.len = 0;
	ps->v.over = 0;
	xml_decode_to(raw, n, put_value, &ps->v);
	set_sys(ps, dst, cap, ps->v.buf, ps->v.len, ps->v.over);
}

/* A start (or empty) tag at depth >= 1. */
static void
on_element(struct parser *ps)
{
	struct xml_token *t = &ps->t;
	const char *raw;
	size_t n, i;
	char num[24];

	if (t->depth == 1) {
		ps->sec = xml_is(t, "System") ? S_SYSTEM : xml_is(t, "EventData") ? S_DATA :
		    xml_is(t, "UserData") ? S_USER : S_SKIP;
		return;
	}
	if (ps->target != T_NONE) {
		/* An element inside a value's element: its text is the value's, but not a leaf. */
		if (ps->sec == S_USER && ps->target == T_FIELD && t->depth > ps->target_depth) {
			ps->target = T_NONE;
		}
		if (ps->sec != S_USER)
			return;
	}
	switch (ps->sec) {
	case S_SYSTEM:
		if (t->depth != 2)
			return;
		if (xml_is(t, "Provider")) {
			sys_attr(ps, "Name", ps->ev->provider, sizeof(ps->ev->provider));
		} else if (xml_is(t, "TimeCreated")) {
			sys_attr(ps, "SystemTime", ps->ev->time, sizeof(ps->ev->time));
			ps->ev->time_us = parse_systime(ps->ev->time);
		} else if (t->type == XML_START) {
			if (xml_is(t, "EventID"))
				begin(ps, T_EVENTID);
			else if (xml_is(t, "Channel"))
				begin(ps, T_CHANNEL);
			else if (xml_is(t, "Computer"))
				begin(ps, T_COMPUTER);
			else if (xml_is(t, "EventRecordID"))
				begin(ps, T_RECORDID);
			else if (xml_is(t, "Version"))
				begin(ps, T_VERSION);
		}
		return;
	case S_DATA:
		if (t->depth != 2 || !xml_is(t, "Data"))
			return;
		ps->ndata++;
		if ((raw = xml_attr(t, "Name", &n)) != NULL) {
			take_name(ps, raw, n, 1);
		} else {
			snprintf(num, sizeof(num), "Data%u", ps->ndata);
			take_name(ps, num, strlen(num), 0);
		}
		begin(ps, T_FIELD);
		if (t->type == XML_EMPTY)
			ps->target_depth = SIZE_MAX; /* finished by the caller at once */
		return;
	case S_USER:
		ps->ev->userdata = 1;
		if (t->depth == 2) {
			/* The one child of <UserData>: its attributes are values. */
			for (i = 0; i < t->nattrs; i++) {
				const struct xml_attr *a = &t->attrs[i];

				if ((a->nlen >= 5 && memcmp(a->name, "xmlns", 5) == 0))
					continue;
				ps->ev->userdata_nested = 1;
				take_name(ps, a->name, a->nlen, 0);
				ps->v.len = 0;
				ps->v.over = 0;
				xml_decode_to(a->val, a->vlen, put_value, &ps->v);
				if (ps->name_bad)
					ps->ev->fields_dropped++;
				else
					add_field(ps->ev, ps->name, ps->nlen, ps->v.buf, ps->v.len,
					    ps->v.over, 0);
			}
			return;
		}
		/* Deeper than a leaf, or a leaf with attributes (Windows renders those as values). */
		if (t->depth > 3)
			ps->ev->userdata_nested = 1;
		for (i = 0; i < t->nattrs; i++)
			if (t->attrs[i].nlen < 5 || memcmp(t->attrs[i].name, "xmlns", 5) != 0)
				ps->ev->userdata_nested = 1;
		take_name(ps, t->name, t->nlen, 0);
		begin(ps, T_FIELD);
		if (t->type == XML_EMPTY)
			ps->target_depth = SIZE_MAX;
		return;
	default:
		return;
	}
}

/*
 * The tokens from the reader's place on: the whole event, or with head set
 * only through </System> when <System> comes first (as Windows writes it),
 * the reader's place then kept in ev for winevent_parse_tail(). (A <System>
 * without its EventID is read on, as winevent_parse() does.)
 */
static int
run(struct parser *ps, int head, size_t *used, char *err, size_t errlen)
{
	struct winevent *ev = ps->ev;
	struct xml_token *t = &ps->t;
	size_t start = ev->start;
	int rc, first = 1;

	for (;;) {
		if ((rc = xml_next(&ps->r, t)) != 0) {
			if (ev->capped)
				return err_fmt(err, errlen, VIGIL_ERR_TOOBIG, "byte %zu: an event "
				    "longer than %d bytes.", start + ps->r.pos, WINEVENT_MAX_XML);
			return err_fmt(err, errlen, rc, "%s", ps->r.err);
		}
		if (t->type == XML_EOF)
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "byte %zu: no event.",
			    start + ps->r.pos);
		if (t->depth == 0 && (t->type == XML_START || t->type == XML_EMPTY)) {
			if (!xml_is(t, "Event"))
				return err_fmt(err, errlen, VIGIL_ERR_INVAL, "byte %zu: the root "
				    "element is <%.*s>, not <Event>.", start + t->off,
				    (int)(t->nlen > 40 ? 40 : t->nlen), t->name);
			if (t->type == XML_EMPTY)
				break;
			continue;
		}
		if (t->depth == 0 && t->type == XML_END)
			break;
		if (t->depth == 0)
			continue;
		switch (t->type) {
		case XML_START:
		case XML_EMPTY:
			on_element(ps);
			if (t->depth == 1 && ps->sec != S_SYSTEM)
				first = 0;
			if (t->type == XML_EMPTY && ps->target != T_NONE &&
			    ps->target_depth == SIZE_MAX && (rc = finish(ps, err, errlen)) != 0)
				return rc;
			break;
		case XML_END:
			if (t->depth == 1 && head && first && ps->sec == S_SYSTEM && ps->have_id) {
				ev->tail = WINEVENT_TAIL_PENDING;
				ev->tail_at = ps->r.pos;
				ev->root = ps->r.stack[0].name;
				ev->rootlen = ps->r.stack[0].nlen;
				goto out;
			}
			if (t->depth == 1)
				ps->sec = S_NONE;
			if (ps->target != T_NONE && t->depth == ps->target_depth &&
			    (rc = finish(ps, err, errlen)) != 0)
				return rc;
			break;
		case XML_TEXT:
			if (ps->target != T_NONE && ps->sec != S_SKIP)
				xml_decode_to(ps->r.s + t->off, t->len, put_value, &ps->v);
			break;
		case XML_OTHER:
			/* CDATA is text as written; comments and instructions are not text. */
			if (ps->target != T_NONE && t->len >= 12 &&
			    memcmp(ps->r.s + t->off, "<![CDATA[", 9) == 0)
				put_value(&ps->v, ps->r.s + t->off + 9, t->len - 12);
			break;
		default:
			break;
		}
	}
	ev->tail = WINEVENT_TAIL_DONE;
	if (used != NULL)
		*used = start + ps->r.pos;
out:
	if (!ps->have_id)
		return err_fmt(err, errlen, VIGIL_ERR_MISSING, "byte %zu: the event has no "
		    "<EventID> in <System>.", start + ps->r.pos);
	return 0;
}

static void
parser_init(struct parser *ps, struct winevent *ev, int have_id)
{
	ps->ev = ev;
	ps->sec = S_NONE;
	ps->target = T_NONE;
	ps->ndata = 0;
	ps->have_id = have_id;
}

/* Reset ev and read from the start of the event. */
static int
parse(struct winevent *ev, const char *xml, size_t len, int head, size_t *used, char *err,
    size_t errlen)
{
	struct parser local;
	size_t start = 0, n;

	/* Most of the parser is the reader's stack: on the caller's stack, once. */
	winevent_clear(ev);
	if (used != NULL)
		*used = 0;
	while (start < len && (xml[start] == ' ' || xml[start] == '\t' || xml[start] == '\r' ||
	    xml[start] == '\n'))
		start++;
	if (start == len) {
		if (used != NULL)
			*used = len;
		return err_fmt(err, errlen, VIGIL_ERR_EMPTY, "byte %zu: no event.", len);
	}
	n = len - start;
	if (n > WINEVENT_MAX_XML) {
		n = WINEVENT_MAX_XML;
		ev->capped = 1;
	}
	ev->xml = xml;
	ev->xmllen = n;
	ev->start = start;
	parser_init(&local, ev, 0);
	xml_init(&local.r, xml + start, n);
	return run(&local, head, used, err, errlen);
}

void
winevent_clear(struct winevent *ev)
{
	/* The texts emptied, not zeroed whole: this runs for every event. */
	ev->provider[0] = ev->channel[0] = ev->computer[0] = ev->time[0] = '\0';
	ev->event_id_text[0] = ev->record_id_text[0] = '\0';
	memset(&ev->event_id, 0, offsetof(struct winevent, fields) -
	    offsetof(struct winevent, event_id));
	ev->fields_dropped = ev->values_cut = ev->invalid_utf8 = 0;
	ev->textlen = 0;
	ev->text[0] = '\0';
}

/* v in decimal into d (room for its digits and a NUL): every event has ids, so no snprintf. */
static void
put_id(char *d, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	d[n] = '\0';
}

void
winevent_set_ids(struct winevent *ev, uint32_t event_id, uint64_t record_id)
{
	ev->event_id = event_id;
	put_id(ev->event_id_text, event_id);
	ev->record_id = record_id;
	if (record_id != 0)
		put_id(ev->record_id_text, record_id);
}

void
winevent_set_text(struct winevent *ev, char *dst, size_t cap, const char *v, size_t n)
{
	int cut = 0;

	copy_valid(dst, cap, v, n, &cut);
	if (cut)
		ev->values_cut++;
}

void
winevent_add(struct winevent *ev, const char *name, size_t nlen, const char *v, size_t n)
{
	add_field(ev, name, nlen, v, n, 0, 1);
}

void
winevent_add_fill(struct winevent *ev, const char *name, size_t nlen, winevent_fill_fn fill,
    const void *arg)
{
	struct winevent_field *f;
	size_t cap, n;
	char *d;
	int cut = 0;

	if ((f = field_begin(ev, name, nlen, &d, &cap)) == NULL)
		return;
	n = fill(d, cap, arg, &cut);
	field_end(ev, f, n, cut);
}

int
winevent_parse(struct winevent *ev, const char *xml, size_t len, size_t *used, char *err,
    size_t errlen)
{
	return parse(ev, xml, len, 0, used, err, errlen);
}

int
winevent_parse_head(struct winevent *ev, const char *xml, size_t len, char *err,
    size_t errlen)
{
	return parse(ev, xml, len, 1, NULL, err, errlen);
}

int
winevent_parse_tail(struct winevent *ev, size_t *used, char *err, size_t errlen)
{
	struct parser local;
	int rc;

	/* Failed before: read again, for the error's words (a rare case). */
	if (ev->tail == WINEVENT_TAIL_DONE)
		return 0;
	if (ev->whole != NULL) {
		if ((rc = ev->whole(ev, ev->whole_arg, err, errlen)) != 0)
			ev->tail = WINEVENT_TAIL_FAILED;
		return rc;
	}
	/* Nothing to read on from: values without their XML, or a whole parse that failed. */
	if (ev->xml == NULL || ev->root == NULL) {
		ev->tail = WINEVENT_TAIL_FAILED;
		return err_fmt(err, errlen, VIGIL_ERR_MISSING, "%s", "the rest of the event is "
		    "not at hand.");
	}
	/* The reader again where the head stopped: inside <Event>, after </System>. */
	parser_init(&local, ev, 1);
	xml_init(&local.r, ev->xml + ev->start, ev->xmllen);
	local.r.pos = ev->tail_at;
	local.r.depth = 1;
	local.r.seen_root = 1;
	local.r.stack[0].name = ev->root;
	local.r.stack[0].nlen = ev->rootlen;
	if ((rc = run(&local, 0, used, err, errlen)) != 0) {
		ev->tail = WINEVENT_TAIL_FAILED;
		ev->nfields = 0;
		ev->textlen = 0;
	}
	return rc;
}

const char *
winevent_value(struct winevent *ev, const char *name, size_t *vlen)
{
	const char *v;
	char err[8];

	/* A value at hand is the event's (from its values); else the rest is read. */
	if ((v = winevent_get(ev, name, vlen)) != NULL || ev->tail != WINEVENT_TAIL_PENDING ||
	    winevent_is_system(name))
		return v;
	winevent_parse_tail(ev, NULL, err, sizeof(err));
	return winevent_get(ev, name, vlen);
}

static const char *const system_names[] = { "provider", "channel", "computer", "event_id",
	"record_id", "time" };

int
winevent_is_system(const char *name)
{
	for (size_t i = 0; i < sizeof(system_names) / sizeof(system_names[0]); i++)
		if (strcmp(name, system_names[i]) == 0)
			return 1;
	return 0;
}

const char *
winevent_get(const struct winevent *ev, const char *name, size_t *vlen)
{
	const char *v = NULL;
	size_t i, n = strlen(name);

	if (name[0] >= 'a' && name[0] <= 'z') {
		if (strcmp(name, "provider") == 0)
			v = ev->provider;
		else if (strcmp(name, "channel") == 0)
			v = ev->channel;
		else if (strcmp(name, "computer") == 0)
			v = ev->computer;
		else if (strcmp(name, "event_id") == 0)
			v = ev->event_id_text;
		else if (strcmp(name, "record_id") == 0)
			v = ev->record_id_text;
		else if (strcmp(name, "time") == 0)
			v = ev->time;
		if (v != NULL) {
			if (vlen != NULL)
				*vlen = strlen(v);
			return v;
		}
	}
	for (i = 0; i < ev->nfields; i++)
		if (ev->fields[i].nlen == n && memcmp(ev->fields[i].name, name, n) == 0) {
			if (vlen != NULL)
				*vlen = ev->fields[i].vlen;
			return ev->fields[i].value;
		}
	return NULL;
}

size_t
winevent_format(const struct winevent *ev, char *buf, size_t cap)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b, buf, cap);
	sbuf_str(&b, ev->channel[0] != '\0' ? ev->channel : "-");
	sbuf_put(&b, " ", 1);
	sbuf_str(&b, ev->event_id_text);
	sbuf_put(&b, " ", 1);
	sbuf_str(&b, ev->provider[0] != '\0' ? ev->provider : "-");
	sbuf_put(&b, " ", 1);
	sbuf_str(&b, ev->computer[0] != '\0' ? ev->computer : "-");
	if (ev->record_id_text[0] != '\0') {
		sbuf_put(&b, " #", 2);
		sbuf_str(&b, ev->record_id_text);
	}
	sbuf_put(&b, ":", 1);
	for (i = 0; i < ev->nfields; i++) {
		const struct winevent_field *f = &ev->fields[i];

		/* Every event that fires is written so: a field at once when it fits. */
		if (b.cap > 0 && b.cap - 1 - b.len >= f->nlen + f->vlen + 2) {
			b.p[b.len] = ' ';
			memcpy(b.p + b.len + 1, f->name, f->nlen);
			b.p[b.len + 1 + f->nlen] = '=';
			memcpy(b.p + b.len + 2 + f->nlen, f->value, f->vlen);
			b.len += f->nlen + f->vlen + 2;
			b.p[b.len] = '\0';
			continue;
		}
		sbuf_put(&b, " ", 1);
		sbuf_put(&b, f->name, f->nlen);
		sbuf_put(&b, "=", 1);
		sbuf_put(&b, f->value, f->vlen);
	}
	return b.len;
}
