# The collector is killed with SIGKILL three times while two agents stream and
# restarted each time: still exactly 2,000 events, none missing, none twice.
. "$(dirname "$0")/lib.sh"

pki_setup pc-01 pc-02
write_collector_conf 0
start_collector
write_collector_conf "$PORT"     # restarts must come back on the same port
for id in pc-01 pc-02; do
	: >"$T/$id.auth.log"
	write_agent_conf "$id" "$PORT" "$T/$id.auth.log"
	start_agent "$id"
done

for chunk in 0 1 2 3 4 5 6 7 8 9; do
	first=$((chunk * 2000 + 1))
	gen_lines "$first" $((first + 1999)) >>"$T/pc-01.auth.log"
	gen_lines "$first" $((first + 1999)) >>"$T/pc-02.auth.log"
	case $chunk in
	2 | 5 | 8)
		# Kill it once something of this chunk has been stored, so the kill
		# lands in the middle of the stream, not before or after it.
		n=$(( (chunk * 100) + 1 ))
		wait_for 60 "pc-01 to reach $n events" sh -c "[ \$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"select count(*) from events where agent='pc-01'\") -ge $n ]"
		stop_pid "$COLL_PID" KILL
		start_collector
		;;
	esac
done

wait_for 90 "1,000 events from pc-01" count_is pc-01 1000
wait_for 90 "1,000 events from pc-02" count_is pc-02 1000
check_exact pc-01 1 20000
check_exact pc-02 1 20000
[ "$COLL_STARTS" = 4 ] || fail "the collector was started $COLL_STARTS times, expected 4"
pass "3 SIGKILLs of the collector, 2,000 events exactly once"
