/*
 * The Linux neighbour table over rtnetlink (RTM_GETNEIGH dump): the parser
 * of the kernel's answer is pure, so a recorded dump tests it.
 */
#ifndef VIGIL_AGENT_LINUX_NEIGH_H
#define VIGIL_AGENT_LINUX_NEIGH_H

#include <stddef.h>

struct neigh_list;

/* The name of interface index into name (at least 16 bytes); 0, or -1 when unknown. */
typedef int (*neigh_ifname_fn)(void *arg, int index, char *name, size_t len);

/*
 * One recv() of an RTM_GETNEIGH dump into l: IPv4 and IPv6 entries in a
 * complete state (reachable, stale, delay, probe, permanent) with a
 * link-layer address; incomplete, failed and no-ARP entries are not a
 * neighbour seen. Returns 1 at NLMSG_DONE, 0 when more is to come, or a
 * negative vigil_err for an error message or a malformed one.
 */
int neigh_netlink_parse(struct neigh_list *l, const void *buf, size_t len,
    neigh_ifname_fn ifname, void *arg);

#endif
