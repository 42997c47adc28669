/*
 * wsc.c: what Windows says about its antivirus, decoded. Pure and portable
 * (the Windows agent renders its WMI answers as text, and the unit tests
 * feed recorded answers on Linux):
 *
 *   - the answers come in the form of `wmic ... get /format:list`: one
 *     "Name=value" per line, CRLF or LF, records apart by blank lines
 *     (wmi_list_next());
 *   - root\SecurityCenter2 AntiVirusProduct: displayName and productState, an
 *     undocumented bit field (wsc_decode(), which says how it is read);
 *   - root\Microsoft\Windows\Defender MSFT_MpComputerStatus: real-time
 *     protection, signature age and date (mp_parse());
 *   - the antivirus the posture reports, from both (wsc_choose()).
 */
#ifndef VIGIL_AGENT_WSC_H
#define VIGIL_AGENT_WSC_H

#include <stddef.h>
#include <stdint.h>

#include "posture.h"

#define WMI_MAX_PROPS 32
#define WMI_MAX_VALUE 512
#define WSC_MAX_PRODUCTS 8

/* One record of a list: its properties, names and values cut to their caps. */
struct wmi_record {
	size_t n;
	struct {
		char name[64];
		char value[WMI_MAX_VALUE];
	} p[WMI_MAX_PROPS];
};

/*
 * The next record of text[*off..len) into r: 1, or 0 at the end. Lines that
 * are not Name=value are skipped; a UTF-8 byte-order mark is skipped.
 */
int wmi_list_next(const char *text, size_t len, size_t *off, struct wmi_record *r);
/* The value of name (case-insensitive, as WMI's names are), or NULL. */
const char *wmi_get(const struct wmi_record *r, const char *name);

enum wsc_scanner { WSC_OFF, WSC_ON, WSC_SNOOZED, WSC_EXPIRED, WSC_SCANNER_UNKNOWN };
enum wsc_sigs { WSC_SIGS_CURRENT, WSC_SIGS_OUTDATED, WSC_SIGS_UNKNOWN };

/* WSC_SECURITY_PROVIDER bits (iwscapi.h), the third byte of productState. */
#define WSC_PROVIDER_FIREWALL    0x01u
#define WSC_PROVIDER_AUTOUPDATE  0x02u
#define WSC_PROVIDER_ANTIVIRUS   0x04u
#define WSC_PROVIDER_ANTISPYWARE 0x08u

struct wsc_product {
	char name[POSTURE_MAX_PRODUCT];      /* displayName, cut at a character */
	uint32_t state;                      /* productState as given */
	unsigned providers;                  /* WSC_PROVIDER_* */
	enum wsc_scanner scanner;
	int microsoft;                       /* Windows' own (Defender) */
	enum wsc_sigs sigs;
};

/*
 * Decode productState. Returns 0, or -1 when the value has bits where none
 * was ever seen (above the third byte) or a scanner state not in the table;
 * p->scanner and p->sigs are then UNKNOWN.
 */
int wsc_decode(uint32_t state, struct wsc_product *p);

/*
 * The AntiVirusProduct records of a list: up to max products (each record
 * needs displayName and a decimal productState; others are skipped and
 * counted in *bad, which may be NULL). Returns the number of products.
 */
size_t wsc_parse(const char *text, size_t len, struct wsc_product *out, size_t max,
    size_t *bad);

/* MSFT_MpComputerStatus: Defender's own view. */
struct mp_status {
	int found;                           /* a record was there */
	int antivirus_enabled;               /* tristate (posture.h) */
	int realtime;                        /* tristate */
	int signature_age_days;              /* -1 unknown */
	int64_t signatures_us;               /* AntivirusSignatureLastUpdated; 0 unknown */
	char version[WIRE_MAX_VERSION + 1];  /* AMProductVersion */
};

/* The first record of text into *st. Returns 0, or -1 when there is none. */
int mp_parse(const char *text, size_t len, struct mp_status *st);

/*
 * A CIM datetime, "yyyymmddHHMMSS.mmmmmmsUUU" (UUU: minutes east of UTC),
 * to microseconds since the epoch. 0, or -1 for anything else.
 */
int wmi_datetime_us(const char *s, int64_t *us);

/*
 * The antivirus the posture reports: an enabled product not Microsoft's
 * first (Defender steps aside when another is registered and on), then any
 * enabled one, then the first. Defender's signatures come from mp (may be
 * NULL); another vendor's have no age in any interface Windows offers: the
 * date stays unknown (0) and *sig_note says "unknown (vendor)" rather than
 * "stale". Returns 0, or -1 when there is no product (av is then empty).
 */
int wsc_choose(const struct wsc_product *p, size_t n, const struct mp_status *mp,
    struct posture_av *av, const char **sig_note);

#endif
