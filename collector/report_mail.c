/*
 * The periodic summary mailed on a schedule (issue 17): [report]
 * summary_schedule = monthly | quarterly | halfyearly, summary_to the
 * addresses, summary_unit the unit (none: every machine), summary_format
 * pdf | html | csv. Once a period is over, its summary is made and mailed
 * once: the data from the store (report_summary.c), the document by
 * vigil-report-render run as a child process with its own caps (never in
 * this process), the mail through the SMTP notifier (notify.h) with the
 * document attached, and the period recorded as mailed in the store, so that
 * a restart does not send it again. The renderer's exit is watched with
 * waitpid() on its own pid from a timer, so that no other child (the exec
 * notifier's) is reaped here; a renderer that outlives its own timeout is
 * killed. A failure is logged and tried again an hour later.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "vigil/buf.h"
#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/tz.h"

#include "../report/calendar.h"
#include "../report/deadline.h"

#include "collector.h"
#include "escalate_run.h"
#include "notify.h"
#include "report_data.h"
#include "report_mail.h"
#include "report_summary.h"
#include "store.h"
#include "store_report.h"
#include "template.h"

#define MAIL_RETRY_US (3600LL * 1000 * 1000)
#define RENDER_KILL_US (300LL * 1000 * 1000) /* past the renderer's own --timeout */

struct report_mail {
	struct collector *c;
	struct notify *notify;
	struct event *watch;         /* the renderer's exit, polled */
	pid_t pid;                   /* the renderer running, or 0 */
	int64_t started_us;
	int64_t retry_us;            /* no new attempt before this */
	char dir[64];                /* its private directory */
	char period[32];
	char out[128];
	uint64_t mailed, failed;
};

int
report_mail_due(const char *schedule, int64_t now_us, int utc_offset_min, char *period,
    size_t len)
{
	int y, m, d;

	cal_date(deadline_local_day(now_us, utc_offset_min), &y, &m, &d);
	if (strcmp(schedule, "monthly") == 0) {
		if (--m == 0) {
			m = 12;
			y--;
		}
		snprintf(period, len, "%04d-%02d", y, m);
	} else if (strcmp(schedule, "quarterly") == 0) {
		int q = (m - 1) / 3; /* the quarter before this one: 0 means the last of last year */

		if (q == 0) {
			q = 4;
			y--;
		}
		snprintf(period, len, "%04d-Q%d", y, q);
	} else if (strcmp(schedule, "halfyearly") == 0) {
		if (m <= 6)
			snprintf(period, len, "%04d-H2", y - 1);
		else
			snprintf(period, len, "%04d-H1", y);
	} else {
		return -1;
	}
	return 0;
}

static void
cleanup_dir(struct report_mail *m)
{
	char p[256];
	static const char *const files[] = { "data.json", "render.log", "summary.pdf",
	                                     "summary.html", "summary.csv" };

	if (m->dir[0] == '\0')
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", m->dir, files[i]);
		unlink(p);
	}
	rmdir(m->dir);
	m->dir[0] = '\0';
}

static void
give_up(struct report_mail *m, const char *why)
{
	m->failed++;
	log_warnx("The %s summary cannot be mailed: %s; trying again in an hour.", m->period, why);
	m->retry_us = clock_now_us() + MAIL_RETRY_US;
	cleanup_dir(m);
}

static void
mail_cb(const struct notify_attempt *a, void *arg)
{
	(void)arg;
	if (a->ok)
		log_info("The summary was mailed to %s.", a->target);
	else if (a->final)
		log_warnx("The summary could not be mailed to %s: %s.", a->target, a->error);
}

/* The document is made: mail it, and keep the period as mailed. */
static void
send_it(struct report_mail *m)
{
	const struct conf *conf = &m->c->conf;
	struct notification n;
	struct notify_request rq;
	char subject[512], body[2048], name[64], *data = NULL;
	const char *type;
	struct stat sb;
	int fd, already = 0;
	ssize_t got;

	if ((fd = open(m->out, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0 ||
	    sb.st_size <= 0 || (size_t)sb.st_size > NOTIFY_ATTACH_MAX ||
	    (data = malloc((size_t)sb.st_size)) == NULL ||
	    (got = read(fd, data, (size_t)sb.st_size)) != sb.st_size) {
		if (fd >= 0)
			close(fd);
		free(data);
		give_up(m, "the document cannot be read, or is larger than the mail allows");
		return;
	}
	close(fd);
	type = strcmp(conf->report.summary_format, "pdf") == 0 ? "application/pdf" :
	       strcmp(conf->report.summary_format, "html") == 0 ? "text/html" : "text/csv";
	snprintf(name, sizeof(name), "bao-cao-tong-hop-%s.%s", m->period,
	    conf->report.summary_format);
	snprintf(subject, sizeof(subject), "Báo cáo tổng hợp định kỳ %s — %s", m->period,
	    conf->unit.name[0] != '\0' ? conf->unit.name : "Vigil");
	snprintf(body, sizeof(body), "Kính gửi các đồng chí,\n\nVigil gửi kèm báo cáo tổng hợp "
	    "định kỳ kỳ %s của %s (tệp %s): tỷ lệ máy tuân thủ so với mục tiêu 100 %%, các sự cố, "
	    "thời gian tiếp nhận và xử lý, các việc còn mở và quá hạn.\n\nThư này do hệ thống gửi "
	    "tự động.\n", m->period, conf->unit.name[0] != '\0' ? conf->unit.name : "đơn vị",
	    name);
	memset(&n, 0, sizeof(n));
	n.title = subject;
	n.status = "";
	n.unit = conf->report.summary_unit;
	n.host = "";
	n.language = "vi";
	n.reply_subject = subject;
	n.reply_body = body;
	memset(&rq, 0, sizeof(rq));
	rq.channel = NOTIFY_EMAIL;
	rq.target = conf->report.summary_to;
	rq.n = &n;
	rq.attach_name = name;
	rq.attach_type = type;
	rq.attach = data;
	rq.attach_len = (size_t)sb.st_size;
	if (notify_send(m->notify, &rq, NULL) != 0) {
		free(data);
		give_up(m, "the mail cannot be queued (check [notify] smtp_url and smtp_from, and "
		    "summary_to)");
		return;
	}
	free(data);
	if (store_report_mailed_set(m->c->store, m->period, conf->report.summary_unit,
	    clock_now_us(), &already) != 0)
		log_warnx("The %s summary was queued, but cannot be kept as mailed: %s.", m->period,
		    store_errmsg(m->c->store));
	m->mailed++;
	log_info("The %s summary (%zu bytes) is queued for %s.", m->period, (size_t)sb.st_size,
	    conf->report.summary_to);
	cleanup_dir(m);
}

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct report_mail *m = arg;
	struct timeval tv = { 1, 0 };
	char why[300], log[256];
	int status;
	pid_t r;

	if (m->pid == 0)
		return;
	r = waitpid(m->pid, &status, WNOHANG);
	if (r == 0) {
		if (clock_now_us() - m->started_us > RENDER_KILL_US) {
			kill(m->pid, SIGKILL);
			waitpid(m->pid, &status, 0);
			m->pid = 0;
			give_up(m, "the renderer ran too long and was killed");
			return;
		}
		evtimer_add(m->watch, &tv);
		return;
	}
	m->pid = 0;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		FILE *fp;

		snprintf(log, sizeof(log), "%s/render.log", m->dir);
		why[0] = '\0';
		if ((fp = fopen(log, "r")) != NULL) {
			if (fgets(why, sizeof(why), fp) == NULL)
				why[0] = '\0';
			fclose(fp);
		}
		why[strcspn(why, "\r\n")] = '\0';
		give_up(m, why[0] != '\0' ? why : "the renderer failed");
		return;
	}
	send_it(m);
}

/* Start making the summary of m->period: the data now, the document in a child. */
static void
start(struct report_mail *m)
{
	const struct conf *conf = &m->c->conf;
	struct buf b;
	struct timeval tv = { 1, 0 };
	char err[512], data[128], log[128], tmpl[64], to[64] = "120";
	const char *argv[20];
	size_t a = 0;
	int fd;
	pid_t pid;

	snprintf(m->dir, sizeof(m->dir), "/tmp/vigil-summary.XXXXXX");
	if (mkdtemp(m->dir) == NULL) {
		m->dir[0] = '\0';
		give_up(m, strerror(errno));
		return;
	}
	buf_init(&b, REPORT_DATA_MAX);
	if (report_summary_data(m->c, conf->report.summary_unit, m->period, &b, err,
	    sizeof(err)) != 0) {
		buf_free(&b);
		give_up(m, err);
		return;
	}
	snprintf(data, sizeof(data), "%s/data.json", m->dir);
	snprintf(log, sizeof(log), "%s/render.log", m->dir);
	snprintf(m->out, sizeof(m->out), "%s/summary.%s", m->dir, conf->report.summary_format);
	if ((fd = open(data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    write(fd, b.p, b.len) != (ssize_t)b.len || close(fd) != 0) {
		buf_free(&b);
		give_up(m, "its data cannot be written");
		return;
	}
	buf_free(&b);
	if (strcmp(conf->report.summary_format, "csv") == 0)
		snprintf(tmpl, sizeof(tmpl), "summary.csv");
	else
		snprintf(tmpl, sizeof(tmpl), "summary-%s", conf->unit.format);
	argv[a++] = conf->report.renderer;
	argv[a++] = "-f";
	argv[a++] = conf->report.summary_format;
	argv[a++] = "-o";
	argv[a++] = m->out;
	argv[a++] = "--timeout";
	argv[a++] = to;
	if (conf->report.templates[0] != '\0') {
		argv[a++] = "-T";
		argv[a++] = conf->report.templates;
	}
	argv[a++] = "-T";
	argv[a++] = conf->report.shipped;
	argv[a++] = tmpl;
	argv[a] = NULL;
	if ((pid = fork()) < 0) {
		give_up(m, strerror(errno));
		return;
	}
	if (pid == 0) {
		int in = open(data, O_RDONLY), lg = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in < 0 || lg < 0 || dup2(in, 0) < 0 || dup2(lg, 1) < 0 || dup2(lg, 2) < 0)
			_exit(126);
		setsid();
		execv(argv[0], (char *const *)(uintptr_t)argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	m->pid = pid;
	m->started_us = clock_now_us();
	log_info("Making the %s summary (renderer pid %ld).", m->period, (long)pid);
	evtimer_add(m->watch, &tv);
}

void
report_mail_tick(struct collector *c, struct report_mail *m, int64_t now_us)
{
	const struct conf *conf = &c->conf;
	char period[32];
	int mailed = 0;

	if (m == NULL || m->pid != 0 || m->dir[0] != '\0' || now_us < m->retry_us ||
	    report_mail_due(conf->report.summary_schedule, now_us, tz_offset_min(now_us),
	        period, sizeof(period)) != 0)
		return;
	if (store_report_mailed(c->store, period, conf->report.summary_unit, &mailed) != 0 ||
	    mailed)
		return;
	snprintf(m->period, sizeof(m->period), "%s", period);
	start(m);
}

struct report_mail *
report_mail_open(struct collector *c, char *err, size_t errlen)
{
	const struct conf *conf = &c->conf;
	struct notify_conf nc;
	struct report_mail *m;

	if (strcmp(conf->report.summary_schedule, "none") == 0 || c->base == NULL)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		err_fmt(err, errlen, VIGIL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	m->c = c;
	escalate_run_notify_conf(conf, &nc);
	if ((m->notify = notify_new(c->base, &nc, mail_cb, m)) == NULL ||
	    (m->watch = evtimer_new(c->base, watch_cb, m)) == NULL) {
		report_mail_free(m);
		err_fmt(err, errlen, VIGIL_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return m;
}

void
report_mail_free(struct report_mail *m)
{
	int status;

	if (m == NULL)
		return;
	if (m->pid != 0) {
		kill(m->pid, SIGKILL);
		waitpid(m->pid, &status, 0);
	}
	cleanup_dir(m);
	if (m->watch != NULL)
		event_free(m->watch);
	notify_free(m->notify);
	free(m);
}
