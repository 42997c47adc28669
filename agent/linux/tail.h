/*
 * The Linux tail's own part (agent/tail.h is what every platform's tail
 * offers): the pure decision tail_read() takes on inode and size.
 */
#ifndef VIGIL_AGENT_LINUX_TAIL_H
#define VIGIL_AGENT_LINUX_TAIL_H

#include <stdint.h>

#include "../tail.h"

/*
 * Pure decision at the heart of tail_read(), for tests: given what we hold
 * open (fd_st, our offset) and what is at path now (path_st, or NULL when
 * nothing is there), what to do next.
 */
enum tail_action {
	TAIL_READ,        /* the open file is current: read from offset */
	TAIL_REOPEN,      /* path has a new file: drain the old one, then open path at 0 */
	TAIL_TRUNCATED,   /* the open file shrank below offset: copytruncate */
	TAIL_WAIT,        /* nothing at path: keep draining the open file, wait */
};
struct stat;
enum tail_action tail_decide(const struct stat *fd_st, uint64_t offset,
    const struct stat *path_st);

#endif
