/*
 * winupdate.c: what Windows says about its updates and its version,
 * decoded. Pure and portable, like wsc.c, whose list form (wmi_list_next())
 * the answers take:
 *
 *   - the Windows Update Agent's search "IsInstalled=0 and IsHidden=0", one
 *     record per update (Title, KBArticleIDs, MsrcSeverity, and for each
 *     category of type UpdateClassification its ClassificationID and
 *     Classification name): wua_count();
 *   - its history (QueryHistory: Date as a CIM datetime, Operation,
 *     ResultCode): wua_last_install();
 *   - the version RtlGetVersion gives: the system's name and whether
 *     Microsoft still supports it (winos_describe()).
 */
#ifndef VIGIL_AGENT_WINUPDATE_H
#define VIGIL_AGENT_WINUPDATE_H

#include <stddef.h>
#include <stdint.h>

/* The update classification "Security Updates", the same in every language. */
#define WUA_CLASS_SECURITY "0fa1201d-4330-4fa8-8ae9-b877473b6441"
/* "Critical Updates": not security by classification, but fixes Microsoft rates critical. */
#define WUA_CLASS_CRITICAL "e6cf1350-c01b-414d-a61f-263d14d133b4"

struct wua_counts {
	int32_t pending;        /* updates found not installed */
	int32_t security;       /* of them: classified Security Updates, or rated by the MSRC */
	size_t bad;             /* records without a Title */
};

/* Count the search's records. Names are never trusted: the GUID decides. */
void wua_count(const char *text, size_t len, struct wua_counts *c);

/*
 * The newest successful installation (Operation 1, ResultCode 2 = orcSucceeded
 * or 3 = orcSucceededWithErrors) in a history list: 0 and *us, or -1 when none.
 */
int wua_last_install(const char *text, size_t len, int64_t *us);

/*
 * The system of a version (major.minor.build; server: a server edition) in
 * words into buf, with its support state at now_us: "Windows 10 22H2
 * (10.0.19045), out of support since 2025-10-14". Returns 1 supported, 0
 * not, -1 unknown (a server, a version past the table). The end dates are
 * those of the Home and Pro editions (Enterprise and Education get a year
 * more on some releases); extended security updates are not known here.
 */
int winos_describe(uint32_t major, uint32_t minor, uint32_t build, int server, int64_t now_us,
    char *buf, size_t len);

#endif
