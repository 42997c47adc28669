/*
 * The Windows version the agent runs on, as RtlGetVersion says it (the true
 * version: GetVersionEx answers what the program's manifest allows).
 */
#ifndef VIGIL_AGENT_WINDOWS_WINVER_H
#define VIGIL_AGENT_WINDOWS_WINVER_H

#include <stdint.h>

struct winver {
	uint32_t major, minor, build;
	int server;                  /* a server edition (wProductType) */
};

/* 0, or -1 when ntdll does not answer. */
int winver_get(struct winver *v);

#endif
