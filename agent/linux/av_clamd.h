/*
 * av_clamd.c (Linux platform code): the ClamAV provider of the antivirus
 * sensor (av.h), clamd's z-commands over its Unix or loopback TCP socket,
 * and the parsers of its replies and log lines.
 */
#ifndef VIGIL_AGENT_AV_CLAMD_H
#define VIGIL_AGENT_AV_CLAMD_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "../av.h"

#define AV_CHECK_TIMEOUT_MS 5000     /* one clamd exchange: connect, command, reply */

/* ---- pure parsers, for tests --------------------------------------------- */

/*
 * One clamd reply to a z-command: the bytes up to the first NUL (clamd's
 * terminator), or all of them when the peer closed without one. Refuses
 * (VIGIL_ERR_DECODE) control characters and invalid UTF-8, and
 * (VIGIL_ERR_TOOBIG) a reply of AV_REPLY_MAX bytes or more. A trailing
 * newline is dropped. Copies the NUL-terminated text to out[cap].
 */
int av_clamd_reply(const char *buf, size_t len, char *out, size_t cap);

/*
 * The reply to VERSION: "ClamAV 1.4.6" or "ClamAV 1.4.6/27800/Thu Nov 12
 * 14:31:08 2026" -> version, database version and date (clamd's local time).
 * Returns 0 (fields unknown when absent) or VIGIL_ERR_DECODE.
 */
int av_clamd_version(const char *reply, struct av_status *st);

/* "Thu Nov 12 14:31:08 2026" (ctime, local time) -> microseconds; 0 or VIGIL_ERR_DECODE. */
int av_ctime_parse(const char *s, size_t len, int64_t *us);

/*
 * A clamd log line reporting a detection: "[TIME -> ]PATH: SIGNATURE FOUND".
 * Returns 1 and fills d, or 0 when the line is not one.
 */
int av_clamd_found(const char *line, size_t len, struct av_detection *d);

/* ClamAV: clamd at sock (a Unix socket path or "127.0.0.1:PORT"); non-blocking, on base. */
struct av_provider *av_clamd_new(struct event_base *base, const char *sock);

/* [antivirus] provider = clamav */
extern const struct av_provider_driver av_provider_clamav;

#endif
