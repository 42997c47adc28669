# The compliance view for real: three agents in one unit, each with its own
# clamd. pc-stopped's clamd is not running, pc-old's has a daily database ten
# days old, pc-fine's has one dated now. vigilctl compliance reports 3
# machines, 1 compliant, 33 %, with the right reasons (table, --json, --csv);
# then pc-stopped's clamd starts, its agent sends a heartbeat at once, and the
# unit is at 67 %. Then pc-fine's agent is stopped (a goodbye): off is not
# non-compliant, the unit stays at 67 %, until pc-fine has not been seen for
# longer than compliance_offline_after (8 s here): "not seen for ...", 33 %.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clamav.sh"

pki_setup pc-stopped pc-old pc-fine
write_collector_conf 0 "compliance_offline_after = 8s
compliance_signature_max_age = 3d
compliance_security_grace = 7d"
start_collector

# ---- three clamd set-ups --------------------------------------------------------
clamav_sample
clamav_build_daily "$T/test.hdb" "$T/build"
NOW=$(date +%s)
for id in pc-stopped pc-old pc-fine; do
	mkdir -p "$T/clamd-$id/db"
	cp "$T/test.hdb" "$T/clamd-$id/db/"
	clamd_conf "$T/clamd-$id" "$T/clamd-$id/db"
done
clamav_dated_cud "$T/build/daily.cvd" "$T/clamd-pc-stopped/db/daily.cud" "$NOW"
clamav_dated_cud "$T/build/daily.cvd" "$T/clamd-pc-old/db/daily.cud" $((NOW - 10 * 86400))
clamav_dated_cud "$T/build/daily.cvd" "$T/clamd-pc-fine/db/daily.cud" "$NOW"
clamd_start "$T/clamd-pc-old"
clamd_start "$T/clamd-pc-fine"

# ---- the agents (no update sensor: their update counts are unknown) ---------------
: >"$T/auth.log"
for id in pc-stopped pc-old pc-fine; do
	write_agent_conf "$id" "$PORT" "$T/auth.log"
	clamav_agent_conf "$id" "$T/clamd-$id"
	printf '\n[usb]\nenabled = no\n' >>"$T/$id/agent.conf"
	"$BUILD/vigil-agent" -n -f "$T/$id/agent.conf" 2>/dev/null || fail "$id's configuration is refused"
	start_agent "$id"
done
FINE_PID=$AGENT_PID

ctl() {
	"$BUILD/vigilctl" "$@"
}
# unit_is LINE: vigilctl --json compliance prints exactly LINE for the unit.
unit_is() {
	ctl --json compliance | grep -qxF "$1"
}

# ---- 1 of 3 --------------------------------------------------------------------------
U33='{"type":"unit","unit":"test-unit","machines":3,"compliant":1,"percent":33,"target":100}'
wait_for 30 "3 machines, 1 compliant, 33 %" unit_is "$U33"
ctl --json compliance >"$T/c.json" || fail "vigilctl --json compliance failed"
R_STOPPED='antivirus ClamAV not running; signature date unknown; updates unknown'
R_OLD='signatures 10 days old (limit 3 days); updates unknown'
cat >"$T/want.json" <<EOW
$U33
{"type":"machine","agent":"pc-old","unit":"test-unit","hostname":"$(hostname)","reasons":"$R_OLD","compliant":false}
{"type":"machine","agent":"pc-stopped","unit":"test-unit","hostname":"$(hostname)","reasons":"$R_STOPPED","compliant":false}
EOW
diff -u "$T/want.json" "$T/c.json" >&2 || fail "compliance --json differs"

# A report: below the target is exit status 0.
ctl compliance >"$T/c.txt" || fail "vigilctl compliance exited $? below the target"
grep -Eq '^test-unit +3 +1 +33 % +100 %$' "$T/c.txt" || fail "no unit row in: $(cat "$T/c.txt")"
row_is() {
	[ "$(grep -E "^$1 " "$T/c.txt" | sed 's/  */ /g')" = "$1 test-unit $2" ]
}
row_is pc-old "$R_OLD" || fail "no pc-old row in: $(cat "$T/c.txt")"
row_is pc-stopped "$R_STOPPED" || fail "no pc-stopped row in: $(cat "$T/c.txt")"
grep -q '^pc-fine' "$T/c.txt" && fail "pc-fine is listed as non-compliant"

ctl --csv-no-bom compliance >"$T/c.csv" || fail "vigilctl --csv compliance failed"
cat >"$T/want.csv" <<EOW
UNIT,MACHINES,COMPLIANT,PERCENT,TARGET
test-unit,3,1,33,100

AGENT,UNIT,REASONS
pc-old,test-unit,"$R_OLD"
pc-stopped,test-unit,"$R_STOPPED"
EOW
diff -u "$T/want.csv" "$T/c.csv" >&2 || fail "compliance --csv differs"

# --unit: only that unit; a unit with no machine has its line all the same.
[ "$(ctl --json compliance --unit test-unit | head -n 1)" = "$U33" ] || fail "--unit test-unit"
[ "$(ctl --json compliance --unit nowhere)" = '{"type":"unit","unit":"nowhere","machines":0,"compliant":0,"percent":0,"target":100}' ] ||
	fail "--unit nowhere: $(ctl --json compliance --unit nowhere)"

# ---- agents at a glance ------------------------------------------------------------------
ctl --json agents >"$T/a.json" || fail "vigilctl --json agents failed"
grep -q '"agent":"pc-fine".*"av":"ClamAV running","signatures_age_days":0,"security_updates":null,"reboot_required":null,"compliant":true' "$T/a.json" ||
	fail "pc-fine at a glance: $(grep pc-fine "$T/a.json")"
grep -q '"agent":"pc-old".*"av":"ClamAV running","signatures_age_days":10,.*"compliant":false' "$T/a.json" ||
	fail "pc-old at a glance: $(grep pc-old "$T/a.json")"
grep -q '"agent":"pc-stopped".*"av":"ClamAV stopped","signatures_age_days":null,.*"compliant":false' "$T/a.json" ||
	fail "pc-stopped at a glance: $(grep pc-stopped "$T/a.json")"
ctl agents >"$T/a.txt" || fail "vigilctl agents failed"
head -n 1 "$T/a.txt" | grep -Eq 'AV +SIG-AGE +SEC-UPD +REBOOT +COMPLIANT +DROPS +COUNTERS$' || fail "agents header: $(head -n 1 "$T/a.txt")"
grep -Eq '^pc-old .*ClamAV running +10 +- +- +no +[0-9]+( |$)' "$T/a.txt" || fail "pc-old in agents: $(cat "$T/a.txt")"
grep -Eq '^pc-fine .*ClamAV running +0 +- +- +yes +[0-9]+( |$)' "$T/a.txt" || fail "pc-fine in agents: $(cat "$T/a.txt")"

# ---- pc-stopped's clamd starts: 2 of 3 ------------------------------------------------------
hist=$(db "select count(*) from posture_history where agent = 'pc-stopped';")
clamd_start "$T/clamd-pc-stopped"
U67='{"type":"unit","unit":"test-unit","machines":3,"compliant":2,"percent":67,"target":100}'
wait_for 20 "2 of 3 compliant, 67 %" unit_is "$U67"
ctl --json compliance >"$T/c2.json"
grep -q '"agent":"pc-stopped"' "$T/c2.json" && fail "pc-stopped is still non-compliant"
[ "$(wc -l <"$T/c2.json")" = 2 ] || fail "compliance after the start: $(cat "$T/c2.json")"
# The change is in the history; heartbeats without a change are not.
[ "$(db "select count(*) from posture_history where agent = 'pc-stopped';")" -gt "$hist" ] ||
	fail "no posture history row for clamd starting"
[ "$(db "select av_running from posture where agent = 'pc-stopped';")" = 1 ] || fail "posture av_running is not YES"
n=$(db "select count(*) from posture_history where agent = 'pc-fine';")
[ "$n" -le 3 ] || fail "pc-fine has $n history rows for an unchanging posture"

# ---- off, not silent: judged on its last state, until it is gone too long ---------------------
stop_pid "$FINE_PID"
wait_for 10 "pc-fine recorded off" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \"SELECT off_reason FROM agents WHERE agent = 'pc-fine'\")\" = stopped ]"
unit_is "$U67" || fail "a machine switched off changed the unit's figure: $(ctl --json compliance)"
ctl --json agents | grep '"agent":"pc-fine"' | grep -q '"state":"off".*"compliant":true' ||
	fail "pc-fine off at a glance: $(ctl --json agents | grep pc-fine)"
not_seen() {
	ctl --json compliance | grep '"agent":"pc-fine"' | grep -Eq '"reasons":"not seen for [0-9]+ s \(limit 8 s\); updates unknown"'
}
wait_for 30 "pc-fine not seen for longer than compliance_offline_after" not_seen
unit_is "$U33" || fail "the unit is not back at 33 %: $(ctl --json compliance)"

pass "3 machines at 33 % with reasons (table, --json, --csv), agents at a glance, clamd started: 67 %; off is judged on its last state, not seen for too long is its own reason"
