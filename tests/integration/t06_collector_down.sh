# The collector is down when the agent starts: events wait in the spool and
# arrive when it comes up.
. "$(dirname "$0")/lib.sh"

pki_setup pc-01
PORT=$(free_port)
write_collector_conf "$PORT"
: >"$T/auth.log"
write_agent_conf pc-01 "$PORT" "$T/auth.log"
start_agent pc-01
gen_lines 1 6000 >>"$T/auth.log"

spooled() {
	[ "$(sqlite3 -cmd '.timeout 5000' "$T/pc-01/spool.db" 'select count(*) from events;')" = 300 ]
}
wait_for 30 "300 events in the agent's spool" spooled
[ ! -e "$T/vigil.db" ] || fail "a database exists before the collector started"

start_collector
wait_for 60 "300 events at the collector" count_is pc-01 300
check_exact pc-01 1 6000
wait_for 30 "the spool to empty" sh -c "[ \$(sqlite3 -cmd '.timeout 5000' '$T/pc-01/spool.db' 'select count(*) from events;') = 0 ]"

# A key-exchange group this OpenSSL lacks (X25519MLKEM768 before 3.5) is said
# once at start where the operator reads it, not at every reconnect attempt.
said_once() {
	_n=$(grep -c "key-exchange group X25519MLKEM768 is not in this OpenSSL" "$1")
	case $(openssl version) in
	"OpenSSL 3."[0-4].*) [ "$_n" = 1 ] || fail "$1 says the missing group $_n times, not once" ;;
	*) [ "$_n" -le 1 ] || fail "$1 says the missing group $_n times" ;;
	esac
}
said_once "$T/agent-pc-01.log"
said_once "$T/collector.1.log"
pass "spooled while the collector was down, delivered once when it came up; a missing key-exchange group said once"
