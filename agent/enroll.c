/*
 * Enrolment, the agent's side (enroll.h). One blocking exchange, before the
 * agent runs: connect with OpenSSL's own socket BIO (the same on Linux and
 * Windows), check the collector's chain against the token's CA fingerprint
 * (the PC's clock is not consulted: it may be wrong, and the fingerprint is
 * the trust), send one EnrollRequest, read one EnrollResult, check that the
 * certificate is for our key and signed by that CA.
 *
 * enroll_main() and enroll_run() are the command around it, the same on
 * every platform: the options, the configuration, "enrolled already", the
 * machine's id and name, then the files in their order (the key first,
 * never over another; the certificate and the CA after it; the key removed
 * again when they cannot be written). The platform (struct enroll_platform)
 * reads the id and writes the files: the key 0600 on Linux, with an access
 * list given at its creation on Windows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "vigil/clock.h"
#include "vigil/enroll.h"
#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#include "agent.h"
#include "conf.h"
#include "enroll.h"

#define RESULT_MAX (64 * 1024)

void
enroll_out_free(struct enroll_out *out)
{
	if (out->key_pem != NULL) {
		OPENSSL_cleanse(out->key_pem, out->key_len);
		free(out->key_pem);
	}
	free(out->cert_pem);
	free(out->ca_pem);
	memset(out, 0, sizeof(*out));
}

/* All of buf, by deadline (the BIO does not block: a running agent asks too). */
static int
io_full(BIO *b, void *buf, size_t len, int writing, time_t deadline)
{
	size_t off = 0;
	int n;

	while (off < len) {
		n = writing ? BIO_write(b, (char *)buf + off, (int)(len - off)) :
		              BIO_read(b, (char *)buf + off, (int)(len - off));
		if (n <= 0) {
			if (BIO_should_retry(b) && BIO_wait(b, deadline, 100) == 1)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* The refusal the collector names, in words for the person at the PC. */
static const char *
status_words(Vigil__V1__EnrollStatus st)
{
	switch (st) {
	case VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_EXPIRED:
		return _("Expired token: it is past its expiry date. Ask the IT officer for a new "
		         "one.");
	case VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_USED:
		return _("Used token: it has been used as many times as it allows. Ask the IT "
		         "officer for a new one.");
	case VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_CANCELLED:
		return _("Cancelled token: the IT officer cancelled it.");
	case VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_UNKNOWN_TOKEN:
		return _("Unknown token: this collector never made it, or it was copied wrong.");
	case VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_CLOCK_SKEW:
		return _("Clock skew: this PC's clock is too far from the collector's. Set the "
		         "date and time, then enrol again with the same token.");
	case VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_BAD_REQUEST:
		return _("The collector refused this PC's certificate request.");
	default:
		return _("The collector could not enrol this PC; its log says why.");
	}
}

int
enroll_check_cert(const char *cert_pem, EVP_PKEY *key, X509 *ca, char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(cert_pem, -1);
	X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	int ok;

	BIO_free(bio);
	ok = x != NULL && X509_check_private_key(x, key) == 1 &&
	    X509_verify(x, X509_get0_pubkey(ca)) == 1;
	X509_free(x);
	ERR_clear_error();
	if (!ok)
		return err_fmt(err, errlen, -1, "%s", _("The collector answered with a "
		    "certificate that is not for this PC's key or not signed by its CA."));
	return 0;
}

int
enroll_exchange(const char *hostport, const uint8_t fp[ENROLL_FP_LEN],
    const struct enroll_ask *ask, Vigil__V1__Frame **res, X509 **ca, char *err, size_t errlen)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__EnrollRequest q;
	uint8_t hdr[FRAME_HDR_LEN], *buf = NULL, *body = NULL;
	char target[300], why[512], ebuf[256];
	int timeout = ask->timeout_s > 0 ? ask->timeout_s : ENROLL_EXCHANGE_SEC;
	time_t deadline = time(NULL) + timeout;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	BIO *b = NULL;
	size_t len;
	int rc = -1;

	*res = NULL;
	*ca = NULL;
	/* HOST alone: the usual port. A bare IPv6 address needs its brackets. */
	if (strrchr(hostport, ':') == NULL || (hostport[0] == '[' &&
	    strchr(hostport, ']') > strrchr(hostport, ':')))
		snprintf(target, sizeof(target), "%s:%d", hostport, ENROLL_PORT_DEFAULT);
	else
		snprintf(target, sizeof(target), "%s", hostport);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    (b = BIO_new_ssl_connect(ctx)) == NULL) {
		err_fmt(err, errlen, -1, _("Cannot set up TLS: %s."), tls_errstr(ebuf, sizeof(ebuf)));
		goto out;
	}
	/* Checked by hand below, against the fingerprint: no CA store, no clock. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	BIO_get_ssl(b, &ssl);
	BIO_set_conn_hostname(b, target);
	if (BIO_do_connect_retry(b, timeout, 100) <= 0) {
		err_fmt(err, errlen, -1, _("Cannot reach the collector's enrolment service at %s: "
		    "%s."), target, tls_errstr(ebuf, sizeof(ebuf)));
		goto out;
	}
	if (enroll_check_chain(SSL_get_peer_cert_chain(ssl), fp, ca, why, sizeof(why)) != 0) {
		err_fmt(err, errlen, -1, "%s", why);
		goto out;
	}
	/* The request's strings are only read by the encoder. */
	vigil__v1__enroll_request__init(&q);
	if (ask->token != NULL)
		q.token = (char *)(uintptr_t)ask->token;
	if (ask->old_cert_pem != NULL)
		q.old_cert_pem = (char *)(uintptr_t)ask->old_cert_pem;
	q.csr_pem = (char *)(uintptr_t)ask->csr_pem;
	q.hostname = (char *)(uintptr_t)ask->hostname;
	q.machine_id = (char *)(uintptr_t)ask->machine_id;
	q.time_us = ask->time_us;
	f.msg_case = VIGIL__V1__FRAME__MSG_ENROLL_REQUEST;
	f.enroll_request = &q;
	if (frame_encode(&f, RESULT_MAX, &buf, &len) != 0 ||
	    io_full(b, buf, len, 1, deadline) != 0 || BIO_flush(b) <= 0) {
		err_fmt(err, errlen, -1, _("The collector at %s closed the connection."), target);
		goto out;
	}
	if (io_full(b, hdr, sizeof(hdr), 0, deadline) != 0 ||
	    frame_header(hdr, RESULT_MAX, &len) != 0 ||
	    (body = malloc(len > 0 ? len : 1)) == NULL || io_full(b, body, len, 0, deadline) != 0 ||
	    frame_decode(body, len, res) != 0 || wire_validate(*res, why, sizeof(why)) != 0 ||
	    (*res)->msg_case != VIGIL__V1__FRAME__MSG_ENROLL_RESULT) {
		err_fmt(err, errlen, -1, _("The collector at %s gave no enrolment answer."), target);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		frame_free(*res);
		*res = NULL;
		X509_free(*ca);
		*ca = NULL;
	}
	free(body);
	free(buf);
	BIO_free_all(b);
	SSL_CTX_free(ctx);
	return rc;
}

int
agent_enroll(const char *hostport, const char *token, const char *hostname,
    const char *machine_id, int64_t now_us, struct enroll_out *out, char *err, size_t errlen)
{
	Vigil__V1__Frame *res = NULL;
	const Vigil__V1__EnrollResult *r;
	uint8_t fp[ENROLL_FP_LEN];
	char secret[ENROLL_SECRET_CHARS + 1], why[512];
	char *csr = NULL;
	EVP_PKEY *key = NULL;
	X509 *ca = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (enroll_token_parse(token, fp, secret, sizeof(secret), why, sizeof(why)) != 0)
		return err_fmt(err, errlen, -1, "%s", why);
	if (enroll_make_csr(&key, &csr, why, sizeof(why)) != 0) {
		err_fmt(err, errlen, -1, "%s", why);
		goto out;
	}
	if (enroll_exchange(hostport, fp, &(struct enroll_ask){ secret, NULL, csr, hostname,
	    machine_id, now_us, ENROLL_EXCHANGE_SEC }, &res, &ca, err, errlen) != 0)
		goto out;
	r = res->enroll_result;
	if (r->status != VIGIL__V1__ENROLL_STATUS__ENROLL_STATUS_OK) {
		if (r->reason != NULL && r->reason[0] != '\0')
			err_fmt(err, errlen, -1, "%s (%s)", status_words(r->status), r->reason);
		else
			err_fmt(err, errlen, -1, "%s", status_words(r->status));
		goto out;
	}
	if (tls_id_valid(r->agent_id) != 0 || r->cert_pem[0] == '\0' || r->ca_pem[0] == '\0') {
		err_fmt(err, errlen, -1, "%s", _("The collector's answer lacks the identity or the "
		    "certificate."));
		goto out;
	}
	if (enroll_check_cert(r->cert_pem, key, ca, err, errlen) != 0)
		goto out;
	snprintf(out->agent, sizeof(out->agent), "%s", r->agent_id);
	snprintf(out->unit, sizeof(out->unit), "%s", r->unit);
	if (enroll_key_pem(key, &out->key_pem, &out->key_len) != 0 ||
	    (out->cert_pem = strdup(r->cert_pem)) == NULL ||
	    enroll_cert_pem(ca, &out->ca_pem) != 0) {
		err_fmt(err, errlen, -1, "%s", _("Out of memory."));
		enroll_out_free(out);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	frame_free(res);
	free(csr);
	X509_free(ca);
	EVP_PKEY_free(key);
	return rc;
}

/* SHA-256 hex: the collector tells machines apart, never learns their ids. */
void
enroll_machine_hash(const char *id, char *hex, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t len = strcspn(id, "\r\n");

	hex[0] = '\0';
	if (cap >= ENROLL_HASH_HEX && len > 0 &&
	    EVP_Digest(id, len, md, &n, EVP_sha256(), NULL) == 1 && n == 32)
		enroll_hex(md, n, hex);
}

void
enroll_machine_id(const char *file, char *hex, size_t cap)
{
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
	enroll_machine_hash(line, hex, cap);
}

int
enroll_write_identity(enroll_replace_fn replace, const char *key_path, const char *key_pem,
    size_t key_len, const char *cert_path, const char *cert_pem)
{
	char err[256];

	if (key_pem != NULL && replace(key_path, key_pem, key_len, 1, err, sizeof(err)) != 0) {
		log_warnx(_("The renewed key %s cannot be written: %s."), key_path, err);
		return -1;
	}
	if (replace(cert_path, cert_pem, strlen(cert_pem), 0, err, sizeof(err)) != 0) {
		log_warnx(_("The renewed certificate %s cannot be written: %s."), cert_path, err);
		return -1;
	}
	return 0;
}

int
enroll_write_ca(enroll_replace_fn replace, const char *ca_path, const char *pem)
{
	char err[256];

	if (replace(ca_path, pem, strlen(pem), 0, err, sizeof(err)) != 0) {
		log_warnx(_("The collector's CA file %s cannot be written: %s."), ca_path, err);
		return -1;
	}
	return 0;
}

int
enroll_image_pending(const struct enroll_image *im, char *why, size_t whylen)
{
	size_t n;

	if (im->machine_id != NULL) {
		n = strcspn(im->machine_id, "\r\n");
		while (n > 0 && (im->machine_id[n - 1] == ' ' || im->machine_id[n - 1] == '\t'))
			n--;
		if (n == 0) {
			snprintf(why, whylen, "%s", _("its machine id is empty"));
			return 1;
		}
		if (n == 13 && strncmp(im->machine_id, "uninitialized", 13) == 0) {
			snprintf(why, whylen, "%s", _("its machine id is \"uninitialized\""));
			return 1;
		}
	}
	if (im->image_state != NULL && strcmp(im->image_state, "IMAGE_STATE_COMPLETE") != 0) {
		snprintf(why, whylen, _("Windows Setup is not finished (ImageState %.64s)"),
		    im->image_state);
		return 1;
	}
	return 0;
}

/*
 * The machine is an image: keep target and token in KEY.token (the key's
 * protection) for the first real start. 0, or -1 with err.
 */
static int
keep_token(const struct enroll_platform *p, const char *key, const char *target,
    const char *token, char *err, size_t errlen)
{
	char path[AGENT_CONF_PATH_MAX + 16], data[1024];
	int n;

	snprintf(path, sizeof(path), "%s%s", key, ENROLL_DEFERRED_SUFFIX);
	n = snprintf(data, sizeof(data), "%s\n%s\n", target, token);
	if (n < 0 || (size_t)n >= sizeof(data)) {
		snprintf(err, errlen, "%s", _("The target or the token is too long."));
		return -1;
	}
	p->remove(path);
	n = p->write_key(path, data, (size_t)n, err, errlen);
	OPENSSL_cleanse(data, sizeof(data));
	return n;
}

int
enroll_run(const struct enroll_platform *p, const char *file, const char *target,
    const char *token, const char *idfile)
{
	const struct agent_conf_collector *cc;
	struct enroll_out out;
	struct agent *a;
	char err[1024], host[256], mid[ENROLL_HASH_HEX], why[256];
	int rc = 1;

	if ((a = p->load(file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cc = &agent_conf(a)->collector;
	if (p->exists(cc->key)) {
		fprintf(stderr, _("vigil-agent: this PC has a key already (%s): it is enrolled. To "
		    "enrol it afresh, as a new machine, remove that key first.\n"), cc->key);
		agent_free(a);
		return 1;
	}
	if (p->image != NULL && p->image(idfile, why, sizeof(why)) == 1) {
		if (keep_token(p, cc->key, target, token, err, sizeof(err)) != 0) {
			fprintf(stderr, _("vigil-agent: this machine is a disk image being made (%s), "
			    "and the token cannot be kept for its first start: %s.\n"), why, err);
			agent_free(a);
			return 1;
		}
		fprintf(stderr, _("vigil-agent: this machine is a disk image being made (%s): it is "
		    "not enrolled now. The agent enrols it when it first starts for real.\n"), why);
		agent_free(a);
		return ENROLL_RUN_IMAGE;
	}
	p->hostname(host, sizeof(host));
	if (idfile != NULL)
		enroll_machine_id(idfile, mid, sizeof(mid));
	else
		p->machine_id(mid, sizeof(mid));
	if (agent_enroll(target, token, host, mid, clock_now_us(), &out, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-agent: %s\n", err);
		agent_free(a);
		return 1;
	}
	/* The key first, never over another; the certificate and the CA after it. */
	if (p->write_key(cc->key, out.key_pem, out.key_len, err, sizeof(err)) != 0) {
		fprintf(stderr, _("vigil-agent: cannot write the key %s: %s.\n"), cc->key, err);
		goto out;
	}
	if (p->write_public(cc->cert, out.cert_pem, err, sizeof(err)) != 0 ||
	    p->write_public(cc->ca, out.ca_pem, err, sizeof(err)) != 0) {
		fprintf(stderr, _("vigil-agent: cannot write the certificate %s or the CA %s: "
		    "%s.\n"), cc->cert, cc->ca, err);
		p->remove(cc->key);
		goto out;
	}
	printf(_("Enrolled as %s in unit %s. The key stays on this PC (%s); start the agent "
	    "now.\n"), out.agent, out.unit, cc->key);
	rc = 0;
out:
	enroll_out_free(&out);
	agent_free(a);
	return rc;
}

/*
 * The value of option name ("--token") at argv[*i], as "--token T" or
 * "--token=T", *i moved past it; NULL when argv[*i] is not that option.
 * Parsed by hand: getopt is POSIX, and this file is the portable core.
 */
static const char *
opt_value(int argc, char *argv[], int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int
enroll_main(int argc, char *argv[], const struct enroll_platform *p)
{
	const char *file = p->default_file, *target = NULL, *token = NULL, *idfile = NULL, *v;
	int i;

	for (i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "-f")) != NULL)
			file = v;
		else if ((v = opt_value(argc, argv, &i, "--enroll")) != NULL)
			target = v;
		else if ((v = opt_value(argc, argv, &i, "--token")) != NULL)
			token = v;
		else if ((v = opt_value(argc, argv, &i, "--machine-id-file")) != NULL)
			idfile = v;
		else
			goto usage;
	}
	if (file == NULL || target == NULL || token == NULL)
		goto usage;
	log_init("vigil-agent", 1, 0);
	return enroll_run(p, file, target, token, idfile);
usage:
	fprintf(stderr, "%s", _(p->usage));
	return 1;
}

int
enroll_deferred(const struct enroll_platform *p, const char *file)
{
	const struct agent_conf_collector *cc;
	struct agent *a;
	char path[AGENT_CONF_PATH_MAX + 16], err[1024], why[256], target[512] = "";
	char token[ENROLL_TOKEN_MAX + 2] = "";
	FILE *f = NULL;
	int told = 0, rc = -1;

	if ((a = p->load(file, err, sizeof(err))) == NULL)
		return 0;              /* agent_load() says it next */
	cc = &agent_conf(a)->collector;
	snprintf(path, sizeof(path), "%s%s", cc->key, ENROLL_DEFERRED_SUFFIX);
	if (p->exists(cc->key) || !p->exists(path)) {
		agent_free(a);
		return 0;
	}
	if ((f = fopen(path, "r")) == NULL || fgets(target, sizeof(target), f) == NULL ||
	    fgets(token, sizeof(token), f) == NULL) {
		log_warnx(_("The put-off enrolment %s cannot be read."), path);
		goto out;
	}
	target[strcspn(target, "\r\n")] = '\0';
	token[strcspn(token, "\r\n")] = '\0';
	/* Closed before it is removed: Windows removes no open file. */
	fclose(f);
	f = NULL;
	while (p->image != NULL && p->image(NULL, why, sizeof(why)) == 1) {
		if (!told)
			log_info(_("This machine is a disk image being made (%s): it is enrolled "
			    "when it first starts for real; waiting."), why);
		told = 1;
		if (p->pause(ENROLL_IMAGE_POLL_SEC))
			goto out;
	}
	log_info(_("Enrolling at %s with the token kept at the installation."), target);
	rc = enroll_run(p, file, target, token, NULL);
	fflush(stdout);          /* "Enrolled as ...", before the agent's own lines */
	fflush(stderr);
	if (rc != 0) {
		rc = -1;
		log_warnx(_("The enrolment put off at the installation failed; %s is kept: enrol "
		    "with vigil-agent --enroll."), path);
		goto out;
	}
	p->remove(path);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	OPENSSL_cleanse(token, sizeof(token));
	agent_free(a);
	return rc;
}
