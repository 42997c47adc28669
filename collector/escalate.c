/*
 * Escalation: the configuration tables and their cross-checks, route
 * matching, and the timing engine. No clock, no I/O but reading the
 * configuration file (and printing, for -nv and explain). See escalate.h for
 * the semantics.
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

#include "escalate.h"
#include "budget.h"
#include "sms.h"

#define SEC_MS 1000LL
#define MIN_MS (60 * SEC_MS)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
#define MS_US 1000LL

#define WORDS_MAX 64              /* words in one list value */
#define EMAILS_MAX 16
#define ARGV_MAX 32

/* Fields of group_by. */
#define ESC_GROUP_CATEGORY 0x01
#define ESC_GROUP_SEVERITY 0x02
#define ESC_GROUP_UNIT     0x04
#define ESC_GROUP_HOST     0x08
#define ESC_GROUP_AGENT    0x10
#define ESC_GROUP_RULE     0x20
#define ESC_GROUP_INCIDENT 0x40

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

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

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
	CKEY("language", CFG_STRING, "vi", 0, 0, language, 0,
	    "Language of the messages: vi or en."),
	{ NULL },
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

static int
route_index(const struct escalate_conf *c, const char *label)
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
		host = p->webhook + 8;
		if (strncasecmp(p->webhook, "https://", 8) != 0 || *host == '\0' ||
		    *host == '/' || strpbrk(p->webhook, " \t") != NULL)
			return cerr(k, "contact", p->label, "webhook", "webhook must be an "
			    "https:// URL, not '%s'", p->webhook);
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
	char buf[ESC_LIST_MAX], *w[WORDS_MAX + 1];
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
	struct checker k = { path, err, errlen };
	size_t i;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = cfg_load(path, sections, c, err, errlen)) != 0)
		return rc;
	for (i = 0; i < c->ncontacts; i++)
		if ((rc = check_contact(&k, &c->contacts[i])) != 0)
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

/* ---- matching ----------------------------------------------------------------------- */

/* s matches one of the space-separated patterns (an empty list matches everything). */
static bool
match_list(const char *list, const char *s)
{
	char buf[ESC_LIST_MAX], *w[WORDS_MAX + 1];
	int n, i;

	if (list[0] == '\0')
		return true;
	if ((n = escalate_split(list, buf, sizeof buf, w, NITEMS(w))) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (fnmatch(w[i], s, 0) == 0)
			return true;
	return false;
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

static bool
route_matches(const struct escalate_route *r, const struct escalate_incident *inc)
{
	if (r->categories != 0 && (inc->category < 0 || inc->category > 31 ||
	    (r->categories & (1u << inc->category)) == 0))
		return false;
	if (inc->severity < r->severity)
		return false;
	return match_list(r->unit, str(inc->unit)) && match_list(r->host, str(inc->host)) &&
	    match_list(r->rule, str(inc->rule));
}

size_t
escalate_match(const struct escalate_conf *c, const struct escalate_incident *inc,
    size_t *routes, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->nroutes; i++) {
		if (!route_matches(&c->routes[i], inc))
			continue;
		if (n < max)
			routes[n] = i;
		n++;
		if (!c->routes[i].cont)
			break;
	}
	return n;
}

static void
group_key(const struct escalate_route *r, const struct escalate_incident *inc, char *buf,
    size_t len)
{
	size_t used = 0;
	int w = 0;

	buf[0] = '\0';
#define ADD(bit, fmt, ...) do { \
	if ((r->group_fields & (bit)) && used < len) { \
		w = snprintf(buf + used, len - used, "%s" fmt, used > 0 ? " " : "", __VA_ARGS__); \
		used = w < 0 ? len : used + (size_t)w; \
	} \
} while (0)
	ADD(ESC_GROUP_CATEGORY, "category=%s", category_name(inc->category));
	ADD(ESC_GROUP_SEVERITY, "severity=%s", severity_name(inc->severity));
	ADD(ESC_GROUP_UNIT, "unit=%s", str(inc->unit));
	ADD(ESC_GROUP_HOST, "host=%s", str(inc->host));
	ADD(ESC_GROUP_AGENT, "agent=%s", str(inc->agent));
	ADD(ESC_GROUP_RULE, "rule=%s", str(inc->rule));
	ADD(ESC_GROUP_INCIDENT, "incident=%" PRId64, inc->id);
#undef ADD
}

/* ---- state changes ------------------------------------------------------------------- */

int
escalate_start(const struct escalate_conf *c, const struct escalate_incident *inc,
    struct escalate_state *st)
{
	size_t idx[ESC_TRACKS_MAX], n, i;
	struct escalate_track *t;

	memset(st, 0, sizeof *st);
	st->incident = inc->id;
	st->severity = inc->severity;
	st->start_us = inc->created_us;
	n = escalate_match(c, inc, idx, ESC_TRACKS_MAX);
	st->ntracks = n < ESC_TRACKS_MAX ? n : ESC_TRACKS_MAX;
	for (i = 0; i < st->ntracks; i++) {
		t = &st->tracks[i];
		snprintf(t->route, sizeof t->route, "%s", c->routes[idx[i]].label);
		group_key(&c->routes[idx[i]], inc, t->group, sizeof t->group);
	}
	return n > ESC_TRACKS_MAX ? VIGIL_ERR_TOOBIG : 0;
}

void
escalate_ack(struct escalate_state *st, int64_t now_us)
{
	if (st->ack_us == 0)
		st->ack_us = now_us > 0 ? now_us : 1;
}

void
escalate_close(struct escalate_state *st, int64_t now_us)
{
	(void)now_us;
	st->closed = 1;
}

void
escalate_reopen(struct escalate_state *st, int64_t now_us)
{
	struct escalate_track *t;
	size_t i;

	st->ack_us = 0;
	st->closed = 0;
	st->start_us = now_us;
	for (i = 0; i < st->ntracks; i++) {
		t = &st->tracks[i];
		t->now_sent = t->level = t->repeats = t->manual_level = 0;
		t->manual_us = t->first_us = t->last_us = t->next_us = 0;
	}
}

static const struct escalate_chain *
track_chain(const struct escalate_conf *c, const struct escalate_route *r)
{
	if (r == NULL || r->chain_index < 0 || (size_t)r->chain_index >= c->nchains)
		return NULL;
	return &c->chains[r->chain_index];
}

static const struct escalate_route *
track_route(const struct escalate_conf *c, const struct escalate_track *t)
{
	int i = route_index(c, t->route);

	return i < 0 ? NULL : &c->routes[i];
}

int
escalate_manual(const struct escalate_conf *c, struct escalate_state *st, int level,
    int64_t now_us)
{
	const struct escalate_chain *ch;
	size_t i;
	int hit = 0;

	if (st->closed)
		return VIGIL_ERR_PROTO;
	for (i = 0; i < st->ntracks; i++) {
		ch = track_chain(c, track_route(c, &st->tracks[i]));
		if (ch == NULL || level < 1 || (size_t)level > ch->nlevels)
			continue;
		st->tracks[i].manual_level = level;
		st->tracks[i].manual_us = now_us;
		hit = 1;
	}
	return hit ? 0 : VIGIL_ERR_NOTFOUND;
}

/* ---- timing ------------------------------------------------------------------------- */

/* t, or the end of the quiet period t falls in. */
static int64_t
quiet_defer(const struct escalate_quiet *q, int64_t t_us)
{
	long long ms = t_us / MS_US, local, day, delta;
	bool in;

	if (!q->enabled)
		return t_us;
	local = ms + q->offset_ms;
	day = ((local % DAY_MS) + DAY_MS) % DAY_MS;
	if (q->start_ms < q->end_ms)
		in = day >= q->start_ms && day < q->end_ms;
	else
		in = day >= q->start_ms || day < q->end_ms;
	if (!in)
		return t_us;
	delta = day < q->end_ms ? q->end_ms - day : DAY_MS - day + q->end_ms;
	return (ms + delta) * MS_US;
}

static int64_t
defer(const struct escalate_conf *c, const struct escalate_state *st, int64_t t_us)
{
	if (st->severity > c->quiet.defer_severity)
		return t_us;
	return quiet_defer(&c->quiet, t_us);
}

/* The first notification of t still has someone to tell. */
static bool
first_pending(const struct escalate_conf *c, const struct escalate_state *st,
    const struct escalate_track *t, const struct escalate_route *r)
{
	if (st->closed || t->first_us != 0 || r == NULL)
		return false;
	return (r->nnow > 0 && !t->now_sent) || (track_chain(c, r) != NULL && st->ack_us == 0);
}

/*
 * When the group of t flushes its first notification: group_wait after the
 * earliest waiting incident if the group has not notified yet, else the next
 * tick of group_interval after the group's last flush.
 */
static int64_t
group_due(const struct escalate_conf *c, const struct escalate_state *all, size_t n,
    const struct escalate_state *st, const struct escalate_track *t,
    const struct escalate_route *r)
{
	const struct escalate_track *u;
	int64_t last = 0, first = st->start_us, gi, k;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (all[i].closed)
			continue;
		for (j = 0; j < all[i].ntracks; j++) {
			u = &all[i].tracks[j];
			if (strcmp(u->route, t->route) != 0 || strcmp(u->group, t->group) != 0)
				continue;
			if (u->first_us != 0 && u->first_us > last)
				last = u->first_us;
			else if (first_pending(c, &all[i], u, r) && all[i].start_us < first)
				first = all[i].start_us;
		}
	}
	if (last == 0)
		return first + r->group_wait * MS_US;
	gi = r->group_interval * MS_US;
	k = st->start_us > last ? (st->start_us - last + gi - 1) / gi : 1;
	if (k < 1)
		k = 1;
	return last + k * gi;
}

/* When the next step of t is due (0: none); *manual says it is an operator's. */
static int64_t
track_next(const struct escalate_conf *c, const struct escalate_state *all, size_t n,
    const struct escalate_state *st, const struct escalate_track *t, int *manual)
{
	const struct escalate_route *r = track_route(c, t);
	const struct escalate_chain *ch = track_chain(c, r);
	long long interval;

	*manual = 0;
	if (st->closed || r == NULL)
		return 0;
	if (t->manual_level > 0 && ch != NULL && (size_t)t->manual_level <= ch->nlevels) {
		*manual = 1;
		return t->manual_us > 0 ? t->manual_us : 1;
	}
	if (t->first_us == 0) {
		if (!first_pending(c, st, t, r))
			return 0;
		return defer(c, st, group_due(c, all, n, st, t, r));
	}
	if (st->ack_us != 0 || ch == NULL)
		return 0;
	if (t->level == 0)        /* a chain added by a reload after the first notification */
		return defer(c, st, t->first_us);
	if ((size_t)t->level < ch->nlevels)
		return defer(c, st, t->last_us + ch->wait[t->level - 1] * MS_US);
	if (!ch->repeat_last || (ch->repeat_max != 0 && t->repeats >= ch->repeat_max))
		return 0;
	interval = r->repeat_interval != 0 ? r->repeat_interval : ch->repeat_interval;
	return defer(c, st, t->last_us + interval * MS_US);
}

/* One (contact, channel) of a step. */
struct target {
	size_t contact;
	enum escalate_channel channel;
	int level;
	int repeat;
};

#define TARGETS_MAX (2 * ESC_LEVEL_CONTACTS_MAX * ESC_CHANNEL_COUNT)

static size_t
add_targets(const struct escalate_conf *c, const uint8_t *contacts, size_t ncontacts, int level,
    int repeat, struct target *out, size_t n)
{
	const struct escalate_contact *p;
	size_t i;

	for (i = 0; i < ncontacts && n + ESC_CHANNEL_COUNT <= TARGETS_MAX; i++) {
		p = &c->contacts[contacts[i]];
		if (p->email[0] != '\0')
			out[n++] = (struct target){ contacts[i], ESC_CHANNEL_EMAIL, level, repeat };
		if (p->webhook[0] != '\0')
			out[n++] = (struct target){ contacts[i], ESC_CHANNEL_WEBHOOK, level, repeat };
		if (p->command[0] != '\0')
			out[n++] = (struct target){ contacts[i], ESC_CHANNEL_COMMAND, level, repeat };
		if (p->phone[0] != '\0')
			out[n++] = (struct target){ contacts[i], ESC_CHANNEL_SMS, level, repeat };
	}
	return n;
}

static struct escalate_note *
find_note(struct escalate_note *notes, size_t nnotes, size_t route, const char *group,
    const struct target *tg, int manual)
{
	size_t i;

	for (i = 0; i < nnotes; i++) {
		if (notes[i].route == route && notes[i].contact == tg->contact &&
		    notes[i].channel == tg->channel && notes[i].level == tg->level &&
		    notes[i].manual == manual && strcmp(notes[i].group, group) == 0)
			return &notes[i];
	}
	return NULL;
}

/* What firing t now would send; the track itself is changed only by fire(). */
static size_t
step_targets(const struct escalate_conf *c, const struct escalate_state *st,
    const struct escalate_track *t, int manual, struct target *out)
{
	const struct escalate_route *r = track_route(c, t);
	const struct escalate_chain *ch = track_chain(c, r);
	size_t n = 0, lv;

	if (r == NULL)
		return 0;
	if (t->first_us == 0 && !t->now_sent && r->nnow > 0)
		n = add_targets(c, r->now, r->nnow, 0, 0, out, n);
	if (ch == NULL)
		return n;
	if (manual) {
		lv = (size_t)t->manual_level;
		return add_targets(c, ch->contacts[lv - 1], ch->ncontacts[lv - 1], (int)lv, 0, out,
		    n);
	}
	if (st->ack_us != 0)
		return n;
	if (t->first_us == 0 || t->level == 0)
		return add_targets(c, ch->contacts[0], ch->ncontacts[0], 1, 0, out, n);
	if ((size_t)t->level < ch->nlevels)
		return add_targets(c, ch->contacts[t->level], ch->ncontacts[t->level],
		    t->level + 1, 0, out, n);
	lv = ch->nlevels;
	return add_targets(c, ch->contacts[lv - 1], ch->ncontacts[lv - 1], (int)lv,
	    t->repeats + 1, out, n);
}

/* Record that the step went at now. */
static void
fire(const struct escalate_conf *c, const struct escalate_state *st, struct escalate_track *t,
    int manual, int64_t now_us)
{
	const struct escalate_route *r = track_route(c, t);
	const struct escalate_chain *ch = track_chain(c, r);

	if (t->first_us == 0 && r != NULL && r->nnow > 0)
		t->now_sent = 1;
	if (manual) {
		t->level = t->manual_level;
		t->repeats = 0;
		t->manual_level = 0;
		t->manual_us = 0;
		t->last_us = now_us;
	} else if (ch != NULL && st->ack_us == 0) {
		if (t->first_us == 0 || t->level == 0 || (size_t)t->level < ch->nlevels)
			t->level++;
		else
			t->repeats++;
		t->last_us = now_us;
	}
	if (t->first_us == 0)
		t->first_us = now_us;
}

/* Put the step's targets into notes[]; false (and nothing written) if they do not fit. */
static bool
emit(struct escalate_note *notes, size_t max, size_t *nnotes, size_t route, const char *group,
    const struct target *tg, size_t ntg, int manual, int64_t due_us, int64_t incident)
{
	struct escalate_note *p;
	size_t i, missing = 0;

	for (i = 0; i < ntg; i++)
		if (find_note(notes, *nnotes, route, group, &tg[i], manual) == NULL)
			missing++;
	if (*nnotes + missing > max)
		return false;
	for (i = 0; i < ntg; i++) {
		if ((p = find_note(notes, *nnotes, route, group, &tg[i], manual)) == NULL) {
			p = &notes[(*nnotes)++];
			memset(p, 0, sizeof *p);
			p->route = route;
			p->contact = tg[i].contact;
			p->channel = tg[i].channel;
			p->level = tg[i].level;
			p->manual = manual;
			p->due_us = due_us;
			snprintf(p->group, sizeof p->group, "%s", group);
		}
		if (tg[i].repeat > p->repeat)
			p->repeat = tg[i].repeat;
		if (due_us < p->due_us)
			p->due_us = due_us;
		/* A contact listed twice in one level must not list the incident twice. */
		if (p->nids > 0 && p->ids[p->nids - 1] == incident)
			continue;
		if (p->nids < ESC_NOTE_IDS_MAX)
			p->ids[p->nids++] = incident;
		else
			p->more++;
	}
	return true;
}

static void
plan_all(const struct escalate_conf *c, struct escalate_state *states, size_t n)
{
	struct escalate_track *t;
	size_t i, j;
	int manual;

	for (i = 0; i < n; i++) {
		for (j = 0; j < states[i].ntracks; j++) {
			t = &states[i].tracks[j];
			t->next_us = track_next(c, states, n, &states[i], t, &manual);
		}
	}
}

int
escalate_due(const struct escalate_conf *c, struct escalate_state *states, size_t n,
    int64_t now_us, struct escalate_note *notes, size_t max, size_t *nnotes, int64_t *wake_us)
{
	struct target tg[TARGETS_MAX];
	struct escalate_track *t;
	struct escalate_state *st;
	int64_t wake = 0, due;
	size_t i, j, ntg;
	int manual, full = 0;
	int ri;

	*nnotes = 0;
	/*
	 * Every due time is computed before any step is marked sent, so the
	 * members of a group that fall due together are flushed together.
	 */
	plan_all(c, states, n);
	for (i = 0; i < n && !full; i++) {
		st = &states[i];
		for (j = 0; j < st->ntracks; j++) {
			t = &st->tracks[j];
			due = t->next_us;
			if (due == 0 || due > now_us)
				continue;
			(void)track_next(c, states, n, st, t, &manual);
			ri = route_index(c, t->route);
			ntg = step_targets(c, st, t, manual, tg);
			if (!emit(notes, max, nnotes, (size_t)ri, t->group, tg, ntg, manual, due,
			    st->incident)) {
				full = 1;
				break;
			}
			fire(c, st, t, manual, now_us);
		}
	}
	plan_all(c, states, n);
	for (i = 0; i < n; i++)
		for (j = 0; j < states[i].ntracks; j++) {
			due = states[i].tracks[j].next_us;
			if (due != 0 && (wake == 0 || due < wake))
				wake = due;
		}
	if (full || (wake != 0 && wake < now_us))
		wake = now_us;
	*wake_us = wake;
	return 0;
}

/* ---- what-if ----------------------------------------------------------------------------- */

int
escalate_plan(const struct escalate_conf *c, const struct escalate_incident *inc,
    struct escalate_plan *plan)
{
	struct escalate_note notes[16];
	struct escalate_state st;
	struct escalate_step *s;
	int64_t now, wake;
	size_t i, j, nn, iter;
	int rc;

	memset(plan, 0, sizeof *plan);
	rc = escalate_start(c, inc, &st);
	if (rc != 0 && rc != VIGIL_ERR_TOOBIG)
		return rc;
	plan->nroutes = st.ntracks;
	for (i = 0; i < st.ntracks; i++)
		plan->routes[i] = (size_t)route_index(c, st.tracks[i].route);
	now = inc->created_us;
	for (iter = 0; iter < 1000; iter++) {
		escalate_due(c, &st, 1, now, notes, NITEMS(notes), &nn, &wake);
		for (i = 0; i < nn; i++) {
			if (plan->nsteps == ESC_PLAN_STEPS_MAX) {
				plan->truncated = 1;
				return 0;
			}
			s = &plan->steps[plan->nsteps++];
			s->at_us = now;
			s->route = notes[i].route;
			s->contact = notes[i].contact;
			s->channel = notes[i].channel;
			s->level = notes[i].level;
			s->repeat = notes[i].repeat;
		}
		/* A repeating level would go on for ever: stop its track after a few. */
		for (j = 0; j < st.ntracks; j++)
			if (st.tracks[j].repeats >= ESC_PLAN_REPEATS)
				st.tracks[j].route[0] = '\0';
		if (wake == 0)
			return 0;
		if (nn == 0 && wake <= now)
			break;
		now = wake;
		/* The tracks stopped above may have been the only thing left. */
		plan_all(c, &st, 1);
		for (j = 0, wake = 0; j < st.ntracks; j++)
			if (st.tracks[j].next_us != 0)
				wake = 1;
		if (wake == 0)
			return 0;
	}
	plan->truncated = 1;
	return 0;
}

/* "+15m", "+1h30m", "+2d" */
static void
fmt_offset(char *buf, size_t len, int64_t us)
{
	long long s = us / 1000000, d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
	size_t n = 0;

	n += (size_t)snprintf(buf + n, len - n, "+");
	if (d > 0)
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "%lldd", d);
	if (h > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%lldh", h);
	if (m > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%lldm", m);
	if (s % 60 != 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%llds", s % 60);
	if (s == 0 && n < len)
		snprintf(buf + n, len - n, "0s");
}

/* "2026-11-25 22:10" in the quiet-hours zone. */
static void
fmt_local(char *buf, size_t len, const struct escalate_conf *c, int64_t us)
{
	long long ms = us / MS_US + c->quiet.offset_ms;
	long long days = ms >= 0 ? ms / DAY_MS : (ms - DAY_MS + 1) / DAY_MS;
	long long rem = ms - days * DAY_MS;
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	long long y = yoe + era * 400 + (m <= 2);

	/* Howard Hinnant's civil_from_days: no gmtime, no TZ. */
	snprintf(buf, len, "%04lld-%02lld-%02lld %02lld:%02lld", y, m, d, rem / HOUR_MS,
	    rem % HOUR_MS / MIN_MS);
}

static const char *
contact_address(const struct escalate_contact *p, enum escalate_channel ch)
{
	switch (ch) {
	case ESC_CHANNEL_EMAIL:
		return p->email;
	case ESC_CHANNEL_WEBHOOK:
		return p->webhook;
	case ESC_CHANNEL_SMS:
		return p->phone;
	default:
		return p->command;
	}
}

static void
print_offset_ms(FILE *fp, const char *prefix, long long ms)
{
	char buf[32];

	fmt_offset(buf, sizeof buf, ms * MS_US);
	fprintf(fp, "%s%s", prefix, buf + 1);
}

int
escalate_explain(const struct escalate_conf *c, const struct escalate_incident *inc, FILE *fp)
{
	const struct escalate_route *r;
	const struct escalate_chain *ch;
	const struct escalate_contact *p;
	const struct escalate_step *s;
	struct escalate_plan *plan;
	char off[32], at[64], lvl[32];
	long long interval;
	size_t i;
	int rc;

	if ((plan = malloc(sizeof *plan)) == NULL)
		return VIGIL_ERR_NOMEM;
	if ((rc = escalate_plan(c, inc, plan)) != 0)
		goto out;
	fprintf(fp, "Incident: category %s, severity %s, unit %s, host %s, rule %s.\n",
	    category_name(inc->category), severity_name(inc->severity),
	    str(inc->unit)[0] != '\0' ? str(inc->unit) : "-",
	    str(inc->host)[0] != '\0' ? str(inc->host) : "-",
	    str(inc->rule)[0] != '\0' ? str(inc->rule) : "-");
	if (plan->nroutes == 0) {
		fprintf(fp, "No route matches: nobody would be notified.\n");
		goto out;
	}
	fprintf(fp, "Routes matched, in order:");
	for (i = 0; i < plan->nroutes; i++) {
		r = &c->routes[plan->routes[i]];
		fprintf(fp, " %s%s", r->label, i + 1 < plan->nroutes ? "," : ".\n");
	}
	if (c->quiet.enabled) {
		if (inc->severity <= c->quiet.defer_severity)
			fprintf(fp, "Quiet hours %s-%s (%s): severity %s waits for %s.\n",
			    c->quiet.start, c->quiet.end, c->quiet.timezone,
			    severity_name(inc->severity), c->quiet.end);
		else
			fprintf(fp, "Quiet hours %s-%s (%s): severity %s is not deferred.\n",
			    c->quiet.start, c->quiet.end, c->quiet.timezone,
			    severity_name(inc->severity));
	}
	fmt_local(at, sizeof at, c, inc->created_us);
	fprintf(fp, "If nobody acknowledges (times in %s, from %s):\n", c->quiet.timezone, at);
	for (i = 0; i < plan->nsteps; i++) {
		s = &plan->steps[i];
		r = &c->routes[s->route];
		p = &c->contacts[s->contact];
		fmt_offset(off, sizeof off, s->at_us - inc->created_us);
		fmt_local(at, sizeof at, c, s->at_us);
		if (s->level == 0)
			snprintf(lvl, sizeof lvl, "at once");
		else if (s->repeat > 0)
			snprintf(lvl, sizeof lvl, "level %d again", s->level);
		else
			snprintf(lvl, sizeof lvl, "level %d", s->level);
		fprintf(fp, "  %-10s %s  route %-12s %-14s %s (%s) by %s: %s\n", off, at + 11,
		    r->label, lvl, p->label, p->name, escalate_channel_name(s->channel),
		    contact_address(p, s->channel));
	}
	if (plan->truncated)
		fprintf(fp, "  ... and more.\n");
	for (i = 0; i < plan->nroutes; i++) {
		r = &c->routes[plan->routes[i]];
		if ((ch = track_chain(c, r)) == NULL)
			continue;
		if (ch->repeat_last) {
			interval = r->repeat_interval != 0 ? r->repeat_interval :
			    ch->repeat_interval;
			fprintf(fp, "Then level %zu of chain %s again every ", ch->nlevels,
			    ch->label);
			print_offset_ms(fp, "", interval);
			if (ch->repeat_max != 0)
				fprintf(fp, ", at most %lld times", ch->repeat_max);
			fprintf(fp, ", until acknowledged.\n");
		} else {
			fprintf(fp, "Chain %s stops after level %zu.\n", ch->label, ch->nlevels);
		}
	}
	fprintf(fp, "An acknowledgement stops the climb; contacts told at once are told "
	    "whether or not it is acknowledged.\n");
out:
	free(plan);
	return rc;
}

/* ---- persistence ---------------------------------------------------------------------------- */

static bool
plain_byte(unsigned char b)
{
	return isalnum(b) || b == '=' || b == '.' || b == '_' || b == '-';
}

/* Percent-encode into out; false if it does not fit. */
static bool
pct_encode(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	unsigned char b;

	for (; *s != '\0'; s++) {
		b = (unsigned char)*s;
		if (plain_byte(b)) {
			if (n + 1 >= len)
				return false;
			out[n++] = (char)b;
		} else {
			if (n + 3 >= len)
				return false;
			out[n++] = '%';
			out[n++] = hex[b >> 4];
			out[n++] = hex[b & 15];
		}
	}
	if (n >= len)
		return false;
	out[n] = '\0';
	return true;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static bool
pct_decode(const char *s, size_t slen, char *out, size_t len)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < slen; i++) {
		if (n + 1 >= len)
			return false;
		if (s[i] == '%') {
			/* %00 would cut the key short when read back. */
			if (i + 2 >= slen || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0))
				return false;
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plain_byte((unsigned char)s[i])) {
			out[n++] = s[i];
		} else {
			return false;
		}
	}
	out[n] = '\0';
	return true;
}

int
escalate_state_format(const struct escalate_state *st, char *buf, size_t len)
{
	const struct escalate_track *t;
	char group[3 * ESC_GROUP_MAX + 1];
	size_t n, i;
	int w;

	w = snprintf(buf, len, "v1 %" PRId64 " %d %" PRId64 " %" PRId64 " %d %zu", st->incident,
	    st->severity, st->start_us, st->ack_us, st->closed, st->ntracks);
	if (w < 0 || (size_t)w >= len || st->ntracks > ESC_TRACKS_MAX)
		return VIGIL_ERR_TOOBIG;
	n = (size_t)w;
	for (i = 0; i < st->ntracks; i++) {
		t = &st->tracks[i];
		if (!pct_encode(t->group, group, sizeof group))
			return VIGIL_ERR_TOOBIG;
		w = snprintf(buf + n, len - n, " %s %s %d %d %d %d %" PRId64 " %" PRId64 " %" PRId64,
		    t->route, group[0] != '\0' ? group : "%", t->now_sent, t->level, t->repeats,
		    t->manual_level, t->manual_us, t->first_us, t->last_us);
		if (w < 0 || (size_t)w >= len - n)
			return VIGIL_ERR_TOOBIG;
		n += (size_t)w;
	}
	return (int)n;
}

/* The next space-separated word of *p: its start and length, or false at the end. */
static bool
word(const char **p, const char **w, size_t *wlen)
{
	const char *s = *p;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return false;
	*w = s;
	while (*s != '\0' && *s != ' ')
		s++;
	*wlen = (size_t)(s - *w);
	*p = s;
	return true;
}

static bool
word_i64(const char **p, int64_t *v)
{
	char buf[24], *end;
	const char *w;
	size_t len;

	if (!word(p, &w, &len) || len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, w, len);
	buf[len] = '\0';
	*v = strtoll(buf, &end, 10);
	return *end == '\0';
}

static bool
word_int(const char **p, int *v, int lo, int hi)
{
	int64_t x;

	if (!word_i64(p, &x) || x < lo || x > hi)
		return false;
	*v = (int)x;
	return true;
}

int
escalate_state_parse(const char *text, struct escalate_state *st)
{
	struct escalate_track *t;
	const char *p = text, *w;
	size_t len, i;
	int ntracks;

	memset(st, 0, sizeof *st);
	if (!word(&p, &w, &len))
		return VIGIL_ERR_DECODE;
	if (len != 2 || strncmp(w, "v1", 2) != 0)
		return VIGIL_ERR_VERSION;
	if (!word_i64(&p, &st->incident) || !word_int(&p, &st->severity, 0, 1000) ||
	    !word_i64(&p, &st->start_us) || !word_i64(&p, &st->ack_us) ||
	    !word_int(&p, &st->closed, 0, 1) || !word_int(&p, &ntracks, 0, ESC_TRACKS_MAX))
		return VIGIL_ERR_DECODE;
	st->ntracks = (size_t)ntracks;
	for (i = 0; i < st->ntracks; i++) {
		t = &st->tracks[i];
		if (!word(&p, &w, &len) || len >= sizeof t->route)
			return VIGIL_ERR_DECODE;
		memcpy(t->route, w, len);
		t->route[len] = '\0';
		if (!word(&p, &w, &len))
			return VIGIL_ERR_DECODE;
		if (!(len == 1 && w[0] == '%') && !pct_decode(w, len, t->group, sizeof t->group))
			return VIGIL_ERR_DECODE;
		if (!word_int(&p, &t->now_sent, 0, 1) ||
		    !word_int(&p, &t->level, 0, ESC_LEVELS_MAX) ||
		    !word_int(&p, &t->repeats, 0, 1000000) ||
		    !word_int(&p, &t->manual_level, 0, ESC_LEVELS_MAX) ||
		    !word_i64(&p, &t->manual_us) || !word_i64(&p, &t->first_us) ||
		    !word_i64(&p, &t->last_us))
			return VIGIL_ERR_DECODE;
	}
	if (word(&p, &w, &len))
		return VIGIL_ERR_DECODE;
	return 0;
}
