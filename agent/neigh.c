/*
 * The agent's network report (neigh.h): the bounded list both platforms
 * fill, one way. The platform readers decide which entries are complete;
 * this file decides which addresses are a machine's and what fits.
 */
#include <stdio.h>
#include <string.h>

#include "vigil/mac.h"
#include "vigil/text.h"
#include "neigh.h"

void
neigh_reset(struct neigh_list *l)
{
	l->n = 0;
	l->nown = 0;
	l->cut = 0;
	l->own_cut = 0;
	l->read = 0;
}

int
neigh_add(struct neigh_list *l, const char *ip, const unsigned char *mac, size_t maclen,
    const char *ifname)
{
	struct neigh_entry e;

	if (maclen != MAC_LEN || !mac_is_host(mac) || ip == NULL || ip[0] == '\0' ||
	    strlen(ip) > WIRE_MAX_IP)
		return 1;
	mac_format(mac, e.mac);
	snprintf(e.ip, sizeof(e.ip), "%s", ip);
	if (ifname == NULL)
		ifname = "";
	/* Valid UTF-8 for the wire; control characters are escaped where people read them. */
	text_utf8_clean(e.ifname, sizeof(e.ifname), ifname, strnlen(ifname, WIRE_MAX_IFNAME));
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->e[i].mac, e.mac) == 0 && strcmp(l->e[i].ip, e.ip) == 0)
			return 0;
	if (l->n == NEIGH_MAX) {
		l->cut++;
		return 2;
	}
	l->e[l->n++] = e;
	return 0;
}

int
neigh_add_own(struct neigh_list *l, const unsigned char *mac, size_t maclen)
{
	char s[MAC_STR_LEN + 1];

	if (maclen != MAC_LEN || !mac_is_host(mac))
		return 1;
	mac_format(mac, s);
	for (size_t i = 0; i < l->nown; i++)
		if (strcmp(l->own[i], s) == 0)
			return 0;
	if (l->nown == NEIGH_OWN_MAX) {
		l->own_cut++;
		return 2;
	}
	memcpy(l->own[l->nown++], s, sizeof(s));
	return 0;
}

int
neigh_read(struct neigh_list *l, int neighbours, char *why, size_t whylen)
{
	neigh_reset(l);
	platform_own_macs(l);
	return neighbours ? platform_neighbours(l, why, whylen) : 0;
}
