#!/bin/sh
# An idle agent's memory: a real vigil-agent following an empty auth.log,
# connected over mutual TLS to a real collector that asks for a heartbeat
# every 2 s (tests/integration/lib.sh). The agent gives back the pages it used
# once (start-up, the handshake) 10 s after the link came up, so VmRSS is
# sampled every half second from 15 s to 25 s after the connection and the
# largest sample is reported. Then the collector stops and the same is
# measured while the agent keeps retrying.
#
#   BUILD=DIR sh tests/bench/idle.sh
#
# Target (issue 3): idle RSS <= 4 MiB.
. "$(dirname "$0")/../integration/lib.sh"

# sample_rss FROM TO: the largest VmRSS (kB) of the agent between FROM and TO
# seconds from now. The pause is the sampling interval of a bounded window.
sample_rss() {
	_from=$(($(date +%s) + $1)) _to=$(($(date +%s) + $2)) _max=0
	while [ "$(date +%s)" -lt "$_to" ]; do
		kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent exited"
		if [ "$(date +%s)" -ge "$_from" ]; then
			_r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status")
			[ "$_r" -gt "$_max" ] && _max=$_r
		fi
		sleep 0.5
	done
	echo "$_max"
}

# report WHAT KB
report() {
	printf 'idle RSS:         %.2f MiB (%d kB) %s\n' "$(echo "$2 / 1024" | bc -l)" "$2" "$1"
	[ "$2" -le 4096 ] || echo "idle: the RSS $1 is over the 4 MiB target" >&2
}

pki_setup idle-agent
write_collector_conf 0
start_collector
: >"$T/auth.log"
write_agent_conf idle-agent "$PORT" "$T/auth.log"
start_agent idle-agent
LOG="$T/agent-idle-agent.log"
wait_for 20 "the agent to connect" grep -q "Connected to the collector" "$LOG"

echo "== idle agent"
grep "rules, " "$LOG" | sed 's/^vigil-agent: /agent:            /'
rss=$(sample_rss 15 25)
report "connected, the largest of 20 samples 15-25 s after connecting" "$rss"
awk '/^VmHWM:/ { printf "  %-15s %6.1f MiB (start-up)\n", $1, $2 / 1024 }
    /^(RssAnon|RssFile):/ { printf "  %-15s %6.1f MiB\n", $1, $2 / 1024 }' \
	"/proc/$AGENT_PID/status"
# File pages of shared libraries are shared with every other process using
# them: Pss shares them out, Private_Dirty is what this agent alone costs.
awk '/^(Pss|Shared_Clean|Private_Dirty):/ { printf "  %-15s %6.1f MiB\n", $1, $2 / 1024 }' \
	"/proc/$AGENT_PID/smaps_rollup" 2>/dev/null || true

stop_pid "$COLL_PID"
wait_for 20 "the agent to lose the collector" grep -q "was lost" "$LOG"
rss=$(sample_rss 15 25)
report "with the collector down, the largest of 20 samples 15-25 s after the loss" "$rss"
