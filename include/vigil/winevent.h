/*
 * winevent.c: one rendered Windows event (the XML EvtRender gives with
 * EvtRenderEventXml, or `wevtutil qe CHANNEL /f:xml` prints) -> a capped
 * struct of what rules match on: the provider, channel, event id, record id,
 * time and computer of <System>, and the named values of <EventData> (or of
 * <UserData>, whose element names and attributes are the names). Never the
 * rendered message: <RenderingInfo> is what Windows translated for a reader
 * (a Vietnamese Windows writes it in Vietnamese) and is skipped whole.
 *
 * The input is outside input: it is tokenized by vigil/xmltok.h (no DOCTYPE,
 * so no entity expands; nesting and attributes capped), text is decoded
 * (the five entities and character references) and made valid UTF-8 (each
 * invalid sequence one U+FFFD, a NUL too), and every piece kept has a cap:
 * a value longer than WINEVENT_MAX_VALUE is cut at a character boundary,
 * fields past WINEVENT_MAX_FIELDS or past the struct's text room are left
 * out; each cut is counted in the struct, so that a caller can say so.
 *
 *	struct winevent *ev = malloc(sizeof(*ev));
 *	if (winevent_parse(ev, xml, len, &used, err, sizeof(err)) == 0)
 *		v = winevent_get(ev, "TargetUserName", &vlen);
 */
#ifndef VIGIL_WINEVENT_H
#define VIGIL_WINEVENT_H

#include <stddef.h>
#include <stdint.h>

#define WINEVENT_MAX_XML (256 * 1024) /* bytes of one rendered event */
#define WINEVENT_MAX_FIELDS 48        /* named values kept */
#define WINEVENT_MAX_NAME 64          /* bytes of a value's name; longer: left out */
#define WINEVENT_MAX_VALUE 2048       /* bytes of one value; longer: cut */
#define WINEVENT_MAX_TEXT (16 * 1024) /* bytes of every name and value together */
#define WINEVENT_MAX_SYS 256          /* bytes of provider, channel, computer */

struct winevent_field {
	const char *name; /* NUL-terminated, inside the struct */
	const char *value;
	size_t nlen, vlen;
};

struct winevent {
	char provider[WINEVENT_MAX_SYS];  /* <Provider Name=...>; "" when absent */
	char channel[WINEVENT_MAX_SYS];   /* <Channel> */
	char computer[WINEVENT_MAX_SYS];  /* <Computer> */
	char time[40];                    /* <TimeCreated SystemTime=...> as written */
	char event_id_text[8];            /* "4625" */
	char record_id_text[24];          /* "" when absent */
	/* From here to fields, zeroed by winevent_clear(); the texts above are emptied. */
	uint32_t event_id;                /* 0..65535 */
	uint64_t record_id;               /* 0 when absent */
	unsigned version;                 /* <Version>, the template's: 0 when absent */
	int64_t time_us;                  /* SystemTime in µs since 1970 (UTC); 0: absent or bad */
	/* What winevent_parse_head() left for winevent_parse_tail(). */
	int tail;                         /* WINEVENT_TAIL_* */
	int capped;                       /* the input was cut at WINEVENT_MAX_XML */
	int userdata;                     /* a field came from <UserData> */
	int userdata_nested;              /* ... an attribute there, or an element below a
	                                   * leaf's level (<UserData><Root><Leaf>): not as
	                                   * Windows renders its values (evtlog_kind_learn) */
	unsigned sys_cut;                 /* of values_cut, those of the <System> texts (an
	                                   * event made of values: evtlog_values_whole keeps
	                                   * them when it makes the named values again) */
	const char *xml, *root;           /* the input, and <Event>'s name in it */
	size_t xmllen, start, tail_at, rootlen;
	/*
	 * Or, for an event made of values (winevent_add): what reads the whole
	 * event into ev (winevent_parse of its XML, rendered then).
	 */
	int (*whole)(struct winevent *ev, void *arg, char *err, size_t errlen);
	void *whole_arg;
	size_t nfields;
	struct winevent_field fields[WINEVENT_MAX_FIELDS];
	/* What did not fit, counted (also: what could not be read). */
	unsigned fields_dropped;          /* past WINEVENT_MAX_FIELDS, the text room, or named
	                                   * longer than WINEVENT_MAX_NAME */
	unsigned values_cut;              /* values and System texts cut at their cap */
	unsigned invalid_utf8;            /* invalid sequences replaced by U+FFFD */
	size_t textlen;
	char text[WINEVENT_MAX_TEXT];     /* the names and values */
};

/*
 * Parse the first event of xml[0..len): optional spaces, a byte order mark,
 * an <?xml?> declaration and comments before it; its root element must be
 * <Event> with a <System> holding an <EventID>. *used, when not NULL, is set
 * to the bytes read through the end of </Event>, so that several events
 * written one after another (wevtutil's output) are read in turn. Returns 0;
 * VIGIL_ERR_EMPTY when xml holds nothing but spaces; VIGIL_ERR_INVAL (not
 * well-formed, not an event), VIGIL_ERR_TOOBIG (over WINEVENT_MAX_XML or the
 * tokenizer's caps) or VIGIL_ERR_MISSING (no EventID), with "byte N: what is
 * wrong" in err.
 */
int winevent_parse(struct winevent *ev, const char *xml, size_t len, size_t *used, char *err,
    size_t errlen);

#define WINEVENT_TAIL_DONE 0    /* every field is in the struct (or there are none) */
#define WINEVENT_TAIL_PENDING 1 /* <System> read; the rest not yet */
#define WINEVENT_TAIL_FAILED 2  /* the rest could not be read */

/*
 * Lazy reading, for the agent: most events fire no rule, and no rule reads
 * their named values. winevent_parse_head() reads one event as
 * winevent_parse() does, but stops after </System>: provider, channel,
 * computer, ids and time are set, ev->tail is WINEVENT_TAIL_PENDING and ev
 * keeps pointing into xml (which must outlive it). winevent_parse_tail()
 * reads the rest (the named values, through </Event>): 0, at once when
 * already done; or what winevent_parse() would have said, and ev->tail is
 * WINEVENT_TAIL_FAILED (no field is kept then; a call again says it again). The counters of what did
 * not fit count only what was read.
 */
int winevent_parse_head(struct winevent *ev, const char *xml, size_t len, char *err,
    size_t errlen);
int winevent_parse_tail(struct winevent *ev, size_t *used, char *err, size_t errlen);

/*
 * An event made of values rather than read from XML (the Event Log's
 * EvtRenderEventValues, evtlog_util.h): winevent_clear() empties ev, then
 * winevent_set_ids() sets its ids, winevent_set_text() a <System> text of
 * it (ev->provider, ->channel, ->computer) and winevent_add() a named value
 * (name[0..nlen)), each capped as winevent_parse() does. Their texts must be
 * valid UTF-8 holding no NUL, as evtlog_utf16_to_utf8() makes what Windows
 * gives (and digits are): they are copied as they are, not cleaned again
 * (every event that fires is made so). With ev->tail WINEVENT_TAIL_PENDING
 * and ev->whole set, a value not at hand is read from the whole event
 * (winevent_value).
 */
void winevent_clear(struct winevent *ev);
void winevent_set_ids(struct winevent *ev, uint32_t event_id, uint64_t record_id);
void winevent_set_text(struct winevent *ev, char *dst, size_t cap, const char *v, size_t n);
void winevent_add(struct winevent *ev, const char *name, size_t nlen, const char *v, size_t n);

/*
 * winevent_add() with the value written straight into the struct by fill:
 * into dst[cap] (cap counts the NUL fill must write), its length returned
 * and *cut set when it did not all fit, cut at a character boundary; the
 * text valid UTF-8 holding no NUL, as winevent_add() takes it. What Windows
 * gives as UTF-16 is made UTF-8 once, in its place (evtlog_util.h).
 */
typedef size_t (*winevent_fill_fn)(char *dst, size_t cap, const void *arg, int *cut);
void winevent_add_fill(struct winevent *ev, const char *name, size_t nlen, winevent_fill_fn fill,
    const void *arg);

/*
 * winevent_get(), reading the rest of the event first when a named value is
 * asked for that is not at hand and the rest is pending: NULL also when
 * that rest is unreadable.
 */
const char *winevent_value(struct winevent *ev, const char *name, size_t *vlen);

/*
 * A value by name: a field of <EventData>/<UserData> (names as Windows
 * writes them, exactly, with '_' for a space: "TargetUserName",
 * Defender's "Threat_Name"), or, in lower case, one of
 * <System>'s: "provider", "channel", "computer", "event_id", "record_id",
 * "time". The first field of that name; NULL when the event has none.
 */
const char *winevent_get(const struct winevent *ev, const char *name, size_t *vlen);

/*
 * The event on one line, for people (an event's raw text): "CHANNEL ID
 * PROVIDER COMPUTER #RECORD: Name=value Name=value", cut at cap (always
 * NUL-terminated, at a character boundary). Returns its length.
 */
size_t winevent_format(const struct winevent *ev, char *buf, size_t cap);

/* Whether name is one of the <System> names winevent_get() knows. */
int winevent_is_system(const char *name);

#endif
