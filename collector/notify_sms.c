/*
 * The SMS channel (issue 11): a message is a file dropped into gammu-smsd's
 * outbox (its FILES service, gammu-smsd-files(7)); gammu-smsd owns the modem,
 * sends it and moves the file to its sent or error folder. Writing a file
 * never blocks on the modem, needs no program run per message, and survives
 * a collector restart once the rename is done. The text is the
 * notification's short form (template.h, short_text) cut to one part
 * (sms.h: 160 GSM-7 or 70 UCS-2 characters), written as UTF-16 with a BOM,
 * which gammu-smsd reads as Unicode and sends as UCS-2 when it must.
 *
 * The file is written under a name gammu-smsd does not read (".vigil-..."),
 * synced, then renamed to OUTA<date>_<time>_<serial>_<number>_vigil<job>.txt
 * ("A": highest priority), so gammu-smsd never sees half a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/i18n.h"

#include "notify.h"
#include "sms.h"

static int
sms_usable(const struct notify_conf *c)
{
	return c->sms_outbox[0] != '\0' ? 0 : VIGIL_ERR_INVAL;
}

static void
sms_start(struct notify_job *j)
{
	const struct notify_conf *c = notify_conf_of(j->n);
	unsigned char buf[2 * SMS_TEXT_MAX + 8];
	char tmp[NOTIFY_TARGET_MAX + 64], path[2 * NOTIFY_TARGET_MAX + 128];
	time_t now = (time_t)(notify_now_us() / 1000000);
	struct tm tm;
	size_t cut;
	int fd, len, saved;

	if (!sms_number_ok(j->target)) {
		notify_job_done(j, NOTIFY_FAIL_INVALID, 0, _("'%s' is not a phone number."), j->target);
		return;
	}
	cut = sms_fit(j->body, strlen(j->body));
	if ((len = sms_utf16_encode(j->body, cut, buf, sizeof(buf))) < 0) {
		notify_job_done(j, NOTIFY_FAIL_OTHER, 0, "%s", _("The text does not fit."));
		return;
	}
	gmtime_r(&now, &tm);
	snprintf(tmp, sizeof(tmp), "%s/.vigil-%" PRIu64 ".tmp", c->sms_outbox, j->id);
	snprintf(path, sizeof(path), "%s/OUTA%04d%02d%02d_%02d%02d%02d_%02u_%s_vigil%" PRIu64 ".txt",
	    c->sms_outbox, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(j->id % 100), j->target, j->id);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		goto fail;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto fail;
	}
	notify_job_done(j, NOTIFY_FAIL_NONE, 0, "%s", "");
	return;
fail:
	notify_job_done(j, NOTIFY_FAIL_OTHER, 0, _("Cannot write to the SMS outbox %s: %s."),
	    c->sms_outbox, strerror(errno));
}

/* An attempt holds nothing past its start: the file is written or not. */
static void
sms_abort(struct notify_job *j)
{
	(void)j;
}

const struct notify_driver notify_sms = {
	.name = "sms",
	.usable = sms_usable,
	.start = sms_start,
	.abort = sms_abort,
};
