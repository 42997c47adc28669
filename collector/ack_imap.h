/*
 * The mailbox reader (issue 11): every [ack_mail] poll, libcurl asks the IMAP
 * server for the messages not yet marked VigilDone, fetches each, hands it to
 * ack_reply_handle(), mails the answer, and marks it VigilDone (and \Seen).
 *
 * Why a keyword and not \Seen alone: fetching a message marks it \Seen before
 * it is handled, so a collector killed in between would lose it; and a person
 * glancing at the mailbox must not swallow a reply. A message is marked only
 * after its outcome is recorded in the store (store_ack_record), and the
 * store's record stops a second handling if the mark was lost. A reply the
 * store could not act on is left unmarked and read again at the next poll.
 *
 * Transfers run on libcurl's multi interface, driven from the event loop
 * (curl_multi_perform on a short timer while one runs): the loop never
 * blocks on the mail server. One transfer at a time; a poll that is still
 * running when the next is due is not doubled.
 */
#ifndef VIGIL_ACK_IMAP_H
#define VIGIL_ACK_IMAP_H

#include <stddef.h>

struct collector;
struct ack_imap;

/* The reader of c->conf.ack_mail, polling from now; NULL with a sentence in err. */
struct ack_imap *ack_imap_new(struct collector *c, char *err, size_t errlen);
void ack_imap_free(struct ack_imap *im);    /* NULL is a no-op */

#endif
