# Re-enrolment within the grace period, and a PC whose clock is years off
# (issue 15). An enrolled PC's certificate expires while it is off. Its
# agent then starts with a clock five years behind (VIGIL_TEST_CLOCK_OFFSET,
# the agent's test-only clock, which its TLS check now goes by): by that
# clock the collector's certificate is not yet valid, so before this change
# it never connected. It connects, the collector refuses its expired
# certificate ("certificate expired" alert), the agent re-enrols with its old
# key and no token, and delivers its events under the same identity and unit.
# A stranger's key with the old certificate is refused; past renew_grace the
# refusal says so in plain words, once.
. "$(dirname "$0")/lib.sh"
need openssl

start_enrolling_collector "agent_cert_lifetime = 10s"
BEHIND=-157680000

write_agent_conf pc "$PORT" "$T/auth.log"
sed -i -e "s|^ca = .*|ca = $T/pc/ca.crt|" -e "s|^cert = .*|cert = $T/pc/agent.crt|" \
    -e "s|^key = .*|key = $T/pc/agent.key|" \
    -e "s|^connect_timeout = .*|connect_timeout = 5s\nenroll_port = $EPORT|" "$T/pc/agent.conf"
: >"$T/auth.log"
TOK=$(enroll_token phuong-7)
"$BUILD/vigil-agent" -f "$T/pc/agent.conf" --enroll "127.0.0.1:$EPORT" --token "$TOK" \
    >"$T/enrol.out" 2>&1 || fail "enrolment failed: $(cat "$T/enrol.out")"
ID=$(sed -n 's/^Enrolled as \([^ ]*\) in.*/\1/p' "$T/enrol.out")
[ -n "$ID" ] || fail "no identity: $(cat "$T/enrol.out")"
cp "$T/pc/agent.crt" "$T/first.crt"
KEYSUM=$(sha256sum <"$T/pc/agent.key")
# expired [S]: the first certificate expired more than S seconds ago.
expired() {
	! openssl x509 -in "$T/first.crt" -noout -checkend "-${1:-0}" >/dev/null
}
wait_for 30 "the certificate to expire" expired

# The collector now issues certificates for an hour and re-enrols within one.
stop_pid "$COLL_PID"
collector_set agent_cert_lifetime 1h
collector_set renew_grace 1h
start_collector

# Five years behind, certificate expired: it connects, re-enrols, delivers.
VIGIL_TEST_CLOCK_OFFSET=$BEHIND "$BUILD/vigil-agent" -d -f "$T/pc/agent.conf" \
    >>"$T/agent-pc.log" 2>&1 &
AGENT_PID=$!
PIDS="$PIDS $AGENT_PID"
wait_for 20 "the agent to start" grep -q "starting" "$T/agent-pc.log"
grep -q "clock is -157680000 s off" "$T/agent-pc.log" || fail "the agent's clock is not five years behind"
gen_lines 1 400 >>"$T/auth.log"
wait_for 30 "the re-enrolment" grep -q "Re-enrolled with the old key" "$T/agent-pc.log"
wait_for 30 "20 events under $ID" count_is "$ID" 20
grep -q "Re-enrolled $ID (unit phuong-7)" "$T/collector.2.log" ||
	fail "the collector did not log the re-enrolment of $ID: $(grep -i enrol "$T/collector.2.log")"
[ "$(sha256sum <"$T/pc/agent.key")" = "$KEYSUM" ] || fail "the key was rewritten"
[ "$(stat -c %a "$T/pc/agent.key")" = 600 ] || fail "the key is not 0600"
[ "$(stat -c %a "$T/pc/agent.crt")" = 644 ] || fail "the certificate is not 0644"
openssl x509 -in "$T/pc/agent.crt" -noout -checkend 600 >/dev/null || fail "the new certificate is not valid"
openssl x509 -in "$T/pc/agent.crt" -noout -subject -nameopt RFC2253 | grep -q "CN=$ID,OU=unit-1" ||
	fail "the new certificate lost its identity or unit"
gen_lines 401 800 >>"$T/auth.log"
wait_for 30 "40 events" count_is "$ID" 40
check_exact "$ID" 1 800
"$BUILD/vigilctl" --json status | grep -q '"reenrolments":1,"reenrolments_refused":0' ||
	fail "the collector counted: $("$BUILD/vigilctl" --json status | grep -o '"reenrol[^,]*,[^,]*')"
db "select detail from audit where action = 're-enrol';" | grep -q "agent $ID" ||
	fail "no audit record of the re-enrolment"
stop_pid "$AGENT_PID"

# start_old NAME: an agent in $T/NAME with the expired first certificate, the
# key already in $T/NAME/agent.key, and pc's configuration; its PID in OLD_PID.
start_old() {
	cp "$T/first.crt" "$T/$1/agent.crt"
	cp "$T/pc/ca.crt" "$T/$1/ca.crt"
	sed -e "s|$T/pc/|$T/$1/|g" -e "s|^state_dir = .*|state_dir = $T/$1|" \
	    "$T/pc/agent.conf" >"$T/$1/agent.conf"
	"$BUILD/vigil-agent" -d -f "$T/$1/agent.conf" >"$T/agent-$1.log" 2>&1 &
	OLD_PID=$!
	PIDS="$PIDS $OLD_PID"
}

# A stranger: the old certificate with another key. Refused for the key.
mkdir -p "$T/stranger"
openssl genpkey -algorithm ed25519 -out "$T/stranger/agent.key" 2>/dev/null
start_old stranger
wait_for 30 "the stranger's refusal" grep -q "not signed by the key of the old certificate" \
    "$T/agent-stranger.log"
stop_pid "$OLD_PID"

# Past the grace (1 s now): refused in plain words, once. The steps above
# can all fall within a second of the expiry on an idle machine.
stop_pid "$COLL_PID"
collector_set renew_grace 1s
start_collector
wait_for 10 "the first certificate to be 3 s past its end" expired 3
mkdir -p "$T/late"
cp "$T/pc/agent.key" "$T/late/"
start_old late
wait_for 30 "the refusal past the grace" grep -q "more than 1 second ago: enrol again with a new token (vigilctl enroll create)" \
    "$T/agent-late.log"
wait_for 30 "the agent to try its expired certificate" grep -q "Cannot connect to the collector" \
    "$T/agent-late.log"
[ "$(grep -c "more than 1 second ago" "$T/agent-late.log")" = 1 ] || fail "the refusal was logged more than once"
"$BUILD/vigilctl" --json status | grep -q '"reenrolments":0,"reenrolments_refused":1' ||
	fail "the collector counted: $("$BUILD/vigilctl" --json status | grep -o '"reenrol[^,]*,[^,]*')"
stop_pid "$OLD_PID"
stop_pid "$COLL_PID"
pass "an expired PC five years behind re-enrolled as $ID and delivered 40 events exactly once; a stranger's key and a late PC refused"
