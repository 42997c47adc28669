/*
 * The running agent (see agent.h): the pipeline built from the
 * configuration, the heartbeat's counters gathered from its parts, the
 * goodbye, and the memory given back after work done once. Nothing here is
 * Linux's: the platform's main drives it, and its sensors come from the
 * platform's table.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/memtrim.h"
#include "vigil/tls.h"
#include "agent.h"
#include "renew.h"
#include "enroll.h"
#include "grace.h"
#include "tlsclock.h"
#include "matcher.h"
#include "neigh.h"
#include "posture.h"
#include "sensor.h"
#include "spool.h"
#include "uplink.h"

#define SPOOL_FILE "spool.db"

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
/* Re-enrolment (grace.h): after a refusal, and after no answer. */
#define AGENT_GRACE_RETRY_REFUSED_US (3600LL * 1000000)
#define AGENT_GRACE_RETRY_US (60LL * 1000000)
/*
 * A re-enrolment blocks (enroll_exchange()): before the loop, the full
 * ENROLL_EXCHANGE_SEC; from the loop (a handshake refused), this at most,
 * so that the spool and the sensors wait seconds, not a quarter minute, when
 * the enrolment port does not answer. A collector on the office network
 * answers in milliseconds.
 */
#define AGENT_GRACE_IN_LOOP_SEC 5

struct agent {
	struct event_base *base;
	SSL_CTX *ctx;
	char id[256];
	struct spool *spool;
	struct matcher *matcher;
	struct uplink *uplink;
	struct posture *posture;
	struct sensors *sensors;
	struct event *trim_ev;   /* gives back the pages a connection attempt touched once */
	struct event *trim_tick; /* and those of the sensors' periodic checks */
	void (*bye_done)(void *arg);   /* after each goodbye: the platform lets go (logind) */
	void *bye_arg;
	struct renew *renew;     /* certificate renewal over the session (renew.c) */
	char machine_id[72];     /* the platform's, hashed (agent_set_machine_id()) */
	agent_identity_fn id_save;     /* the platform's writer of a renewed key and cert */
	void *id_save_arg;
	int64_t grace_next_us;   /* no re-enrolment before this (our clock) */
	int grace_told;          /* the collector's refusal is logged once */
	agent_ca_fn ca_save;           /* the platform's writer of a CA bundle; NULL: none */
	void *ca_save_arg;
	char *ca_saved;                /* the bundle written last (at most WIRE_MAX_CA_BUNDLE) */
	int ca_said;                   /* "cannot store the bundle" was logged */
	int started;
	int stopping;            /* asked to exit: after the goodbye */
	int saying_bye;          /* a goodbye is under way */
	struct neigh_list *net;  /* the network report (neigh.h); NULL until the first */
	uint64_t net_cut;        /* neighbours past the report's cap, ever */
	char net_down[SENSOR_MAX_REASON];   /* why the neighbour table cannot be read; "" */
	/*
	 * Last: the loader touches only what a section uses, so the pages of
	 * the unused table entries (most of its 150 kB) are never resident.
	 */
	struct agent_conf conf;
};

/* ---- rules ---------------------------------------------------------------- */

/* A bad rule under -n and --test-rules: "file:line: rule ID: message" on stderr. */
static void
rule_error_print(void *arg, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

/*
 * The lines agent.rules reads back from the agent's own log (the bad rule,
 * no rules, starting, stopping, and uplink.c's and spool.c's) are its
 * report to the collector: they stay as they are, in English, whatever
 * the language; people read the events' summaries, which have theirs.
 */
static void
rule_error_log(void *arg, const char *msg)
{
	log_warnx("A bad rule is skipped: %s.", msg);
}

struct matcher *
agent_rules(const char *shipped, const char *local, const char *lang, rules_error_fn report,
    size_t *nbad, int *no_shipped)
{
	struct ruleset *rs;

	*nbad = 0;
	*no_shipped = 0;
	if ((rs = rules_new()) == NULL)
		return NULL;
	rules_language(rs, lang);
	if (shipped != NULL && shipped[0] != '\0' &&
	    rules_load_dir(rs, shipped, 0, report, NULL) == VIGIL_ERR_NOTFOUND)
		*no_shipped = 1;
	if (local != NULL && local[0] != '\0')
		(void)rules_load_dir(rs, local, 1, report, NULL);
	rules_finish(rs, report, NULL);
	*nbad = rs->nerrors;
	return matcher_new(rs);
}

int
agent_check(const struct agent_conf *conf, int verbose, FILE *out)
{
	struct matcher *m;
	size_t nbad;
	int no_shipped;

	/* The rules are part of the configuration: every bad one is printed. */
	if ((m = agent_rules(conf->agent.rules_dir, conf->agent.local_rules_dir,
	    conf->agent.language, rule_error_print, &nbad, &no_shipped)) == NULL)
		fatalx("%s", _("The rules cannot be loaded: out of memory."));
	/* -nv prints exactly the configuration (it must load again): no notes. */
	if (no_shipped && !verbose)
		fprintf(stderr, _("%s: warning: the rules directory does not exist\n"),
		    conf->agent.rules_dir);
	matcher_free(m);
	if (verbose)
		agent_conf_print(out, conf);
	else if (nbad == 0)
		fprintf(stderr, "%s\n", _("configuration OK"));
	return nbad > 0 ? 1 : 0;
}

int
agent_test_rules(const char *file, const char *const *dirs, size_t ndirs, const char *source,
    FILE *in, FILE *out)
{
	struct agent_conf *conf;
	struct matcher *m;
	const char *shipped, *local;
	char err[1024];
	size_t nbad;
	int no_shipped, rc;

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		fatal("%s", _("Cannot allocate the configuration"));
	if (file != NULL) {
		if (agent_conf_load(file, conf, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			free(conf);
			return 1;
		}
	} else
		cfg_defaults(agent_conf_sections, conf);
	(void)i18n_set_language(conf->agent.language);
	shipped = ndirs > 0 ? dirs[0] : conf->agent.rules_dir;
	local = ndirs > 1 ? dirs[1] : ndirs > 0 ? NULL : conf->agent.local_rules_dir;
	if ((m = agent_rules(shipped, local, conf->agent.language, rule_error_print, &nbad,
	    &no_shipped)) == NULL)
		fatalx("%s", _("The rules cannot be loaded: out of memory."));
	if (no_shipped)
		fprintf(stderr, _("%s: the rules directory does not exist\n"), shipped);
	rc = matcher_test_stream(m, in, out, source);
	matcher_free(m);
	free(conf);
	if (rc == VIGIL_ERR_INVAL)
		return 1;       /* an event that could not be read, said on stderr */
	if (rc != 0) {
		fprintf(stderr, "%s\n", _("vigil-agent: cannot read the lines or write the results"));
		return 1;
	}
	return nbad > 0 || no_shipped ? 1 : 0;
}

/* ---- the heartbeat's counters -------------------------------------------- */

static void
appended_cb(void *arg)
{
	struct agent *a = arg;

	uplink_kick(a->uplink);
}

/* One of the running sensors' counters, summed: the field at off of struct sensor_counters. */
static uint64_t
sensor_counter(struct agent *a, size_t off)
{
	struct sensor_counters c;
	uint64_t v;

	sensors_count(a->sensors, &c);
	memcpy(&v, (const char *)&c + off, sizeof(v));
	return v;
}

static uint64_t
rejected_cb(void *arg)
{
	struct agent *a = arg;

	return sensor_counter(a, offsetof(struct sensor_counters, events_rejected)) +
	    (a->posture != NULL ? posture_events_rejected(a->posture) : 0);
}

static uint64_t
uevents_spoofed_cb(void *arg)
{
	return sensor_counter(arg, offsetof(struct sensor_counters, uevents_spoofed));
}

static uint64_t
uevents_lost_cb(void *arg)
{
	return sensor_counter(arg, offsetof(struct sensor_counters, uevents_lost));
}

static void
sensor_report_cb(void *arg, struct sensor_report *r)
{
	struct agent *a = arg;

	sensors_report(a->sensors, r);
	if (a->net_down[0] != '\0')
		sensor_report_unavailable(r, "network", a->net_down);
	if (a->net_cut > 0)
		sensor_report_counter(r, "network.neighbours_cut", a->net_cut);
}

/*
 * The network report (neigh.h), when the uplink says it is due: own MACs
 * always, the neighbour table when [network] neighbours is on. A table that
 * cannot be read is said once in the log and in each heartbeat until it can.
 */
static const struct neigh_list *
network_cb(void *arg)
{
	struct agent *a = arg;
	char why[SENSOR_MAX_REASON];

	if (a->net == NULL && (a->net = malloc(sizeof(*a->net))) == NULL)
		return NULL;
	why[0] = '\0';
	if (neigh_read(a->net, a->conf.network.neighbours, why, sizeof(why)) != 0) {
		if (a->net_down[0] == '\0')
			log_warnx(_("The neighbour table cannot be read; the PC's own MAC addresses "
			    "are still reported: %s."), why);
		snprintf(a->net_down, sizeof(a->net_down), "%s", why);
	} else
		a->net_down[0] = '\0';
	if (a->net->cut > 0 && a->net_cut == 0)
		log_warnx(_("More than %d neighbours on this PC's networks: the report is cut, "
		    "and the cut counted (network.neighbours_cut)."), NEIGH_MAX);
	a->net_cut += a->net->cut;
	return a->net;
}

static uint64_t
truncated_cb(void *arg)
{
	return sensor_counter(arg, offsetof(struct sensor_counters, lines_truncated));
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

/* ---- memory given back ----------------------------------------------------- */

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
	trim(arg, "by the link to the collector");
}

static void
trim_tick_cb(evutil_socket_t fd, short what, void *arg)
{
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

/* ---- renewal (issue 15): renew.c asks, the platform saves, we reload TLS ---- */

void
agent_set_machine_id(struct agent *a, const char *hex)
{
	snprintf(a->machine_id, sizeof(a->machine_id), "%s", hex != NULL ? hex : "");
}

void
agent_set_identity_writer(struct agent *a, agent_identity_fn save, void *arg)
{
	a->id_save = save;
	a->id_save_arg = arg;
}

void
agent_set_ca_writer(struct agent *a, agent_ca_fn save, void *arg)
{
	a->ca_save = save;
	a->ca_save_arg = arg;
}

static int
renew_save_cb(void *arg, const char *key_pem, size_t key_len, const char *cert_pem)
{
	struct agent *a = arg;

	return a->id_save(a->id_save_arg, a->conf.collector.key, key_pem, key_len,
	    a->conf.collector.cert, cert_pem);
}

static SSL_CTX *
client_ctx(const struct agent *a, char *err, size_t errlen)
{
	const struct agent_conf_collector *cc = &a->conf.collector;
	struct tls_opts to;
	SSL_CTX *ctx;

	memset(&to, 0, sizeof(to));
	to.ca = cc->ca;
	to.cert = cc->cert;
	to.key = cc->key;
	to.groups = cc->groups[0] != '\0' ? cc->groups : NULL;
	if ((ctx = tls_client_ctx(&to, err, errlen)) != NULL)
		tlsclock_install(ctx);
	return ctx;
}

/* The renewed files make the next connection's context; the open one goes on. */
static int
renew_reload_cb(void *arg)
{
	struct agent *a = arg;
	char err[1024];
	SSL_CTX *ctx = client_ctx(a, err, sizeof(err));

	if (ctx == NULL) {
		log_warnx(_("TLS cannot be set up: %s"), err);
		return -1;
	}
	uplink_set_ctx(a->uplink, ctx);
	SSL_CTX_free(a->ctx);
	a->ctx = ctx;
	return 0;
}

static void
welcomed_cb(void *arg, int64_t collector_us, int renew_asked)
{
	struct agent *a = arg;

	renew_welcome(a->renew, a->uplink, collector_us, SSL_CTX_get0_certificate(a->ctx));
	if (renew_asked)
		renew_now(a->renew);
}

/*
 * A CA rotation: keep the bundle (old and new CA) as our CA file, so that
 * the next connection trusts both, and renew at once when our certificate
 * is from the old CA.
 */
static void
ca_bundle_cb(void *arg, const char *pem)
{
	struct agent *a = arg;

	if (a->ca_saved != NULL && strcmp(a->ca_saved, pem) == 0)
		return;
	if (a->ca_save == NULL) {
		if (!a->ca_said)
			log_warnx("%s", _("The collector's CA is being replaced, but this platform "
			    "cannot store the new CA yet: after the replacement, enrol this PC "
			    "again."));
		a->ca_said = 1;
		return;
	}
	if (a->ca_save(a->ca_save_arg, a->conf.collector.ca, pem) != 0) {
		log_warnx(_("The collector's new CA cannot be saved in %s; it is asked again at "
		    "the next connection."), a->conf.collector.ca);
		return;
	}
	free(a->ca_saved);
	a->ca_saved = strdup(pem);
	log_info(_("The collector's CA is being replaced: %s now holds the old and the new CA, "
	    "and this PC trusts both."), a->conf.collector.ca);
	if (renew_reload_cb(a) != 0)
		return;
	if (renew_cert_from_newest(pem, SSL_CTX_get0_certificate(a->ctx)) == 0)
		renew_now(a->renew);
}

static void
renew_result_cb(void *arg, const Vigil__V1__RenewResult *r)
{
	struct agent *a = arg;

	renew_result(a->renew, r);
}

/* ---- off, not silent: the goodbye ----------------------------------------- */

/* A goodbye is over: let the platform go on, and exit if asked to stop. */
static void
goodbye_done(void *arg, int heard)
{
	struct agent *a = arg;

	a->saying_bye = 0;
	if (a->bye_done != NULL)
		a->bye_done(a->bye_arg);
	if (a->stopping)
		event_base_loopbreak(a->base);
}

static void
say_goodbye(struct agent *a, int reason, const char *detail)
{
	a->saying_bye = 1;
	uplink_goodbye(a->uplink, reason, detail, AGENT_GOODBYE_WAIT_MS, goodbye_done, a);
}

void
agent_set_goodbye_hook(struct agent *a, void (*done)(void *arg), void *arg)
{
	a->bye_done = done;
	a->bye_arg = arg;
}

void
agent_power_down(struct agent *a, int shutdown)
{
	if (a->stopping)
		return;
	if (shutdown)
		say_goodbye(a, VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN,
		    "the system is shutting down or rebooting");
	else
		say_goodbye(a, VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SUSPEND,
		    "the system is going to sleep");
}

void
agent_power_up(struct agent *a, int shutdown)
{
	if (a->stopping)
		return;
	log_info("%s", shutdown ? _("The system cancelled its shutdown; the agent reports again.") :
	    _("The system woke up; the agent reports again."));
	uplink_resume(a->uplink);
}

void
agent_stop(struct agent *a, const char *how, int (*reason)(void *arg, const char **detail),
    void *arg)
{
	const char *detail = "";
	int r;

	/* A second request, or one during a shutdown's goodbye: go now. */
	if (a->stopping) {
		log_info(_("%s received again; stopping now."), how);
		event_base_loopbreak(a->base);
		return;
	}
	a->stopping = 1;
	if (a->saying_bye) {
		log_info(_("%s received; stopping after the goodbye."), how);
		return;
	}
	/* Shutting down: the goodbye said so already, a second one would say "stopped". */
	if (uplink_parked(a->uplink)) {
		log_info(_("%s received; stopping (the goodbye is said)."), how);
		event_base_loopbreak(a->base);
		return;
	}
	log_info(_("%s received; saying goodbye, then stopping."), how);
	r = reason(arg, &detail);
	say_goodbye(a, r, detail);
}

/* ---- start and end ---------------------------------------------------------- */

struct agent *
agent_load(const char *file, char *err, size_t errlen)
{
	struct agent *a;

	/* calloc: the large zeroed allocation stays untouched, and not resident. */
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("%s", _("Cannot allocate the agent"));
	if (agent_conf_load(file, &a->conf, err, errlen) != 0) {
		free(a);
		return NULL;
	}
	(void)i18n_set_language(a->conf.agent.language);
	return a;
}

const struct agent_conf *
agent_conf(const struct agent *a)
{
	return &a->conf;
}

const char *
agent_id(const struct agent *a)
{
	return a->id;
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

/*
 * Re-enrol with the old key (grace.h) if the certificate expired at
 * collector_s (0: by our own clock). 0 when a new certificate is on disk.
 * Blocks for timeout_s at most; refusals are retried hourly, an
 * unreachable port every minute; the collector's words are logged once.
 */
static int
grace_try(struct agent *a, int expired_alert, int64_t collector_s, int timeout_s)
{
	const struct agent_conf_collector *cc = &a->conf.collector;
	int64_t now = clock_now_us();
	char hostport[300], err[1024], *cert = NULL;
	enum grace_outcome g;
	BIO *bio;
	X509 *x = NULL;
	int expired;

	if (a->id_save == NULL || cc->enroll_port == 0 || now < a->grace_next_us)
		return -1;
	if ((bio = BIO_new_file(cc->cert, "r")) != NULL)
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	expired = grace_cert_expired(x, collector_s != 0 ? collector_s : now / 1000000);
	X509_free(x);
	if (!expired && !expired_alert)
		return -1;
	snprintf(hostport, sizeof(hostport), strchr(cc->address, ':') != NULL ? "[%s]:%lld" :
	    "%s:%lld", cc->address, cc->enroll_port);
	log_info(_("This PC's certificate has expired: re-enrolling with its key at %s."),
	    hostport);
	g = grace_reenroll(hostport, cc->ca, cc->cert, cc->key, a->id, a->machine_id, now,
	    timeout_s, &cert, err, sizeof(err));
	if (g == GRACE_RENEWED && a->id_save(a->id_save_arg, cc->key, NULL, 0, cc->cert,
	    cert) != 0)
		g = GRACE_UNREACHABLE;
	free(cert);
	switch (g) {
	case GRACE_RENEWED:
		a->grace_told = 0;
		a->grace_next_us = 0;
		log_info("%s", _("Re-enrolled with the old key: the new certificate is saved."));
		return 0;
	case GRACE_REFUSED:
		a->grace_next_us = now + AGENT_GRACE_RETRY_REFUSED_US;
		if (!a->grace_told)
			log_warnx(_("The collector refused to re-enrol this PC: %s"), err);
		a->grace_told = 1;
		return -1;
	default:
		a->grace_next_us = now + AGENT_GRACE_RETRY_US;
		log_info(_("This PC cannot re-enrol now: %s"), err);
		return -1;
	}
}

/* A handshake failed: re-enrol if our certificate expired, then use the new one. */
static void
tls_failed_cb(void *arg, int expired_alert, int64_t collector_s)
{
	struct agent *a = arg;

	if (grace_try(a, expired_alert, collector_s, AGENT_GRACE_IN_LOOP_SEC) == 0)
		renew_reload_cb(a);
}

void
agent_prepare(struct agent *a)
{
	char err[1024];

	/* A PC that sat unused: a new certificate before the first connection. */
	grace_try(a, 0, 0, ENROLL_EXCHANGE_SEC);

	if ((a->ctx = client_ctx(a, err, sizeof(err))) == NULL)
		fatalx(_("TLS cannot be set up: %s"), err);
	own_id(a->ctx, a->id, sizeof(a->id));
}

static void
uplink_options(struct agent *a, struct uplink_opts *uo)
{
	const struct agent_conf_collector *cc = &a->conf.collector;

	memset(uo, 0, sizeof(*uo));
	uo->address = cc->address;
	uo->port = (int)cc->port;
	uo->server_name = cc->server_name;
	uo->unit = a->conf.agent.unit;
	uo->batch_max = (size_t)cc->batch_max;
	uo->window = (size_t)cc->window;
	uo->reconnect_min_ms = (uint64_t)cc->reconnect_min;
	uo->reconnect_max_ms = (uint64_t)cc->reconnect_max;
	uo->reconnect_spread_ms = (uint64_t)cc->reconnect_spread;
	uo->connect_timeout_ms = (uint64_t)cc->connect_timeout;
	uo->max_frame = (size_t)cc->max_frame;
	uo->lines_truncated = truncated_cb;
	uo->events_rejected = rejected_cb;
	uo->rule_evictions = evictions_cb;
	uo->uevents_spoofed = uevents_spoofed_cb;
	uo->uevents_lost = uevents_lost_cb;
	uo->sensor_report = sensor_report_cb;
	uo->link_changed = link_changed_cb;
	uo->welcomed = welcomed_cb;
	uo->machine_id = a->machine_id;
	uo->renew_result = renew_result_cb;
	uo->tls_failed = tls_failed_cb;
	uo->ca_bundle = ca_bundle_cb;
	uo->arg = a;
	uo->posture = a->posture;
	uo->network = network_cb;
	uo->network_interval_ms = (uint64_t)a->conf.network.report_interval;
}

void
agent_start(struct agent *a, struct event_base *base, struct dirwatch *dw)
{
	const struct sensor_driver *failed;
	struct sensor_env env;
	struct uplink_opts uo;
	struct matcher_stats ms;
	char err[1024], path[AGENT_CONF_PATH_MAX + 32];
	size_t nbad;
	int no_shipped;

	a->base = base;
	snprintf(path, sizeof(path), "%s/%s", a->conf.agent.state_dir, SPOOL_FILE);
	if ((a->spool = spool_open(path, a->conf.agent.spool_max, err, sizeof(err))) == NULL)
		fatalx(_("The spool %s cannot be opened: %s"), path, err);
	if ((a->matcher = agent_rules(a->conf.agent.rules_dir, a->conf.agent.local_rules_dir,
	    a->conf.agent.language, rule_error_log, &nbad, &no_shipped)) == NULL)
		fatalx("%s", _("The rules cannot be loaded: out of memory."));
	if (no_shipped)
		log_warnx("The rules directory %s does not exist; no shipped rules are loaded.",
		    a->conf.agent.rules_dir);
	matcher_stats(a->matcher, &ms);
	log_info(nbad > 0 ? _("%zu rules, %zu thresholds loaded; bad rules were skipped.") :
	    _("%zu rules, %zu thresholds loaded."), ms.rules, ms.thresholds);

	if ((a->posture = posture_new(a->spool, appended_cb, a)) == NULL)
		fatalx("%s", _("The posture cannot be created."));
	uplink_options(a, &uo);
	if (a->id_save != NULL) {
		struct renew_opts ro = { renew_save_cb, renew_reload_cb, a };

		if ((a->renew = renew_new(base, &ro)) == NULL)
			fatalx("%s", _("Cannot allocate the agent"));
	}
	if ((a->uplink = uplink_new(base, a->ctx, a->spool, &uo)) == NULL)
		fatalx("%s", _("The uplink cannot be created."));
	posture_on_change(a->posture, uplink_posture_changed, a->uplink);

	a->trim_ev = evtimer_new(base, trim_cb, a);
	a->trim_tick = event_new(base, -1, EV_PERSIST, trim_tick_cb, a);
	if (a->trim_ev == NULL || a->trim_tick == NULL ||
	    event_add(a->trim_tick, &(struct timeval){ AGENT_TRIM_PERIOD_SEC, 0 }) != 0)
		fatalx("%s", _("The memory trim timers cannot be created."));

	/* Log sources are positioned and read once before we say we are started. */
	memset(&env, 0, sizeof(env));
	env.base = base;
	env.spool = a->spool;
	env.matcher = a->matcher;
	env.posture = a->posture;
	env.dirwatch = dw;
	env.conf = &a->conf;
	env.max_line = (size_t)a->conf.agent.max_line;
	env.appended = appended_cb;
	env.arg = a;
	if ((a->sensors = sensors_start(&env, &failed, err, sizeof(err))) == NULL) {
		if (failed == NULL)
			fatalx("%s", _("The sensors cannot start: out of memory."));
		fatalx("%s: %s.", _(failed->failure), err);
	}
	a->started = 1;
}

void
agent_go(struct agent *a)
{
	/* Read back by agent.rules (rule_error_log()): not translated. */
	log_info("agent %s starting, %zu source%s, spool %llu events", a->id, a->conf.nsources,
	    a->conf.nsources == 1 ? "" : "s", (unsigned long long)spool_depth(a->spool));
	uplink_start(a->uplink);
	trim(a, "at start-up");
}

void
agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	if (a->started)
		log_info("agent %s stopping, spool %llu events", a->id,
		    (unsigned long long)spool_depth(a->spool));
	/* The users of a thing go before the thing: sensors, uplink, spool. */
	if (a->trim_ev != NULL)
		event_free(a->trim_ev);
	if (a->trim_tick != NULL)
		event_free(a->trim_tick);
	sensors_stop(a->sensors);
	uplink_free(a->uplink);
	posture_free(a->posture);
	matcher_free(a->matcher);
	spool_free(a->spool);
	renew_free(a->renew);
	free(a->ca_saved);
	free(a->net);
	if (a->ctx != NULL)
		SSL_CTX_free(a->ctx);
	free(a);
}
