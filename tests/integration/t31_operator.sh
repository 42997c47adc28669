# The operator's afternoon (issue 16, point 2) with the real collector and agent:
#   - every action's reply names the action, the incident and the result
#     ("Note added to incident N."), and `incident escalate N L` says who is
#     notified, by name and channel;
#   - one exit code per kind of mistake: a value the collector finds wrong
#     (a level no chain has) is a usage error (2), as one vigilctl finds;
#   - `escalation test --json` gives structured steps;
#   - events and incidents are found by an event field (--field src_ip=…) and
#     by text (--grep, accents folded);
#   - `--follow` prints what arrives after it started (incidents: new ones and
#     changes of state of any, as kubectl get -w), and ends on SIGINT.
. "$(dirname "$0")/lib.sh"

need sqlite3
pki_setup pc-01

{
	esc_contact it-officer "IT officer" en "$(esc_sink "$T/it.json")"
	esc_contact head-of-unit "Trưởng phòng" vi "$(esc_sink "$T/head.json")"
	esc_chain 1h it-officer head-of-unit
	esc_route_default
} >"$T/escalation.conf"
write_collector_conf 0 "escalation = $T/escalation.conf"
start_collector
: >"$T/pc-01.log"
write_agent_conf pc-01 "$PORT" "$T/pc-01.log"
start_agent pc-01
wait_for 20 "the agent to say hello" grep -q "says hello" "$T/collector.1.log"

ctl() { "$BUILD/vigilctl" "$@"; }

# ---- a brute force from 203.0.113.7 opens an incident ------------------------------------
brute_force "$T/pc-01.log"
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

# ---- find by address or text --------------------------------------------------------------
n=$(db "SELECT count(*) FROM events WHERE json_extract(fields, '\$.src_ip') = '203.0.113.7';")
[ "$n" -ge 6 ] || fail "expected 5 failures and the brute force from 203.0.113.7, the store has $n"
echo "Nov 25 10:00:09 pc sshd[1009]: Failed password for le from 198.51.100.20 port 50009 ssh2" >>"$T/pc-01.log"
other_stored() { [ "$(db "SELECT count(*) FROM events WHERE json_extract(fields, '\$.src_ip') = '198.51.100.20';")" = 1 ]; }
wait_for 20 "the failure from 198.51.100.20" other_stored
[ "$(ctl --json events --field src_ip=203.0.113.7 | grep -c .)" = "$n" ] ||
	fail "events --field src_ip=203.0.113.7 printed $(ctl --json events --field src_ip=203.0.113.7 | grep -c .) events, expected $n"
ctl --json events --field src_ip=203.0.113.7 | grep -q 198.51.100.20 && fail "events --field lists another address"
[ "$(ctl --json events --field src_ip=192.0.2.1 | grep -c .)" = 0 ] || fail "events --field lists events of an address never seen"
# Accents folded both ways: "Nguyễn" finds the user nguyen, "LE" finds le.
[ "$(ctl --json events --grep "Nguyễn" | grep -c .)" = 5 ] || fail "events --grep Nguyễn: $(ctl --json events --grep "Nguyễn")"
[ "$(ctl --json events --grep "for LE from" | grep -c .)" = 1 ] || fail "events --grep is not case-blind"
exit_is 2 events --field src_ip
exit_is 2 events --field "bad key=1"
# An incident matches through its events; --host is the machine, not an address.
ctl --json incidents --all --field src_ip=203.0.113.7 | grep -q "\"id\":$A," || fail "incidents --field src_ip does not find incident $A"
[ "$(ctl --json incidents --all --field src_ip=198.51.100.99 | grep -c .)" = 0 ] || fail "incidents --field finds an incident of another address"
ctl --json incidents --all --grep "ssh BRUTE" | grep -q "\"id\":$A," || fail "incidents --grep does not find the title"
echo "Nov 25 10:00:20 pc useradd[3001]: new user: name=trần, UID=4242, GID=4242, home=/home/tran, shell=/bin/bash, from=/dev/pts/0" >>"$T/pc-01.log"
user_incident() { [ -n "$(db "SELECT id FROM incidents WHERE rule = 'account.useradd'")" ]; }
wait_for 20 "the new-account incident" user_incident
U=$(db "SELECT id FROM incidents WHERE rule = 'account.useradd';")
ctl --json incidents --grep "TRAN" | grep -q "\"id\":$U," || fail "incidents --grep TRAN does not find the title with trần"
# 4242 is in its event's fields only, not in its title.
[ "$(ctl --json incidents --grep 4242 | grep -o '"id":[0-9]*')" = "\"id\":$U" ] || fail "incidents --grep does not look into its events' fields: $(ctl --json incidents --grep 4242)"
[ "$(ctl incidents --all --host 203.0.113.7)" = "No incidents match." ] || fail "incidents --host matched an address"

# ---- --follow --------------------------------------------------------------------------------
# vigilctl itself in the background (not the ctl function: a subshell would take the SIGINT).
"$BUILD/vigilctl" events --follow --field src_ip=192.0.2.44 >"$T/follow.txt" 2>"$T/follow.err" &
FPID=$!
PIDS="$PIDS $FPID"
"$BUILD/vigilctl" --json incidents --follow >"$T/follow-inc.json" 2>"$T/follow-inc.err" &
IPID=$!
PIDS="$PIDS $IPID"
wait_for 10 "incidents --follow to list the open queue" grep -q "\"id\":$A," "$T/follow-inc.json"
i=1
while [ $i -le 5 ]; do
	echo "Nov 25 10:01:0$i pc sshd[200$i]: Failed password for root from 192.0.2.44 port 5100$i ssh2" >>"$T/pc-01.log"
	i=$((i + 1))
done
followed() { [ "$(grep -c "192.0.2.44" "$T/follow.txt")" -ge 5 ]; }
wait_for 20 "events --follow to print the new failures" followed
[ "$(grep -c '^TIME' "$T/follow.txt")" = 1 ] || fail "events --follow printed its heading more than once: $(cat "$T/follow.txt")"
# (those join the open brute-force incident of pc-01: one incident per machine and rule)
echo "Nov 25 10:01:10 pc userdel[3002]: delete user 'pham'" >>"$T/pc-01.log"
wait_for 20 "incidents --follow to print the new incident" grep -q '"title":"User account pham deleted"' "$T/follow-inc.json"
# (new events of incident A are no change of its state: it is not listed again)
[ "$(grep -c "\"id\":$A," "$T/follow-inc.json")" = 1 ] || fail "incidents --follow printed incident $A twice"
# A change of state of a listed incident is listed, as kubectl get -w does, even one that
# takes it out of the open queue followed.
D=$(db "SELECT id FROM incidents WHERE title = 'User account pham deleted';")
ctl incident assign "$D" nam >/dev/null || fail "incident assign failed"
ctl incident resolve "$D" --as benign >/dev/null || fail "incident resolve failed"
resolved_listed() { grep "\"id\":$D," "$T/follow-inc.json" | grep -q '"status":"resolved"'; }
wait_for 10 "incidents --follow to list incident $D resolved" resolved_listed
grep "\"id\":$D," "$T/follow-inc.json" | grep -q '"assignee":"nam"' ||
	fail "incidents --follow did not list incident $D assigned: $(cat "$T/follow-inc.json")"
grep -q '"type":"cursor"' "$T/follow-inc.json" && fail "incidents --follow --json printed its cursor"
kill -INT "$FPID" "$IPID"
frc=0
wait "$FPID" || frc=$?
[ "$frc" = 0 ] || fail "events --follow exited $frc on SIGINT: $(cat "$T/follow.err")"
frc=0
wait "$IPID" || frc=$?
[ "$frc" = 0 ] || fail "incidents --follow exited $frc on SIGINT: $(cat "$T/follow-inc.err")"
# The reader goes away: --follow ends cleanly at its next write.
ctl --json events --follow | head -n 1 >/dev/null || fail "events --follow | head failed"

pass "replies name action, incident and result (who was notified), exit codes, structured escalation test, --field/--grep (folded), --follow"
