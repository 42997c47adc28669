/*
 * Who may do what on the control socket. The caller's uid and gid come from
 * SO_PEERCRED; the role comes from Unix groups, looked up at each request so
 * that a group change takes effect without a restart:
 *
 *   root, or the collector's own user     ROLE_ADMIN: everything
 *   a member of operators_group           ROLE_OPERATOR: read and change incidents
 *   a member of viewers_group             ROLE_VIEWER: read
 *   anyone else                           ROLE_NONE: refused
 *
 * Membership counts the primary group and the supplementary groups of the
 * user's passwd entry (getgrouplist). A group that does not exist has no
 * members.
 */
#ifndef VIGIL_ROLES_H
#define VIGIL_ROLES_H

#include <stddef.h>
#include <sys/types.h>

#include "vigil/ctl.h"

#define ROLES_USER_MAX 256         /* a user name, or "uid N", with its NUL */

/* The protocol's roles (vigil/ctl.h), under the collector's names. */
enum role {
	ROLE_NONE = CTL_ROLE_NONE,
	ROLE_VIEWER = CTL_ROLE_VIEWER,
	ROLE_OPERATOR = CTL_ROLE_OPERATOR,
	ROLE_ADMIN = CTL_ROLE_ADMIN,
};

/*
 * The role of the caller uid/gid; its user name (or "uid N" when it has no
 * passwd entry) into user. self_uid is the collector's own uid.
 */
enum role roles_of(uid_t uid, gid_t gid, uid_t self_uid, const char *operators_group,
    const char *viewers_group, char *user, size_t userlen);

/* "none", "viewer", "operator", "admin". */
const char *roles_name(enum role r);

#endif
