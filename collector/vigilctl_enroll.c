/*
 * vigilctl's commands of enrolment and of an identity's life (issue 15):
 *
 *   enroll create --unit U [--uses N] [--expires DURATION]
 *   enroll list | enroll cancel ID
 *   agent revoke ID --reason TEXT | agent retire ID
 *
 * Each sends one control request (common/ctl.c gives its role) and prints
 * the answer for people; the token is printed once, with the command a PC
 * runs to use it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "vigil/i18n.h"
#include "vigil/json.h"
#include "vigil/mac.h"
#include "vigil/text.h"

#include "vigilctl.h"

/* A one-line text argument: no tab, no newline (the request's separators). */
static const char *
line_arg(const char *what, const char *v)
{
	if (v[0] == '\0' || strpbrk(v, "\t\r\n") != NULL)
		usage_error(_("%s wants one line of text without tabs."), what);
	return v;
}

static long long
token_id(const char *s)
{
	long long id;

	if (text_parse_ll(s, 1, LLONG_MAX, &id) != 0)
		usage_error(_("enroll cancel wants a token number, as \"vigilctl enroll list\" shows "
		            "it."));
	return id;
}

int
cmd_enroll(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	const char *unit = NULL, *action;
	long long uses = 0, ms = 0;
	int c;

	while ((c = next_opt(cmd, o, argc, argv)) != -1) {
		switch (c) {
		case 'u':
			unit = line_arg("--unit", optarg);
			break;
		case 'n':
			if (text_parse_ll(optarg, 1, 100000, &uses) != 0)
				usage_error(_("--uses wants a number of uses from 1 to 100000."));
			break;
		case 'e':
			if (text_parse_duration_ms(optarg, &ms) != 0 || ms < 60000 ||
			    ms > 365LL * 24 * 3600 * 1000)
				usage_error(_("--expires wants a duration from 1m to 365d (72h, 7d)."));
			break;
		}
	}
	if (optind >= argc)
		usage_error(_("enroll wants an action: create, list or cancel."));
	action = argv[optind];
	if (strcmp(action, "create") == 0) {
		if (optind + 1 != argc)
			usage_error(_("%s: unexpected argument: %s."), "enroll create", argv[optind + 1]);
		if (unit == NULL)
			usage_error(_("enroll create wants --unit U: the unit the PCs belong to."));
		req_add(&req, NULL, "enroll-create");
		req_add(&req, "unit", unit);
		if (uses > 0)
			req_add_ll(&req, "uses", uses);
		if (ms > 0)
			req_add_ll(&req, "expires", ms / 1000);
	} else if (strcmp(action, "list") == 0 || strcmp(action, "cancel") == 0) {
		if (unit != NULL || uses > 0 || ms > 0)
			usage_error(_("--unit, --uses and --expires go with enroll create only."));
		if (action[0] == 'l') {
			if (optind + 1 != argc)
				usage_error(_("%s: unexpected argument: %s."), "enroll list",
				            argv[optind + 1]);
			req_add(&req, NULL, "enroll-list");
		} else {
			if (optind + 2 != argc)
				usage_error(_("usage: vigilctl enroll cancel ID"));
			req_add(&req, NULL, "enroll-cancel");
			req_add_ll(&req, "id", token_id(argv[optind + 1]));
		}
	} else
		usage_error(_("enroll: unknown action %s; use create, list or cancel."), action);
	talk(o, &req, &r);
	if (!o->json) {
		if (action[0] == 'c' && action[1] == 'r' && r.n > 0) {
			const struct json_object *t = r.obj[0];
			const char *port = val(t, "enroll_port");

			print_kv(t);
			putchar('\n');
			printf(_("On each PC, as root (HOST: this collector's address):\n"
			         "  vigil-agent -f /etc/vigil/agent.conf --enroll HOST:%s --token %s\n"),
			       strcmp(port, "0") == 0 ? "7444" : port, val(t, "token"));
			if (strcmp(port, "0") == 0)
				puts(_("Enrolment is off on this collector: set enroll_port and ca_key in "
				       "its configuration."));
		} else if (action[0] == 'l') {
			if (r.n == 0)
				puts(_("No enrolment tokens yet."));
			else
				print_tokens(&r);
		} else if (r.n > 0)
			print_kv(r.obj[0]);
	}
	reply_free(&r);
	return 0;
}

/* One CSV field, spaces around it trimmed, in place; NULL at the end of the line. */
static char *
csv_field(char **p)
{
	char *s = *p, *e;

	if (s == NULL)
		return NULL;
	if ((e = strchr(s, ',')) != NULL) {
		*e = '\0';
		*p = e + 1;
	} else
		*p = NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

#define IMPORT_MAX_LINES 100000
#define IMPORT_MAX_UNITS 256

/*
 * inventory import FILE.csv: "unit,name[,mac]" a line (a first line naming
 * the columns is skipped); each unit's list is replaced by the file's. The
 * whole file is read twice: first every line is checked, by us and by the
 * collector (check=1: nothing stored), so that a mistake in line 20 stops
 * the import before any unit's list was replaced; then it is imported.
 */
static int
inventory_import(struct opts *o, const char *file)
{
	char line[1024], *units[IMPORT_MAX_UNITS], canon[MAC_STR_LEN + 1], where[PATH_MAX + 32];
	size_t nunits = 0, nlines, npcs = 0;
	struct opts quiet = *o;
	FILE *fp = fopen(file, "r");

	if (fp == NULL)
		die(EXIT_DAEMON, _("Cannot open %s: %s."), file, strerror(errno));
	quiet.json = 0;         /* the checking pass prints nothing */
	talk_where = where;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && fseek(fp, 0, SEEK_SET) != 0)
			die(EXIT_DAEMON, _("Cannot read %s again: %s."), file, strerror(errno));
		for (size_t i = 0; i < nunits; i++)
			free(units[i]);
		nunits = nlines = npcs = 0;
		while (fgets(line, sizeof(line), fp) != NULL) {
			struct request req = {.len = 0};
			struct reply r = {0};
			char *p = line, *unit, *name, *mac;
			size_t k;
			int first = 0;

			if (++nlines > IMPORT_MAX_LINES)
				die(EXIT_DAEMON, _("%s: more than %d lines."), file, IMPORT_MAX_LINES);
			snprintf(where, sizeof(where), "%s:%zu", file, nlines);
			if (strchr(line, '\n') == NULL && !feof(fp))
				die(EXIT_DAEMON, _("%s:%zu: the line is longer than %zu bytes."), file,
				    nlines, sizeof(line) - 2);
			if (strpbrk(line, "\"\t") != NULL)
				die(EXIT_DAEMON, _("%s:%zu: quotes and tabs are not read; write "
				    "unit,name,mac."), file, nlines);
			unit = csv_field(&p);
			name = csv_field(&p);
			mac = csv_field(&p);
			if (unit[0] == '\0' && name == NULL)
				continue;
			if (nlines == 1 && strcasecmp(unit, "unit") == 0)
				continue;
			if (name == NULL || unit[0] == '\0' || name[0] == '\0' || csv_field(&p) != NULL)
				die(EXIT_DAEMON, _("%s:%zu: want unit,name or unit,name,mac."), file,
				    nlines);
			/* Stored in one form (mac.h); a MAC that is none stops the import at its line. */
			if (mac != NULL && mac[0] != '\0' && mac_normalize(mac, canon) != 0)
				die(EXIT_DAEMON, _("%s:%zu: %s is not a MAC address (write "
				    "aa:bb:cc:dd:ee:ff)."), file, nlines, mac);
			for (k = 0; k < nunits && strcmp(units[k], unit) != 0; k++)
				;
			if (k == nunits) {
				if (nunits == IMPORT_MAX_UNITS ||
				    (units[nunits] = strdup(unit)) == NULL)
					die(EXIT_DAEMON, _("%s: more than %d units."), file,
					    IMPORT_MAX_UNITS);
				nunits++;
				first = 1;       /* the unit's list is replaced by the file's */
			}
			req_add(&req, NULL, "inventory-pc");
			req_add(&req, "unit", unit);
			req_add(&req, "name", name);
			if (mac != NULL && mac[0] != '\0')
				req_add(&req, "mac", mac);
			if (first)
				req_add(&req, "first", "1");
			if (pass == 0)
				req_add(&req, "check", "1");
			talk(pass == 0 ? &quiet : o, &req, &r);
			reply_free(&r);
			npcs++;
		}
		if (ferror(fp))
			die(EXIT_DAEMON, _("Cannot read %s: %s."), file, strerror(errno));
	}
	talk_where = NULL;
	fclose(fp);
	if (!o->json)
		printf(_("%zu PCs of %zu units imported from %s.\n"), npcs, nunits, file);
	for (size_t i = 0; i < nunits; i++)
		free(units[i]);
	return 0;
}

/*
 * inventory ignore MAC [--note TEXT] | unignore MAC | ignored: the devices
 * seen on the network that are not PCs (issue 15).
 */
static int
inventory_ignore(struct opts *o, const char *action, int argc, char **argv, const char *note)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	int list = strcmp(action, "ignored") == 0;

	if (optind + (list ? 1 : 2) != argc)
		usage_error(list ? _("usage: vigilctl inventory ignored") :
		            _("usage: vigilctl inventory ignore|unignore MAC [--note TEXT]"));
	req_add(&req, NULL, list ? "inventory-ignored" : "inventory-ignore");
	if (!list) {
		req_add(&req, "mac", argv[optind + 1]);
		if (note != NULL)
			req_add(&req, "note", note);
		if (strcmp(action, "unignore") == 0)
			req_add(&req, "undo", "1");
	}
	talk(o, &req, &r);
	if (!o->json) {
		if (list && r.n == 0)
			puts(_("No MAC is marked not a PC."));
		for (size_t i = 0; i < r.n; i++)
			print_kv(r.obj[i]);
	}
	reply_free(&r);
	return 0;
}

int
cmd_inventory(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	const char *unit = NULL, *action, *note = NULL;
	long long count = -1;
	int c;

	while ((c = next_opt(cmd, o, argc, argv)) != -1) {
		if (c == 'u')
			unit = line_arg("--unit", optarg);
		else if (c == 'N')
			note = line_arg("--note", optarg);
		else if (c == 'n' && text_parse_ll(optarg, 0, 100000, &count) != 0)
			usage_error(_("--count wants a number of PCs from 0 to 100000."));
	}
	if (optind >= argc)
		usage_error(_("inventory wants an action: set, import, ignore, unignore or ignored."));
	action = argv[optind];
	if (strcmp(action, "set") != 0 && (unit != NULL || count >= 0))
		usage_error(_("--unit and --count go with inventory set only."));
	if (note != NULL && strcmp(action, "ignore") != 0)
		usage_error(_("--note goes with inventory ignore only."));
	if (strcmp(action, "ignore") == 0 || strcmp(action, "unignore") == 0 ||
	    strcmp(action, "ignored") == 0)
		return inventory_ignore(o, action, argc, argv, note);
	if (strcmp(action, "import") == 0) {
		if (optind + 2 != argc)
			usage_error(_("usage: vigilctl inventory import FILE.csv"));
		return inventory_import(o, argv[optind + 1]);
	}
	if (strcmp(action, "set") != 0)
		usage_error(_("inventory: unknown action %s; use set, import, ignore, unignore or "
		              "ignored."), action);
	if (optind + 1 != argc)
		usage_error(_("%s: unexpected argument: %s."), "inventory set", argv[optind + 1]);
	if (unit == NULL || count < 0)
		usage_error(_("inventory set wants --unit U and --count N."));
	req_add(&req, NULL, "inventory-set");
	req_add(&req, "unit", unit);
	req_add_ll(&req, "count", count);
	talk(o, &req, &r);
	if (!o->json && r.n > 0)
		print_kv(r.obj[0]);
	reply_free(&r);
	return 0;
}

/* Copy src to dir/name with mode, never over a file. 0 or -1 (errno). */
static int
copy_file(const char *src, const char *dir, const char *name, mode_t mode)
{
	char dst[PATH_MAX], buf[16384];
	ssize_t n;
	int in, out, rc = 0;

	if (snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -1;
			break;
		}
	if (n < 0 || fchmod(out, mode) != 0 || fsync(out) != 0)
		rc = -1;
	OPENSSL_cleanse(buf, sizeof(buf));
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

/*
 * backup DIR: the collector copies its database into the new DIR (online, while
 * it runs); then the PKI it names is copied here, as root, into DIR/pki.
 */
int
cmd_backup(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	static const struct {
		const char *key;
		mode_t mode;
	} pki[] = { { "ca", 0644 }, { "cert", 0644 }, { "key", 0600 }, { "ca_key", 0600 } };
	struct request req = {.len = 0};
	struct reply r = {0};
	char dir[PATH_MAX], parent[PATH_MAX], sub[PATH_MAX + 8], *slash;
	const char *base;
	size_t ncopied = 0;

	while (next_opt(cmd, o, argc, argv) != -1)
		;
	if (optind + 1 != argc)
		usage_error(_("usage: vigilctl backup DIR"));
	/* The collector needs an absolute path: the parent resolved here, the name kept. */
	snprintf(parent, sizeof(parent), "%s", argv[optind]);
	while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
		parent[strlen(parent) - 1] = '\0';
	if ((slash = strrchr(parent, '/')) == NULL) {
		base = parent;
		if (getcwd(dir, sizeof(dir)) == NULL)
			die(EXIT_DAEMON, _("Cannot read the current directory: %s."), strerror(errno));
		snprintf(sub, sizeof(sub), "%s", dir);
	} else {
		*slash = '\0';
		base = slash + 1;
		if (realpath(parent[0] != '\0' ? parent : "/", sub) == NULL)
			die(EXIT_DAEMON, _("Cannot find %s: %s."), parent[0] != '\0' ? parent : "/",
			    strerror(errno));
	}
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		usage_error(_("backup wants the name of a new directory."));
	if (snprintf(dir, sizeof(dir), "%s/%s", strcmp(sub, "/") == 0 ? "" : sub, base) >=
	    (int)sizeof(dir))
		die(EXIT_DAEMON, "%s", _("The backup directory's path is too long."));
	req_add(&req, NULL, "backup");
	req_add(&req, "dir", dir);
	talk(o, &req, &r);
	if (r.n == 0)
		die(EXIT_DAEMON, "%s", _("The collector gave no answer about the backup."));
	snprintf(sub, sizeof(sub), "%s/pki", dir);
	if (mkdir(sub, 0700) != 0)
		die(EXIT_DAEMON, _("Cannot make %s: %s."), sub, strerror(errno));
	for (size_t i = 0; i < sizeof(pki) / sizeof(pki[0]) * 3; i++) {
		/* Each file, then a CA rotation's (pki_rotate.h): its .next, and its state. */
		static const char *const suffix[] = { "", ".next", ".rotation" };
		const char *of = val(r.obj[0], pki[i / 3].key), *name;
		char src[PATH_MAX], nm[PATH_MAX];

		if (of[0] == '\0' || strcmp(of, "-") == 0 ||
		    (i % 3 == 2 && strcmp(pki[i / 3].key, "ca") != 0))
			continue;
		snprintf(src, sizeof(src), "%s%s", of, suffix[i % 3]);
		if (i % 3 != 0 && access(src, F_OK) != 0)
			continue;
		name = strrchr(src, '/') != NULL ? strrchr(src, '/') + 1 : src;
		snprintf(nm, sizeof(nm), "%s", name);
		if (copy_file(src, sub, nm, i % 3 == 2 ? 0600 : pki[i / 3].mode) != 0)
			die(EXIT_DAEMON, _("The database is saved in %s, but %s cannot be copied: %s."),
			    dir, src, strerror(errno));
		ncopied++;
	}
	if (o->json)
		; /* the collector's line was printed */
	else
		printf(_("Backup in %s: the database (%s bytes) and %zu PKI files. Keep it where the "
		         "CA key is safe.\n"), dir, val(r.obj[0], "bytes"), ncopied);
	reply_free(&r);
	return 0;
}

int
cmd_agent(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	const char *reason = NULL, *action;
	int c;

	while ((c = next_opt(cmd, o, argc, argv)) != -1)
		if (c == 'r')
			reason = line_arg("--reason", optarg);
	if (optind >= argc)
		usage_error(_("agent wants an action: revoke or retire."));
	action = argv[optind];
	if (strcmp(action, "reenroll-newcomer") == 0) {
		if (reason != NULL)
			usage_error(_("--reason goes with agent revoke only."));
		if (optind + 2 != argc)
			usage_error(_("usage: vigilctl agent %s ID"), action);
		req_add(&req, NULL, "agent-reenroll");
		req_add(&req, "agent", name_opt("ID", argv[optind + 1]));
		talk(o, &req, &r);
		if (!o->json && r.n > 0) {
			const char *port = val(r.obj[0], "enroll_port");

			print_kv(r.obj[0]);
			putchar('\n');
			printf(_("The machine connected keeps %s. On the other one (the newcomer), as "
			         "root: remove its copied key, then\n  vigil-agent -f "
			         "/etc/vigil/agent.conf --enroll HOST:%s --token %s\n"),
			       argv[optind + 1], strcmp(port, "0") == 0 ? "7444" : port,
			       val(r.obj[0], "token"));
		}
		reply_free(&r);
		return 0;
	}
	if (strcmp(action, "revoke") != 0 && strcmp(action, "retire") != 0)
		usage_error(_("agent: unknown action %s; use revoke, retire or reenroll-newcomer."),
		            action);
	if (optind + 2 != argc)
		usage_error(_("usage: vigilctl agent %s ID"), action);
	if (action[2] == 'v' && reason == NULL)
		usage_error(_("agent revoke wants --reason TEXT: why it is cut off (kept in the "
		            "audit trail)."));
	if (action[2] == 't' && reason != NULL)
		usage_error(_("--reason goes with agent revoke only."));
	req_add(&req, NULL, action[2] == 'v' ? "agent-revoke" : "agent-retire");
	req_add(&req, "agent", name_opt("ID", argv[optind + 1]));
	if (reason != NULL)
		req_add(&req, "reason", reason);
	talk(o, &req, &r);
	if (!o->json && r.n > 0)
		print_kv(r.obj[0]);
	reply_free(&r);
	return 0;
}
