/*
 * vigilctl's private header: what its files share.
 *
 *   vigilctl.c        the command table, parsing, --help, usage errors, main
 *   vigilctl_cmd.c    each command's handler: its request and its output
 *   vigilctl_talk.c   the control socket: request lines out, JSON lines in
 *   vigilctl_print.c  tables, CSV and key: value blocks for people
 *   vigilctl_args.c   arguments: times, durations, numbers, names, filters
 *   vigilctl_enroll.c enroll create|list|cancel, agent revoke|retire
 *   vigilctl_pki.c    pki rotate (the collector's CA rotation)
 */
#ifndef VIGIL_VIGILCTL_H
#define VIGIL_VIGILCTL_H

#include <getopt.h>
#include <stddef.h>

#include "vigil/ctl.h"
#include "vigil/json.h"


#define EXIT_DAEMON 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

#define LINE_MAX_BYTES JSON_MAX_INPUT /* one response line */
#define RESPONSE_MAX (256ull << 20)   /* the whole response */
#define READ_TIMEOUT_S 60
#define PKI_DAYS_DEFAULT 825
#define WIDTH_NOT_TTY 160
#define COLUMN_MAX 40 /* code points in any column but the last */
#define LAST_COLUMN_MIN 12
#define ELLIPSIS "\xe2\x80\xa6"


struct opts {
	const char *socket;
	int json;
};


/* The objects of a response, kept for table output. */
struct reply {
	struct json_object **obj;
	size_t n, cap;
	long long cursor;      /* {"type":"cursor"}: where a --follow poll goes on */
	int has_cursor;
};

struct table {
	size_t ncols;
	const char *const *heads;
	const unsigned char *right; /* per column: align right */
	unsigned zoned;             /* bit c: column c holds times, its heading says the zone */
	char **cells;               /* nrows * ncols, escaped for display */
	size_t nrows, caprows;
};

struct request {
	char buf[CTL_MAX_REQUEST];
	size_t len;
	int overflow;
};

struct command {
	const char *name;              /* "incident" */
	const char *action;            /* its action word ("show"), NULL for none */
	const char *request;           /* the request it sends (its role); NULL: local */
	const struct option *longopts; /* its options (with --json, --csv) */
	const char *synopsis;          /* N_(): the arguments after the name */
	const char *summary;           /* N_(): what it does */
	int (*run)(const struct command *cmd, struct opts *o, int argc, char **argv);
};

/* --csv: tables as RFC 4180 CSV instead of aligned columns. */
extern int output_csv;
extern int output_csv_bom;
/* Tables without their heading: the batches of --follow after the first. */
extern int table_no_heading;

/* The filters events, incidents and escalation test share; -1 and NULL: not given. */
struct filter {
	int cat, sev;
	const char *unit, *host;
	long long limit;
	const char *field, *grep;   /* --field KEY=VALUE, --grep TEXT */
};

/* vigilctl.c */
void usage_error(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));
void die(int, const char *, ...) __attribute__((noreturn, format(printf, 2, 3)));
int next_opt(const struct command *cmd, struct opts *o, int argc, char **argv);
void no_more_args(int argc, char **argv);

/* vigilctl_args.c */
void *xreallocarray(void *p, size_t n, size_t size);
char *escaped(const char *s, size_t len);
/*
 * A --since or --until value: us, or, for a time without a zone, the wall
 * clock the collector reads in its own zone (issue 16).
 */
struct time_value {
	int given;
	long long us;
	char wall[32];
};
void time_arg(const char *opt, const char *s, struct time_value *tv);
/* Both given and until before since, where vigilctl can tell (else the collector does). */
int time_before(const struct time_value *until, const struct time_value *since);
void zone_take(const struct json_object *obj);
void people_time(char *dst, size_t len, const char *rfc3339, int labelled);
void zone_heading(char *dst, size_t len, const char *head);
void bad_name(const char *what, const char *given, const char *(*name)(int))
    __attribute__((noreturn));
const char *name_opt(const char *opt, const char *v);
void filter_opt(struct filter *f, int c, const char *arg);
int days_opt(const char *s, const char *opt, int min);

/* vigilctl_print.c */
const char *val(const struct json_object *o, const char *key);
void print_kv(const struct json_object *o);
void print_events(const struct reply *r, size_t from);
const char *drops(const struct json_object *o, char *buf, size_t len);
const char *drops_other(const struct json_object *o, char *buf, size_t len);
void print_agents(const struct reply *r);
void print_incidents(const struct reply *r);
void print_timeline(const struct reply *r);
void print_compliance(const struct reply *r);
void print_tokens(const struct reply *r);

/* vigilctl_talk.c */
void req_add(struct request *r, const char *key, const char *value);
void req_add_ll(struct request *r, const char *key, long long v);
void talk(const struct opts *o, struct request *req, struct reply *r);
/* Where the request came from ("FILE:LINE"), put before the collector's refusal; or NULL. */
extern const char *talk_where;
void reply_free(struct reply *r);
void talk_plain(const struct command *cmd, struct opts *o, int argc, char **argv,
    struct reply *r);

/* vigilctl_follow.c */
int follow(struct opts *o, const struct request *base, long long first_limit,
    void (*print)(const struct reply *r));

/* vigilctl_cmd.c */
int cmd_status(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_agents(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_events(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_incidents(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_incident(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_audit(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_escalation(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_compliance(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_pki(const struct command *cmd, struct opts *o, int argc, char **argv);

/* vigilctl_report.c */
int cmd_report(const struct command *cmd, struct opts *o, int argc, char **argv);
int report_reportable(struct opts *o, long long id, const char *kinds);
/* vigilctl_enroll.c: enrolment and identities (issue 15) */
/* vigilctl_pki.c: pki rotate, its options parsed by cmd_pki(). */
int pki_rotate_run(struct opts *o, int argc, char **argv, long long overlap_ms, int finish,
    int force);
int cmd_enroll(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_agent(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_inventory(const struct command *cmd, struct opts *o, int argc, char **argv);
int cmd_backup(const struct command *cmd, struct opts *o, int argc, char **argv);

#endif
