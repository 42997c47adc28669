/* The USB sensor's pure parts and its sysfs reading (agent/linux/usb.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/err.h"
#include "../../agent/linux/usb.h"

static void
dev(struct usb_device *d, const char *vendor, const char *product, const char *serial,
    int dclass, const char *ifaces)
{
	unsigned int c;
	int off = 0, n;

	memset(d, 0, sizeof(*d));
	snprintf(d->devpath, sizeof(d->devpath), "/devices/pci0000:00/usb1/1-1");
	snprintf(d->vendor, sizeof(d->vendor), "%s", vendor);
	snprintf(d->product, sizeof(d->product), "%s", product);
	snprintf(d->serial, sizeof(d->serial), "%s", serial);
	d->device_class = dclass;
	d->num_ifaces = -1;
	while (ifaces != NULL && sscanf(ifaces + off, "%x%n", &c, &n) == 1) {
		d->iface_class[d->nifaces++] = (uint8_t)c;
		off += n;
	}
	d->num_ifaces = (int)d->nifaces;
}

/* ---- classification ---- */

static void
test_classify(void **state)
{
	struct usb_device d;
	struct usb_class c;

	dev(&d, "0781", "5567", "SN1", 0x00, "08");
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_STORAGE);
	assert_false(c.badusb);
	assert_string_equal(usb_kind_name(c.kind), "storage");

	dev(&d, "046d", "c52b", "", 0x00, "03 03 03");
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_HID);
	assert_false(c.badusb);

	/* A "stick" that is also a keyboard: the BadUSB pattern. */
	dev(&d, "1234", "5678", "", 0x00, "03 08");
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_STORAGE);
	assert_true(c.badusb);
	assert_true(c.has & USB_HAS_HID);

	dev(&d, "0bda", "8153", "", 0x00, "02 0a");
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_NETWORK);
	assert_string_equal(usb_kind_name(c.kind), "network");

	dev(&d, "8087", "0a2b", "", 0xe0, "e0 e0");
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_NETWORK);

	dev(&d, "1d6b", "0003", "", 0x09, "09");
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_HUB);

	dev(&d, "0a12", "0001", "", 0xff, "ff 01");
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_OTHER);
	assert_string_equal(usb_kind_name(c.kind), "other");

	/* No interfaces yet: the device class alone decides. */
	dev(&d, "0781", "5567", "", 0x08, NULL);
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_STORAGE);
	dev(&d, "0781", "5567", "", -1, NULL);
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_OTHER);
}

/* ---- allow-list ---- */

static void
test_policy_names(void **state)
{
	enum usb_policy p;

	assert_int_equal(usb_policy_parse("off", &p), 0);
	assert_int_equal(p, USB_POLICY_OFF);
	assert_int_equal(usb_policy_parse("alert", &p), 0);
	assert_int_equal(p, USB_POLICY_ALERT);
	assert_int_equal(usb_policy_parse("block", &p), 0);
	assert_int_equal(p, USB_POLICY_BLOCK);
	assert_string_equal(usb_policy_name(p), "block");
	assert_int_equal(usb_policy_parse("Block", &p), VIGIL_ERR_INVAL);
	assert_int_equal(usb_policy_parse("", &p), VIGIL_ERR_INVAL);
}

static void
test_allow_parse(void **state)
{
	struct usb_allow a[4];
	char err[256];
	size_t n;

	assert_int_equal(usb_allow_parse("", a, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(usb_allow_parse("  0781:5567 \t046D:*   0951:1666:001CC0EC3450 ", a, 4,
	    &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(a[0].vendor, "0781");
	assert_string_equal(a[0].product, "5567");
	assert_string_equal(a[0].serial, "");
	assert_string_equal(a[1].vendor, "046d");
	assert_string_equal(a[1].product, "*");
	assert_string_equal(a[2].serial, "001CC0EC3450");
	/* A serial may hold ':' (everything after the second one). */
	assert_int_equal(usb_allow_parse("0781:5567:AB:CD", a, 4, &n, err, sizeof(err)), 0);
	assert_string_equal(a[0].serial, "AB:CD");

	assert_int_equal(usb_allow_parse("0781", a, 4, &n, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "\"0781\""));
	assert_int_equal(usb_allow_parse("781:5567", a, 4, &n, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_int_equal(usb_allow_parse("0781:5567:", a, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_int_equal(usb_allow_parse("0781:zzzz", a, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_int_equal(usb_allow_parse("*:5567", a, 4, &n, err, sizeof(err)), VIGIL_ERR_INVAL);
	assert_int_equal(usb_allow_parse("0781:5567 bad", a, 4, &n, err, sizeof(err)),
	    VIGIL_ERR_INVAL);
	assert_non_null(strstr(err, "\"bad\""));
	assert_int_equal(usb_allow_parse("0001:0001 0002:0002 0003:0003 0004:0004 0005:0005", a,
	    4, &n, err, sizeof(err)), VIGIL_ERR_TOOBIG);
}

static void
test_allow_match(void **state)
{
	struct usb_allow a[4];
	struct usb_device d;
	char err[256];
	size_t n;

	assert_int_equal(usb_allow_parse("0781:5567:SN1 046d:* 0951:1666", a, 4, &n, err,
	    sizeof(err)), 0);
	dev(&d, "0781", "5567", "SN1", 0, "08");
	assert_true(usb_allow_match(a, n, &d));
	dev(&d, "0781", "5567", "SN2", 0, "08");
	assert_false(usb_allow_match(a, n, &d));
	dev(&d, "0781", "5567", "", 0, "08");
	assert_false(usb_allow_match(a, n, &d));
	dev(&d, "046d", "c52b", "", 0, "03");
	assert_true(usb_allow_match(a, n, &d));
	dev(&d, "0951", "1666", "anything", 0, "08");
	assert_true(usb_allow_match(a, n, &d));
	dev(&d, "0951", "1667", "", 0, "08");
	assert_false(usb_allow_match(a, n, &d));
	/* A device whose ids could not be read never matches. */
	dev(&d, "", "", "", 0, "08");
	assert_false(usb_allow_match(a, n, &d));
}

/* ---- decisions ---- */

static void
decide(enum usb_policy pol, bool block_hid, const char *allow, struct usb_device *d,
    struct usb_verdict *v)
{
	static struct usb_allow a[8];
	struct usb_rules r;
	struct usb_class c;
	char err[256];

	memset(&r, 0, sizeof(r));
	r.policy = pol;
	r.block_hid = block_hid;
	r.allow = a;
	assert_int_equal(usb_allow_parse(allow, a, 8, &r.nallow, err, sizeof(err)), 0);
	usb_classify(d, &c);
	usb_decide(&r, d, &c, v);
}

static void
test_decide(void **state)
{
	struct usb_device stick, kbd, bad, hub, nic;
	struct usb_verdict v;

	dev(&stick, "0781", "5567", "SN0001", 0, "08");
	dev(&kbd, "046d", "c31c", "", 0, "03 03");
	dev(&bad, "1234", "5678", "", 0, "08 03");
	dev(&hub, "1d6b", "0002", "", 0x09, "09");
	dev(&nic, "0bda", "8153", "", 0, "02 0a");

	decide(USB_POLICY_OFF, false, "", &stick, &v);
	assert_int_equal(v.action, USB_ACT_NONE);
	assert_false(v.allowed);

	decide(USB_POLICY_ALERT, false, "0781:5567", &stick, &v);
	assert_int_equal(v.action, USB_ACT_NONE);
	assert_true(v.allowed);
	decide(USB_POLICY_ALERT, false, "", &stick, &v);
	assert_int_equal(v.action, USB_ACT_ALERT);

	decide(USB_POLICY_BLOCK, false, "0781:5567:OTHER", &stick, &v);
	assert_int_equal(v.action, USB_ACT_BLOCK);
	assert_false(v.allowed);
	decide(USB_POLICY_BLOCK, false, "0781:5567:SN0001", &stick, &v);
	assert_int_equal(v.action, USB_ACT_NONE);
	decide(USB_POLICY_BLOCK, false, "", &nic, &v);
	assert_int_equal(v.action, USB_ACT_BLOCK);

	/* Keyboards and mice: spared unless block_hid. */
	decide(USB_POLICY_BLOCK, false, "", &kbd, &v);
	assert_int_equal(v.action, USB_ACT_SPARE);
	assert_non_null(strstr(v.reason, "block_hid"));
	decide(USB_POLICY_BLOCK, true, "", &kbd, &v);
	assert_int_equal(v.action, USB_ACT_BLOCK);

	/* A keyboard that is also storage is not a keyboard to spare. */
	decide(USB_POLICY_BLOCK, false, "", &bad, &v);
	assert_int_equal(v.action, USB_ACT_BLOCK);

	decide(USB_POLICY_BLOCK, true, "", &hub, &v);
	assert_int_equal(v.action, USB_ACT_SPARE);
}

static void
test_allow_line(void **state)
{
	struct usb_device d;
	char line[256];

	dev(&d, "0781", "5567", "SN0001", 0, "08");
	usb_allow_line(&d, line, sizeof(line));
	assert_string_equal(line, "0781:5567:SN0001");
	/* A serial the allow-list syntax cannot hold is left out. */
	dev(&d, "0781", "5567", "SN 0001", 0, "08");
	usb_allow_line(&d, line, sizeof(line));
	assert_string_equal(line, "0781:5567");
	dev(&d, "0781", "5567", "", 0, "08");
	usb_allow_line(&d, line, sizeof(line));
	assert_string_equal(line, "0781:5567");
}

/*
 * Device strings lose every control character, C1 ones too (fuzz_usb found
 * U+009B, a CSI, passing into summaries and logs), and stay valid UTF-8.
 */
static void
test_string_clean(void **state)
{
	char out[USB_STR_MAX];

	assert_int_equal(usb_string_clean(out, sizeof(out), "a\x1b[1mb\x7f", 7), 7);
	assert_string_equal(out, "a?[1mb?");
	assert_int_equal(usb_string_clean(out, sizeof(out), "\xc2\x9b" "2J\xc2\x85\xc2\xa0", 8), 6);
	assert_string_equal(out, "?2J?\xc2\xa0");
	/* A NUL and an invalid byte become U+FFFD; Vietnamese stays. */
	assert_int_equal(usb_string_clean(out, sizeof(out), "M\xe1\xba\xacT\0\xff", 7), 11);
	assert_string_equal(out, "M\xe1\xba\xacT\xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(usb_string_clean(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
}

/* ---- sysfs ---- */

struct tree {
	char root[64];
	char dev[512];
};

static void
put(const char *dir, const char *name, const char *content)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(content, fp);
	fclose(fp);
}

static void
mkdirs(const char *path)
{
	char tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
	mkdir(tmp, 0755);
}

#define DEVPATH "/devices/pci0000:00/0000:00:04.0/usb1/1-1"

static int
tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char path[PATH_MAX];

	if (t == NULL)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/vigil-test-usb.XXXXXX");
	if (mkdtemp(t->root) == NULL)
		return -1;
	snprintf(t->dev, sizeof(t->dev), "%s" DEVPATH, t->root);
	mkdirs(t->dev);
	put(t->dev, "idVendor", "0781\n");
	put(t->dev, "idProduct", "5567\n");
	put(t->dev, "serial", "SN0001\n");
	/* ESC, and CSI as the C1 control U+009B (two bytes of UTF-8): both are controls. */
	put(t->dev, "manufacturer", "San\x1b[2J\xc2\x9b" "31mDisk\n");
	put(t->dev, "product", "Cruzer \xff Blade\n");
	put(t->dev, "busnum", "1\n");
	put(t->dev, "devnum", "2\n");
	put(t->dev, "bDeviceClass", "00\n");
	put(t->dev, "bNumInterfaces", " 1\n");
	put(t->dev, "authorized", "1\n");
	snprintf(path, sizeof(path), "%s/1-1:1.0", t->dev);
	mkdirs(path);
	put(path, "bInterfaceClass", "08\n");
	/* Another device's directory and a stray entry: not interfaces of 1-1. */
	snprintf(path, sizeof(path), "%s/1-1.2", t->dev);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/power", t->dev);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/bus/usb/devices", t->root);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/bus/usb/devices/1-1", t->root);
	if (symlink("../../../devices/pci0000:00/0000:00:04.0/usb1/1-1", path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bus/usb/devices/1-1:1.0", t->root);
	if (symlink("../../../devices/pci0000:00/0000:00:04.0/usb1/1-1/1-1:1.0", path) != 0)
		return -1;
	*state = t;
	return 0;
}

static int
tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void
test_sysfs_read(void **state)
{
	struct tree *t = *state;
	struct usb_device d;

	assert_int_equal(usb_sysfs_read(t->root, DEVPATH, &d), 0);
	assert_string_equal(d.vendor, "0781");
	assert_string_equal(d.product, "5567");
	assert_string_equal(d.serial, "SN0001");
	/* Device strings are cleaned: no escape sequences, valid UTF-8. */
	assert_string_equal(d.manufacturer, "San?[2J?31mDisk");
	assert_string_equal(d.product_name, "Cruzer \xef\xbf\xbd Blade");
	assert_string_equal(d.busnum, "1");
	assert_int_equal(d.device_class, 0);
	assert_int_equal(d.num_ifaces, 1);
	assert_int_equal(d.authorized, 1);
	assert_int_equal(d.nifaces, 1);
	assert_int_equal(d.iface_class[0], 0x08);

	assert_int_equal(usb_sysfs_read(t->root, DEVPATH "/gone", &d), VIGIL_ERR_NOTFOUND);
	assert_int_equal(usb_sysfs_read(t->root, "/devices/../../etc", &d), VIGIL_ERR_INVAL);
}

static void
test_sysfs_no_symlinks(void **state)
{
	struct tree *t = *state;
	struct usb_device d;
	char path[PATH_MAX], target[PATH_MAX];

	/* An attribute that is a symlink is not read... */
	snprintf(path, sizeof(path), "%s/serial", t->dev);
	unlink(path);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	/* ...and a FIFO does not hang the reader. */
	snprintf(path, sizeof(path), "%s/manufacturer", t->dev);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(usb_sysfs_read(t->root, DEVPATH, &d), 0);
	assert_string_equal(d.serial, "");
	assert_string_equal(d.manufacturer, "");
	assert_string_equal(d.vendor, "0781");

	/* A directory on the way that is a symlink is not followed. */
	snprintf(path, sizeof(path), "%s/devices/link", t->root);
	snprintf(target, sizeof(target), "%s/devices/pci0000:00", t->root);
	assert_int_equal(symlink(target, path), 0);
	assert_int_not_equal(usb_sysfs_read(t->root, "/devices/link/0000:00:04.0/usb1/1-1", &d),
	    0);
	assert_int_not_equal(usb_sysfs_deauthorize(t->root,
	    "/devices/link/0000:00:04.0/usb1/1-1"), 0);
}

static void
test_sysfs_deauthorize(void **state)
{
	struct tree *t = *state;
	char path[PATH_MAX], buf[16] = "";
	FILE *fp;

	assert_int_equal(usb_sysfs_deauthorize(t->root, DEVPATH), 0);
	snprintf(path, sizeof(path), "%s/authorized", t->dev);
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "0\n");
	assert_int_equal(usb_sysfs_deauthorize(t->root, DEVPATH "/gone"), VIGIL_ERR_SYS);
	assert_int_equal(usb_sysfs_deauthorize(t->root, "/x/../y"), VIGIL_ERR_INVAL);
}

static void
test_sysfs_scan_and_list(void **state)
{
	struct tree *t = *state;
	struct usb_device d[4];
	char *argv[] = { "--list-usb", "--sysfs-root", t->root, NULL };
	char *bad[] = { "--list-usb", "--what", NULL };
	char out[4096] = "";
	FILE *fp;
	size_t n;

	assert_int_equal(usb_sysfs_scan(t->root, d, 4), 1);
	assert_string_equal(d[0].devpath, DEVPATH);
	assert_string_equal(d[0].serial, "SN0001");

	assert_non_null(fp = tmpfile());
	assert_int_equal(usb_list_main(3, argv, fp), 0);
	rewind(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(out, "\n0781:5567:SN0001\n"));
	assert_non_null(strstr(out, "# storage "));
	assert_int_equal(usb_list_main(2, bad, stdout), 1);

	/* No bus/usb at all (a machine without USB): nothing, not an error. */
	assert_int_equal(usb_sysfs_scan("/nonexistent-root", d, 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_allow_parse),
		cmocka_unit_test(test_allow_match),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_allow_line),
		cmocka_unit_test(test_string_clean),
		cmocka_unit_test_setup_teardown(test_sysfs_read, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_no_symlinks, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_deauthorize, tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_scan_and_list, tree_setup,
		    tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
