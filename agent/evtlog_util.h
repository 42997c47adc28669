/*
 * evtlog_util.c: the pure parts of the Windows Event Log sensor
 * (agent/windows/evtlog.c), portable so that they are unit-tested on Linux
 * and under Wine alike:
 *
 *   - the [eventlog] channels list ("Security, System, ...") into a capped
 *     table, refusing empty, over-long, control-character and repeated names;
 *   - UTF-16 (what EvtRender gives) into UTF-8 with a hard cap, cut at a
 *     character boundary and counted, lone surrogates made U+FFFD;
 *   - the bookmark text EvtRender(EvtRenderBookmark) gives, checked before
 *     it is trusted (it comes back from the spool, which is a file on disk):
 *     a <BookmarkList> whose <Bookmark> names this channel, its RecordId;
 *   - the XPath query of a subscription: the event ids the rules read, and
 *     a first run's backlog;
 *   - the value paths of a render context (EvtCreateRenderContext) for the
 *     <System> values and the named values the rules read, and the values
 *     EvtRender gives for them into a struct winevent: no XML rendered nor
 *     read for an event no rule fires on.
 *
 * None of it touches Windows: the sensor converts wchar_t to uint16_t units.
 */
#ifndef VIGIL_AGENT_EVTLOG_UTIL_H
#define VIGIL_AGENT_EVTLOG_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/winevent.h"

#define EVTLOG_MAX_CHANNELS 32
#define EVTLOG_MAX_CHANNEL 256         /* bytes of a channel's name, with the NUL */
#define EVTLOG_MAX_QUERY 512           /* bytes of a subscription's query, with the NUL */
#define EVTLOG_QUERY_MAX_IDS 20        /* event ids in a query; more: every event */

/* What the shipped Windows rules read (deploy/rules.d/windows-*.rules). */
#define EVTLOG_DEFAULT_CHANNELS "Security, System, Application, " \
	"Microsoft-Windows-Windows Defender/Operational, " \
	"Microsoft-Windows-Kernel-PnP/Configuration, " \
	"Microsoft-Windows-DriverFrameworks-UserMode/Operational"

struct evtlog_channel {
	char name[EVTLOG_MAX_CHANNEL];
};

/*
 * Parse a comma-separated list of channel names (spaces around each are
 * not part of it; names may hold spaces and '/', as Defender's does) into
 * out[max]. Returns 0 with *n set; VIGIL_ERR_INVAL (an empty name, a
 * control character, a name past EVTLOG_MAX_CHANNEL - 1 bytes, one given
 * twice, upper or lower case alike) or VIGIL_ERR_TOOBIG (more than max),
 * with a sentence naming the entry in err.
 */
int evtlog_channels_parse(const char *list, struct evtlog_channel *out, size_t max, size_t *n,
    char *err, size_t errlen);

/*
 * UTF-16 code units w[0..wlen) (stopping at a 0 unit) into out[cap] as
 * UTF-8, always NUL-terminated, cut at a character boundary when it does
 * not fit. A lone surrogate is U+FFFD. *cut, when not NULL, is set to 1
 * when something was left out, else 0. Returns the length written.
 */
size_t evtlog_utf16_to_utf8(const uint16_t *w, size_t wlen, char *out, size_t cap, int *cut);

/*
 * A bookmark text for channel: <BookmarkList> holding a <Bookmark> whose
 * Channel is channel (case alike) and whose RecordId is a number, whose
 * value goes to *record_id. Returns 0, or VIGIL_ERR_INVAL (not such a
 * bookmark: the sensor then starts afresh and says so).
 */
int evtlog_bookmark_check(const char *xml, size_t len, const char *channel,
    uint64_t *record_id);

/*
 * The XPath query of a subscription: the events of ids[0..n) only, so that
 * Windows never hands the agent an event no rule reads, and with backlog_ms
 * not negative, only those of the last backlog_ms (a first run's backlog):
 * "*[System[(EventID=4625 or EventID=4740) and TimeCreated[timediff(
 * @SystemTime) <= N]]]". Every id when n is 0 or more than
 * EVTLOG_QUERY_MAX_IDS (the Event Log refuses a query of more than about 20
 * expressions in one select); "*" when neither. Returns its length, or 0
 * when buf is too small.
 */
size_t evtlog_query(const uint16_t *ids, size_t n, long long backlog_ms, char *buf, size_t cap);

/*
 * One value as EvtRender(EvtRenderEventValues) gives it (an EVT_VARIANT),
 * its text already UTF-8: valid and holding no NUL, as
 * evtlog_utf16_to_utf8() makes it (the sensor converts it, capped); it is
 * taken into events as it is (winevent_add).
 */
enum evtlog_vtype {
	EVTLOG_V_NULL,     /* the path found nothing */
	EVTLOG_V_STRING,   /* s[0..n) */
	EVTLOG_V_UTF16,    /* w: as Windows gives a string, NUL-terminated, made UTF-8 in its
	                    * place in the event (winevent_add_fill), capped and counted */
	EVTLOG_V_UINT,     /* u: UInt8..UInt64 */
	EVTLOG_V_INT,      /* i: Int8..Int64 */
	EVTLOG_V_FILETIME, /* u: 100 ns since 1601 (UTC) */
	EVTLOG_V_OTHER,    /* a SID, GUID, hex or binary value: its XML text is not made here */
};

struct evtlog_value {
	enum evtlog_vtype type;
	uint64_t u;
	int64_t i;
	const char *s;
	size_t n;
	const uint16_t *w;
};

/* The value paths of the render context: these <System> values first, in this order. */
enum {
	EVTLOG_V_PROVIDER, EVTLOG_V_EVENTID, EVTLOG_V_RECORDID, EVTLOG_V_TIME, EVTLOG_V_CHANNEL,
	EVTLOG_V_COMPUTER, EVTLOG_V_VERSION, EVTLOG_V_NAMED
};
#define EVTLOG_MAX_NAMED 64            /* named values in a render context */
#define EVTLOG_MAX_PATH 128            /* bytes of a value path, with the NUL */

/*
 * The value path of value i of a render context (i < EVTLOG_V_NAMED: a
 * <System> one; else the named value names[i - EVTLOG_V_NAMED]):
 * "Event/System/Provider/@Name", "Event/EventData/Data[@Name='X']". Returns
 * its length, or 0 for a name no path reaches exactly: a name with '_'
 * (Windows' may hold a space there), "Data1" (a place, not a name), a quote
 * or a byte a path cannot hold; its value is then read from the XML.
 */
size_t evtlog_value_path(size_t i, const char *const *names, char *buf, size_t cap);

/*
 * Which of the named values names[0..n) the rules of event_id read
 * (matcher_value_mask), kept in c for the next event of that id: only those
 * are made. c starts zeroed and is for one matcher and one names.
 */
#define EVTLOG_MASKS 256

struct evtlog_masks {
	uint32_t key[EVTLOG_MASKS];    /* the event id + 1; 0: none kept */
	uint64_t mask[EVTLOG_MASKS];
};

struct matcher;
uint64_t evtlog_mask(struct evtlog_masks *c, const struct matcher *m, uint32_t event_id,
    const char *const *names, size_t n);

/*
 * The values of one event (vals[0..EVTLOG_V_NAMED + nnames), as
 * evtlog_value_path() names them) into ev, cleaned and capped as
 * winevent_parse() does: the <System> values, then each named value of
 * mask (bit i: names[i]; those the event's rules read, evtlog_mask) given
 * as text or a number, in the text the XML would hold. A value not given
 * that way (NULL, another type, no path) is not at hand: ev->tail is
 * WINEVENT_TAIL_PENDING, and a rule that asks for it has ev->whole read
 * the event's XML. Returns 0, or VIGIL_ERR_MISSING when the event id is
 * not a number.
 */
int evtlog_values_event(struct winevent *ev, const char *const *names, size_t nnames,
    const struct evtlog_value *vals, uint64_t mask);

/*
 * The evidence of an event that fires (its raw text is all of it) without
 * its XML: Windows renders all of an event's <EventData> values in their
 * order (a render context of EvtRenderContextUser), but not their names.
 * Those are learned per kind (provider, event id and the template's
 * version, <System>'s <Version>) from the first event
 * of that kind read whole (its XML), kept in a table of EVTLOG_MAX_KINDS
 * kinds (more: not learned, counted in ->full; their events read the XML).
 */
#define EVTLOG_MAX_KINDS 64

struct evtlog_kind {
	uint32_t event_id;
	unsigned version;              /* the template's <Version>: an update that changes a
	                                * template gives it another (Microsoft's rule) */
	char provider[WINEVENT_MAX_SYS];
	size_t nnames;
	const char *names[WINEVENT_MAX_FIELDS]; /* into text, in the XML's order */
	size_t nlens[WINEVENT_MAX_FIELDS];
	char text[WINEVENT_MAX_FIELDS * (WINEVENT_MAX_NAME + 1)];
	int unusable;                  /* Windows' values did not say it (evtlog_kind_verify) */
};

struct evtlog_kinds {
	size_t n;
	uint64_t full;                 /* kinds not learned: the table was full */
	uint64_t learned;              /* kinds learned or loaded, ever: whether to keep them again */
	struct evtlog_kind k[EVTLOG_MAX_KINDS];
};

/* The kind of provider, event_id and version, NULL when not learned. */
const struct evtlog_kind *evtlog_kind_find(const struct evtlog_kinds *ks, const char *provider,
    uint32_t event_id, unsigned version);

/*
 * The names of whole (an event read whole from its XML) as its kind's, in
 * their order, replacing what was learned of it before. An event with
 * <UserData> is learned when its values are the leaf elements of the one
 * element under it (<UserData><LogFileCleared><SubjectUserName>...), which
 * is what EvtRenderContextUser renders for a UserData template, in order
 * (Microsoft's EVT_RENDER_CONTEXT_FLAGS); not learned: one with attributes
 * or deeper elements there (winevent.userdata_nested), one whose XML was
 * not read whole or lost a field (fields_dropped). Should Windows give
 * another number of values, evtlog_values_whole() refuses them and the XML
 * is read. Returns 0,
 * VIGIL_ERR_INVAL when not learned, VIGIL_ERR_TOOBIG (counted) when the
 * table is full.
 */
int evtlog_kind_learn(struct evtlog_kinds *ks, const struct winevent *whole);

/*
 * Whether Windows' values for an event read whole say it as its XML does:
 * vals[0..n) (EvtRenderContextUser's for whole), taken in order under the
 * names of its kind, give whole's fields, name for name and text for text.
 * The sensor checks so whenever it learns from an XML read. A kind that
 * fails (a template whose values do not come in its XML's order, a value
 * of a type not written here) is marked unusable: its events are read as
 * XML, and it is neither learned again nor kept. Returns 0,
 * VIGIL_ERR_INVAL (marked unusable) or VIGIL_ERR_NOTFOUND (not learned).
 */
int evtlog_kind_verify(struct evtlog_kinds *ks, const struct winevent *whole,
    const struct evtlog_value *vals, size_t n);

/*
 * The kinds kept across restarts (the spool's state, spool_state_get()), so
 * that an agent reads a kind's XML once, not once a day: a text,
 * "vigil-eventlog-kinds 2" then a line a kind, "PROVIDER<tab>ID<tab>
 * VERSION<tab>NAME<tab>NAME..." (a text of another version is not read:
 * the kinds are learned again). evtlog_kinds_save() writes those of ks that fit in
 * buf[cap] (a kind whole or not at all; one whose provider or a name holds
 * a control character is left to be learned again) and returns the length,
 * 0 when not even the first line fits. evtlog_kinds_load() puts the kinds
 * of text[0..len) into ks as learning does, each line checked as if it came
 * from outside (the spool is a file on disk): a bad line is skipped and
 * counted in *bad. Returns 0, or VIGIL_ERR_INVAL when it is not such a text.
 * A template an update changed has another version: another kind, learned
 * anew.
 */
#define EVTLOG_KINDS_TEXT_MAX (EVTLOG_MAX_KINDS * (WINEVENT_MAX_SYS + 12 + \
	WINEVENT_MAX_FIELDS * (WINEVENT_MAX_NAME + 1)) + 32)

size_t evtlog_kinds_save(const struct evtlog_kinds *ks, char *buf, size_t cap);
int evtlog_kinds_load(struct evtlog_kinds *ks, const char *text, size_t len, size_t *bad);

/*
 * Event ev (made by evtlog_values_event) read whole from the values of its
 * <EventData> vals[0..n) (EvtRenderContextUser's, in order) and the names
 * of its kind k: every field in the XML's order, as winevent_parse() would
 * keep it, ev->tail WINEVENT_TAIL_DONE. A NULL value is an empty one.
 * Returns 0, or VIGIL_ERR_MISSING with ev unchanged when they cannot say
 * the event (n is not k's number of names, a value not given as text or a
 * number): its XML is read then.
 */
int evtlog_values_whole(struct winevent *ev, const struct evtlog_kind *k,
    const struct evtlog_value *vals, size_t n);

/*
 * For the tests and the bench: the values EvtRenderContextUser would give
 * for an event read whole (every field's text, in order) into vals[max];
 * returns their number.
 */
size_t evtlog_values_record_user(const struct winevent *whole, struct evtlog_value *vals,
    size_t max);

/*
 * For the tests and the bench: the string values of vals[0..n) as Windows
 * gives them (EVTLOG_V_UTF16), their texts into w[wcap], *used units of
 * it. Returns 0, or VIGIL_ERR_TOOBIG when they do not fit (vals unchanged).
 */
int evtlog_values_utf16(struct evtlog_value *vals, size_t n, uint16_t *w, size_t wcap,
    size_t *used);

/*
 * For the tests and the bench (Wine's EvtRender is a stub): the values
 * EvtRender would give for names from an event read whole (whole, from
 * xml[0..len)): its <System> values typed as Windows types them, a named
 * value as text when the XML holds it as a named <Data> of <EventData>,
 * NULL otherwise. Texts point into whole.
 */
void evtlog_values_record(const struct winevent *whole, const char *xml, size_t len,
    const char *const *names, size_t nnames, struct evtlog_value *vals);

#endif
