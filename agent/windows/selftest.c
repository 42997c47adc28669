/*
 * vigil-agent.exe --selftest [--record DIR]: placeholder until the posture
 * sources land (see README, Windows).
 */
#include <stdio.h>

#include "winagent.h"

int
win_selftest_main(int argc, char *argv[])
{
	fprintf(stderr, "vigil-agent.exe --selftest: not yet\n");
	return 1;
}
