/*
 * One observation -> the matcher -> events in the spool, valid for the wire;
 * and the sensors' events, the same last step. A log line's syslog header
 * gives the program and the message; a journal entry comes with its
 * identifier apart. The line is not copied unless it fires: the matcher's
 * fields are spans of it, made valid UTF-8 here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/winevent.h"
#include "vigil/wire.h"
#include "ingest.h"
#include "syslog.h"
#include "vigil/clock.h"

_Static_assert(INGEST_MAX_FIELDS <= WIRE_MAX_FIELDS, "an event's fields fit the wire");
_Static_assert(MATCH_MAX_FIELDS <= INGEST_MAX_FIELDS, "a matched event's fields fit");
_Static_assert(MATCH_MAX_SUMMARY <= WIRE_MAX_SUMMARY, "a summary fits the wire");

/* One event being built; sized for the wire's limits. */
struct scratch {
	char rule[WIRE_MAX_RULE + 1];
	char summary[WIRE_MAX_SUMMARY + 1];
	char raw[WIRE_MAX_RAW + 1];
	char source[WIRE_MAX_SOURCE + 1];
	char keys[INGEST_MAX_FIELDS][WIRE_MAX_FIELD_KEY + 1];
	char values[INGEST_MAX_FIELDS][WIRE_MAX_FIELD_VALUE + 1];
	Vigil__V1__Field fields[INGEST_MAX_FIELDS];
	Vigil__V1__Field *fieldp[INGEST_MAX_FIELDS];
	struct match_event evs[MATCH_MAX_EVENTS];
};

struct ingest {
	struct spool *spool;
	struct matcher *matcher;
	struct scratch *sc;   /* 36 kB, made by the first event: a quiet sensor holds none */
	uint64_t rejected;
};

struct ingest *
ingest_new(struct spool *spool, struct matcher *m)
{
	struct ingest *ing;

	if ((ing = calloc(1, sizeof(*ing))) == NULL)
		return NULL;
	ing->spool = spool;
	ing->matcher = m;
	return ing;
}

void
ingest_free(struct ingest *ing)
{
	if (ing == NULL)
		return;
	free(ing->sc);
	free(ing);
}

/* The event scratch, made on first use; NULL when out of memory. */
static struct scratch *
scratch(struct ingest *ing)
{
	if (ing->sc == NULL)
		ing->sc = malloc(sizeof(*ing->sc));
	return ing->sc;
}

uint64_t
ingest_rejected(const struct ingest *ing)
{
	return ing->rejected;
}

/* A span of any bytes -> valid UTF-8, cut to dst's capacity. */
static char *
clean(char *dst, size_t cap, const char *src, size_t len)
{
	text_utf8_clean(dst, cap, src != NULL ? src : "", src != NULL ? len : 0);
	return dst;
}

/* The same for a C string: what fits is decided by its first cap - 1 bytes. */
static char *
clean_str(char *dst, size_t cap, const char *src)
{
	return clean(dst, cap, src, src != NULL ? strnlen(src, cap - 1) : 0);
}

void
ingest_event_init(struct ingest_event *ev, const char *source, int category, int severity,
    const char *rule, const char *summary)
{
	memset(ev, 0, sizeof(*ev));
	ev->source = source;
	ev->category = category;
	ev->severity = severity;
	ev->rule = rule;
	ev->summary = summary;
}

void
ingest_field(struct ingest_event *ev, const char *key, const char *value)
{
	if (ev->nfields >= INGEST_MAX_FIELDS)
		return;
	ev->fields[ev->nfields].key = key;
	ev->fields[ev->nfields].value = value;
	ev->fields[ev->nfields].len = value != NULL ? strnlen(value, WIRE_MAX_FIELD_VALUE) : 0;
	ev->nfields++;
}

int
ingest_append(struct ingest *ing, const struct ingest_event *in, uint64_t *seq)
{
	struct scratch *sc = scratch(ing);
	Vigil__V1__Event ev;
	char why[256];
	size_t i;
	int rc;

	if (sc == NULL)
		return VIGIL_ERR_NOMEM;
	vigil__v1__event__init(&ev);
	ev.seq = 1;     /* a placeholder for the checks; spool_append assigns the real one */
	ev.time_us = in->time_us != 0 ? in->time_us : clock_now_us();
	ev.source = clean_str(sc->source, sizeof(sc->source), in->source);
	ev.category = (Vigil__V1__Category)in->category;
	ev.severity = (Vigil__V1__Severity)in->severity;
	ev.rule = clean_str(sc->rule, sizeof(sc->rule), in->rule);
	ev.summary = clean_str(sc->summary, sizeof(sc->summary), in->summary);
	/*
	 * A summary made only of fields the line left empty ("summary = {msg}")
	 * would make the event invalid, and lose it: it says at least which
	 * rule fired.
	 */
	if (ev.summary[0] == '\0')
		ev.summary = ev.rule;
	ev.raw = clean(sc->raw, sizeof(sc->raw), in->raw, in->rawlen);
	for (i = 0; i < in->nfields && i < INGEST_MAX_FIELDS; i++) {
		vigil__v1__field__init(&sc->fields[i]);
		sc->fields[i].key = clean_str(sc->keys[i], sizeof(sc->keys[i]), in->fields[i].key);
		sc->fields[i].value = clean(sc->values[i], sizeof(sc->values[i]),
		    in->fields[i].value, in->fields[i].len);
		sc->fieldp[i] = &sc->fields[i];
	}
	ev.n_fields = i;
	ev.fields = i > 0 ? sc->fieldp : NULL;

	if (wire_validate_event(&ev, why, sizeof(why)) != 0) {
		ing->rejected++;
		log_warnx("An event of rule %s from source %s is invalid and skipped: %s.",
		    ev.rule, ev.source, why);
		return 0;
	}
	if ((rc = spool_append(ing->spool, &ev, seq)) != 0) {
		log_warnx("The spool cannot take an event from source %s: %s.", ev.source,
		    vigil_strerror(rc));
		return rc;
	}
	return 1;
}

int
ingest(struct ingest *ing, const struct ingest_input *in)
{
	struct match_input mi;
	struct syslog_line sl;
	struct ingest_event ev;
	const struct match_event *me;
	struct scratch *sc = scratch(ing);
	size_t n, i, len = in->len;
	int rc, appended = 0;

	if (sc == NULL)
		return VIGIL_ERR_NOMEM;
	/*
	 * A CRLF file, or syslog relayed from Windows or a network device,
	 * ends each line in CR: it is not part of the message, and rules
	 * anchored with $ must see the end. One only: more is content.
	 */
	if (len > 0 && in->line[len - 1] == '\r')
		len--;
	memset(&mi, 0, sizeof(mi));
	mi.source = in->source;
	mi.time_us = in->time_us != 0 ? in->time_us : clock_now_us();
	if (in->program != NULL) {
		mi.program = in->program;
		mi.program_len = strnlen(in->program, SYSLOG_MAX_TAG + 1);
		mi.msg = in->line;
		mi.msg_len = len;
	} else {
		syslog_parse(in->line, len, &sl);
		mi.program = sl.program;
		mi.program_len = sl.program_len;
		mi.msg = sl.msg;
		mi.msg_len = sl.msg_len;
	}
	n = matcher_match(ing->matcher, &mi, sc->evs, MATCH_MAX_EVENTS);
	for (i = 0; i < n; i++) {
		me = &sc->evs[i];
		ingest_event_init(&ev, in->source, me->category, me->severity, me->rule,
		    me->summary);
		ev.raw = in->line;
		ev.rawlen = len;
		ev.time_us = mi.time_us;
		ev.nfields = me->nfields;
		memcpy(ev.fields, me->fields, me->nfields * sizeof(me->fields[0]));
		if ((rc = ingest_append(ing, &ev, NULL)) < 0)
			return rc;
		appended += rc;
	}
	return appended;
}

int
ingest_winevent(struct ingest *ing, const char *source, struct winevent *wev)
{
	struct ingest_event ev;
	const struct match_event *me;
	struct scratch *sc = scratch(ing);
	char *raw;
	size_t n, i, rawlen = 0;
	int64_t t;
	int rc, appended = 0;

	if (sc == NULL)
		return VIGIL_ERR_NOMEM;
	t = wev->time_us != 0 ? wev->time_us : clock_now_us();
	n = matcher_match_event(ing->matcher, source, wev, t, sc->evs, MATCH_MAX_EVENTS);
	if (n == 0)
		return 0;
	/* The raw text is made once, for all of them: ingest_append cleans it into the scratch. */
	if ((raw = malloc(WIRE_MAX_RAW + 1)) == NULL)
		return VIGIL_ERR_NOMEM;
	rawlen = winevent_format(wev, raw, WIRE_MAX_RAW + 1);
	for (i = 0; i < n; i++) {
		me = &sc->evs[i];
		ingest_event_init(&ev, source, me->category, me->severity, me->rule, me->summary);
		ev.raw = raw;
		ev.rawlen = rawlen;
		ev.time_us = t;
		ev.nfields = me->nfields;
		memcpy(ev.fields, me->fields, me->nfields * sizeof(me->fields[0]));
		if ((rc = ingest_append(ing, &ev, NULL)) < 0) {
			free(raw);
			return rc;
		}
		appended += rc;
	}
	free(raw);
	return appended;
}
