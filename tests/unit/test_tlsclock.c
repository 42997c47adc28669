/*
 * agent/tlsclock.c: which verify errors are let through before the
 * collector's time is known (the time errors alone), a chain verified at a
 * PC's wrong time with the callback installed (passes on a right chain, fails
 * on another CA's), and the check at the collector's time after the Welcome.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "vigil/pki.h"

#include "../../agent/tlsclock.h"

static void
test_decide(void **state)
{
	(void)state;
	assert_int_equal(tlsclock_decide(1, X509_V_OK), 1);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_CERT_NOT_YET_VALID), 1);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_CERT_HAS_EXPIRED), 1);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_CRL_NOT_YET_VALID), 1);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_CRL_HAS_EXPIRED), 1);
	/* Another CA, a bad signature, another name, another purpose: refused as before. */
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY), 0);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_CERT_SIGNATURE_FAILURE), 0);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_HOSTNAME_MISMATCH), 0);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_IP_ADDRESS_MISMATCH), 0);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_INVALID_PURPOSE), 0);
	assert_int_equal(tlsclock_decide(0, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN), 0);
}

static X509 *
read_pem(const char *dir, const char *name)
{
	char path[PATH_MAX];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* X509_verify_cert of leaf against ca at time t, with the agent's callback or none. */
static int
verify_at(X509 *ca, X509 *leaf, time_t t, SSL_CTX *ctx)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *x = X509_STORE_CTX_new();
	int ok;

	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX_init(x, store, leaf, NULL);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(x), t);
	if (ctx != NULL)
		X509_STORE_CTX_set_verify_cb(x, SSL_CTX_get_verify_callback(ctx));
	ok = X509_verify_cert(x);
	X509_STORE_CTX_free(x);
	X509_STORE_free(store);
	return ok;
}

static void
test_chain_times(void **state)
{
	char dir[] = "/tmp/vigil-test-tlsclock.XXXXXX", path[PATH_MAX], err[512], why[512];
	const time_t now = time(NULL), year = 365L * 86400;
	X509 *ca, *oca, *coll;
	SSL_CTX *ctx;
	STACK_OF(X509) *chain;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pki", dir);
	assert_int_equal(pki_init(path, NULL, 0, 30, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/other", dir);
	assert_int_equal(pki_init(path, NULL, 0, 30, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/pki", dir);
	ca = read_pem(path, "ca.crt");
	coll = read_pem(path, "collector.crt");
	snprintf(path, sizeof(path), "%s/other", dir);
	oca = read_pem(path, "ca.crt");
	assert_non_null(ctx = SSL_CTX_new(TLS_client_method()));
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	tlsclock_install(ctx);

	/* A PC in 2019 or five years ahead: refused by OpenSSL alone, let through by ours. */
	assert_int_equal(verify_at(ca, coll, now, NULL), 1);
	assert_int_equal(verify_at(ca, coll, now - 5 * year, NULL), 0);
	assert_int_equal(verify_at(ca, coll, now + 5 * year, NULL), 0);
	assert_int_equal(verify_at(ca, coll, now - 5 * year, ctx), 1);
	assert_int_equal(verify_at(ca, coll, now + 5 * year, ctx), 1);
	/* Another collector's CA stays refused at any time. */
	assert_int_equal(verify_at(oca, coll, now, ctx), 0);
	assert_int_equal(verify_at(oca, coll, now - 5 * year, ctx), 0);

	/* After the Welcome: the chain at the collector's own time. */
	chain = sk_X509_new_null();
	sk_X509_push(chain, coll);
	sk_X509_push(chain, ca);
	assert_int_equal(tlsclock_check_chain(chain, now, why, sizeof(why)), 0);
	assert_int_equal(tlsclock_check_chain(chain, now + 40L * 86400, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "expired"));
	assert_int_equal(tlsclock_check_chain(chain, now - year, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not yet valid"));

	sk_X509_free(chain);
	SSL_CTX_free(ctx);
	X509_free(ca);
	X509_free(oca);
	X509_free(coll);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

static void
test_learn(void **state)
{
	struct tlsclock tc;

	(void)state;
	memset(&tc, 0, sizeof(tc));
	tlsclock_learn(&tc, 0);
	assert_int_equal(tc.known, 0);
	/* A collector five years ahead of this PC. */
	tlsclock_learn(&tc, ((int64_t)time(NULL) + 5 * 365 * 86400) * 1000000);
	assert_int_equal(tc.known, 1);
	assert_true(tc.offset_us > (int64_t)5 * 365 * 86400 * 1000000 - 10000000);
	assert_true(tc.offset_us < (int64_t)5 * 365 * 86400 * 1000000 + 10000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_chain_times),
		cmocka_unit_test(test_learn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
