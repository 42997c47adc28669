/*
 * Enrolment and identities in the store (store_enroll.h): the public calls,
 * sent through the backend's enrolment operations, and the SQLite backend's
 * operations. The tables are made if missing (as store_ack.c's are); each
 * call prepares its statement and finalizes it: they are rare.
 *
 *   units          id (stable, in certificates), name (may change)
 *   enroll_tokens  the SHA-256 of each secret, never the secret
 *   identities     what the collector issued: agent id, unit, token, machine
 *   agent_bars     revoked or retired agents (their history stays)
 *   inventory      the PCs each unit declares (a count, or the length of its list)
 *   inventory_pcs  the list: names and MAC addresses
 *   mac_ignores    MACs marked "not a PC" (the router); with agent_macs and
 *                  neighbours (store_neigh.c, written by the commit), the
 *                  hosts seen on the network that nobody declared
 *
 * And the online backup of the whole database (vigilctl backup).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vigil/err.h"
#include "vigil/mac.h"

#include "store_int.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS units ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS enroll_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  unit_id INTEGER NOT NULL REFERENCES units(id),"
    "  uses_max INTEGER NOT NULL,"
    "  uses INTEGER NOT NULL DEFAULT 0,"
    "  created_us INTEGER NOT NULL,"
    "  expires_us INTEGER NOT NULL,"
    "  cancelled_us INTEGER NOT NULL DEFAULT 0,"
    "  created_by TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS identities ("
    "  agent TEXT PRIMARY KEY,"
    "  unit_id INTEGER NOT NULL,"
    "  token_id INTEGER NOT NULL,"
    "  hostname TEXT NOT NULL DEFAULT '',"
    "  machine_id TEXT NOT NULL DEFAULT '',"
    "  not_after_us INTEGER NOT NULL,"
    "  enrolled_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS agent_bars ("
    "  agent TEXT PRIMARY KEY,"
    "  revoked_us INTEGER NOT NULL DEFAULT 0,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  retired_us INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS inventory ("
    "  unit_id INTEGER PRIMARY KEY,"
    "  declared INTEGER NOT NULL,"
    "  listed INTEGER NOT NULL DEFAULT 0,"
    "  updated_us INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS inventory_pcs ("
    "  unit_id INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  mac TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (unit_id, name));"
    /*
     * MACs in mac.h's one form (imports before issue 15's neighbours kept
     * them as written: "AA-BB-..."), looked up by the unknown-host query.
     */
    "UPDATE inventory_pcs SET mac = lower(replace(mac, '-', ':'))"
    "  WHERE mac <> lower(replace(mac, '-', ':'));"
    "CREATE INDEX IF NOT EXISTS inventory_pcs_mac ON inventory_pcs(mac);";

/* ---- the public calls -------------------------------------------------------- */

#define E(st) ((st)->ops->enroll)

int
store_enroll_init(struct store *st)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->init(st);
}

int
store_unit_ensure(struct store *st, const char *name, int64_t now_us, int64_t *id)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->unit_ensure(st, name, now_us, id);
}

int
store_unit_name(struct store *st, int64_t id, char *name, size_t cap)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->unit_name(st, id, name, cap);
}

int
store_token_add(struct store *st, const char *hash, int64_t unit_id, int64_t uses_max,
    int64_t now_us, int64_t expires_us, const char *actor, int64_t *id)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->token_add(st, hash, unit_id, uses_max, now_us,
	    expires_us, actor, id);
}

int
store_token_list(struct store *st, store_token_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->token_list(st, fn, arg);
}

int
store_token_cancel(struct store *st, int64_t id, int64_t now_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->token_cancel(st, id, now_us);
}

int
store_token_use(struct store *st, const char *hash, int64_t now_us,
    enum store_token_state *state, int64_t *id, int64_t *unit_id)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->token_use(st, hash, now_us, state, id,
	    unit_id);
}

int
store_token_unuse(struct store *st, int64_t id)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->token_unuse(st, id);
}

int
store_identity_add(struct store *st, const char *agent, int64_t unit_id, int64_t token_id,
    const char *hostname, const char *machine_id, int64_t not_after_us, int64_t now_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->identity_add(st, agent, unit_id, token_id,
	    hostname, machine_id, not_after_us, now_us);
}

int
store_identity_renewed(struct store *st, const char *agent, int64_t not_after_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->identity_renewed(st, agent, not_after_us);
}

int
store_identity_not_after(struct store *st, const char *agent, int64_t *not_after_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->identity_not_after(st, agent, not_after_us);
}

int
store_agent_bar(struct store *st, const char *agent, const char *reason, int64_t now_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->agent_bar(st, agent, reason, now_us);
}

int
store_unknown_hosts(struct store *st, const char *unit, store_unknown_host_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->unknown_hosts(st, unit, fn, arg);
}

int
store_mac_ignore(struct store *st, const char *mac, const char *note, const char *actor,
    int64_t now_us, int undo)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->mac_ignore(st, mac, note, actor, now_us, undo);
}

int
store_mac_ignored(struct store *st, store_mac_ignored_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->mac_ignored(st, fn, arg);
}

int
store_agent_barred(struct store *st, const char *agent, char *why, size_t whylen)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->agent_barred(st, agent, why, whylen);
}

int
store_agent_known(struct store *st, const char *agent)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->agent_known(st, agent);
}

int
store_inventory_set(struct store *st, int64_t unit_id, int64_t count, int64_t now_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->inventory_set(st, unit_id, count, now_us);
}

int
store_inventory_pc(struct store *st, int64_t unit_id, const char *name, const char *mac,
    int first, int64_t now_us)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->inventory_pc(st, unit_id, name, mac, first,
	    now_us);
}

int
store_inventory_get(struct store *st, const char *unit, int64_t *declared, int *listed)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->inventory_get(st, unit, declared, listed);
}

int
store_inventory_pcs(struct store *st, const char *unit, store_pc_fn fn, void *arg)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->inventory_pcs(st, unit, fn, arg);
}

int
store_agent_unit(struct store *st, const char *agent, int64_t now_us, int64_t *unit_id)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->agent_unit(st, agent, now_us, unit_id);
}

int
store_backup(struct store *st, const char *path, int64_t *bytes, char *err, size_t errlen)
{
	return st == NULL ? VIGIL_ERR_INVAL : E(st)->backup(st, path, bytes, err, errlen);
}

/* ---- the SQLite backend -------------------------------------------------------- */

static sqlite3_stmt *
prep(struct store *base, const char *sql)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sq_note_error(st);
		return NULL;
	}
	return s;
}

/* Step a statement that returns no row, and finalize it. 0 or VIGIL_ERR_DB. */
static int
run(struct store *base, sqlite3_stmt *s)
{
	int rc;

	if (s == NULL)
		return VIGIL_ERR_DB;
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		sq_note_error(sq_of(base));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : VIGIL_ERR_DB;
}

static int
en_init(struct store *base)
{
	struct sqlstore *st = sq_of(base);

	if (sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		sq_note_error(st);
		return VIGIL_ERR_DB;
	}
	return 0;
}

static int
en_unit_ensure(struct store *base, const char *name, int64_t now_us, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	if (name == NULL || *name == '\0' || strlen(name) >= STORE_UNIT_MAX)
		return VIGIL_ERR_INVAL;
	s = prep(base, "INSERT OR IGNORE INTO units (name, created_us) VALUES (?1, ?2)");
	if (s != NULL) {
		sq_bind_text(s, 1, name);
		sqlite3_bind_int64(s, 2, now_us);
	}
	if ((rc = run(base, s)) != 0)
		return rc;
	if ((s = prep(base, "SELECT id FROM units WHERE name = ?1")) == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, name);
	rc = sqlite3_step(s) == SQLITE_ROW ? 0 : VIGIL_ERR_DB;
	if (rc == 0)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc;
}

static int
en_unit_name(struct store *base, int64_t id, char *name, size_t cap)
{
	sqlite3_stmt *s = prep(base, "SELECT name FROM units WHERE id = ?1");
	int rc;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sqlite3_bind_int64(s, 1, id);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		snprintf(name, cap, "%s", sq_col_text(s, 0));
		rc = 0;
		break;
	case SQLITE_DONE:
		rc = VIGIL_ERR_NOTFOUND;
		break;
	default:
		sq_note_error(sq_of(base));
		rc = VIGIL_ERR_DB;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
en_token_add(struct store *base, const char *hash, int64_t unit_id, int64_t uses_max,
    int64_t now_us, int64_t expires_us, const char *actor, int64_t *id)
{
	sqlite3_stmt *s = prep(base, "INSERT INTO enroll_tokens (hash, unit_id, uses_max, "
	    "created_us, expires_us, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	int rc;

	if (s != NULL) {
		sq_bind_text(s, 1, hash);
		sqlite3_bind_int64(s, 2, unit_id);
		sqlite3_bind_int64(s, 3, uses_max);
		sqlite3_bind_int64(s, 4, now_us);
		sqlite3_bind_int64(s, 5, expires_us);
		sq_bind_text(s, 6, actor != NULL ? actor : "");
	}
	if ((rc = run(base, s)) == 0)
		*id = sqlite3_last_insert_rowid(sq_of(base)->db);
	return rc;
}

static int
en_token_list(struct store *base, store_token_fn fn, void *arg)
{
	sqlite3_stmt *s = prep(base, "SELECT t.id, u.name, t.unit_id, t.uses, t.uses_max, "
	    "t.created_us, t.expires_us, t.cancelled_us, t.created_by FROM enroll_tokens t "
	    "JOIN units u ON u.id = t.unit_id ORDER BY t.id DESC");
	struct store_token_row r;
	int rc, stop = 0;

	if (s == NULL)
		return VIGIL_ERR_DB;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(s, 0);
		r.unit = sq_col_text(s, 1);
		r.unit_id = sqlite3_column_int64(s, 2);
		r.uses = sqlite3_column_int64(s, 3);
		r.uses_max = sqlite3_column_int64(s, 4);
		r.created_us = sqlite3_column_int64(s, 5);
		r.expires_us = sqlite3_column_int64(s, 6);
		r.cancelled_us = sqlite3_column_int64(s, 7);
		r.created_by = sq_col_text(s, 8);
		stop = fn(arg, &r);
	}
	if (!stop && rc != SQLITE_DONE) {
		sq_note_error(sq_of(base));
		sqlite3_finalize(s);
		return VIGIL_ERR_DB;
	}
	sqlite3_finalize(s);
	return 0;
}

static int
en_token_cancel(struct store *base, int64_t id, int64_t now_us)
{
	sqlite3_stmt *s = prep(base, "UPDATE enroll_tokens SET cancelled_us = ?2 WHERE id = ?1 "
	    "AND cancelled_us = 0");
	int rc;

	if (s != NULL) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, now_us);
	}
	if ((rc = run(base, s)) != 0)
		return rc;
	return sqlite3_changes(sq_of(base)->db) == 1 ? 0 : VIGIL_ERR_NOTFOUND;
}

static int
en_token_use(struct store *base, const char *hash, int64_t now_us, enum store_token_state *state,
    int64_t *id, int64_t *unit_id)
{
	sqlite3_stmt *s = prep(base, "SELECT id, unit_id, uses, uses_max, expires_us, cancelled_us "
	    "FROM enroll_tokens WHERE hash = ?1");
	int64_t uses, uses_max, expires, cancelled;
	int rc;

	*state = TOKEN_UNKNOWN;
	*id = *unit_id = 0;
	if (s == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, hash);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sq_note_error(sq_of(base));
		sqlite3_finalize(s);
		return VIGIL_ERR_DB;
	}
	*id = sqlite3_column_int64(s, 0);
	*unit_id = sqlite3_column_int64(s, 1);
	uses = sqlite3_column_int64(s, 2);
	uses_max = sqlite3_column_int64(s, 3);
	expires = sqlite3_column_int64(s, 4);
	cancelled = sqlite3_column_int64(s, 5);
	sqlite3_finalize(s);
	/* Cancelled says more than used or expired: someone meant it. */
	if (cancelled != 0)
		*state = TOKEN_CANCELLED;
	else if (uses >= uses_max)
		*state = TOKEN_USED;
	else if (now_us >= expires)
		*state = TOKEN_EXPIRED;
	else
		*state = TOKEN_OK;
	if (*state != TOKEN_OK)
		return 0;
	/* The condition again in the update: one use is one use. */
	s = prep(base, "UPDATE enroll_tokens SET uses = uses + 1 WHERE id = ?1 AND uses < uses_max "
	    "AND cancelled_us = 0");
	if (s != NULL)
		sqlite3_bind_int64(s, 1, *id);
	if ((rc = run(base, s)) != 0)
		return rc;
	if (sqlite3_changes(sq_of(base)->db) != 1)
		*state = TOKEN_USED;
	return 0;
}

static int
en_token_unuse(struct store *base, int64_t id)
{
	sqlite3_stmt *s = prep(base, "UPDATE enroll_tokens SET uses = uses - 1 WHERE id = ?1 AND "
	    "uses > 0");

	if (s != NULL)
		sqlite3_bind_int64(s, 1, id);
	return run(base, s);
}

/* 1 when agent has a row of its own anywhere (stored, issued, barred), 0 when not. */
static int
en_agent_known(struct store *base, const char *agent)
{
	sqlite3_stmt *s = prep(base, "SELECT EXISTS (SELECT 1 FROM agents WHERE agent = ?1) OR "
	    "EXISTS (SELECT 1 FROM identities WHERE agent = ?1) OR "
	    "EXISTS (SELECT 1 FROM agent_bars WHERE agent = ?1)");
	int rc;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, agent);
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = sqlite3_column_int(s, 0) != 0;
	else {
		sq_note_error(sq_of(base));
		rc = VIGIL_ERR_DB;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
en_identity_add(struct store *base, const char *agent, int64_t unit_id, int64_t token_id,
    const char *hostname, const char *machine_id, int64_t not_after_us, int64_t now_us)
{
	sqlite3_stmt *s;
	int rc;

	/* An id an agent has ever used is never given again: its history is its own. */
	if ((rc = en_agent_known(base, agent)) != 0)
		return rc < 0 ? rc : VIGIL_ERR_INVAL;
	s = prep(base, "INSERT OR IGNORE INTO identities (agent, unit_id, token_id, hostname, "
	    "machine_id, not_after_us, enrolled_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (s != NULL) {
		sq_bind_text(s, 1, agent);
		sqlite3_bind_int64(s, 2, unit_id);
		sqlite3_bind_int64(s, 3, token_id);
		sq_bind_text(s, 4, hostname != NULL ? hostname : "");
		sq_bind_text(s, 5, machine_id != NULL ? machine_id : "");
		sqlite3_bind_int64(s, 6, not_after_us);
		sqlite3_bind_int64(s, 7, now_us);
	}
	if ((rc = run(base, s)) != 0)
		return rc;
	return sqlite3_changes(sq_of(base)->db) == 1 ? 0 : VIGIL_ERR_INVAL;
}

static int
en_identity_renewed(struct store *base, const char *agent, int64_t not_after_us)
{
	sqlite3_stmt *s = prep(base, "UPDATE identities SET not_after_us = ?2 WHERE agent = ?1");
	int rc;

	if (s != NULL) {
		sq_bind_text(s, 1, agent);
		sqlite3_bind_int64(s, 2, not_after_us);
	}
	if ((rc = run(base, s)) != 0)
		return rc;
	return sqlite3_changes(sq_of(base)->db) == 1 ? 0 : VIGIL_ERR_NOTFOUND;
}

static int
en_identity_not_after(struct store *base, const char *agent, int64_t *not_after_us)
{
	sqlite3_stmt *s = prep(base, "SELECT not_after_us FROM identities WHERE agent = ?1");
	int rc;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, agent);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*not_after_us = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		sq_note_error(sq_of(base));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? VIGIL_ERR_NOTFOUND : VIGIL_ERR_DB;
}

static int
en_agent_bar(struct store *base, const char *agent, const char *reason, int64_t now_us)
{
	sqlite3_stmt *s;

	/* Revoked keeps its first date and takes the newest reason; retired is its own mark. */
	if (reason != NULL)
		s = prep(base, "INSERT INTO agent_bars (agent, revoked_us, reason) VALUES (?1, ?2, ?3) "
		    "ON CONFLICT (agent) DO UPDATE SET revoked_us = CASE revoked_us WHEN 0 THEN ?2 "
		    "ELSE revoked_us END, reason = ?3");
	else
		s = prep(base, "INSERT INTO agent_bars (agent, retired_us) VALUES (?1, ?2) "
		    "ON CONFLICT (agent) DO UPDATE SET retired_us = CASE retired_us WHEN 0 THEN ?2 "
		    "ELSE retired_us END");
	if (s != NULL) {
		sq_bind_text(s, 1, agent);
		sqlite3_bind_int64(s, 2, now_us);
		if (reason != NULL)
			sq_bind_text(s, 3, reason);
	}
	return run(base, s);
}

static int
en_agent_barred(struct store *base, const char *agent, char *why, size_t whylen)
{
	sqlite3_stmt *s = prep(base, "SELECT revoked_us, reason, retired_us FROM agent_bars "
	    "WHERE agent = ?1");
	int rc;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (s == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, agent);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (sqlite3_column_int64(s, 0) != 0) {
			if (why != NULL)
				snprintf(why, whylen, "%s", sq_col_text(s, 1));
			rc = 1;
		} else
			rc = sqlite3_column_int64(s, 2) != 0 ? 2 : 0;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	default:
		sq_note_error(sq_of(base));
		rc = VIGIL_ERR_DB;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
en_inventory_set(struct store *base, int64_t unit_id, int64_t count, int64_t now_us)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	int rc;

	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	if ((s = prep(base, "DELETE FROM inventory_pcs WHERE unit_id = ?1")) != NULL)
		sqlite3_bind_int64(s, 1, unit_id);
	if ((rc = run(base, s)) == 0) {
		s = prep(base, "INSERT OR REPLACE INTO inventory (unit_id, declared, listed, "
		    "updated_us) VALUES (?1, ?2, 0, ?3)");
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, unit_id);
			sqlite3_bind_int64(s, 2, count);
			sqlite3_bind_int64(s, 3, now_us);
		}
		rc = run(base, s);
	}
	return sq_txn_end(st, rc);
}

static int
en_inventory_pc(struct store *base, int64_t unit_id, const char *name, const char *mac,
    int first, int64_t now_us)
{
	struct sqlstore *st = sq_of(base);
	sqlite3_stmt *s;
	char canon[MAC_STR_LEN + 1];
	int rc;

	/* In one form, for the unknown-host query; what is no MAC is kept as written. */
	if (mac != NULL && mac_normalize(mac, canon) == 0)
		mac = canon;

	if ((rc = sq_txn_begin(st)) != 0)
		return rc;
	if (first) {
		if ((s = prep(base, "DELETE FROM inventory_pcs WHERE unit_id = ?1")) != NULL)
			sqlite3_bind_int64(s, 1, unit_id);
		rc = run(base, s);
	}
	if (rc == 0) {
		s = prep(base, "INSERT OR REPLACE INTO inventory_pcs (unit_id, name, mac) "
		    "VALUES (?1, ?2, ?3)");
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, unit_id);
			sq_bind_text(s, 2, name);
			sq_bind_text(s, 3, mac != NULL ? mac : "");
		}
		rc = run(base, s);
	}
	if (rc == 0) {
		s = prep(base, "INSERT OR REPLACE INTO inventory (unit_id, declared, listed, "
		    "updated_us) VALUES (?1, (SELECT count(*) FROM inventory_pcs WHERE unit_id = ?1), "
		    "1, ?2)");
		if (s != NULL) {
			sqlite3_bind_int64(s, 1, unit_id);
			sqlite3_bind_int64(s, 2, now_us);
		}
		rc = run(base, s);
	}
	return sq_txn_end(st, rc);
}

static int
en_inventory_get(struct store *base, const char *unit, int64_t *declared, int *listed)
{
	sqlite3_stmt *s = prep(base, "SELECT i.declared, i.listed FROM inventory i JOIN units u "
	    "ON u.id = i.unit_id WHERE u.name = ?1");
	int rc;

	*declared = 0;
	*listed = 0;
	if (s == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, unit);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		*declared = sqlite3_column_int64(s, 0);
		*listed = sqlite3_column_int(s, 1);
		rc = 0;
		break;
	case SQLITE_DONE:
		rc = VIGIL_ERR_NOTFOUND;
		break;
	default:
		sq_note_error(sq_of(base));
		rc = VIGIL_ERR_DB;
	}
	sqlite3_finalize(s);
	return rc;
}

static int
en_inventory_pcs(struct store *base, const char *unit, store_pc_fn fn, void *arg)
{
	sqlite3_stmt *s = prep(base, "SELECT p.name, p.mac FROM inventory_pcs p JOIN units u ON "
	    "u.id = p.unit_id WHERE u.name = ?1 ORDER BY p.name");
	int rc, stop = 0;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, unit);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = fn(arg, sq_col_text(s, 0), sq_col_text(s, 1));
	if (!stop && rc != SQLITE_DONE) {
		sq_note_error(sq_of(base));
		sqlite3_finalize(s);
		return VIGIL_ERR_DB;
	}
	sqlite3_finalize(s);
	return 0;
}

static int
en_backup(struct store *base, const char *path, int64_t *bytes, char *err, size_t errlen)
{
	struct sqlstore *st = sq_of(base);
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	struct stat sb;
	int rc;

	*bytes = 0;
	if (lstat(path, &sb) == 0)
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s exists already; a backup never "
		    "overwrites a file.", path);
	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		err_fmt(err, errlen, VIGIL_ERR_DB, "Cannot create %s: %s.", path,
		    dst != NULL ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		return VIGIL_ERR_DB;
	}
	/*
	 * One step (-1): the whole database under one read snapshot. In steps,
	 * every commit of the writer thread would restart the copy, and under
	 * a steady ingest it might never end.
	 */
	if ((b = sqlite3_backup_init(dst, "main", st->db, "main")) == NULL) {
		err_fmt(err, errlen, VIGIL_ERR_DB, "Cannot start the backup: %s.", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		unlink(path);
		return VIGIL_ERR_DB;
	}
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(20);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE || sqlite3_errcode(dst) != SQLITE_OK) {
		err_fmt(err, errlen, VIGIL_ERR_DB, "The backup failed: %s.", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		unlink(path);
		return VIGIL_ERR_DB;
	}
	if (sqlite3_close(dst) != SQLITE_OK || stat(path, &sb) != 0) {
		err_fmt(err, errlen, VIGIL_ERR_SYS, "The backup %s cannot be closed.", path);
		return VIGIL_ERR_SYS;
	}
	*bytes = (int64_t)sb.st_size;
	return 0;
}

static int
en_agent_unit(struct store *base, const char *agent, int64_t now_us, int64_t *unit_id)
{
	sqlite3_stmt *s = prep(base, "SELECT unit_id FROM identities WHERE agent = ?1");
	char unit[STORE_UNIT_MAX] = "";
	int rc;

	if (s == NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, agent);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*unit_id = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		return 0;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || (s = prep(base, "SELECT unit FROM agents WHERE agent = ?1")) ==
	    NULL)
		return VIGIL_ERR_DB;
	sq_bind_text(s, 1, agent);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(unit, sizeof(unit), "%s", sq_col_text(s, 0));
	sqlite3_finalize(s);
	if (unit[0] == '\0')
		return VIGIL_ERR_NOTFOUND;
	return en_unit_ensure(base, unit, now_us, unit_id);
}

/*
 * The latest sighting of each MAC (ties: one row), unless the MAC is an
 * agent's own, on an inventory list (normalised by en_init() and
 * cmd_inventory_pc()), or marked "not a PC".
 */
static int
en_unknown_hosts(struct store *base, const char *unit, store_unknown_host_fn fn, void *arg)
{
	sqlite3_stmt *s = prep(base,
	    "SELECT n.mac, n.ip, n.ifname,"
	    " (SELECT min(x.first_us) FROM neighbours x WHERE x.mac = n.mac), n.last_us,"
	    " n.agent, a.unit, a.hostname"
	    " FROM neighbours n JOIN agents a ON a.agent = n.agent"
	    " WHERE n.last_us = (SELECT max(y.last_us) FROM neighbours y WHERE y.mac = n.mac)"
	    " AND (?1 IS NULL OR a.unit = ?1)"
	    " AND NOT EXISTS (SELECT 1 FROM agent_macs m WHERE m.mac = n.mac)"
	    " AND NOT EXISTS (SELECT 1 FROM inventory_pcs p WHERE p.mac = n.mac)"
	    " AND NOT EXISTS (SELECT 1 FROM mac_ignores g WHERE g.mac = n.mac)"
	    " GROUP BY n.mac ORDER BY a.unit, n.last_us DESC, n.mac");
	struct store_unknown_host h;
	int rc, stop = 0;

	if (s == NULL)
		return VIGIL_ERR_DB;
	if (unit != NULL)
		sq_bind_text(s, 1, unit);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		h.mac = sq_col_text(s, 0);
		h.ip = sq_col_text(s, 1);
		h.ifname = sq_col_text(s, 2);
		h.first_us = sqlite3_column_int64(s, 3);
		h.last_us = sqlite3_column_int64(s, 4);
		h.agent = sq_col_text(s, 5);
		h.unit = sq_col_text(s, 6);
		h.hostname = sq_col_text(s, 7);
		stop = fn(arg, &h);
	}
	if (!stop && rc != SQLITE_DONE) {
		sq_note_error(sq_of(base));
		sqlite3_finalize(s);
		return VIGIL_ERR_DB;
	}
	sqlite3_finalize(s);
	return 0;
}

static int
en_mac_ignore(struct store *base, const char *mac, const char *note, const char *actor,
    int64_t now_us, int undo)
{
	sqlite3_stmt *s;
	int rc;

	if (undo) {
		if ((s = prep(base, "DELETE FROM mac_ignores WHERE mac = ?1")) != NULL)
			sq_bind_text(s, 1, mac);
		if ((rc = run(base, s)) == 0 && sqlite3_changes(sq_of(base)->db) == 0)
			rc = VIGIL_ERR_NOTFOUND;
		return rc;
	}
	s = prep(base, "INSERT OR REPLACE INTO mac_ignores (mac, note, set_us, actor)"
	    " VALUES (?1, ?2, ?3, ?4)");
	if (s != NULL) {
		sq_bind_text(s, 1, mac);
		sq_bind_text(s, 2, note != NULL ? note : "");
		sqlite3_bind_int64(s, 3, now_us);
		sq_bind_text(s, 4, actor != NULL ? actor : "");
	}
	return run(base, s);
}

static int
en_mac_ignored(struct store *base, store_mac_ignored_fn fn, void *arg)
{
	sqlite3_stmt *s = prep(base, "SELECT mac, note, set_us, actor FROM mac_ignores ORDER BY mac");
	int rc, stop = 0;

	if (s == NULL)
		return VIGIL_ERR_DB;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = fn(arg, sq_col_text(s, 0), sq_col_text(s, 1), sqlite3_column_int64(s, 2),
		    sq_col_text(s, 3));
	if (!stop && rc != SQLITE_DONE) {
		sq_note_error(sq_of(base));
		sqlite3_finalize(s);
		return VIGIL_ERR_DB;
	}
	sqlite3_finalize(s);
	return 0;
}

const struct store_enroll_ops sq_enroll_ops = {
	.init = en_init,
	.unit_ensure = en_unit_ensure,
	.unit_name = en_unit_name,
	.token_add = en_token_add,
	.token_list = en_token_list,
	.token_cancel = en_token_cancel,
	.token_use = en_token_use,
	.token_unuse = en_token_unuse,
	.identity_add = en_identity_add,
	.identity_renewed = en_identity_renewed,
	.identity_not_after = en_identity_not_after,
	.agent_bar = en_agent_bar,
	.agent_barred = en_agent_barred,
	.agent_known = en_agent_known,
	.inventory_set = en_inventory_set,
	.inventory_pc = en_inventory_pc,
	.inventory_get = en_inventory_get,
	.inventory_pcs = en_inventory_pcs,
	.backup = en_backup,
	.agent_unit = en_agent_unit,
	.unknown_hosts = en_unknown_hosts,
	.mac_ignore = en_mac_ignore,
	.mac_ignored = en_mac_ignored,
};
