/*
 * PDF through LibreOffice. See render.h.
 *
 * Why LibreOffice and not a layout of our own with cairo and pango: the
 * document a unit edits, prints and signs is the DOCX, and a template edited
 * in Word may use anything Word has (numbering, pictures, fields, frames).
 * A second layout engine would print a different page from the one the
 * person saw; LibreOffice prints the DOCX as a word processor lays it out,
 * embeds its fonts, and takes about a second a document here.
 *
 * LibreOffice runs in a new process group, in a private temporary directory
 * that is also its HOME, with a private profile, its output to a log there;
 * the group is killed when it is done (nothing may linger), when the time is
 * up, or when the renderer itself is stopped (limits_watch). The launcher
 * /usr/bin/soffice starts soffice.bin as a child of its own, which outlives a
 * killed launcher; so soffice.bin is run directly, with the kernel told to
 * kill it when the renderer dies (PR_SET_PDEATHSIG). soffice.bin asks to be
 * started again (exit status 81) the first time it meets a new profile,
 * which the launcher would do: so does this.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vigil/err.h"

#include "render.h"

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static int
write_file(const char *path, const void *data, size_t len)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return close(fd);
}

/* The last lines LibreOffice wrote, on one line, for a message. */
static void
log_tail(const char *path, char *dst, size_t dstlen)
{
	char buf[400];
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	dst[0] = '\0';
	if (fd < 0)
		return;
	if (lseek(fd, 0, SEEK_END) > (off_t)sizeof(buf) - 1)
		lseek(fd, -(off_t)sizeof(buf) + 1, SEEK_END);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r' || (unsigned char)buf[i] < 0x20)
			buf[i] = ' ';
	snprintf(dst, dstlen, "%s", buf);
}

#define RESTART_STATUS 81 /* soffice.bin: "start me again" */

/* soffice.bin beside the launcher soffice resolves to, or soffice itself. */
static void
program(const char *soffice, char *prog, size_t len)
{
	char real[4096], *slash;

	snprintf(prog, len, "%s", soffice);
	if (realpath(soffice, real) == NULL || (slash = strrchr(real, '/')) == NULL)
		return;
	if (strcmp(slash, "/soffice.bin") == 0)
		return;
	slash[1] = '\0';
	strncat(real, "soffice.bin", sizeof(real) - strlen(real) - 1);
	if (access(real, X_OK) == 0)
		snprintf(prog, len, "%s", real);
}

/* Run LibreOffice once; its exit status in *status. 0, or what went wrong. */
static int
run_once(const char *prog, char *const argv[], const char *dir, const char *logf,
         struct timespec deadline, unsigned timeout_s, int *status, char *err, size_t errlen)
{
	sigset_t chld, old;
	int rc = 0, fd;
	pid_t pid;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	if ((pid = fork()) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		snprintf(err, errlen, "cannot start LibreOffice: %s", strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, STDIN_FILENO);
		if ((fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		setenv("HOME", dir, 1);
		setenv("TMPDIR", dir, 1);
		execv(prog, argv);
		_exit(127);
	}
	setpgid(pid, pid);
	limits_watch(-pid);
	for (;;) {
		struct timespec now, left;
		pid_t w;

		while ((w = waitpid(pid, status, WNOHANG)) < 0 && errno == EINTR)
			;
		if (w == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, status, 0);
			snprintf(err, errlen, "LibreOffice did not finish within %u s", timeout_s);
			rc = VIGIL_ERR_TOOBIG;
			break;
		}
		if (sigtimedwait(&chld, NULL, &left) < 0 && errno != EAGAIN && errno != EINTR) {
			kill(-pid, SIGKILL);
			waitpid(pid, status, 0);
			snprintf(err, errlen, "waiting for LibreOffice failed: %s",
			         strerror(errno));
			rc = VIGIL_ERR_SYS;
			break;
		}
	}
	/* Whatever it started goes with it. */
	kill(-pid, SIGKILL);
	limits_watch(0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int
soffice_pdf(const char *soffice, const char *profile, const void *docx, size_t len,
            unsigned timeout_s, struct buf *pdf, char *err, size_t errlen)
{
	char dir[256], in[300], out[300], logf[300], env[400], tail[400], prog[4096];
	const char *tmp = getenv("TMPDIR");
	struct timespec deadline;
	int status = 0, rc = 0, fd;

	if (access(soffice, X_OK) != 0) {
		snprintf(err, errlen,
		         "LibreOffice (%s) is not installed: install the package "
		         "libreoffice-writer-nogui to make PDF",
		         soffice);
		return VIGIL_ERR_NOTFOUND;
	}
	program(soffice, prog, sizeof(prog));
	snprintf(dir, sizeof(dir), "%s/vigil-render.XXXXXX",
	         tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "cannot make a temporary directory in %s: %s",
		         tmp != NULL ? tmp : "/tmp", strerror(errno));
		return VIGIL_ERR_SYS;
	}
	snprintf(in, sizeof(in), "%s/report.docx", dir);
	snprintf(out, sizeof(out), "%s/report.pdf", dir);
	snprintf(logf, sizeof(logf), "%s/soffice.log", dir);
	snprintf(env, sizeof(env), "-env:UserInstallation=file://%s",
	         profile != NULL ? profile : dir);
	if (profile == NULL)
		strncat(env, "/profile", sizeof(env) - strlen(env) - 1);
	if (write_file(in, docx, len) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", in, strerror(errno));
		rc = VIGIL_ERR_SYS;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;
	{
		char *argv[] = {prog,
		                env,
		                "--headless",
		                "--invisible",
		                "--norestore",
		                "--nologo",
		                "--nodefault",
		                "--nolockcheck",
		                "--convert-to",
		                "pdf:writer_pdf_Export",
		                "--outdir",
		                dir,
		                in,
		                NULL};

		rc = run_once(prog, argv, dir, logf, deadline, timeout_s, &status, err, errlen);
		if (rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == RESTART_STATUS)
			rc = run_once(prog, argv, dir, logf, deadline, timeout_s, &status, err,
			              errlen);
	}
	if (rc != 0)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || access(out, R_OK) != 0) {
		log_tail(logf, tail, sizeof(tail));
		if (WIFSIGNALED(status))
			snprintf(err, errlen, "LibreOffice died of signal %d: %s", WTERMSIG(status),
			         tail);
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			snprintf(err, errlen, "LibreOffice (%s) could not be started", soffice);
		else
			snprintf(err, errlen, "LibreOffice made no PDF (status %d): %s",
			         WIFEXITED(status) ? WEXITSTATUS(status) : -1, tail);
		rc = VIGIL_ERR_SYS;
		goto out;
	}
	if ((fd = open(out, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", out, strerror(errno));
		rc = VIGIL_ERR_SYS;
		goto out;
	}
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((rc = buf_add(pdf, chunk, (size_t)n)) != 0) {
			snprintf(err, errlen, "the PDF is larger than %zu bytes", pdf->cap);
			break;
		}
	}
	close(fd);
out:
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
