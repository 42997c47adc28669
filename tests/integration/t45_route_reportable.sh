# A route starts the deadlines (issue 17): the escalation file's route for
# data leaks says reportable = breach,notice, so a data-leak event from a
# real agent opens an incident that owes the 72-hour personal-data breach
# notice and the 5-day incident notice at once, made by "route data-leak"
# (not by [report] breach_categories, set to another category here) and
# audited; an attack through a route without the key owes nothing. A bad
# kind in the file is refused with file:line.
. "$(dirname "$0")/lib.sh"

pki_setup pc-01
R="$TOP/tests/integration/receivers"
cat >"$T/escalation.conf" <<EOF
[contact it-officer]
command = /bin/sh $R/exec_sink.sh write $T/told.json

[contact ward-police]
command = /bin/sh $R/exec_sink.sh write $T/police.json

[chain default]
level1 = it-officer

[route data-leak]
category = data_leak
min_severity = low
notify_now = ward-police
reportable = breach,notice
continue = yes
group_by = incident
group_wait = 0s

[route default]
min_severity = low
chain = default
group_by = incident
group_wait = 0s
EOF
write_collector_conf 0 "escalation = $T/escalation.conf

[report]
holidays = $BUILD/reports/holidays.conf
breach_categories = fraud"
"$BUILD/vigil-collector" -n -f "$T/collector.conf" || fail "the configuration does not load"

# A kind that is no report of an incident: file:line.
sed "s|^reportable = .*|reportable = breach,halfyear|" "$T/escalation.conf" >"$T/bad-escalation.conf"
sed "s|^escalation = .*|escalation = $T/bad-escalation.conf|" "$T/collector.conf" >"$T/bad.conf"
out=$("$BUILD/vigil-collector" -n -f "$T/bad.conf" 2>&1) && fail "reportable = breach,halfyear was accepted"
line=$(grep -n "^reportable" "$T/bad-escalation.conf" | cut -d: -f1)
echo "$out" | grep -q "$T/bad-escalation.conf:$line: .*halfyear" ||
	fail "the error does not say file:line: $out"

start_collector
mkdir -p "$T/rules"
cat >"$T/rules/leak.rules" <<'EOF'
[rule test.data_leak]
description = A test line standing for personal data copied out of the unit
prefilter = EXFIL
pattern = ^EXFIL (?<path>\S+)$
category = data_leak
severity = high
summary = Data copied out: {path}

[rule test.attack]
description = A test line standing for an attack
prefilter = ATTACK
pattern = ^ATTACK (?<what>\S+)$
category = attack
severity = high
summary = Attack: {what}
EOF
: >"$T/pc-01.log"
write_agent_conf pc-01 "$PORT" "$T/pc-01.log"
sed -i "s|^unit = test-unit|unit = test-unit\nlocal_rules_dir = $T/rules|" "$T/pc-01/agent.conf"
start_agent pc-01
wait_for 20 "the agent to say hello" grep -q "says hello" "$T/collector.1.log"
echo "ATTACK portscan" >>"$T/pc-01.log"
echo "EXFIL /media/usb/danh-sach-cong-dan.xlsx" >>"$T/pc-01.log"
wait_for 20 "the two incidents" sh -c "[ \$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"select count(*) from incidents where rule in ('test.data_leak', 'test.attack')\") = 2 ]"
LEAK=$(db "select id from incidents where rule = 'test.data_leak'")
ATTACK=$(db "select id from incidents where rule = 'test.attack'")

owed() {
	[ "$(db "select count(*) from report_deadlines where incident_id = $LEAK and created_by = 'route data-leak'")" = 2 ]
}
wait_for 20 "the route to start the leak's deadlines" owed
# 72 hours from the first event, by the route, audited by it.
due=$(db "select d.due_us - i.first_seen from report_deadlines d join incidents i on i.id = d.incident_id where d.incident_id = $LEAK and d.kind = 'breach'")
[ "$due" = 259200000000 ] || fail "the breach deadline is not 72 hours from the first event: $due us"
[ "$(db "select count(*) from report_deadlines where incident_id = $LEAK and kind = 'notice'")" = 1 ] ||
	fail "no notice deadline"
[ "$(db "select count(*) from audit where incident = $LEAK and action = 'reportable' and actor = 'route data-leak'")" = 2 ] ||
	fail "the deadlines are not audited by the route"
"$BUILD/vigilctl" incident show "$LEAK" >"$T/show.txt"
grep -q "breach due" "$T/show.txt" && grep -q "notice due" "$T/show.txt" ||
	fail "incident show has no deadlines: $(cat "$T/show.txt")"
# The attack's route owes nothing.
[ "$(db "select count(*) from report_deadlines where incident_id = $ATTACK")" = 0 ] ||
	fail "an incident of a route without reportable has deadlines"
"$BUILD/vigilctl" audit verify >/dev/null || fail "the audit chain does not verify"
pass "a data leak through a reportable route owes its 72-hour breach notice and its notice"
