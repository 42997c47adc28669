/* Unmapping clean file-backed pages and trimming the heap after start-up. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/memtrim.h"

/* Mappings in an agent: about 150. More are left mapped and counted. */
#define MEMTRIM_MAX_REGIONS 512

void
memtrim_scan_init(struct memtrim_scan *s, struct memtrim_region *regions, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->regions = regions;
	s->max = max;
}

/* The mapping just read is complete: keep it if nothing disqualified it. */
static void
scan_close(struct memtrim_scan *s)
{
	if (s->in_mapping && s->cur_candidate && s->cur.rss_kb > 0) {
		if (s->n < s->max)
			s->regions[s->n++] = s->cur;
		else
			s->overflow++;
	}
	s->in_mapping = 0;
	s->cur_candidate = 0;
}

/*
 * A header line: "start-end perms offset dev inode [path]". Returns 1 and
 * fills the region when the line is a header, 0 otherwise.
 */
static int
scan_header(struct memtrim_scan *s, const char *line)
{
	unsigned long long start, end, inode;
	char perms[8];
	int n = 0, pathat;

	if (sscanf(line, "%llx-%llx %7s %*s %*s %llu %n", &start, &end, perms, &inode,
	    &n) != 4 || n == 0 || end <= start || strlen(perms) != 4)
		return 0;
	pathat = n;
	scan_close(s);
	s->in_mapping = 1;
	s->cur.start = (uintptr_t)start;
	s->cur.end = (uintptr_t)end;
	s->cur.rss_kb = 0;
	/*
	 * A file (a path and an inode), readable but not writable, private or
	 * shared: its pages are the file's own. A deleted file is left alone.
	 */
	s->cur_candidate = line[pathat] == '/' && inode != 0 && perms[1] != 'w' &&
	    strstr(line + pathat, " (deleted)") == NULL &&
	    strncmp(line + pathat, "/dev/", 5) != 0 &&
	    strncmp(line + pathat, "/memfd:", 7) != 0;
	return 1;
}

/* A "Key: value kB" line. Returns the value, or -1 if the key differs. */
static long long
scan_field(const char *line, const char *key)
{
	size_t kl = strlen(key);
	char *end;
	long long v;

	if (strncmp(line, key, kl) != 0 || line[kl] != ':')
		return -1;
	errno = 0;
	v = strtoll(line + kl + 1, &end, 10);
	if (errno != 0 || end == line + kl + 1 || v < 0)
		return -1;
	return v;
}

/* Does the VmFlags line carry one of the two-letter flags in list? */
static int
vmflags_has(const char *line, const char *const *list)
{
	const char *p = line + strlen("VmFlags:");

	for (;;) {
		while (*p == ' ')
			p++;
		if (p[0] == '\0' || p[0] == '\n' || p[1] == '\0')
			return 0;
		for (size_t i = 0; list[i] != NULL; i++)
			if (p[0] == list[i][0] && p[1] == list[i][1] &&
			    (p[2] == ' ' || p[2] == '\n' || p[2] == '\0'))
				return 1;
		while (*p != ' ' && *p != '\0' && *p != '\n')
			p++;
	}
}

void
memtrim_scan_line(struct memtrim_scan *s, const char *line)
{
	/* locked, I/O, raw PFN, mixed map, "do not dump": never ours to drop */
	static const char *const keep[] = { "lo", "io", "pf", "mm", "dd", NULL };
	long long v;

	if (scan_header(s, line) || !s->in_mapping || !s->cur_candidate)
		return;
	if ((v = scan_field(line, "Rss")) >= 0)
		s->cur.rss_kb = (size_t)v;
	else if ((v = scan_field(line, "Anonymous")) > 0)
		s->cur_candidate = 0;          /* copy-on-write pages: our data */
	else if ((v = scan_field(line, "Swap")) > 0)
		s->cur_candidate = 0;
	else if (strncmp(line, "VmFlags:", 8) == 0 && vmflags_has(line, keep))
		s->cur_candidate = 0;
}

size_t
memtrim_scan_end(struct memtrim_scan *s)
{
	scan_close(s);
	return s->n;
}

/* VmRSS in kB from /proc/self/status, or -1. */
static long
rss_kb(void)
{
	char buf[4096], *p, *end;
	ssize_t n;
	long v;
	int fd;

	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nVmRSS:")) == NULL)
		return -1;
	errno = 0;
	v = strtol(p + 7, &end, 10);
	return errno != 0 || end == p + 7 ? -1 : v;
}

int
memtrim_release(struct memtrim_stats *st)
{
	struct memtrim_region *regions;
	struct memtrim_scan s;
	struct memtrim_stats local;
	char line[512];
	size_t n;
	FILE *f;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	st->rss_before_kb = rss_kb();
	(void)malloc_trim(0);
	/* Its own mapping, not the heap: unmapped after, the trim leaves nothing behind. */
	regions = mmap(NULL, MEMTRIM_MAX_REGIONS * sizeof(*regions), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (regions == MAP_FAILED)
		return VIGIL_ERR_SYS;
	if ((f = fopen("/proc/self/smaps", "re")) == NULL) {
		munmap(regions, MEMTRIM_MAX_REGIONS * sizeof(*regions));
		return VIGIL_ERR_SYS;
	}
	memtrim_scan_init(&s, regions, MEMTRIM_MAX_REGIONS);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		memtrim_scan_line(&s, line);
		if (len == 0 || line[len - 1] == '\n')
			continue;
		/* A path longer than the buffer: that mapping stays, its rest is skipped. */
		s.cur_candidate = 0;
		while (fgets(line, sizeof(line), f) != NULL)
			if ((len = strlen(line)) > 0 && line[len - 1] == '\n')
				break;
	}
	fclose(f);
	n = memtrim_scan_end(&s);
	for (size_t i = 0; i < n; i++) {
		if (madvise((void *)regions[i].start, regions[i].end - regions[i].start,
		    MADV_DONTNEED) == -1)
			continue;
		st->regions++;
		st->released_kb += regions[i].rss_kb;
	}
	st->overflow = s.overflow;
	munmap(regions, MEMTRIM_MAX_REGIONS * sizeof(*regions));
	return 0;
}
