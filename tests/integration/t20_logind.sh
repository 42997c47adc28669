# Shutdown and sleep, told apart from a plain stop, through the system bus.
#
# systemd-logind cannot run here (systemd is not PID 1): logind (and systemd's
# answer to "is this a restart?") is a STAND-IN
# (receivers/logind_standin.py) that owns org.freedesktop.login1 on a private
# dbus-daemon, hands out delay locks as logind does (a pipe's write end) and
# emits PrepareForSleep / PrepareForShutdown when the test asks. The agent's
# side is real: sd-bus, the match rules, Inhibit, the lock's release.
#   - the agent takes a delay lock at start;
#   - PrepareForSleep(true): goodbye "suspend", recorded off; the lock is
#     released only after the collector has the goodbye; the agent stays up
#     and does not reconnect;
#   - PrepareForSleep(false): it reconnects at once (on again) and takes a
#     new lock;
#   - PrepareForShutdown(true), then (false), cancelled: off "shutdown", then
#     on again with a new lock;
#   - SIGTERM while systemd (a stand-in too) runs a restart job for the
#     agent's unit: off "restart"; started again: on, no incident; the same
#     without coming back: silent after three heartbeats, an incident, closed
#     when it comes back;
#   - SIGTERM while systemd says the system is stopping (a shutdown logind
#     did not announce): off "shutdown";
#   - PrepareForShutdown(true) then SIGTERM (what systemd does next): off
#     "shutdown", and the agent exits at once without a second goodbye.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, where python3-dbus and python3-gi live
need python3:dbus python3:gi dbus-daemon dbus-send

# ---- a private system bus and the stand-in ------------------------------------------------
BUS="unix:path=$T/bus.sock"
cat >"$T/bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>$BUS</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOC
dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile >"$T/dbus.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 "the private bus" test -S "$T/bus.sock"
"$PY" "$TOP/tests/integration/receivers/logind_standin.py" --bus "$BUS" --log "$T/logind.txt" \
    >"$T/logind.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 "the logind stand-in" grep -qx ready "$T/logind.txt"
emit() {
	dbus-send --bus="$BUS" --print-reply --dest=org.freedesktop.login1 /org/freedesktop/login1 \
	    org.vigil.test.LogindStandIn.Emit "string:$1" "boolean:$2" >/dev/null ||
		fail "the stand-in cannot emit $1 $2"
}
standin() { # METHOD ARG...: a test method of the stand-in
	_m=$1
	shift
	dbus-send --bus="$BUS" --print-reply --dest=org.freedesktop.login1 /org/freedesktop/login1 \
	    "org.vigil.test.LogindStandIn.$_m" "$@" >/dev/null || fail "the stand-in refused $_m $*"
}
lines() { # WORD: how many lines of the stand-in's log start with it
	grep -c "^$1 " "$T/logind.txt" || true
}
lines_are() {
	[ "$(lines "$1")" = "$2" ]
}

# ---- the collector and one agent on that bus ---------------------------------------------------
pki_setup pc-01
write_collector_conf 0
sed -i 's/^heartbeat = .*/heartbeat = 1s/' "$T/collector.conf"
start_collector
: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
printf '\n[usb]\nenabled = no\n' >>"$T/pc-01/agent.conf"
DBUS_SYSTEM_BUS_ADDRESS=$BUS start_agent pc-01
ctl() {
	"$BUILD/vigilctl" "$@"
}
connected() {
	ctl --json status | grep -q '"agents_connected":1,'
}
off_is() { # REASON ('' for on)
	[ "$(db "SELECT off_reason FROM agents WHERE agent = 'pc-01';")" = "$1" ]
}
wait_for 20 "the agent connected" connected
wait_for 10 "a delay lock" lines_are inhibit 1
grep -q '^inhibit [0-9]* shutdown:sleep delay Vigil agent$' "$T/logind.txt" ||
	fail "the lock is not a delay lock for shutdown and sleep: $(cat "$T/logind.txt")"

# ---- sleep, and back ----------------------------------------------------------------------------
emit sleep true
wait_for 10 "off (suspend)" off_is suspend
wait_for 10 "the lock released" lines_are released 1
released=$(sed -n 's/^released \([0-9]*\)$/\1/p' "$T/logind.txt" | head -n 1)
off_us=$(db "SELECT off_us FROM agents WHERE agent = 'pc-01';")
[ "$released" -ge "$off_us" ] || fail "the lock was released ($released) before the collector had the goodbye ($off_us)"
kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent exited on sleep"
ctl --json agents | grep -q '"state":"off","state_since":"[^"]*","off_reason":"suspend","off_detail":"the system is going to sleep"' ||
	fail "agents does not show it asleep: $(ctl --json agents)"
# Asleep: no reconnect, however long (the backoff would have retried within 1 s).
deadline=$(($(date +%s) + 2))
wait_for 10 "two seconds asleep" sh -c "[ \$(date +%s) -gt $deadline ]"
connected && fail "the agent reconnected while asleep"
emit sleep false
wait_for 10 "on again after the resume" off_is ""
wait_for 10 "connected after the resume" connected
wait_for 10 "a new lock after the resume" lines_are inhibit 2

# ---- a shutdown, cancelled ----------------------------------------------------------------------
emit shutdown true
wait_for 10 "off (shutdown)" off_is shutdown
wait_for 10 "the lock released again" lines_are released 2
emit shutdown false
wait_for 10 "on again after the cancelled shutdown" off_is ""
wait_for 10 "a new lock after the cancelled shutdown" lines_are inhibit 3

# ---- systemctl restart: off "restart", back at once ------------------------------------------------
restart_agent() {
	DBUS_SYSTEM_BUS_ADDRESS=$BUS start_agent pc-01
	wait_for 20 "the agent connected again" connected
	wait_for 10 "on again" off_is ""
}
standin SetJob string:restart
stop_pid "$AGENT_PID"
off_is restart || fail "a restart job's SIGTERM said $(db "SELECT off_reason FROM agents;")"
grep -q '^asked [0-9]* org.freedesktop.systemd1.Job.JobType$' "$T/logind.txt" ||
	fail "the agent did not ask systemd for its job's type"
standin SetJob string:
restart_agent
# ---- a restart that does not come back: silent, an incident, closed when it is back -------------
standin SetJob string:restart
stop_pid "$AGENT_PID"
off_is restart || fail "the second restart said $(db "SELECT off_reason FROM agents;")"
wait_for 20 "a restart not back within three heartbeats to be an incident" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT title FROM incidents WHERE kind = 'agent_silent' AND status = 'new'\")\" = '1 machine of test-unit stopped reporting unexpectedly' ]"
ctl agents | grep -E '^pc-01 ' | grep -q ' silent ' || fail "pc-01 is not shown silent: $(ctl agents)"
standin SetJob string:
restart_agent
wait_for 20 "the incident closed once it is back" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT status FROM incidents WHERE kind = 'agent_silent'\")\" = resolved ]"

# ---- a shutdown logind did not announce: systemd says the system is stopping -----------------
standin SetSystemState string:stopping
stop_pid "$AGENT_PID"
off_is shutdown || fail "SIGTERM with the system stopping said $(db "SELECT off_reason FROM agents;")"
standin SetSystemState string:running
restart_agent
wait_for 10 "a lock for each start, resume and cancelled shutdown (6)" lines_are inhibit 6

# ---- a shutdown, then systemd's SIGTERM ----------------------------------------------------------
n=$(lines released)
emit shutdown true
wait_for 10 "off (shutdown) again" off_is shutdown
wait_for 10 "the lock released before the shutdown's SIGTERM" lines_are released $((n + 1))
start=$(date +%s)
stop_pid "$AGENT_PID"
[ $(($(date +%s) - start)) -le 1 ] || fail "the agent took more than a second to stop after its goodbye"
off_is shutdown || fail "SIGTERM after the shutdown's goodbye changed the reason to $(db "SELECT off_reason FROM agents;")"
# suspend, shutdown, restart, restart, shutdown (unannounced), shutdown: six.
[ "$(grep -c 'says goodbye' "$T/collector.1.log")" = 6 ] ||
	fail "the collector heard $(grep -c 'says goodbye' "$T/collector.1.log") goodbyes, not 6: $(grep 'says goodbye' "$T/collector.1.log")"
[ "$(db "SELECT count(*) FROM incidents;")" = 1 ] || fail "incidents other than the failed restart's: $(db "SELECT title FROM incidents;")"
pass "delay lock; sleep: off (suspend), lock released after the goodbye, no reconnect, back on resume; shutdown cancelled: on again; restart: off (restart), silent if not back; unannounced shutdown; shutdown + SIGTERM: one goodbye (logind and systemd are stand-ins)"
