/*
 * vigil-agent -f FILE --enroll HOST[:PORT] --token T [--machine-id-file F]
 * on Linux: the platform's part of enroll_main() (agent/enroll.c, the
 * portable command): /etc/machine-id, the host name, and the files the
 * configuration names ([collector] key, cert, ca): the key 0600 and never
 * over an existing one (a PC enrolled already keeps its identity: remove its
 * key to enrol it afresh), the certificate and the CA replaced atomically.
 * --machine-id-file reads another file than /etc/machine-id (a container,
 * or a test playing a second machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/enroll.h"
#include "vigil/i18n.h"
#include "vigil/log.h"

#include "../agent.h"
#include "../enroll.h"
#include "enroll_main.h"

#define MACHINE_ID_FILE "/etc/machine-id"

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return fsync(fd);
}

/*
 * path replaced by len bytes of data, atomically (a temporary file renamed
 * over it): 0600 when secret, else 0644 (enroll_replace_fn).
 */
static int
replace_file(const char *path, const char *data, size_t len, int secret, char *err,
    size_t errlen)
{
	mode_t mode = secret ? 0600 : 0644;
	char tmp[4096];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s", strerror(ENAMETOOLONG));
		return -1;
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	rc = fchmod(fd, mode) == 0 && write_all(fd, data, len) == 0 ? 0 : -1;
	if (close(fd) != 0 || rc != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* /etc/machine-id, or VIGIL_MACHINE_ID_FILE (a container; a test playing two machines). */
const char *
enroll_machine_id_file(void)
{
	const char *v = getenv("VIGIL_MACHINE_ID_FILE");

	return v != NULL && *v != '\0' ? v : MACHINE_ID_FILE;
}

int
enroll_save_identity(void *arg, const char *key_path, const char *key_pem, size_t key_len,
    const char *cert_path, const char *cert_pem)
{
	(void)arg;
	return enroll_write_identity(replace_file, key_path, key_pem, key_len, cert_path,
	    cert_pem);
}

int
enroll_save_ca(void *arg, const char *ca_path, const char *pem)
{
	(void)arg;
	return enroll_write_ca(replace_file, ca_path, pem);
}

static int
key_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
hostname(char *buf, size_t cap)
{
	if (gethostname(buf, cap) != 0)
		snprintf(buf, cap, "pc");
	buf[cap - 1] = '\0';
}

static void
machine_id(char *hex, size_t cap)
{
	enroll_machine_id(enroll_machine_id_file(), hex, cap);
}

/* The machine id file of idfile, or the platform's: empty or "uninitialized" is an image. */
static int
image(const char *idfile, char *why, size_t whylen)
{
	char line[256];
	FILE *fp = fopen(idfile != NULL ? idfile : enroll_machine_id_file(), "r");
	int got;

	if (fp == NULL)
		return 0;       /* no file: no systemd; enroll_machine_id() says so */
	got = fgets(line, sizeof(line), fp) != NULL;
	fclose(fp);
	return enroll_image_pending(&(struct enroll_image){ got ? line : "", NULL }, why, whylen);
}

static int
pause_s(unsigned sec)
{
	sleep(sec);
	return 0;
}

static int
write_key(const char *path, const char *pem, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 || fchmod(fd, 0600) != 0 || write_all(fd, pem, len) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return -1;
	}
	close(fd);
	return 0;
}

static int
write_public(const char *path, const char *pem, char *err, size_t errlen)
{
	return replace_file(path, pem, strlen(pem), 0, err, errlen);
}

static void
remove_file(const char *path)
{
	(void)unlink(path);
}

static const struct enroll_platform linux_enroll = {
	.default_file = NULL,
	.usage = N_("usage: vigil-agent -f FILE --enroll HOST[:PORT] --token TOKEN "
	    "[--machine-id-file FILE]\n"),
	.load = agent_load,
	.exists = key_exists,
	.hostname = hostname,
	.machine_id = machine_id,
	.write_key = write_key,
	.write_public = write_public,
	.remove = remove_file,
	.image = image,
	.pause = pause_s,
};

int
enroll_linux_main(int argc, char *argv[])
{
	return enroll_main(argc, argv, &linux_enroll);
}

int
enroll_linux_deferred(const char *file)
{
	return enroll_deferred(&linux_enroll, file);
}
