# An office from nothing to 30 enrolled PCs (issue 15, "Done when"): the
# unit declares 30 work PCs; one token for 30 uses enrols 30 PCs, each making
# its own key and getting its own identity and the CA from the collector (no
# file copied by hand); a 31st PC is refused; every PC delivers under its
# own identity in the token's unit; `vigilctl compliance` counts the 30
# against the 30 declared, none "not enrolled"; a lost PC is cut off with one
# command while the other 29 keep delivering.
. "$(dirname "$0")/lib.sh"
need openssl

N=30
start_enrolling_collector
ctl() {
	"$BUILD/vigilctl" "$@"
}

ctl inventory set --unit phuong-7 --count $N >/dev/null || fail "inventory set failed"
TOK=$(enroll_token phuong-7 --uses $N --expires 72h)

# pc NAME: the PC's configuration names only files the enrolment writes.
pc() {
	write_agent_conf "$1" "$PORT" "$T/auth-$1.log"
	sed -i -e "s|^ca = .*|ca = $T/$1/ca.crt|" -e "s|^cert = .*|cert = $T/$1/agent.crt|" \
	    -e "s|^key = .*|key = $T/$1/agent.key|" "$T/$1/agent.conf"
	printf '\n[usb]\nenabled = no\n' >>"$T/$1/agent.conf"
	: >"$T/auth-$1.log"
}
enrol() {
	"$BUILD/vigil-agent" -f "$T/$1/agent.conf" --enroll "127.0.0.1:$EPORT" --token "$TOK" \
	    >"$T/enrol-$1.out" 2>&1
}

# ---- 30 PCs, one token -------------------------------------------------------------
PCS=""
i=1
while [ $i -le $N ]; do
	id=pc-$(printf %02d $i)
	PCS="$PCS $id"
	pc "$id"
	enrol "$id" || { cat "$T/enrol-$id.out" >&2; fail "$id's enrolment failed"; }
	[ "$(stat -c %a "$T/$id/agent.key")" = 600 ] || fail "$id's key is not 0600"
	cmp -s "$T/$id/ca.crt" "$T/pki/ca.crt" || fail "$id was not given the collector's CA"
	sed -n 's/^Enrolled as \([^ ]*\) in unit phuong-7\..*/\1/p' "$T/enrol-$id.out" >>"$T/ids"
	i=$((i + 1))
done
[ "$(sort -u "$T/ids" | wc -l)" = $N ] || fail "$N PCs got $(sort -u "$T/ids" | wc -l) identities"
[ ! -e "$T/pki/agents" ] || [ -z "$(ls "$T/pki/agents")" ] || fail "a key was made on the server"
pc pc-31
enrol pc-31 && fail "a 31st PC enrolled with a token for $N"
grep -q "Used token" "$T/enrol-pc-31.out" || fail "the 31st refusal says: $(cat "$T/enrol-pc-31.out")"

# ---- every PC delivers under its own identity and the token's unit -----------------
for id in $PCS; do
	start_agent "$id"
	eval "PID_$(echo "$id" | tr - _)=$AGENT_PID"
done
connected() {
	[ "$(ctl --json agents | grep -c '"connected":true')" = "$1" ]
}
wait_for 60 "$N agents connected" connected $N
i=0
for id in $PCS; do
	gen_lines $((i * 20 + 1)) $((i * 20 + 20)) >>"$T/auth-$id.log"
	i=$((i + 1))
done
stored() {
	[ "$(db "select count(distinct e.agent) from events e join agents a on a.agent = e.agent
	    where a.unit = 'phuong-7' and e.rule like 'ssh.%';")" = $N ]
}
wait_for 60 "one event from each of the $N PCs" stored
[ "$(db "select count(*) from agents where unit <> 'phuong-7';")" = 0 ] ||
	fail "agents outside the token's unit: $(db "select agent, unit from agents where unit <> 'phuong-7';")"

# ---- the KPI counts the PCs the office has ----------------------------------------
ctl --json compliance >"$T/c.json" || fail "compliance failed"
UNIT=$(grep '"unit":"phuong-7","machines"' "$T/c.json") || fail "no unit line: $(cat "$T/c.json")"
case $UNIT in
*"\"machines\":$N,\"declared\":$N,"*) ;;
*) fail "the unit line is not $N of $N declared: $UNIT" ;;
esac
grep -q 'not enrolled' "$T/c.json" && fail "a PC is said not enrolled: $(grep 'not enrolled' "$T/c.json")"

# ---- a lost PC is cut off with one command; the others go on -----------------------
LOST=$(sed -n 7p "$T/ids")
ctl agent revoke "$LOST" --reason "lost" >/dev/null || fail "agent revoke failed"
gone() {
	! ctl --json agents | grep "\"agent\":\"$LOST\"" | grep -q '"connected":true'
}
wait_for 5 "$LOST's session closed" gone
connected $((N - 1)) || fail "revoking one PC touched the others' sessions"

pass "$N PCs enrolled from one token (a 31st refused), each its own key and identity, $N of $N declared; one revoked, $((N - 1)) still connected"
