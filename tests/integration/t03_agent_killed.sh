# An agent is killed with SIGKILL mid-stream and restarted: none missing, none twice.
. "$(dirname "$0")/lib.sh"

pki_setup pc-01
write_collector_conf 0
start_collector
: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
start_agent pc-01

gen_lines 1 10000 >>"$T/auth.log"
wait_for 60 "some events before the kill" sh -c "[ \$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"select count(*) from events\") -ge 50 ]"
stop_pid "$AGENT_PID" KILL
# Lines written while the agent is down must be read when it comes back.
gen_lines 10001 15000 >>"$T/auth.log"
start_agent pc-01
gen_lines 15001 20000 >>"$T/auth.log"
wait_for 60 "1,000 events from pc-01" count_is pc-01 1000
check_exact pc-01 1 20000

# Once more, killed at another instant while it is reading a burst.
gen_lines 20001 40000 >>"$T/auth.log"
stop_pid "$AGENT_PID" KILL
start_agent pc-01
wait_for 60 "2,000 events from pc-01" count_is pc-01 2000
check_exact pc-01 1 40000
pass "agent SIGKILLed twice, none missing, none twice"
