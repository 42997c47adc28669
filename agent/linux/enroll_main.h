/* vigil-agent --enroll (Linux): enroll_main.c. */
#ifndef VIGIL_AGENT_LINUX_ENROLL_MAIN_H
#define VIGIL_AGENT_LINUX_ENROLL_MAIN_H

#include <stddef.h>

/* vigil-agent ... --enroll ...: enroll_main() with Linux's files; the exit status. */
int enroll_linux_main(int argc, char *argv[]);
/* A put-off enrolment (a disk image being made) at the agent's start: enroll_deferred(). */
int enroll_linux_deferred(const char *file);
/* The machine id file (its SHA-256 hex: enroll_machine_id()). */
const char *enroll_machine_id_file(void);
/* The agent's identity writer (agent_set_identity_writer()): key 0600, then the certificate. */
int enroll_save_identity(void *arg, const char *key_path, const char *key_pem, size_t key_len,
    const char *cert_path, const char *cert_pem);
/* The agent's CA bundle writer (agent_set_ca_writer()): the CA file replaced, 0644. */
int enroll_save_ca(void *arg, const char *ca_path, const char *pem);

#endif
