# The Windows agent's file follower across log rotation, under wine64 against
# the real collector: a log renamed (and written after its rename, as a writer
# that still holds it does) is read to its end before the new file at its name;
# a log truncated in place is read again from its start; a log rotated while
# the agent was killed is found by its file index among the rotated names and
# finished first. Every matching line is stored exactly once (check_exact, as
# t03 and t25 check it). The renames are Linux's (mv): under Wine they show
# the agent's side (a held handle, file identity), not Windows' sharing rules.
. "$(dirname "$0")/lib.sh"

need /usr/lib/wine/wine64 wineserver sqlite3
EXE=$BUILD/windows/x86_64/vigil-agent.exe
[ -f "$EXE" ] || fail "$EXE is missing: make windows builds it"

wine_prefix

ID=win-rot
CPORT=$(free_port)
pki_setup "$ID"
write_collector_conf "$CPORT"
start_collector
mkdir -p "$T/w"
cat >"$T/w/agent.conf" <<EOA
[agent]
state_dir = Z:$T/w/state
unit = test-unit
rules_dir = Z:$TOP/deploy/rules.d
local_rules_dir = Z:$T/w/local.d

[collector]
address = 127.0.0.1
port = $CPORT
ca = Z:$T/pki/ca.crt
cert = Z:$T/pki/agents/$ID.crt
key = Z:$T/pki/agents/$ID.key
reconnect_min = 100ms
reconnect_max = 1s
reconnect_spread = 500ms

[windows]
audit_policy = off

[source auth]
path = Z:$T/w/auth.log
EOA
: >"$T/w/auth.log"
L=$T/w/auth.log

# start_win: the agent in a console under wine64; WIN_PID is the Wine process.
start_win() {
	: >>"$T/agent.log"
	_n=$(grep -c "starting, 1 source" "$T/agent.log" || true)
	/usr/lib/wine/wine64 "$EXE" -d -v -f "Z:$T/w/agent.conf" >>"$T/agent.log" 2>&1 &
	WIN_PID=$!
	PIDS="$PIDS $WIN_PID"
	wait_for 120 "the agent to start under Wine" sh -c \
		"[ \$(grep -c 'starting, 1 source' '$T/agent.log') -gt $_n ]"
}

start_win
wait_for 60 "$ID connected" sh -c "sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
	\"SELECT os FROM agents WHERE agent = '$ID'\" | grep -q '^Windows '"
gen_lines 1 400 >>"$L"
wait_for 60 "20 events from the first file" count_is "$ID" 20

# --- renamed, written after the rename, a new file at the name
mv "$L" "$L.1"
gen_lines 401 600 >>"$L.1"
gen_lines 601 1000 >"$L"
wait_for 60 "50 events after the rename" count_is "$ID" 50
check_exact "$ID" 1 1000

# --- truncated in place (copytruncate): from its start
cp "$L" "$L.2"
: >"$L"
gen_lines 1001 1100 >>"$L"
wait_for 60 "55 events after the truncation" count_is "$ID" 55
check_exact "$ID" 1 1100

# --- rotated while the agent was killed: the old file found by its index, finished first
stop_pid "$WIN_PID" KILL
mv "$L" "$L.3"
gen_lines 1101 1300 >>"$L.3"
gen_lines 1301 1500 >"$L"
start_win
wait_for 90 "75 events after the restart" count_is "$ID" 75
check_exact "$ID" 1 1500
# Stopped: its goodbye comes after everything it read was sent; still each line once.
kill -INT "$WIN_PID"
wait_for 60 "$ID recorded off after its goodbye" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' \
	'$T/vigil.db' \"SELECT off_reason FROM agents WHERE agent = '$ID' AND off_us > 0\")\" = stopped ]"
wait_for 60 "the Wine process to exit" sh -c "! kill -0 $WIN_PID"
check_exact "$ID" 1 1500
pass "x86_64 under Wine: a renamed log finished before the new one, a truncated one read again, a rotation while killed found by file index; 1,500 lines, 75 events, each once"
