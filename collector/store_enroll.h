/*
 * The store's part of enrolment and of an identity's life (issue 15): units
 * (a stable id and a name that may change), enrolment tokens (only their
 * hash is kept), the identities the collector issued, and the agents barred
 * (revoked or retired). Every public call goes through the backend's
 * operations (store_int.h: struct store_enroll_ops); the SQLite backend's
 * are in store_enroll.c. These calls are rare (an enrolment, a command, one
 * check per connection), on the main thread's connection.
 */
#ifndef VIGIL_STORE_ENROLL_H
#define VIGIL_STORE_ENROLL_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_UNIT_MAX 128

/* What a token's use came to (the enrolment listener's answer). */
enum store_token_state {
	TOKEN_OK = 0,
	TOKEN_UNKNOWN,
	TOKEN_EXPIRED,
	TOKEN_USED,
	TOKEN_CANCELLED,
};

struct store_token_row {
	int64_t id;
	const char *unit;
	int64_t unit_id;
	int64_t uses, uses_max;
	int64_t created_us, expires_us, cancelled_us;
	const char *created_by;
};
typedef int (*store_token_fn)(void *arg, const struct store_token_row *r);

/* Tables made if missing. 0 or VIGIL_ERR_DB. */
int store_enroll_init(struct store *st);
/* The id of unit name, made if new. 0, VIGIL_ERR_INVAL, VIGIL_ERR_DB. */
int store_unit_ensure(struct store *st, const char *name, int64_t now_us, int64_t *id);
/* The name of unit id now. 0, VIGIL_ERR_NOTFOUND, VIGIL_ERR_DB. */
int store_unit_name(struct store *st, int64_t id, char *name, size_t cap);
/* A new token (its secret's hash) for unit_id. 0 with *id, or VIGIL_ERR_DB. */
int store_token_add(struct store *st, const char *hash, int64_t unit_id, int64_t uses_max,
    int64_t now_us, int64_t expires_us, const char *actor, int64_t *id);
/* Every token, newest first. */
int store_token_list(struct store *st, store_token_fn fn, void *arg);
/* Cancel token id. 0, VIGIL_ERR_NOTFOUND (no such token, or already cancelled), DB. */
int store_token_cancel(struct store *st, int64_t id, int64_t now_us);
/*
 * Use the token whose secret hashes to hash, once: *state says whether it
 * could be (and why not), *id and *unit_id name it when it exists. The use
 * is counted only when *state is TOKEN_OK. 0 or VIGIL_ERR_DB.
 */
int store_token_use(struct store *st, const char *hash, int64_t now_us,
    enum store_token_state *state, int64_t *id, int64_t *unit_id);
/* Give a use back (the certificate could not be issued after all). */
int store_token_unuse(struct store *st, int64_t id);
/*
 * Record an identity the collector issued. VIGIL_ERR_INVAL when the id is
 * taken already (the caller picks another), 0, or VIGIL_ERR_DB.
 */
int store_identity_add(struct store *st, const char *agent, int64_t unit_id, int64_t token_id,
    const char *hostname, const char *machine_id, int64_t not_after_us, int64_t now_us);
/*
 * A renewal or a re-enrolment gave agent a certificate valid until
 * not_after_us: its record follows. 0, VIGIL_ERR_NOTFOUND (no identity
 * issued here: a `pki issue` certificate), or VIGIL_ERR_DB.
 */
int store_identity_renewed(struct store *st, const char *agent, int64_t not_after_us);
/* The end of agent's certificate as last issued here: 0, NOTFOUND, or DB. */
int store_identity_not_after(struct store *st, const char *agent, int64_t *not_after_us);
/*
 * Bar an agent: revoked (reason given) or retired (reason NULL). Its
 * history stays. 0 or VIGIL_ERR_DB.
 */
int store_agent_bar(struct store *st, const char *agent, const char *reason, int64_t now_us);
/*
 * Is agent barred? 0: no; 1: revoked, its reason in why; 2: retired;
 * or VIGIL_ERR_DB.
 */
int store_agent_barred(struct store *st, const char *agent, char *why, size_t whylen);
/*
 * The unit agent belongs to: its certificate's (identities), else the one its
 * Hello named (a `pki issue` certificate), made if new. 0, NOTFOUND, DB.
 */
int store_agent_unit(struct store *st, const char *agent, int64_t now_us, int64_t *unit_id);
/* Is agent known at all (events, an identity issued)? 1, 0 or VIGIL_ERR_DB. */
int store_agent_known(struct store *st, const char *agent);

/*
 * The inventory: the work PCs a unit declares (the compliance denominator),
 * as a count, or as a list of names (MAC addresses kept beside them).
 */
/* unit_id declares count PCs, no list (a list it had is dropped). 0 or VIGIL_ERR_DB. */
int store_inventory_set(struct store *st, int64_t unit_id, int64_t count, int64_t now_us);
/*
 * Add PC name (mac may be "") to unit_id's list; first: the list is emptied
 * before. The declared count is then the list's length. 0 or VIGIL_ERR_DB.
 */
int store_inventory_pc(struct store *st, int64_t unit_id, const char *name, const char *mac,
    int first, int64_t now_us);
/* What unit declares: 0, or VIGIL_ERR_NOTFOUND (nothing), VIGIL_ERR_DB. */
int store_inventory_get(struct store *st, const char *unit, int64_t *declared, int *listed);
typedef int (*store_pc_fn)(void *arg, const char *name, const char *mac);
/* The PCs of unit's list, by name. */
int store_inventory_pcs(struct store *st, const char *unit, store_pc_fn fn, void *arg);

/*
 * A consistent copy of the whole database into the new file path (SQLite's
 * online backup, in one step: a read snapshot, so the writer goes on). *bytes
 * is its size. 0, or VIGIL_ERR_DB / VIGIL_ERR_SYS with a sentence.
 */
int store_backup(struct store *st, const char *path, int64_t *bytes, char *err, size_t errlen);

/*
 * The network's neighbours (issue 15). A host seen on the network with no
 * agent and not declared: its MAC is no agent's own, on no inventory list
 * (any unit), and not marked "not a PC"; the latest sighting of it, which
 * agent made it (and that agent's unit), and when it was first seen by any.
 */
struct store_unknown_host {
	const char *mac, *ip, *ifname;
	int64_t first_us, last_us;
	const char *agent, *unit, *hostname;   /* who saw it last */
};
/* fn's answer: 0 to go on, else stop. */
typedef int (*store_unknown_host_fn)(void *arg, const struct store_unknown_host *h);
/* Unknown hosts seen by unit's agents (NULL: all), latest first within each unit. */
int store_unknown_hosts(struct store *st, const char *unit, store_unknown_host_fn fn,
    void *arg);
/*
 * Mark mac (mac.h's form) "not a PC" with a note, or (undo) no longer:
 * 0, or VIGIL_ERR_NOTFOUND (undo of a MAC not marked), VIGIL_ERR_DB.
 */
int store_mac_ignore(struct store *st, const char *mac, const char *note, const char *actor,
    int64_t now_us, int undo);
typedef int (*store_mac_ignored_fn)(void *arg, const char *mac, const char *note,
    int64_t set_us, const char *actor);
int store_mac_ignored(struct store *st, store_mac_ignored_fn fn, void *arg);

#endif
