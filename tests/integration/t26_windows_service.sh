# The Windows agent as a service under Wine's Service Control Manager:
# vigil-agent.exe --install-service registers it (and checks its file
# first: a bad one is refused and nothing is installed), `sc start` starts
# it under the SCM (StartServiceCtrlDispatcherW), it connects to the real
# collector with mutual TLS, `sc stop` makes it say goodbye (the collector
# records it off, "stopped"), and --uninstall-service leaves nothing: no
# service, no event-log source, no process of it in the prefix.
# The MSI (make windows): its tables checked with msiinfo, then msiexec /i
# /qn with COLLECTOR, PORT, UNIT, CA, CERT, KEY and AUDITPOLICY installs,
# configures (audit_policy = set) and starts the agent, which connects; the
# token's action (Enroll, hidden, as SYSTEM) is checked in the tables here
# and run in t44; msiexec /x stops it (goodbye) and
# removes the exe, the rules, the service and the event source.
# What Wine cannot show: pre-shutdown and power events (Wine's SCM sends
# neither), the access list's effect (Wine keeps it but does not enforce it
# for a Unix user), the Application log (ReportEventW stores nothing).
. "$(dirname "$0")/lib.sh"

need /usr/lib/wine/wine64 wineserver sqlite3 msiinfo
EXE=$BUILD/windows/x86_64/vigil-agent.exe
[ -f "$EXE" ] || fail "$EXE is missing: make windows builds it"
W=/usr/lib/wine/wine64

wine_prefix

# Wine ends a prefix's services (ours included, without a word) once no
# user process is left in it: one stays for the whole test, as a logged-in
# user's session does on Windows. Ended by PID, then with the prefix.
"$W" cmd /c "ping -n 3600 127.0.0.1 >nul" >/dev/null 2>&1 &
PIDS="$PIDS $!"

CPORT=$(free_port)
pki_setup win-svc win-msi
write_collector_conf "$CPORT"
start_collector
mkdir -p "$T/svc"
cat >"$T/svc/agent.conf" <<EOA
[agent]
state_dir = Z:$T/svc/state
unit = test-unit
rules_dir = Z:$TOP/deploy/rules.d
local_rules_dir = Z:$T/svc/local.d

[collector]
address = 127.0.0.1
port = $CPORT
ca = Z:$T/pki/ca.crt
cert = Z:$T/pki/agents/win-svc.crt
key = Z:$T/pki/agents/win-svc.key
reconnect_min = 100ms
reconnect_max = 1s

[source auth]
path = Z:$T/svc/auth.log
EOA
: >"$T/svc/auth.log"

# the SCM's view of the service: its STATE line, or "none"
svc_state() {
	timeout 60 "$W" sc query Vigil 2>/dev/null | sed -n 's/^ *STATE *: *[0-9]* *\([A-Z_]*\).*/\1/p' |
		grep . || echo none
}
state_is() {
	[ "$(svc_state)" = "$1" ]
}

# --- a bad file is refused before anything is registered
sed 's/^port = .*/port = 99999/' "$T/svc/agent.conf" >"$T/svc/bad.conf"
if out=$(timeout 120 "$W" "$EXE" --install-service -f "Z:$T/svc/bad.conf" 2>&1); then
	fail "a bad configuration was installed: $out"
fi
case $out in *bad.conf:*port*) ;; *) fail "the refusal does not name the file and key: $out" ;; esac
[ "$(svc_state)" = none ] || fail "a refused install left a service: $(svc_state)"

# --- install, start under the SCM, connected
out=$(timeout 120 "$W" "$EXE" --install-service -f "Z:$T/svc/agent.conf" 2>&1) ||
	fail "--install-service failed: $out"
# The access lists of the data folder and the key were set (SetNamedSecurityInfoW said so).
case $out in *failed*) fail "--install-service said: $out" ;; esac
timeout 60 "$W" reg query 'HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\Vigil' \
	>/dev/null 2>&1 || fail "the event source Vigil is not registered"
timeout 60 "$W" reg query 'HKLM\SYSTEM\CurrentControlSet\Services\Vigil' /v ImagePath \
	>"$T/imagepath.txt" 2>&1 || fail "the service has no ImagePath"
grep -q -- '--service -f' "$T/imagepath.txt" || fail "ImagePath: $(cat "$T/imagepath.txt")"
timeout 60 "$W" sc start Vigil >"$T/sc-start.txt" 2>&1 || fail "sc start failed: $(cat "$T/sc-start.txt")"
wait_for 120 "the service RUNNING" state_is RUNNING
wait_for 60 "the service connected" sh -c "sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
	\"SELECT os FROM agents WHERE agent = 'win-svc' AND off_us = 0\" | grep -q '^Windows '"

# --- stop: goodbye, off "stopped"
timeout 60 "$W" sc stop Vigil >"$T/sc-stop.txt" 2>&1 || fail "sc stop failed: $(cat "$T/sc-stop.txt")"
wait_for 60 "win-svc recorded off after its goodbye" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' \
	'$T/vigil.db' \"SELECT off_reason FROM agents WHERE agent = 'win-svc' AND off_us > 0\")\" = stopped ]"
[ "$(db "SELECT off_detail FROM agents WHERE agent = 'win-svc'")" = "the agent was stopped" ] ||
	fail "off_detail: $(db "SELECT off_detail FROM agents WHERE agent = 'win-svc'")"

# --- uninstall leaves nothing
out=$(timeout 120 "$W" "$EXE" --uninstall-service 2>&1) || fail "--uninstall-service failed: $out"
wait_for 60 "the service gone from the SCM" state_is none
if timeout 60 "$W" reg query 'HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\Vigil' \
	>/dev/null 2>&1; then
	fail "the event source Vigil is still registered"
fi
# Only this prefix's processes: another Windows test's service may be running.
no_service_left() { ! wine_procs 'vigil-agent\.exe"? +--service'; }
wait_for 60 "no vigil-agent.exe --service left in the prefix" no_service_left
out=$(timeout 120 "$W" "$EXE" --uninstall-service 2>&1) || fail "a second uninstall failed: $out"
case $out in *"not installed"*) ;; *) fail "a second uninstall said: $out" ;; esac
# --- the MSI: its tables, then installed with the properties, and removed
MSI=$BUILD/windows/vigil-agent-x86_64.msi
[ -f "$MSI" ] || fail "$MSI is missing: make windows builds it"
for t in File Component ServiceInstall ServiceControl CustomAction Registry InstallExecuteSequence; do
	msiinfo tables "$MSI" | grep -qx "$t" || fail "the MSI has no $t table"
done
msiinfo export "$MSI" ServiceInstall | grep -q "^AgentService	Vigil	Vigil agent	16	2	" ||
	fail "ServiceInstall: not an automatic own-process service: $(msiinfo export "$MSI" ServiceInstall)"
msiinfo export "$MSI" CustomAction | grep -q 'AgentExe	--configure COLLECTOR="\[COLLECTOR\]" PORT="\[PORT\]" UNIT="\[UNIT\]" CA="\[CA\]" CERT="\[CERT\]" KEY="\[KEY\]" AUDITPOLICY="\[AUDITPOLICY\]"' ||
	fail "CustomAction: $(msiinfo export "$MSI" CustomAction)"
# Deferred, not impersonated (3090 = 18 + 1024 + 2048): it runs as SYSTEM.
msiinfo export "$MSI" CustomAction | grep -q '^Configure	3090	' || fail "Configure is not deferred as SYSTEM"
# msi_table NAME: a table's rows (msiinfo ends them with CR LF).
msi_table() {
	msiinfo export "$MSI" "$1" | tr -d '\r'
}
# With TOKEN, Enroll instead: deferred as SYSTEM, its command line never logged
# (11282 = 3090 + 8192, msidbCustomActionTypeHideTarget), the token hidden
# from the log (MsiHiddenProperties), the enrolment port 7444 unless given.
msi_table CustomAction | grep -q '^Enroll	11282	AgentExe	--configure COLLECTOR="\[COLLECTOR\]" .*TOKEN="\[TOKEN\]" ENROLLPORT="\[ENROLLPORT\]" AUDITPOLICY="\[AUDITPOLICY\]"' ||
	fail "Enroll is not a hidden deferred action as SYSTEM: $(msiinfo export "$MSI" CustomAction)"
msi_table Property | grep -qx 'MsiHiddenProperties	TOKEN' || fail "TOKEN is not hidden: $(msi_table Property)"
msi_table Property | grep -qx 'ENROLLPORT	7444' || fail "ENROLLPORT has no default 7444"
msi_table InstallExecuteSequence | grep -qx 'Configure	NOT REMOVE AND NOT TOKEN	5850' &&
msi_table InstallExecuteSequence | grep -qx 'Enroll	NOT REMOVE AND TOKEN	5851' ||
	fail "InstallExecuteSequence: $(msiinfo export "$MSI" InstallExecuteSequence)"
nrules=$(ls "$TOP"/deploy/rules.d/*.rules | wc -l)
[ "$(msiinfo export "$MSI" File | grep -c '\.rules	')" = "$nrules" ] || fail "the MSI does not hold the $nrules shipped rules"
out=$(timeout 300 "$W" msiexec /i "Z:$MSI" /qn COLLECTOR=127.0.0.1 PORT="$CPORT" UNIT=test-unit \
	CA="Z:$T/pki/ca.crt" CERT="Z:$T/pki/agents/win-msi.crt" KEY="Z:$T/pki/agents/win-msi.key" \
	AUDITPOLICY=set 2>&1) ||
	fail "msiexec /i failed: $out"
PF="$WINEPREFIX/drive_c/Program Files/Vigil"
[ -f "$PF/vigil-agent.exe" ] && [ -f "$PF/rules.d/sshd.rules" ] || fail "the MSI did not install the exe and the rules"
grep -q '^unit = test-unit' "$WINEPREFIX/drive_c/ProgramData/Vigil/vigil-agent.conf" &&
grep -q '^audit_policy = set' "$WINEPREFIX/drive_c/ProgramData/Vigil/vigil-agent.conf" ||
	fail "the MSI's configuration: $(cat "$WINEPREFIX/drive_c/ProgramData/Vigil/vigil-agent.conf")"
wait_for 120 "the MSI's service connected" sh -c "sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
	\"SELECT os FROM agents WHERE agent = 'win-msi' AND off_us = 0\" | grep -q '^Windows '"
out=$(timeout 300 "$W" msiexec /x "Z:$MSI" /qn 2>&1) || fail "msiexec /x failed: $out"
wait_for 60 "win-msi recorded off after the uninstall" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' \
	'$T/vigil.db' \"SELECT off_reason FROM agents WHERE agent = 'win-msi' AND off_us > 0\")\" = stopped ]"
# The exe goes too. Windows Installer queues a file still in use for deletion
# at the next boot; Wine's msi only tries DeleteFile once (dlls/msi/files.c)
# and leaves the file when the service's process, stopped, has not exited yet
# (seen on a machine busy with other builds). Then: nothing of it running,
# every other file gone, and it is said.
exe_gone() { [ ! -e "$PF/vigil-agent.exe" ]; }
if ! poll_until 60 exe_gone; then
	no_agent_left() { ! wine_procs 'vigil-agent\.exe'; }
	wait_for 60 "no vigil-agent.exe running in the prefix after msiexec /x" no_agent_left
	left=$(cd "$PF" && find . -type f ! -name vigil-agent.exe | head -n 5)
	[ -z "$left" ] || fail "msiexec /x left files: $left"
	echo "  NOTE    $TEST_NAME: Wine's msi left the exe it could not delete while in use (Windows queues it for the next boot)"
fi
[ "$(svc_state)" = none ] || fail "msiexec /x left the service: $(svc_state)"
if timeout 60 "$W" reg query 'HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\Vigil' \
	>/dev/null 2>&1; then
	fail "msiexec /x left the event source"
fi
pass "Wine's SCM: install (a bad file refused), sc start, connected, sc stop with goodbye, uninstall leaves nothing; the MSI's tables, msiexec /i with the properties connects, /x says goodbye and leaves nothing"
