# Shared helpers of the integration tests. Each test is a script run by sh with
# BUILD set; it sources this file, starts the real binaries on 127.0.0.1 in a
# temporary directory and stops everything it started, by PID, on exit.
set -eu

BUILD=$(cd "${BUILD:?BUILD is not set}" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/vigil-test.XXXXXX)
PIDS=""
TEST_NAME=$(basename "$0" .sh)
# Agents never reach the host's system bus (logind's delay locks): a test that
# wants one starts its own (t20).
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/no-system-bus"

# cleanup [STATUS]: on exit, with the exit status (or STATUS).
cleanup() {
	rc=${1:-$?}
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	if [ "$rc" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "  ($TEST_NAME: files kept in $T)"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL $TEST_NAME: $*" >&2
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- last lines of $f" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}

# need PROG...: each is declared in deploy/programs.txt and installed. A missing
# one fails the test and names its package: a skip would hide it on a new machine.
need() {
	for _p in "$@"; do
		_pkg=$(awk -v p="$_p" '$1 == p { print $2; exit }' "$TOP/deploy/programs.txt")
		[ -n "$_pkg" ] || fail "$_p is not declared in deploy/programs.txt"
		case $_p in
		python3:*) python3 -c "import ${_p#python3:}" 2>/dev/null ;;
		/*) [ -e "$_p" ] ;;
		*) command -v "$_p" >/dev/null ;;
		esac || fail "$_p is missing: install the package $_pkg (deploy/install-deps.sh does)"
	done
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds or the
# deadline passes. The short sleep is the polling interval of a loop bounded by
# a deadline, not a wait for something to have happened.
wait_for() {
	_secs=$1 _desc=$2
	shift 2
	poll_until "$_secs" "$@" || fail "timed out after ${_secs}s waiting for $_desc"
}

# poll_until SECONDS COMMAND...: the same poll, for a test that goes on when
# the deadline passes; 1 then.
poll_until() {
	_pend=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_pend" ] || return 1
		sleep 0.1
	done
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pki_setup ID...: a CA, the collector certificate and one certificate per agent.
pki_setup() {
	"$BUILD/vigilctl" pki init "$T/pki" >/dev/null || fail "vigilctl pki init failed"
	for id in "$@"; do
		"$BUILD/vigilctl" pki issue "$T/pki" "$id" >/dev/null || fail "vigilctl pki issue $id failed"
	done
}

# write_collector_conf PORT [EXTRA LINES]
write_collector_conf() {
	cat >"$T/collector.conf" <<EOC
[collector]
listen = 127.0.0.1
port = $1
ca = $T/pki/ca.crt
cert = $T/pki/collector.crt
key = $T/pki/collector.key
database = $T/vigil.db
control_socket = $T/control.sock
handshake_timeout = 5s
idle_timeout = 30s
heartbeat = 2s
${2:-}
EOC
}

# collector_set KEY VALUE: set KEY in the [collector] section of collector.conf.
collector_set() {
	if grep -q "^$1 = " "$T/collector.conf"; then
		sed -i "s|^$1 = .*|$1 = $2|" "$T/collector.conf"
	else
		sed -i "s|^\[collector\]\$|[collector]\n$1 = $2|" "$T/collector.conf"
	fi
}

COLL_STARTS=0
# The collector's system zone (its timezone left empty means the system's):
# a ward office's server is in Vietnam's; a test sets COLL_TZ for another.
COLL_TZ=${COLL_TZ:-Asia/Ho_Chi_Minh}
# start_collector: start it, wait for "listening on", set COLL_PID and PORT.
start_collector() {
	COLL_STARTS=$((COLL_STARTS + 1))
	_log="$T/collector.$COLL_STARTS.log"
	TZ="$COLL_TZ" "$BUILD/vigil-collector" -d -f "$T/collector.conf" >"$_log" 2>&1 &
	COLL_PID=$!
	PIDS="$PIDS $COLL_PID"
	wait_for 20 "the collector to listen" grep -q "listening on" "$_log"
	PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$_log" | head -n 1)
	[ -n "$PORT" ] || fail "no port in the collector's log"
	export VIGIL_CONTROL_SOCKET="$T/control.sock"
}

# stop_pid PID [SIGNAL]: signal one process we started and reap it.
stop_pid() {
	kill "-${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# write_agent_conf ID PORT SOURCE_PATH...
write_agent_conf() {
	_id=$1 _port=$2
	shift 2
	mkdir -p "$T/$_id"
	cat >"$T/$_id/agent.conf" <<EOA
[agent]
state_dir = $T/$_id
unit = test-unit
rules_dir = $TOP/deploy/rules.d

[collector]
address = 127.0.0.1
port = $_port
ca = $T/pki/ca.crt
cert = $T/pki/agents/$_id.crt
key = $T/pki/agents/$_id.key
batch_max = 200
window = 4
reconnect_min = 100ms
reconnect_max = 1s
reconnect_spread = 500ms
connect_timeout = 5s
EOA
	_n=0
	for src in "$@"; do
		_n=$((_n + 1))
		printf '\n[source log%d]\npath = %s\n' "$_n" "$src" >>"$T/$_id/agent.conf"
	done
}

# start_agent ID: start it with its config; sets AGENT_PID. The log files it
# tails must exist first (an agent starts at the end of a file it has not seen).
# A restart appends to the same log: it waits for this run's "starting".
start_agent() {
	_starts=$(grep -c "starting" "$T/agent-$1.log" 2>/dev/null) || _starts=0
	"$BUILD/vigil-agent" -d -f "$T/$1/agent.conf" >>"$T/agent-$1.log" 2>&1 &
	AGENT_PID=$!
	PIDS="$PIDS $AGENT_PID"
	wait_for 20 "agent $1 to start" sh -c "[ \$(grep -c starting '$T/agent-$1.log') -gt $_starts ]"
}

# rss_halved PID: the process holds less than half of its peak resident memory.
rss_halved() {
	awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } END { exit !(r * 2 < h) }' "/proc/$1/status"
}

db() {
	sqlite3 -cmd ".timeout 5000" "$T/vigil.db" "$@"
}

events_of() {
	db "select count(*) from events where agent = '$1';"
}

count_is() {
	[ "$(events_of "$1")" = "$2" ]
}

# The escalation file of a test is written from these, each printing one
# section, as { esc_contact ...; esc_chain ...; esc_route_default; } >"$T/escalation.conf".
# esc_contact ID NAME LANGUAGE [LINE...]: [contact ID] with its name, the LINEs
# ("email = it@unit.example", "role = desk", esc_sink's line...), its language.
esc_contact() {
	printf '[contact %s]\nname = %s\n' "$1" "$2"
	_lang=$3
	shift 3
	for _l in "$@"; do printf '%s\n' "$_l"; done
	printf 'language = %s\n\n' "$_lang"
}

# esc_sink FILE: the line of a contact whose notifications
# receivers/exec_sink.sh writes to FILE.
esc_sink() {
	echo "command = /bin/sh $TOP/tests/integration/receivers/exec_sink.sh write $1"
}

# esc_chain WAIT CONTACT...: [chain default], a contact a level, WAIT between levels.
esc_chain() {
	_wait=$1 _n=0
	shift
	echo "[chain default]"
	for _c in "$@"; do
		[ "$_n" -eq 0 ] || echo "level${_n}_wait = $_wait"
		_n=$((_n + 1))
		echo "level$_n = $_c"
	done
	echo
}

# esc_route NAME LINE...: [route NAME], its LINEs, each incident on its own and at once.
esc_route() {
	echo "[route $1]"
	shift
	for _l in "$@"; do printf '%s\n' "$_l"; done
	printf 'group_by = incident\ngroup_wait = 0s\n\n'
}

# esc_route_police: every attack, data leak and fraud told at once to the
# contact ward-police, and routed on (continue).
esc_route_police() {
	esc_route police "category = attack data_leak fraud" "min_severity = low" \
		"notify_now = ward-police" "continue = yes"
}

# esc_route_default [MIN_SEVERITY]: incidents of MIN_SEVERITY (medium) and up
# to the chain default.
esc_route_default() {
	esc_route default "min_severity = ${1:-medium}" "chain = default"
}

# brute_force LOG: five failed passwords for nguyen from 203.0.113.7 appended
# to LOG; waits for the brute-force incident and sets A to its id.
brute_force() {
	_i=1
	while [ $_i -le 5 ]; do
		echo "Nov 25 10:00:0$_i pc sshd[100$_i]: Failed password for nguyen from 203.0.113.7 port 5000$_i ssh2" >>"$1"
		_i=$((_i + 1))
	done
	wait_for 20 "the brute-force incident" bruteforce_open
	A=$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce';")
}

bruteforce_open() {
	[ -n "$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce'")" ]
}

# gen_lines FIRST LAST: auth.log lines numbered FIRST..LAST; every 20th is a
# failed SSH password for user uNNNNN, the rest are noise no rule matches.
gen_lines() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i <= b; i++) {
			if (i % 20 == 0)
				printf "Nov 25 10:%02d:%02d pc sshd[%d]: Failed password for u%06d from 10.0.%d.%d port %d ssh2\n", (i / 60) % 60, i % 60, 1000 + i % 500, i, (i / 256) % 256, i % 256, 1024 + i % 60000
			else
				printf "Nov 25 10:%02d:%02d pc CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0) line %d\n", (i / 60) % 60, i % 60, 2000 + i % 500, i
		}
	}'
}

# expected_users FIRST LAST: the users of the matching lines, in order.
expected_users() {
	awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i <= b; i++) if (i % 20 == 0) printf "u%06d\n", i }'
}

# check_exact AGENT FIRST LAST: the agent's stored events are exactly the
# matching lines FIRST..LAST, each once, and in seq order.
check_exact() {
	db "select json_extract(fields, '\$.user') from events where agent = '$1' order by seq;" >"$T/got-$1.txt"
	expected_users "$2" "$3" >"$T/want-$1.txt"
	if ! cmp -s "$T/got-$1.txt" "$T/want-$1.txt"; then
		diff "$T/want-$1.txt" "$T/got-$1.txt" | head -n 10 >&2
		fail "agent $1: stored events differ from the matching lines $2..$3 ($(wc -l <"$T/got-$1.txt") stored, $(wc -l <"$T/want-$1.txt") expected)"
	fi
	_dups=$(db "select count(*) - count(distinct seq) from events where agent = '$1';")
	[ "$_dups" = 0 ] || fail "agent $1: $_dups duplicate sequence numbers"
}

# start_enrolling_collector [EXTRA LINES]: a new CA in $T/pki and a collector
# that signs with it and serves enrolment on EPORT, its port kept for restarts.
start_enrolling_collector() {
	"$BUILD/vigilctl" pki init "$T/pki" >/dev/null || fail "vigilctl pki init failed"
	EPORT=$(free_port)
	write_collector_conf 0 "ca_key = $T/pki/ca.key
enroll_port = $EPORT${1:+
$1}"
	start_collector
	collector_set port "$PORT"
}

# enroll_token UNIT [ARGS]: a new enrolment token's text; its JSON in $T/tok.json.
enroll_token() {
	"$BUILD/vigilctl" --json enroll create --unit "$@" >"$T/tok.json" ||
		fail "enroll create --unit $* failed"
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["token"])' "$T/tok.json"
}

# shows_cert_end ID CERT: vigilctl agents shows for ID the end date of the
# certificate in file CERT, to within 5 s (fails with both dates otherwise).
shows_cert_end() {
	_end=$(date -u -d "$(openssl x509 -in "$2" -noout -enddate | cut -d= -f2)" +%s)
	_shown=$("$BUILD/vigilctl" --json agents | python3 -c 'import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o.get("agent") == sys.argv[1]: print(o["cert_expires"])' "$1")
	_shown_s=$(date -u -d "$_shown" +%s) || fail "vigilctl agents shows no expiry for $1: '$_shown'"
	[ $((_shown_s - _end)) -le 5 ] && [ $((_end - _shown_s)) -le 5 ] ||
		fail "vigilctl agents shows $_shown for $1, its certificate ends $(date -u -d "@$_end")"
}

pass() {
	echo "  PASS    $TEST_NAME${1:+: $1}"
}

# wine_prefix: a private Wine prefix in $T for this test (a crash exits
# non-zero: no debugger). Wine leaves its server and helpers running: at the
# exit they are ended with the prefix, then cleanup runs with the exit status.
# Every Windows test (t21, t25, t26, t39, t40, t44) sets its prefix up here.
wine_prefix() {
	export WINEPREFIX="$T/wine" WINEDEBUG=-all WINEDLLOVERRIDES="winedbg.exe=d"
	trap wine_down EXIT
}
wine_down() {
	_rc=$?
	if [ -d "$WINEPREFIX" ]; then
		wineserver -k 2>/dev/null || true
		# -w waits for the server to be gone: nothing of the prefix outlives us.
		timeout 30 wineserver -w 2>/dev/null || true
	fi
	# The status as an argument: under set -e, a "(exit 1)" here would end
	# the shell before cleanup stops the test's processes.
	cleanup "$_rc"
}

# wine_procs PATTERN: the PIDs of this test's Wine processes (WINEPREFIX, in
# their environment, is this test's prefix) whose command line matches the
# extended regular expression PATTERN, case aside; 1 when there is none. The
# Wine processes of other tests and other engineers, running at the same time
# on this machine, are not seen.
wine_procs() {
	_found=1
	for _e in $(grep -lzxF "WINEPREFIX=$WINEPREFIX" /proc/[0-9]*/environ 2>/dev/null); do
		_p=${_e%/environ}
		# Wine's (the test's own shell commands have its WINEPREFIX too).
		case $(readlink "$_p/exe" 2>/dev/null) in */wine/*) ;; *) continue ;; esac
		tr '\0' ' ' 2>/dev/null <"$_p/cmdline" | grep -qiE -- "$1" || continue
		echo "${_p#/proc/}"
		_found=0
	done
	return $_found
}

# win_arches: sets WIN_ARCHES to the Windows architectures Wine runs here:
# "x86_64 i686" with wine32 installed. When install-deps recorded that the
# archive could not serve wine32:i386 (deploy/install-deps.sh, a mirror out of
# step), "x86_64" alone, and the 32-bit half says SKIPPED with the archive's
# error; without that record a missing wine32 fails, as any missing package.
win_arches() {
	WIN_ARCHES="x86_64 i686"
	[ -e /usr/lib/wine/wine ] && return 0
	_why=$(awk -F'\t' '$1 == "wine32:i386" { print $3 }' \
		"${VIGIL_DEPS_UNAVAILABLE:-/var/lib/vigil-deps/unavailable}" 2>/dev/null)
	[ -n "$_why" ] || need /usr/lib/wine/wine
	echo "          SKIPPED i686 under Wine: the archive could not serve wine32:i386 ($_why)" | tee -a "${VIGIL_SKIPS:-/dev/null}"
	WIN_ARCHES="x86_64"
}
