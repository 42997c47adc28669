/*
 * The one time zone times are shown in to people (issue 16): lists, incident
 * show, notifications. Configured as `timezone =` (the collector's
 * [collector], vigilctl's [vigilctl]): "" for the system's, "UTC", a fixed
 * offset "+07:00", or a zone name "Asia/Ho_Chi_Minh" from the system's zone
 * database. A name is applied process-wide (TZ), so a program sets it once,
 * at start, before it has threads.
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

/* Minutes east of UTC of the zone set at time us (summer time included). */
int tz_offset_min(int64_t us);

#endif
