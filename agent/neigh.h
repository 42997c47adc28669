/*
 * The agent's view of its network segment (issue 15): its own MAC
 * addresses, and the complete entries of its neighbour table (ARP and IPv6
 * neighbour discovery), for the heartbeat's NetworkReport.
 *
 * The list is bounded (NEIGH_MAX entries, NEIGH_OWN_MAX own MACs); what
 * does not fit is counted in cut, never dropped silently. Only 6-byte host
 * MACs go in (mac_is_host(): no multicast, broadcast or empty address).
 * neigh_add() and neigh_add_own() are pure; neigh_read() reads the system
 * through platform_own_macs() and platform_neighbours() (one each per
 * platform: agent/linux/neigh.c, agent/windows/neigh.c).
 */
#ifndef VIGIL_AGENT_NEIGH_H
#define VIGIL_AGENT_NEIGH_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/mac.h"
#include "vigil/wire.h"

#define NEIGH_MAX WIRE_MAX_NEIGHBOURS
#define NEIGH_OWN_MAX WIRE_MAX_OWN_MACS

struct neigh_entry {
	char mac[MAC_STR_LEN + 1];
	char ip[WIRE_MAX_IP + 1];
	char ifname[WIRE_MAX_IFNAME + 1];   /* valid UTF-8 (text_utf8_clean()) */
};

struct neigh_list {
	struct neigh_entry e[NEIGH_MAX];
	size_t n;
	uint64_t cut;                         /* complete entries past NEIGH_MAX */
	char own[NEIGH_OWN_MAX][MAC_STR_LEN + 1];
	size_t nown;
	uint64_t own_cut;
	int read;                             /* the neighbour table was read */
};

void neigh_reset(struct neigh_list *l);

/*
 * One complete neighbour: its address as text, its link-layer address
 * (maclen bytes: only 6-byte host MACs are kept), the interface's name as
 * the system gave it (any bytes; invalid UTF-8 replaced here). 0 added, 1 not a host MAC
 * (skipped), 2 cut (the list is full; counted). An entry seen twice (one
 * MAC and address on two tables) is kept once.
 */
int neigh_add(struct neigh_list *l, const char *ip, const unsigned char *mac, size_t maclen,
    const char *ifname);
/* One of this machine's own MACs; the same answers. */
int neigh_add_own(struct neigh_list *l, const unsigned char *mac, size_t maclen);

/*
 * Read this machine's own MACs and, when neighbours is 1, its neighbour
 * table into l (reset first). 0, or a vigil_err with a sentence in why:
 * what could be read is in l even then (own MACs without the table).
 */
int neigh_read(struct neigh_list *l, int neighbours, char *why, size_t whylen);

/* The platform's part: its own MACs into l; its neighbour table into l (0, or a vigil_err). */
void platform_own_macs(struct neigh_list *l);
int platform_neighbours(struct neigh_list *l, char *why, size_t whylen);

#endif
