/*
 * The unit profile and the report settings in the collector's configuration
 * (issue 17): who the unit is, as the official forms name it, and where the
 * reports' templates and holiday calendar are.
 *
 *   [unit]              organisation, parent, address, head, IT contact,
 *                       document format (state: NĐ 30/2020; party: Hướng
 *                       dẫn 36-HD/VPTW)
 *   [system LABEL]      an information system and its security level
 *                       (NĐ 85/2016: 1 to 5); may repeat
 *   [recipient LABEL]   an authority the reports go to; may repeat
 *   [report]            templates, holidays, the renderer
 *
 * The profile may be incomplete in the file (a unit fills it in over time):
 * -n checks what is written (a level out of range, a format that is neither
 * state nor party, an e-mail or telephone that cannot be one, with
 * "file:line: message"); a form that needs a field still missing says which
 * one when it is made (conf_unit_missing()).
 */
#ifndef VIGIL_COLLECTOR_CONF_UNIT_H
#define VIGIL_COLLECTOR_CONF_UNIT_H

#include <stddef.h>

#include "vigil/config.h"

#define UNIT_SYSTEMS_MAX 32
#define UNIT_RECIPIENTS_MAX 16
#define UNIT_LABEL_MAX 129
#define UNIT_PATH_MAX 1024

struct conf_unit_system {
	char label[UNIT_LABEL_MAX];
	char name[256];
	long long level;          /* NĐ 85/2016: 1 to 5 */
	char description[512];
};

struct conf_unit_recipient {
	char label[UNIT_LABEL_MAX];
	char name[256];
	char email[320];          /* "": none */
};

struct conf_unit {
	char name[256];           /* Ủy ban nhân dân phường Đông Hòa */
	char parent[256];         /* the body above it */
	char short_name[64];      /* UBND, ĐU: in the document number */
	char place[128];          /* where documents are dated: Đông Hòa */
	char address[512];
	char head_name[128];
	char head_position[128];  /* Chủ tịch, Bí thư */
	char sign_for[128];       /* TM. ỦY BAN NHÂN DÂN */
	char it_name[128];
	char it_position[128];
	char it_phone[64];
	char it_email[320];
	char format[16];          /* "state" or "party" */
	struct conf_unit_system systems[UNIT_SYSTEMS_MAX];
	size_t nsystems;
	struct conf_unit_recipient recipients[UNIT_RECIPIENTS_MAX];
	size_t nrecipients;
};

struct conf_report {
	char templates[UNIT_PATH_MAX];  /* the unit's own templates, looked in first; "": none */
	char shipped[UNIT_PATH_MAX];    /* the shipped templates */
	char holidays[UNIT_PATH_MAX];   /* the holiday calendar */
	char renderer[UNIT_PATH_MAX];   /* vigil-report-render */
	int working_days;               /* count the 5-day deadlines in working days */
	char breach_categories[256];    /* incidents of these start the 72-hour clock */
	char summary_schedule[16];      /* none, monthly, quarterly, halfyearly */
	char summary_to[1024];          /* who gets it: e-mail addresses */
	char summary_unit[256];         /* its unit; "": every machine */
	char summary_format[8];         /* pdf, html, csv */
};

/* The sections, for conf.c's table (they set struct conf's unit and report). */
extern const struct cfg_key conf_unit_keys[];
extern const struct cfg_key conf_system_keys[];
extern const struct cfg_key conf_recipient_keys[];
extern const struct cfg_key conf_report_keys[];
void *conf_system_add(void *conf, const char *label);
void *conf_system_get(const void *conf, size_t i, const char **label);
void *conf_recipient_add(void *conf, const char *label);
void *conf_recipient_get(const void *conf, size_t i, const char **label);

struct conf;
/* Before a load: no system, no recipient. */
void conf_unit_reset(struct conf *c);
/*
 * After a load: what each value must look like, with "file:line: message"
 * (the line found again in path). 0 or VIGIL_ERR_CONFIG.
 */
int conf_unit_check(const char *path, const struct conf *c, char *err, size_t errlen);

/*
 * The first profile field a form needs that is not set, as the data's path
 * ("unit.head.name") and the key to set ("[unit] head_name"): returns 1, or
 * 0 when none is missing. Every form needs the same profile (systems are
 * optional).
 */
int conf_unit_missing(const struct conf_unit *u, const char **path, const char **key);

#endif
