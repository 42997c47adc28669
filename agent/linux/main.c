/*
 * vigil-agent on Linux: the command line, the daemon, the signals, logind
 * and the event loop around the portable agent (agent.h), which follows the
 * logs, turns what matters into events, keeps them in a durable spool and
 * sends them to the collector over mutual TLS.
 *
 *   vigil-agent -f FILE [-d] [-n] [-v]
 *   vigil-agent --list-usb [--sysfs-root DIR]
 *   vigil-agent --test-rules [-f FILE] [-r DIR [-r DIR]] [--source NAME] < LINES|EVENTS.xml
 */
#include <errno.h>
#include <getopt.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "vigil/clock.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "../agent.h"
#include "../dirwatch.h"
#include "logind.h"
#include "usb.h"
#include "../enroll.h"
#include "enroll_main.h"

/* What the Linux platform holds around the agent. */
struct linux_agent {
	struct agent *a;
	struct event_base *base;
	struct event *sigterm;
	struct event *sigint;
	struct dirwatch *dirwatch;
	struct logind *logind;   /* shutdown and sleep (when there is a system bus) */
	int sig;                 /* the signal being answered */
};

static const char help_text[] = N_(
    "usage: vigil-agent -f FILE [-d] [-n] [-v]\n"
    "       vigil-agent -f FILE --enroll HOST[:PORT] --token TOKEN\n"
    "       vigil-agent --list-usb [--sysfs-root DIR]\n"
    "       vigil-agent --test-rules [-f FILE] [-r DIR [-r DIR]] [--source NAME] < LINES\n"
    "\n"
    "  -f FILE       the configuration file (agent.conf)\n"
    "  -d            stay in the foreground and log to stderr\n"
    "  -n            check the configuration and the rules, then exit\n"
    "  -v            more detail in the log; with -n, print the effective configuration\n"
    "  --enroll      make this PC's key, enrol it with the collector's token, write\n"
    "                the certificate and CA where FILE's [collector] names them\n"
    "  --list-usb    the allow-list lines of the USB devices plugged in now\n"
    "  --test-rules  read log lines on stdin and print the events the rules make\n"
    "  -h, --help    this help\n");

/* --help: before any configuration is read, in the language the environment asks. */
static void __attribute__((noreturn))
help(void)
{
	i18n_set_language(i18n_env_language());
	fputs(_(help_text), stdout);
	exit(0);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "%s", _("usage: vigil-agent -f FILE [-d] [-n] [-v]\n"));
	fprintf(stderr, "%s", _("       vigil-agent --list-usb [--sysfs-root DIR]\n"));
	fprintf(stderr, "%s", _("       vigil-agent --test-rules [-f FILE] [-r DIR [-r DIR]] "
	    "[--source NAME] < LINES|EVENTS.xml\n"));
	fprintf(stderr, "%s", _("Try \"vigil-agent --help\".\n"));
	exit(1);
}

/* Why this signal stops the agent: systemd knows whether a SIGTERM is a restart or a shutdown. */
static int
stop_reason(void *arg, const char **detail)
{
	struct linux_agent *la = arg;

	if (la->sig != SIGTERM) {
		*detail = "the agent was interrupted (SIGINT)";
		return VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED;
	}
	switch (logind_stop_reason(la->logind)) {
	case VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART:
		*detail = "the agent is restarting (SIGTERM)";
		return VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART;
	case VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN:
		*detail = "the system is stopping (SIGTERM)";
		return VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN;
	default:
		*detail = "the agent was stopped (SIGTERM)";
		return VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED;
	}
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct linux_agent *la = arg;
	char how[64];

	la->sig = (int)sig;
	snprintf(how, sizeof(how), _("Signal %d"), (int)sig);
	agent_stop(la->a, how, stop_reason, la);
}

static void
power_down(void *arg, enum logind_power power)
{
	struct linux_agent *la = arg;

	agent_power_down(la->a, power == LOGIND_SHUTDOWN);
}

static void
power_up(void *arg, enum logind_power power)
{
	struct linux_agent *la = arg;

	agent_power_up(la->a, power == LOGIND_SHUTDOWN);
}

/* After every goodbye: logind may let the machine go down now. */
static void
goodbye_said(void *arg)
{
	struct linux_agent *la = arg;

	logind_release(la->logind);
}

/*
 * For tests only: VIGIL_TEST_CLOCK_OFFSET=SECONDS puts the agent's wall clock
 * that far from the machine's (a PC with a dead clock battery), without
 * faketime. Renewal must go by the collector's clock all the same (t36).
 */
static int64_t test_clock_offset_us;

static int64_t
offset_clock(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + test_clock_offset_us;
}

static void
test_clock(void)
{
	const char *v = getenv("VIGIL_TEST_CLOCK_OFFSET");
	long long s;
	int neg;

	/* Negative: a PC behind (2019); positive: ahead (2031). */
	if (v == NULL || *v == '\0' || text_parse_ll(v + (neg = *v == '-'), 0,
	    100LL * 365 * 86400, &s) != 0)
		return;
	if (neg)
		s = -s;
	test_clock_offset_us = s * 1000000;
	clock_inject(offset_clock, NULL);
	fprintf(stderr, "vigil-agent: VIGIL_TEST_CLOCK_OFFSET: this agent's clock is %lld s off "
	    "the machine's (a test).\n", s);
}

/* vigil-agent --test-rules: lines on stdin, what fires on stdout. */
static int
test_rules_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dirs[2] = { NULL, NULL }, *file = NULL, *source = NULL;
	size_t ndirs = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "f:r:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'r':
			if (ndirs == 2)
				usage();
			dirs[ndirs++] = optarg;
			break;
		case 'S':
			source = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("vigil-agent", 1, 0);
	return agent_test_rules(file, dirs, ndirs, source, stdin, stdout);
}

static void
linux_free(struct linux_agent *la)
{
	if (la->sigterm != NULL)
		event_free(la->sigterm);
	if (la->sigint != NULL)
		event_free(la->sigint);
	dirwatch_free(la->dirwatch);
	logind_free(la->logind);
	if (la->base != NULL)
		event_base_free(la->base);
}

int
main(int argc, char *argv[])
{
	struct linux_agent la;
	const struct agent_conf *conf;
	char err[1024];
	const char *file = NULL;
	int ch, debug = 0, check = 0, verbose = 0, rc;

	/*
	 * A daemon speaks the language of its configuration ([agent] language),
	 * not of whoever started it: English until the file is read.
	 */
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		help();
	/* A one-shot tool beside the daemon: the allow-list lines of what is plugged in. */
	if (argc >= 2 && strcmp(argv[1], "--list-usb") == 0)
		return usb_list_main(argc - 1, argv + 1, stdout);
	/* The rule test mode reads lines on stdin; it needs no configuration file. */
	if (argc >= 2 && strcmp(argv[1], "--test-rules") == 0)
		return test_rules_main(argc - 1, argv + 1);
	/* Enrolment (issue 15): a one-shot exchange before the agent ever runs. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--enroll") == 0 || strncmp(argv[i], "--enroll=", 9) == 0) {
			test_clock();
			return enroll_linux_main(argc, argv);
		}

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (file == NULL || optind != argc)
		usage();

	log_init("vigil-agent", debug || check, verbose);
	memset(&la, 0, sizeof(la));
	if ((la.a = agent_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	conf = agent_conf(la.a);
	if (check) {
		rc = agent_check(conf, verbose, stdout);
		agent_free(la.a);
		return rc;
	}

	signal(SIGPIPE, SIG_IGN);
	test_clock();
	/* Installed on a disk image being made: wait for the first real start, then enrol. */
	if (enroll_linux_deferred(file) != 0)
		return 1;
	agent_set_identity_writer(la.a, enroll_save_identity, NULL);
	agent_set_ca_writer(la.a, enroll_save_ca, NULL);
	{
		char mid[72];

		enroll_machine_id(enroll_machine_id_file(), mid, sizeof(mid));
		agent_set_machine_id(la.a, mid);
	}
	agent_prepare(la.a);
	if (mkdir(conf->agent.state_dir, 0700) != 0 && errno != EEXIST)
		fatal(_("Cannot create the state directory %s"), conf->agent.state_dir);
	/* Before anything holds file locks: they do not survive the fork. */
	if (!debug && daemon(0, 0) != 0)
		fatal("%s", _("Cannot become a daemon"));

	if ((la.base = event_base_new()) == NULL)
		fatalx("%s", _("The event loop cannot be created."));
	la.sigterm = evsignal_new(la.base, SIGTERM, signal_cb, &la);
	la.sigint = evsignal_new(la.base, SIGINT, signal_cb, &la);
	if (la.sigterm == NULL || la.sigint == NULL || evsignal_add(la.sigterm, NULL) != 0 ||
	    evsignal_add(la.sigint, NULL) != 0)
		fatalx("%s", _("The signal handlers cannot be installed."));
	/* One inotify descriptor wakes the log sources and the sensors' logs. */
	if ((la.dirwatch = dirwatch_new(la.base, err, sizeof(err))) == NULL)
		fatalx(_("The log sources cannot be watched: %s."), err);
	agent_start(la.a, la.base, la.dirwatch);
	{
		struct logind_cb lc = { power_down, power_up, &la };

		if ((la.logind = logind_new(la.base, &lc, err, sizeof(err))) == NULL)
			log_info(_("Shutdown and sleep cannot be told apart from a stop: %s."), err);
	}
	agent_set_goodbye_hook(la.a, goodbye_said, &la);
	agent_go(la.a);

	if (event_base_dispatch(la.base) < 0)
		log_warnx("%s", _("The event loop failed."));
	/* The users of a thing go before the thing: the agent, the watcher, the loop. */
	agent_free(la.a);
	linux_free(&la);
	return 0;
}
