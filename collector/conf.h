/*
 * The collector's configuration: one [collector] section, described by a
 * table in conf.c (name, type, default, range, field). Durations are in
 * milliseconds, sizes in bytes.
 */
#ifndef VIGIL_COLLECTOR_CONF_H
#define VIGIL_COLLECTOR_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "vigil/config.h"

#include "conf_unit.h"

#define CONF_PATH_MAX 1024
#define CONF_NAME_MAX 256
#define CONF_SOCKET_MAX 108      /* sizeof(sun_path) */
#define CONF_UTC_OFFSET_UNSET 100000   /* [notify] utc_offset not in the file */

struct collector_conf {
	char listen[CONF_NAME_MAX];
	long long port;                      /* 0: any free port */
	char ca[CONF_PATH_MAX];
	char cert[CONF_PATH_MAX];
	char key[CONF_PATH_MAX];
	char groups[CONF_NAME_MAX];
	char timezone[CONF_NAME_MAX];        /* times for people (vigil/tz.h); "": the system's */
	char language[16];                   /* titles of the incidents it opens: en, vi */
	char database[CONF_PATH_MAX];
	char control_socket[CONF_SOCKET_MAX];
	char control_group[CONF_NAME_MAX];   /* "": none */
	char user[CONF_NAME_MAX];            /* "": keep the starting user */
	long long max_connections;
	long long max_handshakes;            /* TLS handshakes in progress; the rest queue */
	long long max_handshakes_per_address;   /* connections without a certificate yet */
	long long handshake_timeout;         /* ms, from accept to Welcome */
	long long frame_timeout;             /* ms, from a frame's first byte to its last */
	long long idle_timeout;              /* ms without a whole frame */
	long long heartbeat;                 /* ms */
	long long max_frame;                 /* bytes */
	long long max_pending;               /* bytes */
	long long max_pending_total;         /* bytes */
	long long clock_ahead_max;           /* ms: an event time further ahead is flagged */
	long long clock_behind_max;          /* ms: an event time further behind is flagged */
	long long store_alarm_after;         /* ms of failing commits before an incident */
	long long database_reserve;          /* bytes kept free for that incident */
	/* posture and compliance */
	long long compliance_offline_after;      /* ms: not seen this long is not compliant */
	long long compliance_signature_max_age;  /* ms */
	long long compliance_security_grace;     /* ms */
	/* incidents, audit, escalation */
	char operators_group[CONF_NAME_MAX];     /* may change incidents */
	char viewers_group[CONF_NAME_MAX];       /* may read */
	long long reopen_window;                 /* ms; 0: never re-open */
	long long correlate_window;              /* ms */
	long long correlate_hosts;               /* machines one source address fails on */
	char escalation[CONF_PATH_MAX];          /* "": no escalation */
	/* enrolment and identities (issue 15) */
	long long enroll_port;                   /* 0: no enrolment listener */
	char ca_key[CONF_PATH_MAX];              /* "": enrolment off */
	long long agent_cert_lifetime;           /* ms */
	long long enroll_clock_max;              /* ms of clock difference refused */
	long long renew_grace;                   /* ms after expiry a PC may re-enrol */
};

/* ---- incidents, audit, escalation: [notify], as notify.h's struct notify_conf ---- */
struct conf_notify {
	char smtp_url[1024];
	int smtp_starttls;
	char smtp_user[256];
	char smtp_password[256];
	char smtp_from[320];
	char smtp_from_name[128];
	char smtp_ca[CONF_PATH_MAX];
	char webhook_ca[CONF_PATH_MAX];
	char webhook_header[1024];
	int allow_http;
	int tls_verify;
	long long timeout;                   /* ms */
	long long exec_timeout;              /* ms */
	long long max_attempts;
	long long retry_base;                /* ms */
	long long retry_factor;
	long long retry_max;                 /* ms */
	long long utc_offset;                /* deprecated, minutes east of UTC (tz.h has the zone) */
};

/* ---- acknowledgement by reply (issue 11): [ack_mail], the mailbox replies reach ---- */
struct conf_ack_mail {
	char url[1024];                      /* imap://host:port/INBOX or imaps://...; "": off */
	char user[256];
	char password_file[CONF_PATH_MAX];   /* one line: the password */
	char ca[CONF_PATH_MAX];              /* "": the system store */
	long long poll;                      /* ms */
	long long max_per_poll;              /* messages read in one poll */
	char address[320];                   /* Reply-To: of notifications; "": smtp_from */
};

/* ---- SMS through gammu-smsd (issue 11): [sms], its FILES service's folders ---- */
struct conf_sms {
	char outbox[CONF_PATH_MAX];          /* "": no SMS sent */
	char inbox[CONF_PATH_MAX];           /* "": replies by SMS not read */
	long long poll;                      /* ms */
};

/* ---- acknowledge by link (issue 11): [ack_link], the HTTPS page on the office network ---- */
struct conf_ack_link {
	char url[1024];                      /* https://host:port as officials reach it; "": off */
	char listen[256];
	long long port;
	char cert[CONF_PATH_MAX];            /* "": the collector's */
	char key[CONF_PATH_MAX];
	long long ttl;                       /* ms */
};

struct conf {
	struct collector_conf collector;
	struct conf_notify notify;           /* incidents, audit, escalation */
	struct conf_ack_mail ack_mail;       /* ack_imap.c */
	struct conf_sms sms;                 /* notify_sms.c, ack_sms.c */
	struct conf_ack_link ack_link;       /* ack_http.c */
	struct conf_unit unit;               /* the unit profile: conf_unit.h */
	struct conf_report report;           /* reports: conf_unit.h */
};

/* Every key at its default. */
void conf_defaults(struct conf *c);

/*
 * Read path into c (defaults first). Touches no file but path itself: the
 * files the configuration names need not exist. Returns 0, or VIGIL_ERR_CONFIG
 * / VIGIL_ERR_SYS with "file:line: message" (or "file: message") in err.
 */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);
/* The same, handing each warning ("file:line: warning: ...", a retired key) to warn. */
int conf_load_warn(const char *path, struct conf *c, char *err, size_t errlen, cfg_warn_fn warn,
    void *arg);

/* Print the effective configuration, for -nv. */
void conf_print(FILE *fp, const struct conf *c);

#endif
