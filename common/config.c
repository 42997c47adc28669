/*
 * Table-driven INI configuration: the tables in each daemon say which
 * sections and keys exist; this file reads a file against them (through the
 * INI reader, vigil/ini.h), reports the first problem as "file:line:
 * message", and prints the result back in the same syntax for -nv.
 *
 * Choices the header leaves open, made here:
 * - '#' and ';' start a comment only at the start of a line; elsewhere they
 *   are part of the value ("rest of line") (ini.c).
 * - A value that starts with '"' must end with '"'; inside, \" and \\ stand
 *   for " and \ and nothing else may follow a backslash (ini_unquote()).
 * - An unlabelled section may appear only once; a label is 1-128 characters
 *   from [A-Za-z0-9_.-].
 * - min == max == 0 means no range (beyond the type's own).
 * - Values may not hold control characters; STRING values must be UTF-8.
 * - A retired key (CFG_RETIRED) takes any value and only warns: a key that
 *   goes away must not stop a daemon whose file still has it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/config.h"
#include "vigil/dir.h"
#include "vigil/err.h"
#include "vigil/ini.h"
#include "vigil/text.h"

#define CFG_LABEL_MAX 128
#define CFG_MSG_MAX 512

/* The state of one cfg_load. */
struct loader {
	const char *path;
	const struct cfg_section *secs;
	void *conf;
	FILE *fp;
	unsigned lineno;
	char *err;
	size_t errlen;
	cfg_warn_fn warn;
	void *warn_arg;

	unsigned *sec_line;     /* per section: line of its first header, 0 if absent */
	unsigned *key_line;     /* per key of the current section: line it was set */
	const struct cfg_section *cur;
	void *cur_base;
	char cur_label[CFG_LABEL_MAX + 1];
	unsigned cur_line;
};

/* Report at the current line (or at `line` when not 0). */
static int
lerr(struct loader *l, unsigned line, const char *fmt, ...) VIGIL_PRINTF(3, 4);

static int
lerr(struct loader *l, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vat(l->err, l->errlen, VIGIL_ERR_CONFIG, l->path, line ? line : l->lineno, fmt, ap);
	va_end(ap);
	return VIGIL_ERR_CONFIG;
}

static size_t
nkeys(const struct cfg_section *sec)
{
	size_t n = 0;

	while (sec->keys[n].name != NULL)
		n++;
	return n;
}

static bool
unbounded(const struct cfg_key *k)
{
	return k->min == 0 && k->max == 0;
}

/* The shortest exact way to write a duration: 90000 -> "90s", 300000 -> "5m". */
static void
fmt_duration(char *buf, size_t len, long long ms)
{
	if (ms != 0 && ms % (24LL * 3600 * 1000) == 0)
		snprintf(buf, len, "%lldd", ms / (24LL * 3600 * 1000));
	else if (ms != 0 && ms % (3600LL * 1000) == 0)
		snprintf(buf, len, "%lldh", ms / (3600LL * 1000));
	else if (ms != 0 && ms % (60LL * 1000) == 0)
		snprintf(buf, len, "%lldm", ms / (60LL * 1000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", ms / 1000);
	else
		snprintf(buf, len, "%lldms", ms);
}

static void
fmt_size(char *buf, size_t len, long long b)
{
	if (b != 0 && b % (1LL << 30) == 0)
		snprintf(buf, len, "%lldG", b >> 30);
	else if (b != 0 && b % (1LL << 20) == 0)
		snprintf(buf, len, "%lldM", b >> 20);
	else if (b != 0 && b % (1LL << 10) == 0)
		snprintf(buf, len, "%lldk", b >> 10);
	else
		snprintf(buf, len, "%lld", b);
}

static void
fmt_number(char *buf, size_t len, enum cfg_type type, long long v)
{
	if (type == CFG_DURATION)
		fmt_duration(buf, len, v);
	else if (type == CFG_SIZE)
		fmt_size(buf, len, v);
	else
		snprintf(buf, len, "%lld", v);
}

static int
parse_int(const char *v, long long *out)
{
	char *end;

	if (*v == '\0' || isspace((unsigned char)*v))
		return VIGIL_ERR_INVAL;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (*end != '\0')
		return VIGIL_ERR_INVAL;
	if (errno == ERANGE)
		return VIGIL_ERR_RANGE;
	return 0;
}

/*
 * Check value (already unquoted) against key and store it at base + key->off.
 * On error writes a message without position to msg and returns < 0.
 */
static int
set_value(const struct cfg_key *k, void *base, const char *v, char *msg, size_t msglen)
{
	char *field = (char *)base + k->off;
	char lo[32], hi[32];
	long long n = 0;
	size_t len = strlen(v), i;
	int b, rc = 0;

	switch (k->type) {
	case CFG_RETIRED:
		return 0;
	case CFG_STRING:
	case CFG_SECRET:
	case CFG_PATH:
		for (i = 0; i < len; i++) {
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
				err_fmt(msg, msglen, 0, "value for '%s' contains a control character",
				    k->name);
				return VIGIL_ERR_INVAL;
			}
		}
		if (k->type != CFG_PATH && !text_utf8_valid(v, len)) {
			err_fmt(msg, msglen, 0, "value for '%s' is not valid UTF-8", k->name);
			return VIGIL_ERR_INVAL;
		}
		/*
		 * A built-in default is written in the Linux form ("/var/lib/..."):
		 * a platform that writes paths otherwise (Windows) is given every
		 * path it uses by its shipped file, and its agent refuses to run
		 * on one left at such a default (agent/windows/main.c).
		 */
		if (k->type == CFG_PATH && v != k->def && !dir_path_absolute(v)) {
			err_fmt(msg, msglen, 0, "'%s' must be an absolute path, not '%s'", k->name, v);
			return VIGIL_ERR_INVAL;
		}
		if (len >= k->len) {
			err_fmt(msg, msglen, 0, "value for '%s' is longer than %zu bytes", k->name,
			    k->len > 0 ? k->len - 1 : 0);
			return VIGIL_ERR_TOOBIG;
		}
		memcpy(field, v, len + 1);
		return 0;
	case CFG_BOOL:
		if (ini_bool(v, &b) != 0) {
			err_fmt(msg, msglen, 0, "value '%s' for '%s' is not a boolean "
			    "(yes/no, true/false, on/off, 1/0)", v, k->name);
			return VIGIL_ERR_INVAL;
		}
		memcpy(field, &b, sizeof b);
		return 0;
	case CFG_INT:
		rc = parse_int(v, &n);
		if (rc == VIGIL_ERR_INVAL) {
			err_fmt(msg, msglen, 0, "value '%s' for '%s' is not an integer", v, k->name);
			return rc;
		}
		break;
	case CFG_DURATION:
		if (text_parse_duration_ms(v, &n) != 0) {
			err_fmt(msg, msglen, 0, "value '%s' for '%s' is not a duration "
			    "(like 500ms, 30s, 5m, 2h, 7d)", v, k->name);
			return VIGIL_ERR_INVAL;
		}
		break;
	case CFG_SIZE:
		if (text_parse_size(v, &n) != 0) {
			err_fmt(msg, msglen, 0, "value '%s' for '%s' is not a size "
			    "(like 4096, 64k, 1M, 2G)", v, k->name);
			return VIGIL_ERR_INVAL;
		}
		break;
	default:
		err_fmt(msg, msglen, 0, "key '%s' has an unknown type", k->name);
		return VIGIL_ERR_INVAL;
	}

	/* INT, DURATION and SIZE. */
	if (rc == VIGIL_ERR_RANGE || (!unbounded(k) && (n < k->min || n > k->max))) {
		if (unbounded(k)) {
			err_fmt(msg, msglen, 0, "value '%s' for '%s' is out of range", v, k->name);
		} else {
			fmt_number(lo, sizeof lo, k->type, k->min);
			fmt_number(hi, sizeof hi, k->type, k->max);
			err_fmt(msg, msglen, 0, "'%s' must be between %s and %s", k->name, lo, hi);
		}
		return VIGIL_ERR_RANGE;
	}
	memcpy(field, &n, sizeof n);
	return 0;
}

/* Defaults of one section struct; the first bad default (a table bug) is reported. */
static int
section_defaults(const struct cfg_section *sec, void *base, char *msg, size_t msglen)
{
	const struct cfg_key *k;
	char *field;
	int rc = 0, zero = 0;
	long long lzero = 0;

	for (k = sec->keys; k->name != NULL; k++) {
		field = (char *)base + k->off;
		switch (k->type) {
		case CFG_RETIRED:
			continue;          /* no field */
		case CFG_STRING:
		case CFG_SECRET:
		case CFG_PATH:
			if (k->len > 0)
				field[0] = '\0';
			break;
		case CFG_BOOL:
			memcpy(field, &zero, sizeof zero);
			break;
		default:
			memcpy(field, &lzero, sizeof lzero);
			break;
		}
		if (k->def != NULL && set_value(k, base, k->def, msg, msglen) != 0 && rc == 0)
			rc = VIGIL_ERR_CONFIG;
	}
	return rc;
}

static int
all_defaults(const struct cfg_section *secs, void *conf, char *msg, size_t msglen)
{
	const struct cfg_section *sec;
	int rc = 0;

	for (sec = secs; sec->name != NULL; sec++)
		if (!sec->labelled && section_defaults(sec, (char *)conf + sec->off, msg,
		    msglen) != 0 && rc == 0)
			rc = VIGIL_ERR_CONFIG;
	return rc;
}

void
cfg_defaults(const struct cfg_section *secs, void *conf)
{
	char msg[CFG_MSG_MAX];

	(void)all_defaults(secs, conf, msg, sizeof msg);
}

/* The section's name for messages: "[collector]" or "[source auth]". */
static void
section_desc(struct loader *l, char *buf, size_t len)
{
	if (l->cur->labelled)
		snprintf(buf, len, "[%s %s]", l->cur->name, l->cur_label);
	else
		snprintf(buf, len, "[%s]", l->cur->name);
}

/* The current section is complete: every required key must have been given. */
static int
end_section(struct loader *l)
{
	const struct cfg_key *k;
	char desc[CFG_LABEL_MAX + 64];
	size_t i;

	if (l->cur == NULL)
		return 0;
	for (i = 0, k = l->cur->keys; k->name != NULL; i++, k++) {
		if (k->required && l->key_line[i] == 0) {
			section_desc(l, desc, sizeof desc);
			return lerr(l, l->cur_line, "missing required key '%s' in section %s",
			    k->name, desc);
		}
	}
	l->cur = NULL;
	return 0;
}

static bool
valid_label(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > CFG_LABEL_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

static int
begin_section(struct loader *l, const char *name, const char *label)
{
	const struct cfg_section *sec;
	const char *other;
	char msg[CFG_MSG_MAX];
	size_t i;
	int rc;

	if ((rc = end_section(l)) != 0)
		return rc;
	if (*name == '\0')
		return lerr(l, 0, "empty section name");
	for (sec = l->secs; sec->name != NULL; sec++)
		if (strcmp(sec->name, name) == 0)
			break;
	if (sec->name == NULL)
		return lerr(l, 0, "unknown section [%s]", name);

	memset(l->key_line, 0, nkeys(sec) * sizeof l->key_line[0]);
	if (!sec->labelled) {
		if (*label != '\0')
			return lerr(l, 0, "section [%s] takes no label", name);
		if (l->sec_line[sec - l->secs] != 0)
			return lerr(l, 0, "duplicate section [%s] (first on line %u)", name,
			    l->sec_line[sec - l->secs]);
		l->cur_base = (char *)l->conf + sec->off;
		l->cur_label[0] = '\0';
	} else {
		if (*label == '\0')
			return lerr(l, 0, "section [%s] needs a label, like [%s NAME]", name,
			    name);
		if (!valid_label(label))
			return lerr(l, 0, "label '%s' of section [%s] is not 1 to %d letters, "
			    "digits, '_', '.' or '-'", label, name, CFG_LABEL_MAX);
		for (i = 0; sec->get != NULL && sec->get(l->conf, i, &other) != NULL; i++)
			if (other != NULL && strcmp(other, label) == 0)
				return lerr(l, 0, "duplicate label '%s' for section [%s]", label,
				    name);
		if (sec->add == NULL || (l->cur_base = sec->add(l->conf, label)) == NULL)
			return lerr(l, 0, "too many [%s] sections", name);
		if (section_defaults(sec, l->cur_base, msg, sizeof msg) != 0)
			return lerr(l, 0, "built-in default is invalid: %s", msg);
		snprintf(l->cur_label, sizeof l->cur_label, "%s", label);
	}
	if (l->sec_line[sec - l->secs] == 0)
		l->sec_line[sec - l->secs] = l->lineno;
	l->cur = sec;
	l->cur_line = l->lineno;
	return 0;
}

static int
key_value(struct loader *l, const char *key, char *val)
{
	const struct cfg_key *k;
	char desc[CFG_LABEL_MAX + 64], msg[CFG_MSG_MAX];
	const char *why;
	size_t i;

	if (*key == '\0')
		return lerr(l, 0, "no key name before '='");
	if (l->cur == NULL)
		return lerr(l, 0, "key '%s' is outside of any section", key);
	section_desc(l, desc, sizeof desc);
	for (i = 0, k = l->cur->keys; k->name != NULL; i++, k++)
		if (strcmp(k->name, key) == 0)
			break;
	if (k->name == NULL)
		return lerr(l, 0, "unknown key '%s' in section %s", key, desc);
	if (l->key_line[i] != 0)
		return lerr(l, 0, "duplicate key '%s' in section %s (first set on line %u)",
		    key, desc, l->key_line[i]);
	if (*val == '"' && ini_unquote(val, &why) != 0)
		return lerr(l, 0, "%s", why);
	if (set_value(k, l->cur_base, val, msg, sizeof msg) != 0)
		return lerr(l, 0, "%s", msg);
	l->key_line[i] = l->lineno;
	if (k->type == CFG_RETIRED && l->warn != NULL) {
		err_at(msg, sizeof msg, 0, l->path, l->lineno, "warning: '%s' is no longer used and "
		    "is ignored: %s", key, k->help != NULL ? k->help : "remove it");
		l->warn(l->warn_arg, msg);
	}
	return 0;
}

int
cfg_load(const char *path, const struct cfg_section *secs, void *conf, char *err,
    size_t errlen)
{
	return cfg_load_warn(path, secs, conf, err, errlen, NULL, NULL);
}

int
cfg_load_warn(const char *path, const struct cfg_section *secs, void *conf, char *err,
    size_t errlen, cfg_warn_fn warn, void *arg)
{
	const struct cfg_section *sec;
	struct loader l;
	struct ini_item it;
	struct ini *r = NULL;
	char msg[CFG_MSG_MAX];
	size_t nsecs = 0, maxkeys = 1, n;
	int rc;

	memset(&l, 0, sizeof l);
	l.path = path;
	l.secs = secs;
	l.conf = conf;
	l.err = err;
	l.errlen = errlen;
	l.warn = warn;
	l.warn_arg = arg;
	err_fmt(err, errlen, 0, "%s", "");

	if (all_defaults(secs, conf, msg, sizeof msg) != 0)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, 0,
		    "built-in default is invalid: %s", msg);
	for (sec = secs; sec->name != NULL; sec++, nsecs++)
		if ((n = nkeys(sec)) > maxkeys)
			maxkeys = n;
	l.sec_line = calloc(nsecs + 1, sizeof l.sec_line[0]);
	l.key_line = calloc(maxkeys, sizeof l.key_line[0]);
	/* The reader holds two lines: too large for the stack of every caller. */
	r = malloc(sizeof(*r));
	if (l.sec_line == NULL || l.key_line == NULL || r == NULL) {
		rc = err_at(err, errlen, VIGIL_ERR_NOMEM, path, 0, "out of memory");
		goto out;
	}
	if ((l.fp = fopen(path, "r")) == NULL) {
		rc = err_at(err, errlen, VIGIL_ERR_SYS, path, 0, "cannot open: %s", strerror(errno));
		goto out;
	}

	ini_file(r, l.fp);
	rc = 0;
	while (rc == 0 && ini_next(r, &it) != INI_END) {
		l.lineno = it.line;
		if (it.what == INI_SECTION) {
			rc = begin_section(&l, it.name, it.label);
		} else if (it.what == INI_KEY) {
			rc = key_value(&l, it.name, it.value);
		} else if (it.error == INI_ERR_READ) {
			rc = err_at(err, errlen, VIGIL_ERR_SYS, path, 0, "cannot read: %s", it.why);
		} else if (it.error == INI_ERR_NOEQ) {
			rc = lerr(&l, 0, "expected 'key = value' or '[section]'");
		} else {
			/* A broken header ends the section before it, as a good one does. */
			if (it.error != INI_ERR_HEADER || (rc = end_section(&l)) == 0)
				rc = lerr(&l, 0, "%s", it.why);
		}
	}
	if (rc != 0 || (rc = end_section(&l)) != 0)
		goto out;
	for (sec = secs; sec->name != NULL; sec++) {
		if (sec->required && l.sec_line[sec - secs] == 0) {
			rc = err_at(err, errlen, VIGIL_ERR_CONFIG, path, 0,
			    "missing required section [%s]", sec->name);
			goto out;
		}
	}
	rc = 0;
out:
	if (l.fp != NULL)
		fclose(l.fp);
	free(r);
	free(l.sec_line);
	free(l.key_line);
	return rc;
}

/* A string needs quotes when reading it back unquoted would change it. */
static void
print_string(FILE *fp, const char *s)
{
	size_t len = strlen(s);
	const char *p;

	if (len > 0 && s[0] != '"' && !isspace((unsigned char)s[0]) &&
	    !isspace((unsigned char)s[len - 1])) {
		fprintf(fp, "%s", s);
		return;
	}
	fputc('"', fp);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

/*
 * A key holds no value that could be written back: an empty path, or a
 * number outside its range because it had no default and was not given.
 */
static bool
key_unset(const struct cfg_key *k, const void *base)
{
	const char *field = (const char *)base + k->off;
	long long n;

	switch (k->type) {
	case CFG_PATH:
		return field[0] == '\0';
	case CFG_INT:
	case CFG_DURATION:
	case CFG_SIZE:
		memcpy(&n, field, sizeof n);
		return !unbounded(k) && (n < k->min || n > k->max);
	default:
		return false;
	}
}

static void
print_section(FILE *fp, const struct cfg_section *sec, const char *label, const void *base,
    bool first)
{
	const struct cfg_key *k;
	const char *field;
	char num[32];
	long long n;
	int b;
	bool absent = false;

	/*
	 * An unlabelled section whose required keys are unset was not in the
	 * file; it is shown commented out so that the output loads back.
	 */
	for (k = sec->keys; label == NULL && k->name != NULL; k++)
		if (k->required && key_unset(k, base))
			absent = true;

	if (!first)
		fprintf(fp, "\n");
	if (absent)
		fprintf(fp, "# Section [%s] is not configured.\n#", sec->name);
	if (label != NULL)
		fprintf(fp, "[%s %s]\n", sec->name, label);
	else
		fprintf(fp, "[%s]\n", sec->name);
	for (k = sec->keys; k->name != NULL; k++) {
		field = (const char *)base + k->off;
		if (k->type == CFG_RETIRED)
			continue;
		if (k->help != NULL)
			fprintf(fp, "# %s\n", k->help);
		if (absent || key_unset(k, base)) {
			fprintf(fp, "#%s =\n", k->name);
			continue;
		}
		fprintf(fp, "%s = ", k->name);
		switch (k->type) {
		case CFG_STRING:
		case CFG_PATH:
			print_string(fp, field);
			break;
		case CFG_SECRET:
			/* -nv output gets pasted into tickets: never the secret itself. */
			print_string(fp, field[0] != '\0' ? "********" : "");
			break;
		case CFG_BOOL:
			memcpy(&b, field, sizeof b);
			fprintf(fp, "%s", b ? "yes" : "no");
			break;
		default:
			memcpy(&n, field, sizeof n);
			fmt_number(num, sizeof num, k->type, n);
			fprintf(fp, "%s", num);
			break;
		}
		fprintf(fp, "\n");
	}
}

void
cfg_print(FILE *fp, const struct cfg_section *secs, const void *conf)
{
	const struct cfg_section *sec;
	const char *label;
	const void *base;
	size_t i;
	bool first = true;

	for (sec = secs; sec->name != NULL; sec++) {
		if (!sec->labelled) {
			print_section(fp, sec, NULL, (const char *)conf + sec->off, first);
			first = false;
			continue;
		}
		for (i = 0; sec->get != NULL && (base = sec->get(conf, i, &label)) != NULL;
		    i++) {
			print_section(fp, sec, label, base, first);
			first = false;
		}
	}
}
