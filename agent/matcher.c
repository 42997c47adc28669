/*
 * The built-in matcher: a syslog line -> zero or one event.
 *
 * One table entry per pattern: the program (syslog tag) it applies to, a
 * literal that must occur in the message (a cheap prefilter, as the rule
 * engine's literal prefilter will be), and a small parse function that reads
 * the fields. The PCRE2 rule engine replaces the parse functions with rules
 * and keeps the same shape.
 *
 * Every line is hostile: it is addressed as (pointer, length) and never read
 * past its length, may hold NULs, invalid UTF-8 and control characters, and
 * may try to look like a different message (a user name "x from 1.2.3.4").
 * Field values are cut at their struct sizes on a character boundary, with
 * control characters and invalid UTF-8 replaced by '?', so that every string
 * in an event is valid UTF-8 for the wire.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "agent.h"

#define MATCHER_MAX_TAG 64      /* longer syslog tags are not a program we know */
#define MATCHER_MAX_HOST 255

struct span {
	const char *p;
	size_t len;
};

struct matcher_rule {
	const char *program[2];     /* syslog tags it applies to (second may be NULL) */
	const char *prefilter;      /* literal that must occur in the message */
	const char *rule;
	int category;
	int severity;
	int (*parse)(struct span msg, struct match_event *out);
};

struct matcher {
	const struct matcher_rule *rules;
	size_t nrules;
};

/* ---- spans --------------------------------------------------------------- */

static struct span
span_from(const char *p, size_t len)
{
	struct span s = { p, len };

	return s;
}

static int
span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* Consume lit at the start of *s. */
static int
span_eat(struct span *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->len < n || memcmp(s->p, lit, n) != 0)
		return 0;
	s->p += n;
	s->len -= n;
	return 1;
}

static void
span_skip_spaces(struct span *s)
{
	while (s->len > 0 && *s->p == ' ') {
		s->p++;
		s->len--;
	}
}

/* The first occurrence of lit in s, or NULL. */
static const char *
span_find(struct span s, const char *lit)
{
	return memmem(s.p, s.len, lit, strlen(lit));
}

/* The last occurrence of lit in s, or NULL. */
static const char *
span_rfind(struct span s, const char *lit)
{
	const char *hit = NULL, *at;
	struct span rest = s;
	size_t n = strlen(lit);

	while ((at = span_find(rest, lit)) != NULL) {
		hit = at;
		rest.len -= (size_t)(at - rest.p) + 1;
		rest.p = at + 1;
		if (rest.len < n)
			break;
	}
	return hit;
}

/* Split *s at the first `c`: returns what is before it, leaves *s after it. */
static int
span_cut(struct span *s, char c, struct span *before)
{
	const char *at = memchr(s->p, c, s->len);

	if (at == NULL)
		return 0;
	*before = span_from(s->p, (size_t)(at - s->p));
	s->len -= (size_t)(at - s->p) + 1;
	s->p = at + 1;
	return 1;
}

/* The leading run of characters up to a space (or the end). */
static struct span
span_token(struct span s)
{
	const char *sp = memchr(s.p, ' ', s.len);

	return span_from(s.p, sp != NULL ? (size_t)(sp - s.p) : s.len);
}

static int
span_all(struct span s, const char *set)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (s.p[i] == '\0' || strchr(set, s.p[i]) == NULL)
			return 0;
	return 1;
}

static int
span_digits(struct span s, size_t maxlen)
{
	return s.len > 0 && s.len <= maxlen && span_all(s, "0123456789");
}

/* The value of a run of at most 9 digits (already checked by span_digits). */
static long
span_number(struct span s)
{
	long v = 0;
	size_t i;

	for (i = 0; i < s.len && i < 9; i++)
		v = v * 10 + (s.p[i] - '0');
	return v;
}

/* The value of " key=" (first or last occurrence) up to the next space. */
static int
span_kv(struct span s, const char *key, int last, struct span *val)
{
	const char *at = last ? span_rfind(s, key) : span_find(s, key);
	size_t klen = strlen(key);

	if (at == NULL)
		return 0;
	*val = span_token(span_from(at + klen, s.len - (size_t)(at - s.p) - klen));
	return 1;
}

/* ---- safe strings -------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most avail bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *p, size_t avail)
{
	size_t n, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Copy src into dst (size dstsize > 0, always NUL-terminated), replacing
 * control characters (C0, DEL, C1) and invalid UTF-8 bytes with '?', and
 * cutting before a character that would not fit.
 */
static void
copy_clean(char *dst, size_t dstsize, const char *src, size_t len)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, o = 0, n;

	while (i < len) {
		n = utf8_len(p + i, len - i);
		if (n == 0 || p[i] < 0x20 || p[i] == 0x7f ||
		    (n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			if (o + 1 >= dstsize)
				break;
			dst[o++] = '?';
			i += n == 0 ? 1 : n;
			continue;
		}
		if (o + n >= dstsize)
			break;
		memcpy(dst + o, p + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

/* Drop a UTF-8 sequence that snprintf() cut in half at the end of s. */
static void
utf8_trim_tail(char *s)
{
	size_t len = strlen(s), start = len, back = 0;

	while (start > 0 && back < 4 && ((unsigned char)s[start - 1] & 0xc0) == 0x80) {
		start--;
		back++;
	}
	if (start == 0)
		return;
	start--;
	if (utf8_len((const unsigned char *)s + start, len - start) != len - start)
		s[start] = '\0';
}

static void
summary(struct match_event *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
summary(struct match_event *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->summary, sizeof(out->summary), fmt, ap);
	va_end(ap);
	utf8_trim_tail(out->summary);
}

/* Add a field; returns its cleaned value (for the summary). */
static const char *
field(struct match_event *out, const char *key, struct span val)
{
	size_t i = out->nfields;

	if (i >= MATCH_MAX_FIELDS)
		return "";
	copy_clean(out->fields[i].key, sizeof(out->fields[i].key), key, strlen(key));
	copy_clean(out->fields[i].value, sizeof(out->fields[i].value), val.p, val.len);
	out->nfields++;
	return out->fields[i].value;
}

/* ---- shared pieces of the messages ---------------------------------------- */

#define ADDR_CHARS "0123456789abcdefABCDEF.:"

/*
 * The right-hand end of sshd's messages: "IP port N[ ssh2]". sshd appends
 * it after the user name, so it is taken from the last " from ".
 */
static int
parse_from(struct span s, int need_port, struct span *ip, struct span *port)
{
	const char *at = span_rfind(s, " from ");
	struct span rest;

	if (at == NULL)
		return 0;
	rest = span_from(at + 6, s.len - (size_t)(at - s.p) - 6);
	*ip = span_token(rest);
	if (ip->len == 0 || ip->len > 45 || !span_all(*ip, ADDR_CHARS))
		return 0;
	rest.p += ip->len;
	rest.len -= ip->len;
	port->p = rest.p;
	port->len = 0;
	if (rest.len == 0)
		return !need_port;
	if (!span_eat(&rest, " port "))
		return 0;
	*port = span_token(rest);
	if (!span_digits(*port, 5) || span_number(*port) > 65535)
		return 0;
	rest.p += port->len;
	rest.len -= port->len;
	return rest.len == 0 || span_eq(rest, " ssh2") || span_eq(rest, " ssh1");
}

/* ---- the patterns -------------------------------------------------------- */

/* "Failed password for [invalid user ]USER from IP port N ssh2" */
static int
parse_ssh_failed(struct span msg, struct match_event *out)
{
	struct span user, ip, port;
	const char *u, *i;

	if (!span_eat(&msg, "Failed password for "))
		return 0;
	span_eat(&msg, "invalid user ");
	if (!parse_from(msg, 1, &ip, &port))
		return 0;
	user = span_from(msg.p, (size_t)(span_rfind(msg, " from ") - msg.p));
	u = field(out, "user", user);
	i = field(out, "src_ip", ip);
	field(out, "port", port);
	summary(out, "Failed SSH password for %s from %s", u, i);
	return 1;
}

/* "Invalid user USER from IP[ port N]" */
static int
parse_ssh_invalid(struct span msg, struct match_event *out)
{
	struct span user, ip, port;
	const char *u, *i;

	if (!span_eat(&msg, "Invalid user "))
		return 0;
	if (!parse_from(msg, 0, &ip, &port))
		return 0;
	user = span_from(msg.p, (size_t)(span_rfind(msg, " from ") - msg.p));
	u = field(out, "user", user);
	i = field(out, "src_ip", ip);
	summary(out, "Invalid SSH user %s from %s", u, i);
	return 1;
}

/*
 * pam_unix's "authentication failure; logname=X uid=N euid=0 tty=T ruser=R
 * rhost=H  user=U" after the given "pam_unix(service:auth): " prefix.
 * user= is the last key pam_unix writes, so it is taken from the right.
 */
static int
parse_pam_failure(struct span *msg, const char *prefix, struct span *ruser,
    struct span *user)
{
	struct span logname;

	if (!span_eat(msg, prefix) || !span_eat(msg, "authentication failure;"))
		return 0;
	if (!span_kv(*msg, " user=", 1, user))
		return 0;
	if (!span_kv(*msg, " ruser=", 0, ruser) || ruser->len == 0) {
		if (span_kv(*msg, " logname=", 0, &logname))
			*ruser = logname;
		else
			ruser->len = 0;
	}
	return 1;
}

static int
parse_sudo_pam(struct span msg, struct match_event *out)
{
	struct span ruser = { NULL, 0 }, user = { NULL, 0 };
	const char *u;

	if (!parse_pam_failure(&msg, "pam_unix(sudo:auth): ", &ruser, &user))
		return 0;
	if (user.len == 0)
		user = ruser;
	if (user.len == 0)
		return 0;
	u = field(out, "user", user);
	summary(out, "sudo authentication failure for %s", u);
	return 1;
}

/* "USER : N incorrect password attempts ; TTY=T ; PWD=P ; USER=root ; COMMAND=C" */
static int
parse_sudo_attempts(struct span msg, struct match_event *out)
{
	struct span user, count, rest;
	const char *at, *u, *c;

	span_skip_spaces(&msg);
	if ((at = span_find(msg, " : ")) == NULL)
		return 0;
	user = span_from(msg.p, (size_t)(at - msg.p));
	rest = span_from(at + 3, msg.len - user.len - 3);
	count = span_token(rest);
	if (user.len == 0 || memchr(user.p, ' ', user.len) != NULL || !span_digits(count, 6))
		return 0;
	rest.p += count.len;
	rest.len -= count.len;
	if (!span_eat(&rest, " incorrect password attempt"))
		return 0;
	u = field(out, "user", user);
	if ((at = span_find(rest, " ; COMMAND=")) != NULL) {
		struct span cmd = span_from(at + 11, rest.len - (size_t)(at - rest.p) - 11);

		c = field(out, "command", cmd);
		summary(out, "sudo authentication failure for %s running %s", u, c);
	} else
		summary(out, "sudo authentication failure for %s", u);
	return 1;
}

/* "FAILED SU (to TARGET) USER on TTY" */
static int
parse_su_failed(struct span msg, struct match_event *out)
{
	struct span target, user, rest;
	const char *at, *u, *t;

	if (!span_eat(&msg, "FAILED SU (to "))
		return 0;
	if (!span_cut(&msg, ')', &target) || target.len == 0 || !span_eat(&msg, " "))
		return 0;
	if ((at = span_rfind(msg, " on ")) == NULL)
		return 0;
	user = span_from(msg.p, (size_t)(at - msg.p));
	rest = span_from(at + 4, msg.len - user.len - 4);
	if (user.len == 0 || rest.len == 0)
		return 0;
	u = field(out, "user", user);
	t = field(out, "target", target);
	summary(out, "su to %s failed for %s", t, u);
	return 1;
}

static int
parse_su_pam(struct span msg, struct match_event *out)
{
	struct span ruser = { NULL, 0 }, target = { NULL, 0 };
	struct span copy = msg;
	const char *u, *t;

	if (!parse_pam_failure(&msg, "pam_unix(su:auth): ", &ruser, &target) &&
	    !parse_pam_failure(&copy, "pam_unix(su-l:auth): ", &ruser, &target))
		return 0;
	if (target.len == 0 || ruser.len == 0)
		return 0;
	u = field(out, "user", ruser);
	t = field(out, "target", target);
	summary(out, "su to %s failed for %s", t, u);
	return 1;
}

/* "new user: name=NAME, UID=N, GID=N, home=H, shell=S[, from=F]" */
static int
parse_useradd(struct span msg, struct match_event *out)
{
	struct span name, uid;
	const char *u;

	if (!span_eat(&msg, "new user: name="))
		return 0;
	if (!span_cut(&msg, ',', &name) || name.len == 0 || !span_eat(&msg, " UID="))
		return 0;
	if (!span_cut(&msg, ',', &uid) || !span_digits(uid, 10))
		return 0;
	u = field(out, "user", name);
	field(out, "uid", uid);
	summary(out, "New user account %s created", u);
	return 1;
}

/* "new group: name=NAME, GID=N" */
static int
parse_groupadd(struct span msg, struct match_event *out)
{
	struct span name, gid;
	const char *g;

	if (!span_eat(&msg, "new group: name="))
		return 0;
	if (!span_cut(&msg, ',', &name) || name.len == 0 || !span_eat(&msg, " GID="))
		return 0;
	gid = msg;
	if (!span_cut(&msg, ',', &gid))
		gid = msg;
	if (!span_digits(gid, 10))
		return 0;
	g = field(out, "group", name);
	field(out, "gid", gid);
	summary(out, "New group %s created", g);
	return 1;
}

#define AUTH VIGIL__V1__CATEGORY__CATEGORY_AUTH
#define PRIV VIGIL__V1__CATEGORY__CATEGORY_PRIVILEGE
#define ACCT VIGIL__V1__CATEGORY__CATEGORY_ACCOUNT
#define MEDIUM VIGIL__V1__SEVERITY__SEVERITY_MEDIUM

static const struct matcher_rule builtin_rules[] = {
	{ { "sshd", "sshd-session" }, "Failed password for ", "ssh.failed_password",
	    AUTH, MEDIUM, parse_ssh_failed },
	{ { "sshd", "sshd-session" }, "Invalid user ", "ssh.invalid_user",
	    AUTH, MEDIUM, parse_ssh_invalid },
	{ { "sudo", NULL }, "pam_unix(sudo:auth): authentication failure", "sudo.auth_failure",
	    PRIV, MEDIUM, parse_sudo_pam },
	{ { "sudo", NULL }, " incorrect password attempt", "sudo.auth_failure",
	    PRIV, MEDIUM, parse_sudo_attempts },
	{ { "su", NULL }, "FAILED SU (to ", "su.failure",
	    PRIV, MEDIUM, parse_su_failed },
	{ { "su", NULL }, "authentication failure", "su.failure",
	    PRIV, MEDIUM, parse_su_pam },
	{ { "useradd", NULL }, "new user: ", "account.useradd",
	    ACCT, MEDIUM, parse_useradd },
	{ { "groupadd", NULL }, "new group: ", "account.groupadd",
	    ACCT, MEDIUM, parse_groupadd },
};

/* ---- syslog -------------------------------------------------------------- */

/* "Nov 25 10:00:01 " or "Nov  5 10:00:01 " */
static int
eat_traditional_time(struct span *s)
{
	struct span t = *s, day, clock;

	if (t.len < 4 || !span_all(span_from(t.p, 3),
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") || t.p[3] != ' ')
		return 0;
	t.p += 4;
	t.len -= 4;
	span_skip_spaces(&t);
	day = span_token(t);
	if (!span_digits(day, 2))
		return 0;
	t.p += day.len;
	t.len -= day.len;
	if (!span_eat(&t, " "))
		return 0;
	clock = span_token(t);
	if (clock.len != 8 || !span_all(clock, "0123456789:"))
		return 0;
	t.p += clock.len;
	t.len -= clock.len;
	if (!span_eat(&t, " "))
		return 0;
	*s = t;
	return 1;
}

/* "2026-11-25T10:00:01.123456+07:00 " */
static int
eat_rfc3339_time(struct span *s)
{
	struct span t = *s, stamp = span_token(*s);

	if (stamp.len < 20 || stamp.len > 40 || !span_all(span_from(stamp.p, 4), "0123456789") ||
	    stamp.p[4] != '-' || stamp.p[10] != 'T' || !span_all(stamp, "0123456789-T:.+Z"))
		return 0;
	t.p += stamp.len;
	t.len -= stamp.len;
	if (!span_eat(&t, " "))
		return 0;
	*s = t;
	return 1;
}

/*
 * Split a syslog line into its program (the tag without "[pid]") and its
 * message. Returns 0 when the line does not have that shape.
 */
static int
syslog_split(struct span line, struct span *prog, struct span *msg)
{
	struct span s = line, host, tag;
	size_t i;

	if (!eat_traditional_time(&s) && !eat_rfc3339_time(&s))
		return 0;
	host = span_token(s);
	if (host.len == 0 || host.len > MATCHER_MAX_HOST || host.len == s.len)
		return 0;
	s.p += host.len + 1;
	s.len -= host.len + 1;
	for (i = 0; i < s.len && i <= MATCHER_MAX_TAG; i++)
		if (s.p[i] == '[' || s.p[i] == ':' || s.p[i] == ' ' || s.p[i] == '\0')
			break;
	if (i == 0 || i > MATCHER_MAX_TAG || i == s.len)
		return 0;
	tag = span_from(s.p, i);
	s.p += i;
	s.len -= i;
	if (*s.p == '[') {
		struct span pid;

		if (!span_cut(&s, ']', &pid) || pid.len < 1 ||
		    !span_digits(span_from(pid.p + 1, pid.len - 1), 10))
			return 0;
	}
	if (!span_eat(&s, ":"))
		return 0;
	span_eat(&s, " ");
	*prog = tag;
	*msg = s;
	return 1;
}

/* ---- interface ----------------------------------------------------------- */

struct matcher *
matcher_new_builtin(void)
{
	struct matcher *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->rules = builtin_rules;
	m->nrules = sizeof(builtin_rules) / sizeof(builtin_rules[0]);
	return m;
}

void
matcher_free(struct matcher *m)
{
	free(m);
}

int
matcher_match(struct matcher *m, const char *source, const char *line, size_t len,
    struct match_event *out)
{
	const struct matcher_rule *r;
	struct span prog, msg;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (line == NULL || !syslog_split(span_from(line, len), &prog, &msg))
		return 0;
	for (i = 0; i < m->nrules; i++) {
		r = &m->rules[i];
		if (!span_eq(prog, r->program[0]) &&
		    (r->program[1] == NULL || !span_eq(prog, r->program[1])))
			continue;
		if (span_find(msg, r->prefilter) == NULL)
			continue;
		memset(out, 0, sizeof(*out));
		if (r->parse(msg, out)) {
			snprintf(out->rule, sizeof(out->rule), "%s", r->rule);
			out->category = r->category;
			out->severity = r->severity;
			return 1;
		}
	}
	memset(out, 0, sizeof(*out));
	return 0;
}
