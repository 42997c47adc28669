/*
 * Acknowledgement by reply (issue 11): a reply that came by mail (ack_imap.c)
 * or SMS is judged here, acknowledges the incident through incident_act()
 * with who, how and when in the audit trail, and is answered.
 *
 * Flow: ack_imap.c (an input, like the control socket) → this file →
 * incidents (incident_act) → escalation; answers go out through a notifier
 * of this module's own. Nothing here calls back into session.c.
 *
 * What is accepted: a reply whose sender is a contact of the escalation file
 * (its e-mail address), naming an incident code that is open, carrying that
 * contact's token for that incident (mail), and saying an acknowledgement
 * word in its own text. Everything else is refused: a stranger silently (no
 * mail to addresses nobody configured, no backscatter), a contact with a
 * sentence saying why. Each reply is handled once (store_ack_record()).
 */
#ifndef VIGIL_ACK_REPLY_H
#define VIGIL_ACK_REPLY_H

#include <stddef.h>
#include <stdint.h>

struct collector;

enum ack_outcome {
	ACK_DONE = 0,          /* acknowledged now */
	ACK_ALREADY,           /* the incident was acknowledged before: a used code */
	ACK_CLOSED,            /* the incident is resolved */
	ACK_UNKNOWN_CODE,      /* no incident has that code */
	ACK_NO_CODE,           /* no code in the reply */
	ACK_NO_WORD,           /* no XN / OK / ACK in the reply's own text */
	ACK_FOREIGN,           /* the code was not sent to this contact (no or another token) */
	ACK_STRANGER,          /* the sender is no contact: not answered */
	ACK_AUTO,              /* an automatic reply (out of office): not answered */
	ACK_FAILED,            /* the store or the incident engine failed: try again later */
	ACK_OUTCOME_COUNT
};

/* "acknowledged", "already", ... for logs and the ack_replies table. */
const char *ack_outcome_name(enum ack_outcome o);

struct ack_reply_in {
	const char *channel;   /* "email" or "sms" */
	const char *sender;    /* an address (lower case) or a phone number */
	const char *key;       /* unique per reply: it is handled once */
	const char *subject;   /* may be NULL */
	const char *text;
	int bare_code;         /* "XN 4821" (SMS) */
	int need_token;        /* mail: the contact's token must be there */
	int auto_reply;        /* never answered, never acknowledges */
};

/* The answer to send back; subject is "" for channels without one. */
struct ack_answer {
	int send;              /* 0: nothing is sent back */
	char to[320];
	char language[8];
	char subject[256];
	char body[1024];
};

/*
 * Judge one reply, act on it, record it, and say what to answer. Returns the
 * outcome; a reply already handled (its key) is ACK_ALREADY with nothing to
 * send.
 */
enum ack_outcome ack_reply_handle(struct collector *c, const struct ack_reply_in *in,
    struct ack_answer *ans);

/*
 * Start: the tables and the secret, then the mailbox reader when [ack_mail]
 * names one. 0, or an error with a sentence in err.
 */
int ack_reply_open(struct collector *c, char *err, size_t errlen);
void ack_reply_free(struct collector *c);

/* Send an answer back by channel ("email" or "sms") through the module's own notifier. */
void ack_reply_send(struct collector *c, const char *channel, const struct ack_answer *ans);

#endif
