/*
 * dir.c (platform code, common/linux/dir.c, common/windows/dir.c): the names
 * in a directory and what an absolute path is, for
 * the readers of a folder of files (the agent's rules.d). Each platform
 * lists its directories its own way; the callers stay portable.
 */
#ifndef VIGIL_DIR_H
#define VIGIL_DIR_H

#include <stddef.h>

/*
 * The names of the entries of dir that end in suffix and do not start with
 * '.', in byte order (the same on every machine, whatever the locale), into
 * *names (free with dir_names_free()). Returns 0, VIGIL_ERR_NOTFOUND when dir
 * does not exist, or VIGIL_ERR_SYS (errno) when it cannot be read.
 */
int dir_names(const char *dir, const char *suffix, char ***names, size_t *n);
void dir_names_free(char **names, size_t n);

/*
 * Is path absolute on this platform: "/etc/vigil" on Linux; "C:\ProgramData",
 * "C:/ProgramData" or "\\server\share" on Windows. Pure.
 */
int dir_path_absolute(const char *path);

#endif
