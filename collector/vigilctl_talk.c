/*
 * vigilctl's side of the control socket (vigil/ctl.h): one request line out,
 * JSON lines in, bounded in size and time; --json prints them as they come.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/ctl.h"
#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/json.h"
#include "vigil/names.h"
#include "vigil/pki.h"
#include "vigil/text.h"
#include "vigil/tls.h"

#include "vigilctl.h"

/* ---- talking to the daemon ---- */

void
req_add(struct request *r, const char *key, const char *value)
{
	int n;

	if (key == NULL)
		n = snprintf(r->buf + r->len, sizeof(r->buf) - r->len, "%s", value);
	else
		n = snprintf(r->buf + r->len, sizeof(r->buf) - r->len, "\t%s=%s", key, value);
	if (n < 0 || (size_t)n >= sizeof(r->buf) - r->len - 1)
		r->overflow = 1;
	else
		r->len += (size_t)n;
}

void
req_add_ll(struct request *r, const char *key, long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", v);
	req_add(r, key, num);
}

static int
connect_daemon(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = {.tv_sec = READ_TIMEOUT_S};
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die(EXIT_UNREACHABLE,
		    _("Cannot reach the collector: the socket path %s is longer "
		    "than %zu bytes."),
		    path, sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(EXIT_UNREACHABLE, _("Cannot make a socket: %s."), strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die(EXIT_UNREACHABLE,
		    _("Cannot reach the collector at %s: %s. Is vigil-collector "
		    "running? (-s SOCKET or VIGIL_CONTROL_SOCKET name another socket.)"),
		    path, strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die(EXIT_UNREACHABLE, _("Cannot set a timeout on the socket: %s."), strerror(errno));
	return fd;
}

/*
 * Strict JSON allows DEL and C1 controls raw inside strings; a terminal
 * may act on them, so --json writes them as \u escapes and drops a carriage
 * return between tokens. Every other byte goes out as received.
 */
static void
print_json_line(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r')
			continue; /* white space between tokens, but it moves the cursor */
		else if (p[i] == 0x7f)
			fputs("\\u007f", stdout);
		else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			printf("\\u00%02x", p[++i]);
		else
			putchar(p[i]);
	}
	putchar('\n');
}

/* One response line: an error ends the program; otherwise print or keep it. */
static void
take_line(const struct opts *o, const char *line, size_t len, struct reply *r)
{
	const struct json_member *e;
	struct json_object *obj;
	char err[256];
	const char *sep;
	char *msg;

	if (len == 0)
		return;
	if (json_parse(line, len, &obj, err, sizeof(err)) != 0)
		die(EXIT_DAEMON, _("The collector sent a line that is not a valid JSON object (%s)."),
		    err);
	if ((e = json_get(obj, "error")) != NULL) {
		const struct json_member *k = json_get(obj, "kind");

		msg = escaped(e->str, e->len);
		sep = talk_where != NULL ? ": " : "";
		/* The collector found a value of the request wrong: the caller's mistake, as ours. */
		if (k != NULL && k->str != NULL && strcmp(k->str, "usage") == 0)
			usage_error("%s%s%s", talk_where != NULL ? talk_where : "", sep, msg);
		fprintf(stderr, "vigilctl: %s%s%s\n", talk_where != NULL ? talk_where : "", sep, msg);
		exit(EXIT_DAEMON);
	}
	if ((e = json_get(obj, "type")) != NULL && e->str != NULL && strcmp(e->str, "zone") == 0) {
		zone_take(obj);
		json_free(obj);
		return;
	}
	if ((e = json_get(obj, "type")) != NULL && e->str != NULL && strcmp(e->str, "cursor") == 0) {
		const struct json_member *a = json_get(obj, "after");

		if (a == NULL || json_int(a, &r->cursor) != 0 || r->cursor < 0)
			die(EXIT_DAEMON, _("The collector sent a bad cursor."));
		r->has_cursor = 1;
		json_free(obj);
		return;
	}
	if (o->json) {
		print_json_line(line, len);
		json_free(obj);
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->obj = xreallocarray(r->obj, r->cap, sizeof(*r->obj));
	}
	r->obj[r->n++] = obj;
}

const char *talk_where;

/* Send the request and read the whole response into r (or print it, --json). */
void
talk(const struct opts *o, struct request *req, struct reply *r)
{
	unsigned long long total = 0;
	size_t len = 0, start, i;
	char *buf, *nl;
	ssize_t n;
	int fd;

	/* Times for people are shown in the collector's zone; --json keeps its UTC times. */
	if (!o->json)
		req_add(req, "zone", "1");
	if (req->overflow)
		usage_error(_("The request is longer than %d bytes."), CTL_MAX_REQUEST);
	req->buf[req->len++] = '\n';
	fd = connect_daemon(o->socket);
	for (i = 0; i < req->len; i += (size_t)n) {
		n = send(fd, req->buf + i, req->len - i, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			die(EXIT_UNREACHABLE, _("Cannot send the request to %s: %s."), o->socket,
			    strerror(errno));
	}
	buf = xreallocarray(NULL, LINE_MAX_BYTES + 1, 1);
	for (;;) {
		n = read(fd, buf + len, LINE_MAX_BYTES + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			die(EXIT_UNREACHABLE, _("The collector at %s did not answer for %d seconds."),
			    o->socket, READ_TIMEOUT_S);
		if (n == -1)
			die(EXIT_UNREACHABLE, _("Cannot read from %s: %s."), o->socket,
			    strerror(errno));
		if (n == 0)
			break;
		total += (unsigned long long)n;
		if (total > RESPONSE_MAX)
			die(EXIT_DAEMON,
			    _("The response is larger than %llu MiB; narrow the query "
			    "(--since, --until, --limit)."),
			    RESPONSE_MAX >> 20);
		start = 0;
		len += (size_t)n;
		while ((nl = memchr(buf + start, '\n', len - start)) != NULL) {
			take_line(o, buf + start, (size_t)(nl - (buf + start)), r);
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (len > LINE_MAX_BYTES)
			die(EXIT_DAEMON, _("The collector sent a line longer than %u bytes."),
			    LINE_MAX_BYTES);
	}
	close(fd);
	free(buf);
	if (len > 0)
		die(EXIT_DAEMON, _("The collector's response ended in the middle of a line."));
}

void
reply_free(struct reply *r)
{
	for (size_t i = 0; i < r->n; i++)
		json_free(r->obj[i]);
	free(r->obj);
}

/* A command without options or arguments of its own: the daemon's reply to it in r. */
void
talk_plain(const struct command *cmd, struct opts *o, int argc, char **argv, struct reply *r)
{
	struct request req = {.len = 0};

	while (next_opt(cmd, o, argc, argv) != -1)
		;
	no_more_args(argc, argv);
	req_add(&req, NULL, cmd->request);
	talk(o, &req, r);
}
