# Times in one configured zone (issue 16): with [collector] timezone =
# Asia/Ho_Chi_Minh, vigilctl run with TZ=UTC shows the incident's first time
# as the notification does, the same wall clock with the same label, in
# incidents (the heading says the zone), incident show and events; dd/mm/yyyy
# in Vietnamese, yyyy-mm-dd in English; --json keeps its UTC times. Restarted
# with timezone = -05:30, the same incident is shown at that offset.
. "$(dirname "$0")/lib.sh"

need sqlite3
pki_setup pc-01

{
	esc_contact head-of-unit "Trưởng phòng" vi "$(esc_sink "$T/head.json")"
	esc_chain - head-of-unit
	esc_route_default
} >"$T/escalation.conf"
write_collector_conf 0 "escalation = $T/escalation.conf
timezone = Asia/Ho_Chi_Minh"
start_collector
: >"$T/pc-01.log"
write_agent_conf pc-01 "$PORT" "$T/pc-01.log"
start_agent pc-01
wait_for 20 "the agent to say hello" grep -q "says hello" "$T/collector.1.log"

# vigilctl in another zone than the collector's, in a language of our choosing.
ctl() { env TZ=UTC LANGUAGE="$LANGUAGE_SET" "$BUILD/vigilctl" "$@"; }

brute_force "$T/pc-01.log"
wait_for 20 "the head of unit's notification" test -s "$T/head.json"
first=$(($(db "SELECT first_seen FROM incidents WHERE id = $A;") / 1000000))
vi_time="$(TZ=Asia/Ho_Chi_Minh date -d "@$first" '+%d/%m/%Y %H:%M:%S') (UTC+07:00)"
en_time="$(TZ=Asia/Ho_Chi_Minh date -d "@$first" '+%Y-%m-%d %H:%M:%S') (UTC+07:00)"

# ---- the notification, incident show, incidents: the same time, the same label ---------------
grep -qF "$vi_time" "$T/head.json" || fail "the notification does not say $vi_time: $(cat "$T/head.json")"
LANGUAGE_SET=vi
ctl incident show "$A" >"$T/show-vi.txt" || fail "incident show failed"
grep -qx "first_seen: *$vi_time" "$T/show-vi.txt" || fail "incident show (vi) does not say $vi_time: $(cat "$T/show-vi.txt")"
grep -q "(UTC+07:00)" "$T/show-vi.txt" || fail "incident show's timeline has no zone"
ctl incidents >"$T/list-vi.txt" || fail "incidents failed"
head -n 1 "$T/list-vi.txt" | grep -q "(UTC+07:00)" || fail "the incidents heading has no zone: $(cat "$T/list-vi.txt")"
grep -qF "${vi_time% (UTC+07:00)}" "$T/list-vi.txt" || fail "incidents (vi) does not list ${vi_time% (UTC+07:00)}: $(cat "$T/list-vi.txt")"
LANGUAGE_SET=en
ctl incident show "$A" | grep -qx "first_seen: *$en_time" || fail "incident show (en) does not say $en_time: $(ctl incident show "$A")"
ctl events --limit 1 | head -n 1 | grep -q '^TIME (UTC+07:00) ' || fail "the events heading has no zone: $(ctl events --limit 1)"
ctl --csv-no-bom incidents | head -n 1 | grep -q '"FIRST (UTC+07:00)","LAST (UTC+07:00)"' ||
	fail "the CSV heading has no zone: $(ctl --csv-no-bom incidents)"
ctl status | grep -qx "timezone: *Asia/Ho_Chi_Minh" || fail "status does not say the zone: $(ctl status)"
ctl --json status | grep -q '"utc_offset_min":420' || fail "status --json has no utc_offset_min"
# Machine times stay as they were: UTC, no zone line.
ctl --json incidents | grep -q "\"id\":$A,.*\"first_seen\":\"[0-9T:.-]*Z\"" || fail "incidents --json changed its times: $(ctl --json incidents)"
ctl --json incidents | grep -q '"type":"zone"' && fail "incidents --json printed the zone line"

# ---- another zone, west of UTC ----------------------------------------------------------
stop_pid "$COLL_PID"
# (a new port: the agent stays away, which this part does not need)
collector_set timezone -05:30
start_collector
LANGUAGE_SET=vi
west="$(TZ=UTC+5:30 date -d "@$first" '+%d/%m/%Y %H:%M:%S') (UTC-05:30)"
ctl incident show "$A" | grep -qx "first_seen: *$west" || fail "incident show does not say $west: $(ctl incident show "$A")"
ctl incidents | head -n 1 | grep -q "(UTC-05:30)" || fail "the incidents heading does not say UTC-05:30"

pass "one zone, labelled: notification, incident show, incidents, events, CSV heading the same wall clock (Asia/Ho_Chi_Minh, -05:30), dd/mm/yyyy in Vietnamese, --json unchanged"
