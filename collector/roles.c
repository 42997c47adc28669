/* Roles of control-socket callers from their Unix groups (roles.h). */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/privdrop.h"

#include "roles.h"

#define ROLES_GROUPS_MAX 1024      /* groups of one user that are looked at */
#define ROLES_PWBUF 4096

/* 1 when gid is the group name's id, or one of the user's groups is. */
static int
member_of(const char *group, gid_t gid, const gid_t *groups, int ngroups)
{
	gid_t want;

	if (group == NULL || group[0] == '\0' || privdrop_group(group, &want) != 0)
		return 0;
	if (gid == want)
		return 1;
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == want)
			return 1;
	return 0;
}

enum role
roles_of(uid_t uid, gid_t gid, uid_t self_uid, const char *operators_group,
    const char *viewers_group, char *user, size_t userlen)
{
	struct passwd pw, *pwp = NULL;
	gid_t *groups;
	int ngroups = ROLES_GROUPS_MAX;
	char *buf;
	enum role r = ROLE_NONE;

	if ((buf = malloc(ROLES_PWBUF)) == NULL ||
	    (groups = malloc(ROLES_GROUPS_MAX * sizeof(*groups))) == NULL) {
		free(buf);
		snprintf(user, userlen, "uid %lu", (unsigned long)uid);
		return uid == 0 || uid == self_uid ? ROLE_ADMIN : ROLE_NONE;
	}
	if (getpwuid_r(uid, &pw, buf, ROLES_PWBUF, &pwp) == 0 && pwp != NULL) {
		snprintf(user, userlen, "%s", pw.pw_name);
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ngroups) == -1)
			ngroups = 0;
	} else {
		snprintf(user, userlen, "uid %lu", (unsigned long)uid);
		ngroups = 0;
	}
	/* The collector's own user can read the database anyway. */
	if (uid == 0 || uid == self_uid)
		r = ROLE_ADMIN;
	else if (member_of(operators_group, gid, groups, ngroups))
		r = ROLE_OPERATOR;
	else if (member_of(viewers_group, gid, groups, ngroups))
		r = ROLE_VIEWER;
	free(groups);
	free(buf);
	return r;
}

const char *
roles_name(enum role r)
{
	return ctl_role_name((enum ctl_role)r);
}
