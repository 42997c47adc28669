# Roles on the control socket: a member of the operators group may change an
# incident, a member of the viewers group may read but not ack, anyone else is
# refused with a sentence that says why; every change is in the audit trail
# under the caller's user name, and `vigilctl audit verify` names a row edited
# or deleted behind the collector's back with sqlite3.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "  SKIP    $TEST_NAME: needs root (groupadd, useradd)" | tee -a "${VIGIL_SKIPS:-/dev/null}"; exit 0; }
need sqlite3

# Names of our own, so that a real installation's groups are never touched;
# the group names are configuration (operators_group, viewers_group).
S=$$
OPG="vigil-operators-$S" VWG="vigil-viewers-$S" SOCKG="vigil-ctl-$S"
OPU="vt15op$S" VWU="vt15vw$S" OUTU="vt15out$S"
made_users="" made_groups=""

remove_accounts() {
	for u in $made_users; do userdel "$u" 2>/dev/null || true; done
	for g in $made_groups; do groupdel "$g" 2>/dev/null || true; done
}
trap 'rc=$?; remove_accounts; (exit $rc); cleanup' EXIT

for g in "$OPG" "$VWG" "$SOCKG"; do
	groupadd "$g" || fail "groupadd $g failed"
	made_groups="$made_groups $g"
done
# -M: no home, -N: no group of their own; every one may reach the socket (SOCKG),
# only the roles differ.
useradd -M -N -s /usr/sbin/nologin -G "$OPG,$SOCKG" "$OPU" || fail "useradd $OPU failed"
made_users="$made_users $OPU"
useradd -M -N -s /usr/sbin/nologin -G "$VWG,$SOCKG" "$VWU" || fail "useradd $VWU failed"
made_users="$made_users $VWU"
useradd -M -N -s /usr/sbin/nologin -G "$SOCKG" "$OUTU" || fail "useradd $OUTU failed"
made_users="$made_users $OUTU"

# as USER vigilctl ARGS...: run vigilctl as that user with its groups.
as() {
	_u=$1
	shift
	setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups "$BUILD/vigilctl" "$@"
}

pki_setup
chmod 0755 "$T"
write_collector_conf 0 "control_group = $SOCKG
operators_group = $OPG
viewers_group = $VWG"
start_collector

# An incident to act on, as the group commit would have written it.
db "INSERT INTO agents (agent, first_seen, last_seen) VALUES ('pc-01', 1, 1);
    INSERT INTO incidents (agent, rule, category, severity, title, first_seen, last_seen,
        event_count, dedup_key, opened_us)
    VALUES ('pc-01', 'ssh.bruteforce', 10, 4, 'SSH brute force', 1, 1, 1,
        'rule:pc-01:ssh.bruteforce', 1);"
ID=$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce';")

# The viewer reads the queue and the incident, and cannot ack.
as "$VWU" incidents --all | grep -q "SSH brute force" || fail "the viewer cannot list incidents"
as "$VWU" incident show "$ID" >/dev/null || fail "the viewer cannot read incident $ID"
set +e
out=$(as "$VWU" incident ack "$ID" 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "the viewer's ack exited $rc, expected 1: $out"
echo "$out" | grep -q "permission denied: user $VWU is a viewer" || fail "the viewer's refusal: $out"
echo "$out" | grep -q "$OPG" || fail "the refusal does not name the operators group: $out"
[ "$(db "SELECT status FROM incidents WHERE id = $ID;")" = new ] || fail "the viewer's ack changed the incident"

# The outsider reaches the socket (its group) but has no role: refused, with the reason.
set +e
out=$(as "$OUTU" incidents 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "the outsider's request exited $rc, expected 1: $out"
echo "$out" | grep -q "permission denied: user $OUTU is not root and not a member of group $OPG" ||
	fail "the outsider's refusal does not say why: $out"

# The operator acks and takes it; the audit trail names the operator.
as "$OPU" incident ack "$ID" >/dev/null || fail "the operator cannot ack"
[ "$(db "SELECT status FROM incidents WHERE id = $ID;")" = acknowledged ] || fail "the ack did not stick"
as "$OPU" incident assign "$ID" "$OPU" >/dev/null || fail "the operator cannot assign"
as "$OPU" incidents --mine | grep -q "SSH brute force" || fail "--mine does not show the operator's incident"
[ "$(db "SELECT actor || ' ' || action FROM audit WHERE incident = $ID AND action = 'ack';")" = "$OPU ack" ] ||
	fail "the audit trail does not name the operator"
# Root may do everything.
"$BUILD/vigilctl" incident note "$ID" "checked by root" >/dev/null || fail "root cannot add a note"
"$BUILD/vigilctl" incident show "$ID" | grep -q "checked by root" || fail "the note is not in the timeline"

# The chain is intact; a row edited with sqlite3 is named; so is a deleted one.
as "$VWU" audit verify | grep -q "intact: 3 records" || fail "audit verify: $(as "$VWU" audit verify 2>&1)"
db "UPDATE audit SET actor = 'someone-else' WHERE action = 'ack';"
EDITED=$(db "SELECT id FROM audit WHERE action = 'ack';")
set +e
out=$(as "$VWU" audit verify 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "audit verify exited $rc after an edit: $out"
echo "$out" | grep -q "record $EDITED was edited" || fail "audit verify does not name record $EDITED: $out"
db "UPDATE audit SET actor = '$OPU' WHERE id = $EDITED;"
"$BUILD/vigilctl" audit verify >/dev/null || fail "the chain is not intact once the edit is undone"
db "DELETE FROM audit WHERE id = $EDITED;"
set +e
out=$("$BUILD/vigilctl" audit verify 2>&1)
rc=$?
set -e
[ "$rc" = 1 ] || fail "audit verify exited $rc after a deletion: $out"
echo "$out" | grep -q "$EDITED" || fail "audit verify does not name the deleted record $EDITED: $out"
pass "viewer reads, operator acts, outsider refused; audit verify names edited and deleted rows"
