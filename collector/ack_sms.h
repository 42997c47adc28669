/*
 * Replies by SMS, read from gammu-smsd's inbox folder (ack_sms.c says how).
 */
#ifndef VIGIL_ACK_SMS_H
#define VIGIL_ACK_SMS_H

#include <stddef.h>

struct collector;
struct ack_sms;

/* The reader of c->conf.sms.inbox, polling from now; NULL with a sentence in err. */
struct ack_sms *ack_sms_new(struct collector *c, char *err, size_t errlen);
void ack_sms_free(struct ack_sms *s);       /* NULL is a no-op */

#endif
