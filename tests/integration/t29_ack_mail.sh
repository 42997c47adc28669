# Acknowledgement by replying to the mail (issue 11), with a real IMAP server
# (a private dovecot on 127.0.0.1) and a real SMTP server (the sink):
#   - an SSH brute force → the IT officer's mail carries the code and the
#     token ("[V-4821 #k7f3q2p9]" at the end of the subject);
#   - the same reply from a stranger → refused, not answered, nothing changes;
#   - a reply from the IT officer with a wrong code → refused, answered;
#   - the head of unit replying with the IT officer's token → refused, answered;
#   - a reply whose own text says nothing, the notification quoted below it
#     ("> XN ...") → refused: the quoted "XN" is not the official's;
#   - "Xác nhận" above the quote → acknowledged, with who, how and when in the
#     audit trail, and a confirmation mail in the contact's language;
#   - the same reply again (the code used) → refused, answered;
#   - a restart of the collector → no reply is handled twice, every message
#     is marked VigilDone in the mailbox;
#   - the link in a data-leak mail (acknowledge on the office network): GET
#     shows the incident, escaped, with the security headers, and changes
#     nothing; an altered token, a POST without the form's token and a
#     cross-site POST are refused; the POST acknowledges (audited "by link");
#     the link used twice, and another incident's link past its ttl, refused;
#   - a real browser (headless Chromium) opens a third link, sees the
#     incident and no script, clicks the button: acknowledged;
#   - `vigilctl status` counts the replies by outcome and the links refused
#     by reason (stranger, wrong code, used, expired).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's, where python3-aiosmtpd lives
R="$TOP/tests/integration/receivers"
need python3:aiosmtpd dovecot /usr/lib/dovecot/imap /usr/bin/chromium chromedriver python3:selenium

pki_setup pc-01 pc-02
LINK_PORT=$(free_port)
mkdir -p "$T/mail"
"$PY" "$R/smtp_sink.py" --dir "$T/mail" --port-file "$T/smtp.port" >"$T/smtp.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 "the SMTP sink to listen" test -s "$T/smtp.port"
SMTP_PORT=$(cat "$T/smtp.port")

# ---- a private dovecot: its own directories, a user whose uid is not 0 ------------------
IMAP_PORT=$(free_port)
D="$T/dovecot"
mkdir -p "$D/base" "$D/state" "$D/mail/vigil"
chmod 711 "$T" "$D"
chown -R 65534:65534 "$D/mail"
echo "vigil:{PLAIN}imap-secret:65534:65534::$D/mail/vigil" >"$D/passwd"
cat >"$D/dovecot.conf" <<EOF
base_dir = $D/base
state_dir = $D/state
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
log_path = $T/dovecot.log
mail_location = maildir:$D/mail/%u
default_internal_user = nobody
default_login_user = nobody
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $D/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
EOF
dovecot -F -c "$D/dovecot.conf" >>"$T/dovecot.log" 2>&1 &
DOVECOT_PID=$!
PIDS="$PIDS $DOVECOT_PID"

# imap CMD ARGS: talk to the mailbox with Python's imaplib.
#   login                      succeeds once the server answers
#   append FROM SUBJECT BODY   a reply, as a mail program writes it (MIME, UTF-8)
#   undone                     how many messages are not marked VigilDone
imap() {
	"$PY" - "$IMAP_PORT" "$@" <<'EOF'
import email.message, email.utils, imaplib, sys
port, cmd, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
c = imaplib.IMAP4("127.0.0.1", port)
c.login("vigil", "imap-secret")
if cmd == "append":
    m = email.message.EmailMessage()
    m["From"], m["To"], m["Subject"] = args[0], "vigil@unit.example", args[1]
    m["Message-ID"], m["Date"] = email.utils.make_msgid(), email.utils.formatdate()
    m.set_content(args[2].replace("\\n", "\n"))
    typ, _ = c.append("INBOX", None, None, m.as_bytes())
    assert typ == "OK"
elif cmd == "undone":
    c.select("INBOX")
    typ, data = c.uid("SEARCH", None, "UNKEYWORD", "VigilDone")
    print(len(data[0].split()))
c.logout()
EOF
}
undone_is() { [ "$(imap undone)" = "$1" ]; }
wait_for 20 "dovecot to answer" imap login
printf 'imap-secret\n' >"$T/imap.pw"

{
	esc_contact it-officer "Cán bộ CNTT" vi "email = it@unit.example"
	esc_contact head-of-unit "Head of unit" en "email = head@unit.example"
	esc_chain 1h it-officer head-of-unit
	esc_route_default
} >"$T/escalation.conf"
COLL_PORT=$(free_port) # the same after the restart: the agents come back to it
write_collector_conf "$COLL_PORT" "escalation = $T/escalation.conf

[notify]
smtp_url = smtp://127.0.0.1:$SMTP_PORT
smtp_starttls = no
smtp_from = vigil@unit.example
timeout = 5s
retry_base = 1s
retry_max = 2s

[ack_mail]
url = imap://127.0.0.1:$IMAP_PORT/INBOX
user = vigil
password_file = $T/imap.pw
poll = 300ms

[ack_link]
url = https://127.0.0.1:$LINK_PORT
listen = 127.0.0.1
port = $LINK_PORT
ttl = 30s"
start_collector
mkdir -p "$T/rules"
cat >"$T/rules/leak.rules" <<'EOF'
[rule test.data_leak]
description = A test line standing for data copied out of the unit
prefilter = EXFIL
pattern = ^EXFIL (?<path>\S+)$
category = data_leak
severity = high
summary = Data copied out: {path}

[rule test.data_leak2]
description = Another test line standing for data copied out
prefilter = LEAK2
pattern = ^LEAK2 (?<path>\S+)$
category = data_leak
severity = high
summary = Data copied again: {path}
EOF
for a in pc-01 pc-02; do
	: >"$T/$a.log"
	write_agent_conf "$a" "$PORT" "$T/$a.log"
	sed -i "s|^unit = test-unit|unit = test-unit\nlocal_rules_dir = $T/rules|" "$T/$a/agent.conf"
	start_agent "$a"
done

# mail_field RCPT N FIELD: the subject or text of the Nth mail (1-based) to RCPT.
mail_field() {
	"$PY" - "$T/mail" "$1" "$2" "$3" <<'EOF'
import email, email.policy, json, os, sys
d, rcpt, n, field = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
found = []
for f in sorted(os.listdir(d)):
    if f.endswith(".eml") and rcpt in json.load(open(os.path.join(d, f[:-4] + ".json")))["rcpt_tos"]:
        found.append(email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default))
m = found[n - 1]
print(str(m["Subject"]) if field == "subject" else m.get_content())
EOF
}
mails_to() {
	n=0
	for j in "$T"/mail/*.json; do
		[ -f "$j" ] && grep -q "\"$1\"" "$j" && n=$((n + 1))
	done
	echo "$n"
}
mails_to_are() { [ "$(mails_to "$1")" = "$2" ]; }
outcome() { db "SELECT outcome FROM ack_replies WHERE sender = '$1' ORDER BY rowid DESC LIMIT 1;"; }
outcome_is() { [ "$(outcome "$1")" = "$2" ]; }
replies() { db "SELECT count(*) FROM ack_replies;"; }

# ---- the incident and its mail -------------------------------------------------------------
i=1
while [ $i -le 5 ]; do
	echo "Nov 25 10:00:0$i pc sshd[100$i]: Failed password for root from 203.0.113.9 port 5000$i ssh2" >>"$T/pc-01.log"
	i=$((i + 1))
done
wait_for 20 "the IT officer's mail" mails_to_are it@unit.example 1
A=$(db "SELECT id FROM incidents WHERE rule = 'ssh.bruteforce';")
SUBJ=$(mail_field it@unit.example 1 subject)
BODY=$(mail_field it@unit.example 1 text)
CODE=$(echo "$SUBJ" | sed -n 's/.*\[\(V-[0-9]\{4\}\) #\([a-z2-9]\{8\}\)\]$/\1/p')
TOKEN=$(echo "$SUBJ" | sed -n 's/.*\[\(V-[0-9]\{4\}\) #\([a-z2-9]\{8\}\)\]$/\2/p')
[ -n "$CODE" ] && [ -n "$TOKEN" ] || fail "no code and token at the end of the subject: $SUBJ"
[ "$(db "SELECT printf('V-%04d', code) FROM ack_codes WHERE incident_id = $A;")" = "$CODE" ] ||
	fail "the code $CODE is not incident $A's"
echo "$BODY" | grep -q "XN $CODE #$TOKEN" || fail "the body does not repeat the code and token: $BODY"
QUOTED=$(echo "$BODY" | sed 's/^/> /')

# ---- refused -------------------------------------------------------------------------------
imap append "Mallory <mallory@evil.example>" "Re: $SUBJ" "XN"
wait_for 20 "the stranger's reply to be judged" outcome_is mallory@evil.example stranger
imap append "it@unit.example" "Re: [Vigil] V-$(( ${CODE#V-} == 9999 ? 1000 : ${CODE#V-} + 1 )) #$TOKEN" "XN"
wait_for 20 "the wrong code to be refused" outcome_is it@unit.example unknown_code
wait_for 20 "the answer about the wrong code" mails_to_are it@unit.example 2
mail_field it@unit.example 2 text | grep "Không có sự cố nào mang mã" >/dev/null ||
	fail "the answer about the wrong code is not the Vietnamese sentence: $(mail_field it@unit.example 2 text)"
imap append "Head of unit <head@unit.example>" "Re: $SUBJ" "OK"
wait_for 20 "another contact's token to be refused" outcome_is head@unit.example not_yours
wait_for 20 "the answer to the head of unit" mails_to_are head@unit.example 1
mail_field head@unit.example 1 text | grep "was not sent to you" >/dev/null ||
	fail "the head of unit's answer does not say why"
imap append "it@unit.example" "Re: $SUBJ" "đang xem\\n\\n$QUOTED"
wait_for 20 "a reply without its own XN to be refused" outcome_is it@unit.example no_word
[ "$(db "SELECT status FROM incidents WHERE id = $A;")" = new ] ||
	fail "a refused reply changed incident $A"
mails_to_are mallory@evil.example 0 || fail "the stranger was answered"

# ---- acknowledged --------------------------------------------------------------------------
imap append "Cán bộ <it@unit.example>" "Re: $SUBJ" "Xác nhận, đang xử lý.\\n\\n$QUOTED"
wait_for 20 "the reply to acknowledge" outcome_is it@unit.example acknowledged
[ "$(db "SELECT status FROM incidents WHERE id = $A;")" = acknowledged ] ||
	fail "incident $A is not acknowledged"
audit=$(db "SELECT actor || '|' || detail FROM audit WHERE incident = $A AND action = 'ack';")
case $audit in
"it-officer|by e-mail reply from it@unit.example at "*"(code $CODE)") ;;
*) fail "the audit trail does not say who and how: $audit" ;;
esac
wait_for 20 "the confirmation" mails_to_are it@unit.example 4
mail_field it@unit.example 4 text | grep "đã được bạn xác nhận" >/dev/null ||
	fail "the confirmation is not the Vietnamese sentence: $(mail_field it@unit.example 4 text)"
"$BUILD/vigilctl" incident show "$A" | grep "by e-mail reply from it@unit.example" >/dev/null ||
	fail "incident show lacks how it was acknowledged"

# The code used again.
imap append "it@unit.example" "Re: $SUBJ" "XN\\n\\n$QUOTED"
wait_for 20 "the used code to be refused" outcome_is it@unit.example already_acknowledged
wait_for 20 "the answer about the used code" mails_to_are it@unit.example 5
mail_field it@unit.example 5 text | grep "đã được xác nhận trước đó" >/dev/null ||
	fail "the answer about the used code is wrong: $(mail_field it@unit.example 5 text)"
# The counters of vigilctl status moved, one per reason.
counter() { "$BUILD/vigilctl" --json status | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
for kv in replies_acknowledged=1 replies_refused_stranger=1 replies_refused_wrong_code=2 \
	replies_refused_used=1 replies_refused_other=1; do
	[ "$(counter "${kv%=*}")" = "${kv#*=}" ] || fail "vigilctl status: ${kv%=*} is $(counter "${kv%=*}"), expected ${kv#*=}"
done

# ---- once, across a restart ----------------------------------------------------------------
[ "$(imap undone)" = 0 ] || fail "$(imap undone) messages are not marked done"
n=$(replies)
[ "$n" = 6 ] || fail "$n replies recorded, expected 6"
stop_pid "$COLL_PID"
# A message whose mark was lost (as if the collector died between the record and the mark).
"$PY" - "$IMAP_PORT" <<'EOF'
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.login("vigil", "imap-secret")
c.select("INBOX")
c.uid("STORE", "6", "-FLAGS", "(VigilDone)")
c.logout()
EOF
[ "$(imap undone)" = 1 ] || fail "the mark was not taken off"
start_collector
wait_for 20 "the unmarked message to be marked again" undone_is 0
[ "$(replies)" = 6 ] || fail "a reply was handled twice after the restart"
mails_to_are it@unit.example 5 || fail "a reply was answered twice after the restart"

# ---- acknowledge by link ---------------------------------------------------------------------
# link_of RCPT N: the link in the Nth mail to RCPT.
link_of() { mail_field "$1" "$2" text | sed -n 's|^  \(https://127.0.0.1:[0-9]*/a/[A-Za-z0-9_-]*\)$|\1|p' | head -n 1; }
# http METHOD URL [FORM] [ORIGIN]: "STATUS" then the headers and the page, from Python.
http() {
	"$PY" - "$T/pki/ca.crt" "$@" <<'PYEOF'
import http.client, ssl, sys, urllib.parse
ca, method, url = sys.argv[1:4]
form = sys.argv[4] if len(sys.argv) > 4 else None
origin = sys.argv[5] if len(sys.argv) > 5 else None
u = urllib.parse.urlsplit(url)
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
h = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
if origin:
    h["Origin"] = origin
c.request(method, u.path, body=form, headers=h)
r = c.getresponse()
print(r.status)
for k, v in r.getheaders():
    print("%s: %s" % (k, v))
print()
print(r.read().decode())
PYEOF
}
status_of() { db "SELECT status FROM incidents WHERE id = $1;"; }
echo "EXFIL <b>x</b>/secret.docx" >>"$T/pc-01.log"
wait_for 20 "the data-leak mail" mails_to_are it@unit.example 6
B=$(db "SELECT id FROM incidents WHERE rule = 'test.data_leak';")
LINK=$(link_of it@unit.example 6)
[ -n "$LINK" ] || fail "the mail has no link: $(mail_field it@unit.example 6 text)"
TOK=${LINK##*/}
out=$(http GET "$LINK")
[ "$(echo "$out" | sed -n 1p)" = 200 ] || fail "GET of the link: $out"
for h in "Content-Security-Policy: default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" \
	"X-Content-Type-Options: nosniff" "Cache-Control: no-store" "X-Frame-Options: DENY"; do
	echo "$out" | grep -F "$h" >/dev/null || fail "the page lacks the header $h"
done
echo "$out" | grep -F "&lt;b&gt;x&lt;/b&gt;" >/dev/null || fail "the title is not escaped: $out"
echo "$out" | grep -F "<b>x</b>" >/dev/null && fail "the title went out unescaped"
echo "$out" | grep -F "<script" >/dev/null && fail "the page has a script"
[ "$(status_of "$B")" = new ] || fail "GET changed incident $B"
# Altered, no form token, another site: refused, nothing changes.
ALT=$(echo "$TOK" | sed 's/.$/x/'); [ "$ALT" != "$TOK" ] || ALT=$(echo "$TOK" | sed 's/.$/y/')
[ "$(http POST "${LINK%/*}/$ALT" "t=$ALT" | sed -n 1p)" = 410 ] || fail "an altered token was not refused"
[ "$(http POST "$LINK" "" | sed -n 1p)" = 403 ] || fail "a POST without the form token was not refused"
[ "$(http POST "$LINK" "t=$TOK" "https://evil.example" | sed -n 1p)" = 403 ] || fail "a cross-site POST was not refused"
[ "$(status_of "$B")" = new ] || fail "a refused POST changed incident $B"
out=$(http POST "$LINK" "t=$TOK" "${LINK%/a/*}")
[ "$(echo "$out" | sed -n 1p)" = 200 ] || fail "the POST did not acknowledge: $out"
[ "$(status_of "$B")" = acknowledged ] || fail "incident $B is not acknowledged"
audit=$(db "SELECT actor || '|' || detail FROM audit WHERE incident = $B AND action = 'ack';")
case $audit in
"it-officer|by link from 127.0.0.1 at "*) ;;
*) fail "the audit trail does not say who and how: $audit" ;;
esac
[ "$(http POST "$LINK" "t=$TOK" | sed -n 1p)" = 410 ] || fail "the link worked twice"
# Expired: another incident's link, past its ttl (30 s here: under load the checks
# on the first link, a python run each, took longer than 10 s, and its POST got 410).
echo "EXFIL second.docx" >>"$T/pc-02.log"
wait_for 20 "the second data-leak mail" mails_to_are it@unit.example 7
C=$(db "SELECT id FROM incidents WHERE rule = 'test.data_leak' AND id != $B;")
LINK2=$(link_of it@unit.example 7)
link_gone() { [ "$(http GET "$LINK2" | sed -n 1p)" = 410 ]; }
wait_for 45 "the link to expire" link_gone
[ "$(http POST "$LINK2" "t=${LINK2##*/}" | sed -n 1p)" = 410 ] || fail "an expired link was not refused"
[ "$(status_of "$C")" = new ] || fail "an expired link changed incident $C"
[ "$(counter links_refused_expired)" -ge 2 ] || fail "vigilctl status does not count the expired link"
[ "$(counter links_refused_used)" -ge 1 ] || fail "vigilctl status does not count the used link"
[ "$(counter links_refused_invalid)" -ge 1 ] || fail "vigilctl status does not count the altered link"
[ "$(counter links_acknowledged)" = 1 ] || fail "vigilctl status does not count the link that acknowledged"

# ---- a real browser on a link -----------------------------------------------------------------
echo "LEAK2 report.xlsx" >>"$T/pc-02.log"
wait_for 20 "the third data-leak mail" mails_to_are it@unit.example 8
D=$(db "SELECT id FROM incidents WHERE rule = 'test.data_leak2';")
"$PY" "$TOP/tests/integration/browser_ack.py" "$(link_of it@unit.example 8)" \
	"Data copied again: report.xlsx" 2>"$T/browser.err" ||
	fail "the browser could not acknowledge by the link: $(cat "$T/browser.err")"
[ "$(status_of "$D")" = acknowledged ] || fail "the click did not acknowledge incident $D"
pass
