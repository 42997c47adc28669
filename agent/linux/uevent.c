/*
 * The kernel's uevent messages: "ACTION@DEVPATH\0KEY=VALUE\0...". Any local
 * process can put bytes on the socket's group in a test namespace, and the
 * devpath ends up appended to a sysfs root, so every byte is checked here
 * before anything else looks at the message.
 */
#include <stdbool.h>
#include <string.h>

#include "vigil/err.h"
#include "uevent.h"

#define LIBUDEV_MAGIC "libudev"
#define ACTION_MAX 16

static bool
key_valid(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

static bool
action_valid(const char *a, size_t n)
{
	size_t i;

	if (n == 0 || n > ACTION_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (a[i] < 'a' || a[i] > 'z')
			return false;
	return true;
}

bool
uevent_devpath_valid(const char *p)
{
	const char *c, *e;
	size_t n;

	if (p == NULL || p[0] != '/')
		return false;
	if (strnlen(p, UEVENT_MAX_DEVPATH) >= UEVENT_MAX_DEVPATH)
		return false;
	for (c = p + 1;; c = e + 1) {
		for (e = c; *e != '\0' && *e != '/'; e++)
			if ((unsigned char)*e <= 0x20 || (unsigned char)*e >= 0x7f)
				return false;
		n = (size_t)(e - c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (*e == '\0')
			return true;
	}
}

const char *
uevent_get(const struct uevent *ev, const char *key)
{
	size_t i;

	for (i = 0; i < ev->nkeys; i++)
		if (strcmp(ev->kv[i].key, key) == 0)
			return ev->kv[i].value;
	return NULL;
}

int
uevent_parse(const void *msg, size_t len, struct uevent *ev)
{
	const char *action = NULL, *devpath = NULL;
	char *p, *end, *s, *eq, *at;
	size_t n;

	ev->action = ev->devpath = ev->subsystem = ev->devtype = NULL;
	ev->nkeys = 0;
	if (len == 0)
		return VIGIL_ERR_EMPTY;
	if (len > UEVENT_MAX_MSG)
		return VIGIL_ERR_TOOBIG;
	memcpy(ev->buf, msg, len);
	ev->buf[len] = '\0';
	end = ev->buf + len;

	if (len >= sizeof(LIBUDEV_MAGIC) && memcmp(ev->buf, LIBUDEV_MAGIC,
	    sizeof(LIBUDEV_MAGIC)) == 0)
		return VIGIL_ERR_PROTO;

	/* The header: ACTION@DEVPATH. */
	s = ev->buf;
	n = strlen(s);
	if ((at = memchr(s, '@', n)) == NULL)
		return VIGIL_ERR_DECODE;
	*at = '\0';
	if (!action_valid(s, (size_t)(at - s)) || !uevent_devpath_valid(at + 1))
		return VIGIL_ERR_DECODE;
	ev->action = s;
	ev->devpath = at + 1;

	for (p = s + n + 1; p < end; p += n + 1) {
		n = strlen(p);
		if (n == 0)
			continue;
		if ((eq = memchr(p, '=', n)) == NULL || !key_valid(p, (size_t)(eq - p)))
			return VIGIL_ERR_DECODE;
		*eq = '\0';
		if (uevent_get(ev, p) != NULL)
			return VIGIL_ERR_DECODE;
		if (ev->nkeys >= UEVENT_MAX_KEYS)
			return VIGIL_ERR_TOOBIG;
		ev->kv[ev->nkeys].key = p;
		ev->kv[ev->nkeys].value = eq + 1;
		ev->nkeys++;
	}

	action = uevent_get(ev, "ACTION");
	devpath = uevent_get(ev, "DEVPATH");
	ev->subsystem = uevent_get(ev, "SUBSYSTEM");
	ev->devtype = uevent_get(ev, "DEVTYPE");
	if (action == NULL || strcmp(action, ev->action) != 0 || devpath == NULL ||
	    strcmp(devpath, ev->devpath) != 0 || ev->subsystem == NULL ||
	    ev->subsystem[0] == '\0')
		return VIGIL_ERR_DECODE;
	return 0;
}

static int
hex4(const char *s, size_t n, char out[5])
{
	static const char digits[] = "0123456789abcdef";
	unsigned int v = 0;
	size_t i;
	int d;

	if (n == 0 || n > 4)
		return VIGIL_ERR_DECODE;
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return VIGIL_ERR_DECODE;
		v = v * 16 + (unsigned int)d;
	}
	for (i = 0; i < 4; i++)
		out[i] = digits[(v >> (12 - 4 * i)) & 0xf];
	out[4] = '\0';
	return 0;
}

int
uevent_product(const char *product, char vendor[5], char prod[5])
{
	const char *s1, *s2;

	vendor[0] = prod[0] = '\0';
	if (product == NULL || (s1 = strchr(product, '/')) == NULL ||
	    (s2 = strchr(s1 + 1, '/')) == NULL)
		return VIGIL_ERR_DECODE;
	if (hex4(product, (size_t)(s1 - product), vendor) != 0 ||
	    hex4(s1 + 1, (size_t)(s2 - s1 - 1), prod) != 0) {
		vendor[0] = prod[0] = '\0';
		return VIGIL_ERR_DECODE;
	}
	return 0;
}
