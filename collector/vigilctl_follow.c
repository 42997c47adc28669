/*
 * --follow for `vigilctl events` and `vigilctl incidents`, as `journalctl -f`
 * does it: the usual answer first, then what arrives, until SIGINT or SIGTERM
 * (exit 0) or until the reader of our output goes away (EPIPE, or a pipe
 * without a reader seen while waiting: exit 0).
 *
 * It polls the control socket once a second with a cursor: each answer of a
 * request carrying after=N ends in {"type":"cursor","after":M} (vigil/ctl.h),
 * the highest row listed, and the next poll asks for rows after it. A poll is
 * bounded as every request is (CTL_MAX_LIMIT rows, RESPONSE_MAX bytes), and
 * the collector keeps no state for a follower: a restart of either side
 * loses nothing the store holds.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/ctl.h"
#include "vigil/i18n.h"

#include "vigilctl.h"

#define FOLLOW_POLL_MS 1000

static volatile sig_atomic_t follow_stop;

static void
follow_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

/*
 * Wait one polling interval, or less when a signal says stop. The wait is a
 * poll(2) on stdout for nothing but its errors: a pipe whose reader has gone
 * reports POLLERR at once, so `vigilctl events --follow | head -n 1` ends
 * even when nothing new comes to be written. Returns 0 to go on, -1 when the
 * reader has gone.
 */
static int
follow_wait(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };
	int n;

	if (follow_stop)
		return 0;
	n = poll(&p, 1, FOLLOW_POLL_MS);
	if (n > 0 && (p.revents & (POLLERR | POLLHUP)))
		return -1;
	return 0;
}

int
follow(struct opts *o, const struct request *base, long long first_limit,
    void (*print)(const struct reply *r))
{
	struct sigaction sa;
	long long cursor = 0;
	int first = 1, headed = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = follow_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the wait ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed pipe is the reader leaving: a write error, then a clean exit. */
	signal(SIGPIPE, SIG_IGN);
	while (!follow_stop) {
		struct request req = *base;
		struct reply r = { 0 };

		if (first && first_limit >= 0)
			req_add_ll(&req, "limit", first_limit);
		else if (!first)
			req_add_ll(&req, "limit", CTL_MAX_LIMIT);
		req_add_ll(&req, "after", cursor);
		talk(o, &req, &r);
		if (!r.has_cursor)
			die(EXIT_DAEMON, _("The collector sent no cursor to follow."));
		cursor = r.cursor;
		if (!o->json && r.n > 0) {
			/* the heading once, above the first rows, as journalctl -f has it */
			table_no_heading = headed;
			print(&r);
			headed = 1;
		}
		reply_free(&r);
		if (fflush(stdout) == EOF || ferror(stdout))
			return 0;
		first = 0;
		if (follow_wait() != 0)
			return 0;
	}
	return 0;
}
