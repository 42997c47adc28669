/* The collector's configuration table. */
#include <stddef.h>
#include <stdio.h>

#include "vigil/config.h"
#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/tls.h"

#include "conf.h"

#define SEC 1000LL
#define KEY(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct collector_conf, f), \
	    sizeof(((struct collector_conf *)0)->f), 0, h }
#define NUM(n, t, d, lo, hi, f, h) \
	{ n, t, d, lo, hi, offsetof(struct collector_conf, f), 0, 0, h }

static const struct cfg_key collector_keys[] = {
	KEY("listen", CFG_STRING, "0.0.0.0", 0, 0, listen,
	    "Address agents connect to."),
	NUM("port", CFG_INT, "7443", 0, 65535, port,
	    "TCP port agents connect to; 0 picks any free port."),
	KEY("ca", CFG_PATH, "/etc/vigil/pki/ca.crt", 0, 0, ca,
	    "CA certificate that signs agent certificates."),
	KEY("cert", CFG_PATH, "/etc/vigil/pki/collector.crt", 0, 0, cert,
	    "The collector's certificate."),
	KEY("key", CFG_PATH, "/etc/vigil/pki/collector.key", 0, 0, key,
	    "The collector's private key."),
	KEY("groups", CFG_STRING, TLS_GROUPS_DEFAULT, 0, 0, groups,
	    "TLS key-exchange groups in order of preference."),
	KEY("database", CFG_PATH, "/var/lib/vigil/vigil.db", 0, 0, database,
	    "The event store (SQLite)."),
	KEY("control_socket", CFG_PATH, CTL_SOCKET_DEFAULT, 0, 0, control_socket,
	    "Unix socket vigilctl talks to."),
	KEY("control_group", CFG_STRING, NULL, 0, 0, control_group,
	    "Members of this group may use the control socket."),
	KEY("user", CFG_STRING, NULL, 0, 0, user,
	    "When started as root, drop to this user after opening files."),
	NUM("max_connections", CFG_INT, "1000", 1, 100000, max_connections,
	    "Agent connections served at once; more are closed at once."),
	NUM("handshake_timeout", CFG_DURATION, "10s", 100, 5 * 60 * SEC, handshake_timeout,
	    "Time allowed for the TLS handshake."),
	NUM("idle_timeout", CFG_DURATION, "90s", SEC, 24 * 3600 * SEC, idle_timeout,
	    "A session silent this long is closed."),
	NUM("heartbeat", CFG_DURATION, "30s", SEC, 3600 * SEC, heartbeat,
	    "How often agents are asked to send a heartbeat."),
	NUM("max_frame", CFG_SIZE, "1M", 4096, 64LL * 1024 * 1024, max_frame,
	    "Largest frame accepted from an agent."),
	NUM("max_pending", CFG_SIZE, "4M", 64 * 1024, 1024LL * 1024 * 1024, max_pending,
	    "Stop reading from an agent while its batches awaiting the disk take this much memory."),
	NUM("max_pending_total", CFG_SIZE, "32M", 1024 * 1024, 64LL * 1024 * 1024 * 1024,
	    max_pending_total,
	    "Stop reading from every agent while all batches awaiting the disk take this much "
	    "memory."),
	{ NULL },
};

static const struct cfg_section sections[] = {
	{ "collector", 0, collector_keys, offsetof(struct conf, collector), NULL, NULL, 1 },
	{ NULL },
};

void
conf_defaults(struct conf *c)
{
	cfg_defaults(sections, c);
}

static void
fmt_ms(char *buf, size_t len, long long ms)
{
	if (ms % SEC == 0)
		snprintf(buf, len, "%llds", ms / SEC);
	else
		snprintf(buf, len, "%lldms", ms);
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	const struct collector_conf *cc = &c->collector;
	char a[32], b[32];
	int rc;

	if ((rc = cfg_load(path, sections, c, err, errlen)) != 0)
		return rc;
	/* Checks across keys have no single line to point at. */
	if (cc->idle_timeout <= cc->heartbeat) {
		fmt_ms(a, sizeof(a), cc->idle_timeout);
		fmt_ms(b, sizeof(b), cc->heartbeat);
		snprintf(err, errlen, "%s: idle_timeout (%s) must be longer than heartbeat (%s)",
		    path, a, b);
		return VIGIL_ERR_CONFIG;
	}
	if (cc->listen[0] == '\0') {
		snprintf(err, errlen, "%s: listen must not be empty", path);
		return VIGIL_ERR_CONFIG;
	}
	if (cc->groups[0] == '\0') {
		snprintf(err, errlen, "%s: groups must not be empty", path);
		return VIGIL_ERR_CONFIG;
	}
	return 0;
}

void
conf_print(FILE *fp, const struct conf *c)
{
	cfg_print(fp, sections, c);
}
