# A Windows PC's identity through its life (issue 15) under Wine, against the
# real collector on 127.0.0.1:
# - a disk image being made (Setup's ImageState, set with wine reg add, not
#   IMAGE_STATE_COMPLETE) is not enrolled: --enroll says so in plain words
#   and keeps its token beside the key (agent.key.token); the agent started
#   on it waits, and enrols once ImageState is IMAGE_STATE_COMPLETE;
# - its certificate expires while it is stopped; started again, it
#   re-enrols with its old key (the key file unchanged) and delivers, and
#   the collector's record (vigilctl agents) shows the new expiry;
# - the collector's CA is rotated while it is connected: the bundle is
#   written as its CA file (the Windows writer: replaced whole, no .new
#   left), it renews onto the new CA, and after --finish and a collector
#   restart (the server's certificate from the new CA) it connects with the
#   bundle and delivers;
# - the MSI's action on an image (--configure TOKEN=, what the deferred
#   Enroll runs) succeeds without enrolling; the service, running, waits
#   and enrols once ImageState is complete.
. "$(dirname "$0")/lib.sh"

need /usr/lib/wine/wine64 wineserver sqlite3 openssl
win_arches
EXE=$BUILD/windows/x86_64/vigil-agent.exe
[ -f "$EXE" ] || fail "$EXE is missing: make windows builds it"
W=/usr/lib/wine/wine64

wine_prefix

start_enrolling_collector "agent_cert_lifetime = 20s"
TOK=$(enroll_token phuong-7)

mkdir -p "$T/pc"
cat >"$T/pc/agent.conf" <<EOA
[agent]
state_dir = Z:$T/pc/state
unit = phuong-7
rules_dir = Z:$TOP/deploy/rules.d
local_rules_dir = Z:$T/pc/local.d

[collector]
address = 127.0.0.1
port = $PORT
ca = Z:$T/pc/ca.crt
cert = Z:$T/pc/agent.crt
key = Z:$T/pc/agent.key
enroll_port = $EPORT
reconnect_min = 100ms
reconnect_max = 1s
connect_timeout = 5s

[source auth]
path = Z:$T/pc/auth.log
EOA
: >"$T/pc/auth.log"
STATE='HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Setup\State'
image_state() {
	timeout 60 "$W" reg add "$STATE" /v ImageState /t REG_SZ /d "$1" /f >/dev/null 2>&1 ||
		fail "wine reg add ImageState $1 failed"
}
# line N: one failed password, a distinct port each.
line() {
	echo "Dec  5 10:00:00 pc sshd[42]: Failed password for root from 203.0.113.9 port $1 ssh2" \
		>>"$T/pc/auth.log"
}
# start_pc: the agent in the console; its PID in WIN_PID.
start_pc() {
	"$W" "$EXE" -d -v -f "Z:$T/pc/agent.conf" >>"$T/agent-pc.log" 2>&1 &
	WIN_PID=$!
	PIDS="$PIDS $WIN_PID"
}
events() {
	[ "$(db "SELECT count(*) FROM events WHERE agent = '$ID'")" -ge "$1" ]
}

# ---- a disk image being made: not enrolled, the token kept, enrolled at the first real start
image_state IMAGE_STATE_UNDEPLOYABLE
rc=0
timeout 120 "$W" "$EXE" -f "Z:$T/pc/agent.conf" --enroll "127.0.0.1:$EPORT" --token "$TOK" \
	>"$T/enrol.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "--enroll on an image exited $rc: $(cat "$T/enrol.out")"
grep -q "this machine is a disk image being made (Windows Setup is not finished (ImageState IMAGE_STATE_UNDEPLOYABLE)): it is not enrolled now" \
	"$T/enrol.out" || fail "--enroll on an image says: $(cat "$T/enrol.out")"
[ ! -e "$T/pc/agent.key" ] && [ -s "$T/pc/agent.key.token" ] ||
	fail "an image got a key, or its token was not kept"
[ "$(db "SELECT count(*) FROM identities")" = 0 ] || fail "an image was enrolled"
: >"$T/agent-pc.log"
start_pc
wait_for 60 "the agent to wait for the first real start" grep -q "it is enrolled when it first starts for real; waiting" \
	"$T/agent-pc.log"
[ ! -e "$T/pc/agent.key" ] || fail "the waiting agent made a key"
image_state IMAGE_STATE_COMPLETE
wait_for 60 "the put-off enrolment" grep -q "^Enrolled as " "$T/agent-pc.log"
ID=$(tr -d '\r' <"$T/agent-pc.log" | sed -n 's/^Enrolled as \([^ ]*\) in unit phuong-7\..*/\1/p')
[ -n "$ID" ] || fail "no identity in the agent's log"
[ ! -e "$T/pc/agent.key.token" ] || fail "the kept token was not removed after the enrolment"
# A source new to the agent is followed from its end: the line after its start.
wait_for 60 "the agent to start" grep -q "starting, 1 source" "$T/agent-pc.log"
line 1
wait_for 60 "the first event of $ID" events 1
stop_pid "$WIN_PID" INT

# ---- expired while stopped: re-enrolled with the old key at the next start ----------
KEYSUM=$(sha256sum <"$T/pc/agent.key")
cp "$T/pc/agent.crt" "$T/first.crt"
expired() {
	! openssl x509 -in "$T/pc/agent.crt" -noout -checkend 0 >/dev/null
}
wait_for 40 "the certificate to expire" expired
OLD_END=$(db "SELECT not_after_us FROM identities WHERE agent = '$ID'")
stop_pid "$COLL_PID"
collector_set agent_cert_lifetime 1h
collector_set renew_grace 1h
start_collector
start_pc
wait_for 60 "the re-enrolment" grep -q "Re-enrolled with the old key" "$T/agent-pc.log"
grep -q "Re-enrolled $ID (unit phuong-7)" "$T/collector.2.log" ||
	fail "the collector did not re-enrol $ID: $(grep -i enrol "$T/collector.2.log")"
[ "$(sha256sum <"$T/pc/agent.key")" = "$KEYSUM" ] || fail "the re-enrolment rewrote the key"
[ "$(openssl x509 -in "$T/pc/agent.crt" -noout -pubkey)" = \
  "$(openssl pkey -in "$T/pc/agent.key" -pubout)" ] || fail "the new certificate is not for the old key"
openssl x509 -in "$T/pc/agent.crt" -noout -checkend 600 >/dev/null || fail "the new certificate is not valid"
[ ! -e "$T/pc/agent.crt.new" ] || fail "the re-enrolment left agent.crt.new"
line 2
wait_for 60 "the event after the re-enrolment" events 2
# The collector's record follows the new certificate: vigilctl agents shows its end.
NEW_END=$(db "SELECT not_after_us FROM identities WHERE agent = '$ID'")
[ "$NEW_END" -gt $((OLD_END + 1800000000)) ] ||
	fail "the identity's end date did not follow the re-enrolment ($OLD_END, then $NEW_END)"
shows_cert_end "$ID" "$T/pc/agent.crt"

# ---- the CA rotated while connected: the bundle written by the Windows writer --------
"$BUILD/vigilctl" pki rotate --overlap 7d >"$T/rotate.out" || fail "pki rotate failed: $(cat "$T/rotate.out")"
wait_for 60 "the bundle on the PC" grep -q "now holds the old and the new CA" "$T/agent-pc.log"
[ "$(grep -c "BEGIN CERTIFICATE" "$T/pc/ca.crt")" = 2 ] || fail "the PC's CA file is not the bundle"
[ ! -e "$T/pc/ca.crt.new" ] || fail "the CA writer left ca.crt.new"
wait_for 60 "the renewal onto the new CA" grep -q "The certificate was renewed" "$T/agent-pc.log"
openssl verify -CAfile "$T/pki/ca.crt.next" "$T/pc/agent.crt" >/dev/null 2>&1 ||
	fail "the renewed certificate is not from the new CA"
[ "$(sha256sum <"$T/pc/agent.key")" != "$KEYSUM" ] || fail "the renewal kept the old key"
"$BUILD/vigilctl" pki rotate --finish >"$T/finish.out" 2>&1 || fail "--finish failed: $(cat "$T/finish.out")"
stop_pid "$COLL_PID"
line 3
start_collector
openssl x509 -in "$T/pki/collector.crt" -noout -issuer | grep -q "Vigil CA 20" ||
	fail "the collector's certificate is not from the new CA"
wait_for 60 "the event after the restart on the new CA" events 3
grep -q "Agent $ID (version" "$T/collector.3.log" || fail "$ID did not connect to the new-CA collector"
stop_pid "$WIN_PID" INT

# ---- the MSI's action (--configure TOKEN=) on an image: the install goes on, the service waits
# Wine ends a prefix's services once no user process is left in it (t26).
"$W" cmd /c "ping -n 3600 127.0.0.1 >nul" >/dev/null 2>&1 &
PIDS="$PIDS $!"
"$BUILD/vigilctl" --json enroll create --unit phuong-7 >"$T/tok2.json" || fail "enroll create failed"
TOK2=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' "$T/tok2.json")
PD="$WINEPREFIX/drive_c/ProgramData/Vigil"
image_state IMAGE_STATE_SPECIALIZE_RESEAL_TO_OOBE
out=$(timeout 120 "$W" "$EXE" --configure COLLECTOR=127.0.0.1 PORT="$PORT" UNIT=phuong-7 \
	TOKEN="$TOK2" ENROLLPORT="$EPORT" RULES="Z:$TOP/deploy/rules.d" 2>&1) ||
	fail "--configure with a token failed on an image (the MSI would fail): $out"
case $out in *"disk image being made (Windows Setup is not finished (ImageState IMAGE_STATE_SPECIALIZE_RESEAL_TO_OOBE))"*) ;;
*) fail "--configure on an image said: $out" ;; esac
[ -s "$PD/agent.key.token" ] && [ ! -e "$PD/agent.key" ] || fail "--configure on an image did not keep the token, or made a key"
out=$(timeout 120 "$W" "$EXE" --install-service 2>&1) || fail "--install-service failed: $out"
timeout 60 "$W" sc start Vigil >"$T/sc-start.txt" 2>&1 || fail "sc start failed: $(cat "$T/sc-start.txt")"
svc_running() {
	timeout 60 "$W" sc query Vigil 2>/dev/null | grep -q "RUNNING"
}
wait_for 120 "the waiting service RUNNING" svc_running
[ "$(db "SELECT count(*) FROM identities")" = 1 ] || fail "the service enrolled an image"
image_state IMAGE_STATE_COMPLETE
wait_for 120 "the service's put-off enrolment" sh -c "[ \$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
	'SELECT count(*) FROM identities') = 2 ]"
SVC_ID=$(db "SELECT agent FROM identities WHERE agent <> '$ID'")
wait_for 120 "the service connected as $SVC_ID" sh -c "sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
	\"SELECT os FROM agents WHERE agent = '$SVC_ID' AND off_us = 0\" | grep -q '^Windows '"
[ -s "$PD/agent.key" ] && [ ! -e "$PD/agent.key.token" ] || fail "the service's enrolment left no key, or the token"
timeout 60 "$W" sc stop Vigil >/dev/null 2>&1 || fail "sc stop failed"
out=$(timeout 120 "$W" "$EXE" --uninstall-service 2>&1) || fail "--uninstall-service failed: $out"
stop_pid "$COLL_PID"
pass "Windows (x86_64, Wine): an image not enrolled until ImageState complete, re-enrolled with the old key, vigilctl agents shows the new expiry, the rotated CA kept and trusted, the MSI action on an image put off to the service"
