/*
 * The Event Log sensor ([eventlog]): one EvtSubscribe per configured channel,
 * resumed after the spool's bookmark for that channel, each event rendered
 * as values (or XML), matched and spooled by ingest_winevent(), and the
 * channel's new bookmark written by spool_bookmark_set() in the same
 * transaction as the events it covers: a restart neither loses nor repeats
 * an event, as a log file's offset does.
 *
 * The pull model, not the callback one: with a callback Windows calls us on
 * a thread-pool thread whenever it likes, and the events would have to be
 * queued across threads (with a cap, and a loss when it is full) before the
 * loop, which alone owns the spool and the matcher, could take them. With a
 * signal event Windows keeps the backlog in the log itself; a thread-pool
 * wait (RegisterWaitForSingleObject) turns the signal into one byte on a
 * socket pair, and the loop takes the events with EvtNext at its own pace,
 * a bounded batch per turn. Nothing polls: an idle channel costs nothing.
 *
 * The subscription's XPath query names the event ids the channel's rules
 * read (matcher_event_ids, evtlog_query): Windows never hands over, and
 * the agent never renders, an event no rule wants. Beyond the Event Log's
 * limit of about 20 expressions a select, or for a channel no rule reads,
 * every event is asked for, as before.
 *
 * An event is rendered as values, not XML (EvtRenderEventValues, one render
 * context for every channel): the <System> values and the named <EventData>
 * values the rules read (matcher_value_names, evtlog_value_path), of which
 * only those the rules of the event's id read are made UTF-8 (evtlog_mask),
 * made a struct winevent by evtlog_values_event(). When a rule asks for a
 * value not at hand (a place-named value, a name with '_') or fires (its
 * raw text, the evidence, is all of it), every <EventData> value is
 * rendered (a render context of EvtRenderContextUser) and named by the
 * names of the event's kind (provider and event id), learned from the
 * first event of that kind whose XML was read (evtlog_kinds) and kept in
 * the spool across restarts (its state "eventlog.kinds", written in the
 * transaction of the batch that learned them), so that a kind's XML is read
 * once, not once a day on a PC switched off at night. The XML is
 * rendered and read (eventlog.xml_rendered) only for a kind not learned
 * yet or whose values did not say its XML (evtlog_kind_verify, checked
 * whenever a kind is learned), <UserData> whose values are not the leaves
 * of its one element,
 * values that cannot say the event (their number is not
 * the kind's, a type not written here), or where the values cannot be
 * rendered at all (the context refused, EvtRender failed: counted in
 * eventlog.values_failed); that XML is read <System> first
 * (winevent_parse_head): its named values only when a rule asks for one.
 * An event whose XML is malformed after </System> is counted unreadable
 * when that part is read; one no rule reads further is counted as read:
 * telling would mean rendering and reading the XML of every event, the
 * cost the values path saves, and nothing a rule reads is lost.
 *
 * First run of a channel (no bookmark): only new events, or, with backlog
 * set, those of the last backlog read first (an XPath timediff query). A
 * bookmark read back from the spool is checked (evtlog_util.c) before
 * EvtCreateBookmark sees it; a bad one is said and the channel starts from
 * now.
 *
 * Errors are per channel (a channel missing, access denied): said once,
 * counted, retried every EVTLOG_RETRY_SEC; the other channels keep working.
 * Under Wine EvtSubscribe is a stub (NULL, last error 0): the sensor says it
 * is unavailable, in the log and in the heartbeat, and the agent runs on.
 *
 * The fact "av_active" (rules' "unless = agent.av_active != ...") follows
 * the posture's antivirus before every batch: Defender's 5001 and 5007 are
 * not raised while another antivirus is the active one.
 */
#include <winsock2.h>
#include <windows.h>
#include <sddl.h>
#include <winevt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/winevent.h"
#include "../conf.h"
#include "../evtlog_util.h"
#include "../ingest.h"
#include "../matcher.h"
#include "../posture.h"
#include "../sensor.h"
#include "../spool.h"
#include "../../common/windows/utf16.h"
#include "winsensors.h"

#define EVTLOG_SOURCE "eventlog"
#define EVTLOG_BATCH 32              /* events per EvtNext and per transaction */
#define EVTLOG_PER_TURN 512          /* events per channel before the loop runs others */
#define EVTLOG_RETRY_SEC 300         /* a channel that failed is tried again */
#define EVTLOG_RENDER_MAX (2 * WINEVENT_MAX_XML + 2) /* bytes of UTF-16 one event may take */
#define EVTLOG_VTEXT (64 * 1024)     /* bytes of one event's texts made here (SIDs, GUIDs) */
#define NO_SOCKET ((evutil_socket_t)-1)

struct channel {
	char name[EVTLOG_MAX_CHANNEL];
	wchar_t *wname;
	struct evtlog *el;
	EVT_HANDLE sub;              /* NULL: not subscribed */
	EVT_HANDLE bookmark;
	HANDLE signal;               /* auto-reset; Windows sets it when events arrive */
	HANDLE wait;                 /* the thread-pool wait on signal */
	DWORD said;                  /* the error said last: each is said once */
	uint64_t read, errors;
	uint64_t record_id;          /* the last one taken */
};

struct evtlog {
	struct event_base *base;
	struct spool *spool;
	struct matcher *matcher;
	struct posture *posture;
	struct ingest *ing;
	void (*appended)(void *arg);
	void *arg;
	long long backlog_ms;

	struct channel *ch;
	size_t nch;
	evutil_socket_t pair[2];     /* [1] written by the waits, [0] read by the loop */
	struct event *wake_ev;
	struct event *retry_ev;
	int unavailable;             /* every channel's subscription is a stub */
	char why[SENSOR_MAX_REASON];
	char av[POSTURE_MAX_PRODUCT + 1]; /* the fact as set last; "\1": never set */

	struct winevent *wev;
	wchar_t *wbuf;               /* the rendering, grown up to EVTLOG_RENDER_MAX */
	DWORD wcap;
	/* The values path: a render context of the <System> values and the named ones. */
	EVT_HANDLE ctx;              /* NULL: every event is rendered as XML */
	const char *names[EVTLOG_MAX_NAMED]; /* those a value path reaches, into the rules */
	size_t nnames;
	void *vbuf;                  /* EVT_VARIANTs, grown up to EVTLOG_RENDER_MAX */
	DWORD vcap;
	struct evtlog_value vals[EVTLOG_V_NAMED + EVTLOG_MAX_NAMED];
	char *vtext;                 /* texts made of them (made_text), EVTLOG_VTEXT bytes */
	size_t vat;                  /* vtext used by the event being taken */
	/* Every <EventData> value, for the evidence of an event that fires. */
	EVT_HANDLE uctx;             /* EvtRenderContextUser; NULL: the XML is read */
	struct evtlog_kinds *kinds;  /* their names, learned from the XML */
	uint64_t kinds_kept;         /* kinds->learned when last kept in the spool */
	uint64_t kinds_keeping;      /* ... as the open transaction keeps them */
	struct evtlog_masks masks;   /* the named values each event id's rules read */
	void *ubuf;
	DWORD ucap;
	struct evtlog_value uvals[WINEVENT_MAX_FIELDS];
	EVT_HANDLE taking;           /* the event being taken, for whole_xml() */
	char *xml;                   /* WINEVENT_MAX_XML + 1 */
	char *bm;                    /* SPOOL_BOOKMARK_MAX + 1 */

	/* Counters, for the heartbeat. */
	uint64_t events, render_failed, too_big, unreadable, xml_cut;
	uint64_t fields_dropped, values_cut, invalid_utf8, bookmark_failed, spool_failed;
	uint64_t channel_errors, values_failed, xml_rendered, kinds_keep_failed;
};

int
win_is_wine(void)
{
	HMODULE nt = GetModuleHandleW(L"ntdll.dll");

	return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
}

/* A Windows error as words, in the system's language, without the trailing newline. */
static void
win_error_text(DWORD code, char *buf, size_t cap)
{
	wchar_t w[256];
	char *u;
	size_t n;

	buf[0] = '\0';
	if (FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
	    0, w, sizeof(w) / sizeof(w[0]), NULL) == 0 || (u = win_utf8(w)) == NULL) {
		snprintf(buf, cap, "error %lu", (unsigned long)code);
		return;
	}
	snprintf(buf, cap, "%s (%lu)", u, (unsigned long)code);
	free(u);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
	    buf[n - 1] == '.'))
		buf[--n] = '\0';
}

/* ---- the wake-up: a thread-pool wait -> one byte -> the loop -------------- */

static void CALLBACK
signalled(void *arg, BOOLEAN timed_out)
{
	struct evtlog *el = arg;
	char c = 'e';

	(void)timed_out;
	send(el->pair[1], &c, 1, 0);
}

/* ---- rendering ------------------------------------------------------------ */

/*
 * Render h (an event or a bookmark) into el->wbuf, grown as needed up to
 * EVTLOG_RENDER_MAX. Returns 0, VIGIL_ERR_TOOBIG, or VIGIL_ERR_SYS.
 */
static int
render_into(EVT_HANDLE ctx, EVT_HANDLE h, DWORD flags, void **buf, DWORD *cap, DWORD *props)
{
	DWORD used = 0, need;
	void *nb;

	if (EvtRender(ctx, h, flags, *cap, *buf, &used, props))
		return 0;
	if (GetLastError() != ERROR_INSUFFICIENT_BUFFER)
		return VIGIL_ERR_SYS;
	if (used > EVTLOG_RENDER_MAX)
		return VIGIL_ERR_TOOBIG;
	need = used + 64;
	if ((nb = realloc(*buf, need)) == NULL)
		return VIGIL_ERR_NOMEM;
	*buf = nb;
	*cap = need;
	if (!EvtRender(ctx, h, flags, *cap, *buf, &used, props))
		return VIGIL_ERR_SYS;
	return 0;
}

static int
render(struct evtlog *el, EVT_HANDLE h, DWORD flags)
{
	DWORD props = 0;
	void *b = el->wbuf;
	int rc;

	rc = render_into(NULL, h, flags, &b, &el->wcap, &props);
	el->wbuf = b;
	return rc;
}

/*
 * The render context of the values path: the <System> values and the named
 * values the rules read that a value path reaches (evtlog_value_path).
 * Made once the Event Log is known not to be a stub (Wine aborts on calls
 * it lacks). NULL, said, when Windows refuses it: events are then rendered
 * as XML, as before.
 */
static void
values_context(struct evtlog *el)
{
	const char *all[EVTLOG_MAX_NAMED];
	wchar_t *paths[EVTLOG_V_NAMED + EVTLOG_MAX_NAMED];
	LPCWSTR cpaths[EVTLOG_V_NAMED + EVTLOG_MAX_NAMED];
	char path[EVTLOG_MAX_PATH], why[256];
	size_t n, i, np = 0;

	n = matcher_value_names(el->matcher, all, EVTLOG_MAX_NAMED);
	if (n > EVTLOG_MAX_NAMED)
		n = EVTLOG_MAX_NAMED;   /* the others from the XML, when asked for */
	for (i = 0; i < n; i++)
		if (evtlog_value_path(EVTLOG_V_NAMED, &all[i], path, sizeof(path)) > 0)
			el->names[el->nnames++] = all[i];
	for (i = 0; i < EVTLOG_V_NAMED + el->nnames; i++) {
		evtlog_value_path(i, el->names, path, sizeof(path));
		if ((paths[np] = win_wide(path)) == NULL)
			break;
		cpaths[np] = paths[np];
		np++;
	}
	if (np == i && (el->vtext = malloc(EVTLOG_VTEXT)) != NULL &&
	    (el->vbuf = malloc(16 * 1024)) != NULL) {
		el->vcap = 16 * 1024;
		el->ctx = EvtCreateRenderContext((DWORD)np, cpaths,
		    EvtRenderContextValues);
	}
	/* Without it (or the room for its names) the XML says an event that fires. */
	if (el->ctx != NULL && (el->kinds = calloc(1, sizeof(*el->kinds))) != NULL &&
	    (el->ubuf = malloc(16 * 1024)) != NULL) {
		el->ucap = 16 * 1024;
		el->uctx = EvtCreateRenderContext(0, NULL, EvtRenderContextUser);
	}
	if (el->ctx == NULL) {
		win_error_text(GetLastError(), why, sizeof(why));
		log_info(_("The Event Log's values cannot be rendered (%s): events are rendered "
		    "as XML."), why);
	} else
		log_debug("Event Log values: %zu <System> and %zu named.", (size_t)EVTLOG_V_NAMED,
		    el->nnames);
	for (i = 0; i < np; i++)
		free(paths[i]);
}

/* A value's text made here (as the XML writes it) as a string in el->vtext from *at. */
static void
made_text(struct evtlog *el, const char *t, size_t n, struct evtlog_value *out, size_t *at)
{
	if (EVTLOG_VTEXT - *at < n + 1) {
		out->type = EVTLOG_V_OTHER;
		return;
	}
	memcpy(el->vtext + *at, t, n);
	el->vtext[*at + n] = '\0';
	out->type = EVTLOG_V_STRING;
	out->s = el->vtext + *at;
	out->n = n;
	*at += n + 1;
}

/*
 * An EVT_VARIANT as an evtlog_value: a string as Windows gives it (made
 * UTF-8 when the event takes it), a text made here in el->vtext from *at.
 */
static void
variant(struct evtlog *el, const EVT_VARIANT *v, struct evtlog_value *out, size_t *at)
{
	char t[48];
	wchar_t *ws;
	char *u;
	const GUID *g;
	int n;

	memset(out, 0, sizeof(*out));
	if (v->Type & EVT_VARIANT_TYPE_ARRAY) {
		out->type = EVTLOG_V_OTHER;
		return;
	}
	switch (v->Type & EVT_VARIANT_TYPE_MASK) {
	case EvtVarTypeNull:
		return;
	case EvtVarTypeString:
		/* Made UTF-8 once, in its place in the event, cut as the XML's would be. */
		if (v->StringVal == NULL) {
			out->type = EVTLOG_V_OTHER;     /* not at hand: from the XML */
			return;
		}
		out->type = EVTLOG_V_UTF16;
		out->w = (const uint16_t *)v->StringVal;
		return;
	case EvtVarTypeByte:
	case EvtVarTypeUInt16:
	case EvtVarTypeUInt32:
	case EvtVarTypeUInt64:
		out->type = EVTLOG_V_UINT;
		out->u = (v->Type & EVT_VARIANT_TYPE_MASK) == EvtVarTypeByte ? v->ByteVal :
		    (v->Type & EVT_VARIANT_TYPE_MASK) == EvtVarTypeUInt16 ? v->UInt16Val :
		    (v->Type & EVT_VARIANT_TYPE_MASK) == EvtVarTypeUInt32 ? v->UInt32Val :
		    v->UInt64Val;
		return;
	case EvtVarTypeSByte:
	case EvtVarTypeInt16:
	case EvtVarTypeInt32:
	case EvtVarTypeInt64:
		out->type = EVTLOG_V_INT;
		out->i = (v->Type & EVT_VARIANT_TYPE_MASK) == EvtVarTypeSByte ? v->SByteVal :
		    (v->Type & EVT_VARIANT_TYPE_MASK) == EvtVarTypeInt16 ? v->Int16Val :
		    (v->Type & EVT_VARIANT_TYPE_MASK) == EvtVarTypeInt32 ? v->Int32Val :
		    v->Int64Val;
		return;
	case EvtVarTypeFileTime:
		out->type = EVTLOG_V_FILETIME;
		out->u = v->FileTimeVal;
		return;
	/* As the XML writes them: "S-1-5-18", "0x3e7", "true", "{F85C455E-...}". */
	case EvtVarTypeSid:
		out->type = EVTLOG_V_OTHER;
		if (v->SidVal != NULL && ConvertSidToStringSidW(v->SidVal, &ws)) {
			if ((u = win_utf8(ws)) != NULL)
				made_text(el, u, strlen(u), out, at);
			free(u);
			LocalFree(ws);
		}
		return;
	case EvtVarTypeHexInt32:
	case EvtVarTypeHexInt64:
		n = snprintf(t, sizeof(t), "0x%llx", (v->Type & EVT_VARIANT_TYPE_MASK) ==
		    EvtVarTypeHexInt32 ? (unsigned long long)v->UInt32Val :
		    (unsigned long long)v->UInt64Val);
		made_text(el, t, (size_t)n, out, at);
		return;
	case EvtVarTypeBoolean:
		made_text(el, v->BooleanVal ? "true" : "false", v->BooleanVal ? 4 : 5, out, at);
		return;
	case EvtVarTypeGuid:
		if ((g = v->GuidVal) == NULL) {
			out->type = EVTLOG_V_OTHER;
			return;
		}
		n = snprintf(t, sizeof(t), "{%08lX-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
		    (unsigned long)g->Data1, g->Data2, g->Data3, g->Data4[0], g->Data4[1],
		    g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
		made_text(el, t, (size_t)n, out, at);
		return;
	default:
		out->type = EVTLOG_V_OTHER;
		return;
	}
}

/*
 * The whole event, when a value is not at hand or a rule fires: every
 * <EventData> value rendered (EvtRenderContextUser) and named as its kind's
 * (evtlog_values_whole), when the kind is known; else its XML, read, and
 * the kind's names learned from it, kept only when the values rendered
 * say the event as its XML does (evtlog_kind_verify).
 */
static int
whole_event(struct winevent *ev, void *arg, char *err, size_t errlen)
{
	struct evtlog *el = arg;
	const struct evtlog_kind *k;
	const EVT_VARIANT *v;
	DWORD props = 0, i;
	size_t len, at = el->vat;
	int rc, cut, have = 0;

	k = el->kinds != NULL ? evtlog_kind_find(el->kinds, ev->provider, ev->event_id,
	    ev->version) : NULL;
	if (el->uctx != NULL && (k == NULL || !k->unusable) && render_into(el->uctx, el->taking,
	    EvtRenderEventValues, &el->ubuf, &el->ucap, &props) == 0 &&
	    props <= WINEVENT_MAX_FIELDS) {
		v = el->ubuf;
		for (i = 0; i < props; i++)
			variant(el, &v[i], &el->uvals[i], &at);
		have = 1;
		if (k != NULL && evtlog_values_whole(ev, k, el->uvals, props) == 0)
			return 0;
	}
	el->xml_rendered++;
	if ((rc = render(el, el->taking, EvtRenderEventXml)) != 0)
		return err_fmt(err, errlen, rc, "%s", rc == VIGIL_ERR_TOOBIG ?
		    _("it is larger than the cap") : _("EvtRender failed"));
	len = evtlog_utf16_to_utf8((const uint16_t *)el->wbuf, el->wcap / sizeof(wchar_t),
	    el->xml, WINEVENT_MAX_XML + 1, &cut);
	if (cut)
		el->xml_cut++;
	/* A kind is learned only with its values at hand, to check that they say it (el->ubuf). */
	if ((rc = winevent_parse(ev, el->xml, len, NULL, err, errlen)) == 0 && have &&
	    evtlog_kind_learn(el->kinds, ev) == 0)
		evtlog_kind_verify(el->kinds, ev, el->uvals, props);
	return rc;
}

/*
 * Event h as values into el->wev. Returns 0, or -1 when they cannot be
 * rendered (counted; the caller renders the XML).
 */
static int
take_values(struct evtlog *el, EVT_HANDLE h)
{
	const EVT_VARIANT *v;
	DWORD props = 0, i, want = (DWORD)(EVTLOG_V_NAMED + el->nnames);
	size_t at = 0;
	uint64_t mask;

	if (render_into(el->ctx, h, EvtRenderEventValues, &el->vbuf, &el->vcap, &props) != 0 ||
	    props != want) {
		el->values_failed++;
		return -1;
	}
	v = el->vbuf;
	for (i = 0; i < EVTLOG_V_NAMED; i++)
		variant(el, &v[i], &el->vals[i], &at);
	/* Of the named values, only those the rules of this event id read. */
	mask = el->vals[EVTLOG_V_EVENTID].type == EVTLOG_V_UINT ? evtlog_mask(&el->masks,
	    el->matcher, (uint32_t)el->vals[EVTLOG_V_EVENTID].u, el->names, el->nnames) : 0;
	for (; i < want; i++) {
		if (mask >> (i - EVTLOG_V_NAMED) & 1)
			variant(el, &v[i], &el->vals[i], &at);
		else
			el->vals[i].type = EVTLOG_V_NULL;
	}
	el->vat = at;
	if (evtlog_values_event(el->wev, el->names, el->nnames, el->vals, mask) != 0) {
		el->values_failed++;
		return -1;
	}
	el->taking = h;
	el->wev->whole = whole_event;
	el->wev->whole_arg = el;
	return 0;
}

/* The posture's antivirus as the rules' fact, when it changed. */
static void
av_fact(struct evtlog *el)
{
	const struct posture_snapshot *ps = el->posture != NULL ? posture_get(el->posture) : NULL;
	const char *av = ps != NULL && (ps->parts & POSTURE_PART_AV) && ps->av.product[0] != '\0' ?
	    ps->av.product : NULL;

	if (av == NULL ? el->av[0] == '\0' : strcmp(av, el->av) == 0)
		return;
	if (matcher_set_fact(el->matcher, "av_active", av) != 0)
		return;
	snprintf(el->av, sizeof(el->av), "%s", av != NULL ? av : "");
	log_debug("The rules' fact av_active is now \"%s\".", el->av);
}

/* An event that cannot be read: counted, said the first ten times, skipped. */
static void
unreadable(struct evtlog *el, struct channel *c, const char *err)
{
	if (++el->unreadable <= 10)
		log_warnx(_("An event of channel %s cannot be read and is skipped: %s."), c->name,
		    err);
}

/*
 * One event: its values rendered (or its XML, read <System> first), matched
 * and spooled (inside the transaction).
 */
static int
take(struct evtlog *el, struct channel *c, EVT_HANDLE h)
{
	size_t len;
	char err[160];
	int cut, rc;

	el->events++;
	c->read++;
	if (el->ctx == NULL || take_values(el, h) != 0) {
		el->xml_rendered++;
		if ((rc = render(el, h, EvtRenderEventXml)) != 0) {
			if (rc == VIGIL_ERR_TOOBIG)
				el->too_big++;
			else
				el->render_failed++;
			if (el->too_big + el->render_failed <= 10)
				log_warnx(_("An event of channel %s cannot be rendered and is "
				    "skipped: %s."), c->name, rc == VIGIL_ERR_TOOBIG ?
				    _("it is larger than the cap") : _("EvtRender failed"));
			return 0;
		}
		len = evtlog_utf16_to_utf8((const uint16_t *)el->wbuf, el->wcap / sizeof(wchar_t),
		    el->xml, WINEVENT_MAX_XML + 1, &cut);
		if (cut)
			el->xml_cut++;
		/* <System> only: the rest is read when a rule asks for a named value, or fires. */
		if ((rc = winevent_parse_head(el->wev, el->xml, len, err, sizeof(err))) != 0) {
			unreadable(el, c, err);
			return 0;
		}
	}
	if (el->wev->record_id != 0)
		c->record_id = el->wev->record_id;
	rc = ingest_winevent(el->ing, EVTLOG_SOURCE, el->wev);
	if (el->wev->tail == WINEVENT_TAIL_FAILED) {
		winevent_parse_tail(el->wev, NULL, err, sizeof(err));
		unreadable(el, c, err);
	}
	el->fields_dropped += el->wev->fields_dropped;
	el->values_cut += el->wev->values_cut;
	el->invalid_utf8 += el->wev->invalid_utf8;
	return rc;
}

/* The channel's bookmark, as the spool keeps it (inside the transaction). */
static void
keep_bookmark(struct evtlog *el, struct channel *c)
{
	int cut, rc;

	if (render(el, c->bookmark, EvtRenderBookmark) != 0) {
		if (++el->bookmark_failed <= 10)
			log_warnx(_("The bookmark of channel %s cannot be rendered: a restart may "
			    "read its last events again."), c->name);
		return;
	}
	evtlog_utf16_to_utf8((const uint16_t *)el->wbuf, el->wcap / sizeof(wchar_t), el->bm,
	    SPOOL_BOOKMARK_MAX + 1, &cut);
	if (cut || (rc = spool_bookmark_set(el->spool, c->name, c->record_id, el->bm)) != 0) {
		if (++el->bookmark_failed <= 10)
			log_warnx(_("The bookmark of channel %s cannot be kept: a restart may read "
			    "its last events again."), c->name);
	}
}

#define KINDS_STATE "eventlog.kinds"

/* The kinds an earlier run kept in the spool (evtlog_kinds_load checks them). */
static void
kinds_restore(struct evtlog *el)
{
	char *text;
	size_t bad = 0;
	int rc;

	if (el->kinds == NULL || (text = malloc(EVTLOG_KINDS_TEXT_MAX + 1)) == NULL)
		return;
	rc = spool_state_get(el->spool, KINDS_STATE, text, EVTLOG_KINDS_TEXT_MAX + 1);
	if (rc == 0 && (rc = evtlog_kinds_load(el->kinds, text, strlen(text), &bad)) == 0) {
		if (bad > 0)
			log_warnx(i18n_ntext("%zu kind of event kept in the spool is unreadable: it "
			    "is learned again.", "%zu kinds of event kept in the spool are "
			    "unreadable: they are learned again.", (unsigned long)bad), bad);
		log_debug("%zu kinds of event kept from an earlier run.", el->kinds->n);
	} else if (rc != VIGIL_ERR_NOTFOUND)
		log_warnx(_("The kinds of event kept in the spool cannot be read (%s): they are "
		    "learned again."), vigil_strerror(rc));
	el->kinds_kept = el->kinds_keeping = el->kinds->learned;
	free(text);
}

/* Kinds learned since they were last kept: into the spool, in the batch's transaction. */
static void
kinds_keep(struct evtlog *el)
{
	char *text;
	size_t n;

	/* What an earlier transaction that rolled back would have kept is not kept. */
	el->kinds_keeping = el->kinds_kept;
	if (el->kinds == NULL || el->kinds->learned == el->kinds_kept)
		return;
	if ((text = malloc(EVTLOG_KINDS_TEXT_MAX)) != NULL &&
	    (n = evtlog_kinds_save(el->kinds, text, EVTLOG_KINDS_TEXT_MAX)) > 0 &&
	    spool_state_set(el->spool, KINDS_STATE, text) == 0)
		el->kinds_keeping = el->kinds->learned;
	else if (++el->kinds_keep_failed <= 10)
		log_warnx("%s", _("The kinds of event learned cannot be kept in the spool: a "
		    "restart learns them again."));
	free(text);
}

static void unsubscribe(struct channel *c);

/*
 * Take what channel c has, a batch per transaction, at most EVTLOG_PER_TURN.
 * Returns 1 when more may be waiting.
 */
static int
drain(struct evtlog *el, struct channel *c)
{
	EVT_HANDLE hs[EVTLOG_BATCH];
	DWORD got, i;
	size_t taken = 0;
	int rc, appended, failed;

	while (c->sub != NULL && taken < EVTLOG_PER_TURN) {
		got = 0;
		if (!EvtNext(c->sub, EVTLOG_BATCH, hs, 0, 0, &got)) {
			DWORD e = GetLastError();

			if (e != ERROR_NO_MORE_ITEMS && e != ERROR_TIMEOUT && e != ERROR_INVALID_OPERATION) {
				char why[256];

				c->errors++;
				el->channel_errors++;
				win_error_text(e, why, sizeof(why));
				log_warnx(_("Reading channel %s failed: %s; it is subscribed again "
				    "from its bookmark."), c->name, why);
				unsubscribe(c);
				event_add(el->retry_ev, &(struct timeval){ 5, 0 });
			}
			return 0;
		}
		if ((rc = spool_begin(el->spool)) != 0) {
			for (i = 0; i < got; i++)
				EvtClose(hs[i]);
			goto spool_failed;
		}
		av_fact(el);
		appended = failed = 0;
		for (i = 0; i < got; i++) {
			if (!failed) {
				if ((rc = take(el, c, hs[i])) < 0)
					failed = 1;
				else {
					appended += rc;
					EvtUpdateBookmark(c->bookmark, hs[i]);
				}
			}
			EvtClose(hs[i]);
		}
		taken += got;
		if (!failed) {
			keep_bookmark(el, c);
			kinds_keep(el);
			if ((rc = spool_commit(el->spool)) == 0) {
				el->kinds_kept = el->kinds_keeping;
				if (appended > 0 && el->appended != NULL)
					el->appended(el->arg);
				continue;
			}
		}
		spool_rollback(el->spool);
spool_failed:
		/*
		 * The subscription has moved past events the spool did not take:
		 * subscribe again from the last bookmark committed, later.
		 */
		el->spool_failed++;
		log_warnx(_("The spool cannot take the events of channel %s: %s; they are read "
		    "again from its bookmark."), c->name, vigil_strerror(rc));
		unsubscribe(c);
		event_add(el->retry_ev, &(struct timeval){ 5, 0 });
		return 0;
	}
	return c->sub != NULL && taken >= EVTLOG_PER_TURN;
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evtlog *el = arg;
	char buf[64];
	size_t i;
	int more = 0;

	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	for (i = 0; i < el->nch; i++)
		more |= drain(el, &el->ch[i]);
	/* More waiting: let the loop run others first, then come back. */
	if (more)
		event_active(el->wake_ev, EV_READ, 0);
}

/* ---- subscriptions ---------------------------------------------------------- */

static void
unsubscribe(struct channel *c)
{
	if (c->wait != NULL) {
		UnregisterWaitEx(c->wait, INVALID_HANDLE_VALUE);
		c->wait = NULL;
	}
	if (c->sub != NULL) {
		EvtClose(c->sub);
		c->sub = NULL;
	}
	if (c->bookmark != NULL) {
		EvtClose(c->bookmark);
		c->bookmark = NULL;
	}
	if (c->signal != NULL) {
		CloseHandle(c->signal);
		c->signal = NULL;
	}
}

/* Said once per error: a channel that stays missing is not a line every retry. */
static void
say(struct channel *c, DWORD e, const char *why)
{
	if (c->said == e)
		return;
	c->said = e;
	log_warnx(_("Event Log channel %s cannot be read: %s. The other channels are read; "
	    "it is tried again every %d minutes."), c->name, why, EVTLOG_RETRY_SEC / 60);
}

/*
 * Subscribe c after its bookmark (or from now, or its backlog). Returns 0,
 * or -1 (said and counted).
 */
static int
subscribe(struct evtlog *el, struct channel *c)
{
	char query[EVTLOG_MAX_QUERY], why[256];
	wchar_t *wq = NULL, *wbm = NULL;
	uint16_t ids[EVTLOG_QUERY_MAX_IDS + 1];
	size_t nids;
	uint64_t rid = 0;
	DWORD flags, e;
	int rc;

	if ((c->signal = CreateEventW(NULL, FALSE, FALSE, NULL)) == NULL)
		goto fail;
	rc = spool_bookmark_get(el->spool, c->name, &rid, el->bm, SPOOL_BOOKMARK_MAX + 1);
	if (rc == 0 && evtlog_bookmark_check(el->bm, strlen(el->bm), c->name, &rid) != 0) {
		log_warnx(_("The bookmark kept for channel %s is not one: the channel is read from "
		    "now on."), c->name);
		rc = VIGIL_ERR_INVAL;
	}
	/* Only the ids the channel's rules read: Windows keeps the others to itself. */
	nids = matcher_event_ids(el->matcher, c->name, ids, EVTLOG_QUERY_MAX_IDS + 1);
	if (rc == 0 && (wbm = win_wide(el->bm)) != NULL &&
	    (c->bookmark = EvtCreateBookmark(wbm)) != NULL) {
		flags = EvtSubscribeStartAfterBookmark;
		c->record_id = rid;
		evtlog_query(ids, nids, -1, query, sizeof(query));
	} else {
		if ((c->bookmark = EvtCreateBookmark(NULL)) == NULL)
			goto fail;
		flags = el->backlog_ms > 0 ? EvtSubscribeStartAtOldestRecord :
		    EvtSubscribeToFutureEvents;
		evtlog_query(ids, nids, el->backlog_ms > 0 ? el->backlog_ms : -1, query,
		    sizeof(query));
	}
	free(wbm);
	wbm = NULL;
	if ((wq = win_wide(query)) == NULL)
		goto fail;
	SetLastError(0);
	c->sub = EvtSubscribe(NULL, c->signal, c->wname, wq, flags ==
	    EvtSubscribeStartAfterBookmark ? c->bookmark : NULL, NULL, NULL, flags);
	e = GetLastError();
	free(wq);
	wq = NULL;
	if (c->sub == NULL) {
		c->errors++;
		el->channel_errors++;
		if (e == ERROR_EVT_CHANNEL_NOT_FOUND)
			snprintf(why, sizeof(why), "%s", _("the channel does not exist (or is "
			    "disabled) on this PC"));
		else if (e == ERROR_ACCESS_DENIED)
			snprintf(why, sizeof(why), "%s", _("access is denied (the agent must run "
			    "as SYSTEM or an administrator)"));
		else
			win_error_text(e, why, sizeof(why));
		say(c, e, why);
		unsubscribe(c);
		return -1;
	}
	if (!RegisterWaitForSingleObject(&c->wait, c->signal, signalled, el, INFINITE,
	    WT_EXECUTEINWAITTHREAD)) {
		c->wait = NULL;
		goto fail;
	}
	if (c->said != 0)
		log_info(_("Event Log channel %s is read again."), c->name);
	c->said = 0;
	log_debug("Subscribed to channel %s (%s): %s.", c->name, flags ==
	    EvtSubscribeStartAfterBookmark ? "after its bookmark" : flags ==
	    EvtSubscribeStartAtOldestRecord ? "its backlog" : "new events", query);
	/* What arrived before the wait was registered is taken now. */
	SetEvent(c->signal);
	return 0;
fail:
	e = GetLastError();
	free(wq);
	free(wbm);
	c->errors++;
	el->channel_errors++;
	win_error_text(e, why, sizeof(why));
	say(c, e != 0 ? e : 1, why);
	unsubscribe(c);
	return -1;
}

/*
 * Whether EvtSubscribe is a stub here, asked before any other Event Log
 * call: Wine 8 answers EvtSubscribe with NULL and no error, and aborts the
 * process on EvtCreateBookmark and others it does not implement at all, so
 * nothing else of the API may be called once this says yes.
 */
static int
subscribe_is_stub(const wchar_t *channel)
{
	EVT_HANDLE h;
	HANDLE sig;
	DWORD e;

	if ((sig = CreateEventW(NULL, FALSE, FALSE, NULL)) == NULL)
		return 0;
	SetLastError(0);
	h = EvtSubscribe(NULL, sig, channel, L"*", NULL, NULL, NULL, EvtSubscribeToFutureEvents);
	e = GetLastError();
	if (h != NULL)
		EvtClose(h);
	CloseHandle(sig);
	if (h != NULL)
		return 0;
	/* Wine's stub: NULL and no error at all; or a system without the API. */
	return e == 0 || e == ERROR_CALL_NOT_IMPLEMENTED || e == ERROR_NOT_SUPPORTED ||
	    win_is_wine();
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evtlog *el = arg;
	size_t i;
	int left = 0;

	for (i = 0; i < el->nch; i++)
		if (el->ch[i].sub == NULL && subscribe(el, &el->ch[i]) != 0)
			left = 1;
	if (left)
		event_add(el->retry_ev, &(struct timeval){ EVTLOG_RETRY_SEC, 0 });
}

/* ---- the driver ------------------------------------------------------------- */

static void
evtlog_free(struct evtlog *el)
{
	size_t i;

	if (el == NULL)
		return;
	for (i = 0; i < el->nch; i++) {
		unsubscribe(&el->ch[i]);
		free(el->ch[i].wname);
	}
	if (el->wake_ev != NULL)
		event_free(el->wake_ev);
	if (el->retry_ev != NULL)
		event_free(el->retry_ev);
	if (el->pair[0] != NO_SOCKET)
		evutil_closesocket(el->pair[0]);
	if (el->pair[1] != NO_SOCKET)
		evutil_closesocket(el->pair[1]);
	ingest_free(el->ing);
	free(el->ch);
	free(el->wev);
	free(el->wbuf);
	if (el->ctx != NULL)
		EvtClose(el->ctx);
	free(el->vbuf);
	free(el->vtext);
	if (el->uctx != NULL)
		EvtClose(el->uctx);
	free(el->ubuf);
	free(el->kinds);
	free(el->xml);
	free(el->bm);
	free(el);
}

static void *
evtlog_start(const struct sensor_env *env, char *err, size_t errlen)
{
	const struct agent_conf_eventlog *c = &env->conf->eventlog;
	struct evtlog_channel *names = NULL;
	struct evtlog *el;
	size_t n = 0, i, stubs = 0, running = 0;
	char why[256];

	if (!c->enabled)
		return NULL;
	if ((el = calloc(1, sizeof(*el))) == NULL)
		goto nomem;
	el->pair[0] = el->pair[1] = NO_SOCKET;
	el->base = env->base;
	el->spool = env->spool;
	el->matcher = env->matcher;
	el->posture = env->posture;
	el->appended = env->appended;
	el->arg = env->arg;
	el->backlog_ms = c->backlog;
	el->av[0] = '\0';
	if ((names = calloc(EVTLOG_MAX_CHANNELS, sizeof(*names))) == NULL ||
	    (el->wev = malloc(sizeof(*el->wev))) == NULL ||
	    (el->xml = malloc(WINEVENT_MAX_XML + 1)) == NULL ||
	    (el->bm = malloc(SPOOL_BOOKMARK_MAX + 1)) == NULL ||
	    (el->wbuf = malloc(64 * 1024)) == NULL ||
	    (el->ing = ingest_new(env->spool, env->matcher)) == NULL)
		goto nomem;
	el->wcap = 64 * 1024;
	if (evtlog_channels_parse(c->channels, names, EVTLOG_MAX_CHANNELS, &n, why,
	    sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);     /* checked by the configuration already */
		goto fail;
	}
	if ((el->ch = calloc(n > 0 ? n : 1, sizeof(*el->ch))) == NULL)
		goto nomem;
	el->nch = n;
	for (i = 0; i < n; i++) {
		memcpy(el->ch[i].name, names[i].name, sizeof(names[i].name));
		el->ch[i].el = el;
		if ((el->ch[i].wname = win_wide(names[i].name)) == NULL)
			goto nomem;
	}
	free(names);
	names = NULL;
	if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, el->pair) != 0 ||
	    evutil_make_socket_nonblocking(el->pair[0]) != 0 ||
	    evutil_make_socket_nonblocking(el->pair[1]) != 0 ||
	    (el->wake_ev = event_new(env->base, el->pair[0], EV_READ | EV_PERSIST, wake_cb,
	    el)) == NULL || event_add(el->wake_ev, NULL) != 0 ||
	    (el->retry_ev = evtimer_new(env->base, retry_cb, el)) == NULL) {
		snprintf(err, errlen, "%s", _("the Event Log sensor cannot join the event loop"));
		goto fail;
	}
	if (n > 0 && subscribe_is_stub(el->ch[0].wname))
		stubs = n;
	if (stubs == 0 && n > 0) {
		values_context(el);
		kinds_restore(el);
	}
	for (i = 0; i < n && stubs == 0; i++)
		if (subscribe(el, &el->ch[i]) == 0)
			running++;
	if (stubs == n && n > 0) {
		el->unavailable = 1;
		snprintf(el->why, sizeof(el->why), "%s", win_is_wine() ?
		    _("EvtSubscribe is a stub under Wine") :
		    _("EvtSubscribe is not implemented on this system"));
		log_warnx(_("The Event Log sensor is unavailable: %s. The agent runs on without it."),
		    el->why);
		return el;
	}
	if (running < n)
		event_add(el->retry_ev, &(struct timeval){ EVTLOG_RETRY_SEC, 0 });
	log_info(i18n_ntext("Event Log sensor: %zu of %zu channel read.",
	    "Event Log sensor: %zu of %zu channels read.", (unsigned long)n), running, n);
	return el;
nomem:
	snprintf(err, errlen, "%s", _("out of memory"));
fail:
	free(names);
	evtlog_free(el);
	return NULL;
}

static void
evtlog_stop(void *state)
{
	evtlog_free(state);
}

static void
evtlog_count(const void *state, struct sensor_counters *c)
{
	const struct evtlog *el = state;

	c->events_rejected += ingest_rejected(el->ing);
}

static void
evtlog_report(const void *state, struct sensor_report *r)
{
	const struct evtlog *el = state;

	if (el->unavailable)
		sensor_report_unavailable(r, "eventlog", el->why);
	sensor_report_counter(r, "eventlog.events", el->events);
	sensor_report_counter(r, "eventlog.channel_errors", el->channel_errors);
	sensor_report_counter(r, "eventlog.unreadable", el->unreadable + el->render_failed +
	    el->too_big);
	sensor_report_counter(r, "winevent.fields_dropped", el->fields_dropped);
	sensor_report_counter(r, "winevent.values_cut", el->values_cut);
	sensor_report_counter(r, "winevent.invalid_utf8", el->invalid_utf8);
	sensor_report_counter(r, "winevent.xml_cut", el->xml_cut);
	sensor_report_counter(r, "eventlog.bookmark_failed", el->bookmark_failed);
	sensor_report_counter(r, "eventlog.spool_failed", el->spool_failed);
	sensor_report_counter(r, "eventlog.values_failed", el->values_failed);
	sensor_report_counter(r, "eventlog.xml_rendered", el->xml_rendered);
	sensor_report_counter(r, "eventlog.kinds_full", el->kinds != NULL ? el->kinds->full : 0);
	sensor_report_counter(r, "eventlog.kinds_keep_failed", el->kinds_keep_failed);
}

const struct sensor_driver sensor_eventlog = {
	.name = "eventlog",
	.failure = N_("The Event Log sensor cannot start"),
	.start = evtlog_start,
	.stop = evtlog_stop,
	.count = evtlog_count,
	.report = evtlog_report,
};
