/*
 * Compliance of one machine (compliance.h): the rules of the plans' 100 %
 * target, judged from facts and a time given as arguments, on the last state
 * the machine reported while on.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "compliance.h"

#define US_PER_S 1000000LL
#define US_PER_MIN (60 * US_PER_S)
#define US_PER_H (60 * US_PER_MIN)
#define US_PER_DAY (24 * US_PER_H)

enum { TRISTATE_UNKNOWN = 0, TRISTATE_YES = 1, TRISTATE_NO = 2 };

struct reasons {
	char *buf;
	size_t len, cap;
	int full;              /* "..." ends the list: nothing more is added */
	const char *lang;      /* the reasons' language */
};

static void reason_add(struct reasons *rs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append one sentence; a list that no longer fits ends in "..." rather than mid-word. */
static void
reason_add(struct reasons *rs, const char *fmt, ...)
{
	char one[320];         /* a sentence of the longest language (Vietnamese) */
	size_t n, sep;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(one, sizeof(one), fmt, ap);
	va_end(ap);
	n = strlen(one);
	sep = rs->len > 0 ? 2 : 0;
	if (rs->full)
		return;
	if (rs->len + sep + n + 1 > rs->cap) {
		/* cap is above one sentence's 320 bytes: "; ..." always fits. */
		memcpy(rs->buf + rs->len, "; ...", 6);
		rs->len += 5;
		rs->full = 1;
		return;
	}
	if (sep) {
		memcpy(rs->buf + rs->len, "; ", 2);
		rs->len += 2;
	}
	memcpy(rs->buf + rs->len, one, n + 1);
	rs->len += n;
}

/* A span for people, rounded down: "90 s", "12 min", "5 h", "10 days". */
static void
span(const struct reasons *rs, char *buf, size_t len, int64_t us)
{
	if (us < 0)
		us = 0;
	if (us >= 2 * US_PER_DAY)
		snprintf(buf, len, i18n_text_in(rs->lang, "%lld days"), (long long)(us / US_PER_DAY));
	else if (us >= 2 * US_PER_H)
		snprintf(buf, len, i18n_text_in(rs->lang, "%lld h"), (long long)(us / US_PER_H));
	else if (us >= 2 * US_PER_MIN)
		snprintf(buf, len, i18n_text_in(rs->lang, "%lld min"), (long long)(us / US_PER_MIN));
	else
		snprintf(buf, len, i18n_text_in(rs->lang, "%lld s"), (long long)(us / US_PER_S));
}

long long
compliance_age_days(int64_t age_us)
{
	return age_us <= 0 ? 0 : (long long)(age_us / US_PER_DAY);
}

/*
 * When the machine is judged as of: now when it is on, else the last time it
 * was heard from (its last state while on). A last word ahead of our clock
 * counts as now.
 */
int64_t
compliance_as_of(const struct compliance_facts *f, int64_t now_us)
{
	if (f->on || f->last_seen_us <= 0 || f->last_seen_us > now_us)
		return now_us;
	return f->last_seen_us;
}

static void
judge_seen(const struct compliance_facts *f, const struct compliance_limits *l,
    int64_t now_us, struct compliance_result *r, struct reasons *rs)
{
	char age[32], lim[32];

	if (f->last_seen_us <= 0) {
		r->violations |= COMPLIANCE_NOT_SEEN;
		reason_add(rs, "%s", i18n_text_in(rs->lang, "agent never reported"));
		return;
	}
	/* Off or silent for a while is no fault; a long absence is: nobody knows its state. */
	if (f->on || now_us - f->last_seen_us <= l->offline_after_us)
		return;
	r->violations |= COMPLIANCE_NOT_SEEN;
	span(rs, age, sizeof(age), now_us - f->last_seen_us);
	span(rs, lim, sizeof(lim), l->offline_after_us);
	reason_add(rs, i18n_text_in(rs->lang, "not seen for %s (limit %s)"), age, lim);
}

static void
judge_antivirus(const struct compliance_facts *f, const struct compliance_limits *l,
    int64_t now_us, struct compliance_result *r, struct reasons *rs)
{
	const char *av = f->av_product != NULL ? f->av_product : "";
	char age[32], lim[32];

	if (av[0] == '\0') {
		r->violations |= COMPLIANCE_NO_AV;
		reason_add(rs, "%s", i18n_text_in(rs->lang, "no antivirus found"));
	} else if (f->av_running == TRISTATE_NO) {
		r->violations |= COMPLIANCE_AV_STOPPED;
		reason_add(rs, i18n_text_in(rs->lang, "antivirus %.40s not running"), av);
	} else if (f->av_running != TRISTATE_YES) {
		r->violations |= COMPLIANCE_AV_UNKNOWN;
		reason_add(rs, i18n_text_in(rs->lang, "antivirus %.40s state unknown"), av);
	}
	/* Without a product there are no signatures to speak of: one reason is enough. */
	if (av[0] == '\0')
		return;
	if (f->av_signatures_us <= 0) {
		r->violations |= COMPLIANCE_SIGS_UNKNOWN;
		reason_add(rs, "%s", i18n_text_in(rs->lang, "signature date unknown"));
		return;
	}
	/* A date ahead of our clock is as fresh as can be. */
	if (now_us - f->av_signatures_us < l->signature_max_age_us)
		return;
	r->violations |= COMPLIANCE_SIGS_OLD;
	span(rs, age, sizeof(age), now_us - f->av_signatures_us);
	span(rs, lim, sizeof(lim), l->signature_max_age_us);
	reason_add(rs, i18n_text_in(rs->lang, "signatures %s old (limit %s)"), age, lim);
}

static void
judge_updates(const struct compliance_facts *f, const struct compliance_limits *l,
    int64_t now_us, struct compliance_result *r, struct reasons *rs)
{
	int32_t n = f->security_updates_pending;
	char age[32], lim[32];

	if (n < 0 || n == 0)
		return;
	span(rs, lim, sizeof(lim), l->security_grace_us);
	/* The agent always dates a pending update; no date is treated as waiting forever. */
	if (f->security_pending_since_us <= 0) {
		r->violations |= COMPLIANCE_SECURITY_LATE;
		reason_add(rs, i18n_ntext_in(rs->lang, "%d security update pending since an "
		    "unknown time (grace %s)", "%d security updates pending since an unknown time "
		    "(grace %s)", (unsigned long)n), (int)n, lim);
		return;
	}
	if (now_us - f->security_pending_since_us <= l->security_grace_us)
		return;
	r->violations |= COMPLIANCE_SECURITY_LATE;
	span(rs, age, sizeof(age), now_us - f->security_pending_since_us);
	reason_add(rs, i18n_ntext_in(rs->lang, "%d security update pending for %s (grace %s)",
	    "%d security updates pending for %s (grace %s)", (unsigned long)n), (int)n, age,
	    lim);
}

int
compliance_eval(const struct compliance_facts *f, const struct compliance_limits *l,
    int64_t now_us, struct compliance_result *r)
{
	return compliance_eval_in(NULL, f, l, now_us, r);
}

int
compliance_eval_in(const char *lang, const struct compliance_facts *f,
    const struct compliance_limits *l, int64_t now_us, struct compliance_result *r)
{
	struct reasons rs;

	if (f == NULL || l == NULL || r == NULL)
		return VIGIL_ERR_INVAL;
	memset(r, 0, sizeof(*r));
	rs.buf = r->reasons;
	rs.len = 0;
	rs.cap = sizeof(r->reasons) - 5;   /* room for "; ..." */
	rs.full = 0;
	rs.lang = lang != NULL ? lang : i18n_language();
	judge_seen(f, l, now_us, r, &rs);
	if (!f->has_posture) {
		r->violations |= COMPLIANCE_NO_POSTURE;
		reason_add(&rs, "%s", i18n_text_in(rs.lang, "no posture reported"));
	} else {
		judge_antivirus(f, l, compliance_as_of(f, now_us), r, &rs);
		judge_updates(f, l, compliance_as_of(f, now_us), r, &rs);
		/* Notes come after every violation. */
		if (f->security_updates_pending < 0) {
			r->notes |= COMPLIANCE_NOTE_UPDATES_UNKNOWN;
			reason_add(&rs, "%s", i18n_text_in(rs.lang, "updates unknown"));
		}
		if (f->audit_policy != NULL &&
		    strncmp(f->audit_policy, "incomplete:", 11) == 0) {
			r->notes |= COMPLIANCE_NOTE_AUDIT_INCOMPLETE;
			reason_add(&rs, i18n_text_in(rs.lang, "audit policy incomplete:%.200s"),
			    f->audit_policy + 11);
		}
	}
	r->compliant = r->violations == 0;
	return 0;
}

int
compliance_percent(long long compliant, long long machines)
{
	long long p;

	if (machines <= 0 || compliant <= 0)
		return 0;
	if (compliant >= machines)
		return 100;
	p = (compliant * 200 + machines) / (2 * machines);
	if (p >= 100)
		p = 99;
	if (p <= 0)
		p = 1;
	return (int)p;
}
