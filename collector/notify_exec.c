/*
 * Commands (SMS or chat gateways): argv run with posix_spawn, no shell, in a
 * process group of their own, with a small fixed environment; the incident
 * JSON is written to its stdin through a non-blocking pipe; the exit is seen
 * through a pidfd in the event loop; past the timeout the whole group gets
 * SIGKILL. Exit status 0 is a success.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/i18n.h"

#include "notify.h"

#define EXEC_ENV_MAX 8

/* An attempt's child and what watches it (the job's attempt_state). */
struct exec_attempt {
	struct notify_job *j;
	int pid, pidfd, stdin_fd, stderr_fd;
	size_t stdin_off;
	struct event *ev_stdin, *ev_stderr, *ev_exit, *ev_kill;
	int killed;
	char child_err[256];
	size_t child_err_len;
};

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
free_event(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

/* Close the pipes and events; the child is already reaped (or killed and reaped). */
static void
exec_cleanup(struct exec_attempt *x)
{
	free_event(&x->ev_stdin);
	free_event(&x->ev_stderr);
	free_event(&x->ev_exit);
	free_event(&x->ev_kill);
	close_fd(&x->stdin_fd);
	close_fd(&x->stderr_fd);
	close_fd(&x->pidfd);
	x->pid = -1;
}

static void
exec_abort(struct notify_job *j)
{
	struct exec_attempt *x = j->attempt_state;

	if (x == NULL)
		return;
	j->attempt_state = NULL;
	if (x->pid > 0) {
		kill(-x->pid, SIGKILL);
		while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	exec_cleanup(x);
	free(x);
}

static void
exec_read_stderr(struct exec_attempt *x)
{
	char buf[512];
	ssize_t r;

	while (x->stderr_fd >= 0) {
		r = read(x->stderr_fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0 || errno != EAGAIN) {
				free_event(&x->ev_stderr);
				close_fd(&x->stderr_fd);
			}
			return;
		}
		/* Keep the start; what a failing command says first is usually why. */
		size_t room = sizeof(x->child_err) - 1 - x->child_err_len;

		if ((size_t)r < room)
			room = (size_t)r;
		memcpy(x->child_err + x->child_err_len, buf, room);
		x->child_err_len += room;
		x->child_err[x->child_err_len] = '\0';
	}
}

static void
exec_stderr_cb(evutil_socket_t fd, short what, void *arg)
{
	exec_read_stderr(arg);
}

static void
exec_stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_attempt *x = arg;
	struct notify_job *j = x->j;
	ssize_t w;

	while (x->stdin_off < j->json_len) {
		w = write(x->stdin_fd, j->json + x->stdin_off, j->json_len - x->stdin_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0)
			break; /* EPIPE: it does not read its input; its exit status decides */
		x->stdin_off += (size_t)w;
	}
	free_event(&x->ev_stdin);
	close_fd(&x->stdin_fd);
}

static void
exec_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_attempt *x = arg;

	/* The group: a script's own children must not outlive it holding the pipes. */
	x->killed = 1;
	kill(-x->pid, SIGKILL);
}

static void
exec_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_attempt *x = arg;
	struct notify_job *j = x->j;
	const struct notify_conf *c = notify_conf_of(j->n);
	char err[256];
	pid_t r;
	int status = 0, killed = x->killed, saved;

	while ((r = waitpid(x->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return; /* not yet: the pidfd said readable early */
	saved = errno;
	x->pid = -1;
	exec_read_stderr(x);
	for (size_t k = template_clean_line(err, sizeof(err), x->child_err);
	     k > 0 && err[k - 1] == ' ';)
		err[--k] = '\0';
	/* x goes with the attempt: nothing of it is used past this point. */
	exec_abort(j);
	if (r < 0)
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, _("The command's exit could not be read: %s."),
		                strerror(saved));
	else if (killed)
		notify_job_done(j, NOTIFY_FAIL_TIMEOUT, 0,
		                _("The command did not finish within %lld ms and was killed."),
		                c->exec_timeout_ms);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		notify_job_done(j, NOTIFY_FAIL_NONE, 0, "%s", "");
	else if (WIFEXITED(status) && err[0] != '\0')
		notify_job_done(j, NOTIFY_FAIL_EXIT, WEXITSTATUS(status),
		                _("The command exited with status %d: %s"), WEXITSTATUS(status), err);
	else if (WIFEXITED(status))
		notify_job_done(j, NOTIFY_FAIL_EXIT, WEXITSTATUS(status),
		                _("The command exited with status %d."), WEXITSTATUS(status));
	else if (err[0] != '\0')
		notify_job_done(j, NOTIFY_FAIL_EXIT, 128 + WTERMSIG(status),
		                _("The command was killed by signal %d: %s"), WTERMSIG(status), err);
	else
		notify_job_done(j, NOTIFY_FAIL_EXIT, 128 + WTERMSIG(status),
		                _("The command was killed by signal %d."), WTERMSIG(status));
}

/* Split on spaces into buf; argv[0] must be an absolute path. Returns argc or an error. */
static int
split_argv(const char *cmd, char *buf, size_t buflen, char **argv, size_t max)
{
	size_t n = 0;
	char *p, *save = NULL;

	if (strlen(cmd) >= buflen)
		return VIGIL_ERR_TOOBIG;
	memcpy(buf, cmd, strlen(cmd) + 1);
	for (p = strtok_r(buf, " \t", &save); p != NULL; p = strtok_r(NULL, " \t", &save)) {
		if (n + 1 >= max)
			return VIGIL_ERR_TOOBIG;
		argv[n++] = p;
	}
	argv[n] = NULL;
	if (n == 0 || argv[0][0] != '/')
		return VIGIL_ERR_INVAL;
	return (int)n;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

static void
exec_start(struct notify_job *j)
{
	const struct notify_conf *c = notify_conf_of(j->n);
	struct event_base *base = notify_base(j->n);
	char words[NOTIFY_TARGET_MAX], *argv[NOTIFY_ARGV_MAX];
	char env_id[64], env_subject[TEMPLATE_SUBJECT_MAX + 16];
	char *envp[EXEC_ENV_MAX];
	int in[2] = {-1, -1}, errp[2] = {-1, -1}, rc, argc;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct exec_attempt *x;
	sigset_t none, all;
	struct timeval tv;
	pid_t pid;

	argc = split_argv(j->target, words, sizeof(words), argv, NOTIFY_ARGV_MAX);
	if (argc < 0) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0,
		                _("The command is not an absolute program path and at most %d words."),
		                NOTIFY_ARGV_MAX - 1);
		return;
	}
	snprintf(env_id, sizeof(env_id), "VIGIL_INCIDENT=%" PRId64, j->incident);
	snprintf(env_subject, sizeof(env_subject), "VIGIL_SUBJECT=%s", j->subject);
	envp[0] = (char *)(uintptr_t) "PATH=/usr/local/bin:/usr/bin:/bin";
	envp[1] = (char *)(uintptr_t) "LANG=C.UTF-8";
	envp[2] = env_id;
	envp[3] = env_subject;
	envp[4] = NULL;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || set_nonblock(in[1]) < 0 ||
	    set_nonblock(errp[0]) < 0) {
		rc = errno;
		close_fd(&in[0]);
		close_fd(&in[1]);
		close_fd(&errp[0]);
		close_fd(&errp[1]);
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, _("Cannot make a pipe: %s."), strerror(rc));
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	/* The collector ignores SIGPIPE and may block signals; the command starts clean. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                                    POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close_fd(&in[0]);
	close_fd(&errp[1]);
	if (rc != 0) {
		close_fd(&in[1]);
		close_fd(&errp[0]);
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, _("Cannot run %s: %s."), argv[0],
		                strerror(rc));
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		/* The child is ours to stop: nothing would watch it. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		close_fd(&in[1]);
		close_fd(&errp[0]);
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, "%s", _("Out of memory."));
		return;
	}
	j->attempt_state = x;
	x->j = j;
	x->pid = pid;
	x->stdin_fd = in[1];
	x->stderr_fd = errp[0];
	x->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (x->pidfd >= 0)
		fcntl(x->pidfd, F_SETFD, FD_CLOEXEC);
	x->ev_stdin = event_new(base, x->stdin_fd, EV_WRITE | EV_PERSIST, exec_stdin_cb, x);
	x->ev_stderr = event_new(base, x->stderr_fd, EV_READ | EV_PERSIST, exec_stderr_cb, x);
	x->ev_exit =
	    x->pidfd >= 0 ? event_new(base, x->pidfd, EV_READ | EV_PERSIST, exec_exit_cb, x) : NULL;
	x->ev_kill = evtimer_new(base, exec_kill_cb, x);
	tv.tv_sec = (time_t)(c->exec_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(c->exec_timeout_ms % 1000) * 1000;
	if (x->ev_stdin == NULL || x->ev_stderr == NULL || x->ev_exit == NULL ||
	    x->ev_kill == NULL || event_add(x->ev_stdin, NULL) < 0 ||
	    event_add(x->ev_stderr, NULL) < 0 || event_add(x->ev_exit, NULL) < 0 ||
	    evtimer_add(x->ev_kill, &tv) < 0) {
		rc = errno;
		exec_abort(j);
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0,
		                _("Cannot watch the command (pidfd_open needs Linux 5.3): %s."),
		                strerror(rc));
		return;
	}
}

const struct notify_driver notify_exec = {
	.name = "exec",
	.start = exec_start,
	.abort = exec_abort,
};
