/*
 * The USB sensor and policy. Kernel uevents arrive on a NETLINK_KOBJECT_UEVENT
 * socket (group 1); only the kernel's (sender port id 0, uid 0) are believed.
 * For each USB device added or removed the identity is read from sysfs
 * (SYSFS_ROOT/DEVPATH), the device is classified by its interfaces, the
 * policy decides (allow-list, else alert or block; keyboards and mice are
 * spared unless block_hid), a block writes "0" to its `authorized` file as
 * USBGuard does, and every insertion, removal and block becomes an event in
 * the spool.
 *
 *   uevent.c   the pure parser of the kernel's "ACTION@DEVPATH\0KEY=VALUE\0..."
 *              (uevent.h)
 *   usb.c      sysfs reading, the socket, the sensor's driver; the
 *              classification, the policy and the events' text are the
 *              portable ../usbpolicy.c, which Windows shares
 */
#ifndef VIGIL_AGENT_USB_H
#define VIGIL_AGENT_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>

#include "vigil/wire.h"
#include "../conf.h"
#include "../ingest.h"
#include "../sensor.h"
#include "uevent.h"
#include "../usbpolicy.h"

/* The pure parts (classification, policy, reports) are portable: usbpolicy.h. */
_Static_assert(UEVENT_MAX_DEVPATH == USB_MAX_DEVPATH, "a devpath fits a device");

/* ---- usb.c: sysfs --------------------------------------------------------- */

/*
 * Read the device at root + devpath (devpath checked by uevent_devpath_valid;
 * every directory opened without following symlinks; reads bounded) into *d.
 * Returns 0, or VIGIL_ERR_NOTFOUND when the device directory is gone,
 * VIGIL_ERR_INVAL for a bad devpath, VIGIL_ERR_SYS otherwise.
 */
int usb_sysfs_read(const char *root, const char *devpath, struct usb_device *d);

/*
 * Write "0" to the device's authorized file. Returns 0 or a negative
 * vigil_err (VIGIL_ERR_SYS: see errno).
 */
int usb_sysfs_deauthorize(const char *root, const char *devpath);

/*
 * The USB devices present under root/bus/usb/devices, at most max, into
 * out[]. Returns the number found, or a negative vigil_err.
 */
int usb_sysfs_scan(const char *root, struct usb_device *out, size_t max);

/*
 * vigil-agent --list-usb [--sysfs-root DIR]: argv[0] is "--list-usb". Prints
 * one allow-list line per present device, with its description as a comment.
 * Returns the process's exit status.
 */
int usb_list_main(int argc, char *argv[], FILE *out);

/* ---- usb.c: the sensor in the event loop ---------------------------------- */

struct usb_opts {
	const char *sysfs_root;
	enum usb_policy policy;
	bool block_hid;
	const char *allow;                   /* the allow-list as configured */
	bool accept_test_sender;             /* tests only: believe any local sender */
	void (*appended)(void *arg);         /* after a commit that added events */
	void *arg;
};

struct usb_sensor;

/*
 * Open the uevent socket, learn the devices present (no events for them) and
 * listen. Borrows base and spool. Returns NULL with a sentence in err.
 */
struct usb_sensor *usb_new(struct event_base *base, struct spool *spool,
    const struct usb_opts *o, char *err, size_t errlen);
void usb_free(struct usb_sensor *u);                   /* NULL is a no-op */

uint64_t usb_dropped_spoofed(const struct usb_sensor *u);  /* not from the kernel */
uint64_t usb_blocked_count(const struct usb_sensor *u);    /* devices deauthorized */
uint64_t usb_lost(const struct usb_sensor *u);             /* socket overruns (ENOBUFS) */
uint64_t usb_events_rejected(const struct usb_sensor *u);  /* failed wire_validate_event */

/* The sensor of [usb]: checks its section, starts when enabled. */
extern const struct sensor_driver sensor_usb;

#endif
