/* winevent: rendered Windows events as Windows writes them, and hostile ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "vigil/winevent.h"

/* 4625 as Microsoft documents it, from a Vietnamese Windows (RenderingInfo in Vietnamese). */
static const char ev4625[] =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Microsoft-Windows-Security-Auditing' "
    "Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4625</EventID><Version>0</Version>"
    "<Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords>"
    "<TimeCreated SystemTime='2026-12-04T02:15:31.1234567Z'/><EventRecordID>199519</EventRecordID>"
    "<Correlation ActivityID='{c2a5e8f1-6a31-0001-27e9-a5c2316adb01}'/>"
    "<Execution ProcessID='712' ThreadID='2240'/><Channel>Security</Channel>"
    "<Computer>MAY-KE-TOAN-01</Computer><Security/></System><EventData>"
    "<Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='SubjectUserName'>MAY-KE-TOAN-01$</Data>"
    "<Data Name='TargetUserName'>Nguyễn Văn An</Data><Data Name='TargetDomainName'>CONGTY</Data>"
    "<Data Name='Status'>0xc000006d</Data><Data Name='LogonType'>10</Data>"
    "<Data Name='WorkstationName'>-</Data><Data Name='IpAddress'>203.0.113.7</Data>"
    "<Data Name='IpPort'>51234</Data></EventData>"
    "<RenderingInfo Culture='vi-VN'><Message>Một tài khoản không đăng nhập được.</Message>"
    "<Level>Thông tin</Level><Channel>Bảo mật</Channel><Provider>Kiểm tra bảo mật</Provider>"
    "</RenderingInfo></Event>";

static const char ev1102[] =
    "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n<System>\r\n"
    "<Provider Name=\"Microsoft-Windows-Eventlog\" Guid=\"{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}\" />\r\n"
    "<EventID>1102</EventID>\r\n<TimeCreated SystemTime=\"2026-12-04T09:00:00Z\" />\r\n"
    "<EventRecordID>1087729</EventRecordID>\r\n<Channel>Security</Channel>\r\n"
    "<Computer>MAY-KE-TOAN-01</Computer>\r\n<Security />\r\n</System>\r\n<UserData>\r\n"
    "<LogFileCleared xmlns=\"http://manifests.microsoft.com/win/2004/08/windows/eventlog\">\r\n"
    "<SubjectUserSid>S-1-5-21-1-2-3-1104</SubjectUserSid>\r\n"
    "<SubjectUserName>tran.thi.binh</SubjectUserName>\r\n"
    "<SubjectDomainName>CONGTY</SubjectDomainName>\r\n"
    "<SubjectLogonId>0x55cd1d</SubjectLogonId>\r\n</LogFileCleared>\r\n</UserData>\r\n</Event>";

static struct winevent *
parse(const char *xml, size_t len, int want, size_t *used, char *err, size_t errlen)
{
	static struct winevent ev;

	assert_int_equal(winevent_parse(&ev, xml, len, used, err, errlen), want);
	return &ev;
}

static void
expect(const struct winevent *ev, const char *name, const char *value)
{
	size_t n;
	const char *v = winevent_get(ev, name, &n);

	if (value == NULL) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_int_equal(n, strlen(value));
	assert_memory_equal(v, value, n);
}

static void
test_eventdata(void **state)
{
	char err[128];
	size_t used;
	struct winevent *ev = parse(ev4625, strlen(ev4625), 0, &used, err, sizeof(err));

	assert_int_equal(used, strlen(ev4625));
	assert_string_equal(ev->provider, "Microsoft-Windows-Security-Auditing");
	assert_string_equal(ev->channel, "Security");
	assert_string_equal(ev->computer, "MAY-KE-TOAN-01");
	assert_int_equal(ev->event_id, 4625);
	assert_int_equal(ev->record_id, 199519);
	/* 2026-12-04T02:15:31.1234567Z */
	assert_int_equal(ev->time_us, 1796350531123456LL);
	expect(ev, "TargetUserName", "Nguyễn Văn An");
	expect(ev, "LogonType", "10");
	expect(ev, "IpAddress", "203.0.113.7");
	expect(ev, "event_id", "4625");
	expect(ev, "record_id", "199519");
	expect(ev, "channel", "Security");
	/* The translated message and RenderingInfo's own Channel are never read. */
	expect(ev, "Message", NULL);
	assert_int_equal(ev->nfields, 9);
	assert_int_equal(ev->fields_dropped + ev->values_cut + ev->invalid_utf8, 0);
}

static void
test_userdata(void **state)
{
	char err[128];
	struct winevent *ev = parse(ev1102, strlen(ev1102), 0, NULL, err, sizeof(err));
	/* DriverFrameworks-UserMode 2003: the values are the child's attributes. */
	static const char umdf[] =
	    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
	    "<Provider Name='Microsoft-Windows-DriverFrameworks-UserMode'/><EventID>2003</EventID>"
	    "<Channel>Microsoft-Windows-DriverFrameworks-UserMode/Operational</Channel>"
	    "<Computer>MAY-KE-TOAN-01</Computer></System><UserData>"
	    "<UMDFHostDeviceArrivalBegin lifetime='{2f5b2a4e-0001}' "
	    "instance='WPDBUSENUMROOT\\UMB\\2&amp;37C186B&amp;0&amp;STORAGE#VOLUME#_??_USBSTOR#DISK&amp;VEN_KINGSTON' "
	    "xmlns:auto-ns2='http://schemas.microsoft.com/win/2004/08/events' "
	    "xmlns='http://www.microsoft.com/DriverFrameworks/UserMode/Event'>"
	    "<HostProcessId>4321</HostProcessId><Empty/></UMDFHostDeviceArrivalBegin></UserData></Event>";

	expect(ev, "SubjectUserName", "tran.thi.binh");
	expect(ev, "SubjectLogonId", "0x55cd1d");
	assert_int_equal(ev->time_us, 1796374800000000LL);
	ev = parse(umdf, strlen(umdf), 0, NULL, err, sizeof(err));
	expect(ev, "instance",
	    "WPDBUSENUMROOT\\UMB\\2&37C186B&0&STORAGE#VOLUME#_??_USBSTOR#DISK&VEN_KINGSTON");
	expect(ev, "lifetime", "{2f5b2a4e-0001}");
	expect(ev, "HostProcessId", "4321");
	expect(ev, "Empty", "");
	expect(ev, "xmlns", NULL);
	expect(ev, "auto-ns2", NULL);
}

static void
test_unnamed_and_entities(void **state)
{
	char err[128];
	/* MsiInstaller writes unnamed <Data>; a <Binary> is skipped. */
	static const char msi[] =
	    "<?xml version='1.0' encoding='utf-8'?>\n<!-- wevtutil -->\n"
	    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
	    "<Provider Name='MsiInstaller'/><EventID Qualifiers='0'>11707</EventID>"
	    "<Channel>Application</Channel><Computer>PC</Computer></System><EventData>"
	    "<Data>Product: 7-Zip 23.01 (x64 edition) -- Installation completed successfully.</Data>"
	    "<Data>(NULL)</Data><Data/><Data>&lt;b&gt; &#x1EA1;&#7841; &#0; &#xD800; &bogus; a&amp;b &</Data>"
	    "<Data><![CDATA[<raw> & text]]></Data>"
	    "<Binary>7B34443131</Binary></EventData></Event>";
	struct winevent *ev = parse(msi, strlen(msi), 0, NULL, err, sizeof(err));

	assert_int_equal(ev->event_id, 11707);
	expect(ev, "Data1", "Product: 7-Zip 23.01 (x64 edition) -- Installation completed successfully.");
	expect(ev, "Data2", "(NULL)");
	expect(ev, "Data3", "");
	expect(ev, "Data4", "<b> ạạ \xef\xbf\xbd \xef\xbf\xbd &bogus; a&b &");
	expect(ev, "Data5", "<raw> & text");
	expect(ev, "Binary", NULL);
	assert_int_equal(ev->nfields, 5);
}

static void
test_concatenated(void **state)
{
	char err[128], *two;
	size_t used, n = strlen(ev4625) + strlen(ev1102) + 8;
	struct winevent *ev;

	assert_non_null(two = malloc(n));
	snprintf(two, n, "%s\r\n%s\n  ", ev4625, ev1102);
	ev = parse(two, strlen(two), 0, &used, err, sizeof(err));
	assert_int_equal(ev->event_id, 4625);
	assert_int_equal(used, strlen(ev4625));
	ev = parse(two + used, strlen(two) - used, 0, &n, err, sizeof(err));
	assert_int_equal(ev->event_id, 1102);
	used += n;
	parse(two + used, strlen(two) - used, VIGIL_ERR_EMPTY, &n, err, sizeof(err));
	free(two);
}

static void
test_invalid_utf8(void **state)
{
	char err[128];
	static const char bad[] =
	    "<Event><System><EventID>4720</EventID><Computer>M\xc3\xc3Y\xff</Computer></System>"
	    "<EventData><Data Name='TargetUserName'>a\xed\xa0\x80z</Data></EventData></Event>";
	struct winevent *ev = parse(bad, strlen(bad), 0, NULL, err, sizeof(err));

	assert_string_equal(ev->computer, "M\xef\xbf\xbd\xef\xbf\xbdY\xef\xbf\xbd");
	expect(ev, "TargetUserName", "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
	assert_int_equal(ev->invalid_utf8, 6);
}

static void
test_refused(void **state)
{
	static const struct {
		const char *xml;
		int rc;
		const char *says;
	} v[] = {
	    {"<Events><Event/></Events>", VIGIL_ERR_INVAL, "not <Event>"},
	    {"<Event><System></System></Event>", VIGIL_ERR_MISSING, "no <EventID>"},
	    {"<Event/>", VIGIL_ERR_MISSING, "no <EventID>"},
	    {"<Event><System><EventID>x1</EventID></System></Event>", VIGIL_ERR_INVAL, "not a number"},
	    {"<Event><System><EventID>70000</EventID></System></Event>", VIGIL_ERR_INVAL, "65535"},
	    {"<Event><System><EventID>4625</EventID></System>", VIGIL_ERR_INVAL, "never closed"},
	    {"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><Event/>", VIGIL_ERR_INVAL, "DOCTYPE"},
	    {"<Event><System><EventID>1</Channel></System></Event>", VIGIL_ERR_INVAL, "does not close"},
	    {"   \n", VIGIL_ERR_EMPTY, "no event"},
	};
	char err[128];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		parse(v[i].xml, strlen(v[i].xml), v[i].rc, NULL, err, sizeof(err));
		assert_non_null(strstr(err, "byte "));
		if (strstr(err, v[i].says) == NULL)
			fail_msg("%s: %s", v[i].xml, err);
	}
}

static void
test_caps(void **state)
{
	size_t cap = WINEVENT_MAX_XML + 4096, n = 0;
	char *s = malloc(cap), err[128];
	struct winevent *ev;

	assert_non_null(s);
	n += (size_t)snprintf(s + n, cap - n, "<Event><System><EventID>1</EventID><Computer>");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(s + n, cap - n, "ạ");
	n += (size_t)snprintf(s + n, cap - n, "</Computer></System><EventData>");
	for (int i = 0; i < WINEVENT_MAX_FIELDS + 5; i++)
		n += (size_t)snprintf(s + n, cap - n, "<Data Name='F%d'>v</Data>", i);
	n += (size_t)snprintf(s + n, cap - n, "<Data Name='Long'>");
	for (int i = 0; i < WINEVENT_MAX_VALUE; i++)
		s[n++] = 'x';
	n += (size_t)snprintf(s + n, cap - n, "</Data></EventData></Event>");
	ev = parse(s, n, 0, NULL, err, sizeof(err));
	assert_int_equal(ev->nfields, WINEVENT_MAX_FIELDS);
	assert_int_equal(ev->fields_dropped, 6);
	/* Cut at a character boundary, under its cap. */
	assert_true(strlen(ev->computer) < WINEVENT_MAX_SYS);
	assert_int_equal(strlen(ev->computer) % 3, 0);
	assert_int_equal(ev->values_cut, 1);

	/* A value over its cap is cut at WINEVENT_MAX_VALUE. */
	n = (size_t)snprintf(s, cap, "<Event><System><EventID>1</EventID></System><EventData>"
	    "<Data Name='Long'>");
	for (int i = 0; i < WINEVENT_MAX_VALUE * 3; i++)
		s[n++] = 'y';
	n += (size_t)snprintf(s + n, cap - n, "</Data></EventData></Event>");
	ev = parse(s, n, 0, NULL, err, sizeof(err));
	assert_int_equal(ev->fields[0].vlen, WINEVENT_MAX_VALUE);
	assert_int_equal(ev->values_cut, 1);

	/* A document longer than WINEVENT_MAX_XML is refused as too big. */
	n = (size_t)snprintf(s, cap, "<Event><System><EventID>1</EventID></System><!--");
	memset(s + n, '-', cap - n);
	parse(s, cap, VIGIL_ERR_TOOBIG, NULL, err, sizeof(err));
	free(s);
}

/* <System> first, the named values when asked for, the whole event before it fires. */
static void
test_head_then_tail(void **state)
{
	static struct winevent ev;
	char err[128], *bad;
	size_t n, used;

	assert_int_equal(winevent_parse_head(&ev, ev4625, strlen(ev4625), err, sizeof(err)), 0);
	assert_int_equal(ev.tail, WINEVENT_TAIL_PENDING);
	assert_int_equal(ev.event_id, 4625);
	assert_int_equal(ev.record_id, 199519);
	assert_string_equal(ev.channel, "Security");
	assert_int_equal(ev.nfields, 0);
	/* A <System> value leaves the rest unread; a named one reads it. */
	assert_string_equal(winevent_value(&ev, "computer", &n), "MAY-KE-TOAN-01");
	assert_int_equal(ev.tail, WINEVENT_TAIL_PENDING);
	assert_string_equal(winevent_value(&ev, "TargetUserName", &n), "Nguyễn Văn An");
	assert_int_equal(ev.tail, WINEVENT_TAIL_DONE);
	assert_int_equal(ev.nfields, 9);
	expect(&ev, "IpPort", "51234");
	assert_int_equal(winevent_parse_tail(&ev, &used, err, sizeof(err)), 0);

	/* The rest read on its own says where the event ends, as winevent_parse() does. */
	assert_int_equal(winevent_parse_head(&ev, ev1102, strlen(ev1102), err, sizeof(err)), 0);
	assert_int_equal(winevent_parse_tail(&ev, &used, err, sizeof(err)), 0);
	assert_int_equal(used, strlen(ev1102));
	expect(&ev, "SubjectUserName", "tran.thi.binh");

	/* A tail that is not well-formed: the head reads, the values do not, and say why. */
	assert_non_null(bad = strdup(ev4625));
	memcpy(strstr(bad, "</EventData>"), "</EventDatx>", 12);
	parse(bad, strlen(bad), VIGIL_ERR_INVAL, NULL, err, sizeof(err));
	assert_int_equal(winevent_parse_head(&ev, bad, strlen(bad), err, sizeof(err)), 0);
	assert_int_equal(ev.event_id, 4625);
	assert_null(winevent_value(&ev, "TargetUserName", &n));
	assert_int_equal(ev.tail, WINEVENT_TAIL_FAILED);
	assert_int_equal(ev.nfields, 0);
	assert_int_equal(winevent_parse_tail(&ev, NULL, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "does not close"));
	free(bad);

	/* No EventID in <System> is refused by the head, as by the whole. */
	assert_int_equal(winevent_parse_head(&ev, "<Event><System><Channel>S</Channel></System>"
	    "<EventData/></Event>", 64, err, sizeof(err)), VIGIL_ERR_MISSING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eventdata),
	    cmocka_unit_test(test_userdata),
	    cmocka_unit_test(test_unnamed_and_entities),
	    cmocka_unit_test(test_concatenated),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_head_then_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
