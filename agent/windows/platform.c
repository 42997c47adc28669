/*
 * The agent's platform services on Windows (see agent/platform.h): the
 * host's name (GetComputerNameExW) and system (RtlGetVersion, which answers
 * the true version where GetVersionEx answers what the manifest allows), TCP
 * keepalive (SIO_KEEPALIVE_VALS) and a socket's pending error as words.
 */
#include <winsock2.h>
#include <windows.h>
#include <mstcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../platform.h"
#include "winver.h"

#define NO_SOCKET ((evutil_socket_t)-1)
#include "../../common/windows/utf16.h"

#if defined(__x86_64__)
#define ARCH "x86_64"
#elif defined(__i386__)
#define ARCH "i686"
#else
#define ARCH "unknown"
#endif

int
winver_get(struct winver *v)
{
	typedef LONG (WINAPI *rtl_get_version_fn)(OSVERSIONINFOEXW *);
	OSVERSIONINFOEXW vi;
	rtl_get_version_fn fn;
	HMODULE ntdll;

	memset(v, 0, sizeof(*v));
	memset(&vi, 0, sizeof(vi));
	vi.dwOSVersionInfoSize = sizeof(vi);
	if ((ntdll = GetModuleHandleW(L"ntdll.dll")) == NULL ||
	    (fn = (rtl_get_version_fn)(void (*)(void))GetProcAddress(ntdll, "RtlGetVersion")) == NULL ||
	    fn(&vi) != 0)
		return -1;
	v->major = vi.dwMajorVersion;
	v->minor = vi.dwMinorVersion;
	v->build = vi.dwBuildNumber;
	v->server = vi.wProductType != VER_NT_WORKSTATION;
	return 0;
}

void
platform_host(char *host, size_t hostlen, char *os, size_t oslen)
{
	wchar_t name[256];
	DWORD n = sizeof(name) / sizeof(name[0]);
	struct winver v;
	char *u;

	if (GetComputerNameExW(ComputerNameDnsHostname, name, &n) && (u = win_utf8(name)) != NULL) {
		snprintf(host, hostlen, "%s", u);
		free(u);
	} else
		snprintf(host, hostlen, "unknown");
	if (winver_get(&v) == 0)
		snprintf(os, oslen, "Windows %lu.%lu.%lu %s%s", (unsigned long)v.major,
		    (unsigned long)v.minor, (unsigned long)v.build, ARCH, v.server ? " server" : "");
	else
		snprintf(os, oslen, "Windows %s", ARCH);
}

void
platform_keepalive(evutil_socket_t fd)
{
	struct tcp_keepalive ka = { 1, 60 * 1000, 10 * 1000 };
	DWORD got = 0;
	BOOL on = TRUE;

	if (fd == NO_SOCKET)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, (const char *)&on, sizeof(on));
	/* Idle 60 s, then a probe every 10 s (Windows sends 10 before giving up). */
	WSAIoctl(fd, SIO_KEEPALIVE_VALS, &ka, sizeof(ka), NULL, 0, &got, NULL, NULL);
}

const char *
platform_socket_error(evutil_socket_t fd, int err)
{
	int soerr = 0, len = sizeof(soerr);

	if (fd != NO_SOCKET &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, (char *)&soerr, &len) == 0 && soerr != 0)
		return evutil_socket_error_to_string(soerr);
	if (err != 0)
		return evutil_socket_error_to_string(err);
	return "the connection failed";
}
