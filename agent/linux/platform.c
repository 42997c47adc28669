/*
 * The agent's platform services on Linux (see agent/platform.h): the host's
 * facts from uname(2), TCP keepalive with Linux's per-socket timers, and a
 * socket's pending error.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../platform.h"

void
platform_host(char *host, size_t hostlen, char *os, size_t oslen)
{
	struct utsname un;

	if (gethostname(host, hostlen) != 0)
		snprintf(host, hostlen, "unknown");
	host[hostlen - 1] = '\0';
	if (uname(&un) == 0)
		snprintf(os, oslen, "%.60s %.60s", un.sysname, un.release);
	else
		snprintf(os, oslen, "unknown");
}

void
platform_keepalive(evutil_socket_t fd)
{
	int on = 1, idle = 60, intvl = 10, cnt = 6;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

const char *
platform_socket_error(evutil_socket_t fd, int err)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr != 0)
		return strerror(soerr);
	if (err != 0)
		return strerror(err);
	return "the connection failed";
}
