/*
 * vigil-agent: follows log files, turns matching lines into events, keeps
 * them in a durable spool and sends them to the collector over mutual TLS.
 *
 *   vigil-agent -f FILE [-d] [-n] [-v]
 */
#include <errno.h>
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
#include "vigil/tls.h"
#include "agent.h"
#include "conf.h"
#include "daemon.h"
#include "uplink.h"

#define SPOOL_FILE "spool.db"

struct agent {
	struct agent_conf conf;
	struct event_base *base;
	SSL_CTX *ctx;
	struct spool *spool;
	struct matcher *matcher;
	struct uplink *uplink;
	struct watch *watch;
	struct event *sigterm;
	struct event *sigint;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vigil-agent -f FILE [-d] [-n] [-v]\n");
	exit(1);
}

static void
appended_cb(void *arg)
{
	struct agent *a = arg;

	uplink_kick(a->uplink);
}

static uint64_t
truncated_cb(void *arg)
{
	struct agent *a = arg;

	return a->watch != NULL ? watch_lines_truncated(a->watch) : 0;
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	log_info("Signal %d received; stopping.", (int)sig);
	event_base_loopbreak(a->base);
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

static void
agent_free(struct agent *a)
{
	/* The users of a thing go before the thing: sources, uplink, spool, loop. */
	if (a->sigterm != NULL)
		event_free(a->sigterm);
	if (a->sigint != NULL)
		event_free(a->sigint);
	watch_free(a->watch);
	uplink_free(a->uplink);
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
	int ch, debug = 0, check = 0, verbose = 0;
	size_t i;

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
		if (verbose)
			agent_conf_print(stdout, &a->conf);
		else
			fprintf(stderr, "configuration OK\n");
		free(a);
		return 0;
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
	if ((a->matcher = matcher_new_builtin()) == NULL)
		fatalx("The matcher cannot be created.");

	memset(&uo, 0, sizeof(uo));
	uo.address = cc->address;
	uo.port = (int)cc->port;
	uo.server_name = cc->server_name;
	uo.unit = a->conf.agent.unit;
	uo.batch_max = (size_t)cc->batch_max;
	uo.window = (size_t)cc->window;
	uo.reconnect_min_ms = (uint64_t)cc->reconnect_min;
	uo.reconnect_max_ms = (uint64_t)cc->reconnect_max;
	uo.connect_timeout_ms = (uint64_t)cc->connect_timeout;
	uo.max_frame = (size_t)cc->max_frame;
	uo.lines_truncated = truncated_cb;
	uo.arg = a;
	if ((a->uplink = uplink_new(a->base, a->ctx, a->spool, &uo)) == NULL)
		fatalx("The uplink cannot be created.");

	a->sigterm = evsignal_new(a->base, SIGTERM, signal_cb, a);
	a->sigint = evsignal_new(a->base, SIGINT, signal_cb, a);
	if (a->sigterm == NULL || a->sigint == NULL || evsignal_add(a->sigterm, NULL) != 0 ||
	    evsignal_add(a->sigint, NULL) != 0)
		fatalx("The signal handlers cannot be installed.");

	for (i = 0; i < a->conf.nsources; i++) {
		srcs[i].name = a->conf.sources[i].name;
		srcs[i].path = a->conf.sources[i].path;
	}
	/* Sources are positioned and read once before we say we are started. */
	if ((a->watch = watch_new(a->base, a->spool, a->matcher, srcs, a->conf.nsources,
	    (size_t)a->conf.agent.max_line, appended_cb, a, err, sizeof(err))) == NULL)
		fatalx("The log sources cannot be followed: %s.", err);

	log_info("agent %s starting, %zu source%s, spool %llu events", id, a->conf.nsources,
	    a->conf.nsources == 1 ? "" : "s", (unsigned long long)spool_depth(a->spool));
	uplink_start(a->uplink);

	if (event_base_dispatch(a->base) < 0)
		log_warnx("The event loop failed.");
	log_info("agent %s stopping, spool %llu events", id,
	    (unsigned long long)spool_depth(a->spool));
	agent_free(a);
	return 0;
}
