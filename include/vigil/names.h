/* Names of the wire enums as people and JSON see them: "medium", "auth". */
#ifndef VIGIL_NAMES_H
#define VIGIL_NAMES_H

/* Lower-case name, or "unknown" for a value out of range. */
const char *severity_name(int sev);
const char *category_name(int cat);
/* The enum value for a name (case-insensitive), or -1. */
int severity_from_name(const char *name);
int category_from_name(const char *name);
/* Goodbye reasons: "stopped", "shutdown", "suspend", "restart"; "unknown" otherwise. */
const char *goodbye_reason_name(int reason);
int goodbye_reason_from_name(const char *name);
/* A Tristate for a log line: "unknown", "yes", "no"; "unknown" for any other value. */
const char *tristate_name(int t);

#endif
