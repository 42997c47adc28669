/*
 * TLS 1.3 with mutual authentication against one configured CA.
 * The peer's identity is the subject CN of its verified certificate.
 */
#ifndef VIGIL_TLS_H
#define VIGIL_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#define TLS_GROUPS_DEFAULT "X25519MLKEM768:X25519:P-256"

struct tls_opts {
	const char *ca;       /* PEM file of the CA that signs peers */
	const char *cert;     /* our certificate (PEM) */
	const char *key;      /* our private key (PEM) */
	const char *groups;   /* key-exchange groups, ':'-separated; NULL = default */
};

/*
 * Build a context: TLS 1.3 only, our cert and key (checked to match), peer
 * verification against opts->ca required (SSL_VERIFY_PEER |
 * SSL_VERIFY_FAIL_IF_NO_PEER_CERT), purpose sslclient for a server context
 * (only agent certificates are accepted) and sslserver for a client context.
 * Groups the local OpenSSL does not know are skipped with a debug message; if
 * none is left that is an error. Returns NULL and a sentence in err on failure.
 */
SSL_CTX *tls_server_ctx(const struct tls_opts *opts, char *err, size_t errlen);
SSL_CTX *tls_client_ctx(const struct tls_opts *opts, char *err, size_t errlen);

/*
 * Copy the verified peer certificate's subject CN into id. Returns 0, or
 * VIGIL_ERR_TLS when there is no verified certificate or no CN, or
 * VIGIL_ERR_INVAL when the CN is empty, longer than idlen - 1, or holds
 * anything but [A-Za-z0-9._-].
 */
int tls_peer_id(SSL *ssl, char *id, size_t idlen);
/* The same rule on a subject name (a certificate's, or one being made): pure. */
int tls_subject_id(const X509_NAME *subject, char *id, size_t idlen);

/* Drain OpenSSL's error queue into one line (for a logged reason). */
const char *tls_errstr(char *buf, size_t len);

#define TLS_ID_MAX 64            /* characters of an agent id */

/*
 * The id rule above, for ids given on a command line: 1..64 characters of
 * [A-Za-z0-9._-], the first a letter or digit. Returns 0 or VIGIL_ERR_INVAL.
 */
int tls_id_valid(const char *id);

#endif
