/*
 * The USB policy both platforms share (usbpolicy.h): classes -> kind,
 * allow-list, decision, and the events a device makes. Pure: the platform's
 * sensor reads the device and blocks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "usbpolicy.h"

#define USB_SOURCE "usb"

#define CLASS_HID 0x03
#define CLASS_STORAGE 0x08
#define CLASS_HUB 0x09
#define CLASS_CDC 0x02
#define CLASS_CDC_DATA 0x0a
#define CLASS_WIRELESS 0xe0

/* ---- classification and policy ------------------------------------------ */

static unsigned int
class_bits(int cls)
{
	switch (cls) {
	case CLASS_STORAGE:
		return USB_HAS_STORAGE;
	case CLASS_HID:
		return USB_HAS_HID;
	case CLASS_CDC:
	case CLASS_CDC_DATA:
	case CLASS_WIRELESS:
		return USB_HAS_NETWORK;
	case CLASS_HUB:
		return USB_HAS_HUB;
	default:
		return 0;
	}
}

void
usb_classify(const struct usb_device *d, struct usb_class *c)
{
	size_t i;

	c->has = d->device_class >= 0 ? class_bits(d->device_class) : 0;
	for (i = 0; i < d->nifaces && i < USB_MAX_IFACES; i++)
		c->has |= class_bits(d->iface_class[i]);
	if (c->has & USB_HAS_STORAGE)
		c->kind = USB_KIND_STORAGE;
	else if (c->has & USB_HAS_NETWORK)
		c->kind = USB_KIND_NETWORK;
	else if (c->has & USB_HAS_HID)
		c->kind = USB_KIND_HID;
	else if (c->has & USB_HAS_HUB)
		c->kind = USB_KIND_HUB;
	else
		c->kind = USB_KIND_OTHER;
	c->badusb = (c->has & (USB_HAS_STORAGE | USB_HAS_HID)) ==
	    (USB_HAS_STORAGE | USB_HAS_HID);
}

const char *
usb_kind_name(enum usb_kind k)
{
	switch (k) {
	case USB_KIND_STORAGE:
		return "storage";
	case USB_KIND_HID:
		return "hid";
	case USB_KIND_NETWORK:
		return "network";
	case USB_KIND_HUB:
		return "hub";
	default:
		return "other";
	}
}

static const char *const policy_names[] = { "off", "alert", "block" };

int
usb_policy_parse(const char *s, enum usb_policy *p)
{
	size_t i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (strcmp(s, policy_names[i]) == 0) {
			*p = (enum usb_policy)i;
			return 0;
		}
	}
	return VIGIL_ERR_INVAL;
}

const char *
usb_policy_name(enum usb_policy p)
{
	return (unsigned int)p < 3 ? policy_names[p] : "?";
}

static int
hex4_exact(const char *s, size_t n, char out[5])
{
	size_t i;

	if (n != 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return -1;
		out[i] = ch;
	}
	out[4] = '\0';
	return 0;
}

int
usb_allow_parse(const char *list, struct usb_allow *out, size_t max, size_t *n,
    char *err, size_t errlen)
{
	const char *p = list, *tok, *c1, *c2, *end;
	size_t len, i;

	*n = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		tok = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		end = p;
		len = (size_t)(end - tok);
		if (*n >= max) {
			snprintf(err, errlen, _("the allow-list has more than %zu entries"), max);
			return VIGIL_ERR_TOOBIG;
		}
		c1 = memchr(tok, ':', len);
		c2 = c1 != NULL ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c1 == NULL)
			goto bad;
		memset(&out[*n], 0, sizeof(out[*n]));
		if (hex4_exact(tok, (size_t)(c1 - tok), out[*n].vendor) != 0)
			goto bad;
		if ((c2 != NULL ? c2 : end) - c1 - 1 == 1 && c1[1] == '*')
			snprintf(out[*n].product, sizeof(out[*n].product), "*");
		else if (hex4_exact(c1 + 1, (size_t)((c2 != NULL ? c2 : end) - c1 - 1),
		    out[*n].product) != 0)
			goto bad;
		if (c2 != NULL) {
			size_t sl = (size_t)(end - c2 - 1);

			if (sl == 0 || sl >= USB_STR_MAX)
				goto bad;
			for (i = 0; i < sl; i++)
				if ((unsigned char)c2[1 + i] < 0x21 || c2[1 + i] == 0x7f)
					goto bad;
			memcpy(out[*n].serial, c2 + 1, sl);
			out[*n].serial[sl] = '\0';
		}
		(*n)++;
	}
bad:
	snprintf(err, errlen, _("allow-list entry \"%.*s\" is not vendor:product[:serial] "
	    "(4 hex digits each, product may be *, serial without spaces)"),
	    (int)(len > 80 ? 80 : len), tok);
	return VIGIL_ERR_INVAL;
}

bool
usb_allow_match(const struct usb_allow *allow, size_t n, const struct usb_device *d)
{
	size_t i;

	if (d->vendor[0] == '\0' || d->product[0] == '\0')
		return false;
	for (i = 0; i < n; i++) {
		if (strcmp(allow[i].vendor, d->vendor) != 0)
			continue;
		if (strcmp(allow[i].product, "*") != 0 && strcmp(allow[i].product, d->product) != 0)
			continue;
		if (allow[i].serial[0] != '\0' && strcmp(allow[i].serial, d->serial) != 0)
			continue;
		return true;
	}
	return false;
}

void
usb_decide(const struct usb_rules *r, const struct usb_device *d, const struct usb_class *c,
    struct usb_verdict *v)
{
	v->action = USB_ACT_NONE;
	v->allowed = false;
	if (r->policy == USB_POLICY_OFF) {
		v->reason = N_("the policy is off");
		return;
	}
	if (usb_allow_match(r->allow, r->nallow, d)) {
		v->allowed = true;
		v->reason = N_("on the allow-list");
		return;
	}
	if (r->policy == USB_POLICY_ALERT) {
		v->action = USB_ACT_ALERT;
		v->reason = N_("not on the allow-list");
		return;
	}
	if (c->kind == USB_KIND_HUB) {
		v->action = USB_ACT_SPARE;
		v->reason = N_("not on the allow-list, but a hub is never blocked "
		    "(the devices behind it are decided one by one)");
		return;
	}
	if ((c->has & USB_HAS_HID) && !(c->has & (USB_HAS_STORAGE | USB_HAS_NETWORK)) &&
	    !r->block_hid) {
		v->action = USB_ACT_SPARE;
		v->reason = N_("not on the allow-list, but a keyboard or mouse is not blocked "
		    "unless block_hid = yes");
		return;
	}
	v->action = USB_ACT_BLOCK;
	v->reason = N_("not on the allow-list");
}

static bool
serial_listable(const char *s)
{
	if (*s == '\0' || strlen(s) >= USB_STR_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f || (unsigned char)*s >= 0x80)
			return false;
	return true;
}

void
usb_allow_line(const struct usb_device *d, char *buf, size_t len)
{
	if (serial_listable(d->serial))
		snprintf(buf, len, "%s:%s:%s", d->vendor[0] ? d->vendor : "0000",
		    d->product[0] ? d->product : "0000", d->serial);
	else
		snprintf(buf, len, "%s:%s", d->vendor[0] ? d->vendor : "0000",
		    d->product[0] ? d->product : "0000");
}

size_t
usb_string_clean(char *out, size_t cap, const char *raw, size_t n)
{
	size_t len, i, o;

	if (cap == 0)
		return 0;
	len = text_utf8_clean(out, cap, raw, n);
	for (i = 0, o = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		/* A C1 control (U+0080..U+009F, such as CSI) is two bytes; one '?' stands for both. */
		if (c == 0xc2 && i + 1 < len && (unsigned char)out[i + 1] <= 0x9f) {
			out[o++] = '?';
			i++;
		} else
			out[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[o] = '\0';
	return o;
}

void
usb_describe(const struct usb_device *d, const struct usb_class *c, char *buf, size_t len)
{
	char ifs[3 * USB_MAX_IFACES + 1] = "";
	size_t i, o = 0;

	for (i = 0; i < d->nifaces && o + 4 < sizeof(ifs); i++)
		o += (size_t)snprintf(ifs + o, sizeof(ifs) - o, "%s%02x", i ? "," : "",
		    d->iface_class[i]);
	snprintf(buf, len, "%s \"%s\" \"%s\"%s%s%s, interfaces %s, at %s",
	    usb_kind_name(c->kind), d->manufacturer, d->product_name,
	    d->serial[0] ? ", serial \"" : "", d->serial, d->serial[0] ? "\"" : "",
	    ifs[0] ? ifs : "none", d->devpath);
}

/* The fields a device has: what it does not tell is left out. */
static void
field(struct ingest_event *ev, const char *key, const char *value)
{
	if (value != NULL && value[0] != '\0')
		ingest_field(ev, key, value);
}

/* "SanDisk Cruzer Blade" or "0781:5567" when the device gave no strings. */
static void
who(const struct usb_device *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s%s%s%s%s%s%s%s", d->vendor[0] ? d->vendor : "?",
	    d->product[0] ? d->product : "?",
	    d->manufacturer[0] || d->product_name[0] ? " (" : "", d->manufacturer,
	    d->manufacturer[0] && d->product_name[0] ? " " : "", d->product_name,
	    d->manufacturer[0] || d->product_name[0] ? ")" : "",
	    d->serial[0] ? " serial " : "", d->serial);
}

/* TRANSLATORS: what a USB device is, put in "USB %s %s inserted." and the like. */
const char *
usb_kind_phrase(enum usb_kind k)
{
	switch (k) {
	case USB_KIND_STORAGE:
		return _("storage device");
	case USB_KIND_HID:
		return _("keyboard or mouse");
	case USB_KIND_NETWORK:
		return _("network device");
	case USB_KIND_HUB:
		return _("hub");
	default:
		return _("device");
	}
}

/* The fields of one event about d (v NULL: a removal, which no policy decided). */
static void
report_event(struct usb_report *r, const char *rule, int severity, const struct usb_device *d,
    const struct usb_class *c, const struct usb_verdict *v, enum usb_policy policy,
    const char *result)
{
	struct ingest_event *ev = &r->ev[r->n];

	ingest_event_init(ev, USB_SOURCE, VIGIL__V1__CATEGORY__CATEGORY_USB, severity, rule,
	    r->summary[r->n]);
	field(ev, "vendor", d->vendor);
	field(ev, "product", d->product);
	field(ev, "serial", d->serial);
	field(ev, "manufacturer", d->manufacturer);
	field(ev, "product_name", d->product_name);
	field(ev, "busnum", d->busnum);
	field(ev, "devnum", d->devnum);
	field(ev, "devpath", d->devpath);
	field(ev, "class", usb_kind_name(c->kind));
	field(ev, "interfaces", r->ifs);
	if (c->badusb)
		field(ev, "badusb", "yes");
	if (v != NULL) {
		field(ev, "policy", usb_policy_name(policy));
		if (policy != USB_POLICY_OFF)
			field(ev, "allowed", v->allowed ? "yes" : "no");
		field(ev, "decision", v->action == USB_ACT_BLOCK ? "block" :
		    v->action == USB_ACT_SPARE ? "spare" : v->action == USB_ACT_ALERT ? "alert" :
		    "none");
	}
	field(ev, "result", result);
	r->n++;
}

/* What every report of d starts with: its identity and its interfaces, as text. */
static void
report_begin(struct usb_report *r, const struct usb_device *d)
{
	size_t i, o = 0;

	r->n = 0;
	r->ifs[0] = '\0';
	for (i = 0; i < d->nifaces && o + 4 < sizeof(r->ifs); i++)
		o += (size_t)snprintf(r->ifs + o, sizeof(r->ifs) - o, "%s%02x", i ? " " : "",
		    d->iface_class[i]);
	who(d, r->id, sizeof(r->id));
}

enum { SEV_INFO = VIGIL__V1__SEVERITY__SEVERITY_INFO, SEV_LOW = VIGIL__V1__SEVERITY__SEVERITY_LOW,
	SEV_MEDIUM = VIGIL__V1__SEVERITY__SEVERITY_MEDIUM,
	SEV_HIGH = VIGIL__V1__SEVERITY__SEVERITY_HIGH };

static int
insert_severity(const struct usb_class *c, const struct usb_verdict *v)
{
	int s;

	switch (c->kind) {
	case USB_KIND_STORAGE:
		s = SEV_MEDIUM;
		break;
	case USB_KIND_NETWORK:
	case USB_KIND_OTHER:
		s = SEV_LOW;
		break;
	default:
		s = SEV_INFO;
	}
	if (c->badusb)
		s = SEV_HIGH;
	if (v->action == USB_ACT_ALERT && s < SEV_MEDIUM)
		s = SEV_MEDIUM;
	return s;
}

void
usb_report_inserted(struct usb_report *r, const struct usb_device *d, const struct usb_class *c,
    const struct usb_verdict *v, enum usb_policy policy, bool blocked, const char *failure)
{
	char result[256];

	report_begin(r, d);
	if (policy == USB_POLICY_OFF)
		snprintf(r->summary[0], sizeof(r->summary[0]), _("USB %s %s inserted."),
		    usb_kind_phrase(c->kind), r->id);
	else
		snprintf(r->summary[0], sizeof(r->summary[0]), _("USB %s %s inserted: %s."),
		    usb_kind_phrase(c->kind), r->id, _(v->reason));
	report_event(r, "usb.inserted", insert_severity(c, v), d, c, v, policy, NULL);
	if (c->badusb) {
		snprintf(r->summary[r->n], sizeof(r->summary[0]), _("USB device %s presents both "
		    "mass storage and keyboard interfaces, a BadUSB pattern."), r->id);
		report_event(r, "usb.badusb", SEV_HIGH, d, c, v, policy, NULL);
	}
	if (!blocked && failure == NULL)
		return;
	if (blocked) {
		snprintf(r->summary[r->n], sizeof(r->summary[0]), _("USB %s %s was blocked: %s."),
		    usb_kind_phrase(c->kind), r->id, _(v->reason));
		snprintf(r->result, sizeof(r->result), "blocked");
	} else {
		snprintf(result, sizeof(result), "%s", failure);
		snprintf(r->summary[r->n], sizeof(r->summary[0]), _("USB %s %s should have been "
		    "blocked (%s) but the block failed: %s."), usb_kind_phrase(c->kind), r->id,
		    _(v->reason), result);
		snprintf(r->result, sizeof(r->result), "block failed: %s", result);
	}
	report_event(r, "usb.blocked", SEV_HIGH, d, c, v, policy, r->result);
}

void
usb_report_removed(struct usb_report *r, const struct usb_device *d, const struct usb_class *c)
{
	report_begin(r, d);
	snprintf(r->summary[0], sizeof(r->summary[0]), _("USB %s %s removed."), usb_kind_phrase(c->kind),
	    r->id);
	report_event(r, "usb.removed", c->kind == USB_KIND_STORAGE ? SEV_LOW : SEV_INFO, d, c, NULL,
	    USB_POLICY_OFF, NULL);
}

