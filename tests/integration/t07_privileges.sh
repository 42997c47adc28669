# Started as root with `user = nobody`: the collector binds and opens its files,
# drops to nobody, keeps storing; the control socket refuses an outsider.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "  SKIP    $TEST_NAME: needs root" | tee -a "${VIGIL_SKIPS:-/dev/null}"; exit 0; }
pki_setup pc-01
chmod 0755 "$T"
write_collector_conf 0 "user = nobody"
start_collector
uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$COLL_PID/status")
nobody=$(id -u nobody)
[ "$uid" = "$nobody$nobody$nobody$nobody" ] || fail "collector runs with uids $uid, expected $nobody"
[ -z "$(awk '/^Groups:/ { $1 = ""; print }' "/proc/$COLL_PID/status" | tr -d ' ')" ] ||
	fail "collector kept supplementary groups"

: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
start_agent pc-01
gen_lines 1 2000 >>"$T/auth.log"
wait_for 30 "100 events stored after the drop" count_is pc-01 100

# root may use the control socket; another user may not.
"$BUILD/vigilctl" status >/dev/null || fail "root cannot use the control socket"
set +e
out=$(setpriv --reuid=daemon --regid=daemon --clear-groups "$BUILD/vigilctl" status 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "user daemon was allowed to use the control socket"
echo "$out" | grep -qi "permission denied" || fail "the refusal does not say why: $out"
pass "privileges dropped to nobody, outsider refused"
