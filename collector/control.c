/*
 * The control socket (include/vigil/ctl.h): one request line in, JSON lines
 * out, then close. The caller is identified with SO_PEERCRED before anything
 * is read; commands live in one table.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/privdrop.h"
#include "vigil/text.h"

#include "collector.h"
#include "control.h"
#include "control_int.h"
#include "control_report.h"
#include "session.h"
#include "compliance.h"
#include "audit.h"
#include "escalate.h"
#include "escalate_run.h"
#include "incident.h"
#include "presence.h"
#include "roles.h"


/* What each request does; the role it needs is vigil/ctl.h's table (ctl_request_find()). */
static const struct ctl_cmd commands[] = {
	{ "status", cmd_status },
	{ "agents", cmd_agents },
	{ "events", cmd_events },
	{ "incidents", cmd_incidents },
	{ "incident", cmd_incident },
	/* incidents, audit, escalation */
	{ "incident-action", cmd_incident_action },
	{ "incident-notify", cmd_incident_notify },
	{ "audit-verify", cmd_audit_verify },
	{ "escalation-test", cmd_escalation_test },
	{ "compliance", cmd_compliance },
	/* reports: control_report.c */
	{ "report-fill", cmd_report_fill },
	{ "report-data", cmd_report_data },
	{ "report-reportable", cmd_report_reportable },
	{ "report-submitted", cmd_report_submitted },
	{ "report-summary", cmd_report_summary },
	/* enrolment and identities (issue 15) */
	{ "enroll-create", cmd_enroll_create },
	{ "enroll-list", cmd_enroll_list },
	{ "enroll-cancel", cmd_enroll_cancel },
	{ "agent-revoke", cmd_agent_revoke },
	{ "agent-retire", cmd_agent_retire },
	{ "inventory-set", cmd_inventory_set },
	{ "inventory-pc", cmd_inventory_pc },
	{ "inventory-ignore", cmd_inventory_ignore },
	{ "inventory-ignored", cmd_inventory_ignored },
	{ "backup", cmd_backup },
	{ "agent-reenroll", cmd_agent_reenroll },
	/* the CA rotation: control_pki.c */
	{ "pki-rotate", cmd_pki_rotate },
	{ "pki-rotate-status", cmd_pki_rotate_status },
	{ "pki-rotate-finish", cmd_pki_rotate_finish },
};

/* ---- connections ------------------------------------------------------------- */

static void
ctl_conn_free(struct ctl_conn *cc)
{
	struct control *ctl = cc->ctl;

	TAILQ_REMOVE(&ctl->conns, cc, entry);
	ctl->nconns--;
	bufferevent_free(cc->bev);
	free(cc);
}

static void
ctl_drained(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *cc = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		ctl_conn_free(cc);
}

static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn *cc = arg;

	if (what & BEV_EVENT_TIMEOUT)
		log_warnx("Control client uid %lu (pid %ld) was too slow; closing.",
		    (unsigned long)cc->uid, (long)cc->pid);
	ctl_conn_free(cc);
}

/* The response is queued: close once the client has it. */
static void
ctl_finish(struct ctl_conn *cc)
{
	bufferevent_disable(cc->bev, EV_READ);
	bufferevent_setcb(cc->bev, NULL, ctl_drained, ctl_event, cc);
	bufferevent_enable(cc->bev, EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(cc->bev)) == 0)
		ctl_conn_free(cc);
}

/* One request line of the caller cc, answered into out. */
static void
ctl_request(const struct ctl_conn *cc, char *line, struct evbuffer *out)
{
	struct control *ctl = cc->ctl;
	struct ctl_arg args[CTL_MAX_ARGS];
	const struct ctl_request_def *def = NULL;
	struct evbuffer *resp;
	struct jw w;
	char err[512], esc[128], *cmd, *tok, *save = NULL, *eq;
	size_t nargs = 0, i;
	int zone = 0;

	ctl->c->counters.control_requests++;
	if ((resp = evbuffer_new()) == NULL) {
		jw_error(out, ctl, "out of memory");
		return;
	}
	err[0] = '\0';
	ctl_usage_error = 0;
	if ((cmd = strtok_r(line, "\t", &save)) == NULL) {
		snprintf(err, sizeof(err), "empty request");
		goto out;
	}
	while ((tok = strtok_r(NULL, "\t", &save)) != NULL) {
		if (nargs == CTL_MAX_ARGS) {
			ctl_usage_error = 1;
			snprintf(err, sizeof(err), "more than %d arguments", CTL_MAX_ARGS);
			goto out;
		}
		if ((eq = strchr(tok, '=')) == NULL) {
			text_escape(esc, sizeof(esc), tok, strlen(tok));
			ctl_usage_error = 1;
			snprintf(err, sizeof(err), "argument %s is not key=value", esc);
			goto out;
		}
		*eq = '\0';
		/* zone=1, any request: vigilctl's people want the zone first (issue 16). */
		if (strcmp(tok, "zone") == 0 && strcmp(eq + 1, "1") == 0) {
			zone = 1;
			continue;
		}
		args[nargs].key = tok;
		args[nargs].value = eq + 1;
		nargs++;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0]) || (def = ctl_request_find(cmd)) == NULL) {
		text_escape(esc, sizeof(esc), cmd, strlen(cmd));
		ctl_usage_error = 1;
		snprintf(err, sizeof(err), "unknown command %s", esc);
		goto out;
	}
	log_debug("Control request %s from uid %lu (pid %ld).", commands[i].name,
	    (unsigned long)cc->uid, (long)cc->pid);
	/* vigil/ctl.h: viewers read, operators change incidents. */
	if ((int)cc->role < (int)def->need) {
		ctl->c->counters.control_refused++;
		log_warnx("Refused %s to user %s (%s): it needs group %s.", commands[i].name,
		    cc->user, roles_name(cc->role), ctl->c->conf.collector.operators_group);
		snprintf(err, sizeof(err), "permission denied: user %.64s is a %s; only members "
		    "of group %.64s (or root) may change incidents", cc->user, roles_name(cc->role),
		    ctl->c->conf.collector.operators_group);
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.ctl = ctl;
	w.out = resp;
	w.conn = cc;
	if (zone)
		zone_line(&w);
	if (commands[i].fn(&w, args, nargs, err, sizeof(err)) != 0 && err[0] == '\0')
		snprintf(err, sizeof(err), "%s failed", commands[i].name);
out:
	/* A failure replaces whatever part of the answer was already built. */
	if (err[0] != '\0')
		jw_error_kind(out, ctl, err, ctl_usage_error ? "usage" : NULL);
	else
		evbuffer_add_buffer(out, resp);
	evbuffer_free(resp);
}

static void
ctl_refuse(const struct ctl_conn *cc, struct evbuffer *out)
{
	struct control *ctl = cc->ctl;
	const struct collector_conf *conf = &ctl->c->conf.collector;
	char msg[1024];

	ctl->c->counters.control_refused++;
	log_warnx("Refused a control request from user %s (uid %lu, pid %ld): not root and in "
	    "neither group %s nor group %s.", cc->user, (unsigned long)cc->uid, (long)cc->pid,
	    conf->operators_group, conf->viewers_group);
	snprintf(msg, sizeof(msg), "permission denied: user %s is not root and not a member of "
	    "group %s (may change incidents) or group %s (may read)", cc->user,
	    conf->operators_group, conf->viewers_group);
	jw_error(out, ctl, msg);
}

/*
 * What has arrived in `in` so far: 1 when the answer is in out (the
 * connection then closes after it), 0 while the request line is incomplete.
 */
static int
ctl_serve(struct ctl_conn *cc, struct evbuffer *in, struct evbuffer *out)
{
	size_t n;
	char *line;

	line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) < CTL_MAX_REQUEST)
			return 0;
		if (!cc->allowed)
			ctl_refuse(cc, out);
		else
			jw_error(out, cc->ctl, "the request is longer than 4096 bytes");
		return 1;
	}
	if (!cc->allowed)
		ctl_refuse(cc, out);
	else if (n >= CTL_MAX_REQUEST)
		jw_error(out, cc->ctl, "the request is longer than 4096 bytes");
	else
		ctl_request(cc, line, out);
	free(line);
	return 1;
}

static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *cc = arg;

	if (ctl_serve(cc, bufferevent_get_input(bev), bufferevent_get_output(bev)))
		ctl_finish(cc);
}

int
control_serve(struct control *ctl, enum role role, const char *user, struct evbuffer *in,
    struct evbuffer *out)
{
	struct ctl_conn cc;

	memset(&cc, 0, sizeof(cc));
	cc.ctl = ctl;
	cc.role = role;
	cc.allowed = role != ROLE_NONE;
	snprintf(cc.user, sizeof(cc.user), "%s", user);
	return ctl_serve(&cc, in, out);
}

/*
 * Roles (roles.h) replace the old rule (root, our user, control_group): the
 * control_group only owns the socket file, which decides who can connect.
 */
static void
ctl_identify(struct ctl_conn *cc, const struct ucred *cr)
{
	const struct collector_conf *conf = &cc->ctl->c->conf.collector;

	cc->role = roles_of(cr->uid, cr->gid, getuid(), conf->operators_group,
	    conf->viewers_group, cc->user, sizeof(cc->user));
	cc->allowed = cc->role != ROLE_NONE;
}

static void
ctl_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct control *ctl = arg;
	struct timeval rt = { CTL_READ_TIMEOUT_SEC, 0 }, wt = { CTL_WRITE_TIMEOUT_SEC, 0 };
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct ctl_conn *cc;

	if (ctl->nconns >= CTL_MAX_CONNS) {
		log_warnx("Too many control requests at once (%d); closing a new one.",
		    CTL_MAX_CONNS);
		evutil_closesocket(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == -1) {
		log_warn("Cannot identify a control client");
		evutil_closesocket(fd);
		return;
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (cc->bev = bufferevent_socket_new(ctl->c->base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warnx("Out of memory; dropping a control request.");
		free(cc);
		evutil_closesocket(fd);
		return;
	}
	cc->ctl = ctl;
	cc->uid = cr.uid;
	cc->pid = cr.pid;
	TAILQ_INSERT_TAIL(&ctl->conns, cc, entry);
	ctl->nconns++;
	bufferevent_set_timeouts(cc->bev, &rt, &wt);
	/* A refused caller still gets its request read, so the close does not reset the answer. */
	ctl_identify(cc, &cr);
	/* The input never holds more than one request. */
	bufferevent_setwatermark(cc->bev, EV_READ, 0, CTL_MAX_REQUEST);
	bufferevent_setcb(cc->bev, ctl_read, NULL, ctl_event, cc);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
}

/* ---- the socket ---------------------------------------------------------------- */

/* A live daemon answers on the path; a stale socket refuses the connection. */
static int
ctl_in_use(const struct sockaddr_un *sun)
{
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return rc;
}

struct control *
control_open(struct collector *c, char *err, size_t errlen)
{
	const struct collector_conf *cc = &c->conf.collector;
	struct control *ctl;
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd = -1, rc;

	if ((ctl = calloc(1, sizeof(*ctl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctl->c = c;
	TAILQ_INIT(&ctl->conns);
	if (strlen(cc->control_socket) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "the control socket path %s is too long", cc->control_socket);
		goto fail;
	}
	snprintf(ctl->path, sizeof(ctl->path), "%s", cc->control_socket);
	if (cc->control_group[0] != '\0') {
		if ((rc = privdrop_group(cc->control_group, &ctl->group)) != 0) {
			snprintf(err, errlen, "control_group %s: %s", cc->control_group,
			    rc == VIGIL_ERR_NOTFOUND ? "no such group" : strerror(errno));
			goto fail;
		}
		ctl->has_group = 1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, ctl->path, strlen(ctl->path) + 1);
	if (lstat(ctl->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", ctl->path);
			goto fail;
		}
		if (ctl_in_use(&sun)) {
			snprintf(err, errlen, "another collector is listening on %s", ctl->path);
			goto fail;
		}
		if (unlink(ctl->path) == -1) {
			snprintf(err, errlen, "cannot remove the stale socket %s: %s", ctl->path,
			    strerror(errno));
			goto fail;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "cannot make a Unix socket: %s", strerror(errno));
		goto fail;
	}
	/* Never reachable by others, not even between bind() and chmod(). */
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1) {
		snprintf(err, errlen, "cannot bind %s: %s", ctl->path, strerror(errno));
		goto fail;
	}
	if (chmod(ctl->path, 0660) == -1) {
		snprintf(err, errlen, "cannot chmod %s: %s", ctl->path, strerror(errno));
		goto fail_unlink;
	}
	if (ctl->has_group && chown(ctl->path, getuid() == 0 ? 0 : (uid_t)-1, ctl->group) == -1) {
		snprintf(err, errlen, "cannot give %s to group %s: %s", ctl->path,
		    cc->control_group, strerror(errno));
		goto fail_unlink;
	}
	ctl->listener = evconnlistener_new(c->base, ctl_accept, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
	if (ctl->listener == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", ctl->path, strerror(errno));
		goto fail_unlink;
	}
	return ctl;
fail_unlink:
	unlink(ctl->path);
fail:
	if (fd != -1)
		close(fd);
	free(ctl);
	return NULL;
}

void
control_free(struct control *ctl)
{
	struct ctl_conn *cc;

	if (ctl == NULL)
		return;
	while ((cc = TAILQ_FIRST(&ctl->conns)) != NULL)
		ctl_conn_free(cc);
	if (ctl->listener != NULL) {
		evconnlistener_free(ctl->listener);
		/* After the drop the directory may not let us; the next start cleans up. */
		(void)unlink(ctl->path);
	}
	free(ctl);
}
