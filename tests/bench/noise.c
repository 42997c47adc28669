/*
 * vigil-noise-bench: messages per contact per week for a typical ward, with
 * and without the noise budget (issue 11), on a month of generated
 * background. It runs the collector's own routing and escalation
 * (escalate.c, with the escalation file given, deploy/escalation.conf.example
 * by default) and the budget (budget.c) on a simulated clock; nothing is
 * sent.
 *
 * The background, for a ward with 40 PCs and one server reachable from the
 * Internet, when nothing real happens (rates per day, from a Poisson-like
 * draw with a fixed seed so that runs compare):
 *   - Internet brute force and scans on the server: 4 attack incidents, 2
 *     of them medium, 2 low;
 *   - failed logins on PCs: 2 low auth incidents;
 *   - unknown USB sticks: 1 medium usb incident on working days;
 *   - machines that stop reporting unexpectedly: 1 low agent incident;
 *   - old antivirus signatures: 1 low malware-category posture incident a
 *     week.
 * Nothing high or critical. The IT officer acknowledges within 5-25 minutes
 * between 07:30 and 17:00 on working days; outside those hours the first
 * acknowledgement comes the next working morning (the chain climbs
 * meanwhile, as it would).
 *
 *   vigil-noise-bench [ESCALATION_FILE] [DAYS] [desk|phone]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil.pb-c.h"

#include "../../collector/budget.h"
#include "../../collector/escalate.h"

#define MIN_US (60LL * 1000000)
#define HOUR_US (60 * MIN_US)
#define DAY_US (24 * HOUR_US)
#define MAX_INC 20000
#define NOTES_MAX 512
/* 2026-11-02 00:00 in Asia/Ho_Chi_Minh (a Monday), as UTC µs. */
#define START_US ((1793552400LL - 7 * 3600) * 1000000)

#define CAT(x) VIGIL__V1__CATEGORY__CATEGORY_##x
#define SEV(x) VIGIL__V1__SEVERITY__SEVERITY_##x

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static double
uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

struct kind {
	const char *rule;
	int category, severity;
	double per_day;
	int working_days_only;
};

static const struct kind kinds[] = {
	{ "ssh.bruteforce", CAT(ATTACK), SEV(MEDIUM), 2, 0 },
	{ "net.scan", CAT(ATTACK), SEV(LOW), 2, 0 },
	{ "auth.failed", CAT(AUTH), SEV(LOW), 2, 0 },
	{ "usb.unknown", CAT(USB), SEV(MEDIUM), 1, 1 },
	{ "agent.silent", CAT(AGENT), SEV(LOW), 1, 0 },
	{ "av.signatures_old", CAT(MALWARE), SEV(LOW), 1.0 / 7, 0 },
};

struct sim_inc {
	struct escalate_state st;
	int64_t ack_us;
};

static int
working(int64_t t)
{
	int64_t local = t + 7 * HOUR_US;
	int dow = (int)((local / DAY_US) % 7);       /* 1970-01-01 was a Thursday: 0 */

	return dow != 2 && dow != 3;                  /* Saturday, Sunday */
}

/*
 * When someone acknowledges an incident created at t. At the desk only (before
 * issue 11): 07:30-17:00 on working days, else the next working morning. By
 * phone (issue 11: a reply to the mail or SMS): 07:00-21:00 every day, else
 * the next morning.
 */
static int64_t
ack_time(int64_t t, int phone)
{
	int64_t local = t + 7 * HOUR_US, day = local - local % DAY_US;
	int64_t from = phone ? 7 * HOUR_US : 7 * HOUR_US + 30 * MIN_US;
	int64_t to = (phone ? 21 : 17) * HOUR_US;
	int64_t delay = (int64_t)((5 + 20 * uniform()) * MIN_US);

	if ((phone || working(t)) && local >= day + from && local < day + to)
		return t + delay;
	if (local >= day + from)
		day += DAY_US;
	while (!phone && !working(day - 7 * HOUR_US + 12 * HOUR_US))
		day += DAY_US;
	return day + from - 7 * HOUR_US + delay;
}

int
main(int argc, char **argv)
{
	const char *file = argc > 1 ? argv[1] : "deploy/escalation.conf.example";
	int days = argc > 2 ? atoi(argv[2]) : 28;
	int phone = argc > 3 && strcmp(argv[3], "phone") == 0;
	struct escalate_conf *c = escalate_conf_new();
	struct sim_inc *inc = calloc(MAX_INC, sizeof(*inc));
	struct escalate_state *states = calloc(MAX_INC, sizeof(*states));
	struct escalate_note *notes = calloc(NOTES_MAX, sizeof(*notes));
	struct budget_ledger *ledgers;
	long long raw[ESC_CONTACTS_MAX] = { 0 }, sent[ESC_CONTACTS_MAX] = { 0 };
	long long digests[ESC_CONTACTS_MAX] = { 0 };
	int64_t last_digest[ESC_CONTACTS_MAX] = { 0 };
	static int64_t held[ESC_CONTACTS_MAX][512], held_at[ESC_CONTACTS_MAX][512];
	size_t nheld[ESC_CONTACTS_MAX] = { 0 };
	size_t n = 0, created = 0;
	char err[512];
	int64_t end, t;

	if (c == NULL || inc == NULL || states == NULL || notes == NULL || days <= 0)
		return 2;
	if (escalate_conf_load(c, file, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-noise-bench: %s\n", err);
		return 1;
	}
	if ((ledgers = calloc(c->ncontacts, sizeof(*ledgers))) == NULL)
		return 2;
	end = START_US + days * DAY_US;
	/* One minute at a time: incidents arrive, acknowledgements come, the timer fires. */
	for (t = START_US; t < end; t += MIN_US) {
		size_t nn = 0;
		int64_t wake = 0;

		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			struct escalate_incident ei;

			if (kinds[k].working_days_only && !working(t))
				continue;
			if (uniform() >= kinds[k].per_day / (24.0 * 60) || n == MAX_INC)
				continue;
			memset(&ei, 0, sizeof(ei));
			ei.id = (int64_t)++created;
			ei.category = kinds[k].category;
			ei.severity = kinds[k].severity;
			ei.unit = "phuong-7";
			ei.host = ei.agent = k < 2 ? "server" : "pc-ketoan";
			ei.rule = kinds[k].rule;
			ei.created_us = t;
			escalate_start(c, &ei, &inc[n].st);
			inc[n].ack_us = ack_time(t, phone);
			n++;
		}
		for (size_t i = 0; i < n; i++) {
			if (inc[i].ack_us != 0 && inc[i].ack_us <= t) {
				escalate_ack(&inc[i].st, t);
				inc[i].ack_us = 0;
			}
			states[i] = inc[i].st;
		}
		escalate_due(c, states, n, t, notes, NOTES_MAX, &nn, &wake);
		for (size_t i = 0; i < n; i++)
			inc[i].st = states[i];
		for (size_t i = 0; i < nn; i++) {
			const struct escalate_contact *p = &c->contacts[notes[i].contact];
			struct budget_conf b = { (int)p->max_per_hour, p->urgent_severity,
			    p->digest_every * 1000, p->digest_min_age * 1000 };
			int sev = 0;

			for (size_t j = 0; j < notes[i].nids; j++)
				for (size_t q = 0; q < n; q++)
					if (inc[q].st.incident == notes[i].ids[j] &&
					    inc[q].st.severity > sev)
						sev = inc[q].st.severity;
			raw[notes[i].contact]++;
			if (budget_decide(&b, &ledgers[notes[i].contact], sev, notes[i].manual, t) ==
			    BUDGET_SEND)
				sent[notes[i].contact]++;
			else {
				size_t k = notes[i].contact;

				if (nheld[k] < 512) {
					held_at[k][nheld[k]] = t;
					held[k][nheld[k]++] = notes[i].ids[0];
				}
			}
		}
		for (size_t k = 0; k < c->ncontacts; k++) {
			const struct escalate_contact *p = &c->contacts[k];
			struct budget_conf b = { (int)p->max_per_hour, p->urgent_severity,
			    p->digest_every * 1000, p->digest_min_age * 1000 };
			size_t keep = 0;
			int listed = 0;

			/* held[] is oldest first: the digest is due after the first one. */
			if (nheld[k] == 0 || budget_digest_next(&b, held_at[k][0], last_digest[k]) > t)
				continue;
			/*
			 * As digest.c: only what nobody has acknowledged yet is worth a message,
			 * and only once it has waited digest_min_age; younger ones wait.
			 */
			for (size_t h = 0; h < nheld[k]; h++) {
				int open = 0;

				for (size_t q = 0; q < n; q++)
					if (inc[q].st.incident == held[k][h] && inc[q].ack_us != 0)
						open = 1;
				if (!open)
					continue;
				if (budget_digest_lists(&b, held_at[k][h], t)) {
					listed = 1;
					continue;
				}
				held[k][keep] = held[k][h];
				held_at[k][keep++] = held_at[k][h];
			}
			nheld[k] = keep;
			if (listed) {
				digests[k]++;
				last_digest[k] = t;
			}
		}
	}
	printf("%d days of background, %zu incidents (%.1f a day), nothing high or critical; "
	    "acknowledged %s; messages per week:\n", days, created, (double)created / days,
	    phone ? "by phone 07:00-21:00 every day" : "at the desk 07:30-17:00 on working days");
	printf("  %-28s %14s %14s %10s\n", "contact", "without budget", "with budget", "of them digests");
	for (size_t k = 0; k < c->ncontacts; k++)
		printf("  %-28s %14.1f %14.1f %10.1f\n", c->contacts[k].label,
		    raw[k] * 7.0 / days, (sent[k] + digests[k]) * 7.0 / days, digests[k] * 7.0 / days);
	free(ledgers);
	free(inc);
	free(states);
	free(notes);
	escalate_conf_free(c);
	return 0;
}
