#!/bin/sh
# make bench: start the real collector on 127.0.0.1 with a bench CA made at
# run time, drive it with vigil-bench, and print for each scenario the
# throughput, the ack latency, the collector's peak RSS and the number of
# events it stored (which must equal agents x events).
#
#   sh tests/bench/run.sh BUILD
#
# Environment:
#   BENCH_SCENARIOS  space-separated AGENTSxEVENTS (default "100x20000 1000x200")
#   BENCH_ARGS       extra arguments for vigil-bench (e.g. "--batch 1000")
#   BENCH_PERF_DIR   if set, record the collector with perf into this directory
#   KEEP=1           keep the temporary directory
set -eu

BUILD=$(cd "${1:?usage: run.sh BUILD}" && pwd)
SCENARIOS=${BENCH_SCENARIOS:-"100x20000 1000x200"}
T=$(mktemp -d /tmp/vigil-bench.XXXXXX)
COLL_PID=""
PERF_PID=""

cleanup() {
	rc=$?
	if [ -n "$PERF_PID" ]; then kill -INT "$PERF_PID" 2>/dev/null || true; wait "$PERF_PID" 2>/dev/null || true; fi
	if [ -n "$COLL_PID" ]; then kill "$COLL_PID" 2>/dev/null || true; wait "$COLL_PID" 2>/dev/null || true; fi
	if [ "$rc" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "bench: files kept in $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "bench: FAIL: $*" >&2
	for f in "$T"/*/collector.log; do
		[ -f "$f" ] || continue
		echo "---- last lines of $f" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}

for b in vigil-collector vigilctl vigil-bench; do
	[ -x "$BUILD/$b" ] || fail "$BUILD/$b is not built"
done

# A thousand agents need a thousand sockets on each side, plus files.
max_agents=0
for s in $SCENARIOS; do
	n=${s%x*}
	if [ "$n" -gt "$max_agents" ]; then max_agents=$n; fi
done
need=$((2 * max_agents + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
	ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
have=$(ulimit -n)
[ "$have" = unlimited ] || [ "$have" -ge "$need" ] ||
	fail "ulimit -n is $have and cannot be raised to $need for $max_agents agents"

"$BUILD/vigilctl" pki init "$T/pki" >/dev/null || fail "vigilctl pki init failed"
# Agent certificates are issued by vigil-bench --issue (thousands of
# vigilctl processes would take longer than the benchmark).

# wait_log SECONDS FILE PATTERN: poll until FILE holds PATTERN or the
# collector died or the deadline passed. The short sleep is the polling
# interval of a bounded loop.
wait_log() {
	_end=$(($(date +%s) + $1))
	while ! grep -q "$3" "$2" 2>/dev/null; do
		kill -0 "$COLL_PID" 2>/dev/null || fail "the collector exited before: $3"
		[ "$(date +%s)" -lt "$_end" ] || fail "timed out after $1s waiting for: $3"
		sleep 0.1
	done
}

start_collector() {
	_d=$1
	mkdir -p "$_d"
	cat >"$_d/collector.conf" <<EOC
[collector]
listen = 127.0.0.1
port = 0
ca = $T/pki/ca.crt
cert = $T/pki/collector.crt
key = $T/pki/collector.key
database = $_d/vigil.db
control_socket = $_d/control.sock
max_connections = 2000
handshake_timeout = 30s
EOC
	"$BUILD/vigil-collector" -d -f "$_d/collector.conf" >"$_d/collector.log" 2>&1 &
	COLL_PID=$!
	wait_log 30 "$_d/collector.log" "listening on"
	PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$_d/collector.log" | head -n 1)
	[ -n "$PORT" ] || fail "no port in the collector's log"
}

stop_collector() {
	kill "$COLL_PID" 2>/dev/null || true
	wait "$COLL_PID" 2>/dev/null || true
	COLL_PID=""
}

echo "vigil bench: $(nproc) CPUs, $(uname -r), ulimit -n $(ulimit -n)"
for s in $SCENARIOS; do
	agents=${s%x*}
	events=${s#*x}
	d="$T/$s"
	echo
	echo "== scenario: $agents agents x $events events"
	start_collector "$d"
	if [ -n "${BENCH_PERF_DIR:-}" ]; then
		mkdir -p "$BENCH_PERF_DIR"
		perf record -q -g -o "$BENCH_PERF_DIR/collector-$s.perf.data" -p "$COLL_PID" \
			>"$d/perf.log" 2>&1 &
		PERF_PID=$!
	fi
	# shellcheck disable=SC2086
	if ! "$BUILD/vigil-bench" --pki "$T/pki" --host 127.0.0.1 --port "$PORT" \
		--agents "$agents" --events "$events" --issue ${BENCH_ARGS:-} >"$d/bench.out" 2>"$d/bench.err"; then
		cat "$d/bench.out"
		tail -n 20 "$d/bench.err" >&2
		fail "vigil-bench failed in scenario $s"
	fi
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null || true
		wait "$PERF_PID" 2>/dev/null || true
		PERF_PID=""
		echo "perf data:        $BENCH_PERF_DIR/collector-$s.perf.data"
	fi
	cat "$d/bench.out"
	hwm=$(awk '/^VmHWM:/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$COLL_PID/status")
	echo "collector peak RSS: $hwm"
	stop_collector
	stored=$(sqlite3 -cmd ".timeout 5000" "$d/vigil.db" "select count(*) from events;")
	echo "events stored:    $stored"
	[ "$stored" = $((agents * events)) ] ||
		fail "scenario $s: $stored events stored, $((agents * events)) expected"
done
