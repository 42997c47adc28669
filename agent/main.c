/*
 * vigil-agent: follows log files, turns matching lines into events, keeps
 * them in a durable spool and sends them to the collector over mutual TLS.
 *
 *   vigil-agent -f FILE [-d] [-n] [-v]
 *   vigil-agent --test-rules [-f FILE] [-r DIR [-r DIR]] [--source NAME] < LINES
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/memtrim.h"
#include "vigil/tls.h"
#include "agent.h"
#include "av.h"
#include "conf.h"
#include "daemon.h"
#include "dirwatch.h"
#include "journal.h"
#include "logind.h"
#include "posture.h"
#include "rules.h"
#include "updates.h"
#include "uplink.h"
#include "usb.h"

#define SPOOL_FILE "spool.db"

struct agent {
	struct agent_conf conf;
	struct event_base *base;
	SSL_CTX *ctx;
	struct spool *spool;
	struct matcher *matcher;
	struct uplink *uplink;
	struct dirwatch *dirwatch;
	struct watch *watch;
	struct journal *journal;
	struct usb_sensor *usb;
	struct posture *posture;
	struct av_sensor *av;
	struct updates *updates;
	struct event *sigterm;
	struct event *sigint;
	struct event *trim_ev;   /* gives back the pages a connection attempt touched once */
	struct event *trim_tick; /* and those of the sensors' periodic checks */
	struct logind *logind;   /* shutdown and sleep (Linux, when there is a system bus) */
	int stopping;            /* a signal asked us to exit: after the goodbye */
	int saying_bye;          /* a goodbye is under way */
};

/* After the link came up or went down: the handshake or the backlog are done by then. */
#define AGENT_TRIM_DELAY_SEC 10
/* And every so often: an update check (every 6 h) parses the apt lists once. */
#define AGENT_TRIM_PERIOD_SEC 600
/*
 * How long a goodbye may take before the agent exits or lets the machine go
 * down anyway: well inside logind's default InhibitDelayMaxSec (5 s) and
 * systemd's stop timeout.
 */
#define AGENT_GOODBYE_WAIT_MS 2000

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vigil-agent -f FILE [-d] [-n] [-v]\n");
	fprintf(stderr, "       vigil-agent --list-usb [--sysfs-root DIR]\n");
	fprintf(stderr, "       vigil-agent --test-rules [-f FILE] [-r DIR [-r DIR]] "
	    "[--source NAME] < LINES\n");
	exit(1);
}

static void
appended_cb(void *arg)
{
	struct agent *a = arg;

	uplink_kick(a->uplink);
	/* A block is an event: the posture's count follows it here. */
	if (a->usb != NULL && a->posture != NULL)
		posture_set_usb_blocked(a->posture, (uint32_t)usb_blocked_count(a->usb));
}

static uint64_t
rejected_cb(void *arg)
{
	struct agent *a = arg;
	uint64_t n = 0;

	if (a->watch != NULL)
		n += watch_events_rejected(a->watch);
	if (a->journal != NULL)
		n += journal_events_rejected(a->journal);
	if (a->usb != NULL)
		n += usb_events_rejected(a->usb);
	if (a->posture != NULL)
		n += posture_events_rejected(a->posture);
	return n;
}

static uint64_t
uevents_spoofed_cb(void *arg)
{
	struct agent *a = arg;

	return a->usb != NULL ? usb_dropped_spoofed(a->usb) : 0;
}

static uint64_t
uevents_lost_cb(void *arg)
{
	struct agent *a = arg;

	return a->usb != NULL ? usb_lost(a->usb) : 0;
}

static uint64_t
evictions_cb(void *arg)
{
	struct agent *a = arg;
	struct matcher_stats ms;

	if (a->matcher == NULL)
		return 0;
	matcher_stats(a->matcher, &ms);
	return ms.evicted;
}

static uint64_t
truncated_cb(void *arg)
{
	struct agent *a = arg;

	return a->watch != NULL ? watch_lines_truncated(a->watch) : 0;
}

/*
 * Start-up, each TLS handshake and the sensors' periodic checks run much code
 * once (rule compilation, OpenSSL's decoders and providers, certificate
 * checks, the apt lists); an idle agent keeps only the pages it uses again.
 */
static void
trim(struct agent *a, const char *when)
{
	struct memtrim_stats ms;

	spool_release_memory(a->spool);
	if (memtrim_release(&ms) != 0) {
		log_debug("The memory map cannot be read; nothing was released %s.", when);
		return;
	}
	log_debug("Released %zu kB of the %ld kB resident, pages used once %s (%zu mappings%s).",
	    ms.released_kb, ms.rss_before_kb, when, ms.regions,
	    ms.overflow > 0 ? ", some left mapped over the cap" : "");
}

static void
trim_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	trim(arg, "by the link to the collector");
}

static void
trim_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	trim(arg, "in the last period");
}

static void
link_changed_cb(void *arg)
{
	struct agent *a = arg;
	struct timeval tv = { AGENT_TRIM_DELAY_SEC, 0 };

	/* Not pushed back by every retry: a link that flaps is trimmed all the same. */
	if (!evtimer_pending(a->trim_ev, NULL))
		evtimer_add(a->trim_ev, &tv);
}

/* ---- off, not silent: the goodbye ---- */

/* A goodbye is over: let logind go on, and exit if a signal asked for it. */
static void
goodbye_done(void *arg, int heard)
{
	struct agent *a = arg;

	(void)heard;
	a->saying_bye = 0;
	logind_release(a->logind);
	if (a->stopping)
		event_base_loopbreak(a->base);
}

static void
say_goodbye(struct agent *a, int reason, const char *detail)
{
	a->saying_bye = 1;
	uplink_goodbye(a->uplink, reason, detail, AGENT_GOODBYE_WAIT_MS, goodbye_done, a);
}

static void
power_down(void *arg, enum logind_power power)
{
	struct agent *a = arg;

	if (a->stopping)
		return;
	if (power == LOGIND_SHUTDOWN)
		say_goodbye(a, VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN,
		    "the system is shutting down or rebooting");
	else
		say_goodbye(a, VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SUSPEND,
		    "the system is going to sleep");
}

static void
power_up(void *arg, enum logind_power power)
{
	struct agent *a = arg;

	if (a->stopping)
		return;
	log_info("The system %s; the agent reports again.", power == LOGIND_SHUTDOWN ?
	    "cancelled its shutdown" : "woke up");
	uplink_resume(a->uplink);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	/* A second signal, or one during a shutdown's goodbye: go now. */
	if (a->stopping) {
		log_info("Signal %d received again; stopping now.", (int)sig);
		event_base_loopbreak(a->base);
		return;
	}
	a->stopping = 1;
	if (a->saying_bye) {
		log_info("Signal %d received; stopping after the goodbye.", (int)sig);
		return;
	}
	/* Shutting down: the goodbye said so already, a second one would say "stopped". */
	if (uplink_parked(a->uplink)) {
		log_info("Signal %d received; stopping (the goodbye is said).", (int)sig);
		event_base_loopbreak(a->base);
		return;
	}
	log_info("Signal %d received; saying goodbye, then stopping.", (int)sig);
	/* systemd knows whether this SIGTERM is a restart or a shutdown it did not announce. */
	switch (sig == SIGTERM ? logind_stop_reason(a->logind) :
	    VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED) {
	case VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART:
		say_goodbye(a, VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART,
		    "the agent is restarting (SIGTERM)");
		break;
	case VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN:
		say_goodbye(a, VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN,
		    "the system is stopping (SIGTERM)");
		break;
	default:
		say_goodbye(a, VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED,
		    sig == SIGTERM ? "the agent was stopped (SIGTERM)" : "the agent was "
		    "interrupted (SIGINT)");
		break;
	}
}

/* The id the collector will see: the subject CN of our own certificate. */
static void
own_id(SSL_CTX *ctx, char *id, size_t idlen)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	X509_NAME *subj;

	snprintf(id, idlen, "(unknown)");
	if (cert == NULL || (subj = X509_get_subject_name(cert)) == NULL)
		return;
	if (X509_NAME_get_text_by_NID(subj, NID_commonName, id, (int)idlen) <= 0)
		snprintf(id, idlen, "(no CN)");
}

/* A bad rule under -n and --test-rules: "file:line: rule ID: message" on stderr. */
static void
rule_error_print(void *arg, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static void
rule_error_log(void *arg, const char *msg)
{
	log_warnx("A bad rule is skipped: %s.", msg);
}

/*
 * The shipped rules, then the local ones that replace or disable them by id.
 * Every bad rule goes to report and is skipped; *nbad counts them. A local
 * directory that does not exist is normal; *no_shipped says the shipped one
 * does not. NULL only when memory runs out.
 */
static struct matcher *
load_rules(const char *shipped, const char *local, rules_error_fn report, size_t *nbad,
    int *no_shipped)
{
	struct ruleset *rs;

	*nbad = 0;
	*no_shipped = 0;
	if ((rs = rules_new()) == NULL)
		return NULL;
	if (shipped != NULL && shipped[0] != '\0' &&
	    rules_load_dir(rs, shipped, 0, report, NULL) == VIGIL_ERR_NOTFOUND)
		*no_shipped = 1;
	if (local != NULL && local[0] != '\0')
		(void)rules_load_dir(rs, local, 1, report, NULL);
	rules_finish(rs, report, NULL);
	*nbad = rs->nerrors;
	return matcher_new(rs);
}

/*
 * vigil-agent --test-rules: lines on stdin, what fires on stdout. Exits 1
 * when a rule was bad (reported on stderr), after the lines.
 */
static int
test_rules_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_conf *conf;
	struct matcher *m;
	const char *dirs[2] = { NULL, NULL }, *file = NULL, *source = NULL;
	char err[1024];
	size_t ndirs = 0, nbad;
	int ch, no_shipped, rc;

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
	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		fatal("Cannot allocate the configuration");
	if (file != NULL) {
		if (agent_conf_load(file, conf, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			free(conf);
			return 1;
		}
	} else
		cfg_defaults(agent_conf_sections, conf);
	if (ndirs == 0) {
		dirs[0] = conf->agent.rules_dir;
		dirs[1] = conf->agent.local_rules_dir;
	}
	if ((m = load_rules(dirs[0], dirs[1], rule_error_print, &nbad, &no_shipped)) == NULL)
		fatalx("The rules cannot be loaded: out of memory.");
	if (no_shipped)
		fprintf(stderr, "%s: the rules directory does not exist\n", dirs[0]);
	rc = matcher_test_stream(m, stdin, stdout, source);
	matcher_free(m);
	free(conf);
	if (rc != 0) {
		fprintf(stderr, "vigil-agent: cannot read the lines or write the results\n");
		return 1;
	}
	return nbad > 0 || no_shipped ? 1 : 0;
}

static void
agent_free(struct agent *a)
{
	/* The users of a thing go before the thing: sources, uplink, spool, loop. */
	if (a->sigterm != NULL)
		event_free(a->sigterm);
	if (a->sigint != NULL)
		event_free(a->sigint);
	if (a->trim_ev != NULL)
		event_free(a->trim_ev);
	if (a->trim_tick != NULL)
		event_free(a->trim_tick);
	updates_free(a->updates);
	av_free(a->av);
	usb_free(a->usb);
	journal_free(a->journal);
	watch_free(a->watch);
	dirwatch_free(a->dirwatch);
	logind_free(a->logind);
	uplink_free(a->uplink);
	posture_free(a->posture);
	matcher_free(a->matcher);
	spool_free(a->spool);
	if (a->ctx != NULL)
		SSL_CTX_free(a->ctx);
	if (a->base != NULL)
		event_base_free(a->base);
	free(a);
}

int
main(int argc, char *argv[])
{
	const struct agent_conf_collector *cc;
	struct watch_source srcs[AGENT_MAX_SOURCES];
	struct uplink_opts uo;
	struct tls_opts to;
	struct agent *a;
	char err[1024], path[AGENT_CONF_PATH_MAX + 32], id[256];
	const char *file = NULL;
	int ch, debug = 0, check = 0, verbose = 0, no_shipped;
	size_t i, nbad;

	/* A one-shot tool beside the daemon: the allow-list lines of what is plugged in. */
	if (argc >= 2 && strcmp(argv[1], "--list-usb") == 0)
		return usb_list_main(argc - 1, argv + 1, stdout);
	/* The rule test mode reads lines on stdin; it needs no configuration file. */
	if (argc >= 2 && strcmp(argv[1], "--test-rules") == 0)
		return test_rules_main(argc - 1, argv + 1);

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
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("Cannot allocate the agent");
	if (agent_conf_load(file, &a->conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		free(a);
		return 1;
	}
	if (check) {
		/* The rules are part of the configuration: every bad one is printed. */
		if ((a->matcher = load_rules(a->conf.agent.rules_dir, a->conf.agent.local_rules_dir,
		    rule_error_print, &nbad, &no_shipped)) == NULL)
			fatalx("The rules cannot be loaded: out of memory.");
		/* -nv prints exactly the configuration (it must load again): no notes. */
		if (no_shipped && !verbose)
			fprintf(stderr, "%s: warning: the rules directory does not exist\n",
			    a->conf.agent.rules_dir);
		matcher_free(a->matcher);
		if (verbose)
			agent_conf_print(stdout, &a->conf);
		else if (nbad == 0)
			fprintf(stderr, "configuration OK\n");
		free(a);
		return nbad > 0 ? 1 : 0;
	}
	cc = &a->conf.collector;

	signal(SIGPIPE, SIG_IGN);
	memset(&to, 0, sizeof(to));
	to.ca = cc->ca;
	to.cert = cc->cert;
	to.key = cc->key;
	to.groups = cc->groups[0] != '\0' ? cc->groups : NULL;
	if ((a->ctx = tls_client_ctx(&to, err, sizeof(err))) == NULL)
		fatalx("TLS cannot be set up: %s", err);
	own_id(a->ctx, id, sizeof(id));

	if (mkdir(a->conf.agent.state_dir, 0700) != 0 && errno != EEXIST)
		fatal("Cannot create the state directory %s", a->conf.agent.state_dir);

	/* Before anything holds file locks: they do not survive the fork. */
	if (!debug && daemon(0, 0) != 0)
		fatal("Cannot become a daemon");

	snprintf(path, sizeof(path), "%s/%s", a->conf.agent.state_dir, SPOOL_FILE);
	if ((a->spool = spool_open(path, a->conf.agent.spool_max, err, sizeof(err))) == NULL)
		fatalx("The spool %s cannot be opened: %s", path, err);
	if ((a->base = event_base_new()) == NULL)
		fatalx("The event loop cannot be created.");
	if ((a->matcher = load_rules(a->conf.agent.rules_dir, a->conf.agent.local_rules_dir,
	    rule_error_log, &nbad, &no_shipped)) == NULL)
		fatalx("The rules cannot be loaded: out of memory.");
	if (no_shipped)
		log_warnx("The rules directory %s does not exist; no shipped rules are loaded.",
		    a->conf.agent.rules_dir);
	{
		struct matcher_stats ms;

		matcher_stats(a->matcher, &ms);
		log_info("%zu rules, %zu thresholds loaded%s.", ms.rules, ms.thresholds,
		    nbad > 0 ? "; bad rules were skipped" : "");
	}

	memset(&uo, 0, sizeof(uo));
	uo.address = cc->address;
	uo.port = (int)cc->port;
	uo.server_name = cc->server_name;
	uo.unit = a->conf.agent.unit;
	uo.batch_max = (size_t)cc->batch_max;
	uo.window = (size_t)cc->window;
	uo.reconnect_min_ms = (uint64_t)cc->reconnect_min;
	uo.reconnect_max_ms = (uint64_t)cc->reconnect_max;
	uo.reconnect_spread_ms = (uint64_t)cc->reconnect_spread;
	uo.connect_timeout_ms = (uint64_t)cc->connect_timeout;
	uo.max_frame = (size_t)cc->max_frame;
	uo.lines_truncated = truncated_cb;
	uo.events_rejected = rejected_cb;
	uo.rule_evictions = evictions_cb;
	uo.uevents_spoofed = uevents_spoofed_cb;
	uo.uevents_lost = uevents_lost_cb;
	uo.link_changed = link_changed_cb;
	uo.arg = a;
	if ((a->posture = posture_new(a->spool, appended_cb, a)) == NULL)
		fatalx("The posture cannot be created.");
	uo.posture = a->posture;
	if ((a->uplink = uplink_new(a->base, a->ctx, a->spool, &uo)) == NULL)
		fatalx("The uplink cannot be created.");
	posture_on_change(a->posture, uplink_posture_changed, a->uplink);

	a->sigterm = evsignal_new(a->base, SIGTERM, signal_cb, a);
	a->sigint = evsignal_new(a->base, SIGINT, signal_cb, a);
	a->trim_ev = evtimer_new(a->base, trim_cb, a);
	a->trim_tick = event_new(a->base, -1, EV_PERSIST, trim_tick_cb, a);
	if (a->trim_ev == NULL || a->trim_tick == NULL ||
	    event_add(a->trim_tick, &(struct timeval){ AGENT_TRIM_PERIOD_SEC, 0 }) != 0)
		fatalx("The memory trim timers cannot be created.");
	if (a->sigterm == NULL || a->sigint == NULL || evsignal_add(a->sigterm, NULL) != 0 ||
	    evsignal_add(a->sigint, NULL) != 0)
		fatalx("The signal handlers cannot be installed.");

	for (i = 0; i < a->conf.nsources; i++) {
		srcs[i].name = a->conf.sources[i].name;
		srcs[i].path = a->conf.sources[i].path;
	}
	/* One inotify descriptor wakes the log sources and the sensors' logs. */
	if ((a->dirwatch = dirwatch_new(a->base, err, sizeof(err))) == NULL)
		fatalx("The log sources cannot be watched: %s.", err);
	/* Sources are positioned and read once before we say we are started. */
	if ((a->watch = watch_new(a->base, a->dirwatch, a->spool, a->matcher, srcs,
	    a->conf.nsources, (size_t)a->conf.agent.max_line, appended_cb, a, err,
	    sizeof(err))) == NULL)
		fatalx("The log sources cannot be followed: %s.", err);
	if ((a->journal = journal_new(a->base, a->spool, a->matcher, a->conf.journals,
	    a->conf.njournals, (size_t)a->conf.agent.max_line, appended_cb, a, err,
	    sizeof(err))) == NULL)
		fatalx("The journal sources cannot be read: %s.", err);
	if (a->conf.usb.enabled) {
		struct usb_opts uso;
		enum usb_policy pol = USB_POLICY_ALERT;

		(void)usb_policy_parse(a->conf.usb.policy, &pol);   /* checked by the loader */
		memset(&uso, 0, sizeof(uso));
		uso.sysfs_root = a->conf.usb.sysfs_root;
		uso.policy = pol;
		uso.block_hid = a->conf.usb.block_hid != 0;
		uso.allow = a->conf.usb.allow;
		uso.accept_test_sender = a->conf.usb.insecure_accept_test_sender != 0;
		uso.appended = appended_cb;
		uso.arg = a;
		if ((a->usb = usb_new(a->base, a->spool, &uso, err, sizeof(err))) == NULL)
			fatalx("The USB sensor cannot start: %s.", err);
		/*
		 * A running sensor reports its part of the posture at once, so the
		 * heartbeat carries posture and counters (spoofed and lost uevents)
		 * from the start, not only after the first block.
		 */
		posture_set_usb_blocked(a->posture, (uint32_t)usb_blocked_count(a->usb));
	}
	/* The sensors' checks run on their check_interval timers, the agent's only timers. */
	a->av = av_new(a->base, a->dirwatch, a->posture, &a->conf.antivirus,
	    (size_t)a->conf.agent.max_line, err, sizeof(err));
	if (a->av == NULL && err[0] != '\0')
		fatalx("The antivirus sensor cannot start: %s.", err);
	a->updates = updates_new(a->base, a->dirwatch, a->posture, &a->conf.updates,
	    (size_t)a->conf.agent.max_line, err, sizeof(err));
	if (a->updates == NULL && err[0] != '\0')
		fatalx("The update sensor cannot start: %s.", err);

	{
		struct logind_cb lc = { power_down, power_up, a };

		if ((a->logind = logind_new(a->base, &lc, err, sizeof(err))) == NULL)
			log_info("Shutdown and sleep cannot be told apart from a stop: %s.", err);
	}

	log_info("agent %s starting, %zu source%s, spool %llu events", id, a->conf.nsources,
	    a->conf.nsources == 1 ? "" : "s", (unsigned long long)spool_depth(a->spool));
	uplink_start(a->uplink);
	trim(a, "at start-up");

	if (event_base_dispatch(a->base) < 0)
		log_warnx("The event loop failed.");
	log_info("agent %s stopping, spool %llu events", id,
	    (unsigned long long)spool_depth(a->spool));
	agent_free(a);
	return 0;
}
