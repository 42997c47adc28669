# A hostile log line (terminal escapes, a forged second line, bidirectional
# override) travels as data: stored byte for byte, shown escaped by vigilctl.
. "$(dirname "$0")/lib.sh"

pki_setup pc-01
write_collector_conf 0
start_collector
: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
start_agent pc-01
# ESC [2J clears a terminal; U+202E reverses the text after it.
printf 'Nov 25 10:00:01 pc sshd[1]: Failed password for ev\033[2Jil\342\200\256x from 10.9.9.9 port 22 ssh2\n' >>"$T/auth.log"
wait_for 30 "the hostile event" count_is pc-01 1

"$BUILD/vigilctl" events --agent pc-01 >"$T/table.txt" || fail "vigilctl events failed"
"$BUILD/vigilctl" --csv events --agent pc-01 >"$T/csv.txt" || fail "vigilctl --csv events failed"
"$BUILD/vigilctl" --json events --agent pc-01 >"$T/json.txt" || fail "vigilctl --json events failed"
for f in table csv json; do
	if LC_ALL=C grep -q "$(printf '\033')" "$T/$f.txt"; then
		fail "vigilctl $f output holds a raw ESC byte"
	fi
	if LC_ALL=C grep -q "$(printf '\342\200\256')" "$T/$f.txt" && [ "$f" != json ]; then
		fail "vigilctl $f output holds a raw right-to-left override"
	fi
done
grep -q 'ev\\x1b\[2Jil' "$T/table.txt" || fail "the table does not show the ESC escaped: $(cat "$T/table.txt")"
grep -q 'ev\\u001b\[2Jil' "$T/json.txt" || fail "the JSON does not escape the ESC: $(cat "$T/json.txt")"
# The store keeps what the agent sent, byte for byte (the user field as captured).
user=$(db "select hex(json_extract(fields, '\$.user')) from events where agent = 'pc-01';")
[ "$user" = "$(printf 'ev\033[2Jil\342\200\256x' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ] ||
	fail "the stored user field differs: $user"
pass "terminal escapes and a bidi override stored as sent, shown escaped"
