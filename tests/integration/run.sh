#!/bin/sh
# Run every integration test against the binaries in BUILD (argument 1).
# Each test starts what it needs on 127.0.0.1 and stops it by PID.
set -u
BUILD=${1:?usage: run.sh BUILD}
export BUILD
dir=$(dirname "$0")
failed=""
for t in "$dir"/t[0-9]*.sh; do
	[ -n "${ONLY:-}" ] && case $t in *"$ONLY"*) ;; *) continue ;; esac
	name=$(basename "$t" .sh)
	start=$(date +%s)
	if sh "$t"; then
		echo "          ($name took $(($(date +%s) - start))s)"
	else
		failed="$failed $name"
	fi
done
if [ -n "$failed" ]; then
	echo "integration tests failed:$failed" >&2
	exit 1
fi
echo "  all integration tests passed"
