/*
 * The generic antivirus provider (see av_generic.h): the product runs when
 * its process (its /proc/PID/comm) or its systemd unit does, and a detection
 * is a line of its log that holds the configured literal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/text.h"
#include "av_clamd.h"
#include "av_generic.h"

#define COMM_MAX 15                      /* TASK_COMM_LEN - 1 */

int
av_comm_matches(const char *comm, size_t len, const char *name)
{
	size_t n = strlen(name);

	while (len > 0 && (comm[len - 1] == '\n' || comm[len - 1] == '\0'))
		len--;
	if (n == 0)
		return 0;
	/* The kernel keeps the first 15 bytes of a process name. */
	if (n > COMM_MAX)
		n = COMM_MAX;
	return len == n && memcmp(comm, name, n) == 0;
}

int
av_generic_found(const char *line, size_t len, const char *pattern, struct av_detection *d)
{
	size_t n = strlen(pattern);

	if (n == 0 || text_find(line, len, pattern, n) == NULL)
		return 0;
	if (av_clamd_found(line, len, d))
		return 1;
	snprintf(d->signature, sizeof(d->signature), "unknown");
	text_utf8_clean(d->path, sizeof(d->path), line, len);
	return 1;
}

int
av_process_running(const char *name)
{
	struct dirent *de;
	char path[64], comm[64];
	DIR *d;
	ssize_t n;
	int fd, found = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/comm", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, comm, sizeof(comm));
		close(fd);
		if (n > 0 && av_comm_matches(comm, (size_t)n, name))
			found = 1;
	}
	closedir(d);
	return found;
}

struct generic {
	struct av_provider pv;
	char name[64];
	char process[64];
	char unit[256];
	char pattern[256];
};

/* systemd keeps this link for each unit while it is active: no D-Bus needed. */
static int
unit_active(const char *unit)
{
	char path[512];

	snprintf(path, sizeof(path), "/run/systemd/units/invocation:%s%s", unit,
	    strchr(unit, '.') == NULL ? ".service" : "");
	return access(path, F_OK) == 0;
}

static void
generic_check(struct av_provider *pv, av_done_fn done, void *arg)
{
	struct generic *g = (struct generic *)pv;
	struct av_status st;

	memset(&st, 0, sizeof(st));
	if ((g->process[0] != '\0' && av_process_running(g->process)) ||
	    (g->unit[0] != '\0' && unit_active(g->unit)))
		st.running = VIGIL__V1__TRISTATE__TRISTATE_YES;
	else {
		st.running = VIGIL__V1__TRISTATE__TRISTATE_NO;
		snprintf(st.why, sizeof(st.why), "%.60s%s%s%.120s is not running", g->process,
		    g->process[0] != '\0' && g->unit[0] != '\0' ? " and " : "",
		    g->unit[0] != '\0' ? "unit " : "", g->unit);
	}
	done(arg, &st);
}

static int
generic_found(struct av_provider *pv, const char *line, size_t len, struct av_detection *d)
{
	struct generic *g = (struct generic *)pv;

	return av_generic_found(line, len, g->pattern, d);
}

static void
generic_free(struct av_provider *pv)
{
	free(pv);
}

struct av_provider *
av_generic_new(const char *name, const char *process, const char *unit, const char *pattern)
{
	struct generic *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->process, sizeof(g->process), "%s", process != NULL ? process : "");
	snprintf(g->unit, sizeof(g->unit), "%s", unit != NULL ? unit : "");
	snprintf(g->pattern, sizeof(g->pattern), "%s", pattern != NULL ? pattern : "");
	g->pv.product = g->name;
	g->pv.check = generic_check;
	g->pv.found = generic_found;
	g->pv.free = generic_free;
	return &g->pv;
}

static int
generic_conf_check(const struct agent_conf_antivirus *conf, const char **key, char *err,
    size_t errlen)
{
	*key = NULL;
	if (conf->log[0] != '\0' && conf->log[0] != '/') {
		*key = "log";
		return err_fmt(err, errlen, VIGIL_ERR_CONFIG, "%s", _("a log path must be absolute"));
	}
	if (conf->name[0] == '\0' || (conf->process[0] == '\0' && conf->unit[0] == '\0'))
		return err_fmt(err, errlen, VIGIL_ERR_CONFIG, "%s",
		    _("the generic provider needs a name and a process or a unit"));
	if ((conf->log[0] == '\0') != (conf->pattern[0] == '\0'))
		return err_fmt(err, errlen, VIGIL_ERR_CONFIG, "%s", _("log and pattern go together"));
	return 0;
}

static struct av_provider *
generic_open(struct event_base *base, const struct agent_conf_antivirus *conf, const char **log,
    char *err, size_t errlen)
{
	struct av_provider *pv;

	*log = conf->log;
	if ((pv = av_generic_new(conf->name, conf->process, conf->unit, conf->pattern)) == NULL)
		err_fmt(err, errlen, VIGIL_ERR_NOMEM, "%s", _("out of memory"));
	return pv;
}

const struct av_provider_driver av_provider_generic = {
	.name = "generic",
	.check = generic_conf_check,
	.open = generic_open,
};
