/* template.c: subjects, bodies and JSON in Vietnamese and English, and what outside text may not
 * do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/text.h"

#include "../../collector/template.h"

#define T_FIRST 1795600803000000LL /* 2026-11-25T10:00:03Z: 17:00:03 in Hà Nội */
#define T_LAST (T_FIRST + 95 * 1000000LL)

static const char *const evidence[] = {
    "Nov 25 17:00:01 pc-ketoan sshd[812]: Failed password for root from 203.0.113.9 port 51234 "
    "ssh2",
    "Nov 25 17:00:02 pc-ketoan sshd[812]: Failed password for \"admin\" from 203.0.113.9\\x",
    "a line with an escape \x1b[31m and a bell \x07",
};

static struct notification
sample(const char *language)
{
	struct notification n = {
	    .incident = 42,
	    .title = "Dò mật khẩu SSH",
	    .category = VIGIL__V1__CATEGORY__CATEGORY_ATTACK,
	    .severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH,
	    .status = "new",
	    .unit = "UBND phường X",
	    .host = "pc-ketoan",
	    .first_us = T_FIRST,
	    .last_us = T_LAST,
	    .events = 17,
	    .evidence = evidence,
	    .nevidence = 3,
	    .level = 1,
	    .contact = "Cán bộ CNTT",
	    .language = language,
	};

	return n;
}

static int
has_control(const char *s, int allow_newline)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && !(allow_newline && *s == '\n')) || *s == 0x7f)
			return 1;
	return 0;
}

static void
test_subject_vietnamese(void **state)
{
	struct notification n = sample(NULL);
	char buf[TEMPLATE_SUBJECT_MAX];
	int len = template_subject(&n, buf, sizeof(buf));

	assert_int_equal(len, (int)strlen(buf));
	assert_string_equal(buf, "[Vigil][CAO] Tấn công mạng: Dò mật khẩu SSH — máy pc-ketoan, "
	                         "đơn vị UBND phường X");
	n.language = "xx"; /* unknown: the default */
	template_subject(&n, buf, sizeof(buf));
	assert_non_null(strstr(buf, "[CAO]"));
}

static void
test_subject_english(void **state)
{
	struct notification n = sample("en");
	char buf[TEMPLATE_SUBJECT_MAX];

	template_subject(&n, buf, sizeof(buf));
	assert_string_equal(buf, "[Vigil][HIGH] Cyber attack: Dò mật khẩu SSH — machine pc-ketoan, "
	                         "unit UBND phường X");
	n.host = "";
	n.title = NULL;
	n.severity = VIGIL__V1__SEVERITY__SEVERITY_CRITICAL;
	n.category = VIGIL__V1__CATEGORY__CATEGORY_DATA_LEAK;
	template_subject(&n, buf, sizeof(buf));
	assert_string_equal(buf, "[Vigil][CRITICAL] Data leak — unit UBND phường X");
}

static void
test_subject_no_header_injection(void **state)
{
	struct notification n = sample(NULL);
	char buf[TEMPLATE_SUBJECT_MAX];

	n.title = "x\r\nBcc: victim@example.org";
	n.host = "pc\n\x85"
	         "01";        /* LF and a C1 control (NEL) */
	n.unit = "u\xff\xfe"; /* invalid UTF-8 */
	assert_true(template_subject(&n, buf, sizeof(buf)) > 0);
	assert_false(has_control(buf, 0));
	assert_null(strchr(buf, '\r'));
	assert_null(strchr(buf, '\n'));
	assert_null(strstr(buf, "\xc2\x85"));
	assert_true(text_utf8_valid(buf, strlen(buf)));
	assert_non_null(strstr(buf, "x  Bcc: victim@example.org"));
}

static void
test_subject_cut_cleanly(void **state)
{
	struct notification n = sample(NULL);
	char buf[24];

	/* "[Vigil][CAO] Tấn công" cut inside a two-byte letter must not leave half of it. */
	assert_int_equal(template_subject(&n, buf, sizeof(buf)), VIGIL_ERR_TOOBIG);
	assert_true(strlen(buf) < sizeof(buf));
	assert_true(text_utf8_valid(buf, strlen(buf)));
}

static void
test_body_vietnamese(void **state)
{
	struct notification n = sample("vi");
	char *buf = malloc(TEMPLATE_BODY_MAX);
	int len;

	assert_non_null(buf);
	len = template_body(&n, 420, buf, TEMPLATE_BODY_MAX);
	assert_int_equal(len, (int)strlen(buf));
	assert_true(text_utf8_valid(buf, (size_t)len));
	assert_false(has_control(buf, 1));
	assert_non_null(strstr(buf, "Kính gửi Cán bộ CNTT,"));
	assert_non_null(strstr(buf, "#42"));
	assert_non_null(strstr(buf, "Mức độ:        CAO"));
	assert_non_null(strstr(buf, "Tấn công mạng"));
	assert_non_null(strstr(buf, "Đơn vị:        UBND phường X\n"));
	assert_non_null(strstr(buf, "Máy:           pc-ketoan\n"));
	assert_non_null(strstr(buf, "Lần đầu:       25/11/2026 17:00:03 (UTC+07:00)"));
	assert_non_null(strstr(buf, "Lần cuối:      25/11/2026 17:01:38 (UTC+07:00)"));
	assert_non_null(strstr(buf, "Số sự kiện:    17"));
	assert_non_null(strstr(buf, "cấp 1"));
	assert_non_null(strstr(buf, "Trạng thái:    mới"));
	assert_non_null(strstr(buf, "Bằng chứng:\n  Nov 25 17:00:01 pc-ketoan sshd[812]: Failed"));
	/* Evidence is escaped: quotes stay, the backslash is doubled, controls become \xHH. */
	assert_non_null(strstr(buf, "for \"admin\" from 203.0.113.9\\\\x"));
	assert_non_null(strstr(buf, "an escape \\x1b[31m and a bell \\x07"));
	assert_non_null(strstr(buf, "Việc cần làm:\n  Cô lập máy"));
	assert_non_null(strstr(buf, "vigilctl incident ack 42"));
	free(buf);
}

static void
test_body_english(void **state)
{
	struct notification n = sample("en");
	int64_t related[] = {43, 44};
	char *buf = malloc(TEMPLATE_BODY_MAX);

	assert_non_null(buf);
	n.host = NULL;
	n.level = 0;
	n.related = related;
	n.nrelated = 2;
	n.status = "in_progress";
	assert_true(template_body(&n, 420, buf, TEMPLATE_BODY_MAX) > 0);
	assert_non_null(strstr(buf, "To Cán bộ CNTT,"));
	assert_non_null(strstr(buf, "Severity:      HIGH"));
	assert_non_null(strstr(buf, "Machine:       several machines"));
	assert_non_null(strstr(buf, "First seen:    2026-11-25 17:00:03 (UTC+07:00)"));
	assert_non_null(strstr(buf, "immediate notice (mandatory)"));
	assert_non_null(strstr(buf, "Status:        in progress"));
	assert_non_null(strstr(buf, "Also in this notification: #43 #44"));
	assert_non_null(strstr(buf, "What to do:\n  Isolate the machine"));
	/* UTC, and an offset west of it. */
	assert_true(template_body(&n, -90, buf, TEMPLATE_BODY_MAX) > 0);
	assert_non_null(strstr(buf, "2026-11-25 08:30:03 (UTC-01:30)"));
	free(buf);
}

/* A sensor's event (no raw line) shows its summary and facts, never an empty heading. */
static void
test_sensor_evidence(void **state)
{
	struct notification n = sample("en");
	char *e, *buf = malloc(TEMPLATE_BODY_MAX);
	const char *lines[1];

	(void)state;
	assert_non_null(buf);
	e = template_evidence("", "Antivirus ClamAV stopped",
	    "{\"product\":\"ClamAV\",\"running\":\"no\"}");
	assert_non_null(e);
	assert_string_equal(e, "Antivirus ClamAV stopped (product=ClamAV, running=no)");
	free(e);
	e = template_evidence("Nov 25 pc sshd[1]: raw", "summary", "{\"a\":\"b\"}");
	assert_string_equal(e, "Nov 25 pc sshd[1]: raw");
	free(e);
	e = template_evidence("", "", "{\"updates.security\":\"3\"}");
	assert_string_equal(e, "updates.security=3");
	free(e);
	assert_null(template_evidence("", "", "{}"));
	assert_null(template_evidence(NULL, NULL, NULL));
	/* Only empty lines: no "Evidence:" heading at all. */
	lines[0] = "";
	n.evidence = lines;
	n.nevidence = 1;
	assert_true(template_body(&n, 420, buf, TEMPLATE_BODY_MAX) > 0);
	assert_null(strstr(buf, "Evidence"));
	free(buf);
}

static void
test_body_evidence_capped(void **state)
{
	const char *lines[TEMPLATE_EVIDENCE_MAX + 5];
	struct notification n = sample(NULL);
	char *buf = malloc(TEMPLATE_BODY_MAX), *big = malloc(5000);
	size_t count = 0;

	assert_non_null(buf);
	assert_non_null(big);
	memset(big, 'A', 4999);
	big[4999] = '\0';
	for (size_t i = 0; i < TEMPLATE_EVIDENCE_MAX + 5; i++)
		lines[i] = big;
	n.evidence = lines;
	n.nevidence = TEMPLATE_EVIDENCE_MAX + 5;
	assert_true(template_body(&n, 420, buf, TEMPLATE_BODY_MAX) > 0);
	assert_non_null(strstr(buf, "Bằng chứng (20 dòng đầu trong 25 dòng):"));
	for (const char *p = buf; (p = strstr(p, "\n  AAAA")) != NULL; p++)
		count++;
	assert_int_equal(count, TEMPLATE_EVIDENCE_MAX);
	/* One shown line is cut at its cap. */
	assert_null(strstr(buf, big + 4999 - TEMPLATE_EVIDENCE_LINE_MAX));
	/* A buffer too small: cut, still a string. */
	assert_int_equal(template_body(&n, 420, buf, 100), VIGIL_ERR_TOOBIG);
	assert_true(strlen(buf) < 100);
	assert_true(text_utf8_valid(buf, strlen(buf)));
	free(big);
	free(buf);
}

static void
test_json(void **state)
{
	struct notification n = sample("vi");
	int64_t related[] = {7};
	char *buf = malloc(TEMPLATE_JSON_MAX);
	int len;

	assert_non_null(buf);
	n.related = related;
	n.nrelated = 1;
	n.title = "quote \" backslash \\ newline \n";
	len = template_json(&n, 420, buf, TEMPLATE_JSON_MAX);
	assert_true(len > 0);
	assert_int_equal(len, (int)strlen(buf));
	assert_false(has_control(buf, 0)); /* every newline inside strings is escaped */
	assert_true(text_utf8_valid(buf, (size_t)len));
	assert_true(strncmp(buf, "{\"vigil\":1,\"incident\":42,", 25) == 0);
	assert_int_equal(buf[len - 1], '}');
	/* The title is cleaned to one line first, then escaped. */
	assert_non_null(strstr(buf, "\"title\":\"quote \\\" backslash \\\\ newline  \""));
	assert_non_null(
	    strstr(buf, "\"category\":\"attack\",\"severity\":\"high\",\"status\":\"new\""));
	assert_non_null(strstr(buf, "\"unit\":\"UBND phường X\",\"host\":\"pc-ketoan\""));
	assert_non_null(strstr(buf, "\"first_seen\":\"2026-11-25T10:00:03"));
	assert_non_null(strstr(buf, "\"events\":17,\"level\":1"));
	assert_non_null(strstr(buf, "\"language\":\"vi\",\"related\":[7],\"evidence\":[\"Nov 25"));
	assert_non_null(strstr(buf, "for \\\"admin\\\" from 203.0.113.9\\\\x\""));
	assert_non_null(strstr(buf, "an escape \\u001b[31m and a bell \\u0007\""));
	assert_non_null(strstr(buf, "\"subject\":\"[Vigil][CAO] Tấn công mạng: quote"));
	assert_non_null(strstr(buf, "\"text\":\"Kính gửi Cán bộ CNTT,\\u000a"));
	/* Too small: refused, not cut into broken JSON. */
	assert_int_equal(template_json(&n, 420, buf, 200), VIGIL_ERR_TOOBIG);
	free(buf);
}

static void
test_every_enum_has_words(void **state)
{
	for (int en = 0; en <= 1; en++) {
		for (int s = -1; s <= VIGIL__V1__SEVERITY__SEVERITY_CRITICAL + 1; s++)
			assert_true(strlen(template_severity(s, en)) > 0);
		for (int c = -1; c <= VIGIL__V1__CATEGORY__CATEGORY_SYSTEM + 1; c++) {
			assert_true(strlen(template_category(c, en)) > 0);
			assert_true(strlen(template_advice(c, en)) > 10);
		}
	}
	assert_string_equal(template_severity(99, 0), "KHÔNG RÕ");
	assert_string_equal(template_category(VIGIL__V1__CATEGORY__CATEGORY_FRAUD, 0),
	                    "Lừa đảo trực tuyến");
	assert_non_null(
	    strstr(template_advice(VIGIL__V1__CATEGORY__CATEGORY_DATA_LEAK, 0), "Công an phường"));
	assert_non_null(
	    strstr(template_advice(VIGIL__V1__CATEGORY__CATEGORY_DATA_LEAK, 1), "ward Police"));
}

static void
test_clean_line(void **state)
{
	char buf[16];

	assert_int_equal(template_clean_line(buf, sizeof(buf), "a\tb\r\nc\x7f"), 7);
	assert_string_equal(buf, "a b  c ");
	assert_int_equal(template_clean_line(buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "");
	/* Cut at a character boundary: "ệ" is three bytes. */
	template_clean_line(buf, 6, "abcệ");
	assert_string_equal(buf, "abc");
}


/*
 * Does out hold a piece of the English sentence id that its Vietnamese
 * translation does not also hold (a command, a name)? A piece is a run of
 * the sentence between format directives and line ends, of five bytes or
 * more with a letter in it.
 */
static const char *
english_in(const char *out, const char *id)
{
	static char piece[512];
	const char *vi = i18n_text_in("vi", id), *p = id, *e;
	size_t n;

	while (*p != '\0') {
		e = p + strcspn(p, "%\n");
		n = (size_t)(e - p);
		while (n > 0 && (*p == ' ' || *p == '(' || *p == ':')) {
			p++;
			n--;
		}
		while (n > 0 && strchr(" ():,.", p[n - 1]) != NULL)
			n--;
		if (n >= 5 && n < sizeof(piece)) {
			memcpy(piece, p, n);
			piece[n] = '\0';
			if (strpbrk(piece, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") &&
			    strstr(vi, piece) == NULL && strstr(out, piece) != NULL)
				return piece;
		}
		if (*e == '%') {
			/* Past the directive: flags, width, length and its letter. */
			e++;
			e += strspn(e, "-+ #0123456789.*zlh");
			if (*e != '\0')
				e++;
		} else if (*e == '\n')
			e++;
		p = e;
	}
	return NULL;
}

/*
 * A Vietnamese notification holds no English sentence: no piece of any
 * sentence of the English catalog is in its subject or body, whatever the
 * incident's severity, category, status and level (the agent's own words it
 * quotes come from an agent speaking Vietnamese: its rules' summary_vi).
 */
static void
test_vietnamese_has_no_english(void **state)
{
	static const char *const statuses[] = { "new", "acknowledged", "in_progress", "resolved",
	    "false_positive" };
	static const int64_t related[] = { 43, 44 };
	static const char *const quoted[] = { "Nov 25 17:00:01 pc-ketoan sshd[812]: 203.0.113.9" };
	char subject[TEMPLATE_SUBJECT_MAX], body[TEMPLATE_BODY_MAX];
	struct notification n = sample("vi");
	size_t ids = i18n_entries("en"), i;
	const char *hit;
	int sev, cat, k, checked = 0;

	assert_true(ids > 200);
	n.title = "Dò mật khẩu SSH từ 203.0.113.9: 5 lần sai trong 60s";
	n.evidence = quoted;
	n.nevidence = 1;
	n.related = related;
	n.nrelated = 2;
	for (sev = 0; sev <= VIGIL__V1__SEVERITY__SEVERITY_CRITICAL; sev++) {
		for (cat = 0; cat <= VIGIL__V1__CATEGORY__CATEGORY_SYSTEM; cat++) {
			n.severity = sev;
			n.category = cat;
			n.status = statuses[(sev + cat) % 5];
			n.level = cat % 3;
			n.host = cat % 2 ? "pc-ketoan" : "";
			n.unit = cat % 4 ? "UBND phường X" : "";
			n.first_us = cat == 0 ? 0 : T_FIRST;
			assert_true(template_subject(&n, subject, sizeof(subject)) > 0);
			assert_true(template_body(&n, 420, body, sizeof(body)) > 0);
			for (i = 0; i < ids; i++) {
				const char *id = i18n_entry("en", i);

				if ((hit = english_in(subject, id)) != NULL)
					fail_msg("English in a Vietnamese subject: \"%s\" in %s", hit,
					    subject);
				if ((hit = english_in(body, id)) != NULL)
					fail_msg("English in a Vietnamese body: \"%s\" in %s", hit, body);
				checked++;
			}
		}
	}
	assert_true(checked > 0);
	/* And the check can fail: the English notification is full of them. */
	n.language = "en";
	assert_true(template_body(&n, 420, body, sizeof(body)) > 0);
	for (i = 0, k = 0; i < ids; i++)
		k += english_in(body, i18n_entry("en", i)) != NULL;
	assert_true(k >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subject_vietnamese),
	    cmocka_unit_test(test_subject_english),
	    cmocka_unit_test(test_subject_no_header_injection),
	    cmocka_unit_test(test_subject_cut_cleanly),
	    cmocka_unit_test(test_body_vietnamese),
	    cmocka_unit_test(test_body_english),
	    cmocka_unit_test(test_body_evidence_capped),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_every_enum_has_words),
	    cmocka_unit_test(test_clean_line),
	    cmocka_unit_test(test_sensor_evidence),
	    cmocka_unit_test(test_vietnamese_has_no_english),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
