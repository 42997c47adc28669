# Log rotation by logrotate itself, rename+create and copytruncate, while lines
# are being written and the agent is still reading: no matching line lost or
# repeated.
. "$(dirname "$0")/lib.sh"

pki_setup pc-01
write_collector_conf 0
start_collector
: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
start_agent pc-01

for mode in create copytruncate; do
	cat >"$T/logrotate-$mode.conf" <<EOR
$T/auth.log {
	rotate 9
	$mode
	missingok
	nocompress
}
EOR
done
rotate() {
	logrotate -s "$T/logrotate.state" -f "$T/logrotate-$1.conf" || fail "logrotate ($1) failed"
}

# Each step writes a burst and rotates right after it, before the agent can
# have caught up; copytruncate's own race (lines written between its copy and
# its truncate are in neither file) is kept out by not writing during the
# logrotate run itself.
gen_lines 1 4000 >>"$T/auth.log"
rotate create
gen_lines 4001 8000 >>"$T/auth.log"
rotate copytruncate
gen_lines 8001 12000 >>"$T/auth.log"
rotate create
gen_lines 12001 16000 >>"$T/auth.log"
rotate copytruncate
gen_lines 16001 20000 >>"$T/auth.log"
wait_for 60 "1,000 events" count_is pc-01 1000
check_exact pc-01 1 20000

# Rotated while the agent is down, then restarted: the rest of the old file is
# read from the rotated copy, then the new file from its start.
stop_pid "$AGENT_PID" TERM
gen_lines 20001 22000 >>"$T/auth.log"
rotate create
gen_lines 22001 24000 >>"$T/auth.log"
start_agent pc-01
wait_for 60 "1,200 events" count_is pc-01 1200
check_exact pc-01 1 24000
pass "rename+create and copytruncate rotation, nothing lost or repeated"
