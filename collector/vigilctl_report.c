/*
 * vigilctl report: the official forms of an incident (issue 17).
 *
 *   report fill N FIELD VALUE         what the operator adds (assessment,
 *                                     harm, measures, help_requested ...)
 *   report notice|initial|closing|breach N [--format docx|pdf|html] -o FILE
 *
 * A form is made in two steps. The collector answers report-data with the
 * data JSON (the unit profile, the incident, the filled fields) and says
 * which template, where the templates are and which renderer to run; then
 * vigilctl runs vigil-report-render as a child of its own, as the operator,
 * with the renderer's caps on time, memory and output. So the network-facing
 * daemon never parses a template, never runs LibreOffice, and never writes
 * a file where an operator points it: the file is the operator's, made with
 * the operator's rights.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/i18n.h"
#include "vigil/json.h"
#include "vigil/text.h"

#include "vigilctl.h"

#define RENDER_ERR_MAX 4096 /* what is kept of the renderer's standard error */

static const char *
member(const struct json_object *o, const char *key)
{
	const struct json_member *m = json_get(o, key);

	return m != NULL && m->type == JSON_STRING ? m->str : NULL;
}

/* Write all of s[0..n) to fd; 0 or -1. */
static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Run the renderer: data on its standard input, its one line of standard
 * error kept in why. Returns its exit status, or -1 (why says).
 */
static int
render(const char *const argv[], const char *data, char *why, size_t whylen)
{
	int in[2], errp[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	why[0] = '\0';
	if (pipe(in) != 0)
		return -1;
	if (pipe(errp) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(in[0]);
		close(in[1]);
		close(errp[0]);
		close(errp[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(errp[1], 2);
		close(in[0]);
		close(in[1]);
		close(errp[0]);
		close(errp[1]);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(errp[1]);
	/* The renderer reads all of its data before it writes a word. */
	signal(SIGPIPE, SIG_IGN);
	write_all(in[1], data, strlen(data));
	close(in[1]);
	while (len + 1 < whylen && (n = read(errp[0], why + len, whylen - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	why[len] = '\0';
	close(errp[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	while (len > 0 && (why[len - 1] == '\n' || why[len - 1] == '\r'))
		why[--len] = '\0';
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void print_deadlines(const struct reply *r);

/* Make the document the collector's answer r describes (its data, template, renderer). */
static int
make_document(struct opts *o, struct reply *r, const char *form, long long id,
    const char *format, const char *output)
{
	const char *tmpl, *templates, *shipped, *renderer, *data, *field;
	char why[RENDER_ERR_MAX], esc[RENDER_ERR_MAX * 4];
	const char *argv[16];
	size_t a = 0;
	int rc;

	if (r->n != 1 || (tmpl = member(r->obj[0], "template")) == NULL ||
	    (shipped = member(r->obj[0], "shipped")) == NULL ||
	    (renderer = member(r->obj[0], "renderer")) == NULL ||
	    (data = member(r->obj[0], "data")) == NULL)
		die(EXIT_DAEMON, _("The collector's answer is not a report's data."));
	templates = member(r->obj[0], "templates");
	argv[a++] = renderer;
	argv[a++] = "-f";
	argv[a++] = format;
	argv[a++] = "-o";
	argv[a++] = output;
	if (templates != NULL && templates[0] != '\0') {
		argv[a++] = "-T";
		argv[a++] = templates;
	}
	argv[a++] = "-T";
	argv[a++] = shipped;
	argv[a++] = tmpl;
	argv[a] = NULL;
	rc = render(argv, data, why, sizeof(why));
	text_escape(esc, sizeof(esc), why, strlen(why));
	if (rc != 0) {
		/* A form's field the operator has not filled: say how to fill it. */
		if (rc == 1 && (field = strstr(why, "\"fields.")) != NULL) {
			char name[64];
			size_t n = strcspn(field + 8, "\"");

			snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), field + 8);
			fprintf(stderr, "vigilctl: %s\n", esc);
			die(EXIT_DAEMON, _("The form needs the field %s: fill it with \"vigilctl report "
			                   "fill %lld %s TEXT\"."), name, id, name);
		}
		die(EXIT_DAEMON, _("The renderer %s failed (exit status %d): %s"), renderer, rc,
		    esc[0] != '\0' ? esc : "-");
	}
	if (why[0] != '\0')
		fprintf(stderr, "vigilctl: %s\n", esc);
	if (!o->json && id > 0)
		printf(_("Wrote %s (%s of incident %lld, template %s).\n"), output, form, id, tmpl);
	else if (!o->json)
		printf(_("Wrote %s (%s, template %s).\n"), output, form, tmpl);
	reply_free(r);
	return 0;
}

static int
report_form(struct opts *o, const char *form, long long id, const char *format,
    const char *output)
{
	struct request req = {.len = 0};
	struct reply r = {0};

	req_add(&req, NULL, "report-data");
	req_add_ll(&req, "id", id);
	req_add(&req, "form", form);
	talk(o, &req, &r);
	return make_document(o, &r, form, id, format, output);
}

int
cmd_report(const struct command *cmd, struct opts *o, int argc, char **argv)
{
	static const char *const forms[] = {"notice", "initial", "closing", "breach", NULL};
	struct request req = {.len = 0};
	struct reply r = {0};
	const char *format = NULL, *output = NULL, *action, *dot, *to = NULL, *ref = NULL;
	const char *unit = NULL, *period = NULL;
	long long id;
	size_t k;
	int c;

	/* -o and -f are the short forms of --output and --format (the table's options are long). */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-o") == 0)
			argv[i] = (char *)"--output";
		else if (strcmp(argv[i], "-f") == 0)
			argv[i] = (char *)"--format";
	}
	while ((c = next_opt(cmd, o, argc, argv)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'o')
			output = optarg;
		else if (c == 't')
			to = optarg;
		else if (c == 'r')
			ref = optarg;
		else if (c == 'u')
			unit = optarg;
		else if (c == 'p')
			period = optarg;
	}
	if (optind >= argc)
		usage_error(_("report wants an action: fill, notice, initial, closing, breach or "
		              "submitted."));
	action = argv[optind];
	if (strcmp(action, "summary") == 0) {
		if (argc - optind != 1 || period == NULL || output == NULL)
			usage_error(_("usage: vigilctl report summary --period P [--unit U] "
			              "[--format pdf|html|csv|docx] -o FILE"));
		if (format == NULL)
			format = (dot = strrchr(output, '.')) != NULL ? dot + 1 : "";
		if (strcmp(format, "docx") != 0 && strcmp(format, "pdf") != 0 &&
		    strcmp(format, "html") != 0 && strcmp(format, "csv") != 0)
			usage_error(_("--format is docx, pdf, html or csv."));
		req_add(&req, NULL, "report-summary");
		req_add(&req, "period", name_opt("--period", period));
		if (unit != NULL)
			req_add(&req, "unit", name_opt("--unit", unit));
		req_add(&req, "format", format);
		talk(o, &req, &r);
		return make_document(o, &r, "summary", 0, format, output);
	}
	if (optind + 1 >= argc || text_parse_ll(argv[optind + 1], 1, LLONG_MAX, &id) != 0)
		usage_error(_("report %s wants an incident number."), action);
	if (strcmp(action, "fill") == 0) {
		if (argc - optind != 4)
			usage_error(_("usage: vigilctl report fill N FIELD VALUE"));
		req_add(&req, NULL, "report-fill");
		req_add_ll(&req, "id", id);
		req_add(&req, "field", argv[optind + 2]);
		if (strpbrk(argv[optind + 3], "\t\n\r") != NULL)
			usage_error(_("a field's value is one line, without tabs."));
		req_add(&req, "value", argv[optind + 3]);
		talk(o, &req, &r);
		if (!o->json)
			printf(_("Incident %lld: %s filled.\n"), id, argv[optind + 2]);
		reply_free(&r);
		return 0;
	}
	if (strcmp(action, "submitted") == 0) {
		if (argc - optind != 3 || to == NULL || ref == NULL)
			usage_error(_("usage: vigilctl report submitted N KIND --to WHOM --ref "
			              "REFERENCE"));
		req_add(&req, NULL, "report-submitted");
		req_add_ll(&req, "id", id);
		req_add(&req, "kind", name_opt("KIND", argv[optind + 2]));
		req_add(&req, "to", name_opt("--to", to));
		req_add(&req, "ref", name_opt("--ref", ref));
		talk(o, &req, &r);
		if (!o->json) {
			printf(_("Incident %lld: %s recorded as submitted.\n"), id, argv[optind + 2]);
			print_deadlines(&r);
		}
		reply_free(&r);
		return 0;
	}
	for (k = 0; forms[k] != NULL && strcmp(forms[k], action) != 0; k++)
		;
	if (forms[k] == NULL)
		usage_error(_("report: unknown action %s; use fill, notice, initial, closing or "
		              "breach."), action);
	if (argc - optind != 2)
		usage_error(_("usage: vigilctl report %s N [--format docx|pdf|html] -o FILE"), action);
	if (output == NULL)
		usage_error(_("report %s wants the file to write: -o FILE."), action);
	if (format == NULL)
		format = (dot = strrchr(output, '.')) != NULL ? dot + 1 : "";
	if (strcmp(format, "docx") != 0 && strcmp(format, "pdf") != 0 &&
	    strcmp(format, "html") != 0)
		usage_error(_("--format is docx, pdf or html."));
	return report_form(o, action, id, format, output);
}

/* The deadlines of an incident, as the collector answers them: one line each. */
static void
print_deadlines(const struct reply *r)
{
	char due[64], sub[64];

	for (size_t i = 0; i < r->n; i++) {
		const struct json_object *o = r->obj[i];
		const char *to = member(o, "submitted_to");

		people_time(due, sizeof(due), member(o, "due") != NULL ? member(o, "due") : "", 1);
		printf(_("%-8s due %s: %s"), val(o, "kind"), due, val(o, "state"));
		if (to != NULL && to[0] != '\0') {
			people_time(sub, sizeof(sub), val(o, "submitted"), 0);
			printf(_(" (submitted %s by %s to %s, reference %s)"), sub,
			       val(o, "submitted_by"), to, val(o, "reference"));
		}
		putchar('\n');
	}
}

int
report_reportable(struct opts *o, long long id, const char *kinds)
{
	struct request req = {.len = 0};
	struct reply r = {0};

	req_add(&req, NULL, "report-reportable");
	req_add_ll(&req, "id", id);
	if (kinds != NULL)
		req_add(&req, "kinds", kinds);
	talk(o, &req, &r);
	if (!o->json) {
		printf(_("Incident %lld is reportable; its deadlines:\n"), id);
		print_deadlines(&r);
	}
	reply_free(&r);
	return 0;
}
