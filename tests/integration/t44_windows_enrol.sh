# Enrolment of a Windows PC (issues 13 and 15) under Wine, against the real
# collector's enrolment port on 127.0.0.1: vigil-agent.exe --enroll makes the
# key on the PC, created with its access list (SYSTEM and Administrators,
# protected: read back through GetNamedSecurityInfoW by tests/windows/acl.c),
# sends the SHA-256 of the prefix's MachineGuid as the machine id, and
# writes the certificate and the CA; the agent then connects with them and
# delivers an event under the identity the collector assigned. It renews its
# certificate (a 30 s lifetime) through the Windows writer: the new key keeps
# the same access list. A used token is refused in the same words as on
# Linux, and a PC with a key already is not enrolled again. Then the MSI with
# TOKEN, ENROLLPORT and AUDITPOLICY (msiexec /i /qn /l*v): the action Enroll
# enrols as SYSTEM, the configuration has audit_policy = set, the service
# connects, and the token is nowhere in the installer's log.
# Not shown under Wine: the access list itself (Wine 8 keeps no descriptor:
# it maps the one given at creation to the Unix mode, see only_admins), and
# Windows Installer's hiding of MsiHiddenProperties (Wine's msi lists every
# property in its log: the tables are checked in t26).
. "$(dirname "$0")/lib.sh"

need /usr/lib/wine/wine64 wineserver sqlite3 openssl x86_64-w64-mingw32-gcc
win_arches
EXE=$BUILD/windows/x86_64/vigil-agent.exe
MSI=$BUILD/windows/vigil-agent-x86_64.msi
[ -f "$EXE" ] && [ -f "$MSI" ] || fail "$EXE or $MSI is missing: make windows builds them"
W=/usr/lib/wine/wine64

wine_prefix

x86_64-w64-mingw32-gcc -std=c11 -O2 -Wall -Wextra -Werror -o "$T/acl.exe" \
	"$TOP/tests/windows/acl.c" -ladvapi32 -lshell32 || fail "tests/windows/acl.c does not build"
# Wine ends a prefix's services once no user process is left in it (t26).
"$W" cmd /c "ping -n 3600 127.0.0.1 >nul" >/dev/null 2>&1 &
PIDS="$PIDS $!"

start_enrolling_collector "agent_cert_lifetime = 30s"
# win_conf NAME: a configuration whose key, certificate and CA are to come, unit wrong.
win_conf() {
	mkdir -p "$T/$1"
	cat >"$T/$1/agent.conf" <<EOA
[agent]
state_dir = Z:$T/$1/state
unit = wrong-unit
rules_dir = Z:$TOP/deploy/rules.d
local_rules_dir = Z:$T/$1/local.d

[collector]
address = 127.0.0.1
port = $PORT
ca = Z:$T/$1/ca.crt
cert = Z:$T/$1/agent.crt
key = Z:$T/$1/agent.key
reconnect_min = 100ms
reconnect_max = 1s

[source auth]
path = Z:$T/$1/auth.log
EOA
	: >"$T/$1/auth.log"
}
# enrol NAME TOKEN: vigil-agent.exe --enroll; output in $T/enrol-NAME.out, status returned.
enrol() {
	timeout 120 "$W" "$EXE" -f "Z:$T/$1/agent.conf" --enroll "127.0.0.1:$EPORT" --token "$2" \
		>"$T/enrol-$1.out" 2>&1
}
# key_acl FILE: its access list as Windows reads it back.
key_acl() {
	timeout 60 "$W" "$T/acl.exe" "Z:$1" | tr -d '\r' | sed 's/^[^ ]* //'
}
# only_admins FILE: nobody but SYSTEM and the owner (Wine's administrator) may
# open it. Wine 8 keeps no descriptor: it turns the one given at creation into
# the Unix mode and reads that back, SYSTEM and the user who made the file; a
# file made without it reads back Everyone (WD) too, and a list set after the
# creation (SetNamedSecurityInfoW) changes neither. Windows reads back
# D:P(A;;FA;;;SY)(A;;FA;;;BA).
only_admins() {
	_acl=$(key_acl "$1")
	case $_acl in
	'D:P(A;;FA;;;SY)(A;;FA;;;BA)') return 0 ;;
	*';WD)'* | *';BU)'* | *';AU)'* | *';IU)'*) return 1 ;;
	*'(A;;FA;;;SY)'*) [ "$(($(stat -c %a "$1") % 10))" = 0 ] ;;
	*) return 1 ;;
	esac
}

# ---- enrolment: the key made on the PC, its access list given at creation ------------
TOK=$(enroll_token phuong-7)
win_conf pc
enrol pc "$TOK" || { cat "$T/enrol-pc.out" >&2; fail "vigil-agent.exe --enroll failed"; }
ID=$(tr -d '\r' <"$T/enrol-pc.out" | sed -n 's/^Enrolled as \([^ ]*\) in unit phuong-7\..*/\1/p')
[ -n "$ID" ] || fail "no identity in: $(cat "$T/enrol-pc.out")"
for f in agent.key agent.crt ca.crt; do
	[ -s "$T/pc/$f" ] || fail "the enrolment did not write $f"
done
[ "$(openssl x509 -in "$T/pc/agent.crt" -noout -pubkey)" = \
  "$(openssl pkey -in "$T/pc/agent.key" -pubout)" ] || fail "the certificate is not for the key made on the PC"
cmp -s "$T/pc/ca.crt" "$T/pki/ca.crt" || fail "the CA written is not the collector's"
only_admins "$T/pc/agent.key" ||
	fail "the key's access list is $(key_acl "$T/pc/agent.key"), not SYSTEM and Administrators only"
# What a file made without the list reads back: the check above tells them apart.
"$W" cmd /c "echo x > Z:$T/pc/plain.txt" >/dev/null 2>&1
! only_admins "$T/pc/plain.txt" || fail "a file made without an access list passes the key's check"
# The machine id is the SHA-256 of the prefix's MachineGuid.
GUID=$(timeout 60 "$W" reg query 'HKLM\SOFTWARE\Microsoft\Cryptography' /v MachineGuid |
	tr -d '\r' | awk '$1 == "MachineGuid" { print $3 }')
[ -n "$GUID" ] || fail "the prefix has no MachineGuid"
MID=$(printf '%s' "$GUID" | sha256sum | cut -d' ' -f1)
[ "$(db "SELECT machine_id FROM identities WHERE agent = '$ID'")" = "$MID" ] ||
	fail "the machine id enrolled is $(db "SELECT machine_id FROM identities WHERE agent = '$ID'"), not SHA-256($GUID)"

# ---- the used token and an enrolled PC are refused, in plain words -------------------
win_conf pc2
if enrol pc2 "$TOK"; then
	fail "a used token enrolled a second PC"
fi
grep -q "Used token: it has been used as many times as it allows" "$T/enrol-pc2.out" ||
	fail "the used token's refusal says: $(cat "$T/enrol-pc2.out")"
[ ! -e "$T/pc2/agent.key" ] || fail "a refused enrolment left a key"
if enrol pc "$(enroll_token phuong-7)"; then
	fail "an enrolled PC was enrolled again over its key"
fi
grep -q "this PC has a key already" "$T/enrol-pc.out" || fail "the second enrolment says: $(cat "$T/enrol-pc.out")"
only_admins "$T/pc/agent.key" || fail "the refused enrolment changed the key's access list"

# ---- the agent connects with its new identity, delivers, renews ---------------------
: >"$T/agent-pc.log"
"$W" "$EXE" -d -v -f "Z:$T/pc/agent.conf" >>"$T/agent-pc.log" 2>&1 &
WIN_PID=$!
PIDS="$PIDS $WIN_PID"
wait_for 120 "$ID connected as a Windows machine" sh -c "sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
	\"SELECT os FROM agents WHERE agent = '$ID'\" | grep -q '^Windows '"
echo "Dec  5 10:00:00 pc sshd[42]: Failed password for root from 203.0.113.9 port 4242 ssh2" \
	>>"$T/pc/auth.log"
wait_for 60 "the event of $ID" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
	\"SELECT count(*) FROM events WHERE agent = '$ID'\")\" -ge 1 ]"
[ "$(db "SELECT unit FROM agents WHERE agent = '$ID'")" = phuong-7 ] ||
	fail "$ID's unit is $(db "SELECT unit FROM agents WHERE agent = '$ID'"), not the certificate's"
cp "$T/pc/agent.crt" "$T/first.crt"
wait_for 90 "$ID to renew its certificate" grep -q "The certificate was renewed" "$T/agent-pc.log"
cmp -s "$T/pc/agent.crt" "$T/first.crt" && fail "the renewed certificate was not written"
[ "$(openssl x509 -in "$T/pc/agent.crt" -noout -pubkey)" = \
  "$(openssl pkey -in "$T/pc/agent.key" -pubout)" ] || fail "the renewed certificate is not for the renewed key"
only_admins "$T/pc/agent.key" || fail "the renewed key's access list is $(key_acl "$T/pc/agent.key")"
[ ! -e "$T/pc/agent.key.new" ] || fail "the renewal left agent.key.new"
stop_pid "$WIN_PID" INT

# ---- --configure refuses an AUDITPOLICY it does not know, before writing anything -----
if out=$(timeout 120 "$W" "$EXE" --configure COLLECTOR=127.0.0.1 UNIT=phuong-7 TOKEN=x \
	AUDITPOLICY=yes 2>&1); then
	fail "--configure took AUDITPOLICY=yes"
fi
case $out in *'AUDITPOLICY "yes" is not off, report or set.'*) ;; *) fail "--configure said: $out" ;; esac
[ ! -e "$WINEPREFIX/drive_c/ProgramData/Vigil/vigil-agent.conf" ] || fail "a refused --configure wrote a file"

# ---- the MSI with a token: enrolled as SYSTEM, audit policy set, token not logged ----
TOK=$(enroll_token phuong-7)
out=$(timeout 300 "$W" msiexec /i "Z:$MSI" /qn /l*v "Z:$T/msi.log" COLLECTOR=127.0.0.1 \
	PORT="$PORT" UNIT=phuong-7 TOKEN="$TOK" ENROLLPORT="$EPORT" AUDITPOLICY=set 2>&1) ||
	fail "msiexec /i with TOKEN failed: $out"
PD="$WINEPREFIX/drive_c/ProgramData/Vigil"
grep -q '^audit_policy = set' "$PD/vigil-agent.conf" || fail "AUDITPOLICY=set is not in: $(cat "$PD/vigil-agent.conf")"
[ -s "$PD/agent.key" ] && [ -s "$PD/agent.crt" ] && [ -s "$PD/ca.crt" ] ||
	fail "the MSI's enrolment did not write the key, the certificate and the CA"
only_admins "$PD/agent.key" || fail "the MSI's key's access list is $(key_acl "$PD/agent.key")"
MSI_ID=$(openssl x509 -in "$PD/agent.crt" -noout -subject -nameopt RFC2253 | sed -n 's/.*CN=\([^,]*\).*/\1/p')
[ -n "$MSI_ID" ] && [ "$MSI_ID" != "$ID" ] || fail "the MSI's identity is '$MSI_ID'"
wait_for 120 "the MSI's service connected as $MSI_ID" sh -c "sqlite3 -cmd '.timeout 5000' '$T/vigil.db' \
	\"SELECT os FROM agents WHERE agent = '$MSI_ID' AND off_us = 0\" | grep -q '^Windows '"
[ -s "$T/msi.log" ] || fail "msiexec wrote no log"
SECRET=${TOK##*.}
# Windows Installer hides MsiHiddenProperties' values everywhere in its log;
# Wine's msi ignores that table and lists every property at the end
# ("Property(S): TOKEN = ..."): that line alone is allowed here, and said.
# Nothing else may carry the token: not the action's command line, not
# what the exe printed. The log may be UTF-16 (Windows) or 8-bit (Wine).
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); s = sys.argv[2]
if d[:2] == b"\xff\xfe": d = d.decode("utf-16")
else: d = d.decode("latin-1")
bad = [l for l in d.splitlines() if s in l and not l.startswith("Property(S): TOKEN = ")]
sys.exit(1 if bad else 0)' "$T/msi.log" "$SECRET" || fail "the token is in the installer's log"
grep -a -q "^Property(S): TOKEN = " "$T/msi.log" &&
	echo "          NOTE Wine's msi lists TOKEN in its property dump (it ignores MsiHiddenProperties; Windows hides it)"
out=$(timeout 300 "$W" msiexec /x "Z:$MSI" /qn 2>&1) || fail "msiexec /x failed: $out"
wait_for 60 "$MSI_ID recorded off after the uninstall" sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' \
	'$T/vigil.db' \"SELECT off_reason FROM agents WHERE agent = '$MSI_ID' AND off_us > 0\")\" = stopped ]"
pass "enrolled under Wine (x86_64): key SY+BA at creation, MachineGuid, renewal, MSI TOKEN"
