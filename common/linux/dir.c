/*
 * Directory listings on Linux (see vigil/dir.h): scandir(3) with a filter on
 * the suffix and a byte-order sort.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/dir.h"
#include "vigil/err.h"

static const char *want_suffix;    /* scandir's filter takes no argument */

static int
wanted(const struct dirent *d)
{
	size_t n = strlen(d->d_name), k = strlen(want_suffix);

	return d->d_name[0] != '.' && n > k && strcmp(d->d_name + n - k, want_suffix) == 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
dir_names(const char *dir, const char *suffix, char ***names, size_t *n)
{
	struct dirent **ents = NULL;
	char **out;
	int m, i;

	*names = NULL;
	*n = 0;
	want_suffix = suffix;
	if ((m = scandir(dir, &ents, wanted, by_name)) < 0)
		return errno == ENOENT ? VIGIL_ERR_NOTFOUND : VIGIL_ERR_SYS;
	if ((out = calloc(m > 0 ? (size_t)m : 1, sizeof(*out))) == NULL)
		goto nomem;
	for (i = 0; i < m; i++)
		if ((out[i] = strdup(ents[i]->d_name)) == NULL)
			goto nomem;
	for (i = 0; i < m; i++)
		free(ents[i]);
	free(ents);
	*names = out;
	*n = (size_t)m;
	return 0;
nomem:
	if (out != NULL)
		dir_names_free(out, (size_t)m);
	for (i = 0; i < m; i++)
		free(ents[i]);
	free(ents);
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
dir_path_absolute(const char *path)
{
	return path[0] == '/';
}
