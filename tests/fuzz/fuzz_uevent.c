/* libFuzzer target: uevent_parse() on arbitrary bytes, as a hostile local sender would. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "../../agent/linux/uevent.h"

static struct uevent ev;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char vendor[5], product[5];
	size_t i;

	if (uevent_parse(data, size, &ev) != 0)
		return 0;
	/* What the parser accepts is what the sensor relies on. */
	if (ev.action == NULL || ev.subsystem == NULL || !uevent_devpath_valid(ev.devpath) ||
	    strcmp(uevent_get(&ev, "DEVPATH"), ev.devpath) != 0 || ev.nkeys > UEVENT_MAX_KEYS)
		__builtin_trap();
	for (i = 0; i < ev.nkeys; i++)
		if (ev.kv[i].key[0] == '\0' || strchr(ev.kv[i].key, '=') != NULL)
			__builtin_trap();
	if (uevent_product(uevent_get(&ev, "PRODUCT"), vendor, product) == 0 &&
	    (strlen(vendor) != 4 || strlen(product) != 4))
		__builtin_trap();
	return 0;
}
