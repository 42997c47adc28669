/*
 * Incident codes, tokens, and reading replies (ack.h). Pure: bytes in,
 * facts out. A reply comes from outside and is hostile until checked: every
 * length is capped, every decoder stops at the end of its input, and what is
 * kept is cleaned UTF-8.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vigil/err.h"
#include "vigil/text.h"
#include "vigil/utf8.h"

#include "ack.h"

/* No 0/o, 1/l: a token may be read aloud or typed. 32 symbols, 5 bits each. */
static const char token_alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";

void
ack_code_format(int code, char *buf, size_t len)
{
	snprintf(buf, len, "V-%04d", code);
}

int
ack_token(const unsigned char *secret, size_t secretlen, int64_t incident, const char *contact,
    char out[ACK_TOKEN_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char msg[512];
	int n;
	uint64_t bits = 0;

	n = snprintf(msg, sizeof(msg), "%lld:%s", (long long)incident, contact != NULL ? contact :
	    "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return VIGIL_ERR_TOOBIG;
	if (HMAC(EVP_sha256(), secret, (int)secretlen, (const unsigned char *)msg, (size_t)n, mac,
	    &maclen) == NULL || maclen < 5)
		return VIGIL_ERR_SYS;
	for (int i = 0; i < 5; i++)
		bits = bits << 8 | mac[i];
	for (int i = 0; i < ACK_TOKEN_LEN; i++)
		out[i] = token_alphabet[(bits >> (5 * (ACK_TOKEN_LEN - 1 - i))) & 31];
	out[ACK_TOKEN_LEN] = '\0';
	return 0;
}

int
ack_token_equal(const char *a, const char *b)
{
	unsigned char d = 0;

	if (strlen(a) != ACK_TOKEN_LEN || strlen(b) != ACK_TOKEN_LEN)
		return 0;
	for (int i = 0; i < ACK_TOKEN_LEN; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* ---- folding --------------------------------------------------------------------- */

size_t
ack_fold(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t n;

	if (dstlen == 0)
		return 0;
	/* libvigil folds the letters (every Vietnamese one, composed or decomposed)... */
	n = utf8_fold(dst, dstlen, src, srclen);
	/* ...and what is left that is not an ASCII letter or digit separates words. */
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)dst[i]) || (unsigned char)dst[i] >= 0x80)
			dst[i] = ' ';
	return n;
}

/* ---- scanning a reply -------------------------------------------------------------- */

/*
 * Where the reply's own text ends: the first quoted line (">"), or a line
 * that mail programs put above what they quote.
 */
static size_t
own_text_len(const char *t)
{
	static const char *const marks[] = {
		"-----Original Message-----", "----- Original Message", "wrote:", "đã viết:",
		"viết:", "From: ", "Từ: ", "________________________________", NULL,
	};
	const char *line = t;

	while (*line != '\0') {
		const char *eol = strchr(line, '\n'), *p = line;
		size_t ll = eol != NULL ? (size_t)(eol - line) : strlen(line);

		while (p < line + ll && (*p == ' ' || *p == '\t'))
			p++;
		if (p < line + ll && *p == '>')
			return (size_t)(line - t);
		for (size_t i = 0; marks[i] != NULL; i++) {
			size_t ml = strlen(marks[i]);

			for (const char *q = line; q + ml <= line + ll; q++)
				if (strncasecmp(q, marks[i], ml) == 0)
					return (size_t)(line - t);
		}
		if (eol == NULL)
			break;
		line = eol + 1;
	}
	return strlen(t);
}

static int
has_word(const char *folded)
{
	char prev[16] = "";
	const char *p = folded;

	while (*p != '\0') {
		char w[16];
		size_t n = 0;

		while (*p == ' ')
			p++;
		while (*p != '\0' && *p != ' ') {
			if (n + 1 < sizeof(w))
				w[n++] = *p;
			p++;
		}
		w[n] = '\0';
		if (n == 0)
			break;
		if (strcmp(w, "xn") == 0 || strcmp(w, "ok") == 0 || strcmp(w, "ack") == 0 ||
		    strcmp(w, "okay") == 0 || strcmp(w, "xacnhan") == 0 ||
		    (strcmp(prev, "xac") == 0 && strcmp(w, "nhan") == 0))
			return 1;
		snprintf(prev, sizeof(prev), "%s", w);
	}
	return 0;
}

/* The first code in s: "V-4821", "V4821", "v 4821", or (bare) "4821" standing alone. */
static int
find_code(const char *s, int bare)
{
	for (const char *p = s; *p != '\0'; p++) {
		const char *d = p;
		int v = 0;

		if (p > s && isalnum((unsigned char)p[-1]))
			continue;
		if (*d == 'V' || *d == 'v') {
			d++;
			if (*d == '-' || *d == ' ')
				d++;
		} else if (!bare) {
			continue;
		}
		for (int i = 0; i < 4; i++, d++) {
			if (!isdigit((unsigned char)*d))
				goto next;
			v = v * 10 + (*d - '0');
		}
		if (isalnum((unsigned char)*d))
			continue;
		if (v >= ACK_CODE_MIN && v <= ACK_CODE_MAX)
			return v;
next:;
	}
	return 0;
}

static void
find_tokens(const char *s, struct ack_found *f)
{
	for (const char *p = strchr(s, '#'); p != NULL && f->ntokens < ACK_TOKENS_MAX;
	    p = strchr(p + 1, '#')) {
		char t[ACK_TOKEN_LEN + 1];
		int i;

		for (i = 0; i < ACK_TOKEN_LEN; i++) {
			char c = (char)tolower((unsigned char)p[1 + i]);

			if (c == '\0' || strchr(token_alphabet, c) == NULL)
				break;
			t[i] = c;
		}
		if (i < ACK_TOKEN_LEN || isalnum((unsigned char)p[1 + ACK_TOKEN_LEN]))
			continue;
		t[ACK_TOKEN_LEN] = '\0';
		for (size_t j = 0; j < f->ntokens; j++)
			if (strcmp(f->tokens[j], t) == 0)
				goto dup;
		memcpy(f->tokens[f->ntokens++], t, sizeof(t));
dup:;
	}
}

void
ack_scan(const char *subject, const char *text, int bare_code, struct ack_found *f)
{
	char *own, *folded;
	size_t ol;

	memset(f, 0, sizeof(*f));
	subject = subject != NULL ? subject : "";
	text = text != NULL ? text : "";
	ol = own_text_len(text);
	if ((own = strndup(text, ol)) == NULL || (folded = malloc(ol + 1)) == NULL) {
		free(own);
		return;
	}
	ack_fold(folded, ol + 1, own, ol);
	f->word = has_word(folded);
	/* The code: the subject's, else the reply's own, else the quoted notification's. */
	if ((f->code = find_code(subject, 0)) == 0 && (f->code = find_code(own, bare_code)) == 0)
		f->code = find_code(text, 0);
	find_tokens(subject, f);
	find_tokens(text, f);
	free(own);
	free(folded);
}

/* ---- mail ------------------------------------------------------------------------ */

/* The end of the header block: the offset of the body, or len when there is none. */
static size_t
header_end(const char *s, size_t len, size_t *hlen)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\n')
			continue;
		if (i + 1 < len && s[i + 1] == '\n') {
			*hlen = i + 1;
			return i + 2;
		}
		if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			*hlen = i + 1;
			return i + 3;
		}
	}
	*hlen = len;
	return len;
}

/* The unfolded value of header name in h[0..hlen), into buf; 0 when found. */
static int
header_get(const char *h, size_t hlen, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name), o = 0;
	const char *p = h, *end = h + hlen;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;

			for (;;) {
				for (; v < eol; v++) {
					if (*v == '\r')
						continue;
					if (o + 1 < len)
						buf[o++] = *v == '\t' ? ' ' : *v;
				}
				/* Continuation lines begin with a space or a tab. */
				if (eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
					v = eol + 1;
					eol = memchr(v, '\n', (size_t)(end - v));
					if (eol == NULL)
						eol = end;
					continue;
				}
				break;
			}
			buf[o] = '\0';
			/* trim */
			while (buf[0] == ' ')
				memmove(buf, buf + 1, strlen(buf));
			while (o > 0 && buf[o - 1] == ' ')
				buf[--o] = '\0';
			return 0;
		}
		p = eol + 1;
	}
	if (len > 0)
		buf[0] = '\0';
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 from s (skipping anything else) into d (room: dlen); returns the length. */
static size_t
b64_decode(const char *s, size_t len, char *d, size_t dlen)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len && s[i] != '='; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0)
			continue;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o < dlen)
				d[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	return o;
}

/* Quoted-printable; under_space: "_" is a space (RFC 2047's Q). */
static size_t
qp_decode(const char *s, size_t len, char *d, size_t dlen, int under_space)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o < dlen; i++) {
		if (s[i] == '=' && i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
			i++;                              /* a soft line break */
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
		} else if (s[i] == '=' && i + 2 < len && text_hex_digit(s[i + 1]) >= 0 &&
		    text_hex_digit(s[i + 2]) >= 0) {
			d[o++] = (char)(text_hex_digit(s[i + 1]) << 4 | text_hex_digit(s[i + 2]));
			i += 2;
		} else if (under_space && s[i] == '_') {
			d[o++] = ' ';
		} else {
			d[o++] = s[i];
		}
	}
	return o;
}

/* RFC 2047 encoded words (=?charset?B|Q?text?=) decoded; the rest copied. */
static void
rfc2047_decode(const char *s, char *d, size_t dlen)
{
	size_t o = 0;
	int last_word = 0;

	while (*s != '\0' && o + 1 < dlen) {
		const char *q1, *q2, *end;

		if (s[0] == '=' && s[1] == '?' && (q1 = strchr(s + 2, '?')) != NULL &&
		    q1[1] != '\0' && q1[2] == '?' && (end = strstr(q1 + 3, "?=")) != NULL) {
			char raw[1024], cs[64], *u;
			size_t n, un;

			q2 = q1 + 3;
			if (toupper((unsigned char)q1[1]) == 'B')
				n = b64_decode(q2, (size_t)(end - q2), raw, sizeof(raw));
			else
				n = qp_decode(q2, (size_t)(end - q2), raw, sizeof(raw), 1);
			/* The word's charset (RFC 2231 may add "*language"). */
			snprintf(cs, sizeof(cs), "%.*s", (int)(q1 - (s + 2)), s + 2);
			cs[strcspn(cs, "*")] = '\0';
			if ((u = ack_charset_utf8(cs, raw, n, &un)) != NULL) {
				if (un > dlen - 1 - o)
					un = dlen - 1 - o;
				memcpy(d + o, u, un);
				o += un;
				free(u);
			}
			s = end + 2;
			last_word = 1;
			continue;
		}
		/* Spaces between two encoded words are not part of the text. */
		if (last_word && (*s == ' ' || *s == '\t')) {
			const char *n = s;

			while (*n == ' ' || *n == '\t')
				n++;
			if (n[0] == '=' && n[1] == '?') {
				s = n;
				continue;
			}
		}
		last_word = 0;
		d[o++] = *s++;
	}
	d[o] = '\0';
}

/* The value of parameter name (boundary=, charset=) in a Content-Type value. */
static int
param_get(const char *v, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);

	for (const char *p = strchr(v, ';'); p != NULL; p = strchr(p + 1, ';')) {
		const char *q = p + 1;
		size_t o = 0;

		while (*q == ' ')
			q++;
		if (strncasecmp(q, name, nl) != 0 || q[nl] != '=')
			continue;
		q += nl + 1;
		if (*q == '"') {
			q++;
			while (*q != '\0' && *q != '"' && o + 1 < len)
				buf[o++] = *q++;
		} else {
			while (*q != '\0' && *q != ';' && *q != ' ' && o + 1 < len)
				buf[o++] = *q++;
		}
		buf[o] = '\0';
		return o > 0 ? 0 : -1;
	}
	return -1;
}

static void
strip_tags(char *s)
{
	char *o = s;
	int in = 0;

	for (char *p = s; *p != '\0'; p++) {
		if (*p == '<')
			in = 1;
		else if (*p == '>' && in)
			in = 0, *o++ = ' ';
		else if (!in)
			*o++ = *p;
	}
	*o = '\0';
}

/*
 * The text of one entity (headers and body) into *text when none is found
 * yet: text/plain is taken, text/html kept in *html as a fallback.
 */
static int
entity_text(const char *s, size_t len, int depth, char **text, char **html)
{
	char ct[512], cte[64], boundary[200], charset[64];
	size_t hlen, body = header_end(s, len, &hlen), blen = len - body;
	char *out;
	size_t n;

	if (header_get(s, hlen, "Content-Type", ct, sizeof(ct)) != 0)
		snprintf(ct, sizeof(ct), "text/plain");
	if (header_get(s, hlen, "Content-Transfer-Encoding", cte, sizeof(cte)) != 0)
		cte[0] = '\0';
	if (strncasecmp(ct, "multipart/", 10) == 0) {
		char delim[210];
		const char *p, *end = s + len;
		size_t dl;

		if (depth >= 3 || param_get(ct, "boundary", boundary, sizeof(boundary)) != 0)
			return 0;
		dl = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
		p = s + body;
		for (;;) {
			const char *start, *next;

			if ((p = memmem(p, (size_t)(end - p), delim, dl)) == NULL)
				break;
			p += dl;
			if (p + 2 <= end && p[0] == '-' && p[1] == '-')
				break;
			if ((start = memchr(p, '\n', (size_t)(end - p))) == NULL)
				break;
			start++;
			next = memmem(start, (size_t)(end - start), delim, dl);
			if (next == NULL)
				next = end;
			if (entity_text(start, (size_t)(next - start), depth + 1, text, html) < 0)
				return -1;
			if (*text != NULL)
				return 0;
			p = next;
		}
		return 0;
	}
	if (strncasecmp(ct, "text/plain", 10) != 0 && strncasecmp(ct, "text/html", 9) != 0)
		return 0;
	if (blen > ACK_MAIL_MAX)
		blen = ACK_MAIL_MAX;
	if ((out = malloc(blen + 1)) == NULL)
		return -1;
	if (strcasecmp(cte, "base64") == 0)
		n = b64_decode(s + body, blen, out, blen);
	else if (strcasecmp(cte, "quoted-printable") == 0)
		n = qp_decode(s + body, blen, out, blen, 0);
	else
		n = (memcpy(out, s + body, blen), blen);
	out[n] = '\0';
	/* Bytes in the part's charset (UTF-16 holds NULs: by length, not as a string). */
	if (param_get(ct, "charset", charset, sizeof(charset)) == 0) {
		char *u = ack_charset_utf8(charset, out, n, &n);

		free(out);
		if ((out = u) == NULL)
			return -1;
	}
	if (strncasecmp(ct, "text/html", 9) == 0) {
		strip_tags(out);
		if (*html == NULL)
			*html = out;
		else
			free(out);
		return 0;
	}
	*text = out;
	return 0;
}

static void
addr_of(const char *v, char *buf, size_t len)
{
	const char *lt = strrchr(v, '<'), *a = v, *e;
	size_t o = 0;

	if (lt != NULL && strchr(lt, '>') != NULL) {
		a = lt + 1;
		e = strchr(a, '>');
	} else {
		while (*a == ' ')
			a++;
		e = a + strcspn(a, " \t,;");
	}
	for (; a < e && o + 1 < len; a++) {
		unsigned char c = (unsigned char)*a;

		/* An addr-spec is printable ASCII; anything else makes no address at all. */
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>') {
			o = 0;
			break;
		}
		buf[o++] = (char)tolower(c);
	}
	buf[o] = '\0';
	if (strchr(buf, '@') == NULL)
		buf[0] = '\0';
}

int
ack_mail_parse(const char *raw, size_t len, struct ack_mail *m)
{
	char v[1024], *text = NULL, *html = NULL, *clean;
	size_t hlen;

	memset(m, 0, sizeof(*m));
	if (len > ACK_MAIL_MAX)
		return VIGIL_ERR_TOOBIG;
	if (memchr(raw, '\0', len) != NULL)
		return VIGIL_ERR_DECODE;
	(void)header_end(raw, len, &hlen);
	if (header_get(raw, hlen, "From", v, sizeof(v)) != 0)
		return VIGIL_ERR_DECODE;
	addr_of(v, m->from, sizeof(m->from));
	if (header_get(raw, hlen, "Subject", v, sizeof(v)) == 0) {
		char dec[1024];

		rfc2047_decode(v, dec, sizeof(dec));
		text_utf8_clean(m->subject, sizeof(m->subject), dec, strlen(dec));
		for (char *p = m->subject; *p != '\0'; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = ' ';
	}
	if (header_get(raw, hlen, "Message-ID", v, sizeof(v)) == 0)
		text_escape(m->msgid, sizeof(m->msgid), v, strlen(v));
	if ((header_get(raw, hlen, "Auto-Submitted", v, sizeof(v)) == 0 &&
	    strncasecmp(v, "no", 2) != 0) ||
	    (header_get(raw, hlen, "Precedence", v, sizeof(v)) == 0 &&
	    (strcasecmp(v, "bulk") == 0 || strcasecmp(v, "junk") == 0 ||
	    strcasecmp(v, "list") == 0)))
		m->auto_reply = 1;
	if (entity_text(raw, len, 0, &text, &html) != 0) {
		free(text);
		free(html);
		return VIGIL_ERR_NOMEM;
	}
	if (text == NULL) {
		text = html;
		html = NULL;
	}
	free(html);
	if (text == NULL)
		text = strdup("");
	if (text == NULL)
		return VIGIL_ERR_NOMEM;
	/* Valid UTF-8 with its line ends; other control characters go. */
	if ((clean = malloc(ACK_TEXT_MAX)) == NULL) {
		free(text);
		return VIGIL_ERR_NOMEM;
	}
	text_utf8_clean(clean, ACK_TEXT_MAX, text, strlen(text));
	free(text);
	for (char *p = clean; *p != '\0'; p++)
		if (((unsigned char)*p < ' ' && *p != '\n' && *p != '\t') || *p == 0x7f)
			*p = ' ';
	m->text = clean;
	return 0;
}

void
ack_mail_clear(struct ack_mail *m)
{
	free(m->text);
	m->text = NULL;
}

/* ---- IMAP answers ------------------------------------------------------------------ */

const char *
ack_imap_literal(const char *resp, size_t len, size_t *litlen)
{
	const char *p = memchr(resp, '{', len), *end = resp + len;
	unsigned long long n = 0;

	if (p == NULL)
		return NULL;
	for (p++; p < end && isdigit((unsigned char)*p); p++) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > ACK_MAIL_MAX * 4ULL)
			return NULL;
	}
	if (p + 3 > end || p[0] != '}' || p[1] != '\r' || p[2] != '\n')
		return NULL;
	p += 3;
	if ((size_t)(end - p) < n)
		return NULL;
	*litlen = (size_t)n;
	return p;
}

size_t
ack_imap_search(const char *resp, size_t len, uint32_t *uids, size_t max)
{
	const char *p = memmem(resp, len, "* SEARCH", 8), *end = resp + len;
	size_t n = 0;

	if (p == NULL)
		return 0;
	for (p += 8; p < end && *p != '\r' && *p != '\n' && n < max;) {
		unsigned long v = 0;
		int digits = 0;

		while (p < end && *p == ' ')
			p++;
		while (p < end && isdigit((unsigned char)*p) && digits < 10) {
			v = v * 10 + (unsigned long)(*p++ - '0');
			digits++;
		}
		if (digits == 0)
			break;
		if (v > 0 && v <= UINT32_MAX)
			uids[n++] = (uint32_t)v;
	}
	return n;
}
