/*
 * vigilctl's output for people: aligned tables cut to the terminal (or CSV),
 * key: value blocks, and each command's table. Control characters from the
 * daemon's strings are escaped before they reach the terminal.
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
#include "vigil/utf8.h"

#include "vigilctl.h"

/* ---- tables ---- */

static size_t
display_width(const char *s)
{
	/* Columns, not bytes or characters: a decomposed Vietnamese name has marks of width 0. */
	return utf8_width(s, strlen(s));
}

/* Print s in at most maxw columns, cut with an ellipsis; returns the columns used. */
static size_t
print_cut(const char *s, size_t maxw)
{
	size_t w = display_width(s), i;

	if (w <= maxw) {
		fputs(s, stdout);
		return w;
	}
	if (maxw == 0)
		return 0;
	/* One column for the ellipsis. */
	i = utf8_cut_width(s, strlen(s), maxw - 1);
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
	static int bom_written;
	size_t c, r;

	/* Once, before the first table: Excel takes a file without it for the ANSI code page. */
	if (output_csv_bom && !bom_written) {
		fputs("\xef\xbb\xbf", stdout);
		bom_written = 1;
	}
	for (c = 0; c < t->ncols && !table_no_heading; c++) {
		char zh[128];

		if (t->zoned & 1u << c)
			zone_heading(zh, sizeof(zh), t->heads[c]);
		csv_field(t->zoned & 1u << c ? zh : t->heads[c], c + 1 == t->ncols);
	}
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			csv_field(t->cells[r * t->ncols + c], c + 1 == t->ncols);
}

#define TABLE_COLS_MAX 20    /* the widest table: vigilctl agents, 17 */

static void
table_print(const struct table *t)
{
	size_t width[TABLE_COLS_MAX], used = 0, avail, c, r, w;
	const char *heads[TABLE_COLS_MAX];
	char zh[TABLE_COLS_MAX][128];

	if (output_csv) {
		table_print_csv(t);
		return;
	}
	if (t->ncols > sizeof(width) / sizeof(width[0]))
		die(EXIT_DAEMON, _("A table has too many columns."));
	/* Headings for people in their language; CSV keeps the English ones for scripts. */
	for (c = 0; c < t->ncols; c++) {
		heads[c] = _(t->heads[c]);
		if (t->zoned & 1u << c) {
			zone_heading(zh[c], sizeof(zh[c]), heads[c]);
			heads[c] = zh[c];
		}
	}
	for (c = 0; c < t->ncols; c++) {
		width[c] = display_width(heads[c]);
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
	if (!table_no_heading)
		print_row(t, heads, width, avail);
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
const char *
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

/* The members the daemon writes as times (its jw_time()): shown in its zone. */
static int
is_time_key(const char *key)
{
	static const char *const keys[] = {
	    "time", "received", "first_seen", "last_seen", "opened", "acknowledged", "resolved",
	    "at", "created", "done", "due", "expires", "finished", "next", "state_since"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
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
			people_time(when, sizeof(when), m[i].str, 1);
			shown = when;
		}
		v = escaped(shown, strlen(shown));
		puts(v);
		free(v);
	}
}

void
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
void
print_events(const struct reply *r, size_t from)
{
	static const char *const heads[] = {N_("TIME"),     N_("RECEIVED"), N_("AGENT"),
	                                    N_("SEVERITY"), N_("CATEGORY"), N_("RULE"),
	                                    N_("SUMMARY")};
	static const unsigned char right[] = {0, 0, 0, 0, 0, 0, 0};
	struct table t;
	char when[64], recv[64];

	table_init(&t, heads, right, 7);
	t.zoned = 1u << 0 | 1u << 1;
	for (size_t i = from; i < r->n; i++) {
		const struct json_object *o = r->obj[i];
		int odd = strcmp(val(o, "clock"), "ahead") == 0 ||
		    strcmp(val(o, "clock"), "behind") == 0;

		people_time(when, sizeof(when), val(o, "time"), 0);
		recv[0] = '\0';
		if (odd) {
			strncat(when, "!", sizeof(when) - strlen(when) - 1);
			people_time(recv, sizeof(recv), val(o, "received"), 0);
		}
		table_add(&t, (const char *const[]){when, recv, val(o, "agent"), val(o, "severity"),
		                                    val(o, "category"), val(o, "rule"),
		                                    val(o, "summary")});
	}
	table_print(&t);
	table_free(&t);
}

/*
 * The events an agent had to drop ("" before its first heartbeat): the
 * "dropped" counter only, never summed with the others (drops_other()).
 */
const char *
drops(const struct json_object *o, char *buf, size_t len)
{
	const struct json_member *m;
	long long v;

	if ((m = json_get(o, "dropped")) == NULL || json_int(m, &v) != 0)
		return "";
	snprintf(buf, len, "%lld", v);
	return buf;
}

/*
 * The agent's other counters that are not zero, each under its own name:
 * "rule_evictions=10904 lines_truncated=2" (state a rule had to forget, lines
 * cut, events refused, forged or lost uevents: not dropped events).
 */
const char *
drops_other(const struct json_object *o, char *buf, size_t len)
{
	static const char *const keys[] = {"rule_evictions", "lines_truncated", "events_rejected",
	                                   "uevents_spoofed", "uevents_lost"};
	const struct json_member *m;
	size_t used = 0;
	long long v;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && used < len; i++)
		if ((m = json_get(o, keys[i])) != NULL && json_int(m, &v) == 0 && v != 0)
			used += (size_t)snprintf(buf + used, len - used, "%s%s=%lld",
			                         used > 0 ? " " : "", keys[i], v);
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

void
print_agents(const struct reply *r)
{
	/* AGENT is the certificate's identity; CLAIMED-HOST what the agent says of itself. */
	static const char *const heads[] = {
	    N_("AGENT"), N_("CLAIMED-HOST"), N_("UNIT"),    N_("VERSION"), N_("OS"), N_("ADDRESS"),
	    N_("LAST-SEEN"), N_("CLOCK"),    N_("STATE"),   N_("CERT-EXPIRES"), N_("AV"),
	    N_("SIG-AGE"), N_("SEC-UPD"),    N_("REBOOT"),  N_("COMPLIANT"), N_("DROPS"),
	    N_("COUNTERS")};
	static const unsigned char right[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0};
	struct table t;
	char when[64], nd[32], clock[32], st[64], other[256], until[64];

	table_init(&t, heads, right, 17);
	t.zoned = 1u << 6 | 1u << 9;
	for (size_t i = 0; i < r->n; i++) {
		const struct json_object *o = r->obj[i];

		people_time(when, sizeof(when), val(o, "last_seen"), 0);
		people_time(until, sizeof(until), val(o, "cert_expires"), 0);
		clock_shown(o, clock, sizeof(clock));
		/* "off (shutdown)": switched off on purpose, and why; "silent": stopped without a word. */
		if (strcmp(val(o, "state"), "off") == 0)
			snprintf(st, sizeof(st), "off (%s)", val(o, "off_reason"));
		else
			snprintf(st, sizeof(st), "%s", val(o, "state"));
		table_add(&t, (const char *const[]){
		                  val(o, "agent"), val(o, "hostname"), val(o, "unit"),
		                  val(o, "version"), val(o, "os"), val(o, "address"), when, clock, st,
		                  until, val(o, "av"),
		                  val(o, "signatures_age_days"), val(o, "security_updates"),
		                  bool_yes_no(o, "reboot_required"), bool_yes_no(o, "compliant"),
		                  drops(o, nd, sizeof(nd)), drops_other(o, other, sizeof(other))});
	}
	table_print(&t);
	table_free(&t);
}

/* Every unit of an incident ("units": a correlation's machines may be of several). */
static const char *
units_of(const struct json_object *o)
{
	return json_get(o, "units") != NULL ? val(o, "units") : val(o, "unit");
}

void
print_incidents(const struct reply *r)
{
	/* incidents, audit, escalation: the queue, open first, by severity, then age. */
	static const char *const heads[] = {
	    N_("ID"),    N_("SEVERITY"), N_("STATUS"), N_("ASSIGNEE"), N_("UNIT"),
	    N_("AGENT"), N_("EVENTS"),   N_("FIRST"),  N_("LAST"),     N_("TITLE")};
	static const unsigned char right[] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0};
	struct table t;
	char first[64], last[64], due[64], title[1400];

	table_init(&t, heads, right, 10);
	t.zoned = 1u << 7 | 1u << 8;
	for (size_t i = 0; i < r->n; i++) {
		const struct json_object *o = r->obj[i];

		people_time(first, sizeof(first), val(o, "first_seen"), 0);
		people_time(last, sizeof(last), val(o, "last_seen"), 0);
		/* A report due (issue 17) goes in front of the title. */
		if (val(o, "deadline")[0] != '\0') {
			people_time(due, sizeof(due), val(o, "deadline_due"), 0);
			snprintf(title, sizeof(title), "[%s %s %s] %s", val(o, "deadline"), due,
			         val(o, "deadline_state"), val(o, "title"));
		} else {
			snprintf(title, sizeof(title), "%s", val(o, "title"));
		}
		table_add(&t, (const char *const[]){val(o, "id"), val(o, "severity"),
		                                    val(o, "status"), val(o, "assignee"),
		                                    units_of(o), val(o, "agent"), val(o, "events"),
		                                    first, last, title});
	}
	table_print(&t);
	table_free(&t);
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

void
print_timeline(const struct reply *r)
{
	static const char *const heads[] = {N_("TIME"), N_("WHO"), N_("WHAT"), N_("DETAIL")};
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
		} else if (strcmp(type, "deadline") == 0) {
			snprintf(x->who, sizeof(x->who), "%s", val(o, "created_by"));
			snprintf(x->what, sizeof(x->what), "%s due", val(o, "kind"));
			if (val(o, "submitted_to")[0] != '\0')
				snprintf(x->detail, sizeof(x->detail), "%s: to %s, reference %s, by %s",
				         val(o, "state"), val(o, "submitted_to"), val(o, "reference"),
				         val(o, "submitted_by"));
			else
				snprintf(x->detail, sizeof(x->detail), "%s%s", val(o, "state"),
				         strcmp(val(o, "provisional"), "true") == 0 ?
				         " (counted over provisional holidays)" : "");
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
	t.zoned = 1u << 0;
	for (size_t i = 0; i < n; i++) {
		people_time(when, sizeof(when), l[i].sort, 0);
		table_add(&t, (const char *const[]){when, l[i].who, l[i].what, l[i].detail});
	}
	table_print(&t);
	table_free(&t);
	free(l);
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

void
print_compliance(const struct reply *r)
{
	static const char *const uheads[] = {N_("UNIT"), N_("MACHINES"), N_("COMPLIANT"),
	                                     N_("PERCENT"), N_("TARGET")};
	static const unsigned char uright[] = {0, 1, 1, 1, 1};
	static const char *const mheads[] = {N_("AGENT"), N_("UNIT"), N_("REASONS")};
	static const unsigned char mright[] = {0, 0, 0};
	static const char *const hheads[] = {N_("MAC"), N_("IP"), N_("INTERFACE"), N_("FIRST SEEN"),
	                                     N_("LAST SEEN"), N_("SEEN BY")};
	static const unsigned char hright[] = {0, 0, 0, 0, 0, 0};
	struct table u, m, h;
	char pct[32], tgt[32], mach[96], first[64], last[64], mac[64];
	const char *more = NULL, *count = NULL;

	table_init(&u, uheads, uright, 5);
	table_init(&m, mheads, mright, 3);
	table_init(&h, hheads, hright, 6);
	h.zoned = 1u << 3 | 1u << 4;
	for (size_t i = 0; i < r->n; i++) {
		const struct json_object *o = r->obj[i];
		const char *type = val(o, "type");

		/* Seen on the network, no agent, not declared (issue 15). */
		if (strcmp(type, "unknown_host") == 0) {
			people_time(first, sizeof(first), val(o, "first_seen"), 0);
			people_time(last, sizeof(last), val(o, "last_seen"), 0);
			/* A made-up MAC: a virtual machine or a phone's private address. */
			snprintf(mac, sizeof(mac), "%s%s", val(o, "mac"),
			         strcmp(val(o, "local_mac"), "true") == 0 ? " *" : "");
			table_add(&h, (const char *const[]){mac, val(o, "ip"), val(o, "ifname"), first,
			                                    last, val(o, "seen_by")});
		} else if (strcmp(type, "unknown_hosts") == 0) {
			more = val(o, "listed");
			count = val(o, "count");
		} else if (json_get(o, "reasons") != NULL)
			table_add(&m, (const char *const[]){val(o, "agent"), val(o, "unit"),
			                                    val(o, "reasons")});
		else {
			/* A unit with an inventory is counted against it (issue 15). */
			if (json_get(o, "declared") != NULL)
				snprintf(mach, sizeof(mach), _("%s of %s declared"), val(o, "machines"),
				         val(o, "declared"));
			else
				snprintf(mach, sizeof(mach), "%s", val(o, "machines"));
			table_add(&u, (const char *const[]){
			                  val(o, "unit"), mach, val(o, "compliant"),
			                  percent_cell(pct, sizeof(pct), val(o, "percent")),
			                  percent_cell(tgt, sizeof(tgt), val(o, "target"))});
		}
	}
	table_print(&u);
	putchar('\n');
	/* CSV keeps the second header even when empty, so that scripts see two tables. */
	if (m.nrows > 0 || output_csv)
		table_print(&m);
	else
		puts(_("Every machine is compliant."));
	if (h.nrows > 0) {
		putchar('\n');
		if (!output_csv)
			puts(_("Seen on the network, no agent, not declared (vigilctl inventory ignore "
			       "MAC marks one not a PC; * a made-up MAC):"));
		table_print(&h);
		if (more != NULL && count != NULL && strcmp(more, count) != 0 && !output_csv)
			printf(_("%s of %s hosts listed: the most recently seen of each unit.\n"),
			       more, count);
	}
	table_free(&u);
	table_free(&m);
	table_free(&h);
}

/* enroll list: one row a token (issue 15). */
void
print_tokens(const struct reply *r)
{
	static const char *const heads[] = {N_("ID"), N_("UNIT"), N_("USES"), N_("STATE"),
	                                    N_("EXPIRES"), N_("CREATED BY")};
	static const unsigned char right[] = {1, 0, 1, 0, 0, 0};
	struct table t;
	char uses[64], when[64];

	table_init(&t, heads, right, 6);
	t.zoned = 1u << 4;
	for (size_t i = 0; i < r->n; i++) {
		const struct json_object *o = r->obj[i];

		snprintf(uses, sizeof(uses), "%s/%s", val(o, "uses"), val(o, "uses_max"));
		people_time(when, sizeof(when), val(o, "expires"), 0);
		table_add(&t, (const char *const[]){val(o, "id"), val(o, "unit"), uses,
		                                    val(o, "state"), when, val(o, "created_by")});
	}
	table_print(&t);
	table_free(&t);
}
