/* The kernel's uevent messages (agent/linux/uevent.c): real layouts, truncated and hostile ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "../../agent/linux/uevent.h"

/* Literal messages as the kernel lays them out; sizeof - 1 drops C's own NUL. */
#define MSG(s) (s), (sizeof(s) - 1)

static const char usb_add[] =
    "add@/devices/pci0000:00/0000:00:14.0/usb1/1-2\0"
    "ACTION=add\0"
    "DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-2\0"
    "SUBSYSTEM=usb\0"
    "MAJOR=189\0"
    "MINOR=3\0"
    "DEVNAME=bus/usb/001/004\0"
    "DEVTYPE=usb_device\0"
    "PRODUCT=781/5567/100\0"
    "TYPE=0/0/0\0"
    "BUSNUM=001\0"
    "DEVNUM=004\0"
    "SEQNUM=2345\0";

static const char iface_add[] =
    "add@/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0\0"
    "ACTION=add\0"
    "DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0\0"
    "SUBSYSTEM=usb\0"
    "DEVTYPE=usb_interface\0"
    "PRODUCT=781/5567/100\0"
    "TYPE=0/0/0\0"
    "INTERFACE=8/6/80\0"
    "MODALIAS=usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00\0"
    "SEQNUM=2346\0";

static const char mem_change[] =
    "change@/devices/virtual/mem/null\0"
    "ACTION=change\0"
    "DEVPATH=/devices/virtual/mem/null\0"
    "SUBSYSTEM=mem\0"
    "MAJOR=1\0"
    "MINOR=3\0"
    "DEVNAME=null\0"
    "DEVMODE=0666\0"
    "SEQNUM=4100\0";

static void
test_usb_device_add(void **state)
{
	static struct uevent ev;

	assert_int_equal(uevent_parse(MSG(usb_add), &ev), 0);
	assert_string_equal(ev.action, "add");
	assert_string_equal(ev.devpath, "/devices/pci0000:00/0000:00:14.0/usb1/1-2");
	assert_string_equal(ev.subsystem, "usb");
	assert_string_equal(ev.devtype, "usb_device");
	assert_int_equal(ev.nkeys, 12);
	assert_string_equal(uevent_get(&ev, "PRODUCT"), "781/5567/100");
	assert_string_equal(uevent_get(&ev, "BUSNUM"), "001");
	assert_null(uevent_get(&ev, "INTERFACE"));
}

static void
test_interface_and_other_subsystems(void **state)
{
	static struct uevent ev;

	assert_int_equal(uevent_parse(MSG(iface_add), &ev), 0);
	assert_string_equal(ev.devtype, "usb_interface");
	assert_string_equal(uevent_get(&ev, "INTERFACE"), "8/6/80");

	assert_int_equal(uevent_parse(MSG(mem_change), &ev), 0);
	assert_string_equal(ev.action, "change");
	assert_string_equal(ev.subsystem, "mem");
	assert_null(ev.devtype);
}

static void
test_remove_without_final_nul(void **state)
{
	static struct uevent ev;
	static const char m[] = "remove@/devices/a/b\0ACTION=remove\0DEVPATH=/devices/a/b\0"
	    "SUBSYSTEM=usb\0DEVTYPE=usb_device";

	/* The last value is not NUL-terminated: the parser's own copy terminates it. */
	assert_int_equal(uevent_parse(MSG(m), &ev), 0);
	assert_string_equal(ev.devtype, "usb_device");
	assert_string_equal(ev.action, "remove");
}

static void
test_libudev_is_not_ours(void **state)
{
	static struct uevent ev;
	static const char m[] = "libudev\0\xfe\xed\xca\xfe\x28\0\0\0ACTION=add\0";

	assert_int_equal(uevent_parse(MSG(m), &ev), VIGIL_ERR_PROTO);
}

static void
test_every_prefix_is_safe(void **state)
{
	static struct uevent ev;
	size_t len, ok = 0;
	int rc;

	for (len = 0; len <= sizeof(usb_add) - 1; len++) {
		rc = uevent_parse(usb_add, len, &ev);
		if (rc == 0) {
			ok++;
			assert_string_equal(ev.devpath,
			    "/devices/pci0000:00/0000:00:14.0/usb1/1-2");
		}
		else
			assert_true(rc == VIGIL_ERR_EMPTY || rc == VIGIL_ERR_DECODE);
	}
	/*
	 * Only prefixes that keep ACTION, DEVPATH and SUBSYSTEM whole parse: from
	 * "SUBSYSTEM=usb" on, where "SUBSYSTEM=us" and "...=u" still carry a
	 * subsystem, just a different one; "SUBSYSTEM=" alone is refused.
	 */
	assert_true(ok > 0);
	assert_int_equal(uevent_parse(usb_add, 0, &ev), VIGIL_ERR_EMPTY);
}

static void
expect_decode(const char *m, size_t len)
{
	static struct uevent ev;

	assert_int_equal(uevent_parse(m, len, &ev), VIGIL_ERR_DECODE);
}

static void
test_hostile_headers(void **state)
{
	expect_decode(MSG("no-at-sign\0ACTION=add\0DEVPATH=/x\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("ADD@/x\0ACTION=ADD\0DEVPATH=/x\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("@/x\0ACTION=\0DEVPATH=/x\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@x\0ACTION=add\0DEVPATH=x\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices/../../etc\0ACTION=add\0DEVPATH=/devices/../../etc\0"
	    "SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices//a\0ACTION=add\0DEVPATH=/devices//a\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices/a b\0ACTION=add\0DEVPATH=/devices/a b\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices/\xff\0ACTION=add\0DEVPATH=/devices/\xff\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/\0ACTION=add\0DEVPATH=/\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("addaddaddaddaddaddadd@/x\0ACTION=addaddaddaddaddaddadd\0DEVPATH=/x\0"
	    "SUBSYSTEM=usb\0"));
}

static void
test_hostile_keys(void **state)
{
	/* The header and the keys disagree: which one would sysfs be read from? */
	expect_decode(MSG("add@/devices/a\0ACTION=add\0DEVPATH=/devices/b\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices/a\0ACTION=remove\0DEVPATH=/devices/a\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices/a\0DEVPATH=/devices/a\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices/a\0ACTION=add\0SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices/a\0ACTION=add\0DEVPATH=/devices/a\0"));
	expect_decode(MSG("add@/devices/a\0ACTION=add\0DEVPATH=/devices/a\0SUBSYSTEM=\0"));
	/* A second SUBSYSTEM must not override the first. */
	expect_decode(MSG("add@/devices/a\0ACTION=add\0DEVPATH=/devices/a\0SUBSYSTEM=mem\0"
	    "SUBSYSTEM=usb\0"));
	expect_decode(MSG("add@/devices/a\0ACTION=add\0DEVPATH=/devices/a\0SUBSYSTEM=usb\0"
	    "no_equals_sign\0"));
	expect_decode(MSG("add@/devices/a\0ACTION=add\0DEVPATH=/devices/a\0SUBSYSTEM=usb\0"
	    "lower=case\0"));
	expect_decode(MSG("add@/devices/a\0ACTION=add\0DEVPATH=/devices/a\0SUBSYSTEM=usb\0"
	    "=value\0"));
}

static void
test_limits(void **state)
{
	static struct uevent ev;
	static char big[UEVENT_MAX_MSG + 64];
	size_t len;
	int i;

	memset(big, 'A', sizeof(big));
	assert_int_equal(uevent_parse(big, UEVENT_MAX_MSG + 1, &ev), VIGIL_ERR_TOOBIG);

	len = (size_t)snprintf(big, sizeof(big), "add@/devices/a");
	big[len++] = '\0';
	for (i = 0; i < UEVENT_MAX_KEYS + 1; i++) {
		len += (size_t)snprintf(big + len, sizeof(big) - len, "K%d=v", i);
		big[len++] = '\0';
	}
	assert_int_equal(uevent_parse(big, len, &ev), VIGIL_ERR_TOOBIG);

	/* Empty strings between pairs (runs of NULs) are skipped, not keys. */
	assert_int_equal(uevent_parse(MSG("add@/devices/a\0\0\0ACTION=add\0\0DEVPATH=/devices/a\0"
	    "SUBSYSTEM=usb\0\0"), &ev), 0);
	assert_int_equal(ev.nkeys, 3);
	/* A value may hold '=' and any byte: it is cleaned where it is used. */
	assert_int_equal(uevent_parse(MSG("add@/devices/a\0ACTION=add\0DEVPATH=/devices/a\0"
	    "SUBSYSTEM=usb\0X=a=b\xff\0"), &ev), 0);
	assert_string_equal(uevent_get(&ev, "X"), "a=b\xff");
}

static void
test_devpath_valid(void **state)
{
	static char longp[UEVENT_MAX_DEVPATH + 8];

	assert_true(uevent_devpath_valid("/devices/pci0000:00/0000:00:04.0/usb1/1-1"));
	assert_true(uevent_devpath_valid("/devices/platform/dummy_hcd.0/usb2/2-1.4/2-1.4:1.0"));
	assert_true(uevent_devpath_valid("/a..b/.c"));
	assert_false(uevent_devpath_valid(NULL));
	assert_false(uevent_devpath_valid(""));
	assert_false(uevent_devpath_valid("devices/x"));
	assert_false(uevent_devpath_valid("/devices/x/"));
	assert_false(uevent_devpath_valid("/devices/./x"));
	assert_false(uevent_devpath_valid("/devices/.."));
	assert_false(uevent_devpath_valid("/devices/\tx"));
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_false(uevent_devpath_valid(longp));
}

static void
test_product(void **state)
{
	char v[5], p[5];

	assert_int_equal(uevent_product("781/5567/100", v, p), 0);
	assert_string_equal(v, "0781");
	assert_string_equal(p, "5567");
	assert_int_equal(uevent_product("ABCD/1/0", v, p), 0);
	assert_string_equal(v, "abcd");
	assert_string_equal(p, "0001");
	assert_int_equal(uevent_product("12345/1/1", v, p), VIGIL_ERR_DECODE);
	assert_string_equal(v, "");
	assert_int_equal(uevent_product("/1/1", v, p), VIGIL_ERR_DECODE);
	assert_int_equal(uevent_product("1/1", v, p), VIGIL_ERR_DECODE);
	assert_int_equal(uevent_product("zz/1/1", v, p), VIGIL_ERR_DECODE);
	assert_int_equal(uevent_product("1//1", v, p), VIGIL_ERR_DECODE);
	assert_int_equal(uevent_product(NULL, v, p), VIGIL_ERR_DECODE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usb_device_add),
		cmocka_unit_test(test_interface_and_other_subsystems),
		cmocka_unit_test(test_remove_without_final_nul),
		cmocka_unit_test(test_libudev_is_not_ours),
		cmocka_unit_test(test_every_prefix_is_safe),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_hostile_keys),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_devpath_valid),
		cmocka_unit_test(test_product),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
