/*
 * The sensor engine (see sensor.h): a walk over the platform's table. The
 * running sensors are kept beside their drivers, so that counting and
 * stopping need nothing but the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/utf8.h"

#include "sensor.h"

struct running {
	const struct sensor_driver *drv;
	void *state;
};

struct sensors {
	struct running *r;
	size_t n;
};

const struct sensor_driver *
sensor_find(const char *name)
{
	size_t i;

	for (i = 0; sensor_drivers[i] != NULL; i++)
		if (strcmp(sensor_drivers[i]->name, name) == 0)
			return sensor_drivers[i];
	return NULL;
}

struct sensors *
sensors_start(const struct sensor_env *env, const struct sensor_driver **failed, char *err,
    size_t errlen)
{
	struct sensors *s;
	size_t n, i;
	void *state;

	*failed = NULL;
	for (n = 0; sensor_drivers[n] != NULL; n++)
		;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->r = calloc(n > 0 ? n : 1, sizeof(*s->r))) == NULL) {
		free(s);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		err[0] = '\0';
		if ((state = sensor_drivers[i]->start(env, err, errlen)) == NULL) {
			if (err[0] == '\0')
				continue;          /* not configured */
			*failed = sensor_drivers[i];
			sensors_stop(s);
			return NULL;
		}
		s->r[s->n].drv = sensor_drivers[i];
		s->r[s->n].state = state;
		s->n++;
	}
	return s;
}

void
sensors_stop(struct sensors *s)
{
	if (s == NULL)
		return;
	while (s->n > 0) {
		s->n--;
		s->r[s->n].drv->stop(s->r[s->n].state);
	}
	free(s->r);
	free(s);
}

void
sensors_count(const struct sensors *s, struct sensor_counters *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; s != NULL && i < s->n; i++)
		if (s->r[i].drv->count != NULL)
			s->r[i].drv->count(s->r[i].state, c);
}

void
sensor_report_unavailable(struct sensor_report *r, const char *sensor, const char *reason)
{
	if (r->nunavailable >= SENSOR_MAX_UNAVAILABLE)
		return;
	/* A translated reason is cut on a character, not inside one. */
	snprintf(r->unavailable[r->nunavailable].sensor, SENSOR_MAX_NAME, "%s", sensor);
	snprintf(r->unavailable[r->nunavailable].reason, SENSOR_MAX_REASON, "%.*s",
	    (int)utf8_cut(reason, strlen(reason), SENSOR_MAX_REASON - 1), reason);
	r->nunavailable++;
}

void
sensor_report_counter(struct sensor_report *r, const char *name, uint64_t value)
{
	if (r->ncounters >= SENSOR_MAX_COUNTERS)
		return;
	snprintf(r->counters[r->ncounters].name, SENSOR_MAX_NAME, "%s", name);
	r->counters[r->ncounters].value = value;
	r->ncounters++;
}

void
sensors_report(const struct sensors *s, struct sensor_report *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; s != NULL && i < s->n; i++)
		if (s->r[i].drv->report != NULL)
			s->r[i].drv->report(s->r[i].state, r);
}

void *
sensors_state(const struct sensors *s, const char *name)
{
	size_t i;

	for (i = 0; s != NULL && i < s->n; i++)
		if (strcmp(s->r[i].drv->name, name) == 0)
			return s->r[i].state;
	return NULL;
}
