/*
 * libFuzzer target: the rule engine. An input that starts with '[' is a rule
 * file (the parser, the template and prefilter derivation, PCRE2 compile);
 * any other input is one log line through the syslog header parser and a
 * fixed rule set, whose events must stay within their bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "../../agent/matcher.h"
#include "../../agent/rules.h"
#include "../../agent/syslog.h"

static const char fixed_rules[] =
    "[rule ssh.failed_password]\n"
    "description = A password was refused for an SSH login\n"
    "program = sshd sshd-session\n"
    "pattern = ^Failed password for (?:invalid user )?(?<user>\\S+) from (?<src_ip>\\S+) "
    "port (?<port>\\d+)\n"
    "category = auth\nseverity = low\n"
    "summary = Failed SSH password for {user} from {src_ip} ({program}, {source})\n"
    "[rule ssh.invalid_user]\n"
    "description = Unknown user\nprogram = sshd\n"
    "pattern = ^Invalid user (?<user>.*) from (?<src_ip>\\S+)(?: port (?<port>\\d+))?\n"
    "category = auth\nseverity = low\nsummary = Invalid user {user} from {src_ip}\n"
    "suppress = 10s\nsuppress_by = src_ip user\n"
    "[rule any.text]\n"
    "description = Any program\n"
    "pattern = (?<word>[^ ]{1,8}) (?J)(?<x>a+)|(?<x>b+)\n"
    "category = system\nseverity = info\nsummary = {word} {x} {{}}\n"
    "[rule pam.unknown]\n"
    "description = Unknown user, optional service\n"
    "pattern = ^(?:pam_unix\\((?<service>[^:)]+):auth\\): )?check pass; user unknown\n"
    "category = auth\nseverity = low\nsummary = {service}\n"
    "suppress = 10s\nsuppress_by = service\n"
    "[threshold ssh.bruteforce]\n"
    "description = Brute force\nrules = ssh.failed_password | ssh.invalid_user\n"
    "count = 2\nwindow = 60s\ngroup_by = src_ip\nevent_category = attack\n"
    "severity = high\nsummary = {src_ip}: {count} in {window}\n"
    "[threshold ssh.spray]\n"
    "description = Spraying\nrules = ssh.failed_password ssh.invalid_user\n"
    "count = 3\nwindow = 60s\ngroup_by = src_ip\ndistinct = user\n"
    "event_category = attack\nseverity = high\nsummary = {src_ip}: {count}\n"
    "[threshold any.many]\n"
    "description = Many\ncategory = system\ncount = 3\nwindow = 1s\n"
    "event_category = system\nseverity = low\nsummary = {count}\n";

static void
ignore(void *arg, const char *msg)
{
	(void)arg;
	if (strlen(msg) > 4096)
		__builtin_trap();
}

static void
check_events(const struct match_event *evs, size_t n, const char *lo, const char *hi)
{
	size_t i, k;

	if (n > MATCH_MAX_EVENTS)
		__builtin_trap();
	for (i = 0; i < n; i++) {
		if (evs[i].nfields > MATCH_MAX_FIELDS || strlen(evs[i].summary) > MATCH_MAX_SUMMARY)
			__builtin_trap();
		for (k = 0; k < evs[i].nfields; k++) {
			const char *v = evs[i].fields[k].value;
			size_t len = evs[i].fields[k].len;
			int in_line = v >= lo && v + len <= hi;
			int in_num = v >= evs[i].num && v + len <= evs[i].num + sizeof(evs[i].num);

			/* Else it is in the matcher's UTF-8 copy of the line: no longer than it. */
			if (v == NULL || (!in_line && !in_num && len > (size_t)(hi - lo)))
				__builtin_trap();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct matcher *m;
	static struct match_event evs[MATCH_MAX_EVENTS];
	static int64_t clock;
	struct match_input in;
	struct syslog_line sl;
	struct ruleset *rs;
	struct matcher *mm;

	if (size > 0 && data[0] == '[') {
		if ((rs = rules_new()) == NULL)
			__builtin_trap();
		rules_load_text(rs, "fuzz.rules", (const char *)data, size, 0, ignore, NULL);
		rules_finish(rs, ignore, NULL);
		if ((mm = matcher_new(rs)) == NULL)
			__builtin_trap();
		memset(&in, 0, sizeof(in));
		in.program = "sshd";
		in.program_len = 4;
		in.msg = (const char *)data;
		in.msg_len = size;
		check_events(evs, matcher_match(mm, &in, evs, MATCH_MAX_EVENTS), in.msg,
		    in.msg + size);
		matcher_free(mm);
		return 0;
	}
	if (m == NULL) {
		if ((rs = rules_new()) == NULL)
			__builtin_trap();
		rules_load_text(rs, "fixed.rules", fixed_rules, sizeof(fixed_rules) - 1, 0, ignore,
		    NULL);
		rules_finish(rs, ignore, NULL);
		if (rs->nerrors != 0 || (m = matcher_new(rs)) == NULL)
			__builtin_trap();
	}
	syslog_parse((const char *)data, size, &sl);
	if (sl.msg < (const char *)data || sl.msg + sl.msg_len > (const char *)data + size)
		__builtin_trap();
	memset(&in, 0, sizeof(in));
	in.source = "fuzz";
	in.program = sl.program;
	in.program_len = sl.program_len;
	in.msg = sl.msg;
	in.msg_len = sl.msg_len;
	in.time_us = (clock += 1000000);
	check_events(evs, matcher_match(m, &in, evs, MATCH_MAX_EVENTS), (const char *)data,
	    (const char *)data + size);
	return 0;
}
