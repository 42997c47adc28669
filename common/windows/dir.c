/*
 * Directory listings on Windows (see vigil/dir.h): FindFirstFileW over
 * DIR\*, names in UTF-8, filtered on the suffix and sorted in byte order as
 * on Linux, so that rules load in the same order everywhere.
 */
#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/dir.h"
#include "vigil/err.h"
#include "utf16.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
dir_names(const char *dir, const char *suffix, char ***names, size_t *n)
{
	WIN32_FIND_DATAW fd;
	HANDLE h;
	char *pattern = NULL, *name, **out = NULL, **grown;
	wchar_t *wpattern = NULL;
	size_t m = 0, cap = 0, k = strlen(suffix), len;
	DWORD e;

	*names = NULL;
	*n = 0;
	len = strlen(dir) + 3;
	if ((pattern = malloc(len)) == NULL)
		goto nomem;
	snprintf(pattern, len, "%s\\*", dir);
	if ((wpattern = win_wide(pattern)) == NULL)
		goto nomem;
	if ((h = FindFirstFileW(wpattern, &fd)) == INVALID_HANDLE_VALUE) {
		e = GetLastError();
		free(pattern);
		free(wpattern);
		if (e == ERROR_FILE_NOT_FOUND)   /* a directory with no entry at all */
			return (*names = calloc(1, sizeof(char *))) != NULL ? 0 : VIGIL_ERR_NOMEM;
		if (e == ERROR_PATH_NOT_FOUND)
			return VIGIL_ERR_NOTFOUND;
		errno = EACCES;
		return VIGIL_ERR_SYS;
	}
	do {
		if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
			continue;
		if ((name = win_utf8(fd.cFileName)) == NULL)
			continue;            /* not a name UTF-8 can hold: not a rule file of ours */
		len = strlen(name);
		if (name[0] == '.' || len <= k || strcmp(name + len - k, suffix) != 0) {
			free(name);
			continue;
		}
		if (m == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = realloc(out, cap * sizeof(*out))) == NULL) {
				free(name);
				FindClose(h);
				goto nomem;
			}
			out = grown;
		}
		out[m++] = name;
	} while (FindNextFileW(h, &fd));
	FindClose(h);
	free(pattern);
	free(wpattern);
	if (out == NULL && (out = calloc(1, sizeof(*out))) == NULL)
		return VIGIL_ERR_NOMEM;
	qsort(out, m, sizeof(*out), by_name);
	*names = out;
	*n = m;
	return 0;
nomem:
	dir_names_free(out, m);
	free(pattern);
	free(wpattern);
	errno = ENOMEM;
	return VIGIL_ERR_SYS;
}

void
dir_names_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
dir_path_absolute(const char *p)
{
	if (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':' &&
	    (p[2] == '\\' || p[2] == '/'))
		return 1;
	/* \\server\share, \\?\C:\... */
	return (p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/');
}
