/*
 * Acknowledge by link on the office network (issue 11): an HTTPS page served
 * by the collector (ack_http.c says how and why it is safe).
 */
#ifndef VIGIL_ACK_HTTP_H
#define VIGIL_ACK_HTTP_H

#include <stddef.h>

struct collector;
struct ack_http;

/* Listen as [ack_link] says; NULL with a sentence in err. Call before the privilege drop. */
struct ack_http *ack_http_open(struct collector *c, char *err, size_t errlen);
void ack_http_free(struct ack_http *h);      /* NULL is a no-op */

#endif
