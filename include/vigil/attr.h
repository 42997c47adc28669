/*
 * The compiler's checks of printf-like functions. mingw-w64 reads the
 * "printf" archetype as msvcrt's printf, which knows no %zu; the Windows build
 * uses mingw's C99 stdio (__USE_MINGW_ANSI_STDIO, vigil-windows.pc), whose
 * archetype is "gnu_printf". Every other compiler: printf.
 */
#ifndef VIGIL_ATTR_H
#define VIGIL_ATTR_H

#if defined(__MINGW32__)
#define VIGIL_PRINTF(fmt, args) __attribute__((format(gnu_printf, fmt, args)))
#else
#define VIGIL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#endif

#endif
