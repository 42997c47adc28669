/*
 * vigilctl pki rotate (issue 15): the collector's CA rotation, through the
 * collector (pki_rotate.h says how it works):
 *
 *   pki rotate [--overlap DURATION]    begin: a new CA, both trusted
 *   pki rotate status                  how many agents are on which CA
 *   pki rotate --finish [--force]      the new CA becomes the only one
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "vigil/text.h"

#include "vigilctl.h"

/* What the agents' numbers mean, in a sentence after the table. */
static void
explain(const struct json_object *t)
{
	const char *old = val(t, "agents_old_ca");

	if (strcmp(val(t, "state"), "rotating") != 0) {
		puts(_("No CA rotation is under way."));
		return;
	}
	if (strcmp(old, "0") == 0)
		puts(_("Every agent holds a certificate from the new CA: finish with "
		       "\"vigilctl pki rotate --finish\"."));
	else
		printf(_("%s agents still hold a certificate from the old CA; each renews the next "
		         "time it connects. Finish when none is left.\n"), old);
	if (strcmp(val(t, "overlap_over"), "true") == 0)
		puts(_("The planned overlap has ended."));
}

int
pki_rotate_run(struct opts *o, int argc, char **argv, long long overlap_ms, int finish,
    int force)
{
	struct request req = {.len = 0};
	struct reply r = {0};
	int status = optind + 1 < argc && strcmp(argv[optind + 1], "status") == 0;

	if (optind + 1 + status != argc)
		usage_error(_("usage: pki rotate [--overlap DURATION] | pki rotate status | pki "
		            "rotate --finish [--force]"));
	if (force && !finish)
		usage_error(_("--force goes with pki rotate --finish only."));
	if ((status || finish) && overlap_ms > 0)
		usage_error(_("--overlap goes with the start of a rotation only."));
	if (status && finish)
		usage_error(_("pki rotate status takes no --finish."));
	if (status)
		req_add(&req, NULL, "pki-rotate-status");
	else if (finish) {
		req_add(&req, NULL, "pki-rotate-finish");
		if (force)
			req_add_ll(&req, "force", 1);
	} else {
		req_add(&req, NULL, "pki-rotate");
		if (overlap_ms > 0)
			req_add_ll(&req, "overlap", overlap_ms / 1000);
	}
	talk(o, &req, &r);
	if (!o->json && r.n > 0) {
		print_kv(r.obj[0]);
		putchar('\n');
		if (finish)
			puts(_("The new CA is the only one now; the old files are kept as .old."));
		else
			explain(r.obj[0]);
	}
	reply_free(&r);
	return 0;
}
