# SMS out and in (issue 11) through a real gammu-smsd whose modem is gammu's
# dummy driver (a folder standing for the phone):
#   - an SSH brute force → the IT officer (a phone only) gets one SMS part,
#     UCS-2 (Vietnamese), at most 70 characters, with the code's digits;
#     gammu-smsd takes it from its outbox and "transmits" it (moved to sent/);
#   - "XN <code>" from a stranger's number → refused, not answered;
#   - "XN <another code>" from the officer → refused, answered by SMS;
#   - "xn <code>" from the officer → acknowledged, audited with who/how,
#     answered by SMS; the same again → refused (already acknowledged).
# Incoming messages are put on the dummy modem with `gammu savesms ... -folder
# 1` (its inbox); gammu-smsd receives them into its FILES inbox, as from a
# real modem.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
need gammu gammu-smsd

pki_setup pc-01
S="$T/sms"
mkdir -p "$S/dev" "$S/inbox" "$S/outbox" "$S/sent" "$S/error"
cat >"$S/smsdrc" <<EOF
[gammu]
device = $S/dev
model = dummy
connection = none

[smsd]
service = files
inboxpath = $S/inbox/
outboxpath = $S/outbox/
sentsmspath = $S/sent/
errorsmspath = $S/error/
inboxformat = unicode
transmitformat = auto
logfile = $T/smsd.log
debuglevel = 1
commtimeout = 1
sendtimeout = 5
receivefrequency = 1
statusfrequency = 0
checksecurity = 0
checkbattery = 0
checksignal = 0
hangupcalls = 0
EOF
gammu-smsd -c "$S/smsdrc" >"$T/smsd.out" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 "gammu-smsd to start" grep -q "Starting phone communication" "$T/smsd.log"

OFFICER=+84901234567
cat >"$T/escalation.conf" <<EOF
[contact it-officer]
name = Cán bộ CNTT
phone = $OFFICER
language = vi

[chain default]
level1 = it-officer

[route default]
min_severity = medium
chain = default
group_by = incident
group_wait = 0s
EOF
write_collector_conf 0 "escalation = $T/escalation.conf

[sms]
outbox = $S/outbox
inbox = $S/inbox
poll = 300ms"
start_collector
: >"$T/pc-01.log"
write_agent_conf pc-01 "$PORT" "$T/pc-01.log"
start_agent pc-01

# sent N: the text of the Nth SMS gammu-smsd transmitted (oldest first), as UTF-8.
sent() {
	"$PY" - "$S/sent" "$1" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
f = sorted(os.listdir(d), key=lambda x: os.stat(os.path.join(d, x)).st_mtime_ns)[n - 1]
print(open(os.path.join(d, f), "rb").read().decode("utf-16"))
EOF
}
nsent() { ls "$S/sent" | grep -c "$1" || true; }
nsent_is() { [ "$(nsent "$1")" = "$2" ]; }
# receive NUMBER TEXT: a message arrives on the modem.
receive() { gammu -c "$S/smsdrc" savesms TEXT -folder 1 -unread -sender "$1" -text "$2" >/dev/null; }
outcome() { db "SELECT outcome FROM ack_replies WHERE sender = '$1' ORDER BY rowid DESC LIMIT 1;"; }
outcome_is() { [ "$(outcome "$1")" = "$2" ]; }

i=1
while [ $i -le 5 ]; do
	echo "Nov 25 10:00:0$i pc sshd[100$i]: Failed password for root from 203.0.113.9 port 5000$i ssh2" >>"$T/pc-01.log"
	i=$((i + 1))
done
wait_for 20 "the officer's SMS to be transmitted" nsent_is "$OFFICER" 1
A=$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce';")
CODE=$(db "SELECT code FROM ack_codes WHERE incident_id = $A;")
TEXT=$(sent 1)
echo "$TEXT" | grep "Trả lời XN $CODE để xác nhận" >/dev/null || fail "the SMS lacks the code: $TEXT"
chars=$(printf '%s' "$TEXT" | "$PY" -c 'import sys; print(len(sys.stdin.read()))')
[ "$chars" -le 70 ] || fail "the SMS is $chars characters, more than one UCS-2 part (70)"
grep -q "Transmitted OUTA.*$OFFICER" "$T/smsd.log" || fail "gammu-smsd did not transmit it"

receive +84999999999 "XN $CODE"
wait_for 20 "the stranger's SMS to be judged" outcome_is +84999999999 stranger
receive "$OFFICER" "XN $(( CODE == 9999 ? 1000 : CODE + 1 ))"
wait_for 20 "the wrong code to be refused" outcome_is "$OFFICER" unknown_code
wait_for 20 "the answer about the wrong code" nsent_is "$OFFICER" 2
sent 2 | grep "Không có sự cố nào mang mã" >/dev/null || fail "the answer is not the Vietnamese sentence: $(sent 2)"
[ "$(db "SELECT status FROM incidents WHERE id = $A;")" = new ] || fail "a refused SMS changed incident $A"

receive "$OFFICER" "xn $CODE"
wait_for 20 "the SMS to acknowledge" outcome_is "$OFFICER" acknowledged
[ "$(db "SELECT status FROM incidents WHERE id = $A;")" = acknowledged ] || fail "incident $A is not acknowledged"
audit=$(db "SELECT actor || '|' || detail FROM audit WHERE incident = $A AND action = 'ack';")
case $audit in
"it-officer|by sms reply from $OFFICER at "*) ;;
*) fail "the audit trail does not say who and how: $audit" ;;
esac
wait_for 20 "the confirmation SMS" nsent_is "$OFFICER" 3
sent 3 | grep "đã được bạn xác nhận" >/dev/null || fail "the confirmation is wrong: $(sent 3)"
receive "$OFFICER" "XN $CODE"
wait_for 20 "the used code to be refused" outcome_is "$OFFICER" already_acknowledged
[ "$(ls "$S/inbox/done" | wc -l)" = 4 ] || fail "the handled SMS files were not set aside"
[ "$(nsent 84999999999)" = 0 ] || fail "the stranger was answered"
pass "SMS out as one UCS-2 part ($chars characters) through gammu-smsd; XN from the officer acknowledges; stranger, wrong and used codes refused"
