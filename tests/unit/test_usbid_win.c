/*
 * Windows device instance ids and compatible ids (agent/usbid_win.c), as
 * Device Manager shows them on real PCs, and hostile ones. Runs on Linux and
 * under Wine (make windows-unit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"
#include "../../agent/usbid_win.h"

static void
test_usb(void **state)
{
	struct usbid id;

	/* A SanDisk Cruzer Blade: its serial is the instance. */
	assert_int_equal(usbid_parse("USB\\VID_0781&PID_5567\\4C530001230920117075", &id), 0);
	assert_int_equal(id.bus, USBID_USB);
	assert_string_equal(id.vendor, "0781");
	assert_string_equal(id.product, "5567");
	assert_int_equal(id.iface, -1);
	assert_string_equal(id.serial, "4C530001230920117075");
	/* Lower case alike; hex made lower case as Linux's idVendor is. */
	assert_int_equal(usbid_parse("usb\\vid_046D&pid_C52B\\ABC", &id), 0);
	assert_string_equal(id.vendor, "046d");
	assert_string_equal(id.product, "c52b");
	/* No serial: Windows made the instance up, with '&'. */
	assert_int_equal(usbid_parse("USB\\VID_413C&PID_2113\\5&1C7E7F1B&0&3", &id), 0);
	assert_string_equal(id.serial, "");
	/* An interface of a composite device (a Logitech receiver): no serial of its own. */
	assert_int_equal(usbid_parse("USB\\VID_046D&PID_C52B&MI_01\\7&2A8A6D1F&0&0001", &id), 0);
	assert_int_equal(id.iface, 1);
	assert_int_equal(usbid_parse("USB\\VID_046D&PID_C52B&MI_0A\\X", &id), 0);
	assert_int_equal(id.iface, 10);
	/* Other parts after the PID (a revision in some hardware ids) are allowed. */
	assert_int_equal(usbid_parse("USB\\VID_0781&PID_5567&REV_0100\\SN1", &id), 0);
	assert_string_equal(id.serial, "SN1");
}

static void
test_usbstor(void **state)
{
	struct usbid id;

	assert_int_equal(usbid_parse("USBSTOR\\DISK&VEN_SANDISK&PROD_CRUZER_BLADE&REV_1.00\\"
	    "4C530001230920117075&0", &id), 0);
	assert_int_equal(id.bus, USBID_USBSTOR);
	assert_string_equal(id.type, "DISK");
	assert_string_equal(id.ven, "SANDISK");
	assert_string_equal(id.prod, "CRUZER BLADE");
	assert_string_equal(id.rev, "1.00");
	assert_string_equal(id.serial, "4C530001230920117075");
	/* Names padded with '_' lose the padding; a made-up instance is no serial. */
	assert_int_equal(usbid_parse("USBSTOR\\Disk&Ven_Kingston&Prod_DataTraveler_3.0&Rev_PMAP\\"
	    "7&2AD9E1A&0&0", &id), 0);
	assert_string_equal(id.ven, "Kingston");
	assert_string_equal(id.prod, "DataTraveler 3.0");
	assert_string_equal(id.serial, "");
	assert_int_equal(usbid_parse("USBSTOR\\CdRom&Ven_Generic&Prod_Virtual___\\SN9&1", &id), 0);
	assert_string_equal(id.type, "CdRom");
	assert_string_equal(id.prod, "Virtual");
	assert_string_equal(id.serial, "SN9");
	assert_int_equal(usbid_parse("USBSTOR\\Disk&Ven_A\\SN9&X", &id), 0);
	assert_string_equal(id.serial, "");
}

static void
test_refused(void **state)
{
	const char *bad[] = {
		"",
		"USB",
		"USB\\VID_0781&PID_5567",                    /* no instance */
		"USB\\VID_0781&PID_5567\\",
		"USB\\VID_0781&PID_5567\\A\\B",              /* a third backslash */
		"USB\\VID_078&PID_5567\\A",                   /* three hex digits */
		"USB\\VID_078G&PID_5567\\A",
		"USB\\VID_0781&PID_55671\\A",
		"USB\\VID_0781PID_5567\\A",
		"USB\\VID_0781&PID_5567&MI_0\\A",
		"USB\\VID_0781&PID_5567&MI_0Z\\A",
		"USB\\ROOT_HUB30\\4&2A8A6D1F&0&0",            /* a root hub: no device of ours */
		"HID\\VID_046D&PID_C52B\\A",                  /* another enumerator */
		"USBSTOR\\\\A",
		"USB\\VID_0781&PID_5567\\SN\x1b[2J",          /* a control character */
		"USBSTOR\\Disk&Ven_A\x07\\SN",
	};
	struct usbid id;
	char big[USBID_MAX + 10];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(usbid_parse(bad[i], &id), VIGIL_ERR_INVAL);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "USB\\VID_0781&PID_5567\\", 22);
	assert_int_equal(usbid_parse(big, &id), VIGIL_ERR_INVAL);
	big[USBID_MAX] = '\0';
	assert_int_equal(usbid_parse(big, &id), 0);
	/* A serial longer than a device string is no serial. */
	assert_string_equal(id.serial, "");
}

static void
test_class(void **state)
{
	assert_int_equal(usbid_class("USB\\Class_08&SubClass_06&Prot_50"), 0x08);
	assert_int_equal(usbid_class("USB\\Class_08"), 0x08);
	assert_int_equal(usbid_class("USB\\class_03&SubClass_01"), 0x03);
	assert_int_equal(usbid_class("USB\\DevClass_09"), 0x09);
	assert_int_equal(usbid_class("USB\\Class_E0&SubClass_01&Prot_01"), 0xe0);
	assert_int_equal(usbid_class("USB\\COMPOSITE"), -1);
	assert_int_equal(usbid_class("USB\\Class_8"), -1);
	assert_int_equal(usbid_class("USB\\Class_0G"), -1);
	assert_int_equal(usbid_class("USB\\Class_080"), -1);
	assert_int_equal(usbid_class("HID\\Class_03"), -1);
	assert_int_equal(usbid_class(""), -1);
}

/* A device from its id and classes: the same policy decisions as Linux. */
static void
test_device(void **state)
{
	const char *inst = "USB\\VID_0781&PID_5567\\4C530001230920117075";
	struct usbid id;
	struct usb_device d;
	struct usb_class c;
	struct usb_allow allow[2];
	struct usb_rules r = { USB_POLICY_BLOCK, false, allow, 0 };
	struct usb_verdict v;
	char err[128], line[160];
	size_t n;

	assert_int_equal(usbid_parse(inst, &id), 0);
	usbid_device(&id, inst, &d);
	assert_string_equal(d.devpath, inst);
	assert_string_equal(d.vendor, "0781");
	assert_int_equal(d.authorized, -1);
	usb_device_add_class(&d, 0x08);
	usb_device_add_class(&d, 0x08);          /* given twice (Class_08 and its subclasses) */
	usb_device_add_class(&d, 300);           /* not a class */
	assert_int_equal(d.nifaces, 1);
	usb_classify(&d, &c);
	assert_int_equal(c.kind, USB_KIND_STORAGE);
	usb_decide(&r, &d, &c, &v);
	assert_int_equal(v.action, USB_ACT_BLOCK);
	usb_allow_line(&d, line, sizeof(line));
	assert_string_equal(line, "0781:5567:4C530001230920117075");
	assert_int_equal(usb_allow_parse(line, allow, 2, &n, err, sizeof(err)), 0);
	r.nallow = n;
	usb_decide(&r, &d, &c, &v);
	assert_int_equal(v.action, USB_ACT_NONE);
	assert_true(v.allowed);
	/* A keyboard is spared; with a disk too it is BadUSB, and blocked. */
	usbid_device(&id, inst, &d);
	usb_device_add_class(&d, 0x03);
	usb_classify(&d, &c);
	r.nallow = 0;
	usb_decide(&r, &d, &c, &v);
	assert_int_equal(v.action, USB_ACT_SPARE);
	usb_device_add_class(&d, 0x08);
	usb_classify(&d, &c);
	assert_true(c.badusb);
	usb_decide(&r, &d, &c, &v);
	assert_int_equal(v.action, USB_ACT_BLOCK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usb),
		cmocka_unit_test(test_usbstor),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
