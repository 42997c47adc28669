#!/bin/sh
# From a log line to the notifier, at idle (issue 11): one agent follows a log
# file and a real collector routes each incident at once (group_wait 0s) to a
# webhook on 127.0.0.1. tests/bench/latency.py appends one line (each a new
# incident: one rule per sample), takes the time, and takes it again when the
# webhook's POST arrives in the same process, so one clock measures both ends.
# Samples are LATENCY_GAP apart, so each incident is alone ("idle"); then a
# flood: LATENCY_FLOOD incidents at once, the time until the last is notified.
#
#   BUILD=DIR sh tests/bench/latency.sh
#
# Environment: LATENCY_SAMPLES (default 60), LATENCY_GAP seconds (default 0.3),
# LATENCY_FLOOD (default 50; 0: skip).
. "$(dirname "$0")/../integration/lib.sh"

SAMPLES=${LATENCY_SAMPLES:-60}
FLOOD=${LATENCY_FLOOD:-50}
PY=/usr/bin/python3

pki_setup lat-01
HOOK_PORT=$(free_port)
mkdir -p "$T/rules"
n=1
while [ $n -le $((SAMPLES + FLOOD)) ]; do
	printf '[rule bench.latency%d]\ndescription = bench sample %d\nprefilter = LATENCY\npattern = ^LATENCY %d$\ncategory = attack\nseverity = high\nsummary = latency sample %d\n\n' \
		"$n" "$n" "$n" "$n" >>"$T/rules/latency.rules"
	n=$((n + 1))
done
cat >"$T/escalation.conf" <<EOC
[contact bench]
name = Bench
webhook = https://127.0.0.1:$HOOK_PORT/hook
language = en
# Every incident is a sample: no noise budget (budget.h) for the bench.
max_per_hour = 0

[chain default]
level1 = bench

[route default]
min_severity = low
chain = default
group_by = incident
group_wait = 0s
EOC
write_collector_conf 0 "escalation = $T/escalation.conf

[notify]
webhook_ca = $T/pki/ca.crt
timeout = 5s"
start_collector
: >"$T/lat.log"
write_agent_conf lat-01 "$PORT" "$T/lat.log"
sed -i "s|^unit = test-unit|unit = test-unit\nlocal_rules_dir = $T/rules|" "$T/lat-01/agent.conf"
start_agent lat-01
wait_for 20 "the agent to say hello" grep -q "says hello" "$T/collector.$COLL_STARTS.log"
"$PY" "$TOP/tests/bench/latency.py" --port "$HOOK_PORT" --log "$T/lat.log" \
	--cert "$T/pki/collector.crt" --key "$T/pki/collector.key" \
	--samples "$SAMPLES" --gap "${LATENCY_GAP:-0.3}" --flood "$FLOOD" ||
	fail "the latency driver failed"
