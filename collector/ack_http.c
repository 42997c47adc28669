/*
 * Acknowledge by link, on the office network (issue 11): libevent's evhttp
 * over TLS (the collector's own certificate and key), on its own port, off
 * unless [ack_link] names one.
 *
 *   GET  /a/TOKEN   shows the incident (escaped) and a button; changes nothing:
 *                   mail scanners and chat previews open links.
 *   POST /a/TOKEN   with the form field t=TOKEN acknowledges, once.
 *
 * TOKEN is 32 characters of base64url (192 random bits, store_ack.h), bound to
 * one incident and one contact, single-use and expiring; only its SHA-256 is
 * stored. CSRF: a cross-site form cannot know the token, and the POST must
 * carry it in its body as well as in its path; an Origin or Sec-Fetch-Site
 * header that names another site is refused too. Every answer says
 * Content-Security-Policy "default-src 'none'; form-action 'self';
 * frame-ancestors 'none'; base-uri 'none'" (no script at all, no framing),
 * X-Content-Type-Options nosniff, X-Frame-Options DENY, Referrer-Policy
 * same-origin and Cache-Control no-store. (no-referrer made Chromium send
 * "Origin: null" with the page's own POST: a real browser in t29 found it.) Request sizes are capped by evhttp
 * (headers 8 KiB, body 1 KiB), and each connection has a timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/tls.h"

#include "collector.h"
#include "ack_http.h"
#include "incident.h"
#include "store_ack.h"
#include "template.h"

#define T_(s) i18n_text_in("vi", s)
#define HTTP_BODY_MAX 1024
#define HTTP_HEADERS_MAX 8192
#define HTTP_TIMEOUT_S 15

struct ack_http {
	struct collector *c;
	struct evhttp *http;
	SSL_CTX *ctx;
	/* counters */
	unsigned long long shown, acked, refused;
};

static struct bufferevent *
bev_cb(struct event_base *base, void *arg)
{
	struct ack_http *h = arg;
	SSL *ssl = SSL_new(h->ctx);

	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
}

/* HTML-escaped s, cleaned of control characters, appended to b. */
static void
html(struct evbuffer *b, const char *s)
{
	char clean[TEMPLATE_FIELD_MAX];

	template_clean_line(clean, sizeof(clean), s != NULL ? s : "");
	for (const char *p = clean; *p != '\0'; p++) {
		switch (*p) {
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(b, "&#39;", 5);
			break;
		default:
			evbuffer_add(b, p, 1);
			break;
		}
	}
}

static void
reply(struct evhttp_request *req, int code, const char *reason, struct evbuffer *body)
{
	struct evkeyvalq *o = evhttp_request_get_output_headers(req);

	evhttp_add_header(o, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(o, "Content-Security-Policy", "default-src 'none'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'");
	evhttp_add_header(o, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(o, "X-Frame-Options", "DENY");
	/* same-origin: the page's own POST carries its Origin; no other site learns the link. */
	evhttp_add_header(o, "Referrer-Policy", "same-origin");
	evhttp_add_header(o, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

static void
page(struct evhttp_request *req, int code, const char *reason, const char *title,
    const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\"><title>Vigil</title></head>"
	    "<body><h1>");
	html(b, title);
	evbuffer_add_printf(b, "</h1><p>");
	html(b, text);
	evbuffer_add_printf(b, "</p></body></html>\n");
	reply(req, code, reason, b);
	evbuffer_free(b);
}

struct shown {
	char title[TEMPLATE_FIELD_MAX], status[32], host[TEMPLATE_FIELD_MAX];
	int severity, category;
};

static int
shown_incident(void *arg, const struct store_incident_row *r)
{
	struct shown *s = arg;

	snprintf(s->title, sizeof(s->title), "%s", r->title);
	snprintf(s->status, sizeof(s->status), "%s", r->status);
	snprintf(s->host, sizeof(s->host), "%s", r->agent);
	s->severity = r->severity;
	s->category = r->category;
	return 0;
}

/* The token of a path /a/TOKEN; NULL when the path is anything else. */
static const char *
path_token(const char *uri, char *buf, size_t len)
{
	size_t n;

	if (uri == NULL || strncmp(uri, "/a/", 3) != 0)
		return NULL;
	n = strcspn(uri + 3, "?#");
	if (n != ACK_LINK_TOKEN_LEN || n >= len)
		return NULL;
	memcpy(buf, uri + 3, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!((buf[i] >= 'A' && buf[i] <= 'Z') || (buf[i] >= 'a' && buf[i] <= 'z') ||
		    (buf[i] >= '0' && buf[i] <= '9') || buf[i] == '-' || buf[i] == '_'))
			return NULL;
	return buf;
}

/* A request from another site: an Origin that is not ours, or Sec-Fetch-Site cross-site. */
static int
cross_site(struct ack_http *h, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *origin = evhttp_find_header(in, "Origin");
	const char *site = evhttp_find_header(in, "Sec-Fetch-Site");
	const char *base = h->c->conf.ack_link.url;
	size_t ol;

	if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return 1;
	/* "null": a browser that hides the origin; Sec-Fetch-Site (above) and the token decide. */
	if (origin == NULL || strcmp(origin, "null") == 0)
		return 0;
	/* The origin is the base URL's scheme, host and port: its prefix up to the path. */
	ol = strlen(origin);
	return strncasecmp(base, origin, ol) != 0 || (base[ol] != '\0' && base[ol] != '/');
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct ack_http *h = arg;
	struct collector *c = h->c;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char token[ACK_LINK_TOKEN_LEN + 1], form[HTTP_BODY_MAX + 1], err[256], how[300], when[64];
	char *peer = NULL;
	const char *t;
	const char *tok;
	struct store_ack_link l;
	struct shown s;
	struct incident_request rq;
	struct evbuffer *b;
	struct evkeyvalq q;
	size_t n;
	ev_uint16_t port;
	int64_t now = clock_now_us();

	if ((tok = path_token(evhttp_request_get_uri(req), token, sizeof(token))) == NULL) {
		h->refused++;
		c->counters.links_refused_invalid++;
		page(req, 404, "Not Found", T_("Link not found"), T_("This link is not valid."));
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST) {
		evhttp_send_error(req, 405, NULL);
		return;
	}
	/* One answer for unknown, altered, expired and used links: the page says no more. */
	memset(&l, 0, sizeof(l));
	if (store_ack_link_get(c->store, tok, &l) != 0 || l.expires_us <= now || l.used_us != 0) {
		h->refused++;
		if (l.incident == 0)
			c->counters.links_refused_invalid++;
		else if (l.used_us != 0)
			c->counters.links_refused_used++;
		else
			c->counters.links_refused_expired++;
		page(req, 410, "Gone", T_("Link no longer valid"),
		    T_("This link was used already, has expired, or is not valid. Nothing was changed."));
		return;
	}
	memset(&s, 0, sizeof(s));
	if (store_get_incident(c->store, l.incident, shown_incident, NULL, &s) != 0 &&
	    s.title[0] == '\0') {
		page(req, 500, "Internal Server Error", T_("Error"), T_("The incident cannot be read."));
		return;
	}
	if (cmd == EVHTTP_REQ_GET) {
		h->shown++;
		if ((b = evbuffer_new()) == NULL) {
			evhttp_send_error(req, 500, NULL);
			return;
		}
		evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width\"><title>Vigil</title>"
		    "</head><body><h1>");
		html(b, template_severity(s.severity, 0));
		evbuffer_add_printf(b, " — ");
		html(b, template_category(s.category, 0));
		evbuffer_add_printf(b, "</h1><p>");
		html(b, s.title);
		evbuffer_add_printf(b, "</p><p>%s ", T_("Machine:"));
		html(b, s.host);
		evbuffer_add_printf(b, "</p><p>%s #%lld, ", T_("Incident:"), (long long)l.incident);
		html(b, s.status);
		evbuffer_add_printf(b, "</p><form method=\"post\" action=\"/a/%s\">"
		    "<input type=\"hidden\" name=\"t\" value=\"%s\"><button type=\"submit\">", tok, tok);
		html(b, T_("Acknowledge: I have received it"));
		evbuffer_add_printf(b, "</button></form></body></html>\n");
		reply(req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	/* POST: the token again in the form, from our own page. */
	b = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(b);
	if (n > HTTP_BODY_MAX)
		n = HTTP_BODY_MAX;
	evbuffer_copyout(b, form, n);
	form[n] = '\0';
	memset(&q, 0, sizeof(q));
	q.tqh_first = NULL;
	q.tqh_last = &q.tqh_first;      /* TAILQ_INIT, which libevent's header does not export */
	if (cross_site(h, req) || evhttp_parse_query_str(form, &q) != 0 ||
	    (t = evhttp_find_header(&q, "t")) == NULL || strcmp(t, tok) != 0) {
		evhttp_clear_headers(&q);
		h->refused++;
		c->counters.links_refused_invalid++;
		page(req, 403, "Forbidden", T_("Refused"),
		    T_("This request did not come from the acknowledgement page. Nothing was changed."));
		return;
	}
	evhttp_clear_headers(&q);
	if (strcmp(s.status, "new") != 0) {
		h->refused++;
		c->counters.links_refused_used++;
		page(req, 409, "Conflict", T_("Already acknowledged"),
		    T_("The incident was acknowledged already. Nothing was changed."));
		return;
	}
	if (store_ack_link_use(c->store, tok, now) != 0) {
		h->refused++;
		c->counters.links_refused_used++;
		page(req, 410, "Gone", T_("Link no longer valid"),
		    T_("This link was used already, has expired, or is not valid. Nothing was changed."));
		return;
	}
	evhttp_connection_get_peer(evhttp_request_get_connection(req), &peer, &port);
	text_time_rfc3339(when, sizeof(when), now);
	snprintf(how, sizeof(how), "by link from %s at %s", peer != NULL ? peer : "?", when);
	memset(&rq, 0, sizeof(rq));
	rq.id = l.incident;
	rq.act = INCIDENT_ACT_ACK;
	rq.actor = l.contact;
	rq.text = how;
	if (incident_act(c, &rq, err, sizeof(err)) != 0) {
		log_warnx("A link could not acknowledge incident %lld: %s.", (long long)l.incident,
		    err);
		page(req, 500, "Internal Server Error", T_("Error"), err);
		return;
	}
	h->acked++;
	c->counters.links_acknowledged++;
	log_info("Incident %lld acknowledged by %s by link from %s.", (long long)l.incident,
	    l.contact, peer != NULL ? peer : "?");
	page(req, 200, "OK", T_("Acknowledged"),
	    T_("Thank you: the incident is acknowledged and the escalation has stopped."));
}

struct ack_http *
ack_http_open(struct collector *c, char *err, size_t errlen)
{
	const struct conf_ack_link *al = &c->conf.ack_link;
	struct tls_opts topts;
	struct ack_http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->c = c;
	memset(&topts, 0, sizeof(topts));
	topts.ca = c->conf.collector.ca;
	topts.cert = al->cert[0] != '\0' ? al->cert : c->conf.collector.cert;
	topts.key = al->key[0] != '\0' ? al->key : c->conf.collector.key;
	topts.groups = c->conf.collector.groups;
	if ((h->ctx = tls_server_ctx(&topts, err, errlen)) == NULL)
		goto fail;
	/* Browsers show no client certificate; phones and older office PCs may stop at 1.2. */
	SSL_CTX_set_verify(h->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION);
	if ((h->http = evhttp_new(c->base)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	evhttp_set_bevcb(h->http, bev_cb, h);
	evhttp_set_max_headers_size(h->http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(h->http, HTTP_BODY_MAX);
	evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_gencb(h->http, on_request, h);
	if (evhttp_bind_socket_with_handle(h->http, al->listen, (ev_uint16_t)al->port) == NULL) {
		snprintf(err, errlen, "cannot listen on %s port %lld for acknowledgement links",
		    al->listen, al->port);
		goto fail;
	}
	log_info("Acknowledgement links: https on %s port %lld, as %s.", al->listen, al->port,
	    al->url);
	return h;
fail:
	ack_http_free(h);
	return NULL;
}

void
ack_http_free(struct ack_http *h)
{
	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	SSL_CTX_free(h->ctx);
	free(h);
}
