# Off, not silent (DESIGN §5). Thirty agents of one unit stopped cleanly at
# once (SIGTERM) say goodbye: every machine is recorded off ("stopped"), and
# well past the silence window there is no incident. Three of them started
# again and killed (SIGKILL) make exactly one low-severity incident for the
# unit, linking the three, titled in the collector's language ([collector]
# language = vi, issue 16) "3 máy của phuong-7 ngừng báo cáo bất thường"; one
# coming back makes it "2 máy"; the other two coming back close it, by the
# system. Heartbeats of 1 s: silent after 3 s.
. "$(dirname "$0")/lib.sh"

N=30
IDS=$(seq -f 'pc-%02g' 1 "$N")
# shellcheck disable=SC2086
pki_setup $IDS
write_collector_conf 0 "language = vi"
sed -i 's/^heartbeat = .*/heartbeat = 1s/' "$T/collector.conf"
start_collector
: >"$T/auth.log"

ctl() {
	"$BUILD/vigilctl" "$@"
}
status_is() { # KEY VALUE: vigilctl --json status says "KEY":VALUE
	ctl --json status | grep -q "\"$1\":$2[,}]"
}
# past EPOCH_SECONDS: the clock has passed it (a deadline for wait_for).
past() {
	[ "$(date +%s)" -gt "$1" ]
}
silent_incidents() {
	db "SELECT count(*) FROM incidents WHERE kind = 'agent_silent';"
}

# ---- thirty agents, all on ----------------------------------------------------------------
for id in $IDS; do
	write_agent_conf "$id" "$PORT" "$T/auth.log"
	sed -i 's/^unit = .*/unit = phuong-7/' "$T/$id/agent.conf"
	printf '\n[usb]\nenabled = no\n' >>"$T/$id/agent.conf"
done
# Started together, then waited for: thirty one by one would take a while.
start_all() {
	for id in "$@"; do
		"$BUILD/vigil-agent" -d -f "$T/$id/agent.conf" >>"$T/agent-$id.log" 2>&1 &
		eval "PID_$(echo "$id" | tr - _)=$!"
		PIDS="$PIDS $!"
	done
}
pid_of() {
	eval "echo \$PID_$(echo "$1" | tr - _)"
}
# shellcheck disable=SC2086
start_all $IDS
wait_for 40 "$N agents connected" status_is agents_connected "$N"
status_is agents_on "$N" || fail "not all $N agents are on: $(ctl --json status)"

# ---- stopped cleanly, at once: off, no incident ------------------------------------------------
PIDLIST=""
for id in $IDS; do PIDLIST="$PIDLIST $(pid_of "$id")"; done
start=$(date +%s)
# shellcheck disable=SC2086
kill -TERM $PIDLIST
for p in $PIDLIST; do wait "$p" 2>/dev/null || true; done
took=$(($(date +%s) - start))
[ "$took" -le 4 ] || fail "$N agents took ${took}s to stop (a goodbye waits 2 s at most)"
for id in $IDS; do
	grep -q "The collector has our goodbye" "$T/agent-$id.log" || fail "$id: its goodbye was not heard"
done
wait_for 10 "$N machines recorded off" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT count(*) FROM agents WHERE off_reason = 'stopped' AND off_us > 0\")\" = $N ]"
[ "$(grep -c 'says goodbye: stopped' "$T/collector.1.log")" = "$N" ] || fail "the collector did not log $N goodbyes"
status_is goodbyes "$N" || fail "the goodbyes counter is not $N: $(ctl --json status)"
# Well past the silence window (3 s) and several checks (1 s each): still nothing.
deadline=$(($(date +%s) + 6))
wait_for 20 "six seconds after the stop" past "$deadline"
[ "$(silent_incidents)" = 0 ] || fail "machines switched off made an incident: $(db "SELECT title FROM incidents;")"
[ "$(db "SELECT count(*) FROM incidents;")" = 0 ] || fail "an incident was opened"
status_is agents_off "$N" || fail "status does not count $N machines off: $(ctl --json status)"
status_is agents_silent 0 || fail "status counts silent machines: $(ctl --json status)"
ctl agents >"$T/agents.txt" || fail "vigilctl agents failed"
[ "$(grep -c ' off (stopped) ' "$T/agents.txt")" = "$N" ] || fail "agents does not show $N machines off (stopped): $(cat "$T/agents.txt")"
ctl --json agents | grep '"agent":"pc-07"' | grep -q '"state":"off","state_since":"[^"]*","off_reason":"stopped","off_detail":"the agent was stopped (SIGTERM)"' ||
	fail "pc-07 in agents --json: $(ctl --json agents | grep pc-07)"

# ---- three on again, then killed: one grouped low-severity incident ----------------------------------
start_all pc-03 pc-11 pc-29
wait_for 20 "3 agents connected" status_is agents_connected 3
wait_for 10 "the three machines on again" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT count(*) FROM agents WHERE off_us = 0\")\" = 3 ]"
for id in pc-03 pc-11 pc-29; do stop_pid "$(pid_of "$id")" KILL; done
TITLE3="3 máy của phuong-7 ngừng báo cáo bất thường"
linked() {
	db "SELECT group_concat(agent, ' ') FROM (SELECT ia.agent FROM incident_agents ia JOIN incidents i ON i.id = ia.incident_id WHERE i.kind = 'agent_silent' ORDER BY ia.agent);"
}
wait_for 20 "one incident for the three" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT title FROM incidents WHERE kind = 'agent_silent'\")\" = '$TITLE3' ]"
[ "$(db "SELECT count(*) FROM incidents;")" = 1 ] || fail "more than one incident: $(db "SELECT id, title FROM incidents;")"
[ "$(linked)" = "pc-03 pc-11 pc-29" ] || fail "the incident links: $(linked)"
I=$(db "SELECT id FROM incidents WHERE kind = 'agent_silent';")
[ "$(db "SELECT severity || ' ' || category || ' ' || unit || ' ' || rule || ' ' || status FROM incidents WHERE id = $I;")" = "2 12 phuong-7 agent.silent new" ] ||
	fail "the incident is not low, agent, phuong-7, agent.silent, new: $(db "SELECT * FROM incidents WHERE id = $I;")"
ctl incidents | grep -q "$TITLE3" || fail "the queue does not show it: $(ctl incidents)"
# The machines in the order they fell silent, which a busy machine may shuffle: compare as a set.
shown=$(ctl incident show "$I" | sed -n 's/^ *machines: *//p' | tr -d ' ' | tr ',' '\n' | sort | tr '\n' ' ')
[ "$shown" = "pc-03 pc-11 pc-29 " ] || fail "incident show: $(ctl incident show "$I")"
status_is agents_silent 3 || fail "status does not count 3 silent: $(ctl --json status)"
ctl agents | grep -E '^pc-11 ' | grep -q ' silent ' || fail "pc-11 is not shown silent: $(ctl agents | grep pc-11)"

# ---- back one by one: updated, then closed by the system ---------------------------------------------
start_all pc-11
TITLE2="2 máy của phuong-7 ngừng báo cáo bất thường"
wait_for 20 "the incident to count 2 machines" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT title || ' ' || status FROM incidents WHERE id = $I\")\" = '$TITLE2 new' ]"
start_all pc-03 pc-29
wait_for 20 "the incident closed when every machine reports again" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT status || ' ' || resolution FROM incidents WHERE id = $I\")\" = 'resolved true_positive' ]"
[ "$(db "SELECT actor FROM audit WHERE incident = $I AND action = 'resolve';")" = system ] ||
	fail "the incident was not closed by the system"
[ "$(db "SELECT count(*) FROM incidents;")" = 1 ] || fail "a second incident appeared"
ctl audit verify >/dev/null || fail "the audit chain is broken"
pass "$N stopped at once: off, no incident; 3 killed: one low incident for phuong-7 linking them, titled in Vietnamese, 2 after one returns, closed by the system"
