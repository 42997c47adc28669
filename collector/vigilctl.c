/*
 * vigilctl: the operator's command line. It sends one request line to the
 * collector's control socket (ctl.h), reads the JSON lines that come back,
 * and prints them as tables for people or as they are with --json. The pki
 * commands make certificates locally and need no daemon.
 *
 * Exit codes: 0 ok, 1 the daemon reported an error (or answered nonsense, or
 * a pki step failed), 2 usage error, 3 the daemon cannot be reached.
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
#include "vigil/json.h"
#include "vigil/names.h"
#include "vigil/pki.h"
#include "vigil/text.h"
#include "vigil/tls.h"

#define EXIT_DAEMON 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

#define LINE_MAX_BYTES JSON_MAX_INPUT /* one response line */
#define RESPONSE_MAX (256ull << 20)   /* the whole response */
#define READ_TIMEOUT_S 60
#define PKI_DAYS_DEFAULT 825
#define WIDTH_NOT_TTY 160
#define COLUMN_MAX 40 /* code points in any column but the last */
#define LAST_COLUMN_MIN 12
#define ELLIPSIS "\xe2\x80\xa6"

struct opts {
	const char *socket;
	int json;
};

/* --csv: tables as RFC 4180 CSV instead of aligned columns. */
static int output_csv;

/* The objects of a response, kept for table output. */
struct reply {
	struct json_object **obj;
	size_t n, cap;
};

struct table {
	size_t ncols;
	const char *const *heads;
	const unsigned char *right; /* per column: align right */
	char **cells;               /* nrows * ncols, escaped for display */
	size_t nrows, caprows;
};

struct request {
	char buf[CTL_MAX_REQUEST];
	size_t len;
	int overflow;
};

static const char usage_text[] =
    "usage: vigilctl [-s SOCKET] [--json|--csv] COMMAND [ARGS]\n"
    "\n"
    "  status                          the collector's state and counters\n"
    "  agents                          known agents: last seen, on / off (why) / silent\n"
    "  events [--since DURATION|TIME] [--until TIME] [--agent ID]\n"
    "         [--category C] [--severity S] [--limit N]\n"
    "                                  stored events, oldest first\n"
    "  incidents [--all|--status S] [--severity S] [--category C] [--unit U]\n"
    "            [--host H] [--assignee USER|--mine] [--limit N]\n"
    "                                  the queue: open first, by severity, then age\n"
    "  incident show N                 the incident and its timeline: events,\n"
    "                                  notifications and their attempts, every action\n"
    "  incident ack N | assign N USER | note N TEXT | resolve N --as R | reopen N\n"
    "         | escalate N LEVEL       act on it (group vigil-operators); R is\n"
    "                                  true_positive, false_positive, duplicate or benign\n"
    "  audit verify                    check the audit trail's hash chain; names the first\n"
    "                                  edited or deleted record (exit status 1)\n"
    "  escalation test --category C --severity S [--unit U] [--host H] [--rule R]\n"
    "                                  who would be notified, when, how; sends nothing\n"
    "  compliance [--unit U]           per unit: machines, compliant, percent of the 100 %\n"
    "                                  target; then each non-compliant machine and why\n"
    "                                  (a report: exit status 0 even below the target)\n"
    "  pki init DIR [--name NAME]... [--days N]\n"
    "                                  make a CA and a collector certificate\n"
    "  pki issue DIR AGENT_ID [--days N] [--backdate-days N]\n"
    "                                  issue an agent certificate\n"
    "\n"
    "  -s SOCKET    the control socket (default: $VIGIL_CONTROL_SOCKET, else " CTL_SOCKET_DEFAULT
    ")\n"
    "  --json       print one JSON object per line, as the collector sends them\n"
    "  --csv        print tables as CSV (for a spreadsheet)\n"
    "\n"
    "DURATION is 90s, 15m, 2h or 7d before now. TIME is 2026-11-25, 2026-11-25T10:00:00\n"
    "or \"2026-11-25 10:00\", in local time unless it ends in Z or +HH:MM.\n"
    "Exit status: 0 ok, 1 the collector reported an error, 2 usage, 3 collector unreachable.\n";

static void usage(void) __attribute__((noreturn));
static void usage_error(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(int, const char *, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void bad_name(const char *, const char *, const char *(*)(int)) __attribute__((noreturn));

static void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vigilctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	usage();
}

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vigilctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		die(EXIT_DAEMON, "Out of memory.");
	return p;
}

/* s made safe for a terminal: control characters and bad UTF-8 escaped. */
static char *
escaped(const char *s, size_t len)
{
	char *d;

	if (len > (SIZE_MAX - 1) / 4)
		die(EXIT_DAEMON, "Out of memory.");
	d = xreallocarray(NULL, len * 4 + 1, 1);
	text_escape(d, len * 4 + 1, s, len);
	return d;
}

static int
parse_int(const char *s, long long min, long long max, long long *v)
{
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v < min || *v > max)
		return -1;
	return 0;
}

/* ---- times ---- */

static int
digits(const char **p, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * "2026-11-25", "2026-11-25T10:00", "2026-11-25 10:00:00.5", each with an
 * optional "Z" or "+HH:MM" after the time; local time without a zone.
 */
static int
parse_time_us(const char *s, long long *us)
{
	struct tm tm;
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, off = 0, zone = 0, nd, sign;
	long long frac = 0;
	time_t t;

	if (digits(&p, 4, &y) || *p != '-' || (p++, digits(&p, 2, &mo)) || *p != '-' ||
	    (p++, digits(&p, 2, &d)))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p != ':' || (p++, digits(&p, 2, &mi)))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.') {
				for (p++, nd = 0; isdigit((unsigned char)*p); p++, nd++)
					if (nd < 6)
						frac = frac * 10 + (*p - '0');
				if (nd == 0 || nd > 9)
					return -1;
				for (; nd < 6; nd++)
					frac *= 10;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			zone = 1;
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh) || *p != ':' || (p++, digits(&p, 2, &om)) ||
			    oh > 23 || om > 59)
				return -1;
			zone = 1;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if (zone)
		t = timegm(&tm) - off;
	else {
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return -1;
	}
	*us = (long long)t * 1000000 + frac;
	return 0;
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A --since or --until argument: a duration before now, or a time. */
static long long
time_arg(const char *opt, const char *s)
{
	long long ms, us;

	if (text_parse_duration_ms(s, &ms) == 0 && ms <= now_us() / 1000)
		return now_us() - ms * 1000;
	if (parse_time_us(s, &us) == 0)
		return us;
	usage_error("%s wants a duration (90s, 15m, 2h, 7d) or a time (2026-11-25, "
	            "2026-11-25T10:00:00, \"2026-11-25 10:00\", optionally ending in Z or +HH:MM).",
	            opt);
}

/* An RFC 3339 time from the daemon in local time; the text itself if it is not one. */
static void
local_time(char *dst, size_t len, const char *rfc3339, int with_zone)
{
	struct tm tm;
	long long us;
	time_t t;

	if (parse_time_us(rfc3339, &us) != 0) {
		snprintf(dst, len, "%s", rfc3339);
		return;
	}
	t = (time_t)(us / 1000000);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(dst, len, with_zone ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(dst, len, "%s", rfc3339);
}

/* ---- tables ---- */

static size_t
display_width(const char *s)
{
	size_t w = 0;

	/* Escaped text is valid UTF-8: count the characters. */
	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* Print s in at most maxw columns, cut with an ellipsis; returns the columns used. */
static size_t
print_cut(const char *s, size_t maxw)
{
	size_t w = display_width(s), i, n;

	if (w <= maxw) {
		fputs(s, stdout);
		return w;
	}
	if (maxw == 0)
		return 0;
	for (i = 0, n = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == maxw - 1)
			break;
	}
	fwrite(s, 1, i, stdout);
	fputs(ELLIPSIS, stdout);
	return maxw;
}

static void
table_init(struct table *t, const char *const *heads, const unsigned char *right, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->heads = heads;
	t->right = right;
	t->ncols = ncols;
}

/* Add a row of raw values (NULL or "" shows as "-"); they are escaped here. */
static void
table_add(struct table *t, const char *const *vals)
{
	const char *v;

	if (t->nrows == t->caprows) {
		t->caprows = t->caprows ? t->caprows * 2 : 64;
		t->cells = xreallocarray(t->cells, t->caprows, t->ncols * sizeof(char *));
	}
	for (size_t c = 0; c < t->ncols; c++) {
		v = vals[c] != NULL && vals[c][0] != '\0' ? vals[c] : "-";
		t->cells[t->nrows * t->ncols + c] = escaped(v, strlen(v));
	}
	t->nrows++;
}

static size_t
term_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return WIDTH_NOT_TTY;
}

static void
pad(size_t n)
{
	while (n-- > 0)
		putchar(' ');
}

static void
print_row(const struct table *t, const char *const *cells, const size_t *width, size_t avail)
{
	size_t c, w, last = t->ncols - 1;

	for (c = 0; c < last; c++) {
		w = display_width(cells[c]);
		if (w > width[c])
			w = width[c];
		if (t->right[c])
			pad(width[c] - w);
		print_cut(cells[c], width[c]);
		if (!t->right[c])
			pad(width[c] - w);
		fputs("  ", stdout);
	}
	print_cut(cells[last], avail);
	putchar('\n');
}

/*
 * One CSV field: quoted when it holds a comma, a quote or a space; a value
 * a spreadsheet would run as a formula (=, +, @) is prefixed with a quote.
 */
static void
csv_field(const char *s, int last)
{
	int quote = strpbrk(s, ",\" ") != NULL;

	if (quote)
		putchar('"');
	if (*s == '=' || *s == '+' || *s == '@')
		putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	if (quote)
		putchar('"');
	putchar(last ? '\n' : ',');
}

static void
table_print_csv(const struct table *t)
{
	size_t c, r;

	for (c = 0; c < t->ncols; c++)
		csv_field(t->heads[c], c + 1 == t->ncols);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			csv_field(t->cells[r * t->ncols + c], c + 1 == t->ncols);
}

static void
table_print(const struct table *t)
{
	size_t width[16], used = 0, avail, c, r, w;

	if (output_csv) {
		table_print_csv(t);
		return;
	}
	if (t->ncols > sizeof(width) / sizeof(width[0]))
		die(EXIT_DAEMON, "A table has too many columns.");
	for (c = 0; c < t->ncols; c++) {
		width[c] = display_width(t->heads[c]);
		for (r = 0; r < t->nrows; r++)
			if ((w = display_width(t->cells[r * t->ncols + c])) > width[c])
				width[c] = w;
		if (c + 1 < t->ncols && width[c] > COLUMN_MAX)
			width[c] = COLUMN_MAX;
		if (c + 1 < t->ncols)
			used += width[c] + 2;
	}
	avail = term_width();
	avail = avail > used + LAST_COLUMN_MIN ? avail - used : LAST_COLUMN_MIN;
	print_row(t, t->heads, width, avail);
	for (r = 0; r < t->nrows; r++)
		print_row(t, (const char *const *)&t->cells[r * t->ncols], width, avail);
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* ---- values from the daemon ---- */

/* A member as text: strings decoded, numbers as written, "" when absent or null. */
static const char *
val(const struct json_object *o, const char *key)
{
	const struct json_member *m = json_get(o, key);

	if (m == NULL || m->type == JSON_NULL || m->type == JSON_OBJECT)
		return "";
	return m->str;
}

/* ---- posture and compliance ---- */

/* "yes", "no", or "" (shown as "-") when absent or null. */
static const char *
bool_yes_no(const struct json_object *o, const char *key)
{
	const struct json_member *m = json_get(o, key);

	if (m == NULL || m->type != JSON_BOOL)
		return "";
	return strcmp(m->str, "true") == 0 ? "yes" : "no";
}

static int
is_time_key(const char *key)
{
	return strcmp(key, "time") == 0 || strcmp(key, "received") == 0 ||
	       strcmp(key, "first_seen") == 0 || strcmp(key, "last_seen") == 0 ||
	       /* incidents, audit, escalation */
	       strcmp(key, "opened") == 0 || strcmp(key, "acknowledged") == 0 ||
	       strcmp(key, "resolved") == 0;
}

static void
print_kv_block(const struct json_member *m, size_t n, int indent)
{
	size_t keyw = 0, i, w;
	char when[64], *k, *v;
	const char *shown;

	for (i = 0; i < n; i++) {
		k = escaped(m[i].key, strlen(m[i].key));
		if ((w = display_width(k)) > keyw)
			keyw = w;
		free(k);
	}
	for (i = 0; i < n; i++) {
		k = escaped(m[i].key, strlen(m[i].key));
		pad((size_t)indent);
		fputs(k, stdout);
		putchar(':');
		if (m[i].type == JSON_OBJECT) {
			putchar('\n');
			print_kv_block(m[i].members, m[i].nmembers, indent + 2);
			free(k);
			continue;
		}
		pad(keyw - display_width(k) + 1);
		free(k);
		shown = m[i].type == JSON_NULL ? "-" : m[i].str;
		if (m[i].type == JSON_STRING && is_time_key(m[i].key)) {
			local_time(when, sizeof(when), m[i].str, 1);
			shown = when;
		}
		v = escaped(shown, strlen(shown));
		puts(v);
		free(v);
	}
}

static void
print_kv(const struct json_object *o)
{
	const struct json_member *m;
	size_t n;

	m = json_members(o, &n);
	print_kv_block(m, n, 0);
}

/*
 * TIME is the agent's clock, kept as sent. An implausible one ("clock" ahead
 * or behind) is marked with "!" and the time the collector received the
 * event stands beside it, in RECEIVED.
 */
static void
print_events(const struct reply *r, size_t from)
{
	static const char *const heads[] = {"TIME",     "RECEIVED", "AGENT", "SEVERITY",
	                                    "CATEGORY", "RULE",     "SUMMARY"};
	static const unsigned char right[] = {0, 0, 0, 0, 0, 0, 0};
	struct table t;
	char when[64], recv[64];

	table_init(&t, heads, right, 7);
	for (size_t i = from; i < r->n; i++) {
		const struct json_object *o = r->obj[i];
		int odd = strcmp(val(o, "clock"), "ahead") == 0 ||
		    strcmp(val(o, "clock"), "behind") == 0;

		local_time(when, sizeof(when), val(o, "time"), 0);
		recv[0] = '\0';
		if (odd) {
			strncat(when, "!", sizeof(when) - strlen(when) - 1);
			local_time(recv, sizeof(recv), val(o, "received"), 0);
		}
		table_add(&t, (const char *const[]){when, recv, val(o, "agent"), val(o, "severity"),
		                                    val(o, "category"), val(o, "rule"),
		                                    val(o, "summary")});
	}
	table_print(&t);
	table_free(&t);
}

/*
 * What an agent had to drop or cut, all counters summed ("" before its first
 * heartbeat): a non-zero figure is the cue to look at --json.
 */
static const char *
drops(const struct json_object *o, char *buf, size_t len)
{
	static const char *const keys[] = {"dropped", "lines_truncated", "events_rejected",
	                                   "rule_evictions", "uevents_spoofed", "uevents_lost"};
	const struct json_member *m;
	long long v, sum = 0;
	int any = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((m = json_get(o, keys[i])) != NULL && json_int(m, &v) == 0) {
			sum += v;
			any = 1;
		}
	if (!any)
		return "";
	snprintf(buf, len, "%lld", sum);
	return buf;
}

/* "ok", or how far the agent's clock is off: "+2h", "-3d". */
static void
clock_shown(const struct json_object *o, char *buf, size_t len)
{
	const struct json_member *m;
	long long off = 0, a;

	if (strcmp(val(o, "clock"), "ok") == 0 || (m = json_get(o, "clock_offset_s")) == NULL ||
	    json_int(m, &off) != 0) {
		snprintf(buf, len, "%s", val(o, "clock"));
		return;
	}
	/* Rounded: a clock 2 h ahead, measured a second late, is still "+2h". */
	a = off < 0 ? -off : off;
	if (a >= 86400)
		snprintf(buf, len, "%c%lldd", off < 0 ? '-' : '+', (a + 43200) / 86400);
	else if (a >= 3600 - 1800)
		snprintf(buf, len, "%c%lldh", off < 0 ? '-' : '+', (a + 1800) / 3600);
	else
		snprintf(buf, len, "%c%lldm", off < 0 ? '-' : '+', (a + 30) / 60);
}

static void
print_agents(const struct reply *r)
{
	/* AGENT is the certificate's identity; CLAIMED-HOST what the agent says of itself. */
	static const char *const heads[] = {"AGENT",     "CLAIMED-HOST", "UNIT",   "VERSION",
	                                    "OS",        "ADDRESS",      "LAST-SEEN", "CLOCK",
	                                    "STATE",     "AV",           "SIG-AGE", "SEC-UPD",
	                                    "REBOOT",    "COMPLIANT",    "DROPS"};
	static const unsigned char right[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1};
	struct table t;
	char when[64], nd[32], clock[32], st[64];

	table_init(&t, heads, right, 15);
	for (size_t i = 0; i < r->n; i++) {
		const struct json_object *o = r->obj[i];

		local_time(when, sizeof(when), val(o, "last_seen"), 0);
		clock_shown(o, clock, sizeof(clock));
		/* "off (shutdown)": switched off on purpose, and why; "silent": stopped without a word. */
		if (strcmp(val(o, "state"), "off") == 0)
			snprintf(st, sizeof(st), "off (%s)", val(o, "off_reason"));
		else
			snprintf(st, sizeof(st), "%s", val(o, "state"));
		table_add(&t, (const char *const[]){
		                  val(o, "agent"), val(o, "hostname"), val(o, "unit"),
		                  val(o, "version"), val(o, "os"), val(o, "address"), when, clock, st,
		                  val(o, "av"),
		                  val(o, "signatures_age_days"), val(o, "security_updates"),
		                  bool_yes_no(o, "reboot_required"), bool_yes_no(o, "compliant"),
		                  drops(o, nd, sizeof(nd))});
	}
	table_print(&t);
	table_free(&t);
}

static void
print_incidents(const struct reply *r)
{
	/* incidents, audit, escalation: the queue, open first, by severity, then age. */
	static const char *const heads[] = {"ID",    "SEVERITY", "STATUS", "ASSIGNEE", "UNIT",
	                                    "AGENT", "EVENTS",   "FIRST",  "LAST",     "TITLE"};
	static const unsigned char right[] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0};
	struct table t;
	char first[64], last[64];

	table_init(&t, heads, right, 10);
	for (size_t i = 0; i < r->n; i++) {
		const struct json_object *o = r->obj[i];

		local_time(first, sizeof(first), val(o, "first_seen"), 0);
		local_time(last, sizeof(last), val(o, "last_seen"), 0);
		table_add(&t, (const char *const[]){val(o, "id"), val(o, "severity"),
		                                    val(o, "status"), val(o, "assignee"),
		                                    val(o, "unit"), val(o, "agent"), val(o, "events"),
		                                    first, last, val(o, "title")});
	}
	table_print(&t);
	table_free(&t);
}

/* ---- talking to the daemon ---- */

static void
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

static void
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
		    "Cannot reach the collector: the socket path %s is longer "
		    "than %zu bytes.",
		    path, sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(EXIT_UNREACHABLE, "Cannot make a socket: %s.", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die(EXIT_UNREACHABLE,
		    "Cannot reach the collector at %s: %s. Is vigil-collector "
		    "running? (-s SOCKET or VIGIL_CONTROL_SOCKET name another socket.)",
		    path, strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die(EXIT_UNREACHABLE, "Cannot set a timeout on the socket: %s.", strerror(errno));
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
	char *msg;

	if (len == 0)
		return;
	if (json_parse(line, len, &obj, err, sizeof(err)) != 0)
		die(EXIT_DAEMON, "The collector sent a line that is not a valid JSON object (%s).",
		    err);
	if ((e = json_get(obj, "error")) != NULL) {
		msg = escaped(e->str, e->len);
		fprintf(stderr, "vigilctl: %s\n", msg);
		exit(EXIT_DAEMON);
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

/* Send the request and read the whole response into r (or print it, --json). */
static void
talk(const struct opts *o, struct request *req, struct reply *r)
{
	unsigned long long total = 0;
	size_t len = 0, start, i;
	char *buf, *nl;
	ssize_t n;
	int fd;

	if (req->overflow)
		usage_error("The request is longer than %d bytes.", CTL_MAX_REQUEST);
	req->buf[req->len++] = '\n';
	fd = connect_daemon(o->socket);
	for (i = 0; i < req->len; i += (size_t)n) {
		n = send(fd, req->buf + i, req->len - i, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			die(EXIT_UNREACHABLE, "Cannot send the request to %s: %s.", o->socket,
			    strerror(errno));
	}
	buf = xreallocarray(NULL, LINE_MAX_BYTES + 1, 1);
	for (;;) {
		n = read(fd, buf + len, LINE_MAX_BYTES + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			die(EXIT_UNREACHABLE, "The collector at %s did not answer for %d seconds.",
			    o->socket, READ_TIMEOUT_S);
		if (n == -1)
			die(EXIT_UNREACHABLE, "Cannot read from %s: %s.", o->socket,
			    strerror(errno));
		if (n == 0)
			break;
		total += (unsigned long long)n;
		if (total > RESPONSE_MAX)
			die(EXIT_DAEMON,
			    "The response is larger than %llu MiB; narrow the query "
			    "(--since, --until, --limit).",
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
			die(EXIT_DAEMON, "The collector sent a line longer than %u bytes.",
			    LINE_MAX_BYTES);
	}
	close(fd);
	free(buf);
	if (len > 0)
		die(EXIT_DAEMON, "The collector's response ended in the middle of a line.");
}

static void
reply_free(struct reply *r)
{
	for (size_t i = 0; i < r->n; i++)
		json_free(r->obj[i]);
	free(r->obj);
}

/* ---- commands ---- */

/* getopt_long over a command's own arguments; argv[0] is the command. */
static int
next_opt(struct opts *o, int argc, char **argv, const char *shortopts,
         const struct option *longopts, const char *cmd)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c == 'J') {
			o->json = 1;
			continue;
		}
		if (c == 'C') {
			output_csv = 1;
			continue;
		}
		if (c == '?')
			usage_error("%s: unknown option or missing value: %s.", cmd,
			            argv[optind - 1]);
		return c;
	}
}

static void
no_more_args(int argc, char **argv, const char *cmd)
{
	if (optind < argc)
		usage_error("%s: unexpected argument: %s.", cmd, argv[optind]);
}

/* A command without options or arguments of its own: the daemon's reply to it in r. */
static void
talk_plain(struct opts *o, int argc, char **argv, const char *cmd, struct reply *r)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'}, {0}};
	struct request req = {.len = 0};

	while (next_opt(o, argc, argv, "", longopts, cmd) != -1)
		;
	no_more_args(argc, argv, cmd);
	req_add(&req, NULL, cmd);
	talk(o, &req, r);
}

static int
cmd_status(struct opts *o, int argc, char **argv)
{
	struct reply r = {0};

	talk_plain(o, argc, argv, "status", &r);
	if (!o->json) {
		if (r.n == 0)
			die(EXIT_DAEMON, "The collector sent no status.");
		for (size_t i = 0; i < r.n; i++)
			print_kv(r.obj[i]);
	}
	reply_free(&r);
	return 0;
}

static int
cmd_agents(struct opts *o, int argc, char **argv)
{
	struct reply r = {0};

	talk_plain(o, argc, argv, "agents", &r);
	if (!o->json) {
		if (r.n == 0)
			puts("No agents are known yet.");
		else
			print_agents(&r);
	}
	reply_free(&r);
	return 0;
}

static void
bad_name(const char *what, const char *given, const char *(*name)(int))
{
	char list[512];
	size_t used = 0;
	char *g = escaped(given, strlen(given));

	list[0] = '\0';
	for (int i = 1; strcmp(name(i), "unknown") != 0 && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		                         i > 1 ? ", " : "", name(i));
	usage_error("Unknown %s \"%s\"; use one of: %s.", what, g, list);
}

/* A name for the daemon: no TAB or newline (the request's separators), bounded. */
static const char *
name_opt(const char *opt, const char *v)
{
	if (v[0] == '\0' || strlen(v) > 255 || strpbrk(v, "\t\r\n") != NULL)
		usage_error("%s wants a name of 1 to 255 bytes without tabs or newlines.", opt);
	return v;
}

/* The filters events, incidents and escalation test share; -1 and NULL: not given. */
struct filter {
	int cat, sev;
	const char *unit, *host;
	long long limit;
};

/* Take option c if it is one of the filters; usage_error() if its value is bad. */
static void
filter_opt(struct filter *f, int c, const char *arg)
{
	switch (c) {
	case 'c':
		if ((f->cat = category_from_name(arg)) < 1)
			bad_name("category", arg, category_name);
		break;
	case 'S':
		if ((f->sev = severity_from_name(arg)) < 1)
			bad_name("severity", arg, severity_name);
		break;
	case 'u':
		f->unit = name_opt("--unit", arg);
		break;
	case 'H':
		f->host = name_opt("--host", arg);
		break;
	case 'l':
		if (parse_int(arg, 1, CTL_MAX_LIMIT, &f->limit) != 0)
			usage_error("--limit wants a number from 1 to %d.", CTL_MAX_LIMIT);
		break;
	}
}

static int
cmd_events(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"since", required_argument, NULL, 's'},    {"until", required_argument, NULL, 'U'},
	    {"agent", required_argument, NULL, 'a'},    {"category", required_argument, NULL, 'c'},
	    {"severity", required_argument, NULL, 'S'}, {"limit", required_argument, NULL, 'l'},
	    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'},           {0},
	};
	struct request req = {.len = 0};
	struct reply r = {0};
	struct filter f = { -1, -1, NULL, NULL, -1 };
	long long since = -1, until = -1;
	const char *agent = NULL;
	int c;

	while ((c = next_opt(o, argc, argv, "", longopts, "events")) != -1) {
		switch (c) {
		case 's':
			since = time_arg("--since", optarg);
			break;
		case 'U':
			until = time_arg("--until", optarg);
			break;
		case 'a':
			if (tls_id_valid(optarg) != 0)
				usage_error(
				    "An agent id is 1 to 64 letters, digits, '.', '_' or '-'.");
			agent = optarg;
			break;
		default:
			filter_opt(&f, c, optarg);
			break;
		}
	}
	no_more_args(argc, argv, "events");
	if (since >= 0 && until >= 0 && until < since)
		usage_error("--until is before --since.");
	req_add(&req, NULL, "events");
	if (since >= 0)
		req_add_ll(&req, "since", since);
	if (until >= 0)
		req_add_ll(&req, "until", until);
	if (agent != NULL)
		req_add(&req, "agent", agent);
	if (f.cat >= 0)
		req_add(&req, "category", category_name(f.cat));
	if (f.sev >= 0)
		req_add(&req, "severity", severity_name(f.sev));
	if (f.limit >= 0)
		req_add_ll(&req, "limit", f.limit);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			puts("No events match.");
		else
			print_events(&r, 0);
		if (r.n > 0 && (long long)r.n == (f.limit >= 0 ? f.limit : 100))
			fprintf(stderr,
			        "vigilctl: showing %zu events, the limit; use --limit or "
			        "--since to see others.\n",
			        r.n);
	}
	reply_free(&r);
	return 0;
}

/* ---- incidents, audit, escalation ---- */

static int
cmd_incidents(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"all", no_argument, NULL, 'A'},          {"status", required_argument, NULL, 't'},
	    {"severity", required_argument, NULL, 'S'}, {"category", required_argument, NULL, 'c'},
	    {"unit", required_argument, NULL, 'u'},   {"host", required_argument, NULL, 'H'},
	    {"assignee", required_argument, NULL, 'a'}, {"mine", no_argument, NULL, 'm'},
	    {"limit", required_argument, NULL, 'l'},  {"json", no_argument, NULL, 'J'},
	    {"csv", no_argument, NULL, 'C'},          {0},
	};
	struct request req = {.len = 0};
	struct reply r = {0};
	struct filter f = { -1, -1, NULL, NULL, -1 };
	const char *status = "open", *assignee = NULL;
	int c, mine = 0;

	while ((c = next_opt(o, argc, argv, "", longopts, "incidents")) != -1) {
		switch (c) {
		case 'A':
			status = "all";
			break;
		case 't':
			status = name_opt("--status", optarg);
			break;
		case 'a':
			assignee = name_opt("--assignee", optarg);
			break;
		case 'm':
			mine = 1;
			break;
		default:
			filter_opt(&f, c, optarg);
			break;
		}
	}
	no_more_args(argc, argv, "incidents");
	if (mine && assignee != NULL)
		usage_error("--mine and --assignee are one filter; give one of them.");
	req_add(&req, NULL, "incidents");
	req_add(&req, "status", status);
	if (f.sev >= 0)
		req_add(&req, "severity", severity_name(f.sev));
	if (f.cat >= 0)
		req_add(&req, "category", category_name(f.cat));
	if (f.unit != NULL)
		req_add(&req, "unit", f.unit);
	if (f.host != NULL)
		req_add(&req, "host", f.host);
	if (assignee != NULL)
		req_add(&req, "assignee", assignee);
	if (mine)
		req_add(&req, "mine", "1");
	if (f.limit >= 0)
		req_add_ll(&req, "limit", f.limit);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			puts(strcmp(status, "open") == 0 ? "No open incidents match." :
			     "No incidents match.");
		else
			print_incidents(&r);
	}
	reply_free(&r);
	return 0;
}

/* One line of the timeline of incident show. */
struct tl_line {
	char sort[64];          /* the daemon's RFC 3339 UTC time: sorts as text */
	size_t order;           /* the daemon's order among equal times */
	char who[256], what[64], detail[1024];
};

static int
tl_cmp(const void *a, const void *b)
{
	const struct tl_line *x = a, *y = b;
	int c = strcmp(x->sort, y->sort);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
print_timeline(const struct reply *r)
{
	static const char *const heads[] = {"TIME", "WHO", "WHAT", "DETAIL"};
	static const unsigned char right[] = {0, 0, 0, 0};
	struct tl_line *l = xreallocarray(NULL, r->n ? r->n : 1, sizeof(*l));
	size_t n = 0;
	struct table t;
	char when[64];

	for (size_t i = 1; i < r->n; i++) {
		const struct json_object *o = r->obj[i];
		const char *type = val(o, "type");
		struct tl_line *x = &l[n];

		if (strcmp(type, "machines") == 0)
			continue;
		memset(x, 0, sizeof(*x));
		snprintf(x->sort, sizeof(x->sort), "%s", val(o, "time"));
		x->order = i;
		if (strcmp(type, "event") == 0) {
			snprintf(x->who, sizeof(x->who), "%s", val(o, "agent"));
			snprintf(x->what, sizeof(x->what), "event %s", val(o, "severity"));
			snprintf(x->detail, sizeof(x->detail), "%s", val(o, "summary"));
		} else if (strcmp(type, "notification") == 0) {
			snprintf(x->who, sizeof(x->who), "system");
			snprintf(x->what, sizeof(x->what), "notify #%s", val(o, "notification"));
			snprintf(x->detail, sizeof(x->detail), "%s%s to %s by %s (%s): %s after %s "
			         "attempt(s)", strcmp(val(o, "level"), "0") == 0 ? "at once" : "level ",
			         strcmp(val(o, "level"), "0") == 0 ? "" : val(o, "level"),
			         val(o, "contact"), val(o, "channel"), val(o, "target"),
			         val(o, "status"), val(o, "attempts"));
		} else if (strcmp(type, "attempt") == 0) {
			snprintf(x->who, sizeof(x->who), "system");
			snprintf(x->what, sizeof(x->what), "attempt #%s.%s", val(o, "notification"),
			         val(o, "attempt"));
			if (strcmp(val(o, "ok"), "true") == 0)
				snprintf(x->detail, sizeof(x->detail), "delivered");
			else
				snprintf(x->detail, sizeof(x->detail), "failed (%s): %s", val(o, "failure"),
				         val(o, "reason"));
		} else if (strcmp(type, "action") == 0) {
			snprintf(x->who, sizeof(x->who), "%s", val(o, "actor"));
			snprintf(x->what, sizeof(x->what), "%s", val(o, "action"));
			snprintf(x->detail, sizeof(x->detail), "%s", val(o, "detail"));
		} else {
			continue;
		}
		n++;
	}
	qsort(l, n, sizeof(*l), tl_cmp);
	table_init(&t, heads, right, 4);
	for (size_t i = 0; i < n; i++) {
		local_time(when, sizeof(when), l[i].sort, 0);
		table_add(&t, (const char *const[]){when, l[i].who, l[i].what, l[i].detail});
	}
	table_print(&t);
	table_free(&t);
	free(l);
}

static void
incident_show(struct opts *o, long long id)
{
	struct request req = {.len = 0};
	struct reply r = {0};

	req_add(&req, NULL, "incident");
	req_add_ll(&req, "id", id);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			die(EXIT_DAEMON, "The collector sent no incident.");
		if (!output_csv) {
			print_kv(r.obj[0]);
			for (size_t i = 1; i < r.n; i++)
				if (strcmp(val(r.obj[i], "type"), "machines") == 0)
					printf("machines: %s\n", val(r.obj[i], "agents"));
			putchar('\n');
		}
		print_timeline(&r);
	}
	reply_free(&r);
}

static int
cmd_incident(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"as", required_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'J'},
	    {"csv", no_argument, NULL, 'C'},
	    {0},
	};
	static const char *const actions[] = {"show", "ack", "assign", "note", "resolve",
	                                      "reopen", "escalate", NULL};
	static const int nargs[] = {0, 0, 1, 1, 0, 0, 1};
	struct request req = {.len = 0};
	struct reply r = {0};
	const char *as = NULL, *action;
	long long id, level;
	size_t k;
	int c;

	while ((c = next_opt(o, argc, argv, "", longopts, "incident")) != -1)
		if (c == 'a')
			as = optarg;
	if (optind >= argc)
		usage_error("incident wants an action: show, ack, assign, note, resolve, reopen "
		            "or escalate.");
	action = argv[optind];
	for (k = 0; actions[k] != NULL && strcmp(actions[k], action) != 0; k++)
		;
	if (actions[k] == NULL)
		usage_error("incident: unknown action %s; use show, ack, assign, note, resolve, "
		            "reopen or escalate.", action);
	if (optind + 1 >= argc || parse_int(argv[optind + 1], 1, LLONG_MAX, &id) != 0)
		usage_error("incident %s wants an incident number.", action);
	if (argc - optind - 2 != nargs[k])
		usage_error("usage: vigilctl incident %s N%s", action,
		            k == 2 ? " USER" : k == 3 ? " TEXT" : k == 4 ? " --as RESOLUTION" :
		            k == 6 ? " LEVEL" : "");
	if (k == 4 && as == NULL)
		usage_error("incident resolve wants --as RESOLUTION: true_positive, "
		            "false_positive, duplicate or benign.");
	if (k != 4 && as != NULL)
		usage_error("--as goes with incident resolve only.");
	if (k == 0) {
		incident_show(o, id);
		return 0;
	}
	req_add(&req, NULL, "incident-action");
	req_add_ll(&req, "id", id);
	req_add(&req, "action", action);
	switch (k) {
	case 2:
		req_add(&req, "user", name_opt("USER", argv[optind + 2]));
		break;
	case 3:
		if (argv[optind + 2][0] == '\0' || strpbrk(argv[optind + 2], "\t\r\n") != NULL)
			usage_error("A note is one line of text without tabs.");
		req_add(&req, "text", argv[optind + 2]);
		break;
	case 4:
		req_add(&req, "resolution", name_opt("--as", as));
		break;
	case 6:
		if (parse_int(argv[optind + 2], 1, 8, &level) != 0)
			usage_error("incident escalate wants a chain level from 1 to 8.");
		req_add_ll(&req, "level", level);
		break;
	}
	talk(o, &req, &r);
	if (!o->json && r.n > 0)
		printf("Incident %s is now %s%s%s.\n", val(r.obj[0], "id"), val(r.obj[0], "status"),
		       val(r.obj[0], "assignee")[0] != '\0' ? ", assigned to " : "",
		       val(r.obj[0], "assignee"));
	reply_free(&r);
	return 0;
}

static int
cmd_audit(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'}, {0}};
	struct request req = {.len = 0};
	struct reply r = {0};
	int ok;

	while (next_opt(o, argc, argv, "", longopts, "audit") != -1)
		;
	if (optind >= argc || strcmp(argv[optind], "verify") != 0)
		usage_error("audit: the only action is \"audit verify\".");
	optind++;
	no_more_args(argc, argv, "audit verify");
	req_add(&req, NULL, "audit-verify");
	/* --json prints as it reads: ask again for the verdict, which decides the exit status. */
	talk(o, &req, &r);
	if (o->json) {
		struct opts quiet = *o;

		quiet.json = 0;
		req.len = 0;
		req_add(&req, NULL, "audit-verify");
		talk(&quiet, &req, &r);
	}
	if (r.n == 0)
		die(EXIT_DAEMON, "The collector sent no verdict.");
	ok = strcmp(val(r.obj[0], "ok"), "true") == 0;
	if (!o->json) {
		if (ok)
			printf("The audit trail is intact: %s records, the last is %s, head %s.\n",
			       val(r.obj[0], "records"), val(r.obj[0], "last_id"),
			       val(r.obj[0], "head"));
		else
			printf("The audit trail is broken. %s\n", val(r.obj[0], "fault"));
	}
	reply_free(&r);
	return ok ? 0 : EXIT_DAEMON;
}

static int
cmd_escalation(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"category", required_argument, NULL, 'c'}, {"severity", required_argument, NULL, 'S'},
	    {"unit", required_argument, NULL, 'u'},     {"host", required_argument, NULL, 'H'},
	    {"rule", required_argument, NULL, 'R'},
	    {"json", no_argument, NULL, 'J'},           {"csv", no_argument, NULL, 'C'},
	    {0},
	};
	struct request req = {.len = 0};
	struct reply r = {0};
	struct filter f = { -1, -1, NULL, NULL, -1 };
	const char *rule = NULL;
	int c;

	while ((c = next_opt(o, argc, argv, "", longopts, "escalation")) != -1) {
		if (c == 'R')
			rule = name_opt("--rule", optarg);
		else
			filter_opt(&f, c, optarg);
	}
	if (optind >= argc || strcmp(argv[optind], "test") != 0)
		usage_error("escalation: the only action is \"escalation test --category C "
		            "--severity S\".");
	optind++;
	no_more_args(argc, argv, "escalation test");
	if (f.cat < 0 || f.sev < 0)
		usage_error("escalation test wants --category C and --severity S.");
	req_add(&req, NULL, "escalation-test");
	req_add(&req, "category", category_name(f.cat));
	req_add(&req, "severity", severity_name(f.sev));
	if (f.unit != NULL)
		req_add(&req, "unit", f.unit);
	if (f.host != NULL)
		req_add(&req, "host", f.host);
	if (rule != NULL)
		req_add(&req, "rule", rule);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			die(EXIT_DAEMON, "The collector sent no answer.");
		/* Lines as they are; any other control character is not for a terminal. */
		for (const char *p = val(r.obj[0], "text"); *p != '\0'; p++)
			putchar((unsigned char)*p < 0x20 && *p != '\n' ? '?' : *p);
	}
	reply_free(&r);
	return 0;
}

/* ---- posture and compliance ---- */

/* "33 %" for people; the bare number in CSV, for a spreadsheet to compute with. */
static const char *
percent_cell(char *buf, size_t len, const char *n)
{
	if (output_csv || n[0] == '\0')
		return n;
	snprintf(buf, len, "%s %%", n);
	return buf;
}

static void
print_compliance(const struct reply *r)
{
	static const char *const uheads[] = {"UNIT", "MACHINES", "COMPLIANT", "PERCENT", "TARGET"};
	static const unsigned char uright[] = {0, 1, 1, 1, 1};
	static const char *const mheads[] = {"AGENT", "UNIT", "REASONS"};
	static const unsigned char mright[] = {0, 0, 0};
	struct table u, m;
	char pct[32], tgt[32];

	table_init(&u, uheads, uright, 5);
	table_init(&m, mheads, mright, 3);
	for (size_t i = 0; i < r->n; i++) {
		const struct json_object *o = r->obj[i];

		if (json_get(o, "reasons") != NULL)
			table_add(&m, (const char *const[]){val(o, "agent"), val(o, "unit"),
			                                    val(o, "reasons")});
		else
			table_add(&u, (const char *const[]){
			                  val(o, "unit"), val(o, "machines"), val(o, "compliant"),
			                  percent_cell(pct, sizeof(pct), val(o, "percent")),
			                  percent_cell(tgt, sizeof(tgt), val(o, "target"))});
	}
	table_print(&u);
	putchar('\n');
	/* CSV keeps the second header even when empty, so that scripts see two tables. */
	if (m.nrows > 0 || output_csv)
		table_print(&m);
	else
		puts("Every machine is compliant.");
	table_free(&u);
	table_free(&m);
}

static int
cmd_compliance(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"unit", required_argument, NULL, 'U'},
	    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'},
	    {0},
	};
	struct request req = {.len = 0};
	struct reply r = {0};
	const char *unit = NULL;
	int c;

	while ((c = next_opt(o, argc, argv, "", longopts, "compliance")) != -1)
		if (c == 'U') {
			if (optarg[0] == '\0' || strchr(optarg, '\t') != NULL ||
			    strchr(optarg, '\n') != NULL)
				usage_error("--unit wants a unit name (no tab or newline).");
			unit = optarg;
		}
	no_more_args(argc, argv, "compliance");
	req_add(&req, NULL, "compliance");
	if (unit != NULL)
		req_add(&req, "unit", unit);
	talk(o, &req, &r);
	if (!o->json) {
		if (r.n == 0)
			puts("No agents are known yet.");
		else
			print_compliance(&r);
	}
	reply_free(&r);
	/* A report: being below the target is an answer, not an error. */
	return 0;
}

static int
days_opt(const char *s, const char *opt, int min)
{
	long long v;

	if (parse_int(s, min, 36500, &v) != 0)
		usage_error("%s wants a number of days from %d to 36500.", opt, min);
	return (int)v;
}

static int
cmd_pki(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"days", required_argument, NULL, 'd'},
	    {"backdate-days", required_argument, NULL, 'b'},
	    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'},
	    {0},
	};
	const char *names[PKI_MAX_NAMES];
	size_t nnames = 0;
	int c, days = PKI_DAYS_DEFAULT, backdate = 0, init, rc;
	char err[512];

	while ((c = next_opt(o, argc, argv, "", longopts, "pki")) != -1) {
		switch (c) {
		case 'n':
			if (nnames == PKI_MAX_NAMES)
				usage_error("pki init: at most %d --name options.", PKI_MAX_NAMES);
			names[nnames++] = optarg;
			break;
		case 'd':
			days = days_opt(optarg, "--days", 1);
			break;
		case 'b':
			backdate = days_opt(optarg, "--backdate-days", 0);
			break;
		}
	}
	if (optind >= argc)
		usage_error("pki wants an action: init or issue.");
	if (strcmp(argv[optind], "init") == 0) {
		init = 1;
		if (argc - optind != 2)
			usage_error("usage: pki init DIR [--name NAME]... [--days N]");
		if (backdate != 0)
			usage_error("pki init: --backdate-days is for pki issue only.");
	} else if (strcmp(argv[optind], "issue") == 0) {
		init = 0;
		if (argc - optind != 3)
			usage_error("usage: pki issue DIR AGENT_ID [--days N] [--backdate-days N]");
		if (nnames > 0)
			usage_error("pki issue: --name is for pki init only.");
	} else
		usage_error("pki wants an action: init or issue.");

	if (init) {
		rc = pki_init(argv[optind + 1], names, nnames, days, err, sizeof(err));
		if (rc != 0)
			die(EXIT_DAEMON, "%s", err);
		printf("Made the CA %s/ca.crt (10 years) and the collector certificate "
		       "%s/collector.crt (%d days).\n",
		       argv[optind + 1], argv[optind + 1], days);
	} else {
		if (tls_id_valid(argv[optind + 2]) != 0)
			usage_error(
			    "An agent id is 1 to 64 letters, digits, '.', '_' or '-', starting "
			    "with a letter or digit.");
		rc =
		    pki_issue(argv[optind + 1], argv[optind + 2], days, backdate, err, sizeof(err));
		if (rc != 0)
			die(EXIT_DAEMON, "%s", err);
		if (backdate > 0)
			printf("Issued %s/agents/%s.crt, valid for %d days from %d days ago.\n",
			       argv[optind + 1], argv[optind + 2], days, backdate);
		else
			printf("Issued %s/agents/%s.crt (%d days).\n", argv[optind + 1],
			       argv[optind + 2], days);
	}
	return 0;
}

static const struct command {
	const char *name;
	int (*run)(struct opts *, int, char **);
} commands[] = {
    {"status", cmd_status},       {"agents", cmd_agents},     {"events", cmd_events},
    {"incidents", cmd_incidents}, {"incident", cmd_incident}, {"pki", cmd_pki},
    {"compliance", cmd_compliance},
    /* incidents, audit, escalation */
    {"audit", cmd_audit},         {"escalation", cmd_escalation},
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'J'}, {"csv", no_argument, NULL, 'C'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct opts o = {.socket = NULL, .json = 0};
	const char *env;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'J':
			o.json = 1;
			break;
		case 'C':
			output_csv = 1;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			usage_error("Unknown option or missing value: %s.", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage();
	if (o.socket == NULL)
		o.socket = (env = getenv("VIGIL_CONTROL_SOCKET")) != NULL && env[0] != '\0'
		               ? env
		               : CTL_SOCKET_DEFAULT;
	argc -= optind;
	argv += optind;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		/* Reset getopt for the command's own arguments. */
		optind = 0;
		rc = commands[i].run(&o, argc, argv);
		if (fflush(stdout) == EOF || ferror(stdout))
			die(EXIT_DAEMON, "Cannot write the output: %s.", strerror(errno));
		return rc;
	}
	usage_error("Unknown command: %s.", argv[0]);
}
