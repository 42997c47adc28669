#!/bin/sh
# The agent's footprint: lines/s through tail + rules with the shipped rule
# set (vigil-scan-bench over a generated 1,000,000-line auth.log), then the
# idle RSS of a real vigil-agent that follows an empty file and cannot reach
# its collector (a closed port on 127.0.0.1).
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

cleanup() {
	rc=$?
	if [ -n "$AGENT_PID" ]; then kill "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true; fi
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

for b in vigil-agent vigilctl vigil-scan-bench; do
	[ -x "$BUILD/$b" ] || fail "$BUILD/$b is not built"
done

echo "== scan: tail + rules, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/vigil-scan-bench" --lines "${SCAN_LINES:-1000000}" "$TOP/deploy/rules.d" ||
	fail "vigil-scan-bench failed"

echo
echo "== idle agent"
"$BUILD/vigilctl" pki init "$T/pki" >/dev/null || fail "vigilctl pki init failed"
"$BUILD/vigilctl" pki issue "$T/pki" idle-agent >/dev/null || fail "vigilctl pki issue failed"
# A port nobody listens on: bound, then closed again.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
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

[source auth]
path = $T/auth.log
EOA
"$BUILD/vigil-agent" -d -f "$T/agent.conf" >"$T/agent.log" 2>&1 &
AGENT_PID=$!
# Poll for the start-up line: a bounded loop, not a bare sleep.
end=$(($(date +%s) + 20))
while ! grep -q "starting" "$T/agent.log"; do
	kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent exited before it started"
	[ "$(date +%s)" -lt "$end" ] || fail "the agent did not start within 20 s"
	sleep 0.1
done
grep "rules, " "$T/agent.log" | sed 's/^/agent log:        /'
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$AGENT_PID/status")
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT_PID/status")
printf 'idle RSS:         %.1f MiB (peak %.1f MiB)\n' "$(echo "$rss / 1024" | bc -l)" \
	"$(echo "$hwm / 1024" | bc -l)"
awk '/^(RssAnon|RssFile|RssShmem):/ { printf "  %-15s %6.1f MiB\n", $1, $2 / 1024 }' \
	"/proc/$AGENT_PID/status"
# File pages of shared libraries are shared with every other process using
# them: Pss shares them out, Private_Dirty is what this agent alone costs.
awk '/^(Pss|Shared_Clean|Private_Dirty):/ { printf "  %-15s %6.1f MiB\n", $1, $2 / 1024 }' \
	"/proc/$AGENT_PID/smaps_rollup" 2>/dev/null || true
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=""
[ "$rss" -le 4096 ] || echo "scan: idle RSS is over the 4 MiB target" >&2
