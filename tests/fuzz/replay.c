/*
 * Replay a fuzz corpus without libFuzzer: feed every regular file of the
 * given directories (or the given files) to LLVMFuzzerTestOneInput. A crash
 * or a sanitizer report fails the run; otherwise it exits 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Larger than any frame the target accepts, so oversized inputs still run. */
#define REPLAY_MAX_INPUT (4 * 1024 * 1024)

static int
replay_file(const char *path)
{
	uint8_t *buf;
	size_t len;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(REPLAY_MAX_INPUT)) == NULL) {
		fclose(fp);
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	len = fread(buf, 1, REPLAY_MAX_INPUT, fp);
	if (ferror(fp)) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
replay_path(const char *path, size_t *count)
{
	char child[4096];
	struct dirent *de;
	struct stat st;
	int rc = 0;
	DIR *d;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (replay_file(path) != 0)
			return -1;
		++*count;
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (stat(child, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(child) != 0) {
			rc = -1;
			break;
		}
		++*count;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char *argv[])
{
	size_t count = 0;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE ...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			return 1;
	if (count == 0) {
		fprintf(stderr, "replay: no input found in the corpus\n");
		return 1;
	}
	printf("replay: %zu inputs ran cleanly\n", count);
	return 0;
}
