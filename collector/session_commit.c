/*
 * The group commit (session.c says why a thread): every Hello, batch,
 * heartbeat, goodbye and last-seen update of the sessions waits in one
 * pending list; whenever the writer thread is idle the whole list is handed
 * to it and stored by store_commit() in one transaction on the writer's own
 * connection. When it reports back, each session is acked up to the highest
 * seq stored for it, refused items are told to their sessions, and what was
 * stored is handed forward (collector.h, struct session_news). A failing
 * store keeps the list, retries, and after store_alarm_after raises the
 * collector's own incident through the same hook.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "vigil/err.h"
#include "vigil/frame.h"
#include "vigil/log.h"
#include "vigil/names.h"
#include "vigil/text.h"
#include "vigil/tls.h"
#include "vigil/wire.h"

#include "collector.h"
#include "reserve.h"
#include "session.h"
#include "session_int.h"

/* Queue an item for the next commit; takes f on success. s names the agent. */
int
pending_add(struct collector *c, enum store_item_kind kind, const struct session *s,
    Vigil__V1__Frame *f, size_t bytes, int64_t recv_us)
{
	struct sessions *t = c->sessions;
	struct pending *p;

	if ((p = malloc(sizeof(*p))) == NULL)
		return VIGIL_ERR_NOMEM;
	p->kind = kind;
	p->session_id = s->id;
	memcpy(p->agent, s->agent, sizeof(p->agent));
	memcpy(p->addr, s->addr, sizeof(p->addr));
	p->frame = f;
	p->bytes = bytes;
	p->recv_us = recv_us;
	p->agent_clock_us = 0;
	TAILQ_INSERT_TAIL(&t->pending, p, entry);
	t->npending++;
	t->total_bytes += bytes;
	commit_arm(c);
	return 0;
}

void
pending_free_list(struct pending_list *l)
{
	struct pending *p;

	while ((p = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, p, entry);
		frame_free(p->frame);
		free(p);
	}
}

static int
commit_grow(struct sessions *t, size_t n)
{
	struct store_batch *b;
	struct session **a;
	size_t cap = t->cap ? t->cap : 64;

	if (n <= t->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((b = realloc(t->batches, cap * sizeof(*b))) == NULL)
		return VIGIL_ERR_NOMEM;
	t->batches = b;
	if ((a = realloc(t->acks, cap * sizeof(*a))) == NULL)
		return VIGIL_ERR_NOMEM;
	t->acks = a;
	t->cap = cap;
	return 0;
}

/* The writer thread: store what it is handed, report back, wait for more. */
void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct store_batch *items;
	uint64_t one = 1;
	size_t n;
	int rc;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->work && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->work)
			break;
		items = w->items;
		n = w->n;
		pthread_mutex_unlock(&w->mu);

		rc = store_commit(w->store, items, n);

		pthread_mutex_lock(&w->mu);
		w->rc = rc;
		snprintf(w->errmsg, sizeof(w->errmsg), "%s", rc != 0 ? store_errmsg(w->store) : "");
		w->work = 0;
		w->done = 1;
		/* Cannot fail short of a bad descriptor: the counter only needs to be non-zero. */
		(void)!write(w->wakefd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Hand the whole pending list to the writer when it is idle. */
void
commit_start(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct timeval retry = { COMMIT_RETRY_SEC, 0 };
	struct pending *p;
	size_t i = 0;

	if (t->busy || t->npending == 0 || !t->w.running)
		return;
	if (commit_grow(t, t->npending) != 0) {
		log_warnx("Out of memory for a commit of %zu items; retrying in %d s.", t->npending,
		    COMMIT_RETRY_SEC);
		t->commit_armed = 1;
		evtimer_add(t->commit_ev, &retry);
		return;
	}
	TAILQ_CONCAT(&t->inflight, &t->pending, entry);
	t->ninflight = t->npending;
	t->npending = 0;
	TAILQ_FOREACH(p, &t->inflight, entry) {
		struct store_batch *b = &t->batches[i++];

		memset(b, 0, sizeof(*b));
		b->kind = p->kind;
		b->agent = p->agent;
		b->recv_us = p->recv_us;
		b->agent_clock_us = p->agent_clock_us;
		if (p->kind == STORE_EVENTS)
			b->batch = p->frame->batch;
		else if (p->kind == STORE_HELLO) {
			b->hello = p->frame->hello;
			b->address = p->addr;
		} else if (p->kind == STORE_POSTURE) {
			struct session *ps = session_by_id(t, p->session_id);

			b->heartbeat = p->frame->heartbeat;
			/* Handed over: the session's next posture needs an item of its own. */
			if (ps != NULL && ps->posture == p)
				ps->posture = NULL;
		} else if (p->kind == STORE_GOODBYE) {
			b->goodbye = p->frame->goodbye;
		}
	}
	t->busy = 1;
	pthread_mutex_lock(&t->w.mu);
	t->w.items = t->batches;
	t->w.n = t->ninflight;
	t->w.work = 1;
	pthread_cond_signal(&t->w.cv);
	pthread_mutex_unlock(&t->w.mu);
}

/* Shutting down and nothing left to store: let every session drain and close. */
void
shutdown_close(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct session *s, *next;

	TAILQ_FOREACH_SAFE(s, &t->all, entry, next)
		if (s->state != SS_CLOSING)
			session_close_soon(s);
	if (t->n == 0)
		event_base_loopexit(c->base, NULL);
}

/* The writer failed: keep every item, in order, ahead of what came since. */
static void
commit_failed(struct collector *c, int rc, const char *why)
{
	struct sessions *t = c->sessions;
	const struct collector_conf *cc = &c->conf.collector;
	struct timeval retry = { COMMIT_RETRY_SEC, 0 };
	int64_t now = clock_now_us();

	c->counters.commit_failures++;
	snprintf(t->fail_why, sizeof(t->fail_why), "%s", why);
	if (t->fail_streak++ == 0) {
		t->fail_since_us = now;
		log_warnx("Cannot store %zu pending items (%s: %s); acknowledging nothing, keeping "
		    "them and retrying every %d s.", t->ninflight, vigil_strerror(rc), why,
		    COMMIT_RETRY_SEC);
	} else {
		log_debug("Commit attempt %u failed again (%s).", t->fail_streak, why);
	}
	TAILQ_CONCAT(&t->inflight, &t->pending, entry);
	TAILQ_CONCAT(&t->pending, &t->inflight, entry);
	t->npending += t->ninflight;
	t->ninflight = 0;
	/*
	 * Failing for store_alarm_after: an incident, written first. The reserve
	 * gives it the room a full disk does not have, and the next retry waits
	 * long enough for its first notification to be stored too.
	 */
	if (!t->alarmed && now - t->fail_since_us >= cc->store_alarm_after * 1000) {
		t->alarmed = 1;
		c->counters.store_alarms++;
		reserve_release(c);
		/* forward: the collector's own incident */
		session_forward(c, &(struct session_news){ .kind = NEWS_STORE_FAILING,
		    .since_us = t->fail_since_us, .why = why, .waiting = t->npending });
		retry.tv_sec = STORE_ALARM_RETRY_SEC;
	}
	/* Backpressure holds the agents until the disk recovers. */
	t->commit_armed = 1;
	evtimer_add(t->commit_ev, &retry);
}

/*
 * Drop the events of this session still waiting for a commit: they follow a
 * refused batch. (A newer session of the agent starts again after the last
 * stored seq, so its first batch is the refused one.)
 */
static void
pending_drop_events(struct collector *c, uint64_t session_id)
{
	struct sessions *t = c->sessions;
	struct pending *p, *next;
	struct session *s;

	for (p = TAILQ_FIRST(&t->pending); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (p->kind != STORE_EVENTS || p->session_id != session_id)
			continue;
		if ((s = session_by_id(t, p->session_id)) != NULL)
			s->pending_bytes -= p->bytes;
		TAILQ_REMOVE(&t->pending, p, entry);
		t->npending--;
		t->total_bytes -= p->bytes;
		frame_free(p->frame);
		free(p);
	}
}

/*
 * An item the store refused for its own data: counted and logged. Refused
 * events stay in the agent's spool: its session is closed with the reason
 * (after the acks of this commit) and what it sent since is not stored
 * either, so the agent sends them again from the refused one on.
 */
static void
commit_refused(struct collector *c, const struct pending *p, const struct store_batch *b)
{
	struct sessions *t = c->sessions;
	struct refusal *r;
	char why[sizeof(b->why) * 4 + 1];

	c->counters.items_refused++;
	text_escape(why, sizeof(why), b->why, strlen(b->why));
	if (p->kind != STORE_EVENTS) {
		log_warnx("The store refused the %s of agent %s: %s.", p->kind == STORE_HELLO ?
		    "Hello" : p->kind == STORE_POSTURE ? "posture" : p->kind == STORE_GOODBYE ?
		    "goodbye" : "last-seen time", p->agent, why);
		return;
	}
	log_warnx("The store refused the events %llu..%llu of agent %s: %s; the agent keeps "
	    "them and sends them again.",
	    (unsigned long long)p->frame->batch->events[0]->seq,
	    (unsigned long long)p->frame->batch->events[p->frame->batch->n_events - 1]->seq,
	    p->agent, why);
	pending_drop_events(c, p->session_id);
	if (t->nrefusals == t->caprefusals) {
		size_t cap = t->caprefusals ? 2 * t->caprefusals : 8;

		if ((r = realloc(t->refusals, cap * sizeof(*r))) == NULL)
			return;
		t->refusals = r;
		t->caprefusals = cap;
	}
	r = &t->refusals[t->nrefusals++];
	r->session_id = p->session_id;
	snprintf(r->why, sizeof(r->why), "the collector could not store events %llu..%llu: %s",
	    (unsigned long long)p->frame->batch->events[0]->seq,
	    (unsigned long long)p->frame->batch->events[p->frame->batch->n_events - 1]->seq,
	    b->why);
}

/* Events whose time is implausible: counted; logged once per session. */
static void
commit_clock(struct collector *c, const struct pending *p, const struct store_batch *b,
    struct session *s)
{
	const struct collector_conf *cc = &c->conf.collector;

	c->counters.events_clock_implausible += b->clock_flagged;
	if (s == NULL || s->clock_warned)
		return;
	s->clock_warned = 1;
	log_warnx("Agent %s sent %zu event(s) dated more than %lld s ahead of their arrival or "
	    "%lld h behind it; they are stored as sent and flagged (is the machine's clock "
	    "wrong?).", p->agent, b->clock_flagged, cc->clock_ahead_max / 1000,
	    cc->clock_behind_max / 3600000);
}

/* The writer stored the inflight list: ack, free, resume, hand over the next list. */
static void
commit_done(struct collector *c)
{
	struct sessions *t = c->sessions;
	const struct collector_conf *cc = &c->conf.collector;
	size_t i = 0, nacks = 0, half = (size_t)cc->max_pending / 2;
	struct pending *p;
	struct session *s;

	if (t->fail_streak > 0) {
		log_info("The store accepts writes again after %u failed commit(s) in %lld s.",
		    t->fail_streak, (long long)((clock_now_us() - t->fail_since_us) / 1000000));
		if (t->alarmed) {
			/* forward: that incident is resolved */
			session_forward(c, &(struct session_news){ .kind = NEWS_STORE_OK,
			    .since_us = t->fail_since_us });
			reserve_make(c);
		}
	}
	t->fail_streak = 0;
	t->alarmed = 0;
	t->nrefusals = 0;
	c->counters.commits++;
	while ((p = TAILQ_FIRST(&t->inflight)) != NULL) {
		struct store_batch *b = &t->batches[i++];

		s = session_by_id(t, p->session_id);
		if (b->refused)
			commit_refused(c, p, b);
		if (p->kind == STORE_EVENTS) {
			size_t nev = p->frame->batch->n_events;

			if (!b->refused) {
				c->counters.events_stored += b->inserted;
				c->counters.events_duplicate += nev - b->inserted;
			}
			if (b->clock_flagged > 0)
				commit_clock(c, p, b, s);
			/* forward: correlation across machines */
			if (b->inserted > 0)
				session_forward(c, &(struct session_news){ .kind = NEWS_BATCH_STORED,
				    .agent = p->agent, .batch = p->frame->batch,
				    .recv_us = p->recv_us });
			if (s != NULL) {
				s->pending_bytes -= p->bytes;
				if (b->up_to > s->ack_to)
					s->ack_to = b->up_to;
				if (!b->refused && !s->to_ack && s->state == SS_RUNNING) {
					s->to_ack = 1;
					t->acks[nacks++] = s;
				}
			}
		}
		t->total_bytes -= p->bytes;
		TAILQ_REMOVE(&t->inflight, p, entry);
		/* Decoded batches are the bulk of the memory: free them at once. */
		frame_free(p->frame);
		free(p);
	}
	log_debug("Committed %zu items; acking %zu sessions.", t->ninflight, nacks);
	t->ninflight = 0;
	for (i = 0; i < nacks; i++) {
		s = t->acks[i];
		s->to_ack = 0;
		session_ack(s);
		if (s->paused && s->pending_bytes < half)
			session_resume(s);
	}
	/* After the acks: what was stored before the refused batch is acknowledged. */
	for (i = 0; i < t->nrefusals; i++) {
		if ((s = session_by_id(t, t->refusals[i].session_id)) != NULL &&
		    (s->state == SS_RUNNING || s->state == SS_HELLO))
			session_protocol_error(s, VIGIL_ERR_DB, "%s", t->refusals[i].why);
	}
	t->nrefusals = 0;
	resume_check(c);
	/* forward: new incidents get their escalation plan */
	session_forward(c, &(struct session_news){ .kind = NEWS_COMMITTED });
}

/* The writer's eventfd became readable. */
void
writer_wake(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;
	struct sessions *t = c->sessions;
	char why[sizeof(t->w.errmsg)];
	uint64_t v;
	int rc, done;

	(void)!read(fd, &v, sizeof(v));
	pthread_mutex_lock(&t->w.mu);
	done = t->w.done;
	t->w.done = 0;
	rc = t->w.rc;
	memcpy(why, t->w.errmsg, sizeof(why));
	pthread_mutex_unlock(&t->w.mu);
	if (!done || !t->busy)
		return;
	t->busy = 0;
	if (rc != 0) {
		commit_failed(c, rc, why);
		return;
	}
	commit_done(c);
	/* What arrived during that commit goes at once: it waited long enough. */
	commit_start(c);
	if (c->stopping && !t->busy && t->npending == 0)
		shutdown_close(c);
}

void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collector *c = arg;

	c->sessions->commit_armed = 0;
	commit_start(c);
}

/* Armed once for all the items that arrive in one turn of the loop. */
void
commit_arm(struct collector *c)
{
	struct sessions *t = c->sessions;
	struct timeval now = { 0, 0 };

	if (t->commit_armed || c->stopping)
		return;
	t->commit_armed = 1;
	evtimer_add(t->commit_ev, &now);
}

/* Wait for the writer to finish what it holds, then end it. */
void
writer_stop(struct writer *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	w->running = 0;
}
