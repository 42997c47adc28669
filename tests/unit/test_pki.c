/* pki: a CA, a collector certificate and agent certificates that verify. */
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vigil/err.h"
#include "vigil/pki.h"

struct fixture {
	char tmp[64];
	char dir[128];
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/vigil-test-pki.XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	/* A directory pki_init must make itself. */
	snprintf(f->dir, sizeof(f->dir), "%s/pki", f->tmp);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void
path_of(char *dst, const struct fixture *f, const char *name)
{
	snprintf(dst, PATH_MAX, "%s/%s", f->dir, name);
}

static mode_t
mode_of(const struct fixture *f, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	path_of(path, f, name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static X509 *
load(const struct fixture *f, const char *name)
{
	char path[PATH_MAX];
	X509 *x;
	FILE *fp;

	path_of(path, f, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return x;
}

/* X509_V_OK or the verification error of cert against the CA alone. */
static int
verify(const struct fixture *f, const char *name, int purpose)
{
	X509_STORE_CTX *ctx;
	X509_STORE *store;
	X509 *ca, *cert;
	int rc;

	ca = load(f, "ca.crt");
	cert = load(f, name);
	store = X509_STORE_new();
	assert_non_null(store);
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	ctx = X509_STORE_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
	assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(cert);
	X509_free(ca);
	return rc;
}

static void
common_name(X509 *x, char *cn, size_t len)
{
	assert_true(
	    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, (int)len) > 0);
}

static void
init_ok(struct fixture *f)
{
	const char *names[] = {"collector.example.org", "10.0.0.5"};
	char err[256];

	assert_int_equal(pki_init(f->dir, names, 2, 825, err, sizeof(err)), 0);
}

static void
test_init_makes_files_with_modes(void **state)
{
	struct fixture *f = *state;

	init_ok(f);
	assert_int_equal(mode_of(f, "."), 0700);
	assert_int_equal(mode_of(f, "agents"), 0700);
	assert_int_equal(mode_of(f, "ca.key"), 0600);
	assert_int_equal(mode_of(f, "collector.key"), 0600);
	assert_int_equal(mode_of(f, "ca.crt"), 0644);
	assert_int_equal(mode_of(f, "collector.crt"), 0644);
}

static void
test_ca_is_a_ca_for_ten_years(void **state)
{
	struct fixture *f = *state;
	X509 *ca;
	int days, secs;

	init_ok(f);
	ca = load(f, "ca.crt");
	assert_int_equal(X509_check_ca(ca), 1);
	assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
	assert_int_equal(
	    ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca), X509_get0_notAfter(ca)), 1);
	assert_true(days >= 3652 && days <= 3654);
	assert_int_equal(X509_check_issued(ca, ca), X509_V_OK);
	X509_free(ca);
}

static void
test_collector_cert_serves_loopback(void **state)
{
	struct fixture *f = *state;
	X509 *x;

	init_ok(f);
	assert_int_equal(verify(f, "collector.crt", X509_PURPOSE_SSL_SERVER), X509_V_OK);
	x = load(f, "collector.crt");
	assert_true(X509_get_extension_flags(x) & EXFLAG_XKUSAGE);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	assert_false(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "10.0.0.5", 0), 1);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "collector.example.org", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.2", 0), 0);
	assert_int_equal(X509_check_ca(x), 0);
	X509_free(x);
}

static void
test_agent_cert_verifies_with_its_id(void **state)
{
	struct fixture *f = *state;
	char err[256], cn[128];
	ASN1_INTEGER *s1, *s2;
	X509 *x, *y;

	init_ok(f);
	assert_int_equal(pki_issue(f->dir, "pc-042.ward7", 825, 0, err, sizeof(err)), 0);
	assert_int_equal(pki_issue(f->dir, "pc-043", 825, 0, err, sizeof(err)), 0);
	assert_int_equal(mode_of(f, "agents/pc-042.ward7.key"), 0600);
	assert_int_equal(mode_of(f, "agents/pc-042.ward7.crt"), 0644);
	assert_int_equal(verify(f, "agents/pc-042.ward7.crt", X509_PURPOSE_SSL_CLIENT), X509_V_OK);
	/* An agent certificate cannot pose as the collector. */
	assert_int_not_equal(verify(f, "agents/pc-042.ward7.crt", X509_PURPOSE_SSL_SERVER),
	                     X509_V_OK);

	x = load(f, "agents/pc-042.ward7.crt");
	common_name(x, cn, sizeof(cn));
	assert_string_equal(cn, "pc-042.ward7");
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
	assert_false(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	assert_int_equal(X509_check_ca(x), 0);

	/* Serials are random, so two certificates never share one. */
	y = load(f, "agents/pc-043.crt");
	s1 = X509_get_serialNumber(x);
	s2 = X509_get_serialNumber(y);
	assert_int_not_equal(ASN1_INTEGER_cmp(s1, s2), 0);
	assert_true(ASN1_STRING_length(s1) >= 15);
	X509_free(y);
	X509_free(x);
}

static void
test_agent_key_matches_cert(void **state)
{
	struct fixture *f = *state;
	char err[256], path[PATH_MAX];
	EVP_PKEY *key;
	X509 *x;
	FILE *fp;

	init_ok(f);
	assert_int_equal(pki_issue(f->dir, "a1", 30, 0, err, sizeof(err)), 0);
	path_of(path, f, "agents/a1.key");
	fp = fopen(path, "r");
	assert_non_null(fp);
	key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(key);
	/* Ed25519: the collector holds each connected agent's certificate (pki.c says why). */
	assert_true(EVP_PKEY_is_a(key, "ED25519"));
	x = load(f, "agents/a1.crt");
	assert_int_equal(X509_check_private_key(x, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void
test_backdated_cert_is_expired(void **state)
{
	struct fixture *f = *state;
	char err[256];

	init_ok(f);
	assert_int_equal(pki_issue(f->dir, "old-agent", 1, 10, err, sizeof(err)), 0);
	assert_int_equal(verify(f, "agents/old-agent.crt", X509_PURPOSE_SSL_CLIENT),
	                 X509_V_ERR_CERT_HAS_EXPIRED);
}

static void
test_second_init_refused(void **state)
{
	struct fixture *f = *state;
	char err[256], path[PATH_MAX];
	X509 *before, *after;

	init_ok(f);
	before = load(f, "ca.crt");
	assert_int_equal(pki_init(f->dir, NULL, 0, 825, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "already"));
	after = load(f, "ca.crt");
	assert_int_equal(X509_cmp(before, after), 0);
	assert_int_equal(mode_of(f, "ca.key"), 0600);
	path_of(path, f, "ca.key");
	assert_int_equal(access(path, F_OK), 0);
	X509_free(after);
	X509_free(before);
}

static void
test_invalid_id_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "../evil",
	    "a/b",
	    "a b",
	    "-option",
	    ".hidden",
	    "pc\n1",
	    "caf\xc3\xa9",
	    "x123456789x123456789x123456789x123456789x123456789x123456789x1234",
	};
	struct fixture *f = *state;
	char err[256], path[PATH_MAX];

	init_ok(f);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pki_issue(f->dir, bad[i], 825, 0, err, sizeof(err)),
		                 VIGIL_ERR_INVAL);
	snprintf(path, sizeof(path), "%s/evil.key", f->tmp);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pki_issue(f->dir, NULL, 825, 0, err, sizeof(err)), VIGIL_ERR_INVAL);
}

static void
test_issue_twice_refused(void **state)
{
	struct fixture *f = *state;
	char err[256];
	X509 *before, *after;

	init_ok(f);
	assert_int_equal(pki_issue(f->dir, "twice", 825, 0, err, sizeof(err)), 0);
	before = load(f, "agents/twice.crt");
	assert_int_equal(pki_issue(f->dir, "twice", 825, 0, err, sizeof(err)), VIGIL_ERR_INVAL);
	after = load(f, "agents/twice.crt");
	assert_int_equal(X509_cmp(before, after), 0);
	X509_free(after);
	X509_free(before);
}

static void
test_bad_arguments_refused(void **state)
{
	const char *comma[] = {"host,IP:1.2.3.4"};
	const char *empty[] = {""};
	struct fixture *f = *state;
	char err[256], path[PATH_MAX];

	assert_int_equal(pki_init(f->dir, comma, 1, 825, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_int_equal(pki_init(f->dir, empty, 1, 825, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_int_equal(pki_init(f->dir, NULL, 0, 0, err, sizeof(err)), VIGIL_ERR_INVAL);
	/* Nothing was made by the refused calls. */
	assert_int_equal(access(f->dir, F_OK), -1);

	/* No CA yet: issuing fails with a reason. */
	assert_int_not_equal(pki_issue(f->dir, "a1", 825, 0, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "ca.crt"));

	init_ok(f);
	assert_int_equal(pki_issue(f->dir, "a1", 0, 0, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_int_equal(pki_issue(f->dir, "a1", 825, -1, err, sizeof(err)), VIGIL_ERR_INVAL);
	path_of(path, f, "agents/a1.key");
	assert_int_equal(access(path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_makes_files_with_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ca_is_a_ca_for_ten_years, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_collector_cert_serves_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_agent_cert_verifies_with_its_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_agent_key_matches_cert, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backdated_cert_is_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_init_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_id_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issue_twice_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
