/* vigil-agent --enroll (Linux): enroll_main.c. */
#ifndef VIGIL_AGENT_LINUX_ENROLL_MAIN_H
#define VIGIL_AGENT_LINUX_ENROLL_MAIN_H

/* argv from "--enroll" on; returns the exit status. */
int enroll_main(int argc, char *argv[]);

#endif
