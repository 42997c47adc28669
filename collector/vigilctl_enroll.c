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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "vigil/json.h"
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
	if (strcmp(action, "revoke") != 0 && strcmp(action, "retire") != 0)
		usage_error(_("agent: unknown action %s; use revoke or retire."), action);
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
