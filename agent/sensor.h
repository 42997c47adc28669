/*
 * sensor.c: the agent's sensors are drivers, each a named table of
 * functions, as OpenSMTPD's table backends are. The engine here starts the
 * drivers of the platform's table (agent/linux/drivers.c: log files, the
 * journal, USB, antivirus, updates) in order, sums their counters for the
 * heartbeat and stops them; it never names one. A new sensor is a file that
 * defines a struct sensor_driver, and a line in its platform's table.
 *
 * A driver reads its own part of the configuration, writes its events to the
 * spool itself (through ingest, follow or posture), and reports its part of
 * the posture; what it is given is the environment below.
 */
#ifndef VIGIL_AGENT_SENSOR_H
#define VIGIL_AGENT_SENSOR_H

#include <stddef.h>
#include <stdint.h>

struct agent_conf;
struct dirwatch;
struct event_base;
struct matcher;
struct posture;
struct spool;

/* What every sensor is given; all of it is borrowed and outlives the sensors. */
struct sensor_env {
	struct event_base *base;
	struct spool *spool;
	struct matcher *matcher;
	struct posture *posture;
	struct dirwatch *dirwatch;           /* the platform's directory watcher; may be NULL */
	const struct agent_conf *conf;
	size_t max_line;                     /* bytes of one log line or message */
	void (*appended)(void *arg);         /* after a commit that added events */
	void *arg;
};

/* The counters a sensor adds to the heartbeat. */
struct sensor_counters {
	uint64_t lines_truncated;            /* lines cut at max_line */
	uint64_t events_rejected;            /* events that failed wire validation */
	uint64_t uevents_spoofed;            /* device events not from the kernel */
	uint64_t uevents_lost;               /* device events the kernel dropped for us */
};

/*
 * What sensors say of themselves in the heartbeat beyond the shared
 * counters: a sensor configured but unable to run here (an API missing, as
 * the Event Log under Wine), and counters of their own by name
 * ("eventlog.fields_dropped"). Capped: what does not fit is left out.
 */
#define SENSOR_MAX_UNAVAILABLE 8
#define SENSOR_MAX_COUNTERS 24
#define SENSOR_MAX_NAME 48                   /* bytes of a sensor's or counter's name, NUL too */
#define SENSOR_MAX_REASON 200                /* bytes of why, NUL too */
struct sensor_report {
	size_t nunavailable;
	struct {
		char sensor[SENSOR_MAX_NAME];
		char reason[SENSOR_MAX_REASON];
	} unavailable[SENSOR_MAX_UNAVAILABLE];
	size_t ncounters;
	struct {
		char name[SENSOR_MAX_NAME];
		uint64_t value;
	} counters[SENSOR_MAX_COUNTERS];
};

/* Add to r (cut at the caps; a full table takes no more). */
void sensor_report_unavailable(struct sensor_report *r, const char *sensor, const char *reason);
void sensor_report_counter(struct sensor_report *r, const char *name, uint64_t value);

struct sensor_driver {
	const char *name;                    /* "logfile", "journal", "usb", ... */
	/*
	 * Its own checks of a configuration cfg_load() read from path: 0, or
	 * a vigil_err with "file:line: message" in err (agent_conf_line()
	 * finds the line). NULL: none.
	 */
	int (*check)(const char *path, const struct agent_conf *conf, char *err, size_t errlen);
	/*
	 * Why the agent cannot go on when start fails, as the start of a
	 * sentence ("The USB sensor cannot start"): marked for translation.
	 */
	const char *failure;
	/*
	 * Start from env->conf: the sensor's state; NULL with err[0] == '\0'
	 * when the configuration asks for none; NULL with a sentence in err
	 * when it cannot start.
	 */
	void *(*start)(const struct sensor_env *env, char *err, size_t errlen);
	void (*stop)(void *state);
	/* Add its counters to *c; NULL: it has none. */
	void (*count)(const void *state, struct sensor_counters *c);
	/* Say whether it runs, and its own counters, into *r; NULL: nothing to say. */
	void (*report)(const void *state, struct sensor_report *r);
};

/* The platform's drivers, in the order they start; NULL-terminated. */
extern const struct sensor_driver *const sensor_drivers[];

/* The driver called name, or NULL. */
const struct sensor_driver *sensor_find(const char *name);

struct sensors;

/*
 * Start every driver of the table whose configuration asks for it. On a
 * failure the ones started are stopped again and NULL is returned, *failed
 * naming the driver and err saying why. NULL with *failed NULL: out of
 * memory.
 */
struct sensors *sensors_start(const struct sensor_env *env,
    const struct sensor_driver **failed, char *err, size_t errlen);
/* In the reverse order of their start. NULL is a no-op. */
void sensors_stop(struct sensors *s);

/* The running sensors' counters, summed. */
void sensors_count(const struct sensors *s, struct sensor_counters *c);
/* The running sensors' reports, together (r reset first). */
void sensors_report(const struct sensors *s, struct sensor_report *r);
/* The state of the running driver called name, or NULL (tests, the agent's own uses). */
void *sensors_state(const struct sensors *s, const char *name);

#endif
