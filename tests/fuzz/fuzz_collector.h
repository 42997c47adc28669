/*
 * A real collector for the fuzz targets of its message handling
 * (fuzz_collect.c) and its control socket (fuzz_ctl.c): the configuration's
 * defaults, an event base that is never dispatched, the writer's and the
 * main thread's stores on one SQLite file in a private directory (on tmpfs
 * when there is one: synchronous=FULL is then no disk wait), the incident
 * engine, the shipped escalation file and the control socket.
 *
 * Nothing runs the event loop, so no timer fires and no notification
 * leaves: what is exercised is what happens on the way in. No session
 * exists (session.c is driven by the network and is not linked into the
 * path), so every agent reads as not connected.
 *
 * fuzz_collector_reset() empties every table through a connection of its
 * own, so that each input starts from the same state and a finding replays
 * alone; the store keeps nothing between calls that this would contradict
 * (its audit chain is read back from the table). The correlator is made anew.
 */
#ifndef VIGIL_FUZZ_COLLECTOR_H
#define VIGIL_FUZZ_COLLECTOR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <sqlite3.h>

#include "vigil/json.h"
#include "vigil/log.h"
#include "../../collector/collector.h"
#include "../../collector/control.h"
#include "../../collector/escalate.h"
#include "../../collector/escalate_run.h"
#include "../../collector/incident.h"
#include "../../collector/store_enroll.h"

/* The fuzzers' clock: a fixed day, so that inputs replay alike. */
#define FUZZ_T0 1764000000000000LL
#define FUZZ_ESCALATION "deploy/escalation.conf.example"

struct fuzz_collector {
	struct collector *c;
	sqlite3 *raw;                    /* the harness's own connection, for the reset */
	char dir[64];
	char db[128];
	char sock[96];
};

static struct fuzz_collector fuzz_coll;

static void
fuzz_die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, why);
	abort();
}

static void
fuzz_collector_cleanup(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[160];

	if (fuzz_coll.c == NULL)
		return;
	sqlite3_close(fuzz_coll.raw);
	control_free(fuzz_coll.c->control);
	escalate_run_free(fuzz_coll.c);
	incident_free(fuzz_coll.c);
	store_free(fuzz_coll.c->store);
	store_free(fuzz_coll.c->wstore);
	event_base_free(fuzz_coll.c->base);
	free(fuzz_coll.c);
	fuzz_coll.c = NULL;
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", fuzz_coll.db, suffix[i]);
		unlink(p);
	}
	unlink(fuzz_coll.sock);
	rmdir(fuzz_coll.dir);
}

/* The escalation runtime from the configured file (none: escalation off). */
static void
fuzz_escalation_open(struct collector *c)
{
	struct escalate_conf *ec = NULL;
	char err[1024];

	if (escalate_run_load(&c->conf, &ec, err, sizeof(err)) != 0)
		fuzz_die("escalate_run_load", err);
	if (escalate_run_open(c, ec, err, sizeof(err)) != 0)
		fuzz_die("escalate_run_open", err);
}

/*
 * The collector, made on the first call. escalation: load the shipped file
 * (run from the top of the tree, as make test does).
 */
static struct collector *
fuzz_collector(int escalation)
{
	struct collector *c;
	char err[1024];

	if (fuzz_coll.c != NULL)
		return fuzz_coll.c;
	log_init("fuzz", 1, -1);
	snprintf(fuzz_coll.dir, sizeof(fuzz_coll.dir), "%s/vigil-fuzz.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(fuzz_coll.dir) == NULL)
		fuzz_die("mkdtemp", fuzz_coll.dir);
	snprintf(fuzz_coll.db, sizeof(fuzz_coll.db), "%s/collector.db", fuzz_coll.dir);
	snprintf(fuzz_coll.sock, sizeof(fuzz_coll.sock), "%s/control.sock", fuzz_coll.dir);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fuzz_die("calloc", "out of memory");
	fuzz_coll.c = c;
	atexit(fuzz_collector_cleanup);
	conf_defaults(&c->conf);
	snprintf(c->conf.collector.database, sizeof(c->conf.collector.database), "%s",
	    fuzz_coll.db);
	snprintf(c->conf.collector.control_socket, sizeof(c->conf.collector.control_socket),
	    "%s", fuzz_coll.sock);
	c->conf.collector.control_group[0] = '\0';
	if (escalation)
		snprintf(c->conf.collector.escalation, sizeof(c->conf.collector.escalation), "%s",
		    FUZZ_ESCALATION);
	c->started_us = FUZZ_T0;
	if ((c->base = event_base_new()) == NULL)
		fuzz_die("event_base_new", "failed");
	if ((c->wstore = store_open(fuzz_coll.db, err, sizeof(err))) == NULL ||
	    (c->store = store_open(fuzz_coll.db, err, sizeof(err))) == NULL)
		fuzz_die("store_open", err);
	/* As main.c: the enrolment and inventory tables (compliance reads them). */
	if (store_enroll_init(c->store) != 0)
		fuzz_die("store_enroll_init", store_errmsg(c->store));
	store_set_reopen_window(c->wstore, c->conf.collector.reopen_window * 1000);
	store_set_reopen_window(c->store, c->conf.collector.reopen_window * 1000);
	if (sqlite3_open(fuzz_coll.db, &fuzz_coll.raw) != SQLITE_OK)
		fuzz_die("sqlite3_open", sqlite3_errmsg(fuzz_coll.raw));
	sqlite3_busy_timeout(fuzz_coll.raw, 5000);
	if (incident_init(c) != 0)
		fuzz_die("incident_init", "out of memory");
	fuzz_escalation_open(c);
	if ((c->control = control_open(c, err, sizeof(err))) == NULL)
		fuzz_die("control_open", err);
	return c;
}

static int
fuzz_table_name(void *arg, int n, char **v, char **names)
{
	char ***out = arg;
	size_t k = 0;

	(void)n;
	(void)names;
	while ((*out)[k] != NULL)
		k++;
	if (k < 63 && v[0] != NULL && ((*out)[k] = strdup(v[0])) == NULL)
		fuzz_die("strdup", "out of memory");
	return 0;
}

/* Every row of every table gone (ids start again at 1: no AUTOINCREMENT); the schema stays. */
static void
fuzz_collector_reset(void)
{
	static char *tables[64];
	static int listed;
	struct collector *c = fuzz_coll.c;
	char *errmsg = NULL, sql[128];
	char **p = tables;

	if (!listed) {
		if (sqlite3_exec(fuzz_coll.raw, "SELECT name FROM sqlite_master WHERE type = "
		    "'table' AND name NOT LIKE 'sqlite_%'", fuzz_table_name, &p, &errmsg) !=
		    SQLITE_OK)
			fuzz_die("listing the tables", errmsg);
		listed = 1;
	}
	/* Foreign keys are off on this connection: the order does not matter. */
	if (sqlite3_exec(fuzz_coll.raw, "BEGIN IMMEDIATE", NULL, NULL, &errmsg) != SQLITE_OK)
		fuzz_die("BEGIN", errmsg);
	for (size_t i = 0; tables[i] != NULL; i++) {
		/* Names from the schema itself, not from an input. */
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", tables[i]);
		if (sqlite3_exec(fuzz_coll.raw, sql, NULL, NULL, &errmsg) != SQLITE_OK)
			fuzz_die(sql, errmsg);
	}
	if (sqlite3_exec(fuzz_coll.raw, "COMMIT", NULL, NULL, &errmsg) != SQLITE_OK)
		fuzz_die("emptying the store", errmsg);
	incident_free(c);
	if (incident_init(c) != 0)
		fuzz_die("incident_init", "out of memory");
	/* The escalation keeps the states of open incidents in memory: start it anew too. */
	escalate_run_free(c);
	fuzz_escalation_open(c);
}

/*
 * One control request (a whole line, its "\n" included) as `role`: every
 * line of the answer must be a JSON object vigilctl accepts, and when
 * must_be_true names a member, it must be true in every line that has it.
 * Returns 1 when the answer is an {"error":...} line, 0 otherwise.
 */
static int
fuzz_ctl_check(enum role role, const char *line, size_t len, const char *must_be_true)
{
	struct evbuffer *in = evbuffer_new(), *out = evbuffer_new();
	struct json_object *obj;
	size_t n, at = 0;
	char *text, *nl, err[256];
	int error = 0;

	if (in == NULL || out == NULL)
		fuzz_die("evbuffer_new", "out of memory");
	evbuffer_add(in, line, len);
	if (control_serve(fuzz_coll.c->control, role, "fuzz", in, out) == 0) {
		/* An incomplete line: the client then closes, and nothing is answered. */
		if (evbuffer_get_length(out) != 0)
			fuzz_die("control_serve", "an answer to an incomplete request");
		evbuffer_free(in);
		evbuffer_free(out);
		return 0;
	}
	n = evbuffer_get_length(out);
	if ((text = malloc(n + 1)) == NULL)
		fuzz_die("malloc", "out of memory");
	evbuffer_remove(out, text, n);
	text[n] = '\0';
	/* To look at what a corpus file gets: FUZZ_DEBUG=1 build/tests/replay_fuzz_ctl FILE */
	if (getenv("FUZZ_DEBUG") != NULL)
		fprintf(stderr, "as %s:\n%s", roles_name(role), text);
	while (at < n) {
		if ((nl = memchr(text + at, '\n', n - at)) == NULL)
			fuzz_die("control answer", "a line without its newline");
		if ((size_t)(nl - (text + at)) > JSON_MAX_INPUT)
			fuzz_die("control answer", "a line longer than vigilctl reads");
		if (json_parse(text + at, (size_t)(nl - (text + at)), &obj, err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz: line: %.*s\n", (int)(nl - (text + at)), text + at);
			fuzz_die("control answer is not JSON vigilctl accepts", err);
		}
		if (json_get(obj, "error") != NULL)
			error = 1;
		if (must_be_true != NULL && json_get(obj, must_be_true) != NULL &&
		    strcmp(json_get(obj, must_be_true)->str, "true") != 0) {
			fprintf(stderr, "fuzz: line: %.*s\n", (int)(nl - (text + at)), text + at);
			fuzz_die(must_be_true, "not true");
		}
		json_free(obj);
		at = (size_t)(nl - text) + 1;
	}
	free(text);
	evbuffer_free(in);
	evbuffer_free(out);
	return error;
}

static int
fuzz_ctl_request(enum role role, const char *line, size_t len)
{
	return fuzz_ctl_check(role, line, len, NULL);
}

#endif
