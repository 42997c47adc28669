/*
 * usbid_win.c: what a Windows device instance id says about a USB device,
 * pure and portable (unit-tested on Linux and under Wine). Windows names
 * each device node by its enumerator, its hardware id and an instance part:
 *
 *   USB\VID_0781&PID_5567\4C530001230920117075          the device; the
 *                                                        serial is the instance
 *   USB\VID_046D&PID_C52B&MI_01\7&2A8A6D1F&0&0001        one interface of a
 *                                                        composite device
 *   USB\VID_413C&PID_2113\5&1C7E7F1B&0&3                 no serial: Windows
 *                                                        made the instance up
 *   USBSTOR\DISK&VEN_SANDISK&PROD_CRUZER_BLADE&REV_1.00\4C530001230920117075&0
 *                                                        the disk behind it
 *
 * and a compatible id names the USB class ("USB\Class_08&SubClass_06&Prot_50",
 * "USB\DevClass_09"). The agent's USB sensor (agent/windows/usb.c) turns these
 * into the same struct usb_device as Linux reads from sysfs, so the policy,
 * the allow-list and the events are the same code (usbpolicy.h).
 *
 * Ids come from Windows, but a device chooses its serial: every string kept
 * is capped and cleaned of control characters.
 */
#ifndef VIGIL_AGENT_USBID_WIN_H
#define VIGIL_AGENT_USBID_WIN_H

#include <stddef.h>

#include "usbpolicy.h"

#define USBID_MAX 512                /* bytes of an instance id we read (Windows: 200) */

enum usbid_bus {
	USBID_USB,                       /* USB\VID_xxxx&PID_xxxx[&MI_xx]\instance */
	USBID_USBSTOR,                   /* USBSTOR\TYPE&VEN_x&PROD_x&REV_x\instance */
};

struct usbid {
	enum usbid_bus bus;
	char vendor[5];                  /* USB: four lower-case hex digits */
	char product[5];
	int iface;                       /* MI_xx of an interface node; -1: the device */
	char serial[USB_STR_MAX];        /* "": none (an instance Windows made up) */
	char type[32];                   /* USBSTOR: "Disk", "CdRom", ... */
	char ven[USB_STR_MAX];           /* USBSTOR: "SanDisk" ('_' made ' ') */
	char prod[USB_STR_MAX];          /* USBSTOR: "Cruzer Blade" */
	char rev[16];                    /* USBSTOR: "1.00" */
};

/*
 * Parse a device instance id (upper or lower case alike; at most USBID_MAX
 * bytes) into *out. Returns 0, or VIGIL_ERR_INVAL for what is not a USB or
 * USBSTOR id of that shape (another enumerator, a bad VID or PID, a control
 * character, no instance part).
 */
int usbid_parse(const char *id, struct usbid *out);

/*
 * The USB class a compatible id names: "USB\Class_08&SubClass_06&Prot_50"
 * and "USB\DevClass_09" give 0x08 and 0x09; anything else -1.
 */
int usbid_class(const char *compat);

/*
 * The device of a parsed USB id (not an interface) into *d, as usb_decide()
 * and the reports take it: vendor, product, serial, and the instance id as
 * its devpath; its classes are added by usb_device_add_class().
 */
void usbid_device(const struct usbid *id, const char *instance, struct usb_device *d);

/* One interface class of d more (a compatible id's class); ignored when full. */
void usb_device_add_class(struct usb_device *d, int cls);

#endif
