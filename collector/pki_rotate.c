/*
 * Rotating the collector's CA (pki_rotate.h says what and why). The state
 * file, ca.crt.rotation, is a few lines of text the collector writes
 * (atomically: a temporary file renamed over it) whenever an agent's
 * progress changes:
 *
 *   started 1764950000000000          microseconds since 1970
 *   overlap_end 1767542000000000
 *   agent pc-ketoan-01-3f9a2c new,bundle
 *   agent pc-vanthu-02-77aa01 old
 *
 * Every agent the store knows at the rotation (and every one seen or
 * enrolled after) is listed, up to ROTATE_AGENTS_MAX; more are counted as
 * untracked and shown. The overlap's end is a date for people: nothing
 * happens by itself when it passes (an automatic finish would cut off the
 * PCs that were away); `pki rotate status` says it has passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/pki.h"
#include "vigil/text.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#include "collector.h"
#include "enroll.h"
#include "pki_rotate.h"
#include "session.h"
#include "store.h"
#include "store_enroll.h"

#define ROTATE_FILE_MAX (ROTATE_AGENTS_MAX * (COLLECTOR_ID_MAX + 24) + 256)

/* ---- the state ---------------------------------------------------------------- */

struct rotation *
rotation_new(int64_t started_us, int64_t overlap_end_us)
{
	struct rotation *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->started_us = started_us;
	r->overlap_end_us = overlap_end_us;
	return r;
}

void
rotation_free(struct rotation *r)
{
	if (r == NULL)
		return;
	free(r->agents);
	X509_free(r->next_ca);
	free(r->bundle);
	free(r);
}

int
rotation_mark(struct rotation *r, const char *agent, unsigned flags)
{
	struct rotate_agent *a;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->agents[i].id, agent) == 0)
			break;
	if (i < r->n) {
		if ((r->agents[i].flags | flags) == r->agents[i].flags)
			return 0;
		r->agents[i].flags |= flags;
		return 1;
	}
	if (strlen(agent) >= COLLECTOR_ID_MAX || r->n >= ROTATE_AGENTS_MAX)
		goto full;
	if (r->n == r->cap) {
		size_t cap = r->cap == 0 ? 64 : r->cap * 2;

		if (cap > ROTATE_AGENTS_MAX)
			cap = ROTATE_AGENTS_MAX;
		if ((a = reallocarray(r->agents, cap, sizeof(*a))) == NULL)
			goto full;
		r->agents = a;
		r->cap = cap;
	}
	a = &r->agents[r->n++];
	snprintf(a->id, sizeof(a->id), "%s", agent);
	a->flags = flags;
	return 1;
full:
	r->untracked++;
	return -1;
}

void
rotation_counts(const struct rotation *r, size_t *old, size_t *fresh, size_t *bundled)
{
	*old = *fresh = *bundled = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->agents[i].flags & ROTATE_NEW)
			(*fresh)++;
		else
			(*old)++;
		if (r->agents[i].flags & ROTATE_BUNDLE)
			(*bundled)++;
	}
}

int
rotation_finish_check(const struct rotation *r, int force, char *why, size_t whylen)
{
	size_t old, fresh, bundled;
	const char *first = "";

	rotation_counts(r, &old, &fresh, &bundled);
	if (force || (old == 0 && r->untracked == 0))
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if (!(r->agents[i].flags & ROTATE_NEW)) {
			first = r->agents[i].id;
			break;
		}
	if (old == 0)
		return err_fmt(why, whylen, VIGIL_ERR_INVAL, "%llu agents were not followed "
		    "(more than %d): whether they renewed is unknown. Finish with --force if you "
		    "are sure.", (unsigned long long)r->untracked, ROTATE_AGENTS_MAX);
	return err_fmt(why, whylen, VIGIL_ERR_INVAL, "%zu agents still hold a certificate from "
	    "the old CA (the first is %s). They renew by themselves the next time they connect; "
	    "wait for them (vigilctl pki rotate status), or finish with --force and enrol them "
	    "again with a new token.", old, first);
}

int
rotation_write(const struct rotation *r, FILE *f)
{
	fprintf(f, "# The collector's CA rotation (vigilctl pki rotate); the collector writes "
	    "this file.\nstarted %lld\noverlap_end %lld\n", (long long)r->started_us,
	    (long long)r->overlap_end_us);
	for (size_t i = 0; i < r->n; i++) {
		unsigned fl = r->agents[i].flags;

		fprintf(f, "agent %s %s%s\n", r->agents[i].id, fl & ROTATE_NEW ? "new" : "old",
		    fl & ROTATE_BUNDLE ? ",bundle" : "");
	}
	return ferror(f) ? VIGIL_ERR_SYS : 0;
}

static int
parse_flags(const char *s, unsigned *flags)
{
	char buf[32], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	*flags = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "new") == 0)
			*flags |= ROTATE_NEW;
		else if (strcmp(tok, "bundle") == 0)
			*flags |= ROTATE_BUNDLE;
		else if (strcmp(tok, "old") != 0)
			return -1;
	}
	return 0;
}

int
rotation_parse(struct rotation *r, const char *text, const char *file, char *err,
    size_t errlen)
{
	char line[COLLECTOR_ID_MAX + 64], key[16], a[COLLECTOR_ID_MAX], b[32];
	const char *p = text, *e;
	unsigned ln = 0, flags;
	long long v;
	int have = 0;

	for (; *p != '\0'; p = *e == '\n' ? e + 1 : e) {
		size_t len;

		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		ln++;
		len = (size_t)(e - p);
		if (len == 0 || p[0] == '#')
			continue;
		if (len >= sizeof(line))
			return err_at(err, errlen, VIGIL_ERR_CONFIG, file, ln, "the line is too long");
		memcpy(line, p, len);
		line[len] = '\0';
		if (sscanf(line, "%15s", key) != 1)
			continue;
		if (strcmp(key, "started") == 0 || strcmp(key, "overlap_end") == 0) {
			if (sscanf(line, "%*s %127s", a) != 1 || text_parse_ll(a, 0, LLONG_MAX, &v) != 0)
				return err_at(err, errlen, VIGIL_ERR_CONFIG, file, ln, "%s wants a time "
				    "in microseconds since 1970", key);
			if (key[0] == 's')
				r->started_us = v;
			else
				r->overlap_end_us = v;
			have |= key[0] == 's' ? 1 : 2;
		} else if (strcmp(key, "agent") == 0) {
			if (sscanf(line, "%*s %127s %31s", a, b) != 2 || tls_id_valid(a) != 0 ||
			    parse_flags(b, &flags) != 0)
				return err_at(err, errlen, VIGIL_ERR_CONFIG, file, ln, "an agent line is "
				    "\"agent ID old|new[,bundle]\"");
			rotation_mark(r, a, flags);
		} else
			return err_at(err, errlen, VIGIL_ERR_CONFIG, file, ln, "unknown key '%s'",
			    key);
	}
	if (have != 3)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, file, ln, "started and overlap_end "
		    "are both needed");
	return 0;
}

int
rotation_save(const struct rotation *r, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "The path %s is too long.", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		goto fail;
	if (rotation_write(r, f) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto fail;
	if (fclose(f) != 0) {
		f = NULL;
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return err_fmt(err, errlen, VIGIL_ERR_SYS, "Cannot write %s: %s.", path,
		    strerror(errno));
	}
	return 0;
fail:
	err_fmt(err, errlen, VIGIL_ERR_SYS, "Cannot write %s: %s.", tmp, strerror(errno));
	if (f != NULL)
		fclose(f);
	else if (fd != -1)
		close(fd);
	unlink(tmp);
	return VIGIL_ERR_SYS;
}

int
rotation_load(const char *path, struct rotation **out, char *err, size_t errlen)
{
	struct rotation *r = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return VIGIL_ERR_NOTFOUND;
		return err_fmt(err, errlen, VIGIL_ERR_SYS, "Cannot open %s: %s.", path,
		    strerror(errno));
	}
	if ((text = malloc(ROTATE_FILE_MAX + 1)) == NULL || (r = rotation_new(0, 0)) == NULL) {
		rc = err_fmt(err, errlen, VIGIL_ERR_NOMEM, "Out of memory.");
		goto out;
	}
	len = fread(text, 1, ROTATE_FILE_MAX + 1, f);
	if (ferror(f) || len > ROTATE_FILE_MAX) {
		rc = err_fmt(err, errlen, VIGIL_ERR_TOOBIG, "%s cannot be read or is larger than "
		    "%d bytes.", path, ROTATE_FILE_MAX);
		goto out;
	}
	text[len] = '\0';
	if ((rc = rotation_parse(r, text, path, err, errlen)) == 0) {
		*out = r;
		r = NULL;
	}
out:
	fclose(f);
	free(text);
	rotation_free(r);
	return rc;
}

/* ---- the collector's side ------------------------------------------------------ */

static void
rotate_path(const char *of, const char *suffix, char *dst)
{
	snprintf(dst, PATH_MAX, "%s%s", of, suffix);
}

static void
audit(struct collector *c, const char *who, const char *action, const char *detail)
{
	if (store_audit_append(c->store, &(struct store_audit_entry){ clock_now_us(), who, 0,
	    action, detail }) != 0)
		log_warnx("The audit record of a CA rotation (%s: %s) cannot be written: %s.",
		    action, detail, store_errmsg(c->store));
}

static void
save(struct collector *c)
{
	char path[PATH_MAX], err[PATH_MAX + 128];

	rotate_path(c->conf.collector.ca, ROTATE_SUFFIX, path);
	if (rotation_save(c->rotation, path, err, sizeof(err)) != 0)
		log_warnx("The state of the CA rotation cannot be saved: %s", err);
}

/* Trust the new CA too, sign with it, and make the bundle. r has no CA yet. */
static int
apply(struct collector *c, struct rotation *r, char *err, size_t errlen)
{
	const struct collector_conf *cc = &c->conf.collector;
	char crt[PATH_MAX], key[PATH_MAX];
	struct enroll_ca *next, *old;
	X509_STORE *store = SSL_CTX_get_cert_store(c->ssl_ctx);
	size_t n;

	if (enroll_signer(c) == NULL)
		return err_fmt(err, errlen, -1, "the collector has no ca_key: it cannot sign, so "
		    "it cannot rotate its CA");
	rotate_path(cc->ca, PKI_NEXT, crt);
	rotate_path(cc->ca_key, PKI_NEXT, key);
	if ((next = enroll_ca_load(crt, key, err, errlen)) == NULL)
		return -1;
	old = enroll_signer(c);
	n = strlen(old->ca_pem) + strlen(next->ca_pem) + 1;
	if ((r->bundle = malloc(n)) == NULL) {
		enroll_ca_free(next);
		return err_fmt(err, errlen, -1, "out of memory");
	}
	/* The old CA first, the new one last: agents take the last one for the new. */
	snprintf(r->bundle, n, "%s%s", old->ca_pem, next->ca_pem);
	if (X509_STORE_add_cert(store, next->ca) != 1 ||
	    SSL_CTX_add_client_CA(c->ssl_ctx, next->ca) != 1) {
		enroll_ca_free(next);
		return err_fmt(err, errlen, -1, "the new CA cannot be added to the trusted ones");
	}
	X509_up_ref(next->ca);
	r->next_ca = next->ca;
	enroll_ca_free(enroll_set_signer(c, next));
	c->rotation = r;
	return 0;
}

int
pki_rotate_open(struct collector *c, char *err, size_t errlen)
{
	char path[PATH_MAX], next[PATH_MAX];
	struct rotation *r;
	int rc;

	rotate_path(c->conf.collector.ca, ROTATE_SUFFIX, path);
	rc = rotation_load(path, &r, err, errlen);
	if (rc == VIGIL_ERR_NOTFOUND)
		return 0;
	if (rc != 0)
		return -1;
	rotate_path(c->conf.collector.ca, PKI_NEXT, next);
	if (access(next, F_OK) != 0) {
		/* A finish stopped between its renames and this file's removal. */
		log_warnx("%s says a CA rotation is under way, but %s is gone: the rotation is "
		    "taken as finished.", path, next);
		rotation_free(r);
		unlink(path);
		return 0;
	}
	if (apply(c, r, err, errlen) != 0) {
		rotation_free(r);
		return -1;
	}
	log_info("A CA rotation is under way: certificates of both CAs are accepted, new ones "
	    "come from the new CA.");
	return 0;
}

void
pki_rotate_free(struct collector *c)
{
	rotation_free(c->rotation);
	c->rotation = NULL;
}

const char *
pki_rotate_bundle(const struct collector *c)
{
	return c->rotation != NULL ? c->rotation->bundle : NULL;
}

int
pki_rotate_welcome(struct collector *c, const char *agent, X509 *peer, int bundled)
{
	struct rotation *r = c->rotation;
	unsigned flags = bundled ? ROTATE_BUNDLE : 0;
	int fresh;

	if (r == NULL || peer == NULL)
		return 0;
	fresh = X509_check_issued(r->next_ca, peer) == X509_V_OK;
	if (fresh)
		flags |= ROTATE_NEW;
	if (rotation_mark(r, agent, flags) == 1)
		save(c);
	return !fresh;
}

void
pki_rotate_issued(struct collector *c, const char *agent)
{
	if (c->rotation != NULL && rotation_mark(c->rotation, agent, ROTATE_NEW) == 1)
		save(c);
}

/* Each agent the store knows: followed from the start, as holding an old certificate. */
static int
seed_agent(void *arg, const struct store_agent_row *row)
{
	struct collector *c = arg;
	char why[64];

	/* A revoked or retired PC will never renew; it must not hold the finish back. */
	if (store_agent_barred(c->store, row->agent, why, sizeof(why)) == 0)
		rotation_mark(c->rotation, row->agent, 0);
	return 0;
}

int
pki_rotate_start(struct collector *c, int64_t overlap_s, const char *who, char *err,
    size_t errlen)
{
	const struct collector_conf *cc = &c->conf.collector;
	int64_t now = clock_now_us();
	struct rotation *r;
	char label[32], detail[256], until[40];
	size_t pushed;

	if (c->rotation != NULL)
		return err_fmt(err, errlen, -1, "a CA rotation is under way already (vigilctl pki "
		    "rotate status); finish it first");
	if (enroll_signer(c) == NULL)
		return err_fmt(err, errlen, -1, "the collector has no ca_key: it cannot sign, so "
		    "it cannot rotate its CA");
	text_time_rfc3339(label, sizeof(label), now);
	label[10] = '\0';                              /* the date: "Vigil CA 2026-12-05" */
	if (pki_next(cc->ca, cc->ca_key, cc->cert, label, err, errlen) != 0)
		return -1;
	if ((r = rotation_new(now, now + overlap_s * 1000000)) == NULL)
		return err_fmt(err, errlen, -1, "out of memory");
	if (apply(c, r, err, errlen) != 0) {
		rotation_free(r);
		return -1;
	}
	if (store_query_agents(c->store, seed_agent, c) != 0)
		log_warnx("The agents cannot be listed for the CA rotation: %s; they are followed "
		    "as they connect.", store_errmsg(c->store));
	pushed = session_push_bundle(c, r->bundle);
	r->pushed += pushed;
	save(c);
	text_time_rfc3339(until, sizeof(until), r->overlap_end_us);
	snprintf(detail, sizeof(detail), "new CA \"Vigil CA %s\", overlap until %s, %zu agents "
	    "followed, the bundle sent to %zu live sessions", label, until, r->n, pushed);
	audit(c, who, "pki-rotate", detail);
	log_info("The CA rotation began (%s).", detail);
	return 0;
}

/* path.old := path (a hard link), then path := path.next, atomically. */
static int
promote(const char *path, char *err, size_t errlen)
{
	char old[PATH_MAX], next[PATH_MAX];

	snprintf(old, sizeof(old), "%s.old", path);
	snprintf(next, sizeof(next), "%s%s", path, PKI_NEXT);
	if ((unlink(old) != 0 && errno != ENOENT) || link(path, old) != 0)
		return err_fmt(err, errlen, -1, "cannot keep %s as %s: %s", path, old,
		    strerror(errno));
	if (rename(next, path) != 0)
		return err_fmt(err, errlen, -1, "cannot put %s in place of %s: %s", next, path,
		    strerror(errno));
	return 0;
}

int
pki_rotate_finish(struct collector *c, int force, const char *who, char *err, size_t errlen)
{
	const struct collector_conf *cc = &c->conf.collector;
	struct tls_opts topts = { cc->ca, cc->cert, cc->key, cc->groups };
	char path[PATH_MAX], detail[256];
	size_t old, fresh, bundled;
	SSL_CTX *ctx;

	if (c->rotation == NULL)
		return err_fmt(err, errlen, -1, "no CA rotation is under way");
	if (rotation_finish_check(c->rotation, force, err, errlen) != 0) {
		audit(c, who, "pki-rotate-finish-refused", err);
		return -1;
	}
	rotation_counts(c->rotation, &old, &fresh, &bundled);
	/* The key before the certificate: a CA certificate never points at a missing key. */
	if (promote(cc->ca_key, err, errlen) != 0 || promote(cc->ca, err, errlen) != 0 ||
	    promote(cc->cert, err, errlen) != 0)
		return -1;
	rotate_path(cc->ca, ROTATE_SUFFIX, path);
	unlink(path);
	/* Only the new CA from now on, and our certificate under it. */
	if ((ctx = tls_server_ctx(&topts, err, errlen)) == NULL)
		return -1;
	SSL_CTX_free(c->ssl_ctx);
	c->ssl_ctx = ctx;
	if (enroll_reload_tls(c, err, errlen) != 0)
		return -1;
	pki_rotate_free(c);
	snprintf(detail, sizeof(detail), "the new CA is the only one%s; %zu agents on it, %zu "
	    "still on the old one", force ? " (forced)" : "", fresh, old);
	audit(c, who, "pki-rotate-finish", detail);
	log_info("The CA rotation is finished: %s.", detail);
	return 0;
}
