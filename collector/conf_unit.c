/*
 * The unit profile and the report settings (conf_unit.h): the key tables
 * conf.c's section table points at, and the checks that need more than a
 * key's type and range. Those checks run after the whole file is read, so
 * the line of the value is found again by reading the file with libvigil's
 * INI reader: an operator gets "file:line: message" either way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/ini.h"

#include "conf.h"
#include "conf_unit.h"

#ifndef VIGIL_SHARE_DIR
#define VIGIL_SHARE_DIR "/usr/local/share/vigil"
#endif
#ifndef VIGIL_LIBEXEC_DIR
#define VIGIL_LIBEXEC_DIR "/usr/local/libexec/vigil"
#endif

#define UKEY(n, t, d, f, h) \
	{ n, t, d, 0, 0, offsetof(struct conf_unit, f), sizeof(((struct conf_unit *)0)->f), 0, h }

const struct cfg_key conf_unit_keys[] = {
	UKEY("name", CFG_STRING, NULL, name,
	    "The unit as the forms name it: Ủy ban nhân dân phường Đông Hòa."),
	UKEY("parent", CFG_STRING, NULL, parent, "The body the unit belongs to."),
	UKEY("short", CFG_STRING, NULL, short_name,
	    "The unit's short name in document numbers (UBND, ĐU)."),
	UKEY("place", CFG_STRING, NULL, place, "Where documents are dated (Đông Hòa)."),
	UKEY("address", CFG_STRING, NULL, address, "The unit's address."),
	UKEY("head_name", CFG_STRING, NULL, head_name, "The head of the unit, who signs."),
	UKEY("head_position", CFG_STRING, NULL, head_position, "The head's position (Chủ tịch)."),
	UKEY("sign_for", CFG_STRING, NULL, sign_for,
	    "The line above the signature (TM. ỦY BAN NHÂN DÂN); none: no such line."),
	UKEY("it_name", CFG_STRING, NULL, it_name, "The IT contact's name."),
	UKEY("it_position", CFG_STRING, NULL, it_position, "The IT contact's position."),
	UKEY("it_phone", CFG_STRING, NULL, it_phone, "The IT contact's telephone."),
	UKEY("it_email", CFG_STRING, NULL, it_email, "The IT contact's e-mail address."),
	UKEY("format", CFG_STRING, "state", format,
	    "Document format: state (NĐ 30/2020/NĐ-CP) or party (Hướng dẫn 36-HD/VPTW)."),
	{ NULL },
};

#define SYKEY(n, t, d, lo, hi, f, req, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_unit_system, f), \
	    sizeof(((struct conf_unit_system *)0)->f), req, h }

const struct cfg_key conf_system_keys[] = {
	SYKEY("name", CFG_STRING, NULL, 0, 0, name, 1, "The information system's name."),
	{ "level", CFG_INT, NULL, 1, 5, offsetof(struct conf_unit_system, level), 0, 1,
	    "Its security level under NĐ 85/2016/NĐ-CP, 1 to 5." },
	SYKEY("description", CFG_STRING, NULL, 0, 0, description, 0,
	    "What it is (42 workstations, 1 server)."),
	{ NULL },
};

#define RCKEY(n, t, f, req, h) \
	{ n, t, NULL, 0, 0, offsetof(struct conf_unit_recipient, f), \
	    sizeof(((struct conf_unit_recipient *)0)->f), req, h }

const struct cfg_key conf_recipient_keys[] = {
	RCKEY("name", CFG_STRING, name, 1, "An authority the reports are addressed to."),
	RCKEY("email", CFG_STRING, email, 0, "Its e-mail address, if reports are mailed to it."),
	{ NULL },
};

#define RKEY(n, t, d, f, h) \
	{ n, t, d, 0, 0, offsetof(struct conf_report, f), \
	    sizeof(((struct conf_report *)0)->f), 0, h }

const struct cfg_key conf_report_keys[] = {
	RKEY("templates", CFG_PATH, NULL, templates,
	    "The unit's own templates, looked in before the shipped ones; none: the shipped ones."),
	RKEY("shipped", CFG_PATH, VIGIL_SHARE_DIR "/reports", shipped,
	    "The shipped templates and holiday calendar."),
	RKEY("holidays", CFG_PATH, VIGIL_SHARE_DIR "/reports/holidays.conf", holidays,
	    "The holiday calendar deadlines are counted over (the unit may edit a copy)."),
	RKEY("renderer", CFG_PATH, VIGIL_LIBEXEC_DIR "/vigil-report-render", renderer,
	    "The program that makes the documents, run as a separate process."),
	{ "working_days", CFG_BOOL, "no", 0, 0, offsetof(struct conf_report, working_days), 0, 0,
	    "Count the 5-day deadlines in working days instead of calendar days." },
	RKEY("breach_categories", CFG_STRING, "data_leak", breach_categories,
	    "Incidents of these categories are personal-data breaches: their 72-hour deadline "
	    "starts by itself; none: only when marked."),
	RKEY("summary_schedule", CFG_STRING, "none", summary_schedule,
	    "Mail the periodic summary when a period is over: none, monthly, quarterly or "
	    "halfyearly."),
	RKEY("summary_to", CFG_STRING, NULL, summary_to,
	    "Who gets the summary: e-mail addresses separated by spaces (sent through [notify])."),
	RKEY("summary_unit", CFG_STRING, NULL, summary_unit,
	    "The unit the summary is of (as the agents name it); none: every machine."),
	RKEY("summary_format", CFG_STRING, "pdf", summary_format,
	    "The summary's document: pdf, html or csv."),
	{ NULL },
};

void *
conf_system_add(void *conf, const char *label)
{
	struct conf_unit *u = &((struct conf *)conf)->unit;
	struct conf_unit_system *s;

	if (u->nsystems >= UNIT_SYSTEMS_MAX)
		return NULL;
	s = &u->systems[u->nsystems++];
	memset(s, 0, sizeof(*s));
	snprintf(s->label, sizeof(s->label), "%s", label);
	return s;
}

void *
conf_system_get(const void *conf, size_t i, const char **label)
{
	const struct conf_unit *u = &((const struct conf *)conf)->unit;

	if (i >= u->nsystems)
		return NULL;
	*label = u->systems[i].label;
	return (void *)(uintptr_t)&u->systems[i];
}

void *
conf_recipient_add(void *conf, const char *label)
{
	struct conf_unit *u = &((struct conf *)conf)->unit;
	struct conf_unit_recipient *r;

	if (u->nrecipients >= UNIT_RECIPIENTS_MAX)
		return NULL;
	r = &u->recipients[u->nrecipients++];
	memset(r, 0, sizeof(*r));
	snprintf(r->label, sizeof(r->label), "%s", label);
	return r;
}

void *
conf_recipient_get(const void *conf, size_t i, const char **label)
{
	const struct conf_unit *u = &((const struct conf *)conf)->unit;

	if (i >= u->nrecipients)
		return NULL;
	*label = u->recipients[i].label;
	return (void *)(uintptr_t)&u->recipients[i];
}

void
conf_unit_reset(struct conf *c)
{
	c->unit.nsystems = 0;
	c->unit.nrecipients = 0;
}

/* The line of key in section [sec] or [sec label] (label NULL: unlabelled), or 0. */
static unsigned
line_of(const char *path, const char *sec, const char *label, const char *key)
{
	struct ini r;
	struct ini_item it;
	FILE *fp;
	int in = 0;
	unsigned line = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	ini_file(&r, fp);
	while (line == 0 && ini_next(&r, &it) != INI_END) {
		if (it.what == INI_SECTION)
			in = strcmp(it.name, sec) == 0 &&
			    (label == NULL ? it.label[0] == '\0' : strcmp(it.label, label) == 0);
		else if (it.what == INI_KEY && in && strcmp(it.name, key) == 0)
			line = it.line;
	}
	fclose(fp);
	return line;
}

/* Something that can be an e-mail address: one @, a dot after it, no space or control. */
static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strchr(at, '.') == NULL ||
	    at[strlen(at) - 1] == '.')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '<' || *s == '>' || *s == ',')
			return 0;
	return 1;
}

/* Digits, spaces and + . - ( ), with 6 to 15 digits. */
static int
phone_ok(const char *s)
{
	int digits = 0;

	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (strchr(" +.-()", *s) == NULL)
			return 0;
	}
	return digits >= 6 && digits <= 15;
}

static int
bad(char *err, size_t errlen, const char *path, const char *sec, const char *label,
    const char *key, const char *msg, const char *value)
{
	unsigned line = line_of(path, sec, label, key);

	if (line == 0)
		return err_fmt(err, errlen, VIGIL_ERR_CONFIG, "%s: [%s] %s: %s", path, sec, key,
		    msg);
	return err_at(err, errlen, VIGIL_ERR_CONFIG, path, line, "%s '%s': %s", key, value, msg);
}

int
conf_unit_check(const char *path, const struct conf *c, char *err, size_t errlen)
{
	const struct conf_unit *u = &c->unit;

	if (strcmp(u->format, "state") != 0 && strcmp(u->format, "party") != 0)
		return bad(err, errlen, path, "unit", NULL, "format",
		    "must be state (NĐ 30/2020) or party (Hướng dẫn 36-HD/VPTW)", u->format);
	if (u->it_email[0] != '\0' && !email_ok(u->it_email))
		return bad(err, errlen, path, "unit", NULL, "it_email",
		    "is not an e-mail address", u->it_email);
	if (u->it_phone[0] != '\0' && !phone_ok(u->it_phone))
		return bad(err, errlen, path, "unit", NULL, "it_phone",
		    "is not a telephone number (6 to 15 digits, spaces, + . - ( ))", u->it_phone);
	if (strcmp(c->report.summary_schedule, "none") != 0 &&
	    strcmp(c->report.summary_schedule, "monthly") != 0 &&
	    strcmp(c->report.summary_schedule, "quarterly") != 0 &&
	    strcmp(c->report.summary_schedule, "halfyearly") != 0)
		return bad(err, errlen, path, "report", NULL, "summary_schedule",
		    "must be none, monthly, quarterly or halfyearly", c->report.summary_schedule);
	if (strcmp(c->report.summary_format, "pdf") != 0 &&
	    strcmp(c->report.summary_format, "html") != 0 &&
	    strcmp(c->report.summary_format, "csv") != 0)
		return bad(err, errlen, path, "report", NULL, "summary_format",
		    "must be pdf, html or csv", c->report.summary_format);
	if (strcmp(c->report.summary_schedule, "none") != 0 && c->report.summary_to[0] == '\0')
		return bad(err, errlen, path, "report", NULL, "summary_schedule",
		    "needs summary_to, the addresses the summary is mailed to",
		    c->report.summary_schedule);
	for (size_t i = 0; i < u->nrecipients; i++)
		if (u->recipients[i].email[0] != '\0' && !email_ok(u->recipients[i].email))
			return bad(err, errlen, path, "recipient", u->recipients[i].label, "email",
			    "is not an e-mail address", u->recipients[i].email);
	return 0;
}

int
conf_unit_missing(const struct conf_unit *u, const char **path, const char **key)
{
	static const struct {
		size_t off;
		const char *path, *key;
	} need[] = {
		{ offsetof(struct conf_unit, name), "unit.name", "[unit] name" },
		{ offsetof(struct conf_unit, parent), "unit.parent", "[unit] parent" },
		{ offsetof(struct conf_unit, short_name), "unit.short", "[unit] short" },
		{ offsetof(struct conf_unit, place), "unit.place", "[unit] place" },
		{ offsetof(struct conf_unit, address), "unit.address", "[unit] address" },
		{ offsetof(struct conf_unit, head_name), "unit.head.name", "[unit] head_name" },
		{ offsetof(struct conf_unit, head_position), "unit.head.position",
		    "[unit] head_position" },
		{ offsetof(struct conf_unit, it_name), "unit.it_contact.name", "[unit] it_name" },
		{ offsetof(struct conf_unit, it_position), "unit.it_contact.position",
		    "[unit] it_position" },
		{ offsetof(struct conf_unit, it_phone), "unit.it_contact.phone", "[unit] it_phone" },
		{ offsetof(struct conf_unit, it_email), "unit.it_contact.email", "[unit] it_email" },
	};

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (((const char *)u + need[i].off)[0] == '\0') {
			*path = need[i].path;
			*key = need[i].key;
			return 1;
		}
	if (u->nrecipients == 0) {
		*path = "unit.recipients";
		*key = "[recipient NAME] name";
		return 1;
	}
	return 0;
}
