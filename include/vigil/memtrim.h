/*
 * Giving back start-up memory. A daemon touches much code once — config and
 * rule parsing, PCRE2 JIT compilation, OpenSSL's provider and PEM decoder
 * set-up, the TLS handshake — and then idles in a small loop. The kernel keeps
 * every page it ever touched mapped until memory runs short. memtrim_release()
 * returns free heap to the kernel and unmaps the clean file-backed pages
 * (library and program text, read-only data) so that the process holds only
 * what it uses again; a page it needs later is mapped back from the page cache
 * by a minor fault.
 *
 * Only mappings that cannot hold the process's own data are released: backed
 * by a file, not writable, with no copy-on-write (anonymous) pages — which
 * leaves out RELRO and anything relocated — not locked, not I/O memory, and not
 * of a deleted file. The choice is a pure scan over /proc/self/smaps text so
 * that it can be tested on recorded input.
 */
#ifndef VIGIL_MEMTRIM_H
#define VIGIL_MEMTRIM_H

#include <stddef.h>
#include <stdint.h>

struct memtrim_region {
	uintptr_t start;
	uintptr_t end;
	size_t rss_kb;     /* resident when scanned */
};

struct memtrim_scan {
	struct memtrim_region *regions;  /* caller's array */
	size_t max;
	size_t n;           /* regions chosen */
	size_t overflow;    /* releasable regions past max, left mapped */
	/* the mapping being read */
	struct memtrim_region cur;
	int cur_candidate;  /* its header qualified; fields may still disqualify */
	int in_mapping;
};

void memtrim_scan_init(struct memtrim_scan *s, struct memtrim_region *regions, size_t max);
/* One line of smaps text, with or without its newline. */
void memtrim_scan_line(struct memtrim_scan *s, const char *line);
/* Ends the scan; returns the number of regions chosen. */
size_t memtrim_scan_end(struct memtrim_scan *s);

struct memtrim_stats {
	size_t regions;       /* mappings released */
	size_t overflow;      /* releasable mappings left mapped (more than the cap) */
	size_t released_kb;   /* resident file pages unmapped */
	long rss_before_kb;   /* VmRSS before, -1 when unknown; not read after, as
	                       * reading it would map stdio and strtol back */
};

/*
 * malloc_trim(0), then scan /proc/self/smaps and madvise(MADV_DONTNEED) each
 * chosen region. Returns 0, or VIGIL_ERR_SYS when smaps cannot be read (no
 * memory was released then). Only pages that the page cache holds an
 * identical copy of are unmapped, so it is safe at any time in a process
 * whose other threads (if any) do not make read-only file mappings writable
 * meanwhile. Costs one read of smaps: about 2 ms with the agent's libraries
 * mapped (measured on 2 cores); a page used again costs a minor fault.
 */
int memtrim_release(struct memtrim_stats *st);

#endif
