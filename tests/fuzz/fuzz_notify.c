/*
 * libFuzzer target: the notification texts (collector/template.c) fed with
 * what agents and configurations put into them, and the mail they become
 * (notify_smtp_format(), notify_split_addresses()).
 *
 * Input: 32 bytes of numbers (category, severity, level, language, UTC
 * offset, related incidents, times, event count), then strings separated by
 * FUZZ_SEP: title, status, unit, host, contact, the evidence lines (split
 * at '\n'), the sender's display name, the sender's address and the
 * recipients' address list.
 *
 * What must hold:
 * - the subject is one line of valid UTF-8 without any control character;
 *   the body is valid UTF-8 whose only control character is '\n'; the JSON
 *   for webhooks and commands is one well-formed RFC 8259 object; each fits
 *   its buffer and says so when it was cut;
 * - the mail's header has nothing but its nine fields, each line ends in
 *   CRLF and holds only printable ASCII, no line is longer than 998 nor,
 *   with an encoded word in it, than 76, every encoded word is at most 75
 *   characters and holds whole UTF-8 characters,
 *   and the words decode back to the cleaned subject and display name: no
 *   header injection, nothing lost;
 * - the body is base64 lines of at most 76 characters;
 * - every recipient accepted is a plain address of printable ASCII.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "vigil/err.h"
#include "vigil/text.h"
#include "../../collector/notify.h"
#include "../../collector/template.h"

#define NPARTS 9
#define WORD_MAX 75              /* RFC 2047 2 */

static void
fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_notify: %s\n%s\n", what, text != NULL ? text : "");
	abort();
}

/* ---- a strict JSON syntax check (RFC 8259), for template_json() ---------------- */

struct jp {
	const unsigned char *s;
	size_t n, i;
	int depth;
};

static int jp_value(struct jp *p);

static void
jp_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
	    p->s[p->i] == '\r'))
		p->i++;
}

static int
jp_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
jp_string(struct jp *p)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return -1;
	for (p->i++; p->i < p->n; p->i++) {
		unsigned char c = p->s[p->i];

		if (c == '"') {
			p->i++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\')
			continue;
		if (++p->i >= p->n)
			return -1;
		c = p->s[p->i];
		if (c == 'u') {
			if (p->i + 4 >= p->n || !jp_hex(p->s[p->i + 1]) || !jp_hex(p->s[p->i + 2]) ||
			    !jp_hex(p->s[p->i + 3]) || !jp_hex(p->s[p->i + 4]))
				return -1;
			p->i += 4;
		} else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return -1;
	}
	return -1;
}

static int
jp_digits(struct jp *p)
{
	size_t start = p->i;

	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > start ? 0 : -1;
}

static int
jp_number(struct jp *p)
{
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0')
		p->i++;
	else if (jp_digits(p) != 0)
		return -1;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (jp_digits(p) != 0)
			return -1;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (jp_digits(p) != 0)
			return -1;
	}
	return 0;
}

static int
jp_container(struct jp *p, unsigned char open, unsigned char close)
{
	if (++p->depth > 16)
		return -1;
	p->i++;
	jp_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		p->depth--;
		return 0;
	}
	for (;;) {
		jp_ws(p);
		if (open == '{') {
			if (jp_string(p) != 0)
				return -1;
			jp_ws(p);
			if (p->i >= p->n || p->s[p->i++] != ':')
				return -1;
		}
		if (jp_value(p) != 0)
			return -1;
		jp_ws(p);
		if (p->i >= p->n)
			return -1;
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i++] != close)
			return -1;
		p->depth--;
		return 0;
	}
}

static int
jp_value(struct jp *p)
{
	static const char *const lit[] = { "true", "false", "null" };

	jp_ws(p);
	if (p->i >= p->n)
		return -1;
	switch (p->s[p->i]) {
	case '{':
		return jp_container(p, '{', '}');
	case '[':
		return jp_container(p, '[', ']');
	case '"':
		return jp_string(p);
	default:
		for (size_t k = 0; k < 3; k++)
			if (p->n - p->i >= strlen(lit[k]) &&
			    memcmp(p->s + p->i, lit[k], strlen(lit[k])) == 0) {
				p->i += strlen(lit[k]);
				return 0;
			}
		return jp_number(p);
	}
}

static void
check_json(const char *doc, size_t len)
{
	struct jp p = { (const unsigned char *)doc, len, 0, 0 };

	if (len == 0 || doc[0] != '{' || !text_utf8_valid(doc, len) || jp_value(&p) != 0 ||
	    p.i != len)
		fail("template_json() wrote what is not one JSON object", doc);
}

/* ---- the texts --------------------------------------------------------------------- */

/* No C0, DEL or C1 control character, except those in allow. */
static void
check_controls(const char *what, const char *s, const char *allow)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; p[i] != '\0'; i++) {
		if ((p[i] < 0x20 || p[i] == 0x7f) && strchr(allow, p[i]) == NULL)
			fail(what, s);
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			fail(what, s);
	}
}

static void
check_text(const char *what, const char *buf, size_t cap, int rc, const char *allow)
{
	size_t len = strlen(buf);

	if (rc == VIGIL_ERR_NOMEM)
		return;
	if ((rc != VIGIL_ERR_TOOBIG && (rc < 0 || (size_t)rc != len)) || len >= cap)
		fail(what, "a length that is not the text's");
	if (!text_utf8_valid(buf, len))
		fail(what, "not valid UTF-8");
	check_controls(what, buf, allow);
}

/* ---- the mail ------------------------------------------------------------------------ */

/* RFC 2047 words (B encoding) between p and end, appended decoded to out. */
static void
decode_words(const char *p, const char *end, char *out, size_t *outlen, size_t cap,
    const char *msg)
{
	unsigned char dec[128];

	while (p < end) {
		const char *w = p, *close;
		size_t b64;
		int n, pad = 0;

		if ((size_t)(end - p) < 12 || memcmp(p, "=?UTF-8?B?", 10) != 0)
			fail("a header holds something other than encoded words", msg);
		if ((close = strstr(p + 10, "?=")) == NULL || close + 2 > end)
			fail("an encoded word is not closed", msg);
		b64 = (size_t)(close - (p + 10));
		if ((size_t)(close + 2 - w) > WORD_MAX)
			fail("an encoded word is longer than 75 characters", msg);
		if (b64 == 0 || b64 % 4 != 0 || b64 > 4 * (sizeof(dec) / 3))
			fail("an encoded word's base64 is malformed", msg);
		n = EVP_DecodeBlock(dec, (const unsigned char *)p + 10, (int)b64);
		if (n < 0)
			fail("an encoded word's base64 is malformed", msg);
		pad = (p[10 + b64 - 1] == '=') + (p[10 + b64 - 2] == '=');
		n -= pad;
		if (!text_utf8_valid((const char *)dec, (size_t)n))
			fail("an encoded word does not hold whole UTF-8 characters", msg);
		if (*outlen + (size_t)n >= cap)
			fail("the encoded words decode to more than was given", msg);
		memcpy(out + *outlen, dec, (size_t)n);
		*outlen += (size_t)n;
		p = close + 2;
		/* Words are folded: CRLF and a space between them. */
		if (p < end) {
			if ((size_t)(end - p) < 3 || memcmp(p, "\r\n ", 3) != 0)
				fail("encoded words are not folded with CRLF SP", msg);
			p += 3;
		}
	}
	out[*outlen] = '\0';
}

/* The value of a header field: from after "Name: " to the CRLF that ends it (folds inside). */
static void
field_value(const char *msg, const char *hdr_end, const char *name, const char **start,
    const char **end)
{
	const char *p = strncmp(msg, name, strlen(name)) == 0 ? msg : NULL;
	char at[64];

	if (p == NULL) {
		snprintf(at, sizeof(at), "\r\n%s", name);
		if ((p = strstr(msg, at)) == NULL || p > hdr_end)
			fail("a header field is missing", name);
		p += 2;
	}
	*start = p + strlen(name);
	for (*end = *start; (*end = strstr(*end, "\r\n")) != NULL && (*end)[2] == ' '; *end += 2)
		;
}

static void
check_mail(const char *msg, size_t len, const char *subject, const char *from_name,
    const char *from)
{
	static const char *const fields[] = { "From: ", "To: ", "Subject: ", "Date: ",
		"Message-ID: ", "MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: ",
		"Auto-Submitted: " };
	char want[TEMPLATE_SUBJECT_MAX], got[TEMPLATE_SUBJECT_MAX], angle[300];
	const char *p = msg, *end = msg + len, *hdr_end, *eol, *v, *vend, *lt;
	size_t gotlen;

	if ((hdr_end = strstr(msg, "\r\n\r\n")) == NULL)
		fail("the mail has no end of header", msg);
	/* Every header line: printable ASCII, CRLF-terminated, a known field or a fold. */
	while (p < hdr_end + 2) {
		size_t k;

		eol = strstr(p, "\r\n");
		if ((size_t)(eol - p) > 998)
			fail("a header line is longer than 998 characters", msg);
		/*
		 * RFC 2047 2: a line with an encoded word is at most 76 characters.
		 * Ours start a line or follow "Subject: " or "From: " ("=?" may also be
		 * in an address, where it is no encoded word).
		 */
		if ((size_t)(eol - p) > 76 && (strncmp(p, " =?UTF-8?B?", 11) == 0 ||
		    strncmp(p, "Subject: =?UTF-8?B?", 19) == 0 ||
		    strncmp(p, "From: =?UTF-8?B?", 16) == 0))
			fail("a header line with an encoded word is longer than 76 characters", msg);
		for (const char *q = p; q < eol; q++)
			if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
				fail("a header line holds a control or non-ASCII byte", msg);
		if (*p != ' ') {
			for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
				if (strncmp(p, fields[k], strlen(fields[k])) == 0)
					break;
			if (k == sizeof(fields) / sizeof(fields[0]))
				fail("the header has a field of its own making (injection)", msg);
		}
		p = eol + 2;
	}
	/* Subject: its words decode to the cleaned subject. */
	field_value(msg, hdr_end, "Subject: ", &v, &vend);
	template_clean_line(want, sizeof(want), subject);
	gotlen = 0;
	decode_words(v, vend, got, &gotlen, sizeof(got), msg);
	if (strcmp(got, want) != 0)
		fail("the subject does not decode to what was given", msg);
	/* From: the display name, plain or encoded, then <address>. */
	field_value(msg, hdr_end, "From: ", &v, &vend);
	snprintf(angle, sizeof(angle), "<%s>", from);
	lt = vend - strlen(angle);
	if (lt < v || strncmp(lt, angle, strlen(angle)) != 0)
		fail("the From field does not end in the sender's address", msg);
	/* Between the name and the address: one space, or a fold. */
	if (lt > v && lt[-1] == ' ')
		lt -= lt - v >= 3 && strncmp(lt - 3, "\r\n ", 3) == 0 ? 3 : 1;
	/* notify_smtp.c keeps a display name to 255 bytes (the configuration's is at most 127). */
	template_clean_line(want, 256, from_name);
	if (want[0] == '\0') {
		if (lt != v)
			fail("an empty display name left something in From", msg);
	} else if (strncmp(v, "=?UTF-8?B?", 10) == 0) {
		gotlen = 0;
		decode_words(v, lt, got, &gotlen, sizeof(got), msg);
		if (strcmp(got, want) != 0)
			fail("the display name does not decode to what was given", msg);
	} else if ((size_t)(lt - v) != strlen(want) || strncmp(v, want, strlen(want)) != 0)
		fail("the plain display name is not what was given", msg);
	/* The body: base64 lines. */
	for (p = hdr_end + 4; p < end; p = eol + 2) {
		if ((eol = strstr(p, "\r\n")) == NULL)
			fail("the body does not end in CRLF", msg);
		if (eol - p > 76 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/=") != (size_t)(eol - p))
			fail("a body line is not base64 of at most 76 characters", msg);
	}
}

/* ---- the input ------------------------------------------------------------------------ */

static int64_t
i64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return (int64_t)v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char subject[TEMPLATE_SUBJECT_MAX], body[TEMPLATE_BODY_MAX],
	    json[TEMPLATE_JSON_MAX], mail[TEMPLATE_BODY_MAX * 2], addrs[NOTIFY_TARGET_MAX];
	static const int64_t related[40] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43,
		47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137,
		139, 149, 151, 157, 163, 167, INT64_MAX };
	uint8_t num[32] = { 0 };
	char *parts[NPARTS], *ev[TEMPLATE_EVIDENCE_MAX + 4], *rcpt[NOTIFY_RCPT_MAX];
	struct notification n;
	size_t nev = 0;
	int rc, nrcpt;

	memcpy(num, data, size < sizeof(num) ? size : sizeof(num));
	data += size < sizeof(num) ? size : sizeof(num);
	size -= size < sizeof(num) ? size : sizeof(num);
	fuzz_split(data, size, NPARTS, parts, NULL);

	memset(&n, 0, sizeof(n));
	n.category = (int8_t)num[0];
	n.severity = (int8_t)num[1];
	n.level = (int8_t)num[2];
	n.language = num[3] & 1 ? "en" : num[3] & 2 ? NULL : "vi";
	n.nrelated = num[6] % 41;
	n.related = related;
	n.incident = num[7];
	n.first_us = i64(num + 8);
	n.last_us = i64(num + 16);
	n.events = i64(num + 24);
	n.title = parts[0];
	n.status = parts[1];
	n.unit = parts[2];
	n.host = parts[3];
	n.contact = parts[4];
	for (char *line = parts[5], *nl; nev < TEMPLATE_EVIDENCE_MAX + 4; line = nl + 1) {
		ev[nev++] = line;
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		*nl = '\0';
	}
	n.evidence = (const char *const *)ev;
	n.nevidence = nev;

	rc = template_subject(&n, subject, sizeof(subject));
	check_text("template_subject", subject, sizeof(subject), rc, "");
	rc = template_body(&n, (int16_t)(num[4] << 8 | num[5]) % 1440, body, sizeof(body));
	check_text("template_body", body, sizeof(body), rc, "\n");
	rc = template_json(&n, (int16_t)(num[4] << 8 | num[5]) % 1440, json, sizeof(json));
	if (rc >= 0)
		check_json(json, (size_t)rc);
	else if (rc != VIGIL_ERR_TOOBIG && rc != VIGIL_ERR_NOMEM)
		fail("template_json", "an unexpected error");

	nrcpt = notify_split_addresses(parts[8], addrs, sizeof(addrs), rcpt, NOTIFY_RCPT_MAX);
	if (nrcpt > NOTIFY_RCPT_MAX)
		fail("notify_split_addresses", "more recipients than allowed");
	for (int i = 0; i < nrcpt; i++)
		for (const char *q = rcpt[i]; *q != '\0'; q++)
			if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f ||
			    strchr("<>()[]\\,;:\"", *q) != NULL)
				fail("notify_split_addresses accepted a special character", rcpt[i]);
	if (nrcpt > 0) {
		rc = notify_smtp_format(parts[7], parts[6], rcpt, (size_t)nrcpt, subject, body,
		    n.first_us, (int16_t)(num[4] << 8 | num[5]) % 1440, "42.1.1.1764000000000000",
		    mail, sizeof(mail));
		if (rc >= 0) {
			if ((size_t)rc != strlen(mail))
				fail("notify_smtp_format", "a length that is not the mail's");
			check_mail(mail, (size_t)rc, subject, parts[6], parts[7]);
		}
	}
	fuzz_split_free(NPARTS, parts);
	return 0;
}
