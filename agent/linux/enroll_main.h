/* vigil-agent --enroll (Linux): enroll_main.c. */
#ifndef VIGIL_AGENT_LINUX_ENROLL_MAIN_H
#define VIGIL_AGENT_LINUX_ENROLL_MAIN_H

#include <stddef.h>

/* argv from "--enroll" on; returns the exit status. */
int enroll_main(int argc, char *argv[]);
/* The machine id file, and its SHA-256 hex into hex[cap >= 65] ("" when unreadable). */
const char *enroll_machine_id_file(void);
void enroll_machine_id(const char *file, char *hex, size_t cap);
/* The agent's identity writer (agent_set_identity_writer()): key 0600, then the certificate. */
int enroll_save_identity(void *arg, const char *key_path, const char *key_pem, size_t key_len,
    const char *cert_path, const char *cert_pem);
/* The agent's CA bundle writer (agent_set_ca_writer()): the CA file replaced, 0644. */
int enroll_save_ca(void *arg, const char *ca_path, const char *pem);

#endif
