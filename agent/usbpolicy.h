/*
 * usbpolicy.c: the USB policy both platforms share, pure and portable: a
 * device's kind from its classes, the allow-list, the decision (off / alert /
 * block; keyboards and mice spared unless block_hid; a hub spared; storage
 * and HID together flagged as BadUSB) and the events it makes (usb.inserted,
 * usb.badusb, usb.blocked, usb.removed, with the same fields on Linux and on
 * Windows). Linux fills struct usb_device from sysfs (agent/linux/usb.c),
 * Windows from SetupAPI and the device's instance id (agent/windows/usb.c,
 * agent/usbid_win.c).
 */
#ifndef VIGIL_AGENT_USBPOLICY_H
#define VIGIL_AGENT_USBPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/wire.h"
#include "ingest.h"

#define USB_STR_MAX 128                  /* bytes of a sysfs string we keep, with the NUL */
#define USB_MAX_IFACES 32
#define USB_MAX_ALLOW 256                /* allow-list entries */
#define USB_MAX_PRESENT 256              /* devices remembered for their removal */
#define USB_MAX_DEVPATH 1024             /* bytes of a device's place, with the NUL */

/* One USB device as sysfs describes it; every string is valid UTF-8. */
struct usb_device {
	char devpath[USB_MAX_DEVPATH];       /* Linux: the sysfs devpath; Windows: the instance id */
	char vendor[5];                      /* idVendor, 4 lower-case hex digits, or "" */
	char product[5];                     /* idProduct */
	char serial[USB_STR_MAX];
	char manufacturer[USB_STR_MAX];
	char product_name[USB_STR_MAX];
	char busnum[8];
	char devnum[8];
	int device_class;                    /* bDeviceClass, -1 unknown */
	int num_ifaces;                      /* bNumInterfaces of the active config, -1 unknown,
	                                        0 unconfigured */
	int authorized;                      /* 1, 0, or -1 unknown */
	size_t nifaces;
	uint8_t iface_class[USB_MAX_IFACES]; /* bInterfaceClass of each interface found */
};

/* What a device is, for people and for the policy: the strongest kind wins. */
enum usb_kind {
	USB_KIND_OTHER,
	USB_KIND_HUB,                        /* bDeviceClass 0x09 */
	USB_KIND_HID,                        /* interface class 0x03 */
	USB_KIND_NETWORK,                    /* CDC 0x02, CDC data 0x0a, wireless 0xe0 */
	USB_KIND_STORAGE,                    /* mass storage 0x08 */
};

#define USB_HAS_STORAGE 0x01
#define USB_HAS_HID 0x02
#define USB_HAS_NETWORK 0x04
#define USB_HAS_HUB 0x08

struct usb_class {
	enum usb_kind kind;
	unsigned int has;                    /* USB_HAS_* over the device and its interfaces */
	bool badusb;                         /* storage and HID in one device */
};

void usb_classify(const struct usb_device *d, struct usb_class *c);
const char *usb_kind_name(enum usb_kind k);  /* "storage", "hid", "network", "hub", "other" */

enum usb_policy {
	USB_POLICY_OFF,                      /* report only */
	USB_POLICY_ALERT,                    /* report, and say which devices are not allowed */
	USB_POLICY_BLOCK,                    /* block what is not allowed */
};

/* "off", "alert", "block" -> *p. Returns 0 or VIGIL_ERR_INVAL. */
int usb_policy_parse(const char *s, enum usb_policy *p);
const char *usb_policy_name(enum usb_policy p);

/* One allow-list entry: "vendor:product[:serial]"; product "*" is any product. */
struct usb_allow {
	char vendor[5];
	char product[5];                     /* "*" for any */
	char serial[USB_STR_MAX];            /* "" for any */
};

/*
 * Parse a space-separated allow-list ("0781:5567 046d:*
 * 0951:1666:001CC0EC3450") into out[max]. Returns 0 with *n set, or
 * VIGIL_ERR_INVAL / VIGIL_ERR_TOOBIG with a sentence naming the entry in err.
 */
int usb_allow_parse(const char *list, struct usb_allow *out, size_t max, size_t *n,
    char *err, size_t errlen);

bool usb_allow_match(const struct usb_allow *allow, size_t n, const struct usb_device *d);

struct usb_rules {
	enum usb_policy policy;
	bool block_hid;                      /* keyboards and mice may be blocked too */
	const struct usb_allow *allow;
	size_t nallow;
};

enum usb_action {
	USB_ACT_NONE,                        /* policy off, or allowed */
	USB_ACT_ALERT,                       /* not allowed: reported */
	USB_ACT_SPARE,                       /* not allowed, would be blocked, but spared */
	USB_ACT_BLOCK,                       /* not allowed: blocked */
};

struct usb_verdict {
	enum usb_action action;
	bool allowed;                        /* on the allow-list (false when policy is off) */
	const char *reason;                  /* a phrase for the summary and the log */
};

/*
 * The policy's decision for a device. A device with HID and neither storage
 * nor network is a keyboard or mouse: spared unless block_hid. A hub is
 * spared (its downstream devices are decided one by one). A BadUSB device is
 * not spared.
 */
void usb_decide(const struct usb_rules *r, const struct usb_device *d,
    const struct usb_class *c, struct usb_verdict *v);

/* The device as one allow-list line, "vendor:product[:serial]", into buf. */
void usb_allow_line(const struct usb_device *d, char *buf, size_t len);

/*
 * The events a device makes, ready for ingest_append(): their strings live
 * here and in the device, which must outlive them. A hostile device chooses
 * its serial, maker and product strings; usb_sysfs_read() has cleaned them.
 */
#define USB_REPORT_MAX 3
struct usb_report {
	size_t n;
	struct ingest_event ev[USB_REPORT_MAX];
	char summary[USB_REPORT_MAX][WIRE_MAX_SUMMARY];
	char id[4 * USB_STR_MAX];            /* "0781:5567 (SanDisk Cruzer) serial 4C53..." */
	char ifs[3 * USB_MAX_IFACES + 1];    /* "08 03" */
	char result[300];
};

/*
 * A device decided: usb.inserted, usb.badusb when it is one, and usb.blocked
 * when a block was made (blocked) or failed (failure says why; NULL when no
 * block was tried).
 */
void usb_report_inserted(struct usb_report *r, const struct usb_device *d,
    const struct usb_class *c, const struct usb_verdict *v, enum usb_policy policy,
    bool blocked, const char *failure);
/* A device removed: usb.removed. */
void usb_report_removed(struct usb_report *r, const struct usb_device *d,
    const struct usb_class *c);

/*
 * A string a device supplies (raw[0..n), any bytes) into out[cap] as valid
 * UTF-8 with every control character (C0, DEL and C1) made '?': it reaches
 * logs, summaries and terminals. Returns its length.
 */
size_t usb_string_clean(char *out, size_t cap, const char *raw, size_t n);

/* What a device is, for people ("storage device", "keyboard or mouse"), translated. */
const char *usb_kind_phrase(enum usb_kind k);

/* One line for --list-usb: kind, maker, product, serial, interfaces, place. */
void usb_describe(const struct usb_device *d, const struct usb_class *c, char *buf, size_t len);

#endif
