/*
 * Dropping root for good: what a daemon does after it has bound its sockets
 * and opened its files. The process keeps no supplementary groups.
 */
#ifndef VIGIL_PRIVDROP_H
#define VIGIL_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

/* The uid and primary gid of a user name. VIGIL_ERR_NOTFOUND if there is no such user. */
int privdrop_lookup(const char *user, uid_t *uid, gid_t *gid);

/* The gid of a group name. VIGIL_ERR_NOTFOUND if there is no such group. */
int privdrop_group(const char *group, gid_t *gid);

/*
 * setgroups(0), setresgid(gid), setresuid(uid), then verify that the real,
 * effective and saved ids all changed and that root cannot be regained.
 * Returns 0, or VIGIL_ERR_SYS with a sentence in err; the caller must treat a
 * failure as fatal.
 */
int privdrop_to(uid_t uid, gid_t gid, char *err, size_t errlen);

#endif
