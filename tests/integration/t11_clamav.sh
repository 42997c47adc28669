# The antivirus and update sensors for real: clamd started here with its own
# configuration and a one-signature database, the agent against it and a
# fixture root for apt and dpkg, a real collector. A scan that finds the test
# file is a malware.detected event at the collector; clamd stopped is
# av.stopped and posture running NO; clamd back with an old daily database is
# av.started and av.signatures_old, and the posture carries the date.
# Packages: clamav-daemon, clamav (clamd, clamdscan, sigtool).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clamav.sh"

pki_setup pc-av
write_collector_conf 0
start_collector

# ---- clamd, private ----------------------------------------------------------
C="$T/clamd"
mkdir -p "$C/db"
clamav_sample
cp "$T/test.hdb" "$C/db/test.hdb"
clamd_conf "$C" "$C/db"
clamd_start "$C"

# ---- a fixture root for the update sensor ----------------------------------------
R="$T/root"
mkdir -p "$R/var/log/apt" "$R/var/lib/dpkg" "$R/run" "$R/etc"
cp "$TOP/tests/data/updates/history.log" "$R/var/log/apt/history.log"
: >"$R/var/log/dpkg.log"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$R/etc/os-release"

# ---- the agent ----------------------------------------------------------------------
: >"$T/auth.log"
write_agent_conf pc-av "$PORT" "$T/auth.log"
cat >>"$T/pc-av/agent.conf" <<EOA

[antivirus]
provider = clamav
clamd_socket = $C/clamd.sock
clamd_log = $C/clamd.log
signature_max_age = 3d
check_interval = 500ms

[updates]
enabled = yes
root = $R
check_interval = 1h
apt_command = cat $TOP/tests/data/updates/apt-upgrade-debian-security.txt
EOA
"$BUILD/vigil-agent" -n -f "$T/pc-av/agent.conf" 2>/dev/null || fail "the agent's configuration is refused"
ALOG="$T/agent-pc-av.log"
"$BUILD/vigil-agent" -d -v -f "$T/pc-av/agent.conf" >>"$ALOG" 2>&1 &
AGENT_PID=$!
PIDS="$PIDS $AGENT_PID"
wait_for 20 "the agent to start" grep -q "starting" "$ALOG"

rule_count() {
	db "select count(*) from events where agent = 'pc-av' and rule = '$1';"
}
has_rule() {
	[ "$(rule_count "$1")" -ge "${2:-1}" ]
}
field() {
	db "select json_extract(fields, '\$.$2') from events where agent = 'pc-av' and rule = '$1' order by seq desc limit 1;"
}

# ---- running, then a detection ------------------------------------------------------
wait_for 20 "a posture with ClamAV running" grep -q 'Posture sent: antivirus "ClamAV" running yes .* version "1.4.6"' "$ALOG"
clamdscan -c "$C/clamd.conf" --no-summary "$T/sample.bin" >"$T/clamdscan.out" 2>&1 && fail "clamdscan found nothing"
grep -q "Vigil.Test.Sample.UNOFFICIAL FOUND" "$T/clamdscan.out" || fail "clamdscan: $(cat "$T/clamdscan.out")"
wait_for 20 "malware.detected at the collector" has_rule malware.detected
[ "$(field malware.detected signature)" = "Vigil.Test.Sample.UNOFFICIAL" ] ||
	fail "signature is '$(field malware.detected signature)'"
[ "$(field malware.detected path)" = "$T/sample.bin" ] || fail "path is '$(field malware.detected path)'"
[ "$(db "select category || ' ' || severity from events where agent = 'pc-av' and rule = 'malware.detected';")" = "5 4" ] ||
	fail "malware.detected is not category malware, severity high"
[ "$(rule_count av.stopped)" = 0 ] || fail "av.stopped while clamd runs"

# ---- the update sensor on its fixture root --------------------------------------------
wait_for 20 "update.security_pending" has_rule update.security_pending
[ "$(field update.security_pending count)" = 79 ] || fail "security count is '$(field update.security_pending count)'"
wait_for 20 "the update posture" grep -q 'updates pending 124, security 79 since [1-9]' "$ALOG"
grep -q 'os "Debian GNU/Linux 12 (bookworm)"' "$ALOG" || fail "no os in the posture"
printf 'linux-image-6.1.0-40-amd64\nlibc6\n' >"$R/run/reboot-required.pkgs"
: >"$R/run/reboot-required"
wait_for 20 "update.reboot_required" has_rule update.reboot_required
[ "$(field update.reboot_required packages)" = "linux-image-6.1.0-40-amd64 libc6" ] ||
	fail "reboot packages are '$(field update.reboot_required packages)'"
wait_for 20 "a posture with reboot required" grep -q 'reboot required yes;' "$ALOG"
echo "$(date '+%Y-%m-%d %H:%M:%S') install vigil-test:amd64 <none> 1.0-1" >>"$R/var/log/dpkg.log"
echo "$(date '+%Y-%m-%d %H:%M:%S') remove telnet:amd64 0.17+2.4-2 <none>" >>"$R/var/log/dpkg.log"
wait_for 20 "software.installed and software.removed" has_rule software.removed
[ "$(field software.installed package)" = "vigil-test:amd64" ] || fail "installed package is '$(field software.installed package)'"

# ---- clamd stopped ----------------------------------------------------------------------
stop_pid "$CLAMD_PID"
wait_for 20 "av.stopped at the collector" has_rule av.stopped
wait_for 20 "a posture with ClamAV stopped" grep -q 'Posture sent: antivirus "ClamAV" running no ' "$ALOG"
[ "$(rule_count av.stopped)" = 1 ] || fail "av.stopped $(rule_count av.stopped) times for one stop"

# ---- back with a daily database ten days old ---------------------------------------------
clamav_build_daily "$C/db/test.hdb" "$C/build"
OLD=$(($(date +%s) - 10 * 86400))
mkdir -p "$C/db2"
cp "$C/db/test.hdb" "$C/db2/"
clamav_dated_cud "$C/build/daily.cvd" "$C/db2/daily.cud" "$OLD"
clamd_conf "$C" "$C/db2"
clamd_start "$C"
wait_for 30 "av.started at the collector" has_rule av.started
wait_for 20 "av.signatures_old at the collector" has_rule av.signatures_old
[ "$(field av.signatures_old age_days)" = 10 ] || fail "age is '$(field av.signatures_old age_days)' days"
want=$(date -u -d "@$OLD" '+%Y-%m-%dT%H:%M:%S')
field av.signatures_old signatures | grep -q "^$want" || fail "signature date is '$(field av.signatures_old signatures)', not $want"
wait_for 20 "a posture with the old signatures" grep -q "running yes .* signatures $want" "$ALOG"
[ "$(rule_count av.signatures_old)" = 1 ] || fail "av.signatures_old said $(rule_count av.signatures_old) times"

pass "detection, clamd stopped and back, old signatures, updates, reboot, packages"
