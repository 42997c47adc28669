/*
 * notify.c and notify_smtp.c: the backoff schedule, address checks, the RFC
 * 5322 message, and the dispatcher's retry bookkeeping driven through the
 * exec channel with /bin/true and /bin/false (no network).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "vigil/text.h"

#include "../../collector/notify.h"

#define T_NOW 1795600803000000LL /* 2026-11-25T10:00:03Z, a Wednesday */

static void
test_backoff_defaults(void **state)
{
	struct notify_conf c;
	static const long long want[] = {0, 30000, 120000, 480000, 1920000, 3600000};

	notify_conf_defaults(&c);
	assert_int_equal(c.max_attempts, 6);
	assert_int_equal(notify_backoff_ms(&c, 0), -1);
	for (int k = 1; k <= 6; k++)
		assert_int_equal(notify_backoff_ms(&c, k), want[k - 1]);
	assert_int_equal(notify_backoff_ms(&c, 7), -1);
}

static void
test_backoff_configured(void **state)
{
	struct notify_conf c;
	static const long long want[] = {0, 50, 100, 200, 400, 800, 1000, 1000, 1000, 1000};

	notify_conf_defaults(&c);
	c.max_attempts = 10;
	c.retry_base_ms = 50;
	c.retry_factor = 2;
	c.retry_max_ms = 1000;
	for (int k = 1; k <= 10; k++)
		assert_int_equal(notify_backoff_ms(&c, k), want[k - 1]);
	assert_int_equal(notify_backoff_ms(&c, 11), -1);
	/* A factor of 1 is a fixed interval; a huge attempt number does not overflow. */
	c.retry_factor = 1;
	assert_int_equal(notify_backoff_ms(&c, 9), 50);
	c.retry_factor = 1000;
	c.max_attempts = 1000;
	c.retry_max_ms = 7 * 24 * 3600 * 1000LL;
	assert_int_equal(notify_backoff_ms(&c, 999), c.retry_max_ms);
}

static void
test_split_addresses(void **state)
{
	char buf[NOTIFY_TARGET_MAX], *rcpt[NOTIFY_RCPT_MAX], many[NOTIFY_TARGET_MAX] = "";

	assert_int_equal(
	    notify_split_addresses("it@ubnd.example, head@ubnd.example  police@ca.example", buf,
	                           sizeof(buf), rcpt, NOTIFY_RCPT_MAX),
	    3);
	assert_string_equal(rcpt[0], "it@ubnd.example");
	assert_string_equal(rcpt[1], "head@ubnd.example");
	assert_string_equal(rcpt[2], "police@ca.example");
	assert_int_equal(notify_split_addresses("", buf, sizeof(buf), rcpt, 4), VIGIL_ERR_INVAL);
	assert_int_equal(notify_split_addresses("no-at-sign", buf, sizeof(buf), rcpt, 4),
	                 VIGIL_ERR_INVAL);
	assert_int_equal(notify_split_addresses("a@b@c", buf, sizeof(buf), rcpt, 4),
	                 VIGIL_ERR_INVAL);
	assert_int_equal(notify_split_addresses("@x", buf, sizeof(buf), rcpt, 4), VIGIL_ERR_INVAL);
	assert_int_equal(notify_split_addresses("<a@x>", buf, sizeof(buf), rcpt, 4),
	                 VIGIL_ERR_INVAL);
	assert_int_equal(notify_split_addresses("a@x\r\nBcc:evil@y", buf, sizeof(buf), rcpt, 4),
	                 VIGIL_ERR_INVAL);
	assert_int_equal(notify_split_addresses("\"q\"@x", buf, sizeof(buf), rcpt, 4),
	                 VIGIL_ERR_INVAL);
	assert_int_equal(notify_split_addresses("tên@x", buf, sizeof(buf), rcpt, 4),
	                 VIGIL_ERR_INVAL);
	for (int i = 0; i < NOTIFY_RCPT_MAX + 1; i++)
		strcat(many, "a@b ");
	assert_int_equal(notify_split_addresses(many, buf, sizeof(buf), rcpt, NOTIFY_RCPT_MAX),
	                 VIGIL_ERR_TOOBIG);
}

/* Decode "=?UTF-8?B?...?=" words of a folded Subject header back into text. */
static void
decode_subject(const char *hdr, char *out, size_t outlen)
{
	const char *p = hdr;
	size_t o = 0;

	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		const char *e = strstr(p + 10, "?=");
		unsigned char dec[128];
		int n, pad = 0;

		assert_non_null(e);
		assert_true(e - (p + 10) < 120);
		n = EVP_DecodeBlock(dec, (const unsigned char *)p + 10, (int)(e - (p + 10)));
		assert_true(n >= 0);
		if (e[-1] == '=')
			pad++;
		if (e[-2] == '=')
			pad++;
		assert_true(o + (size_t)(n - pad) < outlen);
		memcpy(out + o, dec, (size_t)(n - pad));
		o += (size_t)(n - pad);
		p = e + 2;
	}
	out[o] = '\0';
}

static void
test_smtp_format(void **state)
{
	char *rcpt[] = {"it@ubnd.example", "head@ubnd.example"};
	const char *subject = "[Vigil][CAO] Tấn công mạng: Dò mật khẩu SSH — máy pc-ketoan, đơn vị "
	                      "UBND phường Xuân Phương, Quận Nam Từ Liêm";
	const char *body = "Kính gửi Cán bộ CNTT,\n\nVigil phát hiện một sự cố.\n";
	char *buf = malloc(65536), got[1024], *hdr_end, *s, *e, decoded[4096];
	int len, n;

	assert_non_null(buf);
	len = notify_smtp_format("vigil@ubnd.example", "Vigil Phường X", rcpt, 2, subject, body,
	                         T_NOW, 420, "42.1.1", buf, 65536);
	assert_true(len > 0);
	assert_int_equal(len, (int)strlen(buf));
	/* Every line ends in CRLF and stays under 78 columns; the header is ASCII. */
	hdr_end = strstr(buf, "\r\n\r\n");
	assert_non_null(hdr_end);
	for (const char *p = buf, *nl; *p != '\0'; p = nl + 2) {
		nl = strstr(p, "\r\n");
		assert_non_null(nl);
		assert_true(nl - p <= 78);
		for (const char *q = p; q < nl; q++) {
			assert_true(*q != '\n' && *q != '\r');
			assert_true((unsigned char)*q < 0x80);
		}
	}
	assert_non_null(strstr(buf, "From: =?UTF-8?B?"));
	assert_non_null(strstr(buf, " <vigil@ubnd.example>\r\n"));
	assert_non_null(strstr(buf, "\r\nTo: it@ubnd.example,\r\n head@ubnd.example\r\n"));
	assert_non_null(strstr(buf, "\r\nDate: Wed, 25 Nov 2026 17:00:03 +0700\r\n"));
	assert_non_null(strstr(buf, "\r\nMessage-ID: <vigil.42.1.1@ubnd.example>\r\n"));
	assert_non_null(strstr(buf, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(buf, "\r\nContent-Transfer-Encoding: base64\r\n"));
	/* The subject comes back whole from its encoded words (folded over several lines). */
	s = strstr(buf, "\r\nSubject: ");
	assert_non_null(s);
	e = strstr(s, "\r\nDate:");
	assert_non_null(e);
	memcpy(got, s, (size_t)(e - s));
	got[e - s] = '\0';
	assert_non_null(strstr(got, "?=\r\n =?UTF-8?B?"));
	decode_subject(got, decoded, sizeof(decoded));
	assert_string_equal(decoded, subject);
	/* The body too, line by line (57 bytes, 76 columns each). */
	n = 0;
	for (const char *p = hdr_end + 4; *p != '\0'; p += strcspn(p, "\r") + 2) {
		int k = EVP_DecodeBlock((unsigned char *)decoded + n, (const unsigned char *)p,
		                        (int)strcspn(p, "\r"));

		assert_true(k > 0);
		assert_true(strcspn(p, "\r") <= 76);
		n += k;
	}
	assert_true(n >= (int)strlen(body));
	decoded[strlen(body)] = '\0';
	assert_string_equal(decoded, body);
	free(buf);
}

static void
test_smtp_format_hostile(void **state)
{
	char *rcpt[] = {"it@ubnd.example"}, *bad[] = {"it@ubnd.example\r\nBcc: x@y"};
	char *buf = malloc(65536), decoded[1024];
	char *s;

	assert_non_null(buf);
	/* CR/LF in the subject cannot start a header: it is cleaned, then encoded. */
	assert_true(notify_smtp_format("v@x.example", "Vigil", rcpt, 1, "hi\r\nBcc: victim@x", "b",
	                               T_NOW, 0, "u", buf, 65536) > 0);
	assert_null(strstr(buf, "\r\nBcc"));
	assert_non_null(strstr(buf, "From: Vigil <v@x.example>\r\n"));
	assert_non_null(strstr(buf, "+0000\r\n"));
	s = strstr(buf, "Subject: ");
	decode_subject(s, decoded, sizeof(decoded));
	assert_string_equal(decoded, "hi  Bcc: victim@x");
	assert_int_equal(
	    notify_smtp_format("v@x.example", "V", bad, 1, "s", "b", T_NOW, 0, "u", buf, 65536),
	    VIGIL_ERR_INVAL);
	assert_int_equal(
	    notify_smtp_format("v\n@x", "V", rcpt, 1, "s", "b", T_NOW, 0, "u", buf, 65536),
	    VIGIL_ERR_INVAL);
	assert_int_equal(
	    notify_smtp_format("v@x.example", "V", rcpt, 0, "s", "b", T_NOW, 0, "u", buf, 65536),
	    VIGIL_ERR_INVAL);
	/* The Message-ID's unique part cannot smuggle anything either. */
	assert_true(notify_smtp_format("v@x.example", "V", rcpt, 1, "s", "b", T_NOW, 0,
	                               "a>\r\nX: <b@c", buf, 65536) > 0);
	assert_null(strstr(buf, "\r\nX:"));
	assert_int_equal(
	    notify_smtp_format("v@x.example", "V", rcpt, 1, "s", "b", T_NOW, 0, "u", buf, 100),
	    VIGIL_ERR_TOOBIG);
	free(buf);
}

/* Reply-To: the acknowledgement mailbox, after From; none without one; no header smuggled. */
static void
test_smtp_reply_to(void **state)
{
	char *rcpt[] = {"it@ubnd.example"};
	char *buf = malloc(65536);

	(void)state;
	assert_non_null(buf);
	assert_true(notify_smtp_format_with("v@x.example", "Vigil", "acks@x.example", rcpt, 1, "s",
	                                    "b", T_NOW, 0, "u", NULL, buf, 65536) > 0);
	assert_non_null(strstr(buf, "From: Vigil <v@x.example>\r\nReply-To: <acks@x.example>\r\n"));
	assert_true(notify_smtp_format_with("v@x.example", "Vigil", "", rcpt, 1, "s", "b", T_NOW,
	                                    0, "u", NULL, buf, 65536) > 0);
	assert_null(strstr(buf, "Reply-To"));
	assert_int_equal(notify_smtp_format_with("v@x.example", "V", "a@x.example\r\nBcc: y@z",
	                                         rcpt, 1, "s", "b", T_NOW, 0, "u", NULL, buf, 65536),
	                 VIGIL_ERR_INVAL);
	free(buf);
}

/*
 * RFC 2047 2: no line holding an encoded word may pass 76 characters. A
 * long encoded display name once left its last word and a long address on
 * one line of 90 and more (found by fuzz_notify): the address now goes on a
 * folded line of its own when it does not fit.
 */
static void
test_smtp_format_long_display_name(void **state)
{
	char *rcpt[] = {"it@ubnd.example"};
	const char *from = "canh-bao.giam-sat@ubnd-phuong-7.hanoi.gov.example";
	char *buf = malloc(65536);
	int len;

	assert_non_null(buf);
	len = notify_smtp_format(from, "Hệ thống giám sát an toàn thông tin Vigil của Ủy ban "
	                         "nhân dân phường", rcpt, 1, "s", "b", T_NOW, 420, "u", buf, 65536);
	assert_true(len > 0);
	for (const char *p = buf, *nl; p < strstr(buf, "\r\n\r\n"); p = nl + 2) {
		nl = strstr(p, "\r\n");
		if (memmem(p, (size_t)(nl - p), "=?", 2) != NULL)
			assert_true(nl - p <= 76);
	}
	assert_non_null(strstr(buf, "?=\r\n <canh-bao.giam-sat@ubnd-phuong-7.hanoi.gov.example>\r\n"));
	free(buf);
}

/* ---- the dispatcher, through commands that need no network ---- */

#define MAX_SEEN 16

struct seen {
	struct event_base *base;
	size_t n;
	struct notify_attempt a[MAX_SEEN];
	char error[MAX_SEEN][NOTIFY_ERROR_MAX];
	int finals;
	int want_finals;
};

static void
on_attempt(const struct notify_attempt *a, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->a[s->n] = *a;
	strcpy(s->error[s->n], a->error);
	s->a[s->n].error = s->error[s->n];
	s->a[s->n].target = NULL;
	s->n++;
	if (a->final && ++s->finals == s->want_finals)
		event_base_loopbreak(s->base);
}

static void
give_up(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Run the loop until want_finals messages are done (or 20 s pass: a failure). */
static void
run(struct seen *s, int want_finals)
{
	struct timeval tv = {20, 0};
	struct event *guard = evtimer_new(s->base, give_up, s->base);

	s->want_finals = want_finals;
	evtimer_add(guard, &tv);
	event_base_dispatch(s->base);
	event_free(guard);
	assert_int_equal(s->finals, want_finals);
}

static const struct notification note = {
    .incident = 42,
    .title = "Dò mật khẩu SSH",
    .category = VIGIL__V1__CATEGORY__CATEGORY_ATTACK,
    .severity = VIGIL__V1__SEVERITY__SEVERITY_HIGH,
    .status = "new",
    .unit = "UBND phường X",
    .host = "pc-ketoan",
    .first_us = T_NOW,
    .last_us = T_NOW,
    .events = 1,
    .level = 1,
};

static struct notify *
dispatcher(struct seen *s, int max_attempts)
{
	struct notify_conf c;
	struct notify *n;

	memset(s, 0, sizeof(*s));
	s->base = event_base_new();
	assert_non_null(s->base);
	notify_conf_defaults(&c);
	c.max_attempts = max_attempts;
	c.retry_base_ms = 20;
	c.retry_factor = 2;
	c.exec_timeout_ms = 5000;
	n = notify_new(s->base, &c, on_attempt, s);
	assert_non_null(n);
	return n;
}

static void
done(struct notify *n, struct seen *s)
{
	notify_free(n);
	event_base_free(s->base);
}

static void
test_dispatch_success_once(void **state)
{
	struct notify_request r = {
	    .channel = NOTIFY_EXEC, .target = "/bin/true", .n = &note, .tag = 7};
	struct seen s;
	struct notify *n = dispatcher(&s, 3);
	uint64_t job = 0;

	assert_int_equal(notify_send(n, &r, &job), 0);
	assert_true(job > 0);
	assert_int_equal(notify_pending(n), 1);
	run(&s, 1);
	assert_int_equal(s.n, 1);
	assert_true(s.a[0].ok);
	assert_true(s.a[0].final);
	assert_int_equal(s.a[0].attempt, 1);
	assert_int_equal(s.a[0].tag, 7);
	assert_int_equal(s.a[0].job, job);
	assert_int_equal(s.a[0].next_us, 0);
	assert_string_equal(s.a[0].error, "");
	assert_true(s.a[0].finished_us >= s.a[0].started_us);
	assert_int_equal(notify_pending(n), 0);
	done(n, &s);
}

static void
test_dispatch_retries_then_gives_up(void **state)
{
	struct notify_request r = {.channel = NOTIFY_EXEC, .target = "/bin/false", .n = &note};
	struct seen s;
	struct notify *n = dispatcher(&s, 3);

	assert_int_equal(notify_send(n, &r, NULL), 0);
	run(&s, 1);
	assert_int_equal(s.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(s.a[i].attempt, i + 1);
		assert_false(s.a[i].ok);
		assert_int_equal(s.a[i].failure, NOTIFY_FAIL_EXIT);
		assert_int_equal(s.a[i].code, 1);
		assert_string_equal(s.a[i].error, "The command exited with status 1.");
		assert_int_equal(s.a[i].final, i == 2);
	}
	/* The next attempt was announced on the schedule (20 ms, then 40 ms) and kept. */
	assert_int_equal(s.a[0].next_us - s.a[0].finished_us, 20000);
	assert_int_equal(s.a[1].next_us - s.a[1].finished_us, 40000);
	assert_true(s.a[1].started_us >= s.a[0].next_us);
	assert_true(s.a[2].started_us >= s.a[1].next_us);
	assert_int_equal(s.a[2].next_us, 0);
	done(n, &s);
}

static void
test_dispatch_resumes_after_restart(void **state)
{
	struct notify_request r = {
	    .channel = NOTIFY_EXEC, .target = "/bin/false", .n = &note, .attempts_done = 2};
	struct seen s;
	struct notify *n = dispatcher(&s, 3);

	/* Two attempts were recorded before a restart: one is left, numbered 3. */
	assert_int_equal(notify_send(n, &r, NULL), 0);
	run(&s, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].attempt, 3);
	assert_true(s.a[0].final);
	r.attempts_done = 3;
	assert_int_equal(notify_send(n, &r, NULL), VIGIL_ERR_INVAL);
	done(n, &s);
}

static void
test_dispatch_invalid_targets(void **state)
{
	struct notify_request rel = {.channel = NOTIFY_EXEC, .target = "bin/true x", .n = &note};
	struct notify_request http = {
	    .channel = NOTIFY_WEBHOOK, .target = "http://127.0.0.1:1/", .n = &note};
	struct notify_request hdr = {.channel = NOTIFY_WEBHOOK,
	                             .target = "https://127.0.0.1:1/",
	                             .header = "X-A: 1\r\nX-B: 2",
	                             .n = &note};
	struct notify_request mail = {.channel = NOTIFY_EMAIL, .target = "a@b", .n = &note};
	struct notify_request empty = {.channel = NOTIFY_EXEC, .target = "", .n = &note};
	struct seen s;
	struct notify *n = dispatcher(&s, 5);

	/* Email without a mail server configured, and an empty target: refused at once. */
	assert_int_equal(notify_send(n, &mail, NULL), VIGIL_ERR_INVAL);
	assert_int_equal(notify_send(n, &empty, NULL), VIGIL_ERR_INVAL);
	/* Bad targets fail their first attempt and are not retried. */
	assert_int_equal(notify_send(n, &rel, NULL), 0);
	assert_int_equal(notify_send(n, &http, NULL), 0);
	assert_int_equal(notify_send(n, &hdr, NULL), 0);
	run(&s, 3);
	assert_int_equal(s.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(s.a[i].failure, NOTIFY_FAIL_INVALID);
		assert_true(s.a[i].final);
		assert_int_equal(s.a[i].attempt, 1);
		assert_true(strlen(s.a[i].error) > 10);
	}
	done(n, &s);
}

static void
test_dispatch_no_password_in_clear(void **state)
{
	struct notify_request r = {
	    .channel = NOTIFY_EMAIL, .target = "it@ubnd.example", .n = &note};
	struct notify_conf c;
	struct seen s;
	struct notify *n;

	memset(&s, 0, sizeof(s));
	s.base = event_base_new();
	notify_conf_defaults(&c);
	snprintf(c.smtp_url, sizeof(c.smtp_url), "smtp://127.0.0.1:1");
	snprintf(c.smtp_from, sizeof(c.smtp_from), "vigil@ubnd.example");
	snprintf(c.smtp_user, sizeof(c.smtp_user), "vigil");
	c.smtp_starttls = 0;
	n = notify_new(s.base, &c, on_attempt, &s);
	assert_non_null(n);
	/* A login over plain SMTP is refused before any connection, and not retried. */
	assert_int_equal(notify_send(n, &r, NULL), 0);
	run(&s, 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].failure, NOTIFY_FAIL_INVALID);
	assert_non_null(strstr(s.a[0].error, "in clear"));
	done(n, &s);
}

static void
test_dispatch_free_with_pending(void **state)
{
	struct notify_request r = {.channel = NOTIFY_EXEC, .target = "/bin/sleep 30", .n = &note};
	struct notify_request later = {
	    .channel = NOTIFY_EXEC, .target = "/bin/true", .n = &note, .not_before_us = T_NOW * 2};
	struct seen s;
	struct notify *n = dispatcher(&s, 3);
	struct timeval tv = {0, 100000};

	/* A running command and a far-off attempt: freeing kills and drops them, reporting nothing.
	 */
	assert_int_equal(notify_send(n, &r, NULL), 0);
	assert_int_equal(notify_send(n, &later, NULL), 0);
	event_base_loopexit(s.base, &tv);
	event_base_dispatch(s.base);
	assert_int_equal(notify_pending(n), 2);
	assert_int_equal(s.n, 0);
	done(n, &s);
}

static void
test_names(void **state)
{
	assert_string_equal(notify_channel_name(NOTIFY_EMAIL), "email");
	assert_string_equal(notify_channel_name(NOTIFY_EXEC), "exec");
	assert_string_equal(notify_failure_name(NOTIFY_FAIL_TLS), "tls");
	assert_string_equal(notify_failure_name(NOTIFY_FAIL_NONE), "");
}

/* A file sent with the message: multipart/mixed, the text then the file in base64 (issue 17). */
static void
test_smtp_attachment(void **state)
{
	char *rcpt[] = {"a@x.example"};
	static const char pdf[] = "%PDF-1.7 tóm tắt";
	struct notify_attachment att = {"bao-cao-2026-11.pdf", "application/pdf", pdf, sizeof(pdf) - 1};
	char *buf = malloc(65536);
	int len;

	(void)state;
	assert_non_null(buf);
	len = notify_smtp_format_with("v@x.example", "Vigil", NULL, rcpt, 1, "Báo cáo", "Kính gửi", T_NOW,
	                              420, "u1", &att, buf, 65536);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Content-Type: multipart/mixed; boundary=\"=_vigil_u1\"\r\n"));
	assert_non_null(strstr(buf, "\r\n--=_vigil_u1\r\nContent-Type: text/plain; charset=UTF-8"));
	assert_non_null(strstr(buf, "Content-Type: application/pdf; name=\"bao-cao-2026-11.pdf\""));
	assert_non_null(strstr(buf, "Content-Disposition: attachment; filename=\"bao-cao-2026-11.pdf\""));
	/* "%PDF-1.7 tóm tắt" in base64 */
	assert_non_null(strstr(buf, "JVBERi0xLjcgdMOzbSB04bqvdA==\r\n--=_vigil_u1--\r\n"));
	/* Without an attachment, the plain message as before. */
	len = notify_smtp_format_with("v@x.example", "Vigil", NULL, rcpt, 1, "s", "b", T_NOW, 420, "u1",
	                              NULL, buf, 65536);
	assert_true(len > 0);
	assert_null(strstr(buf, "multipart"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff_defaults),
	    cmocka_unit_test(test_backoff_configured),
	    cmocka_unit_test(test_split_addresses),
	    cmocka_unit_test(test_smtp_attachment),
	    cmocka_unit_test(test_smtp_format),
	    cmocka_unit_test(test_smtp_format_hostile),
	    cmocka_unit_test(test_smtp_reply_to),
	    cmocka_unit_test(test_smtp_format_long_display_name),
	    cmocka_unit_test(test_dispatch_success_once),
	    cmocka_unit_test(test_dispatch_retries_then_gives_up),
	    cmocka_unit_test(test_dispatch_resumes_after_restart),
	    cmocka_unit_test(test_dispatch_invalid_targets),
	    cmocka_unit_test(test_dispatch_no_password_in_clear),
	    cmocka_unit_test(test_dispatch_free_with_pending),
	    cmocka_unit_test(test_names),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
