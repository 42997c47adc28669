/*
 * TLS: certificates made at run time with the OpenSSL API, real TLS 1.3
 * handshakes between the two contexts over a socketpair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "vigil/err.h"
#include "vigil/tls.h"

struct pki {
	char dir[64];
	EVP_PKEY *ca_key, *ca2_key;
	X509 *ca, *ca2;
};

static struct pki pki;

static void
path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", pki.dir, name);
}

static void
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * Make a certificate for cn with a fresh P-256 key, signed by issuer (or by
 * itself when issuer is NULL), and write it and its key as NAME.crt/NAME.key.
 * exts lists nid, value pairs and ends with 0.
 */
static X509 *
make_cert(const char *name, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY **keyp,
          const int *nids, const char *const *values)
{
	static long serial = 1;
	char file[128];
	EVP_PKEY *key;
	X509_NAME *subj;
	X509 *cert;
	FILE *fp;
	size_t i;

	key = EVP_EC_gen("P-256");
	assert_non_null(key);
	cert = X509_new();
	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 86400));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	subj = X509_NAME_new();
	assert_non_null(subj);
	assert_int_equal(X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_UTF8,
	                                            (const unsigned char *)"Vigil test", -1, -1, 0),
	                 1);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
		                                            (const unsigned char *)cn, -1, -1, 0),
		                 1);
	assert_int_equal(X509_set_subject_name(cert, subj), 1);
	assert_int_equal(
	    X509_set_issuer_name(cert, issuer != NULL ? X509_get_subject_name(issuer) : subj), 1);
	X509_NAME_free(subj);
	for (i = 0; nids[i] != 0; i++)
		add_ext(cert, issuer != NULL ? issuer : cert, nids[i], values[i]);
	assert_true(X509_sign(cert, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);

	path(file, sizeof(file), name);
	strcat(file, ".crt");
	assert_non_null(fp = fopen(file, "w"));
	assert_int_equal(PEM_write_X509(fp, cert), 1);
	fclose(fp);
	path(file, sizeof(file), name);
	strcat(file, ".key");
	assert_non_null(fp = fopen(file, "w"));
	assert_int_equal(PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);

	if (keyp != NULL)
		*keyp = key;
	else
		EVP_PKEY_free(key);
	return cert;
}

static const int ca_nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier, 0};
static const char *const ca_vals[] = {"critical,CA:TRUE", "critical,keyCertSign,cRLSign", "hash"};
static const int server_nids[] = {NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
                                  NID_subject_alt_name, 0};
static const char *const server_vals[] = {"CA:FALSE", "critical,digitalSignature", "serverAuth",
                                          "DNS:localhost,IP:127.0.0.1"};
static const int client_nids[] = {NID_basic_constraints, NID_key_usage, NID_ext_key_usage, 0};
static const char *const client_vals[] = {"CA:FALSE", "critical,digitalSignature", "clientAuth"};

static void
client(const char *name, const char *cn, X509 *ca, EVP_PKEY *ca_key)
{
	X509_free(make_cert(name, cn, ca, ca_key, NULL, client_nids, client_vals));
}

static int
setup(void **state)
{
	snprintf(pki.dir, sizeof(pki.dir), "/tmp/vigil-test-tls.XXXXXX");
	if (mkdtemp(pki.dir) == NULL)
		return -1;
	pki.ca = make_cert("ca", "Vigil test CA", NULL, NULL, &pki.ca_key, ca_nids, ca_vals);
	pki.ca2 = make_cert("ca2", "Another CA", NULL, NULL, &pki.ca2_key, ca_nids, ca_vals);
	X509_free(make_cert("collector", "collector", pki.ca, pki.ca_key, NULL, server_nids,
	                    server_vals));
	client("agent", "pc-01.ubnd", pki.ca, pki.ca_key);
	client("stranger", "pc-02.ubnd", pki.ca2, pki.ca2_key);
	client("badcn", "pc 03", pki.ca, pki.ca_key);
	client("nocn", NULL, pki.ca, pki.ca_key);
	return 0;
}

static int
teardown(void **state)
{
	static const char *const names[] = {"ca",       "ca2",   "collector", "agent",
	                                    "stranger", "badcn", "nocn"};
	char file[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path(file, sizeof(file), names[i]);
		strcat(file, ".crt");
		unlink(file);
		path(file, sizeof(file), names[i]);
		strcat(file, ".key");
		unlink(file);
	}
	rmdir(pki.dir);
	X509_free(pki.ca);
	X509_free(pki.ca2);
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.ca2_key);
	return 0;
}

/* Paths for tls_opts, kept alive for the test. */
struct files {
	char ca[128], cert[128], key[128];
};

static struct tls_opts
opts_for(struct files *fs, const char *ca, const char *name, const char *groups)
{
	struct tls_opts o;

	path(fs->ca, sizeof(fs->ca), ca);
	strcat(fs->ca, ".crt");
	path(fs->cert, sizeof(fs->cert), name);
	strcat(fs->cert, ".crt");
	path(fs->key, sizeof(fs->key), name);
	strcat(fs->key, ".key");
	o.ca = fs->ca;
	o.cert = fs->cert;
	o.key = fs->key;
	o.groups = groups;
	return o;
}

static SSL_CTX *
server_ctx(void)
{
	struct files fs;
	struct tls_opts o = opts_for(&fs, "ca", "collector", NULL);
	char err[512];
	SSL_CTX *ctx;

	ctx = tls_server_ctx(&o, err, sizeof(err));
	if (ctx == NULL)
		fail_msg("tls_server_ctx: %s", err);
	return ctx;
}

static SSL_CTX *
client_ctx(const char *ca, const char *name)
{
	struct files fs;
	struct tls_opts o = opts_for(&fs, ca, name, NULL);
	char err[512];
	SSL_CTX *ctx;

	ctx = tls_client_ctx(&o, err, sizeof(err));
	if (ctx == NULL)
		fail_msg("tls_client_ctx: %s", err);
	return ctx;
}

struct conn {
	SSL *server, *client;
	int sdone, cdone; /* 1 done, -1 failed, 0 in progress */
};

static void
step(SSL *ssl, int *done)
{
	int r, e;

	if (*done != 0)
		return;
	if ((r = SSL_do_handshake(ssl)) == 1) {
		*done = 1;
		return;
	}
	e = SSL_get_error(ssl, r);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		*done = -1;
}

/*
 * Run both ends of a handshake over a non-blocking socketpair in this one
 * thread. Each turn moves at least one end forward or ends it, so a bounded
 * number of turns suffices.
 */
static void
handshake(struct conn *c, SSL_CTX *sctx, SSL_CTX *cctx)
{
	char buf[16];
	int sv[2], i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	assert_non_null(c->server = SSL_new(sctx));
	assert_non_null(c->client = SSL_new(cctx));
	assert_int_equal(SSL_set_fd(c->server, sv[0]), 1);
	assert_int_equal(SSL_set_fd(c->client, sv[1]), 1);
	SSL_set_accept_state(c->server);
	SSL_set_connect_state(c->client);
	/* The caller of tls_client_ctx names the collector it expects. */
	assert_int_equal(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->client), "127.0.0.1"), 1);
	c->sdone = c->cdone = 0;
	for (i = 0; i < 100 && (c->sdone == 0 || c->cdone == 0); i++) {
		step(c->client, &c->cdone);
		step(c->server, &c->sdone);
	}
	/*
	 * In TLS 1.3 the client finishes before the server has checked its
	 * certificate; a read shows whether the server then refused it.
	 */
	if (c->cdone == 1 && c->sdone == -1 && SSL_read(c->client, buf, sizeof(buf)) <= 0)
		c->cdone = -1;
	ERR_clear_error();
}

static void
conn_free(struct conn *c)
{
	close(SSL_get_fd(c->server));
	close(SSL_get_fd(c->client));
	SSL_free(c->server);
	SSL_free(c->client);
}

static void
test_handshake_and_peer_id(void **state)
{
	SSL_CTX *sctx = server_ctx(), *cctx = client_ctx("ca", "agent");
	struct conn c;
	char id[65];

	handshake(&c, sctx, cctx);
	assert_int_equal(c.sdone, 1);
	assert_int_equal(c.cdone, 1);
	assert_int_equal(SSL_version(c.server), TLS1_3_VERSION);
	assert_int_equal(tls_peer_id(c.server, id, sizeof(id)), 0);
	assert_string_equal(id, "pc-01.ubnd");
	assert_int_equal(tls_peer_id(c.client, id, sizeof(id)), 0);
	assert_string_equal(id, "collector");
	/* One byte short for "pc-01.ubnd" and its NUL. */
	assert_int_equal(tls_peer_id(c.server, id, 10), VIGIL_ERR_INVAL);
	assert_string_equal(id, "");
	conn_free(&c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void
test_client_from_another_ca(void **state)
{
	SSL_CTX *sctx = server_ctx(), *cctx = client_ctx("ca", "stranger");
	struct conn c;
	char id[65];

	handshake(&c, sctx, cctx);
	assert_int_equal(c.sdone, -1);
	assert_int_equal(c.cdone, -1);
	assert_int_equal(tls_peer_id(c.server, id, sizeof(id)), VIGIL_ERR_TLS);
	conn_free(&c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void
test_client_without_cert(void **state)
{
	SSL_CTX *sctx = server_ctx(), *cctx;
	struct files fs;
	struct conn c;
	char id[65];

	/* A plain client that trusts our CA but has no certificate of its own. */
	opts_for(&fs, "ca", "agent", NULL);
	assert_non_null(cctx = SSL_CTX_new(TLS_client_method()));
	assert_int_equal(SSL_CTX_load_verify_locations(cctx, fs.ca, NULL), 1);
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	handshake(&c, sctx, cctx);
	assert_int_equal(c.sdone, -1);
	assert_int_equal(c.cdone, -1);
	assert_int_equal(tls_peer_id(c.server, id, sizeof(id)), VIGIL_ERR_TLS);
	conn_free(&c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void
test_tls12_refused(void **state)
{
	SSL_CTX *sctx = server_ctx(), *cctx = client_ctx("ca", "agent");
	struct conn c;

	assert_int_equal(SSL_CTX_set_min_proto_version(cctx, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(cctx, TLS1_2_VERSION), 1);
	handshake(&c, sctx, cctx);
	assert_int_equal(c.sdone, -1);
	assert_int_equal(c.cdone, -1);
	conn_free(&c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

/* Certificate purposes: each end accepts only the other role's certificate. */
static void
test_purposes(void **state)
{
	SSL_CTX *sctx, *cctx;
	struct files fs;
	struct tls_opts o;
	struct conn c;
	char err[512];

	/* An agent presenting the collector's (serverAuth) certificate. */
	sctx = server_ctx();
	cctx = client_ctx("ca", "collector");
	handshake(&c, sctx, cctx);
	assert_int_equal(c.sdone, -1);
	conn_free(&c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);

	/* A "collector" presenting an agent (clientAuth) certificate. */
	o = opts_for(&fs, "ca", "agent", NULL);
	assert_non_null(sctx = tls_server_ctx(&o, err, sizeof(err)));
	cctx = client_ctx("ca", "agent");
	handshake(&c, sctx, cctx);
	assert_int_equal(c.cdone, -1);
	conn_free(&c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);

	/* A collector whose certificate comes from a CA the agent does not pin. */
	sctx = server_ctx();
	cctx = client_ctx("ca2", "stranger");
	handshake(&c, sctx, cctx);
	assert_int_equal(c.cdone, -1);
	conn_free(&c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void
test_peer_id_refused(void **state)
{
	SSL_CTX *sctx = server_ctx(), *cctx;
	struct conn c;
	char id[65];

	cctx = client_ctx("ca", "badcn");
	handshake(&c, sctx, cctx);
	assert_int_equal(c.sdone, 1);
	assert_int_equal(tls_peer_id(c.server, id, sizeof(id)), VIGIL_ERR_INVAL);
	conn_free(&c);
	SSL_CTX_free(cctx);

	cctx = client_ctx("ca", "nocn");
	handshake(&c, sctx, cctx);
	assert_int_equal(c.sdone, 1);
	assert_int_equal(tls_peer_id(c.server, id, sizeof(id)), VIGIL_ERR_TLS);
	conn_free(&c);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void
test_groups(void **state)
{
	SSL_CTX *sctx, *cctx;
	struct files fs;
	struct tls_opts o;
	struct conn c;
	char err[512];

	/* An unknown name is skipped; the rest still works. */
	o = opts_for(&fs, "ca", "collector", "NoSuchGroup:P-256");
	assert_non_null(sctx = tls_server_ctx(&o, err, sizeof(err)));
	o = opts_for(&fs, "ca", "agent", "X25519MLKEM768:P-256:AlsoUnknown");
	assert_non_null(cctx = tls_client_ctx(&o, err, sizeof(err)));
	handshake(&c, sctx, cctx);
	assert_int_equal(c.sdone, 1);
	assert_int_equal(c.cdone, 1);
	conn_free(&c);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);

	/* Nothing known is left: an error that says so. */
	o = opts_for(&fs, "ca", "collector", "NoSuchGroup:Nope");
	err[0] = '\0';
	assert_null(tls_server_ctx(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "None of the key-exchange groups"));
	o.groups = "";
	assert_null(tls_server_ctx(&o, err, sizeof(err)));
}

static void
test_ctx_errors(void **state)
{
	struct files fs;
	struct tls_opts o;
	char err[512];

	/* A key that belongs to another certificate. */
	o = opts_for(&fs, "ca", "collector", NULL);
	path(fs.key, sizeof(fs.key), "agent.key");
	err[0] = '\0';
	assert_null(tls_server_ctx(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "does not match"));

	o = opts_for(&fs, "ca", "collector", NULL);
	path(fs.ca, sizeof(fs.ca), "missing.crt");
	assert_null(tls_client_ctx(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "CA certificate"));

	o = opts_for(&fs, "ca", "collector", NULL);
	path(fs.cert, sizeof(fs.cert), "missing.crt");
	assert_null(tls_client_ctx(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "missing.crt"));

	assert_null(tls_client_ctx(NULL, err, sizeof(err)));
	/* The error queue is left empty for the next caller. */
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_errstr(void **state)
{
	char buf[64];

	ERR_clear_error();
	assert_string_equal(tls_errstr(buf, sizeof(buf)), "no OpenSSL error was recorded");
	ERR_raise(ERR_LIB_SSL, SSL_R_NO_CERTIFICATE_ASSIGNED);
	ERR_raise(ERR_LIB_SSL, SSL_R_NO_PRIVATE_KEY_ASSIGNED);
	assert_non_null(strstr(tls_errstr(buf, sizeof(buf)), "no certificate assigned"));
	assert_true(strlen(buf) < sizeof(buf));
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_id_valid(void **state)
{
	char longid[66];

	assert_int_equal(tls_id_valid("pc-01.ubnd"), 0);
	assert_int_equal(tls_id_valid("PC_01"), 0);
	assert_int_equal(tls_id_valid("7"), 0);
	assert_int_equal(tls_id_valid(""), VIGIL_ERR_INVAL);
	assert_int_equal(tls_id_valid("a b"), VIGIL_ERR_INVAL);
	assert_int_equal(tls_id_valid("a/b"), VIGIL_ERR_INVAL);
	assert_int_equal(tls_id_valid("ä"), VIGIL_ERR_INVAL);
	assert_int_equal(tls_id_valid("a\nb"), VIGIL_ERR_INVAL);
	assert_int_equal(tls_id_valid(".."), VIGIL_ERR_INVAL);
	assert_int_equal(tls_id_valid(".hidden"), VIGIL_ERR_INVAL);
	assert_int_equal(tls_id_valid("-rf"), VIGIL_ERR_INVAL);
	assert_int_equal(tls_id_valid(NULL), VIGIL_ERR_INVAL);
	memset(longid, 'a', 64);
	longid[64] = '\0';
	assert_int_equal(tls_id_valid(longid), 0);
	longid[64] = 'a';
	longid[65] = '\0';
	assert_int_equal(tls_id_valid(longid), VIGIL_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_and_peer_id),
	    cmocka_unit_test(test_client_from_another_ca),
	    cmocka_unit_test(test_client_without_cert),
	    cmocka_unit_test(test_tls12_refused),
	    cmocka_unit_test(test_purposes),
	    cmocka_unit_test(test_peer_id_refused),
	    cmocka_unit_test(test_groups),
	    cmocka_unit_test(test_ctx_errors),
	    cmocka_unit_test(test_errstr),
	    cmocka_unit_test(test_id_valid),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
