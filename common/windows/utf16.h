/*
 * UTF-8 <-> UTF-16 for the Windows platform code: the core speaks UTF-8,
 * Windows' wide API UTF-16. Both return a malloc'd string, or NULL (invalid
 * input or no memory).
 */
#ifndef VIGIL_WINDOWS_UTF16_H
#define VIGIL_WINDOWS_UTF16_H

#include <wchar.h>

wchar_t *win_wide(const char *s);
char *win_utf8(const wchar_t *w);

#endif
