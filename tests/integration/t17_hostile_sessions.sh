# Hostile peers that speak the protocol, with and without valid certificates
# (tests/integration/peer.py), against a real collector with short deadlines,
# while a good agent keeps delivering:
#   - 20 connections from one address dripping a ClientHello a byte a second:
#     4 get in (max_handshakes_per_address), all are closed at the deadline;
#   - a TLS session trickling its Hello, then another trickling a frame after
#     Hello: closed at handshake_timeout and frame_timeout;
#   - an event with seq 2^63: refused at validation, storage goes on;
#   - events dated 2040 and 1990: stored as sent, flagged, counted, and shown
#     with the time received; the agent's clock shows in vigilctl agents;
#   - an agent claiming another's host name: shown as a claim, --host ignores it;
#   - frames parked half-sent by 8 sessions: counted against max_pending_total,
#     closed at frame_timeout, and the good agent gets through afterwards.
. "$(dirname "$0")/lib.sh"
need python3 sqlite3

PEER="$TOP/tests/integration/peer.py"
pki_setup pc-good intruder trickler clocky parker1 parker2 parker3 parker4 parker5 parker6 \
	parker7 parker8
write_collector_conf 0
collector_set max_connections 40
collector_set max_handshakes_per_address 4
collector_set handshake_timeout 2s
collector_set frame_timeout 2s
collector_set clock_ahead_max 10m
start_collector
LOG="$T/collector.1.log"
: >"$T/auth.log"
write_agent_conf pc-good "$PORT" "$T/auth.log"
start_agent pc-good
gen_lines 1 200 >>"$T/auth.log"
wait_for 30 "the good agent's first 10 events" count_is pc-good 10

counter() {
	"$BUILD/vigilctl" --json status | python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$1'])"
}
gauge() {
	"$BUILD/vigilctl" --json status | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}
val() { sed -n "s/^$1 //p" "$2" | head -n 1; }
now_us() { echo "$(($(date +%s) * 1000000))"; }

# ---- dripped handshakes from one address (127.0.0.2 is loopback too) ----
gen_lines 201 400 >>"$T/auth.log"
python3 "$PEER" drip "$PORT" --src 127.0.0.2 --count 20 --deadline 15 >"$T/drip.out" ||
	fail "peer.py drip failed: $(cat "$T/drip.out")"
[ "$(val connected "$T/drip.out")" = 4 ] || fail "dripping: $(cat "$T/drip.out") (want 4 connected)"
[ "$(val refused "$T/drip.out")" = 16 ] || fail "dripping: $(cat "$T/drip.out") (want 16 refused)"
[ "$(val still_open "$T/drip.out")" = 0 ] || fail "dripping: a connection outlived the deadline: $(cat "$T/drip.out")"
longest=$(val longest "$T/drip.out")
awk -v l="$longest" 'BEGIN { exit !(l <= 4.0) }' ||
	fail "a dripping connection was closed after ${longest}s; handshake_timeout is 2s"
[ "$(counter connections_refused_address)" -ge 16 ] || fail "connections_refused_address is not counted"
[ "$(counter handshake_timeouts)" -ge 4 ] || fail "handshake_timeouts is not counted"
grep -q "max_handshakes_per_address" "$LOG" || fail "the refusal by address is not logged"
wait_for 30 "the good agent's events during the drip" count_is pc-good 20

# ---- trickling: the Hello, then a frame after Hello ----
python3 "$PEER" session --pki "$T/pki" --id trickler --deadline 15 "$PORT" trickle:300 \
	>"$T/trickle1.out" || fail "trickling a Hello was never closed: $(cat "$T/trickle1.out")"
t=$(val closed_after "$T/trickle1.out")
awk -v t="$t" 'BEGIN { exit !(t != "" && t <= 4.0) }' ||
	fail "a Hello trickled a byte a second was closed after ${t:-never}s; handshake_timeout is 2s"
python3 "$PEER" session --pki "$T/pki" --id trickler --deadline 15 "$PORT" hello trickle:100 \
	>"$T/trickle2.out" || fail "trickling a frame was never closed: $(cat "$T/trickle2.out")"
t=$(val closed_after "$T/trickle2.out")
awk -v t="$t" 'BEGIN { exit !(t != "" && t <= 4.0) }' ||
	fail "a frame trickled a byte a second was closed after ${t:-never}s; frame_timeout is 2s"
[ "$(counter frame_timeouts)" -ge 1 ] || fail "frame_timeouts is not counted"
grep -q "trickler.*frame_timeout" "$LOG" || fail "the frame deadline is not logged"

# ---- a seq above 2^63-1: refused where it is read; storage goes on ----
python3 "$PEER" session --pki "$T/pki" --id intruder "$PORT" \
	hello "event:9223372036854775808:$(now_us)" >"$T/poison.out" || fail "peer.py: $(cat "$T/poison.out")"
[ "$(val reply "$T/poison.out" | tail -n 1)" != ack ] || true
grep -q "^reply error" "$T/poison.out" || fail "the poison seq was not refused: $(cat "$T/poison.out")"
grep -q "above 9223372036854775807" "$T/poison.out" || fail "the refusal does not say why: $(cat "$T/poison.out")"
gen_lines 401 600 >>"$T/auth.log"
wait_for 30 "the good agent's events after the poison seq" count_is pc-good 30
[ "$(counter commit_failures)" = 0 ] || fail "commits failed: $(counter commit_failures)"

# ---- implausible clocks: kept as sent, flagged, counted, shown ----
future=2208988800000000   # 2040-01-01
past=631152000000000      # 1990-01-01
python3 "$PEER" session --pki "$T/pki" --id clocky "$PORT" hello "event:1:$future" \
	"event:2:$past" "heartbeat:$(($(now_us) + 7200000000))" "event:3:$(now_us)" >"$T/clock.out" ||
	fail "peer.py: $(cat "$T/clock.out")"
[ "$(grep -c '^reply ack' "$T/clock.out")" = 3 ] || fail "events with odd times were not stored: $(cat "$T/clock.out")"
[ "$(db "select time_us from events where agent = 'clocky' and seq = 1;")" = "$future" ] ||
	fail "the event time was not kept as sent"
[ "$(db "select group_concat(clock) from (select clock from events where agent = 'clocky' order by seq);")" = "1,2,0" ] ||
	fail "the clock flags are $(db "select group_concat(clock) from events where agent = 'clocky';"), want 1,2,0"
[ "$(counter events_clock_implausible)" = 2 ] || fail "events_clock_implausible is $(counter events_clock_implausible), want 2"
"$BUILD/vigilctl" events --agent clocky >"$T/clock-events.txt" || fail "vigilctl events failed"
head -n 1 "$T/clock-events.txt" | grep -q RECEIVED || fail "vigilctl events has no RECEIVED column"
# (times in the collector's zone: its system's, Asia/Ho_Chi_Minh (lib.sh); POSIX spells it UTC-7)
grep -q "^2040-01-01 [0-9:]*! *$(TZ=UTC-7 date +%Y-%m-%d)" "$T/clock-events.txt" ||
	fail "the 2040 event is not flagged with its time received: $(cat "$T/clock-events.txt")"
"$BUILD/vigilctl" --json events --agent clocky | grep '"seq":2' | grep -q '"clock":"behind"' ||
	fail "--json does not say the 1990 event is behind"
grep -q "clocky.*clock" "$LOG" || fail "the odd clock is not logged"
wait_for 10 "the agent's clock offset to be stored" sh -c \
	"\"$BUILD/vigilctl\" agents | grep '^clocky ' | grep -q ' +2h '"

# ---- a claimed host name is a claim ----
python3 "$PEER" session --pki "$T/pki" --id intruder "$PORT" "hello:pc-good" \
	"event:1:$(now_us):3" >"$T/claim.out" || fail "peer.py: $(cat "$T/claim.out")"
grep -q "^reply ack" "$T/claim.out" || fail "the claiming peer's event was not stored: $(cat "$T/claim.out")"
"$BUILD/vigilctl" agents >"$T/agents.txt"
head -n 1 "$T/agents.txt" | grep -q "^AGENT *CLAIMED-HOST" || fail "vigilctl agents does not mark the host name as claimed: $(head -n 1 "$T/agents.txt")"
grep -q "^intruder *pc-good " "$T/agents.txt" || fail "the intruder's claim is not shown under its own identity"
wait_for 10 "the intruder's incident" sh -c "\"$BUILD/vigilctl\" incidents --host intruder | grep -q peer"
if "$BUILD/vigilctl" incidents --host pc-good | grep -q intruder; then
	fail "--host pc-good lists the incident of an agent that only claims that name"
fi

# ---- frames parked half-sent: counted against max_pending_total ----
stop_pid "$COLL_PID"
collector_set port "$PORT"
# The parkers are not agents: a refused one would not come back.
collector_set max_handshakes_per_address 32
collector_set max_frame 1M
collector_set max_pending 1M
collector_set max_pending_total 2M
collector_set frame_timeout 3s
collector_set handshake_timeout 5s
start_collector
LOG="$T/collector.2.log"
# Anonymous memory: frames are heap; library pages come and go (the collector trims them).
anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$COLL_PID/status"; }
rss0=$(anon)
i=0
for p in parker1 parker2 parker3 parker4 parker5 parker6 parker7 parker8; do
	python3 "$PEER" session --pki "$T/pki" --id "$p" --deadline 60 "$PORT" hello park:1048000 \
		>"$T/$p.out" 2>&1 &
	PIDS="$PIDS $!"
	i=$((i + 1))
done
wait_for 20 "frames being received" sh -c "[ \"\$(\"$BUILD/vigilctl\" --json status | python3 -c \"import json,sys; print(json.load(sys.stdin)['bytes_being_received'])\")\" -gt 0 ]"
max_seen=0 max_rss=0
end=$(($(date +%s) + 3))
while [ "$(date +%s)" -lt "$end" ]; do
	r=$(gauge bytes_being_received)
	[ "$r" -gt "$max_seen" ] && max_seen=$r
	rss=$(anon)
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	sleep 0.2
done
[ "$max_seen" -le 2097152 ] || fail "$max_seen bytes of half-sent frames were held; max_pending_total is 2M"
grew=$(((max_rss - rss0) / 1024))
[ "$grew" -lt 6 ] || fail "8 parked 1 MB frames grew the collector by $grew MiB (max_pending_total is 2M)"
gen_lines 601 800 >>"$T/auth.log"
wait_for 60 "the good agent's events after the parked frames" count_is pc-good 40
wait_for 60 "every parked frame to be closed" sh -c "[ \$(cat $T/parker*.out | grep -c '^closed_after') = 8 ]"
[ "$(counter frame_timeouts)" -ge 1 ] || fail "frame_timeouts is not counted"

check_exact pc-good 1 800
kill -0 "$COLL_PID" || fail "the collector died"
pass "drip: 4 in, 16 refused, closed by ${longest}s; trickles closed; poison seq refused; clocks flagged; claims shown as claims; parked frames held ${max_seen} bytes (+${grew} MiB)"
