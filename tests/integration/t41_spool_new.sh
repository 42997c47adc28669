# The agent's spool is lost (a reinstall) or damaged (a disk fault) while the
# collector is down: the new spool's events are numbered after what the
# collector already has from this agent, so none is taken for one it stored
# and deleted by the ack; a damaged spool is set aside and said, and the
# agent keeps working.
. "$(dirname "$0")/lib.sh"

pki_setup pc-01
PORT=$(free_port)
write_collector_conf "$PORT"
start_collector
: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
start_agent pc-01
gen_lines 1 2000 >>"$T/auth.log"
wait_for 60 "100 events from pc-01" count_is pc-01 100
check_exact pc-01 1 2000
stop_pid "$AGENT_PID"
stop_pid "$COLL_PID"

spooled() {
	[ "$(sqlite3 -cmd '.timeout 5000' "$T/pc-01/spool.db" 'select count(*) from events;')" = "$1" ]
}

# 1. A reinstall: the spool is gone, and so is the log's position; the log
# was rotated meanwhile. The collector is down: the events wait in a spool
# that has never heard of the 100 stored ones.
rm -f "$T/pc-01/spool.db" "$T/pc-01/spool.db-wal" "$T/pc-01/spool.db-shm"
mv "$T/auth.log" "$T/auth.log.1"
: >"$T/auth.log"
start_agent pc-01
gen_lines 2001 3000 >>"$T/auth.log"
wait_for 30 "50 events in the new spool" spooled 50
[ "$(sqlite3 "$T/pc-01/spool.db" 'select min(seq) from events;')" = 1 ] ||
	fail "the new spool does not start its numbering at 1"
start_collector
wait_for 60 "150 events from pc-01" count_is pc-01 150
check_exact pc-01 1 3000
grep -q "This spool is new and the collector already has events up to 100 from this agent: the 50 events waiting are numbered after them" "$T/agent-pc-01.log" ||
	fail "the agent did not say it renumbered its new spool"
wait_for 30 "the spool to empty" spooled 0

# 2. A damaged spool: the agent sets it aside, says so, and carries on.
stop_pid "$AGENT_PID"
stop_pid "$COLL_PID"
rm -f "$T/pc-01/spool.db-wal" "$T/pc-01/spool.db-shm"
head -c 65536 /dev/urandom >"$T/pc-01/spool.db"
start_agent pc-01
gen_lines 3001 4000 >>"$T/auth.log"
wait_for 30 "the damaged spool set aside" sh -c "ls '$T/pc-01' | grep -q '^spool.db.damaged-'"
wait_for 30 "50 events in the new spool" spooled 50
start_collector
wait_for 60 "200 events from pc-01" count_is pc-01 200
check_exact pc-01 1 4000
grep -q "The spool is damaged and was set aside as $T/pc-01/spool.db.damaged-" "$T/agent-pc-01.log" ||
	fail "the agent did not say its spool was damaged"
# The line is an incident once the agent reads its own log: the shipped rule.
# (as syslog writes it: the agent logs there when not in the foreground).
grep "The spool is damaged" "$T/agent-pc-01.log" | head -n 1 |
	sed 's/^/Dec  5 08:55:30 pc-01 vigil-agent[700]: /' >"$T/own.log"
"$BUILD/vigil-agent" --test-rules -r "$TOP/deploy/rules.d" <"$T/own.log" >"$T/own.out" 2>&1 ||
	fail "--test-rules failed: $(tail -n 2 "$T/own.out")"
grep -q "agent.spool_damaged" "$T/own.out" || fail "no rule reads the damaged-spool line: $(cat "$T/own.out")"
pass "a new spool numbers after the collector's 100, a damaged one is set aside and said; 200 events, each once"
