/*
 * uevent.c (Linux platform code): one kernel uevent, a message of
 * NETLINK_KOBJECT_UEVENT ("ACTION@DEVPATH\0KEY=VALUE\0..."), into key/value
 * pairs, and the checks of what the USB sensor (usb.h) takes from it. Pure.
 */
#ifndef VIGIL_AGENT_UEVENT_H
#define VIGIL_AGENT_UEVENT_H

#include <stdbool.h>
#include <stddef.h>

#define UEVENT_MAX_MSG 8192          /* bytes of one message; the kernel's are < 2.5k */
#define UEVENT_MAX_KEYS 64
#define UEVENT_MAX_DEVPATH 1024      /* bytes, with the NUL */

struct uevent {
	const char *action;              /* "add", "remove", "bind", ... */
	const char *devpath;             /* "/devices/...", checked by uevent_devpath_valid */
	const char *subsystem;
	const char *devtype;             /* NULL when absent */
	size_t nkeys;
	struct {
		const char *key;
		const char *value;
	} kv[UEVENT_MAX_KEYS];
	char buf[UEVENT_MAX_MSG + 1];    /* the copy every pointer above points into */
};

/*
 * Parse one message of the kernel's format into *ev (which holds its own copy;
 * the input need not be NUL-terminated). The header's ACTION and DEVPATH must
 * agree with the ACTION= and DEVPATH= keys, SUBSYSTEM= must be present, keys
 * are [A-Z0-9_]+ and appear once. Returns 0; VIGIL_ERR_PROTO for libudev's
 * own messages ("libudev\0" magic, group 2), which are not the kernel's;
 * VIGIL_ERR_TOOBIG past UEVENT_MAX_MSG or UEVENT_MAX_KEYS; VIGIL_ERR_EMPTY for
 * no bytes; VIGIL_ERR_DECODE for anything else malformed.
 */
int uevent_parse(const void *msg, size_t len, struct uevent *ev);

/* The value of key, or NULL. */
const char *uevent_get(const struct uevent *ev, const char *key);

/*
 * A devpath safe to append to a sysfs root: "/" then components of printable
 * ASCII without "/", none empty, "." or "..", shorter than UEVENT_MAX_DEVPATH.
 */
bool uevent_devpath_valid(const char *devpath);

/*
 * PRODUCT= of a usb_device ("781/5567/100": hex without leading zeros) into
 * four lower-case hex digits each. Returns 0 or VIGIL_ERR_DECODE.
 */
int uevent_product(const char *product, char vendor[5], char prod[5]);

#endif
