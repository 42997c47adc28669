/*
 * The agent's configuration table. cfg_load() does the reading, the types,
 * the ranges and the defaults; this file adds what spans several keys.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/ini.h"
#include "vigil/tls.h"
#include "conf.h"
#include "evtlog_util.h"
#include "sensor.h"

#define A(f) offsetof(struct agent_conf_agent, f), sizeof(((struct agent_conf_agent *)0)->f)
#define C(f) offsetof(struct agent_conf_collector, f), \
	sizeof(((struct agent_conf_collector *)0)->f)
#define S(f) offsetof(struct agent_conf_source, f), sizeof(((struct agent_conf_source *)0)->f)
#define J(f) offsetof(struct agent_conf_journal, f), \
	sizeof(((struct agent_conf_journal *)0)->f)

#define AV(f) offsetof(struct agent_conf_antivirus, f), \
	sizeof(((struct agent_conf_antivirus *)0)->f)
#define UP(f) offsetof(struct agent_conf_updates, f), \
	sizeof(((struct agent_conf_updates *)0)->f)

#define USB(f) offsetof(struct agent_conf_usb, f), sizeof(((struct agent_conf_usb *)0)->f)
#define WIN(f) offsetof(struct agent_conf_windows, f), \
	sizeof(((struct agent_conf_windows *)0)->f)

#define NET(f) offsetof(struct agent_conf_network, f), \
	sizeof(((struct agent_conf_network *)0)->f)

#define EL(f) offsetof(struct agent_conf_eventlog, f), \
	sizeof(((struct agent_conf_eventlog *)0)->f)

/* The Event Log is Windows': on by default there, and nothing to read elsewhere. */
#ifdef _WIN32
#define EVENTLOG_ENABLED "yes"
#else
#define EVENTLOG_ENABLED "no"
#endif

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)
#define SEC 1000LL

static const struct cfg_key agent_keys[] = {
	{ "state_dir", CFG_PATH, "/var/lib/vigil-agent", 0, 0, A(state_dir), 0,
	    "Where the spool and the tail offsets live." },
	{ "unit", CFG_STRING, "", 0, 0, A(unit), 0,
	    "The unit (office) this machine belongs to." },
	{ "spool_max", CFG_SIZE, "256M", MIB, 64 * GIB, A(spool_max), 0,
	    "The spool's cap; past it the oldest events are dropped and counted." },
	{ "max_line", CFG_SIZE, "16k", 256, MIB, A(max_line), 0,
	    "Longer log lines are cut and counted." },
	{ "rules_dir", CFG_PATH, "/usr/local/share/vigil/rules.d", 0, 0, A(rules_dir), 0,
	    "The shipped detection rules (*.rules)." },
	{ "local_rules_dir", CFG_PATH, "/etc/vigil/rules.d", 0, 0, A(local_rules_dir), 0,
	    "Local rules: a rule here replaces or disables a shipped rule of the same id." },
	{ "language", CFG_STRING, "en", 0, 0, A(language), 0,
	    "The language of the agent's messages and of its events' summaries: en or vi." },
	{ NULL },
};

static const struct cfg_key collector_keys[] = {
	{ "address", CFG_STRING, NULL, 0, 0, C(address), 1,
	    "The collector's host name or IP address." },
	{ "port", CFG_INT, "7443", 1, 65535, C(port), 0, "The collector's TCP port." },
	{ "server_name", CFG_STRING, "", 0, 0, C(server_name), 0,
	    "The name the collector's certificate must carry (empty: address)." },
	{ "ca", CFG_PATH, NULL, 0, 0, C(ca), 1, "The CA that signs the collector (PEM)." },
	{ "cert", CFG_PATH, NULL, 0, 0, C(cert), 1, "This agent's certificate (PEM)." },
	{ "key", CFG_PATH, NULL, 0, 0, C(key), 1, "This agent's private key (PEM)." },
	{ "groups", CFG_STRING, TLS_GROUPS_DEFAULT, 0, 0, C(groups), 0,
	    "Key-exchange groups in order of preference." },
	{ "batch_max", CFG_INT, "500", 1, WIRE_MAX_BATCH, C(batch_max), 0,
	    "Events per batch (the collector may ask for fewer)." },
	{ "window", CFG_INT, "4", 1, 64, C(window), 0,
	    "Batches sent before an acknowledgement must come back." },
	{ "reconnect_min", CFG_DURATION, "1s", 10, 3600 * SEC, C(reconnect_min), 0,
	    "The first delay before reconnecting." },
	{ "reconnect_max", CFG_DURATION, "60s", 10, 86400 * SEC, C(reconnect_max), 0,
	    "The longest delay before reconnecting." },
	{ "reconnect_spread", CFG_DURATION, "30s", 0, 3600 * SEC, C(reconnect_spread), 0,
	    "After a working connection is lost, the first reconnect waits a random time up "
	    "to this." },
	{ "connect_timeout", CFG_DURATION, "10s", 100, 600 * SEC, C(connect_timeout), 0,
	    "TCP, TLS and the collector's welcome must fit in this." },
	{ "max_frame", CFG_SIZE, "1M", 64 * KIB, 64 * MIB, C(max_frame), 0,
	    "The largest frame sent or accepted." },
	{ "enroll_port", CFG_INT, "7444", 0, 65535, C(enroll_port), 0,
	    "The collector's enrolment port (same host): a PC whose certificate expired "
	    "re-enrols there with its old key; 0: never." },
	{ NULL },
};

static const struct cfg_key source_keys[] = {
	{ "path", CFG_PATH, NULL, 0, 0, S(path), 1, "The log file to follow." },
	{ NULL },
};

static const struct cfg_key journal_keys[] = {
	{ "directory", CFG_PATH, NULL, 0, 0, J(directory), 0,
	    "A journal directory to read (empty: the system journal)." },
	{ "units", CFG_STRING, "", 0, 0, J(units), 0,
	    "Only entries of these systemd units, space-separated (empty: any)." },
	{ "identifiers", CFG_STRING, "", 0, 0, J(identifiers), 0,
	    "Only entries with these syslog identifiers, space-separated (empty: any)." },
	{ NULL },
};

/* The sensors' checks run on these timers: the only timers of the agent. */
static const struct cfg_key antivirus_keys[] = {
	{ "provider", CFG_STRING, "none", 0, 0, AV(provider), 0,
	    "clamav, generic (name, process or unit, log, pattern) or none." },
	{ "clamd_socket", CFG_STRING, "/run/clamav/clamd.ctl", 0, 0, AV(clamd_socket), 0,
	    "clamd's Unix socket, or 127.0.0.1:PORT for its TCP socket." },
	{ "clamd_log", CFG_STRING, "/var/log/clamav/clamav.log", 0, 0, AV(clamd_log), 0,
	    "clamd's log, followed for FOUND lines (empty: none)." },
	{ "signature_max_age", CFG_DURATION, "3d", 3600 * SEC, 365 * 86400 * SEC,
	    AV(signature_max_age), 0, "Older signatures raise av.signatures_old." },
	{ "check_interval", CFG_DURATION, "5m", 100, 86400 * SEC, AV(check_interval), 0,
	    "How often the antivirus is checked (running, version, signatures)." },
	{ "name", CFG_STRING, "", 0, 0, AV(name), 0,
	    "generic: the product's name, as the posture reports it." },
	{ "process", CFG_STRING, "", 0, 0, AV(process), 0,
	    "generic: a process name (as in /proc/PID/comm) that must be running." },
	{ "unit", CFG_STRING, "", 0, 0, AV(unit), 0,
	    "generic: a systemd unit that must be active." },
	{ "log", CFG_STRING, "", 0, 0, AV(log), 0,
	    "generic: the product's detection log (empty: none)." },
	{ "pattern", CFG_STRING, "", 0, 0, AV(pattern), 0,
	    "generic: a literal text that marks a detection line in log." },
	{ NULL },
};

static const struct cfg_key updates_keys[] = {
	{ "enabled", CFG_BOOL, "no", 0, 0, UP(enabled), 0,
	    "Report pending updates, the last update and a required reboot." },
	{ "root", CFG_PATH, "/", 0, 0, UP(root), 0,
	    "The root the apt, dpkg and reboot files are read under (for tests)." },
	{ "check_interval", CFG_DURATION, "6h", 100, 7 * 86400 * SEC, UP(check_interval), 0,
	    "How often pending updates are counted (and shortly after dpkg runs)." },
	{ "apt_simulate", CFG_BOOL, "yes", 0, 0, UP(apt_simulate), 0,
	    "Count pending updates with a simulated upgrade (never while apt holds its lock)." },
	{ "apt_command", CFG_STRING, "apt-get -s -o Debug::NoLocking=1 upgrade", 0, 0,
	    UP(apt_command), 0, "The simulated upgrade, run with /bin/sh -c." },
	{ "package_events", CFG_BOOL, "yes", 0, 0, UP(package_events), 0,
	    "Packages installed and removed (dpkg.log) are events." },
	{ NULL },
};

/* [usb]: what is plugged in, and what may be. */
static const struct cfg_key usb_keys[] = {
	{ "enabled", CFG_BOOL, "yes", 0, 0, USB(enabled), 0,
	    "Report USB devices plugged in and removed (kernel uevents)." },
	{ "policy", CFG_STRING, "alert", 0, 0, USB(policy), 0,
	    "off (report only), alert (also flag what is not allowed) or block." },
	{ "sysfs_root", CFG_PATH, "/sys", 0, 0, USB(sysfs_root), 0,
	    "Where the devices' attributes are read (for tests)." },
	{ "allow", CFG_STRING, "", 0, 0, USB(allow), 0,
	    "Allowed devices, vendor:product[:serial] space-separated (vigil-agent --list-usb)." },
	{ "block_hid", CFG_BOOL, "no", 0, 0, USB(block_hid), 0,
	    "Block keyboards and mice that are not allowed too (risks locking people out)." },
	{ "insecure_accept_test_sender", CFG_BOOL, "no", 0, 0, USB(insecure_accept_test_sender),
	    0, "Tests only: believe uevents any local process sends. Never on a real machine." },
	{ NULL },
};

/* [windows]: read by the Windows agent only; Linux checks and ignores it. */
static const struct cfg_key windows_keys[] = {
	{ "audit_policy", CFG_STRING, "report", 0, 0, WIN(audit_policy), 0,
	    "The audit subcategories the rules need: off, report, or set (switch on what is off)." },
	{ "audit_check_interval", CFG_DURATION, "1h", 100, 7 * 86400 * SEC,
	    WIN(audit_check_interval), 0, "How often the audit policy is read (and set)." },
	{ NULL },
};

/* [eventlog]: the Windows Event Log, channel by channel, resumed from the spool's bookmarks. */
static const struct cfg_key eventlog_keys[] = {
	{ "enabled", CFG_BOOL, EVENTLOG_ENABLED, 0, 0, EL(enabled), 0,
	    "Read the Windows Event Log (EvtSubscribe; yes by default on Windows only)." },
	{ "channels", CFG_STRING, EVTLOG_DEFAULT_CHANNELS, 0, 0, EL(channels), 0,
	    "The channels, comma-separated, as Event Viewer names them." },
	{ "backlog", CFG_DURATION, "0s", 0, 366 * 86400 * SEC, EL(backlog), 0,
	    "On a channel's first run, read back this far (0s: only new events)." },
	{ NULL },
};

/*
 * [network]: the PC's own MAC addresses always go with the report (they are
 * the PC's, like its host name); the neighbours are other people's devices,
 * so they are off until the operator turns them on, on one or two PCs of
 * each office network: that is enough to see every device on it.
 */
static const struct cfg_key network_keys[] = {
	{ "neighbours", CFG_BOOL, "no", 0, 0, NET(neighbours), 0,
	    "Report the other devices this PC sees on its network (MAC, address, interface)." },
	{ "report_interval", CFG_DURATION, "10m", SEC, 86400 * SEC, NET(report_interval), 0,
	    "How often the MAC addresses (and the neighbours) are sent, besides each connection." },
	{ NULL },
};

static void *
journal_add(void *conf, const char *label)
{
	struct agent_conf *c = conf;
	struct agent_conf_journal *j;

	if (c->njournals >= AGENT_MAX_JOURNALS)
		return NULL;
	j = &c->journals[c->njournals++];
	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", label);
	return j;
}

static void *
journal_get(const void *conf, size_t i, const char **label)
{
	const struct agent_conf *c = conf;

	if (i >= c->njournals)
		return NULL;
	*label = c->journals[i].name;
	return (void *)(uintptr_t)&c->journals[i];
}

static void *
source_add(void *conf, const char *label)
{
	struct agent_conf *c = conf;
	struct agent_conf_source *s;

	if (c->nsources >= AGENT_MAX_SOURCES)
		return NULL;
	s = &c->sources[c->nsources++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", label);
	return s;
}

static void *
source_get(const void *conf, size_t i, const char **label)
{
	const struct agent_conf *c = conf;

	if (i >= c->nsources)
		return NULL;
	*label = c->sources[i].name;
	/* cfg_print() only reads through this pointer. */
	return (void *)(uintptr_t)&c->sources[i];
}

const struct cfg_section agent_conf_sections[] = {
	{ "agent", 0, agent_keys, offsetof(struct agent_conf, agent), NULL, NULL, 0 },
	{ "collector", 0, collector_keys, offsetof(struct agent_conf, collector), NULL, NULL, 1 },
	{ "source", 1, source_keys, 0, source_add, source_get, 0 },
	{ "journal", 1, journal_keys, 0, journal_add, journal_get, 0 },
	{ "antivirus", 0, antivirus_keys, offsetof(struct agent_conf, antivirus), NULL, NULL, 0 },
	{ "updates", 0, updates_keys, offsetof(struct agent_conf, updates), NULL, NULL, 0 },
	{ "usb", 0, usb_keys, offsetof(struct agent_conf, usb), NULL, NULL, 0 },
	{ "windows", 0, windows_keys, offsetof(struct agent_conf, windows), NULL, NULL, 0 },
	{ "eventlog", 0, eventlog_keys, offsetof(struct agent_conf, eventlog), NULL, NULL, 0 },
	{ "network", 0, network_keys, offsetof(struct agent_conf, network), NULL, NULL, 0 },
	{ NULL },
};

/*
 * The line of `key` in section [sect label] (key NULL: of the section's
 * header), or 0 when it is not in the file. cfg_load() has already read the
 * file cleanly, so a plain scan is enough to point errors at a line.
 */
unsigned
agent_conf_line(const char *path, const char *sect, const char *label, const char *key)
{
	struct ini_item it;
	struct ini *r;
	FILE *fp;
	unsigned found = 0;
	int in = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	if ((r = malloc(sizeof(*r))) == NULL) {
		fclose(fp);
		return 0;
	}
	ini_file(r, fp);
	while (ini_next(r, &it) != INI_END) {
		if (it.what == INI_SECTION) {
			in = strcmp(it.name, sect) == 0 && (label == NULL ? key == NULL ||
			    it.label[0] == '\0' : strcmp(it.label, label) == 0);
			if (in && key == NULL)
				found = it.line;
		} else if (it.what == INI_KEY && in && key != NULL && strcmp(it.name, key) == 0) {
			found = it.line;
		}
	}
	free(r);
	fclose(fp);
	return found;
}

static int
label_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > WIRE_MAX_SOURCE)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* The loader leaves the tables unzeroed (conf.h): nothing may follow them. */
_Static_assert(offsetof(struct agent_conf, journals) +
    sizeof(struct agent_conf_journal) * AGENT_MAX_JOURNALS + _Alignof(struct agent_conf) >
    sizeof(struct agent_conf),
    "struct agent_conf must end with its source and journal tables");

int
agent_conf_load(const char *path, struct agent_conf *conf, char *err, size_t errlen)
{
	const struct agent_conf_collector *c = &conf->collector;
	size_t i, j;
	int rc;

	memset(conf, 0, offsetof(struct agent_conf, sources));
	if ((rc = cfg_load(path, agent_conf_sections, conf, err, errlen)) != 0)
		return rc;

	/* Posture alone is a job too: a Windows PC without a log file to follow. */
	if (conf->nsources == 0 && conf->njournals == 0 && !conf->updates.enabled &&
	    !conf->eventlog.enabled && strcmp(conf->antivirus.provider, "none") == 0)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, 0, "%s", _("no [source NAME] or "
		    "[journal NAME] section, and [updates] and [antivirus] are off: the agent has "
		    "nothing to watch"));
	if (!i18n_known(conf->agent.language))
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "agent", NULL,
		    "language"), _("language \"%.16s\" has no catalog: en or vi"),
		    conf->agent.language);
	for (i = 0; i < conf->njournals; i++) {
		const char *name = conf->journals[i].name;

		if (!label_valid(name))
			return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path,
			    "journal", name, NULL), _("journal name \"%.64s\" must be 1 to %d "
			    "letters, digits, '.', '_' or '-'"), name, WIRE_MAX_SOURCE);
		for (j = 0; j < conf->nsources; j++)
			if (strcmp(conf->sources[j].name, name) == 0)
				return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path,
				    "journal", name, NULL), _("journal %s has the name of a "
				    "[source]; names must differ"), name);
	}
	for (i = 0; i < conf->nsources; i++) {
		const struct agent_conf_source *s = &conf->sources[i];

		if (!label_valid(s->name))
			return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "source",
			    s->name, NULL), _("source name \"%.64s\" must be 1 to %d letters, "
			    "digits, '.', '_' or '-'"), s->name, WIRE_MAX_SOURCE);
		for (j = 0; j < i; j++)
			if (strcmp(conf->sources[j].path, s->path) == 0)
				return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path,
				    "source", s->name, "path"), _("source %s follows %s, which "
				    "source %s already follows"), s->name, s->path,
				    conf->sources[j].name);
	}
	if (c->reconnect_min > c->reconnect_max)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "collector", NULL,
		    "reconnect_min"), _("reconnect_min (%lld ms) is greater than reconnect_max "
		    "(%lld ms)"), c->reconnect_min, c->reconnect_max);
	if (strcmp(conf->windows.audit_policy, "off") != 0 &&
	    strcmp(conf->windows.audit_policy, "report") != 0 &&
	    strcmp(conf->windows.audit_policy, "set") != 0)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "windows",
		    NULL, "audit_policy"), _("audit_policy \"%.16s\" is not off, report or set"),
		    conf->windows.audit_policy);
	if (c->address[0] == '\0')
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "collector", NULL,
		    "address"), "%s", _("address is empty"));
	/* Checked on every platform: a file is read the same everywhere. */
	{
		struct evtlog_channel *ch;
		char why[256];
		size_t n;

		if ((ch = calloc(EVTLOG_MAX_CHANNELS, sizeof(*ch))) == NULL)
			return err_at(err, errlen, VIGIL_ERR_NOMEM, path, 0, "%s", _("out of memory"));
		rc = evtlog_channels_parse(conf->eventlog.channels, ch, EVTLOG_MAX_CHANNELS, &n, why,
		    sizeof(why));
		free(ch);
		if (rc == 0 && n == 0 && conf->eventlog.enabled)
			rc = err_fmt(why, sizeof(why), VIGIL_ERR_INVAL, "%s",
			    _("channels is empty: name one, or set enabled = no"));
		if (rc != 0)
			return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path,
			    "eventlog", NULL, "channels"), "%s", why);
	}
	/* Each sensor checks its own sections. */
	for (i = 0; sensor_drivers[i] != NULL; i++)
		if (sensor_drivers[i]->check != NULL &&
		    (rc = sensor_drivers[i]->check(path, conf, err, errlen)) != 0)
			return rc;
	return 0;
}

void
agent_conf_print(FILE *fp, const struct agent_conf *conf)
{
	cfg_print(fp, agent_conf_sections, conf);
}
