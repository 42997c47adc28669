/*
 * Giving back start-up memory on Windows (see vigil/memtrim.h): the working
 * set is emptied (SetProcessWorkingSetSize with -1, -1), which is Windows'
 * way of saying "page out what I do not touch again"; pages used later come
 * back by soft faults from the standby list. There is no smaps to scan: the
 * scan functions choose nothing.
 */
#include <windows.h>
#include <psapi.h>

#include <string.h>

#include "vigil/memtrim.h"

void
memtrim_scan_init(struct memtrim_scan *s, struct memtrim_region *regions, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->regions = regions;
	s->max = max;
}

void
memtrim_scan_line(struct memtrim_scan *s, const char *line)
{
}

size_t
memtrim_scan_end(struct memtrim_scan *s)
{
	return s->n;
}

int
memtrim_release(struct memtrim_stats *st)
{
	PROCESS_MEMORY_COUNTERS pmc;

	memset(st, 0, sizeof(*st));
	st->rss_before_kb = -1;
	memset(&pmc, 0, sizeof(pmc));
	if (GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof(pmc)))
		st->rss_before_kb = (long)(pmc.WorkingSetSize / 1024);
	if (SetProcessWorkingSetSize(GetCurrentProcess(), (SIZE_T)-1, (SIZE_T)-1)) {
		st->regions = 1;
		if (GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof(pmc)) &&
		    st->rss_before_kb >= 0 && (long)(pmc.WorkingSetSize / 1024) < st->rss_before_kb)
			st->released_kb = (size_t)(st->rss_before_kb - (long)(pmc.WorkingSetSize / 1024));
	}
	return 0;
}
