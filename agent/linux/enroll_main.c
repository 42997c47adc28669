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

/* path replaced by data, mode, atomically (a temporary file renamed over it). */
static int
replace_file(const char *path, const char *data, mode_t mode)
{
	char tmp[4096];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -1;
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
		return -1;
	rc = fchmod(fd, mode) == 0 && write_all(fd, data, strlen(data)) == 0 ? 0 : -1;
	if (close(fd) != 0 || rc != 0 || rename(tmp, path) != 0) {
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
	/* No key: a re-enrolment, whose certificate is for the key on disk. */
	if (key_pem != NULL && strlen(key_pem) != key_len)
		return -1;
	/* The key first: a certificate never names a key that is not there. */
	if (key_pem != NULL && replace_file(key_path, key_pem, 0600) != 0) {
		log_warn(_("The renewed key %s cannot be written"), key_path);
		return -1;
	}
	if (replace_file(cert_path, cert_pem, 0644) != 0) {
		log_warn(_("The renewed certificate %s cannot be written"), cert_path);
		return -1;
	}
	return 0;
}

int
enroll_save_ca(void *arg, const char *ca_path, const char *pem)
{
	(void)arg;
	if (replace_file(ca_path, pem, 0644) != 0) {
		log_warn(_("The collector's CA file %s cannot be written"), ca_path);
		return -1;
	}
	return 0;
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
	if (replace_file(path, pem, 0644) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
remove_file(const char *path)
{
	(void)unlink(path);
}

int
enroll_linux_main(int argc, char *argv[])
{
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
	};

	return enroll_main(argc, argv, &linux_enroll);
}
