/*
 * journal.c: the [journal NAME] sources of the running agent. Each reads the
 * systemd journal (the local system journal, or a directory of journal
 * files) through sd-journal, filtered by unit or syslog identifier, and is
 * woken by the journal's own descriptor: no timer polls it. A pass turns new
 * entries into events through ingest() and commits them together with the
 * cursor of the last entry read, in one spool transaction, so a restart at
 * any instant neither loses nor repeats an entry.
 */
#ifndef VIGIL_AGENT_JOURNAL_H
#define VIGIL_AGENT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "../conf.h"
#include "../matcher.h"
#include "../sensor.h"
#include "../spool.h"

#define JOURNAL_PASS_MAX 1000          /* entries of one source per pass */
#define JOURNAL_MATCH_LEN 1100         /* "FIELD=value" of one match, with its NUL */

/*
 * The matches of one [journal] section, in order: _SYSTEMD_UNIT=u for each
 * of its units (a unit named without a '.' gets ".service", as with
 * journalctl -u), then SYSLOG_IDENTIFIER=x for each of its identifiers.
 * All are OR'ed: an entry of any listed unit or identifier is read. Calls
 * fn(arg, match) per match (NUL-terminated) and stops at the first nonzero
 * return, which it returns; 0 when done. No match at all means every entry.
 * Pure: touches no journal.
 */
int journal_matches(const struct agent_conf_journal *jc,
    int (*fn)(void *arg, const char *match), void *arg);

/*
 * What an entry gives ingest(), the pure steps (fuzz_journal drives them as
 * entry() in journal.c does): the value of field name in one datum as
 * sd_journal_get_data() returns it ("NAME=value", any bytes, not
 * NUL-terminated): 0 with *val and *vlen set, or -EBADMSG when the datum is
 * not that field.
 */
int journal_field_value(const void *data, size_t len, const char *name, const char **val,
    size_t *vlen);
/*
 * The program of an entry (its SYSLOG_IDENTIFIER, else its _COMM value):
 * val[0..len), cut at a NUL and at cap - 1 bytes, into program[cap].
 */
#define JOURNAL_PROGRAM_MAX 256
void journal_program(char *program, size_t cap, const char *val, size_t len);

struct journal;

/*
 * Start reading the sources confs[0..n) (copied). A source resumes after the
 * cursor the spool holds for its name; one the spool does not know starts
 * after the journal's current last entry (that cursor is committed at once,
 * so entries written while the agent is down are read at the next start).
 * Each source is read once before this returns. MESSAGE is cut at max_line
 * bytes. appended(arg) runs after every commit that added events. Borrows
 * base, spool and m. Returns NULL with a sentence in err.
 */
struct journal *journal_new(struct event_base *base, struct spool *spool, struct matcher *m,
    const struct agent_conf_journal *confs, size_t n, size_t max_line,
    void (*appended)(void *arg), void *arg, char *err, size_t errlen);
void journal_free(struct journal *jn);                     /* NULL is a no-op */

uint64_t journal_entries_read(const struct journal *jn);   /* over every source */
uint64_t journal_events_rejected(const struct journal *jn); /* failed wire_validate_event */

/* The sensor of [journal NAME] sections. */
extern const struct sensor_driver sensor_journal;

#endif
