/* Dropping root: no supplementary groups, then gid, then uid, then verify. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/privdrop.h"

int
privdrop_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return errno != 0 ? VIGIL_ERR_SYS : VIGIL_ERR_NOTFOUND;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
privdrop_group(const char *group, gid_t *gid)
{
	struct group *gr;

	errno = 0;
	if ((gr = getgrnam(group)) == NULL)
		return errno != 0 ? VIGIL_ERR_SYS : VIGIL_ERR_NOTFOUND;
	*gid = gr->gr_gid;
	return 0;
}

int
privdrop_to(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL) == -1) {
		snprintf(err, errlen, "cannot clear the supplementary groups: %s", strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if (setresgid(gid, gid, gid) == -1) {
		snprintf(err, errlen, "cannot change the group ids to %lu: %s", (unsigned long)gid,
		    strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if (setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "cannot change the user ids to %lu: %s", (unsigned long)uid,
		    strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1) {
		snprintf(err, errlen, "cannot read back the process ids: %s", strerror(errno));
		return VIGIL_ERR_SYS;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		snprintf(err, errlen, "the ids did not change as asked (uid %lu/%lu/%lu, gid "
		    "%lu/%lu/%lu)", (unsigned long)ru, (unsigned long)eu, (unsigned long)su,
		    (unsigned long)rg, (unsigned long)eg, (unsigned long)sg);
		errno = EPERM;
		return VIGIL_ERR_SYS;
	}
	if (getgroups(0, NULL) != 0) {
		snprintf(err, errlen, "supplementary groups remain after the drop");
		errno = EPERM;
		return VIGIL_ERR_SYS;
	}
	/* Regaining root must be impossible now. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "root could be regained after the drop");
		errno = EPERM;
		return VIGIL_ERR_SYS;
	}
	return 0;
}
