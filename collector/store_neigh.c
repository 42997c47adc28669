/*
 * The network report in the store (issue 15): in the writer's commit, an
 * agent's own MACs (replaced by each report) and the hosts it saw on its
 * segment, one row per MAC with the first and last time seen. A MAC seen
 * both over IPv4 and IPv6 keeps its IPv4 address, which people recognise.
 * Rows an agent has not seen for NEIGH_KEEP_US go at its next report, so
 * the table holds at most what the agents saw in that time.
 */
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "vigil.pb-c.h"
#include "store_int.h"

#define NEIGH_KEEP_US (30LL * 86400 * 1000000)

static int
neighbour_pass(struct sqlstore *st, const char *agent, const Vigil__V1__NetworkReport *n,
    int64_t now_us, int v4)
{
	sqlite3_stmt *s = st->st[ST_NEIGH_UPSERT];
	int rc = 0;

	for (size_t i = 0; i < n->n_neighbours && rc == 0; i++) {
		const Vigil__V1__Neighbour *e = n->neighbours[i];

		if ((strchr(e->ip, ':') == NULL) != v4)
			continue;
		sq_bind_text(s, 1, agent);
		sq_bind_text(s, 2, e->mac);
		sq_bind_text(s, 3, e->ip);
		sq_bind_text(s, 4, e->ifname);
		sqlite3_bind_int64(s, 5, now_us);
		rc = sq_hot_run(st, s);
		sqlite3_clear_bindings(s);
	}
	return rc;
}

/* The report n of agent, received at now_us; validated (wire.c: MACs in their one form). */
int
sq_commit_network(struct sqlstore *st, const char *agent, const Vigil__V1__NetworkReport *n,
    int64_t now_us)
{
	sqlite3_stmt *s = st->st[ST_MAC_CLEAR];
	int rc;

	sq_bind_text(s, 1, agent);
	rc = sq_hot_run(st, s);
	sqlite3_clear_bindings(s);
	s = st->st[ST_MAC_ADD];
	for (size_t i = 0; i < n->n_own_macs && rc == 0; i++) {
		sq_bind_text(s, 1, agent);
		sq_bind_text(s, 2, n->own_macs[i]);
		sqlite3_bind_int64(s, 3, now_us);
		rc = sq_hot_run(st, s);
		sqlite3_clear_bindings(s);
	}
	/* Not read (neighbours off, or unreadable): what was seen before stays as it was. */
	if (rc != 0 || !n->neighbours_read)
		return rc;
	if ((rc = neighbour_pass(st, agent, n, now_us, 0)) != 0 ||
	    (rc = neighbour_pass(st, agent, n, now_us, 1)) != 0)
		return rc;
	s = st->st[ST_NEIGH_PRUNE];
	sq_bind_text(s, 1, agent);
	sqlite3_bind_int64(s, 2, now_us - NEIGH_KEEP_US);
	rc = sq_hot_run(st, s);
	sqlite3_clear_bindings(s);
	return rc;
}
