/*
 * The agent's enrolment (issue 15): vigil-agent --enroll HOST[:PORT] --token T.
 * Portable core: the platform reads its machine id and host name and writes
 * the files (the key 0600 on Linux; ACLs on Windows), this talks to the
 * collector. The key is made here and never leaves the PC; only a
 * certificate request goes out, to a collector whose CA matches the token's
 * fingerprint (nothing is trusted on first use).
 */
#ifndef VIGIL_AGENT_ENROLL_H
#define VIGIL_AGENT_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "vigil/enroll.h"
#include "vigil.pb-c.h"
struct agent;

struct enroll_out {
	char agent[128];       /* the identity the collector assigned */
	char unit[128];        /* the unit's name at the collector */
	char *key_pem;         /* ours; wiped and freed by enroll_out_free() */
	size_t key_len;
	char *cert_pem;
	char *ca_pem;
};

/*
 * Enrol at hostport ("collector.local", "10.0.0.5:7444", "[::1]:7444") with
 * token. hostname is a label for the identity; machine_id the SHA-256 hex of
 * the machine's id; now_us our clock (the collector refuses a large skew).
 * 0 with *out filled, or -1 with a plain-words sentence in err (wrong CA,
 * expired, used, cancelled or unknown token, clock skew, unreachable).
 */
int agent_enroll(const char *hostport, const char *token, const char *hostname,
    const char *machine_id, int64_t now_us, struct enroll_out *out, char *err, size_t errlen);
void enroll_out_free(struct enroll_out *out);

#define ENROLL_EXCHANGE_SEC 15  /* connect, TLS, request and result, at most */

/*
 * The exchange both enrolment and re-enrolment (grace.c) make: connect to
 * hostport within ask's timeout_s (ENROLL_EXCHANGE_SEC), check the chain against the CA
 * fingerprint fp, send ask's request, read one EnrollResult. 0 with *res (frame_free())
 * and *ca (the collector's CA, X509_free()), or -1 with a sentence in err.
 */
/* cert_pem is for key and signed by ca: 0, or -1 with a sentence in err. */
int enroll_check_cert(const char *cert_pem, EVP_PKEY *key, X509 *ca, char *err, size_t errlen);
struct enroll_ask {
	const char *token;         /* a first enrolment's secret, or NULL */
	const char *old_cert_pem;  /* a re-enrolment's expired certificate, or NULL */
	const char *csr_pem;
	const char *hostname;
	const char *machine_id;
	int64_t time_us;
	int timeout_s;             /* the whole exchange at most; 0: ENROLL_EXCHANGE_SEC */
};
int enroll_exchange(const char *hostport, const uint8_t fp[ENROLL_FP_LEN],
    const struct enroll_ask *ask, Vigil__V1__Frame **res, X509 **ca, char *err, size_t errlen);
/*
 * What a platform gives enroll_main(): where its configuration is, how it
 * loads it, its machine's id and name, and how it writes the files. The
 * writers return 0, or -1 with the reason in err.
 */
struct enroll_platform {
	const char *default_file;    /* -f's default; NULL: -f is required */
	const char *usage;           /* N_() marked; printed translated */
	struct agent *(*load)(const char *file, char *err, size_t errlen);
	int (*exists)(const char *path);
	void (*hostname)(char *buf, size_t cap);
	/* The machine's own id, SHA-256 hex, into hex[cap >= ENROLL_HASH_HEX]; "" unknown. */
	void (*machine_id)(char *hex, size_t cap);
	/* The key: a new file (never over one) that only the agent's account may read. */
	int (*write_key)(const char *path, const char *pem, size_t len, char *err, size_t errlen);
	/* The certificate or the CA: replaced atomically. */
	int (*write_public)(const char *path, const char *pem, char *err, size_t errlen);
	void (*remove)(const char *path);
	/*
	 * Is this machine a disk image being made (enroll_image_pending())? 1
	 * with the fact in why, or 0. idfile: the machine id file given on the
	 * command line, or NULL. NULL: never.
	 */
	int (*image)(const char *idfile, char *why, size_t whylen);
	/* Wait sec seconds; 1 when asked to stop meanwhile. */
	int (*pause)(unsigned sec);
};

/*
 * What tells a disk image being made from a machine started for real: on
 * Linux the machine-id file (machine_id: its first line, NULL when it cannot
 * be read), empty or "uninitialized" until the first real boot (systemd's
 * convention, systemd-firstboot, a truncated /etc/machine-id); on Windows
 * Setup's ImageState (HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\
 * Setup\State; NULL when absent: older Windows, Wine), IMAGE_STATE_COMPLETE
 * once the specialize and oobeSystem passes are over.
 */
struct enroll_image {
	const char *machine_id;
	const char *image_state;
};
/* An image being made? 1 with its fact in why (a phrase), else 0. Pure. */
int enroll_image_pending(const struct enroll_image *im, char *why, size_t whylen);

#define ENROLL_RUN_IMAGE 3         /* enroll_run(): put off, the machine is an image */
#define ENROLL_IMAGE_POLL_SEC 5    /* how often a put-off enrolment looks again */
/* Where a put-off enrolment keeps its target and token: KEY.token, as secret as the key. */
#define ENROLL_DEFERRED_SUFFIX ".token"
/*
 * At the agent's start: if the enrolment was put off (KEY.token, no key),
 * wait while the machine is an image, then enrol and remove KEY.token.
 * 0: nothing put off, or enrolled; -1: failed or asked to stop (logged).
 */
int enroll_deferred(const struct enroll_platform *p, const char *file);

/*
 * vigil-agent [-f FILE] --enroll HOST[:PORT] --token T [--machine-id-file F]:
 * argv from the program's name on; the exit status.
 */
int enroll_main(int argc, char *argv[], const struct enroll_platform *p);
/*
 * Enrol the PC whose configuration is file at target with token, and write
 * the key, the certificate and the CA where the file says. idfile: another
 * machine id file than the platform's own (a test playing a second
 * machine), or NULL. On a disk image being made, nothing is enrolled: the
 * target and token are kept in KEY.token for the agent's first real start
 * (enroll_deferred()) and ENROLL_RUN_IMAGE is returned. Said on stdout and
 * stderr; the exit status.
 */
int enroll_run(const struct enroll_platform *p, const char *file, const char *target,
    const char *token, const char *idfile);
/*
 * A platform's atomic replacement of path by len bytes of data: secret, the
 * key's protection (0600; SYSTEM and Administrators), else the certificate's
 * and the CA's (0644; the folder's list). 0, or -1 with the reason in err.
 */
typedef int (*enroll_replace_fn)(const char *path, const char *data, size_t len, int secret,
    char *err, size_t errlen);
/*
 * A renewed or re-enrolled identity written through replace: the key first
 * (a certificate never names a key that is not there), key_pem NULL for a
 * re-enrolment, which keeps the key on disk; then the certificate. Logged
 * on failure; 0 or -1. Both platforms' agent_identity_fn.
 */
int enroll_write_identity(enroll_replace_fn replace, const char *key_path, const char *key_pem,
    size_t key_len, const char *cert_path, const char *cert_pem);
/* The collector's CA bundle (a rotation) over ca_path; logged on failure; 0 or -1. */
int enroll_write_ca(enroll_replace_fn replace, const char *ca_path, const char *pem);
/* SHA-256 hex of the first line of file into hex[cap >= ENROLL_HASH_HEX] ("" unreadable). */
void enroll_machine_id(const char *file, char *hex, size_t cap);
/* SHA-256 hex of id, its line end removed, into hex[cap >= ENROLL_HASH_HEX] ("" on failure). */
void enroll_machine_hash(const char *id, char *hex, size_t cap);

#endif
