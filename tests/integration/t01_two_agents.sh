# Two agents, 20,000 log lines each of which 1,000 match: exactly 2,000 events
# stored, each once, in order per agent.
. "$(dirname "$0")/lib.sh"

pki_setup pc-01 pc-02
write_collector_conf 0
start_collector
for id in pc-01 pc-02; do
	: >"$T/$id.auth.log"
	write_agent_conf "$id" "$PORT" "$T/$id.auth.log"
	start_agent "$id"
done

# Write in chunks, as a busy syslog would, while both agents tail.
for chunk in 0 1 2 3 4 5 6 7 8 9; do
	first=$((chunk * 2000 + 1))
	gen_lines "$first" $((first + 1999)) >>"$T/pc-01.auth.log"
	gen_lines "$first" $((first + 1999)) >>"$T/pc-02.auth.log"
done

wait_for 60 "1,000 events from pc-01" count_is pc-01 1000
wait_for 60 "1,000 events from pc-02" count_is pc-02 1000
check_exact pc-01 1 20000
check_exact pc-02 1 20000
total=$(db "select count(*) from events;")
[ "$total" = 2000 ] || fail "expected 2000 events in all, found $total"

# The operator's view agrees with the database.
n=$("$BUILD/vigilctl" --json events --agent pc-01 --limit 5000 | wc -l)
[ "$n" = 1000 ] || fail "vigilctl events --agent pc-01 printed $n lines, expected 1000"
"$BUILD/vigilctl" --json events --limit 1 | grep -q '"rule":"ssh.failed_password"' ||
	fail "vigilctl --json events lacks the rule field"
"$BUILD/vigilctl" agents | grep -q pc-02 || fail "vigilctl agents does not list pc-02"
# --csv is for Excel: UTF-8 with a byte-order mark; --csv-no-bom is the same for scripts.
"$BUILD/vigilctl" --csv events --agent pc-01 --limit 2 | head -c 3 | od -An -tx1 | grep -q 'ef bb bf' ||
	fail "vigilctl --csv does not start with a UTF-8 byte-order mark"
"$BUILD/vigilctl" events --csv-no-bom --agent pc-01 --limit 2 | head -c 3 | od -An -tx1 | grep -q 'ef bb bf' &&
	fail "vigilctl --csv-no-bom writes a byte-order mark"
csv=$("$BUILD/vigilctl" --csv-no-bom events --agent pc-01 --limit 2)
[ "$(echo "$csv" | wc -l)" = 3 ] || fail "vigilctl --csv events printed: $csv"
# Times are in the collector's zone (its system's, Asia/Ho_Chi_Minh here, when no timezone is set),
# said in the heading.
echo "$csv" | head -n 1 | grep -q '^"TIME (UTC+07:00)","RECEIVED (UTC+07:00)",AGENT,SEVERITY' ||
	fail "vigilctl --csv has no header: $csv"
echo "$csv" | tail -n 1 | grep -q '^[^,]*,-,pc-01,low,auth,ssh.failed_password,"Failed SSH password for u[0-9]* from 10\.' ||
	fail "vigilctl --csv row is not as expected: $csv"
# The exit codes the README promises: 1 refused by the collector, 2 usage,
# 3 collector unreachable.
ctl_rc() {
	set +e
	"$BUILD/vigilctl" "$@" >/dev/null 2>&1
	echo $?
	set -e
}
[ "$(ctl_rc incident show 999999)" = 1 ] || fail "vigilctl on a missing incident did not exit 1"
[ "$(ctl_rc events --bogus)" = 2 ] || fail "vigilctl with a bad option did not exit 2"
[ "$(ctl_rc -s "$T/nothing.sock" status)" = 3 ] || fail "vigilctl without a collector did not exit 3"
# Idle again, an agent gives back the memory it used once (start-up, the
# handshake, the burst): 10 s after its link came up, and at least halved.
wait_for 30 "agent pc-02 to give back what it used once" rss_halved "$AGENT_PID"
pass "2,000 events stored exactly once, in order; the idle agent gave back its start-up memory"
