/*
 * vigil-report-render: fill a report template from data and write it as
 * DOCX, PDF, HTML or CSV. The collector runs it as a separate, unprivileged
 * process for each document (never inside the network daemon), because a
 * template and the data in it come from outside: it reads the data on
 * standard input, writes the document to standard output or a file, says
 * what went wrong in one line on standard error, and exits with a code the
 * caller can act on (render.h, and the usage text below).
 *
 * Order of work: limits first (time, memory, file size), then the template
 * is read with the caller's rights; when run as root, a worker process drops
 * to an unprivileged user (--user) and does everything else: it reads the
 * data, parses, fills, runs LibreOffice, and hands the document back through
 * a pipe, while the privileged parent only moves bytes and writes the output
 * file once the worker has succeeded. Run as another user, the renderer is
 * its own worker. Either way the output file is created only when the
 * document is complete, so a failure leaves none behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/privdrop.h"

#include "chart.h"
#include "docx.h"
#include "render.h"
#include "tmpl.h"
#include "value.h"

#ifndef REPORT_SOFFICE
#define REPORT_SOFFICE "/usr/bin/soffice"
#endif

#define TEMPLATE_MAX (32u << 20) /* bytes of a template file */
#define DIRS_MAX 8

static const char usage_text[] =
    "usage: vigil-report-render [options] TEMPLATE < DATA.json\n"
    "  -f, --format FMT       docx, pdf, html (DOCX templates), csv, txt, html (text templates);\n"
    "                         default: from -o's extension, else docx\n"
    "  -o, --output FILE      write the document there (default: standard output)\n"
    "  -T, --templates DIR    find TEMPLATE (or TEMPLATE.docx) in DIR; may be repeated, the\n"
    "                         first that has it wins (a unit's directory before the shipped one)\n"
    "  -t, --title TEXT       the HTML page's title\n"
    "      --list-fields      print the fields TEMPLATE reads (path, required or optional, loop)\n"
    "      --timeout S        stop after S seconds, LibreOffice included (60)\n"
    "      --memory MB        address space of this process and LibreOffice (1024)\n"
    "      --max-output MB    the largest document written (64)\n"
    "      --user USER        the user to run as when started as root (nobody)\n"
    "      --soffice PATH     LibreOffice, for PDF (" REPORT_SOFFICE ")\n"
    "      --soffice-profile DIR  a LibreOffice profile directory to keep between runs\n"
    "exit: 0 done; 1 the data is wrong or lacks a field; 2 usage; 3 the template cannot be\n"
    "found or understood; 4 a size, time or memory limit; 5 LibreOffice missing or failed;\n"
    "6 the output cannot be written\n";

static const char *progname = "vigil-report-render";

static int die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static int
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* The exit code for an error of the template engine or the DOCX layer. */
static int
code_of(int rc)
{
	switch (rc) {
	case VIGIL_ERR_TOOBIG:
	case VIGIL_ERR_NOMEM:
		return RENDER_ELIMIT;
	case VIGIL_ERR_CONFIG:
		return RENDER_ETEMPLATE;
	default:
		return RENDER_EDATA;
	}
}

static int
read_all(int fd, size_t cap, char **out, size_t *len)
{
	struct buf b;

	buf_init(&b, cap);
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_free(&b);
			return VIGIL_ERR_SYS;
		}
		if (n == 0)
			break;
		if ((rc = buf_add(&b, chunk, (size_t)n)) != 0) {
			buf_free(&b);
			return rc;
		}
	}
	*out = buf_take(&b, len);
	return *out != NULL ? 0 : VIGIL_ERR_NOMEM;
}

/* Open the template: a path, or a name looked up in the directories. */
static int
open_template(const char *name, char **dirs, size_t ndirs, char *path, size_t pathlen)
{
	int fd;

	if (strchr(name, '/') != NULL || ndirs == 0) {
		snprintf(path, pathlen, "%s", name);
		return open(path, O_RDONLY | O_CLOEXEC);
	}
	for (size_t i = 0; i < ndirs; i++) {
		static const char *const ext[] = {"", ".docx"};

		for (size_t k = 0; k < 2; k++) {
			snprintf(path, pathlen, "%s/%s%s", dirs[i], name, ext[k]);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
				return fd;
			if (errno != ENOENT)
				return -1;
		}
	}
	errno = ENOENT;
	return -1;
}

static void
print_field(void *arg, const char *path, int required, const char *loop)
{
	buf_printf(arg, "%s\t%s%s%s\n", path, required ? "required" : "optional",
	           *loop ? "\tin " : "", loop);
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

struct job {
	const char *format, *output, *title, *template_name, *path;
	const char *soffice, *profile;
	int list;
	struct limits lim;
	char *tdata;
	size_t tlen;
};

/* Everything that parses what came from outside: fills out, or exits with a code. */
static void
work(const struct job *j, struct buf *out)
{
	struct tmpl_limits tl = tmpl_default_limits;
	struct value_doc *doc = NULL;
	const char *path = j->path, *format = j->format;
	char err[1024], *data = NULL;
	size_t dlen = 0;
	int rc, docxt = j->tlen >= 4 && memcmp(j->tdata, "PK\x03\x04", 4) == 0;

	tl.max_output = j->lim.output_mb << 20;
	if (j->list) {
		struct docx *d = NULL;

		if (docxt) {
			if ((rc = docx_open(j->tdata, j->tlen, &d, err, sizeof(err))) != 0 ||
			    (rc = docx_fields(d, print_field, out, err, sizeof(err))) != 0)
				die(rc == VIGIL_ERR_TOOBIG ? RENDER_ELIMIT : RENDER_ETEMPLATE,
				    "%s: %s", path, err);
			docx_free(d);
		} else {
			struct tmpl *t = NULL;

			if ((rc = tmpl_parse(j->tdata, j->tlen, &tl, &t, err, sizeof(err))) != 0)
				die(code_of(rc == VIGIL_ERR_INVAL ? VIGIL_ERR_CONFIG : rc),
				    "%s: %s", path, err);
			tmpl_fields(t, print_field, out);
			tmpl_free(t);
		}
		return;
	}
	if ((rc = read_all(STDIN_FILENO, value_default_limits.max_input, &data, &dlen)) != 0)
		die(rc == VIGIL_ERR_TOOBIG ? RENDER_ELIMIT : RENDER_EDATA, "the data: %s",
		    rc == VIGIL_ERR_TOOBIG ? "larger than 8 MB" : strerror(errno));
	if ((rc = value_parse(data, dlen, NULL, &doc, err, sizeof(err))) != 0)
		die(rc == VIGIL_ERR_TOOBIG ? RENDER_ELIMIT : RENDER_EDATA, "the data: %s", err);
	if (docxt) {
		struct docx *d = NULL;

		if (strcmp(format, "csv") == 0 || strcmp(format, "txt") == 0)
			die(RENDER_EUSAGE, "%s is a DOCX template: it makes docx, pdf or html",
			    path);
		if ((rc = docx_open(j->tdata, j->tlen, &d, err, sizeof(err))) != 0)
			die(rc == VIGIL_ERR_TOOBIG ? RENDER_ELIMIT : RENDER_ETEMPLATE, "%s: %s",
			    path, err);
		if ((rc = docx_fill(d, value_root(doc), &tl, err, sizeof(err))) != 0)
			die(code_of(rc), "%s: %s", path, err);
		if (strcmp(format, "html") == 0) {
			size_t skipped = 0;

			if ((rc = docx_html(d, j->title != NULL ? j->title : j->template_name, out,
			                    &skipped, err, sizeof(err))) != 0)
				die(code_of(rc), "%s: %s", path, err);
			if (skipped > 0)
				fprintf(stderr,
				        "%s: warning: %s: the HTML leaves out %zu thing(s) it "
				        "cannot show "
				        "(text boxes, list numbers, objects); the DOCX and PDF "
				        "have them\n",
				        progname, path, skipped);
		} else if ((rc = docx_write(d, out, err, sizeof(err))) != 0)
			die(code_of(rc), "%s: %s", path, err);
		docx_free(d);
		if (strcmp(format, "pdf") == 0) {
			struct buf pdf;

			buf_init(&pdf, out->cap);
			rc = soffice_pdf(j->soffice, j->profile, out->p, out->len, j->lim.seconds,
			                 &pdf, err, sizeof(err));
			if (rc == VIGIL_ERR_SYS) /* LibreOffice may have run out of what --memory
			                            allows */
				die(RENDER_EPDF, "%s: %s (the memory limit is %lu MB)", path, err,
				    j->lim.memory_mb);
			if (rc != 0)
				die(rc == VIGIL_ERR_TOOBIG ? RENDER_ELIMIT : RENDER_EPDF, "%s: %s",
				    path, err);
			buf_free(out);
			*out = pdf;
		}
	} else {
		struct tmpl_output o = {tmpl_escape_none, NULL, NULL};
		struct tmpl *t = NULL;

		if (strcmp(format, "docx") == 0 || strcmp(format, "pdf") == 0)
			die(RENDER_EUSAGE, "%s is a text template: it makes csv, txt or html",
			    path);
		o.text = strcmp(format, "csv") == 0    ? tmpl_escape_csv
		         : strcmp(format, "html") == 0 ? tmpl_escape_html
		                                       : tmpl_escape_none;
		if ((rc = tmpl_parse(j->tdata, j->tlen, &tl, &t, err, sizeof(err))) != 0)
			die(code_of(rc == VIGIL_ERR_INVAL ? VIGIL_ERR_CONFIG : rc), "%s: %s", path,
			    err);
		if ((rc = tmpl_render(t, value_root(doc), &o, out, err, sizeof(err))) != 0)
			die(code_of(rc), "%s: %s", path, err);
		tmpl_free(t);
	}
	value_doc_free(doc);
	free(data);
	chart_cleanup();
}

/*
 * The worker's PATH: the caller's directories the dropped user can search,
 * in order, so LibreOffice (and a stand-in script) finds its programs where
 * the caller did; a PATH with none left becomes /usr/bin:/bin. A root PATH
 * naming a private directory (a build tree under a 0700 home) would
 * otherwise make every program LibreOffice runs "Permission denied".
 */
static void
path_for_worker(void)
{
	const char *path = getenv("PATH");
	char *copy = path != NULL ? strdup(path) : NULL;
	char *kept = copy != NULL ? malloc(strlen(path) + 1) : NULL;
	char *dir, *save;
	size_t len = 0;

	if (kept == NULL) {
		free(copy);
		setenv("PATH", "/usr/bin:/bin", 1);
		return;
	}
	for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/' || access(dir, X_OK) != 0)
			continue;
		len += (size_t)sprintf(kept + len, "%s%s", len > 0 ? ":" : "", dir);
	}
	setenv("PATH", len > 0 ? kept : "/usr/bin:/bin", 1);
	free(kept);
	free(copy);
}

/*
 * Run as root: fork a worker that drops to user, does the work and writes
 * the document into a pipe; read it back here. Returns when the worker has
 * succeeded; otherwise exits with the worker's code (it said why).
 */
static void
work_unprivileged(const struct job *j, const char *user, struct buf *out)
{
	char err[512], chunk[65536];
	int fds[2], status;
	uid_t uid;
	gid_t gid;
	pid_t pid, parent;

	if (privdrop_lookup(user, &uid, &gid) != 0)
		die(RENDER_EUSAGE, "no user \"%s\" to run as", user);
	parent = getpid();
	if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		die(RENDER_ELIMIT, "cannot start the worker: %s", strerror(errno));
	if (pid == 0) {
		struct buf mine;

		close(fds[0]);
		if (privdrop_to(uid, gid, err, sizeof(err)) != 0)
			die(RENDER_ELIMIT, "%s", err);
		path_for_worker();
		/* After the drop, which clears it: die with the parent, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(RENDER_ELIMIT);
		alarm(j->lim.seconds); /* an alarm is not inherited */
		buf_init(&mine, j->lim.output_mb << 20);
		work(j, &mine);
		if (write_all(fds[1], mine.p != NULL ? mine.p : "", mine.len) != 0)
			_exit(RENDER_EOUTPUT);
		_exit(RENDER_OK);
	}
	close(fds[1]);
	limits_watch(pid);
	for (;;) {
		ssize_t n = read(fds[0], chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_add(out, chunk, (size_t)n) != 0) {
			kill(pid, SIGKILL);
			die(RENDER_ELIMIT, "the document is larger than --max-output");
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	limits_watch(0);
	if (WIFSIGNALED(status))
		die(RENDER_ELIMIT, "the worker died of signal %d (a memory limit?)",
		    WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		exit(WEXITSTATUS(status));
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {"templates", required_argument, NULL, 'T'},
	    {"title", required_argument, NULL, 't'},
	    {"list-fields", no_argument, NULL, 'L'},
	    {"timeout", required_argument, NULL, 1},
	    {"memory", required_argument, NULL, 2},
	    {"max-output", required_argument, NULL, 3},
	    {"user", required_argument, NULL, 4},
	    {"soffice", required_argument, NULL, 5},
	    {"soffice-profile", required_argument, NULL, 6},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct job j = {.soffice = REPORT_SOFFICE, .lim = {60, 1024, 64}};
	const char *user = "nobody";
	char *dirs[DIRS_MAX], path[4096], err[1024];
	size_t ndirs = 0;
	int c, tfd, ofd, rc;
	struct buf out;

	while ((c = getopt_long(argc, argv, "f:o:T:t:h", longopts, NULL)) != -1) {
		char *end;
		unsigned long v = 0;

		if (c >= 1 && c <= 3) {
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*end != '\0' || errno != 0 || v == 0 || v > 100000)
				die(RENDER_EUSAGE, "--%s wants a number from 1 to 100000",
				    longopts[c + 4].name);
		}
		switch (c) {
		case 'f':
			j.format = optarg;
			break;
		case 'o':
			j.output = optarg;
			break;
		case 'T':
			if (ndirs == DIRS_MAX)
				die(RENDER_EUSAGE, "at most %d template directories", DIRS_MAX);
			dirs[ndirs++] = optarg;
			break;
		case 't':
			j.title = optarg;
			break;
		case 'L':
			j.list = 1;
			break;
		case 1:
			j.lim.seconds = (unsigned)v;
			break;
		case 2:
			j.lim.memory_mb = v;
			break;
		case 3:
			j.lim.output_mb = v;
			break;
		case 4:
			user = optarg;
			break;
		case 5:
			j.soffice = optarg;
			break;
		case 6:
			j.profile = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return RENDER_OK;
		default:
			fputs(usage_text, stderr);
			return RENDER_EUSAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(usage_text, stderr);
		return RENDER_EUSAGE;
	}
	j.template_name = argv[optind];
	if (j.format == NULL) {
		const char *dot = j.output != NULL ? strrchr(j.output, '.') : NULL;

		j.format = dot != NULL && strchr(dot, '/') == NULL ? dot + 1 : "docx";
	}
	if (strcmp(j.format, "docx") != 0 && strcmp(j.format, "pdf") != 0 &&
	    strcmp(j.format, "html") != 0 && strcmp(j.format, "csv") != 0 &&
	    strcmp(j.format, "txt") != 0)
		die(RENDER_EUSAGE, "unknown format \"%s\" (docx, pdf, html, csv, txt)", j.format);
	if (limits_apply(&j.lim, err, sizeof(err)) != 0)
		die(RENDER_ELIMIT, "%s", err);
	if ((tfd = open_template(j.template_name, dirs, ndirs, path, sizeof(path))) < 0)
		die(RENDER_ETEMPLATE, "%s: cannot open the template: %s", path, strerror(errno));
	j.path = path;
	if ((rc = read_all(tfd, TEMPLATE_MAX, &j.tdata, &j.tlen)) != 0)
		die(rc == VIGIL_ERR_TOOBIG ? RENDER_ELIMIT : RENDER_ETEMPLATE, "%s: %s", path,
		    rc == VIGIL_ERR_TOOBIG ? "the template is larger than 32 MB" : strerror(errno));
	close(tfd);

	buf_init(&out, j.lim.output_mb << 20);
	if (geteuid() == 0) {
		/* The worker has its own alarm; this one is the backstop. */
		alarm(j.lim.seconds + 5);
		work_unprivileged(&j, user, &out);
	} else
		work(&j, &out);

	if (j.list || j.output == NULL)
		ofd = STDOUT_FILENO;
	else if ((ofd = open(j.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		die(RENDER_EOUTPUT, "%s: %s", j.output, strerror(errno));
	if (write_all(ofd, out.p != NULL ? out.p : "", out.len) != 0) {
		int e = errno;

		if (ofd != STDOUT_FILENO)
			unlink(j.output);
		die(e == EFBIG ? RENDER_ELIMIT : RENDER_EOUTPUT, "%s: %s",
		    j.output != NULL ? j.output : "standard output",
		    e == EFBIG ? "the document is larger than --max-output" : strerror(e));
	}
	if (ofd != STDOUT_FILENO && close(ofd) != 0)
		die(RENDER_EOUTPUT, "%s: %s", j.output, strerror(errno));
	buf_free(&out);
	free(j.tdata);
	return RENDER_OK;
}
