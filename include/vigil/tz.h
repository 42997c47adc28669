/*
 * The one time zone times are shown in to people (issue 16): lists, incident
 * show, notifications. Configured as the collector's [collector] timezone
 * (vigilctl takes the collector's): "" for the system's (TZ as the process
 * found it, else /etc/localtime), "UTC", a fixed offset "+07:00", or a zone
 * name "Asia/Ho_Chi_Minh" from the system's zone database. A name is applied
 * process-wide (TZ), so a program sets it once, at start, before it has
 * threads.
 */
#ifndef VIGIL_TZ_H
#define VIGIL_TZ_H

#include <stdint.h>
#include <stddef.h>

/*
 * Check spec and make it the zone of tz_offset_min(). Returns 0, or
 * VIGIL_ERR_INVAL with a sentence in err (a bad offset, a name with
 * characters no zone has, a name the zone database lacks).
 */
int tz_set(const char *spec, char *err, size_t errlen);

/*
 * The zone's name, for vigilctl to take the same zone: the spec as set, or,
 * for the system's, its name as the system gave it when it was set (TZ, the
 * zone file /etc/localtime links to, /etc/timezone); else the offset at us,
 * "+07:00".
 */
size_t tz_name(char *dst, size_t len, int64_t us);

/* Minutes east of UTC of the zone set at time us (summer time included). */
int tz_offset_min(int64_t us);

/*
 * A time for people in the zone set, in the one form the mails and vigilctl
 * share (text_time_people()): dmy for the Vietnamese order. heading_us 0:
 * labelled, "05/12/2026 14:03:00 (UTC+07:00)"; otherwise the label is left out
 * when the offset at us is the one at heading_us (a table's heading says it)
 * and kept when summer time makes it another. "" (0) as text_time_people().
 */
size_t tz_time_people(char *dst, size_t len, int64_t us, int dmy, int64_t heading_us);

/* The zone's label at us, as headings carry it: "UTC+07:00". */
size_t tz_label(char *dst, size_t len, int64_t us);

/*
 * A time a person typed: "2026-11-25", "2026-11-25T10:00", "2026-11-25
 * 10:00:00.5", and with dmy also "25/11/2026 10:00" (the Vietnamese order);
 * after the time an optional "Z", "+07:00" or "+0700". Without one it is a
 * wall clock in the zone set, and wall (when not NULL) gets it as
 * "2026-11-25T10:00:00.000000" for a program in another zone to read; with
 * one, wall is "". Returns 0 with *us, or -1 (not such a time).
 */
int tz_parse_time(const char *s, int dmy, int64_t *us, char *wall, size_t wall_len);

#endif
