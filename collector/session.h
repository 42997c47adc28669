/*
 * vigil-collector: the session layer (session.c), the top of the pipeline:
 * agent connections, the group commit on the writer thread, the acks.
 */
#ifndef VIGIL_SESSION_H
#define VIGIL_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/listener.h>

#include "collector.h"

/* ---- session.c, session_commit.c: agent connections and the group commit ---- */

/* "127.0.0.1:40412" or "[::1]:40412". */
void session_addr_str(const struct sockaddr *sa, char *buf, size_t len);

/* The session table and the commit timer. Returns 0 or VIGIL_ERR_NOMEM. */
int session_init(struct collector *c);
/*
 * Start the writer thread, which stores every group commit through wstore
 * (owned by the caller, freed only after session_free_all()). Call after the
 * privilege drop and any fork. Returns 0 or VIGIL_ERR_SYS (errno set).
 */
int session_start(struct collector *c, struct store *wstore);
/* evconnlistener callbacks; arg is the struct collector. */
void session_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg);
void session_accept_error(struct evconnlistener *l, void *arg);

/* What the sessions hold now, for `vigilctl status`. */
struct session_gauges {
	size_t connections, handshaking, queued;
	size_t awaiting_disk;              /* bytes of batches not yet committed */
	size_t receiving;                  /* bytes reserved by frames being received */
	int64_t store_failing_since_us;    /* 0: the last commit succeeded */
	char store_error[256];
};
void session_gauges(const struct collector *c, struct session_gauges *g);
/*
 * Close agent's live sessions now, telling it why (a revocation). Returns how
 * many were closed.
 */
size_t session_close_agent(struct collector *c, const char *agent, const char *why);
/*
 * A CA rotation: send the bundle (CaBundle) to every running session whose
 * agent takes one (proto_minor 2 and up), and record each as given it.
 * Returns how many were sent.
 */
size_t session_push_bundle(struct collector *c, const char *bundle_pem);
/*
 * Shutting down: stop reading, let the writer finish its commit, commit what
 * is pending and ack it, then close every session once its output has
 * drained; leaves the event loop when the last is gone.
 */
void session_shutdown(struct collector *c);
/*
 * After the loop has ended: wait for the writer's commit in flight, end the
 * thread, free every session, pending item and timer.
 */
void session_free_all(struct collector *c);

#endif
