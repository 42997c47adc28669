/*
 * The matcher: a rule set run over observations.
 *
 * Most lines fire nothing, so the work before a regex is kept small: the
 * program name picks a short list of candidate rules from a hash table
 * (the rules without a program filter are in every list), a rule's source
 * filter and its literal prefilter (text_find_by, from its rarest byte) come
 * next, and only then PCRE2, JIT-compiled, with one match_data reused. Field
 * values are spans of the message; nothing is copied until an event is made.
 *
 * A Windows event (vigil/winevent.h) goes the same way from the point a rule
 * matched: the event id picks the candidate event rules from a sorted table
 * (binary search), then the channel, the provider and the conditions on its
 * named values decide, and the values the rule names in 'fields' are its
 * fields, as a pattern's captures are a line rule's: the same summaries,
 * suppression and thresholds follow.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/names.h"
#include "vigil/sbuf.h"
#include "vigil/text.h"
#include "vigil/utf8.h"
#include "vigil/winevent.h"

#include "matcher.h"
#include "rules.h"
#include "syslog.h"
#include "threshold.h"

#define MATCH_LIMIT 1000000            /* PCRE2 backtracking steps for one line */
#define TEST_LINE_MAX (64 * 1024)      /* test mode: longer input lines are cut */
#define SUBJECT_MAX (1024 * 1024)      /* longer messages are matched on their start */
#define TEST_XML_MAX (64 * 1024 * 1024) /* test mode: rendered events read at once */

struct prog_slot {
	const char *name;                  /* NULL: an empty slot */
	size_t len;
	uint64_t hash;
	uint32_t *rules;                   /* indices into rs->r, in rule order */
	size_t n;
};

struct matcher {
	struct ruleset *rs;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	struct prog_slot *progs;           /* open addressing, a power of two */
	size_t nslots;
	uint32_t *any;                     /* the rules for a program no rule names */
	size_t nany;
	uint8_t *anchor;                   /* per rule: the rarest byte of its prefilter */
	struct suppress **supp;            /* per rule, made at its first match */
	struct threshold **thr;            /* per threshold, made at its first count */
	struct matcher_stats st;
	char *fix;                         /* a message made valid UTF-8 */
	size_t fixcap;
	struct ev_slot {
		uint32_t id;               /* event id */
		uint32_t rule;             /* index into rs->r */
	} *evidx;                          /* sorted by id, then rule order */
	size_t nevidx;
	struct {
		char name[RULES_MAX_NAME + 1];
		char *value;
	} facts[RULES_MAX_FACTS];          /* agent facts for agent.NAME conditions */
	size_t nfacts;
};

/* One capture of the current match. */
struct span {
	const char *p;
	size_t len;
	int set;
};

static uint64_t
hash_name(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct prog_slot *
slot_find(const struct matcher *m, const char *p, size_t len, uint64_t h)
{
	size_t i = h & (m->nslots - 1);

	for (;;) {
		struct prog_slot *s = &m->progs[i];

		if (s->name == NULL)
			return s;
		if (s->hash == h && s->len == len && memcmp(s->name, p, len) == 0)
			return s;
		i = (i + 1) & (m->nslots - 1);
	}
}

/*
 * How common a byte is in log text, lower is rarer: a space most, then
 * lower-case letters in English order, digits and the punctuation of
 * addresses and key=value pairs, upper-case letters, other punctuation.
 */
static int
byte_rank(unsigned char c)
{
	static const char letters[] = "etaoinsrhldcumfpgwybvkxjqz";
	const char *p;

	if (c == ' ')
		return 255;
	if (c >= 'a' && c <= 'z')
		return 230 - (int)((p = strchr(letters, c)) != NULL ? p - letters : 25);
	if ((c >= '0' && c <= '9') || strchr(".:-/_,=", c) != NULL)
		return 150;
	if (c >= 'A' && c <= 'Z')
		return 100;
	return 60;
}

/* The offset of the rarest byte of a prefilter: the one memchr() looks for. */
static uint8_t
rarest(const char *p, size_t len)
{
	size_t i, best = 0;

	for (i = 1; i < len && i < 256; i++)
		if (byte_rank((unsigned char)p[i]) < byte_rank((unsigned char)p[best]))
			best = i;
	return (uint8_t)best;
}

static int
build_index(struct matcher *m)
{
	struct ruleset *rs = m->rs;
	struct prog_slot *s;
	struct rule *r, *q;
	size_t i, j, k, names = 0;
	uint64_t h;

	for (i = 0; i < rs->n; i++) {
		if (!rs->r[i]->is_threshold)
			names += rs->r[i]->programs.n;
		if (rs->r[i]->is_event)
			m->nevidx += rs->r[i]->nevent_ids;
	}
	if ((m->evidx = calloc(m->nevidx + 1, sizeof(*m->evidx))) == NULL)
		return VIGIL_ERR_NOMEM;
	/* Each event rule under each of its ids, kept in rule order within an id. */
	k = 0;
	for (i = 0; i < rs->n; i++) {
		r = rs->r[i];
		for (j = 0; r->is_event && j < r->nevent_ids; j++) {
			size_t x = k++;

			while (x > 0 && m->evidx[x - 1].id > r->event_ids[j]) {
				m->evidx[x] = m->evidx[x - 1];
				x--;
			}
			m->evidx[x].id = r->event_ids[j];
			m->evidx[x].rule = (uint32_t)i;
		}
	}
	m->nslots = 16;
	while (m->nslots < names * 2)
		m->nslots <<= 1;
	if ((m->progs = calloc(m->nslots, sizeof(*m->progs))) == NULL ||
	    (m->any = calloc(rs->n + 1, sizeof(*m->any))) == NULL)
		return VIGIL_ERR_NOMEM;
	for (i = 0; i < rs->n; i++) {
		r = rs->r[i];
		if (!r->is_threshold && !r->is_event && r->programs.n == 0)
			m->any[m->nany++] = (uint32_t)i;
	}
	for (i = 0; i < rs->n; i++) {
		r = rs->r[i];
		for (j = 0; !r->is_threshold && j < r->programs.n; j++) {
			h = hash_name(r->programs.item[j], r->programs.len[j]);
			s = slot_find(m, r->programs.item[j], r->programs.len[j], h);
			if (s->name != NULL)
				continue;
			/* A new name: its list is every rule naming it or naming none, in order. */
			s->name = r->programs.item[j];
			s->len = r->programs.len[j];
			s->hash = h;
			if ((s->rules = calloc(rs->n, sizeof(*s->rules))) == NULL)
				return VIGIL_ERR_NOMEM;
			for (k = 0; k < rs->n; k++) {
				size_t x;

				q = rs->r[k];
				if (q->is_threshold || q->is_event)
					continue;
				for (x = 0; x < q->programs.n; x++)
					if (q->programs.len[x] == s->len &&
					    memcmp(q->programs.item[x], s->name, s->len) == 0)
						break;
				if (q->programs.n == 0 || x < q->programs.n)
					s->rules[s->n++] = (uint32_t)k;
			}
		}
	}
	return 0;
}

struct matcher *
matcher_new(struct ruleset *rs)
{
	struct matcher *m;
	uint32_t groups, maxgroups = 0;
	size_t i;

	if (rs == NULL)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		rules_free(rs);
		return NULL;
	}
	m->rs = rs;
	for (i = 0; i < rs->n; i++) {
		if (rs->r[i]->code == NULL)
			continue;
		groups = 0;
		pcre2_pattern_info(rs->r[i]->code, PCRE2_INFO_CAPTURECOUNT, &groups);
		if (groups > maxgroups)
			maxgroups = groups;
	}
	if ((m->md = pcre2_match_data_create(maxgroups + 1, NULL)) == NULL ||
	    (m->mc = pcre2_match_context_create(NULL)) == NULL ||
	    (m->anchor = calloc(rs->n + 1, sizeof(*m->anchor))) == NULL ||
	    (m->supp = calloc(rs->n + 1, sizeof(*m->supp))) == NULL ||
	    (m->thr = calloc(rs->n + 1, sizeof(*m->thr))) == NULL || build_index(m) != 0) {
		matcher_free(m);
		return NULL;
	}
	pcre2_set_match_limit(m->mc, MATCH_LIMIT);
	for (i = 0; i < rs->n; i++)
		if (rs->r[i]->prefilter_len > 0)
			m->anchor[i] = rarest(rs->r[i]->prefilter, rs->r[i]->prefilter_len);
	m->st.rules = rs->nrules;
	m->st.thresholds = rs->nthresholds;
	return m;
}

void
matcher_free(struct matcher *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; m->progs != NULL && i < m->nslots; i++)
		free(m->progs[i].rules);
	free(m->progs);
	free(m->any);
	for (i = 0; i < m->rs->n; i++) {
		if (m->supp != NULL)
			suppress_free(m->supp[i]);
		if (m->thr != NULL)
			threshold_free(m->thr[i]);
	}
	free(m->anchor);
	free(m->supp);
	free(m->thr);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	free(m->fix);
	free(m->evidx);
	for (i = 0; i < m->nfacts; i++)
		free(m->facts[i].value);
	rules_free(m->rs);
	free(m);
}

void
matcher_stats(const struct matcher *m, struct matcher_stats *st)
{
	size_t i;

	*st = m->st;
	st->evicted = 0;
	st->suppress_lost = 0;
	for (i = 0; i < m->rs->n; i++) {
		if (m->supp[i] != NULL) {
			st->evicted += suppress_evicted(m->supp[i]);
			st->suppress_lost += suppress_lost(m->supp[i]);
		}
		if (m->thr[i] != NULL)
			st->evicted += threshold_evicted(m->thr[i]);
	}
}

/* ---- events ---------------------------------------------------------------- */

/*
 * Text from the line into a summary, which is a C string: a NUL byte (a
 * journald MESSAGE may hold them, a log file too) becomes U+FFFD, as it
 * does in fields. Copied as it was, the first one cut the summary there,
 * and an empty summary made the event invalid and lost (fuzz_journal).
 */
static void
put_text(struct sbuf *b, const char *p, size_t len)
{
	const char *nul;

	while (len > 0 && (nul = memchr(p, '\0', len)) != NULL) {
		sbuf_put(b, p, (size_t)(nul - p));
		sbuf_put(b, "\xef\xbf\xbd", 3);
		len -= (size_t)(nul - p) + 1;
		p = nul + 1;
	}
	sbuf_put(b, p, len);
}

/*
 * Render a summary. vals[i] is the value of field i (a capture of a rule,
 * a group_by field of a threshold); a field the line did not set shows "-".
 */
static void
render(char *dst, size_t cap, const struct rule *r, const struct span *vals,
    const struct match_input *in, const char *count)
{
	const struct tmpl *t = &r->summary;
	const struct tmpl_part *pt;
	struct sbuf b;
	size_t i;

	/* A piece cut at the summary's size is cut on a character boundary. */
	sbuf_init(&b, dst, cap);
	for (i = 0; i < t->nparts; i++) {
		pt = &t->parts[i];
		switch (pt->ref) {
		case TMPL_LITERAL:
			sbuf_put(&b, t->text + pt->off, pt->len);
			break;
		case TMPL_PROGRAM:
			if (in->program_len > 0)
				put_text(&b, in->program, in->program_len);
			else
				sbuf_put(&b, "-", 1);
			break;
		case TMPL_SOURCE:
			sbuf_str(&b, in->source != NULL ? in->source : "-");
			break;
		case TMPL_COUNT:
			sbuf_str(&b, count);
			break;
		case TMPL_WINDOW:
			sbuf_str(&b, r->window_text);
			break;
		default:
			if (vals[pt->ref].set)
				put_text(&b, vals[pt->ref].p, vals[pt->ref].len);
			else
				sbuf_put(&b, "-", 1);
			break;
		}
	}
}

/* The key of a window: each value with its length, so "a b" + "c" != "a" + "b c". */
static size_t
make_key(char *key, size_t cap, const struct span *vals, const size_t *idx, size_t n)
{
	struct sbuf b;
	size_t i;
	uint32_t l;

	sbuf_init(&b, key, cap);
	for (i = 0; i < n; i++) {
		l = (uint32_t)vals[idx[i]].len;
		sbuf_bytes(&b, &l, sizeof(l));
		sbuf_bytes(&b, vals[idx[i]].p, vals[idx[i]].len);
	}
	return b.len;
}

static struct threshold *
thr_of(struct matcher *m, size_t t)
{
	const struct rule *th = m->rs->r[t];

	if (m->thr[t] == NULL)
		m->thr[t] = threshold_new_ex(th->count, th->window_us, THRESHOLD_MAX_KEYS,
		    th->ngroups > 0 ? th->ngroups : 1, th->distinct[0] != '\0');
	return m->thr[t];
}

/* The capture of rule r named name, or NULL when r has none or the line left it unset. */
static const struct span *
capture(const struct rule *r, const struct span *caps, const char *name)
{
	size_t k;

	for (k = 0; k < r->ncaptures; k++)
		if (strcmp(r->captures[k].name, name) == 0)
			return caps[k].set ? &caps[k] : NULL;
	return NULL;
}

/* A threshold counts one event of rule r in its count group; fills *ev when it fires. */
static int
count_threshold(struct matcher *m, size_t t, unsigned group, const struct rule *r,
    const struct span *caps, const struct match_input *in, struct match_event *ev)
{
	const struct rule *th = m->rs->r[t];
	struct span vals[RULES_MAX_GROUP_BY];
	size_t idx[RULES_MAX_GROUP_BY], i, klen;
	const struct span *c, *dv = NULL;
	char key[THRESHOLD_MAX_KEY_LEN];
	struct threshold *w;

	/* An event that lacks a group_by field, or the distinct one, is not counted. */
	for (i = 0; i < th->ngroup_by; i++) {
		if ((c = capture(r, caps, th->group_by[i])) == NULL)
			return 0;
		vals[i] = *c;
		idx[i] = i;
	}
	if (th->distinct[0] != '\0' && (dv = capture(r, caps, th->distinct)) == NULL)
		return 0;
	klen = make_key(key, sizeof(key), vals, idx, th->ngroup_by);
	if ((w = thr_of(m, t)) == NULL || threshold_hit_ex(w, key, klen, group,
	    dv != NULL ? dv->p : NULL, dv != NULL ? dv->len : 0, in->time_us) != 1)
		return 0;
	memset(ev, 0, offsetof(struct match_event, summary));
	ev->rule = th->id;
	ev->category = th->category;
	ev->severity = th->severity;
	ev->nfields = 0;
	for (i = 0; i < th->ngroup_by; i++) {
		ev->fields[ev->nfields].key = th->group_by[i];
		ev->fields[ev->nfields].value = vals[i].p;
		ev->fields[ev->nfields].len = vals[i].len;
		ev->nfields++;
	}
	snprintf(ev->num, sizeof(ev->num), "%u", th->count);
	ev->fields[ev->nfields].key = "count";
	ev->fields[ev->nfields].value = ev->num;
	ev->fields[ev->nfields].len = strlen(ev->num);
	ev->nfields++;
	render(ev->summary, sizeof(ev->summary), th, vals, in, ev->num);
	m->st.fired++;
	return 1;
}

/* The captures of line rule r from the match just made. */
static void
line_caps(const struct matcher *m, const struct rule *r, const char *subj,
    struct span *caps)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	uint32_t nov = pcre2_get_ovector_count(m->md), g;
	size_t i, k;

	for (i = 0; i < r->ncaptures; i++) {
		/* An unset capture is "" to a suppression key: never stale stack bytes. */
		caps[i].p = "";
		caps[i].len = 0;
		caps[i].set = 0;
		for (k = 0; k < r->captures[i].ngroups; k++) {
			g = r->captures[i].group[k];
			if (g < nov && ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] >= ov[2 * g]) {
				caps[i].p = subj + ov[2 * g];
				caps[i].len = ov[2 * g + 1] - ov[2 * g];
				caps[i].set = 1;
				break;
			}
		}
	}
}

/*
 * Rule r (index ri) matched, its fields in caps: its event unless
 * suppressed, then its thresholds.
 */
static size_t
emit(struct matcher *m, size_t ri, const struct match_input *in, const struct span *caps,
    struct match_event *out, size_t max)
{
	const struct rule *r = m->rs->r[ri];
	struct match_event *ev;
	char key[THRESHOLD_MAX_KEY_LEN];
	uint64_t repeat = 0;
	size_t i, n = 0, klen;
	int own = 1, rc;

	m->st.matched++;
	if (r->suppress_us > 0) {
		if (m->supp[ri] == NULL)
			m->supp[ri] = suppress_new(r->suppress_us, THRESHOLD_MAX_KEYS);
		if (m->supp[ri] != NULL) {
			klen = make_key(key, sizeof(key), caps, r->suppress_by, r->nsuppress_by);
			rc = suppress_hit(m->supp[ri], key, klen, in->time_us, &repeat);
			if (rc == 0) {
				own = 0;
				m->st.suppressed++;
			}
		}
	}
	if (own && max > 0) {
		ev = &out[n++];
		ev->rule = r->id;
		ev->category = r->category;
		ev->severity = r->severity;
		ev->nfields = 0;
		for (i = 0; i < r->ncaptures; i++) {
			if (!caps[i].set)
				continue;
			ev->fields[ev->nfields].key = r->captures[i].name;
			ev->fields[ev->nfields].value = caps[i].p;
			ev->fields[ev->nfields].len = caps[i].len;
			ev->nfields++;
		}
		if (repeat > 0) {
			snprintf(ev->num, sizeof(ev->num), "%llu", (unsigned long long)repeat);
			ev->fields[ev->nfields].key = "repeat";
			ev->fields[ev->nfields].value = ev->num;
			ev->fields[ev->nfields].len = strlen(ev->num);
			ev->nfields++;
		}
		render(ev->summary, sizeof(ev->summary), r, caps, in, "");
	}
	for (i = 0; i < r->ncounted_by && n < max; i++)
		n += (size_t)count_threshold(m, r->counted_by[i], r->counted_group[i], r, caps, in,
		    &out[n]);
	return n;
}

static int
source_ok(const struct rule *r, const char *source)
{
	size_t i;

	if (r->sources.n == 0 || source == NULL)
		return 1;
	for (i = 0; i < r->sources.n; i++)
		if (strcmp(r->sources.item[i], source) == 0)
			return 1;
	return 0;
}

/*
 * The subject PCRE2 reads: the message itself when it is valid UTF-8 (the
 * common case: no copy), else a copy of the same length with each invalid
 * byte as '?', so that offsets and fields line up with the message.
 */
static const char *
subject(struct matcher *m, const struct match_input *in, size_t *len)
{
	const unsigned char *p = (const unsigned char *)in->msg;
	size_t n = in->msg_len < SUBJECT_MAX ? in->msg_len : SUBJECT_MAX, i = 0, k;
	char *nf;

	*len = n;
	while (i < n && p[i] < 0x80)
		i++;
	for (; i < n; i += k)
		if ((k = utf8_len(in->msg + i, n - i)) == 0)
			break;
	if (i == n)
		return in->msg;
	if (m->fixcap < n) {
		if ((nf = realloc(m->fix, n)) == NULL)
			return NULL;
		m->fix = nf;
		m->fixcap = n;
	}
	memcpy(m->fix, p, n);
	for (; i < n; i += k)
		if ((k = utf8_len(in->msg + i, n - i)) == 0) {
			m->fix[i] = '?';
			k = 1;
		}
	return m->fix;
}

size_t
matcher_match(struct matcher *m, const struct match_input *in, struct match_event *out,
    size_t max)
{
	const struct prog_slot *s;
	const uint32_t *list;
	const struct rule *r;
	const char *subj = NULL;
	struct span caps[RULES_MAX_CAPTURES];
	size_t n, i, slen = 0;
	int rc;

	m->st.lines++;
	list = m->any;
	n = m->nany;
	if (in->program_len > 0) {
		s = slot_find(m, in->program, in->program_len,
		    hash_name(in->program, in->program_len));
		if (s->name != NULL) {
			list = s->rules;
			n = s->n;
		}
	}
	for (i = 0; i < n; i++) {
		r = m->rs->r[list[i]];
		if (r->prefilter_len > 0 && text_find_by(in->msg, in->msg_len, r->prefilter,
		    r->prefilter_len, m->anchor[list[i]]) == NULL)
			continue;
		if (!source_ok(r, in->source))
			continue;
		if (subj == NULL && (subj = subject(m, in, &slen)) == NULL) {
			m->st.match_errors++;
			return 0;
		}
		m->st.regex_runs++;
		if (r->jit)
			rc = pcre2_jit_match(r->code, (PCRE2_SPTR)subj, slen, 0, 0, m->md, m->mc);
		else
			rc = pcre2_match(r->code, (PCRE2_SPTR)subj, slen, 0, PCRE2_NO_UTF_CHECK,
			    m->md, m->mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0) {
			m->st.match_errors++;
			continue;
		}
		/* The first rule that matches a line is the one that speaks for it. */
		line_caps(m, r, subj, caps);
		return emit(m, list[i], in, caps, out, max);
	}
	return 0;
}

/* ---- Windows events ------------------------------------------------------- */

int
matcher_set_fact(struct matcher *m, const char *name, const char *value)
{
	size_t i;
	char *v = NULL;

	if (strlen(name) > RULES_MAX_NAME)
		return VIGIL_ERR_INVAL;
	if (value != NULL && (v = strdup(value)) == NULL)
		return VIGIL_ERR_NOMEM;
	for (i = 0; i < m->nfacts; i++)
		if (strcmp(m->facts[i].name, name) == 0)
			break;
	if (i < m->nfacts && value == NULL) {
		/* Unset: the last one takes its place. */
		free(m->facts[i].value);
		m->facts[i] = m->facts[--m->nfacts];
		m->facts[m->nfacts].value = NULL;
		return 0;
	}
	if (i == m->nfacts) {
		if (value == NULL)
			return 0;
		if (m->nfacts == RULES_MAX_FACTS) {
			free(v);
			return VIGIL_ERR_TOOBIG;
		}
		snprintf(m->facts[i].name, sizeof(m->facts[i].name), "%s", name);
		m->nfacts++;
	}
	free(m->facts[i].value);
	m->facts[i].value = v;
	return 0;
}

static const char *
fact(const struct matcher *m, const char *name)
{
	for (size_t i = 0; i < m->nfacts; i++)
		if (strcmp(m->facts[i].name, name) == 0)
			return m->facts[i].value;
	return NULL;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* s[0..sn) matches the pattern p[0..pn): '*' any run, other bytes without regard to ASCII case. */
static int
glob_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && lower((unsigned char)p[pi]) == lower((unsigned char)s[si])) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return 0;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

static int
same_text(const char *a, const char *b)
{
	/* Most often written as the event has it (every event meets a rule's channel). */
	if (strcmp(a, b) == 0)
		return 1;
	for (; *a != '\0' && lower((unsigned char)*a) == lower((unsigned char)*b); a++, b++)
		;
	return *a == '\0' && *b == '\0';
}

/* Whether condition c holds for ev: a value (or fact) it lacks never does. */
static int
cond_met(const struct matcher *m, const struct rule_cond *c, struct winevent *ev)
{
	const char *v;
	size_t vlen, i;
	int any = 0;

	if (c->fact) {
		if ((v = fact(m, c->name)) == NULL)
			return 0;
		vlen = strlen(v);
	} else if ((v = winevent_value(ev, c->name, &vlen)) == NULL) {
		return 0;
	}
	for (i = 0; i < c->alts.n && !any; i++)
		any = glob_match(c->alts.item[i], c->alts.len[i], v, vlen);
	return c->negate ? !any : any;
}

/* Whether event rule r takes ev: channel, provider, then its conditions. */
static int
event_rule_takes(const struct matcher *m, const struct rule *r, struct winevent *ev,
    const char *source)
{
	size_t i, nunless = 0, unless_met = 0;

	if (!same_text(r->channel, ev->channel) ||
	    (r->provider != NULL && !same_text(r->provider, ev->provider)) ||
	    !source_ok(r, source))
		return 0;
	for (i = 0; i < r->nconds; i++) {
		const struct rule_cond *c = &r->conds[i];

		if (c->unless) {
			nunless++;
			unless_met += (size_t)cond_met(m, c, ev);
		} else if (!cond_met(m, c, ev)) {
			return 0;
		}
	}
	/* 'unless': all of its conditions met keeps the rule quiet. */
	return nunless == 0 || unless_met < nunless;
}

size_t
matcher_event_ids(const struct matcher *m, const char *channel, uint16_t *ids, size_t max)
{
	size_t i, n = 0;
	uint32_t last = UINT32_MAX;

	/* evidx is sorted by id: each id once, in order. */
	for (i = 0; i < m->nevidx; i++) {
		if (m->evidx[i].id == last ||
		    !same_text(m->rs->r[m->evidx[i].rule]->channel, channel))
			continue;
		last = m->evidx[i].id;
		if (n < max)
			ids[n] = (uint16_t)last;
		n++;
	}
	return n;
}

/* Name put into names[0..*n) unless there already; counted past max. */
static void
add_name(const char *name, const char **names, size_t max, size_t *n)
{
	size_t i;

	if (winevent_is_system(name))
		return;
	for (i = 0; i < *n && i < max; i++)
		if (strcmp(names[i], name) == 0)
			return;
	if (*n < max)
		names[*n] = name;
	(*n)++;
}

size_t
matcher_value_names(const struct matcher *m, const char **names, size_t max)
{
	const struct rule *r;
	size_t i, k, n = 0;

	for (i = 0; i < m->rs->n; i++) {
		r = m->rs->r[i];
		if (!r->is_event)
			continue;
		for (k = 0; k < r->nconds; k++)
			if (!r->conds[k].fact)
				add_name(r->conds[k].name, names, max, &n);
		for (k = 0; k < r->ncaptures; k++)
			add_name(r->field_src[k], names, max, &n);
	}
	return n;
}

/* The first of the rules of event_id in m->evidx (sorted by id), m->nevidx when none. */
static size_t
first_rule(const struct matcher *m, uint32_t event_id)
{
	size_t lo = 0, hi = m->nevidx, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->evidx[mid].id < event_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Bit i of names[0..n) for name, 0 when it is not there. */
static uint64_t
name_bit(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n && i < 64; i++)
		if (strcmp(names[i], name) == 0)
			return (uint64_t)1 << i;
	return 0;
}

uint64_t
matcher_value_mask(const struct matcher *m, uint32_t event_id, const char *const *names,
    size_t n)
{
	const struct rule *r;
	size_t lo = first_rule(m, event_id), k;
	uint64_t mask = 0;

	for (; lo < m->nevidx && m->evidx[lo].id == event_id; lo++) {
		r = m->rs->r[m->evidx[lo].rule];
		for (k = 0; k < r->nconds; k++)
			if (!r->conds[k].fact)
				mask |= name_bit(r->conds[k].name, names, n);
		for (k = 0; k < r->ncaptures; k++)
			mask |= name_bit(r->field_src[k], names, n);
	}
	return mask;
}

size_t
matcher_match_event(struct matcher *m, const char *source, struct winevent *ev,
    int64_t time_us, struct match_event *out, size_t max)
{
	struct span caps[RULES_MAX_CAPTURES];
	struct match_input in;
	const struct rule *r;
	size_t lo = first_rule(m, ev->event_id), i, len;
	const char *v;
	char err[8];

	m->st.events++;
	for (; lo < m->nevidx && m->evidx[lo].id == ev->event_id; lo++) {
		r = m->rs->r[m->evidx[lo].rule];
		if (!event_rule_takes(m, r, ev, source))
			continue;
		/*
		 * An event that fires is read whole first (its raw text is all of
		 * it): one whose rest is unreadable fires nothing, as it did when
		 * every event was read whole.
		 */
		if (winevent_parse_tail(ev, NULL, err, sizeof(err)) != 0)
			return 0;
		for (i = 0; i < r->ncaptures; i++) {
			v = winevent_get(ev, r->field_src[i], &len);
			caps[i].p = v != NULL ? v : "";
			caps[i].len = v != NULL ? len : 0;
			caps[i].set = v != NULL;
		}
		memset(&in, 0, sizeof(in));
		in.source = source;
		in.program = ev->provider;
		in.program_len = strlen(ev->provider);
		in.time_us = time_us;
		/* As for a line: the first rule that takes an event speaks for it. */
		return emit(m, m->evidx[lo].rule, &in, caps, out, max);
	}
	return 0;
}

/* ---- rule test mode -------------------------------------------------------- */

static void
print_event(FILE *out, unsigned long long lineno, const struct match_event *ev)
{
	char buf[4 * MATCH_MAX_SUMMARY + 1];
	size_t i;

	text_escape(buf, sizeof(buf), ev->summary, strlen(ev->summary));
	fprintf(out, "%llu\t%s\t%s\t%s\t%s\t", lineno, ev->rule, category_name(ev->category),
	    severity_name(ev->severity), buf);
	for (i = 0; i < ev->nfields; i++) {
		text_escape(buf, sizeof(buf), ev->fields[i].value, ev->fields[i].len);
		fprintf(out, "%s%s=%s", i > 0 ? " " : "", ev->fields[i].key, buf);
	}
	fputc('\n', out);
}

/* The test input: the bytes already read to tell lines from events, then the file. */
struct test_in {
	FILE *fp;
	const char *pre;
	size_t npre, at;
};

static int
test_getc(struct test_in *ti)
{
	if (ti->at < ti->npre)
		return (unsigned char)ti->pre[ti->at++];
	return getc(ti->fp);
}

static void
test_lines(struct matcher *m, struct test_in *ti, FILE *out, const char *source,
    struct match_event *evs, char *line)
{
	struct match_input mi;
	struct syslog_line sl;
	unsigned long long lineno = 0;
	size_t n, i, len;
	int c;

	for (;;) {
		/* A line of any bytes, cut at TEST_LINE_MAX; the rest of it is skipped. */
		for (len = 0; (c = test_getc(ti)) != EOF && c != '\n';)
			if (len < TEST_LINE_MAX)
				line[len++] = (char)c;
		if (c == EOF && len == 0)
			break;
		lineno++;
		if (len > 0 && line[len - 1] == '\r')
			len--;          /* as ingest() does: CRLF lines are the same lines */
		memset(&mi, 0, sizeof(mi));
		mi.source = source;
		if (syslog_parse(line, len, &sl))
			mi.time_us = sl.time_us;
		else
			mi.time_us = (int64_t)lineno * 1000000;
		mi.program = sl.program;
		mi.program_len = sl.program_len;
		mi.msg = sl.msg;
		mi.msg_len = sl.msg_len;
		n = matcher_match(m, &mi, evs, MATCH_MAX_EVENTS);
		if (n == 0)
			fprintf(out, "%llu\t-\n", lineno);
		for (i = 0; i < n; i++)
			print_event(out, lineno, &evs[i]);
	}
}

/*
 * "<?vigil-fact NAME=VALUE?>" before an event, in test input only: sets (or,
 * with no value, unsets) an agent fact from there on, as the platform would.
 * Returns the bytes it took, or 0 when p does not start with one.
 */
static size_t
test_fact(struct matcher *m, const char *p, size_t n)
{
	static const char tag[] = "<?vigil-fact ";
	char name[RULES_MAX_NAME + 1], value[256];
	const char *end, *eq;
	size_t nl, vl;

	if (n < sizeof(tag) - 1 || memcmp(p, tag, sizeof(tag) - 1) != 0 ||
	    (end = text_find(p, n, "?>", 2)) == NULL)
		return 0;
	p += sizeof(tag) - 1;
	if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
		return (size_t)(end + 2 - (p - (sizeof(tag) - 1)));
	nl = (size_t)(eq - p) < sizeof(name) - 1 ? (size_t)(eq - p) : sizeof(name) - 1;
	vl = (size_t)(end - eq - 1) < sizeof(value) - 1 ? (size_t)(end - eq - 1) : sizeof(value) - 1;
	memcpy(name, p, nl);
	name[nl] = '\0';
	memcpy(value, eq + 1, vl);
	value[vl] = '\0';
	matcher_set_fact(m, name, vl > 0 ? value : NULL);
	return (size_t)(end + 2 - (p - (sizeof(tag) - 1)));
}

/* Rendered events, one after another: the whole input, then each event in turn. */
static int
test_events(struct matcher *m, struct test_in *ti, FILE *out, const char *source,
    struct match_event *evs)
{
	struct winevent *ev;
	unsigned long long evno = 0;
	char *buf = NULL, *nb, err[256];
	size_t len = 0, cap = 0, at = 0, used, n, i, k;
	int c, rc = 0, prc;

	while ((c = test_getc(ti)) != EOF) {
		if (len == cap) {
			if (cap >= TEST_XML_MAX) {
				fprintf(stderr, "vigil-agent: the events are longer than %d MiB\n",
				    TEST_XML_MAX >> 20);
				free(buf);
				return VIGIL_ERR_TOOBIG;
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return VIGIL_ERR_NOMEM;
			}
			buf = nb;
		}
		buf[len++] = (char)c;
	}
	if ((ev = malloc(sizeof(*ev))) == NULL) {
		free(buf);
		return VIGIL_ERR_NOMEM;
	}
	while (at < len) {
		while (at < len && (buf[at] == ' ' || buf[at] == '\t' || buf[at] == '\r' ||
		    buf[at] == '\n'))
			at++;
		while ((k = test_fact(m, buf + at, len - at)) > 0)
			at += k;
		prc = winevent_parse(ev, buf + at, len - at, &used, err, sizeof(err));
		if (prc == VIGIL_ERR_EMPTY)
			break;
		evno++;
		if (prc != 0) {
			/* Said, and read on from the next event. */
			fprintf(stderr, "vigil-agent: event %llu: %s\n", evno, err);
			fprintf(out, "%llu\t-\n", evno);
			rc = VIGIL_ERR_INVAL;
			if ((nb = (char *)(uintptr_t)text_find(buf + at + 1, len - at - 1, "<Event",
			    6)) == NULL)
				break;
			at = (size_t)(nb - buf);
			continue;
		}
		at += used;
		n = matcher_match_event(m, source, ev, ev->time_us != 0 ? ev->time_us :
		    (int64_t)evno * 1000000, evs, MATCH_MAX_EVENTS);
		if (n == 0)
			fprintf(out, "%llu\t-\n", evno);
		for (i = 0; i < n; i++)
			print_event(out, evno, &evs[i]);
	}
	free(ev);
	free(buf);
	return rc;
}

int
matcher_test_stream(struct matcher *m, FILE *in, FILE *out, const char *source)
{
	struct match_event *evs;
	struct test_in ti;
	char *line, pre[8];
	size_t npre = 0;
	int c, rc = 0;

	evs = calloc(MATCH_MAX_EVENTS, sizeof(*evs));
	line = malloc(TEST_LINE_MAX);
	if (evs == NULL || line == NULL) {
		free(evs);
		free(line);
		return VIGIL_ERR_NOMEM;
	}
	/* Rendered events start "<Event", "<?xml" or a byte order mark; anything else is lines. */
	while (npre < 5 && (c = getc(in)) != EOF)
		pre[npre++] = (char)c;
	ti.fp = in;
	ti.pre = pre;
	ti.npre = npre;
	ti.at = 0;
	if (npre == 5 && (memcmp(pre, "<Even", 5) == 0 || memcmp(pre, "<?xml", 5) == 0 ||
	    memcmp(pre, "<?vig", 5) == 0 || memcmp(pre, "\xef\xbb\xbf<", 4) == 0))
		rc = test_events(m, &ti, out, source, evs);
	else
		test_lines(m, &ti, out, source, evs, line);
	if (ferror(in) || fflush(out) != 0)
		rc = VIGIL_ERR_SYS;
	free(line);
	free(evs);
	return rc;
}
