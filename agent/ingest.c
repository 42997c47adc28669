/*
 * One observation -> the matcher -> events in the spool, valid for the wire.
 * A log line's syslog header gives the program and the message; a journal
 * entry comes with its identifier apart. The line is not copied unless it
 * fires: the matcher's fields are spans of it, made valid UTF-8 here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "ingest.h"
#include "syslog.h"

_Static_assert(MATCH_MAX_FIELDS <= WIRE_MAX_FIELDS, "an event's fields fit the wire");
_Static_assert(MATCH_MAX_SUMMARY <= WIRE_MAX_SUMMARY, "a summary fits the wire");

/* One event being built; sized for the wire's limits. */
struct scratch {
	char rule[WIRE_MAX_RULE + 1];
	char summary[WIRE_MAX_SUMMARY + 1];
	char raw[WIRE_MAX_RAW + 1];
	char source[WIRE_MAX_SOURCE + 1];
	char keys[MATCH_MAX_FIELDS][WIRE_MAX_FIELD_KEY + 1];
	char values[MATCH_MAX_FIELDS][WIRE_MAX_FIELD_VALUE + 1];
	Vigil__V1__Field fields[MATCH_MAX_FIELDS];
	Vigil__V1__Field *fieldp[MATCH_MAX_FIELDS];
	struct match_event evs[MATCH_MAX_EVENTS];
};

struct ingest {
	struct spool *spool;
	struct matcher *matcher;
	struct scratch sc;
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
	free(ing);
}

uint64_t
ingest_rejected(const struct ingest *ing)
{
	return ing->rejected;
}

static char *
clean(char *dst, size_t cap, const char *src, size_t len)
{
	text_utf8_clean(dst, cap, src, len);
	return dst;
}

/* One matched event -> the wire's shape -> the spool. */
static int
append(struct ingest *ing, const struct ingest_input *in, const struct match_event *me)
{
	struct scratch *sc = &ing->sc;
	Vigil__V1__Event ev;
	char why[256];
	size_t i;
	int rc;

	vigil__v1__event__init(&ev);
	ev.seq = 1;     /* a placeholder for the checks; spool_append assigns the real one */
	ev.time_us = in->time_us;
	ev.source = clean(sc->source, sizeof(sc->source), in->source,
	    strnlen(in->source, WIRE_MAX_SOURCE));
	ev.category = (Vigil__V1__Category)me->category;
	ev.severity = (Vigil__V1__Severity)me->severity;
	ev.rule = clean(sc->rule, sizeof(sc->rule), me->rule, strnlen(me->rule, WIRE_MAX_RULE));
	ev.summary = clean(sc->summary, sizeof(sc->summary), me->summary, strlen(me->summary));
	ev.raw = clean(sc->raw, sizeof(sc->raw), in->line, in->len);
	for (i = 0; i < me->nfields && i < MATCH_MAX_FIELDS; i++) {
		vigil__v1__field__init(&sc->fields[i]);
		sc->fields[i].key = clean(sc->keys[i], sizeof(sc->keys[i]), me->fields[i].key,
		    strnlen(me->fields[i].key, WIRE_MAX_FIELD_KEY));
		sc->fields[i].value = clean(sc->values[i], sizeof(sc->values[i]),
		    me->fields[i].value, me->fields[i].len);
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
	if ((rc = spool_append(ing->spool, &ev, NULL)) != 0) {
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
	size_t n, i;
	int rc, appended = 0;

	memset(&mi, 0, sizeof(mi));
	mi.source = in->source;
	mi.time_us = in->time_us;
	if (in->program != NULL) {
		mi.program = in->program;
		mi.program_len = strnlen(in->program, SYSLOG_MAX_TAG + 1);
		mi.msg = in->line;
		mi.msg_len = in->len;
	} else {
		syslog_parse(in->line, in->len, &sl);
		mi.program = sl.program;
		mi.program_len = sl.program_len;
		mi.msg = sl.msg;
		mi.msg_len = sl.msg_len;
	}
	n = matcher_match(ing->matcher, &mi, ing->sc.evs, MATCH_MAX_EVENTS);
	for (i = 0; i < n; i++) {
		if ((rc = append(ing, in, &ing->sc.evs[i])) < 0)
			return rc;
		appended += rc;
	}
	return appended;
}
