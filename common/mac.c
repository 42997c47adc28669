/*
 * MAC addresses read in the forms people and systems write them, and
 * written in one form (mac.h), so that an inventory's "52-54-00-AB-CD-EF"
 * and an agent's "52:54:00:ab:cd:ef" are the same PC.
 */
#include <string.h>

#include "vigil/err.h"
#include "vigil/mac.h"
#include "vigil/text.h"

int
mac_parse(const char *s, unsigned char mac[MAC_LEN])
{
	size_t len = s != NULL ? strlen(s) : 0, i, n = 0;
	char sep = 0;
	/* Where separators stand: after every 2 digits (":" "-") or every 4 ("."). */
	size_t every = 0;

	if (len == 17 && (s[2] == ':' || s[2] == '-')) {
		sep = s[2];
		every = 2;
	} else if (len == 14 && s[4] == '.') {
		sep = '.';
		every = 4;
	} else if (len != 12)
		return VIGIL_ERR_INVAL;
	for (i = 0; i < len;) {
		int hi, lo;

		if (every != 0 && n > 0 && (n * 2) % every == 0) {
			if (s[i] != sep)
				return VIGIL_ERR_INVAL;
			i++;
		}
		if (i + 1 >= len || (hi = text_hex_digit(s[i])) < 0 || (lo = text_hex_digit(s[i + 1])) < 0)
			return VIGIL_ERR_INVAL;
		if (n == MAC_LEN)
			return VIGIL_ERR_INVAL;
		mac[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return n == MAC_LEN ? 0 : VIGIL_ERR_INVAL;
}

void
mac_format(const unsigned char mac[MAC_LEN], char out[MAC_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < MAC_LEN; i++) {
		out[i * 3] = hex[mac[i] >> 4];
		out[i * 3 + 1] = hex[mac[i] & 0x0f];
		out[i * 3 + 2] = i + 1 < MAC_LEN ? ':' : '\0';
	}
}

int
mac_normalize(const char *s, char out[MAC_STR_LEN + 1])
{
	unsigned char m[MAC_LEN];

	out[0] = '\0';
	if (mac_parse(s, m) != 0)
		return VIGIL_ERR_INVAL;
	mac_format(m, out);
	return 0;
}

bool
mac_is_host(const unsigned char mac[MAC_LEN])
{
	static const unsigned char zero[MAC_LEN];

	return (mac[0] & 0x01) == 0 && memcmp(mac, zero, MAC_LEN) != 0;
}

bool
mac_is_local(const unsigned char mac[MAC_LEN])
{
	return (mac[0] & 0x02) != 0;
}
