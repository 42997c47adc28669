/*
 * The data an incident's report forms are filled from (README, "The data a
 * report is filled from"): the unit profile of the configuration, the
 * incident as the store holds it (times, machines, category, symptoms from
 * its events, actions and notes from its audit trail), and the fields the
 * operator added (vigilctl report fill). Written with libvigil's JSON writer
 * into a buf; the renderer (vigil-report-render, another process) reads it.
 */
#ifndef VIGIL_COLLECTOR_REPORT_DATA_H
#define VIGIL_COLLECTOR_REPORT_DATA_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct collector;

#define REPORT_SYMPTOMS_MAX 200   /* events listed as symptoms (the first ones) */
#define REPORT_TIMELINE_MAX 300   /* actions listed */
#define REPORT_MACHINES_MAX 64
#define REPORT_DATA_MAX (768 * 1024) /* the document, so that it fits one control line */

/* The forms made from one incident; the name a template starts with. */
enum report_form {
	REPORT_NOTICE,
	REPORT_INITIAL,
	REPORT_CLOSING,
	REPORT_BREACH,
	REPORT_FORMS,
};

/* The form called name ("notice" ...), or -1. */
int report_form_parse(const char *name);
const char *report_form_name(enum report_form f);

/* The fields an operator may fill (assessment, harm ...): 1 when name is one. */
int report_field_known(const char *name);
/* Their names, comma-separated, for a message. */
const char *report_field_list(void);

/*
 * The data of form for incident id into out. Returns 0; VIGIL_ERR_NOTFOUND
 * (no such incident), VIGIL_ERR_CONFIG (a profile field the form needs is
 * not set: err names it and the key to set), VIGIL_ERR_TOOBIG, VIGIL_ERR_DB,
 * each with a sentence in err.
 */
int report_incident_data(struct collector *c, int64_t id, enum report_form form,
    struct buf *out, char *err, size_t errlen);

/* The unit profile as the "unit" member of a report's data, into the object w has open. */
struct jsonw;
struct conf_unit;
void report_unit_json(struct jsonw *w, const struct conf_unit *u);

#endif
