# Hostile peers: a certificate from another CA, an expired certificate, a
# plain-TCP client, an oversized frame, garbage after the handshake. Each is
# refused or closed with a logged reason while a good agent keeps delivering.
. "$(dirname "$0")/lib.sh"

pki_setup pc-good intruder
"$BUILD/vigilctl" pki issue "$T/pki" pc-expired --days 1 --backdate-days 10 >/dev/null ||
	fail "cannot issue an expired certificate"
"$BUILD/vigilctl" pki init "$T/other" >/dev/null || fail "cannot make the second CA"
"$BUILD/vigilctl" pki issue "$T/other" pc-foreign >/dev/null || fail "cannot issue from the second CA"

write_collector_conf 0
start_collector
LOG="$T/collector.1.log"
: >"$T/auth.log"
write_agent_conf pc-good "$PORT" "$T/auth.log"
start_agent pc-good
gen_lines 1 2000 >>"$T/auth.log"
wait_for 30 "the good agent's first 100 events" count_is pc-good 100

# s_client ID PKI_DIR INPUT_FILE: a TLS client with that certificate.
s_client() {
	timeout 15 openssl s_client -connect "127.0.0.1:$PORT" -tls1_3 -quiet \
	    -CAfile "$T/pki/ca.crt" -cert "$2/agents/$1.crt" -key "$2/agents/$1.key" \
	    <"$3" >/dev/null 2>&1 || true
}
: >"$T/empty"

s_client pc-foreign "$T/other" "$T/empty"
wait_for 10 "a logged refusal of the foreign certificate" grep -q "handshake.*fail" "$LOG"
n_fail=$(grep -c "handshake.*fail" "$LOG")

s_client pc-expired "$T/pki" "$T/empty"
wait_for 10 "a logged refusal of the expired certificate" \
	sh -c "[ \$(grep -c 'handshake.*fail' '$LOG') -gt $n_fail ]"
grep -q "expired" "$LOG" || fail "the refusal of the expired certificate does not say 'expired'"

# Plain TCP, speaking HTTP to a TLS port.
python3 - "$PORT" <<'EOP'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
try:
    while s.recv(4096):
        pass
except (ConnectionResetError, socket.timeout):
    pass
EOP
wait_for 10 "a logged refusal of the plain-TCP client" \
	sh -c "[ \$(grep -c 'handshake.*fail' '$LOG') -gt $((n_fail + 1)) ]"

# A length prefix of 2 GiB - 1 after a good handshake.
printf '\177\377\377\377' >"$T/oversized"
s_client intruder "$T/pki" "$T/oversized"
wait_for 10 "a logged close of the oversized frame" grep -qi "intruder.*clos.*\(large\|big\|size\|limit\)" "$LOG"

# A frame whose body is not a protocol message.
printf '\000\000\000\020this is garbage!' >"$T/garbage"
s_client intruder "$T/pki" "$T/garbage"
wait_for 10 "a logged close of the garbage frame" \
	sh -c "[ \$(grep -ci 'intruder.*clos' '$LOG') -ge 2 ]"

# The good agent was never disturbed, and keeps delivering.
gen_lines 2001 4000 >>"$T/auth.log"
wait_for 30 "all 200 events of the good agent" count_is pc-good 200
check_exact pc-good 1 4000
kill -0 "$COLL_PID" || fail "the collector died"
for id in pc-foreign pc-expired intruder; do
	[ "$(events_of "$id")" = 0 ] || fail "events were stored for $id"
done
"$BUILD/vigilctl" status | grep -q "tls_handshake_failed" || fail "status lacks the handshake failure counter"
pass "5 hostile peers refused with logged reasons, the good agent unaffected"
