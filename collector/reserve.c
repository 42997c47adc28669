/*
 * The disk space the collector keeps for its own alarm.
 *
 * When the disk under the database fills up, no commit succeeds, and the
 * incident that should tell someone could not be stored either. So the
 * collector holds database_reserve bytes of real blocks (posix_fallocate, not
 * a sparse file) in DATABASE.reserve, gives them up when commits have failed
 * for store_alarm_after (session_commit.c), writes the incident and its first
 * notification into the room that made, and takes the room back once the
 * store writes again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/log.h"

#include "collector.h"
#include "reserve.h"

static int
reserve_path(const struct collector *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.reserve", c->conf.collector.database);

	return n > 0 && (size_t)n < len ? 0 : -1;
}

void
reserve_make(struct collector *c)
{
	long long want = c->conf.collector.database_reserve;
	char path[CONF_PATH_MAX + 16];
	struct stat sb;
	int fd, rc;

	if (want <= 0 || reserve_path(c, path, sizeof(path)) != 0)
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		log_warn("Cannot keep disk space in reserve in %s", path);
		return;
	}
	if (fstat(fd, &sb) == 0 && sb.st_size >= want && sb.st_blocks * 512 >= want) {
		close(fd);
		return;
	}
	if ((rc = posix_fallocate(fd, 0, (off_t)want)) != 0) {
		log_warnx("Cannot keep %lld bytes of disk space in reserve in %s: %s; if the disk "
		    "fills up, the incident saying so may not be stored.", want, path,
		    strerror(rc));
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
	log_debug("Keeping %lld bytes of disk space in reserve in %s.", want, path);
}

void
reserve_release(struct collector *c)
{
	char path[CONF_PATH_MAX + 16];

	if (c->conf.collector.database_reserve <= 0 || reserve_path(c, path, sizeof(path)) != 0)
		return;
	if (unlink(path) == 0)
		log_warnx("Gave up the %lld bytes kept in reserve (%s) so that the store's failure "
		    "can be recorded and sent.", c->conf.collector.database_reserve, path);
	else if (errno != ENOENT)
		log_warn("Cannot give up the disk space kept in %s", path);
}
