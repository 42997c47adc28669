/*
 * agent.c: the running agent, the same on every platform. It owns the
 * pipeline (sensors -> ingest -> spool -> uplink, DESIGN §2) and builds it
 * from the configuration: the TLS context, the spool, the rules, the
 * posture, the uplink and the sensors of the platform's table (sensor.h);
 * it says goodbye when asked to stop, and gives back memory used once.
 *
 * What is left to a platform's main (agent/linux/main.c): the command line,
 * becoming a daemon or a service, the event loop's creation, signals or
 * service controls, the directory watcher, and being told that the machine
 * is going down (logind). Flow: agent_load() and agent_prepare() before
 * daemonising (so that a bad file or certificate is said on the terminal),
 * agent_start() and agent_go() after it, the loop, agent_free().
 */
#ifndef VIGIL_AGENT_AGENT_H
#define VIGIL_AGENT_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "rules.h"

#define AGENT_VERSION "0.1.0"

struct agent;
struct dirwatch;
struct event_base;
struct matcher;

/*
 * The shipped rules, then the local ones that replace or disable them by id,
 * their summaries in lang. Every bad rule goes to report and is skipped;
 * *nbad counts them. A local directory that does not exist is normal;
 * *no_shipped says the shipped one does not. NULL only when memory runs out.
 */
struct matcher *agent_rules(const char *shipped, const char *local, const char *lang,
    rules_error_fn report, size_t *nbad, int *no_shipped);

/*
 * vigil-agent -n / -nv: the configuration's rules checked (each bad one
 * printed), then "configuration OK" or, verbose, the effective
 * configuration on out. Returns the exit status.
 */
int agent_check(const struct agent_conf *conf, int verbose, FILE *out);

/*
 * vigil-agent --test-rules: file (NULL: the defaults), the rule directories
 * (ndirs 0: the configuration's), rules of source only (NULL: any); lines
 * from in, what fires to out. Returns the exit status.
 */
int agent_test_rules(const char *file, const char *const *dirs, size_t ndirs,
    const char *source, FILE *in, FILE *out);

/*
 * An agent with the configuration of file, loaded and checked, speaking the
 * language it sets: NULL with "file:line: message" in err.
 */
struct agent *agent_load(const char *file, char *err, size_t errlen);
const struct agent_conf *agent_conf(const struct agent *a);

/* Its TLS context and identity (the certificate's CN): fatal on failure. */
void agent_prepare(struct agent *a);
const char *agent_id(const struct agent *a);

/*
 * Build the pipeline on base: the spool, the rules, the posture, the uplink
 * and the sensors, each source read once. Fatal on failure (it is start-up).
 * dw is the platform's directory watcher for the sensors (may be NULL); both
 * are borrowed.
 */
void agent_start(struct agent *a, struct event_base *base, struct dirwatch *dw);
/* Say it started, connect, give back the memory start-up used. */
void agent_go(struct agent *a);

/*
 * Asked to stop (how names the request for the log: "Signal 15"): say
 * goodbye, then leave the loop. reason(arg, &detail) gives the goodbye's
 * reason (a Vigil__V1__GoodbyeReason) and words, and is called only when a
 * goodbye is to be said. A second request leaves at once; one during a
 * goodbye under way leaves after it.
 */
void agent_stop(struct agent *a, const char *how, int (*reason)(void *arg, const char **detail),
    void *arg);

/* The machine is going down (shutdown 1) or to sleep (0): say goodbye. */
void agent_power_down(struct agent *a, int shutdown);
/* It came back (resumed, or the shutdown was cancelled): report again. */
void agent_power_up(struct agent *a, int shutdown);
/* done(arg) after each goodbye: the platform lets the machine go on (logind's lock). */
void agent_set_goodbye_hook(struct agent *a, void (*done)(void *arg), void *arg);
/*
 * The platform's writer of a renewed key (PEM, key_len bytes, at key_path,
 * readable by us alone) and certificate (at cert_path): 0 or -1. key_pem
 * NULL: the certificate alone (a re-enrolment keeps the key). Set before
 * agent_prepare(); without one, certificates are not renewed.
 */
typedef int (*agent_identity_fn)(void *arg, const char *key_path, const char *key_pem,
    size_t key_len, const char *cert_path, const char *cert_pem);
void agent_set_identity_writer(struct agent *a, agent_identity_fn save, void *arg);
/*
 * The platform's writer of the collector's CA bundle (a CA rotation): ca_path
 * replaced atomically by pem (0644); 0 or -1. Without one, a bundle is not
 * kept and the agent says so.
 */
typedef int (*agent_ca_fn)(void *arg, const char *ca_path, const char *pem);
void agent_set_ca_writer(struct agent *a, agent_ca_fn save, void *arg);
/* The machine's id, hashed (SHA-256 hex), for the Hello; set before agent_start(). */
void agent_set_machine_id(struct agent *a, const char *hex);

/* After the loop: says it is stopping, frees everything the agent made. NULL is a no-op. */
void agent_free(struct agent *a);

#endif
