/*
 * MAC addresses (issue 15, the network's neighbours): six bytes, written
 * "aa:bb:cc:dd:ee:ff" in lower case everywhere Vigil stores or compares
 * them, whatever form an inventory file or Windows used.
 */
#ifndef VIGIL_MAC_H
#define VIGIL_MAC_H

#include <stdbool.h>

#define MAC_LEN 6
#define MAC_STR_LEN 17   /* "aa:bb:cc:dd:ee:ff" */

/*
 * Read "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff" or
 * "aabbccddeeff" (any case) into mac. 0, or VIGIL_ERR_INVAL.
 */
int mac_parse(const char *s, unsigned char mac[MAC_LEN]);
/* Write mac as "aa:bb:cc:dd:ee:ff" into out (MAC_STR_LEN + 1 bytes). */
void mac_format(const unsigned char mac[MAC_LEN], char out[MAC_STR_LEN + 1]);
/* mac_parse() then mac_format(): 0, or VIGIL_ERR_INVAL (out then ""). */
int mac_normalize(const char *s, char out[MAC_STR_LEN + 1]);
/*
 * One host's address: not multicast or broadcast (the group bit), not all
 * zero. What a neighbour table holds besides them is a machine's.
 */
bool mac_is_host(const unsigned char mac[MAC_LEN]);
/*
 * Locally administered (the second bit of the first byte): made up by
 * software, not burnt in by a maker: virtual machines, containers, veth
 * pairs, phones' private Wi-Fi addresses.
 */
bool mac_is_local(const unsigned char mac[MAC_LEN]);

#endif
