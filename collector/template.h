/*
 * What a notification says, in Vietnamese (the default) or English: the
 * subject, the plain-text body and the JSON document that webhooks receive
 * and exec'd commands read on stdin. Pure: the caller passes every fact and
 * the buffers; nothing here reads a clock or the store.
 *
 * Every string in struct notification comes from outside (agents, config,
 * operators) and is cleaned on the way out: the subject and the one-line
 * fields lose their control characters (no CR or LF can reach a mail
 * header), evidence lines are escaped with text_escape(), and the JSON is
 * built with text_json_escape().
 */
#ifndef VIGIL_TEMPLATE_H
#define VIGIL_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#define TEMPLATE_EVIDENCE_MAX 20       /* evidence lines shown */
#define TEMPLATE_EVIDENCE_LINE_MAX 600 /* bytes of one shown line, after escaping */
#define TEMPLATE_FIELD_MAX 256         /* bytes of a one-line field (title, unit...) */
#define TEMPLATE_RELATED_MAX 32        /* other incidents listed by id */
#define TEMPLATE_SUBJECT_MAX 1024
#define TEMPLATE_BODY_MAX 32768
#define TEMPLATE_JSON_MAX 131072

/* One incident as a person must hear about it. Strings are borrowed; NULL reads as "". */
struct notification {
	int64_t incident;            /* incident id */
	const char *title;           /* "Dò mật khẩu SSH" */
	int category;                /* proto enum value */
	int severity;                /* proto enum value */
	const char *status;          /* incident_status_name(): "new", "acknowledged"... */
	const char *unit;            /* the agent's unit */
	const char *host;            /* the machine (agent id); "" when several */
	int64_t first_us, last_us;   /* first and last seen, µs since the epoch */
	int64_t events;              /* event count */
	const char *const *evidence; /* raw lines, the first TEMPLATE_EVIDENCE_MAX shown */
	size_t nevidence;
	int level;              /* 0: immediate notice (notify_now); 1..: chain level */
	const char *contact;    /* display name of the person or office */
	const char *language;   /* "vi" (default, also for NULL or unknown) or "en" */
	const int64_t *related; /* other incidents in the same notification (grouping) */
	size_t nrelated;
	/* acknowledgement by reply (ack.h); NULL: not offered */
	const char *ack_code;   /* "V-4821" */
	const char *ack_token;  /* the contact's token for this incident */
	const char *ack_link;   /* https://.../a/TOKEN (ack_http.c); NULL: none */
	int short_text;         /* the body is one SMS part (sms.h), not the full mail */
	/* a reply to an official (ack_imap.c): said as is, instead of the incident texts */
	const char *reply_subject;
	const char *reply_body;
};

/* 1 when n is to be written in English, 0 for Vietnamese. */
int template_english(const struct notification *n);

/*
 * One event's evidence line for a notification: its raw log line; for an
 * event without one (a sensor's: av.*, updates.*, usb.*) its summary and the
 * facts it carries, "Antivirus stopped (product=ClamAV, running=no)", so that
 * the Evidence part is never an empty heading. Returns a malloc'd string, or
 * NULL when there is nothing to show (or no memory).
 */
char *template_evidence(const char *raw, const char *summary, const char *fields_json);

/* "CAO" / "HIGH": the severity in plain words, upper case. */
const char *template_severity(int severity, int english);
/* "Tấn công mạng" / "Cyber attack". */
const char *template_category(int category, int english);
/* One or two sentences: what to do now for this category. */
const char *template_advice(int category, int english);

/*
 * The subject, one line of UTF-8 without control characters:
 *   [Vigil][CAO] Tấn công mạng: Dò mật khẩu SSH — máy pc-ketoan, đơn vị UBND phường X
 * Returns its length, or VIGIL_ERR_TOOBIG when it did not fit (the buffer
 * then holds a cleanly cut subject).
 */
int template_subject(const struct notification *n, char *buf, size_t len);

/*
 * The body: what happened, when (local time at utc_offset_min, +420 for
 * Asia/Ho_Chi_Minh), where, the evidence lines, and what to do. Lines end in
 * "\n". Returns its length, or VIGIL_ERR_TOOBIG (cut cleanly).
 */
int template_body(const struct notification *n, int utc_offset_min, char *buf, size_t len);

/*
 * One JSON object (no trailing newline):
 *   {"vigil":1,"incident":12,"title":"...","category":"attack","severity":"high",
 *    "status":"new","unit":"...","host":"...","first_seen":"RFC 3339",
 *    "last_seen":"...","events":5,"level":1,"contact":"...","language":"vi",
 *    "related":[13,14],"evidence":["..."],"subject":"...","text":"...the body..."}
 * Returns its length, VIGIL_ERR_TOOBIG (nothing usable in buf) or VIGIL_ERR_NOMEM.
 */
int template_json(const struct notification *n, int utc_offset_min, char *buf, size_t len);

/*
 * Copy src into dst (capacity dstlen, NUL-terminated) as valid UTF-8 with every
 * control character (C0, DEL, C1) turned into a space, cut at a character
 * boundary: safe for a mail header or a one-line field. Returns the length.
 */
size_t template_clean_line(char *dst, size_t dstlen, const char *src);

#endif
