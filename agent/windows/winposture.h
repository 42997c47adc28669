/*
 * The Windows posture's sources (winposture.c), for the drivers' table and
 * the self-test.
 */
#ifndef VIGIL_AGENT_WINDOWS_WINPOSTURE_H
#define VIGIL_AGENT_WINDOWS_WINPOSTURE_H

#include <stddef.h>

#include "vigil/sbuf.h"

struct av_provider_driver;
struct sensor_driver;

extern const struct sensor_driver sensor_winupdates;
extern const struct av_provider_driver av_provider_securitycenter;
extern const struct sensor_driver sensor_auditpol;      /* auditpol_win.c */

struct auditpol_answer;
struct auditpol_result;
/* One AuditQuerySystemPolicy per auditpol_needs[] entry, into a[auditpol_nneeds]. */
void winaudit_query(struct auditpol_answer *a);
/* Switch on what r lacks: how many were set, or -1 with the Windows error. */
int winaudit_set(const struct auditpol_result *r, unsigned long *error);

/* A tristate (posture.h), and which mark said it into why. */
int winpost_reboot_pending(char *why, size_t whylen);
/* The system and its support state in words: 1 supported, 0 not, -1 unknown. */
int winpost_os(char *buf, size_t len);
/* Security Center's and Defender's answers as list text: objects, or -1 with why. */
int winpost_wsc_query(struct sbuf *out, char *why, size_t whylen);
int winpost_mp_query(struct sbuf *out, char *why, size_t whylen);

#endif
