#!/bin/sh
# Run every integration test against the binaries in BUILD (argument 1).
# Each test starts what it needs on 127.0.0.1 and stops it by PID.
# ONLY=tNN runs the tests whose file name holds tNN. The run ends with one
# line: the tests passed, failed and skipped, each with its duration. A test
# that takes longer than VIGIL_TEST_BUDGET seconds (default 120) is reported
# there and when it ends, not failed: performance is measured in make bench.
# A test that skips (or skips a part) says so on a line of its own and appends
# that line to the file VIGIL_SKIPS names (here, one of this run's).
set -u
BUILD=${1:?usage: run.sh BUILD}
export BUILD
dir=$(dirname "$0")
budget=${VIGIL_TEST_BUDGET:-120}
VIGIL_SKIPS=$(mktemp /tmp/vigil-skips.XXXXXX)
export VIGIL_SKIPS
trap 'rm -f "$VIGIL_SKIPS"' EXIT
trap 'exit 130' INT TERM
passed="" failed="" skipped="" slow=""
np=0 nf=0 ns=0
t0=$(date +%s)
for t in "$dir"/t[0-9]*.sh; do
	[ -n "${ONLY:-}" ] && case $t in *"$ONLY"*) ;; *) continue ;; esac
	name=$(basename "$t" .sh)
	: >"$VIGIL_SKIPS"
	start=$(date +%s)
	sh "$t"
	rc=$?
	took=$(($(date +%s) - start))
	if [ "$rc" -ne 0 ]; then
		failed="$failed $name(${took}s)"
		nf=$((nf + 1))
	elif grep -q '^ *SKIP ' "$VIGIL_SKIPS"; then
		skipped="$skipped $name(${took}s)"
		ns=$((ns + 1))
	else
		echo "          ($name took ${took}s)"
		# A part skipped (one architecture): passed, and named among the skipped.
		[ -s "$VIGIL_SKIPS" ] && skipped="$skipped $name(part)"
		passed="$passed $name(${took}s)"
		np=$((np + 1))
	fi
	if [ "$took" -gt "$budget" ]; then
		echo "  SLOW    $name took ${took}s, over the budget of ${budget}s a test (VIGIL_TEST_BUDGET): reported, not failed"
		slow="$slow $name(${took}s)"
	fi
done
echo "  SUMMARY $np passed, $nf failed, $ns skipped in $(($(date +%s) - t0))s; passed:${passed:- none}; failed:${failed:- none}; skipped:${skipped:- none}; over ${budget}s:${slow:- none}"
if [ -n "$failed" ]; then
	echo "integration tests failed:$failed" >&2
	exit 1
fi
echo "  all integration tests passed"
