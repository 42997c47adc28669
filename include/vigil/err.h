/* Error codes of libvigil: functions return 0 or a negative enum vigil_err. */
#ifndef VIGIL_ERR_H
#define VIGIL_ERR_H

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

#endif
