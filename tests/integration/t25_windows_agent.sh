# The Windows agent under Wine, against the real Linux collector on 127.0.0.1
# with mutual TLS and a certificate from vigilctl pki: vigil-agent.exe
# (x86_64 under wine64, i686 under 32-bit wine) connects and shows in
# vigilctl agents as a Windows machine, follows a log file through the
# shipped rules, spools while the collector is down, delivers exactly once
# after a SIGKILL of the Wine process, sends posture heartbeats (the update
# part: Wine answers the OS version and the registry; Security Center and
# Windows Update are stubs there, so those parts are unknown) and says
# goodbye when stopped (Ctrl+C: Wine turns SIGINT into a console control
# event), after which the collector records it off, not silent. Wine's
# AuditQuerySystemPolicy is a stub (FALSE, ERROR_CALL_NOT_IMPLEMENTED): the
# audit policy is "unavailable", never "all off", even with audit_policy = set.
. "$(dirname "$0")/lib.sh"

need /usr/lib/wine/wine64 wineserver sqlite3
win_arches
# IDS: the machines this run starts, win-64 and (with wine32) win-32.
IDS=win-64
case $WIN_ARCHES in *i686*) IDS="win-64 win-32" ;; esac
for arch in $WIN_ARCHES; do
	[ -f "$BUILD/windows/$arch/vigil-agent.exe" ] ||
		fail "$BUILD/windows/$arch/vigil-agent.exe is missing: make windows builds it"
done

wine_prefix

# win_conf ID PORT: the agent's configuration, every path a Windows one (Z: is /).
win_conf() {
	mkdir -p "$T/$1"
	cat >"$T/$1/agent.conf" <<EOA
[agent]
state_dir = Z:$T/$1/state
unit = test-unit
rules_dir = Z:$TOP/deploy/rules.d
local_rules_dir = Z:$T/$1/local.d

[collector]
address = 127.0.0.1
port = $2
ca = Z:$T/pki/ca.crt
cert = Z:$T/pki/agents/$1.crt
key = Z:$T/pki/agents/$1.key
batch_max = 200
window = 4
reconnect_min = 100ms
reconnect_max = 1s
reconnect_spread = 500ms
connect_timeout = 5s

[updates]
enabled = yes
check_interval = 2s

[antivirus]
provider = securitycenter
check_interval = 2s

[windows]
audit_policy = set
audit_check_interval = 2s

[source auth]
path = Z:$T/$1/auth.log
EOA
	: >"$T/$1/auth.log"
}

# start_win ID ARCH: the agent in a console under Wine; WIN_PID is the Wine
# process itself (the loader execs into it), which a signal reaches.
start_win() {
	case $2 in
	x86_64) _loader=/usr/lib/wine/wine64 ;;
	i686) _loader=/usr/lib/wine/wine ;;
	esac
	# The log exists before the count: the background shell may open it later.
	: >>"$T/agent-$1.log"
	_n=$(grep -c "starting, 1 source" "$T/agent-$1.log" || true)
	"$_loader" "$BUILD/windows/$2/vigil-agent.exe" -d -v -f "Z:$T/$1/agent.conf" \
		>>"$T/agent-$1.log" 2>&1 &
	WIN_PID=$!
	PIDS="$PIDS $WIN_PID"
	wait_for 120 "agent $1 to start under Wine" sh -c \
		"[ \$(grep -c 'starting, 1 source' '$T/agent-$1.log') -gt $_n ]"
}

CPORT=$(free_port)
pki_setup win-64 win-32
write_collector_conf "$CPORT"
start_collector
win_conf win-64 "$CPORT"
win_conf win-32 "$CPORT"

# -n checks the file and says so; the first Wine run also makes the prefix.
out=$(timeout 120 /usr/lib/wine/wine64 "$BUILD/windows/x86_64/vigil-agent.exe" -n \
	-f "Z:$T/win-64/agent.conf" 2>&1) || fail "vigil-agent.exe -n failed: $out"
case $out in *"configuration OK"*) ;; *) fail "vigil-agent.exe -n said: $out" ;; esac

start_win win-64 x86_64
W64=$WIN_PID
W32=""
case $IDS in *win-32*) start_win win-32 i686; W32=$WIN_PID ;; esac

# --- both show as Windows machines
for id in $IDS; do
	wait_for 60 "$id connected" sh -c "sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
		\"SELECT os FROM agents WHERE agent = '$id'\" | grep -q '^Windows '"
done
"$BUILD/vigilctl" agents >"$T/agents.txt" || fail "vigilctl agents failed"
grep -q 'win-64.*Windows .* x86_64' "$T/agents.txt" ||
	fail "vigilctl agents does not show win-64 as Windows x86_64: $(cat "$T/agents.txt")"
case $IDS in *win-32*)
	grep -q 'win-32.*Windows .* i686' "$T/agents.txt" ||
		fail "vigilctl agents does not show win-32 as Windows i686: $(cat "$T/agents.txt")"
	;;
esac

# --- posture heartbeats: the system and its support state (RtlGetVersion), no
# pending reboot (the registry); Security Center and Windows Update are stubs
# under Wine: unknown (0 and -1), not "no antivirus" and not "up to date".
for id in $IDS; do
	wait_for 60 "a posture heartbeat of $id" sh -c "sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
		\"SELECT os FROM posture WHERE agent = '$id'\" | grep -q '^Windows .*support'"
	[ "$(db "SELECT av_running, security_updates_pending, reboot_required FROM posture
		WHERE agent = '$id'")" = "0|-1|2" ] ||
		fail "$id's posture under Wine: $(db "SELECT * FROM posture WHERE agent = '$id'")"
done
grep -q "Security Center does not answer (the WMI namespace does not answer (0x8004100e))" \
	"$T/agent-win-64.log" || fail "win-64 did not say that Security Center does not answer"
wait_for 60 "win-64 to say Windows Update does not answer" \
	grep -q "Windows Update does not answer" "$T/agent-win-64.log"

# --- the audit policy: Wine's stub is "unavailable", in the store and in vigilctl
for id in $IDS; do
	wait_for 60 "$id's audit policy in its posture" sh -c "sqlite3 -cmd '.timeout 5000' \
		'$T/vigil.db' \"SELECT audit_policy FROM posture WHERE agent = '$id'\" |
		grep -qx 'unavailable: not implemented (error 120)'"
done
"$BUILD/vigilctl" --json agents >"$T/agents.json" || fail "vigilctl --json agents failed"
grep '"agent":"win-64"' "$T/agents.json" |
	grep -q '"audit_policy":"unavailable: not implemented (error 120)"' ||
	fail "vigilctl --json agents does not show win-64's audit policy: $(cat "$T/agents.json")"
grep -q 'Windows does not tell its audit policy (not implemented (error 120))' \
	"$T/agent-win-64.log" || fail "win-64 did not say that the audit policy is unavailable"
grep -q 'Audit policy: .* switched on' "$T/agent-win-64.log" &&
	fail "win-64 claims to have set an audit policy Wine cannot set"
"$BUILD/vigilctl" compliance >"$T/compliance.txt" || true
grep -q 'audit policy' "$T/compliance.txt" &&
	fail "an unavailable audit policy is shown as incomplete: $(cat "$T/compliance.txt")"

# --- the self-test: every posture source asked, the answers recorded, names replaced
timeout 120 /usr/lib/wine/wine64 "$BUILD/windows/x86_64/vigil-agent.exe" --selftest \
	--record "Z:$T/record" >"$T/selftest.out" 2>&1 || fail "--selftest failed: $(cat "$T/selftest.out")"
for f in os.txt reboot.txt selftest.txt audit-policy.txt; do
	[ -s "$T/record/$f" ] || fail "--selftest --record wrote no $f"
done
grep -q '^system: Windows 7 (6.1.7601), out of support since 2020-01-14' "$T/record/selftest.txt" &&
	grep -q '^Security Center: unavailable: .*0x8004100e' "$T/record/selftest.txt" &&
	grep -q '^antivirus reported: unknown (Security Center unavailable)' "$T/record/selftest.txt" &&
	grep -q '^Windows Update: unavailable' "$T/record/selftest.txt" &&
	grep -q '^audit policy: unavailable: not implemented (error 120)' "$T/record/selftest.txt" ||
	fail "--selftest's verdicts: $(cat "$T/record/selftest.txt")"
[ "$(grep -c ' ok=0 error=120 ' "$T/record/audit-policy.txt")" = 7 ] ||
	fail "--selftest's audit policy record: $(cat "$T/record/audit-policy.txt")"

# --- events from a followed file, through the shipped rules
gen_lines 1 2000 >>"$T/win-64/auth.log"
wait_for 60 "100 events from win-64" count_is win-64 100
case $IDS in *win-32*)
	gen_lines 1 2000 >>"$T/win-32/auth.log"
	wait_for 60 "100 events from win-32" count_is win-32 100
	check_exact win-32 1 2000
	;;
esac

# --- the collector down: the agent spools, then delivers everything
stop_pid "$COLL_PID" TERM
gen_lines 2001 4000 >>"$T/win-64/auth.log"
wait_for 60 "win-64 to spool while the collector is down" sh -c \
	"[ \$(sqlite3 -cmd '.timeout 5000' '$T/win-64/state/spool.db' 'SELECT count(*) FROM events') -ge 100 ]"
start_collector
wait_for 90 "200 events from win-64 after the collector came back" count_is win-64 200
check_exact win-64 1 4000

# --- SIGKILL of the Wine process mid-stream: none missing, none twice
gen_lines 4001 24000 >>"$T/win-64/auth.log"
wait_for 60 "some of the burst delivered" sh -c \
	"[ \$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT count(*) FROM events WHERE agent = 'win-64'\") -ge 250 ]"
stop_pid "$W64" KILL
gen_lines 24001 26000 >>"$T/win-64/auth.log"
start_win win-64 x86_64
W64=$WIN_PID
wait_for 120 "1,300 events from win-64 after the kill" count_is win-64 1300
check_exact win-64 1 26000

# --- stopped (Ctrl+C): goodbye, and the collector records it off, not silent
for pid in $W64 $W32; do kill -INT "$pid"; done
for id in $IDS; do
	wait_for 60 "$id recorded off after its goodbye" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' \
		'$T/vigil.db' \"SELECT off_reason FROM agents WHERE agent = '$id' AND off_us > 0\")\" = stopped ]"
done
for pid in $W64 $W32; do
	wait_for 60 "the Wine process $pid to exit" sh -c "! kill -0 $pid"
done
grep -q "The collector has our goodbye" "$T/agent-win-64.log" || fail "win-64 did not log its goodbye"
[ "$(db "SELECT count(*) FROM incidents WHERE kind = 'agent_silent'")" = 0 ] ||
	fail "a stopped Windows agent was taken for a silent one"
pass "$(echo "$WIN_ARCHES" | sed 's/ / and /') under Wine: Windows machines, a followed log, spool while the collector is down, exactly once after SIGKILL, posture heartbeats, the audit policy unavailable (Wine's stub), goodbye on stop"
