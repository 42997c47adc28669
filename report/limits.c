/*
 * The renderer's limits. See render.h. A template or data that makes the
 * work run long, or eat memory, ends the run with RENDER_ELIMIT and one
 * line on stderr; the caller (the collector) sees the exit status and the
 * line, and nothing of LibreOffice is left behind.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vigil/err.h"

#include "render.h"

/*
 * AddressSanitizer reserves terabytes of address space for its shadow
 * memory: a build with it (make SANITIZE=address) cannot cap the address
 * space, and relies on the time and size limits alone.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_AS_LIMIT 1
#endif
#endif

static volatile sig_atomic_t watched;

void
limits_watch(pid_t pid)
{
	watched = pid;
}

static void
say(const char *s)
{
	ssize_t w = write(STDERR_FILENO, s, strlen(s));

	(void)w;
}

static void
stop(int sig)
{
	if (watched != 0)
		kill((pid_t)watched, SIGKILL);
	if (sig == SIGALRM || sig == SIGXCPU) {
		say(sig == SIGALRM
		        ? "vigil-report-render: stopped: the time limit was reached\n"
		        : "vigil-report-render: stopped: the CPU time limit was reached\n");
		_exit(RENDER_ELIMIT);
	}
	/* Die of the signal, so the caller knows what happened. */
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

static int
cap(int resource, rlim_t v, const char *what, char *err, size_t errlen)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) != 0)
		goto fail;
	/* Only lower: a limit already below ours stays. */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < v)
		v = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(resource, &rl) == 0)
		return 0;
fail:
	snprintf(err, errlen, "cannot limit %s: %s", what, strerror(errno));
	return VIGIL_ERR_SYS;
}

int
limits_apply(const struct limits *l, char *err, size_t errlen)
{
	struct sigaction sa;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGXCPU, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A file over RLIMIT_FSIZE: write() fails with EFBIG, which is reported. */
	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
#ifndef NO_AS_LIMIT
	if ((rc = cap(RLIMIT_AS, (rlim_t)l->memory_mb << 20, "memory", err, errlen)) != 0)
		return rc;
#endif
	if ((rc = cap(RLIMIT_CPU, l->seconds, "CPU time", err, errlen)) != 0 ||
	    (rc = cap(RLIMIT_FSIZE, (rlim_t)l->output_mb << 20, "file size", err, errlen)) != 0 ||
	    (rc = cap(RLIMIT_CORE, 0, "core files", err, errlen)) != 0)
		return rc;
	alarm(l->seconds);
	return 0;
}
