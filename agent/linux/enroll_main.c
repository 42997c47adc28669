/*
 * vigil-agent -f FILE --enroll HOST[:PORT] --token T [--machine-id-file F]
 * on Linux: the machine's id and name, then agent_enroll() (the portable
 * core), then the files the configuration names ([collector] key, cert,
 * ca): the key 0600 and never over an existing one (a PC enrolled already
 * keeps its identity: remove its key to enrol it afresh), the certificate
 * and the CA replaced atomically. --machine-id-file reads another file than
 * /etc/machine-id (a container, or a test playing a second machine).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "vigil/clock.h"
#include "vigil/enroll.h"
#include "vigil/i18n.h"
#include "vigil/log.h"

#include "../agent.h"
#include "../conf.h"
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

/* SHA-256 hex of the machine id's line: the collector tells machines apart, never learns it. */
void
enroll_machine_id(const char *file, char *hex, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char line[256];
	FILE *fp = fopen(file, "r");

	hex[0] = '\0';
	if (fp == NULL || fgets(line, sizeof(line), fp) == NULL) {
		if (fp != NULL)
			fclose(fp);
		log_warnx(_("The machine id %s cannot be read; enrolling without it."), file);
		return;
	}
	fclose(fp);
	line[strcspn(line, "\r\n")] = '\0';
	if (cap >= ENROLL_HASH_HEX &&
	    EVP_Digest(line, strlen(line), md, &n, EVP_sha256(), NULL) == 1 && n == 32)
		enroll_hex(md, n, hex);
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

int
enroll_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "enroll", required_argument, NULL, 'E' },
		{ "token", required_argument, NULL, 'T' },
		{ "machine-id-file", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *target = NULL, *token = NULL, *idfile = enroll_machine_id_file();
	const struct agent_conf_collector *cc;
	struct enroll_out out;
	struct agent *a;
	struct stat st;
	char err[1024], host[256], mid[ENROLL_HASH_HEX];
	int ch, fd;

	while ((ch = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'E':
			target = optarg;
			break;
		case 'T':
			token = optarg;
			break;
		case 'M':
			idfile = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (file == NULL || target == NULL || token == NULL || optind != argc)
		goto usage;
	log_init("vigil-agent", 1, 0);
	if ((a = agent_load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cc = &agent_conf(a)->collector;
	if (lstat(cc->key, &st) == 0) {
		fprintf(stderr, _("vigil-agent: this PC has a key already (%s): it is enrolled. To "
		    "enrol it afresh, as a new machine, remove that key first.\n"), cc->key);
		agent_free(a);
		return 1;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "pc");
	host[sizeof(host) - 1] = '\0';
	enroll_machine_id(idfile, mid, sizeof(mid));
	if (agent_enroll(target, token, host, mid, clock_now_us(), &out, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-agent: %s\n", err);
		agent_free(a);
		return 1;
	}
	/* The key first, never over another; the certificate and the CA after it. */
	fd = open(cc->key, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 || write_all(fd, out.key_pem, out.key_len) != 0) {
		fprintf(stderr, _("vigil-agent: cannot write the key %s: %s.\n"), cc->key,
		    strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(cc->key);
		}
		goto fail;
	}
	close(fd);
	if (replace_file(cc->cert, out.cert_pem, 0644) != 0 ||
	    replace_file(cc->ca, out.ca_pem, 0644) != 0) {
		fprintf(stderr, _("vigil-agent: cannot write the certificate %s or the CA %s: "
		    "%s.\n"), cc->cert, cc->ca, strerror(errno));
		unlink(cc->key);
		goto fail;
	}
	printf(_("Enrolled as %s in unit %s. The key stays on this PC (%s); start the agent "
	    "now.\n"), out.agent, out.unit, cc->key);
	enroll_out_free(&out);
	agent_free(a);
	return 0;
fail:
	enroll_out_free(&out);
	agent_free(a);
	return 1;
usage:
	fprintf(stderr, "%s", _("usage: vigil-agent -f FILE --enroll HOST[:PORT] --token TOKEN "
	    "[--machine-id-file FILE]\n"));
	return 1;
}
