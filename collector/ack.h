/*
 * Acknowledgement from anywhere (issue 11), the pure part: incident codes,
 * per-contact tokens, and reading a reply.
 *
 * - An incident's code is "V-" and four digits ("V-4821"): short enough to
 *   type on a phone, unique among open incidents (store_ack.c picks it).
 * - A contact's token for an incident is 8 characters of an HMAC-SHA256 of
 *   "incident:contact" under the collector's secret (kept in the store), in
 *   an alphabet without look-alikes. Nothing per token is stored: it is
 *   worked out again when a reply comes, and it binds the reply to that
 *   contact and that incident (a forwarded mail carries another contact's
 *   token, which does not match the sender).
 * - Where they travel: a mail's subject ends in "[V-4821 #k7f3q2p9]" and its
 *   body repeats both; a reply keeps the subject ("Re: ...") or quotes the
 *   body, so the code and token come back whatever the mail program does. The
 *   acknowledgement word ("XN", "OK", "ACK", "xác nhận", case and accents
 *   folded) must be in the reply's own text, before the quoted part: the
 *   quoted notification itself says "XN" and must not acknowledge.
 *
 * Nothing here reads a clock, a socket or the store.
 */
#ifndef VIGIL_ACK_H
#define VIGIL_ACK_H

#include <stddef.h>
#include <stdint.h>

#define ACK_CODE_MIN 1000
#define ACK_CODE_MAX 9999
#define ACK_CODE_TEXT 8            /* "V-4821" with its NUL, and room */
#define ACK_TOKEN_LEN 8            /* characters of a token */
#define ACK_SECRET_LEN 32          /* bytes of the collector's secret */
#define ACK_TOKENS_MAX 4           /* candidate tokens kept from one reply */
#define ACK_MAIL_MAX (256 * 1024)  /* a reply read over IMAP, at most; longer is refused */
#define ACK_TEXT_MAX (64 * 1024)   /* its decoded text, at most (cut) */
#define ACK_ADDR_MAX 320

/* "V-4821". */
void ack_code_format(int code, char *buf, size_t len);

/* The token of contact for incident under secret, NUL-terminated in out[ACK_TOKEN_LEN + 1]. */
int ack_token(const unsigned char *secret, size_t secretlen, int64_t incident,
    const char *contact, char out[ACK_TOKEN_LEN + 1]);

/* 1 when a and b are the same token (constant time over the token's length). */
int ack_token_equal(const char *a, const char *b);

/* What a reply says. */
struct ack_found {
	int word;                  /* an acknowledgement word in the reply's own text */
	int code;                  /* the incident code; 0: none */
	char tokens[ACK_TOKENS_MAX][ACK_TOKEN_LEN + 1];
	size_t ntokens;
};

/*
 * Read subject and text (either may be NULL). bare_code: a lone number of
 * four digits counts as the code (SMS: "XN 4821"); otherwise only "V-4821"
 * (or "V4821") does.
 */
void ack_scan(const char *subject, const char *text, int bare_code, struct ack_found *f);

/*
 * Fold src for matching: ASCII lower case, Vietnamese letters to their base
 * letter (ậ → a, đ → d), combining marks dropped, anything else not a letter
 * or digit to a space. Returns the length written (dst is NUL-terminated).
 */
size_t ack_fold(char *dst, size_t dstlen, const char *src, size_t srclen);

/* One mail, as ack_mail_parse() found it. text is malloc'd (free with ack_mail_clear). */
struct ack_mail {
	char from[ACK_ADDR_MAX];   /* the From address, lower case; "" when none */
	char subject[1024];        /* decoded (RFC 2047), control characters removed */
	char msgid[256];           /* Message-ID as written; "" when none */
	int auto_reply;            /* Auto-Submitted, Precedence bulk/junk/list: never answered */
	char *text;                /* the first text/plain part (else text/html without tags) */
};

/*
 * Parse one RFC 5322 message of len bytes: headers, a multipart tree (three
 * levels at most), base64 and quoted-printable, then the part's charset (and
 * each RFC 2047 word's) converted to UTF-8 (ack_charset_utf8), and cleaned. Returns 0, VIGIL_ERR_TOOBIG past ACK_MAIL_MAX, VIGIL_ERR_DECODE for
 * something that is not a mail, VIGIL_ERR_NOMEM.
 */
int ack_mail_parse(const char *raw, size_t len, struct ack_mail *m);
void ack_mail_clear(struct ack_mail *m);

/*
 * ack_charset.c: in[0..len) in charset (a MIME name: windows-1258,
 * ISO-8859-1, UTF-16...; NULL or "": UTF-8) as UTF-8, NUL-terminated, in a
 * new malloc'd string (length in *outlen); NULL when out of memory. An
 * unknown charset gives the bytes as they are; bytes not in the charset are
 * skipped. At most ACK_MAIL_MAX bytes are read.
 */
char *ack_charset_utf8(const char *charset, const char *in, size_t len, size_t *outlen);

/*
 * The bytes of the first IMAP literal ("{N}\r\n" then N bytes) in an answer
 * to UID FETCH; NULL when there is none or it runs past len.
 */
const char *ack_imap_literal(const char *resp, size_t len, size_t *litlen);

/* The numbers of a "* SEARCH 1 4 7" answer, at most max; returns how many. */
size_t ack_imap_search(const char *resp, size_t len, uint32_t *uids, size_t max);

#endif
