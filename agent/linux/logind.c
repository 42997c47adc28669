/*
 * systemd-logind's shutdown and sleep signals, and a delay inhibitor lock,
 * on the event loop (logind.h says why the agent wants them).
 *
 * Linux platform code, kept out of the portable uplink: a later platform
 * layer will offer the same two callbacks from Windows' power notifications.
 *
 * sd-bus runs on libevent: one event on the bus's descriptor, re-armed after
 * every sd_bus_process() with the events and the time-out sd-bus asks for.
 * Every call is asynchronous, so a bus that hangs never stalls the agent.
 *
 * The lock is the descriptor logind returns from Inhibit(); closing it
 * releases the lock. It is taken at start, and again after each resume or
 * cancelled shutdown (a released lock is gone for good).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "vigil.pb-c.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "logind.h"

#define LOGIND_DEST "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_IFACE "org.freedesktop.login1.Manager"
#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_IFACE "org.freedesktop.systemd1.Manager"
#define PROPS_IFACE "org.freedesktop.DBus.Properties"

struct logind {
	struct event_base *base;
	struct logind_cb cb;
	sd_bus *bus;
	struct event *io_ev;
	sd_bus_slot *shutdown_slot, *sleep_slot, *inhibit_slot;
	int lock_fd;                   /* -1: no lock held */
	int refused;                   /* logind refused the lock once: said so, quiet since */
};

static void logind_arm(struct logind *l);

static void
logind_drop_bus(struct logind *l, const char *why)
{
	log_warnx(_("The system bus is gone (%s); shutdown and sleep are no longer told apart "
	    "from a plain stop."), why);
	if (l->io_ev != NULL)
		event_del(l->io_ev);
	l->inhibit_slot = sd_bus_slot_unref(l->inhibit_slot);
	l->shutdown_slot = sd_bus_slot_unref(l->shutdown_slot);
	l->sleep_slot = sd_bus_slot_unref(l->sleep_slot);
	l->bus = sd_bus_flush_close_unref(l->bus);
}

static void
bus_io(evutil_socket_t fd, short what, void *arg)
{
	struct logind *l = arg;
	int r;

	(void)fd;
	(void)what;
	while ((r = sd_bus_process(l->bus, NULL)) > 0)
		;
	if (r < 0) {
		logind_drop_bus(l, strerror(-r));
		return;
	}
	logind_arm(l);
}

/* Wait for what sd-bus waits for: its descriptor's events, or its own deadline. */
static void
logind_arm(struct logind *l)
{
	struct timeval tv, *tvp = NULL;
	struct timespec now;
	uint64_t until, now_us;
	short what = EV_PERSIST;
	int ev;

	if (l->bus == NULL)
		return;
	if ((ev = sd_bus_get_events(l->bus)) < 0) {
		logind_drop_bus(l, strerror(-ev));
		return;
	}
	if (ev & POLLIN)
		what |= EV_READ;
	if (ev & POLLOUT)
		what |= EV_WRITE;
	if (sd_bus_get_timeout(l->bus, &until) >= 0 && until != UINT64_MAX) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		now_us = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
		until = until > now_us ? until - now_us : 0;
		tv.tv_sec = (time_t)(until / 1000000);
		tv.tv_usec = (suseconds_t)(until % 1000000);
		tvp = &tv;
	}
	event_del(l->io_ev);
	event_assign(l->io_ev, l->base, sd_bus_get_fd(l->bus), what, bus_io, l);
	event_add(l->io_ev, tvp);
}

static int
inhibit_reply(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	struct logind *l = arg;
	const sd_bus_error *e;
	int fd, r;

	(void)ret;
	l->inhibit_slot = sd_bus_slot_unref(l->inhibit_slot);
	if ((e = sd_bus_message_get_error(m)) != NULL) {
		/* No logind on this bus, or not allowed: the goodbye still happens, unhurried. */
		if (!l->refused)
			log_info(_("logind gives no delay lock (%s); at shutdown or sleep the "
			    "goodbye may not reach the collector in time."),
			    e->message != NULL ? e->message : e->name);
		l->refused = 1;
		return 0;
	}
	/* The descriptor belongs to the message: keep a copy of our own. */
	if ((r = sd_bus_message_read(m, "h", &fd)) < 0 ||
	    (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		log_warnx(_("logind's delay lock cannot be kept: %s."),
		    strerror(r < 0 ? -r : errno));
		return 0;
	}
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	l->lock_fd = fd;
	l->refused = 0;
	log_debug("Holding a delay lock: shutdown and sleep wait for the goodbye.");
	return 0;
}

static void
take_lock(struct logind *l)
{
	int r;

	if (l->bus == NULL || l->lock_fd >= 0 || l->inhibit_slot != NULL)
		return;
	r = sd_bus_call_method_async(l->bus, &l->inhibit_slot, LOGIND_DEST, LOGIND_PATH,
	    LOGIND_IFACE, "Inhibit", inhibit_reply, l, "ssss", "shutdown:sleep", "Vigil agent",
	    "Telling the collector that this machine goes off, not silent", "delay");
	if (r < 0)
		log_warnx(_("Cannot ask logind for a delay lock: %s."), strerror(-r));
}

/* PrepareForShutdown(b) and PrepareForSleep(b): true going down, false back up. */
static int
prepare(sd_bus_message *m, struct logind *l, enum logind_power power)
{
	int start, r;

	if ((r = sd_bus_message_read(m, "b", &start)) < 0) {
		log_warnx(_("logind sent a %s signal that cannot be read: %s."),
		    power == LOGIND_SHUTDOWN ? "PrepareForShutdown" : "PrepareForSleep",
		    strerror(-r));
		return 0;
	}
	log_debug("logind: %s %s.", power == LOGIND_SHUTDOWN ? "shutdown" : "sleep",
	    start ? "begins" : "is over");
	if (start) {
		if (l->cb.down != NULL)
			l->cb.down(l->cb.arg, power);
	} else {
		take_lock(l);
		if (l->cb.up != NULL)
			l->cb.up(l->cb.arg, power);
	}
	return 0;
}

static int
on_shutdown(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	(void)ret;
	return prepare(m, arg, LOGIND_SHUTDOWN);
}

static int
on_sleep(sd_bus_message *m, void *arg, sd_bus_error *ret)
{
	(void)ret;
	return prepare(m, arg, LOGIND_SLEEP);
}

struct logind *
logind_new(struct event_base *base, const struct logind_cb *cb, char *err, size_t errlen)
{
	struct logind *l;
	int r;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		return NULL;
	}
	l->base = base;
	l->cb = *cb;
	l->lock_fd = -1;
	if ((r = sd_bus_open_system(&l->bus)) < 0) {
		snprintf(err, errlen, _("no system bus (%s)"), strerror(-r));
		goto fail;
	}
	/* Signals only from whoever owns logind's name, as logind's own clients do. */
	if ((r = sd_bus_match_signal_async(l->bus, &l->shutdown_slot, LOGIND_DEST, LOGIND_PATH,
	    LOGIND_IFACE, "PrepareForShutdown", on_shutdown, NULL, l)) < 0 ||
	    (r = sd_bus_match_signal_async(l->bus, &l->sleep_slot, LOGIND_DEST, LOGIND_PATH,
	    LOGIND_IFACE, "PrepareForSleep", on_sleep, NULL, l)) < 0) {
		snprintf(err, errlen, _("cannot watch logind's signals (%s)"), strerror(-r));
		goto fail;
	}
	if ((l->io_ev = event_new(base, -1, 0, bus_io, l)) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		goto fail;
	}
	take_lock(l);
	logind_arm(l);
	return l;
fail:
	logind_free(l);
	return NULL;
}

void
logind_release(struct logind *l)
{
	if (l == NULL || l->lock_fd < 0)
		return;
	close(l->lock_fd);
	l->lock_fd = -1;
	log_debug("Released the delay lock.");
}

int
logind_locked(const struct logind *l)
{
	return l != NULL && l->lock_fd >= 0;
}

/* ---- why we stop: systemd's job for our unit ---- */

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * One synchronous call, within what is left until deadline (monotonic µs):
 * the reply in *reply, or a negative errno. The caller unrefs *reply.
 */
static int
ask(struct logind *l, uint64_t deadline, const char *path, const char *iface,
    const char *member, sd_bus_message **reply, const char *types, ...)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	uint64_t now = mono_us();
	va_list ap;
	int r;

	*reply = NULL;
	if (now >= deadline)
		return -ETIMEDOUT;
	if ((r = sd_bus_message_new_method_call(l->bus, &m, SYSTEMD_DEST, path, iface,
	    member)) < 0)
		return r;
	va_start(ap, types);
	r = sd_bus_message_appendv(m, types, ap);
	va_end(ap);
	if (r >= 0)
		r = sd_bus_call(l->bus, m, deadline - now, &e, reply);
	if (r < 0)
		log_debug("systemd cannot say why we stop (%s.%s): %s.", iface, member,
		    e.message != NULL ? e.message : strerror(-r));
	sd_bus_error_free(&e);
	sd_bus_message_unref(m);
	return r;
}

/* A string property: 1 when it equals want (prefix: starts with it), 0, or negative. */
static int
property_is(struct logind *l, uint64_t deadline, const char *path, const char *iface,
    const char *name, const char *want)
{
	sd_bus_message *reply;
	const char *v;
	int r;

	if ((r = ask(l, deadline, path, PROPS_IFACE, "Get", &reply, "ss", iface, name)) < 0)
		return r;
	if ((r = sd_bus_message_read(reply, "v", "s", &v)) >= 0)
		r = strstr(v, want) != NULL;
	sd_bus_message_unref(reply);
	return r;
}

/* 1 when the job systemd runs for the unit at unit_path is a restart of it. */
static int
unit_restarting(struct logind *l, uint64_t deadline, const char *unit_path)
{
	sd_bus_message *reply;
	const char *job;
	char *jobpath = NULL;
	uint32_t id;
	int r;

	if ((r = ask(l, deadline, unit_path, PROPS_IFACE, "Get", &reply, "ss",
	    "org.freedesktop.systemd1.Unit", "Job")) < 0)
		return r;
	r = sd_bus_message_read(reply, "v", "(uo)", &id, &job);
	if (r >= 0 && id != 0 && (jobpath = strdup(job)) == NULL)
		r = -ENOMEM;
	sd_bus_message_unref(reply);
	if (r < 0 || id == 0)
		return r < 0 ? r : 0;
	/* "restart", "try-restart" and "reload-or-restart" all end as a restart job. */
	r = property_is(l, deadline, jobpath, "org.freedesktop.systemd1.Job", "JobType",
	    "restart");
	free(jobpath);
	return r;
}

int
logind_stop_reason(struct logind *l)
{
	uint64_t deadline = mono_us() + LOGIND_ASK_MS * 1000;
	sd_bus_message *reply = NULL;
	const char *path;
	char *unit = NULL;
	int reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_STOPPED;

	if (l == NULL || l->bus == NULL)
		return reason;
	if (ask(l, deadline, SYSTEMD_PATH, SYSTEMD_IFACE, "GetUnitByPID", &reply, "u",
	    (uint32_t)getpid()) >= 0 && sd_bus_message_read(reply, "o", &path) >= 0)
		unit = strdup(path);
	sd_bus_message_unref(reply);
	if (unit != NULL && unit_restarting(l, deadline, unit) == 1)
		reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART;
	else if (property_is(l, deadline, SYSTEMD_PATH, SYSTEMD_IFACE, "SystemState",
	    "stopping") == 1)
		reason = VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_SHUTDOWN;
	free(unit);
	/* A synchronous call may have read signals off the socket: have them dispatched. */
	if (l->io_ev != NULL)
		event_active(l->io_ev, EV_READ, 0);
	return reason;
}

void
logind_free(struct logind *l)
{
	if (l == NULL)
		return;
	logind_release(l);
	if (l->io_ev != NULL)
		event_free(l->io_ev);
	sd_bus_slot_unref(l->inhibit_slot);
	sd_bus_slot_unref(l->shutdown_slot);
	sd_bus_slot_unref(l->sleep_slot);
	sd_bus_flush_close_unref(l->bus);
	free(l);
}
