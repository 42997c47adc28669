# Escalation end to end, with real receivers on 127.0.0.1 (an SMTP server with
# STARTTLS, an HTTPS webhook, a command) and the chain shortened to seconds:
#   - an SSH brute force (5 failures from one address: the shipped threshold
#     ssh.bruteforce) → the IT officer is mailed (and texted) at once, the ward
#     Police's webhook is called at once; the webhook is down: failed attempts
#     are recorded, and it is delivered once the receiver comes up;
#   - nobody acks within 5 s → the head of unit is mailed; `vigilctl incident
#     ack` → nothing more (no level 3);
#   - a data-leak incident on a second machine → the Police at once;
#   - the collector is killed (SIGKILL) between level 1 and level 2 of that
#     incident and started again → level 2 happens once, on time, and nothing
#     already delivered is sent again;
#   - one source address failing on two machines → one correlation incident
#     linking both; an agent killed → its unit's "stopped reporting
#     unexpectedly", closed by the system when it returns.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, where python3-aiosmtpd lives
R="$TOP/tests/integration/receivers"
need python3:aiosmtpd

pki_setup pc-01 pc-02
CRT="$T/pki/collector.crt"
KEY="$T/pki/collector.key"

start_receiver() {
	_name=$1 _script=$2
	shift 2
	"$PY" "$R/$_script" --port-file "$T/$_name.port" "$@" >"$T/$_name.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 20 "the $_name receiver to listen" test -s "$T/$_name.port"
	RPORT=$(cat "$T/$_name.port")
}

mkdir -p "$T/mail" "$T/police" "$T/rules"
start_receiver smtp smtp_sink.py --dir "$T/mail" --cert "$CRT" --key "$KEY" --starttls
SMTP_PORT=$RPORT
POLICE_PORT=$(free_port) # nobody listens there yet

{
	esc_contact it-officer "IT officer" en "email = it@unit.example" "$(esc_sink "$T/sms.json")"
	esc_contact head-of-unit "Head of unit" en "email = head@unit.example"
	esc_contact party-office "Party Committee Office" en "email = party@unit.example"
	esc_contact ward-police "Ward Police" en "webhook = https://127.0.0.1:$POLICE_PORT/police"
	esc_chain 5s it-officer head-of-unit party-office
	esc_route_police
	esc_route_default
} >"$T/escalation.conf"

write_collector_conf 0 "escalation = $T/escalation.conf

[notify]
smtp_url = smtp://127.0.0.1:$SMTP_PORT
smtp_starttls = yes
smtp_ca = $T/pki/ca.crt
smtp_from = vigil@unit.example
webhook_ca = $T/pki/ca.crt
timeout = 5s
retry_base = 1s
retry_factor = 2
retry_max = 2s
max_attempts = 20"
# Two machines are enough for a source address here (correlate_hosts).
sed -i "s|^heartbeat = 2s|heartbeat = 2s\ncorrelate_hosts = 2|" "$T/collector.conf"
"$BUILD/vigil-collector" -n -f "$T/collector.conf" 2>/dev/null || fail "the test configuration does not load"
# The shipped default chain loads too.
sed "s|^escalation = .*|escalation = $TOP/deploy/escalation.conf.example|" "$T/collector.conf" >"$T/shipped.conf"
"$BUILD/vigil-collector" -n -f "$T/shipped.conf" 2>/dev/null || fail "deploy/escalation.conf.example does not load"
# An error in the escalation file is reported as file:line.
printf '[chain x]\nlevel1 = nobody\n' >"$T/bad-escalation.conf"
sed "s|^escalation = .*|escalation = $T/bad-escalation.conf|" "$T/collector.conf" >"$T/bad.conf"
out=$("$BUILD/vigil-collector" -n -f "$T/bad.conf" 2>&1) && fail "a bad escalation file was accepted"
echo "$out" | grep -q "$T/bad-escalation.conf:[0-9]" || fail "the error does not say file:line: $out"

start_collector
# What-if: nothing is sent.
"$BUILD/vigilctl" escalation test --category attack --severity high >"$T/explain.txt" ||
	fail "escalation test failed"
grep -q "ward-police" "$T/explain.txt" && grep -q "level 2.*head-of-unit" "$T/explain.txt" ||
	fail "escalation test does not show the chain: $(cat "$T/explain.txt")"

# A rule of our own for the data leak: the shipped rules have none.
cat >"$T/rules/leak.rules" <<'EOF'
[rule test.data_leak]
description = A test line standing for data copied out of the unit
prefilter = EXFIL
pattern = ^EXFIL (?<path>\S+)$
category = data_leak
severity = high
summary = Data copied out: {path}
EOF
for a in pc-01 pc-02; do
	: >"$T/$a.log"
	write_agent_conf "$a" "$PORT" "$T/$a.log"
	sed -i "s|^unit = test-unit|unit = test-unit\nlocal_rules_dir = $T/rules|" "$T/$a/agent.conf"
	start_agent "$a"
	eval "PID_$(echo "$a" | tr - _)=\$AGENT_PID"
done
wait_for 20 "both agents to say hello" sh -c "[ \$(grep -c 'says hello' '$T/collector.$COLL_STARTS.log') -ge 2 ]"

# mails RCPT PATTERN: how many messages to RCPT have PATTERN in their subject.
mails() {
	"$PY" - "$T/mail" "$1" "$2" <<'EOF'
import email, email.policy, json, os, sys
d, rcpt, pat = sys.argv[1:]
n = 0
for f in sorted(os.listdir(d)):
    if not f.endswith(".eml"):
        continue
    meta = json.load(open(os.path.join(d, f[:-4] + ".json")))
    if rcpt not in meta["rcpt_tos"]:
        continue
    msg = email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default)
    if pat in str(msg["Subject"]):
        n += 1
print(n)
EOF
}
mails_are() { [ "$(mails "$1" "$2")" = "$3" ]; }
# police N: how many webhook calls were about incident N.
police() {
	"$PY" - "$T/police" "$1" <<'EOF'
import json, os, sys
d, want = sys.argv[1], int(sys.argv[2])
print(sum(1 for f in os.listdir(d) if f.endswith(".json")
          and json.load(open(os.path.join(d, f), encoding="utf-8"))["incident"] == want))
EOF
}
police_is() { [ "$(police "$1")" = "$2" ]; }
outbox() { db "SELECT $1 FROM outbox WHERE incident_id = $2 AND contact = '$3' AND level = $4;"; }
now_s() { date +%s; }
past() { [ "$(now_s)" -gt "$1" ]; }

# ---- 1. the brute force ------------------------------------------------------------------
i=1
while [ $i -le 5 ]; do
	echo "Nov 25 10:00:0$i pc sshd[100$i]: Failed password for root from 203.0.113.9 port 5000$i ssh2" >>"$T/pc-01.log"
	i=$((i + 1))
done
wait_for 20 "the brute-force incident" sh -c "[ -n \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT id FROM incidents WHERE rule = 'ssh.bruteforce'\")\" ]"
A=$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce';")
[ "$(db "SELECT category || ' ' || severity FROM incidents WHERE id = $A;")" = "10 4" ] ||
	fail "the brute force is not a high attack incident"

wait_for 20 "the IT officer's mail about the brute force" mails_are it@unit.example "SSH brute force" 1
wait_for 20 "the IT officer's text message" test -s "$T/sms.json"
grep -q "\"incident\":$A" "$T/sms.json" || fail "the command did not get incident $A as JSON"
# The Police webhook is down: attempts fail and are recorded, then it comes up.
wait_for 20 "a failed attempt at the Police webhook" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT count(*) FROM notify_attempts n JOIN outbox o ON o.id = n.outbox_id WHERE o.contact = 'ward-police' AND n.ok = 0\")\" -ge 1 ]"
start_receiver police https_sink.py --dir "$T/police" --cert "$CRT" --key "$KEY" --port "$POLICE_PORT"
wait_for 20 "the Police webhook about the brute force" police_is "$A" 1
[ "$(outbox status "$A" ward-police 0)" = sent ] || fail "the Police notification is not marked sent"
"$BUILD/vigilctl" incident show "$A" >"$T/show-a.txt"
grep -q "failed (connect)" "$T/show-a.txt" || fail "incident show lacks the failed attempt: $(cat "$T/show-a.txt")"
grep -q "delivered" "$T/show-a.txt" || fail "incident show lacks the delivered attempt"
grep -q "at once to ward-police by webhook" "$T/show-a.txt" || fail "incident show lacks the Police notification"

# No ack within 5 s: the head of unit.
wait_for 20 "the head of unit's mail about the brute force" mails_are head@unit.example "SSH brute force" 1
l1=$(outbox created_us "$A" it-officer 1 | head -n 1)
l2=$(outbox created_us "$A" head-of-unit 2)
[ $((l2 - l1)) -ge 5000000 ] && [ $((l2 - l1)) -lt 8000000 ] ||
	fail "level 2 came $((l2 - l1)) us after level 1, expected 5 s"
"$BUILD/vigilctl" incident ack "$A" >/dev/null || fail "vigilctl incident ack failed"
# Level 3 would have been due 5 s after level 2: wait past that, then nothing may have come.
deadline=$(( (l2 / 1000000) + 5 + 2 ))
wait_for 20 "the time level 3 would have been due" past "$deadline"
mails_are party@unit.example "SSH brute force" 0 || fail "the party office was mailed after the ack"
[ -z "$(outbox id "$A" party-office 3)" ] || fail "a level-3 notification was made after the ack"
mails_are head@unit.example "SSH brute force" 1 || fail "the head of unit was mailed twice"

# ---- 2. a data leak, and the collector killed between its steps ----------------------------
echo "Nov 25 10:01:00 pc exfil[42]: EXFIL /srv/hoso/secret.db" >>"$T/pc-02.log"
wait_for 20 "the data-leak incident" sh -c "[ -n \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT id FROM incidents WHERE rule = 'test.data_leak'\")\" ]"
B=$(db "SELECT id FROM incidents WHERE rule = 'test.data_leak';")
wait_for 20 "the Police webhook about the data leak" police_is "$B" 1
wait_for 20 "the IT officer's mail about the data leak" mails_are it@unit.example "Data copied out" 1
# Every step of B so far is delivered and recorded; level 2 is due 5 s after level 1.
wait_for 20 "the IT officer's mail to be recorded as sent" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT count(*) FROM outbox WHERE incident_id = $B AND status = 'sent'\")\" -ge 3 ]"
b1=$(outbox created_us "$B" it-officer 1 | head -n 1)
[ -z "$(outbox id "$B" head-of-unit 2)" ] || fail "level 2 of the data leak came too early"
stop_pid "$COLL_PID" KILL
# The same port again, so that the agents come back (else they would rightly be silent).
sed -i "s|^port = 0\$|port = $PORT|" "$T/collector.conf"
start_collector
wait_for 20 "the head of unit's mail about the data leak" mails_are head@unit.example "Data copied out" 1
b2=$(outbox created_us "$B" head-of-unit 2)
[ $((b2 - b1)) -ge 5000000 ] && [ $((b2 - b1)) -lt 8000000 ] ||
	fail "after the restart level 2 came $((b2 - b1)) us after level 1, expected 5 s"
# Once each: nothing delivered before the kill went out again.
deadline=$(( (b2 / 1000000) + 2 ))
wait_for 20 "two seconds after level 2" past "$deadline"
mails_are head@unit.example "Data copied out" 1 || fail "level 2 of the data leak was sent twice"
mails_are it@unit.example "Data copied out" 1 || fail "level 1 of the data leak was sent again"
police_is "$B" 1 || fail "the Police were told of the data leak twice"
[ "$(db "SELECT count(*) FROM incidents WHERE kind = 'agent_silent';")" = 0 ] ||
	fail "an agent was taken for silent across the restart"
[ "$(db "SELECT count(*) FROM outbox WHERE incident_id = $B AND contact = 'head-of-unit';")" = 1 ] ||
	fail "level 2 of the data leak is in the outbox more than once"
"$BUILD/vigilctl" incident ack "$B" >/dev/null || fail "ack of the data leak failed"

# ---- 3. correlation across machines, and an agent that stops reporting -------------------
echo "Nov 25 10:02:00 pc sshd[2001]: Failed password for admin from 198.51.100.77 port 40001 ssh2" >>"$T/pc-01.log"
echo "Nov 25 10:02:01 pc sshd[2002]: Failed password for admin from 198.51.100.77 port 40002 ssh2" >>"$T/pc-02.log"
wait_for 20 "the correlation incident" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT count(*) FROM incident_agents ia JOIN incidents i ON i.id = ia.incident_id WHERE i.dedup_key = 'corr:src_ip:198.51.100.77'\")\" = 2 ]"
C=$(db "SELECT id FROM incidents WHERE dedup_key = 'corr:src_ip:198.51.100.77';")
[ "$(db "SELECT kind || ' ' || event_count FROM incidents WHERE id = $C;")" = "correlation 2" ] ||
	fail "the correlation incident does not link both failures"
"$BUILD/vigilctl" incident show "$C" | grep -q "machines: pc-01, pc-02" || fail "incident show does not list the machines"
"$BUILD/vigilctl" incidents --host pc-02 | grep -q "198.51.100.77" || fail "--host does not find a correlated machine"

# Killed: no goodbye, so silent (a clean stop would be "off", t19).
stop_pid "$PID_pc_02" KILL
wait_for 30 "pc-02 to be reported silent" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT status FROM incidents WHERE kind = 'agent_silent' AND agent = 'pc-02'\")\" = new ]"
start_agent pc-02
wait_for 30 "the silence incident to be closed when pc-02 returns" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT status || ' ' || resolution FROM incidents WHERE kind = 'agent_silent' AND agent = 'pc-02'\")\" = 'resolved true_positive' ]"
[ "$(db "SELECT actor FROM audit WHERE action = 'resolve' AND incident = (SELECT id FROM incidents WHERE kind = 'agent_silent');")" = system ] ||
	fail "the silence incident was not resolved by the system"
"$BUILD/vigilctl" audit verify >/dev/null || fail "the audit trail is broken: $("$BUILD/vigilctl" audit verify 2>&1)"
pass "mailed at once, head after the timeout, ack stops the climb, Police at once with retries, restart sends level 2 once; correlation; silent agent"
