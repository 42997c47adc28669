/*
 * auditpol.c: the Windows audit policy Vigil's rules need, and what to make
 * of Windows' answers. Portable (no Windows header): the table of needed
 * subcategories, the decoding of AuditQuerySystemPolicy's records into
 * "complete", "incomplete: ..." or "unavailable: ...", the posture's compact
 * text, and a line form of the answers that --selftest --record writes and
 * the unit tests read. agent/windows/auditpol_win.c asks Windows (one
 * subcategory per call, so that one unknown on an older Windows does not hide
 * the others) and, with [windows] audit_policy = set, switches on what is
 * missing.
 */
#ifndef VIGIL_AGENT_AUDITPOL_H
#define VIGIL_AGENT_AUDITPOL_H

#include <stddef.h>
#include <stdint.h>

/* AUDIT_POLICY_INFORMATION.AuditingInformation bits (POLICY_AUDIT_EVENT_*). */
#define AUDITPOL_SUCCESS 0x1u
#define AUDITPOL_FAILURE 0x2u
#define AUDITPOL_NONE    0x4u

/* Windows error codes the decoding tells apart (winerror.h). */
#define AUDITPOL_ERROR_FILE_NOT_FOUND 2u
#define AUDITPOL_ERROR_ACCESS_DENIED 5u
#define AUDITPOL_ERROR_INVALID_PARAMETER 87u
#define AUDITPOL_ERROR_CALL_NOT_IMPLEMENTED 120u
#define AUDITPOL_ERROR_PRIVILEGE_NOT_HELD 1314u

#define AUDITPOL_MAX 16              /* entries of the table, with room */
#define AUDITPOL_TEXT_MAX 256        /* the posture's text (WIRE_MAX_AUDIT), with the NUL */

/* A GUID as Windows lays it out (Data1-Data4). */
struct auditpol_guid {
	uint32_t d1;
	uint16_t d2, d3;
	uint8_t d4[8];
};

/* A subcategory a shipped rule needs, and which of success and failure. */
struct auditpol_need {
	const char *key;             /* short, in the posture's text: "pnp" */
	const char *name;            /* as English auditpol names it */
	struct auditpol_guid guid;
	unsigned need;               /* AUDITPOL_SUCCESS | AUDITPOL_FAILURE */
	const char *rules;           /* the rules (and events) that need it */
};

extern const struct auditpol_need auditpol_needs[];
extern const size_t auditpol_nneeds;

/* What one AuditQuerySystemPolicy call for auditpol_needs[i] gave. */
struct auditpol_answer {
	int ok;                      /* it returned TRUE */
	uint32_t error;              /* GetLastError() when it did not */
	struct auditpol_guid guid;   /* the record's AuditSubCategoryGuid */
	uint32_t info;               /* the record's AuditingInformation */
};

enum auditpol_state {
	AUDITPOL_UNAVAILABLE = 0,    /* Windows did not say (a stub, no right...) */
	AUDITPOL_COMPLETE,
	AUDITPOL_INCOMPLETE,
};

struct auditpol_result {
	enum auditpol_state state;
	unsigned have[AUDITPOL_MAX];     /* the bits in force, per need */
	unsigned missing[AUDITPOL_MAX];  /* needed bits that are off, per need */
	unsigned absent;                 /* bit i: this Windows has no such subcategory */
	char why[128];                   /* unavailable: why, in a few words */
};

/*
 * Decode n answers, one per auditpol_needs[] entry in order (n ==
 * auditpol_nneeds). Unavailable, never "all off", when: a call failed with
 * error 0 or ERROR_CALL_NOT_IMPLEMENTED (a stub), with access denied or the
 * privilege not held, or an unexpected error; a record is all zero (a stub
 * that fills nothing) or names another subcategory; the bits are not
 * AuditingInformation's; or no subcategory is known at all. A call failing
 * with ERROR_INVALID_PARAMETER or ERROR_FILE_NOT_FOUND means that Windows
 * lacks the subcategory (Plug and Play Events came with Windows 10): it is
 * left out, not counted off. Returns 0, or -1 for bad arguments.
 */
int auditpol_decode(const struct auditpol_answer *a, size_t n, struct auditpol_result *r);

/*
 * The posture's text: "complete", "incomplete: pnp(success) logon(failure)"
 * (the needed bits that are off, table order) or "unavailable: WHY". Always
 * NUL-terminated; returns strlen.
 */
size_t auditpol_text(const struct auditpol_result *r, char *buf, size_t len);

/* What need i should be set to: what is in force plus what is missing. */
uint32_t auditpol_wanted(const struct auditpol_result *r, size_t i);

/* "success", "failure", "success and failure" or "none". */
const char *auditpol_bits_name(unsigned bits);

/* "{0cce9215-69ae-11d9-bed3-505054503030}"; returns strlen or -1 if len < 39. */
int auditpol_guid_format(const struct auditpol_guid *g, char *buf, size_t len);
/* The reverse (braces optional, any case): 0, or -1. */
int auditpol_guid_parse(const char *s, struct auditpol_guid *g);

/*
 * The record form, one line per need: "KEY ok=1 error=0
 * guid={...} info=0x3". auditpol_record_line writes one into buf (returns
 * strlen, or -1 if it does not fit); auditpol_record_parse reads lines
 * (CRLF or LF) into answers by their KEY, and returns how many were read,
 * or -1 at the first bad line (a missing KEY stays a failed call, error 0).
 */
int auditpol_record_line(size_t i, const struct auditpol_answer *a, char *buf, size_t len);
int auditpol_record_parse(const char *text, size_t len, struct auditpol_answer *a, size_t n);

#endif
