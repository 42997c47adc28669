# The system's zone (issue 16): with [collector] timezone left empty, times are
# in the zone of the collector's system (TZ here, as a service manager or
# /etc/localtime gives it), named as the system names it; the notification,
# incident show and incidents agree, vigilctl running in another zone.
# --since/--until read a time without an offset in that zone, an explicit Z or
# offset exactly, dd/mm/yyyy in Vietnamese only. [notify] utc_offset, now
# deprecated, still sets the zone of an old file, with one warning; beside
# timezone it is ignored, with one warning.
. "$(dirname "$0")/lib.sh"

need sqlite3
R="$TOP/tests/integration/receivers"
pki_setup pc-01 pc-02

cat >"$T/escalation.conf" <<EOF
[contact head-of-unit]
name = Trưởng phòng
command = /bin/sh $R/exec_sink.sh write $T/head.json
language = vi

[chain default]
level1 = head-of-unit

[route default]
min_severity = medium
chain = default
group_by = incident
group_wait = 0s
EOF
write_collector_conf 0 "escalation = $T/escalation.conf
correlate_hosts = 2"
# The system's zone, not Vietnam's: UTC+05:30 the whole year.
COLL_TZ=Asia/Kolkata
start_collector
: >"$T/pc-01.log"
write_agent_conf pc-01 "$PORT" "$T/pc-01.log"
start_agent pc-01
: >"$T/pc-02.log"
write_agent_conf pc-02 "$PORT" "$T/pc-02.log"
sed -i "s|^unit = test-unit|unit = Phường Tân Định|" "$T/pc-02/agent.conf"
start_agent pc-02
wait_for 20 "the agents to say hello" sh -c "[ \$(grep -c 'says hello' '$T/collector.1.log') = 2 ]"

# vigilctl in yet another zone, in a language of our choosing.
ctl() { env TZ=America/Bogota LANGUAGE="$LANGUAGE_SET" "$BUILD/vigilctl" "$@"; }
LANGUAGE_SET=vi

brute_force "$T/pc-01.log"
wait_for 20 "the head of unit's notification" test -s "$T/head.json"
first=$(($(db "SELECT first_seen FROM incidents WHERE id = $A;") / 1000000))
vi_time="$(TZ=Asia/Kolkata date -d "@$first" '+%d/%m/%Y %H:%M:%S') (UTC+05:30)"

# ---- the system's zone: notification, incident show, incidents, status -----------------
grep -qF "$vi_time" "$T/head.json" || fail "the notification does not say $vi_time: $(cat "$T/head.json")"
ctl incident show "$A" | grep -qx "first_seen: *$vi_time" ||
	fail "incident show does not say $vi_time: $(ctl incident show "$A")"
ctl incidents >"$T/list.txt" || fail "incidents failed"
head -n 1 "$T/list.txt" | grep -q "(UTC+05:30)" || fail "the incidents heading is not UTC+05:30: $(cat "$T/list.txt")"
grep -qF "${vi_time% (UTC+05:30)}" "$T/list.txt" || fail "incidents does not list ${vi_time% (UTC+05:30)}: $(cat "$T/list.txt")"
ctl status | grep -qx "timezone: *Asia/Kolkata" || fail "status does not name the system's zone: $(ctl status)"
ctl --json status | grep -q '"timezone":"Asia/Kolkata","utc_offset_min":330' ||
	fail "status --json: $(ctl --json status)"

# ---- an incident across machines of two units belongs to both ----------------------------
echo "Nov 25 10:02:00 pc sshd[2001]: Failed password for admin from 198.51.100.77 port 40001 ssh2" >>"$T/pc-01.log"
echo "Nov 25 10:02:01 pc sshd[2002]: Failed password for admin from 198.51.100.77 port 40002 ssh2" >>"$T/pc-02.log"
corr() { [ "$(db "SELECT count(*) FROM incident_agents ia JOIN incidents i ON i.id = ia.incident_id WHERE i.dedup_key = 'corr:src_ip:198.51.100.77'")" = 2 ]; }
wait_for 20 "the correlation incident" corr
C=$(db "SELECT id FROM incidents WHERE dedup_key = 'corr:src_ip:198.51.100.77';")
ctl --json incidents --unit test-unit | grep -q "\"id\":$C," || fail "--unit test-unit does not find incident $C"
ctl --json incidents --unit "phuong tan dinh" | grep -q "\"id\":$C," ||
	fail "--unit of the second machine does not find incident $C: $(ctl --json incidents --all)"
ctl --json incidents --unit "phuong tan dinh" | grep -q "\"id\":$A," && fail "--unit finds incident $A of the other unit"
ctl incident show "$C" | grep -Eq "^ *[a-z]+: *(Phường Tân Định, test-unit|test-unit, Phường Tân Định)$" ||
	fail "incident show does not name both units: $(ctl incident show "$C")"

# ---- --since and --until in the collector's zone ------------------------------------------
ev0=$(($(db "SELECT min(time_us) FROM events WHERE agent = 'pc-01';") / 1000000))
ev1=$(($(db "SELECT max(time_us) FROM events WHERE agent = 'pc-01';") / 1000000))
nev=$(db "SELECT count(*) FROM events WHERE agent = 'pc-01';")
[ "$nev" -ge 5 ] || fail "only $nev events stored"
kol() { TZ=Asia/Kolkata date -d "@$1" "$2"; }
# (vigilctl's own zone, Bogotá, is 10h30 from the collector's: a time read there finds nothing)
count() { ctl --json events --agent pc-01 "$@" | grep -c '"seq"'; }
[ "$(count --since "$(kol "$ev0" '+%Y-%m-%d %H:%M:%S')")" = "$nev" ] ||
	fail "--since the first event's wall clock does not list the $nev events: $(ctl events --since "$(kol "$ev0" '+%Y-%m-%d %H:%M:%S')")"
[ "$(count --since "$(kol "$ev0" '+%Y-%m-%dT%H:%M:%S')" --until "$(kol $((ev1 + 1)) '+%Y-%m-%d %H:%M:%S')")" = "$nev" ] ||
	fail "--since/--until around the events do not list them"
ctl events --agent pc-01 --until "$(kol "$ev0" '+%Y-%m-%d %H:%M:%S')" | grep -qx "Không có sự kiện nào khớp." ||
	fail "--until the first event's wall clock lists events: $(ctl events --agent pc-01 --until "$(kol "$ev0" '+%Y-%m-%d %H:%M:%S')")"
# An explicit offset or Z is exact, whatever the zones.
[ "$(count --since "$(TZ=UTC date -d "@$ev0" '+%Y-%m-%dT%H:%M:%SZ')")" = "$nev" ] || fail "--since ...Z does not list the events"
[ "$(count --since "$(TZ=Asia/Tokyo date -d "@$ev0" '+%Y-%m-%d %H:%M:%S+09:00')")" = "$nev" ] ||
	fail "--since ...+09:00 does not list the events"
[ "$(count --until "$(TZ=Asia/Tokyo date -d "@$ev0" '+%Y-%m-%d %H:%M:%S+0900')")" = 0 ] ||
	fail "--until ...+0900 before the first event lists events"
# dd/mm/yyyy in Vietnamese, the order vigilctl prints; refused in English (ambiguous there).
[ "$(count --since "$(kol "$ev0" '+%d/%m/%Y %H:%M:%S')")" = "$nev" ] || fail "--since dd/mm/yyyy (vi) does not list the events"
LANGUAGE_SET=en
_rc=0
ctl events --since "$(kol "$ev0" '+%d/%m/%Y')" >/dev/null 2>"$T/err" || _rc=$?
[ "$_rc" = 2 ] || fail "--since dd/mm/yyyy in English exited $_rc, want 2 (usage)"
# A wall clock after an exact time: only the collector can tell; still a usage error.
_rc=0
ctl events --since "$(kol $((ev1 + 60)) '+%Y-%m-%d %H:%M:%S')" --until "$(TZ=UTC date -d "@$ev0" '+%Y-%m-%dT%H:%M:%SZ')" \
	>/dev/null 2>"$T/err" || _rc=$?
[ "$_rc" = 2 ] || fail "--until before --since (wall clock, Z) exited $_rc, want 2: $(cat "$T/err")"
grep -q "until is before since" "$T/err" || fail "the collector's reason is not said: $(cat "$T/err")"
LANGUAGE_SET=vi

# ---- [notify] utc_offset, deprecated: still the zone of an old file, said once ----------
stop_pid "$COLL_PID"
printf '\n[notify]\nutc_offset = -300\n' >>"$T/collector.conf"
start_collector
log="$T/collector.$COLL_STARTS.log"
[ "$(grep -c "utc_offset is deprecated; write \[collector\] timezone = -05:00" "$log")" = 1 ] ||
	fail "the deprecated utc_offset is not said once: $(cat "$log")"
grep -q "collector.conf:[0-9]*: warning:" "$log" || fail "the warning has no file:line: $(cat "$log")"
west="$(TZ=UTC+5 date -d "@$first" '+%d/%m/%Y %H:%M:%S') (UTC-05:00)"
ctl incident show "$A" | grep -qx "first_seen: *$west" || fail "incident show does not say $west: $(ctl incident show "$A")"
ctl status | grep -qx "timezone: *-05:00" || fail "status does not say -05:00: $(ctl status)"

# ---- beside timezone it is ignored, said once --------------------------------------------
stop_pid "$COLL_PID"
collector_set timezone Asia/Ho_Chi_Minh
start_collector
log="$T/collector.$COLL_STARTS.log"
[ "$(grep -c "utc_offset is ignored" "$log")" = 1 ] || fail "the ignored utc_offset is not said once: $(cat "$log")"
ctl incident show "$A" | grep -q "first_seen: .*(UTC+07:00)" || fail "timezone does not win: $(ctl incident show "$A")"

pass "system zone (TZ=Asia/Kolkata) named and used alike in the notification, incident show, incidents; --since/--until as wall clock there, Z, +09:00, dd/mm/yyyy (vi only), until<since refused by the collector (2); deprecated utc_offset warned once; a correlation across two units found under each"
