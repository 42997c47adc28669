# A Vietnamese notification says nothing in English, end to end: an agent
# speaking Vietnamese ([agent] language = vi) logs in Vietnamese and takes its
# rules' summary_vi; an SSH brute force becomes an incident whose title is
# that summary; the contact's command receives the notification (subject and
# text in its JSON), written in Vietnamese with no English sentence of the
# template and no English summary. An agent left in English, beside it, sends
# the same events with English summaries: the language is the agent's choice.
. "$(dirname "$0")/lib.sh"

R="$TOP/tests/integration/receivers"
pki_setup pc-vi pc-en

cat >"$T/escalation.conf" <<EOF
[contact it-vi]
name = Cán bộ CNTT
command = /bin/sh $R/exec_sink.sh write $T/vi.json
language = vi

[contact it-en]
name = IT officer
command = /bin/sh $R/exec_sink.sh write $T/en.json
language = en

[chain vi]
level1 = it-vi

[chain en]
level1 = it-en

[route vi]
unit = phuong-vi
min_severity = medium
chain = vi
group_by = incident
group_wait = 0s

[route default]
min_severity = medium
chain = en
group_by = incident
group_wait = 0s
EOF
write_collector_conf 0 "escalation = $T/escalation.conf"
start_collector

for a in pc-vi pc-en; do
	: >"$T/$a.log"
	write_agent_conf "$a" "$PORT" "$T/$a.log"
done
sed -i "s|^unit = test-unit|unit = phuong-vi\nlanguage = vi|" "$T/pc-vi/agent.conf"
start_agent pc-vi
start_agent pc-en
wait_for 20 "both agents to say hello" sh -c "[ \$(grep -c 'says hello' '$T/collector.$COLL_STARTS.log') -ge 2 ]"
# The Vietnamese agent says what it does in Vietnamese; what agent.rules reads back stays.
grep -q "Đã nạp [0-9]* quy tắc" "$T/agent-pc-vi.log" || fail "the agent's log is not in Vietnamese"
grep -q "agent pc-vi starting" "$T/agent-pc-vi.log" || fail "the line agent.rules reads changed"

# Five failed passwords from one address on each machine: the shipped ssh.bruteforce.
for a in pc-vi pc-en; do
	i=1
	while [ $i -le 5 ]; do
		echo "Nov 25 10:00:0$i pc sshd[100$i]: Failed password for root from 203.0.113.9 port 5000$i ssh2" >>"$T/$a.log"
		i=$((i + 1))
	done
done
wait_for 20 "both agents' brute-force events" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT count(*) FROM events WHERE rule = 'ssh.bruteforce'\")\" = 2 ]"
vi=$(db "SELECT summary FROM events WHERE rule = 'ssh.bruteforce' AND agent = 'pc-vi';")
en=$(db "SELECT summary FROM events WHERE rule = 'ssh.bruteforce' AND agent = 'pc-en';")
[ "$vi" = "Dò mật khẩu SSH từ 203.0.113.9: 5 lần sai trong 60s" ] || fail "the Vietnamese agent's summary: $vi"
[ "$en" = "SSH brute force from 203.0.113.9: 5 failures in 60s" ] || fail "the English agent's summary: $en"
db "SELECT summary FROM events WHERE rule = 'ssh.failed_password' AND agent = 'pc-vi';" |
	grep -qv "^Sai mật khẩu SSH cho root từ 203.0.113.9$" && fail "a failed password's summary is not Vietnamese"

# The incident of the Vietnamese machine reaches its contact, in Vietnamese.
A=$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce' AND agent = 'pc-vi';")
[ -n "$A" ] || fail "no brute-force incident for the Vietnamese machine"
wait_for 20 "the notification of incident $A" grep -q "\"incident\":$A," "$T/vi.json"
wait_for 20 "the English machine's notification" test -s "$T/en.json"
grep -q "SSH brute force from 203.0.113.9" "$T/en.json" || fail "the English notification lacks the English summary"
python3 - "$T/vi.json" <<'EOF' || fail "the Vietnamese notification is not Vietnamese: $(cat "$T/vi.json")"
import json, sys
n = json.load(open(sys.argv[1], encoding="utf-8"))
words = n["subject"] + "\n" + n["text"]
want = ["Dò mật khẩu SSH từ 203.0.113.9: 5 lần sai trong 60s", "Kính gửi Cán bộ CNTT",
        "Vigil phát hiện một sự cố an toàn thông tin", "Mức độ:", "Việc cần làm:",
        "[Vigil][CAO] Tấn công mạng"]
english = ["SSH brute force", "failures in", "Vigil has detected", "Severity:", "Category:",
           "What to do", "Acknowledge it", "First seen", "Cyber attack", "HIGH", " machine ",
           " unit ", "security monitoring", "Evidence"]
missing = [w for w in want if w not in words]
found = [w for w in english if w in words]
if missing or found or n["language"] != "vi":
    print("missing:", missing, "English:", found, file=sys.stderr)
    sys.exit(1)
EOF
pass "an agent speaking Vietnamese: its log, its summaries, the incident's title and the notification, with no English sentence; an English agent beside it unchanged"
