/*
 * Notifiers: deliver one notification to one target through one channel
 * (email over SMTP, an HTTPS webhook, or a command run without a shell),
 * retry with exponential backoff up to a limit, and report every attempt.
 *
 * Everything runs in the collector's libevent loop, without threads and
 * without blocking: SMTP and HTTPS go through libcurl's multi interface
 * driven by libevent events (curl_multi_socket_action), commands are started
 * with posix_spawn, fed the incident JSON through a non-blocking pipe, reaped
 * through a pidfd and killed (their whole process group) at the timeout.
 *
 * How the daemon uses it:
 *
 *   n = notify_new(base, &conf, on_attempt, store);
 *   notify_send(n, &req, &job);       for each row of the notification outbox
 *   ... on_attempt(&attempt, store)   once per attempt: the store appends it to
 *                                     the incident's timeline; attempt->final
 *                                     says that this message is done (sent, or
 *                                     given up after max_attempts)
 *                                     (it may call notify_send(), never notify_free())
 *   notify_free(n);                   at exit: pending retries are dropped (the
 *                                     outbox still holds them), children killed
 *
 * After a restart the store resubmits each unfinished outbox row with
 * attempts_done and not_before_us taken from the attempts it recorded, so
 * the schedule goes on where it stopped and the count stays right.
 *
 * The process must ignore SIGPIPE (the daemons do): a command that exits
 * without reading its stdin must not kill the collector. Commands are reaped
 * by their own pid: nothing else in the process may reap every child
 * (waitpid(-1) in a SIGCHLD handler would steal their exit status).
 */
#ifndef VIGIL_NOTIFY_H
#define VIGIL_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "template.h"

struct event_base;

#define NOTIFY_TARGET_MAX 1024  /* addresses, a URL, a command line */
#define NOTIFY_ERROR_MAX 512    /* the error text of one attempt */
#define NOTIFY_RCPT_MAX 16      /* recipients of one email */
#define NOTIFY_ARGV_MAX 32      /* words of one command */
#define NOTIFY_PENDING_MAX 1024 /* messages queued or being retried at once */
#define NOTIFY_ATTACH_MAX (8u << 20) /* bytes of a file sent with an email */

/* Same values as enum escalate_channel. */
enum notify_channel { NOTIFY_EMAIL = 0, NOTIFY_WEBHOOK, NOTIFY_EXEC, NOTIFY_SMS,
	NOTIFY_CHANNEL_COUNT };

/* Why an attempt failed, for the timeline and for tests. */
enum notify_failure {
	NOTIFY_FAIL_NONE = 0,
	NOTIFY_FAIL_INVALID, /* a bad target: address, URL, command; not retried */
	NOTIFY_FAIL_CONNECT, /* DNS, refused, unreachable */
	NOTIFY_FAIL_TLS,     /* handshake, certificate verification, STARTTLS refused */
	NOTIFY_FAIL_TIMEOUT, /* the transfer or the command ran past its timeout */
	NOTIFY_FAIL_AUTH,    /* SMTP login refused */
	NOTIFY_FAIL_REFUSED, /* SMTP rejected sender or recipients; HTTP status not 2xx */
	NOTIFY_FAIL_EXIT,    /* the command exited non-zero or died by a signal */
	NOTIFY_FAIL_OTHER,
	NOTIFY_FAIL_COUNT
};

/*
 * Settings, normally the [notify] section of collector.conf. Strings are
 * copied by notify_new(). notify_conf_defaults() fills the defaults shown.
 */
struct notify_conf {
	/* SMTP */
	char smtp_url[NOTIFY_TARGET_MAX]; /* "smtp://mail.example:587" (plain, or STARTTLS
	                                     with smtp_starttls) or "smtps://...:465" */
	int smtp_starttls;                /* 1: STARTTLS required (default 1) */
	char smtp_user[256];              /* "": no AUTH; AUTH needs TLS (STARTTLS or smtps) */
	char smtp_password[256];
	char smtp_from[320];             /* envelope and From: address (required for email) */
	char smtp_from_name[128];        /* From: display name (default "Vigil") */
	char smtp_reply_to[320];         /* Reply-To: the acknowledgement mailbox; "": none */
	char smtp_ca[NOTIFY_TARGET_MAX]; /* CA file to verify the server; "": system store */
	/* webhooks */
	char webhook_ca[NOTIFY_TARGET_MAX];     /* CA file; "": system store */
	char webhook_header[NOTIFY_TARGET_MAX]; /* one extra header line, e.g.
	                                           "Authorization: Bearer T"; "": none */
	int allow_http;                         /* 1: http:// webhooks allowed (default 0) */
	/* both libcurl channels */
	int tls_verify;       /* 0 turns certificate checks off (default 1; tests) */
	long long timeout_ms; /* per SMTP or HTTPS attempt (default 30 s) */
	/* commands */
	long long exec_timeout_ms; /* then SIGKILL to its process group (default 30 s) */
	/* SMS (notify_sms.c) */
	char sms_outbox[NOTIFY_TARGET_MAX]; /* gammu-smsd's outbox folder; "": no SMS */
	/* retries */
	int max_attempts;        /* default 6 */
	long long retry_base_ms; /* delay before attempt 2 (default 30 s) */
	int retry_factor;        /* each later delay is this times the last (4) */
	long long retry_max_ms;  /* a cap on one delay (default 1 h) */
	/* texts */
	int utc_offset_min; /* times in bodies when !zone: +420 (Asia/Ho_Chi_Minh) */
	int zone;           /* the collector's: tz_offset_min() at each time (vigil/tz.h) */
};

void notify_conf_defaults(struct notify_conf *c);

/*
 * Pure: the delay in ms between attempt k-1 and attempt k (1-based; attempt
 * 1 has delay 0), or -1 when k is past max_attempts. With the defaults:
 * 0, 30 s, 2 min, 8 min, 32 min, 1 h (capped), then -1.
 */
long long notify_backoff_ms(const struct notify_conf *c, int attempt);

/* One message to deliver. Strings are borrowed for the call (notify_send() renders and copies). */
struct notify_request {
	enum notify_channel channel;
	/*
	 * email: addresses separated by spaces or commas; webhook: an https:// URL;
	 * exec: an absolute program and its arguments separated by spaces.
	 */
	const char *target;
	const char *header;           /* webhook: an extra header line; NULL: the conf's */
	const struct notification *n; /* what to say (template.h) */
	int64_t tag;                  /* the caller's id (an outbox row), reported back */
	int attempts_done;            /* attempts made before (after a restart); usually 0 */
	int64_t not_before_us;        /* first attempt not before this time; 0: now */
	/* email: a file sent with the message (the periodic summary, issue 17); NULL: none */
	const char *attach_name;      /* its file name: ASCII letters, digits, . - _ */
	const char *attach_type;      /* its MIME type: application/pdf */
	const void *attach;
	size_t attach_len;            /* at most NOTIFY_ATTACH_MAX */
};

/* One attempt, reported to the callback. Pointers live for the callback only. */
struct notify_attempt {
	uint64_t job; /* notify_send()'s id */
	int64_t tag;  /* the request's tag */
	enum notify_channel channel;
	const char *target;
	int attempt; /* 1-based, counting attempts_done */
	int64_t started_us, finished_us;
	int ok;          /* 1: delivered */
	int final;       /* 1: no further attempt (delivered, gave up, or invalid) */
	int64_t next_us; /* when the next attempt is due; 0 when final */
	enum notify_failure failure;
	long code;         /* last SMTP reply or HTTP status, or exit status; 0 */
	const char *error; /* "" when ok; else one sentence naming the cause */
};

typedef void notify_cb(const struct notify_attempt *a, void *arg);

struct notify;

/* A dispatcher on base; cb (may be NULL) hears every attempt. NULL on failure. */
struct notify *notify_new(struct event_base *base, const struct notify_conf *conf, notify_cb *cb,
                          void *arg);
/* Drops queued retries, aborts transfers, kills running commands. NULL is a no-op. */
void notify_free(struct notify *n);

/*
 * Queue one message: the texts are rendered now (template.h), the first
 * attempt starts from the event loop (at not_before_us, or at once). *job
 * (may be NULL) receives its id. Returns 0, VIGIL_ERR_INVAL for a bad
 * request (no target, email with no smtp_url or smtp_from), VIGIL_ERR_TOOBIG
 * with NOTIFY_PENDING_MAX messages pending, or VIGIL_ERR_NOMEM.
 */
int notify_send(struct notify *n, const struct notify_request *req, uint64_t *job);

/* Messages queued, waiting for a retry or in flight. */
size_t notify_pending(const struct notify *n);

/* "email", "webhook", "exec". */
const char *notify_channel_name(enum notify_channel ch);
/* "connect", "tls", "timeout", ...; "" for NOTIFY_FAIL_NONE. */
const char *notify_failure_name(enum notify_failure f);

/* ---- pure helpers, exported for the channel files and the tests ---- */

/*
 * Split an email target into addresses (copied into buf, pointed to by
 * rcpt[0..max)). Each must be a plain addr-spec: local@domain, printable
 * ASCII, no spaces, quotes, angle brackets or control characters. Returns
 * how many, or VIGIL_ERR_INVAL naming nothing (the caller says which target),
 * VIGIL_ERR_TOOBIG past max.
 */
int notify_split_addresses(const char *target, char *buf, size_t buflen, char **rcpt, size_t max);

/*
 * The whole RFC 5322 message (CRLF line ends): From, To, Subject encoded as
 * RFC 2047 UTF-8 base64 words folded at 75 columns, Date at utc_offset_min,
 * Message-ID, MIME-Version, Content-Type text/plain; charset=UTF-8,
 * Content-Transfer-Encoding base64, then the body in base64 lines of 76.
 * msgid_unique makes the Message-ID unique (e.g. a counter and the time).
 * Returns the length, or VIGIL_ERR_TOOBIG / VIGIL_ERR_INVAL (a bad address).
 */
int notify_smtp_format(const char *from, const char *from_name, char *const *rcpt, size_t nrcpt,
                       const char *subject, const char *body, int64_t now_us, int utc_offset_min,
                       const char *msgid_unique, char *buf, size_t len);
/* A file sent with a message (multipart/mixed: the text, then the file in base64). */
struct notify_attachment {
	const char *name, *type;
	const void *data;
	size_t len;
};
/*
 * notify_smtp_format() with a Reply-To: line (reply_to NULL or "": none; a
 * bad address: INVAL) and an attachment (NULL: none).
 */
int notify_smtp_format_with(const char *from, const char *from_name, const char *reply_to,
                            char *const *rcpt, size_t nrcpt, const char *subject,
                            const char *body, int64_t now_us, int utc_offset_min,
                            const char *msgid_unique, const struct notify_attachment *att,
                            char *buf, size_t len);

/* ---- the channels: drivers, as OpenSMTPD's table backends are ---- */

struct event;

/* One message, from notify_send() to its final attempt. */
struct notify_job {
	struct notify *n;
	struct notify_job *prev, *next;
	uint64_t id;
	int64_t tag;
	enum notify_channel channel;
	char target[NOTIFY_TARGET_MAX];
	char header[NOTIFY_TARGET_MAX];
	int64_t incident;
	char *subject, *body, *json; /* rendered by notify_send() */
	size_t json_len;
	char *attach;                /* a copy of the request's attachment, or NULL */
	size_t attach_len;
	char attach_name[128], attach_type[128];
	int attempt; /* attempts started, attempts_done included */
	int64_t started_us;
	struct event *timer; /* the next attempt */
	int running;         /* an attempt is in flight */
	void *attempt_state; /* the channel's, while an attempt holds something; else NULL */
};

/*
 * A channel. The dispatcher (notify.c) finds a message's channel in the
 * table notify_drivers[] (notify_drivers.c) and calls it; it names none. A
 * new channel is a file that defines one and a line in that table.
 */
struct notify_driver {
	const char *name;                    /* "email": in configurations and the timeline */
	/* Can this configuration send on it? 0, or VIGIL_ERR_INVAL. NULL: always. */
	int (*usable)(const struct notify_conf *c);
	/* What the channel keeps for a dispatcher (*state); NULL: nothing. 0 or an error. */
	int (*init)(struct notify *n, void **state);
	void (*fini)(void *state);
	/* Start an attempt; it ends with notify_job_done(), maybe before this returns. */
	void (*start)(struct notify_job *j);
	/* Free what an attempt holds (j->attempt_state); nothing held is a no-op. */
	void (*abort)(struct notify_job *j);
};

/* The channels, by enum notify_channel. */
extern const struct notify_driver *const notify_drivers[NOTIFY_CHANNEL_COUNT];

/* The channel called name ("email", "webhook", "exec"), or -1. */
int notify_channel_find(const char *name);

const struct notify_conf *notify_conf_of(const struct notify *n);
struct event_base *notify_base(const struct notify *n);
/* What the channel ch keeps for n (its init()'s *state). */
void *notify_driver_state(const struct notify *n, enum notify_channel ch);
/* The one clock (vigil/clock.h): tests hold it still. */
int64_t notify_now_us(void);

/*
 * An attempt ended: report it, then schedule the next one or free j.
 * j must not be touched after this call.
 */
void notify_job_done(struct notify_job *j, enum notify_failure f, long code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

extern const struct notify_driver notify_email;     /* notify_smtp.c */
extern const struct notify_driver notify_webhook;   /* notify_webhook.c */
extern const struct notify_driver notify_exec;      /* notify_exec.c */
extern const struct notify_driver notify_sms;       /* notify_sms.c */

/* ---- notify_curl.c: libcurl's multi interface on libevent, for SMTP and HTTPS ---- */

/* One curl transfer, an attempt's state (j->attempt_state) on a libcurl channel. */
struct notify_curl_attempt {
	void *easy;            /* CURL * */
	void *list;            /* struct curl_slist *: recipients, or headers */
	char *upload;          /* the message an SMTP attempt sends */
	size_t upload_len, upload_off;
	char reply[256];       /* the start of an HTTP answer, for the error text */
	size_t reply_len;
	char error[256];       /* CURL_ERROR_SIZE */
	void (*done)(struct notify_job *j, int curlcode);
};

/* A channel's init and fini: a multi handle driven by n's event loop. */
int notify_curl_init(struct notify *n, void **state);
void notify_curl_fini(void *state);

/* A new transfer for j's attempt (its easy handle made); NULL when out of memory. */
struct notify_curl_attempt *notify_curl_begin(struct notify_job *j);
/*
 * Hand the transfer to the channel's multi handle, with the TLS checks (ca:
 * a CA file, "" for the system store) and timeout of the configuration;
 * done is called when it ends. Out of memory ends j at once.
 */
void notify_curl_start(struct notify_job *j, const char *ca,
                       void (*done)(struct notify_job *j, int curlcode));
/* The channels' abort: the transfer, its lists and its upload freed. */
void notify_curl_abort(struct notify_job *j);
/* The failure class of a CURLcode, and a sentence for it in err. */
enum notify_failure notify_curl_failure(struct notify_job *j, int curlcode, char *err,
                                        size_t errlen);

#endif
