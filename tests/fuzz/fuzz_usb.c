/*
 * libFuzzer target: the strings a USB device chooses (serial, manufacturer,
 * product) and the rest of its sysfs identity, through the agent's real
 * path: files in a sysfs tree read by usb_sysfs_read(), usb_classify() and
 * usb_decide() against an allow-list from usb_allow_parse(), the events'
 * text (usb_report_inserted(), usb_report_removed()) and ingest_append()
 * into a real spool, in a transaction rolled back after each input.
 *
 * Input, parts separated by FUZZ_SEP (fuzz.h): serial, manufacturer,
 * product, idVendor, idProduct, bDeviceClass, bNumInterfaces, the
 * interfaces' bInterfaceClass (one interface per line), busnum, devnum,
 * authorized, the allow-list, then flags (policy, block_hid, block made or
 * failed).
 *
 * What must hold:
 * - every string read from the device is valid UTF-8 without any control
 *   character (C0, DEL or C1), shorter than USB_STR_MAX; ids are four
 *   lower-case hex digits or empty;
 * - the events' summaries are the same, and every event passes wire
 *   validation: a device cannot hide its insertion by making it invalid;
 * - the line --list-usb prints for a device, put in the allow-list, allows
 *   that device;
 * - the policy's verdict agrees with the allow-list and the class.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "../../agent/ingest.h"
#include "../../agent/linux/usb.h"

#define NPARTS 13
#define DEVPATH "/devices/pci0000:00/0000:00:14.0/usb1/1-1"

static char root[64], devdir[160], spoolpath[96];
static struct spool *spool;
static struct ingest *ing;
static size_t nifaces_made;

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_usb: %s: %s\n", what, detail != NULL ? detail : "");
	abort();
}

static void
cleanup(void)
{
	char p[256];

	for (size_t i = 0; i < nifaces_made; i++) {
		snprintf(p, sizeof(p), "%s/1-1:1.%zu/bInterfaceClass", devdir, i);
		unlink(p);
		snprintf(p, sizeof(p), "%s/1-1:1.%zu", devdir, i);
		rmdir(p);
	}
	ingest_free(ing);
	spool_free(spool);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	/* Our own mkdtemp() directory, named by us: no input reaches the command. */
	if (system(p) != 0)
		fprintf(stderr, "fuzz_usb: cannot remove %s\n", root);
}

static void
setup(void)
{
	static const char *const comps[] = { "/devices", "/devices/pci0000:00",
		"/devices/pci0000:00/0000:00:14.0", "/devices/pci0000:00/0000:00:14.0/usb1",
		DEVPATH };
	char p[256], err[256];

	log_init("fuzz_usb", 1, -1);
	snprintf(root, sizeof(root), "%s/vigil-fuzz-usb.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(root) == NULL)
		fail("mkdtemp", strerror(errno));
	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, comps[i]);
		if (mkdir(p, 0700) != 0)
			fail("mkdir", p);
	}
	snprintf(devdir, sizeof(devdir), "%s%s", root, DEVPATH);
	snprintf(spoolpath, sizeof(spoolpath), "%s/spool.db", root);
	if ((spool = spool_open(spoolpath, 0, err, sizeof(err))) == NULL)
		fail("spool_open", err);
	if ((ing = ingest_new(spool, NULL)) == NULL)
		fail("ingest_new", "out of memory");
	atexit(cleanup);
}

static void
put(const char *dir, const char *name, const char *data, size_t len)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    (len > 0 && write(fd, data, len) != (ssize_t)len))
		fail("writing", p);
	close(fd);
}

/* One interface directory per line of list, each with its bInterfaceClass. */
static void
make_ifaces(char *list, size_t len)
{
	char dir[256], *line = list, *nl;
	size_t n = 0;

	for (size_t i = 0; i < nifaces_made; i++) {
		snprintf(dir, sizeof(dir), "%s/1-1:1.%zu/bInterfaceClass", devdir, i);
		unlink(dir);
		snprintf(dir, sizeof(dir), "%s/1-1:1.%zu", devdir, i);
		rmdir(dir);
	}
	while (len > 0 && n < USB_MAX_IFACES + 2) {
		nl = memchr(line, '\n', len);
		snprintf(dir, sizeof(dir), "%s/1-1:1.%zu", devdir, n);
		if (mkdir(dir, 0700) != 0)
			fail("mkdir", dir);
		put(dir, "bInterfaceClass", line, nl != NULL ? (size_t)(nl - line) : len);
		n++;
		if (nl == NULL)
			break;
		len -= (size_t)(nl - line) + 1;
		line = nl + 1;
	}
	nifaces_made = n;
}

/* Valid UTF-8, no control character at all (C0, DEL, C1). */
static void
check_clean(const char *what, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	if (len >= max || !text_utf8_valid(s, len))
		fail(what, "not valid UTF-8 of the length allowed");
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f))
			fail(what, s);
}

static void
check_id(const char *what, const char *id)
{
	if (id[0] == '\0')
		return;
	if (strlen(id) != 4 || strspn(id, "0123456789abcdef") != 4)
		fail(what, id);
}

static void
append_all(const struct usb_report *r)
{
	uint64_t seq;
	int rc;

	if (r->n == 0 || r->n > USB_REPORT_MAX)
		fail("usb_report", "no event, or too many");
	if (spool_begin(spool) != 0)
		fail("spool_begin", "failed");
	for (size_t i = 0; i < r->n; i++) {
		check_clean("a summary", r->ev[i].summary, WIRE_MAX_SUMMARY);
		if ((rc = ingest_append(ing, &r->ev[i], &seq)) != 1)
			fail("ingest_append refused a USB event", r->ev[i].summary);
	}
	if (spool_rollback(spool) != 0)
		fail("spool_rollback", "failed");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct usb_allow allow[USB_MAX_ALLOW], self;
	static struct usb_report report;
	static const char *const attrs[] = { "serial", "manufacturer", "product", "idVendor",
		"idProduct", "bDeviceClass", "bNumInterfaces" };
	char *parts[NPARTS], line[USB_STR_MAX + 16], err[256];
	size_t len[NPARTS], nallow = 0, nself;
	struct usb_device d;
	struct usb_class c;
	struct usb_verdict v;
	struct usb_rules rules;
	unsigned flags;

	if (spool == NULL)
		setup();
	fuzz_split(data, size, NPARTS, parts, len);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		put(devdir, attrs[i], parts[i], len[i]);
	make_ifaces(parts[7], len[7]);
	put(devdir, "busnum", parts[8], len[8]);
	put(devdir, "devnum", parts[9], len[9]);
	put(devdir, "authorized", parts[10], len[10]);
	flags = len[12] > 0 ? (unsigned char)parts[12][0] : 0;

	if (usb_sysfs_read(root, DEVPATH, &d) != 0)
		fail("usb_sysfs_read", "cannot read the device");
	check_clean("serial", d.serial, USB_STR_MAX);
	check_clean("manufacturer", d.manufacturer, USB_STR_MAX);
	check_clean("product", d.product_name, USB_STR_MAX);
	check_clean("busnum", d.busnum, sizeof(d.busnum));
	check_clean("devnum", d.devnum, sizeof(d.devnum));
	check_id("idVendor", d.vendor);
	check_id("idProduct", d.product);
	if (d.nifaces > USB_MAX_IFACES)
		fail("usb_sysfs_read", "more interfaces than kept");

	if (usb_allow_parse(parts[11], allow, USB_MAX_ALLOW, &nallow, err, sizeof(err)) != 0)
		nallow = 0;
	usb_classify(&d, &c);
	if (c.badusb != ((c.has & USB_HAS_STORAGE) && (c.has & USB_HAS_HID)))
		fail("usb_classify", "BadUSB is not storage and HID together");
	rules.policy = (enum usb_policy)(flags % 3);
	rules.block_hid = flags & 4;
	rules.allow = allow;
	rules.nallow = nallow;
	usb_decide(&rules, &d, &c, &v);
	if (v.reason == NULL || (v.allowed && v.action != USB_ACT_NONE) ||
	    (rules.policy != USB_POLICY_OFF && !v.allowed && v.action == USB_ACT_NONE) ||
	    (v.action == USB_ACT_SPARE && c.badusb))
		fail("usb_decide", "a verdict at odds with the rules");

	/* What --list-usb prints for the device allows it. */
	usb_allow_line(&d, line, sizeof(line));
	if (d.vendor[0] != '\0' && d.product[0] != '\0' &&
	    (usb_allow_parse(line, &self, 1, &nself, err, sizeof(err)) != 0 || nself != 1 ||
	    !usb_allow_match(&self, 1, &d)))
		fail("the allow-list line of a device does not allow it", line);

	usb_report_inserted(&report, &d, &c, &v, rules.policy, v.action == USB_ACT_BLOCK &&
	    (flags & 8), v.action == USB_ACT_BLOCK && (flags & 16) ? strerror(EACCES) : NULL);
	append_all(&report);
	usb_report_removed(&report, &d, &c);
	append_all(&report);
	fuzz_split_free(NPARTS, parts);
	return 0;
}
