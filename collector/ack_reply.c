/*
 * Judging replies and answering them (ack_reply.h). The decision is a fixed
 * order of checks, each refusing with its own sentence; the order matters:
 * the sender first (a stranger learns nothing, not even whether a code
 * exists), then the code, then the token (a code seen over a shoulder is not
 * enough), then the incident's state, then the word.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/text.h"

#include "collector.h"
#include "ack.h"
#include "ack_imap.h"
#include "ack_sms.h"
#include "ack_reply.h"
#include "escalate.h"
#include "escalate_run.h"
#include "incident.h"
#include "notify.h"
#include "store_ack.h"

/* One sentence of an answer, in the contact's language (po/vi.po, po/en.po). */
#define T_(s) i18n_text_in(lang, s)

struct ack_rt {
	struct collector *c;
	unsigned char secret[ACK_SECRET_LEN];
	struct notify *notify;               /* answers by mail */
	struct notify_conf nconf;
	struct ack_imap *imap;
	struct ack_sms *sms;
	uint64_t outcomes[ACK_OUTCOME_COUNT];   /* counters */
};

static const char *const outcome_names[ACK_OUTCOME_COUNT] = {
	[ACK_DONE] = "acknowledged",
	[ACK_ALREADY] = "already_acknowledged",
	[ACK_CLOSED] = "closed",
	[ACK_UNKNOWN_CODE] = "unknown_code",
	[ACK_NO_CODE] = "no_code",
	[ACK_NO_WORD] = "no_word",
	[ACK_FOREIGN] = "not_yours",
	[ACK_STRANGER] = "stranger",
	[ACK_AUTO] = "automatic_reply",
	[ACK_FAILED] = "failed",
};

const char *
ack_outcome_name(enum ack_outcome o)
{
	return (unsigned)o < ACK_OUTCOME_COUNT ? outcome_names[o] : "unknown";
}

/* The contact whose e-mail addresses (or phone) include sender; NULL: a stranger. */
static const struct escalate_contact *
contact_of(const struct escalate_conf *ec, const char *channel, const char *sender)
{
	if (ec == NULL || sender == NULL || sender[0] == '\0')
		return NULL;
	for (size_t i = 0; i < ec->ncontacts; i++) {
		const char *list = ec->contacts[i].email, *p = list;
		size_t sl = strlen(sender);

		if (strcmp(channel, "sms") == 0) {
			if (strcmp(ec->contacts[i].phone, sender) == 0)
				return &ec->contacts[i];
			continue;
		}
		while (*p != '\0') {
			size_t n;

			while (*p == ' ' || *p == ',')
				p++;
			n = strcspn(p, " ,");
			if (n == sl && strncasecmp(p, sender, n) == 0)
				return &ec->contacts[i];
			p += n;
		}
	}
	return NULL;
}

static int
token_matches(const struct ack_rt *rt, const struct ack_found *f, int64_t incident,
    const char *label)
{
	char want[ACK_TOKEN_LEN + 1];
	int ok = 0;

	if (ack_token(rt->secret, sizeof(rt->secret), incident, label, want) != 0)
		return 0;
	for (size_t i = 0; i < f->ntokens; i++)
		ok |= ack_token_equal(f->tokens[i], want);
	return ok;
}

static void
answer(struct ack_answer *ans, const char *lang, const char *to, const char *subject)
{
	ans->send = 1;
	snprintf(ans->to, sizeof(ans->to), "%s", to);
	snprintf(ans->language, sizeof(ans->language), "%s", lang);
	snprintf(ans->subject, sizeof(ans->subject), "%s", subject);
}

/* The answers by SMS: short enough for one UCS-2 part (70 characters, sms.h). */
static void
sms_answer(struct ack_answer *ans, enum ack_outcome o, const char *lang, const char *code)
{
	const char *digits = strlen(code) > 2 ? code + 2 : "4821";

	switch (o) {
	case ACK_DONE:
		snprintf(ans->body, sizeof(ans->body), T_("%s: acknowledged, the escalation stopped."),
		    code);
		break;
	case ACK_ALREADY:
		snprintf(ans->body, sizeof(ans->body), T_("%s was already acknowledged."), code);
		break;
	case ACK_CLOSED:
		snprintf(ans->body, sizeof(ans->body), T_("%s is already closed."), code);
		break;
	case ACK_UNKNOWN_CODE:
		snprintf(ans->body, sizeof(ans->body), T_("No incident has the code %s."), code);
		break;
	case ACK_NO_CODE:
		snprintf(ans->body, sizeof(ans->body), "%s",
		    T_("No incident code. Reply like this: XN 4821"));
		break;
	case ACK_NO_WORD:
		snprintf(ans->body, sizeof(ans->body), T_("Reply XN %s to acknowledge."), digits);
		break;
	case ACK_FOREIGN:
		snprintf(ans->body, sizeof(ans->body), T_("The code %s was not sent to this number."),
		    code);
		break;
	default:
		ans->send = 0;
		break;
	}
}

enum ack_outcome
ack_reply_handle(struct collector *c, const struct ack_reply_in *in, struct ack_answer *ans)
{
	struct ack_rt *rt = c->ack;
	const struct escalate_contact *who;
	struct ack_found f;
	struct incident_request rq;
	enum ack_outcome o;
	char code[ACK_CODE_TEXT] = "", status[32] = "", how[400], err[256], when[64], subj[256];
	const char *lang = "vi";
	int64_t incident = 0, now = clock_now_us();
	int seen;

	memset(ans, 0, sizeof(*ans));
	if (rt == NULL)
		return ACK_FAILED;
	if ((seen = store_ack_seen(c->store, in->key)) != 0)
		return seen == 1 ? ACK_ALREADY : ACK_FAILED;
	ack_scan(in->subject, in->text, in->bare_code, &f);
	if (f.code != 0)
		ack_code_format(f.code, code, sizeof(code));
	who = contact_of(escalate_run_conf(c), in->channel, in->sender);
	if (who != NULL)
		lang = who->language;
	if (in->auto_reply) {
		o = ACK_AUTO;
	} else if (who == NULL) {
		o = ACK_STRANGER;
	} else if (f.code == 0) {
		o = ACK_NO_CODE;
	} else if ((seen = store_ack_lookup(c->store, f.code, &incident, status,
	    sizeof(status))) == VIGIL_ERR_NOTFOUND) {
		o = ACK_UNKNOWN_CODE;
	} else if (seen != 0) {
		o = ACK_FAILED;
	} else if (in->need_token ? !token_matches(rt, &f, incident, who->label) :
	    store_ack_notified(c->store, incident, who->label) != 1) {
		o = ACK_FOREIGN;
	} else if (strcmp(status, "resolved") == 0 || strcmp(status, "false_positive") == 0) {
		o = ACK_CLOSED;
	} else if (strcmp(status, "new") != 0) {
		o = ACK_ALREADY;
	} else if (!f.word) {
		o = ACK_NO_WORD;
	} else {
		text_time_rfc3339(when, sizeof(when), now);
		snprintf(how, sizeof(how), "by %s reply from %s at %s (code %s)",
		    strcmp(in->channel, "email") == 0 ? "e-mail" : in->channel, in->sender, when,
		    code);
		memset(&rq, 0, sizeof(rq));
		rq.id = incident;
		rq.act = INCIDENT_ACT_ACK;
		rq.actor = who->label;
		rq.text = how;
		if (incident_act(c, &rq, err, sizeof(err)) == 0) {
			o = ACK_DONE;
		} else {
			log_warnx("A reply from %s could not acknowledge incident %lld: %s.",
			    in->sender, (long long)incident, err);
			o = ACK_FAILED;
		}
	}
	rt->outcomes[o]++;
	switch (o) {
	case ACK_DONE:
		c->counters.replies_acknowledged++;
		break;
	case ACK_STRANGER:
		c->counters.replies_refused_stranger++;
		break;
	case ACK_NO_CODE:
	case ACK_UNKNOWN_CODE:
	case ACK_FOREIGN:
		c->counters.replies_refused_wrong_code++;
		break;
	case ACK_ALREADY:
	case ACK_CLOSED:
		c->counters.replies_refused_used++;
		break;
	case ACK_NO_WORD:
	case ACK_AUTO:
		c->counters.replies_refused_other++;
		break;
	case ACK_FAILED:
	case ACK_OUTCOME_COUNT:
		break;
	}
	if (o == ACK_FAILED)
		return o;       /* not recorded: the next poll tries again */
	if (store_ack_record(c->store, in->key, in->channel, in->sender, incident, f.code,
	    ack_outcome_name(o), now) != 0)
		log_warnx("Cannot record the reply %s: %s.", in->key, store_errmsg(c->store));
	log_info("Reply by %s from %s (code %s, incident %lld): %s.", in->channel, in->sender,
	    code[0] != '\0' ? code : "none", (long long)incident, ack_outcome_name(o));
	if (o == ACK_STRANGER || o == ACK_AUTO)
		return o;

	snprintf(subj, sizeof(subj), "%s%s", strncasecmp(in->subject != NULL ? in->subject : "",
	    "Re:", 3) == 0 ? "" : "Re: ", in->subject != NULL ? in->subject : "");
	answer(ans, lang, in->sender, subj);
	if (strcmp(in->channel, "sms") == 0) {
		sms_answer(ans, o, lang, code);
		return o;
	}
	switch (o) {
	case ACK_DONE:
		snprintf(ans->body, sizeof(ans->body),
		    T_("Incident %s (#%lld) is acknowledged by you; the escalation has stopped.\n"),
		    code, (long long)incident);
		break;
	case ACK_ALREADY:
		snprintf(ans->body, sizeof(ans->body),
		    T_("Incident %s (#%lld) was already acknowledged; nothing was changed.\n"),
		    code, (long long)incident);
		break;
	case ACK_CLOSED:
		snprintf(ans->body, sizeof(ans->body),
		    T_("Incident %s (#%lld) is already closed; nothing was changed.\n"),
		    code, (long long)incident);
		break;
	case ACK_UNKNOWN_CODE:
		snprintf(ans->body, sizeof(ans->body),
		    T_("No incident has the code %s; nothing was acknowledged. Check the code in "
		    "the notification.\n"), code);
		break;
	case ACK_NO_CODE:
		snprintf(ans->body, sizeof(ans->body), "%s",
		    T_("Your reply names no incident code (such as V-4821); nothing was "
		    "acknowledged. Answer the notification itself, keeping its subject.\n"));
		break;
	case ACK_NO_WORD:
		snprintf(ans->body, sizeof(ans->body),
		    T_("Your reply about incident %s does not say XN (or OK); nothing was "
		    "acknowledged.\n"), code);
		break;
	case ACK_FOREIGN:
		snprintf(ans->body, sizeof(ans->body),
		    T_("The code %s was not sent to you, or your reply lost its token; nothing was "
		    "acknowledged. Answer the notification you received, keeping its subject.\n"),
		    code);
		break;
	default:
		ans->send = 0;
		break;
	}
	return o;
}

/* ---- answers by mail ------------------------------------------------------------------ */

static void
on_answer(const struct notify_attempt *a, void *arg)
{
	(void)arg;
	if (a->ok)
		log_info("The answer to %s was sent.", a->target);
	else
		log_warnx("The answer to %s: attempt %d failed: %s%s", a->target, a->attempt,
		    a->error, a->final ? "; giving up." : "; it will be retried.");
}

void
ack_reply_send(struct collector *c, const char *channel, const struct ack_answer *ans)
{
	struct ack_rt *rt = c->ack;
	struct notification n;
	struct notify_request rq;
	int rc;

	if (rt == NULL || rt->notify == NULL || !ans->send)
		return;
	memset(&n, 0, sizeof(n));
	n.language = ans->language;
	n.reply_subject = ans->subject;
	n.reply_body = ans->body;
	memset(&rq, 0, sizeof(rq));
	rq.channel = strcmp(channel, "sms") == 0 ? NOTIFY_SMS : NOTIFY_EMAIL;
	rq.target = ans->to;
	rq.n = &n;
	if ((rc = notify_send(rt->notify, &rq, NULL)) != 0)
		log_warnx("Cannot answer %s: %s.", ans->to, vigil_strerror(rc));
}

/* ---- life ------------------------------------------------------------------------------ */

int
ack_reply_open(struct collector *c, char *err, size_t errlen)
{
	struct ack_rt *rt;
	int rc;

	if (!escalate_run_enabled(c))
		return 0;
	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return VIGIL_ERR_NOMEM;
	}
	rt->c = c;
	c->ack = rt;
	if ((rc = store_ack_init(c->store, rt->secret)) != 0) {
		snprintf(err, errlen, "cannot prepare the acknowledgement tables: %s",
		    store_errmsg(c->store));
		goto fail;
	}
	if (c->conf.ack_mail.url[0] == '\0' && c->conf.sms.inbox[0] == '\0')
		return 0;
	escalate_run_notify_conf(&c->conf, &rt->nconf);
	if ((rt->notify = notify_new(c->base, &rt->nconf, on_answer, rt)) == NULL) {
		snprintf(err, errlen, "cannot start the notifier of answers");
		rc = VIGIL_ERR_NOMEM;
		goto fail;
	}
	if (c->conf.ack_mail.url[0] != '\0' && (rt->imap = ack_imap_new(c, err, errlen)) == NULL) {
		rc = VIGIL_ERR_CONFIG;
		goto fail;
	}
	if (c->conf.sms.inbox[0] != '\0' && (rt->sms = ack_sms_new(c, err, errlen)) == NULL) {
		rc = VIGIL_ERR_NOMEM;
		goto fail;
	}
	return 0;
fail:
	ack_reply_free(c);
	return rc;
}

void
ack_reply_free(struct collector *c)
{
	struct ack_rt *rt = c->ack;

	if (rt == NULL)
		return;
	ack_imap_free(rt->imap);
	ack_sms_free(rt->sms);
	notify_free(rt->notify);
	explicit_bzero(rt->secret, sizeof(rt->secret));
	free(rt);
	c->ack = NULL;
}
