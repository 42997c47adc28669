# The collector's CA rotation (issue 15). Two enrolled agents; pc-b is stopped.
# `vigilctl pki rotate` makes a new CA: pc-a, live, is pushed the bundle (old
# and new CA), keeps it as its CA file and renews onto the new CA at once.
# --finish is refused while pc-b, stopped, still holds an old-CA certificate;
# pc-b started again gets the bundle in its Welcome and renews; status counts
# them; --finish then makes the new CA the only one (ca.crt.old kept). After a
# collector restart (its server certificate now from the new CA; an earlier restart
# during the overlap keeps it) both agents
# still deliver every event exactly once. A PC holding only the old CA is
# refused with a plain message. Every step is in the audit trail.
. "$(dirname "$0")/lib.sh"
need openssl

start_enrolling_collector
TOK=$(enroll_token phuong-7 --uses 2)

for pc in pc-a pc-b; do
	write_agent_conf "$pc" "$PORT" "$T/auth-$pc.log"
	sed -i -e "s|^ca = .*|ca = $T/$pc/ca.crt|" -e "s|^cert = .*|cert = $T/$pc/agent.crt|" \
	    -e "s|^key = .*|key = $T/$pc/agent.key|" "$T/$pc/agent.conf"
	: >"$T/auth-$pc.log"
	"$BUILD/vigil-agent" -f "$T/$pc/agent.conf" --enroll "127.0.0.1:$EPORT" --token "$TOK" \
	    >"$T/enrol-$pc.out" 2>&1 || fail "enrolment of $pc failed: $(cat "$T/enrol-$pc.out")"
done
A=$(sed -n 's/^Enrolled as \([^ ]*\) in.*/\1/p' "$T/enrol-pc-a.out")
B=$(sed -n 's/^Enrolled as \([^ ]*\) in.*/\1/p' "$T/enrol-pc-b.out")
# A copy of pc-a as it is now: the old CA only, an old-CA certificate.
cp -r "$T/pc-a" "$T/pc-old"
sed -i "s|$T/pc-a|$T/pc-old|g" "$T/pc-old/agent.conf"

start_agent pc-a
A_PID=$AGENT_PID
start_agent pc-b
B_PID=$AGENT_PID
gen_lines 1 200 >>"$T/auth-pc-a.log"
gen_lines 1 200 >>"$T/auth-pc-b.log"
wait_for 30 "pc-a's first events" count_is "$A" 10
wait_for 30 "pc-b's first events" count_is "$B" 10
stop_pid "$B_PID"

status() {
	"$BUILD/vigilctl" --json pki rotate status >"$T/status.json" || fail "pki rotate status failed"
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(j["agents_old_ca"], j["agents_new_ca"], j["agents_with_bundle"])' "$T/status.json"
}
renewed() {
	[ "$(grep -c "The certificate was renewed" "$T/agent-$1.log")" -ge 1 ]
}
from_new_ca() {
	openssl verify -CAfile "$T/pki/$2" "$T/$1/agent.crt" >/dev/null 2>&1
}

"$BUILD/vigilctl" pki rotate --overlap 7d >"$T/rotate.out" || fail "pki rotate failed: $(cat "$T/rotate.out")"
[ -s "$T/pki/ca.crt.next" ] && [ "$(stat -c %a "$T/pki/ca.key.next")" = 600 ] ||
	fail "no new CA beside the old one (ca.crt.next, ca.key.next 0600)"
grep -q "started" "$T/pki/ca.crt.rotation" || fail "no rotation state beside ca.crt"
wait_for 30 "pc-a to renew onto the new CA" renewed pc-a
from_new_ca pc-a ca.crt.next || fail "pc-a's renewed certificate is not from the new CA"
[ "$(grep -c "BEGIN CERTIFICATE" "$T/pc-a/ca.crt")" = 2 ] || fail "pc-a's CA file is not the bundle"
[ "$(stat -c %a "$T/pc-a/ca.crt")" = 644 ] || fail "pc-a's CA bundle is not 0644"
[ "$(status)" = "1 1 1" ] || fail "status says old/new/bundle $(status), not 1 1 1"
# A backup during the overlap holds the rotation's files too.
"$BUILD/vigilctl" backup "$T/bk" >/dev/null || fail "backup failed"
for f in ca.crt.next ca.key.next collector.crt.next ca.crt.rotation; do
	[ -s "$T/bk/pki/$f" ] || fail "the backup has no $f"
done
[ "$(stat -c %a "$T/bk/pki/ca.key.next")" = 600 ] || fail "the backup's ca.key.next is not 0600"
# A restart keeps the overlap: both CAs trusted, the state read back.
stop_pid "$COLL_PID"
start_collector
grep -q "A CA rotation is under way" "$T/collector.2.log" || fail "the restart forgot the rotation"
[ "$(status)" = "1 1 1" ] || fail "after a restart, status says $(status), not 1 1 1"
wait_for 30 "pc-a back with its new-CA certificate" grep -q "Agent $A (version" "$T/collector.2.log"

# pc-b, stopped, is still on the old CA: no finish without --force.
if "$BUILD/vigilctl" pki rotate --finish >"$T/finish1.out" 2>&1; then
	fail "the rotation was finished while pc-b holds an old-CA certificate"
fi
grep -q "1 agents still hold a certificate from the old CA (the first is $B)" "$T/finish1.out" ||
	fail "the refusal does not say why: $(cat "$T/finish1.out")"

# Started again during the overlap, pc-b gets the bundle in its Welcome and renews.
gen_lines 201 400 >>"$T/auth-pc-a.log"
gen_lines 201 400 >>"$T/auth-pc-b.log"
start_agent pc-b
B_PID=$AGENT_PID
wait_for 30 "pc-b to renew onto the new CA" renewed pc-b
from_new_ca pc-b ca.crt.next || fail "pc-b's renewed certificate is not from the new CA"
[ "$(status)" = "0 2 2" ] || fail "status says old/new/bundle $(status), not 0 2 2"
"$BUILD/vigilctl" pki rotate --finish >"$T/finish2.out" 2>&1 || fail "--finish failed: $(cat "$T/finish2.out")"
[ -s "$T/pki/ca.crt.old" ] && [ ! -e "$T/pki/ca.crt.next" ] && [ ! -e "$T/pki/ca.crt.rotation" ] ||
	fail "after --finish: ca.crt.old missing, or .next or the state left behind"
from_new_ca pc-a ca.crt || fail "ca.crt is not the new CA after --finish"
"$BUILD/vigilctl" --json pki rotate status | grep -q '"state":"none"' || fail "a rotation is still shown"

# A restart: the server certificate is the new CA's; both agents come back.
stop_pid "$COLL_PID"
gen_lines 401 600 >>"$T/auth-pc-a.log"
gen_lines 401 600 >>"$T/auth-pc-b.log"
start_collector
openssl x509 -in "$T/pki/collector.crt" -noout -issuer | grep -q "Vigil CA 20" ||
	fail "the collector's certificate is not from the new CA"
wait_for 30 "pc-a's events after the restart" count_is "$A" 30
wait_for 30 "pc-b's events after the restart" count_is "$B" 30
check_exact "$A" 1 600
check_exact "$B" 1 600

# A PC that trusts only the old CA (it missed the overlap) is refused, in words.
start_agent pc-old
OLD_PID=$AGENT_PID
wait_for 20 "the old PC to be refused" grep -q "enrol it again with a new token" "$T/agent-pc-old.log"
stop_pid "$OLD_PID"

for act in pki-rotate pki-rotate-finish-refused pki-rotate-finish; do
	[ "$(db "select count(*) from audit where action = '$act';")" -ge 1 ] ||
		fail "no audit record $act"
done
stop_pid "$A_PID"
stop_pid "$B_PID"
pass "both agents renewed onto the new CA (one pushed, one at its Welcome), finish refused then done, 600 lines each exactly once after a restart, an old-CA PC refused in words"
