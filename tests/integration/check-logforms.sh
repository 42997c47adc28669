#!/bin/sh
# Real log forms against the shipped rules (deploy/rules.d), through
# `vigil-agent --test-rules`: a day of a modern sshd's auth.log, generated
# here (OpenSSH 9.x on Debian 12: sshd's lines and pam_unix's for each
# attempt, bots one password per connection, a client using MaxAuthTries,
# legitimate logins and cron around them), and the forms it takes elsewhere:
#
#   lf        the log as written
#   crlf      the same with CRLF line ends (a copy from a Windows machine,
#             syslog relayed from a network device): before one trailing CR
#             was dropped at ingest, rules anchored with $ matched nothing
#   pam       PAM's lines only (authpriv in a file of its own, or sshd at
#             LogLevel ERROR): no brute-force alarm came from those before
#   pamold    the same in PAM 0.7x's syslog form, "sshd(pam_unix)[PID]: ..."
#   iso       the log with `journalctl -o short-iso` stamps
#             ("2026-12-04T08:00:00+0700"), which gave no event before
#
# In every form each brute-force source (five or more failed connections
# within 60 s) raises ssh.bruteforce, and only those; CRLF and ISO forms give
# exactly the events of the original; every "Failed password" line is an
# event; the slow source that tries one name per two minutes raises
# ssh.password_spray. Prints a summary; exits 1 on any failure.
CHECK=check-logforms
. "$(dirname "$0")/check-lib.sh"

# The brute-force sources, and the others that must not raise it.
BRUTE="203.0.113.10 203.0.113.11 198.51.100.20 2001:db8::bad"
QUIET="198.51.100.21 198.51.100.22 192.168.10.21 192.168.10.22"
SPRAY="198.51.100.22"

awk -v out="$T/lf.log" '
function ts(t,   h, m, s) {
	h = int(t / 3600); m = int((t % 3600) / 60); s = t % 60
	return sprintf("Dec  4 %02d:%02d:%02d ws-ketoan-01", 8 + h, m, s)
}
function emit(t, line) { print t "\t" line >> out ".unsorted" }
function pam_fail(t, pid, ip, user) {
	emit(t, ts(t) " sshd[" pid "]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=" ip (user == "" ? "" : "  user=" user))
}
# One connection of a bot: one password, then it leaves.
function bot(t, ip, user, valid,   pid, port) {
	pid = 20000 + (npid++); port = 30000 + int(rand() * 30000)
	if (!valid) {
		emit(t, ts(t) " sshd[" pid "]: Invalid user " user " from " ip " port " port)
		emit(t, ts(t) " sshd[" pid "]: pam_unix(sshd:auth): check pass; user unknown")
		pam_fail(t, pid, ip, "")
	} else
		pam_fail(t, pid, ip, user)
	emit(t + 2, ts(t + 2) " sshd[" pid "]: Failed password for " (valid ? "" : "invalid user ") user " from " ip " port " port " ssh2")
	if (valid)
		emit(t + 2, ts(t + 2) " sshd[" pid "]: Connection closed by authenticating user " user " " ip " port " port " [preauth]")
	else {
		emit(t + 2, ts(t + 2) " sshd[" pid "]: Received disconnect from " ip " port " port ":11: Bye Bye [preauth]")
		emit(t + 2, ts(t + 2) " sshd[" pid "]: Disconnected from invalid user " user " " ip " port " port " [preauth]")
	}
}
# One connection that uses all of MaxAuthTries (6) for root.
function maxtries(t, ip,   pid, port) {
	pid = 20000 + (npid++); port = 30000 + int(rand() * 30000)
	pam_fail(t, pid, ip, "root")
	emit(t + 2, ts(t + 2) " sshd[" pid "]: Failed password for root from " ip " port " port " ssh2")
	emit(t + 9, ts(t + 9) " sshd[" pid "]: message repeated 5 times: [ Failed password for root from " ip " port " port " ssh2]")
	emit(t + 9, ts(t + 9) " sshd[" pid "]: error: maximum authentication attempts exceeded for root from " ip " port " port " ssh2 [preauth]")
	emit(t + 9, ts(t + 9) " sshd[" pid "]: Disconnecting authenticating user root " ip " port " port ": Too many authentication failures [preauth]")
	emit(t + 9, ts(t + 9) " sshd[" pid "]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=" ip "  user=root")
}
function login(t, ip, user,   pid, port) {
	pid = 20000 + (npid++); port = 30000 + int(rand() * 30000)
	emit(t, ts(t) " sshd[" pid "]: Accepted publickey for " user " from " ip " port " port " ssh2: ED25519 SHA256:3q2+7w8fJ0bXlq1dQd5s2pD1t0cV2yY8cR9hZ3kPn4E")
	emit(t, ts(t) " sshd[" pid "]: pam_unix(sshd:session): session opened for user " user "(uid=1000) by (uid=0)")
	emit(t, ts(t) " systemd-logind[612]: New session " pid " of user " user ".")
	emit(t + 600, ts(t + 600) " sshd[" pid "]: Received disconnect from " ip " port " port ":11: disconnected by user")
	emit(t + 600, ts(t + 600) " sshd[" pid "]: pam_unix(sshd:session): session closed for user " user)
}
BEGIN {
	srand(16)
	split("admin oracle test ubuntu postgres git user guest ftp pi deploy backup", bad, " ")
	# Cron and the legitimate users, all day.
	for (t = 0; t < 7200; t += 60) {
		emit(t, ts(t) " CRON[" (9000 + t) "]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")
		emit(t + 1, ts(t + 1) " CRON[" (9000 + t) "]: pam_unix(cron:session): session closed for user root")
	}
	login(300, "192.168.10.21", "ketoan")
	login(2400, "192.168.10.22", "vanthu")
	# A colleague mistypes once, then gets in: not an attack.
	pam_fail(1000, 19999, "192.168.10.22", "vanthu")
	emit(1002, ts(1002) " sshd[19999]: Failed password for vanthu from 192.168.10.22 port 50100 ssh2")
	login(1010, "192.168.10.22", "vanthu")
	# Bots: root every 4 s, unknown names every 6 s, an IPv6 bot every 5 s.
	for (i = 0; i < 30; i++) bot(600 + 4 * i, "203.0.113.10", "root", 1)
	for (i = 0; i < 20; i++) bot(1800 + 6 * i, "203.0.113.11", bad[1 + i % 12], 0)
	for (i = 0; i < 12; i++) bot(3000 + 5 * i, "2001:db8::bad", i % 2 ? "root" : bad[1 + i % 12], i % 2)
	# A client that uses all six tries per connection, six connections.
	for (i = 0; i < 6; i++) maxtries(3600 + 10 * i, "198.51.100.20")
	# Slow: one try every 30 s, never five in a minute.
	for (i = 0; i < 10; i++) bot(4200 + 30 * i, "198.51.100.21", "ubuntu", 0)
	# Spraying: a different name every 2 minutes.
	for (i = 0; i < 12; i++) bot(4800 + 120 * i, "198.51.100.22", bad[1 + i], 0)
}
' || { fail "the generator failed"; exit 1; }
sort -t "$(printf '\t')" -k1,1n -s "$T/lf.log.unsorted" | cut -f2- >"$T/lf.log"

# The other forms.
sed 's/$/\r/' "$T/lf.log" >"$T/crlf.log"
grep -E 'pam_unix\(sshd:auth\): authentication failure|PAM [0-9]+ more|check pass' "$T/lf.log" >"$T/pam.log"
sed -e 's/ sshd\[\([0-9]*\)\]: pam_unix(sshd:auth): / sshd(pam_unix)[\1]: /' \
    -e 's/ sshd\[\([0-9]*\)\]: PAM / sshd(pam_unix)[\1]: /' \
    -e 's/tty=ssh /tty=NODEVssh /' "$T/pam.log" >"$T/pamold.log"
sed 's/^Dec  4 \([0-9:]*\) /2026-12-04T\1+0700 /' "$T/lf.log" >"$T/iso.log"
[ "$(grep -c '^Dec' "$T/iso.log")" = 0 ] || fail "the ISO copy still holds classic stamps"

for f in lf crlf pam pamold iso; do
	if ! "$AGENT" --test-rules -r "$TOP/deploy/rules.d" <"$T/$f.log" >"$T/$f.out" 2>"$T/$f.err"; then
		fail "vigil-agent --test-rules failed on the $f log:"
		sed 's/^/    /' "$T/$f.err" >&2
	fi
	# The brute-force alarms, by source.
	awk -F '\t' '$2 == "ssh.bruteforce" { split($6, kv, " "); for (i in kv) if (kv[i] ~ /^src_ip=/) print substr(kv[i], 8) }' \
	    "$T/$f.out" | sort -u >"$T/$f.brute"
	for ip in $BRUTE; do
		grep -qx "$ip" "$T/$f.brute" || fail "$f log: no ssh.bruteforce alarm for $ip"
	done
	for ip in $QUIET; do
		grep -qx "$ip" "$T/$f.brute" && fail "$f log: ssh.bruteforce for $ip, which made no brute force"
	done
done

# CRLF and ISO stamps change nothing: the same events, line for line.
cmp -s "$T/lf.out" "$T/crlf.out" || fail "the CRLF copy gives other events than the log:
$(diff "$T/lf.out" "$T/crlf.out" | head -5)"
cmp -s "$T/lf.out" "$T/iso.out" || fail "the ISO-stamped copy gives other events than the log:
$(diff "$T/lf.out" "$T/iso.out" | head -5)"
# Every failed password of the CRLF copy is an event (1 of 519 was, before).
nfail=$(grep -c 'Failed password' "$T/crlf.log")
nev=$(awk -F '\t' '$2 == "ssh.failed_password"' "$T/crlf.out" | wc -l)
[ "$nfail" -eq "$nev" ] || fail "crlf log: $nev of $nfail failed passwords gave an event"
# One alarm per attack wave: the 30 connections of 203.0.113.10 in 2 minutes
# are 6 alarms whether the log holds sshd's lines, PAM's, or both.
for f in lf pam; do
	n=$(awk -F '\t' '$2 == "ssh.bruteforce" && $6 ~ /src_ip=203\.0\.113\.10 /' "$T/$f.out" | wc -l)
	[ "$n" -eq 6 ] || fail "$f log: $n ssh.bruteforce alarms for 203.0.113.10's 30 failures, 6 expected"
done
# The spraying source (PAM's lines name no unknown user: the full log only).
awk -F '\t' '$2 == "ssh.password_spray"' "$T/lf.out" | grep -q "src_ip=$SPRAY " ||
	fail "lf log: no ssh.password_spray for $SPRAY"

finish "  FORMS   a $(wc -l <"$T/lf.log")-line sshd log as LF, CRLF, PAM-only (new and old form), ISO stamps: $(echo $BRUTE | wc -w) brute-force sources found in each" \
    "  FORMS   FAILED"
