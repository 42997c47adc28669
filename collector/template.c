/*
 * Notification texts in Vietnamese and English. See template.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "vigil/names.h"
#include "vigil/sbuf.h"
#include "vigil/text.h"
#include "vigil/utf8.h"

#include "template.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A JSON string, quotes included. */
static void
sb_json(struct sbuf *b, const char *s)
{
	size_t n, slen = strlen(s);
	char *tmp;

	/* Every input byte becomes at most six ("\u001f"), so the escape is never cut. */
	tmp = malloc(slen * 6 + 1);
	if (tmp == NULL) {
		b->trunc = 1;
		return;
	}
	n = text_json_escape(tmp, slen * 6 + 1, s, slen);
	sbuf_put(b, "\"", 1);
	sbuf_put(b, tmp, n);
	sbuf_put(b, "\"", 1);
	free(tmp);
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

size_t
template_clean_line(char *dst, size_t dstlen, const char *src)
{
	size_t n, i, o;

	if (dstlen == 0)
		return 0;
	src = str(src);
	n = text_utf8_clean(dst, dstlen, src, strlen(src));
	for (i = 0, o = 0; i < n; i++) {
		unsigned char c = (unsigned char)dst[i];

		if (c < 0x20 || c == 0x7f) {
			dst[o++] = ' ';
		} else if (c == 0xC2 && i + 1 < n && (unsigned char)dst[i + 1] >= 0x80 &&
		           (unsigned char)dst[i + 1] <= 0x9f) {
			/* A C1 control (U+0080..U+009F) is two bytes; one space replaces both. */
			dst[o++] = ' ';
			i++;
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return o;
}

int
template_english(const struct notification *n)
{
	return n->language != NULL && strcmp(n->language, "en") == 0;
}

static const char *const severity_vi[] = {
    "KHÔNG RÕ", "THÔNG TIN", "THẤP", "TRUNG BÌNH", "CAO", "NGHIÊM TRỌNG",
};
static const char *const severity_en[] = {
    "UNKNOWN", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL",
};

_Static_assert(NITEMS(severity_vi) == VIGIL__V1__SEVERITY__SEVERITY_CRITICAL + 1, "severities");
_Static_assert(NITEMS(severity_en) == NITEMS(severity_vi), "severities");

const char *
template_severity(int severity, int english)
{
	if (severity < 0 || (size_t)severity >= NITEMS(severity_vi))
		severity = 0;
	return english ? severity_en[severity] : severity_vi[severity];
}

struct category_text {
	const char *vi, *en;
	const char *advice_vi, *advice_en;
};

static const struct category_text categories[] = {
    {"Sự cố khác", "Other incident",
     "Xem chi tiết sự cố bằng lệnh vigilctl incident show và quyết định cách xử lý.",
     "Review the incident with vigilctl incident show and decide what to do."},
    {"Đăng nhập bất thường", "Suspicious logins",
     "Kiểm tra tài khoản bị nhắm tới; đổi mật khẩu nếu có thể đã lộ; chặn địa chỉ nguồn nếu "
     "còn tiếp diễn.",
     "Check the accounts targeted; change a password that may be exposed; block the source "
     "address if it goes on."},
    {"Thay đổi tài khoản", "Account changes",
     "Xác minh thay đổi có được phép không; khóa ngay tài khoản không ai nhận.",
     "Confirm the change was authorised; lock at once any account nobody recognises."},
    {"Sử dụng quyền quản trị", "Administrator rights used",
     "Xác minh ai đã dùng quyền quản trị, vào lúc nào và vì sao.",
     "Find out who used administrator rights, when and why."},
    {"Thiết bị USB", "USB devices",
     "Xác định người cắm thiết bị; thu giữ thiết bị lạ; không mở tệp trên thiết bị đó.",
     "Find out who plugged the device in; take an unknown device away; do not open files "
     "on it."},
    {"Mã độc", "Malware", "Rút cáp mạng của máy bị nhiễm, không tắt máy, báo ngay cán bộ CNTT.",
     "Unplug the machine's network cable, do not switch it off, and call the IT officer at "
     "once."},
    {"Phần mềm phòng chống mã độc", "Anti-malware protection",
     "Bật lại phần mềm phòng chống mã độc và cập nhật cơ sở dữ liệu nhận dạng.",
     "Turn anti-malware protection back on and update its signatures."},
    {"Cập nhật hệ điều hành", "Operating-system updates",
     "Cài các bản cập nhật còn thiếu và khởi động lại máy nếu cần.",
     "Install the pending updates and restart the machine if required."},
    {"Cài đặt phần mềm", "Software installed or removed",
     "Xác minh phần mềm có được phép cài không; gỡ bỏ nếu không được phép.",
     "Confirm the software is allowed; remove it if it is not."},
    {"Lộ lọt dữ liệu", "Data leak",
     "Dừng việc sao chép, giữ nguyên máy và thiết bị, báo ngay Công an phường theo quy định.",
     "Stop the copying, keep the machine and the device as they are, and report to the ward "
     "Police as required."},
    {"Tấn công mạng", "Cyber attack",
     "Cô lập máy bị tấn công nếu cần, giữ nguyên nhật ký, báo cán bộ CNTT và Công an phường.",
     "Isolate the machine if needed, keep the logs, and inform the IT officer and the ward "
     "Police."},
    {"Lừa đảo trực tuyến", "Online fraud",
     "Không làm theo yêu cầu của kẻ lừa đảo, không chuyển tiền, giữ bằng chứng, báo Công an "
     "phường.",
     "Do not follow the fraudster's instructions or send money; keep the evidence; report to "
     "the ward Police."},
    {"Tác tử giám sát", "Monitoring agent",
     "Kiểm tra máy còn bật và dịch vụ vigil-agent còn chạy; khởi động lại dịch vụ nếu cần.",
     "Check that the machine is on and vigil-agent is running; restart the service if "
     "needed."},
    {"Hệ thống", "System",
     "Xem chi tiết sự cố bằng lệnh vigilctl incident show và quyết định cách xử lý.",
     "Review the incident with vigilctl incident show and decide what to do."},
};

_Static_assert(NITEMS(categories) == VIGIL__V1__CATEGORY__CATEGORY_SYSTEM + 1, "categories");

static const struct category_text *
category_of(int category)
{
	if (category < 0 || (size_t)category >= NITEMS(categories))
		category = 0;
	return &categories[category];
}

const char *
template_category(int category, int english)
{
	return english ? category_of(category)->en : category_of(category)->vi;
}

const char *
template_advice(int category, int english)
{
	return english ? category_of(category)->advice_en : category_of(category)->advice_vi;
}

static const char *
status_text(const char *status, int english)
{
	static const struct {
		const char *name, *vi, *en;
	} names[] = {
	    {"new", "mới", "new"},
	    {"acknowledged", "đã tiếp nhận", "acknowledged"},
	    {"in_progress", "đang xử lý", "in progress"},
	    {"resolved", "đã xử lý xong", "resolved"},
	    {"false_positive", "báo động nhầm", "false positive"},
	};

	for (size_t i = 0; i < NITEMS(names); i++)
		if (strcmp(status, names[i].name) == 0)
			return english ? names[i].en : names[i].vi;
	return NULL;
}

int
template_subject(const struct notification *n, char *buf, size_t len)
{
	char title[TEMPLATE_FIELD_MAX], host[TEMPLATE_FIELD_MAX], unit[TEMPLATE_FIELD_MAX];
	int en = template_english(n);
	struct sbuf b;

	template_clean_line(title, sizeof(title), n->title);
	template_clean_line(host, sizeof(host), n->host);
	template_clean_line(unit, sizeof(unit), n->unit);
	sbuf_init(&b, buf, len);
	sbuf_printf(&b, "[Vigil][%s] %s", template_severity(n->severity, en),
	          template_category(n->category, en));
	if (title[0] != '\0')
		sbuf_printf(&b, ": %s", title);
	if (host[0] != '\0' || unit[0] != '\0')
		sbuf_str(&b, " —");
	if (host[0] != '\0')
		sbuf_printf(&b, " %s %s", en ? "machine" : "máy", host);
	if (host[0] != '\0' && unit[0] != '\0')
		sbuf_str(&b, ",");
	if (unit[0] != '\0')
		sbuf_printf(&b, " %s %s", en ? "unit" : "đơn vị", unit);
	if (n->nrelated > 0)
		sbuf_printf(&b, en ? " (+%zu more)" : " (+%zu sự cố khác)", n->nrelated);
	return b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
}

/* "25/11/2026 17:00:03 (UTC+07:00)" or "2026-11-25 17:00:03 (UTC+07:00)". */
static void
format_time(char *dst, size_t len, int64_t us, int utc_offset_min, int en)
{
	time_t t;
	struct tm tm;
	int off = utc_offset_min < 0 ? -utc_offset_min : utc_offset_min;

	if (us <= 0) {
		snprintf(dst, len, "%s", en ? "unknown" : "không rõ");
		return;
	}
	t = (time_t)(us / 1000000) + (time_t)utc_offset_min * 60;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(dst, len, "%s", en ? "unknown" : "không rõ");
		return;
	}
	if (en)
		snprintf(dst, len, "%04d-%02d-%02d %02d:%02d:%02d (UTC%c%02d:%02d)",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec, utc_offset_min < 0 ? '-' : '+', off / 60, off % 60);
	else
		snprintf(dst, len, "%02d/%02d/%04d %02d:%02d:%02d (UTC%c%02d:%02d)", tm.tm_mday,
		         tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		         utc_offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

/* "  Label:        value": the label padded to 14 columns, counting characters, not bytes. */
static void
field(struct sbuf *b, const char *label, const char *value)
{
	size_t cols = utf8_chars(label, strlen(label));

	sbuf_printf(b, "  %s%*s %s\n", label, cols < 14 ? (int)(14 - cols) : 0, "", value);
}

int
template_body(const struct notification *n, int utc_offset_min, char *buf, size_t len)
{
	char title[TEMPLATE_FIELD_MAX], host[TEMPLATE_FIELD_MAX], unit[TEMPLATE_FIELD_MAX];
	char contact[TEMPLATE_FIELD_MAX], status[TEMPLATE_FIELD_MAX], first[64], last[64];
	char line[TEMPLATE_EVIDENCE_LINE_MAX], num[64];
	const char *st;
	int en = template_english(n);
	size_t shown;
	struct sbuf b;

	template_clean_line(title, sizeof(title), n->title);
	template_clean_line(host, sizeof(host), n->host);
	template_clean_line(unit, sizeof(unit), n->unit);
	template_clean_line(contact, sizeof(contact), n->contact);
	template_clean_line(status, sizeof(status), n->status);
	st = status_text(status, en);
	format_time(first, sizeof(first), n->first_us, utc_offset_min, en);
	format_time(last, sizeof(last), n->last_us, utc_offset_min, en);

	sbuf_init(&b, buf, len);
	if (contact[0] != '\0')
		sbuf_printf(&b, en ? "To %s,\n\n" : "Kính gửi %s,\n\n", contact);
	sbuf_str(&b, en ? "Vigil has detected a security incident that needs action.\n\n"
	              : "Vigil phát hiện một sự cố an toàn thông tin cần được xử lý.\n\n");

	snprintf(num, sizeof(num), "#%" PRId64, n->incident);
	field(&b, en ? "Incident:" : "Sự cố:", num);
	if (title[0] != '\0')
		field(&b, en ? "What:" : "Nội dung:", title);
	field(&b, en ? "Severity:" : "Mức độ:", template_severity(n->severity, en));
	field(&b, en ? "Category:" : "Loại:", template_category(n->category, en));
	if (status[0] != '\0')
		field(&b, en ? "Status:" : "Trạng thái:", st != NULL ? st : status);
	field(&b, en ? "Unit:" : "Đơn vị:", unit[0] != '\0' ? unit : (en ? "unknown" : "không rõ"));
	field(&b, en ? "Machine:" : "Máy:",
	      host[0] != '\0' ? host : (en ? "several machines" : "nhiều máy"));
	field(&b, en ? "First seen:" : "Lần đầu:", first);
	field(&b, en ? "Last seen:" : "Lần cuối:", last);
	snprintf(num, sizeof(num), "%" PRId64, n->events);
	field(&b, en ? "Events:" : "Số sự kiện:", num);
	if (n->level > 0) {
		snprintf(num, sizeof(num), en ? "level %d" : "cấp %d", n->level);
		field(&b, en ? "Escalation:" : "Báo cáo:", num);
	} else {
		field(&b, en ? "Escalation:" : "Báo cáo:",
		      en ? "immediate notice (mandatory)" : "thông báo ngay (bắt buộc)");
	}
	if (n->nrelated > 0) {
		size_t k = n->nrelated < TEMPLATE_RELATED_MAX ? n->nrelated : TEMPLATE_RELATED_MAX;

		sbuf_str(&b, en ? "\nAlso in this notification:" : "\nCùng thông báo này còn có:");
		for (size_t i = 0; i < k; i++)
			sbuf_printf(&b, " #%" PRId64, n->related[i]);
		if (k < n->nrelated)
			sbuf_printf(&b, en ? " and %zu more" : " và %zu sự cố khác", n->nrelated - k);
		sbuf_str(&b, "\n");
	}

	shown = n->nevidence < TEMPLATE_EVIDENCE_MAX ? n->nevidence : TEMPLATE_EVIDENCE_MAX;
	if (shown > 0) {
		if (shown < n->nevidence)
			sbuf_printf(&b,
			          en ? "\nEvidence (the first %zu of %zu lines):\n"
			             : "\nBằng chứng (%zu dòng đầu trong %zu dòng):\n",
			          shown, n->nevidence);
		else
			sbuf_str(&b, en ? "\nEvidence:\n" : "\nBằng chứng:\n");
		for (size_t i = 0; i < shown; i++) {
			const char *e = str(n->evidence[i]);

			text_escape(line, sizeof(line), e, strlen(e));
			sbuf_printf(&b, "  %s\n", line);
		}
	}

	sbuf_printf(&b, en ? "\nWhat to do:\n  %s\n" : "\nViệc cần làm:\n  %s\n",
	          template_advice(n->category, en));
	sbuf_printf(&b,
	          en ? "\nAcknowledge it to stop the escalation:\n  vigilctl incident ack %" PRId64
	               "\n"
	             : "\nXác nhận đã tiếp nhận để dừng báo cáo lên cấp trên:\n"
	               "  vigilctl incident ack %" PRId64 "\n",
	          n->incident);
	sbuf_str(&b, en ? "\n-- \nVigil, security monitoring\n"
	              : "\n-- \nVigil, giám sát an toàn thông tin\n");
	return b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
}

static void
json_key_str(struct sbuf *b, const char *key, const char *value)
{
	sbuf_printf(b, ",\"%s\":", key);
	sb_json(b, value);
}

int
template_json(const struct notification *n, int utc_offset_min, char *buf, size_t len)
{
	char title[TEMPLATE_FIELD_MAX], host[TEMPLATE_FIELD_MAX], unit[TEMPLATE_FIELD_MAX];
	char contact[TEMPLATE_FIELD_MAX], status[TEMPLATE_FIELD_MAX], t[64];
	char *text = NULL, *subject = NULL;
	size_t shown;
	struct sbuf b;
	int rc;

	text = malloc(TEMPLATE_BODY_MAX);
	subject = malloc(TEMPLATE_SUBJECT_MAX);
	if (text == NULL || subject == NULL) {
		rc = VIGIL_ERR_NOMEM;
		goto out;
	}
	/* A cut subject or body is still worth sending; a cut JSON document is not. */
	(void)template_subject(n, subject, TEMPLATE_SUBJECT_MAX);
	(void)template_body(n, utc_offset_min, text, TEMPLATE_BODY_MAX);
	template_clean_line(title, sizeof(title), n->title);
	template_clean_line(host, sizeof(host), n->host);
	template_clean_line(unit, sizeof(unit), n->unit);
	template_clean_line(contact, sizeof(contact), n->contact);
	template_clean_line(status, sizeof(status), n->status);

	sbuf_init(&b, buf, len);
	sbuf_printf(&b, "{\"vigil\":1,\"incident\":%" PRId64, n->incident);
	json_key_str(&b, "title", title);
	json_key_str(&b, "category", category_name(n->category));
	json_key_str(&b, "severity", severity_name(n->severity));
	json_key_str(&b, "status", status);
	json_key_str(&b, "unit", unit);
	json_key_str(&b, "host", host);
	text_time_rfc3339(t, sizeof(t), n->first_us);
	json_key_str(&b, "first_seen", n->first_us > 0 ? t : "");
	text_time_rfc3339(t, sizeof(t), n->last_us);
	json_key_str(&b, "last_seen", n->last_us > 0 ? t : "");
	sbuf_printf(&b, ",\"events\":%" PRId64 ",\"level\":%d", n->events, n->level);
	json_key_str(&b, "contact", contact);
	json_key_str(&b, "language", template_english(n) ? "en" : "vi");
	sbuf_str(&b, ",\"related\":[");
	for (size_t i = 0; i < n->nrelated && i < TEMPLATE_RELATED_MAX; i++)
		sbuf_printf(&b, "%s%" PRId64, i > 0 ? "," : "", n->related[i]);
	sbuf_str(&b, "],\"evidence\":[");
	shown = n->nevidence < TEMPLATE_EVIDENCE_MAX ? n->nevidence : TEMPLATE_EVIDENCE_MAX;
	for (size_t i = 0; i < shown; i++) {
		char line[TEMPLATE_EVIDENCE_LINE_MAX];
		const char *e = str(n->evidence[i]);

		/* Valid UTF-8, cut like the body's lines; JSON escaping does the rest. */
		text_utf8_clean(line, sizeof(line), e, strlen(e));
		if (i > 0)
			sbuf_str(&b, ",");
		sb_json(&b, line);
	}
	sbuf_str(&b, "]");
	json_key_str(&b, "subject", subject);
	json_key_str(&b, "text", text);
	sbuf_str(&b, "}");
	rc = b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
out:
	free(text);
	free(subject);
	return rc;
}
