#!/bin/sh
# The agent's footprint: lines/s through tail + rules with the shipped rule
# set (vigil-scan-bench over a generated 1,000,000-line auth.log), then the
# idle RSS of a real vigil-agent that follows an empty file, connected to a
# real collector and then with that collector stopped.
#
#   sh tests/bench/scan.sh BUILD
#
# Environment: SCAN_LINES (default 1000000), KEEP=1 keeps the temporary directory.
# Targets (issue 3): >= 500,000 lines/s on one core; idle RSS <= 4 MiB.
set -eu

BUILD=$(cd "${1:?usage: scan.sh BUILD}" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/vigil-scan.XXXXXX)
AGENT_PID=""
COLL_PID=""

cleanup() {
	rc=$?
	if [ -n "$AGENT_PID" ]; then kill "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true; fi
	if [ -n "$COLL_PID" ]; then kill "$COLL_PID" 2>/dev/null || true; wait "$COLL_PID" 2>/dev/null || true; fi
	if [ "$rc" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "scan: files kept in $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "scan: FAIL: $*" >&2
	[ -f "$T/agent.log" ] && tail -n 20 "$T/agent.log" >&2
	exit 1
}

for b in vigil-agent vigil-collector vigilctl vigil-scan-bench; do
	[ -x "$BUILD/$b" ] || fail "$BUILD/$b is not built"
done

echo "== scan: tail + rules, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/vigil-scan-bench" --lines "${SCAN_LINES:-1000000}" "$TOP/deploy/rules.d" ||
	fail "vigil-scan-bench failed"

echo
echo "== idle agent"
# A real agent following an empty log file, connected to a real collector
# that asks for a heartbeat every 5 s. The agent gives back the pages it used
# once (start-up, the handshake) 10 s after the link came up; RSS is sampled
# every half second from 15 s to 25 s after the connection, so the window
# holds two heartbeats. Then the collector stops and the same is measured
# for an agent that keeps retrying (reconnect_max 5 s).
"$BUILD/vigilctl" pki init "$T/pki" >/dev/null || fail "vigilctl pki init failed"
"$BUILD/vigilctl" pki issue "$T/pki" idle-agent >/dev/null || fail "vigilctl pki issue failed"
cat >"$T/collector.conf" <<EOC
[collector]
listen = 127.0.0.1
port = 0
ca = $T/pki/ca.crt
cert = $T/pki/collector.crt
key = $T/pki/collector.key
database = $T/vigil.db
control_socket = $T/control.sock
heartbeat = 5s
idle_timeout = 30s
EOC
"$BUILD/vigil-collector" -d -f "$T/collector.conf" >"$T/collector.log" 2>&1 &
COLL_PID=$!
wait_log() {   # wait_log FILE PATTERN SECONDS: a bounded poll, not a bare sleep
	_end=$(($(date +%s) + $3))
	while ! grep -q "$2" "$1"; do
		[ "$(date +%s)" -lt "$_end" ] || fail "no \"$2\" in $1 within $3 s"
		sleep 0.1
	done
}
wait_log "$T/collector.log" "listening on" 20
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$T/collector.log" | head -n 1)
: >"$T/auth.log"
cat >"$T/agent.conf" <<EOA
[agent]
state_dir = $T/state
unit = bench
rules_dir = $TOP/deploy/rules.d
local_rules_dir = $T/local-rules

[collector]
address = 127.0.0.1
port = $PORT
ca = $T/pki/ca.crt
cert = $T/pki/agents/idle-agent.crt
key = $T/pki/agents/idle-agent.key
reconnect_max = 5s

[source auth]
path = $T/auth.log
EOA
"$BUILD/vigil-agent" -d -f "$T/agent.conf" >"$T/agent.log" 2>&1 &
AGENT_PID=$!
wait_log "$T/agent.log" "Connected to the collector" 20
grep "rules, " "$T/agent.log" | sed 's/^/agent log:        /'

# sample_rss FROM TO: the largest VmRSS (kB) seen between FROM and TO seconds from now.
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
mib() { echo "$1 / 1024" | bc -l; }
rss=$(sample_rss 15 25)
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status")
printf 'idle RSS:         %.2f MiB (%d kB) connected, largest of 20 samples 15-25 s after connecting; peak at start-up %.1f MiB\n' \
	"$(mib "$rss")" "$rss" "$(mib "$hwm")"
awk '/^(RssAnon|RssFile):/ { printf "  %-15s %6.1f MiB\n", $1, $2 / 1024 }' \
	"/proc/$AGENT_PID/status"
# File pages of shared libraries are shared with every other process using
# them: Pss shares them out, Private_Dirty is what this agent alone costs.
awk '/^(Pss|Shared_Clean|Private_Dirty):/ { printf "  %-15s %6.1f MiB\n", $1, $2 / 1024 }' \
	"/proc/$AGENT_PID/smaps_rollup" 2>/dev/null || true

kill "$COLL_PID"
wait "$COLL_PID" 2>/dev/null || true
COLL_PID=""
wait_log "$T/agent.log" "was lost" 20
rss_off=$(sample_rss 15 25)
printf 'idle RSS:         %.2f MiB (%d kB) with the collector down, largest of 20 samples 15-25 s after the loss\n' \
	"$(mib "$rss_off")" "$rss_off"

kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=""
[ "$rss" -le 4096 ] || echo "scan: idle RSS is over the 4 MiB target" >&2
[ "$rss_off" -le 4096 ] || echo "scan: idle RSS with the collector down is over the 4 MiB target" >&2
