/*
 * vigilctl: the operator's command line. It sends one request line to the
 * collector's control socket (ctl.h), reads the JSON lines that come back,
 * and prints them as tables for people or as they are with --json. The pki
 * commands make certificates locally and need no daemon.
 *
 * Exit codes: 0 ok, 1 the daemon reported an error (or answered nonsense, or
 * a pki step failed), 2 usage error, 3 the daemon cannot be reached.
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

/* --csv: tables as RFC 4180 CSV instead of aligned columns. */
int output_csv;
/* --csv starts with a UTF-8 byte-order mark (Excel reads Vietnamese so); --csv-no-bom: not. */
int output_csv_bom = 1;
int table_no_heading;

/*
 * The commands, as data (tmux's cmd_entry is the model): each use of a
 * command has its name, its action word when it has several, the request it
 * sends (whose role vigil/ctl.h's table gives, the one the collector checks),
 * its options, its usage and summary for --help, and its handler. Parsing,
 * --help and -h, and the one-line usage errors all come from here. Rows of
 * one command are adjacent and share its options and handler.
 */
static const struct option events_opts[] = {
    {"since", required_argument, NULL, 's'},    {"until", required_argument, NULL, 'U'},
    {"agent", required_argument, NULL, 'a'},    {"category", required_argument, NULL, 'c'},
    {"severity", required_argument, NULL, 'S'}, {"limit", required_argument, NULL, 'l'},
    {"field", required_argument, NULL, 'F'},    {"grep", required_argument, NULL, 'g'},
    {"follow", no_argument, NULL, 'f'},
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'},           {0},
};

static const struct option incidents_opts[] = {
    {"all", no_argument, NULL, 'A'},          {"status", required_argument, NULL, 't'},
    {"severity", required_argument, NULL, 'S'}, {"category", required_argument, NULL, 'c'},
    {"unit", required_argument, NULL, 'u'},   {"host", required_argument, NULL, 'H'},
    {"assignee", required_argument, NULL, 'a'}, {"mine", no_argument, NULL, 'm'},
    {"limit", required_argument, NULL, 'l'},  {"field", required_argument, NULL, 'F'},
    {"grep", required_argument, NULL, 'g'},   {"follow", no_argument, NULL, 'f'},
    {"json", no_argument, NULL, 'J'},
    {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'},          {0},
};

static const struct option incident_opts[] = {
    {"as", required_argument, NULL, 'a'},
    {"kind", required_argument, NULL, 'k'},
    {"json", no_argument, NULL, 'J'},
    {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'},
    {0},
};

static const struct option audit_opts[] = {
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'}, {0}};

static const struct option escalation_opts[] = {
    {"category", required_argument, NULL, 'c'}, {"severity", required_argument, NULL, 'S'},
    {"unit", required_argument, NULL, 'u'},     {"host", required_argument, NULL, 'H'},
    {"rule", required_argument, NULL, 'R'},
    {"json", no_argument, NULL, 'J'},           {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'},
    {0},
};

static const struct option compliance_opts[] = {
    {"unit", required_argument, NULL, 'U'},
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'},
    {0},
};

static const struct option pki_opts[] = {
    {"name", required_argument, NULL, 'n'},
    {"days", required_argument, NULL, 'd'},
    {"backdate-days", required_argument, NULL, 'b'},
    {"overlap", required_argument, NULL, 'o'},
    {"finish", no_argument, NULL, 'F'},
    {"force", no_argument, NULL, 'f'},
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'},
    {0},
};

static const struct option report_opts[] = {
    {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
    {"to", required_argument, NULL, 't'},     {"ref", required_argument, NULL, 'r'},
    {"unit", required_argument, NULL, 'u'},   {"period", required_argument, NULL, 'p'},
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'},
    {0},
};

static const struct option enroll_opts[] = {
    {"unit", required_argument, NULL, 'u'},
    {"uses", required_argument, NULL, 'n'},
    {"expires", required_argument, NULL, 'e'},
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'},
    {0},
};

static const struct option inventory_opts[] = {
    {"unit", required_argument, NULL, 'u'},
    {"count", required_argument, NULL, 'n'},
    {"note", required_argument, NULL, 'N'},
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'},
    {0},
};

static const struct option agent_opts[] = {
    {"reason", required_argument, NULL, 'r'},
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'},
    {0},
};

/* The commands that take no options of their own. */
static const struct option plain_opts[] = {
    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'}, {0}};

static const struct command commands[] = {
    {"status", NULL, "status", plain_opts, "", N_("the collector's state and counters"),
     cmd_status},
    {"agents", NULL, "agents", plain_opts, "",
     N_("known agents: last seen, on / off (why) / silent"), cmd_agents},
    {"events", NULL, "events", events_opts,
     N_("[--since DURATION|TIME] [--until TIME] [--agent ID] [--category C] [--severity S] "
        "[--field KEY=VALUE] [--grep TEXT] [--limit N] [--follow]"),
     N_("stored events, oldest first"), cmd_events},
    {"incidents", NULL, "incidents", incidents_opts,
     N_("[--all|--status S] [--severity S] [--category C] [--unit U] [--host H] "
        "[--field KEY=VALUE] [--grep TEXT] [--assignee USER|--mine] [--limit N] [--follow]"),
     N_("the queue: open first, by severity, then age"), cmd_incidents},
    {"incident", "show", "incident", incident_opts, N_("show N"),
     N_("the incident and its timeline: events, notifications and their attempts, every "
        "action"),
     cmd_incident},
    {"incident", "ack", "incident-action", incident_opts,
     N_("ack N | assign N USER | note N TEXT | resolve N --as R | reopen N | escalate N LEVEL"),
     N_("act on it; R is true_positive, false_positive, duplicate or benign"), cmd_incident},
    {"incident", "notify", "incident-notify", incident_opts, N_("notify N WHO"),
     N_("send it now to a route's notify_now contacts (police) or to one contact, past the "
        "noise budget; says who was told on which channel"),
     cmd_incident},
    {"incident", "reportable", "report-reportable", incident_opts,
     N_("reportable N [--kind notice,initial,closing,breach]"),
     N_("it must be reported: its deadlines start (notice by default), show in the queue and "
        "climb the chain when near and when passed"),
     cmd_incident},
    {"audit", "verify", "audit-verify", audit_opts, N_("verify"),
     N_("check the audit trail's hash chain; names the first edited or deleted record (exit "
        "status 1)"),
     cmd_audit},
    {"escalation", "test", "escalation-test", escalation_opts,
     N_("test --category C --severity S [--unit U] [--host H] [--rule R]"),
     N_("who would be notified, when, how; sends nothing"), cmd_escalation},
    {"compliance", NULL, "compliance", compliance_opts, N_("[--unit U]"),
     /* xgettext:no-c-format */
     N_("per unit: machines, compliant, percent of the 100 % target; then each "
        "non-compliant machine and why (a report: exit status 0 even below the target)"),
     cmd_compliance},
    {"report", "fill", "report-fill", report_opts, N_("fill N FIELD VALUE"),
     N_("add to an incident's forms: assessment, harm, measures, help_requested, cause, "
        "result, lessons, data_types, data_subjects, consequences, breach_description, "
        "document_number (audited)"),
     cmd_report},
    {"report", "notice", "report-data", report_opts,
     N_("notice|initial|closing|breach N [--format docx|pdf|html] -o FILE"),
     N_("make an incident's form in the unit's document format, from the incident, the unit "
        "profile and the filled fields"),
     cmd_report},
    {"report", "submitted", "report-submitted", report_opts,
     N_("submitted N KIND --to WHOM --ref REFERENCE"),
     N_("record a report sent: who, when, to whom, its reference (audited); its deadline "
        "stops climbing"),
     cmd_report},
    {"report", "summary", "report-summary", report_opts,
     /* xgettext:no-c-format */
     N_("summary --period 2026-11|2026-Q4|2026-H2|2026 [--unit U] [--format pdf|html|csv|docx] "
        "-o FILE"),
     /* xgettext:no-c-format */
     N_("the periodic summary of a unit from the store: compliance against the 100 % target, "
        "incidents, times to acknowledge and resolve, open and overdue items"),
     cmd_report},
    {"pki", "init", NULL, pki_opts, N_("init DIR [--name NAME]... [--days N]"),
     N_("make a CA and a collector certificate"), cmd_pki},
    {"pki", "issue", NULL, pki_opts, N_("issue DIR AGENT_ID [--days N] [--backdate-days N]"),
     N_("issue an agent certificate"), cmd_pki},
    {"pki", "rotate", "pki-rotate", pki_opts,
     N_("rotate [--overlap 30d] | rotate status | rotate --finish [--force]"),
     N_("replace the collector's CA: a new one beside the old, agents fetch it and renew; "
        "status counts them; --finish makes the new CA the only one (see the README)"),
     cmd_pki},
    /* enrolment and identities (issue 15): vigilctl_enroll.c */
    {"enroll", "create", "enroll-create", enroll_opts,
     N_("create --unit U [--uses N] [--expires DURATION]"),
     N_("a token PCs of unit U enrol with (one use and 72 hours unless told); printed once"),
     cmd_enroll},
    {"enroll", "list", "enroll-list", enroll_opts, N_("list"),
     N_("every token: unit, uses, expiry, valid, used, expired or cancelled"), cmd_enroll},
    {"enroll", "cancel", "enroll-cancel", enroll_opts, N_("cancel ID"),
     N_("cancel a token: no PC may enrol with it any more"), cmd_enroll},
    {"agent", "revoke", "agent-revoke", agent_opts, N_("revoke ID --reason TEXT"),
     N_("cut a PC off now (a lost or stolen PC): its sessions close, it is refused from then "
        "on"),
     cmd_agent},
    {"agent", "retire", "agent-retire", agent_opts, N_("retire ID"),
     N_("a PC taken out of service: refused from then on, its history kept"), cmd_agent},
    {"agent", "reenroll-newcomer", "agent-reenroll", agent_opts, N_("reenroll-newcomer ID"),
     N_("ID was seen on two machines (a cloned disk): the one connected keeps it, the other "
        "gets a one-use token to enrol as a new machine"),
     cmd_agent},
    {"inventory", "set", "inventory-set", inventory_opts, N_("set --unit U --count N"),
     N_("unit U has N work PCs: compliance is counted against them"), cmd_inventory},
    {"inventory", "import", "inventory-pc", inventory_opts, N_("import FILE.csv"),
     N_("the PCs by name, a line \"unit,name[,mac]\"; each unit's list replaced; compliance "
        "names those with no agent"),
     cmd_inventory},
    {"inventory", "ignore", "inventory-ignore", inventory_opts, N_("ignore MAC [--note TEXT]"),
     N_("a device seen on the network that is not a PC (the router, a printer): no longer "
        "listed as seen with no agent (audited)"),
     cmd_inventory},
    {"inventory", "unignore", "inventory-ignore", inventory_opts, N_("unignore MAC"),
     N_("list MAC again when it is seen on the network with no agent"), cmd_inventory},
    {"inventory", "ignored", "inventory-ignored", inventory_opts, N_("ignored"),
     N_("the MACs marked not a PC, with their notes"), cmd_inventory},
    {"backup", NULL, "backup", plain_opts, N_("DIR"),
     N_("copy the database while the collector runs, and the PKI, into the new directory DIR "
        "(see the README for the restore)"),
     cmd_backup},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The command being run, for the hint of a usage error; NULL before one is found. */
static const struct command *current;

static const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Who may run one use of a command: the role its request needs, or none for a local one. */
static const char *
command_role(const struct command *c)
{
	const struct ctl_request_def *def;

	if (c->request == NULL)
		return _("local: no collector needed");
	if ((def = ctl_request_find(c->request)) == NULL)
		return "?";
	if (def->need >= CTL_ROLE_ADMIN)
		return _("root and the collector's own user");
	return def->need >= CTL_ROLE_OPERATOR ? _("operators (and root)") :
	                                        _("viewers, operators and root");
}

/* The usage lines of command c and the rows after it of the same name. */
static void
command_usage(FILE *fp, const struct command *c, int with_role)
{
	for (const struct command *u = c; u < commands + NCOMMANDS &&
	     strcmp(u->name, c->name) == 0; u++) {
		const char *syn = u->synopsis[0] != '\0' ? _(u->synopsis) : "";

		fprintf(fp, "  %s%s%s\n", u->name, syn[0] != '\0' ? " " : "", syn);
		fprintf(fp, "      %s\n", _(u->summary));
		if (with_role)
			fprintf(fp, "      %s %s\n", _("Who may run it:"), command_role(u));
	}
}

static const char global_opts[] = N_(
    "  -s SOCKET    the control socket (default: $VIGIL_CONTROL_SOCKET, else %s)\n"
    "  --json       print one JSON object per line, as the collector sends them\n"
    "  --csv        print tables as CSV in UTF-8 with a byte-order mark (for Excel)\n"
    "  --csv-no-bom the same CSV without the byte-order mark (for scripts)\n"
    "  -h, --help   this help; COMMAND --help: that command's\n");

static const char time_help[] = N_(
    "DURATION is 90s, 15m, 2h or 7d before now. TIME is 2026-11-25, 2026-11-25T10:00:00\n"
    "or \"2026-11-25 10:00\", in local time unless it ends in Z or +HH:MM.\n"
    "Exit status: 0 ok, 1 the collector reported an error, 2 usage, 3 collector "
    "unreachable.\n");

static void help_all(void) __attribute__((noreturn));
static void help_command(const struct command *c) __attribute__((noreturn));

/* vigilctl --help: every command from the table, on stdout. */
static void
help_all(void)
{
	printf("%s\n\n", _("usage: vigilctl [-s SOCKET] [--json|--csv] COMMAND [ARGS]"));
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (i == 0 || strcmp(commands[i - 1].name, commands[i].name) != 0)
			command_usage(stdout, &commands[i], 0);
	putchar('\n');
	printf(_(global_opts), CTL_SOCKET_DEFAULT);
	putchar('\n');
	fputs(_(time_help), stdout);
	exit(0);
}

/* vigilctl COMMAND --help: that command's uses, who may run them, its options. */
static void
help_command(const struct command *c)
{
	printf(_("usage: vigilctl [-s SOCKET] [--json|--csv] %s [ARGS]"), c->name);
	fputs("\n\n", stdout);
	command_usage(stdout, c, 1);
	putchar('\n');
	printf(_(global_opts), CTL_SOCKET_DEFAULT);
	exit(0);
}

/* One line: what is wrong, and where to read more. Exit status 2. */
void
usage_error(const char *fmt, ...)
{
	char msg[1024];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The hint follows the sentence: no full stop between them. */
	if ((n = strlen(msg)) > 0 && msg[n - 1] == '.')
		msg[n - 1] = '\0';
	if (current != NULL)
		fprintf(stderr, _("vigilctl: %s; try \"vigilctl %s --help\"\n"), msg, current->name);
	else
		fprintf(stderr, _("vigilctl: %s; try \"vigilctl --help\"\n"), msg);
	exit(EXIT_USAGE);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vigilctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* getopt_long over a command's own arguments, with its table's options; argv[0] is the command. */
int
next_opt(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, "", cmd->longopts, NULL);
		if (c == 'J') {
			o->json = 1;
			continue;
		}
		if (c == 'C') {
			output_csv = 1;
			continue;
		}
		if (c == 'B') {
			output_csv = 1;
			output_csv_bom = 0;
			continue;
		}
		if (c == '?') {
			const char *arg = argv[optind - 1];

			/* glibc: optopt is the option's value when its argument is wrong, else 0. */
			for (const struct option *lo = cmd->longopts; optopt != 0 && lo->name; lo++)
				if (lo->val == optopt)
					usage_error(lo->has_arg == required_argument ?
					            _("option --%s for \"%s\" wants a value") :
					            _("option --%s for \"%s\" takes no value"),
					            lo->name, cmd->name);
			usage_error(_("unknown option %s for \"%s\""), arg, cmd->name);
		}
		return c;
	}
}

void
no_more_args(int argc, char **argv)
{
	if (optind < argc)
		usage_error(_("%s: unexpected argument: %s."), current->name, argv[optind]);
}

/* Does the command line after the command ask for help (-h or --help before a "--")? */
static int
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'}, {"csv-no-bom", no_argument, NULL, 'B'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct opts o = {.socket = NULL, .json = 0};
	const char *env;
	int c, rc;

	i18n_set_language(i18n_env_language());
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			o.json = 1;
			break;
		case 'C':
			output_csv = 1;
			break;
		case 'B':
			output_csv = 1;
			output_csv_bom = 0;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 'h':
			help_all();
		default:
			if (optopt == 's')
				usage_error(_("option -s wants the control socket's path"));
			usage_error(_("unknown option %s"), argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error(_("no command given"));
	if (o.socket == NULL)
		o.socket = (env = getenv("VIGIL_CONTROL_SOCKET")) != NULL && env[0] != '\0'
		               ? env
		               : CTL_SOCKET_DEFAULT;
	argc -= optind;
	argv += optind;
	if ((current = command_find(argv[0])) == NULL)
		usage_error(_("unknown command \"%s\""), argv[0]);
	if (wants_help(argc, argv))
		help_command(current);
	/* Reset getopt for the command's own arguments. */
	optind = 0;
	rc = current->run(current, &o, argc, argv);
	if (fflush(stdout) == EOF || ferror(stdout))
		die(EXIT_DAEMON, _("Cannot write the output: %s."), strerror(errno));
	return rc;
}
