#!/bin/sh
# make demo: the real thing on loopback. A demo CA, one collector and two
# agents on 127.0.0.1 tailing demo log files; a short story is written into
# them; the incident queue is printed; everything runs until Ctrl-C, then
# everything started here is stopped by PID.
set -eu
BUILD=$(cd "${1:-build}" && pwd)
D=$(mktemp -d /tmp/vigil-demo.XXXXXX)
RULES=$(cd "$(dirname "$0")" && pwd)/rules.d
PIDS=""
stop() {
	trap - EXIT INT TERM
	echo
	echo "Stopping the demo (PIDs$PIDS)."
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$D"
	exit 0
}
trap stop EXIT INT TERM

wait_for() {
	_secs=$1 _desc=$2
	shift 2
	_end=$(($(date +%s) + _secs))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "demo: timed out waiting for $_desc; logs are in $D" >&2
			trap - EXIT
			exit 1
		fi
		sleep 0.1
	done
}

echo "== Vigil demo in $D"
"$BUILD/vigilctl" pki init "$D/pki" >/dev/null
for id in pc-ketoan pc-vanthu; do
	"$BUILD/vigilctl" pki issue "$D/pki" "$id" >/dev/null
done
echo "   demo CA and certificates: $D/pki"

cat >"$D/collector.conf" <<EOC
[collector]
listen = 127.0.0.1
port = 0
ca = $D/pki/ca.crt
cert = $D/pki/collector.crt
key = $D/pki/collector.key
database = $D/vigil.db
control_socket = $D/control.sock
heartbeat = 10s
EOC
"$BUILD/vigil-collector" -d -f "$D/collector.conf" >"$D/collector.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 "the collector" grep -q "listening on" "$D/collector.log"
PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$D/collector.log" | head -n 1)
echo "   collector listening on 127.0.0.1:$PORT (log: $D/collector.log)"

for id in pc-ketoan pc-vanthu; do
	mkdir -p "$D/$id"
	: >"$D/$id/auth.log"
	cat >"$D/$id/agent.conf" <<EOA
[agent]
state_dir = $D/$id
unit = ubnd-phuong-demo
rules_dir = $RULES

[collector]
address = 127.0.0.1
port = $PORT
ca = $D/pki/ca.crt
cert = $D/pki/agents/$id.crt
key = $D/pki/agents/$id.key
reconnect_min = 200ms
reconnect_max = 2s

[source auth]
path = $D/$id/auth.log
EOA
	"$BUILD/vigil-agent" -d -f "$D/$id/agent.conf" >"$D/$id/agent.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 20 "agent $id" grep -q "starting" "$D/$id/agent.log"
	echo "   agent $id tailing $D/$id/auth.log"
done

export VIGIL_CONTROL_SOCKET="$D/control.sock"
ts() { date '+%b %e %H:%M:%S'; }

echo
echo "== The story"
echo "   1. Someone at 203.0.113.7 tries passwords against pc-ketoan over SSH."
for u in admin root ketoan ketoan ketoan admin root oracle; do
	echo "$(ts) pc-ketoan sshd[4242]: Failed password for $u from 203.0.113.7 port $((51000 + $(od -An -N2 -tu2 /dev/urandom) % 1000)) ssh2" >>"$D/pc-ketoan/auth.log"
done
echo "$(ts) pc-ketoan sshd[4243]: Invalid user test from 203.0.113.7 port 52000" >>"$D/pc-ketoan/auth.log"
echo "   2. On pc-vanthu a user fails sudo three times."
echo "$(ts) pc-vanthu sudo[777]:    vanthu : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/vanthu ; USER=root ; COMMAND=/usr/bin/apt install anydesk" >>"$D/pc-vanthu/auth.log"
echo "   3. A new account appears on pc-ketoan."
echo "$(ts) pc-ketoan useradd[990]: new user: name=support, UID=1001, GID=1001, home=/home/support, shell=/bin/bash, from=/dev/pts/1" >>"$D/pc-ketoan/auth.log"
echo "   (and the ordinary noise of a working day, which no rule matches)"
echo "$(ts) pc-ketoan CRON[100]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)" >>"$D/pc-ketoan/auth.log"

events() { [ "$(sqlite3 -cmd '.timeout 2000' "$D/vigil.db" 'select count(*) from events;')" -ge 11 ]; }
wait_for 30 "the events to reach the collector" events

echo
echo "== vigilctl incidents   (the operator's queue)"
"$BUILD/vigilctl" incidents
echo
echo "== vigilctl events --since 10m"
"$BUILD/vigilctl" events --since 10m
echo
echo "== vigilctl agents"
"$BUILD/vigilctl" agents
echo
echo "Try it yourself in another terminal:"
echo "   export VIGIL_CONTROL_SOCKET=$D/control.sock"
echo "   $BUILD/vigilctl status"
echo "   $BUILD/vigilctl incident show 1"
echo "   echo \"\$(date '+%b %e %H:%M:%S') pc sshd[1]: Failed password for root from 198.51.100.9 port 22 ssh2\" >> $D/pc-vanthu/auth.log"
echo
if [ -n "${DEMO_SECONDS:-}" ]; then
	echo "Running for $DEMO_SECONDS s (DEMO_SECONDS), then stopping."
	sleep "$DEMO_SECONDS"
else
	echo "The demo keeps running. Press Ctrl-C to stop everything it started."
	while :; do sleep 3600; done
fi
