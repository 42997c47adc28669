# A full disk under the collector's database (a 6 MB tmpfs in a private mount
# namespace, filled with a file): commits fail, nothing is acknowledged, the
# agent keeps its events; after store_alarm_after the collector gives up its
# reserve, stores an incident about itself and the IT officer's command is
# run with it; once space is back every event is stored exactly once and the
# incident is closed by the system.
if [ -z "${VIGIL_T18_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "  SKIP    t18_disk_full: needs root (a private mount namespace)" | tee -a "${VIGIL_SKIPS:-/dev/null}"; exit 0; }
	VIGIL_T18_NS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need sqlite3
# The store lives on the small disk.
dbq() { sqlite3 -cmd ".timeout 5000" "$T/db/vigil.db" "$@"; }
db() { dbq "$@"; }

mkdir -p "$T/db"
mount -t tmpfs -o size=6m tmpfs "$T/db" || fail "cannot mount a tmpfs on $T/db"
pki_setup pc-01

{
	esc_contact it-officer "IT officer" en "$(esc_sink "$T/alarm.json")"
	esc_chain - it-officer
	esc_route_default
} >"$T/escalation.conf"
write_collector_conf 0 "escalation = $T/escalation.conf

[notify]
retry_base = 1s
retry_max = 2s
max_attempts = 20"
collector_set database "$T/db/vigil.db"
collector_set store_alarm_after 3s
collector_set database_reserve 1M
start_collector
LOG="$T/collector.1.log"
[ "$(stat -c %s "$T/db/vigil.db.reserve")" = 1048576 ] || fail "no 1 MB reserve next to the database"

: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
start_agent pc-01
gen_lines 1 200 >>"$T/auth.log"
wait_for 30 "the first 10 events" count_is pc-01 10

# Fill the disk; what is left after the file is too little for a commit of 1,000 events.
dd if=/dev/zero of="$T/db/fill" bs=64k >/dev/null 2>&1 || true
gen_lines 201 20200 >>"$T/auth.log"
wait_for 30 "a failed commit" grep -q "Cannot store .* pending items" "$LOG"
grep -q "disk is full" "$LOG" || fail "the failed commit does not say the disk is full"
wait_for 30 "the collector to give up its reserve" grep -q "Gave up the 1048576 bytes" "$LOG"
wait_for 30 "the store's incident" sh -c "grep -q 'Incident [0-9]*: The collector cannot store events' '$LOG'"
wait_for 30 "the IT officer's command with the alarm" test -s "$T/alarm.json"
grep -q "cannot store events" "$T/alarm.json" || fail "the alarm does not say what: $(cat "$T/alarm.json")"
[ "$(dbq "select count(*) from incidents where kind = 'collector' and status = 'new';")" = 1 ] ||
	fail "no open incident of kind collector"
"$BUILD/vigilctl" status >"$T/status.txt"
grep -q "^store: *failing since" "$T/status.txt" || fail "vigilctl status does not say the store fails: $(cat "$T/status.txt")"
grep -q "store_alarms: *1" "$T/status.txt" || fail "store_alarms is not 1"
kill -0 "$COLL_PID" || fail "the collector died on a full disk"

# Space comes back: every event once, the incident closed by the system, the reserve back.
rm -f "$T/db/fill"
wait_for 60 "all 1,010 events after the disk was freed" count_is pc-01 1010
wait_for 30 "the incident closed" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/db/vigil.db' \"select status from incidents where kind = 'collector';\")\" = resolved ]"
grep -q "The store accepts writes again" "$LOG" || fail "the recovery is not logged"
wait_for 10 "the reserve to be made again" test -f "$T/db/vigil.db.reserve"
_dups=$(dbq "select count(*) - count(distinct seq) from events where agent = 'pc-01';")
[ "$_dups" = 0 ] || fail "$_dups events were stored twice"
check_exact pc-01 1 20200
"$BUILD/vigilctl" status | grep -q "^store: *ok" || fail "vigilctl status does not say the store is ok again"
# The small disk goes before the files do (a mount point cannot be removed).
stop_pid "$AGENT_PID"
stop_pid "$COLL_PID"
umount "$T/db" || fail "cannot unmount $T/db"
pass "full disk: nothing acknowledged, reserve given up, incident stored and sent, 1,010 events exactly once after, incident closed"
