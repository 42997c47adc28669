/*
 * sensor.c: the sensors as a table of drivers. The Linux table's names and
 * order, the engine starting only what the configuration asks for and
 * counting what runs, a driver that cannot start naming itself, and the
 * antivirus providers and notification channels found by name as well.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "vigil/log.h"
#include "../../agent/av.h"
#include "../../agent/conf.h"
#include "../../agent/dirwatch.h"
#include "../../agent/posture.h"
#include "../../agent/sensor.h"
#include "../../agent/spool.h"
#include "../../collector/notify.h"

struct fixture {
	char dir[64];
	struct event_base *base;
	struct dirwatch *dw;
	struct spool *spool;
	struct posture *p;
	struct agent_conf *conf;
	struct sensor_env env;
	int appended;
};

static void
appended(void *arg)
{
	((struct fixture *)arg)->appended++;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256], path[128];

	assert_non_null(f);
	log_init("test_sensor", 1, -1);
	snprintf(f->dir, sizeof(f->dir), "/tmp/vigil-test-sensor.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/spool.db", f->dir);
	assert_non_null(f->base = event_base_new());
	assert_non_null(f->dw = dirwatch_new(f->base, err, sizeof(err)));
	assert_non_null(f->spool = spool_open(path, 0, err, sizeof(err)));
	assert_non_null(f->p = posture_new(f->spool, appended, f));
	assert_non_null(f->conf = calloc(1, sizeof(*f->conf)));
	cfg_defaults(agent_conf_sections, f->conf);
	f->conf->usb.enabled = 0;        /* no netlink socket in a unit test */
	f->env.base = f->base;
	f->env.spool = f->spool;
	f->env.posture = f->p;
	f->env.dirwatch = f->dw;
	f->env.conf = f->conf;
	f->env.max_line = 1024;
	f->env.appended = appended;
	f->env.arg = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	posture_free(f->p);
	spool_free(f->spool);
	dirwatch_free(f->dw);
	event_base_free(f->base);
	free(f->conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_table(void **state)
{
	static const char *const order[] = { "logfile", "journal", "usb", "antivirus", "updates" };
	size_t i;

	for (i = 0; i < 5; i++) {
		assert_non_null(sensor_drivers[i]);
		assert_string_equal(sensor_drivers[i]->name, order[i]);
		assert_ptr_equal(sensor_find(order[i]), sensor_drivers[i]);
		/* Each says, in a sentence of the catalog, what fails when it cannot start. */
		assert_non_null(sensor_drivers[i]->failure);
		assert_non_null(sensor_drivers[i]->start);
		assert_non_null(sensor_drivers[i]->stop);
	}
	assert_null(sensor_drivers[5]);
	assert_null(sensor_find("windows-event-log"));
}

/* What the configuration does not ask for does not run; what runs is counted. */
static void
test_start_what_is_configured(void **state)
{
	struct fixture *f = *state;
	const struct sensor_driver *failed = (const struct sensor_driver *)1;
	struct sensor_counters c;
	struct sensors *s;
	char err[256], log[160];
	FILE *fp;

	snprintf(log, sizeof(log), "%s/auth.log", f->dir);
	assert_non_null(fp = fopen(log, "w"));
	fclose(fp);
	f->conf->nsources = 1;
	snprintf(f->conf->sources[0].name, sizeof(f->conf->sources[0].name), "auth");
	snprintf(f->conf->sources[0].path, sizeof(f->conf->sources[0].path), "%s", log);
	assert_non_null(s = sensors_start(&f->env, &failed, err, sizeof(err)));
	assert_null(failed);
	/* The log files and the journal always; USB off, no antivirus, no updates here. */
	assert_non_null(sensors_state(s, "logfile"));
	assert_non_null(sensors_state(s, "journal"));
	assert_null(sensors_state(s, "usb"));
	assert_null(sensors_state(s, "antivirus"));
	assert_null(sensors_state(s, "updates"));
	sensors_count(s, &c);
	assert_int_equal(c.lines_truncated + c.events_rejected + c.uevents_spoofed +
	    c.uevents_lost, 0);
	sensors_stop(s);
	sensors_stop(NULL);
}

/* A driver that cannot start stops those before it and names itself, with why. */
static void
test_failure_names_the_driver(void **state)
{
	struct fixture *f = *state;
	const struct sensor_driver *failed = NULL;
	char err[256];

	f->conf->nsources = 1;
	snprintf(f->conf->sources[0].name, sizeof(f->conf->sources[0].name), "auth");
	snprintf(f->conf->sources[0].path, sizeof(f->conf->sources[0].path),
	    "%s/no/such/dir/auth.log", f->dir);
	assert_null(sensors_start(&f->env, &failed, err, sizeof(err)));
	assert_ptr_equal(failed, sensor_find("logfile"));
	assert_non_null(strstr(err, "cannot watch the directory"));
}

/* The antivirus providers and the notification channels: found by name, as configured. */
static void
test_providers_and_channels(void **state)
{
	char names[128];

	assert_non_null(av_provider_find("clamav"));
	assert_non_null(av_provider_find("generic"));
	assert_string_equal(av_provider_find("generic")->name, "generic");
	assert_null(av_provider_find("none"));
	assert_null(av_provider_find("defender"));
	av_provider_names(names, sizeof(names));
	assert_string_equal(names, "clamav, generic or none");

	assert_int_equal(notify_channel_find("email"), NOTIFY_EMAIL);
	assert_int_equal(notify_channel_find("webhook"), NOTIFY_WEBHOOK);
	assert_int_equal(notify_channel_find("exec"), NOTIFY_EXEC);
	assert_int_equal(notify_channel_find("sms"), NOTIFY_SMS);
	assert_int_equal(notify_channel_find("pager"), -1);
	for (int ch = 0; ch < NOTIFY_CHANNEL_COUNT; ch++) {
		assert_non_null(notify_drivers[ch]);
		assert_non_null(notify_drivers[ch]->start);
		assert_non_null(notify_drivers[ch]->abort);
		assert_string_equal(notify_channel_name((enum notify_channel)ch),
		    notify_drivers[ch]->name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test_setup_teardown(test_start_what_is_configured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_names_the_driver, setup, teardown),
		cmocka_unit_test(test_providers_and_channels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
