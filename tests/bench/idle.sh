#!/bin/sh
# An idle agent's memory, with real components (tests/integration/lib.sh):
#
# 1. an agent following an empty auth.log, connected over mutual TLS to a
#    real collector that asks for a heartbeat every 2 s;
# 2. an agent reading the whole journal of a private systemd-journald (as
#    on Debian 12, where there is no auth.log), idle, and then, for
#    comparison and not against the target, while sshd-style noise that no
#    rule keeps arrives twice a second (as root only: it needs a private
#    mount namespace);
# 3. the first agent again once the collector has stopped, while it retries.
#
# The agent gives back the pages it used once (start-up, the handshake) 10 s
# after the link came up or went down, so VmRSS is sampled every half second
# from 15 s to 25 s after that and the largest sample is reported.
#
#   BUILD=DIR sh tests/bench/idle.sh
#
# Target (issue 3): idle RSS <= 4 MiB.
. "$(dirname "$0")/../integration/journald.sh"
journald_enter "$0" "$@" || NO_JOURNAL=$JOURNALD_WHY
. "$(dirname "$0")/../integration/lib.sh"

# sample_rss PID FROM TO: the largest VmRSS (kB) of PID between FROM and TO
# seconds from now. The pause is the sampling interval of a bounded window.
sample_rss() {
	_from=$(($(date +%s) + $2)) _to=$(($(date +%s) + $3)) _max=0
	while [ "$(date +%s)" -lt "$_to" ]; do
		kill -0 "$1" 2>/dev/null || fail "the agent $1 exited"
		if [ "$(date +%s)" -ge "$_from" ]; then
			_r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status")
			[ "$_r" -gt "$_max" ] && _max=$_r
		fi
		sleep 0.5
	done
	echo "$_max"
}

# report PID WHAT KB [busy]: the figure, and what it is made of; an idle
# figure is held against the target.
report() {
	printf 'RSS:              %s MiB (%d kB), %s\n' "$(awk -v k="$3" 'BEGIN { printf "%.2f", k / 1024 }')" "$3" "$2"
	awk '/^(RssAnon|RssFile):/ { printf "  %-15s %6.1f MiB\n", $1, $2 / 1024 }' \
		"/proc/$1/status"
	# File pages of shared libraries are shared with every other process using
	# them: Pss shares them out, Private_Dirty is what this agent alone costs.
	awk '/^(Pss|Private_Dirty):/ { printf "  %-15s %6.1f MiB\n", $1, $2 / 1024 }' \
		"/proc/$1/smaps_rollup" 2>/dev/null || true
	[ -n "${4:-}" ] || [ "$3" -le 4096 ] || echo "idle: the RSS $2 is over the 4 MiB target" >&2
}

pki_setup file-agent journal-agent
write_collector_conf 0
start_collector

echo "== idle agent"
: >"$T/auth.log"
write_agent_conf file-agent "$PORT" "$T/auth.log"
start_agent file-agent
FILE_PID=$AGENT_PID
wait_for 20 "the agent to connect" grep -q "Connected to the collector" "$T/agent-file-agent.log"
grep "rules, " "$T/agent-file-agent.log" | sed 's/^vigil-agent: /agent:            /'
awk '/^VmHWM:/ { printf "peak at start-up: %.1f MiB\n", $2 / 1024 }' "/proc/$FILE_PID/status"
report "$FILE_PID" "idle, following a file, connected" "$(sample_rss "$FILE_PID" 15 25)"

if [ -z "${NO_JOURNAL:-}" ]; then
	journald_start
	write_agent_conf journal-agent "$PORT"
	printf '\n[journal system]\ndirectory = %s\n' "$T/journal" >>"$T/journal-agent/agent.conf"
	start_agent journal-agent
	JOURNAL_PID=$AGENT_PID
	wait_for 20 "the journal agent to connect" grep -q "Connected to the collector" \
		"$T/agent-journal-agent.log"
	report "$JOURNAL_PID" "idle, reading the journal, connected" "$(sample_rss "$JOURNAL_PID" 15 25)"
	# Noise, twice a second, until stopped by PID.
	(while :; do
		logger -u "$DEVLOG" -t sshd -p auth.info "Connection closed by 10.1.2.3 port 5555 [preauth]"
		sleep 0.5
	done) &
	NOISE_PID=$!
	PIDS="$PIDS $NOISE_PID"
	report "$JOURNAL_PID" "reading the journal at 2 entries/s (not idle), connected" \
		"$(sample_rss "$JOURNAL_PID" 5 15)" busy
	stop_pid "$NOISE_PID"
	stop_pid "$JOURNAL_PID"
else
	echo "RSS:              reading the journal: not measured ($NO_JOURNAL)"
fi

stop_pid "$COLL_PID"
AGENT_PID=$FILE_PID
wait_for 20 "the agent to lose the collector" grep -q "was lost" "$T/agent-file-agent.log"
report "$FILE_PID" "idle, following a file, the collector down" "$(sample_rss "$FILE_PID" 15 25)"
