/*
 * libFuzzer target: the names of the certificate authority, as
 * `vigilctl pki issue DIR NAME` and `vigilctl pki init DIR --name NAME...`
 * take them from a command line, and as a peer's certificate brings them.
 *
 * Input: a flag byte (the string type of a certificate's CN and whether it
 * has a second CN), then parts separated by FUZZ_SEP (fuzz.h): the agent id,
 * then the collector's extra names.
 *
 * What must hold:
 * - an id tls_id_valid() accepts is 1..64 characters of [A-Za-z0-9._-]
 *   starting with a letter or a digit (it names files: never "/", "." or
 *   ".."), and a certificate made for it as pki_issue() makes one names
 *   the same agent when the collector reads it back (tls_subject_id(),
 *   through DER as it crosses the network);
 * - whatever a certificate's CN holds (any string type, any bytes, two
 *   CNs), tls_subject_id() either refuses it or yields an id that
 *   tls_id_valid() accepts;
 * - the subjectAltName pki_san() writes, parsed by OpenSSL as pki_init()
 *   has it parsed, has exactly localhost, 127.0.0.1 and one entry per name,
 *   each the name itself (no name can smuggle in an entry of its own).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fuzz.h"
#include "vigil/pki.h"
#include "vigil/tls.h"

#define NPARTS (1 + PKI_MAX_NAMES + 1)

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_pki: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

/* tls_subject_id() on name, and again on it after a DER round trip. */
static int
subject_id(X509_NAME *name, char *id, size_t idlen)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_NAME *back;
	char id2[TLS_ID_MAX + 1];
	int rc, rc2, len;

	rc = tls_subject_id(name, id, idlen);
	if ((len = i2d_X509_NAME(name, &der)) <= 0)
		return rc;
	p = der;
	if ((back = d2i_X509_NAME(NULL, &p, len)) != NULL) {
		rc2 = tls_subject_id(back, id2, sizeof(id2));
		if (rc2 != rc || (rc == 0 && strcmp(id, id2) != 0))
			fail("tls_subject_id", "a name reads otherwise after DER");
		X509_NAME_free(back);
	}
	OPENSSL_free(der);
	return rc;
}

static void
check_id(const char *id, size_t len, unsigned flags)
{
	static const int types[] = { V_ASN1_UTF8STRING, V_ASN1_PRINTABLESTRING, V_ASN1_IA5STRING,
		V_ASN1_BMPSTRING, V_ASN1_T61STRING, V_ASN1_UNIVERSALSTRING, V_ASN1_VISIBLESTRING,
		V_ASN1_OCTET_STRING };
	char got[TLS_ID_MAX + 1];
	X509_NAME *name;
	size_t n = strlen(id);

	if (tls_id_valid(id) == 0) {
		if (n == 0 || n > TLS_ID_MAX || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789._-") != n || strchr("._-", id[0]) != NULL)
			fail("tls_id_valid accepted", id);
		/* As make_cert() names an agent's certificate. */
		if ((name = X509_NAME_new()) == NULL ||
		    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
		    (const unsigned char *)"Vigil", -1, -1, 0) ||
		    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		    (const unsigned char *)id, -1, -1, 0))
			fail("X509_NAME", "cannot name a valid id");
		if (subject_id(name, got, sizeof(got)) != 0 || strcmp(got, id) != 0)
			fail("a certificate made for an agent names another", id);
		X509_NAME_free(name);
	}
	/* A peer's certificate: any string type, any bytes, perhaps two CNs. */
	if ((name = X509_NAME_new()) == NULL)
		fail("X509_NAME_new", "out of memory");
	if (X509_NAME_add_entry_by_NID(name, NID_commonName, types[flags & 7],
	    (const unsigned char *)id, (int)len, -1, 0)) {
		if (flags & 8)
			X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
			    (const unsigned char *)"pc-01", -1, -1, 0);
		if (subject_id(name, got, sizeof(got)) == 0 && tls_id_valid(got) != 0)
			fail("tls_subject_id yielded an id tls_id_valid refuses", got);
	}
	X509_NAME_free(name);
}

static void
check_san(const char *const *names, size_t n)
{
	static char san[PKI_SAN_MAX];
	unsigned char addr[16];
	GENERAL_NAMES *gens;
	X509_EXTENSION *ext;
	char err[256];

	if (pki_san(san, sizeof(san), names, n, err, sizeof(err)) != 0)
		return;
	/* As pki_init() hands it to OpenSSL (its context only matters for "copy"). */
	if ((ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san)) == NULL)
		fail("OpenSSL refused the subjectAltName pki_san() wrote", san);
	if ((gens = X509V3_EXT_d2i(ext)) == NULL)
		fail("X509V3_EXT_d2i", san);
	if ((size_t)sk_GENERAL_NAME_num(gens) != n + 2)
		fail("the subjectAltName has another number of entries than names", san);
	for (size_t i = 0; i < n; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, (int)i + 2);
		const ASN1_STRING *s;
		int alen = inet_pton(AF_INET, names[i], addr) == 1 ? 4 :
		    inet_pton(AF_INET6, names[i], addr) == 1 ? 16 : 0;

		if (alen > 0) {
			s = g->d.iPAddress;
			if (g->type != GEN_IPADD || ASN1_STRING_length(s) != alen ||
			    memcmp(ASN1_STRING_get0_data(s), addr, (size_t)alen) != 0)
				fail("an address became another entry", names[i]);
		} else {
			s = g->d.dNSName;
			if (g->type != GEN_DNS || (size_t)ASN1_STRING_length(s) != strlen(names[i]) ||
			    memcmp(ASN1_STRING_get0_data(s), names[i], strlen(names[i])) != 0)
				fail("a DNS name became another entry", names[i]);
		}
	}
	GENERAL_NAMES_free(gens);
	X509_EXTENSION_free(ext);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[NPARTS];
	size_t len[NPARTS], n;
	unsigned flags = size > 0 ? data[0] : 0;

	if (size > 0) {
		data++;
		size--;
	}
	fuzz_split(data, size, NPARTS, parts, len);
	check_id(parts[0], len[0], flags);
	/* The names given: up to the last that is not empty; one past the maximum is refused. */
	for (n = NPARTS - 1; n > 0 && len[n] == 0; n--)
		;
	check_san((const char *const *)parts + 1, n);
	fuzz_split_free(NPARTS, parts);
	return 0;
}
