/*
 * memtrim.c: which mappings of recorded smaps text may be released, and a
 * real release on this process: clean file pages leave the resident set and
 * read back the same; copy-on-write pages of a file mapping stay as written.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil/memtrim.h"

/* Feed text line by line, as memtrim_release() does with /proc/self/smaps. */
static size_t
scan(const char *text, struct memtrim_region *out, size_t max, size_t *overflow)
{
	struct memtrim_scan s;
	char line[512];
	const char *p = text, *nl;
	size_t n;

	memtrim_scan_init(&s, out, max);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		memtrim_scan_line(&s, line);
		p += n;
	}
	n = memtrim_scan_end(&s);
	if (overflow != NULL)
		*overflow = s.overflow;
	return n;
}

#define MAP(range, perms, path, rss, anon, flags) \
	range " " perms " 00000000 08:01 1234    " path "\n" \
	"Size:                 64 kB\n" \
	"Rss:                " rss " kB\n" \
	"Pss:                " rss " kB\n" \
	"Anonymous:          " anon " kB\n" \
	"Swap:                  0 kB\n" \
	"VmFlags: " flags "\n"

static void
test_scan_choice(void **state)
{
	static const char text[] =
	    /* chosen: library text and read-only data */
	    MAP("7f0000000000-7f0000010000", "r-xp", "/usr/lib/libcrypto.so.3", "64", "0",
		"rd ex mr mw me")
	    MAP("7f0000010000-7f0000020000", "r--p", "/usr/lib/libcrypto.so.3", "12", "0",
		"rd mr mw me")
	    /* RELRO: read-only now, but relocated (copy-on-write) pages */
	    MAP("7f0000020000-7f0000030000", "r--p", "/usr/lib/libcrypto.so.3", "40", "40",
		"rd mr mw me ac")
	    /* the library's data */
	    MAP("7f0000030000-7f0000040000", "rw-p", "/usr/lib/libcrypto.so.3", "8", "0",
		"rd wr mr mw me ac")
	    /* not resident: nothing to give back */
	    MAP("7f0000040000-7f0000050000", "r-xp", "/usr/lib/libssl.so.3", "0", "0",
		"rd ex mr mw me")
	    /* locked pages stay */
	    MAP("7f0000050000-7f0000060000", "r-xp", "/usr/lib/libpcre2-8.so.0", "16", "0",
		"rd ex mr mw me lo")
	    /* a replaced file */
	    MAP("7f0000060000-7f0000070000", "r-xp", "/usr/lib/libold.so (deleted)", "16", "0",
		"rd ex mr mw me")
	    /* a device */
	    MAP("7f0000070000-7f0000080000", "r--s", "/dev/dri/card0", "16", "0",
		"rd sh mr mw me io pf")
	    /* a shared read-only mapping of a journal file: chosen */
	    MAP("7f0000080000-7f0000090000", "r--s", "/var/log/journal/x/system.journal", "20",
		"0", "rd sh mr mw me")
	    /* anonymous memory, heap and stack, whatever the flags */
	    "7f00000a0000-7f00000b0000 rw-p 00000000 00:00 0 \n"
	    "Rss:                 64 kB\n"
	    "Anonymous:           64 kB\n"
	    "55d000000000-55d000100000 rw-p 00000000 00:00 0                          [heap]\n"
	    "Rss:                900 kB\n"
	    "Anonymous:          900 kB\n"
	    "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n"
	    "Rss:                 24 kB\n"
	    "7ffc00100000-7ffc00102000 r-xp 00000000 00:00 0                          [vdso]\n"
	    "Rss:                  8 kB\n"
	    /* swapped-out copy-on-write pages */
	    MAP("7f00000c0000-7f00000d0000", "r--p", "/usr/lib/libc.so.6", "4", "0",
		"rd mr mw me")
	    "Swap:                  8 kB\n";
	struct memtrim_region r[16];
	size_t n, overflow = 99;

	(void)state;
	n = scan(text, r, 16, &overflow);
	assert_int_equal(n, 3);
	assert_int_equal(overflow, 0);
	assert_int_equal(r[0].start, 0x7f0000000000);
	assert_int_equal(r[0].end, 0x7f0000010000);
	assert_int_equal(r[0].rss_kb, 64);
	assert_int_equal(r[1].start, 0x7f0000010000);
	assert_int_equal(r[1].rss_kb, 12);
	assert_int_equal(r[2].start, 0x7f0000080000);
	assert_int_equal(r[2].rss_kb, 20);
}

static void
test_scan_cap_and_garbage(void **state)
{
	static const char text[] =
	    MAP("7f0000000000-7f0000010000", "r-xp", "/a.so", "4", "0", "rd ex")
	    MAP("7f0000010000-7f0000020000", "r-xp", "/b.so", "4", "0", "rd ex")
	    MAP("7f0000020000-7f0000030000", "r-xp", "/c.so", "4", "0", "rd ex")
	    /* not headers: ignored, and they do not end the mapping before them */
	    "garbage line\n"
	    "7f0000040000 r-xp\n"
	    "7f0000050000-7f0000040000 r-xp 00000000 08:01 1 /backwards.so\n"
	    "Anonymous:           4 kB\n";
	struct memtrim_region r[2];
	size_t n, overflow = 0;

	(void)state;
	n = scan(text, r, 2, &overflow);
	/* the third mapping took the Anonymous line after the garbage: not chosen */
	assert_int_equal(n, 2);
	assert_int_equal(overflow, 0);

	n = scan(MAP("7f0000000000-7f0000010000", "r-xp", "/a.so", "4", "0", "rd ex")
	    MAP("7f0000010000-7f0000020000", "r-xp", "/b.so", "4", "0", "rd ex")
	    MAP("7f0000020000-7f0000030000", "r-xp", "/c.so", "4", "0", "rd ex"), r, 2, &overflow);
	assert_int_equal(n, 2);
	assert_int_equal(overflow, 1);
	assert_int_equal(scan("", r, 2, NULL), 0);
}

/* Rss in kB of the mapping of this process that starts at addr, or -1. */
static long
mapping_rss(const void *addr)
{
	unsigned long start, end;
	char line[512];
	long rss = -1;
	int in = 0;
	FILE *f;

	assert_non_null(f = fopen("/proc/self/smaps", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in = start == (unsigned long)(uintptr_t)addr;
			continue;
		}
		if (in && strncmp(line, "Rss:", 4) == 0) {
			rss = strtol(line + 4, NULL, 10);
			break;
		}
	}
	fclose(f);
	return rss;
}

#define FILE_PAGES 16

static void
test_release_live(void **state)
{
	char path[] = "/tmp/vigil-memtrim.XXXXXX";
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)page * FILE_PAGES, i;
	unsigned char *clean, *cow, *want;
	struct memtrim_stats st;
	volatile unsigned sum = 0;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(want = malloc(len));
	for (i = 0; i < len; i++)
		want[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(write(fd, want, len), (ssize_t)len);

	/* Clean pages of a read-only mapping: resident now, released, read back the same. */
	clean = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(clean != MAP_FAILED);
	for (i = 0; i < len; i += (size_t)page)
		sum += clean[i];
	/* Copy-on-write pages, read-only afterwards as RELRO is: they must survive. */
	cow = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(cow != MAP_FAILED);
	for (i = 0; i < len; i += (size_t)page)
		cow[i] = 0xAA;
	assert_int_equal(mprotect(cow, len, PROT_READ), 0);

	assert_true(mapping_rss(clean) >= (long)(len / 1024));
	assert_true(mapping_rss(cow) >= (long)(len / 1024));
	assert_int_equal(memtrim_release(&st), 0);
	assert_true(st.regions >= 1);
	assert_true(st.released_kb >= len / 1024);
	assert_true(st.rss_before_kb > 0);

	assert_int_equal(mapping_rss(clean), 0);
	assert_memory_equal(clean, want, len);
	assert_true(mapping_rss(cow) >= (long)(len / 1024));
	for (i = 0; i < len; i++)
		assert_int_equal(cow[i], i % (size_t)page == 0 ? 0xAA : want[i]);

	munmap(clean, len);
	munmap(cow, len);
	close(fd);
	unlink(path);
	free(want);
	(void)sum;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_choice),
		cmocka_unit_test(test_scan_cap_and_garbage),
		cmocka_unit_test(test_release_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
