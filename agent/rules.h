/*
 * rules.c: detection rule files -> a checked, compiled rule set.
 *
 *   [rule ID]        a PCRE2 pattern over a message -> an event (a log-line
 *                    rule); or channel, event_id and conditions on the named
 *                    values of a rendered Windows event -> an event (an
 *                    event rule, vigil/winevent.h)
 *   [threshold ID]   N events of some rules (or a category) within W -> an event;
 *                    or N distinct values of a field (distinct = user); with
 *                    "rules = a b | c", a and b counted apart from c, the
 *                    first count to reach N raising the alarm for both
 *
 * The format is described in README.md. A bad rule is reported through the
 * caller's error function as "file:line: rule ID: message" (or "threshold
 * ID") and skipped; the good ones still load. Files of a directory are read
 * in name order; a later layer (the local directory) replaces or disables,
 * by id, what an earlier one (the shipped directory) defined.
 *
 * Typical use: rules_new(), rules_load_dir() for the shipped then the local
 * directory, rules_finish(), then matcher_new() takes the set.
 */
#ifndef VIGIL_AGENT_RULES_H
#define VIGIL_AGENT_RULES_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define RULES_ID_MAX 64                /* an id is 1..64 of [A-Za-z0-9._-] */
#define RULES_MAX 4096                 /* rules and thresholds in one set */
#define RULES_MAX_FILES 1024           /* *.rules files read from one directory */
#define RULES_LINE_MAX 4096            /* bytes in one line of a rule file */
#define RULES_MAX_CAPTURES 16          /* named captures of one pattern */
#define RULES_MAX_DUPNAMES 4           /* groups sharing one name, with (?J) */
#define RULES_MAX_NAME 32              /* bytes in a capture (field) name */
#define RULES_MAX_LIST 16              /* programs, sources, counted rules */
#define RULES_MAX_GROUP_BY 4           /* group_by and suppress_by fields */
#define RULES_MAX_PARTS 32             /* pieces of a summary template */
#define RULES_MAX_COUNTED_BY 4         /* thresholds that may count one rule */
#define RULES_MAX_PREFILTER 256
#define RULES_MAX_EVENT_IDS 32         /* event ids of one event rule */
#define RULES_MAX_CONDS 8              /* where and unless conditions of one event rule */
#define RULES_MAX_FIELD_NAME 64        /* = WINEVENT_MAX_NAME: a Windows value's name */
#define RULES_MAX_FACTS 16             /* agent facts a matcher holds */

/* A field reference in a template: an index into the rule's field names, or one of these. */
enum tmpl_ref {
	TMPL_LITERAL = -1,
	TMPL_PROGRAM = -2,
	TMPL_SOURCE = -3,
	TMPL_COUNT = -4,      /* thresholds only */
	TMPL_WINDOW = -5,     /* thresholds only */
};

/* A summary template, parsed once: literal pieces and field references. */
struct tmpl {
	char *text;                          /* the literal pieces, braces unescaped */
	struct tmpl_part {
		int ref;                     /* enum tmpl_ref, or a field index >= 0 */
		uint32_t off, len;           /* a literal: text[off .. off + len) */
	} parts[RULES_MAX_PARTS];
	size_t nparts;
};

/*
 * A space-separated list, split: item[i] is NUL-terminated inside buf. One
 * allocation, buf, holds the tables and the copy, sized for n (at most
 * RULES_MAX_LIST): a rule with one program costs tens of bytes, not 272.
 */
struct rules_list {
	char *buf;
	const char **item;
	size_t *len;
	size_t n;
};

struct rule_capture {
	char name[RULES_MAX_NAME + 1];
	uint32_t group[RULES_MAX_DUPNAMES];  /* the first group that is set gives the value */
	size_t ngroups;
};

/*
 * A condition of an event rule: NAME = A|B (one of them) or NAME != A|B
 * (none of them), each alternative compared without regard to ASCII case,
 * '*' matching any run of characters. NAME is a value of the event, or
 * agent.NAME one of the facts the platform sets (matcher_set_fact). A
 * condition on a value the event (or the agent) lacks is not met.
 */
struct rule_cond {
	char name[RULES_MAX_FIELD_NAME + 1];
	int fact;                   /* agent.NAME */
	int negate;                 /* != */
	int unless;                 /* from 'unless': all of them met keeps the rule quiet */
	struct rules_list alts;
};

struct rule {
	char id[RULES_ID_MAX + 1];
	int is_threshold;
	int enabled;                /* 0: a marker that disables the id */
	int layer;                  /* 0 shipped, 1 local */
	char *file;                 /* where it was defined, for messages */
	unsigned line;
	char *description;
	int category;               /* a threshold's event_category */
	int severity;
	struct tmpl summary;

	/* [rule] */
	struct rules_list programs;               /* empty: any program */
	struct rules_list sources;                /* empty: any source */
	char *prefilter;                          /* NULL: none (given or derived) */
	size_t prefilter_len;
	pcre2_code *code;
	int jit;                                  /* code was JIT-compiled */
	struct rule_capture *captures;            /* ncaptures (<= RULES_MAX_CAPTURES), in
	                                           * the order of the pattern; owned */
	size_t ncaptures;
	int64_t suppress_us;                      /* 0: no suppression */
	size_t suppress_by[RULES_MAX_GROUP_BY];   /* indices into captures */
	size_t nsuppress_by;
	size_t counted_by[RULES_MAX_COUNTED_BY];  /* indices of thresholds in the set */
	unsigned char counted_group[RULES_MAX_COUNTED_BY];  /* in which of its counts */
	size_t ncounted_by;

	/* [rule] for Windows events (is_event): no pattern, program or prefilter */
	int is_event;
	char *channel;                            /* compared without regard to case */
	char *provider;                           /* NULL: any */
	uint16_t event_ids[RULES_MAX_EVENT_IDS];
	size_t nevent_ids;
	struct rule_cond *conds;                  /* nconds, owned */
	size_t nconds;
	char (*field_src)[RULES_MAX_FIELD_NAME + 1]; /* per capture: the event's value name */

	/* [threshold] */
	struct rules_list counts;                 /* rule ids ("|" between counts kept
	                                           * apart), or empty with count_category */
	unsigned ngroups;                         /* counts kept apart: 1 + the "|"s */
	char distinct[RULES_MAX_NAME + 1];        /* count distinct values of it; "": events */
	int count_category;                       /* -1: by rule ids */
	unsigned count;
	int64_t window_us;
	char window_text[32];                     /* as written, for {window} */
	char group_by[RULES_MAX_GROUP_BY][RULES_MAX_NAME + 1];
	size_t ngroup_by;
};

struct ruleset {
	struct rule **r;            /* after rules_finish(): enabled rules and thresholds */
	size_t n, cap;
	size_t nrules, nthresholds; /* set by rules_finish() */
	size_t nerrors;             /* bad rules reported, ever */
	int finished;
	char lang[8];               /* the summaries kept: "vi" takes summary_vi */
};

/* Receives one complete message, "file:line: rule ID: message" (no newline). */
typedef void (*rules_error_fn)(void *arg, const char *msg);

struct ruleset *rules_new(void);
/*
 * The language of the summaries the set keeps ("en" until told): "vi"
 * takes a rule's summary_vi where it has one. Before loading.
 */
void rules_language(struct ruleset *rs, const char *lang);
void rules_free(struct ruleset *rs);                   /* NULL is a no-op */

/*
 * Read every *.rules file of dir in name order into layer (0 shipped, 1
 * local). Bad rules are reported through fn and skipped. Returns 0, or
 * VIGIL_ERR_NOTFOUND when dir does not exist (nothing reported), or
 * VIGIL_ERR_SYS when it or a file in it cannot be read (reported, counted).
 */
int rules_load_dir(struct ruleset *rs, const char *dir, int layer, rules_error_fn fn,
    void *arg);
/* One file; name is used in messages. The same returns as rules_load_dir(). */
int rules_load_file(struct ruleset *rs, const char *path, int layer, rules_error_fn fn,
    void *arg);
/* Rules from memory (tests, fuzzing): len bytes of text named name in messages. */
int rules_load_text(struct ruleset *rs, const char *name, const char *text, size_t len,
    int layer, rules_error_fn fn, void *arg);

/*
 * Drop the disabled ids, resolve what each threshold counts (a threshold
 * naming an unknown rule is reported and dropped) and count what is left.
 * Call once, after the last load.
 */
void rules_finish(struct ruleset *rs, rules_error_fn fn, void *arg);

/* Parse a summary template against field names (tests use it directly). */
int rules_tmpl_parse(struct tmpl *t, const char *src, const char *const *names,
    size_t nnames, int threshold, char *msg, size_t msglen);
void rules_tmpl_free(struct tmpl *t);

/* The literal that any match of pattern must contain, or 0 bytes. For the prefilter. */
size_t rules_required_literal(const char *pattern, char *out, size_t outlen);

#endif
