/*
 * vigil-collector: the roles of the process, in the order they happen.
 *
 *   privileged (root):  read the config, build the TLS context (keys), bind
 *                       the listener, open the store (two connections: the
 *                       writer's and the main thread's for reads), bind the
 *                       control socket
 *   unprivileged:       drop to `user`, start the writer thread, then serve
 *                       agents and vigilctl
 *
 * Everything that needs privilege is opened before the drop, in this one
 * place, so that splitting a privileged helper off later needs no rewrite.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/memtrim.h"
#include "vigil/privdrop.h"
#include "vigil/tls.h"

#include "collector.h"
#include "enroll.h"
#include "pki_rotate.h"
#include "store_enroll.h"
#include "escalate.h"
#include "ack_http.h"
#include "ack_reply.h"
#include "report_run.h"
#include "escalate_run.h"
#include "incident.h"
#include "control.h"
#include "reserve.h"
#include "session.h"

#define LISTEN_BACKLOG 1024
#define SHUTDOWN_GRACE_SEC 3     /* for sessions to take their last Ack */

static const char help_text[] = N_(
    "usage: vigil-collector -f FILE [-d] [-n] [-v]\n"
    "\n"
    "  -f FILE     the configuration file (collector.conf)\n"
    "  -d          stay in the foreground and log to stderr\n"
    "  -n          check the configuration and the escalation file, then exit\n"
    "  -v          more detail in the log; with -n, print the effective configuration\n"
    "  -h, --help  this help\n");

/* A usage error: the usage line and where to read more, on stderr. */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "%s\n", _("usage: vigil-collector -f FILE [-d] [-n] [-v]; "
	    "try \"vigil-collector --help\""));
	exit(2);
}

/* --help: before any configuration is read, in the language the environment asks. */
static void __attribute__((noreturn))
help(void)
{
	i18n_set_language(i18n_env_language());
	fputs(_(help_text), stdout);
	exit(0);
}

/*
 * Fork into the background but keep the terminal until start-up is done, so
 * that a start-up failure is seen and the exit status means something.
 * Returns the write end of a pipe the child reports success on.
 */
static int
daemon_begin(void)
{
	int fds[2], status;
	pid_t pid;
	char ok;

	if (pipe2(fds, O_CLOEXEC) == -1)
		fatal("Cannot make a pipe");
	if ((pid = fork()) == -1)
		fatal("Cannot fork");
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &ok, 1) == 1)
			_exit(0);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
		_exit(1);
	}
	close(fds[0]);
	if (setsid() == -1)
		fatal("Cannot start a new session");
	return fds[1];
}

static void
daemon_end(int fd, int verbose)
{
	int null;

	log_init("vigil-collector", 0, verbose);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (chdir("/") == -1)
		log_warn("Cannot change directory to /");
	if (write(fd, "", 1) != 1)
		log_warn("Cannot tell the parent that start-up is done");
	close(fd);
}

/* 1,000 agents need more descriptors than the usual soft limit of 1,024. */
static void
raise_nofile(long long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= (rlim_t)want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)want ? (rlim_t)want :
	    rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("Cannot raise the descriptor limit to %lld", want);
	if (rl.rlim_cur < (rlim_t)want)
		log_warnx("Only %llu descriptors are allowed; max_connections %lld may not be "
		    "reachable.", (unsigned long long)rl.rlim_cur, want - 64);
}

static struct evconnlistener *
listen_agents(struct collector *c)
{
	const struct collector_conf *cc = &c->conf.collector;
	struct addrinfo hints, *res;
	struct evconnlistener *l;
	char port[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%lld", cc->port);
	if ((rc = getaddrinfo(cc->listen, port, &hints, &res)) != 0)
		fatalx("Cannot resolve the listen address %s: %s", cc->listen, gai_strerror(rc));
	l = evconnlistener_new_bind(c->base, session_accept, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, LISTEN_BACKLOG,
	    res->ai_addr, (int)res->ai_addrlen);
	if (l == NULL)
		fatal("Cannot listen on %s port %lld", cc->listen, cc->port);
	freeaddrinfo(res);
	evconnlistener_set_error_cb(l, session_accept_error);
	return l;
}

/* SQLite must keep writing the database, its WAL and its shared memory after the drop. */
static void
chown_store(const char *db, uid_t uid, gid_t gid)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char path[CONF_PATH_MAX + 8];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		if (chown(path, uid, gid) == -1 && errno != ENOENT)
			fatal("Cannot give %s to the collector's user", path);
	}
}

static void
drop_privileges(const struct collector_conf *cc)
{
	uid_t uid;
	gid_t gid;
	char err[256];
	int rc;

	if (cc->user[0] == '\0') {
		if (getuid() == 0)
			log_warnx("Running as root: set `user` to drop privileges.");
		return;
	}
	if (getuid() != 0) {
		log_debug("Not started as root; `user = %s` is not needed.", cc->user);
		return;
	}
	if ((rc = privdrop_lookup(cc->user, &uid, &gid)) != 0) {
		if (rc == VIGIL_ERR_NOTFOUND)
			fatalx("Cannot drop privileges: there is no user %s.", cc->user);
		fatal("Cannot look up user %s", cc->user);
	}
	if (uid == 0)
		fatalx("Cannot drop privileges: user %s is root.", cc->user);
	chown_store(cc->database, uid, gid);
	if (privdrop_to(uid, gid, err, sizeof(err)) != 0)
		fatalx("Cannot drop privileges to %s: %s.", cc->user, err);
	log_info("Dropped privileges to user %s (uid %lu, gid %lu).", cc->user,
	    (unsigned long)uid, (unsigned long)gid);
}

static void
log_listening(struct collector *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[COLLECTOR_ADDR_MAX];

	/* The real port: port = 0 asks the kernel for any free one. */
	if (getsockname(evconnlistener_get_fd(c->listener), (struct sockaddr *)&ss, &len) == -1)
		fatal("Cannot read the listening address");
	session_addr_str((struct sockaddr *)&ss, addr, sizeof(addr));
	log_info("listening on %s", addr);
	log_info("control socket %s", c->conf.collector.control_socket);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct collector *c = arg;
	struct timeval grace = { SHUTDOWN_GRACE_SEC, 0 };

	if (c->stopping) {
		log_info("Second signal; exiting at once.");
		event_base_loopbreak(c->base);
		return;
	}
	log_info("Received signal %d; committing what is pending and shutting down.", (int)sig);
	c->stopping = 1;
	evconnlistener_free(c->listener);
	c->listener = NULL;
	control_free(c->control);
	c->control = NULL;
	pki_rotate_free(c);
	enroll_free(c);
	event_base_loopexit(c->base, &grace);
	session_shutdown(c);
}

/* A retired key: said on stderr (-n, and the journal under systemd), never fatal. */
static void
conf_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "vigil-collector: %s\n", msg);
}

int
main(int argc, char **argv)
{
	struct collector *c;
	struct tls_opts topts;
	struct escalate_conf *esc_conf = NULL;
	struct event *sigterm, *sigint;
	struct memtrim_stats ms;
	const char *file = NULL;
	char err[1024];
	int ch, debug = 0, noaction = 0, verbose = 0, ready = -1;

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "df:nvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
		case 'd':
			debug = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			noaction = 1;
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
	log_init("vigil-collector", 1, verbose);

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("Cannot allocate the collector");
	if (conf_load_warn(file, &c->conf, err, sizeof(err), conf_warn, NULL) != 0) {
		fprintf(stderr, "vigil-collector: %s\n", err);
		free(c);
		return 1;
	}
	/* incidents, audit, escalation: the file is checked with -n too. */
	if (escalate_run_load(&c->conf, &esc_conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-collector: %s\n", err);
		free(c);
		return 1;
	}
	if (noaction) {
		if (verbose) {
			conf_print(stdout, &c->conf);
			if (esc_conf != NULL) {
				printf("\n# ---- %s\n", c->conf.collector.escalation);
				escalate_conf_print(stdout, esc_conf);
			}
		} else
			fprintf(stderr, "configuration OK\n");
		escalate_conf_free(esc_conf);
		free(c);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	raise_nofile(c->conf.collector.max_connections + 64);
	if (!debug)
		ready = daemon_begin();
	c->started_us = clock_now_us();
	if ((c->base = event_base_new()) == NULL)
		fatalx("Cannot make the event loop.");

	/* Privileged: keys, the port, the database, the control socket. */
	topts.ca = c->conf.collector.ca;
	topts.cert = c->conf.collector.cert;
	topts.key = c->conf.collector.key;
	topts.groups = c->conf.collector.groups;
	if ((c->ssl_ctx = tls_server_ctx(&topts, err, sizeof(err))) == NULL)
		fatalx("Cannot set up TLS: %s", err);
	c->listener = listen_agents(c);
	/* The writer's first: it creates the file and runs the migrations. */
	if ((c->wstore = store_open(c->conf.collector.database, err, sizeof(err))) == NULL)
		fatalx("Cannot open the store %s: %s", c->conf.collector.database, err);
	if ((c->store = store_open(c->conf.collector.database, err, sizeof(err))) == NULL)
		fatalx("Cannot open the store %s for reading: %s", c->conf.collector.database, err);
	store_set_reopen_window(c->wstore, c->conf.collector.reopen_window * 1000);
	store_set_reopen_window(c->store, c->conf.collector.reopen_window * 1000);
	store_set_clock_limits(c->wstore, c->conf.collector.clock_ahead_max * 1000,
	    c->conf.collector.clock_behind_max * 1000);
	/* The session feeds the incident engine, through one hook. */
	c->forward = incident_hook;
	c->forward_arg = c;
	if (session_init(c) != 0)
		fatalx("Cannot allocate the session table.");
	if ((c->control = control_open(c, err, sizeof(err))) == NULL)
		fatalx("Cannot open the control socket: %s.", err);
	/* enrolment and identities (issue 15): the tables, and the listener while privileged */
	if (store_enroll_init(c->store) != 0)
		fatalx("Cannot make the enrolment tables: %s.", store_errmsg(c->store));
	if (enroll_open(c, err, sizeof(err)) != 0)
		fatalx("Cannot start enrolment: %s.", err);
	/* A CA rotation under way goes on: both CAs trusted, the new one signs. */
	if (pki_rotate_open(c, err, sizeof(err)) != 0)
		fatalx("Cannot go on with the CA rotation: %s.", err);

	/* acknowledge by link (ack_http.c): its port and key, while privileged */
	if (c->conf.ack_link.url[0] != '\0' && (c->ack_http = ack_http_open(c, err,
	    sizeof(err))) == NULL)
		fatalx("Cannot start the acknowledgement page: %s.", err);
	drop_privileges(&c->conf.collector);
	/* A thread after the drop and the fork: setresuid and fork act on one thread. */
	if (session_start(c, c->wstore) != 0)
		fatal("Cannot start the writer thread");
	/* As our own user, who must be able to give it up. */
	reserve_make(c);
	/* incidents, audit, escalation: after the drop (commands run as our user). */
	if (incident_init(c) != 0)
		fatalx("Cannot start the incident engine: out of memory.");
	if (escalate_run_open(c, esc_conf, err, sizeof(err)) != 0)
		fatalx("Cannot start the escalation: %s.", err);
	/* report deadlines (issue 17): the holiday calendar, the timer */
	if (report_run_open(c, err, sizeof(err)) != 0)
		fatalx("Cannot start the report deadlines: %s.", err);
	/* acknowledgement by reply (ack_reply.c): its tables, and the mailbox reader */
	if (ack_reply_open(c, err, sizeof(err)) != 0)
		fatalx("Cannot start reading replies: %s.", err);

	sigterm = evsignal_new(c->base, SIGTERM, on_signal, c);
	sigint = evsignal_new(c->base, SIGINT, on_signal, c);
	if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) == -1 ||
	    evsignal_add(sigint, NULL) == -1)
		fatalx("Cannot install the signal handlers.");
	log_listening(c);
	if (!debug)
		daemon_end(ready, verbose);
	/*
	 * Start-up touched code it will not run again (configuration, the
	 * migrations, OpenSSL's decoders): give those pages back. With 10,000
	 * agents every megabyte counts (issue 9's bound is 256 MiB).
	 */
	if (memtrim_release(&ms) == 0)
		log_debug("Released %zu kB of the %ld kB resident after start-up.", ms.released_kb,
		    ms.rss_before_kb);

	event_base_dispatch(c->base);

	/* The order of libevent's sample/hello-world.c: connections, listeners, events, base. */
	session_free_all(c);
	ack_reply_free(c);
	ack_http_free(c->ack_http);
	report_run_free(c);
	escalate_run_free(c);
	incident_free(c);
	control_free(c->control);
	enroll_free(c);
	if (c->listener != NULL)
		evconnlistener_free(c->listener);
	event_free(sigterm);
	event_free(sigint);
	store_free(c->store);
	store_free(c->wstore);
	SSL_CTX_free(c->ssl_ctx);
	event_base_free(c->base);
	log_info("Stopped.");
	free(c);
	return 0;
}
