/*
 * The network report (issue 15): MAC addresses in every form people write
 * them, the agent's bounded list (filters, cap and its counter, escaped
 * interface names), the Linux rtnetlink parser on recorded-shape dumps
 * (complete and incomplete entries, IPv4 and IPv6, errors, a cut message)
 * and the wire's checks of the report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vigil/err.h"
#include "vigil/mac.h"
#include "vigil/wire.h"
#include "../../agent/neigh.h"
#include "../../agent/linux/neigh.h"

static void
test_mac_forms(void **state)
{
	static const char *const good[] = { "52:54:00:ab:cd:ef", "52-54-00-AB-CD-EF",
		"5254.00ab.cdef", "525400ABCDEF", "52:54:00:Ab:cD:eF" };
	static const char *const bad[] = { "", "52:54:00:ab:cd", "52:54:00:ab:cd:eg",
		"52:54-00:ab:cd:ef", "52:54:00:ab:cd:ef:", "5254.00ab:cdef", "525400abcdef0",
		"52 54 00 ab cd ef", "52:54:00:ab:cd:e", ":52:54:00:ab:cd:e" };
	char out[MAC_STR_LEN + 1];
	unsigned char m[MAC_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(mac_normalize(good[i], out), 0);
		assert_string_equal(out, "52:54:00:ab:cd:ef");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mac_normalize(bad[i], out), VIGIL_ERR_INVAL);
		assert_string_equal(out, "");
	}
	assert_int_equal(mac_parse(NULL, m), VIGIL_ERR_INVAL);
	assert_int_equal(mac_parse("ff:ff:ff:ff:ff:ff", m), 0);
	assert_false(mac_is_host(m));                   /* broadcast */
	assert_int_equal(mac_parse("01:00:5e:00:00:fb", m), 0);
	assert_false(mac_is_host(m));                   /* IPv4 multicast */
	assert_int_equal(mac_parse("33:33:00:00:00:01", m), 0);
	assert_false(mac_is_host(m));                   /* IPv6 multicast */
	assert_int_equal(mac_parse("00:00:00:00:00:00", m), 0);
	assert_false(mac_is_host(m));
	assert_int_equal(mac_parse("52:54:00:ab:cd:ef", m), 0);
	assert_true(mac_is_host(m));
	assert_true(mac_is_local(m));                   /* QEMU's prefix is locally administered */
	assert_int_equal(mac_parse("00:1a:2b:3c:4d:5e", m), 0);
	assert_false(mac_is_local(m));
}

static const unsigned char MAC_A[6] = { 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e };
static const unsigned char MAC_B[6] = { 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5f };

static void
test_list_filters_and_cap(void **state)
{
	struct neigh_list *l = calloc(1, sizeof(*l));
	static const unsigned char bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const unsigned char mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const unsigned char eui64[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char m[6];
	char ip[32];

	(void)state;
	assert_non_null(l);
	neigh_reset(l);
	assert_int_equal(neigh_add(l, "10.0.0.1", bcast, 6, "eth0"), 1);
	assert_int_equal(neigh_add(l, "10.0.0.1", mcast, 6, "eth0"), 1);
	assert_int_equal(neigh_add(l, "10.0.0.1", eui64, 8, "eth0"), 1);
	assert_int_equal(neigh_add(l, "", MAC_A, 6, "eth0"), 1);
	assert_int_equal(l->n, 0);
	/* A hostile interface name: invalid UTF-8 replaced (the wire wants UTF-8), the
	 * control characters kept for the output to escape. */
	assert_int_equal(neigh_add(l, "10.0.0.2", MAC_A, 6, "e\x1b[2J\n\xff"), 0);
	assert_int_equal(l->n, 1);
	assert_string_equal(l->e[0].mac, "00:1a:2b:3c:4d:5e");
	assert_string_equal(l->e[0].ip, "10.0.0.2");
	assert_string_equal(l->e[0].ifname, "e\x1b[2J\n\xef\xbf\xbd");
	/* The same MAC and address twice is one entry; another address is another. */
	assert_int_equal(neigh_add(l, "10.0.0.2", MAC_A, 6, "eth1"), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(neigh_add(l, "fe80::21a:2bff:fe3c:4d5e", MAC_A, 6, "eth0"), 0);
	assert_int_equal(l->n, 2);
	/* The cap: what does not fit is counted. */
	for (unsigned i = 0; l->n < NEIGH_MAX; i++) {
		memcpy(m, MAC_B, 6);
		m[4] = (unsigned char)(i >> 8);
		m[5] = (unsigned char)i;
		snprintf(ip, sizeof(ip), "10.1.%u.%u", i >> 8, i & 0xff);
		assert_int_equal(neigh_add(l, ip, m, 6, "eth0"), 0);
	}
	assert_int_equal(l->cut, 0);
	assert_int_equal(neigh_add(l, "10.9.9.9", MAC_B, 6, "eth0"), 2);
	assert_int_equal(neigh_add(l, "10.9.9.8", MAC_B, 6, "eth0"), 2);
	assert_int_equal(l->n, NEIGH_MAX);
	assert_int_equal(l->cut, 2);
	/* Own MACs: the same rules, their own cap. */
	assert_int_equal(neigh_add_own(l, MAC_A, 6), 0);
	assert_int_equal(neigh_add_own(l, MAC_A, 6), 0);
	assert_int_equal(neigh_add_own(l, bcast, 6), 1);
	assert_int_equal(l->nown, 1);
	assert_string_equal(l->own[0], "00:1a:2b:3c:4d:5e");
	neigh_reset(l);
	assert_int_equal(l->n + l->nown + l->cut, 0);
	free(l);
}

/* ---- a dump as the kernel writes it ---- */

struct dump {
	unsigned char buf[8192] __attribute__((aligned(4)));
	size_t len;
};

static void
put_attr(struct dump *d, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(void *)(d->buf + d->len);

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	d->len += RTA_SPACE(len);
}

/* One RTM_NEWNEIGH: family, state, ifindex, address text, lladdr (NULL: none). */
static void
put_neigh(struct dump *d, int family, unsigned short nud, int ifindex, const char *ip,
    const unsigned char *ll, size_t lllen)
{
	size_t start = d->len;
	struct nlmsghdr *h = (struct nlmsghdr *)(void *)(d->buf + start);
	struct ndmsg *nd;
	unsigned char addr[16];

	memset(d->buf + start, 0, NLMSG_SPACE(sizeof(*nd)));
	h->nlmsg_type = RTM_NEWNEIGH;
	h->nlmsg_flags = NLM_F_MULTI;
	nd = NLMSG_DATA(h);
	nd->ndm_family = (unsigned char)family;
	nd->ndm_state = nud;
	nd->ndm_ifindex = ifindex;
	d->len += NLMSG_SPACE(sizeof(*nd));
	assert_int_equal(inet_pton(family == AF_INET6 ? AF_INET6 : AF_INET, ip, addr), 1);
	put_attr(d, NDA_DST, addr, family == AF_INET6 ? 16 : 4);
	if (ll != NULL)
		put_attr(d, NDA_LLADDR, ll, lllen);
	h->nlmsg_len = (unsigned)(d->len - start);
	d->len = start + NLMSG_ALIGN(h->nlmsg_len);
}

static void
put_type(struct dump *d, unsigned short type)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(void *)(d->buf + d->len);

	memset(h, 0, NLMSG_SPACE(sizeof(int)));
	h->nlmsg_type = type;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	if (type == NLMSG_ERROR)
		*(int *)NLMSG_DATA(h) = -1;
	d->len += NLMSG_SPACE(sizeof(int));
}

/* Interface 2 is "eth0", 7 a hostile name, others unknown. */
static int
names(void *arg, int index, char *name, size_t len)
{
	(*(int *)arg)++;
	if (index == 2)
		snprintf(name, len, "eth0");
	else if (index == 7)
		snprintf(name, len, "v\x1b]0;pwn\a");
	else
		return -1;
	return 0;
}

static void
test_netlink_dump(void **state)
{
	struct neigh_list *l = calloc(1, sizeof(*l));
	struct dump *d = calloc(1, sizeof(*d));
	static const unsigned char router[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const unsigned char pc[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x66 };
	int calls = 0;

	(void)state;
	assert_non_null(l);
	assert_non_null(d);
	neigh_reset(l);
	put_neigh(d, AF_INET, NUD_REACHABLE, 2, "192.168.1.1", router, 6);
	put_neigh(d, AF_INET, NUD_STALE, 7, "192.168.1.20", pc, 6);
	put_neigh(d, AF_INET, NUD_INCOMPLETE, 2, "192.168.1.30", NULL, 0);
	put_neigh(d, AF_INET, NUD_FAILED, 2, "192.168.1.31", NULL, 0);
	/* A failed entry that still carries an old address: not a neighbour seen now. */
	put_neigh(d, AF_INET, NUD_FAILED, 2, "192.168.1.32", pc, 6);
	put_neigh(d, AF_INET, NUD_NOARP, 2, "224.0.0.251", router, 6);
	put_neigh(d, AF_INET6, NUD_DELAY, 2, "fe80::211:22ff:fe33:4455", router, 6);
	put_neigh(d, AF_INET6, NUD_PERMANENT, 9, "2001:db8::20", pc, 6);
	put_neigh(d, AF_INET6, NUD_PROBE, 2, "2001:db8::21", (const unsigned char *)"\x01\x02", 2);
	put_neigh(d, AF_BRIDGE, NUD_REACHABLE, 2, "192.168.1.99", pc, 6);
	assert_int_equal(neigh_netlink_parse(l, d->buf, d->len, names, &calls), 0);
	assert_int_equal(l->n, 4);
	assert_string_equal(l->e[0].ip, "192.168.1.1");
	assert_string_equal(l->e[0].mac, "00:11:22:33:44:55");
	assert_string_equal(l->e[0].ifname, "eth0");
	assert_string_equal(l->e[1].ip, "192.168.1.20");
	assert_string_equal(l->e[1].ifname, "v\x1b]0;pwn\a");
	assert_string_equal(l->e[2].ip, "fe80::211:22ff:fe33:4455");
	assert_string_equal(l->e[3].ip, "2001:db8::20");
	assert_string_equal(l->e[3].ifname, "if9");        /* gone since: its index */
	assert_int_equal(l->cut, 0);

	/* The end of the dump. */
	d->len = 0;
	put_type(d, NLMSG_DONE);
	assert_int_equal(neigh_netlink_parse(l, d->buf, d->len, names, &calls), 1);
	/* An error, and a message cut in its middle. */
	d->len = 0;
	put_type(d, NLMSG_ERROR);
	assert_true(neigh_netlink_parse(l, d->buf, d->len, names, &calls) < 0);
	d->len = 0;
	put_neigh(d, AF_INET, NUD_REACHABLE, 2, "192.168.1.1", router, 6);
	assert_true(neigh_netlink_parse(l, d->buf, d->len - 4, names, &calls) < 0);
	/* A header claiming less than an ndmsg. */
	((struct nlmsghdr *)(void *)d->buf)->nlmsg_len = NLMSG_LENGTH(2);
	assert_true(neigh_netlink_parse(l, d->buf, d->len, names, &calls) < 0);
	assert_int_equal(l->n, 4);
	free(d);
	free(l);
}

static int
validate(Vigil__V1__NetworkReport *n, char *why, size_t whylen)
{
	Vigil__V1__Frame f = VIGIL__V1__FRAME__INIT;
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;

	hb.network = n;
	f.msg_case = VIGIL__V1__FRAME__MSG_HEARTBEAT;
	f.heartbeat = &hb;
	return wire_validate(&f, why, whylen);
}

static void
test_wire(void **state)
{
	Vigil__V1__NetworkReport n = VIGIL__V1__NETWORK_REPORT__INIT;
	Vigil__V1__Neighbour e = VIGIL__V1__NEIGHBOUR__INIT, *ep[WIRE_MAX_NEIGHBOURS + 1];
	char *own[] = { (char *)"00:11:22:33:44:55" };
	char why[256];

	(void)state;
	for (size_t i = 0; i < WIRE_MAX_NEIGHBOURS + 1; i++)
		ep[i] = &e;
	e.mac = (char *)"00:11:22:33:44:66";
	e.ip = (char *)"192.168.1.20";
	e.ifname = (char *)"eth0";
	n.own_macs = own;
	n.n_own_macs = 1;
	n.neighbours = ep;
	n.n_neighbours = 1;
	assert_int_equal(validate(&n, why, sizeof(why)), 0);
	n.n_neighbours = WIRE_MAX_NEIGHBOURS;
	assert_int_equal(validate(&n, why, sizeof(why)), 0);
	n.n_neighbours = WIRE_MAX_NEIGHBOURS + 1;
	assert_int_equal(validate(&n, why, sizeof(why)), VIGIL_ERR_TOOBIG);
	n.n_neighbours = 1;
	/* One form only, and never a group address. */
	e.mac = (char *)"00-11-22-33-44-66";
	assert_int_equal(validate(&n, why, sizeof(why)), VIGIL_ERR_INVAL);
	assert_non_null(strstr(why, "aa:bb:cc:dd:ee:ff"));
	e.mac = (char *)"00:11:22:33:44:6F";
	assert_int_equal(validate(&n, why, sizeof(why)), VIGIL_ERR_INVAL);
	e.mac = (char *)"ff:ff:ff:ff:ff:ff";
	assert_int_equal(validate(&n, why, sizeof(why)), VIGIL_ERR_INVAL);
	e.mac = (char *)"00:11:22:33:44:66";
	e.ip = (char *)"";
	assert_int_equal(validate(&n, why, sizeof(why)), VIGIL_ERR_MISSING);
	e.ip = (char *)"192.168.1.20";
	e.ifname = (char *)"e\xff";
	assert_int_equal(validate(&n, why, sizeof(why)), VIGIL_ERR_UTF8);
	e.ifname = (char *)"eth0";
	own[0] = (char *)"33:33:00:00:00:01";
	assert_int_equal(validate(&n, why, sizeof(why)), VIGIL_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_forms),
		cmocka_unit_test(test_list_filters_and_cap),
		cmocka_unit_test(test_netlink_dump),
		cmocka_unit_test(test_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
