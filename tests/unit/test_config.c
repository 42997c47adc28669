/* config.c: the INI reader against a test table, its errors, and -nv output. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil/config.h"
#include "vigil/err.h"

#define MAX_SOURCES 3

struct t_main {
	char name[16];
	char dir[64];
	long long port;
	int debug;
	long long timeout;      /* ms */
	long long buf;          /* bytes */
	long long count;        /* no range */
	long long big;
	char note[64];
};

struct t_server {
	char address[64];
	char ca[64];
	long long retry;
};

struct t_tls {
	char cert[64];
	int verify;
};

struct t_source {
	char label[160];
	char path[64];
	long long max_line;
	int follow;
};

struct t_conf {
	struct t_main main;
	struct t_server server;
	struct t_tls tls;
	struct t_source src[MAX_SOURCES];
	size_t nsrc;
};

#define F(s, f) offsetof(struct s, f), sizeof(((struct s *)0)->f)

static const struct cfg_key main_keys[] = {
	{ "name", CFG_STRING, "vigil", 0, 0, F(t_main, name), 0, "a short name" },
	{ "dir", CFG_PATH, "/var/lib/vigil", 0, 0, F(t_main, dir), 0, "the state directory" },
	{ "port", CFG_INT, "7443", 1, 65535, F(t_main, port), 0, "the TCP port" },
	{ "debug", CFG_BOOL, "no", 0, 0, F(t_main, debug), 0, "log more" },
	{ "timeout", CFG_DURATION, "30s", 100, 86400000, F(t_main, timeout), 0,
	    "give up after this long" },
	{ "buf", CFG_SIZE, "64k", 1024, 1LL << 30, F(t_main, buf), 0, "the buffer size" },
	{ "count", CFG_INT, NULL, 0, 0, F(t_main, count), 0, "any number at all" },
	{ "big", CFG_SIZE, "1M", 0, 0, F(t_main, big), 0, NULL },
	{ "note", CFG_STRING, NULL, 0, 0, F(t_main, note), 0, "free text" },
	{ NULL },
};

static const struct cfg_key server_keys[] = {
	{ "address", CFG_STRING, NULL, 0, 0, F(t_server, address), 1, "where to connect" },
	{ "ca", CFG_PATH, NULL, 0, 0, F(t_server, ca), 1, "the CA certificate" },
	{ "retry", CFG_DURATION, "500ms", 10, 86400000, F(t_server, retry), 0,
	    "wait this long between tries" },
	{ NULL },
};

static const struct cfg_key tls_keys[] = {
	{ "cert", CFG_PATH, NULL, 0, 0, F(t_tls, cert), 1, "our certificate" },
	{ "verify", CFG_BOOL, "yes", 0, 0, F(t_tls, verify), 0, "check the peer" },
	{ NULL },
};

static const struct cfg_key source_keys[] = {
	{ "path", CFG_PATH, NULL, 0, 0, F(t_source, path), 1, "the file to follow" },
	{ "max_line", CFG_SIZE, "16k", 256, 1 << 20, F(t_source, max_line), 0,
	    "longer lines are cut" },
	{ "follow", CFG_BOOL, "yes", 0, 0, F(t_source, follow), 0, "follow renames" },
	{ NULL },
};

static void *
source_add(void *conf, const char *label)
{
	struct t_conf *c = conf;
	struct t_source *s;

	if (c->nsrc >= MAX_SOURCES)
		return NULL;
	s = &c->src[c->nsrc++];
	/* Garbage that cfg_load must replace with the defaults. */
	memset(s, 0x5a, sizeof *s);
	snprintf(s->label, sizeof s->label, "%s", label);
	return s;
}

static void *
source_get(const void *conf, size_t i, const char **label)
{
	const struct t_conf *c = conf;

	if (i >= c->nsrc)
		return NULL;
	*label = c->src[i].label;
	return (void *)(uintptr_t)&c->src[i];
}

static const struct cfg_section sections[] = {
	{ "main", 0, main_keys, offsetof(struct t_conf, main), NULL, NULL, 0 },
	{ "server", 0, server_keys, offsetof(struct t_conf, server), NULL, NULL, 1 },
	{ "tls", 0, tls_keys, offsetof(struct t_conf, tls), NULL, NULL, 0 },
	{ "source", 1, source_keys, 0, source_add, source_get, 0 },
	{ NULL },
};

/* A config file under /tmp with exactly these bytes; the caller unlinks it. */
static void
write_tmp_len(char *path, size_t pathlen, const char *text, size_t len)
{
	int fd;

	snprintf(path, pathlen, "/tmp/vigil-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static void
write_tmp(char *path, size_t pathlen, const char *text)
{
	write_tmp_len(path, pathlen, text, strlen(text));
}

static int
load_text(const char *text, struct t_conf *c, char *err, size_t errlen)
{
	char path[64];
	int rc;

	write_tmp(path, sizeof path, text);
	memset(c, 0, sizeof *c);
	rc = cfg_load(path, sections, c, err, errlen);
	unlink(path);
	if (rc != 0)
		print_message("cfg_load: %s\n", err);
	return rc;
}

/* Load text and expect "path:line: msg" (or "path: msg" when line is 0). */
static void
expect_error_len(const char *text, size_t len, int line, const char *msg)
{
	struct t_conf c;
	char path[64], err[1024], want[1024];
	int rc;

	write_tmp_len(path, sizeof path, text, len);
	memset(&c, 0, sizeof c);
	rc = cfg_load(path, sections, &c, err, sizeof err);
	if (line > 0)
		snprintf(want, sizeof want, "%s:%d: %s", path, line, msg);
	else
		snprintf(want, sizeof want, "%s: %s", path, msg);
	unlink(path);
	if (rc != VIGIL_ERR_CONFIG)
		fail_msg("expected \"%s\", got rc %d and \"%s\"", want, rc, err);
	assert_string_equal(err, want);
}

static void
expect_error(const char *text, int line, const char *msg)
{
	expect_error_len(text, strlen(text), line, msg);
}

static const char server_ok[] = "[server]\naddress = 127.0.0.1\nca = /etc/ca.crt\n";

static void
test_defaults(void **state)
{
	struct t_conf c;

	memset(&c, 0x77, sizeof c);
	cfg_defaults(sections, &c);
	assert_string_equal(c.main.name, "vigil");
	assert_string_equal(c.main.dir, "/var/lib/vigil");
	assert_int_equal(c.main.port, 7443);
	assert_int_equal(c.main.debug, 0);
	assert_int_equal(c.main.timeout, 30000);
	assert_int_equal(c.main.buf, 65536);
	assert_int_equal(c.main.count, 0);
	assert_int_equal(c.main.big, 1048576);
	assert_string_equal(c.main.note, "");
	assert_string_equal(c.server.address, "");
	assert_string_equal(c.server.ca, "");
	assert_int_equal(c.server.retry, 500);
	assert_string_equal(c.tls.cert, "");
	assert_int_equal(c.tls.verify, 1);
}

static void
test_load_minimal(void **state)
{
	struct t_conf c;
	char err[512];

	assert_int_equal(load_text(server_ok, &c, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.server.address, "127.0.0.1");
	assert_string_equal(c.server.ca, "/etc/ca.crt");
	/* Everything not given keeps its default. */
	assert_int_equal(c.server.retry, 500);
	assert_int_equal(c.main.port, 7443);
	assert_string_equal(c.main.name, "vigil");
	assert_int_equal(c.tls.verify, 1);
	assert_int_equal(c.nsrc, 0);
}

static void
test_load_syntax(void **state)
{
	struct t_conf c;
	char err[512];
	static const char text[] =
	    "# a comment\n"
	    "; another comment\n"
	    "   \t# an indented comment\n"
	    "\n"
	    "   \n"
	    "  [main]  \n"
	    "name=a#b;c\n"
	    "  port   =   8080   \n"
	    "debug = Yes\r\n"
	    "timeout = 500ms\n"
	    "buf = 2M\n"
	    "count = -12\n"
	    "big = 12345\n"
	    "note = \"  # kept, with \\\"quotes\\\" and \\\\ \"  \n"
	    "dir = /srv/with space/x\t\n"
	    "[server]\n"
	    "address = \"\"\n"
	    "ca = \"/etc/ca.crt\"\n"
	    "retry = 2h";     /* no newline at the end */

	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	assert_string_equal(c.main.name, "a#b;c");
	assert_int_equal(c.main.port, 8080);
	assert_int_equal(c.main.debug, 1);
	assert_int_equal(c.main.timeout, 500);
	assert_int_equal(c.main.buf, 2 * 1048576);
	assert_int_equal(c.main.count, -12);
	assert_int_equal(c.main.big, 12345);
	assert_string_equal(c.main.note, "  # kept, with \"quotes\" and \\ ");
	assert_string_equal(c.main.dir, "/srv/with space/x");
	assert_string_equal(c.server.address, "");
	assert_string_equal(c.server.ca, "/etc/ca.crt");
	assert_int_equal(c.server.retry, 7200000);
}

static void
test_bool_values(void **state)
{
	static const char *yes[] = { "yes", "YES", "true", "True", "on", "1" };
	static const char *no[] = { "no", "No", "false", "FALSE", "off", "0" };
	struct t_conf c;
	char text[256], err[512];
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		snprintf(text, sizeof text, "%s[main]\ndebug = %s\n", server_ok, yes[i]);
		assert_int_equal(load_text(text, &c, err, sizeof err), 0);
		assert_int_equal(c.main.debug, 1);
		snprintf(text, sizeof text, "%s[tls]\ncert = /c\nverify = %s\n", server_ok, no[i]);
		assert_int_equal(load_text(text, &c, err, sizeof err), 0);
		assert_int_equal(c.tls.verify, 0);
	}
	expect_error("[main]\ndebug = maybe\n", 2,
	    "value 'maybe' for 'debug' is not a boolean (yes/no, true/false, on/off, 1/0)");
	expect_error("[main]\ndebug = 2\n", 2,
	    "value '2' for 'debug' is not a boolean (yes/no, true/false, on/off, 1/0)");
}

static void
test_ranges(void **state)
{
	struct t_conf c;
	char text[256], err[512];

	/* The bounds themselves are allowed. */
	snprintf(text, sizeof text, "%s[main]\nport = 1\ntimeout = 100ms\nbuf = 1k\n", server_ok);
	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	assert_int_equal(c.main.port, 1);
	assert_int_equal(c.main.timeout, 100);
	assert_int_equal(c.main.buf, 1024);
	snprintf(text, sizeof text, "%s[main]\nport = 65535\ntimeout = 1d\nbuf = 1G\n", server_ok);
	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	assert_int_equal(c.main.port, 65535);
	assert_int_equal(c.main.timeout, 86400000);
	assert_int_equal(c.main.buf, 1LL << 30);
	/* Without a range any value of the type goes. */
	snprintf(text, sizeof text, "%s[main]\ncount = -9223372036854775808\nbig = 0\n",
	    server_ok);
	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	assert_true(c.main.count == LLONG_MIN);
	assert_int_equal(c.main.big, 0);

	expect_error("[main]\nport = 0\n", 2, "'port' must be between 1 and 65535");
	expect_error("[main]\nport = 65536\n", 2, "'port' must be between 1 and 65535");
	expect_error("[main]\nport = -1\n", 2, "'port' must be between 1 and 65535");
	expect_error("[main]\nport = 99999999999999999999\n", 2,
	    "'port' must be between 1 and 65535");
	expect_error("[main]\ntimeout = 99ms\n", 2, "'timeout' must be between 100ms and 1d");
	expect_error("[main]\ntimeout = 25h\n", 2, "'timeout' must be between 100ms and 1d");
	expect_error("[main]\nbuf = 1023\n", 2, "'buf' must be between 1k and 1G");
	expect_error("[main]\nbuf = 1025M\n", 2, "'buf' must be between 1k and 1G");
	expect_error("[main]\ncount = 9223372036854775808\n", 2,
	    "value '9223372036854775808' for 'count' is out of range");
	expect_error("[server]\nretry = 9ms\n", 2, "'retry' must be between 10ms and 1d");
	expect_error("[source a]\nmax_line = 2M\n", 2, "'max_line' must be between 256 and 1M");
}

static void
test_bad_values(void **state)
{
	expect_error("[main]\nport = abc\n", 2, "value 'abc' for 'port' is not an integer");
	expect_error("\n\n[main]\n\nport = 12abc\n", 5,
	    "value '12abc' for 'port' is not an integer");
	expect_error("[main]\nport = 1.5\n", 2, "value '1.5' for 'port' is not an integer");
	expect_error("[main]\nport =\n", 2, "value '' for 'port' is not an integer");
	expect_error("[main]\nport = \" 80\"\n", 2, "value ' 80' for 'port' is not an integer");
	expect_error("[main]\ntimeout = soon\n", 2,
	    "value 'soon' for 'timeout' is not a duration (like 500ms, 30s, 5m, 2h, 7d)");
	expect_error("[main]\ntimeout = -5s\n", 2,
	    "value '-5s' for 'timeout' is not a duration (like 500ms, 30s, 5m, 2h, 7d)");
	expect_error("[main]\ntimeout = 99999999999999999d\n", 2,
	    "value '99999999999999999d' for 'timeout' is not a duration "
	    "(like 500ms, 30s, 5m, 2h, 7d)");
	expect_error("[main]\nbuf = lots\n", 2,
	    "value 'lots' for 'buf' is not a size (like 4096, 64k, 1M, 2G)");
	expect_error("[main]\nbuf = 1T\n", 2,
	    "value '1T' for 'buf' is not a size (like 4096, 64k, 1M, 2G)");
	expect_error("[main]\nbuf = 64 k\n", 2,
	    "value '64 k' for 'buf' is not a size (like 4096, 64k, 1M, 2G)");
	expect_error("[main]\ndir = var/lib/vigil\n", 2,
	    "'dir' must be an absolute path, not 'var/lib/vigil'");
	expect_error("[main]\ndir =\n", 2, "'dir' must be an absolute path, not ''");
	expect_error("[source a]\npath = log/auth.log\n", 2,
	    "'path' must be an absolute path, not 'log/auth.log'");
	/* name is char[16]: 15 bytes fit, 16 do not. */
	expect_error("[main]\nname = 0123456789abcdef\n", 2,
	    "value for 'name' is longer than 15 bytes");
	expect_error("[main]\nname = a\tb\n", 2, "value for 'name' contains a control character");
	expect_error("[main]\nname = a\x1b[2Jb\n", 2,
	    "value for 'name' contains a control character");
	expect_error("[main]\nname = \xc3\x28\n", 2, "value for 'name' is not valid UTF-8");
	expect_error("[main]\nname = \xc0\xaf\n", 2, "value for 'name' is not valid UTF-8");
}

static void
test_name_fits(void **state)
{
	struct t_conf c;
	char text[256], err[512];

	snprintf(text, sizeof text, "%s[main]\nname = 0123456789abcde\n", server_ok);
	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	assert_string_equal(c.main.name, "0123456789abcde");
	snprintf(text, sizeof text, "%s[main]\nname = \xe1\xbb\x87 ok\n", server_ok);
	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	assert_string_equal(c.main.name, "\xe1\xbb\x87 ok");
}

static void
test_structure_errors(void **state)
{
	expect_error("[nope]\n", 1, "unknown section [nope]");
	expect_error("# hi\n[main]\nport = 1\n[Main]\n", 4, "unknown section [Main]");
	expect_error("[server]\naddress = x\nprot = 7443\n", 3,
	    "unknown key 'prot' in section [server]");
	expect_error("[source auth]\npath = /a\nfolow = yes\n", 3,
	    "unknown key 'folow' in section [source auth]");
	expect_error("[main]\nport\n", 2, "expected 'key = value' or '[section]'");
	expect_error("[main]\n= 5\n", 2, "no key name before '='");
	expect_error("port = 5\n[main]\n", 1, "key 'port' is outside of any section");
	expect_error("[main\n", 1, "section header does not end with ']'");
	expect_error("[main] # comment\n", 1, "section header does not end with ']'");
	expect_error("[]\n", 1, "empty section name");
	expect_error("[  ]\n", 1, "empty section name");
	expect_error("[main extra]\n", 1, "section [main] takes no label");
	expect_error("[source]\n", 1, "section [source] needs a label, like [source NAME]");
	expect_error("[source a/b]\n", 1,
	    "label 'a/b' of section [source] is not 1 to 128 letters, digits, '_', '.' or '-'");
	expect_error("[source a b]\n", 1,
	    "label 'a b' of section [source] is not 1 to 128 letters, digits, '_', '.' or '-'");
	expect_error("[main]\nname = \"abc\n", 2, "quoted value has no closing '\"'");
	expect_error("[main]\nname = \"abc\\\"\n", 2, "quoted value has no closing '\"'");
	expect_error("[main]\nname = \"abc\" def\n", 2,
	    "text after the closing '\"' of a quoted value");
	expect_error("[main]\nname = \"a\\nb\"\n", 2,
	    "only \\\" and \\\\ may follow a backslash in a quoted value");
}

static void
test_duplicates(void **state)
{
	expect_error("[main]\nport = 1\n\nport = 2\n", 4,
	    "duplicate key 'port' in section [main] (first set on line 2)");
	expect_error("[source a]\npath = /a\npath = /b\n", 3,
	    "duplicate key 'path' in section [source a] (first set on line 2)");
	expect_error("[main]\nport = 1\n[server]\naddress = x\nca = /ca\n[main]\n", 6,
	    "duplicate section [main] (first on line 1)");
	expect_error("[source auth]\npath = /a\n[source syslog]\npath = /b\n"
	    "[source auth]\npath = /c\n", 5, "duplicate label 'auth' for section [source]");
	expect_error("[source a]\npath = /a\n[source b]\npath = /b\n[source c]\npath = /c\n"
	    "[source d]\npath = /d\n", 7, "too many [source] sections");
}

static void
test_required(void **state)
{
	/* A missing key is reported at its section's header. */
	expect_error("[main]\nport = 1\n\n[server]\naddress = x\nretry = 1s\n", 4,
	    "missing required key 'ca' in section [server]");
	expect_error("[server]\nca = /ca\n[main]\n", 1,
	    "missing required key 'address' in section [server]");
	expect_error("[server]\naddress = x\nca = /ca\n[source auth]\nfollow = no\n"
	    "[source sys]\npath = /x\n", 4,
	    "missing required key 'path' in section [source auth]");
	expect_error("[server]\naddress = x\nca = /ca\n[source auth]\npath = /x\n"
	    "[source sys]\nfollow = no\n", 6,
	    "missing required key 'path' in section [source sys]");
	/* An optional section's required keys are needed only when it is present. */
	expect_error("[server]\naddress = x\nca = /ca\n[tls]\nverify = no\n", 4,
	    "missing required key 'cert' in section [tls]");
	/* A missing required section has no line. */
	expect_error("", 0, "missing required section [server]");
	expect_error("[main]\nport = 1\n", 0, "missing required section [server]");
}

static void
test_long_lines(void **state)
{
	static char text[sizeof server_ok + 4200];
	char *p = text + sizeof server_ok - 1;
	struct t_conf c;
	char path[64], err[512];

	/* A comment of exactly 4096 bytes is fine. */
	memcpy(text, server_ok, sizeof server_ok - 1);
	memset(p, ' ', 4096);
	p[0] = '#';
	memcpy(p + 4096, "\n", 2);
	write_tmp(path, sizeof path, text);
	memset(&c, 0, sizeof c);
	assert_int_equal(cfg_load(path, sections, &c, err, sizeof err), 0);
	unlink(path);
	/* One byte more is refused, comment or not. */
	memset(p, ' ', 4097);
	p[0] = '#';
	memcpy(p + 4097, "\n", 2);
	expect_error(text, 4, "line is longer than 4096 bytes");
	/* Trailing blanks count too: the limit is on the line as read. */
	memcpy(p, "[main]", 6);
	expect_error(text, 4, "line is longer than 4096 bytes");
	/* The error is the same at the very end of a file without a newline. */
	p[4097] = '\0';
	expect_error(text, 4, "line is longer than 4096 bytes");

	expect_error_len("[main]\nname = a\0b\n", 18, 2, "line contains a NUL byte");
}

static void
test_file_errors(void **state)
{
	struct t_conf c;
	char err[512];

	assert_int_equal(cfg_load("/nonexistent/vigil.conf", sections, &c, err, sizeof err),
	    VIGIL_ERR_SYS);
	assert_string_equal(err, "/nonexistent/vigil.conf: cannot open: No such file or directory");
	assert_int_equal(cfg_load("/tmp", sections, &c, err, sizeof err), VIGIL_ERR_SYS);
	assert_string_equal(err, "/tmp: cannot read: Is a directory");
	/* A small or absent error buffer is not overrun. */
	assert_int_equal(cfg_load("/nonexistent/vigil.conf", sections, &c, err, 5), VIGIL_ERR_SYS);
	assert_string_equal(err, "/non");
	assert_int_equal(cfg_load("/nonexistent/vigil.conf", sections, &c, NULL, 0), VIGIL_ERR_SYS);
}

static void
test_bad_default(void **state)
{
	static const struct cfg_key bad_keys[] = {
		{ "port", CFG_INT, "seventy", 1, 10, F(t_main, port), 0, NULL },
		{ NULL },
	};
	static const struct cfg_section bad[] = {
		{ "main", 0, bad_keys, offsetof(struct t_conf, main), NULL, NULL, 0 },
		{ NULL },
	};
	struct t_conf c;
	char path[64], err[512], want[600];

	write_tmp(path, sizeof path, "");
	assert_int_equal(cfg_load(path, bad, &c, err, sizeof err), VIGIL_ERR_CONFIG);
	snprintf(want, sizeof want, "%s: built-in default is invalid: "
	    "value 'seventy' for 'port' is not an integer", path);
	assert_string_equal(err, want);
	unlink(path);
}

static void
test_labelled(void **state)
{
	struct t_conf c;
	char err[512], text[512];

	snprintf(text, sizeof text, "%s"
	    "[source auth]\npath = /var/log/auth.log\n\n"
	    "[source sys.log-2_b]\npath = /var/log/syslog\nmax_line = 1M\nfollow = no\n",
	    server_ok);
	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	assert_int_equal(c.nsrc, 2);
	assert_string_equal(c.src[0].label, "auth");
	assert_string_equal(c.src[0].path, "/var/log/auth.log");
	/* add() left garbage: the defaults came from cfg_load. */
	assert_int_equal(c.src[0].max_line, 16384);
	assert_int_equal(c.src[0].follow, 1);
	assert_string_equal(c.src[1].label, "sys.log-2_b");
	assert_string_equal(c.src[1].path, "/var/log/syslog");
	assert_int_equal(c.src[1].max_line, 1048576);
	assert_int_equal(c.src[1].follow, 0);

	/* Exactly as many as add() has room for. */
	snprintf(text, sizeof text, "%s[source a]\npath=/a\n[source b]\npath=/b\n"
	    "[source c]\npath=/c\n", server_ok);
	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	assert_int_equal(c.nsrc, 3);
}

/* Print c, load the output into a fresh struct, and expect the same bytes. */
static char *
round_trip(const struct t_conf *c)
{
	struct t_conf back;
	char path[64], err[512];
	char *out = NULL, *again = NULL;
	size_t outlen = 0, againlen = 0;
	FILE *fp;
	int rc;

	fp = open_memstream(&out, &outlen);
	assert_non_null(fp);
	cfg_print(fp, sections, c);
	assert_int_equal(fclose(fp), 0);

	write_tmp(path, sizeof path, out);
	memset(&back, 0, sizeof back);
	rc = cfg_load(path, sections, &back, err, sizeof err);
	unlink(path);
	if (rc != 0)
		fail_msg("printed config does not load: %s\n%s", err, out);
	assert_memory_equal(&back, c, sizeof back);

	/* Printing what was read back gives the same text. */
	fp = open_memstream(&again, &againlen);
	assert_non_null(fp);
	cfg_print(fp, sections, &back);
	assert_int_equal(fclose(fp), 0);
	assert_string_equal(again, out);
	free(again);
	return out;
}

static void
test_print_round_trip(void **state)
{
	struct t_conf c;
	char err[512];
	char *out;
	static const char text[] =
	    "[main]\n"
	    "name = \" padded \"\n"
	    "dir = /srv/vigil dir\n"
	    "port = 9000\n"
	    "debug = on\n"
	    "timeout = 300000ms\n"
	    "buf = 65536\n"
	    "count = -3\n"
	    "big = 1536\n"
	    "note = \"\\\"quoted\\\" \\\\ # not a comment\"\n"
	    "[server]\n"
	    "address = ::1\n"
	    "ca = /etc/ca.crt\n"
	    "retry = 1500ms\n"
	    "[tls]\n"
	    "cert = /etc/cert.pem\n"
	    "verify = false\n"
	    "[source auth]\n"
	    "path = /var/log/auth.log\n"
	    "[source kern]\n"
	    "path = /var/log/kern.log\n"
	    "max_line = 1048576\n";

	assert_int_equal(load_text(text, &c, err, sizeof err), 0);
	out = round_trip(&c);
	/* Help above each key, readable units, quotes only where needed. */
	assert_non_null(strstr(out, "[main]\n# a short name\nname = \" padded \"\n"));
	assert_non_null(strstr(out, "# the state directory\ndir = /srv/vigil dir\n"));
	assert_non_null(strstr(out, "# the TCP port\nport = 9000\n"));
	assert_non_null(strstr(out, "\ndebug = yes\n"));
	assert_non_null(strstr(out, "\ntimeout = 5m\n"));
	assert_non_null(strstr(out, "\nbuf = 64k\n"));
	assert_non_null(strstr(out, "\ncount = -3\n"));
	assert_non_null(strstr(out, "\nbig = 1536\n"));
	assert_non_null(strstr(out, "\nnote = \"\\\"quoted\\\" \\\\ # not a comment\"\n"));
	assert_non_null(strstr(out, "\naddress = ::1\n"));
	assert_non_null(strstr(out, "\nretry = 1500ms\n"));
	assert_non_null(strstr(out, "\n[tls]\n# our certificate\ncert = /etc/cert.pem\n"));
	assert_non_null(strstr(out, "\nverify = no\n"));
	assert_non_null(strstr(out, "\n[source auth]\n# the file to follow\n"
	    "path = /var/log/auth.log\n# longer lines are cut\nmax_line = 16k\n"
	    "# follow renames\nfollow = yes\n"));
	assert_non_null(strstr(out, "\n[source kern]\n"));
	assert_non_null(strstr(out, "\nmax_line = 1M\n"));
	assert_int_equal(strncmp(out, "[main]\n", 7), 0);
	free(out);
}

static void
test_print_defaults_round_trip(void **state)
{
	struct t_conf c;
	char err[512];
	char *out;

	/*
	 * Only the required section: [tls] was not given and its required
	 * path has no value, so it is printed commented out.
	 */
	assert_int_equal(load_text(server_ok, &c, err, sizeof err), 0);
	out = round_trip(&c);
	assert_non_null(strstr(out, "\n# Section [tls] is not configured.\n#[tls]\n"
	    "# our certificate\n#cert =\n# check the peer\n#verify =\n"));
	assert_non_null(strstr(out, "\n# free text\nnote = \"\"\n"));
	assert_non_null(strstr(out, "\ncount = 0\n"));
	assert_non_null(strstr(out, "\ntimeout = 30s\n"));
	assert_non_null(strstr(out, "\nbig = 1M\n"));
	assert_null(strstr(out, "[source"));
	free(out);

	/* Odd values that must still come back exactly. */
	assert_int_equal(load_text("[server]\naddress = \"\\\"x\"\nca = /c\nretry = 1d\n"
	    "[main]\nname = \"#x \"\ncount = 9223372036854775807\nbig = 0\n"
	    "timeout = 1001ms\nbuf = 1025\n", &c, err, sizeof err), 0);
	out = round_trip(&c);
	assert_non_null(strstr(out, "\nretry = 1d\n"));
	assert_non_null(strstr(out, "\nbig = 0\n"));
	assert_non_null(strstr(out, "\ntimeout = 1001ms\n"));
	assert_non_null(strstr(out, "\nbuf = 1025\n"));
	free(out);
}

struct t_secret {
	char user[32];
	char password[32];
};

static const struct cfg_key secret_keys[] = {
	{ "user", CFG_STRING, "", 0, 0, F(t_secret, user), 0, NULL },
	{ "password", CFG_SECRET, NULL, 0, 0, F(t_secret, password), 0, "never printed" },
	{ NULL },
};

static const struct cfg_section secret_secs[] = {
	{ "mail", 0, secret_keys, 0, NULL, NULL, 0 },
	{ NULL },
};

/* A secret loads like a string and -nv never shows it. */
static void
test_secret(void **state)
{
	char path[] = "/tmp/vigil-test-secret.XXXXXX", err[256], *out = NULL;
	struct t_secret c;
	size_t outlen = 0;
	FILE *fp;
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_true(write(fd, "[mail]\nuser = bob\npassword = hunter2\n", 37) == 37);
	close(fd);
	assert_int_equal(cfg_load(path, secret_secs, &c, err, sizeof err), 0);
	unlink(path);
	assert_string_equal(c.password, "hunter2");
	assert_non_null(fp = open_memstream(&out, &outlen));
	cfg_print(fp, secret_secs, &c);
	fclose(fp);
	assert_null(strstr(out, "hunter2"));
	assert_non_null(strstr(out, "\npassword = ********\n"));
	assert_non_null(strstr(out, "\nuser = bob\n"));
	free(out);
}

/* A retired key in a table of its own. */
struct t_retired {
	long long keep;
};

static const struct cfg_key retired_keys[] = {
	{ "old", CFG_RETIRED, NULL, 0, 0, 0, 0, 0, "use 'keep' instead" },
	{ "keep", CFG_DURATION, "7d", 1000, 0x7fffffffLL * 1000, offsetof(struct t_retired, keep),
	    0, 0, "how long" },
	{ NULL },
};

static const struct cfg_section retired_secs[] = {
	{ "main", 0, retired_keys, 0, NULL, NULL, 0 },
	{ NULL },
};

struct t_warned {
	char msg[8][256];
	size_t n;
};

static void
warned(void *arg, const char *msg)
{
	struct t_warned *w = arg;

	if (w->n < 8)
		snprintf(w->msg[w->n], sizeof w->msg[0], "%s", msg);
	w->n++;
}

/*
 * A retired key loads with any value and changes nothing; it is a warning at
 * its line, dropped without a callback; -nv does not print it; twice is
 * still a duplicate.
 */
static void
test_retired(void **state)
{
	char path[64], want[256], err[256], *out = NULL;
	struct t_retired c;
	struct t_warned w;
	size_t outlen = 0;
	FILE *fp;

	memset(&w, 0, sizeof w);
	write_tmp(path, sizeof path, "[main]\n\nold = 90s\nkeep = 1h\n");
	memset(&c, 0x5a, sizeof c);
	assert_int_equal(cfg_load_warn(path, retired_secs, &c, err, sizeof err, warned, &w), 0);
	assert_int_equal(c.keep, 3600 * 1000LL);
	assert_int_equal(w.n, 1);
	snprintf(want, sizeof want, "%s:3: warning: 'old' is no longer used and is ignored: "
	    "use 'keep' instead", path);
	assert_string_equal(w.msg[0], want);
	assert_int_equal(cfg_load(path, retired_secs, &c, err, sizeof err), 0);
	unlink(path);
	/* Any value, even one no type would take; the defaults still apply. */
	write_tmp(path, sizeof path, "[main]\nold = \"not a number\"\n");
	assert_int_equal(cfg_load_warn(path, retired_secs, &c, err, sizeof err, warned, &w), 0);
	assert_int_equal(c.keep, 7 * 86400 * 1000LL);
	assert_int_equal(w.n, 2);
	unlink(path);
	write_tmp(path, sizeof path, "[main]\nold = 1\nold = 2\n");
	assert_int_equal(cfg_load(path, retired_secs, &c, err, sizeof err), VIGIL_ERR_CONFIG);
	assert_non_null(strstr(err, ":3: duplicate key 'old'"));
	unlink(path);
	assert_non_null(fp = open_memstream(&out, &outlen));
	cfg_print(fp, retired_secs, &c);
	fclose(fp);
	assert_null(strstr(out, "old"));
	assert_non_null(strstr(out, "\nkeep = 7d\n"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_load_minimal),
		cmocka_unit_test(test_load_syntax),
		cmocka_unit_test(test_bool_values),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_name_fits),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_bad_default),
		cmocka_unit_test(test_labelled),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_print_defaults_round_trip),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_retired),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
