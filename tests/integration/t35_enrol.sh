# Enrolment with tokens, revocation and retirement (issue 15), end to end on
# 127.0.0.1. A token from `vigilctl enroll create` carries the CA's
# fingerprint; `vigil-agent --enroll` makes the key on the PC (0600), gets a
# certificate whose identity the collector assigned and which carries the
# unit's id; the agent, configured with another unit, delivers events stored
# under that identity and the certificate's unit. A used, an expired, a
# cancelled, an unknown and a foreign token (another CA's fingerprint) are
# each refused with its own words, and every enrolment and refusal is in the
# audit trail. `vigilctl agent revoke` closes the live session within a
# second and the agent is refused after a restart; `agent retire` bars
# another, whose history stays. A copy of an enrolled PC's disk (same key,
# another machine id) is refused while the original keeps its session, with
# one incident naming both machines; `agent reenroll-newcomer` gives the
# copy a token to enrol as a new machine, and it delivers.
. "$(dirname "$0")/lib.sh"
need openssl

"$BUILD/vigilctl" pki init "$T/other" >/dev/null || fail "cannot make a second CA"
start_enrolling_collector
LOG="$T/collector.1.log"
grep -q "Enrolment is served on 127.0.0.1:$EPORT" "$LOG" || fail "no enrolment listener"

ctl() {
	"$BUILD/vigilctl" "$@"
}
# json_get FILE KEY: a member of the one JSON object in FILE.
json_get() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
# last_id: the number of the token enroll_token made last.
last_id() {
	json_get "$T/tok.json" id
}
# pc NAME: an agent configuration whose key, certificate and CA are its own, unit wrong.
pc() {
	write_agent_conf "$1" "$PORT" "$T/auth-$1.log"
	sed -i -e "s|^unit = .*|unit = wrong-unit|" -e "s|^ca = .*|ca = $T/$1/ca.crt|" \
	    -e "s|^cert = .*|cert = $T/$1/agent.crt|" -e "s|^key = .*|key = $T/$1/agent.key|" \
	    "$T/$1/agent.conf"
	: >"$T/auth-$1.log"
}
# enrol NAME TOKEN: vigil-agent --enroll; output in $T/enrol-NAME.out, status returned.
enrol() {
	"$BUILD/vigil-agent" -f "$T/$1/agent.conf" --enroll "127.0.0.1:$EPORT" --token "$2" \
	    >"$T/enrol-$1.out" 2>&1
}
# refused NAME TOKEN WORDS: enrolment fails and says WORDS.
refused() {
	if enrol "$1" "$2"; then
		fail "$1 enrolled with a token that should be refused ($3)"
	fi
	grep -q "$3" "$T/enrol-$1.out" || {
		cat "$T/enrol-$1.out" >&2
		fail "$1's refusal does not say \"$3\""
	}
	[ ! -e "$T/$1/agent.key" ] || fail "$1 kept a key after a refused enrolment"
}

# ---- enrolment: key on the PC, identity and unit from the collector ------------------
TOK=$(enroll_token phuong-7)
pc pc-a
enrol pc-a "$TOK" || { cat "$T/enrol-pc-a.out" >&2; fail "pc-a's enrolment failed"; }
ID_A=$(sed -n 's/^Enrolled as \([^ ]*\) in unit phuong-7\..*/\1/p' "$T/enrol-pc-a.out")
[ -n "$ID_A" ] || fail "no identity in: $(cat "$T/enrol-pc-a.out")"
[ "$(stat -c %a "$T/pc-a/agent.key")" = 600 ] || fail "the key is not 0600"
SUBJ=$(openssl x509 -in "$T/pc-a/agent.crt" -noout -subject -nameopt RFC2253)
case $SUBJ in
*"CN=$ID_A,OU=unit-1,O=Vigil"*) ;;
*) fail "the certificate's subject is $SUBJ" ;;
esac
# The key never left: the certificate is for the key made on the PC.
[ "$(openssl x509 -in "$T/pc-a/agent.crt" -noout -pubkey)" = \
    "$(openssl pkey -in "$T/pc-a/agent.key" -pubout)" ] || fail "the certificate is not for pc-a's key"
cmp -s "$T/pc-a/ca.crt" "$T/pki/ca.crt" || fail "the CA written is not the collector's"

start_agent pc-a
PID_A=$AGENT_PID
gen_lines 1 200 >>"$T/auth-pc-a.log"
wait_for 30 "pc-a's 10 events under $ID_A" count_is "$ID_A" 10
[ "$(db "select unit from agents where agent = '$ID_A';")" = phuong-7 ] ||
	fail "pc-a's unit is $(db "select unit from agents where agent = '$ID_A';"), not its certificate's"
[ "$(db "select count(*) from agents where unit = 'wrong-unit';")" = 0 ] ||
	fail "the unit of the PC's configuration was recorded"

# ---- refusals, each in its own words ----------------------------------------------
pc pc-x
refused pc-x "$TOK" "Used token"
TOK2=$(enroll_token phuong-7)
ctl enroll cancel "$(last_id)" >/dev/null || fail "enroll cancel failed"
refused pc-x "$TOK2" "Cancelled token"
TOK3=$(enroll_token phuong-7)
db "update enroll_tokens set expires_us = 1 where id = $(last_id);"
refused pc-x "$TOK3" "Expired token"
SECRET=${TOK3##*.}
FP=${TOK3#v1.}
FP=${FP%%.*}
refused pc-x "v1.$FP.$(echo "$SECRET" | tr 'A-Za-z' 'N-ZA-Mn-za-m')" "Unknown token"
OTHER_FP=$(openssl x509 -in "$T/other/ca.crt" -outform DER | sha256sum | cut -c1-64)
TOK4=$(enroll_token phuong-7)
refused pc-x "v1.$OTHER_FP.${TOK4##*.}" "Wrong CA"
# The foreign token's secret never reached the collector: TOK4 is still unused.
ctl --json enroll list | grep -q "\"id\":$(last_id),.*\"uses\":0,.*\"state\":\"valid\"" ||
	fail "the token sent to the wrong CA was spent"
refused pc-x "not-a-token" "not an enrolment token"
ctl --json enroll list >"$T/list.json"
grep -q '"state":"used"' "$T/list.json" && grep -q '"state":"cancelled"' "$T/list.json" &&
	grep -q '"state":"expired"' "$T/list.json" || fail "enroll list lacks a state: $(cat "$T/list.json")"
# Audited: the token made, the enrolment, the cancellation, each refusal.
for a in enroll-token enrol enroll-cancel enrol-refused; do
	[ "$(db "select count(*) from audit where action = '$a';")" -ge 1 ] || fail "no audit record $a"
done
[ "$(db "select count(*) from audit where action = 'enrol-refused';")" = 4 ] ||
	fail "$(db "select count(*) from audit where action = 'enrol-refused';") refusals audited, not 4"
ctl audit verify >/dev/null || fail "the audit chain does not verify"

# ---- one token, two PCs; then retire one ------------------------------------------
TOK5=$(enroll_token phuong-7 --uses 2 --expires 1h)
pc pc-b
enrol pc-b "$TOK5" || fail "pc-b's enrolment failed: $(cat "$T/enrol-pc-b.out")"
ID_B=$(sed -n 's/^Enrolled as \([^ ]*\) in.*/\1/p' "$T/enrol-pc-b.out")
[ "$ID_B" != "$ID_A" ] || fail "two PCs got one identity"
start_agent pc-b
PID_B=$AGENT_PID
gen_lines 1 40 >>"$T/auth-pc-b.log"
wait_for 30 "pc-b's 2 events" count_is "$ID_B" 2
ctl agent retire "$ID_B" >/dev/null || fail "agent retire failed"
ctl agent revoke no-such-agent --reason x >/dev/null 2>&1 && fail "an unknown agent was revoked"

# ---- revoke while connected: closed within a second --------------------------------
connected() {
	ctl --json agents | grep "\"agent\":\"$1\"" | grep -q '"connected":true'
}
wait_for 10 "pc-a connected" connected "$ID_A"
T0=$(date +%s%N)
ctl --json agent revoke "$ID_A" --reason "stolen from the office" >"$T/revoke.json" ||
	fail "agent revoke failed"
grep -q '"sessions_closed":1' "$T/revoke.json" || fail "revoke closed no session: $(cat "$T/revoke.json")"
while connected "$ID_A"; do
	[ $(($(date +%s%N) - T0)) -lt 1000000000 ] || fail "pc-a's session still open a second after revoke"
	sleep 0.05
done
MS=$((($(date +%s%N) - T0) / 1000000))
N_A=$(events_of "$ID_A")

# ---- across a restart: both refused, nothing more stored ----------------------------
stop_pid "$COLL_PID"
collector_set port "$PORT"
start_collector
LOG="$T/collector.$COLL_STARTS.log"
gen_lines 201 400 >>"$T/auth-pc-a.log"
gen_lines 41 80 >>"$T/auth-pc-b.log"
wait_for 20 "pc-a refused as revoked" grep -q "Agent $ID_A from .* refused: its certificate is revoked (stolen from the office)" "$LOG"
wait_for 20 "pc-b refused as retired" grep -q "Agent $ID_B from .* refused: it is retired" "$LOG"
[ "$(events_of "$ID_A")" = "$N_A" ] || fail "a revoked agent's events were stored"
[ "$(events_of "$ID_B")" = 2 ] || fail "a retired agent's history changed"
ctl status | grep -q "agents_barred" || fail "status lacks the agents_barred counter"

# ---- one identity, two machines (a cloned disk image) ---------------------------------
printf 'machine-c\n' >"$T/mid-c"
printf 'machine-d\n' >"$T/mid-d"
TOK6=$(enroll_token phuong-7)
pc pc-c
enrol pc-c "$TOK6" || fail "pc-c's enrolment failed: $(cat "$T/enrol-pc-c.out")"
ID_C=$(sed -n 's/^Enrolled as \([^ ]*\) in.*/\1/p' "$T/enrol-pc-c.out")
# pc-d is pc-c's disk, copied: the same key and certificate, another machine id.
pc pc-d
cp "$T/pc-c/agent.key" "$T/pc-c/agent.crt" "$T/pc-c/ca.crt" "$T/pc-d/"
export VIGIL_MACHINE_ID_FILE="$T/mid-c"
start_agent pc-c
PID_C=$AGENT_PID
wait_for 10 "pc-c connected" connected "$ID_C"
export VIGIL_MACHINE_ID_FILE="$T/mid-d"
start_agent pc-d
PID_D=$AGENT_PID
refusals() {
	[ "$(grep -c "the identity $ID_C is connected from another machine" "$LOG")" -ge "$1" ]
}
wait_for 20 "the newcomer refused three times" refusals 3
connected "$ID_C" || fail "the established machine lost its session to the clone"
ctl --json status | grep -q '"sessions_replaced":0' || fail "sessions replaced each other"
[ "$(db "select count(*) from incidents where rule = 'vigil.identity_clone';")" = 1 ] ||
	fail "$(db "select count(*) from incidents where rule = 'vigil.identity_clone';") clone incidents, not one"
TITLE=$(db "select title from incidents where rule = 'vigil.identity_clone';")
case $TITLE in
*"$ID_C"*"kept: host"*"machine $(printf 'machine-c' | sha256sum | cut -c1-12)"*"refused: host"*"machine $(printf 'machine-d' | sha256sum | cut -c1-12)"*) ;;
*) fail "the clone incident lacks both machines' facts: $TITLE" ;;
esac
# One command: a one-use token; the newcomer enrols as a new machine and delivers.
ctl --json agent reenroll-newcomer "$ID_C" >"$T/re.json" || fail "reenroll-newcomer failed"
stop_pid "$PID_D"
rm -f "$T/pc-d/agent.key"
enrol pc-d "$(json_get "$T/re.json" token)" || fail "the newcomer's enrolment failed: $(cat "$T/enrol-pc-d.out")"
ID_D=$(sed -n 's/^Enrolled as \([^ ]*\) in unit phuong-7\..*/\1/p' "$T/enrol-pc-d.out")
[ -n "$ID_D" ] && [ "$ID_D" != "$ID_C" ] || fail "the newcomer got no identity of its own"
start_agent pc-d
PID_D=$AGENT_PID
unset VIGIL_MACHINE_ID_FILE
gen_lines 1 100 >>"$T/auth-pc-d.log"
wait_for 30 "the newcomer's 5 events under $ID_D" count_is "$ID_D" 5
connected "$ID_C" || fail "the established machine was disturbed"
stop_pid "$PID_C"
stop_pid "$PID_D"
stop_pid "$PID_A"
stop_pid "$PID_B"
pass "enrolled as $ID_A in phuong-7; 6 refusals in their words; revoke closed the session in ${MS} ms; a clone refused with one incident, its newcomer re-enrolled as $ID_D"
