/*
 * The network report on Linux (neigh.h): own MACs from getifaddrs()'s
 * AF_PACKET entries, neighbours from an rtnetlink RTM_GETNEIGH dump, which
 * gives IPv4 (ARP) and IPv6 (neighbour discovery) alike with their state
 * (/proc/net/arp has IPv4 only). One dump every report_interval: the
 * kernel answers from memory, no packet is sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vigil/err.h"
#include "../neigh.h"
#include "neigh.h"

/* States in which the kernel holds a link-layer address it has confirmed or used. */
#define NEIGH_COMPLETE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)
#define NEIGH_DUMP_MAX (4 * 1024 * 1024)   /* bytes read from one dump, at most */

static int
one_neigh(struct neigh_list *l, const struct nlmsghdr *h, neigh_ifname_fn ifname, void *arg)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	const struct rtattr *rta;
	const unsigned char *dst = NULL, *lladdr = NULL;
	size_t dstlen = 0, lllen = 0;
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*nd));
	char ip[INET6_ADDRSTRLEN], name[IF_NAMESIZE + 1] = "";

	if (len < 0)
		return VIGIL_ERR_PROTO;
	if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
		return 0;
	if ((nd->ndm_state & NEIGH_COMPLETE) == 0 || (nd->ndm_state & NUD_NOARP) != 0)
		return 0;
	for (rta = (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == NDA_DST) {
			dst = RTA_DATA(rta);
			dstlen = RTA_PAYLOAD(rta);
		} else if (rta->rta_type == NDA_LLADDR) {
			lladdr = RTA_DATA(rta);
			lllen = RTA_PAYLOAD(rta);
		}
	}
	if (dst == NULL || lladdr == NULL ||
	    dstlen != (nd->ndm_family == AF_INET ? 4u : 16u))
		return 0;
	if (inet_ntop(nd->ndm_family, dst, ip, sizeof(ip)) == NULL)
		return 0;
	if (ifname == NULL || ifname(arg, nd->ndm_ifindex, name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "if%d", nd->ndm_ifindex);
	name[IF_NAMESIZE] = '\0';
	(void)neigh_add(l, ip, lladdr, lllen, name);
	return 0;
}

int
neigh_netlink_parse(struct neigh_list *l, const void *buf, size_t len,
    neigh_ifname_fn ifname, void *arg)
{
	const struct nlmsghdr *h;
	int left = len > INT32_MAX ? INT32_MAX : (int)len, rc;

	for (h = buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR)
			return VIGIL_ERR_PROTO;
		if (h->nlmsg_type != RTM_NEWNEIGH)
			continue;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ndmsg)))
			return VIGIL_ERR_PROTO;
		if ((rc = one_neigh(l, h, ifname, arg)) != 0)
			return rc;
	}
	/* A message cut in the middle: the kernel never splits one across reads. */
	return left == 0 ? 0 : VIGIL_ERR_PROTO;
}

static int
if_name(void *arg, int index, char *name, size_t len)
{
	char n[IF_NAMESIZE];

	(void)arg;
	if (index <= 0 || if_indextoname((unsigned)index, n) == NULL)
		return -1;
	snprintf(name, len, "%s", n);
	return 0;
}

int
platform_neighbours(struct neigh_list *l, char *why, size_t whylen)
{
	struct {
		struct nlmsghdr h;
		struct ndmsg nd;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { 2, 0 };
	/* Aligned for the nlmsghdr casts; one kernel message is never larger. */
	static long buf[8192];
	size_t total = 0;
	int fd, rc = 0;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0)
		return err_fmt(why, whylen, VIGIL_ERR_SYS, "no rtnetlink socket: %s",
		               strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.nd));
	req.h.nlmsg_type = RTM_GETNEIGH;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
	req.nd.ndm_family = AF_UNSPEC;
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = err_fmt(why, whylen, VIGIL_ERR_SYS, "the neighbour table cannot be asked "
		             "for: %s", strerror(errno));
		goto out;
	}
	while (rc == 0) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = err_fmt(why, whylen, VIGIL_ERR_SYS, "the neighbour table cannot be "
			             "read: %s", n < 0 ? strerror(errno) : "end of data");
			break;
		}
		/* Only the kernel's answer (port id 0) is the table. */
		if (from.nl_pid != 0)
			continue;
		if ((total += (size_t)n) > NEIGH_DUMP_MAX) {
			rc = err_fmt(why, whylen, VIGIL_ERR_TOOBIG, "the neighbour table is larger "
			             "than %d bytes", NEIGH_DUMP_MAX);
			break;
		}
		rc = neigh_netlink_parse(l, buf, (size_t)n, if_name, NULL);
		if (rc < 0)
			rc = err_fmt(why, whylen, rc, "the kernel's neighbour dump is not understood");
	}
	if (rc == 1) {
		l->read = 1;
		rc = 0;
	}
out:
	close(fd);
	return rc;
}

void
platform_own_macs(struct neigh_list *l)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) != 0)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		const struct sockaddr_ll *ll = (const struct sockaddr_ll *)(void *)i->ifa_addr;

		if (ll == NULL || ll->sll_family != AF_PACKET || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		(void)neigh_add_own(l, ll->sll_addr, ll->sll_halen);
	}
	freeifaddrs(ifa);
}
