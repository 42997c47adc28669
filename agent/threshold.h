/*
 * threshold.c: the windows of threshold and suppression rules, keyed by the
 * values of some fields. Pure: the time is an argument (microseconds, any
 * clock that does not run backwards by much), nothing reads a clock.
 *
 * Memory is bounded: each table tracks at most max_keys keys; a new key when
 * the table is full evicts the key touched least recently, and counts it.
 */
#ifndef VIGIL_AGENT_THRESHOLD_H
#define VIGIL_AGENT_THRESHOLD_H

#include <stddef.h>
#include <stdint.h>

#define THRESHOLD_MAX_KEYS 4096        /* the default cap on tracked keys per table */
#define THRESHOLD_MAX_COUNT 1000       /* the largest N of "N events within W" */
#define THRESHOLD_MAX_KEY_LEN 2048     /* longer keys are cut (and so may share a window) */
#define THRESHOLD_MAX_GROUPS 8         /* counts kept apart within one threshold */

/* ---- thresholds: N events of one key within W ---------------------------- */

struct threshold;

/* count in 1..THRESHOLD_MAX_COUNT, window_us >= 0, max_keys >= 1; NULL on bad input or OOM. */
struct threshold *threshold_new(unsigned count, int64_t window_us, size_t max_keys);
void threshold_free(struct threshold *t);                  /* NULL is a no-op */

/*
 * One event of key (any bytes) at time now. Returns 1 when it completes
 * count events of that key within window (the first and the last at most
 * window apart, inclusive): the key then starts counting afresh. Returns 0
 * otherwise, or a negative vigil_err when memory ran out (the event is not
 * counted).
 */
int threshold_hit(struct threshold *t, const void *key, size_t keylen, int64_t now);

/*
 * The general form. groups (1..THRESHOLD_MAX_GROUPS): counts kept apart for
 * each key, for records of one thing that a log may hold in either of two
 * forms or in both (sshd's and PAM's line for one failed password). Each
 * count completes on its own and starts afresh; the first to complete
 * fires, and another completing within the window after that alarm is the
 * same attack in the other form and does not fire, so a log with both
 * forms gives the alarms of one form, not twice as many. distinct:
 * count distinct values (threshold_hit_ex's value) rather than events: a
 * value seen again within the window only moves to the newest place.
 * Values are told apart by a 64-bit hash, so the memory of a key stays
 * count slots whatever the values are.
 */
struct threshold *threshold_new_ex(unsigned count, int64_t window_us, size_t max_keys,
    unsigned groups, int distinct);

/*
 * One event of key in count group (< groups) with value (any bytes; ignored
 * unless distinct) at time now. Returns 1 when that count completes (count
 * events, or distinct values, within window) and raises an alarm, 0
 * otherwise, a negative
 * vigil_err when memory ran out or group is out of range (not counted).
 */
int threshold_hit_ex(struct threshold *t, const void *key, size_t keylen, unsigned group,
    const void *value, size_t valuelen, int64_t now);

size_t threshold_keys(const struct threshold *t);          /* keys tracked now */
uint64_t threshold_evicted(const struct threshold *t);     /* keys evicted, ever */

/* ---- suppression: one event per key within W, with a repeat count -------- */

struct suppress;

struct suppress *suppress_new(int64_t window_us, size_t max_keys);
void suppress_free(struct suppress *s);                    /* NULL is a no-op */

/*
 * One event of key at time now. Returns 1 when it is to be emitted, with
 * *repeat set to the number of events of that key folded (suppressed) since
 * the last one emitted; that emission opens a new window. Returns 0 when it
 * falls within the window of the last one emitted (now - then <= window):
 * it is folded, not emitted. Negative vigil_err when memory ran out (then
 * the event is to be emitted, *repeat 0).
 */
int suppress_hit(struct suppress *s, const void *key, size_t keylen, int64_t now,
    uint64_t *repeat);

size_t suppress_keys(const struct suppress *s);
uint64_t suppress_evicted(const struct suppress *s);
/* Events folded but not carried by a later one because their key was evicted. */
uint64_t suppress_lost(const struct suppress *s);

#endif
