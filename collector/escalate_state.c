/*
 * The escalation state of one incident as one line of text, and back: what
 * the store keeps (escalation_state.state) so that a restart resumes each
 * climb where it was.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil.pb-c.h"
#include "vigil/config.h"
#include "vigil/err.h"
#include "vigil/names.h"
#include "vigil/text.h"

#include "escalate_int.h"


/* ---- persistence ---------------------------------------------------------------------------- */

static bool
plain_byte(unsigned char b)
{
	return isalnum(b) || b == '=' || b == '.' || b == '_' || b == '-';
}

/* Percent-encode into out; false if it does not fit. */
static bool
pct_encode(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	unsigned char b;

	for (; *s != '\0'; s++) {
		b = (unsigned char)*s;
		if (plain_byte(b)) {
			if (n + 1 >= len)
				return false;
			out[n++] = (char)b;
		} else {
			if (n + 3 >= len)
				return false;
			out[n++] = '%';
			out[n++] = hex[b >> 4];
			out[n++] = hex[b & 15];
		}
	}
	if (n >= len)
		return false;
	out[n] = '\0';
	return true;
}

static bool
pct_decode(const char *s, size_t slen, char *out, size_t len)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < slen; i++) {
		if (n + 1 >= len)
			return false;
		if (s[i] == '%') {
			/* %00 would cut the key short when read back. */
			if (i + 2 >= slen || (hi = text_hex_digit(s[i + 1])) < 0 ||
			    (lo = text_hex_digit(s[i + 2])) < 0 || (hi == 0 && lo == 0))
				return false;
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plain_byte((unsigned char)s[i])) {
			out[n++] = s[i];
		} else {
			return false;
		}
	}
	out[n] = '\0';
	return true;
}

int
escalate_state_format(const struct escalate_state *st, char *buf, size_t len)
{
	const struct escalate_track *t;
	char group[3 * ESC_GROUP_MAX + 1];
	size_t n, i;
	int w;

	w = snprintf(buf, len, "v1 %" PRId64 " %d %" PRId64 " %" PRId64 " %d %zu", st->incident,
	    st->severity, st->start_us, st->ack_us, st->closed, st->ntracks);
	if (w < 0 || (size_t)w >= len || st->ntracks > ESC_TRACKS_MAX)
		return VIGIL_ERR_TOOBIG;
	n = (size_t)w;
	for (i = 0; i < st->ntracks; i++) {
		t = &st->tracks[i];
		if (!pct_encode(t->group, group, sizeof group))
			return VIGIL_ERR_TOOBIG;
		w = snprintf(buf + n, len - n, " %s %s %d %d %d %d %" PRId64 " %" PRId64 " %" PRId64,
		    t->route, group[0] != '\0' ? group : "%", t->now_sent, t->level, t->repeats,
		    t->manual_level, t->manual_us, t->first_us, t->last_us);
		if (w < 0 || (size_t)w >= len - n)
			return VIGIL_ERR_TOOBIG;
		n += (size_t)w;
	}
	return (int)n;
}

/* The next space-separated word of *p: its start and length, or false at the end. */
static bool
word(const char **p, const char **w, size_t *wlen)
{
	const char *s = *p;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return false;
	*w = s;
	while (*s != '\0' && *s != ' ')
		s++;
	*wlen = (size_t)(s - *w);
	*p = s;
	return true;
}

static bool
word_i64(const char **p, int64_t *v)
{
	char buf[24], *end;
	const char *w;
	size_t len;

	if (!word(p, &w, &len) || len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, w, len);
	buf[len] = '\0';
	*v = strtoll(buf, &end, 10);
	return *end == '\0';
}

static bool
word_int(const char **p, int *v, int lo, int hi)
{
	int64_t x;

	if (!word_i64(p, &x) || x < lo || x > hi)
		return false;
	*v = (int)x;
	return true;
}

int
escalate_state_parse(const char *text, struct escalate_state *st)
{
	struct escalate_track *t;
	const char *p = text, *w;
	size_t len, i;
	int ntracks;

	memset(st, 0, sizeof *st);
	if (!word(&p, &w, &len))
		return VIGIL_ERR_DECODE;
	if (len != 2 || strncmp(w, "v1", 2) != 0)
		return VIGIL_ERR_VERSION;
	if (!word_i64(&p, &st->incident) || !word_int(&p, &st->severity, 0, 1000) ||
	    !word_i64(&p, &st->start_us) || !word_i64(&p, &st->ack_us) ||
	    !word_int(&p, &st->closed, 0, 1) || !word_int(&p, &ntracks, 0, ESC_TRACKS_MAX))
		return VIGIL_ERR_DECODE;
	st->ntracks = (size_t)ntracks;
	for (i = 0; i < st->ntracks; i++) {
		t = &st->tracks[i];
		if (!word(&p, &w, &len) || len >= sizeof t->route)
			return VIGIL_ERR_DECODE;
		memcpy(t->route, w, len);
		t->route[len] = '\0';
		if (!word(&p, &w, &len))
			return VIGIL_ERR_DECODE;
		if (!(len == 1 && w[0] == '%') && !pct_decode(w, len, t->group, sizeof t->group))
			return VIGIL_ERR_DECODE;
		if (!word_int(&p, &t->now_sent, 0, 1) ||
		    !word_int(&p, &t->level, 0, ESC_LEVELS_MAX) ||
		    !word_int(&p, &t->repeats, 0, 1000000) ||
		    !word_int(&p, &t->manual_level, 0, ESC_LEVELS_MAX) ||
		    !word_i64(&p, &t->manual_us) || !word_i64(&p, &t->first_us) ||
		    !word_i64(&p, &t->last_us))
			return VIGIL_ERR_DECODE;
	}
	if (word(&p, &w, &len))
		return VIGIL_ERR_DECODE;
	return 0;
}
