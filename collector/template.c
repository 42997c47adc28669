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
#include "vigil/i18n.h"
#include "vigil/json.h"
#include "vigil/jsonw.h"
#include "vigil/names.h"
#include "vigil/sbuf.h"
#include "vigil/text.h"
#include "vigil/utf8.h"

#include "sms.h"
#include "template.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

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

/* The language a notification is written in: "en", or "vi" (the default). */
static const char *
lang(int english)
{
	return english ? "en" : "vi";
}

/* One sentence of a notification, in its contact's language (po/vi.po, po/en.po). */
#define T_(s) i18n_text_in(lang(en), s)

static const char *const severities[] = {
    N_("UNKNOWN"), N_("INFO"), N_("LOW"), N_("MEDIUM"), N_("HIGH"), N_("CRITICAL"),
};

_Static_assert(NITEMS(severities) == VIGIL__V1__SEVERITY__SEVERITY_CRITICAL + 1, "severities");

const char *
template_severity(int severity, int english)
{
	if (severity < 0 || (size_t)severity >= NITEMS(severities))
		severity = 0;
	return i18n_text_in(lang(english), severities[severity]);
}

struct category_text {
	const char *name, *advice;
};

static const struct category_text categories[] = {
    {N_("Other incident"),
     N_("Review the incident with vigilctl incident show and decide what to do.")},
    {N_("Suspicious logins"),
     N_("Check the accounts targeted; change a password that may be exposed; block the source "
        "address if it goes on.")},
    {N_("Account changes"),
     N_("Confirm the change was authorised; lock at once any account nobody recognises.")},
    {N_("Administrator rights used"), N_("Find out who used administrator rights, when and why.")},
    {N_("USB devices"),
     N_("Find out who plugged the device in; take an unknown device away; do not open files "
        "on it.")},
    {N_("Malware"),
     N_("Unplug the machine's network cable, do not switch it off, and call the IT officer at "
        "once.")},
    {N_("Anti-malware protection"),
     N_("Turn anti-malware protection back on and update its signatures.")},
    {N_("Operating-system updates"),
     N_("Install the pending updates and restart the machine if required.")},
    {N_("Software installed or removed"),
     N_("Confirm the software is allowed; remove it if it is not.")},
    {N_("Data leak"),
     N_("Stop the copying, keep the machine and the device as they are, and report to the ward "
        "Police as required.")},
    {N_("Cyber attack"),
     N_("Isolate the machine if needed, keep the logs, and inform the IT officer and the ward "
        "Police.")},
    {N_("Online fraud"),
     N_("Do not follow the fraudster's instructions or send money; keep the evidence; report to "
        "the ward Police.")},
    {N_("Monitoring agent"),
     N_("Check that the machine is on and vigil-agent is running; restart the service if "
        "needed.")},
    {N_("System"), N_("Review the incident with vigilctl incident show and decide what to do.")},
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
	return i18n_text_in(lang(english), category_of(category)->name);
}

const char *
template_advice(int category, int english)
{
	return i18n_text_in(lang(english), category_of(category)->advice);
}

static const char *
status_text(const char *status, int en)
{
	static const struct {
		const char *name, *text;
	} names[] = {
	    /* TRANSLATORS: an incident's status in a notification. */
	    {"new", N_("new")},
	    {"acknowledged", N_("acknowledged")},
	    {"in_progress", N_("in progress")},
	    {"resolved", N_("resolved")},
	    {"false_positive", N_("false positive")},
	};

	for (size_t i = 0; i < NITEMS(names); i++)
		if (strcmp(status, names[i].name) == 0)
			return T_(names[i].text);
	return NULL;
}

/*
 * One SMS part (sms.h): "[Vigil][CAO] Tấn công mạng: TITLE (pc-01)" cut so
 * that the reply instruction with the code always fits after it.
 */
static int
sms_text(const struct notification *n, char *buf, size_t len)
{
	char head[SMS_TEXT_MAX + 1], tail[128] = "", all[2 * SMS_TEXT_MAX];
	char title[TEMPLATE_FIELD_MAX], host[TEMPLATE_FIELD_MAX];
	int en = template_english(n);
	size_t hl;
	struct sbuf b;

	template_clean_line(title, sizeof(title), n->title);
	template_clean_line(host, sizeof(host), n->host);
	sbuf_init(&b, head, sizeof(head));
	sbuf_printf(&b, "[Vigil][%s] %s", template_severity(n->severity, en),
	    template_category(n->category, en));
	if (title[0] != '\0')
		sbuf_printf(&b, ": %s", title);
	if (host[0] != '\0')
		sbuf_printf(&b, " (%s)", host);
	/* "V-4821": the digits are what a phone user types back. */
	if (n->ack_code != NULL && strlen(n->ack_code) > 2)
		snprintf(tail, sizeof(tail), T_(". Reply XN %s to acknowledge"), n->ack_code + 2);
	for (hl = strlen(head);; hl = utf8_cut(head, hl, hl - 1)) {
		snprintf(all, sizeof(all), "%.*s%s", (int)hl, head, tail);
		if (sms_fit(all, strlen(all)) == strlen(all) || hl == 0)
			break;
	}
	snprintf(buf, len, "%s", all);
	return (int)strlen(buf);
}

int
template_subject(const struct notification *n, char *buf, size_t len)
{
	char title[TEMPLATE_FIELD_MAX], host[TEMPLATE_FIELD_MAX], unit[TEMPLATE_FIELD_MAX];
	int en = template_english(n);
	struct sbuf b;

	if (n->reply_subject != NULL) {
		template_clean_line(buf, len, n->reply_subject);
		return (int)strlen(buf);
	}
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
		sbuf_printf(&b, T_(" machine %s"), host);
	if (host[0] != '\0' && unit[0] != '\0')
		sbuf_str(&b, ",");
	if (unit[0] != '\0')
		sbuf_printf(&b, T_(" unit %s"), unit);
	if (n->nrelated > 0)
		sbuf_printf(&b, T_(" (+%zu more)"), n->nrelated);
	/* ack.h: a reply keeps the subject, and with it the code and the token. */
	if (n->ack_code != NULL)
		sbuf_printf(&b, " [%s%s%s]", n->ack_code, n->ack_token != NULL ? " #" : "",
		    n->ack_token != NULL ? n->ack_token : "");
	return b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
}

/* "25/11/2026 17:00:03 (UTC+07:00)" or "2026-11-25 17:00:03 (UTC+07:00)"; else "unknown". */
static void
format_time(char *dst, size_t len, int64_t us, int utc_offset_min, int en)
{
	if (text_time_people(dst, len, us, utc_offset_min, !en) == 0)
		snprintf(dst, len, "%s", T_("unknown"));
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

	if (n->reply_body != NULL) {
		sbuf_init(&b, buf, len);
		sbuf_str(&b, n->reply_body);
		return b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
	}
	if (n->short_text)
		return sms_text(n, buf, len);
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
		sbuf_printf(&b, T_("To %s,\n\n"), contact);
	sbuf_str(&b, T_("Vigil has detected a security incident that needs action.\n\n"));

	snprintf(num, sizeof(num), "#%" PRId64, n->incident);
	field(&b, T_("Incident:"), num);
	if (title[0] != '\0')
		field(&b, T_("What:"), title);
	field(&b, T_("Severity:"), template_severity(n->severity, en));
	field(&b, T_("Category:"), template_category(n->category, en));
	if (status[0] != '\0')
		field(&b, T_("Status:"), st != NULL ? st : status);
	field(&b, T_("Unit:"), unit[0] != '\0' ? unit : T_("unknown"));
	field(&b, T_("Machine:"), host[0] != '\0' ? host : T_("several machines"));
	field(&b, T_("First seen:"), first);
	field(&b, T_("Last seen:"), last);
	snprintf(num, sizeof(num), "%" PRId64, n->events);
	field(&b, T_("Events:"), num);
	if (n->level > 0) {
		snprintf(num, sizeof(num), T_("level %d"), n->level);
		field(&b, T_("Escalation:"), num);
	} else {
		field(&b, T_("Escalation:"), T_("immediate notice (mandatory)"));
	}
	if (n->nrelated > 0) {
		size_t k = n->nrelated < TEMPLATE_RELATED_MAX ? n->nrelated : TEMPLATE_RELATED_MAX;

		sbuf_str(&b, T_("\nAlso in this notification:"));
		for (size_t i = 0; i < k; i++)
			sbuf_printf(&b, " #%" PRId64, n->related[i]);
		if (k < n->nrelated)
			sbuf_printf(&b, T_(" and %zu more"), n->nrelated - k);
		sbuf_str(&b, "\n");
	}

	shown = n->nevidence < TEMPLATE_EVIDENCE_MAX ? n->nevidence : TEMPLATE_EVIDENCE_MAX;
	/* A heading over nothing but empty lines says nothing: leave it out. */
	{
		size_t full = 0;

		for (size_t i = 0; i < shown; i++)
			full += str(n->evidence[i])[0] != '\0';
		if (full == 0)
			shown = 0;
	}
	if (shown > 0) {
		if (shown < n->nevidence)
			sbuf_printf(&b, T_("\nEvidence (the first %zu of %zu lines):\n"), shown,
			            n->nevidence);
		else
			sbuf_str(&b, T_("\nEvidence:\n"));
		for (size_t i = 0; i < shown; i++) {
			const char *e = str(n->evidence[i]);

			if (e[0] == '\0')
				continue;
			text_escape(line, sizeof(line), e, strlen(e));
			sbuf_printf(&b, "  %s\n", line);
		}
	}

	sbuf_printf(&b, T_("\nWhat to do:\n  %s\n"), template_advice(n->category, en));
	if (n->ack_code != NULL && n->ack_token != NULL)
		sbuf_printf(&b, T_("\nTo acknowledge it and stop the escalation, answer this message "
		    "with XN (or OK), keeping this line:\n  XN %s #%s\n"), n->ack_code, n->ack_token);
	if (n->ack_link != NULL)
		sbuf_printf(&b, T_("\nOr, on the office network, open this link and press the "
		    "button (once):\n  %s\n"), n->ack_link);
	/* %lld, not PRId64: a catalog's sentence cannot hold a system-dependent directive. */
	sbuf_printf(&b, T_("\nAcknowledge it to stop the escalation:\n  vigilctl incident ack %lld\n"),
	            (long long)n->incident);
	sbuf_str(&b, T_("\n-- \nVigil, security monitoring\n"));
	return b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
}

int
template_json(const struct notification *n, int utc_offset_min, char *buf, size_t len)
{
	char title[TEMPLATE_FIELD_MAX], host[TEMPLATE_FIELD_MAX], unit[TEMPLATE_FIELD_MAX];
	char contact[TEMPLATE_FIELD_MAX], status[TEMPLATE_FIELD_MAX], t[64];
	char *text = NULL, *subject = NULL;
	size_t shown;
	struct jsonw w;
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
	jsonw_sbuf(&w, &b);
	jsonw_object(&w, NULL);
	jsonw_int(&w, "vigil", 1);
	jsonw_int(&w, "incident", (long long)n->incident);
	jsonw_str(&w, "title", title);
	jsonw_str(&w, "category", category_name(n->category));
	jsonw_str(&w, "severity", severity_name(n->severity));
	jsonw_str(&w, "status", status);
	jsonw_str(&w, "unit", unit);
	jsonw_str(&w, "host", host);
	text_time_rfc3339(t, sizeof(t), n->first_us);
	jsonw_str(&w, "first_seen", n->first_us > 0 ? t : "");
	text_time_rfc3339(t, sizeof(t), n->last_us);
	jsonw_str(&w, "last_seen", n->last_us > 0 ? t : "");
	jsonw_int(&w, "events", (long long)n->events);
	jsonw_int(&w, "level", n->level);
	if (n->ack_code != NULL)
		jsonw_str(&w, "code", n->ack_code);
	jsonw_str(&w, "contact", contact);
	jsonw_str(&w, "language", template_english(n) ? "en" : "vi");
	jsonw_array(&w, "related");
	for (size_t i = 0; i < n->nrelated && i < TEMPLATE_RELATED_MAX; i++)
		jsonw_int(&w, NULL, (long long)n->related[i]);
	jsonw_end(&w);
	jsonw_array(&w, "evidence");
	shown = n->nevidence < TEMPLATE_EVIDENCE_MAX ? n->nevidence : TEMPLATE_EVIDENCE_MAX;
	for (size_t i = 0; i < shown; i++) {
		char line[TEMPLATE_EVIDENCE_LINE_MAX];
		const char *e = str(n->evidence[i]);

		/* Valid UTF-8, cut like the body's lines; JSON escaping does the rest. */
		text_utf8_clean(line, sizeof(line), e, strlen(e));
		jsonw_str(&w, NULL, line);
	}
	jsonw_end(&w);
	jsonw_str(&w, "subject", subject);
	jsonw_str(&w, "text", text);
	jsonw_end(&w);
	rc = b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
out:
	free(text);
	free(subject);
	return rc;
}

char *
template_evidence(const char *raw, const char *summary, const char *fields_json)
{
	const struct json_member *m;
	struct json_object *obj = NULL;
	char err[128], *out;
	size_t n = 0, cap;

	if (raw != NULL && raw[0] != '\0')
		return strdup(raw);
	summary = summary != NULL ? summary : "";
	if (fields_json != NULL && fields_json[0] != '\0' &&
	    json_parse(fields_json, strlen(fields_json), &obj, err, sizeof(err)) != 0)
		obj = NULL;
	m = obj != NULL ? json_members(obj, &n) : NULL;
	cap = strlen(summary) + (fields_json != NULL ? strlen(fields_json) : 0) + 8;
	if ((out = malloc(cap)) == NULL) {
		json_free(obj);
		return NULL;
	}
	{
		struct sbuf b;
		size_t shown = 0;

		sbuf_init(&b, out, cap);
		sbuf_str(&b, summary);
		for (size_t i = 0; i < n; i++) {
			if (m[i].type == JSON_OBJECT)
				continue;
			sbuf_printf(&b, "%s%s=%s", shown == 0 ? (summary[0] != '\0' ? " (" : "") :
			    ", ", m[i].key, m[i].str);
			shown++;
		}
		if (shown > 0 && summary[0] != '\0')
			sbuf_str(&b, ")");
	}
	json_free(obj);
	if (out[0] == '\0') {
		free(out);
		return NULL;
	}
	return out;
}
