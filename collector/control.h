/*
 * vigil-collector: the control socket of include/vigil/ctl.h (control*.c).
 */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <event2/buffer.h>

#include "collector.h"
#include "roles.h"

/* ---- control.c: the control socket of include/vigil/ctl.h ------------------- */

/*
 * Unlink a stale socket, bind, chmod 0660, chown to root:control_group (when
 * set), listen. Returns NULL with a sentence in err on failure.
 */
struct control *control_open(struct collector *c, char *err, size_t errlen);
/* Stop listening, drop open requests, unlink the socket if we still can. NULL is a no-op. */
void control_free(struct control *ctl);
/*
 * Serve the bytes a client has sent so far (in) as the socket would, for a
 * caller of role (roles.h) named user: 1 when the answer is in out and the
 * connection would close, 0 while the request line is incomplete. The fuzz
 * target of the control protocol drives this; the socket goes through it too.
 */
int control_serve(struct control *ctl, enum role role, const char *user, struct evbuffer *in,
    struct evbuffer *out);

#endif
