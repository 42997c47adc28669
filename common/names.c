/* The protocol's enums by name, as configurations, rules and vigilctl write them. */
#include <stddef.h>

#include "vigil.pb-c.h"
#include "vigil/names.h"
#include "vigil/text.h"

static const char *const severities[] = {
	"unspecified", "info", "low", "medium", "high", "critical",
};

static const char *const categories[] = {
	"unspecified", "auth", "account", "privilege", "usb", "malware", "antivirus",
	"update", "software", "data_leak", "attack", "fraud", "agent", "system",
};

static const char *const goodbyes[] = {
	"unspecified", "stopped", "shutdown", "suspend", "restart",
};

static const char *const tristates[] = {
	"unknown", "yes", "no",
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(NITEMS(severities) == VIGIL__V1__SEVERITY__SEVERITY_CRITICAL + 1, "severity names");
_Static_assert(NITEMS(categories) == VIGIL__V1__CATEGORY__CATEGORY_SYSTEM + 1, "category names");
_Static_assert(NITEMS(goodbyes) == VIGIL__V1__GOODBYE_REASON__GOODBYE_REASON_RESTART + 1,
    "goodbye reason names");

static const char *
name_of(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n)
		return "unknown";
	return names[v];
}

static int
value_of(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (text_same_word(names[i], name))
			return (int)i;
	return -1;
}

const char *
severity_name(int sev)
{
	return name_of(severities, NITEMS(severities), sev);
}

const char *
category_name(int cat)
{
	return name_of(categories, NITEMS(categories), cat);
}

int
severity_from_name(const char *name)
{
	return value_of(severities, NITEMS(severities), name);
}

int
category_from_name(const char *name)
{
	return value_of(categories, NITEMS(categories), name);
}

const char *
goodbye_reason_name(int reason)
{
	return name_of(goodbyes, NITEMS(goodbyes), reason);
}

int
goodbye_reason_from_name(const char *name)
{
	return value_of(goodbyes, NITEMS(goodbyes), name);
}

const char *
tristate_name(int t)
{
	return name_of(tristates, NITEMS(tristates), t);
}
