#include <errno.h>
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
