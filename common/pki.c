/*
 * A small certificate authority: ECDSA P-256 keys for the CA and the
 * collector, Ed25519 for agents (make_agent_key() says why), SHA-256 signatures,
 * random 128-bit serials, PEM files. Keys are written 0600 and never
 * overwritten; directories are made 0700.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "vigil/err.h"
#include "vigil/pki.h"
#include "vigil/tls.h"

#define PKI_CA_DAYS 3653 /* ten years */
#define PKI_MAX_DAYS 36500
#define PKI_FILE_MAX (64 * 1024) /* a PEM key or certificate we read back */
#define PKI_SKEW_S 3600          /* notBefore reaches back this far for clocks behind ours */
#define PKI_SERIAL_LEN 16
#define PKI_MAX_CREATED 4

struct ext {
	int nid;
	const char *value;
};

static const struct ext ca_exts[] = {
    {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
    {NID_key_usage, "critical,keyCertSign,cRLSign"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

/* Files made so far, removed again if a later step fails. */
struct created {
	char path[PKI_MAX_CREATED][PATH_MAX];
	size_t n;
};

/* An OpenSSL step failed: say which, with OpenSSL's reasons. */
static int
ossl_fail(char *err, size_t errlen, const char *what)
{
	char reason[512];

	tls_errstr(reason, sizeof(reason));
	err_fmt(err, errlen, 0, "Cannot %s: %s.", what, reason);
	return VIGIL_ERR_TLS;
}

static int
path_join(char *dst, const char *dir, const char *a, const char *b, char *err, size_t errlen)
{
	int n = snprintf(dst, PATH_MAX, "%s/%s%s", dir, a, b ? b : "");

	if (n < 0 || n >= PATH_MAX) {
		err_fmt(err, errlen, 0, "The path %s/%s%s is too long.", dir, a, b ? b : "");
		return VIGIL_ERR_INVAL;
	}
	return 0;
}

static int
make_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		err_fmt(err, errlen, 0, "Cannot make the directory %s: %s.", path, strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode)) {
		err_fmt(err, errlen, 0, "%s exists and is not a directory.", path);
		return VIGIL_ERR_INVAL;
	}
	return 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Write a new file (never an existing one) with exactly `mode`, durably. */
static int
write_new(struct created *made, const char *path, const char *data, size_t len, mode_t mode,
          char *err, size_t errlen)
{
	ssize_t w;
	size_t off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1) {
		err_fmt(err, errlen, 0, "Cannot create %s: %s.", path, strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if (made->n < PKI_MAX_CREATED)
		snprintf(made->path[made->n++], PATH_MAX, "%s", path);
	/* The umask may have taken bits away; set exactly what we mean. */
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	err_fmt(err, errlen, 0, "Cannot write %s: %s.", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return VIGIL_ERR_SYS;
}

static void
unmake(struct created *made)
{
	for (size_t i = 0; i < made->n; i++)
		unlink(made->path[i]);
	made->n = 0;
}

static int
write_key(struct created *made, const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
	BUF_MEM *bm = NULL;
	BIO *bio;
	int rc;

	/* A secure-memory BIO is cleared when freed; we wipe it ourselves as well. */
	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return ossl_fail(err, errlen, "allocate a buffer for a private key");
	if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
	    BIO_get_mem_ptr(bio, &bm) <= 0 || bm == NULL) {
		rc = ossl_fail(err, errlen, "encode a private key");
		goto out;
	}
	rc = write_new(made, path, bm->data, bm->length, 0600, err, errlen);
out:
	if (bm != NULL && bm->data != NULL)
		OPENSSL_cleanse(bm->data, bm->max);
	BIO_free(bio);
	return rc;
}

static int
write_cert(struct created *made, const char *path, X509 *x, char *err, size_t errlen)
{
	BUF_MEM *bm = NULL;
	BIO *bio;
	int rc;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return ossl_fail(err, errlen, "allocate a buffer for a certificate");
	if (!PEM_write_bio_X509(bio, x) || BIO_get_mem_ptr(bio, &bm) <= 0 || bm == NULL)
		rc = ossl_fail(err, errlen, "encode a certificate");
	else
		rc = write_new(made, path, bm->data, bm->length, 0644, err, errlen);
	BIO_free(bio);
	return rc;
}

/* Read a small file whole into buf; the caller wipes buf when it holds a key. */
static int
read_small(const char *path, char *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
	ssize_t r;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		err_fmt(err, errlen, 0, "Cannot open %s: %s.", path, strerror(errno));
		return VIGIL_ERR_SYS;
	}
	for (;;) {
		if (off == cap) {
			close(fd);
			err_fmt(err, errlen, 0, "%s is larger than %zu bytes.", path, cap);
			return VIGIL_ERR_TOOBIG;
		}
		r = read(fd, buf + off, cap - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			err_fmt(err, errlen, 0, "Cannot read %s: %s.", path, strerror(errno));
			close(fd);
			return VIGIL_ERR_SYS;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	*len = off;
	return 0;
}

static int load_pair(const char *crt, const char *key, X509 **ca, EVP_PKEY **cakey, char *err,
                     size_t errlen);

static int
load_ca(const char *dir, X509 **ca, EVP_PKEY **cakey, char *err, size_t errlen)
{
	char crt[PATH_MAX], key[PATH_MAX];
	int rc;

	if ((rc = path_join(crt, dir, "ca.crt", NULL, err, errlen)) != 0 ||
	    (rc = path_join(key, dir, "ca.key", NULL, err, errlen)) != 0)
		return rc;
	return load_pair(crt, key, ca, cakey, err, errlen);
}

/* A certificate and its key (key NULL: the certificate alone). */
static int
load_pair(const char *crt, const char *key, X509 **ca, EVP_PKEY **cakey, char *err,
          size_t errlen)
{
	char *buf;
	size_t len;
	BIO *bio = NULL;
	int rc;

	*ca = NULL;
	*cakey = NULL;
	if ((buf = malloc(PKI_FILE_MAX)) == NULL)
		return VIGIL_ERR_NOMEM;
	if ((rc = read_small(crt, buf, PKI_FILE_MAX, &len, err, errlen)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (*ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		rc = ossl_fail(err, errlen, "read the CA certificate");
		goto out;
	}
	BIO_free(bio);
	bio = NULL;
	if (key == NULL) {
		rc = 0;
		goto out;
	}
	if ((rc = read_small(key, buf, PKI_FILE_MAX, &len, err, errlen)) != 0)
		goto out;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (*cakey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		rc = ossl_fail(err, errlen, "read the CA key");
		goto out;
	}
	if (X509_check_private_key(*ca, *cakey) != 1) {
		ERR_clear_error();
		err_fmt(err, errlen, 0, "The key %s does not match the certificate %s.", key, crt);
		rc = VIGIL_ERR_TLS;
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	explicit_bzero(buf, PKI_FILE_MAX);
	free(buf);
	if (rc != 0) {
		X509_free(*ca);
		EVP_PKEY_free(*cakey);
		*ca = NULL;
		*cakey = NULL;
	}
	return rc;
}

static int
set_serial(X509 *x)
{
	unsigned char raw[PKI_SERIAL_LEN];
	BIGNUM *bn = NULL;
	int ok = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return 0;
	/* Positive and never zero, as RFC 5280 asks. */
	raw[0] = (unsigned char)((raw[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(raw, sizeof(raw), NULL)) != NULL &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		ok = 1;
	BN_free(bn);
	return ok;
}

/*
 * Make a certificate for `key` named `cn`, signed by issuer_key (self-signed
 * when issuer is NULL), valid from backdate_days before now (less the clock
 * skew allowance) until days - backdate_days from now.
 */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int days,
          int backdate_days, const struct ext *exts, size_t nexts, char *err, size_t errlen)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	X509_NAME *name;
	X509 *x;

	if ((x = X509_new()) == NULL)
		goto fail;
	if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Vigil",
	                                -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	                                -1, 0))
		goto fail;
	if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
		goto fail;
	if (X509_time_adj_ex(X509_getm_notBefore(x), -backdate_days, -PKI_SKEW_S, NULL) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days - backdate_days, 0, NULL) == NULL)
		goto fail;
	if (!X509_set_pubkey(x, key))
		goto fail;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	/* The subject key identifier comes first: a self-signed AKI copies it. */
	for (size_t i = 0; i < nexts; i++) {
		if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, exts[i].nid, exts[i].value)) == NULL)
			goto fail;
		if (!X509_add_ext(x, ext, -1)) {
			X509_EXTENSION_free(ext);
			goto fail;
		}
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(x, issuer_key, EVP_sha256()) <= 0)
		goto fail;
	return x;
fail:
	ossl_fail(err, errlen, "make a certificate");
	X509_free(x);
	return NULL;
}

static EVP_PKEY *
make_key(char *err, size_t errlen)
{
	EVP_PKEY *key;

	if ((key = EVP_EC_gen("P-256")) == NULL)
		ossl_fail(err, errlen, "generate an ECDSA P-256 key");
	return key;
}

/*
 * An agent's key is Ed25519: the collector keeps every connected agent's
 * certificate for the life of its session, and a P-256 public key costs
 * about 2 kB of decoded group parameters each (10,000 agents: 20 MB).
 */
static EVP_PKEY *
make_agent_key(char *err, size_t errlen)
{
	EVP_PKEY *key;

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		ossl_fail(err, errlen, "generate an Ed25519 key");
	return key;
}

static int
dns_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > PKI_NAME_MAX || s[0] == '-' || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

int
pki_san(char *san, size_t cap, const char *const *names, size_t nnames, char *err, size_t errlen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	size_t used;
	int n;

	if (nnames > PKI_MAX_NAMES) {
		err_fmt(err, errlen, 0, "At most %d extra names are accepted.", PKI_MAX_NAMES);
		return VIGIL_ERR_INVAL;
	}
	used = (size_t)snprintf(san, cap, "DNS:localhost,IP:127.0.0.1");
	for (size_t i = 0; i < nnames; i++) {
		const char *kind;

		if (names[i] == NULL) {
			err_fmt(err, errlen, 0, "A collector name is missing.");
			return VIGIL_ERR_INVAL;
		}
		if (inet_pton(AF_INET, names[i], addr) == 1 ||
		    inet_pton(AF_INET6, names[i], addr) == 1)
			kind = "IP";
		else if (dns_name_valid(names[i]))
			kind = "DNS";
		else {
			err_fmt(err, errlen, 0,
			        "A collector name must be an IP address or a DNS name of letters, "
			        "digits, "
			        "'-' and '.', at most %d characters.",
			        PKI_NAME_MAX);
			return VIGIL_ERR_INVAL;
		}
		n = snprintf(san + used, cap - used, ",%s:%s", kind, names[i]);
		if (n < 0 || (size_t)n >= cap - used) {
			err_fmt(err, errlen, 0, "The collector names are too long together.");
			return VIGIL_ERR_INVAL;
		}
		used += (size_t)n;
	}
	return 0;
}

static int
days_valid(int days, int backdate_days, char *err, size_t errlen)
{
	if (days < 1 || days > PKI_MAX_DAYS) {
		err_fmt(err, errlen, 0, "The validity must be between 1 and %d days.", PKI_MAX_DAYS);
		return VIGIL_ERR_INVAL;
	}
	if (backdate_days < 0 || backdate_days > PKI_MAX_DAYS) {
		err_fmt(err, errlen, 0, "The backdating must be between 0 and %d days.", PKI_MAX_DAYS);
		return VIGIL_ERR_INVAL;
	}
	return 0;
}

int
pki_init(const char *dir, const char *const *names, size_t nnames, int days, char *err,
         size_t errlen)
{
	static const char *const files[] = {"ca.key", "ca.crt", "collector.key", "collector.crt"};
	char paths[4][PATH_MAX], agents[PATH_MAX], san[PKI_SAN_MAX];
	struct created made = {.n = 0};
	EVP_PKEY *cakey = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	int rc;
	const struct ext coll_exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "serverAuth"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	    {NID_subject_alt_name, san},
	};

	if ((rc = days_valid(days, 0, err, errlen)) != 0 ||
	    (rc = pki_san(san, sizeof(san), names, nnames, err, errlen)) != 0)
		return rc;
	for (size_t i = 0; i < 4; i++)
		if ((rc = path_join(paths[i], dir, files[i], NULL, err, errlen)) != 0)
			return rc;
	if ((rc = path_join(agents, dir, "agents", NULL, err, errlen)) != 0)
		return rc;
	if ((rc = make_dir(dir, err, errlen)) != 0)
		return rc;
	for (size_t i = 0; i < 4; i++) {
		if (exists(paths[i])) {
			err_fmt(err, errlen, 0,
			        "%s already exists: %s already holds a CA, which is "
			        "never overwritten.",
			        paths[i], dir);
			return VIGIL_ERR_INVAL;
		}
	}
	if ((rc = make_dir(agents, err, errlen)) != 0)
		return rc;

	rc = VIGIL_ERR_TLS;
	if ((cakey = make_key(err, errlen)) == NULL ||
	    (ca = make_cert(cakey, "Vigil CA", NULL, cakey, PKI_CA_DAYS, 0, ca_exts,
	                    sizeof(ca_exts) / sizeof(ca_exts[0]), err, errlen)) == NULL ||
	    (key = make_key(err, errlen)) == NULL ||
	    (cert = make_cert(key, "vigil-collector", ca, cakey, days, 0, coll_exts,
	                      sizeof(coll_exts) / sizeof(coll_exts[0]), err, errlen)) == NULL)
		goto out;
	if ((rc = write_key(&made, paths[0], cakey, err, errlen)) != 0 ||
	    (rc = write_cert(&made, paths[1], ca, err, errlen)) != 0 ||
	    (rc = write_key(&made, paths[2], key, err, errlen)) != 0 ||
	    (rc = write_cert(&made, paths[3], cert, err, errlen)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		unmake(&made);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return rc;
}

int
pki_issue(const char *dir, const char *id, int days, int backdate_days, char *err, size_t errlen)
{
	char agents[PATH_MAX], keypath[PATH_MAX], crtpath[PATH_MAX];
	struct created made = {.n = 0};
	EVP_PKEY *cakey = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	int rc;
	static const struct ext agent_exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "clientAuth"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	};

	if (tls_id_valid(id) != 0) {
		err_fmt(err, errlen, 0,
		        "An agent id must be 1 to 64 letters, digits, '.', '_' or '-', "
		        "and start with a letter or digit.");
		return VIGIL_ERR_INVAL;
	}
	if ((rc = days_valid(days, backdate_days, err, errlen)) != 0)
		return rc;
	if ((rc = path_join(agents, dir, "agents", NULL, err, errlen)) != 0 ||
	    (rc = path_join(keypath, agents, id, ".key", err, errlen)) != 0 ||
	    (rc = path_join(crtpath, agents, id, ".crt", err, errlen)) != 0)
		return rc;
	if ((rc = load_ca(dir, &ca, &cakey, err, errlen)) != 0)
		return rc;
	if ((rc = make_dir(agents, err, errlen)) != 0)
		goto out;
	if (exists(keypath) || exists(crtpath)) {
		err_fmt(err, errlen, 0, "A certificate for agent %s already exists in %s.", id,
		        agents);
		rc = VIGIL_ERR_INVAL;
		goto out;
	}

	rc = VIGIL_ERR_TLS;
	if ((key = make_agent_key(err, errlen)) == NULL ||
	    (cert = make_cert(key, id, ca, cakey, days, backdate_days, agent_exts,
	                      sizeof(agent_exts) / sizeof(agent_exts[0]), err, errlen)) == NULL)
		goto out;
	if ((rc = write_key(&made, keypath, key, err, errlen)) != 0 ||
	    (rc = write_cert(&made, crtpath, cert, err, errlen)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		unmake(&made);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return rc;
}

/* The subjectAltName of x again in OpenSSL's syntax ("DNS:a,IP:127.0.0.1"). */
static int
san_of(X509 *x, char *san, size_t cap, char *err, size_t errlen)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char one[PKI_NAME_MAX + 8], ip[64];
	size_t used = 0;
	int rc = 0, n;

	san[0] = '\0';
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_OCTET_STRING *a = g->d.iPAddress;

		if (g->type == GEN_DNS && ASN1_STRING_length(g->d.dNSName) <= PKI_NAME_MAX)
			snprintf(one, sizeof(one), "DNS:%.*s", ASN1_STRING_length(g->d.dNSName),
			         (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		else if (g->type == GEN_IPADD && (a->length == 4 || a->length == 16) &&
		         inet_ntop(a->length == 4 ? AF_INET : AF_INET6, a->data, ip,
		                   sizeof(ip)) != NULL)
			snprintf(one, sizeof(one), "IP:%s", ip);
		else
			continue;
		n = snprintf(san + used, cap - used, "%s%s", used > 0 ? "," : "", one);
		if (n < 0 || (size_t)n >= cap - used) {
			rc = err_fmt(err, errlen, VIGIL_ERR_TOOBIG, "The collector certificate has "
			             "more names than a new one can carry.");
			break;
		}
		used += (size_t)n;
	}
	GENERAL_NAMES_free(gens);
	if (rc == 0 && used == 0)
		snprintf(san, cap, "DNS:localhost,IP:127.0.0.1");
	return rc;
}

int
pki_next(const char *ca_crt, const char *ca_key, const char *coll_crt, const char *label,
         char *err, size_t errlen)
{
	char paths[3][PATH_MAX], san[PKI_SAN_MAX], cn[128];
	struct created made = {.n = 0};
	EVP_PKEY *cakey = NULL, *newkey = NULL, *collkey;
	X509 *old = NULL, *newca = NULL, *cert = NULL;
	int rc, days;
	const struct ext coll_exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "serverAuth"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	    {NID_subject_alt_name, san},
	};

	const char *const of[] = {ca_key, ca_crt, coll_crt};

	for (size_t i = 0; i < 3; i++) {
		if (snprintf(paths[i], PATH_MAX, "%s%s", of[i], PKI_NEXT) >= PATH_MAX)
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "The path %s is too long.", of[i]);
		if (exists(paths[i]))
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s already exists: a rotation "
			               "was begun and not finished; it is never overwritten.",
			               paths[i]);
	}
	if ((rc = load_pair(coll_crt, NULL, &old, &cakey, err, errlen)) != 0)
		return rc;
	if ((rc = san_of(old, san, sizeof(san), err, errlen)) != 0)
		goto out;
	/* As long as the certificate it replaces was made for, within our limits. */
	if (ASN1_TIME_diff(&days, &(int){0}, X509_get0_notBefore(old), X509_get0_notAfter(old)) !=
	        1 || days < 1 || days > PKI_MAX_DAYS)
		days = PKI_CA_DAYS;
	collkey = X509_get0_pubkey(old);
	/* Its own name: two CAs named alike would leave a verifier to pick by key id. */
	snprintf(cn, sizeof(cn), "Vigil CA %s", label);
	rc = VIGIL_ERR_TLS;
	if ((newkey = make_key(err, errlen)) == NULL ||
	    (newca = make_cert(newkey, cn, NULL, newkey, PKI_CA_DAYS, 0, ca_exts,
	                       sizeof(ca_exts) / sizeof(ca_exts[0]), err, errlen)) == NULL ||
	    collkey == NULL ||
	    (cert = make_cert(collkey, "vigil-collector", newca, newkey, days, 0, coll_exts,
	                      sizeof(coll_exts) / sizeof(coll_exts[0]), err, errlen)) == NULL)
		goto out;
	if ((rc = write_key(&made, paths[0], newkey, err, errlen)) != 0 ||
	    (rc = write_cert(&made, paths[1], newca, err, errlen)) != 0 ||
	    (rc = write_cert(&made, paths[2], cert, err, errlen)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		unmake(&made);
	X509_free(old);
	X509_free(newca);
	X509_free(cert);
	EVP_PKEY_free(newkey);
	EVP_PKEY_free(cakey);
	return rc;
}
