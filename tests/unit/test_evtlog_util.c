/*
 * The Event Log sensor's pure parts (agent/evtlog_util.c): the channels
 * list, UTF-16 to UTF-8 with a cap, the bookmark read back from the spool,
 * the subscription's query. Runs on Linux and under Wine (make windows-unit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "../../agent/evtlog_util.h"

static void
test_channels(void **state)
{
	struct evtlog_channel ch[EVTLOG_MAX_CHANNELS];
	char err[256], big[600];
	size_t n = 99, i;

	assert_int_equal(evtlog_channels_parse(EVTLOG_DEFAULT_CHANNELS, ch, EVTLOG_MAX_CHANNELS,
	    &n, err, sizeof(err)), 0);
	assert_int_equal(n, 6);
	assert_string_equal(ch[0].name, "Security");
	assert_string_equal(ch[3].name, "Microsoft-Windows-Windows Defender/Operational");
	assert_string_equal(ch[5].name, "Microsoft-Windows-DriverFrameworks-UserMode/Operational");

	assert_int_equal(evtlog_channels_parse("  System ,\tApplication\t", ch, 4, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ch[0].name, "System");
	assert_string_equal(ch[1].name, "Application");

	/* Nothing at all is no channel; an empty entry is a mistake. */
	assert_int_equal(evtlog_channels_parse("", ch, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(evtlog_channels_parse("Security,,System", ch, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(evtlog_channels_parse("Security,", ch, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_int_equal(evtlog_channels_parse(",Security", ch, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	/* The same channel twice, in another case. */
	assert_int_equal(evtlog_channels_parse("Security, SECURITY", ch, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(evtlog_channels_parse("Sec\x1b[2Jurity", ch, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_int_equal(evtlog_channels_parse("a, b, c, d, e", ch, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_TOOBIG);
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = 'x';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(evtlog_channels_parse(big, ch, 4, &n, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "longer than 255"));
	big[255] = '\0';
	assert_int_equal(evtlog_channels_parse(big, ch, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(strlen(ch[0].name), 255);
}

static void
test_utf16(void **state)
{
	/* "Đăng nhập" then U+1F600 as a surrogate pair. */
	const uint16_t w[] = { 0x0110, 0x0103, 'n', 'g', ' ', 'n', 'h', 0x1ead, 'p', 0xd83d, 0xde00,
		0 };
	const uint16_t lone[] = { 'a', 0xd800, 'b', 0xdc00, 0xd83d };
	char out[64];
	int cut = -1;

	assert_int_equal(evtlog_utf16_to_utf8(w, sizeof(w) / 2, out, sizeof(out), &cut),
	    strlen("Đăng nhập\xf0\x9f\x98\x80"));
	assert_string_equal(out, "Đăng nhập\xf0\x9f\x98\x80");
	assert_int_equal(cut, 0);
	/* A lone surrogate, high or low, and one at the very end: each U+FFFD. */
	assert_int_equal(evtlog_utf16_to_utf8(lone, 5, out, sizeof(out), &cut), 11);
	assert_string_equal(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
	/* The cap: always NUL-terminated, never inside a character, counted. */
	assert_int_equal(evtlog_utf16_to_utf8(w, sizeof(w) / 2, out, 4, &cut), 2);
	assert_string_equal(out, "Đ");
	assert_int_equal(cut, 1);
	assert_int_equal(evtlog_utf16_to_utf8(w, sizeof(w) / 2, out, 5, &cut), 4);
	assert_string_equal(out, "Đă");
	/* Cut inside a run of ASCII too. */
	assert_int_equal(evtlog_utf16_to_utf8(w, sizeof(w) / 2, out, 7, &cut), 6);
	assert_string_equal(out, "Đăng");
	assert_int_equal(cut, 1);
	assert_int_equal(evtlog_utf16_to_utf8(w, sizeof(w) / 2, out, 1, &cut), 0);
	assert_string_equal(out, "");
	assert_int_equal(cut, 1);
	/* A 0 unit ends the text; wlen stops it too. */
	assert_int_equal(evtlog_utf16_to_utf8(w, 2, out, sizeof(out), &cut), 4);
	assert_int_equal(cut, 0);

	/*
	 * Runs of ASCII broken at every place by a 0, a U+0080 or a 'Đ', ended
	 * by wlen, and cut by every cap: a character whole or not at all.
	 */
	for (size_t len = 1; len <= 13; len++)
		for (size_t at = 0; at < len; at++)
			for (int kind = 0; kind < 3; kind++)
				for (size_t cap = 1; cap <= 17; cap++) {
					uint16_t in[16];
					char want[32], got[32];
					size_t k, o = 0, n;
					int c2;

					for (k = 0; k < len; k++)
						in[k] = (uint16_t)('a' + k);
					in[at] = kind == 0 ? 0 : kind == 1 ? 0x80 : 0x0110;
					for (k = 0; k < len && in[k] != 0; k++) {
						const char *e = in[k] == 0x80 ? "\xc2\x80" :
						    in[k] == 0x0110 ? "Đ" : NULL;
						size_t el = e != NULL ? 2 : 1;

						if (o + el >= cap)
							break;
						if (e != NULL)
							memcpy(want + o, e, 2);
						else
							want[o] = (char)in[k];
						o += el;
					}
					want[o] = '\0';
					n = evtlog_utf16_to_utf8(in, len, got, cap, &c2);
					assert_int_equal(n, o);
					assert_string_equal(got, want);
					assert_int_equal(c2, k < len && in[k] != 0);
				}
}

static void
test_bookmark(void **state)
{
	/* As EvtRender(EvtRenderBookmark) writes it. */
	const char *bm = "<BookmarkList>\r\n  <Bookmark Channel='Security' RecordId='1844674' "
	    "IsCurrent='true'/>\r\n</BookmarkList>";
	const char *two = "<BookmarkList><Bookmark Channel='System' RecordId='5'/>"
	    "<Bookmark Channel='Microsoft-Windows-Windows Defender/Operational' RecordId='77'/>"
	    "</BookmarkList>";
	uint64_t rid = 1;

	assert_int_equal(evtlog_bookmark_check(bm, strlen(bm), "Security", &rid), 0);
	assert_int_equal(rid, 1844674);
	assert_int_equal(evtlog_bookmark_check(bm, strlen(bm), "security", &rid), 0);
	assert_int_equal(evtlog_bookmark_check(two, strlen(two),
	    "Microsoft-Windows-Windows Defender/Operational", &rid), 0);
	assert_int_equal(rid, 77);
	/* Another channel's bookmark is not this one's. */
	assert_int_equal(evtlog_bookmark_check(bm, strlen(bm), "System", &rid), VIGIL_ERR_INVAL);
	assert_int_equal(rid, 0);
	/* Not a bookmark: another root, no number, a negative one, broken XML, nothing. */
	const char *bad[] = {
		"<Event><Bookmark Channel='Security' RecordId='1'/></Event>",
		"<BookmarkList><Bookmark Channel='Security' RecordId='x'/></BookmarkList>",
		"<BookmarkList><Bookmark Channel='Security' RecordId='-1'/></BookmarkList>",
		"<BookmarkList><Bookmark Channel='Security' RecordId='99999999999999999999'/>"
		    "</BookmarkList>",
		"<BookmarkList><Bookmark Channel='Security'/></BookmarkList>",
		"<BookmarkList><Bookmark Channel='Security' RecordId='1'/>",
		"<!DOCTYPE x [<!ENTITY a 'b'>]><BookmarkList/>",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rid = 5;
		assert_int_equal(evtlog_bookmark_check(bad[i], strlen(bad[i]), "Security", &rid),
		    VIGIL_ERR_INVAL);
		assert_int_equal(rid, 0);
	}
	/* Entities in the channel's name are decoded before the comparison. */
	const char *ent = "<BookmarkList><Bookmark Channel='A&amp;B' RecordId='3'/></BookmarkList>";
	assert_int_equal(evtlog_bookmark_check(ent, strlen(ent), "A&B", &rid), 0);
	assert_int_equal(rid, 3);
}

static void
test_query(void **state)
{
	const uint16_t ids[] = { 1102, 4625, 4740 };
	uint16_t many[EVTLOG_QUERY_MAX_IDS + 1];
	char q[EVTLOG_MAX_QUERY];

	assert_int_equal(evtlog_query(NULL, 0, 86400000, q, sizeof(q)),
	    strlen("*[System[TimeCreated[timediff(@SystemTime) <= 86400000]]]"));
	assert_string_equal(q, "*[System[TimeCreated[timediff(@SystemTime) <= 86400000]]]");
	assert_int_equal(evtlog_query(NULL, 0, -1, q, sizeof(q)), 1);
	assert_string_equal(q, "*");
	assert_int_equal(evtlog_query(NULL, 0, 1000, q, 10), 0);
	assert_string_equal(q, "");
	/* The rules' ids: Windows hands over only those. */
	evtlog_query(ids, 3, -1, q, sizeof(q));
	assert_string_equal(q, "*[System[(EventID=1102 or EventID=4625 or EventID=4740)]]");
	evtlog_query(ids, 1, 0, q, sizeof(q));
	assert_string_equal(q, "*[System[(EventID=1102) and "
	    "TimeCreated[timediff(@SystemTime) <= 0]]]");
	/* Past the Event Log's limit on expressions: every event, as before. */
	for (size_t i = 0; i < EVTLOG_QUERY_MAX_IDS + 1; i++)
		many[i] = (uint16_t)(60000 + i);
	evtlog_query(many, EVTLOG_QUERY_MAX_IDS, -1, q, sizeof(q));
	assert_non_null(strstr(q, "EventID=60019)]]"));
	evtlog_query(many, EVTLOG_QUERY_MAX_IDS + 1, -1, q, sizeof(q));
	assert_string_equal(q, "*");
}

static void
test_value_paths(void **state)
{
	const char *names[] = { "TargetUserName", "Threat_Name", "Data1", "It's", "Dataset" };
	char p[EVTLOG_MAX_PATH];

	assert_int_equal(evtlog_value_path(EVTLOG_V_PROVIDER, names, p, sizeof(p)),
	    strlen("Event/System/Provider/@Name"));
	assert_string_equal(p, "Event/System/Provider/@Name");
	evtlog_value_path(EVTLOG_V_TIME, names, p, sizeof(p));
	assert_string_equal(p, "Event/System/TimeCreated/@SystemTime");
	evtlog_value_path(EVTLOG_V_NAMED, names, p, sizeof(p));
	assert_string_equal(p, "Event/EventData/Data[@Name='TargetUserName']");
	/* Names no path reaches exactly: read from the XML instead. */
	assert_int_equal(evtlog_value_path(EVTLOG_V_NAMED + 1, names, p, sizeof(p)), 0);
	assert_int_equal(evtlog_value_path(EVTLOG_V_NAMED + 2, names, p, sizeof(p)), 0);
	assert_int_equal(evtlog_value_path(EVTLOG_V_NAMED + 3, names, p, sizeof(p)), 0);
	assert_int_equal(evtlog_value_path(EVTLOG_V_NAMED + 4, names, p, sizeof(p)),
	    strlen("Event/EventData/Data[@Name='Dataset']"));
	assert_int_equal(evtlog_value_path(EVTLOG_V_NAMED, names, p, 20), 0);
}

#define ALL (~(uint64_t)0)

static int
xml_whole(struct winevent *ev, void *arg, char *err, size_t errlen)
{
	return winevent_parse(ev, arg, strlen(arg), NULL, err, errlen);
}

static void
test_values_event(void **state)
{
	static struct winevent ev;
	const char *names[] = { "TargetUserName", "LogonType", "Delta", "TargetSid", "Gone" };
	struct evtlog_value v[EVTLOG_V_NAMED + 5];
	char err[160];
	static char xml[] = "<Event><System><EventID>4732</EventID></System><EventData>"
	    "<Data Name='TargetSid'>S-1-5-32-544</Data></EventData></Event>";
	size_t n;

	memset(v, 0, sizeof(v));
	v[EVTLOG_V_PROVIDER] = (struct evtlog_value){ .type = EVTLOG_V_STRING,
	    .s = "Microsoft-Windows-Security-Auditing", .n = 35 };
	v[EVTLOG_V_EVENTID] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 4732 };
	v[EVTLOG_V_RECORDID] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 48002 };
	/* 2026-12-04T01:00:16.1393678Z */
	v[EVTLOG_V_TIME] = (struct evtlog_value){ .type = EVTLOG_V_FILETIME,
	    .u = (1796346016ULL + 11644473600ULL) * 10000000ULL + 1393678 };
	v[EVTLOG_V_CHANNEL] = (struct evtlog_value){ .type = EVTLOG_V_STRING, .s = "Security",
	    .n = 8 };
	v[EVTLOG_V_NAMED] = (struct evtlog_value){ .type = EVTLOG_V_STRING,
	    .s = "Nguyễn Văn An", .n = strlen("Nguyễn Văn An") };
	v[EVTLOG_V_NAMED + 1] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 10 };
	v[EVTLOG_V_NAMED + 2] = (struct evtlog_value){ .type = EVTLOG_V_INT, .i = -3 };
	v[EVTLOG_V_NAMED + 3] = (struct evtlog_value){ .type = EVTLOG_V_OTHER };
	assert_int_equal(evtlog_values_event(&ev, names, 5, v, ALL), 0);
	assert_int_equal(ev.event_id, 4732);
	assert_string_equal(winevent_get(&ev, "record_id", &n), "48002");
	assert_string_equal(ev.time, "2026-12-04T01:00:16.1393678Z");
	assert_int_equal(ev.time_us, 1796346016139367LL);
	assert_string_equal(ev.channel, "Security");
	assert_string_equal(ev.computer, "");
	assert_string_equal(winevent_get(&ev, "TargetUserName", &n), "Nguyễn Văn An");
	assert_string_equal(winevent_get(&ev, "LogonType", &n), "10");
	assert_string_equal(winevent_get(&ev, "Delta", &n), "-3");
	/* A SID is not made here, nor is a value Windows did not give: the XML says. */
	assert_int_equal(ev.tail, WINEVENT_TAIL_PENDING);
	assert_null(winevent_get(&ev, "TargetSid", &n));
	assert_null(winevent_value(&ev, "Gone", &n));
	assert_int_equal(ev.tail, WINEVENT_TAIL_FAILED);
	evtlog_values_event(&ev, names, 5, v, ALL);
	ev.whole = xml_whole;
	ev.whole_arg = xml;
	assert_string_equal(winevent_value(&ev, "TargetSid", &n), "S-1-5-32-544");
	assert_int_equal(ev.tail, WINEVENT_TAIL_DONE);
	/* Its XML not well-formed: not at hand either, and asked again, said again. */
	evtlog_values_event(&ev, names, 5, v, ALL);
	ev.whole = xml_whole;
	ev.whole_arg = "<Event><System><EventID>4732</EventID></System><EventData>";
	assert_null(winevent_value(&ev, "TargetSid", &n));
	assert_int_equal(ev.tail, WINEVENT_TAIL_FAILED);
	assert_int_not_equal(winevent_parse_tail(&ev, NULL, err, sizeof(err)), 0);
	assert_int_equal(ev.tail, WINEVENT_TAIL_FAILED);
	/* Only the values the rules of the event read are made (here LogonType). */
	assert_int_equal(evtlog_values_event(&ev, names, 5, v, 2), 0);
	assert_null(winevent_get(&ev, "TargetUserName", &n));
	assert_string_equal(winevent_get(&ev, "LogonType", &n), "10");
	assert_int_equal(ev.nfields, 1);
	/* No event id: not an event. */
	v[EVTLOG_V_EVENTID].type = EVTLOG_V_NULL;
	assert_int_equal(evtlog_values_event(&ev, names, 5, v, ALL), VIGIL_ERR_MISSING);
}

static int
parse_text(struct winevent *ev, const char *xml)
{
	char err[160];

	return winevent_parse(ev, xml, strlen(xml), NULL, err, sizeof(err));
}

/*
 * An event's evidence from all of its values: the names of its kind learned
 * from an event read whole, in order; the values EvtRenderContextUser gives
 * (text, numbers, nothing) named by them, as the XML would say the event.
 */
static void
test_values_whole(void **state)
{
	static struct winevent whole, ev, before;
	static struct evtlog_kinds ks;
	static const char xml[] = "<Event><System><Provider Name='Microsoft-Windows-Security-"
	    "Auditing'/><EventID>4625</EventID><Channel>Security</Channel></System><EventData>"
	    "<Data Name='TargetUserName'>Nguyễn Văn An</Data><Data Name='Status'>0xc000006d</Data>"
	    "<Data Name='LogonType'>10</Data><Data Name='IpPort'></Data>"
	    "<Data Name='WorkstationName'>&lt;MÁY &amp; KẾ TOÁN&gt;</Data></EventData></Event>";
	const char *names[] = { "LogonType" };
	struct evtlog_value v[EVTLOG_V_NAMED + 1], u[5];
	const struct evtlog_kind *k;
	char err[160], a[1024], b[1024];
	size_t n, i;

	assert_int_equal(winevent_parse(&whole, xml, strlen(xml), NULL, err, sizeof(err)), 0);
	assert_null(evtlog_kind_find(&ks, whole.provider, 4625, 0));
	assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);
	assert_non_null(k = evtlog_kind_find(&ks, "Microsoft-Windows-Security-Auditing", 4625, 0));
	assert_null(evtlog_kind_find(&ks, "Microsoft-Windows-Security-Auditing", 4624, 0));
	assert_null(evtlog_kind_find(&ks, "Other", 4625, 0));
	assert_int_equal(k->nnames, 5);
	assert_string_equal(k->names[0], "TargetUserName");
	assert_string_equal(k->names[4], "WorkstationName");

	/* The event as the sensor makes it, then whole from its values: as the XML says it. */
	memset(v, 0, sizeof(v));
	v[EVTLOG_V_PROVIDER] = (struct evtlog_value){ .type = EVTLOG_V_STRING,
	    .s = whole.provider, .n = strlen(whole.provider) };
	v[EVTLOG_V_EVENTID] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 4625 };
	v[EVTLOG_V_CHANNEL] = (struct evtlog_value){ .type = EVTLOG_V_STRING, .s = "Security",
	    .n = 8 };
	v[EVTLOG_V_NAMED] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 10 };
	assert_int_equal(evtlog_values_event(&ev, names, 1, v, ALL), 0);
	assert_int_equal(evtlog_values_record_user(&whole, u, 5), 5);
	u[2] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 10 };  /* a number */
	assert_int_equal(u[3].type, EVTLOG_V_NULL);                        /* empty */
	assert_int_equal(evtlog_values_whole(&ev, k, u, 5), 0);
	assert_int_equal(ev.tail, WINEVENT_TAIL_DONE);
	winevent_format(&whole, a, sizeof(a));
	winevent_format(&ev, b, sizeof(b));
	assert_string_equal(b, a);
	assert_string_equal(winevent_get(&ev, "WorkstationName", &n), "<MÁY & KẾ TOÁN>");
	assert_string_equal(winevent_get(&ev, "IpPort", &n), "");

	/* Values that cannot say it: the XML is read, ev as it was. */
	evtlog_values_event(&ev, names, 1, v, ALL);
	memcpy(&before, &ev, sizeof(ev));
	assert_int_equal(evtlog_values_whole(&ev, k, u, 4), VIGIL_ERR_MISSING);
	u[1].type = EVTLOG_V_OTHER;
	assert_int_equal(evtlog_values_whole(&ev, k, u, 5), VIGIL_ERR_MISSING);
	assert_int_equal(ev.nfields, before.nfields);
	assert_int_equal(ev.tail, WINEVENT_TAIL_PENDING);

	/*
	 * The template's <Version> is part of the kind: an update that changes a
	 * template gives it another version, learned as another kind; the values
	 * path reads it among the <System> values.
	 */
	assert_int_equal(parse_text(&whole, "<Event><System><Provider Name='Microsoft-Windows-"
	    "Security-Auditing'/><EventID>4625</EventID><Version> 2 </Version></System>"
	    "<EventData><Data Name='A'>1</Data><Data Name='B'>2</Data></EventData></Event>"), 0);
	assert_int_equal(whole.version, 2);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);
	assert_int_equal(ks.n, 2);
	assert_int_equal(evtlog_kind_find(&ks, "Microsoft-Windows-Security-Auditing", 4625, 2)->nnames,
	    2);
	assert_int_equal(evtlog_kind_find(&ks, "Microsoft-Windows-Security-Auditing", 4625, 0)->nnames,
	    5);
	v[EVTLOG_V_VERSION] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 2 };
	assert_int_equal(evtlog_values_event(&ev, names, 1, v, ALL), 0);
	assert_int_equal(ev.version, 2);
	v[EVTLOG_V_VERSION].type = EVTLOG_V_NULL;
	assert_int_equal(parse_text(&whole, "<Event><System><EventID>1</EventID><Version>300"
	    "</Version></System></Event>"), 0);
	assert_int_equal(whole.version, 0);
	ks.n = 1;

	/* Learned again with other names: the kind is replaced. */
	assert_int_equal(parse_text(&whole, "<Event><System><Provider Name='Microsoft-Windows-"
	    "Security-Auditing'/><EventID>4625</EventID></System><EventData><Data Name='A'>1"
	    "</Data></EventData></Event>"), 0);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);
	assert_int_equal(ks.n, 1);
	assert_int_equal(k->nnames, 1);

	/*
	 * <UserData> whose values are the leaves of its one element (1102, as
	 * EvtRenderContextUser renders it): learned, and said from its values
	 * as its XML says it.
	 */
	assert_int_equal(parse_text(&whole, "<Event><System><Provider Name='Microsoft-Windows-"
	    "Eventlog'/><EventID>1102</EventID><Channel>Security</Channel></System><UserData>"
	    "<LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'>"
	    "<SubjectUserSid>S-1-5-21-1-1001</SubjectUserSid><SubjectUserName>Trần Thị Bình"
	    "</SubjectUserName><SubjectDomainName>UBND-PHUONG</SubjectDomainName>"
	    "<SubjectLogonId>0x55cd1d</SubjectLogonId><BackupPath/></LogFileCleared></UserData>"
	    "</Event>"), 0);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);
	assert_non_null(k = evtlog_kind_find(&ks, "Microsoft-Windows-Eventlog", 1102, 0));
	assert_int_equal(k->nnames, 5);
	assert_string_equal(k->names[1], "SubjectUserName");
	v[EVTLOG_V_PROVIDER] = (struct evtlog_value){ .type = EVTLOG_V_STRING,
	    .s = whole.provider, .n = strlen(whole.provider) };
	v[EVTLOG_V_EVENTID] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 1102 };
	v[EVTLOG_V_NAMED].type = EVTLOG_V_NULL;
	assert_int_equal(evtlog_values_event(&ev, names, 1, v, ALL), 0);
	assert_int_equal(evtlog_values_record_user(&whole, u, 5), 5);
	u[4].type = EVTLOG_V_NULL;                                          /* <BackupPath/> */
	assert_int_equal(evtlog_values_whole(&ev, k, u, 5), 0);
	winevent_format(&whole, a, sizeof(a));
	winevent_format(&ev, b, sizeof(b));
	assert_string_equal(b, a);
	assert_string_equal(winevent_get(&ev, "SubjectUserName", &n), "Trần Thị Bình");

	/* Not as Windows renders values: an attribute, or an element below a leaf's level. */
	assert_int_equal(parse_text(&whole, "<Event><System><EventID>2003</EventID></System>"
	    "<UserData><UMDFHostDeviceArrivalBegin instance='USB\\VID_0951'><HostProcessId>4321"
	    "</HostProcessId></UMDFHostDeviceArrivalBegin></UserData></Event>"), 0);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), VIGIL_ERR_INVAL);
	assert_int_equal(parse_text(&whole, "<Event><System><EventID>2004</EventID></System>"
	    "<UserData><Root><Group><Leaf>1</Leaf></Group><Other>2</Other></Root></UserData>"
	    "</Event>"), 0);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), VIGIL_ERR_INVAL);
	assert_null(evtlog_kind_find(&ks, "", 2003, 0));
	assert_null(evtlog_kind_find(&ks, "", 2004, 0));
	assert_int_equal(ks.n, 2);

	/* The table's cap: kinds past it are not learned, and counted. */
	assert_int_equal(parse_text(&whole, "<Event><System><EventID>1</EventID></System>"
	    "</Event>"), 0);
	for (i = 1; ks.n < EVTLOG_MAX_KINDS; i++) {
		whole.event_id = (uint32_t)i;
		assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);
	}
	whole.event_id = EVTLOG_MAX_KINDS;
	assert_int_equal(evtlog_kind_learn(&ks, &whole), VIGIL_ERR_TOOBIG);
	assert_int_equal(ks.full, 1);
	assert_null(evtlog_kind_find(&ks, "", EVTLOG_MAX_KINDS, 0));
	assert_non_null(evtlog_kind_find(&ks, "", 7, 0));
}

/*
 * Strings as Windows gives them (UTF-16), made UTF-8 in their place in the
 * event: as the XML says them, a value past WINEVENT_MAX_VALUE cut at a
 * character and counted as winevent_parse() cuts it.
 */
static void
test_values_utf16(void **state)
{
	static struct winevent whole, ev;
	static struct evtlog_kinds ks;
	static char xml[2 * WINEVENT_MAX_VALUE + 512], a[8192], b[8192];
	static uint16_t w[2 * WINEVENT_MAX_VALUE + 64], wu[2 * WINEVENT_MAX_VALUE + 64];
	struct evtlog_value v[EVTLOG_V_NAMED + 1], u[3];
	const char *names[] = { "CommandLine" };
	size_t n, used, at;

	/* "Ồ" is 3 bytes: the cap falls inside one. */
	at = (size_t)snprintf(xml, sizeof(xml), "<Event><System><Provider Name='Microsoft-"
	    "Windows-Security-Auditing'/><EventID>4688</EventID><Channel>Security</Channel>"
	    "<Computer>MÁY-01</Computer></System><EventData><Data Name='SubjectUserName'>Bình"
	    "</Data><Data Name='CommandLine'>x");
	for (n = 0; n < WINEVENT_MAX_VALUE / 3 + 2; n++)
		at += (size_t)snprintf(xml + at, sizeof(xml) - at, "Ồ");
	at += (size_t)snprintf(xml + at, sizeof(xml) - at, "</Data><Data Name='Empty'></Data>"
	    "</EventData></Event>");
	assert_int_equal(winevent_parse(&whole, xml, at, NULL, a, sizeof(a)), 0);
	assert_int_equal(whole.values_cut, 1);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);

	evtlog_values_record(&whole, xml, at, names, 1, v);
	assert_int_equal(evtlog_values_utf16(v, EVTLOG_V_NAMED + 1, w, 8, &used),
	    VIGIL_ERR_TOOBIG);
	assert_int_equal(v[EVTLOG_V_PROVIDER].type, EVTLOG_V_STRING);
	assert_int_equal(evtlog_values_utf16(v, EVTLOG_V_NAMED + 1, w, sizeof(w) / 2, &used), 0);
	assert_int_equal(v[EVTLOG_V_COMPUTER].type, EVTLOG_V_UTF16);
	assert_int_equal(v[EVTLOG_V_NAMED].type, EVTLOG_V_UTF16);
	assert_int_equal(evtlog_values_event(&ev, names, 1, v, 1), 0);
	assert_string_equal(ev.computer, "MÁY-01");
	assert_string_equal(winevent_get(&ev, "CommandLine", &n), winevent_get(&whole,
	    "CommandLine", &used));
	assert_int_equal(n, used);
	assert_int_equal(ev.values_cut, 0); /* the recorded value was cut already */

	assert_int_equal(evtlog_values_record_user(&whole, u, 3), 3);
	assert_int_equal(evtlog_values_utf16(u, 3, wu, sizeof(wu) / 2, &used), 0);
	assert_int_equal(u[2].type, EVTLOG_V_NULL);
	assert_int_equal(evtlog_values_whole(&ev, evtlog_kind_find(&ks, whole.provider, 4688, 0), u,
	    3), 0);
	winevent_format(&whole, a, sizeof(a));
	winevent_format(&ev, b, sizeof(b));
	assert_string_equal(b, a);

	/* Given whole as Windows would, past the cap: cut in its place, at a character, counted. */
	{
		static uint16_t big[WINEVENT_MAX_VALUE + 8];
		struct evtlog_value one = { .type = EVTLOG_V_UTF16, .w = big };
		static struct evtlog_kind k1 = { .nnames = 1, .names = { "CommandLine" },
		    .nlens = { 11 } };

		for (n = 0; n < WINEVENT_MAX_VALUE + 7; n++)
			big[n] = 0x1ED2;                /* Ồ */
		big[n] = 0;
		assert_int_equal(evtlog_values_event(&ev, names, 1, v, 0), 0);
		assert_int_equal(evtlog_values_whole(&ev, &k1, &one, 1), 0);
		assert_int_equal(ev.values_cut, 1);
		/* Read for a rule first (cut, counted), then made whole: counted once. */
		v[EVTLOG_V_NAMED] = one;
		assert_int_equal(evtlog_values_event(&ev, names, 1, v, 1), 0);
		assert_int_equal(ev.values_cut, 1);
		assert_int_equal(evtlog_values_whole(&ev, &k1, &one, 1), 0);
		assert_int_equal(ev.values_cut, 1);
		/* A <System> text past its cap (a 300-character computer name): counted, and kept. */
		v[EVTLOG_V_COMPUTER] = one;
		assert_int_equal(evtlog_values_event(&ev, names, 1, v, 1), 0);
		assert_int_equal(strlen(ev.computer), (WINEVENT_MAX_SYS - 1) / 3 * 3);
		assert_int_equal(ev.values_cut, 2);
		assert_int_equal(evtlog_values_whole(&ev, &k1, &one, 1), 0);
		assert_int_equal(ev.values_cut, 2);
		assert_string_equal(winevent_get(&ev, "CommandLine", &n), winevent_get(&whole,
		    "CommandLine", &used) + 1);
		assert_int_equal(n, WINEVENT_MAX_VALUE / 3 * 3);
	}
}

/*
 * A kind is kept only when Windows' values say the event as its XML does:
 * values in another order than the XML's make it unusable (read as XML,
 * not learned again, not kept); a <UserData> leaf with an attribute is not
 * learned at all.
 */
static void
test_kind_verify(void **state)
{
	static struct winevent whole;
	static struct evtlog_kinds ks;
	static uint16_t w[1024];
	static char text[4096];
	struct evtlog_value u[3], swapped[3];
	const struct evtlog_kind *k;
	size_t used;

	assert_int_equal(parse_text(&whole, "<Event><System><Provider Name='Microsoft-Windows-"
	    "Eventlog'/><EventID>1102</EventID></System><UserData><LogFileCleared>"
	    "<SubjectUserName>Bình</SubjectUserName><SubjectDomainName>UBND</SubjectDomainName>"
	    "<SubjectLogonId>0x55cd1d</SubjectLogonId></LogFileCleared></UserData></Event>"), 0);
	assert_int_equal(evtlog_kind_verify(&ks, &whole, u, 0), VIGIL_ERR_NOTFOUND);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);
	assert_int_equal(evtlog_values_record_user(&whole, u, 3), 3);
	assert_int_equal(evtlog_values_utf16(u, 3, w, 1024, &used), 0);
	u[2] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 0x55cd1d };  /* not as written */
	assert_int_equal(evtlog_kind_verify(&ks, &whole, u, 3), VIGIL_ERR_INVAL);
	assert_int_equal(evtlog_values_record_user(&whole, u, 3), 3);
	assert_int_equal(evtlog_values_utf16(u, 3, w, 1024, &used), 0);
	ks.k[0].unusable = 0;
	assert_int_equal(evtlog_kind_verify(&ks, &whole, u, 3), 0);
	assert_int_equal(evtlog_kind_verify(&ks, &whole, u, 2), VIGIL_ERR_INVAL);
	ks.k[0].unusable = 0;

	/* In another order: unusable. */
	swapped[0] = u[1];
	swapped[1] = u[0];
	swapped[2] = u[2];
	assert_int_equal(evtlog_kind_verify(&ks, &whole, swapped, 3), VIGIL_ERR_INVAL);
	assert_non_null(k = evtlog_kind_find(&ks, "Microsoft-Windows-Eventlog", 1102, 0));
	assert_true(k->unusable);
	{
		static struct winevent ev;
		struct evtlog_value v[EVTLOG_V_NAMED];

		memset(v, 0, sizeof(v));
		v[EVTLOG_V_EVENTID] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 1102 };
		assert_int_equal(evtlog_values_event(&ev, NULL, 0, v, 0), 0);
		assert_int_equal(evtlog_values_whole(&ev, k, u, 3), VIGIL_ERR_MISSING);
	}
	assert_int_equal(evtlog_kind_learn(&ks, &whole), VIGIL_ERR_INVAL);
	assert_true(k->unusable);
	assert_int_equal(evtlog_kinds_save(&ks, text, sizeof(text)), strlen("vigil-eventlog-kinds 2\n"));

	/* A leaf with an attribute: Windows renders the attribute as a value too. */
	assert_int_equal(parse_text(&whole, "<Event><System><EventID>9</EventID></System>"
	    "<UserData><Root><Leaf kind='x'>1</Leaf></Root></UserData></Event>"), 0);
	assert_true(whole.userdata_nested);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), VIGIL_ERR_INVAL);
	assert_int_equal(parse_text(&whole, "<Event><System><EventID>9</EventID></System>"
	    "<UserData><Root xmlns='urn:x'><Leaf xmlns:a='urn:y'>1</Leaf></Root></UserData>"
	    "</Event>"), 0);
	assert_false(whole.userdata_nested);
}

/*
 * The kinds kept across restarts: what was learned comes back whole, in
 * order; the kept text is checked line by line as outside input.
 */
static void
test_kinds_kept(void **state)
{
	static struct winevent whole, ev;
	static struct evtlog_kinds ks, back;
	static char text[EVTLOG_KINDS_TEXT_MAX];
	const struct evtlog_kind *k;
	size_t n, bad;
	char a[1024], b[1024];

	assert_int_equal(parse_text(&whole, "<Event><System><Provider Name='Microsoft-Windows-"
	    "Security-Auditing'/><EventID>4625</EventID><Channel>Security</Channel></System>"
	    "<EventData><Data Name='TargetUserName'>Nguyễn Văn An</Data><Data Name='Status'>"
	    "0xc000006d</Data><Data Name='IpAddress'>10.0.0.9</Data></EventData></Event>"), 0);
	assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);
	assert_int_equal(parse_text(&ev, "<Event><System><Provider Name='Microsoft-Windows-"
	    "Eventlog'/><EventID>1102</EventID></System><UserData><LogFileCleared>"
	    "<SubjectUserName>Bình</SubjectUserName><Tên>x</Tên></LogFileCleared></UserData>"
	    "</Event>"), 0);
	assert_int_equal(evtlog_kind_learn(&ks, &ev), 0);
	/* A name holding a tab (Data Name='A&#9;B') is not kept; the others are. */
	assert_int_equal(parse_text(&ev, "<Event><System><EventID>7</EventID></System><EventData>"
	    "<Data Name='A&#9;B'>1</Data></EventData></Event>"), 0);
	assert_int_equal(evtlog_kind_learn(&ks, &ev), 0);
	assert_int_equal(ks.n, 3);
	assert_int_equal(ks.learned, 3);

	n = evtlog_kinds_save(&ks, text, sizeof(text));
	assert_true(n > 0 && n == strlen(text));
	assert_non_null(strstr(text, "Microsoft-Windows-Security-Auditing\t4625\t0\tTargetUserName\t"
	    "Status\tIpAddress\n"));
	assert_non_null(strstr(text, "Microsoft-Windows-Eventlog\t1102\t0\tSubjectUserName\tTên\n"));
	assert_null(strstr(text, "\t7\t"));
	assert_int_equal(evtlog_kinds_load(&back, text, n, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(back.n, 2);
	assert_non_null(k = evtlog_kind_find(&back, "Microsoft-Windows-Security-Auditing", 4625, 0));
	assert_int_equal(k->nnames, 3);
	assert_string_equal(k->names[2], "IpAddress");
	assert_int_equal(k->nlens[2], 9);

	/* An event said from its values by a kept kind: as its XML says it. */
	{
		const char *names[] = { "IpAddress" };
		struct evtlog_value v[EVTLOG_V_NAMED + 1], u[3];
		static struct winevent made;

		memset(v, 0, sizeof(v));
		v[EVTLOG_V_PROVIDER] = (struct evtlog_value){ .type = EVTLOG_V_STRING,
		    .s = whole.provider, .n = strlen(whole.provider) };
		v[EVTLOG_V_EVENTID] = (struct evtlog_value){ .type = EVTLOG_V_UINT, .u = 4625 };
		v[EVTLOG_V_CHANNEL] = (struct evtlog_value){ .type = EVTLOG_V_STRING,
		    .s = "Security", .n = 8 };
		assert_int_equal(evtlog_values_event(&made, names, 1, v, 0), 0);
		assert_int_equal(evtlog_values_record_user(&whole, u, 3), 3);
		assert_int_equal(evtlog_values_whole(&made, k, u, 3), 0);
		winevent_format(&whole, a, sizeof(a));
		winevent_format(&made, b, sizeof(b));
		assert_string_equal(b, a);
	}

	/*
	 * Too small a buffer: whole kinds only (room for the first and half the
	 * second: the first), and nothing when not even the first line fits.
	 */
	n = strchr(strchr(text, '\n') + 1, '\n') + 1 - text;
	assert_int_equal(evtlog_kinds_save(&ks, text, n + 20), n);
	assert_int_equal(text[n - 1], '\n');
	memset(&back, 0, sizeof(back));
	assert_int_equal(evtlog_kinds_load(&back, text, n, &bad), 0);
	assert_int_equal(back.n, 1);
	assert_non_null(evtlog_kind_find(&back, "Microsoft-Windows-Security-Auditing", 4625, 0));
	assert_int_equal(evtlog_kinds_save(&ks, text, 10), 0);

	/* Learned again as it was: nothing new to keep. */
	assert_int_equal(evtlog_kind_learn(&ks, &whole), 0);
	assert_int_equal(ks.learned, 3);

	/* A damaged or hostile text: not such a text, or its bad lines skipped and counted. */
	memset(&back, 0, sizeof(back));
	assert_int_equal(evtlog_kinds_load(&back, "kinds\n", 6, &bad), VIGIL_ERR_INVAL);
	static const char hostile[] = "vigil-eventlog-kinds 2\n"
	    "P\t4625\t0\tA\tB\n"              /* good */
	    "no tab at all\n"
	    "P\t65536\t0\tA\n"                /* id past 65535 */
	    "P\t-1\t0\tA\n"
	    "P\t12x\t0\tA\n"
	    "P\t\t0\tA\n"                     /* no id */
	    "P\t1\t0\t\tA\n"                  /* an empty name */
	    "P\t2\t0\tA\x01\n"                /* a control character */
	    "P\t3\t0\t\xff\xfe\n"             /* not UTF-8 */
	    "P\t4\t0\n"                       /* good: a kind with no values */
	    "P\t8\t0\tThreat Name\n"          /* winevent.c writes Threat_Name */
	    "P\t9\n"                          /* no version */
	    "P\t10\t256\tA\n"                 /* a version past a byte */
	    "P\t4625\t1\tA\tB\tC\n"           /* good: the template's next version */
	    "\n";
	assert_int_equal(evtlog_kinds_load(&back, hostile, sizeof(hostile) - 1, &bad), 0);
	assert_int_equal(bad, 12);
	assert_int_equal(evtlog_kind_find(&back, "P", 4625, 1)->nnames, 3);
	assert_int_equal(back.n, 3);
	assert_int_equal(evtlog_kind_find(&back, "P", 4625, 0)->nnames, 2);
	assert_int_equal(evtlog_kind_find(&back, "P", 4, 0)->nnames, 0);
	/* A name past WINEVENT_MAX_NAME, more names than WINEVENT_MAX_FIELDS. */
	{
		static char big[EVTLOG_KINDS_TEXT_MAX];
		size_t at = (size_t)snprintf(big, sizeof(big), "vigil-eventlog-kinds 2\nP\t5\t0\t");

		memset(big + at, 'N', WINEVENT_MAX_NAME + 1);
		at += WINEVENT_MAX_NAME + 1;
		at += (size_t)snprintf(big + at, sizeof(big) - at, "\nP\t6\t0");
		for (int i = 0; i <= WINEVENT_MAX_FIELDS; i++)
			at += (size_t)snprintf(big + at, sizeof(big) - at, "\tN%d", i);
		assert_int_equal(evtlog_kinds_load(&back, big, at, &bad), 0);
		assert_int_equal(bad, 2);
		assert_int_equal(back.n, 3);

		/* Past the table's cap: counted in full, not as unreadable. */
		at = (size_t)snprintf(big, sizeof(big), "vigil-eventlog-kinds 2\n");
		for (int i = 0; i < EVTLOG_MAX_KINDS + 3; i++)
			at += (size_t)snprintf(big + at, sizeof(big) - at, "Q\t%d\t0\tA\n", i);
		assert_int_equal(evtlog_kinds_load(&back, big, at, &bad), 0);
		assert_int_equal(bad, 0);
		assert_int_equal(back.n, EVTLOG_MAX_KINDS);
		assert_int_equal(back.full, 6);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_kinds_kept),
		cmocka_unit_test(test_values_utf16),
		cmocka_unit_test(test_kind_verify),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_bookmark),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_value_paths),
		cmocka_unit_test(test_values_event),
		cmocka_unit_test(test_values_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
