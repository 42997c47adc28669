/*
 * vigil-docx-pack OUT.docx COMMON_DIR DOCUMENT.xml: make a DOCX from the
 * parts every shipped template shares (COMMON_DIR: [Content_Types].xml,
 * _rels/, word/styles.xml …) and one document body. A build tool: the
 * templates are kept in the tree as readable XML, so that a change to a
 * form is a reviewable diff, and packed by make.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "docx.h"

static struct docx *doc;
static size_t rootlen;
static int failed;

static int
slurp(const char *path, char **data, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || (*data = malloc((size_t)n + 1)) == NULL ||
	    fread(*data, 1, (size_t)n, fp) != (size_t)n) {
		fprintf(stderr, "vigil-docx-pack: %s: %s\n", path, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	fclose(fp);
	*len = (size_t)n;
	return 0;
}

static int
add_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char *data;
	size_t len;

	if (flag != FTW_F)
		return 0;
	if (slurp(path, &data, &len) != 0 || docx_add(doc, path + rootlen + 1, data, len) != 0) {
		failed = 1;
		return 1;
	}
	free(data);
	return 0;
}

int
main(int argc, char *argv[])
{
	char err[512], *data;
	size_t len;
	struct buf out;
	FILE *fp;

	if (argc != 4) {
		fprintf(stderr, "usage: vigil-docx-pack OUT.docx COMMON_DIR DOCUMENT.xml\n");
		return 2;
	}
	if ((doc = docx_new()) == NULL)
		return 1;
	rootlen = strlen(argv[2]);
	while (rootlen > 1 && argv[2][rootlen - 1] == '/')
		rootlen--;
	if (nftw(argv[2], add_file, 16, FTW_PHYS) != 0 || failed)
		return 1;
	if (slurp(argv[3], &data, &len) != 0 || docx_add(doc, "word/document.xml", data, len) != 0)
		return 1;
	free(data);
	buf_init(&out, DOCX_MAX_TOTAL);
	if (docx_write(doc, &out, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-docx-pack: %s\n", err);
		return 1;
	}
	if ((fp = fopen(argv[1], "wb")) == NULL || fwrite(out.p, 1, out.len, fp) != out.len ||
	    fclose(fp) != 0) {
		fprintf(stderr, "vigil-docx-pack: %s: %s\n", argv[1], strerror(errno));
		remove(argv[1]);
		return 1;
	}
	buf_free(&out);
	docx_free(doc);
	return 0;
}
