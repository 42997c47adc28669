/*
 * Error codes and the error formatter (see err.h): the sentences that say
 * why a call failed are written into the caller's buffer here and nowhere
 * else, so that every one is cut the same way and the return code travels
 * with it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vigil/err.h"
const char *
vigil_strerror(int err)
{
	switch (err) {
	case VIGIL_OK: return "success";
	case VIGIL_ERR_SYS: return strerror(errno);
	case VIGIL_ERR_NOMEM: return "out of memory";
	case VIGIL_ERR_INVAL: return "invalid value";
	case VIGIL_ERR_TRUNCATED: return "truncated input";
	case VIGIL_ERR_TOOBIG: return "over the size limit";
	case VIGIL_ERR_EMPTY: return "empty input";
	case VIGIL_ERR_DECODE: return "not a valid protocol message";
	case VIGIL_ERR_MISSING: return "a required field is missing";
	case VIGIL_ERR_RANGE: return "a value is out of range";
	case VIGIL_ERR_UTF8: return "a string is not valid UTF-8";
	case VIGIL_ERR_ORDER: return "sequence numbers out of order";
	case VIGIL_ERR_VERSION: return "incompatible protocol version";
	case VIGIL_ERR_TLS: return "TLS error";
	case VIGIL_ERR_DB: return "database error";
	case VIGIL_ERR_CONFIG: return "configuration error";
	case VIGIL_ERR_NOTFOUND: return "not found";
	case VIGIL_ERR_PROTO: return "protocol violation";
	}
	return "unknown error";
}

int
err_vfmt(char *err, size_t errlen, int rc, const char *fmt, va_list ap)
{
	if (err != NULL && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	return rc;
}

int
err_fmt(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vfmt(err, errlen, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int
err_vat(char *err, size_t errlen, int rc, const char *file, unsigned line, const char *fmt,
    va_list ap)
{
	char msg[ERR_MSG_MAX];

	if (err == NULL || errlen == 0)
		return rc;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		return err_fmt(err, errlen, rc, "%s:%u: %s", file, line, msg);
	return err_fmt(err, errlen, rc, "%s: %s", file, msg);
}

int
err_at(char *err, size_t errlen, int rc, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vat(err, errlen, rc, file, line, fmt, ap);
	va_end(ap);
	return rc;
}
