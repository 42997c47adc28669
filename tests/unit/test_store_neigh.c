/*
 * The network report in the store (issue 15, store_neigh.c and the
 * unknown-host query of store_enroll.c) on a real SQLite file: own MACs
 * replaced by each report, one row per MAC seen with its first and last
 * time and its IPv4 address before an IPv6 one, and the list of hosts with
 * no agent, not declared (any MAC form in the inventory) and not marked
 * "not a PC"; a report that did not read the table changes nothing seen;
 * rows not seen for 30 days go.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "vigil.pb-c.h"
#include "vigil/err.h"
#include "../../collector/store.h"
#include "../../collector/store_enroll.h"
#include "store_fixture.h"

#define T0 1700000000000000LL
#define DAY (86400LL * 1000000)

#define MAC_OWN1 "00:1a:2b:00:00:01"   /* pc-01's own */
#define MAC_OWN2 "00:1a:2b:00:00:02"   /* pc-02's own */
#define MAC_ROUTER "00:11:22:33:44:55"
#define MAC_STRAY "00:11:22:33:44:66"  /* a PC nobody declared */

static int
setup(void **state)
{
	struct fixture *fx = fixture_new("store-neigh");

	assert_int_equal(store_enroll_init(fx->st), 0);
	*state = fx;
	return 0;
}

/* A report of agent: own MAC, then (mac, ip) pairs; read says the table was read. */
static void
report(struct store *st, const char *agent, int64_t at, const char *own, int read, size_t n,
    const char *const *pairs)
{
	Vigil__V1__Heartbeat hb = VIGIL__V1__HEARTBEAT__INIT;
	Vigil__V1__NetworkReport r = VIGIL__V1__NETWORK_REPORT__INIT;
	Vigil__V1__Neighbour e[8], *ep[8];
	char *ownv[1] = { (char *)(uintptr_t)own };
	int refused;

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		vigil__v1__neighbour__init(&e[i]);
		e[i].mac = (char *)(uintptr_t)pairs[2 * i];
		e[i].ip = (char *)(uintptr_t)pairs[2 * i + 1];
		e[i].ifname = (char *)"eth0";
		ep[i] = &e[i];
	}
	r.own_macs = ownv;
	r.n_own_macs = 1;
	r.neighbours = ep;
	r.n_neighbours = n;
	r.neighbours_read = read;
	hb.time_us = at;
	hb.network = &r;             /* no posture: a report before the first one */
	assert_int_equal(fixture_heartbeat(st, agent, &hb, at, &refused), 0);
	assert_int_equal(refused, 0);
}

struct seen {
	size_t n;
	char mac[8][18], ip[8][64], agent[8][32], unit[8][32];
	int64_t first[8], last[8];
};

static int
collect(void *arg, const struct store_unknown_host *h)
{
	struct seen *s = arg;

	if (s->n == 8)
		return 1;
	snprintf(s->mac[s->n], sizeof(s->mac[0]), "%s", h->mac);
	snprintf(s->ip[s->n], sizeof(s->ip[0]), "%s", h->ip);
	snprintf(s->agent[s->n], sizeof(s->agent[0]), "%s", h->agent);
	snprintf(s->unit[s->n], sizeof(s->unit[0]), "%s", h->unit);
	s->first[s->n] = h->first_us;
	s->last[s->n] = h->last_us;
	s->n++;
	return 0;
}

static struct seen
unknown(struct store *st, const char *unit)
{
	struct seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_unknown_hosts(st, unit, collect, &s), 0);
	return s;
}

static void
test_unknown_hosts(void **state)
{
	struct fixture *fx = *state;
	static const char *const first[] = {
		MAC_ROUTER, "fe80::211:22ff:fe33:4455", MAC_ROUTER, "192.168.1.1",
		MAC_STRAY, "192.168.1.20", MAC_OWN2, "192.168.1.12",
	};
	static const char *const later[] = { MAC_STRAY, "192.168.1.21" };
	struct seen s;
	int64_t unit_id;

	fixture_hello(fx->st, "pc-01", "ward-7", T0);
	fixture_hello(fx->st, "pc-02", "ward-1", T0);
	report(fx->st, "pc-02", T0 + 1, MAC_OWN2, 0, 0, NULL);
	report(fx->st, "pc-01", T0 + 10, MAC_OWN1, 1, 4, first);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM agent_macs"), 2);

	/* pc-02's MAC is an agent's: not listed. The router keeps its IPv4 address. */
	s = unknown(fx->st, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.mac[0], MAC_ROUTER);
	assert_string_equal(s.ip[0], "192.168.1.1");
	assert_string_equal(s.agent[0], "pc-01");
	assert_string_equal(s.unit[0], "ward-7");
	assert_string_equal(s.mac[1], MAC_STRAY);
	assert_int_equal(s.first[1], T0 + 10);
	assert_int_equal(unknown(fx->st, "ward-1").n, 0);
	assert_int_equal(unknown(fx->st, "ward-7").n, 2);

	/* Seen again a day later: first stays, last and the address move. */
	report(fx->st, "pc-01", T0 + DAY, MAC_OWN1, 1, 1, later);
	s = unknown(fx->st, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.mac[0], MAC_STRAY);
	assert_string_equal(s.ip[0], "192.168.1.21");
	assert_int_equal(s.first[0], T0 + 10);
	assert_int_equal(s.last[0], T0 + DAY);

	/* A report that could not read the table leaves what was seen. */
	report(fx->st, "pc-01", T0 + 2 * DAY, MAC_OWN1, 0, 0, NULL);
	assert_int_equal(unknown(fx->st, NULL).n, 2);

	/* Declared in the inventory, written as Windows writes it: no longer unknown. */
	assert_int_equal(store_unit_ensure(fx->st, "ward-7", T0, &unit_id), 0);
	assert_int_equal(store_inventory_pc(fx->st, unit_id, "pc-ketoan", "00-11-22-33-44-66",
	    1, T0), 0);
	s = unknown(fx->st, NULL);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.mac[0], MAC_ROUTER);

	/* The router marked not a PC; then again maybe one. */
	assert_int_equal(store_mac_ignore(fx->st, MAC_ROUTER, "the router", "it", T0, 0), 0);
	assert_int_equal(unknown(fx->st, NULL).n, 0);
	assert_int_equal(store_mac_ignore(fx->st, MAC_ROUTER, NULL, "it", T0, 1), 0);
	assert_int_equal(store_mac_ignore(fx->st, MAC_ROUTER, NULL, "it", T0, 1),
	    VIGIL_ERR_NOTFOUND);
	assert_int_equal(unknown(fx->st, NULL).n, 1);

	/* A list imported before MACs were normalised is normalised at the next start. */
	raw_sql(fx->path, "INSERT INTO inventory_pcs (unit_id, name, mac) VALUES (1, 'old', "
	    "'00-11-22-33-44-55')");
	assert_int_equal(unknown(fx->st, NULL).n, 1);
	assert_int_equal(store_enroll_init(fx->st), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM inventory_pcs WHERE mac = '"
	    MAC_ROUTER "'"), 1);
	assert_int_equal(unknown(fx->st, NULL).n, 0);
	raw_sql(fx->path, "DELETE FROM inventory_pcs WHERE name = 'old'");
	assert_int_equal(unknown(fx->st, NULL).n, 1);

	/* Not seen for 30 days: gone at the agent's next report. */
	report(fx->st, "pc-01", T0 + 31 * DAY, MAC_OWN1, 1, 1, later);
	assert_int_equal(unknown(fx->st, NULL).n, 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM neighbours"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_hosts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
