/*
 * Replies by SMS (issue 11): gammu-smsd's FILES service writes each received
 * message as IN<date>_<time>_<serial>_<sender>_<part>.txt in its inbox
 * (UTF-16 by default); every [sms] poll the files there are read, judged by
 * ack_reply_handle() as channel "sms" ("XN 4821": a bare code counts, there
 * is no token, and the contact must have been sent that incident), answered
 * by SMS, and moved to the inbox's done/ folder. A file is moved only after
 * its outcome is recorded, and the record (keyed by the file name) stops a
 * second handling if the move was lost; a reply the store could not act on
 * stays for the next poll. Reading a folder of small files is quick: it runs
 * on the event loop.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/log.h"

#include "collector.h"
#include "ack_reply.h"
#include "ack_sms.h"
#include "sms.h"

#define SMS_PER_POLL 100                 /* files handled in one poll; the rest wait */

struct ack_sms {
	struct collector *c;
	struct event *ev;
	int failing;
	/* counters */
	unsigned long long files, too_big, bad_name, deferred;
};

/* Move name into done/ (made when missing); a failure is said, the record stands. */
static void
done(struct ack_sms *s, const char *name)
{
	char from[CONF_PATH_MAX + 300], to[CONF_PATH_MAX + 310], dir[CONF_PATH_MAX + 8];

	snprintf(dir, sizeof(dir), "%s/done", s->c->conf.sms.inbox);
	snprintf(from, sizeof(from), "%s/%s", s->c->conf.sms.inbox, name);
	snprintf(to, sizeof(to), "%s/%s", dir, name);
	if ((mkdir(dir, 0750) != 0 && errno != EEXIST) || rename(from, to) != 0)
		log_warn("Cannot move the SMS %s to %s", from, dir);
}

static void
handle(struct ack_sms *s, const char *name)
{
	char path[CONF_PATH_MAX + 300], sender[SMS_NUMBER_MAX], text[SMS_FILE_MAX * 2];
	char key[400];
	unsigned char raw[SMS_FILE_MAX + 1];
	struct ack_reply_in in;
	struct ack_answer ans;
	ssize_t r;
	int fd;

	s->files++;
	if (sms_inbox_sender(name, sender, sizeof(sender)) != 0) {
		s->bad_name++;
		log_warnx("The SMS file %s does not name its sender as gammu-smsd does; it is set "
		    "aside.", name);
		done(s, name);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", s->c->conf.sms.inbox, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		log_warn("Cannot read the SMS %s", path);
		return;
	}
	r = read(fd, raw, sizeof(raw));
	close(fd);
	if (r < 0)
		return;
	if ((size_t)r > SMS_FILE_MAX) {
		s->too_big++;
		log_warnx("The SMS file %s is larger than %d bytes; it is set aside unread.", name,
		    SMS_FILE_MAX);
		done(s, name);
		return;
	}
	sms_file_text(raw, (size_t)r, text, sizeof(text));
	snprintf(key, sizeof(key), "sms:%s", name);
	memset(&in, 0, sizeof(in));
	in.channel = "sms";
	in.sender = sender;
	in.key = key;
	in.text = text;
	in.bare_code = 1;
	if (ack_reply_handle(s->c, &in, &ans) == ACK_FAILED)
		return;
	ack_reply_send(s->c, "sms", &ans);
	done(s, name);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ack_sms *s = arg;
	long long ms = s->c->conf.sms.poll;
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	char *names[SMS_PER_POLL];
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	(void)fd;
	(void)what;
	if ((d = opendir(s->c->conf.sms.inbox)) == NULL) {
		s->c->counters.sms_poll_failures++;
		if (!s->failing)
			log_warn("Cannot read the SMS inbox %s; trying again every poll",
			    s->c->conf.sms.inbox);
		s->failing = 1;
		goto out;
	}
	s->failing = 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "IN", 2) != 0 || de->d_type == DT_DIR)
			continue;
		if (n == SMS_PER_POLL) {
			s->deferred++;
			continue;
		}
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	/* Oldest first: the names begin with the date and time. */
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		handle(s, names[i]);
		free(names[i]);
	}
out:
	evtimer_add(s->ev, &tv);
}

struct ack_sms *
ack_sms_new(struct collector *c, char *err, size_t errlen)
{
	struct ack_sms *s;
	struct timeval now = { 0, 0 };

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->ev = evtimer_new(c->base, poll_cb, s)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->c = c;
	evtimer_add(s->ev, &now);
	log_info("Replies by SMS are read from %s every %lld ms.", c->conf.sms.inbox,
	    c->conf.sms.poll);
	return s;
}

void
ack_sms_free(struct ack_sms *s)
{
	if (s == NULL)
		return;
	event_free(s->ev);
	free(s);
}
