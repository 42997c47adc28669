/*
 * Errors of libvigil: functions return 0 or a negative enum vigil_err, and
 * those that can say more write one sentence into a buffer the caller owns
 * (err, errlen), through the error formatter below, the one way a sentence
 * is written there:
 *
 *	if (port < 1)
 *		return err_fmt(err, errlen, VIGIL_ERR_INVAL, "'%s' is not a port", v);
 *	return err_at(err, errlen, VIGIL_ERR_CONFIG, path, line, "unknown key '%s'", k);
 */
#ifndef VIGIL_ERR_H
#define VIGIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

#include "vigil/attr.h"

enum vigil_err {
	VIGIL_OK = 0,
	VIGIL_ERR_SYS = -1,        /* see errno */
	VIGIL_ERR_NOMEM = -2,
	VIGIL_ERR_INVAL = -3,      /* invalid argument or value */
	VIGIL_ERR_TRUNCATED = -4,  /* more bytes are needed */
	VIGIL_ERR_TOOBIG = -5,     /* over a configured limit */
	VIGIL_ERR_EMPTY = -6,      /* zero-length where content is required */
	VIGIL_ERR_DECODE = -7,     /* not a valid protobuf message */
	VIGIL_ERR_MISSING = -8,    /* a required field is absent */
	VIGIL_ERR_RANGE = -9,      /* an enum or number out of range */
	VIGIL_ERR_UTF8 = -10,      /* a string is not valid UTF-8 */
	VIGIL_ERR_ORDER = -11,     /* sequence numbers out of order */
	VIGIL_ERR_VERSION = -12,   /* incompatible protocol version */
	VIGIL_ERR_TLS = -13,
	VIGIL_ERR_DB = -14,
	VIGIL_ERR_CONFIG = -15,
	VIGIL_ERR_NOTFOUND = -16,
	VIGIL_ERR_PROTO = -17,     /* a message not allowed in this state */
};

const char *vigil_strerror(int err);

/*
 * Write the sentence into err[errlen] (always NUL-terminated, cut when it
 * does not fit); err NULL or errlen 0 writes nothing. Returns rc, so that
 * failing and saying why is one statement.
 */
int err_fmt(char *err, size_t errlen, int rc, const char *fmt, ...)
    VIGIL_PRINTF(4, 5);
int err_vfmt(char *err, size_t errlen, int rc, const char *fmt, va_list ap)
    VIGIL_PRINTF(4, 0);

/*
 * Where a reader of a file found a problem: "file:line: message", or
 * "file: message" when line is 0. The message itself is cut at
 * ERR_MSG_MAX bytes before the place is put in front of it.
 */
#define ERR_MSG_MAX 512
int err_at(char *err, size_t errlen, int rc, const char *file, unsigned line,
    const char *fmt, ...) VIGIL_PRINTF(6, 7);
int err_vat(char *err, size_t errlen, int rc, const char *file, unsigned line,
    const char *fmt, va_list ap) VIGIL_PRINTF(6, 0);

#endif
