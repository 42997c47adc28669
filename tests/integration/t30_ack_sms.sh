# SMS out and in (issue 11) through a real gammu-smsd whose modem is gammu's
# dummy driver (a folder standing for the phone):
#   - an SSH brute force → the IT officer (a phone only) gets one SMS part,
#     UCS-2 (Vietnamese), at most 70 characters, with the code's digits;
#     gammu-smsd takes it from its outbox and "transmits" it (moved to sent/);
#   - "XN <code>" from a stranger's number → refused, not answered;
#   - "XN <another code>" from the officer → refused, answered by SMS;
#   - "xn <code>" from the officer → acknowledged, audited with who/how,
#     answered by SMS; the same again → refused (already acknowledged);
#   - the noise budget: the ward Police get the high brute force at once;
#     then a flood of 500 scan events (50 medium incidents) → the IT officer
#     gets at most 12 messages in the hour, the rest held for the digest; the
#     Police get none of them at once and one digest listing the 50.
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
POLICE=+84900000113
{
	esc_contact it-officer "Cán bộ CNTT" vi "phone = $OFFICER"
	esc_contact ward-police "Công an phường" vi "phone = $POLICE" "urgent_min_severity = high" \
		"digest_every = 4s"
	esc_route_police
	esc_chain - it-officer
	esc_route_default
} >"$T/escalation.conf"
write_collector_conf 0 "escalation = $T/escalation.conf

[sms]
outbox = $S/outbox
inbox = $S/inbox
poll = 300ms"
start_collector
# 50 scan rules for the flood (medium attacks, one incident each).
mkdir -p "$T/rules"
n=1
while [ $n -le 50 ]; do
	printf '[rule test.scan%d]\ndescription = a scan from the Internet\nprefilter = SCAN\npattern = ^SCAN %d from (?<src_ip>\\S+)$\ncategory = attack\nseverity = medium\nsummary = Scan %d from {src_ip}\n\n' \
		"$n" "$n" "$n" >>"$T/rules/scan.rules"
	n=$((n + 1))
done
: >"$T/pc-01.log"
write_agent_conf pc-01 "$PORT" "$T/pc-01.log"
sed -i "s|^unit = test-unit|unit = test-unit\nlocal_rules_dir = $T/rules|" "$T/pc-01/agent.conf"
start_agent pc-01

# sent_to NUMBER N: the text of the Nth SMS gammu-smsd transmitted to NUMBER (oldest first).
sent_to() {
	"$PY" - "$S/sent" "$1" "$2" <<'EOF'
import os, sys
d, num, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fs = sorted((x for x in os.listdir(d) if "_" + num + "_" in x),
            key=lambda x: os.stat(os.path.join(d, x)).st_mtime_ns)
print(open(os.path.join(d, fs[n - 1]), "rb").read().decode("utf-16"))
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
TEXT=$(sent_to "$OFFICER" 1)
echo "$TEXT" | grep "Trả lời XN $CODE để xác nhận" >/dev/null || fail "the SMS lacks the code: $TEXT"
chars=$(printf '%s' "$TEXT" | "$PY" -c 'import sys; print(len(sys.stdin.read()))')
[ "$chars" -le 70 ] || fail "the SMS is $chars characters, more than one UCS-2 part (70)"
grep -q "Transmitted OUTA.*$OFFICER" "$T/smsd.log" || fail "gammu-smsd did not transmit it"

receive +84999999999 "XN $CODE"
wait_for 20 "the stranger's SMS to be judged" outcome_is +84999999999 stranger
receive "$OFFICER" "XN $(( CODE == 9999 ? 1000 : CODE + 1 ))"
wait_for 20 "the wrong code to be refused" outcome_is "$OFFICER" unknown_code
wait_for 20 "the answer about the wrong code" nsent_is "$OFFICER" 2
sent_to "$OFFICER" 2 | grep "Không có sự cố nào mang mã" >/dev/null || fail "the answer is not the Vietnamese sentence: $(sent_to "$OFFICER" 2)"
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
sent_to "$OFFICER" 3 | grep "đã được bạn xác nhận" >/dev/null || fail "the confirmation is wrong: $(sent_to "$OFFICER" 3)"
receive "$OFFICER" "XN $CODE"
wait_for 20 "the used code to be refused" outcome_is "$OFFICER" already_acknowledged
[ "$(ls "$S/inbox/done" | wc -l)" = 4 ] || fail "the handled SMS files were not set aside"
[ "$(nsent 84999999999)" = 0 ] || fail "the stranger was answered"
# ---- the noise budget: a flood of 500 scan events ------------------------------------------
# 50 rules (scans from the Internet, medium), 10 events each: 50 incidents at once. The IT
# officer gets at most 12 messages in the hour (max_per_hour, the default), the rest wait for
# the hourly digest; the ward Police get none of them at once (urgent_min_severity = high) and
# one digest (digest_every = 4s here; 24h in the shipped file).
police_sent() { ls "$S/sent" | grep -c "$POLICE" || true; }
police_is() { [ "$(police_sent)" = "$1" ]; }
[ "$(police_sent)" = 1 ] || fail "the Police did not get the high brute force at once"
i=1
while [ $i -le 500 ]; do
	echo "SCAN $(( (i - 1) % 50 + 1 )) from 198.51.100.$(( i % 200 + 1 ))"
	i=$((i + 1))
done >>"$T/pc-01.log"
scan_incidents() { [ "$(db "SELECT count(*) FROM incidents WHERE rule LIKE 'test.scan%';")" = 50 ]; }
wait_for 30 "the 50 scan incidents" scan_incidents
held_police() { [ "$(db "SELECT count(*) FROM outbox WHERE contact = 'ward-police' AND status IN ('held', 'digested');")" -ge 50 ]; }
wait_for 30 "the Police's 50 messages to be held" held_police
wait_for 30 "the Police's digest" police_is 2
digest=$(sent_to "$POLICE" 2)
echo "$digest" | grep "50 sự cố được gộp" >/dev/null || fail "the Police's digest does not count 50 incidents: $digest"
[ "$(db "SELECT count(*) FROM outbox WHERE contact = 'ward-police' AND status = 'digested';")" = 50 ] ||
	fail "the Police's held messages are not marked digested"
it_now=$(db "SELECT count(*) FROM outbox WHERE contact = 'it-officer' AND status = 'sent';")
it_held=$(db "SELECT count(*) FROM outbox WHERE contact = 'it-officer' AND status = 'held';")
[ "$it_now" -le 12 ] || fail "the IT officer got $it_now messages in the hour, over the budget of 12"
[ $((it_now + it_held)) = 51 ] || fail "the IT officer's messages: $it_now sent + $it_held held, expected 51"
[ "$(police_sent)" = 2 ] || fail "the Police got more than one digest"
pass "SMS out as one UCS-2 part ($chars characters) through gammu-smsd; XN from the officer acknowledges; stranger, wrong and used codes refused; flood: officer $it_now at once + $it_held held, Police 1 digest"
