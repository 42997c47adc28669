# Issue 11, what remained: "escalate to Police" by the operator, with the real
# SMTP sink.
#   - a medium scan from the Internet (an attack) → the ward Police's message is
#     held for their daily digest (urgent_min_severity = high), nothing is mailed;
#   - `vigilctl incident notify N police` → the Police (the route's notify_now)
#     are mailed at once, past the budget; vigilctl names who was told on which
#     channel; the audit trail has the operator, the contact, the channel and the
#     address;
#   - the mail carries Reply-To: the acknowledgement mailbox ([ack_mail] address);
#   - an unknown WHO and an unknown incident are refused, nothing is sent;
#   - the budget per role: the IT officer's role (max_per_hour = 3, not set in
#     the contact) → a flood of 20 more scan incidents gives the IT officer 3
#     messages in the hour, the rest held for the digest; the ward Police's
#     own max_per_hour = 3 wins over their role's 5: with the two messages the
#     operator asked for counted in their hour, one of two high attacks goes at
#     once and the other waits;
#   - the hour's count survives a restart: the collector stopped mid-flood and
#     started again, 10 more scan incidents → the IT officer gets none of them
#     at once (the 3 of the hour are read back from the store), all are held;
#   - vigilctl status counts messages held, digests sent (the IT desk's digest
#     comes after 3 s here), SMS replies refused (a stranger, a wrong code), and
#     the failures to poll a reply mailbox nobody answers and an SMS inbox that
#     is gone.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, where python3-aiosmtpd lives
R="$TOP/tests/integration/receivers"
need python3:aiosmtpd

pki_setup pc-01
mkdir -p "$T/mail"
"$PY" "$R/smtp_sink.py" --dir "$T/mail" --port-file "$T/smtp.port" >"$T/smtp.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 "the SMTP sink to listen" test -s "$T/smtp.port"
SMTP_PORT=$(cat "$T/smtp.port")

{
	printf '[role desk]\nmax_per_hour = 3\ndigest_every = 3s\n\n'
	printf '[role police]\nmax_per_hour = 5\nurgent_min_severity = high\ndigest_every = 24h\n\n'
	esc_contact it-officer "Cán bộ CNTT" vi "email = it@unit.example" "role = desk"
	esc_contact head "Head of unit" en "phone = +84901111111"
	esc_contact ward-police "Công an phường" vi "email = police@unit.example" "role = police" \
		"max_per_hour = 3"
	esc_route_police
	esc_chain - it-officer
	esc_route_default
} >"$T/escalation.conf"
COLL_PORT=$(free_port)
IMAP_PORT=$(free_port) # nobody listens there: every poll of the reply mailbox fails
printf 'secret\n' >"$T/imap.pw"
mkdir -p "$T/smsin" "$T/smsout"
write_collector_conf "$COLL_PORT" "escalation = $T/escalation.conf

[ack_mail]
url = imap://127.0.0.1:$IMAP_PORT/INBOX
address = acks@unit.example
user = vigil
password_file = $T/imap.pw
poll = 300ms

[sms]
outbox = $T/smsout
inbox = $T/smsin
poll = 300ms

[notify]
smtp_url = smtp://127.0.0.1:$SMTP_PORT
smtp_starttls = no
smtp_from = vigil@unit.example
timeout = 5s
retry_base = 1s
retry_max = 2s"
start_collector
mkdir -p "$T/rules"
# 40 scan rules (medium attacks, one incident each) for the floods.
n=1
while [ $n -le 40 ]; do
	printf '[rule test.scan%d]\ndescription = a scan from the Internet\nprefilter = SCAN\npattern = ^SCAN %d from (?<src_ip>\\S+)$\ncategory = attack\nseverity = medium\nsummary = Scan %d from {src_ip}\n\n' \
		"$n" "$n" "$n" >>"$T/rules/scan.rules"
	n=$((n + 1))
done
for n in 1 2; do
	printf '[rule test.hit%d]\ndescription = an attack that got in\nprefilter = HIT\npattern = ^HIT %d from (?<src_ip>\\S+)$\ncategory = attack\nseverity = high\nsummary = Hit %d from {src_ip}\n\n' \
		"$n" "$n" "$n" >>"$T/rules/scan.rules"
done
: >"$T/pc-01.log"
write_agent_conf pc-01 "$PORT" "$T/pc-01.log"
sed -i "s|^unit = test-unit|unit = test-unit\nlocal_rules_dir = $T/rules|" "$T/pc-01/agent.conf"
start_agent pc-01

mails_to() {
	n=0
	for j in "$T"/mail/*.json; do
		[ -f "$j" ] && grep -q "\"$1\"" "$j" && n=$((n + 1))
	done
	echo "$n"
}
mails_to_are() { [ "$(mails_to "$1")" = "$2" ]; }
# mail_subject RCPT N: the subject of the Nth mail to RCPT.
mail_subject() {
	"$PY" - "$T/mail" "$1" "$2" <<'EOF'
import email, email.policy, json, os, sys
d, rcpt, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
found = []
for f in sorted(os.listdir(d)):
    if f.endswith(".eml") and rcpt in json.load(open(os.path.join(d, f[:-4] + ".json")))["rcpt_tos"]:
        found.append(email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default))
print(str(found[n - 1]["Subject"]))
EOF
}
held_for() { [ "$(db "SELECT count(*) FROM outbox WHERE contact = '$1' AND status = 'held';")" = "$2" ]; }

# ---- escalate to Police ------------------------------------------------------------------
echo "SCAN 1 from 198.51.100.7" >>"$T/pc-01.log"
wait_for 20 "the IT officer's mail" mails_to_are it@unit.example 1
wait_for 20 "the Police's message to be held" held_for ward-police 1
A=$(db "SELECT id FROM incidents WHERE rule = 'test.scan1';")
[ "$(mails_to police@unit.example)" = 0 ] || fail "the Police were mailed a medium scan at once"

out=$("$BUILD/vigilctl" incident notify "$A" police) || fail "incident notify failed: $out"
case $out in
*"Incident $A sent to ward-police by email (police@unit.example)"*) ;;
*) fail "vigilctl does not say who was told, how: $out" ;;
esac
wait_for 20 "the Police's mail" mails_to_are police@unit.example 1
grep -l "police@unit.example" "$T"/mail/*.json | head -n 1 | sed 's/json$/eml/' | xargs grep -q "^Reply-To: <acks@unit.example>" ||
	fail "the Police's mail does not carry Reply-To: the acknowledgement mailbox"
mail_subject police@unit.example 1 | grep -q "Scan 1 from 198.51.100.7" ||
	fail "the Police's mail is not about incident $A: $(mail_subject police@unit.example 1)"
audit=$(db "SELECT actor || '|' || detail FROM audit WHERE incident = $A AND action = 'notify' AND actor <> 'system';")
case $audit in
"$(id -un)|ward-police told at once by email (police@unit.example), asked by an operator (police)") ;;
*) fail "the audit trail does not say who asked, whom, how: $audit" ;;
esac
json=$("$BUILD/vigilctl" --json incident notify "$A" ward-police) || fail "incident notify --json failed"
echo "$json" | grep -q '"channel":"email"' || fail "the JSON answer names no channel: $json"
wait_for 20 "the second mail to the Police" mails_to_are police@unit.example 2
if out=$("$BUILD/vigilctl" incident notify "$A" nobody 2>&1); then
	fail "an unknown WHO was accepted: $out"
fi
echo "$out" | grep -q "neither a route nor a contact" || fail "the refusal does not say why: $out"
if out=$("$BUILD/vigilctl" incident notify 99999 police 2>&1); then
	fail "an unknown incident was accepted: $out"
fi
[ "$(mails_to police@unit.example)" = 2 ] || fail "a refused request sent a mail"
[ "$(db "SELECT status FROM outbox WHERE contact = 'ward-police' AND manual = 1 AND status <> 'sent';")" = "" ] ||
	fail "an operator's message to the Police was not sent"

# ---- the budget per role: a flood --------------------------------------------------------
i=2
while [ $i -le 21 ]; do
	echo "SCAN $i from 198.51.100.$i"
	i=$((i + 1))
done >>"$T/pc-01.log"
scans_are() { [ "$(db "SELECT count(*) FROM incidents WHERE rule LIKE 'test.scan%';")" = "$1" ]; }
wait_for 30 "the 21 scan incidents" scans_are 21
# it_scans STATUS...: the IT officer's outbox rows about scan incidents in those states.
it_scans() {
	db "SELECT count(*) FROM outbox o JOIN incidents i ON i.id = o.incident_id WHERE o.contact = 'it-officer' AND i.rule LIKE 'test.scan%' AND o.status IN ($1);"
}
it_rows() { [ "$(it_scans "'sent', 'held', 'digested'")" = "$1" ]; }
wait_for 30 "the IT officer's 21 messages to be sent or held" it_rows 21
wait_for 30 "the IT desk's digest (3 s)" mails_to_are it@unit.example 4
it_sent=$(it_scans "'sent'")
[ "$it_sent" = 3 ] || fail "the IT officer got $it_sent messages in the hour; the role's budget is 3"
counter() { "$BUILD/vigilctl" --json status | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
held=$(counter notifications_held)
[ "$held" -ge 38 ] || fail "vigilctl status counts $held messages held; 18 to the IT officer and 21 to the Police were"
[ "$(counter digests_sent)" -ge 1 ] || fail "vigilctl status counts no digest sent"
[ "$(counter imap_poll_failures)" -ge 1 ] || fail "vigilctl status counts no failed poll of the reply mailbox"
# SMS replies: a stranger, and the head of unit with a code nobody was sent.
sms_in() {
	"$PY" -c 'import sys; open(sys.argv[1], "wb").write(sys.argv[2].encode("utf-16"))' \
		"$T/smsin/IN20261205_100000_00_$1_00.txt" "$2"
}
sms_in +84999999999 "XN 1234"
sms_in +84901111111 "XN 0001"
replies_judged() { [ "$(db "SELECT count(*) FROM ack_replies;")" = 2 ]; }
wait_for 20 "the two SMS replies to be judged" replies_judged
[ "$(counter replies_refused_stranger)" = 1 ] || fail "vigilctl status: replies_refused_stranger is $(counter replies_refused_stranger)"
[ "$(counter replies_refused_wrong_code)" = 1 ] || fail "vigilctl status: replies_refused_wrong_code is $(counter replies_refused_wrong_code)"
failures=$(counter sms_poll_failures)
rm -r "$T/smsin"
sms_failing() { [ "$(counter sms_poll_failures)" -gt "$failures" ]; }
wait_for 20 "a failed poll of the SMS inbox to be counted" sms_failing
mkdir -p "$T/smsin"
"$BUILD/vigilctl" status | grep -q "sms_poll_failures" || fail "vigilctl status does not show sms_poll_failures"
# The Police: their own max_per_hour = 3 wins over the role's 5; the operator's two messages
# count in the hour, so one high incident goes at once and the next one waits.
printf 'HIT 1 from 203.0.113.1\nHIT 2 from 203.0.113.2\n' >>"$T/pc-01.log"
police_rows() { [ "$(db "SELECT count(*) FROM outbox o JOIN incidents i ON i.id = o.incident_id WHERE o.contact = 'ward-police' AND i.rule LIKE 'test.hit%' AND o.status IN ('sent', 'held');")" = 2 ]; }
wait_for 30 "the Police's two high messages to be sent or held" police_rows
p_sent=$(db "SELECT count(*) FROM outbox o JOIN incidents i ON i.id = o.incident_id WHERE o.contact = 'ward-police' AND i.rule LIKE 'test.hit%' AND o.status = 'sent';")
[ "$p_sent" = 1 ] || fail "the Police got $p_sent high messages at once; their own max_per_hour is 3, 2 of them spent by the operator"

# ---- a restart mid-flood: the hour's count is kept ------------------------------------------
stop_pid "$COLL_PID"
start_collector
i=22
while [ $i -le 31 ]; do
	echo "SCAN $i from 198.51.100.$i"
	i=$((i + 1))
done >>"$T/pc-01.log"
wait_for 30 "the 31 scan incidents" scans_are 31
wait_for 30 "the IT officer's 31 messages to be sent or held" it_rows 31
it_after=$(it_scans "'sent'")
[ "$it_after" = 3 ] || fail "after a restart the IT officer got $((it_after - 3)) more messages in the same hour: a fresh budget"
grep -q "waits for the digest" "$T/collector.2.log" || fail "the restarted collector held nothing"

pass "escalate to Police: held medium scan sent at once on request (email to police@unit.example), audited as $(id -un); unknown WHO and incident refused; role budget: IT officer $it_sent of 21 at once, Police $p_sent of 2 high at once; after a restart mid-flood 0 of 10 more at once"
