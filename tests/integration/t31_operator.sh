# The operator's afternoon (issue 16, point 2) with the real collector and agent:
#   - every action's reply names the action, the incident and the result
#     ("Note added to incident N."), and `incident escalate N L` says who is
#     notified, by name and channel;
#   - one exit code per kind of mistake: a value the collector finds wrong
#     (a level no chain has) is a usage error (2), as one vigilctl finds;
#   - `escalation test --json` gives structured steps;
#   - events and incidents are found by an event field (--field src_ip=…) and
#     by text (--grep, accents folded);
#   - `--follow` prints what arrives after it started, and ends on SIGINT.
. "$(dirname "$0")/lib.sh"

need sqlite3
R="$TOP/tests/integration/receivers"
pki_setup pc-01

cat >"$T/escalation.conf" <<EOF
[contact it-officer]
name = IT officer
command = /bin/sh $R/exec_sink.sh write $T/it.json
language = en

[contact head-of-unit]
name = Trưởng phòng
command = /bin/sh $R/exec_sink.sh write $T/head.json
language = vi

[chain default]
level1 = it-officer
level1_wait = 1h
level2 = head-of-unit

[route default]
min_severity = medium
chain = default
group_by = incident
group_wait = 0s
EOF
write_collector_conf 0 "escalation = $T/escalation.conf"
start_collector
: >"$T/pc-01.log"
write_agent_conf pc-01 "$PORT" "$T/pc-01.log"
start_agent pc-01
wait_for 20 "the agent to say hello" grep -q "says hello" "$T/collector.1.log"

ctl() { "$BUILD/vigilctl" "$@"; }

# ---- a brute force from 203.0.113.7 opens an incident ------------------------------------
i=1
while [ $i -le 5 ]; do
	echo "Nov 25 10:00:0$i pc sshd[100$i]: Failed password for nguyen from 203.0.113.7 port 5000$i ssh2" >>"$T/pc-01.log"
	i=$((i + 1))
done
incident_open() { [ -n "$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce'")" ]; }
wait_for 20 "the brute-force incident" incident_open
A=$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce';")
wait_for 20 "the IT officer's notification" test -s "$T/it.json"

# ---- replies say what happened ------------------------------------------------------------
out=$(ctl incident note "$A" "called the IT officer") || fail "incident note failed"
[ "$out" = "Note added to incident $A." ] || fail "incident note answered: $out"
out=$(ctl incident ack "$A") || fail "incident ack failed"
[ "$out" = "Incident $A acknowledged; it is now acknowledged." ] || fail "incident ack answered: $out"
out=$(ctl incident assign "$A" thanh) || fail "incident assign failed"
[ "$out" = "Incident $A assigned to thanh; it is now in_progress." ] || fail "incident assign answered: $out"
out=$(ctl incident escalate "$A" 2) || fail "incident escalate failed"
echo "$out" | head -n 1 | grep -qx "Incident $A escalated to level 2; 1 contact is being notified:" ||
	fail "incident escalate answered: $out"
echo "$out" | grep -qx "  Trưởng phòng (head-of-unit) by command" || fail "incident escalate does not say who: $out"
ctl --json incident escalate "$A" 1 | grep -q '"type":"notified","level":1,"route":"default","contact":"it-officer","name":"IT officer","channels":"command"' ||
	fail "incident escalate --json lacks the notified contact: $(ctl --json incident escalate "$A" 1)"
wait_for 20 "the head of unit's notification" test -s "$T/head.json"
out=$(LANGUAGE=vi ctl incident note "$A" "đã gọi") || fail "incident note (vi) failed"
[ "$out" = "Đã thêm ghi chú vào sự cố $A." ] || fail "incident note in Vietnamese answered: $out"
out=$(ctl incident resolve "$A" --as benign) || fail "incident resolve failed"
[ "$out" = "Incident $A resolved as benign; it is now resolved." ] || fail "incident resolve answered: $out"
out=$(ctl incident reopen "$A") || fail "incident reopen failed"
[ "$out" = "Incident $A reopened; it is now new." ] || fail "incident reopen answered: $out"

# ---- one exit code per kind of mistake ----------------------------------------------------
# exit_is CODE ARGS...: vigilctl ARGS exits with CODE.
exit_is() {
	_want=$1
	shift
	_rc=0
	ctl "$@" >"$T/out.txt" 2>"$T/err.txt" || _rc=$?
	[ "$_rc" = "$_want" ] || fail "vigilctl $* exited $_rc, expected $_want: $(cat "$T/err.txt")"
}
exit_is 2 incident escalate "$A" 9         # vigilctl knows no chain has 9 levels
exit_is 2 incident escalate "$A" 3         # only the collector knows this chain has 2
grep -q "no escalation chain of incident $A has level 3" "$T/err.txt" || fail "the level error: $(cat "$T/err.txt")"
grep -q 'try "vigilctl incident --help"' "$T/err.txt" || fail "the collector's usage error has no hint: $(cat "$T/err.txt")"
exit_is 1 incident ack 999999              # no such incident: refused, not misused
exit_is 2 events --severity loud
exit_is 3 -s "$T/nowhere.sock" status

# ---- escalation test --json: structured steps ---------------------------------------------
ctl --json escalation test --category attack --severity high >"$T/explain.json" || fail "escalation test --json failed"
grep -q '^{"type":"step","after_s":0,.*"level":1,"repeat":0,"contact":"it-officer","name":"IT officer","channel":"command"' "$T/explain.json" ||
	fail "escalation test --json has no step for level 1: $(cat "$T/explain.json")"
grep -q '^{"type":"step","after_s":3600,.*"level":2,.*"contact":"head-of-unit"' "$T/explain.json" ||
	fail "escalation test --json has no step for level 2 an hour later: $(cat "$T/explain.json")"
grep -q '^{"type":"summary","routes":1,"steps":2,' "$T/explain.json" || fail "escalation test --json has no summary: $(cat "$T/explain.json")"

pass "replies name action, incident and result (who was notified), exit codes, structured escalation test"
