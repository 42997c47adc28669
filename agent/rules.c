/*
 * Rule files -> a rule set. The syntax is the INI of the rest of Vigil, read
 * by the same reader (vigil/ini.h), but not by cfg_load(), because a rule
 * file must go on after an error: the first problem of a section is
 * reported, the rest of that section is skipped, and the next section starts
 * afresh.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/dir.h"
#include "vigil/err.h"
#include "vigil/ini.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/winevent.h"

#include "rules.h"
#include "syslog.h"
#include "threshold.h"

#define RULES_MSG_MAX 1024
#define DURATION_MAX_MS (7LL * 24 * 3600 * 1000)

enum key {
	K_DESCRIPTION, K_PROGRAM, K_SOURCES, K_PREFILTER, K_PATTERN, K_CATEGORY, K_SEVERITY,
	K_SUMMARY, K_SUPPRESS, K_SUPPRESS_BY, K_ENABLED, K_RULES, K_COUNT, K_WINDOW,
	K_GROUP_BY, K_EVENT_CATEGORY, K_SUMMARY_VI, K_DISTINCT, K_CHANNEL, K_EVENT_ID,
	K_PROVIDER, K_WHERE, K_UNLESS, K_FIELDS, K_NKEYS
};

/* "a b | c | d": the counts a threshold keeps apart fit the threshold's table. */
_Static_assert((RULES_MAX_LIST + 1) / 2 <= THRESHOLD_MAX_GROUPS, "groups of a rules list");

#define FOR_RULE 1
#define FOR_THRESHOLD 2

static const struct {
	const char *name;
	int kinds;
} keys[K_NKEYS] = {
	[K_DESCRIPTION] = { "description", FOR_RULE | FOR_THRESHOLD },
	[K_PROGRAM] = { "program", FOR_RULE },
	[K_SOURCES] = { "sources", FOR_RULE },
	[K_PREFILTER] = { "prefilter", FOR_RULE },
	[K_PATTERN] = { "pattern", FOR_RULE },
	[K_CATEGORY] = { "category", FOR_RULE | FOR_THRESHOLD },
	[K_SEVERITY] = { "severity", FOR_RULE | FOR_THRESHOLD },
	[K_SUMMARY] = { "summary", FOR_RULE | FOR_THRESHOLD },
	[K_SUPPRESS] = { "suppress", FOR_RULE },
	[K_SUPPRESS_BY] = { "suppress_by", FOR_RULE },
	[K_ENABLED] = { "enabled", FOR_RULE | FOR_THRESHOLD },
	[K_RULES] = { "rules", FOR_THRESHOLD },
	[K_COUNT] = { "count", FOR_THRESHOLD },
	[K_WINDOW] = { "window", FOR_THRESHOLD },
	[K_GROUP_BY] = { "group_by", FOR_THRESHOLD },
	[K_EVENT_CATEGORY] = { "event_category", FOR_THRESHOLD },
	[K_SUMMARY_VI] = { "summary_vi", FOR_RULE | FOR_THRESHOLD },
	[K_DISTINCT] = { "distinct", FOR_THRESHOLD },
	[K_CHANNEL] = { "channel", FOR_RULE },
	[K_EVENT_ID] = { "event_id", FOR_RULE },
	[K_PROVIDER] = { "provider", FOR_RULE },
	[K_WHERE] = { "where", FOR_RULE },
	[K_UNLESS] = { "unless", FOR_RULE },
	[K_FIELDS] = { "fields", FOR_RULE },
};

/* The section being read. */
struct section {
	int active;
	int threshold;
	char id[RULES_ID_MAX * 4 + 1];   /* as written (escaped), for messages */
	int id_ok;
	unsigned line;
	int bad;                         /* reported: skip the rest */
	char *val[K_NKEYS];
	unsigned vline[K_NKEYS];
};

struct loader {
	struct ruleset *rs;
	const char *path;
	int layer;
	rules_error_fn fn;
	void *arg;
	unsigned lineno;
	struct section sec;
};

/* One complete message to the caller's error function, counted. */
static void
report(struct ruleset *rs, rules_error_fn fn, void *arg, const char *msg)
{
	rs->nerrors++;
	if (fn != NULL)
		fn(arg, msg);
}

/* "file: message" (line 0) or "file:line: message", about no rule in particular. */
static void
report_at(struct ruleset *rs, rules_error_fn fn, void *arg, const char *file, unsigned line,
    const char *fmt, ...) VIGIL_PRINTF(6, 7);

static void
report_at(struct ruleset *rs, rules_error_fn fn, void *arg, const char *file, unsigned line,
    const char *fmt, ...)
{
	char msg[RULES_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	err_vat(msg, sizeof(msg), 0, file, line, fmt, ap);
	va_end(ap);
	report(rs, fn, arg, msg);
}

/* "file:line: rule ID: message" for the current section, once per section. */
static void
sec_error(struct loader *l, unsigned line, const char *fmt, ...)
    VIGIL_PRINTF(3, 4);

static void
sec_error(struct loader *l, unsigned line, const char *fmt, ...)
{
	char msg[RULES_MSG_MAX];
	va_list ap;

	if (l->sec.bad)
		return;
	l->sec.bad = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_at(l->rs, l->fn, l->arg, l->path, line ? line : l->lineno, "%s %s: %s",
	    l->sec.threshold ? "threshold" : "rule", l->sec.id, msg);
}

/* An error outside of any rule: "file:line: message". */
static void
file_error(struct loader *l, const char *fmt, ...) VIGIL_PRINTF(2, 3);

static void
file_error(struct loader *l, const char *fmt, ...)
{
	char msg[RULES_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	err_vat(msg, sizeof(msg), 0, l->path, l->lineno, fmt, ap);
	va_end(ap);
	report(l->rs, l->fn, l->arg, msg);
}

/* ---- small pieces --------------------------------------------------------- */

static int
valid_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > RULES_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
			return 0;
	return 1;
}

static int
valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > RULES_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* Split a space-separated value into l (which owns a copy). */
static int
list_split(struct rules_list *l, const char *v, size_t maxlen, const char *what, char *msg,
    size_t msglen)
{
	size_t n = 0, vlen = strlen(v), tables;
	const char *q;
	char *p, *tok;

	memset(l, 0, sizeof(*l));
	for (q = v; *q != '\0';) {
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0')
			break;
		n++;
		while (*q != '\0' && *q != ' ' && *q != '\t')
			q++;
	}
	if (n > RULES_MAX_LIST) {
		snprintf(msg, msglen, "'%s' has more than %d names", what, RULES_MAX_LIST);
		return VIGIL_ERR_TOOBIG;
	}
	if (n == 0) {
		snprintf(msg, msglen, "'%s' is empty", what);
		return VIGIL_ERR_INVAL;
	}
	/* The item and length tables first (pointer-aligned), then the copy. */
	tables = n * (sizeof(*l->item) + sizeof(*l->len));
	if ((l->buf = malloc(tables + vlen + 1)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return VIGIL_ERR_NOMEM;
	}
	l->item = (const char **)(void *)l->buf;
	l->len = (size_t *)(void *)(l->buf + n * sizeof(*l->item));
	memcpy(l->buf + tables, v, vlen + 1);
	for (p = l->buf + tables; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		if (strlen(tok) > maxlen) {
			snprintf(msg, msglen, "'%s' names '%.64s...', longer than %zu bytes", what,
			    tok, maxlen);
			return VIGIL_ERR_TOOBIG;
		}
		l->item[l->n] = tok;
		l->len[l->n] = strlen(tok);
		l->n++;
	}
	return 0;
}

/*
 * The names of a field list (suppress_by, group_by) into by (which owns a
 * copy): 0, or -1 with the error reported at the key's line.
 */
static int
field_list(struct loader *l, int key, struct rules_list *by)
{
	struct section *s = &l->sec;
	char msg[RULES_MSG_MAX];

	if (list_split(by, s->val[key], RULES_MAX_NAME, keys[key].name, msg, sizeof(msg)) == 0 &&
	    by->n <= RULES_MAX_GROUP_BY)
		return 0;
	if (by->n > RULES_MAX_GROUP_BY)
		snprintf(msg, sizeof(msg), "'%s' has more than %d fields", keys[key].name,
		    RULES_MAX_GROUP_BY);
	free(by->buf);
	sec_error(l, s->vline[key], "%s", msg);
	return -1;
}

static int
duration_us(const char *v, const char *what, int64_t *out, char *msg, size_t msglen)
{
	long long ms;

	if (text_parse_duration_ms(v, &ms) != 0) {
		snprintf(msg, msglen, "'%s' is not a duration (like 500ms, 30s, 5m, 2h): '%s'",
		    what, v);
		return VIGIL_ERR_INVAL;
	}
	if (ms < 1 || ms > DURATION_MAX_MS) {
		snprintf(msg, msglen, "'%s' must be between 1ms and 7d", what);
		return VIGIL_ERR_RANGE;
	}
	*out = (int64_t)ms * 1000;
	return 0;
}

/* ---- templates ------------------------------------------------------------ */

void
rules_tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->text);
	t->text = NULL;
	t->nparts = 0;
}

static int
tmpl_add(struct tmpl *t, int ref, uint32_t off, uint32_t len, char *msg, size_t msglen)
{
	if (ref == TMPL_LITERAL && len == 0)
		return 0;
	if (t->nparts == RULES_MAX_PARTS) {
		snprintf(msg, msglen, "summary has more than %d pieces", RULES_MAX_PARTS);
		return VIGIL_ERR_TOOBIG;
	}
	t->parts[t->nparts].ref = ref;
	t->parts[t->nparts].off = off;
	t->parts[t->nparts].len = len;
	t->nparts++;
	return 0;
}

int
rules_tmpl_parse(struct tmpl *t, const char *src, const char *const *names, size_t nnames,
    int threshold, char *msg, size_t msglen)
{
	size_t n = strlen(src), i = 0, o = 0, lit = 0, k, e;
	int ref, rc;

	memset(t, 0, sizeof(*t));
	if ((t->text = malloc(n + 1)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return VIGIL_ERR_NOMEM;
	}
	while (i < n) {
		if ((src[i] == '{' && src[i + 1] == '{') || (src[i] == '}' && src[i + 1] == '}')) {
			t->text[o++] = src[i];
			i += 2;
			continue;
		}
		if (src[i] == '}') {
			snprintf(msg, msglen, "summary has a '}' without its '{' (write '}}' for one)");
			goto bad;
		}
		if (src[i] != '{') {
			t->text[o++] = src[i++];
			continue;
		}
		for (e = i + 1; e < n && src[e] != '}'; e++)
			;
		if (e == n) {
			snprintf(msg, msglen, "summary has a '{' without its '}' (write '{{' for one)");
			goto bad;
		}
		if (!valid_name(src + i + 1, e - i - 1)) {
			snprintf(msg, msglen, "summary has '{%.*s}', which is not a field name",
			    (int)(e - i - 1 > 64 ? 64 : e - i - 1), src + i + 1);
			goto bad;
		}
		ref = TMPL_LITERAL;
		for (k = 0; k < nnames; k++)
			if (strlen(names[k]) == e - i - 1 && memcmp(names[k], src + i + 1, e - i - 1) == 0)
				ref = (int)k;
		if (ref == TMPL_LITERAL) {
#define IS(s) (e - i - 1 == strlen(s) && memcmp(src + i + 1, s, strlen(s)) == 0)
			if (IS("program"))
				ref = TMPL_PROGRAM;
			else if (IS("source"))
				ref = TMPL_SOURCE;
			else if (threshold && IS("count"))
				ref = TMPL_COUNT;
			else if (threshold && IS("window"))
				ref = TMPL_WINDOW;
#undef IS
		}
		if (ref == TMPL_LITERAL) {
			snprintf(msg, msglen, "summary uses {%.*s}, which is not a field of this %s",
			    (int)(e - i - 1), src + i + 1, threshold ? "threshold" : "rule");
			goto bad;
		}
		if ((rc = tmpl_add(t, TMPL_LITERAL, (uint32_t)lit, (uint32_t)(o - lit), msg,
		    msglen)) != 0 || (rc = tmpl_add(t, ref, 0, 0, msg, msglen)) != 0)
			goto bad;
		lit = o;
		i = e + 1;
	}
	if (tmpl_add(t, TMPL_LITERAL, (uint32_t)lit, (uint32_t)(o - lit), msg, msglen) != 0)
		goto bad;
	t->text[o] = '\0';
	return 0;
bad:
	rules_tmpl_free(t);
	return VIGIL_ERR_INVAL;
}

/* ---- the literal a pattern requires --------------------------------------- */

static int
is_quant(const char *p)
{
	size_t i;

	if (*p == '*' || *p == '+' || *p == '?')
		return 1;
	if (*p != '{')
		return 0;
	/* {n} {n,} {n,m} {,m} are quantifiers; any other '{' is a literal. */
	for (i = 1; isdigit((unsigned char)p[i]) || p[i] == ',' || p[i] == ' '; i++)
		;
	return p[i] == '}' && i > 1;
}

/* Skip a {...}, <...> or '...' argument of an escape at p; returns the new position. */
static const char *
skip_arg(const char *p)
{
	char close = *p == '{' ? '}' : *p == '<' ? '>' : *p == '\'' ? '\'' : 0;
	const char *e;

	if (close == 0)
		return p;
	if ((e = strchr(p + 1, close)) == NULL)
		return p + strlen(p);
	return e + 1;
}

/*
 * The longest run of literal characters that every match must contain: at
 * the top level of the pattern (not in a group or a class), not followed by
 * a quantifier, in a pattern with no top-level alternation and no option
 * that changes how literals match. Conservative: any doubt gives nothing.
 */
size_t
rules_required_literal(const char *pattern, char *out, size_t outlen)
{
	char run[RULES_MAX_PREFILTER];
	size_t rlen = 0, best = 0;
	const char *p = pattern;
	int depth = 0;
	size_t k;
	char c;

#define END_RUN() do { \
		if (rlen > best && rlen < outlen) { memcpy(out, run, rlen); best = rlen; } \
		rlen = 0; \
	} while (0)

	if (outlen > 0)
		out[0] = '\0';
	while ((c = *p) != '\0') {
		if (c == '\\') {
			c = p[1];
			if (c == '\0')
				return 0;
			if (c == 'Q' || c == 'E')
				return 0;
			if (!isalnum((unsigned char)c)) {
				/* An escaped punctuation or byte is that literal. */
				p += 2;
				if (depth == 0 && !is_quant(p) && rlen < sizeof(run))
					run[rlen++] = c;
				else
					END_RUN();
				continue;
			}
			END_RUN();
			p += 2;
			if (c == 'x' || c == 'o' || c == 'p' || c == 'P' || c == 'g' || c == 'k' ||
			    c == 'N') {
				if (*p == '{' || *p == '<' || *p == '\'')
					p = skip_arg(p);
				else if (c == 'x')
					for (k = 0; k < 2 && isxdigit((unsigned char)*p); k++)
						p++;
				else if (c == 'p' || c == 'P')
					p += *p != '\0';
				else if (c == 'g')
					while (*p == '-' || isdigit((unsigned char)*p))
						p++;
			} else if (c == 'c') {
				p += *p != '\0';
			} else if (isdigit((unsigned char)c)) {
				while (isdigit((unsigned char)*p))
					p++;
			}
			continue;
		}
		if (c == '[') {
			/* A class: skip it whole; "[]" and "[^]" start with a literal ']'. */
			END_RUN();
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '[' && p[1] == ':') {
					const char *e = strstr(p + 2, ":]");

					if (e != NULL)
						p = e + 1;
				}
				p++;
			}
			if (*p == '\0')
				return 0;
			p++;
			continue;
		}
		if (c == '(') {
			END_RUN();
			if (p[1] == '?' && strchr("imnsxJU^-", p[2]) != NULL && p[2] != '\0')
				return 0;
			if (p[1] == '*' && strncmp(p + 2, "CASELESS", 8) == 0)
				return 0;
			depth++;
			p++;
			continue;
		}
		if (c == ')') {
			END_RUN();
			if (depth > 0)
				depth--;
			p++;
			continue;
		}
		if (c == '|') {
			if (depth == 0)
				return 0;
			p++;
			continue;
		}
		if (is_quant(p)) {
			/* The quantified character is not required: take it back. */
			if (rlen > 0)
				rlen--;
			END_RUN();
			p = *p == '{' ? strchr(p, '}') + 1 : p + 1;
			continue;
		}
		if (c == '.' || c == '^' || c == '$' || c == '{' || c == '}') {
			END_RUN();
			p++;
			continue;
		}
		p++;
		if (depth == 0 && rlen < sizeof(run) && !is_quant(p))
			run[rlen++] = c;
		else if (depth == 0 && is_quant(p))
			END_RUN();
	}
	END_RUN();
#undef END_RUN
	if (best < 3)
		best = 0;
	if (outlen > 0)
		out[best < outlen ? best : 0] = '\0';
	return best;
}

/* ---- one rule ------------------------------------------------------------- */

static void
rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	free(r->file);
	free(r->description);
	rules_tmpl_free(&r->summary);
	free(r->programs.buf);
	free(r->sources.buf);
	free(r->counts.buf);
	free(r->prefilter);
	free(r->captures);
	pcre2_code_free(r->code);
	free(r->channel);
	free(r->provider);
	for (size_t i = 0; i < r->nconds; i++)
		free(r->conds[i].alts.buf);
	free(r->conds);
	free(r->field_src);
	free(r);
}

/* The named captures of r->code, in the order of their groups. */
static int
read_captures(struct rule *r, char *msg, size_t msglen)
{
	struct rule_capture caps[RULES_MAX_CAPTURES], tmp;
	uint32_t count = 0, size = 0, i, k, grp;
	PCRE2_SPTR table = NULL, ent;
	const char *name;
	size_t n = 0;

	pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count; i++) {
		ent = table + (size_t)i * size;
		grp = ((uint32_t)ent[0] << 8) | ent[1];
		name = (const char *)ent + 2;
		if (strcmp(name, "repeat") == 0 || strcmp(name, "program") == 0 ||
		    strcmp(name, "source") == 0) {
			snprintf(msg, msglen, "the capture name '%s' is reserved", name);
			return VIGIL_ERR_INVAL;
		}
		for (k = 0; k < n; k++)
			if (strcmp(caps[k].name, name) == 0)
				break;
		if (k == n) {
			if (n == RULES_MAX_CAPTURES) {
				snprintf(msg, msglen, "pattern has more than %d named captures",
				    RULES_MAX_CAPTURES);
				return VIGIL_ERR_TOOBIG;
			}
			memset(&caps[k], 0, sizeof(caps[k]));
			snprintf(caps[k].name, sizeof(caps[k].name), "%s", name);
			n++;
		}
		if (caps[k].ngroups == RULES_MAX_DUPNAMES) {
			snprintf(msg, msglen, "the capture name '%s' is used more than %d times",
			    name, RULES_MAX_DUPNAMES);
			return VIGIL_ERR_TOOBIG;
		}
		caps[k].group[caps[k].ngroups++] = grp;
	}
	/* The name table is in name order; fields go in the order of the pattern. */
	for (i = 1; i < n; i++) {
		tmp = caps[i];
		for (k = i; k > 0 && caps[k - 1].group[0] > tmp.group[0]; k--)
			caps[k] = caps[k - 1];
		caps[k] = tmp;
	}
	/* Exactly as many as the pattern names: most rules have two or three. */
	if (n > 0) {
		if ((r->captures = malloc(n * sizeof(*r->captures))) == NULL) {
			snprintf(msg, msglen, "out of memory");
			return VIGIL_ERR_NOMEM;
		}
		memcpy(r->captures, caps, n * sizeof(*r->captures));
	}
	r->ncaptures = n;
	return 0;
}

/*
 * The summary in the set's language: both are checked (a bad summary_vi is
 * a bad rule in every language), the one spoken is kept; a rule without a
 * summary in it speaks English.
 */
static int
summary(struct loader *l, struct rule *r, const char *const *names, size_t n, int threshold)
{
	struct section *s = &l->sec;
	struct tmpl vi;
	char msg[RULES_MSG_MAX];

	if (rules_tmpl_parse(&r->summary, s->val[K_SUMMARY], names, n, threshold, msg,
	    sizeof(msg)) != 0) {
		sec_error(l, s->vline[K_SUMMARY], "%s", msg);
		return -1;
	}
	if (s->val[K_SUMMARY_VI] == NULL)
		return 0;
	if (rules_tmpl_parse(&vi, s->val[K_SUMMARY_VI], names, n, threshold, msg,
	    sizeof(msg)) != 0) {
		sec_error(l, s->vline[K_SUMMARY_VI], "summary_vi: %s", msg);
		return -1;
	}
	if (strcmp(l->rs->lang, "vi") == 0) {
		rules_tmpl_free(&r->summary);
		r->summary = vi;
	} else
		rules_tmpl_free(&vi);
	return 0;
}

/* suppress and suppress_by, over the rule's fields (captures or event values). */
static int
suppression(struct loader *l, struct rule *r)
{
	struct section *s = &l->sec;
	char msg[RULES_MSG_MAX];
	struct rules_list by;
	size_t i, k;

	if (s->val[K_SUPPRESS_BY] != NULL && s->val[K_SUPPRESS] == NULL) {
		sec_error(l, s->vline[K_SUPPRESS_BY], "'suppress_by' needs 'suppress'");
		return -1;
	}
	if (s->val[K_SUPPRESS] != NULL && duration_us(s->val[K_SUPPRESS], "suppress",
	    &r->suppress_us, msg, sizeof(msg)) != 0) {
		sec_error(l, s->vline[K_SUPPRESS], "%s", msg);
		return -1;
	}
	if (s->val[K_SUPPRESS_BY] != NULL) {
		if (field_list(l, K_SUPPRESS_BY, &by) != 0)
			return -1;
		for (i = 0; i < by.n; i++) {
			for (k = 0; k < r->ncaptures; k++)
				if (strcmp(r->captures[k].name, by.item[i]) == 0)
					break;
			if (k == r->ncaptures) {
				sec_error(l, s->vline[K_SUPPRESS_BY], "'suppress_by' names '%s', "
				    "which the %s", by.item[i],
				    r->is_event ? "rule's 'fields' do not name" : "pattern does not capture");
				free(by.buf);
				return -1;
			}
			r->suppress_by[r->nsuppress_by++] = k;
		}
		free(by.buf);
	}
	return 0;
}

/* ---- event rules (Windows) ------------------------------------------------ */

/* A Windows value's name: letters, digits, '_' and '-' (a space is written '_'). */
static int
valid_field(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > RULES_MAX_FIELD_NAME)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

static char *
trim(char *p)
{
	char *e;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return p;
}

/* "a | b|c" -> l (owning a copy), each alternative trimmed and not empty. */
static int
alt_split(struct rules_list *l, const char *v, char *msg, size_t msglen)
{
	size_t n = 1, vlen = strlen(v), tables;
	char *p, *q, *alt;

	memset(l, 0, sizeof(*l));
	for (p = (char *)(uintptr_t)v; *p != '\0'; p++)
		n += *p == '|';
	if (n > RULES_MAX_LIST) {
		snprintf(msg, msglen, "has more than %d values separated by '|'", RULES_MAX_LIST);
		return VIGIL_ERR_TOOBIG;
	}
	tables = n * (sizeof(*l->item) + sizeof(*l->len));
	if ((l->buf = malloc(tables + vlen + 1)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return VIGIL_ERR_NOMEM;
	}
	l->item = (const char **)(void *)l->buf;
	l->len = (size_t *)(void *)(l->buf + n * sizeof(*l->item));
	memcpy(l->buf + tables, v, vlen + 1);
	for (p = l->buf + tables; p != NULL; p = q) {
		if ((q = strchr(p, '|')) != NULL)
			*q++ = '\0';
		alt = trim(p);
		if (*alt == '\0') {
			snprintf(msg, msglen, "has an empty value (around a '|')");
			return VIGIL_ERR_INVAL;
		}
		l->item[l->n] = alt;
		l->len[l->n] = strlen(alt);
		l->n++;
	}
	return 0;
}

/*
 * "NAME = A|B; agent.FACT != C" (where, or unless) -> conditions of r. A
 * mistake is reported at the key's line: 0, or -1.
 */
static int
conditions(struct loader *l, struct rule *r, int key)
{
	struct section *s = &l->sec;
	char msg[RULES_MSG_MAX], *copy, *p, *next, *eq, *name, *val;
	struct rule_cond *c, *nc;
	int rc = -1;

	if (s->val[key] == NULL)
		return 0;
	if ((copy = strdup(s->val[key])) == NULL) {
		sec_error(l, s->vline[key], "out of memory");
		return -1;
	}
	for (p = copy; p != NULL; p = next) {
		if ((next = strchr(p, ';')) != NULL)
			*next++ = '\0';
		if (*trim(p) == '\0' && next == NULL && p != copy)
			break;          /* a ';' at the end */
		if ((eq = strchr(p, '=')) == NULL) {
			sec_error(l, s->vline[key], "'%s' has '%.64s', which is not NAME = VALUE or "
			    "NAME != VALUE (several: separated by ';')", keys[key].name, trim(p));
			goto out;
		}
		if (r->nconds == RULES_MAX_CONDS) {
			sec_error(l, s->vline[key], "more than %d conditions in 'where' and "
			    "'unless'", RULES_MAX_CONDS);
			goto out;
		}
		if ((nc = realloc(r->conds, (r->nconds + 1) * sizeof(*nc))) == NULL) {
			sec_error(l, s->vline[key], "out of memory");
			goto out;
		}
		r->conds = nc;
		c = &r->conds[r->nconds];
		memset(c, 0, sizeof(*c));
		c->unless = key == K_UNLESS;
		if (eq > p && eq[-1] == '!') {
			c->negate = 1;
			eq[-1] = '\0';
		}
		*eq = '\0';
		name = trim(p);
		val = trim(eq + 1);
		if (strncmp(name, "agent.", 6) == 0) {
			c->fact = 1;
			name += 6;
			if (!valid_name(name, strlen(name))) {
				sec_error(l, s->vline[key], "'%s' names the agent fact '%.64s', which "
				    "cannot be one (letters, digits and '_')", keys[key].name, name);
				goto out;
			}
		} else if (!valid_field(name, strlen(name))) {
			sec_error(l, s->vline[key], "'%s' names '%.64s', which is not the name of "
			    "a Windows event's value (letters, digits, '_' for a space, '-')",
			    keys[key].name, name);
			goto out;
		}
		snprintf(c->name, sizeof(c->name), "%s", name);
		if (*val == '\0') {
			sec_error(l, s->vline[key], "'%s': the condition on '%s' has no value",
			    keys[key].name, c->name);
			goto out;
		}
		if (alt_split(&c->alts, val, msg, sizeof(msg)) != 0) {
			free(c->alts.buf);
			sec_error(l, s->vline[key], "'%s': the condition on '%s' %s", keys[key].name,
			    c->name, msg);
			goto out;
		}
		r->nconds++;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

/* event_id = 4728 4732 4756 (or with commas). */
static int
event_ids(struct loader *l, struct rule *r)
{
	struct section *s = &l->sec;
	const char *p = s->val[K_EVENT_ID];
	unsigned long v;
	char *end;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || v > 65535 || (*end != '\0' && *end != ' ' && *end != '\t' &&
		    *end != ','))
			goto bad;
		if (r->nevent_ids == RULES_MAX_EVENT_IDS) {
			sec_error(l, s->vline[K_EVENT_ID], "'event_id' has more than %d ids",
			    RULES_MAX_EVENT_IDS);
			return -1;
		}
		r->event_ids[r->nevent_ids++] = (uint16_t)v;
		p = end;
	}
	if (r->nevent_ids > 0)
		return 0;
bad:
	sec_error(l, s->vline[K_EVENT_ID], "'event_id' must be numbers from 0 to 65535 "
	    "(several: separated by spaces), not '%.64s'", s->val[K_EVENT_ID]);
	return -1;
}

/* fields = TargetUserName user=SubjectUserName computer: the rule's fields, in order. */
static int
event_fields(struct loader *l, struct rule *r)
{
	struct section *s = &l->sec;
	char msg[RULES_MSG_MAX];
	struct rules_list fl;
	const char *item, *eq, *src;
	size_t i, k, alen;

	if (s->val[K_FIELDS] == NULL)
		return 0;
	if (list_split(&fl, s->val[K_FIELDS], RULES_MAX_NAME + 1 + RULES_MAX_FIELD_NAME,
	    "fields", msg, sizeof(msg)) != 0) {
		free(fl.buf);
		sec_error(l, s->vline[K_FIELDS], "%s", msg);
		return -1;
	}
	if ((r->captures = calloc(fl.n, sizeof(*r->captures))) == NULL ||
	    (r->field_src = calloc(fl.n, sizeof(*r->field_src))) == NULL) {
		free(fl.buf);
		sec_error(l, s->vline[K_FIELDS], "out of memory");
		return -1;
	}
	for (i = 0; i < fl.n; i++) {
		item = fl.item[i];
		eq = strchr(item, '=');
		src = eq != NULL ? eq + 1 : item;
		alen = eq != NULL ? (size_t)(eq - item) : strlen(item);
		if (!valid_name(item, alen)) {
			snprintf(msg, sizeof(msg), "'fields' has '%.64s': a field's name is 1 to %d "
			    "letters, digits or '_' (write NAME=WindowsName to rename one)", item,
			    RULES_MAX_NAME);
			goto bad;
		}
		if (!valid_field(src, strlen(src))) {
			snprintf(msg, sizeof(msg), "'fields' has '%.64s', which is not the name of a "
			    "Windows event's value (letters, digits, '_' for a space, '-')", src);
			goto bad;
		}
		if ((alen == 6 && memcmp(item, "repeat", 6) == 0) ||
		    (alen == 7 && memcmp(item, "program", 7) == 0) ||
		    (alen == 6 && memcmp(item, "source", 6) == 0)) {
			snprintf(msg, sizeof(msg), "the field name '%.*s' is reserved", (int)alen,
			    item);
			goto bad;
		}
		snprintf(r->captures[i].name, sizeof(r->captures[i].name), "%.*s", (int)alen, item);
		snprintf(r->field_src[i], sizeof(r->field_src[i]), "%s", src);
		for (k = 0; k < i; k++)
			if (strcmp(r->captures[k].name, r->captures[i].name) == 0)
				break;
		if (k < i) {
			snprintf(msg, sizeof(msg), "'fields' names '%s' twice", r->captures[i].name);
			goto bad;
		}
		r->ncaptures++;
	}
	if (r->ncaptures > RULES_MAX_CAPTURES) {
		snprintf(msg, sizeof(msg), "'fields' has more than %d names", RULES_MAX_CAPTURES);
		goto bad;
	}
	free(fl.buf);
	return 0;
bad:
	free(fl.buf);
	sec_error(l, s->vline[K_FIELDS], "%s", msg);
	return -1;
}

static int
build_event_rule(struct loader *l, struct rule *r)
{
	static const enum key line_only[] = { K_PATTERN, K_PROGRAM, K_PREFILTER };
	struct section *s = &l->sec;
	const char *names[RULES_MAX_CAPTURES];
	char msg[RULES_MSG_MAX];
	size_t i;

	for (i = 0; i < sizeof(line_only) / sizeof(line_only[0]); i++) {
		if (s->val[line_only[i]] != NULL) {
			sec_error(l, s->vline[line_only[i]], "'%s' is for a log-line rule, and this "
			    "is an event rule (channel, event_id): a rule is one or the other",
			    keys[line_only[i]].name);
			return -1;
		}
	}
	if (s->val[K_CHANNEL] == NULL || s->val[K_EVENT_ID] == NULL) {
		sec_error(l, s->line, "an event rule needs both 'channel' and 'event_id'");
		return -1;
	}
	if (s->val[K_SOURCES] != NULL && list_split(&r->sources, s->val[K_SOURCES], 128,
	    "sources", msg, sizeof(msg)) != 0) {
		sec_error(l, s->vline[K_SOURCES], "%s", msg);
		return -1;
	}
	if (*s->val[K_CHANNEL] == '\0' || strlen(s->val[K_CHANNEL]) >= WINEVENT_MAX_SYS ||
	    (s->val[K_PROVIDER] != NULL && (*s->val[K_PROVIDER] == '\0' ||
	    strlen(s->val[K_PROVIDER]) >= WINEVENT_MAX_SYS))) {
		sec_error(l, s->vline[*s->val[K_CHANNEL] == '\0' ||
		    strlen(s->val[K_CHANNEL]) >= WINEVENT_MAX_SYS ? K_CHANNEL : K_PROVIDER],
		    "'channel' and 'provider' are 1 to %d bytes", WINEVENT_MAX_SYS - 1);
		return -1;
	}
	if ((r->channel = strdup(s->val[K_CHANNEL])) == NULL || (s->val[K_PROVIDER] != NULL &&
	    (r->provider = strdup(s->val[K_PROVIDER])) == NULL)) {
		sec_error(l, s->line, "out of memory");
		return -1;
	}
	if (event_ids(l, r) != 0 || conditions(l, r, K_WHERE) != 0 ||
	    conditions(l, r, K_UNLESS) != 0 || event_fields(l, r) != 0)
		return -1;
	for (i = 0; i < r->ncaptures; i++)
		names[i] = r->captures[i].name;
	if (summary(l, r, names, r->ncaptures, 0) != 0)
		return -1;
	return suppression(l, r);
}

static int
build_rule(struct loader *l, struct rule *r)
{
	struct section *s = &l->sec;
	const char *names[RULES_MAX_CAPTURES];
	char msg[RULES_MSG_MAX], lit[RULES_MAX_PREFILTER + 1];
	PCRE2_UCHAR emsg[256];
	PCRE2_SIZE eoff;
	size_t i, n;
	int ecode;

	if (r->is_event)
		return build_event_rule(l, r);
	for (i = K_CHANNEL; i < K_NKEYS; i++) {
		if (s->val[i] != NULL) {
			sec_error(l, s->vline[i], "'%s' is for an event rule (channel, event_id), "
			    "and this is a log-line rule (pattern): a rule is one or the other",
			    keys[i].name);
			return -1;
		}
	}
	if (s->val[K_PROGRAM] != NULL && list_split(&r->programs, s->val[K_PROGRAM],
	    SYSLOG_MAX_TAG, "program", msg, sizeof(msg)) != 0)
		goto bad_program;
	if (s->val[K_SOURCES] != NULL && list_split(&r->sources, s->val[K_SOURCES], 128,
	    "sources", msg, sizeof(msg)) != 0) {
		sec_error(l, s->vline[K_SOURCES], "%s", msg);
		return -1;
	}
	/*
	 * UTF mode, and the matcher hands PCRE2 valid UTF-8 only (PCRE2 10.42's
	 * JIT misses matches under PCRE2_MATCH_INVALID_UTF, so that is not used).
	 */
	r->code = pcre2_compile((PCRE2_SPTR)s->val[K_PATTERN], PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &ecode, &eoff, NULL);
	if (r->code == NULL) {
		pcre2_get_error_message(ecode, emsg, sizeof(emsg));
		sec_error(l, s->vline[K_PATTERN], "pattern does not compile at offset %zu: %s",
		    (size_t)eoff, (const char *)emsg);
		return -1;
	}
	/* Without JIT (no executable memory, say) the interpreter still matches. */
	r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
	if (read_captures(r, msg, sizeof(msg)) != 0) {
		sec_error(l, s->vline[K_PATTERN], "%s", msg);
		return -1;
	}
	if (s->val[K_PREFILTER] != NULL) {
		n = strlen(s->val[K_PREFILTER]);
		if (n == 0 || n > RULES_MAX_PREFILTER) {
			sec_error(l, s->vline[K_PREFILTER], "'prefilter' must be 1 to %d bytes",
			    RULES_MAX_PREFILTER);
			return -1;
		}
		r->prefilter = strdup(s->val[K_PREFILTER]);
	} else if ((n = rules_required_literal(s->val[K_PATTERN], lit, sizeof(lit))) > 0) {
		r->prefilter = strdup(lit);
	}
	if (n > 0 && r->prefilter == NULL) {
		sec_error(l, 0, "out of memory");
		return -1;
	}
	r->prefilter_len = r->prefilter != NULL ? strlen(r->prefilter) : 0;

	for (i = 0; i < r->ncaptures; i++)
		names[i] = r->captures[i].name;
	if (summary(l, r, names, r->ncaptures, 0) != 0)
		return -1;
	return suppression(l, r);
bad_program:
	sec_error(l, s->vline[K_PROGRAM], "%s", msg);
	return -1;
}

static int
build_threshold(struct loader *l, struct rule *r)
{
	struct section *s = &l->sec;
	const char *names[RULES_MAX_GROUP_BY];
	char msg[RULES_MSG_MAX], *end;
	struct rules_list by;
	long long v;
	size_t i, k;

	r->count_category = -1;
	if (s->val[K_RULES] != NULL && s->val[K_CATEGORY] != NULL) {
		sec_error(l, s->vline[K_CATEGORY], "'rules' and 'category' cannot both be given");
		return -1;
	}
	if (s->val[K_RULES] == NULL && s->val[K_CATEGORY] == NULL) {
		sec_error(l, s->line, "needs 'rules' or 'category': what it counts");
		return -1;
	}
	if (s->val[K_RULES] != NULL && list_split(&r->counts, s->val[K_RULES], RULES_ID_MAX,
	    "rules", msg, sizeof(msg)) != 0) {
		sec_error(l, s->vline[K_RULES], "%s", msg);
		return -1;
	}
	r->ngroups = 1;
	for (i = 0; i < r->counts.n; i++) {
		if (strcmp(r->counts.item[i], "|") == 0) {
			/* "|" separates counts kept apart: each needs a rule. */
			if (i == 0 || i + 1 == r->counts.n ||
			    strcmp(r->counts.item[i + 1], "|") == 0) {
				sec_error(l, s->vline[K_RULES], "'rules' has a '|' with no rule "
				    "on one side");
				return -1;
			}
			r->ngroups++;
			continue;
		}
		for (k = 0; k < i; k++)
			if (strcmp(r->counts.item[k], r->counts.item[i]) == 0)
				break;
		if (k < i) {
			sec_error(l, s->vline[K_RULES], "'rules' names '%s' twice",
			    r->counts.item[i]);
			return -1;
		}
	}
	if (s->val[K_CATEGORY] != NULL &&
	    (r->count_category = category_from_name(s->val[K_CATEGORY])) <= 0) {
		sec_error(l, s->vline[K_CATEGORY], "unknown category '%s'", s->val[K_CATEGORY]);
		return -1;
	}
	errno = 0;
	v = strtoll(s->val[K_COUNT], &end, 10);
	if (*s->val[K_COUNT] == '\0' || *end != '\0' || errno != 0 || v < 1 ||
	    v > THRESHOLD_MAX_COUNT) {
		sec_error(l, s->vline[K_COUNT], "'count' must be a number from 1 to %d",
		    THRESHOLD_MAX_COUNT);
		return -1;
	}
	r->count = (unsigned)v;
	if (duration_us(s->val[K_WINDOW], "window", &r->window_us, msg, sizeof(msg)) != 0) {
		sec_error(l, s->vline[K_WINDOW], "%s", msg);
		return -1;
	}
	snprintf(r->window_text, sizeof(r->window_text), "%.31s", s->val[K_WINDOW]);
	if (s->val[K_GROUP_BY] != NULL) {
		if (field_list(l, K_GROUP_BY, &by) != 0)
			return -1;
		for (i = 0; i < by.n; i++) {
			if (!valid_name(by.item[i], by.len[i]) || strcmp(by.item[i], "count") == 0) {
				sec_error(l, s->vline[K_GROUP_BY], "'group_by' names '%s', which "
				    "cannot be a field", by.item[i]);
				free(by.buf);
				return -1;
			}
			for (k = 0; k < i; k++)
				if (strcmp(by.item[k], by.item[i]) == 0)
					break;
			if (k < i) {
				sec_error(l, s->vline[K_GROUP_BY], "'group_by' names '%s' twice",
				    by.item[i]);
				free(by.buf);
				return -1;
			}
			snprintf(r->group_by[i], sizeof(r->group_by[i]), "%s", by.item[i]);
			names[i] = r->group_by[i];
		}
		r->ngroup_by = by.n;
		free(by.buf);
	}
	if (s->val[K_DISTINCT] != NULL) {
		if (!valid_name(s->val[K_DISTINCT], strlen(s->val[K_DISTINCT])) ||
		    strcmp(s->val[K_DISTINCT], "count") == 0) {
			sec_error(l, s->vline[K_DISTINCT], "'distinct' names '%s', which cannot "
			    "be a field", s->val[K_DISTINCT]);
			return -1;
		}
		for (i = 0; i < r->ngroup_by; i++) {
			if (strcmp(r->group_by[i], s->val[K_DISTINCT]) == 0) {
				sec_error(l, s->vline[K_DISTINCT], "'distinct' names '%s', which "
				    "is in 'group_by': within a group it has one value",
				    s->val[K_DISTINCT]);
				return -1;
			}
		}
		snprintf(r->distinct, sizeof(r->distinct), "%s", s->val[K_DISTINCT]);
	}
	if (summary(l, r, names, r->ngroup_by, 1) != 0)
		return -1;
	return 0;
}

/* Put r into the set: a new id, or one replacing an earlier layer's. */
static void
add_rule(struct loader *l, struct rule *r)
{
	struct ruleset *rs = l->rs;
	struct rule **nr, *e;
	size_t i, ncap;

	for (i = 0; i < rs->n; i++) {
		e = rs->r[i];
		if (strcmp(e->id, r->id) != 0)
			continue;
		if (e->layer == r->layer) {
			sec_error(l, r->line, "duplicate id (first at %s:%u)", e->file, e->line);
			rule_free(r);
			return;
		}
		if (e->is_threshold != r->is_threshold) {
			sec_error(l, r->line, "%s:%u defines this id as a %s; only a %s can "
			    "replace it", e->file, e->line, e->is_threshold ? "threshold" : "rule",
			    e->is_threshold ? "threshold" : "rule");
			rule_free(r);
			return;
		}
		rule_free(e);
		rs->r[i] = r;
		return;
	}
	if (rs->n == RULES_MAX) {
		sec_error(l, r->line, "more than %d rules and thresholds", RULES_MAX);
		rule_free(r);
		return;
	}
	if (rs->n == rs->cap) {
		ncap = rs->cap == 0 ? 64 : rs->cap * 2;
		if ((nr = realloc(rs->r, ncap * sizeof(*nr))) == NULL) {
			sec_error(l, r->line, "out of memory");
			rule_free(r);
			return;
		}
		rs->r = nr;
		rs->cap = ncap;
	}
	rs->r[rs->n++] = r;
}

static void
section_reset(struct section *s)
{
	size_t i;

	for (i = 0; i < K_NKEYS; i++)
		free(s->val[i]);
	memset(s, 0, sizeof(*s));
}

/* The current section is complete: check it, build it, add it. */
static void
section_end(struct loader *l)
{
	static const enum key rule_req[] = { K_DESCRIPTION, K_CATEGORY, K_SEVERITY, K_SUMMARY };
	static const enum key thr_req[] = { K_DESCRIPTION, K_COUNT, K_WINDOW, K_EVENT_CATEGORY,
	    K_SEVERITY, K_SUMMARY };
	struct section *s = &l->sec;
	const enum key *req = s->threshold ? thr_req : rule_req;
	size_t nreq = s->threshold ? sizeof(thr_req) / sizeof(thr_req[0]) :
	    sizeof(rule_req) / sizeof(rule_req[0]), i;
	const char *catv;
	struct rule *r = NULL;
	int enabled = 1;

	if (!s->active || s->bad)
		goto out;
	if (s->val[K_ENABLED] != NULL && ini_bool(s->val[K_ENABLED], &enabled) != 0) {
		sec_error(l, s->vline[K_ENABLED], "'enabled' must be yes or no, not '%s'",
		    s->val[K_ENABLED]);
		goto out;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->file = strdup(l->path)) == NULL) {
		sec_error(l, s->line, "out of memory");
		goto out;
	}
	snprintf(r->id, sizeof(r->id), "%.64s", s->id);
	r->is_threshold = s->threshold;
	r->enabled = enabled;
	r->layer = l->layer;
	r->line = s->line;
	r->count_category = -1;
	if (!enabled) {
		/* Only a marker: the id is switched off, whatever else the section says. */
		add_rule(l, r);
		r = NULL;
		goto out;
	}
	/* A rule with a pattern reads log lines; one with channel or event_id, Windows events. */
	r->is_event = !s->threshold && s->val[K_PATTERN] == NULL &&
	    (s->val[K_CHANNEL] != NULL || s->val[K_EVENT_ID] != NULL);
	for (i = 0; i < nreq; i++) {
		if (s->val[req[i]] == NULL) {
			sec_error(l, s->line, "missing required key '%s'", keys[req[i]].name);
			goto out;
		}
		if (i == 0 && !s->threshold && !r->is_event && s->val[K_PATTERN] == NULL) {
			sec_error(l, s->line, "missing required key 'pattern' (or, for a Windows "
			    "event rule, 'channel' and 'event_id')");
			goto out;
		}
	}
	if (*s->val[K_DESCRIPTION] == '\0' || (r->description = strdup(s->val[K_DESCRIPTION])) ==
	    NULL) {
		sec_error(l, s->vline[K_DESCRIPTION], "'description' is empty");
		goto out;
	}
	catv = s->threshold ? s->val[K_EVENT_CATEGORY] : s->val[K_CATEGORY];
	if ((r->category = category_from_name(catv)) <= 0) {
		sec_error(l, s->vline[s->threshold ? K_EVENT_CATEGORY : K_CATEGORY],
		    "unknown category '%s'", catv);
		goto out;
	}
	if ((r->severity = severity_from_name(s->val[K_SEVERITY])) <= 0) {
		sec_error(l, s->vline[K_SEVERITY], "unknown severity '%s' (info, low, medium, "
		    "high or critical)", s->val[K_SEVERITY]);
		goto out;
	}
	if ((s->threshold ? build_threshold(l, r) : build_rule(l, r)) != 0)
		goto out;
	add_rule(l, r);
	r = NULL;
out:
	rule_free(r);
	section_reset(s);
}

static void
section_begin(struct loader *l, const char *name, const char *label)
{
	struct section *s = &l->sec;

	section_end(l);
	if (strcmp(name, "rule") != 0 && strcmp(name, "threshold") != 0) {
		file_error(l, "unknown section [%s]: a rule file has [rule ID] and "
		    "[threshold ID]", name);
		s->bad = 1;
		return;
	}
	s->active = 1;
	s->threshold = strcmp(name, "threshold") == 0;
	s->line = l->lineno;
	text_escape(s->id, sizeof(s->id), label, strnlen(label, RULES_ID_MAX + 8));
	if (!valid_id(label))
		sec_error(l, 0, "the id must be 1 to %d letters, digits, '.', '_' or '-'",
		    RULES_ID_MAX);
}

/* A header without its ']': the section before it ends, and the keys after it are not read. */
static void
section_broken(struct loader *l, const char *why)
{
	section_end(l);
	file_error(l, "%s", why);
	l->sec.bad = 1;           /* its keys are not reported again */
}

/* A line in no section, or without '=' (key NULL): reported once per section. */
static void
key_value(struct loader *l, const char *text, const char *key, char *val)
{
	struct section *s = &l->sec;
	const char *why;
	size_t i, n;

	if (!s->active) {
		if (s->bad)
			return;
		file_error(l, "'%.64s' is outside of any [rule] or [threshold] section", text);
		s->bad = 1;       /* once until the next section */
		return;
	}
	if (s->bad)
		return;
	if (key == NULL) {
		sec_error(l, 0, "expected 'key = value'");
		return;
	}
	for (i = 0; i < K_NKEYS; i++)
		if (strcmp(keys[i].name, key) == 0 &&
		    (keys[i].kinds & (s->threshold ? FOR_THRESHOLD : FOR_RULE)))
			break;
	if (i == K_NKEYS) {
		sec_error(l, 0, "unknown key '%.64s'", key);
		return;
	}
	if (s->val[i] != NULL) {
		sec_error(l, 0, "duplicate key '%s' (first on line %u)", key, s->vline[i]);
		return;
	}
	if (*val == '"' && ini_unquote(val, &why) != 0) {
		sec_error(l, 0, "%s", why);
		return;
	}
	n = strlen(val);
	if (!text_utf8_valid(val, n)) {
		sec_error(l, 0, "the value of '%s' is not valid UTF-8", key);
		return;
	}
	for (n = 0; val[n] != '\0'; n++) {
		if ((unsigned char)val[n] < 0x20 || val[n] == 0x7f) {
			sec_error(l, 0, "the value of '%s' contains a control character", key);
			return;
		}
	}
	if ((s->val[i] = strdup(val)) == NULL) {
		sec_error(l, 0, "out of memory");
		return;
	}
	s->vline[i] = l->lineno;
}

/* Read r to its end; every problem is reported, none stops the reading. */
static void
load_stream(struct loader *l, struct ini *r)
{
	struct ini_item it;
	const char *failed = NULL;

	while (failed == NULL && ini_next(r, &it) != INI_END) {
		l->lineno = it.line;
		if (it.what == INI_SECTION)
			section_begin(l, it.name, it.label);
		else if (it.what == INI_KEY)
			key_value(l, it.text, it.name, it.value);
		else if (it.error == INI_ERR_READ)
			failed = it.why;
		else if (it.error == INI_ERR_NOEQ)
			key_value(l, it.text, NULL, NULL);
		else if (it.error == INI_ERR_HEADER)
			section_broken(l, it.why);
		else if (l->sec.active)
			sec_error(l, 0, "%s", it.why);
		else
			file_error(l, "%s", it.why);
	}
	section_end(l);
	if (failed != NULL)
		report_at(l->rs, l->fn, l->arg, l->path, 0, "cannot read: %s", failed);
}

static void
loader_init(struct loader *l, struct ruleset *rs, const char *path, int layer,
    rules_error_fn fn, void *arg)
{
	memset(l, 0, sizeof(*l));
	l->rs = rs;
	l->path = path;
	l->layer = layer;
	l->fn = fn;
	l->arg = arg;
}

/* ---- the set -------------------------------------------------------------- */

struct ruleset *
rules_new(void)
{
	struct ruleset *rs;

	if ((rs = calloc(1, sizeof(*rs))) != NULL)
		snprintf(rs->lang, sizeof(rs->lang), "en");
	return rs;
}

void
rules_language(struct ruleset *rs, const char *lang)
{
	snprintf(rs->lang, sizeof(rs->lang), "%s", lang != NULL && lang[0] != '\0' ? lang : "en");
}

void
rules_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_free(rs->r[i]);
	free(rs->r);
	free(rs);
}

int
rules_load_text(struct ruleset *rs, const char *name, const char *text, size_t len,
    int layer, rules_error_fn fn, void *arg)
{
	struct loader l;
	struct ini *r;

	loader_init(&l, rs, name, layer, fn, arg);
	if (len == 0)
		return 0;
	if ((r = malloc(sizeof(*r))) == NULL) {
		report_at(rs, fn, arg, name, 0, "cannot read: out of memory");
		return VIGIL_ERR_NOMEM;
	}
	ini_text(r, text, len);
	load_stream(&l, r);
	free(r);
	return 0;
}

int
rules_load_file(struct ruleset *rs, const char *path, int layer, rules_error_fn fn,
    void *arg)
{
	struct loader l;
	struct ini *r;
	FILE *fp;

	loader_init(&l, rs, path, layer, fn, arg);
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return VIGIL_ERR_NOTFOUND;
		report_at(rs, fn, arg, path, 0, "cannot open: %s", strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		fclose(fp);
		report_at(rs, fn, arg, path, 0, "cannot read: out of memory");
		return VIGIL_ERR_NOMEM;
	}
	ini_file(r, fp);
	load_stream(&l, r);
	free(r);
	fclose(fp);
	return 0;
}

int
rules_load_dir(struct ruleset *rs, const char *dir, int layer, rules_error_fn fn, void *arg)
{
	char **names, path[4096], msg[RULES_MSG_MAX];
	size_t n, i;
	int rc;

	if ((rc = dir_names(dir, ".rules", &names, &n)) != 0) {
		if (rc == VIGIL_ERR_NOTFOUND)
			return rc;
		report_at(rs, fn, arg, dir, 0, "cannot read the rules directory: %s",
		    strerror(errno));
		return VIGIL_ERR_SYS;
	}
	for (i = 0; i < n; i++) {
		if (i >= RULES_MAX_FILES) {
			if (i == RULES_MAX_FILES)
				report_at(rs, fn, arg, dir, 0, "more than %d rule files; the rest are "
				    "not read", RULES_MAX_FILES);
		} else if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >=
		    sizeof(path)) {
			snprintf(msg, sizeof(msg), "%s/%s: the path is too long", dir, names[i]);
			report(rs, fn, arg, msg);
		} else if (rules_load_file(rs, path, layer, fn, arg) == VIGIL_ERR_SYS) {
			rc = VIGIL_ERR_SYS;
		}
	}
	dir_names_free(names, n);
	return rc;
}

static struct rule *
find(struct rule **r, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i]->id, id) == 0)
			return r[i];
	return NULL;
}

static void
thr_error(struct ruleset *rs, rules_error_fn fn, void *arg, const struct rule *t,
    const char *msg)
{
	report_at(rs, fn, arg, t->file, t->line, "threshold %s: %s", t->id, msg);
}

void
rules_finish(struct ruleset *rs, rules_error_fn fn, void *arg)
{
	struct rule **all = rs->r, *t, *r;
	size_t n = rs->n, i, j, k, live = 0;
	char msg[RULES_MSG_MAX];
	unsigned group;
	int bad;

	if (rs->finished)
		return;
	rs->finished = 1;
	/* Thresholds first: what they count must exist, in this set or switched off. */
	for (i = 0; i < n; i++) {
		t = all[i];
		if (!t->enabled || !t->is_threshold)
			continue;
		bad = 0;
		for (j = 0; j < t->counts.n && !bad; j++) {
			if (strcmp(t->counts.item[j], "|") == 0)
				continue;
			r = find(all, n, t->counts.item[j]);
			if (r == NULL) {
				snprintf(msg, sizeof(msg), "counts '%s', which no rule defines",
				    t->counts.item[j]);
				bad = 1;
			} else if (r->is_threshold) {
				snprintf(msg, sizeof(msg), "counts '%s', which is a threshold",
				    t->counts.item[j]);
				bad = 1;
			}
		}
		if (bad) {
			thr_error(rs, fn, arg, t, msg);
			t->enabled = 0;
		}
	}
	/* What is on moves to the front, in order; what is off goes to the back. */
	for (i = 0; i < n; i++) {
		if (all[i]->enabled) {
			t = all[live];
			all[live++] = all[i];
			all[i] = t;
		}
	}
	/* Link each rule to the thresholds that count it. */
	for (i = 0; i < live; i++) {
		t = all[i];
		if (!t->is_threshold)
			continue;
		for (j = 0; j < live; j++) {
			r = all[j];
			if (r->is_threshold)
				continue;
			group = 0;
			if (t->count_category >= 0) {
				if (r->category != t->count_category)
					continue;
			} else {
				for (k = 0; k < t->counts.n; k++) {
					if (strcmp(t->counts.item[k], "|") == 0)
						group++;
					else if (strcmp(t->counts.item[k], r->id) == 0)
						break;
				}
				if (k == t->counts.n)
					continue;
			}
			if (r->ncounted_by == RULES_MAX_COUNTED_BY) {
				snprintf(msg, sizeof(msg), "rule %s is already counted by %d "
				    "thresholds; this one does not count it", r->id,
				    RULES_MAX_COUNTED_BY);
				thr_error(rs, fn, arg, t, msg);
				continue;
			}
			r->counted_group[r->ncounted_by] = (unsigned char)group;
			r->counted_by[r->ncounted_by++] = i;
		}
	}
	for (i = live; i < n; i++)
		rule_free(all[i]);
	rs->n = live;
	rs->nrules = rs->nthresholds = 0;
	for (i = 0; i < live; i++) {
		if (all[i]->is_threshold)
			rs->nthresholds++;
		else
			rs->nrules++;
	}
}
