#!/bin/sh
# The shipped example configurations pass -n, print exactly the golden output
# with -nv, and broken files are refused with "file:line: message".
set -u
BUILD=${1:?usage: check-configs.sh BUILD}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
check() {
	if "$@"; then :; else echo "FAIL check-configs: $*" >&2; rc=1; fi
}
for prog in agent collector; do
	bin="$BUILD/vigil-$prog"
	ex="$TOP/deploy/$prog.conf.example"
	check "$bin" -n -f "$ex"
	out=$(mktemp)
	"$bin" -nv -f "$ex" >"$out" 2>&1
	if ! diff -u "$TOP/tests/data/golden/$prog-nv.conf" "$out" >&2; then
		echo "FAIL check-configs: vigil-$prog -nv output differs from tests/data/golden/$prog-nv.conf" >&2
		rc=1
	fi
	# What -nv prints must load again.
	check "$bin" -n -f "$out"
	rm -f "$out"
	for bad in "$TOP"/tests/data/config-bad/$prog-*.conf; do
		[ -f "$bad" ] || continue
		want=$(sed -n 's/^# expect: //p' "$bad")
		got=$("$bin" -n -f "$bad" 2>&1) && { echo "FAIL check-configs: $bad was accepted" >&2; rc=1; continue; }
		case $got in
		*"$want"*) ;;
		*) echo "FAIL check-configs: $bad: expected '$want', got '$got'" >&2; rc=1 ;;
		esac
	done
done
# The rule test mode's output for a sample input is fixed.
out=$(mktemp)
"$BUILD/vigil-agent" --test-rules -r "$TOP/tests/data/rules-engine" \
    <"$TOP/tests/data/golden/test-rules.in" >"$out" 2>&1
if ! diff -u "$TOP/tests/data/golden/test-rules.out" "$out" >&2; then
	echo "FAIL check-configs: --test-rules output differs from tests/data/golden/test-rules.out" >&2
	rc=1
fi
rm -f "$out"
[ $rc = 0 ] && echo "  CONFIGS shipped examples and broken files checked"
exit $rc
