/*
 * The control requests of enrolment and of an identity's life (issue 15):
 * enroll-create, enroll-list, enroll-cancel, agent-revoke, agent-retire.
 * A token's secret is shown once, in the answer to enroll-create; the store
 * keeps only its hash. Every change is audited with the caller's name. A
 * revocation or a retirement closes the agent's live sessions at once and is
 * checked at every handshake after (session_ident.c), so it holds across
 * restarts.
 */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdio.h>
#include <string.h>

#include "vigil/enroll.h"
#include "vigil/err.h"
#include "vigil/mac.h"
#include "vigil/text.h"
#include "vigil/tls.h"

#include "control_int.h"
#include "enroll.h"
#include "session.h"
#include "store_enroll.h"

#define TOKEN_USES_MAX 100000
#define TOKEN_EXPIRES_MAX (365LL * 24 * 3600)   /* seconds */
#define REASON_MAX 512
#define INVENTORY_MAX 100000

static const char *
actor(const struct jw *w)
{
	return w->conn != NULL ? w->conn->user : "unknown";
}

static int
audit(struct jw *w, const char *action, const char *detail)
{
	return store_audit_append(w->ctl->c->store, &(struct store_audit_entry){ clock_now_us(),
	    actor(w), 0, action, detail });
}

int
cmd_enroll_create(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "unit", "uses", "expires", NULL };
	struct collector *c = w->ctl->c;
	const char *unit;
	long long uses = 1, expires = 72 * 3600;
	int64_t now = clock_now_us(), unit_id, id;
	uint8_t fp[ENROLL_FP_LEN];
	char secret[ENROLL_SECRET_CHARS + 1], hash[ENROLL_HASH_HEX], token[ENROLL_TOKEN_MAX];
	char detail[512];

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    name_arg(args, nargs, "unit", &unit, err, errlen) != 0 ||
	    num_arg(args, nargs, "uses", 1, TOKEN_USES_MAX, "a number of uses from 1 to 100000",
	        &uses, err, errlen) != 0 ||
	    num_arg(args, nargs, "expires", 60, TOKEN_EXPIRES_MAX, "seconds, from 60 to a year",
	        &expires, err, errlen) != 0)
		return -1;
	if (unit == NULL) {
		snprintf(err, errlen, "missing argument unit");
		return -1;
	}
	if (strlen(unit) >= STORE_UNIT_MAX) {
		snprintf(err, errlen, "a unit name is at most %d bytes", STORE_UNIT_MAX - 1);
		return -1;
	}
	if (enroll_ca_fingerprint(c->conf.collector.ca, fp, err, errlen) != 0)
		return -1;
	if (enroll_secret_new(secret, sizeof(secret)) != 0 ||
	    enroll_secret_hash(secret, hash) != 0) {
		snprintf(err, errlen, "no randomness for a token");
		return -1;
	}
	if (store_unit_ensure(c->store, unit, now, &unit_id) != 0 ||
	    store_token_add(c->store, hash, unit_id, uses, now, now + expires * 1000000LL,
	        actor(w), &id) != 0) {
		snprintf(err, errlen, "the token cannot be stored: %s", store_errmsg(c->store));
		return -1;
	}
	enroll_token_format(token, sizeof(token), fp, secret);
	explicit_bzero(secret, sizeof(secret));
	snprintf(detail, sizeof(detail), "token %lld for unit %s (id %lld), %lld use(s), "
	    "expires in %lld s", (long long)id, unit, (long long)unit_id, uses, expires);
	if (audit(w, "enroll-token", detail) != 0) {
		store_token_cancel(c->store, id, now);
		snprintf(err, errlen, "the audit record cannot be written; the token is cancelled");
		return -1;
	}
	jw_begin(w);
	jw_int(w, "id", id);
	jw_str(w, "token", token);
	jw_str(w, "unit", unit);
	jw_int(w, "unit_id", unit_id);
	jw_int(w, "uses", uses);
	jw_time(w, "expires", now + expires * 1000000LL);
	jw_int(w, "enroll_port", c->conf.collector.enroll_port);
	jw_end(w);
	explicit_bzero(token, sizeof(token));
	return 0;
}

static int
token_row(void *arg, const struct store_token_row *r)
{
	struct jw *w = arg;
	int64_t now = clock_now_us();
	const char *state;

	if (r->cancelled_us != 0)
		state = "cancelled";
	else if (r->uses >= r->uses_max)
		state = "used";
	else if (now >= r->expires_us)
		state = "expired";
	else
		state = "valid";
	jw_begin(w);
	jw_int(w, "id", r->id);
	jw_str(w, "unit", r->unit);
	jw_int(w, "uses", r->uses);
	jw_int(w, "uses_max", r->uses_max);
	jw_time(w, "created", r->created_us);
	jw_time(w, "expires", r->expires_us);
	jw_str(w, "state", state);
	jw_str(w, "created_by", r->created_by);
	jw_end(w);
	return 0;
}

int
cmd_enroll_list(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { NULL };

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if (store_token_list(w->ctl->c->store, token_row, w) != 0) {
		snprintf(err, errlen, "the tokens cannot be read: %s",
		    store_errmsg(w->ctl->c->store));
		return -1;
	}
	return 0;
}

int
cmd_enroll_cancel(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "id", NULL };
	struct store *st = w->ctl->c->store;
	long long id;
	char detail[64];
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    id_arg(args, nargs, &id, err, errlen) != 0)
		return -1;
	if ((rc = store_token_cancel(st, id, clock_now_us())) == VIGIL_ERR_NOTFOUND) {
		snprintf(err, errlen, "there is no token %lld, or it is cancelled already", id);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "the token cannot be cancelled: %s", store_errmsg(st));
		return -1;
	}
	snprintf(detail, sizeof(detail), "token %lld", id);
	if (audit(w, "enroll-cancel", detail) != 0) {
		snprintf(err, errlen, "token %lld is cancelled, but the audit record cannot be "
		    "written", id);
		return -1;
	}
	jw_begin(w);
	jw_int(w, "id", id);
	jw_str(w, "state", "cancelled");
	jw_end(w);
	return 0;
}

/* agent-revoke (reason given) and agent-retire. */
static int
bar(struct jw *w, const struct ctl_arg *args, size_t nargs, int revoke, char *err,
    size_t errlen)
{
	static const char *const known_revoke[] = { "agent", "reason", NULL };
	static const char *const known_retire[] = { "agent", NULL };
	struct collector *c = w->ctl->c;
	const char *agent = arg_get(args, nargs, "agent"), *reason = NULL;
	char detail[REASON_MAX + 256], why[REASON_MAX + 64];
	size_t closed;
	int rc;

	if (args_check(args, nargs, revoke ? known_revoke : known_retire, err, errlen) != 0)
		return -1;
	if (agent == NULL || tls_id_valid(agent) != 0) {
		bad_arg(err, errlen, "agent", agent != NULL ? agent : "", "an agent id");
		return -1;
	}
	if (revoke) {
		if (name_arg(args, nargs, "reason", &reason, err, errlen) != 0)
			return -1;
		if (reason == NULL || strlen(reason) > REASON_MAX) {
			snprintf(err, errlen, "a revocation needs a reason of at most %d bytes",
			    REASON_MAX);
			return -1;
		}
	}
	if ((rc = store_agent_known(c->store, agent)) <= 0) {
		if (rc == 0)
			snprintf(err, errlen, "no agent %s is known to this collector", agent);
		else
			snprintf(err, errlen, "the agents cannot be read: %s", store_errmsg(c->store));
		return -1;
	}
	if (store_agent_bar(c->store, agent, reason, clock_now_us()) != 0) {
		snprintf(err, errlen, "the agent cannot be barred: %s", store_errmsg(c->store));
		return -1;
	}
	if (revoke)
		snprintf(why, sizeof(why), "the certificate of agent %s was revoked: %s", agent,
		    reason);
	else
		snprintf(why, sizeof(why), "agent %s was retired", agent);
	closed = session_close_agent(c, agent, why);
	if (revoke)
		snprintf(detail, sizeof(detail), "agent %s revoked: %s (%zu session(s) closed)", agent,
		    reason, closed);
	else
		snprintf(detail, sizeof(detail), "agent %s retired (%zu session(s) closed)", agent,
		    closed);
	if (audit(w, revoke ? "agent-revoke" : "agent-retire", detail) != 0) {
		snprintf(err, errlen, "agent %s is barred, but the audit record cannot be written",
		    agent);
		return -1;
	}
	jw_begin(w);
	jw_str(w, "agent", agent);
	jw_str(w, "state", revoke ? "revoked" : "retired");
	jw_uint(w, "sessions_closed", closed);
	jw_end(w);
	return 0;
}

int
cmd_agent_revoke(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	return bar(w, args, nargs, 1, err, errlen);
}

/* inventory-set unit=U count=N: a count, no list. */
int
cmd_inventory_set(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "unit", "count", NULL };
	struct collector *c = w->ctl->c;
	const char *unit;
	long long count = -1;
	int64_t unit_id, now = clock_now_us();
	char detail[256];

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    name_arg(args, nargs, "unit", &unit, err, errlen) != 0 ||
	    num_arg(args, nargs, "count", 0, INVENTORY_MAX, "a number of PCs from 0 to 100000",
	        &count, err, errlen) != 0)
		return -1;
	if (unit == NULL || count < 0) {
		snprintf(err, errlen, "inventory-set wants unit and count");
		return -1;
	}
	if (store_unit_ensure(c->store, unit, now, &unit_id) != 0 ||
	    store_inventory_set(c->store, unit_id, count, now) != 0) {
		snprintf(err, errlen, "the inventory cannot be stored: %s", store_errmsg(c->store));
		return -1;
	}
	snprintf(detail, sizeof(detail), "unit %s declares %lld PCs", unit, count);
	(void)audit(w, "inventory", detail);
	jw_begin(w);
	jw_str(w, "unit", unit);
	jw_int(w, "declared", count);
	jw_end(w);
	return 0;
}

/*
 * inventory-pc unit=U name=N [mac=M] [first=1] [check=1]: one PC of a list
 * (an imported CSV); with check, only checked (vigilctl checks a whole file
 * so before it imports any of it).
 */
int
cmd_inventory_pc(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "unit", "name", "mac", "first", "check", NULL };
	struct collector *c = w->ctl->c;
	const char *unit, *name, *mac;
	long long first = 0, check = 0;
	int64_t unit_id, now = clock_now_us();
	char detail[512], canon[MAC_STR_LEN + 1];

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    name_arg(args, nargs, "unit", &unit, err, errlen) != 0 ||
	    name_arg(args, nargs, "name", &name, err, errlen) != 0 ||
	    name_arg(args, nargs, "mac", &mac, err, errlen) != 0 ||
	    num_arg(args, nargs, "first", 0, 1, "0 or 1", &first, err, errlen) != 0 ||
	    num_arg(args, nargs, "check", 0, 1, "0 or 1", &check, err, errlen) != 0)
		return -1;
	if (unit == NULL || name == NULL) {
		snprintf(err, errlen, "inventory-pc wants unit and name");
		return -1;
	}
	/* One form, so that the agents' reports match it (mac.h). */
	if (mac != NULL && mac[0] != '\0') {
		if (mac_normalize(mac, canon) != 0) {
			bad_arg(err, errlen, "mac", mac, "a MAC address (aa:bb:cc:dd:ee:ff)");
			return -1;
		}
		mac = canon;
	}
	if (check)
		goto reply;
	if (store_unit_ensure(c->store, unit, now, &unit_id) != 0 ||
	    store_inventory_pc(c->store, unit_id, name, mac, (int)first, now) != 0) {
		snprintf(err, errlen, "the inventory cannot be stored: %s", store_errmsg(c->store));
		return -1;
	}
	if (first) {
		snprintf(detail, sizeof(detail), "unit %s: its list of PCs replaced by an import", unit);
		(void)audit(w, "inventory", detail);
	}
reply:
	jw_begin(w);
	jw_str(w, "unit", unit);
	jw_str(w, "name", name);
	jw_end(w);
	return 0;
}

/*
 * backup dir=DIR: DIR made (0700; never an existing one), the database copied
 * into DIR/vigil.db while we run. The PKI files are named in the answer for
 * vigilctl to copy: it runs as root, we may not read the keys after the drop.
 */
/*
 * agent-reenroll agent=ID: one identity seen on two machines. The machine
 * connected keeps ID; a one-use token for ID's unit (72 hours) lets the
 * newcomer enrol as a new machine: `vigil-agent --enroll` after its copied
 * key is removed.
 */
int
cmd_agent_reenroll(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "agent", NULL };
	struct collector *c = w->ctl->c;
	const char *agent = arg_get(args, nargs, "agent");
	int64_t now = clock_now_us(), unit_id, id, expires = now + 72LL * 3600 * 1000000;
	uint8_t fp[ENROLL_FP_LEN];
	char secret[ENROLL_SECRET_CHARS + 1], hash[ENROLL_HASH_HEX], token[ENROLL_TOKEN_MAX];
	char unit[STORE_UNIT_MAX], detail[512];
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if (agent == NULL || tls_id_valid(agent) != 0) {
		bad_arg(err, errlen, "agent", agent != NULL ? agent : "", "an agent id");
		return -1;
	}
	if ((rc = store_agent_unit(c->store, agent, now, &unit_id)) != 0) {
		if (rc == VIGIL_ERR_NOTFOUND)
			snprintf(err, errlen, "no agent %s is known to this collector", agent);
		else
			snprintf(err, errlen, "the agents cannot be read: %s", store_errmsg(c->store));
		return -1;
	}
	if (store_unit_name(c->store, unit_id, unit, sizeof(unit)) != 0)
		snprintf(unit, sizeof(unit), "unit-%lld", (long long)unit_id);
	if (enroll_ca_fingerprint(c->conf.collector.ca, fp, err, errlen) != 0)
		return -1;
	if (enroll_secret_new(secret, sizeof(secret)) != 0 ||
	    enroll_secret_hash(secret, hash) != 0) {
		snprintf(err, errlen, "no randomness for a token");
		return -1;
	}
	if (store_token_add(c->store, hash, unit_id, 1, now, expires, actor(w), &id) != 0) {
		snprintf(err, errlen, "the token cannot be stored: %s", store_errmsg(c->store));
		return -1;
	}
	enroll_token_format(token, sizeof(token), fp, secret);
	explicit_bzero(secret, sizeof(secret));
	snprintf(detail, sizeof(detail), "token %lld (one use, 72 h) to re-enrol the newcomer "
	    "that presented %s's identity, unit %s", (long long)id, agent, unit);
	if (audit(w, "agent-reenroll", detail) != 0) {
		store_token_cancel(c->store, id, now);
		snprintf(err, errlen, "the audit record cannot be written; the token is cancelled");
		return -1;
	}
	jw_begin(w);
	jw_str(w, "agent", agent);
	jw_int(w, "id", id);
	jw_str(w, "token", token);
	jw_str(w, "unit", unit);
	jw_time(w, "expires", expires);
	jw_int(w, "enroll_port", c->conf.collector.enroll_port);
	jw_end(w);
	explicit_bzero(token, sizeof(token));
	return 0;
}

int
cmd_backup(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err, size_t errlen)
{
	static const char *const known[] = { "dir", NULL };
	struct collector *c = w->ctl->c;
	const struct collector_conf *cc = &c->conf.collector;
	const char *dir = arg_get(args, nargs, "dir");
	char path[CONF_PATH_MAX + 16], detail[CONF_PATH_MAX + 64];
	int64_t bytes;

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if (dir == NULL || dir[0] != '/' || strlen(dir) >= CONF_PATH_MAX) {
		bad_arg(err, errlen, "dir", dir != NULL ? dir : "", "an absolute path");
		return -1;
	}
	if (mkdir(dir, 0700) != 0) {
		snprintf(err, errlen, "cannot make %s: %s (a backup goes into a new directory)", dir,
		    strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/vigil.db", dir);
	if (store_backup(c->store, path, &bytes, err, errlen) != 0)
		return -1;
	snprintf(detail, sizeof(detail), "database copied to %s (%lld bytes)", path,
	    (long long)bytes);
	(void)audit(w, "backup", detail);
	jw_begin(w);
	jw_str(w, "dir", dir);
	jw_str(w, "database", path);
	jw_int(w, "bytes", bytes);
	jw_str(w, "ca", cc->ca);
	jw_str(w, "cert", cc->cert);
	jw_str(w, "key", cc->key);
	jw_str(w, "ca_key", cc->ca_key);
	jw_end(w);
	return 0;
}

int
cmd_agent_retire(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	return bar(w, args, nargs, 0, err, errlen);
}
