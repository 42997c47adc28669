/*
 * Windows device instance ids and compatible ids -> a USB device's identity
 * and classes (usbid_win.h). Pure: no Windows call.
 */
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
#include "usbid_win.h"

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does s[0..n) start with the ASCII word w, case alike? */
static int
starts(const char *s, size_t n, const char *w)
{
	size_t i, wl = strlen(w);

	if (n < wl)
		return 0;
	for (i = 0; i < wl; i++)
		if (lower(s[i]) != lower(w[i]))
			return 0;
	return 1;
}

static int
digit(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* Two lower-case hex digits, checked by the caller. */
static int
hex2(const char *h)
{
	return digit(h[0]) * 16 + digit(h[1]);
}

static int
hex4(const char *s, size_t n, char out[5])
{
	size_t i;

	if (n != 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = lower(s[i]);

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	out[4] = '\0';
	return 0;
}

/* A piece of the id as a string for people: '_' is a space (USBSTOR pads names so). */
static void
piece(char *out, size_t cap, const char *s, size_t n, int underscores)
{
	size_t i, o = 0;

	while (n > 0 && s[n - 1] == '_')
		n--;
	for (i = 0; i < n && o + 1 < cap; i++)
		out[o++] = underscores && s[i] == '_' ? ' ' : s[i];
	out[o] = '\0';
}

/*
 * The instance part as a serial: Windows uses the device's own serial when
 * it has one, and makes one up with '&' ("5&1C7E7F1B&0&3") when it has not.
 * USBSTOR adds "&N" (the LUN) after a real one.
 */
static void
instance_serial(char *out, size_t cap, const char *s, size_t n, int usbstor)
{
	const char *amp;

	out[0] = '\0';
	if (usbstor && (amp = memchr(s, '&', n)) != NULL) {
		const char *last = s + n;

		while (last > s && last[-1] != '&')
			last--;
		/* "SERIAL&0": one '&' and digits after it. */
		if (last - 1 != amp)
			return;
		for (const char *p = last; p < s + n; p++)
			if (*p < '0' || *p > '9')
				return;
		n = (size_t)(amp - s);
	} else if (memchr(s, '&', n) != NULL)
		return;
	if (n == 0 || n >= cap)
		return;
	memcpy(out, s, n);
	out[n] = '\0';
}

int
usbid_parse(const char *id, struct usbid *out)
{
	const char *b1, *b2, *end, *p, *e;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->iface = -1;
	len = strnlen(id, USBID_MAX + 1);
	if (len == 0 || len > USBID_MAX)
		return VIGIL_ERR_INVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return VIGIL_ERR_INVAL;
	end = id + len;
	if ((b1 = memchr(id, '\\', len)) == NULL ||
	    (b2 = memchr(b1 + 1, '\\', (size_t)(end - b1 - 1))) == NULL || b2 + 1 == end ||
	    memchr(b2 + 1, '\\', (size_t)(end - b2 - 1)) != NULL)
		return VIGIL_ERR_INVAL;
	if ((size_t)(b1 - id) == 3 && starts(id, 3, "USB")) {
		out->bus = USBID_USB;
		/* VID_xxxx&PID_xxxx[&MI_xx][&...]: the parts in this order. */
		p = b1 + 1;
		if (!starts(p, (size_t)(b2 - p), "VID_") || hex4(p + 4, 4, out->vendor) != 0 ||
		    (b2 - p) < 17 || p[8] != '&' || !starts(p + 9, (size_t)(b2 - p - 9), "PID_") ||
		    hex4(p + 13, 4, out->product) != 0)
			return VIGIL_ERR_INVAL;
		p += 17;
		if (p < b2 && *p != '&')
			return VIGIL_ERR_INVAL;
		if (p < b2 && starts(p, (size_t)(b2 - p), "&MI_")) {
			char mi[3] = { 0 };

			if (b2 - p < 6 || (p + 6 < b2 && p[6] != '&'))
				return VIGIL_ERR_INVAL;
			mi[0] = lower(p[4]);
			mi[1] = lower(p[5]);
			if (!((mi[0] >= '0' && mi[0] <= '9') || (mi[0] >= 'a' && mi[0] <= 'f')) ||
			    !((mi[1] >= '0' && mi[1] <= '9') || (mi[1] >= 'a' && mi[1] <= 'f')))
				return VIGIL_ERR_INVAL;
			out->iface = hex2(mi);
		}
		if (out->iface < 0)
			instance_serial(out->serial, sizeof(out->serial), b2 + 1,
			    (size_t)(end - b2 - 1), 0);
		return 0;
	}
	if ((size_t)(b1 - id) == 7 && starts(id, 7, "USBSTOR")) {
		out->bus = USBID_USBSTOR;
		/* TYPE&VEN_x&PROD_x&REV_x; the names may hold anything but '&' and '\'. */
		p = b1 + 1;
		e = memchr(p, '&', (size_t)(b2 - p));
		if (e == NULL || e == p)
			return VIGIL_ERR_INVAL;
		piece(out->type, sizeof(out->type), p, (size_t)(e - p), 0);
		for (p = e + 1; p < b2; p = e + 1) {
			if ((e = memchr(p, '&', (size_t)(b2 - p))) == NULL)
				e = b2;
			if (starts(p, (size_t)(e - p), "VEN_"))
				piece(out->ven, sizeof(out->ven), p + 4, (size_t)(e - p - 4), 1);
			else if (starts(p, (size_t)(e - p), "PROD_"))
				piece(out->prod, sizeof(out->prod), p + 5, (size_t)(e - p - 5), 1);
			else if (starts(p, (size_t)(e - p), "REV_"))
				piece(out->rev, sizeof(out->rev), p + 4, (size_t)(e - p - 4), 0);
			if (e == b2)
				break;
		}
		instance_serial(out->serial, sizeof(out->serial), b2 + 1, (size_t)(end - b2 - 1),
		    1);
		return 0;
	}
	return VIGIL_ERR_INVAL;
}

int
usbid_class(const char *compat)
{
	size_t n = strnlen(compat, USBID_MAX + 1);
	const char *p;
	char h[3];

	if (starts(compat, n, "USB\\Class_"))
		p = compat + 10;
	else if (starts(compat, n, "USB\\DevClass_"))
		p = compat + 13;
	else
		return -1;
	if ((size_t)(p - compat) + 2 > n)
		return -1;
	h[0] = lower(p[0]);
	h[1] = lower(p[1]);
	h[2] = '\0';
	if (p[2] != '\0' && p[2] != '&')
		return -1;
	for (int i = 0; i < 2; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return -1;
	return hex2(h);
}

void
usbid_device(const struct usbid *id, const char *instance, struct usb_device *d)
{
	memset(d, 0, sizeof(*d));
	d->device_class = -1;
	d->num_ifaces = -1;
	d->authorized = -1;
	snprintf(d->vendor, sizeof(d->vendor), "%s", id->vendor);
	snprintf(d->product, sizeof(d->product), "%s", id->product);
	usb_string_clean(d->serial, sizeof(d->serial), id->serial, strlen(id->serial));
	usb_string_clean(d->devpath, sizeof(d->devpath), instance, strnlen(instance, USBID_MAX));
}

void
usb_device_add_class(struct usb_device *d, int cls)
{
	size_t i;

	if (cls < 0 || cls > 0xff)
		return;
	for (i = 0; i < d->nifaces; i++)
		if (d->iface_class[i] == (uint8_t)cls)
			return;
	if (d->nifaces < USB_MAX_IFACES)
		d->iface_class[d->nifaces++] = (uint8_t)cls;
}
