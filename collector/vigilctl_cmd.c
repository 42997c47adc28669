/*
 * vigilctl's commands: each one's handler parses its own options (with the
 * table's getopt strings), builds the request, and prints the answer.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/json.h"
#include "vigil/names.h"
#include "vigil/pki.h"
#include "vigil/text.h"
#include "vigil/tls.h"

#include "vigilctl.h"

int
cmd_status(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct reply r = {0};

	talk_plain(cmd, o, argc, argv, &r);
	if (!o->json) {
		if (r.n == 0)
			die(EXIT_DAEMON, _("The collector sent no status."));
		for (size_t i = 0; i < r.n; i++)
			print_kv(r.obj[i]);
	}
	reply_free(&r);
	return 0;
}

int
cmd_agents(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct reply r = {0};

	talk_plain(cmd, o, argc, argv, &r);
	if (!o->json) {
		if (r.n == 0)
			puts(_("No agents are known yet."));
		else
			print_agents(&r);
	}
	reply_free(&r);
	return 0;
}

static void
print_events_all(const struct reply *r)
{
	print_events(r, 0);
}

int
cmd_events(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	struct filter f = { -1, -1, NULL, NULL, -1, NULL, NULL };
	struct time_value since = { 0, 0, "" }, until = { 0, 0, "" };
	const char *agent = NULL;
	int c, follow_on = 0;

	while ((c = next_opt(cmd, o, argc, argv)) != -1) {
		switch (c) {
		case 's':
			time_arg("--since", optarg, &since);
			break;
		case 'U':
			time_arg("--until", optarg, &until);
			break;
		case 'a':
			if (tls_id_valid(optarg) != 0)
				usage_error(
				    _("An agent id is 1 to 64 letters, digits, '.', '_' or '-'."));
			agent = optarg;
			break;
		case 'f':
			follow_on = 1;
			break;
		default:
			filter_opt(&f, c, optarg);
			break;
		}
	}
	no_more_args(argc, argv);
	if (time_before(&until, &since))
		usage_error(_("--until is before --since."));
	req_add(&req, NULL, "events");
	if (since.wall[0] != '\0')
		req_add(&req, "since", since.wall);
	else if (since.given)
		req_add_ll(&req, "since", since.us);
	if (until.wall[0] != '\0')
		req_add(&req, "until", until.wall);
	else if (until.given)
		req_add_ll(&req, "until", until.us);
	if (agent != NULL)
		req_add(&req, "agent", agent);
	if (f.cat >= 0)
		req_add(&req, "category", category_name(f.cat));
	if (f.sev >= 0)
		req_add(&req, "severity", severity_name(f.sev));
	if (f.field != NULL)
		req_add(&req, "field", f.field);
	if (f.grep != NULL)
		req_add(&req, "grep", f.grep);
	if (follow_on) {
		if (until.given)
			usage_error(_("--follow and --until do not go together."));
		return follow(o, &req, f.limit, print_events_all);
	}
	if (f.limit >= 0)
		req_add_ll(&req, "limit", f.limit);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			puts(_("No events match."));
		else
			print_events(&r, 0);
		if (r.n > 0 && (long long)r.n == (f.limit >= 0 ? f.limit : 100)) {
			fputs("vigilctl: ", stderr);
			fprintf(stderr, _("Showing %zu events, the limit; use --limit or --since to "
			        "see others."), r.n);
			fputc('\n', stderr);
		}
	}
	reply_free(&r);
	return 0;
}

/* ---- incidents, audit, escalation ---- */

int
cmd_incidents(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	struct filter f = { -1, -1, NULL, NULL, -1, NULL, NULL };
	const char *status = "open", *assignee = NULL;
	int c, mine = 0, follow_on = 0;

	while ((c = next_opt(cmd, o, argc, argv)) != -1) {
		switch (c) {
		case 'A':
			status = "all";
			break;
		case 't':
			status = name_opt("--status", optarg);
			break;
		case 'a':
			assignee = name_opt("--assignee", optarg);
			break;
		case 'm':
			mine = 1;
			break;
		case 'f':
			follow_on = 1;
			break;
		default:
			filter_opt(&f, c, optarg);
			break;
		}
	}
	no_more_args(argc, argv);
	if (mine && assignee != NULL)
		usage_error(_("--mine and --assignee are one filter; give one of them."));
	req_add(&req, NULL, "incidents");
	req_add(&req, "status", status);
	if (f.sev >= 0)
		req_add(&req, "severity", severity_name(f.sev));
	if (f.cat >= 0)
		req_add(&req, "category", category_name(f.cat));
	if (f.unit != NULL)
		req_add(&req, "unit", f.unit);
	if (f.host != NULL)
		req_add(&req, "host", f.host);
	if (assignee != NULL)
		req_add(&req, "assignee", assignee);
	if (mine)
		req_add(&req, "mine", "1");
	if (f.field != NULL)
		req_add(&req, "field", f.field);
	if (f.grep != NULL)
		req_add(&req, "grep", f.grep);
	if (follow_on)
		return follow(o, &req, f.limit, print_incidents);
	if (f.limit >= 0)
		req_add_ll(&req, "limit", f.limit);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			puts(strcmp(status, "open") == 0 ? "No open incidents match." :
			     "No incidents match.");
		else
			print_incidents(&r);
	}
	reply_free(&r);
	return 0;
}

static void
incident_show(struct opts *o, long long id)
{
	struct request req = {.len = 0};
	struct reply r = {0};

	req_add(&req, NULL, "incident");
	req_add_ll(&req, "id", id);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			die(EXIT_DAEMON, _("The collector sent no incident."));
		if (!output_csv) {
			print_kv(r.obj[0]);
			for (size_t i = 1; i < r.n; i++)
				if (strcmp(val(r.obj[i], "type"), "machines") == 0)
					printf(_("machines: %s\n"), val(r.obj[i], "agents"));
			putchar('\n');
		}
		print_timeline(&r);
	}
	reply_free(&r);
}

/*
 * What an action did, in one sentence naming the action, the incident and
 * the result: r is the incident after it, then (escalate) who is notified.
 */
static void
action_reply(const struct reply *r, size_t k, long long id, long long level)
{
	const struct json_object *inc = r->obj[0];
	char *st = escaped(val(inc, "status"), strlen(val(inc, "status")));
	char *who = escaped(val(inc, "assignee"), strlen(val(inc, "assignee")));
	size_t n = 0;

	switch (k) {
	case 1:
		printf(_("Incident %lld acknowledged; it is now %s.\n"), id, st);
		break;
	case 2:
		printf(_("Incident %lld assigned to %s; it is now %s.\n"), id, who, st);
		break;
	case 3:
		printf(_("Note added to incident %lld.\n"), id);
		break;
	case 4:
		printf(_("Incident %lld resolved as %s; it is now %s.\n"), id,
		       val(inc, "resolution"), st);
		break;
	case 5:
		printf(_("Incident %lld reopened; it is now %s.\n"), id, st);
		break;
	case 6:
		for (size_t i = 1; i < r->n; i++)
			if (strcmp(val(r->obj[i], "type"), "notified") == 0)
				n++;
		if (n == 0) {
			printf(_("Incident %lld escalated to level %lld; nobody is listed at that "
			         "level.\n"), id, level);
			break;
		}
		printf(i18n_ntext("Incident %lld escalated to level %lld; %zu contact is being "
		                  "notified:\n",
		                  "Incident %lld escalated to level %lld; %zu contacts are being "
		                  "notified:\n", n),
		       id, level, n);
		for (size_t i = 1; i < r->n; i++) {
			const struct json_object *x = r->obj[i];
			char *name, *ch;

			if (strcmp(val(x, "type"), "notified") != 0)
				continue;
			name = escaped(val(x, "name"), strlen(val(x, "name")));
			ch = escaped(val(x, "channels"), strlen(val(x, "channels")));
			printf(_("  %s (%s) by %s\n"), name, val(x, "contact"), ch);
			free(name);
			free(ch);
		}
		break;
	}
	free(st);
	free(who);
}

/* "Escalate to Police": who was told, on which channel, at which address. */
static void
incident_notify(struct opts *o, long long id, const char *who)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	char target[1100];

	req_add(&req, NULL, "incident-notify");
	req_add_ll(&req, "id", id);
	req_add(&req, "who", who);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			die(EXIT_DAEMON, _("The collector notified nobody."));
		for (size_t i = 0; i < r.n; i++) {
			text_escape(target, sizeof(target), val(r.obj[i], "target"),
			            strlen(val(r.obj[i], "target")));
			printf(_("Incident %lld sent to %s by %s (%s), notification %s.\n"), id,
			       val(r.obj[i], "contact"), val(r.obj[i], "channel"), target,
			       val(r.obj[i], "notification"));
		}
	}
	reply_free(&r);
}

int
cmd_incident(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	static const char *const actions[] = {"show", "ack", "assign", "note", "resolve",
	                                      "reopen", "escalate", "notify", NULL};
	static const int nargs[] = {0, 0, 1, 1, 0, 0, 1, 1};
	struct request req = {.len = 0};
	struct reply r = {0};
	const char *as = NULL, *action, *kinds = NULL;
	long long id, level = 0;
	size_t k;
	int c;

	while ((c = next_opt(cmd, o, argc, argv)) != -1) {
		if (c == 'a')
			as = optarg;
		else if (c == 'k')
			kinds = optarg;
	}
	/* Its deadlines start (issue 17): vigilctl_report.c. */
	if (optind + 1 < argc && strcmp(argv[optind], "reportable") == 0) {
		if (argc - optind != 2 || text_parse_ll(argv[optind + 1], 1, LLONG_MAX, &id) != 0)
			usage_error(_("usage: vigilctl incident reportable N [--kind notice,initial,"
			            "closing,breach]"));
		return report_reportable(o, id, kinds);
	}
	if (kinds != NULL)
		usage_error(_("--kind goes with incident reportable only."));
	if (optind >= argc)
		usage_error(_("incident wants an action: show, ack, assign, note, resolve, reopen, "
		            "escalate or notify."));
	action = argv[optind];
	for (k = 0; actions[k] != NULL && strcmp(actions[k], action) != 0; k++)
		;
	if (actions[k] == NULL)
		usage_error(_("incident: unknown action %s; use show, ack, assign, note, resolve, "
		            "reopen, escalate or notify."), action);
	if (optind + 1 >= argc || text_parse_ll(argv[optind + 1], 1, LLONG_MAX, &id) != 0)
		usage_error(_("incident %s wants an incident number."), action);
	if (argc - optind - 2 != nargs[k])
		usage_error(_("usage: vigilctl incident %s N%s"), action,
		            k == 2 ? " USER" : k == 3 ? " TEXT" : k == 4 ? " --as RESOLUTION" :
		            k == 6 ? " LEVEL" : k == 7 ? " WHO" : "");
	if (k == 4 && as == NULL)
		usage_error(_("incident resolve wants --as RESOLUTION: true_positive, "
		            "false_positive, duplicate or benign."));
	if (k != 4 && as != NULL)
		usage_error(_("--as goes with incident resolve only."));
	if (k == 0) {
		incident_show(o, id);
		return 0;
	}
	if (k == 7) {
		incident_notify(o, id, name_opt("WHO", argv[optind + 2]));
		return 0;
	}
	req_add(&req, NULL, "incident-action");
	req_add_ll(&req, "id", id);
	req_add(&req, "action", action);
	switch (k) {
	case 2:
		req_add(&req, "user", name_opt("USER", argv[optind + 2]));
		break;
	case 3:
		if (argv[optind + 2][0] == '\0' || strpbrk(argv[optind + 2], "\t\r\n") != NULL)
			usage_error(_("A note is one line of text without tabs."));
		req_add(&req, "text", argv[optind + 2]);
		break;
	case 4:
		req_add(&req, "resolution", name_opt("--as", as));
		break;
	case 6:
		if (text_parse_ll(argv[optind + 2], 1, 8, &level) != 0)
			usage_error(_("incident escalate wants a chain level from 1 to 8."));
		req_add_ll(&req, "level", level);
		break;
	}
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			die(EXIT_DAEMON, _("The collector sent no answer."));
		action_reply(&r, k, id, level);
	}
	reply_free(&r);
	return 0;
}

int
cmd_audit(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	int ok;

	while (next_opt(cmd, o, argc, argv) != -1)
		;
	if (optind >= argc || strcmp(argv[optind], "verify") != 0)
		usage_error(_("audit: the only action is \"audit verify\"."));
	optind++;
	no_more_args(argc, argv);
	req_add(&req, NULL, "audit-verify");
	/* --json prints as it reads: ask again for the verdict, which decides the exit status. */
	talk(o, &req, &r);
	if (o->json) {
		struct opts quiet = *o;

		quiet.json = 0;
		req.len = 0;
		req_add(&req, NULL, "audit-verify");
		talk(&quiet, &req, &r);
	}
	if (r.n == 0)
		die(EXIT_DAEMON, _("The collector sent no verdict."));
	ok = strcmp(val(r.obj[0], "ok"), "true") == 0;
	if (!o->json) {
		if (ok)
			printf(_("The audit trail is intact: %s records, the last is %s, head %s.\n"),
			       val(r.obj[0], "records"), val(r.obj[0], "last_id"),
			       val(r.obj[0], "head"));
		else
			printf(_("The audit trail is broken. %s\n"), val(r.obj[0], "fault"));
	}
	reply_free(&r);
	return ok ? 0 : EXIT_DAEMON;
}

int
cmd_escalation(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	struct filter f = { -1, -1, NULL, NULL, -1, NULL, NULL };
	const char *rule = NULL;
	int c;

	while ((c = next_opt(cmd, o, argc, argv)) != -1) {
		if (c == 'R')
			rule = name_opt("--rule", optarg);
		else
			filter_opt(&f, c, optarg);
	}
	if (optind >= argc || strcmp(argv[optind], "test") != 0)
		usage_error(_("escalation: the only action is \"escalation test --category C "
		            "--severity S\"."));
	optind++;
	no_more_args(argc, argv);
	if (f.cat < 0 || f.sev < 0)
		usage_error(_("escalation test wants --category C and --severity S."));
	req_add(&req, NULL, "escalation-test");
	req_add(&req, "category", category_name(f.cat));
	req_add(&req, "severity", severity_name(f.sev));
	if (f.unit != NULL)
		req_add(&req, "unit", f.unit);
	if (f.host != NULL)
		req_add(&req, "host", f.host);
	if (rule != NULL)
		req_add(&req, "rule", rule);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			die(EXIT_DAEMON, _("The collector sent no answer."));
		/* Lines as they are; any other control character is not for a terminal. */
		for (const char *p = val(r.obj[0], "text"); *p != '\0'; p++)
			putchar((unsigned char)*p < 0x20 && *p != '\n' ? '?' : *p);
	}
	reply_free(&r);
	return 0;
}

int
cmd_compliance(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	const char *unit = NULL;
	int c;

	while ((c = next_opt(cmd, o, argc, argv)) != -1)
		if (c == 'U') {
			if (optarg[0] == '\0' || strchr(optarg, '\t') != NULL ||
			    strchr(optarg, '\n') != NULL)
				usage_error(_("--unit wants a unit name (no tab or newline)."));
			unit = optarg;
		}
	no_more_args(argc, argv);
	req_add(&req, NULL, "compliance");
	if (unit != NULL)
		req_add(&req, "unit", unit);
	/* The reasons for people in their language; --json keeps them in English for scripts. */
	if (!o->json)
		req_add(&req, "lang", i18n_language());
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			puts(_("No agents are known yet."));
		else
			print_compliance(&r);
	}
	reply_free(&r);
	/* A report: being below the target is an answer, not an error. */
	return 0;
}

int
cmd_pki(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	const char *names[PKI_MAX_NAMES];
	size_t nnames = 0;
	int c, days = PKI_DAYS_DEFAULT, backdate = 0, init, rc, finish = 0, force = 0;
	long long overlap = 0;
	char err[512];

	while ((c = next_opt(cmd, o, argc, argv)) != -1) {
		switch (c) {
		case 'n':
			if (nnames == PKI_MAX_NAMES)
				usage_error(_("pki init: at most %d --name options."), PKI_MAX_NAMES);
			names[nnames++] = optarg;
			break;
		case 'd':
			days = days_opt(optarg, "--days", 1);
			break;
		case 'b':
			backdate = days_opt(optarg, "--backdate-days", 0);
			break;
		case 'o':
			if (text_parse_duration_ms(optarg, &overlap) != 0 || overlap < 3600000 ||
			    overlap > 365LL * 86400 * 1000)
				usage_error(_("--overlap wants a duration from 1h to 365d (30d)."));
			break;
		case 'F':
			finish = 1;
			break;
		case 'f':
			force = 1;
			break;
		}
	}
	if (optind >= argc)
		usage_error(_("pki wants an action: init, issue or rotate."));
	if (strcmp(argv[optind], "rotate") == 0) {
		if (nnames > 0 || backdate != 0 || days != PKI_DAYS_DEFAULT)
			usage_error(_("pki rotate takes --overlap, --finish and --force only."));
		return pki_rotate_run(o, argc, argv, overlap, finish, force);
	}
	if (overlap != 0 || finish || force)
		usage_error(_("--overlap, --finish and --force go with pki rotate only."));
	if (strcmp(argv[optind], "init") == 0) {
		init = 1;
		if (argc - optind != 2)
			usage_error(_("usage: pki init DIR [--name NAME]... [--days N]"));
		if (backdate != 0)
			usage_error(_("pki init: --backdate-days is for pki issue only."));
	} else if (strcmp(argv[optind], "issue") == 0) {
		init = 0;
		if (argc - optind != 3)
			usage_error(_("usage: pki issue DIR AGENT_ID [--days N] [--backdate-days N]"));
		if (nnames > 0)
			usage_error(_("pki issue: --name is for pki init only."));
	} else
		usage_error(_("pki wants an action: init, issue or rotate."));

	if (init) {
		rc = pki_init(argv[optind + 1], names, nnames, days, err, sizeof(err));
		if (rc != 0)
			die(EXIT_DAEMON, "%s", err);
		printf(_("Made the CA %s/ca.crt (10 years) and the collector certificate "
		       "%s/collector.crt (%d days).\n"),
		       argv[optind + 1], argv[optind + 1], days);
	} else {
		if (tls_id_valid(argv[optind + 2]) != 0)
			usage_error(
			    _("An agent id is 1 to 64 letters, digits, '.', '_' or '-', starting "
			    "with a letter or digit."));
		rc =
		    pki_issue(argv[optind + 1], argv[optind + 2], days, backdate, err, sizeof(err));
		if (rc != 0)
			die(EXIT_DAEMON, "%s", err);
		if (backdate > 0)
			printf(_("Issued %s/agents/%s.crt, valid for %d days from %d days ago.\n"),
			       argv[optind + 1], argv[optind + 2], days, backdate);
		else
			printf(_("Issued %s/agents/%s.crt (%d days).\n"), argv[optind + 1],
			       argv[optind + 2], days);
	}
	return 0;
}
