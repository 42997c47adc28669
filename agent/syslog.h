/*
 * syslog.c: the header of a syslog line, read in place. Two forms:
 *   "Nov 25 10:00:01 host prog[pid]: message"                 (traditional)
 *   "2026-11-25T10:00:01.123456+07:00 host prog[pid]: message" (RFC 3339)
 * and the ISO forms of `journalctl -o short-iso` ("+0700", a space for T).
 * The program is the tag without "[pid]"; nothing is copied.
 */
#ifndef VIGIL_AGENT_SYSLOG_H
#define VIGIL_AGENT_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#define SYSLOG_MAX_TAG 64       /* longer tags are not a program we know */
#define SYSLOG_MAX_HOST 255

struct syslog_line {
	const char *program;    /* points into the line */
	size_t program_len;
	const char *msg;        /* the text after "prog[pid]: " */
	size_t msg_len;
	int64_t time_us;        /* the header's time, UTC; a traditional stamp has no
	                           year and none is guessed: it counts from 1 Jan 2000 */
};

/*
 * Split line[0..len) (any bytes, not NUL-terminated). Returns 1 and fills
 * *out when the line has a syslog header, 0 when it has not (then *out holds
 * program "" and the whole line as the message, time 0).
 */
int syslog_parse(const char *line, size_t len, struct syslog_line *out);

#endif
