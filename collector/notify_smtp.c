/*
 * Email through SMTP with libcurl: STARTTLS (required when configured) or
 * implicit TLS (smtps://), AUTH, several recipients, and an RFC 5322 message
 * whose header holds nothing from outside but encoded words and checked
 * addresses.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/sbuf.h"
#include "vigil/tz.h"
#include "vigil/utf8.h"

#include "notify.h"

#define SMTP_MESSAGE_MAX (TEMPLATE_BODY_MAX * 2) /* base64 of the body and the header */
#define WORD_RAW_MAX 39 /* bytes per encoded word: "Subject: " + 64 columns stays under 76 */

static void
mb_base64(struct sbuf *b, const char *s, size_t n)
{
	unsigned char out[80];

	/* 57 input bytes make 76 output columns and a NUL. */
	while (n > 0) {
		size_t k = n < 57 ? n : 57;
		int m = EVP_EncodeBlock(out, (const unsigned char *)s, (int)k);

		sbuf_put(b, (const char *)out, (size_t)m);
		s += k;
		n -= k;
	}
}

static int
addr_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("<>()[]\\,;:\"", c) == NULL;
}

/* A plain addr-spec: local@domain, printable ASCII, no specials. */
static int
addr_ok(const char *a)
{
	const char *at = strchr(a, '@');
	size_t len = strlen(a);

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL || len > 254)
		return 0;
	for (const char *p = a; *p != '\0'; p++)
		if (!addr_char_ok((unsigned char)*p))
			return 0;
	return 1;
}

int
notify_split_addresses(const char *target, char *buf, size_t buflen, char **rcpt, size_t max)
{
	size_t n = 0;
	char *p, *save = NULL;

	if (strlen(target) >= buflen)
		return VIGIL_ERR_TOOBIG;
	memcpy(buf, target, strlen(target) + 1);
	for (p = strtok_r(buf, " \t,", &save); p != NULL; p = strtok_r(NULL, " \t,", &save)) {
		if (!addr_ok(p))
			return VIGIL_ERR_INVAL;
		if (n == max)
			return VIGIL_ERR_TOOBIG;
		rcpt[n++] = p;
	}
	return n == 0 ? VIGIL_ERR_INVAL : (int)n;
}

/* s as RFC 2047 encoded words, each of at most WORD_RAW_MAX bytes cut on character bounds. */
static void
mb_encoded_words(struct sbuf *b, const char *s)
{
	size_t n = strlen(s), off = 0;

	if (n == 0)
		return;
	while (off < n) {
		size_t k = n - off < WORD_RAW_MAX ? n - off : WORD_RAW_MAX;

		/* A word holds whole characters (at least one byte, whatever the text). */
		if ((k = utf8_cut(s + off, n - off, k)) == 0)
			k = 1;
		if (off > 0)
			sbuf_str(b, "\r\n ");
		sbuf_str(b, "=?UTF-8?B?");
		mb_base64(b, s + off, k);
		sbuf_str(b, "?=");
		off += k;
	}
}

/* Characters on the message's last line so far. */
static size_t
mb_column(const struct sbuf *b)
{
	size_t i = b->len;

	while (i > 0 && b->p[i - 1] != '\n')
		i--;
	return b->len - i;
}

/*
 * A display name, as it is when plain ASCII words, else encoded, then the
 * space before the address that follows (addrlen characters with its angle
 * brackets). RFC 2047 allows no line holding an encoded word to pass 76
 * characters, so after encoded words a long address goes on a line of its
 * own.
 */
static void
mb_display_name(struct sbuf *b, const char *name, size_t addrlen)
{
	char clean[256];
	int plain = 1;

	template_clean_line(clean, sizeof(clean), name);
	for (const char *p = clean; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == ' ' || *p == '-' || *p == '.'))
			plain = 0;
	if (clean[0] == '\0')
		return;
	if (plain) {
		sbuf_str(b, clean);
		sbuf_str(b, " ");
		return;
	}
	mb_encoded_words(b, clean);
	sbuf_str(b, mb_column(b) + 1 + addrlen > 76 ? "\r\n " : " ");
}

int
notify_smtp_format(const char *from, const char *from_name, char *const *rcpt, size_t nrcpt,
                   const char *subject, const char *body, int64_t now_us, int utc_offset_min,
                   const char *msgid_unique, char *buf, size_t len)
{
	return notify_smtp_format_with(from, from_name, NULL, rcpt, nrcpt, subject, body, now_us,
	                               utc_offset_min, msgid_unique, NULL, buf, len);
}

int
notify_smtp_format_with(const char *from, const char *from_name, const char *reply_to,
                        char *const *rcpt, size_t nrcpt, const char *subject,
                        const char *body, int64_t now_us, int utc_offset_min,
                        const char *msgid_unique, const struct notify_attachment *att,
                        char *buf, size_t len)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct sbuf b;
	char line[512], clean[TEMPLATE_SUBJECT_MAX], uniq[128];
	struct tm tm;
	time_t t;
	int off = utc_offset_min < 0 ? -utc_offset_min : utc_offset_min;

	if (len == 0)
		return VIGIL_ERR_TOOBIG;
	sbuf_init(&b, buf, len);
	if (!addr_ok(from) || nrcpt == 0)
		return VIGIL_ERR_INVAL;
	if (reply_to != NULL && reply_to[0] != '\0' && !addr_ok(reply_to))
		return VIGIL_ERR_INVAL;
	for (size_t i = 0; i < nrcpt; i++)
		if (!addr_ok(rcpt[i]))
			return VIGIL_ERR_INVAL;

	sbuf_str(&b, "From: ");
	mb_display_name(&b, from_name, strlen(from) + 2);
	snprintf(line, sizeof(line), "<%s>\r\n", from);
	sbuf_str(&b, line);
	/* Replies (the acknowledgements) go to the mailbox Vigil reads. */
	if (reply_to != NULL && reply_to[0] != '\0') {
		snprintf(line, sizeof(line), "Reply-To: <%s>\r\n", reply_to);
		sbuf_str(&b, line);
	}
	sbuf_str(&b, "To: ");
	for (size_t i = 0; i < nrcpt; i++) {
		sbuf_str(&b, rcpt[i]);
		sbuf_str(&b, i + 1 < nrcpt ? ",\r\n " : "\r\n");
	}
	sbuf_str(&b, "Subject: ");
	template_clean_line(clean, sizeof(clean), subject);
	mb_encoded_words(&b, clean);
	sbuf_str(&b, "\r\n");

	t = (time_t)(now_us / 1000000) + (time_t)utc_offset_min * 60;
	if (gmtime_r(&t, &tm) == NULL)
		return VIGIL_ERR_INVAL;
	snprintf(line, sizeof(line), "Date: %s, %02d %s %04d %02d:%02d:%02d %c%02d%02d\r\n",
	         days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, utc_offset_min < 0 ? '-' : '+', off / 60, off % 60);
	sbuf_str(&b, line);

	/* The unique part is ours, but keep to atext in case a caller passes something odd. */
	snprintf(uniq, sizeof(uniq), "%s", msgid_unique != NULL ? msgid_unique : "");
	for (char *p = uniq; *p != '\0'; p++)
		if (!addr_char_ok((unsigned char)*p) || *p == '@')
			*p = '.';
	snprintf(line, sizeof(line), "Message-ID: <vigil.%s@%s>\r\n", uniq, strchr(from, '@') + 1);
	sbuf_str(&b, line);
	sbuf_str(&b, "MIME-Version: 1.0\r\n");
	if (att != NULL) {
		/* The boundary is ours and cannot occur in base64 lines (it holds "=_"). */
		snprintf(line, sizeof(line), "Content-Type: multipart/mixed; boundary=\"=_vigil_%s\""
		         "\r\nAuto-Submitted: auto-generated\r\n\r\n--=_vigil_%s\r\n", uniq, uniq);
		sbuf_str(&b, line);
	}
	sbuf_str(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
	           "Content-Transfer-Encoding: base64\r\n");
	if (att == NULL)
		sbuf_str(&b, "Auto-Submitted: auto-generated\r\n");
	sbuf_str(&b, "\r\n");
	for (size_t n = strlen(body), o = 0; o < n; o += 57) {
		mb_base64(&b, body + o, n - o < 57 ? n - o : 57);
		sbuf_str(&b, "\r\n");
	}
	if (att != NULL) {
		snprintf(line, sizeof(line), "--=_vigil_%s\r\nContent-Type: %s; name=\"%s\"\r\n"
		         "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; "
		         "filename=\"%s\"\r\n\r\n", uniq, att->type, att->name, att->name);
		sbuf_str(&b, line);
		for (size_t o = 0; o < att->len; o += 57) {
			mb_base64(&b, (const char *)att->data + o, att->len - o < 57 ? att->len - o : 57);
			sbuf_str(&b, "\r\n");
		}
		snprintf(line, sizeof(line), "--=_vigil_%s--\r\n", uniq);
		sbuf_str(&b, line);
	}
	return b.trunc ? VIGIL_ERR_TOOBIG : (int)b.len;
}

static size_t
smtp_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct notify_curl_attempt *a = arg;
	size_t n = size * nmemb, left = a->upload_len - a->upload_off;

	if (n > left)
		n = left;
	memcpy(ptr, a->upload + a->upload_off, n);
	a->upload_off += n;
	return n;
}

static void
smtp_done(struct notify_job *j, int curlcode)
{
	char err[NOTIFY_ERROR_MAX];
	enum notify_failure f;
	long code = 0;

	curl_easy_getinfo(((struct notify_curl_attempt *)j->attempt_state)->easy,
	                  CURLINFO_RESPONSE_CODE, &code);
	f = notify_curl_failure(j, curlcode, err, sizeof(err));
	/* A 4xx or 5xx reply (sender or recipients refused, message rejected) is the server's "no".
	 */
	if (f == NOTIFY_FAIL_OTHER && code >= 400)
		f = NOTIFY_FAIL_REFUSED;
	notify_curl_abort(j);
	if (f == NOTIFY_FAIL_NONE)
		notify_job_done(j, f, code, "%s", "");
	else if (f == NOTIFY_FAIL_REFUSED)
		notify_job_done(j, f, code, _("The mail server refused the message: %s"), err);
	else
		notify_job_done(j, f, code, _("The mail server could not be used: %s"), err);
}

static void
smtp_start(struct notify_job *j)
{
	const struct notify_conf *c = notify_conf_of(j->n);
	char addrs[NOTIFY_TARGET_MAX], *rcpt[NOTIFY_RCPT_MAX], uniq[96], from[330];
	struct notify_curl_attempt *a;
	struct notify_attachment att;
	struct curl_slist *l;
	size_t max = SMTP_MESSAGE_MAX + (j->attach != NULL ? j->attach_len / 57 * 78 + 78 + 1024 : 0);
	int nrcpt, rc, smtps = strncasecmp(c->smtp_url, "smtps://", 8) == 0;

	if (!smtps && strncasecmp(c->smtp_url, "smtp://", 7) != 0) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0,
		                _("The mail server URL %s is neither smtp:// nor smtps://."),
		                c->smtp_url);
		return;
	}
	if (c->smtp_user[0] != '\0' && !smtps && !c->smtp_starttls) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0, "%s",
		                _("The mail server login would cross the network in clear: set "
		                  "smtp_starttls or use smtps://."));
		return;
	}
	nrcpt = notify_split_addresses(j->target, addrs, sizeof(addrs), rcpt, NOTIFY_RCPT_MAX);
	if (nrcpt < 0) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0,
		                _("The address list is not usable (%s): each must be a plain "
		                  "user@domain, at most %d."),
		                vigil_strerror(nrcpt), NOTIFY_RCPT_MAX);
		return;
	}
	if ((a = notify_curl_begin(j)) == NULL || (a->upload = malloc(max)) == NULL) {
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, "%s", _("Out of memory."));
		return;
	}
	snprintf(uniq, sizeof(uniq), "%" PRId64 ".%" PRIu64 ".%d.%" PRId64, j->incident, j->id,
	         j->attempt, j->started_us);
	att.name = j->attach_name;
	att.type = j->attach_type;
	att.data = j->attach;
	att.len = j->attach_len;
	rc = notify_smtp_format_with(c->smtp_from, c->smtp_from_name, c->smtp_reply_to, rcpt,
	                             (size_t)nrcpt, j->subject, j->body, j->started_us,
	                             c->zone ? tz_offset_min(j->started_us) : c->utc_offset_min,
	                             uniq, j->attach != NULL ? &att : NULL,
	                             a->upload, max);
	if (rc < 0) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0,
		                _("The message could not be written (%s): check smtp_from."),
		                vigil_strerror(rc));
		return;
	}
	a->upload_len = (size_t)rc;
	a->upload_off = 0;

	for (int i = 0; i < nrcpt; i++) {
		char r[300];

		snprintf(r, sizeof(r), "<%s>", rcpt[i]);
		if ((l = curl_slist_append(a->list, r)) == NULL) {
			notify_job_done(j, NOTIFY_FAIL_OTHER, 0, "%s", _("Out of memory."));
			return;
		}
		a->list = l;
	}
	snprintf(from, sizeof(from), "<%s>", c->smtp_from);
	curl_easy_setopt(a->easy, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(a->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(a->easy, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(a->easy, CURLOPT_MAIL_RCPT, a->list);
	curl_easy_setopt(a->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(a->easy, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(a->easy, CURLOPT_READDATA, a);
	curl_easy_setopt(a->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)a->upload_len);
	curl_easy_setopt(a->easy, CURLOPT_USE_SSL,
	                 smtps || c->smtp_starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (c->smtp_user[0] != '\0') {
		curl_easy_setopt(a->easy, CURLOPT_USERNAME, c->smtp_user);
		curl_easy_setopt(a->easy, CURLOPT_PASSWORD, c->smtp_password);
	}
	notify_curl_start(j, c->smtp_ca, smtp_done);
}

/* Email needs a server and a sender before any message can go. */
static int
smtp_usable(const struct notify_conf *c)
{
	return c->smtp_url[0] == '\0' || c->smtp_from[0] == '\0' ? VIGIL_ERR_INVAL : 0;
}

const struct notify_driver notify_email = {
	.name = "email",
	.usable = smtp_usable,
	.init = notify_curl_init,
	.fini = notify_curl_fini,
	.start = smtp_start,
	.abort = notify_curl_abort,
};
