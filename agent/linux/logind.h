/*
 * logind.c: knowing that the machine is about to shut down or sleep, so
 * that the agent's goodbye says why (DESIGN §5, "Off, not silent").
 *
 * Linux platform code: systemd-logind on the system bus, through sd-bus.
 * The agent takes a "delay" inhibitor lock for shutdown and sleep; logind
 * then signals PrepareForShutdown(true) or PrepareForSleep(true) and waits
 * (at most its InhibitDelayMaxSec, 5 s by default) until the lock is
 * released, which gives the agent time to say goodbye. After a resume
 * (PrepareForSleep(false)) or a cancelled shutdown the lock is taken again.
 *
 * On SIGTERM, systemd (the same bus) tells a restart of the agent's own unit
 * from a stop (logind_stop_reason()).
 *
 * Without a system bus or logind (a container, a test) nothing of this
 * exists: logind_new() returns NULL and says why, and the agent says
 * "stopped" when it receives SIGTERM, whatever the cause.
 */
#ifndef VIGIL_AGENT_LOGIND_H
#define VIGIL_AGENT_LOGIND_H

#include <stddef.h>

#include <event2/event.h>

enum logind_power {
	LOGIND_SHUTDOWN = 1,           /* shutting down or rebooting */
	LOGIND_SLEEP,                  /* suspending or hibernating */
};

struct logind_cb {
	/*
	 * The machine goes down (power). Say goodbye, then call
	 * logind_release(); logind waits for that, for a few seconds at most.
	 */
	void (*down)(void *arg, enum logind_power power);
	/* It came back: resumed from sleep, or the shutdown was cancelled. */
	void (*up)(void *arg, enum logind_power power);
	void *arg;
};

struct logind;

/*
 * Connect to the system bus (DBUS_SYSTEM_BUS_ADDRESS, else the standard
 * socket), watch logind's signals and ask for the delay lock, all without
 * blocking. NULL when there is no system bus, with the reason in err.
 */
struct logind *logind_new(struct event_base *base, const struct logind_cb *cb, char *err,
    size_t errlen);
void logind_free(struct logind *l);            /* releases the lock; NULL is a no-op */

/* The goodbye is said: let logind go on (no-op when no lock is held). */
void logind_release(struct logind *l);

/* 1 while a delay lock is held. */
int logind_locked(const struct logind *l);

/*
 * Why the agent is being stopped, asked of systemd on the same bus (at most
 * LOGIND_ASK_MS in all): GOODBYE_REASON_RESTART when systemd's job for the
 * agent's unit is a restart (systemctl restart, an upgrade's restart),
 * GOODBYE_REASON_SHUTDOWN when the system is stopping (a shutdown logind did
 * not announce), else GOODBYE_REASON_STOPPED, also when systemd cannot tell
 * (no bus, not run by systemd). NULL l: stopped.
 */
#define LOGIND_ASK_MS 500
int logind_stop_reason(struct logind *l);

#endif
