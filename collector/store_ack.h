/*
 * The store's part of acknowledgement from anywhere (issue 11): the
 * collector's token secret, incident codes, and the replies already handled.
 * Its tables are its own (created if missing, on the main thread's
 * connection); statements are prepared with bound parameters. These calls are
 * rare (a notification, a reply), so each prepares its statement and
 * finalizes it.
 */
#ifndef VIGIL_STORE_ACK_H
#define VIGIL_STORE_ACK_H

#include <stddef.h>
#include <stdint.h>

#include "ack.h"

struct store;

/* The tables, and the secret (made once, at random). 0 or VIGIL_ERR_DB. */
int store_ack_init(struct store *st, unsigned char secret[ACK_SECRET_LEN]);

/*
 * The code of incident: the one it has, or a new one at random, unique among
 * open incidents. 0, VIGIL_ERR_DB, or VIGIL_ERR_TOOBIG when no free code was
 * found (thousands of open incidents).
 */
int store_ack_code(struct store *st, int64_t incident, int64_t now_us, int *code);

/*
 * The incident a code names (an open one first, else the newest closed one),
 * with its status. 0, VIGIL_ERR_NOTFOUND, VIGIL_ERR_DB.
 */
int store_ack_lookup(struct store *st, int code, int64_t *incident, char *status,
    size_t statuslen);

/* 1 when contact (a label) was notified of incident, 0 when not, or VIGIL_ERR_DB. */
int store_ack_notified(struct store *st, int64_t incident, const char *contact);

/* 1 when the reply known by key was handled already, 0 when not, or VIGIL_ERR_DB. */
int store_ack_seen(struct store *st, const char *key);

/* What came of one reply; its key is never handled again. 0 or VIGIL_ERR_DB. */
int store_ack_record(struct store *st, const char *key, const char *channel,
    const char *sender, int64_t incident, int code, const char *outcome, int64_t now_us);

/*
 * What a notification to contact about incident carries: its code ("V-4821")
 * and the contact's token. 0, or an error (the notification then goes without).
 */
int store_ack_stamp(struct store *st, int64_t incident, const char *contact, int64_t now_us,
    char *code, size_t codelen, char token[ACK_TOKEN_LEN + 1]);

/* ---- links (ack_http.c): single-use, expiring, bound to an incident and a contact ---- */

#define ACK_LINK_TOKEN_LEN 32              /* characters, base64url: 192 bits */

struct store_ack_link {
	int64_t incident;
	char contact[128];
	int64_t expires_us;
	int64_t used_us;                   /* 0: not used */
};

/* A new link token for contact about incident, valid ttl_us. Only its hash is stored. */
int store_ack_link_new(struct store *st, int64_t incident, const char *contact, int64_t now_us,
    int64_t ttl_us, char token[ACK_LINK_TOKEN_LEN + 1]);
/* The link of token. 0, VIGIL_ERR_NOTFOUND (no such token, altered), VIGIL_ERR_DB. */
int store_ack_link_get(struct store *st, const char *token, struct store_ack_link *l);
/* Use it once: 0, or VIGIL_ERR_NOTFOUND when used already or expired. */
int store_ack_link_use(struct store *st, const char *token, int64_t now_us);

#endif
