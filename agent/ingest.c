/* One observation -> matcher -> events in the spool, valid for the wire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "ingest.h"

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
	char line[WIRE_MAX_RAW + 256];   /* a journal entry as a syslog line */
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
clean(char *dst, size_t cap, const char *src, size_t maxlen)
{
	text_utf8_clean(dst, cap, src, strnlen(src, maxlen));
	return dst;
}

int
ingest(struct ingest *ing, const struct ingest_input *in)
{
	struct scratch *sc = &ing->sc;
	Vigil__V1__Event ev;
	struct match_event me;
	const char *line = in->line;
	size_t len = in->len, i;
	char why[256];
	int rc, n;

	/*
	 * The built-in matcher reads syslog lines; an entry whose identifier
	 * came apart from its message (journald) is put back into that shape.
	 */
	if (in->program != NULL) {
		n = snprintf(sc->line, sizeof(sc->line), "Jan  1 00:00:00 - %s: %.*s", in->program,
		    (int)(len < WIRE_MAX_RAW ? len : WIRE_MAX_RAW), in->line);
		line = sc->line;
		len = n < 0 ? 0 : (size_t)n < sizeof(sc->line) ? (size_t)n : sizeof(sc->line) - 1;
	}
	memset(&me, 0, sizeof(me));
	if (matcher_match(ing->matcher, in->source, line, len, &me) != 1)
		return 0;

	vigil__v1__event__init(&ev);
	ev.seq = 1;     /* a placeholder for the checks; spool_append assigns the real one */
	ev.time_us = in->time_us;
	ev.source = clean(sc->source, sizeof(sc->source), in->source, WIRE_MAX_SOURCE);
	ev.category = (Vigil__V1__Category)me.category;
	ev.severity = (Vigil__V1__Severity)me.severity;
	ev.rule = clean(sc->rule, sizeof(sc->rule), me.rule, sizeof(me.rule));
	ev.summary = clean(sc->summary, sizeof(sc->summary), me.summary, sizeof(me.summary));
	text_utf8_clean(sc->raw, sizeof(sc->raw), in->line, in->len);
	ev.raw = sc->raw;
	for (i = 0; i < me.nfields && i < MATCH_MAX_FIELDS; i++) {
		vigil__v1__field__init(&sc->fields[i]);
		sc->fields[i].key = clean(sc->keys[i], sizeof(sc->keys[i]), me.fields[i].key,
		    sizeof(me.fields[i].key));
		sc->fields[i].value = clean(sc->values[i], sizeof(sc->values[i]),
		    me.fields[i].value, sizeof(me.fields[i].value));
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
