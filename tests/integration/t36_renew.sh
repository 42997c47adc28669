# Renewal by the collector's clock (issue 15). An enrolled agent whose clock
# is a year ahead (VIGIL_TEST_CLOCK_OFFSET, the agent's test-only clock)
# renews its certificate over its live session at two thirds of a shortened
# lifetime (30 s here), measured by the collector's time from the Welcome,
# not at once as its own clock would have it; events flow throughout. After
# the old certificate has expired, the collector restarts and the agent comes
# back with the renewed one. Every event is stored exactly once. The same
# year-off clock at enrolment is refused as clock skew, in those words.
. "$(dirname "$0")/lib.sh"
need openssl

start_enrolling_collector "agent_cert_lifetime = 30s"
YEAR=31536000

write_agent_conf pc "$PORT" "$T/auth.log"
sed -i -e "s|^ca = .*|ca = $T/pc/ca.crt|" -e "s|^cert = .*|cert = $T/pc/agent.crt|" \
    -e "s|^key = .*|key = $T/pc/agent.key|" "$T/pc/agent.conf"
: >"$T/auth.log"
"$BUILD/vigilctl" --json enroll create --unit phuong-7 --uses 2 >"$T/tok.json" || fail "enroll create failed"
TOK=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' "$T/tok.json")

# A year off at enrolment: refused, in words.
if VIGIL_TEST_CLOCK_OFFSET=$YEAR "$BUILD/vigil-agent" -f "$T/pc/agent.conf" \
    --enroll "127.0.0.1:$EPORT" --token "$TOK" >"$T/enrol1.out" 2>&1; then
	fail "a PC a year ahead was enrolled"
fi
grep -q "Clock skew" "$T/enrol1.out" || fail "the refusal does not say clock skew: $(cat "$T/enrol1.out")"
grep -q "525600 minutes ahead of" "$T/enrol1.out" || fail "the refusal does not say how far: $(cat "$T/enrol1.out")"
"$BUILD/vigil-agent" -f "$T/pc/agent.conf" --enroll "127.0.0.1:$EPORT" --token "$TOK" \
    >"$T/enrol2.out" 2>&1 || fail "enrolment failed: $(cat "$T/enrol2.out")"
ID=$(sed -n 's/^Enrolled as \([^ ]*\) in.*/\1/p' "$T/enrol2.out")
SERIAL0=$(openssl x509 -in "$T/pc/agent.crt" -noout -serial)
cp "$T/pc/agent.crt" "$T/first.crt"

# The agent runs a year ahead.
START=$(date +%s)
VIGIL_TEST_CLOCK_OFFSET=$YEAR "$BUILD/vigil-agent" -d -f "$T/pc/agent.conf" >>"$T/agent-pc.log" 2>&1 &
AGENT_PID=$!
PIDS="$PIDS $AGENT_PID"
wait_for 20 "the agent to start" grep -q "starting" "$T/agent-pc.log"
gen_lines 1 400 >>"$T/auth.log"
wait_for 30 "the first 20 events" count_is "$ID" 20
renewed() {
	[ "$(grep -c "The certificate was renewed" "$T/agent-pc.log")" -ge "$1" ]
}
gen_lines 401 800 >>"$T/auth.log"
wait_for 40 "the first renewal" renewed 1
AT=$(($(date +%s) - START))
# Two thirds of 30 s (less a tenth kept for the collector's clock): about 19 s after
# the enrolment, not at once as a clock a year ahead would say.
[ "$AT" -ge 12 ] || fail "renewed ${AT}s after the start: by the agent's own clock"
[ "$(openssl x509 -in "$T/pc/agent.crt" -noout -serial)" != "$SERIAL0" ] ||
	fail "the certificate on disk did not change"
[ "$(stat -c %a "$T/pc/agent.key")" = 600 ] || fail "the renewed key is not 0600"
[ "$(openssl x509 -in "$T/pc/agent.crt" -noout -pubkey)" = \
    "$(openssl pkey -in "$T/pc/agent.key" -pubout)" ] || fail "the renewed certificate is not for the key on disk"
openssl x509 -in "$T/pc/agent.crt" -noout -subject -nameopt RFC2253 | grep -q "CN=$ID,OU=unit-1" ||
	fail "the renewed certificate lost its identity or unit"
gen_lines 801 1200 >>"$T/auth.log"
wait_for 30 "60 events" count_is "$ID" 60
"$BUILD/vigilctl" --json status | grep -q '"renewals":1,"renewals_refused":0' ||
	fail "the collector counted: $("$BUILD/vigilctl" --json status | grep -o '"renewals[^,]*,[^,]*')"

# The first certificate has expired: a new connection works only with the renewed one.
expired() {
	! openssl x509 -in "$T/first.crt" -noout -checkend 0 >/dev/null
}
wait_for 40 "the first certificate to expire" expired
stop_pid "$COLL_PID"
gen_lines 1201 1600 >>"$T/auth.log"
start_collector
wait_for 30 "the agent back with its renewed certificate" count_is "$ID" 80
grep -q "Agent $ID connected" "$T/collector.2.log" || fail "no connection after the restart"
check_exact "$ID" 1 1600
stop_pid "$AGENT_PID"
pass "renewed ${AT}s after the start (clock a year ahead), back after the old one expired; 80 events exactly once"
