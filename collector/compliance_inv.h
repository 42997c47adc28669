/*
 * The unit's compliance against its declared inventory (issue 15, DESIGN §5
 * "Honest KPI"), shared by vigilctl compliance (control_status.c) and the
 * periodic summary (report_summary.c), so that both count alike:
 *
 *   - no inventory declared: the denominator is the machines that report;
 *     every one of them counts;
 *   - a count (inventory set --count N): the denominator is N; every
 *     machine counts, but never more than N compliant (20 agents of 30
 *     declared PCs show 20/30 at most; 40 agents of 30 show 30/30 at most);
 *   - a list (inventory import): the denominator is its length; a machine
 *     counts only when its host name (any case) is on the list, each name
 *     taking one machine; names no machine took are declared PCs with no
 *     agent (never compliant), machines on no name are "not in the
 *     inventory".
 *
 * compliance_inv_count() is the pure core; compliance_inv_read() reads the
 * inventory from the store.
 */
#ifndef VIGIL_COMPLIANCE_INV_H
#define VIGIL_COMPLIANCE_INV_H

#include <stddef.h>

struct store;

#define COMPLIANCE_INV_NAMES_MAX 100000   /* names of one unit's list read (vigilctl's cap) */

struct compliance_inv {
	long long declared;        /* 0 and not listed: none declared */
	int listed;                /* declared as a list: names[0..nnames) */
	char **names;
	size_t nnames, cap;
	int truncated;             /* the list had more than COMPLIANCE_INV_NAMES_MAX */
};

/* The machines of the unit, and the outcome. */
struct compliance_inv_count {
	long long den;             /* the denominator */
	long long num;             /* compliant machines that count, at most den */
	long long no_agent;        /* declared PCs with no machine */
	int has_inventory;
};

/*
 * Count n machines: hosts[i] their host names, compliant[i] 0 or 1. counts
 * (n bytes, may be NULL) is set to 1 for each machine that counts; taken
 * (inv->nnames bytes; NULL only without a list) to 1 for each list name a
 * machine took.
 */
void compliance_inv_count(const struct compliance_inv *inv, const char *const *hosts,
    const int *compliant, size_t n, unsigned char *counts, unsigned char *taken,
    struct compliance_inv_count *out);

/* Read unit's inventory into inv (zeroed first). 0, or a vigil_err. */
int compliance_inv_read(struct store *st, const char *unit, struct compliance_inv *inv);
void compliance_inv_free(struct compliance_inv *inv);

#endif
