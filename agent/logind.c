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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "vigil/log.h"
#include "logind.h"

#define LOGIND_DEST "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_IFACE "org.freedesktop.login1.Manager"

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
	log_warnx("The system bus is gone (%s); shutdown and sleep are no longer told apart "
	    "from a plain stop.", why);
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
			log_info("logind gives no delay lock (%s); at shutdown or sleep the "
			    "goodbye may not reach the collector in time.",
			    e->message != NULL ? e->message : e->name);
		l->refused = 1;
		return 0;
	}
	/* The descriptor belongs to the message: keep a copy of our own. */
	if ((r = sd_bus_message_read(m, "h", &fd)) < 0 ||
	    (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		log_warnx("logind's delay lock cannot be kept: %s.",
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
		log_warnx("Cannot ask logind for a delay lock: %s.", strerror(-r));
}

/* PrepareForShutdown(b) and PrepareForSleep(b): true going down, false back up. */
static int
prepare(sd_bus_message *m, struct logind *l, enum logind_power power)
{
	int start, r;

	if ((r = sd_bus_message_read(m, "b", &start)) < 0) {
		log_warnx("logind sent a %s signal that cannot be read: %s.",
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
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->base = base;
	l->cb = *cb;
	l->lock_fd = -1;
	if ((r = sd_bus_open_system(&l->bus)) < 0) {
		snprintf(err, errlen, "no system bus (%s)", strerror(-r));
		goto fail;
	}
	/* Signals only from whoever owns logind's name, as logind's own clients do. */
	if ((r = sd_bus_match_signal_async(l->bus, &l->shutdown_slot, LOGIND_DEST, LOGIND_PATH,
	    LOGIND_IFACE, "PrepareForShutdown", on_shutdown, NULL, l)) < 0 ||
	    (r = sd_bus_match_signal_async(l->bus, &l->sleep_slot, LOGIND_DEST, LOGIND_PATH,
	    LOGIND_IFACE, "PrepareForSleep", on_sleep, NULL, l)) < 0) {
		snprintf(err, errlen, "cannot watch logind's signals (%s)", strerror(-r));
		goto fail;
	}
	if ((l->io_ev = event_new(base, -1, 0, bus_io, l)) == NULL) {
		snprintf(err, errlen, "out of memory");
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
