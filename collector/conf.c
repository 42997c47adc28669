/* The collector's configuration table. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/config.h"
#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/tls.h"

#include "vigil/tz.h"
#include "conf.h"

#define SEC 1000LL
#define DAY (24 * 3600 * SEC)
#define KEY(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct collector_conf, f), \
	    sizeof(((struct collector_conf *)0)->f), 0, h }
#define NUM(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct collector_conf, f), 0, 0, h }

static const struct cfg_key collector_keys[] = {
	KEY("listen", CFG_STRING, "0.0.0.0", 0, 0, listen,
	    "Address agents connect to."),
	NUM("port", CFG_INT, "7443", 0, 65535, port,
	    "TCP port agents connect to; 0 picks any free port."),
	KEY("ca", CFG_PATH, "/etc/vigil/pki/ca.crt", 0, 0, ca,
	    "CA certificate that signs agent certificates."),
	KEY("cert", CFG_PATH, "/etc/vigil/pki/collector.crt", 0, 0, cert,
	    "The collector's certificate."),
	KEY("key", CFG_PATH, "/etc/vigil/pki/collector.key", 0, 0, key,
	    "The collector's private key."),
	KEY("groups", CFG_STRING, TLS_GROUPS_DEFAULT, 0, 0, groups,
	    "TLS key-exchange groups in order of preference."),
	KEY("timezone", CFG_STRING, "", 0, 0, timezone,
	    "The zone of every time shown to people (notifications, vigilctl, reports, "
	    "deadlines): Asia/Ho_Chi_Minh, +07:00; empty: the system's."),
	KEY("language", CFG_STRING, "en", 0, 0, language,
	    "The language of the titles of the incidents the collector opens itself (machines "
	    "silent, correlations, a cloned identity, the store failing): en or vi."),
	KEY("database", CFG_PATH, "/var/lib/vigil/vigil.db", 0, 0, database,
	    "The event store (SQLite)."),
	KEY("control_socket", CFG_PATH, CTL_SOCKET_DEFAULT, 0, 0, control_socket,
	    "Unix socket vigilctl talks to."),
	KEY("control_group", CFG_STRING, NULL, 0, 0, control_group,
	    "Members of this group may use the control socket."),
	KEY("user", CFG_STRING, NULL, 0, 0, user,
	    "When started as root, drop to this user after opening files."),
	NUM("max_connections", CFG_INT, "1000", 1, 100000, max_connections,
	    "Agent connections served at once; more are closed at once."),
	NUM("max_handshakes", CFG_INT, "64", 1, 100000, max_handshakes,
	    "TLS handshakes served at once; further connections wait their turn."),
	NUM("max_handshakes_per_address", CFG_INT, "32", 1, 100000, max_handshakes_per_address,
	    "Connections from one address that have not yet shown a certificate; more are closed "
	    "at once."),
	NUM("handshake_timeout", CFG_DURATION, "10s", 100, 5 * 60 * SEC, handshake_timeout,
	    "Time from accepting a connection to its Hello being answered, waiting included."),
	NUM("frame_timeout", CFG_DURATION, "30s", 100, 3600 * SEC, frame_timeout,
	    "Time allowed from the first byte of a frame to its last."),
	NUM("idle_timeout", CFG_DURATION, "90s", SEC, 24 * 3600 * SEC, idle_timeout,
	    "A session that sends no whole frame for this long is closed."),
	NUM("heartbeat", CFG_DURATION, "30s", SEC, 3600 * SEC, heartbeat,
	    "How often agents are asked to send a heartbeat."),
	NUM("max_frame", CFG_SIZE, "1M", 4096, 64LL * 1024 * 1024, max_frame,
	    "Largest frame accepted from an agent."),
	NUM("max_pending", CFG_SIZE, "4M", 64 * 1024, 1024LL * 1024 * 1024, max_pending,
	    "Stop reading from an agent while its batches awaiting the disk take this much memory."),
	NUM("max_pending_total", CFG_SIZE, "16M", 1024 * 1024, 64LL * 1024 * 1024 * 1024,
	    max_pending_total,
	    "Stop reading from every agent while all batches awaiting the disk, and the frames "
	    "being received, take this much memory."),
	NUM("clock_ahead_max", CFG_DURATION, "10m", SEC, 365 * DAY, clock_ahead_max,
	    "An event dated further ahead of its arrival is kept but flagged: the machine's clock "
	    "is wrong."),
	NUM("clock_behind_max", CFG_DURATION, "30d", 3600 * SEC, 3650 * DAY, clock_behind_max,
	    "An event dated further behind its arrival is kept but flagged."),
	NUM("store_alarm_after", CFG_DURATION, "60s", SEC, DAY, store_alarm_after,
	    "Commits failing this long (a full disk) open an incident."),
	NUM("database_reserve", CFG_SIZE, "8M", 0, 1024LL * 1024 * 1024, database_reserve,
	    "Disk space kept in DATABASE.reserve and given up when the disk is full, so that the "
	    "incident saying so can be stored and sent; 0: none."),
	/* posture and compliance */
	/*
	 * Retired with "off, not silent": a machine switched off, or silent for a
	 * while, is judged on its last state; only a long absence counts.
	 */
	{ "compliance_silent_after", CFG_RETIRED, NULL, 0, 0, 0, 0, 0,
	    "a machine off or silent is judged on the last state it reported while on; "
	    "set compliance_offline_after (days) instead" },
	NUM("compliance_offline_after", CFG_DURATION, "7d", SEC, 365 * DAY,
	    compliance_offline_after,
	    "A machine not seen for this long is not compliant (\"not seen for N days\")."),
	NUM("compliance_signature_max_age", CFG_DURATION, "3d", 3600 * SEC, 365 * DAY,
	    compliance_signature_max_age,
	    "A machine whose antivirus signatures are this old is not compliant."),
	NUM("compliance_security_grace", CFG_DURATION, "7d", 0, 365 * DAY,
	    compliance_security_grace,
	    "A machine with a security update pending longer than this is not compliant."),
	/* incidents, audit, escalation */
	KEY("operators_group", CFG_STRING, "vigil-operators", 0, 0, operators_group,
	    "Members of this group may change incidents (ack, assign, resolve...)."),
	KEY("viewers_group", CFG_STRING, "vigil-viewers", 0, 0, viewers_group,
	    "Members of this group may read incidents, events and agents."),
	NUM("reopen_window", CFG_DURATION, "24h", 0, 30 * DAY, reopen_window,
	    "Matching events this soon after an incident was resolved re-open it; 0: never."),
	NUM("correlate_window", CFG_DURATION, "10m", SEC, DAY, correlate_window,
	    "Window of the collector's correlations across machines."),
	NUM("correlate_hosts", CFG_INT, "3", 2, 1000, correlate_hosts,
	    "Machines one source address must fail logins on, within the window, for one "
	    "incident."),
	KEY("escalation", CFG_PATH, NULL, 0, 0, escalation,
	    "Contacts, chains and routes of the escalation (none: nobody is notified)."),
	/* enrolment and identities (issue 15) */
	NUM("enroll_port", CFG_INT, "0", 0, 65535, enroll_port,
	    "TCP port where PCs enrol with a token (7444 is usual); 0: no enrolment."),
	KEY("ca_key", CFG_PATH, NULL, 0, 0, ca_key,
	    "The CA's private key, to sign the certificates of enrolling PCs (needed with "
	    "enroll_port)."),
	NUM("agent_cert_lifetime", CFG_DURATION, "90d", 10 * SEC, 825 * DAY, agent_cert_lifetime,
	    "How long a certificate issued at enrolment is valid."),
	NUM("enroll_clock_max", CFG_DURATION, "1h", SEC, 365 * DAY, enroll_clock_max,
	    "A PC whose clock is further off than this is refused at enrolment (clock skew)."),
	NUM("renew_grace", CFG_DURATION, "30d", 0, 825 * DAY, renew_grace,
	    "A PC whose certificate expired less than this long ago re-enrols with its old key, "
	    "without a token; 0: never."),
	{ NULL },
};

/* ---- incidents, audit, escalation: [notify] ---- */
#define NKEY(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_notify, f), \
	    sizeof(((struct conf_notify *)0)->f), 0, h }
#define NNUM(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_notify, f), 0, 0, h }

static const struct cfg_key notify_keys[] = {
	NKEY("smtp_url", CFG_STRING, NULL, 0, 0, smtp_url,
	    "Mail server: smtp://host:587 (with smtp_starttls) or smtps://host:465."),
	NNUM("smtp_starttls", CFG_BOOL, "yes", 0, 0, smtp_starttls,
	    "Require STARTTLS on an smtp:// server."),
	NKEY("smtp_user", CFG_STRING, NULL, 0, 0, smtp_user,
	    "Log in to the mail server as this user (needs TLS); none: no login."),
	NKEY("smtp_password", CFG_SECRET, NULL, 0, 0, smtp_password,
	    "The mail server password."),
	NKEY("smtp_from", CFG_STRING, NULL, 0, 0, smtp_from,
	    "Sender address of notifications (required for email)."),
	NKEY("smtp_from_name", CFG_STRING, "Vigil", 0, 0, smtp_from_name,
	    "Sender display name."),
	NKEY("smtp_ca", CFG_PATH, NULL, 0, 0, smtp_ca,
	    "CA file to verify the mail server; none: the system store."),
	NKEY("webhook_ca", CFG_PATH, NULL, 0, 0, webhook_ca,
	    "CA file to verify webhook servers; none: the system store."),
	NKEY("webhook_header", CFG_STRING, NULL, 0, 0, webhook_header,
	    "One extra header line sent with every webhook, e.g. \"Authorization: Bearer T\"."),
	NNUM("allow_http", CFG_BOOL, "no", 0, 0, allow_http,
	    "Allow plain http:// webhooks."),
	NNUM("tls_verify", CFG_BOOL, "yes", 0, 0, tls_verify,
	    "Verify the certificates of mail and webhook servers."),
	NNUM("timeout", CFG_DURATION, "30s", SEC, 10 * 60 * SEC, timeout,
	    "Time allowed for one mail or webhook attempt."),
	NNUM("exec_timeout", CFG_DURATION, "30s", SEC, 10 * 60 * SEC, exec_timeout,
	    "Time allowed for one notification command; then it is killed."),
	NNUM("max_attempts", CFG_INT, "6", 1, 100, max_attempts,
	    "Attempts to deliver one notification before giving up."),
	NNUM("retry_base", CFG_DURATION, "30s", 100, DAY, retry_base,
	    "Delay before the second attempt."),
	NNUM("retry_factor", CFG_INT, "4", 1, 100, retry_factor,
	    "Each later delay is this many times the one before."),
	NNUM("retry_max", CFG_DURATION, "1h", 100, DAY, retry_max,
	    "The longest delay between two attempts."),
	NNUM("utc_offset", CFG_INT, NULL, -840, 840, utc_offset,
	    "Deprecated: write [collector] timezone = +07:00. Minutes east of UTC, used "
	    "only when timezone is empty."),
	{ NULL },
};

/* ---- acknowledgement by reply: [ack_mail] ---- */
#define AKEY(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_ack_mail, f), \
	    sizeof(((struct conf_ack_mail *)0)->f), 0, h }
#define ANUM(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_ack_mail, f), 0, 0, h }

static const struct cfg_key ack_mail_keys[] = {
	AKEY("url", CFG_STRING, NULL, 0, 0, url,
	    "Mailbox that replies to notifications reach: imap://host:143/INBOX (STARTTLS when "
	    "offered) or imaps://host:993/INBOX; none: replies are not read."),
	AKEY("user", CFG_STRING, NULL, 0, 0, user,
	    "Log in to the mailbox as this user."),
	AKEY("password_file", CFG_PATH, NULL, 0, 0, password_file,
	    "File holding the mailbox password on its first line (readable by the collector's "
	    "user)."),
	AKEY("ca", CFG_PATH, NULL, 0, 0, ca,
	    "CA file to verify the mail server; none: the system store."),
	ANUM("poll", CFG_DURATION, "60s", 100, DAY, poll,
	    "How often the mailbox is read."),
	ANUM("max_per_poll", CFG_INT, "50", 1, 10000, max_per_poll,
	    "Replies read in one poll; the rest wait for the next."),
	AKEY("address", CFG_STRING, NULL, 0, 0, address,
	    "The mailbox's address, given as Reply-To: in every notification; none: smtp_from."),
	{ NULL },
};

/* ---- SMS through gammu-smsd: [sms] ---- */
#define SKEY(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_sms, f), sizeof(((struct conf_sms *)0)->f), 0, h }
#define SNUM(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_sms, f), 0, 0, h }

static const struct cfg_key sms_keys[] = {
	SKEY("outbox", CFG_PATH, NULL, 0, 0, outbox,
	    "gammu-smsd's outbox folder (its FILES service): SMS to contacts with a phone are "
	    "written there; none: no SMS."),
	SKEY("inbox", CFG_PATH, NULL, 0, 0, inbox,
	    "gammu-smsd's inbox folder: replies such as \"XN 4821\" are read from there; none: "
	    "not read."),
	SNUM("poll", CFG_DURATION, "5s", 100, DAY, poll,
	    "How often the inbox is read."),
	{ NULL },
};

/* ---- acknowledge by link: [ack_link] ---- */
#define LKEY(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_ack_link, f), \
	    sizeof(((struct conf_ack_link *)0)->f), 0, h }
#define LNUM(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct conf_ack_link, f), 0, 0, h }

static const struct cfg_key ack_link_keys[] = {
	LKEY("url", CFG_STRING, NULL, 0, 0, url,
	    "The page as officials reach it on the office network, https://host:port; none: no "
	    "links."),
	LKEY("listen", CFG_STRING, "0.0.0.0", 0, 0, listen,
	    "Address the link page listens on."),
	LNUM("port", CFG_INT, "8443", 1, 65535, port,
	    "TCP port of the link page."),
	LKEY("cert", CFG_PATH, NULL, 0, 0, cert,
	    "Certificate of the page; none: the collector's."),
	LKEY("key", CFG_PATH, NULL, 0, 0, key,
	    "Its private key; none: the collector's."),
	LNUM("ttl", CFG_DURATION, "24h", SEC, 30 * DAY, ttl,
	    "How long a link may be used (once)."),
	{ NULL },
};

static const struct cfg_section sections[] = {
	{ "collector", 0, collector_keys, offsetof(struct conf, collector), NULL, NULL, 1 },
	{ "notify", 0, notify_keys, offsetof(struct conf, notify), NULL, NULL, 0 },
	{ "ack_mail", 0, ack_mail_keys, offsetof(struct conf, ack_mail), NULL, NULL, 0 },
	{ "sms", 0, sms_keys, offsetof(struct conf, sms), NULL, NULL, 0 },
	{ "ack_link", 0, ack_link_keys, offsetof(struct conf, ack_link), NULL, NULL, 0 },
	/* reports (issue 17): conf_unit.c */
	{ "unit", 0, conf_unit_keys, offsetof(struct conf, unit), NULL, NULL, 0 },
	{ "system", 1, conf_system_keys, 0, conf_system_add, conf_system_get, 0 },
	{ "recipient", 1, conf_recipient_keys, 0, conf_recipient_add, conf_recipient_get, 0 },
	{ "report", 0, conf_report_keys, offsetof(struct conf, report), NULL, NULL, 0 },
	{ NULL },
};

void
conf_defaults(struct conf *c)
{
	cfg_defaults(sections, c);
}

static void
fmt_ms(char *buf, size_t len, long long ms)
{
	if (ms % SEC == 0)
		snprintf(buf, len, "%llds", ms / SEC);
	else
		snprintf(buf, len, "%lldms", ms);
}

/*
 * The line of key in [section] of path, for a value whose check needs more
 * than its line (the time zone database): "file:line: message" still.
 */
static int
key_line(const char *path, const char *section, const char *key)
{
	char line[1024], *p;
	int n = 0, in = 0, found = 0;
	size_t klen = strlen(key);
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '[') {
			in = strncmp(p + 1, section, strlen(section)) == 0 &&
			    p[1 + strlen(section)] == ']';
			continue;
		}
		if (in && strncmp(p, key, klen) == 0 && strchr(" \t=", p[klen]) != NULL)
			found = n;
	}
	fclose(fp);
	return found;
}

/*
 * The one zone for people (issue 16), checked and applied here, before any
 * thread (a name sets TZ, vigil/tz.h): timezone; else, in a file written
 * before it, the deprecated [notify] utc_offset, said once; else the
 * system's. utc_offset left out stays unset (-nv: "#utc_offset =").
 */
static int
conf_zone(const char *path, struct conf *c, char *err, size_t errlen, cfg_warn_fn warn,
    void *arg)
{
	int uline = key_line(path, "notify", "utc_offset"), a = (int)c->notify.utc_offset;
	const char *spec = c->collector.timezone;
	char why[CONF_NAME_MAX + 512], fixed[16];

	if (uline == 0)
		c->notify.utc_offset = CONF_UTC_OFFSET_UNSET;
	else if (spec[0] != '\0') {
		snprintf(why, sizeof(why), "%s:%d: warning: [notify] utc_offset is ignored: "
		    "[collector] timezone = %s is the zone; remove utc_offset", path, uline, spec);
		if (warn != NULL)
			warn(arg, why);
	} else {
		snprintf(fixed, sizeof(fixed), "%c%02d:%02d", a < 0 ? '-' : '+', abs(a) / 60,
		    abs(a) % 60);
		snprintf(why, sizeof(why), "%s:%d: warning: [notify] utc_offset is deprecated; "
		    "write [collector] timezone = %s instead (until then it is the zone)", path,
		    uline, fixed);
		if (warn != NULL)
			warn(arg, why);
		spec = fixed;
	}
	if (tz_set(spec, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, key_line(path, "collector", "timezone"),
		    why);
		return VIGIL_ERR_CONFIG;
	}
	return 0;
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	return conf_load_warn(path, c, err, errlen, NULL, NULL);
}

int
conf_load_warn(const char *path, struct conf *c, char *err, size_t errlen, cfg_warn_fn warn,
    void *arg)
{
	const struct collector_conf *cc = &c->collector;
	char a[32], b[32];
	int rc;

	conf_unit_reset(c);
	if ((rc = cfg_load_warn(path, sections, c, err, errlen, warn, arg)) != 0)
		return rc;
	if ((rc = conf_unit_check(path, c, err, errlen)) != 0)
		return rc;
	/* Checks across keys have no single line to point at. */
	if (cc->idle_timeout <= cc->heartbeat) {
		fmt_ms(a, sizeof(a), cc->idle_timeout);
		fmt_ms(b, sizeof(b), cc->heartbeat);
		snprintf(err, errlen, "%s: idle_timeout (%s) must be longer than heartbeat (%s)",
		    path, a, b);
		return VIGIL_ERR_CONFIG;
	}
	/* A frame must fit the limits it is counted against, or it would wait for ever. */
	if (cc->max_pending < cc->max_frame || cc->max_pending_total < 2 * cc->max_frame) {
		snprintf(err, errlen, "%s: max_pending must be at least max_frame (%lld bytes), "
		    "and max_pending_total at least twice it", path, cc->max_frame);
		return VIGIL_ERR_CONFIG;
	}
	if (cc->enroll_port != 0 && cc->ca_key[0] == '\0') {
		snprintf(err, errlen, "%s: enroll_port needs ca_key (the CA's key signs the "
		    "certificates of enrolling PCs)", path);
		return VIGIL_ERR_CONFIG;
	}
	if (cc->listen[0] == '\0') {
		snprintf(err, errlen, "%s: listen must not be empty", path);
		return VIGIL_ERR_CONFIG;
	}
	if (cc->groups[0] == '\0') {
		snprintf(err, errlen, "%s: groups must not be empty", path);
		return VIGIL_ERR_CONFIG;
	}
	if (!i18n_known(cc->language)) {
		snprintf(err, errlen, "%s:%d: language \"%.16s\" has no catalog: en or vi", path,
		    key_line(path, "collector", "language"), cc->language);
		return VIGIL_ERR_CONFIG;
	}
	return conf_zone(path, c, err, errlen, warn, arg);
}

void
conf_print(FILE *fp, const struct conf *c)
{
	cfg_print(fp, sections, c);
}
