/*
 * The OS-update sensor: parsers of apt's and dpkg's text (pure), and the
 * shell around them in the event loop: one simulated upgrade at a time as a
 * child process whose output is read through a non-blocking pipe, apt's and
 * dpkg's logs watched with inotify, a timer every check_interval.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "../follow.h"
#include "updates.h"
#include "vigil/clock.h"

#define DPKG_SOURCE "sensor.dpkg"          /* dpkg.log's offset in the spool */
#define STATE_KEY "sensor.updates"         /* the facts kept across restarts */
#define EVENT_SOURCE "updates"

/* ---- pure parsers -------------------------------------------------------- */

/* The next line of text[*off..len): its start and length; 0 at the end. */
static int
next_line(const char *text, size_t len, size_t *off, const char **line, size_t *llen)
{
	const char *nl;

	if (*off >= len)
		return 0;
	*line = text + *off;
	nl = memchr(*line, '\n', len - *off);
	*llen = nl != NULL ? (size_t)(nl - *line) : len - *off;
	*off += *llen + (nl != NULL);
	if (*llen > 0 && (*line)[*llen - 1] == '\r')
		(*llen)--;
	return 1;
}

static int
starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0;
}

int
updates_parse_apt(const char *text, size_t len, struct updates_apt *out)
{
	const char *line, *origin, *name;
	size_t off = 0, llen, nlen, olen;
	int summary = 0;

	memset(out, 0, sizeof(*out));
	while (next_line(text, len, &off, &line, &llen)) {
		if (!starts(line, llen, "Inst ")) {
			/* "3 upgraded, 0 newly installed, 0 to remove and 0 not upgraded." */
			if (memmem(line, llen, " upgraded, ", 11) != NULL &&
			    memmem(line, llen, " newly installed", 16) != NULL)
				summary = 1;
			continue;
		}
		if (out->pending < INT32_MAX)
			out->pending++;
		name = line + 5;
		nlen = 0;
		while (5 + nlen < llen && name[nlen] != ' ')
			nlen++;
		/* Only the origins, in parentheses, say where the new version comes from. */
		if ((origin = memchr(name, '(', llen - 5)) == NULL)
			continue;
		olen = llen - (size_t)(origin - line);
		if (memmem(origin, olen, "Debian-Security:", 16) == NULL &&
		    memmem(origin, olen, "-security", 9) == NULL)
			continue;
		if (out->security++ == 0)
			text_utf8_clean(out->first_security, sizeof(out->first_security), name,
			    nlen);
	}
	return out->pending > 0 || summary ? 0 : VIGIL_ERR_DECODE;
}

int
updates_parse_date(const char *s, size_t len, int64_t *us)
{
	char buf[48];
	int y, mo, d, h, mi, se, used = -1;

	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return VIGIL_ERR_DECODE;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 ||
	    used != (int)len)
		return VIGIL_ERR_DECODE;
	return clock_local_us(y, mo, d, h, mi, se, us);
}

/* Is this Commandline an upgrade of the system, not an install of a few packages? */
static int
upgrade_command(const char *line, size_t len)
{
	static const char *const words[] = { " upgrade", " dist-upgrade", " full-upgrade",
		"unattended-upgrade" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (memmem(line, len, words[i], strlen(words[i])) != NULL)
			return 1;
	return 0;
}

void
updates_parse_history(const char *text, size_t len, struct updates_history *out)
{
	const char *line;
	size_t off = 0, llen;
	int in = 0, upgrade = 0, error = 0, command = 0, upcmd = 0;
	int64_t t;

	memset(out, 0, sizeof(*out));
	while (next_line(text, len, &off, &line, &llen)) {
		if (starts(line, llen, "Start-Date:")) {
			in = 1;
			upgrade = error = command = upcmd = 0;
		} else if (!in) {
			continue;
		} else if (starts(line, llen, "Commandline:")) {
			command = 1;
			upcmd = upgrade_command(line + 12, llen - 12);
		} else if (starts(line, llen, "Upgrade:")) {
			upgrade = 1;
		} else if (starts(line, llen, "Error:")) {
			error = 1;
		} else if (starts(line, llen, "End-Date:")) {
			in = 0;
			if (updates_parse_date(line + 9, llen - 9, &t) != 0)
				continue;
			if (t > out->last_activity_us)
				out->last_activity_us = t;
			if (upgrade && !error && (upcmd || !command) && t > out->last_upgrade_us)
				out->last_upgrade_us = t;
		}
	}
}

/* The next space-separated word of line[*off..len). */
static int
word(const char *line, size_t len, size_t *off, const char **w, size_t *wlen)
{
	while (*off < len && line[*off] == ' ')
		(*off)++;
	if (*off >= len)
		return 0;
	*w = line + *off;
	while (*off < len && line[*off] != ' ')
		(*off)++;
	*wlen = (size_t)(line + *off - *w);
	return 1;
}

enum updates_dpkg_kind
updates_parse_dpkg(const char *line, size_t len, struct updates_dpkg *out)
{
	const char *w[6];
	size_t wl[6], off = 0, i;
	char stamp[40];
	enum updates_dpkg_kind kind;

	for (i = 0; i < 6; i++)
		if (!word(line, len, &off, &w[i], &wl[i]))
			return UPDATES_DPKG_OTHER;
	if (wl[2] == 7 && memcmp(w[2], "install", 7) == 0 && wl[4] == 6 &&
	    memcmp(w[4], "<none>", 6) == 0)
		kind = UPDATES_DPKG_INSTALLED;
	else if (wl[2] == 6 && memcmp(w[2], "remove", 6) == 0 && wl[5] == 6 &&
	    memcmp(w[5], "<none>", 6) == 0)
		kind = UPDATES_DPKG_REMOVED;
	else
		return UPDATES_DPKG_OTHER;
	if (wl[0] + wl[1] + 2 > sizeof(stamp))
		return UPDATES_DPKG_OTHER;
	snprintf(stamp, sizeof(stamp), "%.*s %.*s", (int)wl[0], w[0], (int)wl[1], w[1]);
	if (updates_parse_date(stamp, strlen(stamp), &out->time_us) != 0)
		return UPDATES_DPKG_OTHER;
	text_utf8_clean(out->package, sizeof(out->package), w[3], wl[3]);
	if (kind == UPDATES_DPKG_INSTALLED)
		text_utf8_clean(out->version, sizeof(out->version), w[5], wl[5]);
	else
		text_utf8_clean(out->version, sizeof(out->version), w[4], wl[4]);
	return kind;
}

int
updates_parse_os_release(const char *text, size_t len, char *out, size_t cap)
{
	const char *line, *v;
	size_t off = 0, llen, vlen;

	while (next_line(text, len, &off, &line, &llen)) {
		if (!starts(line, llen, "PRETTY_NAME="))
			continue;
		v = line + 12;
		vlen = llen - 12;
		if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
			v++;
			vlen -= 2;
		}
		text_utf8_clean(out, cap, v, vlen);
		return 0;
	}
	return VIGIL_ERR_NOTFOUND;
}

int
updates_lock_held(const char *path)
{
	struct flock fl;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	/* Asks only: an open file description lock query takes nothing. */
	rc = fcntl(fd, F_OFD_GETLK, &fl);
	close(fd);
	if (rc != 0)
		return -1;
	return fl.l_type != F_UNLCK;
}

/* ---- the sensor ------------------------------------------------------------ */

struct updates {
	struct event_base *base;
	struct posture *p;
	char root[AGENT_CONF_PATH_MAX];
	char command[1024];
	int simulate;
	struct timeval interval;
	struct timeval settle;

	struct posture_updates cur;
	int have_apt;                        /* cur's counts come from a run */
	int reboot_announced;

	struct event *timer;
	struct event *settle_ev;
	struct dirwatch_reg *reg_dpkg, *reg_apt, *reg_run;

	struct follow *dpkg;                 /* NULL: package_events = no */

	pid_t child;
	int pipefd;
	struct event *pipe_ev;
	struct event *reap_ev;
	char *out;
	size_t outlen;
	int overflow;
	time_t started;
};

static void
under(const struct updates *u, const char *rel, char *out, size_t cap)
{
	size_t n = strlen(u->root);

	/* root "/" and "/tmp/x/" both join without a double slash. */
	while (n > 0 && u->root[n - 1] == '/')
		n--;
	snprintf(out, cap, "%.*s%s", (int)n, u->root, rel);
}

/* Read at most max bytes of the end of path into a new buffer; NULL when absent. */
static char *
read_tail(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	off_t from = 0;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	if ((size_t)st.st_size > max)
		from = st.st_size - (off_t)max;
	if ((buf = malloc(max + 1)) == NULL)
		goto out;
	while (got < max && (n = pread(fd, buf + got, max - got, from + (off_t)got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	*len = got;
out:
	close(fd);
	return buf;
}

static void
state_save(struct updates *u)
{
	char text[128];
	int rc;

	snprintf(text, sizeof(text), "%lld %lld %lld %d",
	    (long long)u->cur.security_pending_since_us, (long long)u->cur.last_update_us,
	    (long long)u->cur.last_upgrade_us, u->reboot_announced);
	if ((rc = spool_cursor_set(posture_spool(u->p), STATE_KEY, text)) != 0)
		log_warnx(_("The update sensor's state cannot be kept in the spool: %s."),
		    vigil_strerror(rc));
}

/* One decimal number of a state text and the space after it; 0 or -1. */
static int
state_number(const char **p, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(*p, &end, 10);
	if (end == *p || errno != 0 || (*end != ' ' && *end != '\0'))
		return -1;
	*p = *end == ' ' ? end + 1 : end;
	return 0;
}

int
updates_state_parse(const char *text, struct updates_state *st)
{
	long long v[4];

	/* Not sscanf: a number out of range is undefined behaviour there. */
	for (size_t i = 0; i < 4; i++)
		if (state_number(&text, &v[i]) != 0)
			return VIGIL_ERR_DECODE;
	if (*text != '\0')
		return VIGIL_ERR_DECODE;
	st->security_pending_since_us = v[0] > 0 ? v[0] : 0;
	st->last_update_us = v[1] > 0 ? v[1] : 0;
	st->last_upgrade_us = v[2] > 0 ? v[2] : 0;
	st->reboot_announced = v[3] != 0;
	return 0;
}

static void
state_load(struct updates *u)
{
	char text[SPOOL_CURSOR_MAX + 1];
	struct updates_state st;

	if (spool_cursor_get(posture_spool(u->p), STATE_KEY, text, sizeof(text)) != 0 ||
	    updates_state_parse(text, &st) != 0)
		return;
	u->cur.security_pending_since_us = st.security_pending_since_us;
	u->cur.last_update_us = st.last_update_us;
	u->cur.last_upgrade_us = st.last_upgrade_us;
	u->reboot_announced = st.reboot_announced;
}

static void
emit(struct updates *u, const char *rule, int category, int severity, const char *summary,
    const char *k1, const char *v1)
{
	struct ingest_event ev;

	ingest_event_init(&ev, EVENT_SOURCE, category, severity, rule, summary);
	if (k1 != NULL)
		ingest_field(&ev, k1, v1);
	posture_event(u->p, &ev);
}

/* History, stamp, reboot-required, os-release: cheap file reads. */
static void
read_files(struct updates *u)
{
	struct updates_history h;
	char path[AGENT_CONF_PATH_MAX + 64], pkgs[WIRE_MAX_FIELD_VALUE + 1], summary[1200];
	struct stat st;
	char *text;
	size_t len, i;
	int64_t t;
	int reboot;

	under(u, "/var/log/apt/history.log", path, sizeof(path));
	if ((text = read_tail(path, UPDATES_HISTORY_MAX, &len)) != NULL) {
		updates_parse_history(text, len, &h);
		/* A rotated log forgets: the newest date ever seen stands. */
		if (h.last_upgrade_us > u->cur.last_upgrade_us)
			u->cur.last_upgrade_us = h.last_upgrade_us;
		free(text);
	}
	/* apt writes no history for "update"; its success hook touches this stamp. */
	under(u, "/var/lib/apt/periodic/update-success-stamp", path, sizeof(path));
	if (stat(path, &st) == 0) {
		t = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
		if (t > u->cur.last_update_us)
			u->cur.last_update_us = t;
	}
	under(u, "/etc/os-release", path, sizeof(path));
	if ((text = read_tail(path, 16384, &len)) == NULL) {
		under(u, "/usr/lib/os-release", path, sizeof(path));
		text = read_tail(path, 16384, &len);
	}
	if (text != NULL) {
		updates_parse_os_release(text, len, u->cur.os, sizeof(u->cur.os));
		free(text);
	}
	under(u, "/run/reboot-required", path, sizeof(path));
	reboot = access(path, F_OK) == 0;
	u->cur.reboot_required = reboot ? VIGIL__V1__TRISTATE__TRISTATE_YES :
	    VIGIL__V1__TRISTATE__TRISTATE_NO;
	if (reboot && !u->reboot_announced) {
		pkgs[0] = '\0';
		under(u, "/run/reboot-required.pkgs", path, sizeof(path));
		if ((text = read_tail(path, sizeof(pkgs) - 1, &len)) != NULL) {
			for (i = 0; i < len; i++)
				if (text[i] == '\n')
					text[i] = ' ';
			while (len > 0 && text[len - 1] == ' ')
				len--;
			text_utf8_clean(pkgs, sizeof(pkgs), text, len);
			free(text);
		}
		if (pkgs[0] != '\0')
			snprintf(summary, sizeof(summary), _("A reboot is required to complete the "
			    "updates of %s."), pkgs);
		else
			snprintf(summary, sizeof(summary), "%s",
			    _("A reboot is required to complete the updates."));
		emit(u, "update.reboot_required", VIGIL__V1__CATEGORY__CATEGORY_UPDATE,
		    VIGIL__V1__SEVERITY__SEVERITY_LOW, summary, "packages", pkgs);
		log_info("%s", summary);
	}
	if (reboot != u->reboot_announced) {
		u->reboot_announced = reboot;
		state_save(u);
	}
}

static void
publish(struct updates *u)
{
	posture_set_updates(u->p, &u->cur);
}

static void
apt_result(struct updates *u, int status)
{
	struct updates_apt a;
	char summary[512], count[16];
	int64_t since;

	if (u->overflow || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    updates_parse_apt(u->out, u->outlen, &a) != 0) {
		const char *why = u->overflow ? _("its output was too long") :
		    WIFSIGNALED(status) ? _("killed by a signal") :
		    WIFEXITED(status) && WEXITSTATUS(status) != 0 ? _("it exited with an error") :
		    _("its output is not apt's");

		if (u->have_apt)
			log_warnx(_("The simulated upgrade (%s) failed (%s); pending updates stay as "
			    "last counted."), u->command, why);
		else
			log_warnx(_("The simulated upgrade (%s) failed (%s); pending updates stay "
			    "unknown."), u->command, why);
		return;
	}
	u->have_apt = 1;
	u->cur.pending = a.pending;
	u->cur.security_pending = a.security;
	since = u->cur.security_pending_since_us;
	if (a.security > 0 && since == 0) {
		u->cur.security_pending_since_us = clock_now_us();
		state_save(u);
		snprintf(count, sizeof(count), "%d", (int)a.security);
		if (a.security == 1)
			snprintf(summary, sizeof(summary), _("1 security update is pending (%s), of "
			    "%d updates."), a.first_security, (int)a.pending);
		else
			snprintf(summary, sizeof(summary), _("%d security updates are pending (%s and "
			    "more), of %d updates."), (int)a.security, a.first_security,
			    (int)a.pending);
		emit(u, "update.security_pending", VIGIL__V1__CATEGORY__CATEGORY_UPDATE,
		    VIGIL__V1__SEVERITY__SEVERITY_MEDIUM, summary, "count", count);
		log_info("%s", summary);
	} else if (a.security == 0 && since != 0) {
		u->cur.security_pending_since_us = 0;
		state_save(u);
	}
	log_debug("Updates: %d pending, %d from security archives.", (int)a.pending,
	    (int)a.security);
	publish(u);
}

static void
child_close(struct updates *u)
{
	if (u->pipe_ev != NULL) {
		event_free(u->pipe_ev);
		u->pipe_ev = NULL;
	}
	if (u->pipefd >= 0) {
		close(u->pipefd);
		u->pipefd = -1;
	}
}

/* The pipe is closed: wait for the child without blocking the loop. */
static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct updates *u = arg;
	struct timeval tv = { 0, 50000 };
	int status = 0;
	pid_t r;

	if (u->child <= 0)
		return;
	r = waitpid(u->child, &status, WNOHANG);
	if (r == 0) {
		if (time(NULL) - u->started > UPDATES_RUN_TIMEOUT_S) {
			log_warnx(_("The simulated upgrade (pid %ld) ran for more than %d s and is "
			    "killed."), (long)u->child, UPDATES_RUN_TIMEOUT_S);
			kill(u->child, SIGKILL);
		}
		evtimer_add(u->reap_ev, &tv);
		return;
	}
	u->child = 0;
	if (r < 0) {
		log_warn(_("The simulated upgrade cannot be waited for"));
		return;
	}
	apt_result(u, status);
	free(u->out);
	u->out = NULL;
	u->outlen = 0;
}

static void
pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct updates *u = arg;
	struct timeval tv = { 0, 0 };
	char buf[16384];
	ssize_t n;

	for (;;) {
		if ((n = read(u->pipefd, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;
		}
		if (n == 0)
			break;
		if (u->outlen + (size_t)n > UPDATES_OUTPUT_MAX) {
			u->overflow = 1;
			kill(u->child, SIGKILL);
			break;
		}
		memcpy(u->out + u->outlen, buf, (size_t)n);
		u->outlen += (size_t)n;
	}
	child_close(u);
	evtimer_add(u->reap_ev, &tv);
}

static void
apt_start(struct updates *u)
{
	char lock[AGENT_CONF_PATH_MAX + 64];
	char *argv[] = { "/bin/sh", "-c", u->command, NULL };
	char *envp[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"DEBIAN_FRONTEND=noninteractive", NULL };
	posix_spawn_file_actions_t fa;
	int pfd[2], rc;
	pid_t pid;

	if (!u->simulate || u->child > 0)
		return;
	under(u, "/var/lib/dpkg/lock-frontend", lock, sizeof(lock));
	if (updates_lock_held(lock) == 1) {
		log_debug("apt holds %s; the simulated upgrade waits.", lock);
		evtimer_add(u->settle_ev, &u->settle);
		return;
	}
	under(u, "/var/lib/dpkg/lock", lock, sizeof(lock));
	if (updates_lock_held(lock) == 1) {
		log_debug("dpkg holds %s; the simulated upgrade waits.", lock);
		evtimer_add(u->settle_ev, &u->settle);
		return;
	}
	if ((u->out = malloc(UPDATES_OUTPUT_MAX)) == NULL) {
		log_warnx(_("No memory for the output of the simulated upgrade."));
		return;
	}
	u->outlen = 0;
	u->overflow = 0;
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_warn(_("The simulated upgrade cannot start: no pipe"));
		free(u->out);
		u->out = NULL;
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		log_warnx(_("The simulated upgrade (%s) cannot start: %s."), u->command, strerror(rc));
		close(pfd[0]);
		free(u->out);
		u->out = NULL;
		return;
	}
	u->child = pid;
	u->started = time(NULL);
	u->pipefd = pfd[0];
	if ((u->pipe_ev = event_new(u->base, u->pipefd, EV_READ | EV_PERSIST, pipe_cb, u)) == NULL ||
	    event_add(u->pipe_ev, NULL) != 0) {
		log_warnx(_("The simulated upgrade's output cannot join the event loop; it is "
		    "killed."));
		kill(pid, SIGKILL);
		child_close(u);
		event_active(u->reap_ev, EV_TIMEOUT, 0);
		return;
	}
	log_debug("The simulated upgrade runs as pid %ld: %s.", (long)pid, u->command);
}

static void
check(struct updates *u)
{
	read_files(u);
	publish(u);
	apt_start(u);
}

/* ---- dpkg.log ---------------------------------------------------------------- */

static int
dpkg_line_cb(void *arg, const char *line, size_t len)
{
	struct updates *u = arg;
	struct updates_dpkg d;
	struct ingest_event ev;
	enum updates_dpkg_kind k;
	char summary[400];

	if ((k = updates_parse_dpkg(line, len, &d)) == UPDATES_DPKG_OTHER)
		return 0;
	if (k == UPDATES_DPKG_INSTALLED)
		snprintf(summary, sizeof(summary), _("Package %s %s was installed."), d.package,
		    d.version);
	else
		snprintf(summary, sizeof(summary), _("Package %s %s was removed."), d.package,
		    d.version);
	ingest_event_init(&ev, "dpkg", VIGIL__V1__CATEGORY__CATEGORY_SOFTWARE,
	    VIGIL__V1__SEVERITY__SEVERITY_INFO,
	    k == UPDATES_DPKG_INSTALLED ? "software.installed" : "software.removed", summary);
	ev.raw = line;
	ev.rawlen = len;
	ev.time_us = d.time_us;
	ingest_field(&ev, "package", d.package);
	ingest_field(&ev, "version", d.version);
	return posture_event_append(u->p, &ev);
}

static void
dpkg_committed_cb(void *arg)
{
	struct updates *u = arg;

	posture_appended(u->p);
}

/* dpkg and apt come in bursts: count again once they have settled. */
static void
dpkg_cb(void *arg)
{
	struct updates *u = arg;

	if (u->dpkg != NULL)
		follow_pass(u->dpkg);
	evtimer_add(u->settle_ev, &u->settle);
}

static void
apt_cb(void *arg)
{
	struct updates *u = arg;

	evtimer_add(u->settle_ev, &u->settle);
}

static void
reboot_cb(void *arg)
{
	struct updates *u = arg;

	read_files(u);
	publish(u);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	check(arg);
}

static struct dirwatch_reg *
add_watch(struct updates *u, struct dirwatch *dw, const char *rel, uint32_t mask,
    const char *name, dirwatch_fn fn)
{
	char path[AGENT_CONF_PATH_MAX + 64];
	struct dirwatch_reg *r;

	under(u, rel, path, sizeof(path));
	if ((r = dirwatch_add(dw, path, mask, name, fn, u)) != NULL && dirwatch_arm(r) != 0)
		log_info(_("The update sensor cannot watch %s (%s); it is read every check "
		    "interval only."), path, strerror(errno));
	return r;
}

struct updates *
updates_new(struct event_base *base, struct dirwatch *dw, struct posture *p,
    const struct agent_conf_updates *conf, size_t max_line, char *err, size_t errlen)
{
	char path[AGENT_CONF_PATH_MAX + 64];
	struct updates *u;
	long long settle;

	err[0] = '\0';
	if (!conf->enabled)
		return NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		return NULL;
	}
	u->base = base;
	u->p = p;
	u->pipefd = -1;
	snprintf(u->root, sizeof(u->root), "%s", conf->root);
	snprintf(u->command, sizeof(u->command), "%s", conf->apt_command);
	u->simulate = conf->apt_simulate;
	u->interval.tv_sec = (time_t)(conf->check_interval / 1000);
	u->interval.tv_usec = (suseconds_t)(conf->check_interval % 1000) * 1000;
	settle = conf->check_interval < UPDATES_SETTLE_MS ? conf->check_interval :
	    UPDATES_SETTLE_MS;
	u->settle.tv_sec = (time_t)(settle / 1000);
	u->settle.tv_usec = (suseconds_t)(settle % 1000) * 1000;
	u->cur.pending = -1;
	u->cur.security_pending = -1;
	state_load(u);

	if ((u->timer = event_new(base, -1, EV_PERSIST, timer_cb, u)) == NULL ||
	    (u->settle_ev = evtimer_new(base, timer_cb, u)) == NULL ||
	    (u->reap_ev = evtimer_new(base, reap_cb, u)) == NULL ||
	    event_add(u->timer, &u->interval) != 0) {
		snprintf(err, errlen, _("the update sensor cannot join the event loop"));
		goto fail;
	}
	under(u, "/var/log/dpkg.log", path, sizeof(path));
	if ((conf->package_events && (u->dpkg = follow_new(base, posture_spool(p), DPKG_SOURCE,
	    path, max_line, dpkg_line_cb, dpkg_committed_cb, u)) == NULL) ||
	    (u->reg_dpkg = add_watch(u, dw, "/var/log", IN_MODIFY | IN_CREATE | IN_MOVED_TO |
	    IN_CLOSE_WRITE, "dpkg.log", dpkg_cb)) == NULL ||
	    (u->reg_apt = add_watch(u, dw, "/var/log/apt", IN_CLOSE_WRITE | IN_MOVED_TO |
	    IN_CREATE, "history.log", apt_cb)) == NULL ||
	    (u->reg_run = add_watch(u, dw, "/run", IN_CREATE | IN_DELETE | IN_MOVED_TO |
	    IN_MOVED_FROM, "reboot-required", reboot_cb)) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		goto fail;
	}
	if (u->dpkg != NULL)
		follow_pass(u->dpkg);
	if (u->simulate)
		log_info(_("The update sensor reads under %s every %lld ms and simulates an "
		    "upgrade."), u->root, conf->check_interval);
	else
		log_info(_("The update sensor reads under %s every %lld ms."), u->root,
		    conf->check_interval);
	check(u);
	return u;
fail:
	updates_free(u);
	return NULL;
}

void
updates_free(struct updates *u)
{
	if (u == NULL)
		return;
	if (u->child > 0) {
		kill(u->child, SIGKILL);
		waitpid(u->child, NULL, 0);
	}
	child_close(u);
	if (u->timer != NULL)
		event_free(u->timer);
	if (u->settle_ev != NULL)
		event_free(u->settle_ev);
	if (u->reap_ev != NULL)
		event_free(u->reap_ev);
	dirwatch_del(u->reg_dpkg);
	dirwatch_del(u->reg_apt);
	dirwatch_del(u->reg_run);
	follow_free(u->dpkg);
	free(u->out);
	free(u);
}

/* ---- the [updates] sensor --------------------------------------------------- */

static void *
updates_start(const struct sensor_env *env, char *err, size_t errlen)
{
	return updates_new(env->base, env->dirwatch, env->posture, &env->conf->updates,
	    env->max_line, err, errlen);
}

static void
updates_stop(void *state)
{
	updates_free(state);
}

const struct sensor_driver sensor_updates = {
	.name = "updates",
	.failure = N_("The update sensor cannot start"),
	.start = updates_start,
	.stop = updates_stop,
};
