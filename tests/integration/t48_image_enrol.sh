# Never enrol while a disk image is being made (issue 15, Deliver 1), on
# Linux: a machine-id that is "uninitialized" or empty (systemd's first-boot
# convention: an image prepared with systemd-firstboot or a truncated
# /etc/machine-id) is no machine yet. --enroll refuses in plain words and
# keeps its token beside the key (agent.key.token, 0600); the agent started
# on the image waits, and enrols once the machine has its id (the first real
# boot). VIGIL_MACHINE_ID_FILE, the test's (and a container's) stand-in for
# /etc/machine-id, plays the machine-id. Then the collector's record follows
# a renewal over the session: vigilctl agents shows the new certificate's end.
. "$(dirname "$0")/lib.sh"
need openssl sqlite3

start_enrolling_collector "agent_cert_lifetime = 30s"
TOK=$(enroll_token phuong-7)

write_agent_conf pc "$PORT" "$T/auth.log"
sed -i -e "s|^ca = .*|ca = $T/pc/ca.crt|" -e "s|^cert = .*|cert = $T/pc/agent.crt|" \
    -e "s|^key = .*|key = $T/pc/agent.key|" "$T/pc/agent.conf"
: >"$T/auth.log"
export VIGIL_MACHINE_ID_FILE="$T/machine-id"
enrol() {
	rc=0
	"$BUILD/vigil-agent" -f "$T/pc/agent.conf" --enroll "127.0.0.1:$EPORT" --token "$TOK" \
	    >"$T/enrol.out" 2>&1 || rc=$?
}

# ---- an image: refused in words, the token kept -----------------------------------
echo uninitialized >"$T/machine-id"
enrol
[ "$rc" = 3 ] || fail "--enroll on an uninitialized machine-id exited $rc: $(cat "$T/enrol.out")"
grep -q 'this machine is a disk image being made (its machine id is "uninitialized"): it is not enrolled now. The agent enrols it when it first starts for real.' \
    "$T/enrol.out" || fail "--enroll on an image says: $(cat "$T/enrol.out")"
: >"$T/machine-id"
enrol
[ "$rc" = 3 ] || fail "--enroll on an empty machine-id exited $rc: $(cat "$T/enrol.out")"
grep -q "disk image being made (its machine id is empty)" "$T/enrol.out" ||
    fail "--enroll on an empty machine-id says: $(cat "$T/enrol.out")"
[ ! -e "$T/pc/agent.key" ] || fail "an image got a key"
[ "$(stat -c %a "$T/pc/agent.key.token")" = 600 ] || fail "the kept token is not 0600"
[ "$(db "SELECT count(*) FROM identities")" = 0 ] || fail "an image was enrolled"
[ "$(db "SELECT uses FROM enroll_tokens")" = 0 ] || fail "the image used the token"

# ---- the agent on the image waits; the first real boot enrols it ---------------------
"$BUILD/vigil-agent" -d -f "$T/pc/agent.conf" >"$T/agent-pc.log" 2>&1 &
AGENT_PID=$!
PIDS="$PIDS $AGENT_PID"
wait_for 20 "the agent to wait" grep -q "it is enrolled when it first starts for real; waiting" \
    "$T/agent-pc.log"
kill -0 "$AGENT_PID" || fail "the agent on an image did not keep waiting"
[ ! -e "$T/pc/agent.key" ] || fail "the waiting agent made a key"
echo 5f3c0e2b9a7d4c1e8f6a2b3c4d5e6f70 >"$T/machine-id"
wait_for 30 "the put-off enrolment" grep -q "^Enrolled as .* in unit phuong-7" "$T/agent-pc.log"
ID=$(sed -n 's/^Enrolled as \([^ ]*\) in.*/\1/p' "$T/agent-pc.log")
[ ! -e "$T/pc/agent.key.token" ] || fail "the kept token was not removed"
[ "$(stat -c %a "$T/pc/agent.key")" = 600 ] || fail "the key is not 0600"
[ "$(db "SELECT machine_id FROM identities WHERE agent = '$ID'")" = \
  "$(printf 5f3c0e2b9a7d4c1e8f6a2b3c4d5e6f70 | sha256sum | cut -d' ' -f1)" ] ||
    fail "the identity's machine id is not the real one's"
gen_lines 1 200 >>"$T/auth.log"
wait_for 30 "10 events under $ID" count_is "$ID" 10

# ---- the collector's record follows a renewal over the session -----------------------
FIRST_END=$(db "SELECT not_after_us FROM identities WHERE agent = '$ID'")
wait_for 40 "the renewal" grep -q "The certificate was renewed" "$T/agent-pc.log"
renewed_end() {
	[ "$(db "SELECT not_after_us FROM identities WHERE agent = '$ID'")" -gt "$FIRST_END" ]
}
wait_for 10 "the identity's end date to follow the renewal" renewed_end
shows_cert_end "$ID" "$T/pc/agent.crt"
"$BUILD/vigilctl" agents | head -n 1 | grep -q "CERT-EXPIRES" || fail "vigilctl agents has no CERT-EXPIRES column"
stop_pid "$AGENT_PID"
stop_pid "$COLL_PID"
pass "an uninitialized or empty machine-id not enrolled, the agent waited and enrolled on the real id; vigilctl agents followed the renewal"
