/*
 * Enrolment's shared parts (common/enroll.c) and the collector's signing
 * (collector/enroll_ca.c): tokens in and out, the unit a certificate
 * carries, the agent's check of the collector's chain against the token's
 * fingerprint, and the identity made from a host name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vigil/enroll.h"
#include "vigil/err.h"
#include "vigil/pki.h"
#include "vigil/tls.h"

#include "../../agent/enroll.h"
#include "../../agent/renew.h"
#include "../../collector/enroll.h"

static void
test_token_round_trip(void **state)
{
	uint8_t fp[ENROLL_FP_LEN], got[ENROLL_FP_LEN];
	char secret[ENROLL_SECRET_CHARS + 1], back[ENROLL_SECRET_CHARS + 1];
	char token[ENROLL_TOKEN_MAX], padded[ENROLL_TOKEN_MAX + 8], err[256];
	char h1[ENROLL_HASH_HEX], h2[ENROLL_HASH_HEX];

	(void)state;
	for (size_t i = 0; i < sizeof(fp); i++)
		fp[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(enroll_secret_new(secret, sizeof(secret)), 0);
	assert_int_equal(strlen(secret), ENROLL_SECRET_CHARS);
	enroll_token_format(token, sizeof(token), fp, secret);
	assert_int_equal(strncmp(token, "v1.01080f", 9), 0);
	/* Spaces and a newline around it, as a copy from a terminal brings. */
	snprintf(padded, sizeof(padded), "  %s\n", token);
	assert_int_equal(enroll_token_parse(padded, got, back, sizeof(back), err, sizeof(err)), 0);
	assert_memory_equal(fp, got, sizeof(fp));
	assert_string_equal(secret, back);
	/* The hash is the secret's, not the token's: the same either way. */
	assert_int_equal(enroll_secret_hash(secret, h1), 0);
	assert_int_equal(enroll_secret_hash(back, h2), 0);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
}

static void
test_token_refused(void **state)
{
	uint8_t fp[ENROLL_FP_LEN];
	char secret[ENROLL_SECRET_CHARS + 1], token[ENROLL_TOKEN_MAX], bad[ENROLL_TOKEN_MAX];
	char err[256];

	(void)state;
	memset(fp, 0xab, sizeof(fp));
	assert_int_equal(enroll_secret_new(secret, sizeof(secret)), 0);
	enroll_token_format(token, sizeof(token), fp, secret);
	assert_int_equal(enroll_token_parse("", fp, secret, sizeof(secret), err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "not an enrolment token"));
	/* One character short. */
	snprintf(bad, sizeof(bad), "%.*s", (int)strlen(token) - 1, token);
	assert_int_equal(enroll_token_parse(bad, fp, secret, sizeof(secret), err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	/* Another version. */
	snprintf(bad, sizeof(bad), "v2%s", token + 2);
	assert_int_equal(enroll_token_parse(bad, fp, secret, sizeof(secret), err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	/* Not hexadecimal in the fingerprint. */
	snprintf(bad, sizeof(bad), "%s", token);
	bad[10] = 'z';
	assert_int_equal(enroll_token_parse(bad, fp, secret, sizeof(secret), err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "hexadecimal"));
	/* A character no secret has. */
	snprintf(bad, sizeof(bad), "%s", token);
	bad[strlen(bad) - 1] = '+';
	assert_int_equal(enroll_token_parse(bad, fp, secret, sizeof(secret), err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_int_equal(enroll_token_parse(NULL, fp, secret, sizeof(secret), err, sizeof(err)),
	    VIGIL_ERR_INVAL);
}

static X509 *
read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/*
 * A disk image being made is never enrolled: systemd's first-boot machine-id
 * (empty, "uninitialized") and every Windows ImageState but
 * IMAGE_STATE_COMPLETE; an absent fact (no file, no value) is a real machine.
 */
static void
test_image(void **state)
{
	static const struct {
		const char *machine_id, *image_state;
		int pending;
		const char *why;
	} t[] = {
		{ NULL, NULL, 0, NULL },
		{ "4c4c4544004a3010804bb4c04f4e4d32\n", NULL, 0, NULL },
		{ "", NULL, 1, "empty" },
		{ "\n", NULL, 1, "empty" },
		{ " \t\r\n", NULL, 1, "empty" },
		{ "uninitialized\n", NULL, 1, "uninitialized" },
		{ "uninitialized", NULL, 1, "uninitialized" },
		{ "uninitializedx\n", NULL, 0, NULL },
		{ NULL, "IMAGE_STATE_COMPLETE", 0, NULL },
		{ NULL, "IMAGE_STATE_UNDEPLOYABLE", 1, "IMAGE_STATE_UNDEPLOYABLE" },
		{ NULL, "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE", 1, "GENERALIZE_RESEAL_TO_OOBE" },
		{ NULL, "IMAGE_STATE_GENERALIZE_RESEAL_TO_AUDIT", 1, "GENERALIZE_RESEAL_TO_AUDIT" },
		{ NULL, "IMAGE_STATE_SPECIALIZE_RESEAL_TO_OOBE", 1, "SPECIALIZE_RESEAL_TO_OOBE" },
		{ NULL, "IMAGE_STATE_SPECIALIZE_RESEAL_TO_AUDIT", 1, "SPECIALIZE_RESEAL_TO_AUDIT" },
		{ NULL, "", 1, "ImageState" },
		{ NULL, "image_state_complete", 1, "ImageState" },
		{ "4c4c4544\n", "IMAGE_STATE_UNDEPLOYABLE", 1, "Setup is not finished" },
	};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why[0] = '\0';
		assert_int_equal(enroll_image_pending(&(struct enroll_image){ t[i].machine_id,
		    t[i].image_state }, why, sizeof(why)), t[i].pending);
		if (t[i].why != NULL)
			assert_non_null(strstr(why, t[i].why));
	}
}

/* The barred check of test_grace: arg names the revoked agent, or none. */
static int
fake_barred(void *arg, const char *agent, char *why, size_t whylen)
{
	if (arg != NULL && strcmp(agent, arg) == 0) {
		snprintf(why, whylen, "stolen laptop");
		return 1;
	}
	return 0;
}

/* Re-enrolment with the old key: within, past, revoked, another key, another CA. */
static void
test_grace(void **state)
{
	char dir[] = "/tmp/vigil-test-grace.XXXXXX", path[PATH_MAX], key[PATH_MAX];
	char err[512], why[512], *csr = NULL, *csr2 = NULL, *old = NULL, *foreign = NULL;
	struct enroll_ca *ca, *oca;
	struct enroll_grace g;
	EVP_PKEY *k = NULL, *k2 = NULL;
	const int64_t t0 = 1800000000000000LL, life = 90LL * 86400 * 1000000;
	const int64_t na = t0 + life, day = 86400LL * 1000000, grace = 30LL * 86400 * 1000;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pki", dir);
	assert_int_equal(pki_init(path, NULL, 0, 30, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/other", dir);
	assert_int_equal(pki_init(path, NULL, 0, 30, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/pki/ca.crt", dir);
	snprintf(key, sizeof(key), "%s/pki/ca.key", dir);
	assert_non_null(ca = enroll_ca_load(path, key, err, sizeof(err)));
	snprintf(path, sizeof(path), "%s/other/ca.crt", dir);
	snprintf(key, sizeof(key), "%s/other/ca.key", dir);
	assert_non_null(oca = enroll_ca_load(path, key, err, sizeof(err)));
	assert_int_equal(enroll_make_csr(&k, &csr, err, sizeof(err)), 0);
	assert_int_equal(enroll_make_csr(&k2, &csr2, err, sizeof(err)), 0);
	assert_int_equal(enroll_ca_sign(ca, csr, "pc-01-abcdef", 7, t0, life, &old, err,
	    sizeof(err)), 0);
	assert_int_equal(enroll_ca_sign(oca, csr, "pc-01-abcdef", 7, t0, life, &foreign, err,
	    sizeof(err)), 0);

	/* Ten days after expiry, the same key: the same identity and unit. */
	assert_int_equal(enroll_grace_check(ca, old, csr, na + 10 * day, grace, fake_barred, NULL,
	    &g, why, sizeof(why)), GRACE_OK);
	assert_string_equal(g.agent, "pc-01-abcdef");
	assert_int_equal(g.unit, 7);
	assert_int_equal(g.not_after_us, na);
	/* 31 days after: refused, with the date and what to do. */
	assert_int_equal(enroll_grace_check(ca, old, csr, na + 31 * day, grace, fake_barred, NULL,
	    &g, why, sizeof(why)), GRACE_PAST);
	assert_string_equal(why, "certificate expired on 2027-04-15, more than 30 days ago: "
	    "enrol again with a new token (vigilctl enroll create)");
	/* Revoked: refused even within the grace. */
	assert_int_equal(enroll_grace_check(ca, old, csr, na + day, grace, fake_barred,
	    "pc-01-abcdef", &g, why, sizeof(why)), GRACE_BARRED);
	assert_non_null(strstr(why, "revoked (stolen laptop)"));
	/* A request by another key: the old certificate proves nothing. */
	assert_int_equal(enroll_grace_check(ca, old, csr2, na + day, grace, fake_barred, NULL,
	    &g, why, sizeof(why)), GRACE_WRONG_KEY);
	assert_non_null(strstr(why, "not signed by the key"));
	/* A certificate of another collector's CA, however fresh. */
	assert_int_equal(enroll_grace_check(ca, foreign, csr, na + day, grace, fake_barred, NULL,
	    &g, why, sizeof(why)), GRACE_OTHER_CA);
	/* Not a certificate at all. */
	assert_int_equal(enroll_grace_check(ca, "junk", csr, na, grace, fake_barred, NULL, &g,
	    why, sizeof(why)), GRACE_BAD);

	free(old);
	free(foreign);
	free(csr);
	free(csr2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	enroll_ca_free(ca);
	enroll_ca_free(oca);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* A CA made with pki_init(); the signing of a request; the unit and the chain checks. */
static void
test_sign_and_check(void **state)
{
	char dir[] = "/tmp/vigil-test-enroll.XXXXXX", path[PATH_MAX], key[PATH_MAX];
	char other[PATH_MAX], err[512], *csr = NULL, *cert = NULL;
	struct enroll_ca *ca;
	EVP_PKEY *k = NULL;
	X509 *x, *coll, *got = NULL, *foreign;
	BIO *bio;
	STACK_OF(X509) *chain;
	uint8_t fp[ENROLL_FP_LEN], ofp[ENROLL_FP_LEN];
	int64_t unit = 0;
	char id[TLS_ID_MAX + 1];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pki", dir);
	assert_int_equal(pki_init(path, NULL, 0, 30, err, sizeof(err)), 0);
	snprintf(other, sizeof(other), "%s/other", dir);
	assert_int_equal(pki_init(other, NULL, 0, 30, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/pki/ca.crt", dir);
	snprintf(key, sizeof(key), "%s/pki/ca.key", dir);
	ca = enroll_ca_load(path, key, err, sizeof(err));
	assert_non_null(ca);
	assert_int_equal(enroll_ca_fingerprint(path, fp, err, sizeof(err)), 0);
	assert_memory_equal(fp, ca->fp, sizeof(fp));

	/* The agent's request, signed for agent pc-01-abcdef in unit 7. */
	assert_int_equal(enroll_make_csr(&k, &csr, err, sizeof(err)), 0);
	assert_int_equal(enroll_ca_sign(ca, csr, "pc-01-abcdef", 7, 1800000000000000LL,
	    90LL * 86400 * 1000000, &cert, err, sizeof(err)), 0);
	bio = BIO_new_mem_buf(cert, -1);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(x);
	assert_int_equal(X509_check_private_key(x, k), 1);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(ca->ca)), 1);
	assert_int_equal(enroll_cert_unit(x, &unit), 0);
	assert_int_equal(unit, 7);
	assert_int_equal(tls_subject_id(X509_get_subject_name(x), id, sizeof(id)), 0);
	assert_string_equal(id, "pc-01-abcdef");
	/* 90 days from the collector's clock, whatever the PC's says. */
	{
		int days = 0, secs = 0;
		ASN1_TIME *t = ASN1_TIME_new();

		ASN1_TIME_set(t, (time_t)1800000000);
		assert_int_equal(ASN1_TIME_diff(&days, &secs, t, X509_get0_notAfter(x)), 1);
		assert_int_equal(days, 90);
		ASN1_TIME_free(t);
	}
	/* A certificate of `pki issue` carries no unit. */
	snprintf(path, sizeof(path), "%s/pki/collector.crt", dir);
	coll = read_pem(path);
	assert_int_equal(enroll_cert_unit(coll, &unit), VIGIL_ERR_NOTFOUND);
	/* A request that is not one is refused as such. */
	free(cert);
	cert = NULL;
	assert_int_equal(enroll_ca_sign(ca, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
	    "-----END CERTIFICATE REQUEST-----\n", "pc", 1, 0, 1000000, &cert, err, sizeof(err)),
	    VIGIL_ERR_INVAL);

	/* The chain the collector shows: its certificate, then the CA. */
	chain = sk_X509_new_null();
	sk_X509_push(chain, coll);
	sk_X509_push(chain, ca->ca);
	assert_int_equal(enroll_check_chain(chain, fp, &got, err, sizeof(err)), 0);
	assert_ptr_equal(got, ca->ca);
	X509_free(got);
	/* Another collector's CA fingerprint: "Wrong CA". */
	snprintf(path, sizeof(path), "%s/other/ca.crt", dir);
	foreign = read_pem(path);
	assert_int_equal(enroll_fingerprint(foreign, ofp), 0);
	assert_int_equal(enroll_check_chain(chain, ofp, &got, err, sizeof(err)), VIGIL_ERR_TLS);
	assert_non_null(strstr(err, "Wrong CA"));
	assert_null(got);
	/* The other CA shown beside our collector's certificate: it did not sign it. */
	sk_X509_set(chain, 1, foreign);
	assert_int_equal(enroll_check_chain(chain, ofp, &got, err, sizeof(err)), VIGIL_ERR_TLS);
	assert_non_null(strstr(err, "not signed"));
	/* An agent's certificate is no server's. */
	sk_X509_set(chain, 0, x);
	sk_X509_set(chain, 1, ca->ca);
	assert_int_equal(enroll_check_chain(chain, fp, &got, err, sizeof(err)), VIGIL_ERR_TLS);
	assert_non_null(strstr(err, "server"));

	sk_X509_free(chain);
	X509_free(foreign);
	X509_free(coll);
	X509_free(x);
	EVP_PKEY_free(k);
	free(csr);
	enroll_ca_free(ca);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

static void
test_agent_id(void **state)
{
	char id[80];

	(void)state;
	enroll_agent_id("PC-KeToan_01.ubnd.local", id, sizeof(id));
	assert_int_equal(strncmp(id, "pc-ketoan-01-", 13), 0);
	assert_int_equal(strlen(id), 19);
	assert_int_equal(tls_id_valid(id), 0);
	/* Nothing usable: "pc". */
	enroll_agent_id("--..", id, sizeof(id));
	assert_int_equal(strncmp(id, "pc-", 3), 0);
	assert_int_equal(tls_id_valid(id), 0);
	enroll_agent_id("Máy-kế-toán", id, sizeof(id));
	assert_int_equal(tls_id_valid(id), 0);
	/* A long name is cut: the id stays within TLS_ID_MAX. */
	enroll_agent_id("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", id,
	    sizeof(id));
	assert_true(strlen(id) <= TLS_ID_MAX);
	assert_int_equal(tls_id_valid(id), 0);
}

/* Two thirds of the lifetime, by the clock given (the collector's). */
static void
test_renew_delay(void **state)
{
	(void)state;
	/* 90 days from day 0: at day 60. */
	assert_int_equal(renew_delay_s(0, 90 * 86400, 0), 60 * 86400);
	assert_int_equal(renew_delay_s(0, 90 * 86400, 59 * 86400), 86400);
	/* Past two thirds, or expired: now. */
	assert_int_equal(renew_delay_s(0, 90 * 86400, 61 * 86400), 0);
	assert_int_equal(renew_delay_s(0, 90 * 86400, 400 * 86400), 0);
	/* A clock a year behind the certificate (the collector's would not be): the whole wait. */
	assert_int_equal(renew_delay_s(1000, 1030, 1000), 20);
	/* Nonsense dates: now, not never. */
	assert_int_equal(renew_delay_s(50, 10, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_round_trip),
		cmocka_unit_test(test_token_refused),
		cmocka_unit_test(test_sign_and_check),
		cmocka_unit_test(test_agent_id),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_renew_delay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
