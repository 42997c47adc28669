/*
 * WMI and the Windows Update Agent, through COM, rendered as the list text
 * the portable decoders read (agent/wsc.h: "Name=value" lines, records apart
 * by blank lines), so that the code that decodes a PC's answers is the code
 * the unit tests run on recorded ones.
 *
 * A stub is not an answer: Wine and stripped-down systems return success with
 * nothing behind it (a NULL object and last error 0). Every call's result
 * and every object is checked; a part that does not answer is unavailable
 * (-1 and a phrase in why), never an empty success.
 */
#ifndef VIGIL_AGENT_WINDOWS_WMI_H
#define VIGIL_AGENT_WINDOWS_WMI_H

#include <stddef.h>

#include "vigil/sbuf.h"

/* COM for this thread (multithreaded apartment) and the process's security: once per thread. */
int wincom_init(char *why, size_t whylen);
void wincom_done(void);

/*
 * Run wql in namespace ns (L"ROOT\\SecurityCenter2"), each object's props as
 * a record into out. Returns the number of objects (0: none), or -1 with why.
 */
int wmi_query(const wchar_t *ns, const wchar_t *wql, const wchar_t *const *props,
    struct sbuf *out, char *why, size_t whylen);

/*
 * The Windows Update Agent: updates not installed and not hidden, as records
 * for wua_count(), and the history for wua_last_install(). -1 with why when
 * the agent does not answer. A search may take minutes: never on the loop.
 */
int wua_search(struct sbuf *out, char *why, size_t whylen);
int wua_history(struct sbuf *out, char *why, size_t whylen);

#endif
