/*
 * Threshold and suppression windows. Both keep one small record per key in
 * a table that grows up to a cap: a hash of chains for lookup, and a list in
 * order of last use so that a full table evicts the key touched least
 * recently. Records live in one array and are addressed by index.
 *
 * A threshold's record holds, for each of its counts (groups), a ring of the
 * times of its last `count` events; counting distinct values, the ring holds
 * one slot per value (a 64-bit hash of it, with the time it was last seen),
 * so the memory of a key is bounded by count, never by what the input holds.
 * It also holds the key's last alarm: a count of another group completing
 * within the window after it is the same attack seen in another form.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"

#include "threshold.h"

#define NIL UINT32_MAX
#define KTAB_MIN 16

struct entry {
	uint32_t hnext;          /* next in the hash chain */
	uint32_t prev, next;     /* the use list: prev is more recent */
	uint64_t hash;
	char *key;
	size_t keylen;
	int64_t t0;              /* suppression: when the window opened */
	uint64_t n;              /* suppression: events folded */
	struct counts *counts;   /* threshold: its groups' counts, in one block */
};

/*
 * One count of a threshold's key: slots head .. head + n - 1 (mod count) of
 * its times (and values), oldest first.
 */
struct ring {
	uint32_t head, n;
};

/* A threshold key's counts: groups rings, then groups * count times, then values. */
struct counts {
	int64_t alarm_t;         /* when the key last raised an alarm */
	uint32_t alarm_group;    /* the count that raised it */
	uint32_t alarmed;
	struct ring ring[];
};

/* What the table does when a record leaves it. */
typedef void (*ktab_drop_fn)(void *owner, struct entry *e);

struct ktab {
	struct entry *e;
	uint32_t cap, used, max;
	uint32_t *buckets;       /* cap * 2 of them, a power of two */
	uint32_t nbuckets;
	uint32_t mru, lru;
	size_t n;
	uint64_t evicted;
	ktab_drop_fn drop;
	void *owner;
};

static uint64_t
hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

static int
ktab_init(struct ktab *t, size_t max, ktab_drop_fn drop, void *owner)
{
	memset(t, 0, sizeof(*t));
	if (max < 1 || max > (1u << 24))
		return VIGIL_ERR_INVAL;
	t->max = (uint32_t)max;
	t->mru = t->lru = NIL;
	t->drop = drop;
	t->owner = owner;
	return 0;
}

static void
entry_release(struct ktab *t, struct entry *e)
{
	if (t->drop != NULL)
		t->drop(t->owner, e);
	free(e->key);
	free(e->counts);
	e->key = NULL;
	e->counts = NULL;
}

static void
ktab_fini(struct ktab *t)
{
	uint32_t i;

	for (i = t->mru; i != NIL; i = t->e[i].next)
		entry_release(t, &t->e[i]);
	free(t->e);
	free(t->buckets);
}

static void
list_unlink(struct ktab *t, uint32_t i)
{
	struct entry *e = &t->e[i];

	if (e->prev != NIL)
		t->e[e->prev].next = e->next;
	else
		t->mru = e->next;
	if (e->next != NIL)
		t->e[e->next].prev = e->prev;
	else
		t->lru = e->prev;
}

static void
list_push(struct ktab *t, uint32_t i)
{
	struct entry *e = &t->e[i];

	e->prev = NIL;
	e->next = t->mru;
	if (t->mru != NIL)
		t->e[t->mru].prev = i;
	t->mru = i;
	if (t->lru == NIL)
		t->lru = i;
}

static void
chain_unlink(struct ktab *t, uint32_t i)
{
	uint32_t *pp = &t->buckets[t->e[i].hash & (t->nbuckets - 1)];

	while (*pp != i)
		pp = &t->e[*pp].hnext;
	*pp = t->e[i].hnext;
}

/* Double the record array and rehash (indices stay valid). */
static int
ktab_grow(struct ktab *t)
{
	uint32_t ncap = t->cap == 0 ? KTAB_MIN : t->cap * 2, i, nb;
	struct entry *ne;
	uint32_t *buckets;

	if (ncap > t->max)
		ncap = t->max;
	nb = 1;
	while (nb < ncap * 2)
		nb <<= 1;
	if ((ne = realloc(t->e, ncap * sizeof(*ne))) == NULL)
		return VIGIL_ERR_NOMEM;
	t->e = ne;
	if ((buckets = malloc(nb * sizeof(*buckets))) == NULL)
		return VIGIL_ERR_NOMEM;
	for (i = 0; i < nb; i++)
		buckets[i] = NIL;
	for (i = t->mru; i != NIL; i = t->e[i].next) {
		t->e[i].hnext = buckets[t->e[i].hash & (nb - 1)];
		buckets[t->e[i].hash & (nb - 1)] = i;
	}
	free(t->buckets);
	t->buckets = buckets;
	t->nbuckets = nb;
	t->cap = ncap;
	return 0;
}

/*
 * The record of key, moved to the front of the use list; a new zeroed one
 * (*fresh = 1) when the key was not there. NULL when memory ran out.
 */
static struct entry *
ktab_get(struct ktab *t, const void *key, size_t keylen, int *fresh)
{
	uint64_t h;
	uint32_t i;
	struct entry *e;
	char *copy;

	if (keylen > THRESHOLD_MAX_KEY_LEN)
		keylen = THRESHOLD_MAX_KEY_LEN;
	h = hash_bytes(key, keylen);
	*fresh = 0;
	if (t->nbuckets > 0) {
		for (i = t->buckets[h & (t->nbuckets - 1)]; i != NIL; i = t->e[i].hnext) {
			e = &t->e[i];
			if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0) {
				if (t->mru != i) {
					list_unlink(t, i);
					list_push(t, i);
				}
				return e;
			}
		}
	}
	if ((copy = malloc(keylen > 0 ? keylen : 1)) == NULL)
		return NULL;
	memcpy(copy, key, keylen);
	if (t->used < t->cap) {
		i = t->used++;
	} else if (t->cap < t->max && ktab_grow(t) == 0) {
		i = t->used++;
	} else if (t->lru != NIL) {
		/* Full: the key touched least recently makes room. */
		i = t->lru;
		list_unlink(t, i);
		chain_unlink(t, i);
		entry_release(t, &t->e[i]);
		t->n--;
		t->evicted++;
	} else {
		free(copy);
		return NULL;
	}
	e = &t->e[i];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->key = copy;
	e->keylen = keylen;
	e->hnext = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = i;
	list_push(t, i);
	t->n++;
	*fresh = 1;
	return e;
}

/* ---- thresholds ---------------------------------------------------------- */

struct threshold {
	struct ktab tab;
	unsigned count;
	unsigned groups;
	int distinct;
	int64_t window;
};

struct threshold *
threshold_new_ex(unsigned count, int64_t window_us, size_t max_keys, unsigned groups,
    int distinct)
{
	struct threshold *t;

	if (count < 1 || count > THRESHOLD_MAX_COUNT || window_us < 0 || groups < 1 ||
	    groups > THRESHOLD_MAX_GROUPS)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if (ktab_init(&t->tab, max_keys, NULL, NULL) != 0) {
		free(t);
		return NULL;
	}
	t->count = count;
	t->groups = groups;
	t->distinct = distinct != 0;
	t->window = window_us;
	return t;
}

struct threshold *
threshold_new(unsigned count, int64_t window_us, size_t max_keys)
{
	return threshold_new_ex(count, window_us, max_keys, 1, 0);
}

void
threshold_free(struct threshold *t)
{
	if (t == NULL)
		return;
	ktab_fini(&t->tab);
	free(t);
}

static size_t
counts_size(const struct threshold *t)
{
	size_t slots = (size_t)t->groups * t->count;

	return sizeof(struct counts) + t->groups * sizeof(struct ring) +
	    slots * sizeof(int64_t) + (t->distinct ? slots * sizeof(uint64_t) : 0);
}

int
threshold_hit_ex(struct threshold *t, const void *key, size_t keylen, unsigned group,
    const void *value, size_t valuelen, int64_t now)
{
	struct entry *e;
	struct counts *cs;
	struct ring *r;
	int64_t *times;
	uint64_t *vals = NULL, h = 0;
	unsigned c = t->count, i, j, slot;
	int fresh;

	if (group >= t->groups)
		return VIGIL_ERR_INVAL;
	if ((e = ktab_get(&t->tab, key, keylen, &fresh)) == NULL)
		return VIGIL_ERR_NOMEM;
	if (e->counts == NULL && (e->counts = calloc(1, counts_size(t))) == NULL)
		return VIGIL_ERR_NOMEM;
	cs = e->counts;
	r = &cs->ring[group];
	times = (int64_t *)(void *)(cs->ring + t->groups) + (size_t)group * c;
	if (t->distinct) {
		vals = (uint64_t *)(void *)((int64_t *)(void *)(cs->ring + t->groups) +
		    (size_t)t->groups * c) + (size_t)group * c;
		h = hash_bytes(value, valuelen);
		/* A value seen again is still one value: it moves to the newest place. */
		for (i = 0; i < r->n; i++) {
			if (vals[(r->head + i) % c] != h)
				continue;
			for (j = i; j + 1 < r->n; j++) {
				times[(r->head + j) % c] = times[(r->head + j + 1) % c];
				vals[(r->head + j) % c] = vals[(r->head + j + 1) % c];
			}
			r->n--;
			break;
		}
	}
	if (r->n < c) {
		slot = (r->head + r->n) % c;
		r->n++;
	} else {
		/* The ring is full: the newest replaces the oldest. */
		slot = r->head;
		r->head = (r->head + 1) % c;
	}
	times[slot] = now;
	if (vals != NULL)
		vals[slot] = h;
	if (r->n < c || now - times[r->head] > t->window)
		return 0;
	r->n = 0;
	r->head = 0;
	/*
	 * Another count completing within the window after the key's alarm is
	 * the same attack written in the other form (PAM's line and sshd's for
	 * each attempt): not a second alarm. Resetting the other counts instead
	 * would not do: the twin of the line that fired comes next and would
	 * start them again, one ahead.
	 */
	if (cs->alarmed && cs->alarm_group != group && now - cs->alarm_t <= t->window)
		return 0;
	cs->alarmed = 1;
	cs->alarm_group = group;
	cs->alarm_t = now;
	return 1;
}

int
threshold_hit(struct threshold *t, const void *key, size_t keylen, int64_t now)
{
	return threshold_hit_ex(t, key, keylen, 0, NULL, 0, now);
}

size_t
threshold_keys(const struct threshold *t)
{
	return t->tab.n;
}

uint64_t
threshold_evicted(const struct threshold *t)
{
	return t->tab.evicted;
}

/* ---- suppression --------------------------------------------------------- */

struct suppress {
	struct ktab tab;
	int64_t window;
	uint64_t lost;
};

static void
suppress_drop(void *owner, struct entry *e)
{
	struct suppress *s = owner;

	s->lost += e->n;
}

struct suppress *
suppress_new(int64_t window_us, size_t max_keys)
{
	struct suppress *s;

	if (window_us < 0 || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (ktab_init(&s->tab, max_keys, suppress_drop, s) != 0) {
		free(s);
		return NULL;
	}
	s->window = window_us;
	return s;
}

void
suppress_free(struct suppress *s)
{
	if (s == NULL)
		return;
	s->tab.drop = NULL;
	ktab_fini(&s->tab);
	free(s);
}

int
suppress_hit(struct suppress *s, const void *key, size_t keylen, int64_t now,
    uint64_t *repeat)
{
	struct entry *e;
	int fresh;

	*repeat = 0;
	if ((e = ktab_get(&s->tab, key, keylen, &fresh)) == NULL)
		return VIGIL_ERR_NOMEM;
	if (!fresh && now - e->t0 <= s->window) {
		e->n++;
		return 0;
	}
	*repeat = e->n;
	e->n = 0;
	e->t0 = now;
	return 1;
}

size_t
suppress_keys(const struct suppress *s)
{
	return s->tab.n;
}

uint64_t
suppress_evicted(const struct suppress *s)
{
	return s->tab.evicted;
}

uint64_t
suppress_lost(const struct suppress *s)
{
	return s->lost;
}
