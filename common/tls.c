/*
 * TLS contexts for both ends: TLS 1.3 only, mutual authentication against
 * one CA, the peer's identity taken from its verified certificate's CN.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/tls.h"

/* Leaf and CA, with room for one intermediate. */
#define TLS_VERIFY_DEPTH 2
#define TLS_GROUPS_MAX 512
/* RFC 5280 ub-common-name. */

const char *
tls_errstr(char *buf, size_t len)
{
	char one[256];
	unsigned long e;
	size_t used = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		if (used + 1 >= len)
			continue; /* keep draining the queue */
		ERR_error_string_n(e, one, sizeof(one));
		n = snprintf(buf + used, len - used, "%s%s", used > 0 ? "; " : "", one);
		if (n < 0)
			break;
		used += (size_t)n < len - used ? (size_t)n : len - used - 1;
	}
	if (used == 0)
		snprintf(buf, len, "no OpenSSL error was recorded");
	return buf;
}

/*
 * OpenSSL 3.0 refuses a whole group list when one name in it is unknown (a
 * hybrid post-quantum group, say, that only 3.5 knows), so try each name on
 * its own and keep those this library accepts.
 */
static int said_skipped; /* a skipped group was said at info level once */

static int
set_groups(SSL_CTX *ctx, const char *groups, char *err, size_t errlen)
{
	char list[TLS_GROUPS_MAX], kept[TLS_GROUPS_MAX], ebuf[256];
	char *name, *save = NULL;
	SSL_CTX *scratch;
	size_t used = 0;
	int rc = -1, skipped = 0;

	if (groups == NULL)
		groups = TLS_GROUPS_DEFAULT;
	if (strlen(groups) >= sizeof(list)) {
		err_fmt(err, errlen, 0, "The list of key-exchange groups is longer than %d bytes.",
		        TLS_GROUPS_MAX - 1);
		return -1;
	}
	if ((scratch = SSL_CTX_new(TLS_method())) == NULL) {
		err_fmt(err, errlen, 0, "Cannot make a TLS context: %s.",
		        tls_errstr(ebuf, sizeof(ebuf)));
		return -1;
	}
	strcpy(list, groups);
	kept[0] = '\0';
	for (name = strtok_r(list, ":", &save); name != NULL; name = strtok_r(NULL, ":", &save)) {
		if (SSL_CTX_set1_groups_list(scratch, name) != 1) {
			ERR_clear_error();
			/*
			 * Said once per process, where the operator reads it
			 * (X25519MLKEM768 needs OpenSSL 3.5; Debian 12 has 3.0),
			 * however many contexts are made (a renewed certificate).
			 */
			if (!said_skipped)
				log_info("The key-exchange group %s is not in this OpenSSL (%s) "
				         "and is not used.", name, OpenSSL_version(OPENSSL_VERSION));
			else
				log_debug("The key-exchange group %s is skipped.", name);
			skipped = 1;
			continue;
		}
		/* kept is never longer than list, so this always fits. */
		used += (size_t)snprintf(kept + used, sizeof(kept) - used, "%s%s",
		                         used > 0 ? ":" : "", name);
	}
	if (skipped)
		said_skipped = 1;
	if (used == 0) {
		err_fmt(err, errlen, 0,
		        "None of the key-exchange groups \"%s\" is known to this "
		        "OpenSSL.",
		        groups);
		goto out;
	}
	if (SSL_CTX_set1_groups_list(ctx, kept) != 1) {
		err_fmt(err, errlen, 0, "Cannot set the key-exchange groups \"%s\": %s.", kept,
		        tls_errstr(ebuf, sizeof(ebuf)));
		goto out;
	}
	rc = 0;
out:
	SSL_CTX_free(scratch);
	return rc;
}

static SSL_CTX *
tls_ctx(const struct tls_opts *opts, int server, char *err, size_t errlen)
{
	char ebuf[512];
	SSL_CTX *ctx;

	if (opts == NULL || opts->ca == NULL || opts->cert == NULL || opts->key == NULL) {
		err_fmt(err, errlen, 0, "The TLS configuration needs a CA, a certificate and a key.");
		return NULL;
	}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method())) == NULL) {
		err_fmt(err, errlen, 0, "Cannot make a TLS context: %s.",
		        tls_errstr(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		err_fmt(err, errlen, 0, "This OpenSSL cannot restrict TLS to version 1.3: %s.",
		        tls_errstr(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, opts->ca, NULL) != 1) {
		err_fmt(err, errlen, 0, "Cannot load the CA certificate %s: %s.", opts->ca,
		        tls_errstr(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, opts->cert) != 1) {
		err_fmt(err, errlen, 0, "Cannot load the certificate %s: %s.", opts->cert,
		        tls_errstr(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, opts->key, SSL_FILETYPE_PEM) != 1) {
		/* OpenSSL already compares the key with the certificate here. */
		err_fmt(err, errlen, 0,
		        "Cannot load the private key %s, or it does not match "
		        "the certificate %s: %s.",
		        opts->key, opts->cert, tls_errstr(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		err_fmt(err, errlen, 0, "The private key %s does not match the certificate %s: %s.",
		        opts->key, opts->cert, tls_errstr(ebuf, sizeof(ebuf)));
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	/* A server accepts only agent certificates; an agent only a collector's. */
	if (SSL_CTX_set_purpose(ctx, server ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER) !=
	    1) {
		err_fmt(err, errlen, 0, "Cannot set the certificate purpose: %s.",
		        tls_errstr(ebuf, sizeof(ebuf)));
		goto fail;
	}
	if (set_groups(ctx, opts->groups, err, errlen) != 0)
		goto fail;
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (server) {
		STACK_OF(X509_NAME) * cas;

		/* Tell clients which CA we expect their certificate from. */
		if ((cas = SSL_load_client_CA_file(opts->ca)) != NULL)
			SSL_CTX_set_client_CA_list(ctx, cas);
		/*
		 * No resumption: every connection proves its certificate afresh,
		 * and the server keeps no session state per agent.
		 */
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	ERR_clear_error();
	return ctx;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

SSL_CTX *
tls_server_ctx(const struct tls_opts *opts, char *err, size_t errlen)
{
	return tls_ctx(opts, 1, err, errlen);
}

SSL_CTX *
tls_client_ctx(const struct tls_opts *opts, char *err, size_t errlen)
{
	return tls_ctx(opts, 0, err, errlen);
}

int
tls_id_valid(const char *id)
{
	size_t i, len;
	char c;

	if (id == NULL || (len = strlen(id)) == 0 || len > TLS_ID_MAX)
		return VIGIL_ERR_INVAL;
	for (i = 0; i < len; i++) {
		c = id[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		/*
		 * The id names files (agents/ID.crt) and is typed on command
		 * lines, so it may not start like a hidden file or an option.
		 */
		if (i > 0 && (c == '.' || c == '_' || c == '-'))
			continue;
		return VIGIL_ERR_INVAL;
	}
	return 0;
}

int
tls_subject_id(const X509_NAME *subject, char *id, size_t idlen)
{
	const ASN1_STRING *data;
	unsigned char *utf8 = NULL;
	int idx, len, rc;

	if (id != NULL && idlen > 0)
		id[0] = '\0';
	if (subject == NULL || id == NULL || idlen == 0)
		return VIGIL_ERR_INVAL;
	if ((idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)) < 0)
		return VIGIL_ERR_TLS;
	/* Two CNs would make the identity ambiguous. */
	if (X509_NAME_get_index_by_NID(subject, NID_commonName, idx) >= 0)
		return VIGIL_ERR_INVAL;
	data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
	if ((len = ASN1_STRING_to_UTF8(&utf8, data)) < 0)
		return VIGIL_ERR_INVAL;
	rc = VIGIL_ERR_INVAL;
	/* An embedded NUL makes strlen() differ from len and is refused. */
	if ((size_t)len < idlen && strlen((char *)utf8) == (size_t)len &&
	    tls_id_valid((char *)utf8) == 0) {
		memcpy(id, utf8, (size_t)len + 1);
		rc = 0;
	}
	OPENSSL_free(utf8);
	return rc;
}

int
tls_peer_id(SSL *ssl, char *id, size_t idlen)
{
	X509 *peer;

	if (id != NULL && idlen > 0)
		id[0] = '\0';
	if (ssl == NULL || id == NULL || idlen == 0)
		return VIGIL_ERR_INVAL;
	if ((peer = SSL_get0_peer_certificate(ssl)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK)
		return VIGIL_ERR_TLS;
	return tls_subject_id(X509_get_subject_name(peer), id, idlen);
}
