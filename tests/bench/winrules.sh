#!/bin/sh
# The rules engine's cost per Windows event against its cost per Linux log
# line, with the shipped rule set: vigil-winrules-bench over a generated
# auth.log (vigil-scan-bench --keep, 200,000 lines) and the recorded day of a
# Windows PC (tests/data/winevents/day.xml, 251 events).
#
#   sh tests/bench/winrules.sh BUILD
#
# Target (issue 14): an event costs no more than a line.
set -eu

BUILD=$(cd "${1:?usage: winrules.sh BUILD}" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/vigil-winrules.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

for b in vigil-scan-bench vigil-winrules-bench; do
	[ -x "$BUILD/$b" ] || { echo "winrules: FAIL: $BUILD/$b is not built" >&2; exit 1; }
done
echo "== winrules: rules per Windows event vs per Linux line, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/vigil-scan-bench" --lines 200000 --keep "$T/auth.log" "$TOP/deploy/rules.d" >/dev/null ||
	{ echo "winrules: FAIL: vigil-scan-bench could not write the lines" >&2; exit 1; }
"$BUILD/vigil-winrules-bench" "$TOP/deploy/rules.d" "$T/auth.log" "$TOP/tests/data/winevents/day.xml" ||
	{ echo "winrules: FAIL: vigil-winrules-bench failed" >&2; exit 1; }
