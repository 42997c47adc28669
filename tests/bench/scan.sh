#!/bin/sh
# The agent's speed: lines/s through tail + rules with the shipped rule set
# (vigil-scan-bench over a generated 1,000,000-line auth.log) and the peak RSS
# of that. tests/bench/idle.sh measures an idle agent's memory.
#
#   sh tests/bench/scan.sh BUILD
#
# Environment: SCAN_LINES (default 1000000).
# Target (issue 3): >= 500,000 lines/s on one core.
set -eu

BUILD=$(cd "${1:?usage: scan.sh BUILD}" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)

[ -x "$BUILD/vigil-scan-bench" ] || { echo "scan: FAIL: $BUILD/vigil-scan-bench is not built" >&2; exit 1; }
echo "== scan: tail + rules, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/vigil-scan-bench" --lines "${SCAN_LINES:-1000000}" "$TOP/deploy/rules.d" ||
	{ echo "scan: FAIL: vigil-scan-bench failed" >&2; exit 1; }
