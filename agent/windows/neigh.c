/*
 * The network report on Windows (agent/neigh.h): own MACs from
 * GetAdaptersAddresses(), neighbours from GetIpNetTable2() (IPv4 and IPv6,
 * with their state), interface names from their alias ("Ethernet",
 * "Wi-Fi"). Under Wine the table may be empty or the call may fail: the
 * failure is a sentence for the heartbeat's unavailable sensors, and the
 * agent runs on with its own MACs only.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "../neigh.h"
#include "../../common/windows/utf16.h"

#define OWN_BUF_MAX (1024 * 1024)   /* GetAdaptersAddresses' answer, at most */

static void
alias_of(const NET_LUID *luid, char *name, size_t len)
{
	WCHAR w[IF_MAX_STRING_SIZE + 1];
	char *u;

	name[0] = '\0';
	if (ConvertInterfaceLuidToAlias(luid, w, IF_MAX_STRING_SIZE + 1) != NO_ERROR)
		return;
	if ((u = win_utf8(w)) != NULL) {
		snprintf(name, len, "%s", u);
		free(u);
	}
}

int
platform_neighbours(struct neigh_list *l, char *why, size_t whylen)
{
	MIB_IPNET_TABLE2 *t = NULL;
	DWORD rc = GetIpNetTable2(AF_UNSPEC, &t);

	if (rc != NO_ERROR || t == NULL)
		return err_fmt(why, whylen, VIGIL_ERR_SYS, "GetIpNetTable2 failed (error %lu)",
		               (unsigned long)rc);
	for (ULONG i = 0; i < t->NumEntries; i++) {
		const MIB_IPNET_ROW2 *r = &t->Table[i];
		char ip[INET6_ADDRSTRLEN] = "", name[WIRE_MAX_IFNAME + 1];
		const void *a;
		int fam = r->Address.si_family;

		/* Complete entries only: not incomplete, unreachable or unconfirmed. */
		if (r->State != NlnsReachable && r->State != NlnsStale && r->State != NlnsDelay &&
		    r->State != NlnsProbe && r->State != NlnsPermanent)
			continue;
		if (r->IsUnreachable)
			continue;
		if (fam == AF_INET)
			a = &r->Address.Ipv4.sin_addr;
		else if (fam == AF_INET6)
			a = &r->Address.Ipv6.sin6_addr;
		else
			continue;
		if (inet_ntop(fam, a, ip, sizeof(ip)) == NULL)
			continue;
		alias_of(&r->InterfaceLuid, name, sizeof(name));
		(void)neigh_add(l, ip, r->PhysicalAddress, r->PhysicalAddressLength, name);
	}
	FreeMibTable(t);
	l->read = 1;
	return 0;
}

void
platform_own_macs(struct neigh_list *l)
{
	ULONG len = 16 * 1024, rc;
	IP_ADAPTER_ADDRESSES *aa = NULL;

	for (;;) {
		free(aa);
		if (len > OWN_BUF_MAX || (aa = malloc(len)) == NULL)
			return;
		rc = GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
		    GAA_FLAG_SKIP_DNS_SERVER, NULL, aa, &len);
		if (rc != ERROR_BUFFER_OVERFLOW)
			break;
	}
	if (rc == NO_ERROR)
		for (const IP_ADAPTER_ADDRESSES *a = aa; a != NULL; a = a->Next)
			if (a->IfType != IF_TYPE_SOFTWARE_LOOPBACK)
				(void)neigh_add_own(l, a->PhysicalAddress, a->PhysicalAddressLength);
	free(aa);
}
