/*
 * The CA rotation (issue 15): its state file and its decisions
 * (collector/pki_rotate.c), the new CA's files (pki_next), and the agent's
 * test of its certificate against a bundle (agent/renew.c).
 */
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

#include "../../agent/renew.h"
#include "../../collector/pki_rotate.h"

static char tmp[64];

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/vigil-test-rotate.XXXXXX");
	return mkdtemp(tmp) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void
test_finish_waits_for_old_agents(void **state)
{
	struct rotation *r = rotation_new(1, 2);
	size_t old, fresh, bundled;
	char why[512];

	(void)state;
	assert_int_equal(rotation_mark(r, "pc-a", 0), 1);
	assert_int_equal(rotation_mark(r, "pc-b", ROTATE_BUNDLE), 1);
	assert_int_equal(rotation_mark(r, "pc-b", ROTATE_BUNDLE), 0);   /* nothing new */
	rotation_counts(r, &old, &fresh, &bundled);
	assert_int_equal(old, 2);
	assert_int_equal(fresh, 0);
	assert_int_equal(bundled, 1);
	assert_int_equal(rotation_finish_check(r, 0, why, sizeof(why)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(why, "2 agents still hold a certificate from the old CA"));
	assert_non_null(strstr(why, "pc-a"));
	/* Forced: allowed whatever is left. */
	assert_int_equal(rotation_finish_check(r, 1, why, sizeof(why)), 0);
	/* Renewal onto the new CA keeps the bundle flag. */
	assert_int_equal(rotation_mark(r, "pc-a", ROTATE_NEW), 1);
	assert_int_equal(rotation_finish_check(r, 0, why, sizeof(why)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(why, "pc-b"));
	assert_int_equal(rotation_mark(r, "pc-b", ROTATE_NEW), 1);
	rotation_counts(r, &old, &fresh, &bundled);
	assert_int_equal(old, 0);
	assert_int_equal(fresh, 2);
	assert_int_equal(bundled, 1);
	assert_int_equal(rotation_finish_check(r, 0, why, sizeof(why)), 0);
	rotation_free(r);
}

static void
test_agents_past_the_cap_are_counted(void **state)
{
	struct rotation *r = rotation_new(1, 2);
	char id[32], why[512];

	(void)state;
	for (int i = 0; i < ROTATE_AGENTS_MAX; i++) {
		snprintf(id, sizeof(id), "pc-%d", i);
		assert_int_equal(rotation_mark(r, id, ROTATE_NEW), 1);
	}
	assert_int_equal(rotation_mark(r, "pc-one-more", ROTATE_NEW), -1);
	assert_int_equal(r->untracked, 1);
	/* Whether the untracked one renewed is unknown: not finished without --force. */
	assert_int_equal(rotation_finish_check(r, 0, why, sizeof(why)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(why, "not followed"));
	rotation_free(r);
}

static void
test_state_survives_a_restart(void **state)
{
	struct rotation *r = rotation_new(1764950000000000LL, 1767542000000000LL), *back;
	char path[PATH_MAX], err[512];
	struct stat st;
	size_t old, fresh, bundled;

	(void)state;
	snprintf(path, sizeof(path), "%s/ca.crt.rotation", tmp);
	rotation_mark(r, "pc-ketoan-01-3f9a2c", ROTATE_NEW | ROTATE_BUNDLE);
	rotation_mark(r, "pc-vanthu-02-77aa01", 0);
	assert_int_equal(rotation_load(path, &back, err, sizeof(err)), VIGIL_ERR_NOTFOUND);
	assert_int_equal(rotation_save(r, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(rotation_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back->started_us, 1764950000000000LL);
	assert_int_equal(back->overlap_end_us, 1767542000000000LL);
	assert_int_equal(back->n, 2);
	assert_string_equal(back->agents[0].id, "pc-ketoan-01-3f9a2c");
	assert_int_equal(back->agents[0].flags, ROTATE_NEW | ROTATE_BUNDLE);
	rotation_counts(back, &old, &fresh, &bundled);
	assert_int_equal(old, 1);
	assert_int_equal(fresh, 1);
	assert_int_equal(bundled, 1);
	rotation_free(back);
	rotation_free(r);
}

static void
test_bad_state_file_says_where(void **state)
{
	struct rotation *r = rotation_new(0, 0);
	char err[512];

	(void)state;
	assert_int_equal(rotation_parse(r, "started 1\noverlap_end 2\nagent pc-a maybe\n",
	    "ca.crt.rotation", err, sizeof(err)), VIGIL_ERR_CONFIG);
	assert_non_null(strstr(err, "ca.crt.rotation:3:"));
	assert_int_equal(rotation_parse(r, "started 1\nwhen 2\n", "f", err, sizeof(err)),
	    VIGIL_ERR_CONFIG);
	assert_non_null(strstr(err, "f:2: unknown key 'when'"));
	assert_int_equal(rotation_parse(r, "started 1\n", "f", err, sizeof(err)),
	    VIGIL_ERR_CONFIG);
	assert_non_null(strstr(err, "overlap_end"));
	rotation_free(r);
}

static X509 *
read_x509(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static char *
slurp2(const char *a, const char *b)
{
	static char buf[16384];
	size_t n = 0;

	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(i == 0 ? a : b, "r");

		assert_non_null(f);
		n += fread(buf + n, 1, sizeof(buf) - 1 - n, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void
test_next_ca_and_the_agents_test(void **state)
{
	char dir[128], ca[192], key[192], crt[192], p[256], err[512];
	X509 *oldca, *newca, *oldcrt, *newcrt;
	const char *bundle;
	struct stat st;
	int idx;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/pki", tmp);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(key, sizeof(key), "%s/ca.key", dir);
	snprintf(crt, sizeof(crt), "%s/collector.crt", dir);
	assert_int_equal(pki_init(dir, (const char *[]){ "vigil.ubnd.local" }, 1, 825, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_next(ca, key, crt, "2026-12-05", err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s.next", key);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Begun twice: the files of the first are never overwritten. */
	assert_int_not_equal(pki_next(ca, key, crt, "2026-12-06", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "already exists"));

	oldca = read_x509(ca);
	snprintf(p, sizeof(p), "%s.next", ca);
	newca = read_x509(p);
	oldcrt = read_x509(crt);
	snprintf(p, sizeof(p), "%s.next", crt);
	newcrt = read_x509(p);
	assert_int_not_equal(X509_NAME_cmp(X509_get_subject_name(oldca),
	    X509_get_subject_name(newca)), 0);
	/* The collector's certificate again: its key and its names, under the new CA. */
	assert_int_equal(X509_check_issued(newca, newcrt), X509_V_OK);
	assert_int_not_equal(X509_check_issued(oldca, newcrt), X509_V_OK);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(oldcrt), X509_get0_pubkey(newcrt)), 1);
	assert_int_equal(X509_check_host(newcrt, "vigil.ubnd.local", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(newcrt, "127.0.0.1", 0), 1);
	idx = X509_get_ext_by_NID(newcrt, NID_ext_key_usage, -1);
	assert_true(idx >= 0);

	/* The agent: renew when its certificate is not from the bundle's last CA. */
	snprintf(p, sizeof(p), "%s.next", ca);
	bundle = slurp2(ca, p);
	assert_int_equal(renew_cert_from_newest(bundle, oldcrt), 0);
	assert_int_equal(renew_cert_from_newest(bundle, newcrt), 1);
	assert_int_equal(renew_cert_from_newest("no PEM here", newcrt), -1);
	X509_free(oldca);
	X509_free(newca);
	X509_free(oldcrt);
	X509_free(newcrt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_finish_waits_for_old_agents),
	    cmocka_unit_test(test_agents_past_the_cap_are_counted),
	    cmocka_unit_test(test_bad_state_file_says_where),
	    cmocka_unit_test_setup_teardown(test_state_survives_a_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_next_ca_and_the_agents_test, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
