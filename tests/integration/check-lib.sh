# Shared start of the check-*.sh scripts that run vigil-agent on test input
# (not the t*.sh tests, which start daemons: lib.sh). Sourced after CHECK is
# set to the script's name; BUILD is its first argument. Gives TOP, AGENT, a
# temporary directory T removed on exit, rc (0 until a failure) and fail(),
# which reports and goes on so that one run names every failure.
set -u
BUILD=${1:?usage: $CHECK.sh BUILD}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
AGENT="$BUILD/vigil-agent"
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-$CHECK.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
rc=0

fail() {
	echo "FAIL $CHECK: $*" >&2
	rc=1
}

# finish LINE-IF-PASSED LINE-IF-FAILED: the summary, then the exit status.
finish() {
	if [ $rc = 0 ]; then
		echo "$1"
	else
		echo "$2" >&2
	fi
	exit $rc
}
