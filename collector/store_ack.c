/*
 * Acknowledgement tables (store_ack.h). They live beside the store's own and
 * are created here rather than in store.c's migrations so that the module is
 * one file; IF NOT EXISTS makes that idempotent, and the columns are few and
 * fixed.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "vigil/err.h"

#include "store.h"
#include "store_ack.h"

#define OPEN_STATUS "i.status NOT IN ('resolved', 'false_positive')"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS ack_secret ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  secret BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ack_codes ("
    "  incident_id INTEGER PRIMARY KEY,"
    "  code INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS ack_codes_code ON ack_codes (code);"
    "CREATE TABLE IF NOT EXISTS ack_replies ("
    "  reply_key TEXT PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  sender TEXT NOT NULL,"
    "  incident_id INTEGER NOT NULL,"
    "  code INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  received_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ack_links ("
    "  hash TEXT PRIMARY KEY,"             /* SHA-256 of the token: the token is not kept */
    "  incident_id INTEGER NOT NULL,"
    "  contact TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  expires_us INTEGER NOT NULL,"
    "  used_us INTEGER NOT NULL DEFAULT 0);";

static sqlite3_stmt *
prep(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	return s;
}

int
store_ack_init(struct store *st, unsigned char secret[ACK_SECRET_LEN])
{
	sqlite3 *db = store_sqlite(st);
	sqlite3_stmt *s;
	unsigned char fresh[ACK_SECRET_LEN];
	int rc = VIGIL_ERR_DB;

	if (db == NULL || sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		return VIGIL_ERR_DB;
	if (RAND_bytes(fresh, sizeof(fresh)) != 1)
		return VIGIL_ERR_SYS;
	/* The first start makes it; later starts keep the one that is there. */
	if ((s = prep(st, "INSERT OR IGNORE INTO ack_secret (id, secret) VALUES (1, ?1)")) == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_blob(s, 1, fresh, sizeof(fresh), SQLITE_TRANSIENT);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
	sqlite3_finalize(s);
	explicit_bzero(fresh, sizeof(fresh));
	if (rc != 0 || (s = prep(st, "SELECT secret FROM ack_secret WHERE id = 1")) == NULL)
		return VIGIL_ERR_DB;
	rc = VIGIL_ERR_DB;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == ACK_SECRET_LEN) {
		memcpy(secret, sqlite3_column_blob(s, 0), ACK_SECRET_LEN);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
code_of(struct store *st, int64_t incident, int *code)
{
	sqlite3_stmt *s = prep(st, "SELECT code FROM ack_codes WHERE incident_id = ?1");
	int r;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, incident);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*code = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_ack_code(struct store *st, int64_t incident, int64_t now_us, int *code)
{
	sqlite3_stmt *busy, *ins;
	int rc;

	if ((rc = code_of(st, incident, code)) != 0)
		return rc < 0 ? rc : 0;
	busy = prep(st, "SELECT 1 FROM ack_codes a JOIN incidents i ON i.id = a.incident_id"
	    " WHERE a.code = ?1 AND " OPEN_STATUS);
	ins = prep(st, "INSERT OR IGNORE INTO ack_codes (incident_id, code, created_us)"
	    " VALUES (?1, ?2, ?3)");
	rc = VIGIL_ERR_DB;
	if (busy == NULL || ins == NULL)
		goto out;
	rc = VIGIL_ERR_TOOBIG;
	/* At random, so that a code says nothing about how many incidents there were. */
	for (int tries = 0; tries < 64; tries++) {
		unsigned int r;
		int c, step;

		if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1) {
			rc = VIGIL_ERR_SYS;
			break;
		}
		c = ACK_CODE_MIN + (int)(r % (ACK_CODE_MAX - ACK_CODE_MIN + 1));
		sqlite3_reset(busy);
		sqlite3_bind_int(busy, 1, c);
		if ((step = sqlite3_step(busy)) == SQLITE_ROW)
			continue;
		if (step != SQLITE_DONE) {
			rc = VIGIL_ERR_DB;
			break;
		}
		sqlite3_bind_int64(ins, 1, incident);
		sqlite3_bind_int(ins, 2, c);
		sqlite3_bind_int64(ins, 3, now_us);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			rc = VIGIL_ERR_DB;
			break;
		}
		/* Another writer may have given it one first: that one stands. */
		rc = code_of(st, incident, code) == 1 ? 0 : VIGIL_ERR_DB;
		break;
	}
out:
	sqlite3_finalize(busy);
	sqlite3_finalize(ins);
	return rc;
}

int
store_ack_lookup(struct store *st, int code, int64_t *incident, char *status, size_t statuslen)
{
	sqlite3_stmt *s = prep(st, "SELECT a.incident_id, i.status FROM ack_codes a"
	    " JOIN incidents i ON i.id = a.incident_id WHERE a.code = ?1"
	    " ORDER BY (" OPEN_STATUS ") DESC, a.incident_id DESC LIMIT 1");
	int r;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_int(s, 1, code);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*incident = sqlite3_column_int64(s, 0);
		snprintf(status, statuslen, "%s", (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? VIGIL_ERR_NOTFOUND : VIGIL_ERR_DB;
}

int
store_ack_notified(struct store *st, int64_t incident, const char *contact)
{
	sqlite3_stmt *s = prep(st, "SELECT 1 FROM outbox WHERE incident_id = ?1 AND contact = ?2"
	    " LIMIT 1");
	int r;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, incident);
	sqlite3_bind_text(s, 2, contact, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_ack_seen(struct store *st, const char *key)
{
	sqlite3_stmt *s = prep(st, "SELECT 1 FROM ack_replies WHERE reply_key = ?1");
	int r;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_ack_record(struct store *st, const char *key, const char *channel, const char *sender,
    int64_t incident, int code, const char *outcome, int64_t now_us)
{
	sqlite3_stmt *s = prep(st, "INSERT OR IGNORE INTO ack_replies (reply_key, channel, sender,"
	    " incident_id, code, outcome, received_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	int r;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, channel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, sender, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, incident);
	sqlite3_bind_int(s, 5, code);
	sqlite3_bind_text(s, 6, outcome, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 7, now_us);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

int
store_ack_stamp(struct store *st, int64_t incident, const char *contact, int64_t now_us,
    char *code, size_t codelen, char token[ACK_TOKEN_LEN + 1])
{
	unsigned char secret[ACK_SECRET_LEN];
	sqlite3_stmt *s;
	int rc = VIGIL_ERR_DB, n;

	if ((s = prep(st, "SELECT secret FROM ack_secret WHERE id = 1")) == NULL)
		return VIGIL_ERR_DB;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == ACK_SECRET_LEN) {
		memcpy(secret, sqlite3_column_blob(s, 0), ACK_SECRET_LEN);
		rc = 0;
	}
	sqlite3_finalize(s);
	if (rc == 0 && (rc = store_ack_code(st, incident, now_us, &n)) == 0) {
		ack_code_format(n, code, codelen);
		rc = ack_token(secret, sizeof(secret), incident, contact, token);
	}
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

/* The hex SHA-256 of token: what is stored, so that a copy of the database opens nothing. */
static int
link_hash(const char *token, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return VIGIL_ERR_SYS;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int
store_ack_link_new(struct store *st, int64_t incident, const char *contact, int64_t now_us,
    int64_t ttl_us, char token[ACK_LINK_TOKEN_LEN + 1])
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char r[ACK_LINK_TOKEN_LEN];
	char hash[65];
	sqlite3_stmt *s;
	int rc;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return VIGIL_ERR_SYS;
	for (int i = 0; i < ACK_LINK_TOKEN_LEN; i++)
		token[i] = b64url[r[i] & 63];
	token[ACK_LINK_TOKEN_LEN] = '\0';
	explicit_bzero(r, sizeof(r));
	if ((rc = link_hash(token, hash)) != 0)
		return rc;
	if ((s = prep(st, "INSERT INTO ack_links (hash, incident_id, contact, created_us, expires_us)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)")) == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, incident);
	sqlite3_bind_text(s, 3, contact, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, now_us);
	sqlite3_bind_int64(s, 5, now_us + ttl_us);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
	sqlite3_finalize(s);
	return rc;
}

int
store_ack_link_get(struct store *st, const char *token, struct store_ack_link *l)
{
	char hash[65];
	sqlite3_stmt *s;
	int r;

	memset(l, 0, sizeof(*l));
	if (strlen(token) != ACK_LINK_TOKEN_LEN || link_hash(token, hash) != 0)
		return VIGIL_ERR_NOTFOUND;
	if ((s = prep(st, "SELECT incident_id, contact, expires_us, used_us FROM ack_links"
	    " WHERE hash = ?1")) == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_TRANSIENT);
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		l->incident = sqlite3_column_int64(s, 0);
		snprintf(l->contact, sizeof(l->contact), "%s", (const char *)sqlite3_column_text(s, 1));
		l->expires_us = sqlite3_column_int64(s, 2);
		l->used_us = sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? VIGIL_ERR_NOTFOUND : VIGIL_ERR_DB;
}

int
store_ack_link_use(struct store *st, const char *token, int64_t now_us)
{
	char hash[65];
	sqlite3_stmt *s;
	int r;

	if (link_hash(token, hash) != 0)
		return VIGIL_ERR_SYS;
	if ((s = prep(st, "UPDATE ack_links SET used_us = ?2 WHERE hash = ?1 AND used_us = 0"
	    " AND expires_us > ?2")) == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, now_us);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	if (r != SQLITE_DONE)
		return VIGIL_ERR_DB;
	return sqlite3_changes(store_sqlite(st)) == 1 ? 0 : VIGIL_ERR_NOTFOUND;
}
