/*
 * The escalation file: its tables (contacts, chains, routes, quiet hours),
 * parsing with file:line errors, the cross-checks between sections, and -nv
 * printing. No clock; reading the file is the only I/O. escalate.h gives the
 * semantics; escalate.c is the engine that runs on what this loads.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil.pb-c.h"
#include "vigil/config.h"
#include "vigil/err.h"
#include "vigil/names.h"

#include "escalate_int.h"
#include "report_run.h"
#include "budget.h"
#include "sms.h"

static const struct {
	const char *name;
	unsigned bit;
} group_fields[] = {
	{ "category", ESC_GROUP_CATEGORY },
	{ "severity", ESC_GROUP_SEVERITY },
	{ "unit", ESC_GROUP_UNIT },
	{ "host", ESC_GROUP_HOST },
	{ "agent", ESC_GROUP_AGENT },
	{ "rule", ESC_GROUP_RULE },
	{ "incident", ESC_GROUP_INCIDENT },
};


/* ---- configuration tables ------------------------------------------------------ */

#define CKEY(n, t, d, lo, hi, f, req, h) \
	{ n, t, d, lo, hi, offsetof(struct escalate_contact, f), \
	    sizeof(((struct escalate_contact *)0)->f), req, h }

static const struct cfg_key contact_keys[] = {
	CKEY("name", CFG_STRING, NULL, 0, 0, name, 0,
	    "Display name of the person or office."),
	CKEY("email", CFG_STRING, NULL, 0, 0, email, 0,
	    "Email addresses, separated by spaces."),
	CKEY("webhook", CFG_STRING, NULL, 0, 0, webhook, 0,
	    "HTTPS URL that receives the incident as JSON."),
	CKEY("command", CFG_STRING, NULL, 0, 0, command, 0,
	    "Program and arguments (no shell); the incident arrives as JSON on stdin."),
	CKEY("phone", CFG_STRING, NULL, 0, 0, phone, 0,
	    "Mobile number for SMS through gammu-smsd ([sms] in collector.conf), e.g. "
	    "+84901234567; its replies (\"XN 4821\") acknowledge."),
	{ "max_per_hour", CFG_INT, "12", 0, BUDGET_PER_HOUR_MAX,
	    offsetof(struct escalate_contact, max_per_hour), 0, 0,
	    "Messages at most in any hour; the rest wait for the digest (0: no limit)." },
	CKEY("urgent_min_severity", CFG_STRING, "info", 0, 0, urgent_min_severity, 0,
	    "Incidents below this severity are never sent at once, only in the digest (the "
	    "ward Police: high)."),
	{ "digest_every", CFG_DURATION, "1h", 1000, 7 * 24 * 3600 * 1000LL,
	    offsetof(struct escalate_contact, digest_every), 0, 0,
	    "A digest goes this long after the first message it holds (the Police: 24h)." },
	{ "digest_min_age", CFG_DURATION, "0", 0, 30 * 24 * 3600 * 1000LL,
	    offsetof(struct escalate_contact, digest_min_age), 0, 0,
	    "A digest lists only incidents nobody acknowledged for this long; younger ones wait "
	    "for the next (the Police: 24h)." },
	CKEY("language", CFG_STRING, "vi", 0, 0, language, 0,
	    "Language of the messages: vi or en."),
	CKEY("role", CFG_STRING, NULL, 0, 0, role, 0,
	    "A [role LABEL] whose budget keys apply where this contact sets none."),
	{ NULL },
};

#define OKEY(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct escalate_role, f), \
	    t == CFG_STRING ? sizeof(((struct escalate_role *)0)->f) : 0, 0, h }

static const struct cfg_key role_keys[] = {
	OKEY("max_per_hour", CFG_INT, "12", 0, BUDGET_PER_HOUR_MAX, max_per_hour,
	    "Messages at most in any hour to each contact of the role (0: no limit)."),
	OKEY("urgent_min_severity", CFG_STRING, "info", 0, 0, urgent_min_severity,
	    "Incidents below this severity reach the role's contacts only in the digest."),
	OKEY("digest_every", CFG_DURATION, "1h", 1000, 7 * 24 * 3600 * 1000LL, digest_every,
	    "The digest goes this long after the first message it holds."),
	OKEY("digest_min_age", CFG_DURATION, "0", 0, 30 * 24 * 3600 * 1000LL, digest_min_age,
	    "A digest lists only incidents nobody acknowledged for this long."),
	{ NULL },
};

/* Which budget keys a contact section writes itself, and the flag of each. */
static const struct {
	const char *key;
	unsigned bit;
} budget_keys[] = {
	{ "max_per_hour", ESC_BUDGET_MAX_PER_HOUR },
	{ "urgent_min_severity", ESC_BUDGET_URGENT },
	{ "digest_every", ESC_BUDGET_DIGEST_EVERY },
	{ "digest_min_age", ESC_BUDGET_MIN_AGE },
};

#define LVL(i, n) \
	{ "level" #n, CFG_STRING, NULL, 0, 0, offsetof(struct escalate_chain, level[i]), \
	    ESC_LIST_MAX, 0, "Contacts notified at level " #n "." }
#define WAIT(i, n) \
	{ "level" #n "_wait", CFG_DURATION, NULL, SEC_MS, 30 * DAY_MS, \
	    offsetof(struct escalate_chain, wait[i]), 0, 0, \
	    "Wait this long for an acknowledgement before the next level." }
#define HNUM(n, t, d, lo, hi, s, f, h) \
	{ n, t, d, lo, hi, offsetof(s, f), 0, 0, h }

static const struct cfg_key chain_keys[] = {
	LVL(0, 1), WAIT(0, 1), LVL(1, 2), WAIT(1, 2), LVL(2, 3), WAIT(2, 3),
	LVL(3, 4), WAIT(3, 4), LVL(4, 5), WAIT(4, 5), LVL(5, 6), WAIT(5, 6),
	LVL(6, 7), WAIT(6, 7), LVL(7, 8), WAIT(7, 8),
	HNUM("repeat_last", CFG_BOOL, "no", 0, 0, struct escalate_chain, repeat_last,
	    "Notify the last level again until acknowledged."),
	HNUM("repeat_interval", CFG_DURATION, "4h", MIN_MS, 30 * DAY_MS, struct escalate_chain,
	    repeat_interval, "Time between repeats of the last level."),
	HNUM("repeat_max", CFG_INT, "0", 0, 1000, struct escalate_chain, repeat_max,
	    "Repeats at most; 0: until acknowledged."),
	{ NULL },
};

#define RKEY(n, t, d, f, h) \
	{ n, t, d, 0, 0, offsetof(struct escalate_route, f), \
	    sizeof(((struct escalate_route *)0)->f), 0, h }

static const struct cfg_key route_keys[] = {
	RKEY("category", CFG_STRING, NULL, category,
	    "Categories this route takes, separated by spaces; empty: all."),
	RKEY("min_severity", CFG_STRING, "info", min_severity,
	    "Lowest severity this route takes: info, low, medium, high, critical."),
	RKEY("unit", CFG_STRING, NULL, unit, "Units (shell patterns); empty: all."),
	RKEY("host", CFG_STRING, NULL, host, "Host names (shell patterns); empty: all."),
	RKEY("rule", CFG_STRING, NULL, rule,
	    "Rule ids (shell patterns, e.g. agent.silent); empty: all."),
	RKEY("chain", CFG_STRING, NULL, chain, "The escalation chain; empty: none."),
	RKEY("notify_now", CFG_STRING, NULL, notify_now,
	    "Contacts told at once, acknowledged or not."),
	HNUM("continue", CFG_BOOL, "no", 0, 0, struct escalate_route, cont,
	    "Try the next routes too after this one matched."),
	RKEY("group_by", CFG_STRING, NULL, group_by,
	    "Fields that make a group: category severity unit host agent rule incident; "
	    "empty: one group."),
	HNUM("group_wait", CFG_DURATION, "30s", 0, DAY_MS, struct escalate_route, group_wait,
	    "Wait this long for more incidents before a group's first notification."),
	HNUM("group_interval", CFG_DURATION, "5m", SEC_MS, DAY_MS, struct escalate_route,
	    group_interval, "New incidents of a group that has notified go out this often."),
	HNUM("repeat_interval", CFG_DURATION, NULL, MIN_MS, 30 * DAY_MS, struct escalate_route,
	    repeat_interval, "Overrides the chain's repeat_interval."),
	RKEY("reportable", CFG_STRING, "none", reportable,
	    "Reports an incident this route opens owes at once (their deadlines start): "
	    "notice, initial, closing, breach, comma-separated; none: no report."),
	{ NULL },
};

#define QKEY(n, d, f, h) \
	{ n, CFG_STRING, d, 0, 0, offsetof(struct escalate_quiet, f), \
	    sizeof(((struct escalate_quiet *)0)->f), 0, h }

static const struct cfg_key quiet_keys[] = {
	QKEY("timezone", "Asia/Ho_Chi_Minh", timezone,
	    "Time zone of start and end: a name Vigil knows, or UTC+07:00."),
	QKEY("start", NULL, start, "Quiet hours begin (HH:MM); empty: no quiet hours."),
	QKEY("end", NULL, end, "Quiet hours end (HH:MM); may be on the next day."),
	QKEY("defer_up_to", "medium", defer_up_to,
	    "Incidents at or below this severity wait for the end of quiet hours."),
	{ NULL },
};

static void *
contact_add(void *conf, const char *label)
{
	struct escalate_conf *c = conf;
	struct escalate_contact *p;

	if (c->ncontacts >= ESC_CONTACTS_MAX)
		return NULL;
	p = &c->contacts[c->ncontacts++];
	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s", label);
	return p;
}

static void *
contact_get(const void *conf, size_t i, const char **label)
{
	const struct escalate_conf *c = conf;

	if (i >= c->ncontacts)
		return NULL;
	*label = c->contacts[i].label;
	return (void *)(uintptr_t)&c->contacts[i];
}

static void *
role_add(void *conf, const char *label)
{
	struct escalate_conf *c = conf;
	struct escalate_role *p;

	if (c->nroles >= ESC_ROLES_MAX)
		return NULL;
	p = &c->roles[c->nroles++];
	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s", label);
	return p;
}

static void *
role_get(const void *conf, size_t i, const char **label)
{
	const struct escalate_conf *c = conf;

	if (i >= c->nroles)
		return NULL;
	*label = c->roles[i].label;
	return (void *)(uintptr_t)&c->roles[i];
}

static void *
chain_add(void *conf, const char *label)
{
	struct escalate_conf *c = conf;
	struct escalate_chain *p;

	if (c->nchains >= ESC_CHAINS_MAX)
		return NULL;
	p = &c->chains[c->nchains++];
	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s", label);
	return p;
}

static void *
chain_get(const void *conf, size_t i, const char **label)
{
	const struct escalate_conf *c = conf;

	if (i >= c->nchains)
		return NULL;
	*label = c->chains[i].label;
	return (void *)(uintptr_t)&c->chains[i];
}

static void *
route_add(void *conf, const char *label)
{
	struct escalate_conf *c = conf;
	struct escalate_route *p;

	if (c->nroutes >= ESC_ROUTES_MAX)
		return NULL;
	p = &c->routes[c->nroutes++];
	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s", label);
	p->chain_index = -1;
	return p;
}

static void *
route_get(const void *conf, size_t i, const char **label)
{
	const struct escalate_conf *c = conf;

	if (i >= c->nroutes)
		return NULL;
	*label = c->routes[i].label;
	return (void *)(uintptr_t)&c->routes[i];
}

static const struct cfg_section sections[] = {
	{ "role", 1, role_keys, 0, role_add, role_get, 0 },
	{ "contact", 1, contact_keys, 0, contact_add, contact_get, 0 },
	{ "chain", 1, chain_keys, 0, chain_add, chain_get, 0 },
	{ "route", 1, route_keys, 0, route_add, route_get, 0 },
	{ "quiet_hours", 0, quiet_keys, offsetof(struct escalate_conf, quiet), NULL, NULL, 0 },
	{ NULL },
};

struct escalate_conf *
escalate_conf_new(void)
{
	struct escalate_conf *c;

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	cfg_defaults(sections, c);
	return c;
}

void
escalate_conf_free(struct escalate_conf *c)
{
	free(c);
}

/* ---- words ------------------------------------------------------------------------ */

int
escalate_split(const char *s, char *buf, size_t buflen, char **argv, size_t max)
{
	size_t len = strlen(s), n = 0;
	char *p;

	if (len >= buflen || max == 0)
		return VIGIL_ERR_TOOBIG;
	memcpy(buf, s, len + 1);
	for (p = buf; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n + 1 >= max)
			return VIGIL_ERR_TOOBIG;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	argv[n] = NULL;
	return (int)n;
}

const char *
escalate_channel_name(enum escalate_channel ch)
{
	static const char *const names[] = { "email", "webhook", "command", "sms" };

	if ((unsigned)ch >= NITEMS(names))
		return "unknown";
	return names[ch];
}

/* ---- loading and checking ------------------------------------------------------------ */

/* Where a check failed: the file, and the section and key to find its line. */
struct checker {
	const char *path;
	char *err;
	size_t errlen;
	int allow_http;                     /* [notify] allow_http: http:// webhooks too */
};

/*
 * cfg_load keeps no line numbers, so a cross-check finds the line again: the
 * key in [section label], or the section header when key is NULL. 0: not found.
 */
static unsigned
find_line(const char *path, const char *section, const char *label, const char *key)
{
	char buf[4100], want[ESC_NAME_MAX + 32], *p, *e;
	unsigned line = 0, found = 0;
	bool in = false;
	size_t klen = key != NULL ? strlen(key) : 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if (label != NULL)
		snprintf(want, sizeof want, "%s %s", section, label);
	else
		snprintf(want, sizeof want, "%s", section);
	while (fgets(buf, sizeof buf, fp) != NULL) {
		line++;
		for (p = buf; isspace((unsigned char)*p); p++)
			;
		e = p + strlen(p);
		while (e > p && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*p == '[') {
			if (in)
				break;
			p++;
			if (e > p && e[-1] == ']')
				*--e = '\0';
			/* Collapse the space between name and label to one. */
			while (isspace((unsigned char)*p))
				p++;
			e = p + strcspn(p, " \t");
			if (*e != '\0') {
				*e++ = '\0';
				while (isspace((unsigned char)*e))
					e++;
				snprintf(buf + sizeof buf - 300, 300, "%s %s", p, e);
				p = buf + sizeof buf - 300;
			}
			in = strcmp(p, want) == 0;
			if (in && key == NULL) {
				found = line;
				break;
			}
			continue;
		}
		if (in && key != NULL && strncmp(p, key, klen) == 0 &&
		    (p[klen] == '=' || isspace((unsigned char)p[klen]))) {
			found = line;
			break;
		}
	}
	fclose(fp);
	return found;
}

static int
cerr(struct checker *k, const char *section, const char *label, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
cerr(struct checker *k, const char *section, const char *label, const char *key,
    const char *fmt, ...)
{
	char msg[512];
	unsigned line;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	line = find_line(k->path, section, label, key);
	if (line == 0 && key != NULL)
		line = find_line(k->path, section, label, NULL);
	if (line != 0)
		snprintf(k->err, k->errlen, "%s:%u: %s", k->path, line, msg);
	else
		snprintf(k->err, k->errlen, "%s: %s", k->path, msg);
	return VIGIL_ERR_CONFIG;
}

static int
contact_index(const struct escalate_conf *c, const char *label)
{
	size_t i;

	for (i = 0; i < c->ncontacts; i++)
		if (strcmp(c->contacts[i].label, label) == 0)
			return (int)i;
	return -1;
}

static int
chain_index(const struct escalate_conf *c, const char *label)
{
	size_t i;

	for (i = 0; i < c->nchains; i++)
		if (strcmp(c->chains[i].label, label) == 0)
			return (int)i;
	return -1;
}

int
esc_route_index(const struct escalate_conf *c, const char *label)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		if (strcmp(c->routes[i].label, label) == 0)
			return (int)i;
	return -1;
}

/* A list of contact labels into indexes. */
static int
resolve_contacts(struct checker *k, const struct escalate_conf *c, const char *section,
    const char *label, const char *key, const char *value, uint8_t *out, size_t *nout)
{
	char buf[ESC_LIST_MAX], *w[WORDS_MAX + 1];
	int n, i, ci;

	if ((n = escalate_split(value, buf, sizeof buf, w, NITEMS(w))) < 0 ||
	    n > ESC_LEVEL_CONTACTS_MAX)
		return cerr(k, section, label, key, "'%s' names more than %d contacts", key,
		    ESC_LEVEL_CONTACTS_MAX);
	for (i = 0; i < n; i++) {
		if ((ci = contact_index(c, w[i])) < 0)
			return cerr(k, section, label, key, "contact '%s' in '%s' is not defined "
			    "(add a [contact %s] section)", w[i], key, w[i]);
		out[i] = (uint8_t)ci;
	}
	*nout = (size_t)n;
	return 0;
}

void
escalate_budget_inherit(struct escalate_contact *p, const struct escalate_role *r, unsigned set)
{
	if (r == NULL)
		return;
	if (!(set & ESC_BUDGET_MAX_PER_HOUR))
		p->max_per_hour = r->max_per_hour;
	if (!(set & ESC_BUDGET_URGENT)) {
		snprintf(p->urgent_min_severity, sizeof p->urgent_min_severity, "%s",
		    r->urgent_min_severity);
		p->urgent_severity = r->urgent_severity;
	}
	if (!(set & ESC_BUDGET_DIGEST_EVERY))
		p->digest_every = r->digest_every;
	if (!(set & ESC_BUDGET_MIN_AGE))
		p->digest_min_age = r->digest_min_age;
}

static int
check_role(struct checker *k, struct escalate_role *r)
{
	if ((r->urgent_severity = severity_from_name(r->urgent_min_severity)) <= 0)
		return cerr(k, "role", r->label, "urgent_min_severity", "'%s' is not a severity "
		    "(info, low, medium, high, critical)", r->urgent_min_severity);
	return 0;
}

/* The contact's role, its budget keys inherited where the contact wrote none. */
static int
contact_role(struct checker *k, const struct escalate_conf *c, struct escalate_contact *p)
{
	unsigned set = 0;
	size_t i;

	for (i = 0; i < NITEMS(budget_keys); i++)
		if (find_line(k->path, "contact", p->label, budget_keys[i].key) != 0)
			set |= budget_keys[i].bit;
	if (p->role[0] == '\0')
		return 0;
	for (i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i].label, p->role) == 0)
			break;
	if (i == c->nroles)
		return cerr(k, "contact", p->label, "role", "role '%s' is not defined (add a "
		    "[role %s] section)", p->role, p->role);
	escalate_budget_inherit(p, &c->roles[i], set);
	return 0;
}

static bool
valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	    strchr(at + 1, '.') != NULL && strpbrk(s, "<>,;\"'()[]\\") == NULL;
}

static int
check_contact(struct checker *k, struct escalate_contact *p)
{
	char buf[ESC_LIST_MAX], *w[WORDS_MAX + 1];
	const char *host;
	int n, i;

	if (strcmp(p->language, "vi") != 0 && strcmp(p->language, "en") != 0)
		return cerr(k, "contact", p->label, "language", "language must be vi or en, "
		    "not '%s'", p->language);
	if (p->email[0] == '\0' && p->webhook[0] == '\0' && p->command[0] == '\0' &&
	    p->phone[0] == '\0')
		return cerr(k, "contact", p->label, NULL, "contact '%s' has no email, webhook, "
		    "command or phone to reach it", p->label);
	if ((p->urgent_severity = severity_from_name(p->urgent_min_severity)) <= 0)
		return cerr(k, "contact", p->label, "urgent_min_severity", "'%s' is not a severity "
		    "(info, low, medium, high, critical)", p->urgent_min_severity);
	if (p->phone[0] != '\0' && !sms_number_ok(p->phone))
		return cerr(k, "contact", p->label, "phone", "'%s' is not a phone number like "
		    "+84901234567", p->phone);
	if (p->email[0] != '\0') {
		n = escalate_split(p->email, buf, sizeof buf, w, EMAILS_MAX + 1);
		if (n < 0)
			return cerr(k, "contact", p->label, "email", "more than %d email "
			    "addresses", EMAILS_MAX);
		for (i = 0; i < n; i++)
			if (!valid_email(w[i]))
				return cerr(k, "contact", p->label, "email", "'%s' is not an "
				    "email address like name@example.gov.vn", w[i]);
	}
	if (p->webhook[0] != '\0') {
		int http = k->allow_http && strncasecmp(p->webhook, "http://", 7) == 0;

		host = p->webhook + (http ? 7 : 8);
		if ((!http && strncasecmp(p->webhook, "https://", 8) != 0) || *host == '\0' ||
		    *host == '/' || strpbrk(p->webhook, " \t") != NULL)
			return cerr(k, "contact", p->label, "webhook", k->allow_http ?
			    "webhook must be an https:// or http:// URL, not '%s'" :
			    "webhook must be an https:// URL, not '%s' (http:// only with "
			    "allow_http = yes in [notify])", p->webhook);
	}
	if (p->command[0] != '\0') {
		n = escalate_split(p->command, buf, sizeof buf, w, ARGV_MAX + 1);
		if (n < 0)
			return cerr(k, "contact", p->label, "command", "the command has more "
			    "than %d words", ARGV_MAX);
		if (n == 0 || w[0][0] != '/')
			return cerr(k, "contact", p->label, "command", "the command must start "
			    "with an absolute path to the program");
	}
	if (p->name[0] == '\0')
		snprintf(p->name, sizeof p->name, "%s", p->label);
	return 0;
}

static int
check_chain(struct checker *k, const struct escalate_conf *c, struct escalate_chain *ch)
{
	char key[32], nkey[32];
	size_t i;
	int rc;

	ch->nlevels = 0;
	for (i = 0; i < ESC_LEVELS_MAX; i++) {
		if (ch->level[i][0] == '\0')
			continue;
		if (i != ch->nlevels) {
			snprintf(key, sizeof key, "level%zu", i + 1);
			return cerr(k, "chain", ch->label, key, "%s is set but level%zu is not: "
			    "levels are numbered from 1 without gaps", key, ch->nlevels + 1);
		}
		ch->nlevels++;
	}
	if (ch->nlevels == 0)
		return cerr(k, "chain", ch->label, NULL, "chain '%s' has no level1", ch->label);
	for (i = 0; i < ch->nlevels; i++) {
		snprintf(key, sizeof key, "level%zu", i + 1);
		if ((rc = resolve_contacts(k, c, "chain", ch->label, key, ch->level[i],
		    ch->contacts[i], &ch->ncontacts[i])) != 0)
			return rc;
		if (ch->ncontacts[i] == 0)
			return cerr(k, "chain", ch->label, key, "%s names no contact", key);
	}
	for (i = 0; i < ESC_LEVELS_MAX; i++) {
		snprintf(key, sizeof key, "level%zu_wait", i + 1);
		if (i + 1 < ch->nlevels && ch->wait[i] == 0)
			return cerr(k, "chain", ch->label, NULL, "chain '%s' needs %s: how long "
			    "to wait for an acknowledgement before level%zu", ch->label, key, i + 2);
		if (i + 1 >= ch->nlevels && ch->wait[i] != 0) {
			snprintf(nkey, sizeof nkey, "level%zu", i + 2);
			return cerr(k, "chain", ch->label, key, "%s has no %s to wait for; "
			    "use repeat_last and repeat_interval to notify the last level again",
			    key, nkey);
		}
	}
	return 0;
}

static int
check_route(struct checker *k, const struct escalate_conf *c, struct escalate_route *r)
{
	char buf[ESC_LIST_MAX], *w[WORDS_MAX + 1], why[160];
	int n, i, v;
	size_t j;
	int rc;

	r->categories = 0;
	if ((n = escalate_split(r->category, buf, sizeof buf, w, NITEMS(w))) < 0)
		return cerr(k, "route", r->label, "category", "too many categories");
	for (i = 0; i < n; i++) {
		if ((v = category_from_name(w[i])) <= 0)
			return cerr(k, "route", r->label, "category", "'%s' is not a category "
			    "(auth, account, privilege, usb, malware, antivirus, update, software, "
			    "data_leak, attack, fraud, agent, system)", w[i]);
		r->categories |= 1u << v;
	}
	if ((r->severity = severity_from_name(r->min_severity)) <= 0)
		return cerr(k, "route", r->label, "min_severity", "'%s' is not a severity "
		    "(info, low, medium, high, critical)", r->min_severity);
	if (escalate_split(r->unit, buf, sizeof buf, w, NITEMS(w)) < 0)
		return cerr(k, "route", r->label, "unit", "more than %d units", WORDS_MAX);
	if (escalate_split(r->host, buf, sizeof buf, w, NITEMS(w)) < 0)
		return cerr(k, "route", r->label, "host", "more than %d hosts", WORDS_MAX);
	if (escalate_split(r->rule, buf, sizeof buf, w, NITEMS(w)) < 0)
		return cerr(k, "route", r->label, "rule", "more than %d rules", WORDS_MAX);
	r->chain_index = -1;
	if (r->chain[0] != '\0' && (r->chain_index = chain_index(c, r->chain)) < 0)
		return cerr(k, "route", r->label, "chain", "chain '%s' is not defined (add a "
		    "[chain %s] section)", r->chain, r->chain);
	if ((rc = resolve_contacts(k, c, "route", r->label, "notify_now", r->notify_now,
	    r->now, &r->nnow)) != 0)
		return rc;
	if (r->chain_index < 0 && r->nnow == 0)
		return cerr(k, "route", r->label, NULL, "route '%s' notifies nobody: give it a "
		    "chain or notify_now", r->label);
	r->group_fields = 0;
	if ((n = escalate_split(r->group_by, buf, sizeof buf, w, NITEMS(w))) < 0)
		return cerr(k, "route", r->label, "group_by", "too many group_by fields");
	for (i = 0; i < n; i++) {
		for (j = 0; j < NITEMS(group_fields); j++)
			if (strcmp(w[i], group_fields[j].name) == 0)
				break;
		if (j == NITEMS(group_fields))
			return cerr(k, "route", r->label, "group_by", "'%s' cannot group "
			    "incidents (category, severity, unit, host, agent, rule, incident)",
			    w[i]);
		r->group_fields |= group_fields[j].bit;
	}
	r->report_kinds = 0;
	if (strcmp(r->reportable, "none") != 0 && r->reportable[0] != '\0' &&
	    report_run_kinds(r->reportable, &r->report_kinds, why, sizeof why) != 0)
		return cerr(k, "route", r->label, "reportable", "%s", why);
	return 0;
}

/* "22:00" -> ms after midnight. */
static int
parse_hhmm(const char *s, long long *ms)
{
	int h, m;

	if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return VIGIL_ERR_INVAL;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return VIGIL_ERR_INVAL;
	*ms = h * HOUR_MS + m * MIN_MS;
	return 0;
}

/*
 * Zones by name with their fixed offset. Vietnam has kept UTC+7 without
 * daylight saving since 1975, so a fixed offset is exact for every time Vigil
 * handles, and the engine stays pure: no TZ variable, no zoneinfo files.
 */
static const struct {
	const char *name;
	long long offset_ms;
} zones[] = {
	{ "Asia/Ho_Chi_Minh", 7 * HOUR_MS },
	{ "Asia/Saigon", 7 * HOUR_MS },
	{ "Asia/Bangkok", 7 * HOUR_MS },
	{ "Asia/Vientiane", 7 * HOUR_MS },
	{ "Asia/Phnom_Penh", 7 * HOUR_MS },
	{ "Asia/Jakarta", 7 * HOUR_MS },
	{ "UTC", 0 },
	{ "Etc/UTC", 0 },
};

/* A known zone, or "UTC+7", "UTC+07:00", "+07:00", "-05:30". */
static int
parse_zone(const char *s, long long *off)
{
	long long h, m = 0, ms;
	const char *p = s;
	char *end;
	int sign;
	size_t i;

	for (i = 0; i < NITEMS(zones); i++) {
		if (strcmp(zones[i].name, s) == 0) {
			*off = zones[i].offset_ms;
			return 0;
		}
	}
	if (strncmp(p, "UTC", 3) == 0)
		p += 3;
	if (*p != '+' && *p != '-')
		return VIGIL_ERR_INVAL;
	sign = *p == '-' ? -1 : 1;
	p++;
	if (!isdigit((unsigned char)*p))
		return VIGIL_ERR_INVAL;
	h = strtoll(p, &end, 10);
	if (*end == ':') {
		if (!isdigit((unsigned char)end[1]))
			return VIGIL_ERR_INVAL;
		m = strtoll(end + 1, &end, 10);
	}
	if (*end != '\0' || h > 14 || m > 59)
		return VIGIL_ERR_INVAL;
	ms = h * HOUR_MS + m * MIN_MS;
	*off = sign * ms;
	return 0;
}

static int
check_quiet(struct checker *k, struct escalate_quiet *q)
{
	if (parse_zone(q->timezone, &q->offset_ms) != 0)
		return cerr(k, "quiet_hours", NULL, "timezone", "timezone '%s' is not one Vigil "
		    "knows; give a fixed offset like UTC+07:00", q->timezone);
	if ((q->defer_severity = severity_from_name(q->defer_up_to)) <= 0)
		return cerr(k, "quiet_hours", NULL, "defer_up_to", "'%s' is not a severity "
		    "(info, low, medium, high, critical)", q->defer_up_to);
	q->enabled = 0;
	if (q->start[0] == '\0' && q->end[0] == '\0')
		return 0;
	if (q->start[0] == '\0' || q->end[0] == '\0')
		return cerr(k, "quiet_hours", NULL, NULL, "quiet hours need both start and end");
	if (parse_hhmm(q->start, &q->start_ms) != 0)
		return cerr(k, "quiet_hours", NULL, "start", "start must be a time like 22:00, "
		    "not '%s'", q->start);
	if (parse_hhmm(q->end, &q->end_ms) != 0)
		return cerr(k, "quiet_hours", NULL, "end", "end must be a time like 07:00, "
		    "not '%s'", q->end);
	if (q->start_ms == q->end_ms)
		return cerr(k, "quiet_hours", NULL, "end", "quiet hours start and end at the "
		    "same time; leave both empty for none");
	q->enabled = 1;
	return 0;
}

int
escalate_conf_load(struct escalate_conf *c, const char *path, char *err, size_t errlen)
{
	return escalate_conf_load_http(c, path, 0, err, errlen);
}

int
escalate_conf_load_http(struct escalate_conf *c, const char *path, int allow_http, char *err,
    size_t errlen)
{
	struct checker k = { path, err, errlen, allow_http };
	size_t i;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = cfg_load(path, sections, c, err, errlen)) != 0)
		return rc;
	for (i = 0; i < c->nroles; i++)
		if ((rc = check_role(&k, &c->roles[i])) != 0)
			return rc;
	for (i = 0; i < c->ncontacts; i++)
		if ((rc = check_contact(&k, &c->contacts[i])) != 0 ||
		    (rc = contact_role(&k, c, &c->contacts[i])) != 0)
			return rc;
	for (i = 0; i < c->nchains; i++)
		if ((rc = check_chain(&k, c, &c->chains[i])) != 0)
			return rc;
	for (i = 0; i < c->nroutes; i++)
		if ((rc = check_route(&k, c, &c->routes[i])) != 0)
			return rc;
	return check_quiet(&k, &c->quiet);
}

void
escalate_conf_print(FILE *fp, const struct escalate_conf *c)
{
	cfg_print(fp, sections, c);
}
