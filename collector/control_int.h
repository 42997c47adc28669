/*
 * The control server's private header: what its files share.
 *
 *   control.c           the socket: accept, identify (SO_PEERCRED), read one
 *                       request line, check the role (vigil/ctl.h), dispatch
 *   control_json.c      writing JSON lines; reading key=value arguments
 *   control_status.c    status, agents and compliance: the machines
 *   control_events.c    events
 *   control_incident.c  incidents, incident, incident-action, audit-verify,
 *                       escalation-test
 *   control_enroll.c    enroll-create, enroll-list, enroll-cancel, agent-revoke,
 *                       agent-retire
 */
#ifndef VIGIL_CONTROL_INT_H
#define VIGIL_CONTROL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "collector.h"
#include "vigil/jsonw.h"
#include "roles.h"
#include "store.h"

#define CTL_NAME_MAX 256                 /* a unit, host or user argument */
#define CTL_NOTE_MAX 2048                /* a note's text */
#define CTL_MAX_CONNS 64             /* requests served at once */
#define CTL_MAX_ARGS 16
#define CTL_READ_TIMEOUT_SEC 5
#define CTL_WRITE_TIMEOUT_SEC 30     /* without progress */

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn) entry;
	struct control *ctl;
	struct bufferevent *bev;
	uid_t uid;
	pid_t pid;
	int allowed;
	enum role role;                  /* roles.h: from the groups of uid */
	char user[ROLES_USER_MAX];       /* the actor of the audit trail */
};

TAILQ_HEAD(ctl_conn_list, ctl_conn);

struct control {
	struct collector *c;
	struct evconnlistener *listener;
	struct ctl_conn_list conns;
	size_t nconns;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int has_group;
	gid_t group;
};

/* One response being built: JSON objects, one per line. */
struct jw {
	struct control *ctl;
	struct evbuffer *out;
	const struct ctl_conn *conn;     /* the caller; NULL for an error line */
	struct jsonw j;                  /* libvigil's JSON writer, into out */
};

struct ctl_arg {
	const char *key, *value;
};

struct ctl_cmd {
	const char *name;
	/* Appends its lines to w->out; on failure writes a sentence to err and returns -1. */
	int (*fn)(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
	    size_t errlen);
};

/* control_json.c */
void jw_begin(struct jw *w);
void jw_end(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_int(struct jw *w, const char *key, long long v);
void jw_uint(struct jw *w, const char *key, unsigned long long v);
void jw_bool(struct jw *w, const char *key, int v);
void jw_time(struct jw *w, const char *key, int64_t us);
void jw_raw(struct jw *w, const char *key, const char *json);
void jw_error(struct evbuffer *out, struct control *ctl, const char *msg);
void jw_error_kind(struct evbuffer *out, struct control *ctl, const char *msg, const char *kind);
/* Set by bad_arg() and the other checks: the failed request was a usage error. */
extern int ctl_usage_error;
const char *arg_get(const struct ctl_arg *args, size_t nargs, const char *key);
int args_check(const struct ctl_arg *args, size_t nargs, const char *const *known, char *err,
    size_t errlen);
void bad_arg(char *err, size_t errlen, const char *key, const char *value, const char *want);
int num_arg(const struct ctl_arg *args, size_t nargs, const char *key, long long min,
    long long max, const char *want, long long *n, char *err, size_t errlen);
int time_num_arg(const struct ctl_arg *args, size_t nargs, const char *key, long long *us,
    char *err, size_t errlen);
int name_arg(const struct ctl_arg *args, size_t nargs, const char *key, const char **out,
    char *err, size_t errlen);
int id_arg(const struct ctl_arg *args, size_t nargs, long long *id, char *err, size_t errlen);
int field_arg(const struct ctl_arg *args, size_t nargs, const char **key, const char **value,
    char *err, size_t errlen);
void cursor_line(struct jw *w, long long after);
void zone_members(struct jw *w);
void zone_line(struct jw *w);
int grep_arg(const struct ctl_arg *args, size_t nargs, const char **text, char *err,
    size_t errlen);

/* control_status.c */
int cmd_compliance(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_status(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen);
int cmd_agents(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen);

/* control_events.c */
void event_members(struct jw *w, const struct store_event_row *r);
int cmd_events(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen);

/* control_incident.c */
int cmd_incidents(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen);
int cmd_incident(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen);
int cmd_incident_action(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_incident_notify(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_audit_verify(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_escalation_test(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);

/* control_enroll.c: enrolment and identities (issue 15) */
int cmd_enroll_create(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_enroll_list(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_enroll_cancel(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_agent_revoke(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_agent_retire(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_inventory_set(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_inventory_pc(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
/* control_neigh.c: the network's neighbours (issue 15) */
int cmd_inventory_ignore(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_inventory_ignored(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
/* The unknown hosts of unit (NULL: all) as compliance lines; 0, or -1 (the store failed). */
int compliance_unknown_hosts(struct jw *w, const char *unit);
int cmd_agent_reenroll(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_backup(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen);
/* control_pki.c: the CA rotation (issue 15) */
int cmd_pki_rotate(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_pki_rotate_status(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);
int cmd_pki_rotate_finish(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen);

#endif
