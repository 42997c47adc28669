/*
 * libFuzzer target: evtlog_kinds_load() on arbitrary bytes, as the Windows
 * agent reads the Event Log's kinds back from its spool (a file on disk:
 * outside input). What must hold: the table never passes its cap; every
 * kind taken has a provider that fits, and at most WINEVENT_MAX_FIELDS
 * names, each 1..WINEVENT_MAX_NAME bytes of valid UTF-8 with no control
 * character; and what is taken, kept again (evtlog_kinds_save) and read
 * back, is the same table.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "vigil/text.h"
#include "../../agent/evtlog_util.h"

static struct evtlog_kinds ks, back;
static char text[EVTLOG_KINDS_TEXT_MAX];

static void
check_name(const char *s, size_t n, size_t min, size_t max)
{
	if (n < min || n > max || !text_utf8_valid(s, n) || strlen(s) != n)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct evtlog_kind *k, *b;
	size_t bad, bad2, i, j, n;

	memset(&ks, 0, sizeof(ks));
	if (evtlog_kinds_load(&ks, (const char *)data, size, &bad) != 0) {
		if (ks.n != 0)
			__builtin_trap();
		return 0;
	}
	if (ks.n > EVTLOG_MAX_KINDS)
		__builtin_trap();
	for (i = 0; i < ks.n; i++) {
		k = &ks.k[i];
		check_name(k->provider, strlen(k->provider), 0, WINEVENT_MAX_SYS - 1);
		if (k->event_id > 65535 || k->nnames > WINEVENT_MAX_FIELDS)
			__builtin_trap();
		for (j = 0; j < k->nnames; j++)
			check_name(k->names[j], k->nlens[j], 1, WINEVENT_MAX_NAME);
	}
	/* Kept again and read back: the same kinds, in the same order. */
	n = evtlog_kinds_save(&ks, text, sizeof(text));
	memset(&back, 0, sizeof(back));
	if (n == 0 || evtlog_kinds_load(&back, text, n, &bad2) != 0 || bad2 != 0 ||
	    back.n != ks.n)
		__builtin_trap();
	for (i = 0; i < ks.n; i++) {
		k = &ks.k[i];
		b = &back.k[i];
		if (b->event_id != k->event_id || strcmp(b->provider, k->provider) != 0 ||
		    b->nnames != k->nnames)
			__builtin_trap();
		for (j = 0; j < k->nnames; j++)
			if (b->nlens[j] != k->nlens[j] || memcmp(b->names[j], k->names[j],
			    k->nlens[j]) != 0)
				__builtin_trap();
	}
	return 0;
}
