#!/bin/sh
# unit.sh WINBUILD NAME...: the portable core's unit tests, built for
# Windows (WINBUILD/tests/test_NAME.exe), run under wine64 in a private
# prefix; fails when one fails (a crash too: winedbg is disabled, so a crash
# exits non-zero). The prefix's server and helpers are ended at the end.
set -u
B=${1:?usage: unit.sh WINBUILD NAME...}
shift
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-winunit.XXXXXX") || exit 1
export WINEPREFIX="$T/wine" WINEDEBUG=-all WINEDLLOVERRIDES="winedbg.exe=d"
done_() {
	_rc=$?
	if [ -d "$WINEPREFIX" ]; then
		wineserver -k 2>/dev/null || true
		timeout 30 wineserver -w 2>/dev/null || true
	fi
	rm -rf "$T"
	exit "$_rc"
}
trap done_ EXIT
trap 'exit 130' INT TERM
t0=$(date +%s)
failed=""
n=0
for name in "$@"; do
	exe=$B/tests/test_$name.exe
	n=$((n + 1))
	if ! timeout 300 /usr/lib/wine/wine64 "$exe" >"$T/out" 2>&1 ||
		! grep -q 'PASSED' "$T/out"; then
		sed 's/^/    /' "$T/out" >&2
		failed="$failed $name"
	fi
done
if [ -n "$failed" ]; then
	echo "FAIL windows-unit: under wine64:$failed" >&2
	exit 1
fi
echo "  WINUNIT $n unit test programs of the portable core passed under wine64 ($(($(date +%s) - t0))s)"
