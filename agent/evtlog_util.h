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
 *     a first run's backlog.
 *
 * None of it touches Windows: the sensor converts wchar_t to uint16_t units.
 */
#ifndef VIGIL_AGENT_EVTLOG_UTIL_H
#define VIGIL_AGENT_EVTLOG_UTIL_H

#include <stddef.h>
#include <stdint.h>

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

#endif
