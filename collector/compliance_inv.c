/*
 * The declared inventory as the compliance denominator (compliance_inv.h):
 * one computation for vigilctl compliance and the periodic summary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/text.h"

#include "compliance_inv.h"
#include "store.h"
#include "store_enroll.h"

void
compliance_inv_count(const struct compliance_inv *inv, const char *const *hosts,
    const int *compliant, size_t n, unsigned char *counts, unsigned char *taken,
    struct compliance_inv_count *out)
{
	long long num = 0, took = 0;

	memset(out, 0, sizeof(*out));
	if (counts != NULL)
		memset(counts, 0, n);
	if (inv->listed)
		memset(taken, 0, inv->nnames);
	out->has_inventory = inv->declared > 0 || inv->listed;
	for (size_t i = 0; i < n; i++) {
		int in = !inv->listed;

		/* Each name takes the first machine of that host name it meets. */
		for (size_t j = 0; inv->listed && j < inv->nnames && !in; j++)
			if (!taken[j] && text_same_word(hosts[i], inv->names[j])) {
				in = 1;
				taken[j] = 1;
				took++;
			}
		if (counts != NULL)
			counts[i] = (unsigned char)in;
		if (in && compliant[i])
			num++;
	}
	out->den = out->has_inventory ? inv->declared : (long long)n;
	if (inv->listed && (long long)inv->nnames > out->den)
		out->den = (long long)inv->nnames;
	out->num = num < out->den ? num : out->den;
	if (out->has_inventory)
		out->no_agent = inv->listed ? out->den - took :
		    (out->den > (long long)n ? out->den - (long long)n : 0);
}

static int
take_name(void *arg, const char *name, const char *mac)
{
	struct compliance_inv *inv = arg;
	char **v;

	(void)mac;
	if (inv->nnames >= COMPLIANCE_INV_NAMES_MAX) {
		inv->truncated = 1;
		return 1;
	}
	if (inv->nnames == inv->cap) {
		size_t cap = inv->cap ? inv->cap * 2 : 64;

		if ((v = realloc(inv->names, cap * sizeof(*v))) == NULL)
			return VIGIL_ERR_NOMEM;
		inv->names = v;
		inv->cap = cap;
	}
	if ((inv->names[inv->nnames] = strdup(name)) == NULL)
		return VIGIL_ERR_NOMEM;
	inv->nnames++;
	return 0;
}

int
compliance_inv_read(struct store *st, const char *unit, struct compliance_inv *inv)
{
	int64_t declared = 0;
	int listed = 0, rc;

	memset(inv, 0, sizeof(*inv));
	if (unit == NULL || unit[0] == '\0')
		return 0;
	if ((rc = store_inventory_get(st, unit, &declared, &listed)) != 0)
		return rc == VIGIL_ERR_NOTFOUND ? 0 : rc;
	inv->declared = declared;
	inv->listed = listed;
	if (listed && (rc = store_inventory_pcs(st, unit, take_name, inv)) != 0 &&
	    !inv->truncated)
		return rc;
	return 0;
}

void
compliance_inv_free(struct compliance_inv *inv)
{
	if (inv == NULL)
		return;
	for (size_t i = 0; i < inv->nnames; i++)
		free(inv->names[i]);
	free(inv->names);
	memset(inv, 0, sizeof(*inv));
}
