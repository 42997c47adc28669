/*
 * libFuzzer target: winevent_parse() on arbitrary bytes, read as the agent
 * reads a stream of rendered events (one after another, as wevtutil
 * prints them). What must hold for every event it accepts: each value kept
 * is valid UTF-8 within its cap, the System texts too, the struct's text
 * room is never overrun, and each event read moves the stream forward.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "vigil/text.h"
#include "vigil/winevent.h"

static struct winevent ev;

static void
check_text(const char *s, size_t n, size_t cap)
{
	if (n > cap || !text_utf8_valid(s, n) || memchr(s, '\0', n) != NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char err[256];
	size_t used, at = 0, total = 0, i;

	while (at < size) {
		int rc = winevent_parse(&ev, p + at, size - at, &used, err, sizeof(err));

		if (rc != 0 && strncmp(err, "byte ", 5) != 0)
			__builtin_trap();
		if (rc != 0)
			break;
		if (used == 0 || used > size - at)
			__builtin_trap();
		at += used;
		check_text(ev.provider, strlen(ev.provider), WINEVENT_MAX_SYS - 1);
		check_text(ev.channel, strlen(ev.channel), WINEVENT_MAX_SYS - 1);
		check_text(ev.computer, strlen(ev.computer), WINEVENT_MAX_SYS - 1);
		if (ev.nfields > WINEVENT_MAX_FIELDS || ev.textlen > sizeof(ev.text))
			__builtin_trap();
		for (i = 0; i < ev.nfields; i++) {
			const struct winevent_field *f = &ev.fields[i];

			check_text(f->name, f->nlen, WINEVENT_MAX_NAME);
			check_text(f->value, f->vlen, WINEVENT_MAX_VALUE);
			if (f->nlen == 0 || f->name < ev.text || f->value + f->vlen > ev.text + ev.textlen)
				__builtin_trap();
			if (winevent_get(&ev, f->name, NULL) == NULL)
				__builtin_trap();
			total += f->vlen;
		}
	}
	(void)total;
	return 0;
}
